import Diagnostics
import Logging
import Report
import Synchronization
import SystemLayer

/// Runs one cycle of the catalogue: a closure so tests can inject reports; production uses `DiagnosticRunner`.
public typealias ReportProducer = @Sendable (CheckOptions) async -> DiagnosticReport

/// The daemon's state shared by the scheduler, the HTTP server and the signal handlers.
///
/// Cycles are serialised: a `POST /run` during a scheduled cycle waits for it, then runs its own.
public final class DaemonCore: Sendable {
    /// Counters for `/metrics` and the tests.
    public struct Counters: Sendable, Equatable {
        public var cycles: Int = 0
        public var stateChanges: Int = 0
        public var historyErrors: Int = 0
        public var reloads: Int = 0
        public var reloadErrors: Int = 0
    }

    struct State {
        var config: DaemonConfig
        var latest: DiagnosticReport?
        /// The report from before a restart: what the first cycle's changes are computed against.
        var baseline: DiagnosticReport?
        var counters = Counters()
        var tail: Task<DiagnosticReport, Never>?
        /// Requests waiting for the first report (socket activation: the first client starts the daemon).
        var waitingForFirst: [CheckedContinuation<DiagnosticReport, Never>] = []
    }

    public let history: ReportHistory
    public let logger: Logger
    let producer: ReportProducer
    let sink: any StateChangeSink
    let notify: @Sendable (String) -> Void
    private let state: Mutex<State>

    /// - Parameters:
    ///   - previous: the last report from before a restart (from the history), so a restart does not repeat events.
    ///   - notify: where `STATUS=` goes (`Systemd.notify` in production).
    public init(
        config: DaemonConfig, history: ReportHistory, previous: DiagnosticReport?, producer: @escaping ReportProducer,
        sink: any StateChangeSink, logger: Logger, notify: @escaping @Sendable (String) -> Void = { Notifier.shared.notify($0) }
    ) {
        self.history = history
        self.producer = producer
        self.sink = sink
        self.logger = logger
        self.notify = notify
        self.state = Mutex(State(config: config, latest: nil, baseline: previous))
    }

    public var config: DaemonConfig { state.withLock { $0.config } }
    public var counters: Counters { state.withLock { $0.counters } }

    /// The latest report of this process; nil until the first cycle completes.
    public var latest: DiagnosticReport? { state.withLock { $0.latest } }

    /// The latest report, or the first one once its run finishes.
    public func firstReport() async -> DiagnosticReport {
        await withCheckedContinuation { (c: CheckedContinuation<DiagnosticReport, Never>) in
            let ready: DiagnosticReport? = state.withLock { s in
                if let latest = s.latest { return latest }
                s.waitingForFirst.append(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Replaces the configuration (SIGHUP); the socket settings keep their running values.
    public func replaceConfig(_ new: DaemonConfig) {
        state.withLock { s in
            var c = new
            c.socketPath = s.config.socketPath
            c.socketGroup = s.config.socketGroup
            c.socketMode = s.config.socketMode
            c.stateDir = s.config.stateDir
            s.config = c
            s.counters.reloads += 1
        }
        history.setLimits(new.historyLimits)
    }

    func countReloadError() { state.withLock { $0.counters.reloadErrors += 1 } }

    /// Runs one cycle after any cycle in flight, and returns its report.
    @discardableResult
    public func runCycle() async -> DiagnosticReport {
        let task: Task<DiagnosticReport, Never> = state.withLock { s in
            let previous = s.tail
            let next = Task { [self] in
                _ = await previous?.value
                return await self.performCycle()
            }
            s.tail = next
            return next
        }
        return await task.value
    }

    private func performCycle() async -> DiagnosticReport {
        let options = config.checkOptions
        let started = Timestamp.monotonicSeconds()
        let startedMs = Timestamp.nowMilliseconds()
        var report = await producer(options)
        if report.generatedAtMs == 0 { report.generatedAtMs = startedMs }
        if report.durationMs == nil { report.durationMs = (Timestamp.monotonicSeconds() - started) * 1000 }

        let (changes, waiting): ([StateChange], [CheckedContinuation<DiagnosticReport, Never>]) = state.withLock { s in
            let c = StateChange.changes(from: s.latest ?? s.baseline, to: report)
            s.latest = report
            s.counters.stateChanges += c.count
            defer { s.waitingForFirst = [] }
            return (c, s.waitingForFirst)
        }
        for w in waiting { w.resume(returning: report) }
        for change in changes { sink.record(change) }

        var historyFailed = false
        do {
            try history.append(line: report.richLine(), generatedAtMs: report.generatedAtMs)
        } catch {
            historyFailed = true
            logger.error("history append failed", metadata: ["error": "\(ProbeError.brief(error))"])
        }
        notify("STATUS=" + report.summary.sentence)
        // Counted last: the watchdog pings only for cycles whose STATUS has gone out.
        state.withLock { s in
            s.counters.cycles += 1
            if historyFailed { s.counters.historyErrors += 1 }
        }
        logger.debug("cycle done", metadata: ["summary": "\(report.summary.sentence)"])
        return report
    }

    /// Daemon metrics appended to the report's Prometheus text.
    public func daemonMetrics() -> String {
        let (c, interval) = state.withLock { ($0.counters, $0.config.interval) }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("bkdiag_daemon_cycles_total", "counter", "Runs of the catalogue since the daemon started.", String(c.cycles))
        metric(
            "bkdiag_daemon_state_changes_total", "counter", "Check verdict changes logged since the daemon started.", String(c.stateChanges)
        )
        metric(
            "bkdiag_daemon_history_errors_total", "counter", "Reports that could not be appended to the history.", String(c.historyErrors))
        metric("bkdiag_daemon_reloads_total", "counter", "Configuration reloads (SIGHUP) applied.", String(c.reloads))
        metric("bkdiag_daemon_reload_errors_total", "counter", "Configuration reloads rejected.", String(c.reloadErrors))
        metric("bkdiag_daemon_interval_seconds", "gauge", "Seconds between runs.", String(interval))
        metric("bkdiag_daemon_history_reports", "gauge", "Reports kept in the history.", String(history.count))
        metric("bkdiag_daemon_history_bytes", "gauge", "Bytes the history takes on disk.", String(history.totalBytes))
        return out
    }
}
