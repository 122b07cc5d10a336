import Diagnostics
import Logging
import Report
import Synchronization
import SystemLayer

/// Runs one cycle of the catalogue: a closure so tests can inject reports; production uses `DiagnosticRunner`.
public typealias ReportProducer = @Sendable (CheckOptions) async -> DiagnosticReport

/// The daemon's state shared by the scheduler, the HTTP server and the signal handlers.
///
/// Cycles are serialised, and at most one waits behind the one running: a `POST /run` (or the scheduler)
/// asking while a cycle runs gets the next cycle, which starts after it and is shared by everyone who
/// asked before it started. However many clients ask, the daemon runs at most one cycle more, and every
/// answer comes from a cycle that started after its question. A waiter whose task is cancelled (its
/// client hung up, the daemon is stopping) stops waiting at once and costs nothing more.
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
        /// The interval and deadline `latest` answers to (`reportSchedule`).
        var latestSchedule: ReportSchedule?
        /// The report from before a restart: what the first cycle's changes are computed against.
        var baseline: DiagnosticReport?
        var counters = Counters()
        /// The last cycle asked for: the next one starts once it has ended.
        var tail: Task<Void, Never>?
        /// Cycles started, and whether one more has been asked for and not started yet.
        var started = 0
        var queued = false
        /// The cycle whose report is `latest`.
        var finished = 0
        /// Requests waiting for a cycle to finish (`/report` before the first one, `POST /run`, the
        /// scheduler), by id: each is resumed once the cycle it waits for has finished, or cancelled.
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// Set by `stop()`: nobody waits any more, and finished cycles are not recorded.
        var stopping = false
    }

    struct Waiter {
        var cycle: Int
        var continuation: CheckedContinuation<DiagnosticReport?, Never>
    }

    public let history: ReportHistory
    public let logger: Logger
    let producer: ReportProducer
    let sink: any StateChangeSink
    let notify: @Sendable (String) -> Void
    /// Where the daemon's own tasks run (cycles, and the answers that wait for them); nil: Swift's global executor.
    let executor: (any TaskExecutor)?
    private let state: Mutex<State>
    /// Whether finished cycles are recorded (history, journal, STATUS); false once stopped.
    private let recording = Mutex(true)

    /// - Parameters:
    ///   - previous: the last report from before a restart (from the history), so a restart does not repeat events.
    ///   - notify: where `STATUS=` goes (`Systemd.notify` in production).
    ///   - executor: where cycles and the answers that wait for them run (the tests give threads of their own, so
    ///     that synchronous tests holding the global executor's few threads do not hold the daemon's answers back);
    ///     nil: the global executor, as in production.
    public init(
        config: DaemonConfig, history: ReportHistory, previous: DiagnosticReport?, producer: @escaping ReportProducer,
        sink: any StateChangeSink, logger: Logger, notify: @escaping @Sendable (String) -> Void = { Notifier.shared.notify($0) },
        executor: (any TaskExecutor)? = nil
    ) {
        self.executor = executor
        self.history = history
        self.producer = producer
        self.sink = sink
        self.logger = logger
        self.notify = notify
        self.state = Mutex(State(config: config, latest: nil, baseline: previous))
    }

    public var config: DaemonConfig { state.withLock { $0.config } }

    /// An interval and a deadline, in seconds.
    public struct ReportSchedule: Sendable, Equatable {
        public var interval: Double
        public var deadline: Double

        public init(_ config: DaemonConfig) {
            interval = config.interval
            deadline = config.checkOptions.deadlineSeconds
        }

        /// The longer interval and the longer deadline of the two.
        func widened(by other: ReportSchedule) -> ReportSchedule {
            var s = self
            s.interval = max(interval, other.interval)
            s.deadline = max(deadline, other.deadline)
            return s
        }
    }

    /// The schedule by which `latest` is replaced (the configuration's before the first run): that of its run,
    /// widened by a reload until a run started under the new configuration has finished. A report made under a
    /// 3600 s interval is not overdue by a new 1 s one while the run the reload started is still going.
    public var reportSchedule: ReportSchedule {
        state.withLock { s in s.latestSchedule ?? ReportSchedule(s.config) }
    }
    public var counters: Counters { state.withLock { $0.counters } }

    /// The latest report of this process; nil until the first cycle completes.
    public var latest: DiagnosticReport? { state.withLock { $0.latest } }

    /// The latest report, or the first one once its run finishes; nil when the wait is cancelled or the
    /// daemon is stopping.
    public func firstReport() async -> DiagnosticReport? {
        await report(ofCycle: 1)
    }

    /// Requests waiting for a cycle right now (`/metrics`); a client that hung up no longer counts.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// The report of cycle `n` (or of a later one, once finished); nil when cancelled or stopping.
    private func report(ofCycle n: Int) async -> DiagnosticReport? {
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<DiagnosticReport?, Never>) in
                let now: DiagnosticReport?? = state.withLock { s in
                    if s.finished >= n, let latest = s.latest { return .some(latest) }
                    // Cancelled before the handler could find the waiter: the flag is already set.
                    if s.stopping || Task.isCancelled { return .some(nil) }
                    s.waiters[id] = Waiter(cycle: n, continuation: c)
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
        }
    }

    /// Ends every wait (with nil) and, once a cycle recording its report has finished doing so, keeps
    /// later cycles from recording theirs: called when the daemon stops, which never waits for a run.
    public func stop() {
        let waiters = state.withLock { s in
            s.stopping = true
            defer { s.waiters = [:] }
            return s.waiters
        }
        for w in waiters.values { w.continuation.resume(returning: nil) }
        recording.withLock { $0 = false }
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
            s.latestSchedule = s.latestSchedule?.widened(by: ReportSchedule(c))
            s.counters.reloads += 1
        }
        history.setLimits(new.historyLimits)
    }

    func countReloadError() { state.withLock { $0.counters.reloadErrors += 1 } }

    /// The report of a cycle that starts after this call (the one queued, or one queued now); nil when
    /// the wait is cancelled or the daemon is stopping.
    @discardableResult
    public func runCycle() async -> DiagnosticReport? {
        let cycle: Int = state.withLock { s in
            if !s.stopping && !s.queued {
                s.queued = true
                let previous = s.tail
                s.tail = Task(executorPreference: executor) { [self] in
                    await previous?.value
                    await self.performCycle()
                }
            }
            return s.started + 1
        }
        return await report(ofCycle: cycle)
    }

    private func performCycle() async {
        let go = state.withLock { s in
            s.queued = false
            guard !s.stopping else { return false }
            s.started += 1
            return true
        }
        guard go else { return }
        let startConfig = config
        let options = startConfig.checkOptions
        let started = Timestamp.monotonicSeconds()
        let startedMs = Timestamp.nowMilliseconds()
        var report = await producer(options)
        if report.generatedAtMs == 0 { report.generatedAtMs = startedMs }
        if report.durationMs == nil { report.durationMs = (Timestamp.monotonicSeconds() - started) * 1000 }

        // Recorded under `recording`, which `stop()` takes: a stop waits for a report being written to
        // the history, and a cycle that ends after the stop records nothing (the process is ending).
        recording.withLock { open in
            guard open else { return }
            let changes: [StateChange] = state.withLock { s in
                let c = StateChange.changes(from: s.latest ?? s.baseline, to: report)
                s.latest = report
                // The next run is scheduled by the interval read once this one ends (a reload during it included).
                s.latestSchedule = ReportSchedule(startConfig).widened(by: ReportSchedule(s.config))
                s.counters.stateChanges += c.count
                return c
            }
            for change in changes { sink.record(change) }

            var historyFailed = false
            do {
                try history.append(line: report.richLine(), generatedAtMs: report.generatedAtMs)
            } catch {
                historyFailed = true
                logger.error("history append failed", metadata: ["error": "\(ProbeError.brief(error))"])
            }
            notify("STATUS=" + report.summary.sentence)
            // Counted last: the watchdog pings only for cycles whose STATUS has gone out; and the waiters are
            // answered once the report is in the history (a `POST /run` then `/history` finds it there).
            let waiting: [Waiter] = state.withLock { s in
                s.counters.cycles += 1
                if historyFailed { s.counters.historyErrors += 1 }
                s.finished = s.started
                let done = s.waiters.filter { $0.value.cycle <= s.started }
                for id in done.keys { s.waiters[id] = nil }
                return Array(done.values)
            }
            for w in waiting { w.continuation.resume(returning: report) }
        }
        logger.debug("cycle done", metadata: ["summary": "\(report.summary.sentence)"])
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
        metric(
            "bkdiag_daemon_waiting_requests", "gauge", "Requests waiting for a run to finish (the first report, POST /run).",
            String(waiting))
        metric("bkdiag_daemon_interval_seconds", "gauge", "Seconds between runs.", String(interval))
        metric("bkdiag_daemon_history_reports", "gauge", "Reports kept in the history.", String(history.count))
        metric("bkdiag_daemon_history_bytes", "gauge", "Bytes the history takes on disk.", String(history.totalBytes))
        return out
    }
}
