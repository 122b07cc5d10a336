/// When the watchdog service wakes, and whether the configuration leaves systemd's watchdog enough room.
///
/// A ping goes out at a wake-up after a completed run, so two pings can be as far apart as two runs'
/// completions (at most the interval plus a run's deadline) plus one wake-up period. The daemon wakes
/// at half of what the watchdog period leaves after that, and at most at half the period, so a healthy
/// daemon always pings in time when `WatchdogSec` ≥ 2 × interval + deadline, the documented rule.
public struct WatchdogSchedule: Sendable, Equatable {
    /// Time between wake-ups.
    public var wake: Duration
    /// Why the period is too short, nil when it is not.
    public var warning: String?

    public init(period: Duration, interval: Double, deadline: Double) {
        let p = Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18
        let room = p - interval - deadline
        // No wake-up period can be safe when one run may take the whole watchdog period: wake often.
        let seconds = room > 0 ? min(p / 2, room / 2) : p / 4
        wake = .milliseconds(Int64(max(0.005, seconds) * 1000))
        if p < 2 * interval + deadline {
            warning =
                "WatchdogSec (\(Self.format(p)) s) is shorter than twice the interval plus the deadline "
                + "(2 x \(Self.format(interval)) s + \(Self.format(deadline)) s): systemd may restart a healthy daemon between runs"
        } else {
            warning = nil
        }
    }

    static func format(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int64(s)) : String(s)
    }
}
