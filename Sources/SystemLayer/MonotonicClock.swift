#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// CLOCK_MONOTONIC, the one clock for durations and deadlines (and the one systemd's MONOTONIC_USEC
/// uses). Not affected by changes to the wall clock; does not count time suspended.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Microseconds, as systemd's `MONOTONIC_USEC=` wants them.
    public static func microseconds() -> UInt64 { nanoseconds() / 1000 }

    /// Milliseconds, for deadlines counted in milliseconds.
    public static func milliseconds() -> Int64 { Int64(nanoseconds() / 1_000_000) }

    /// Seconds as a `Double`, for measuring durations.
    public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// CLOCK_REALTIME, for timestamps people read (report times, registry and file times).
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    public static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

extension Sys {
    /// Sleeps the calling thread for `seconds`, resuming after a signal for the time left (nanosleep(2)).
    public static func sleep(seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        var want = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var left = timespec()
        while nanosleep(&want, &left) != 0 && errno == EINTR { want = left }
    }

    /// Whether this process may read `path` (access(2) with R_OK, by the real uid), and the errno when not.
    public static func readable(_ path: String) -> (Bool, Int32) {
        if PathBytes.hasNUL(path) { return (false, EINVAL) }
        let rc = PathBytes.withCString(path) { access($0, R_OK) }
        return rc == 0 ? (true, 0) : (false, errno)
    }

    /// The effective user id.
    public static var effectiveUID: UInt32 { geteuid() }
}
