import Report

/// How old the report `bkdiag status` got from the daemon is, and whether the daemon's schedule can still
/// explain that age. A daemon whose runs hang (a write to its state directory that never returns) keeps serving its last report;
/// past 2 × interval + deadline (the rule the unit's `WatchdogSec` follows; 3 × deadline when the deadline is
/// longer than the interval) no healthy daemon would still be serving it, so its verdicts no longer say how the
/// host is.
public struct ReportAge: Sendable, Equatable {
    /// The response headers with which the daemon tells `status` its schedule.
    public static let intervalHeader = "Bkdiag-Interval-Seconds"
    public static let deadlineHeader = "Bkdiag-Deadline-Seconds"

    public var generatedAtMs: Int64
    /// Now minus `generatedAtMs`; negative when the report is ahead of this host's clock.
    public var ageMs: Int64
    public var interval: Double
    public var deadline: Double
    /// Whether the daemon said its interval and deadline (a daemon before this change does not: the
    /// defaults stand in for them).
    public var scheduleKnown: Bool

    public init(generatedAtMs: Int64, nowMs: Int64, interval: Double?, deadline: Double?) {
        self.generatedAtMs = generatedAtMs
        // A `generated_at_ms` far from now (a report line from elsewhere, `-9223372036854775808`) must not trap:
        // the age is held to what an Int64 can say either way.
        let (age, overflow) = nowMs.subtractingReportingOverflow(generatedAtMs)
        self.ageMs = overflow ? (generatedAtMs < 0 ? Int64.max : -Int64.max) : max(age, -Int64.max)
        let defaults = DaemonConfig()
        self.interval = interval ?? defaults.interval
        self.deadline = deadline ?? defaults.checkOptions.deadlineSeconds
        self.scheduleKnown = interval != nil && deadline != nil
    }

    /// From the daemon's answer: its report and the schedule headers (lower-cased names).
    public init(report: DiagnosticReport, headers: [String: String], nowMs: Int64 = Timestamp.nowMilliseconds()) {
        func seconds(_ name: String) -> Double? {
            // Only what a daemon's config can hold (an interval up to 86400 s, a deadline up to 600 s): a bigger
            // number is none of a daemon's, and the defaults stand in for it.
            guard let v = headers[name.lowercased()].flatMap({ Double($0) }), v.isFinite, v >= 0, v <= 86_400 else { return nil }
            return v
        }
        self.init(
            generatedAtMs: report.generatedAtMs, nowMs: nowMs, interval: seconds(Self.intervalHeader),
            deadline: seconds(Self.deadlineHeader))
    }

    /// The headers for a daemon whose latest report is replaced on `schedule`.
    public static func headers(for schedule: DaemonCore.ReportSchedule) -> [(String, String)] {
        [(intervalHeader, format(schedule.interval)), (deadlineHeader, format(schedule.deadline))]
    }

    /// The oldest a report of a healthy daemon can be, in milliseconds: 2 × interval + deadline, or
    /// 3 × deadline when the deadline is the longer. A report is dated at its run's start and replaced when the
    /// next run ends, and runs start an interval apart or, when a run takes longer, back to back: a healthy
    /// daemon whose runs each take the whole deadline serves a report up to 2 × deadline old.
    public var staleAfterMs: Int64 {
        let ms = ((2 * max(interval, deadline) + deadline) * 1000).rounded()
        return ms.isFinite && ms < 9e18 ? Int64(max(0, ms)) : Int64.max
    }

    /// The bound in seconds, as the schedule's numbers give it: `125`, `0.3`.
    var boundSeconds: String { Self.format(Double(staleAfterMs) / 1000) }

    public var isStale: Bool { ageMs > staleAfterMs }

    /// `made 2026-12-03T16:20:00.123Z, 35 s ago`.
    public var madeSentence: String {
        let when = Timestamp.iso8601(milliseconds: generatedAtMs)
        if ageMs < 0 { return "made \(when), \(Self.duration(-ageMs)) ahead of this host's clock" }
        return "made \(when), \(Self.duration(ageMs)) ago"
    }

    /// The bound and where it came from: `2 x 60 s interval + 5 s deadline = 125 s`.
    public var boundSentence: String {
        let twice =
            deadline > interval
            ? "\(Self.format(deadline)) s deadline (longer than the \(Self.format(interval)) s interval)"
            : "\(Self.format(interval)) s interval"
        let bound = "2 x \(twice) + \(Self.format(deadline)) s deadline = \(boundSeconds) s"
        return scheduleKnown ? "the daemon's \(bound)" : "\(bound), the defaults: the daemon did not say its own"
    }

    /// One line for people: the report's time and age, and plainly whether it is stale.
    public var line: String {
        if isStale {
            return "STALE: the daemon's latest report was \(madeSentence), older than its schedule allows (\(boundSentence)): "
                + "its runs are not finishing, so these verdicts are old, not the host's state now"
        }
        return "report \(madeSentence) (stale after \(boundSentence))"
    }

    /// A report's own Nagios text with its first line made UNKNOWN when the report is stale, keeping the old
    /// line's words (and its performance data) after it.
    public func nagiosText(_ report: DiagnosticReport) -> String {
        let text = report.nagiosText()
        guard isStale else { return text }
        let first = text.prefix { $0 != "\n" }
        let rest = text.dropFirst(first.count)
        let was = first.hasPrefix("BKDIAG ") ? first.dropFirst("BKDIAG ".count) : first
        return "BKDIAG UNKNOWN - stale report, \(madeSentence) (over \(boundSeconds) s); it said: \(was)" + rest
    }

    /// The fields `status --format json` adds to the report's rich line.
    public var jsonMembers: [(String, JSONValue)] {
        [("report_age_ms", .int(ageMs)), ("stale_after_ms", .int(staleAfterMs)), ("stale", .bool(isStale))]
    }

    /// The gauges `status --format prometheus` adds to the report's.
    public var prometheusText: String {
        "# HELP bkdiag_report_age_seconds Age of the daemon's report when bkdiag status read it.\n"
            + "# TYPE bkdiag_report_age_seconds gauge\nbkdiag_report_age_seconds \(Double(ageMs) / 1000)\n"
            + "# HELP bkdiag_report_stale 1 when the report is older than the daemon's schedule allows (2 x interval + deadline).\n"
            + "# TYPE bkdiag_report_stale gauge\nbkdiag_report_stale \(isStale ? 1 : 0)\n"
    }

    /// `35 s`, `12 min 5 s`, `3 h 2 min`, `2 d 4 h`, `250 ms`.
    static func duration(_ ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        let s = ms / 1000
        if s < 60 { return "\(s) s" }
        if s < 3600 { return s % 60 == 0 ? "\(s / 60) min" : "\(s / 60) min \(s % 60) s" }
        if s < 86_400 { return (s % 3600) / 60 == 0 ? "\(s / 3600) h" : "\(s / 3600) h \((s % 3600) / 60) min" }
        return (s % 86_400) / 3600 == 0 ? "\(s / 86_400) d" : "\(s / 86_400) d \((s % 86_400) / 3600) h"
    }

    static func format(_ s: Double) -> String { WatchdogSchedule.format(s) }
}
