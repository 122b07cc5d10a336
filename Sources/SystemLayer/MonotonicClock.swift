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
