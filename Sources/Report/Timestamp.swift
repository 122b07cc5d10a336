import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Time helpers that need no Foundation.
public enum Timestamp {
    /// Milliseconds since the Unix epoch, from the real-time clock.
    public static func nowMilliseconds() -> Int64 {
        WallClock.milliseconds()
    }

    /// Seconds from a monotonic clock, for measuring durations.
    public static func monotonicSeconds() -> Double { MonotonicClock.seconds() }

    /// `2026-11-23T11:01:33.120Z` for a Unix time in milliseconds.
    public static func iso8601(milliseconds ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        let millis = Int32(((ms % 1000) + 1000) % 1000)
        return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T"
            + "\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2)).\(pad(millis, 3))Z"
    }

    /// `YYYYMMDD` of a Unix time in the host's local time zone (NodeMan's restart log uses local dates).
    public static func localYYYYMMDD(seconds: Int64) -> String {
        var t = time_t(seconds)
        var tmv = tm()
        localtime_r(&t, &tmv)
        let y = String(tmv.tm_year + 1900)
        let m = tmv.tm_mon + 1 < 10 ? "0\(tmv.tm_mon + 1)" : "\(tmv.tm_mon + 1)"
        let d = tmv.tm_mday < 10 ? "0\(tmv.tm_mday)" : "\(tmv.tm_mday)"
        return y + m + d
    }

    /// A local date and time to Unix seconds (mktime(3), daylight saving decided by the zone); nil when
    /// the C library cannot represent it.
    public static func localEpoch(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) -> Int64? {
        epoch(year, month, day, hour, minute, second, utc: false)
    }

    /// A UTC date and time to Unix seconds (timegm(3)); nil when the C library cannot represent it.
    public static func utcEpoch(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) -> Int64? {
        epoch(year, month, day, hour, minute, second, utc: true)
    }

    private static func epoch(_ y: Int32, _ mo: Int32, _ d: Int32, _ h: Int32, _ mi: Int32, _ s: Int32, utc: Bool) -> Int64? {
        var t = tm()
        t.tm_year = y - 1900
        t.tm_mon = mo - 1
        t.tm_mday = d
        t.tm_hour = h
        t.tm_min = mi
        t.tm_sec = s
        t.tm_isdst = utc ? 0 : -1
        let v = utc ? timegm(&t) : mktime(&t)
        return v == -1 ? nil : Int64(v)
    }
}
