import Logging
import Report

/// A check whose verdict differs from the previous run's: the unit of the journal's event stream.
public struct StateChange: Sendable, Equatable {
    public var module: String
    public var item: String
    /// The previous verdict; nil when the check was not in the previous report (first run, new check).
    public var previous: Verdict?
    public var verdict: Verdict
    public var message: String

    public init(module: String, item: String, previous: Verdict?, verdict: Verdict, message: String) {
        self.module = module
        self.item = item
        self.previous = previous
        self.verdict = verdict
        self.message = message
    }

    /// The changes from `previous` to `current`. A check seen for the first time is a change only
    /// when it does not pass, so a healthy start logs nothing and a broken one logs what is broken.
    public static func changes(from previous: DiagnosticReport?, to current: DiagnosticReport) -> [StateChange] {
        var before: [String: Verdict] = [:]
        for r in previous?.results ?? [] { before[r.module + "\u{0}" + r.item] = r.verdict }
        var out: [StateChange] = []
        for r in current.results {
            let old = before[r.module + "\u{0}" + r.item]
            if old == r.verdict { continue }
            if old == nil && r.verdict == .pass { continue }
            out.append(StateChange(module: r.module, item: r.item, previous: old, verdict: r.verdict, message: r.message))
        }
        return out
    }

    /// `bkunifylogbeat/process: pass -> fail: bkunifylogbeat is not running`
    public var sentence: String {
        "\(module)/\(item): \(previous?.rawValue ?? "none") -> \(verdict.rawValue): \(message)"
    }

    /// syslog priority: err for fail, warning for warn and unknown, notice for a recovery.
    public var priority: Int {
        switch verdict {
        case .fail: 3
        case .warn, .unknown: 4
        case .pass: 5
        }
    }
}

/// Where state changes go: the journal when there is one, else the logger (stderr).
public protocol StateChangeSink: Sendable {
    func record(_ change: StateChange)
}

/// One structured journal entry per change: `journalctl -u bkdiag MODULE=gse_agent ITEM=socket`.
public struct JournalSink: StateChangeSink {
    public init() {}

    public func record(_ change: StateChange) {
        Systemd.journalSend([
            ("MESSAGE", change.sentence),
            ("PRIORITY", String(change.priority)),
            ("SYSLOG_IDENTIFIER", "bkdiag"),
            ("MODULE", change.module),
            ("ITEM", change.item),
            ("VERDICT", change.verdict.rawValue),
            ("PREVIOUS_VERDICT", change.previous?.rawValue ?? "none"),
            ("CHECK_MESSAGE", change.message),
        ])
    }
}

/// Changes as log records with the same fields as metadata (stderr when there is no journal). The values are
/// host text (a message lists file names as they are): shown with `TerminalText`'s escapes, so a newline in a
/// file's name cannot start a line that reads as a record of its own.
public struct LoggerSink: StateChangeSink {
    public var logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func record(_ change: StateChange) {
        let level: Logger.Level = change.verdict == .fail ? .error : change.verdict == .pass ? .notice : .warning
        logger.log(
            level: level, "check state changed",
            metadata: [
                "module": "\(TerminalText.visible(change.module))", "item": "\(TerminalText.visible(change.item))",
                "verdict": "\(change.verdict.rawValue)", "previous_verdict": "\(change.previous?.rawValue ?? "none")",
                "message": "\(TerminalText.visible(change.message))",
            ])
    }
}
