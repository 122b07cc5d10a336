import Daemon
import Testing

@Suite struct WatchdogScheduleTests {
    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// Two pings can be as far apart as two completed runs (interval + deadline) plus one wake-up:
    /// that sum stays below the period whenever there is room for it, and the rule of the docs warns.
    @Test(arguments: [
        // period, interval, deadline, warns
        (150.0, 60.0, 5.0, false),  // the unit's default
        (7.0, 1.0, 5.0, false),  // exactly 2 x interval + deadline
        (2.0, 1.0, 5.0, true),  // the issue's case: 2 >= 2 x 1, but the deadline was forgotten
        (2.5, 1.0, 0.5, false),
        (10.0, 6.0, 1.0, true),
        (1.0, 30.0, 5.0, true),  // no room at all
    ])
    func warnsBelowTwoIntervalsPlusTheDeadlineAndWakesInTime(period: Double, interval: Double, deadline: Double, warns: Bool) {
        let s = WatchdogSchedule(period: .milliseconds(Int64(period * 1000)), interval: interval, deadline: deadline)
        #expect((s.warning != nil) == warns, "\(s.warning ?? "no warning")")
        if let w = s.warning { #expect(w.contains("WatchdogSec")) }
        let wake = seconds(s.wake)
        #expect(wake > 0 && wake <= period / 2)
        if period > interval + deadline {
            #expect(interval + deadline + wake < period, "a healthy daemon's pings fit in the period")
        }
    }
}
