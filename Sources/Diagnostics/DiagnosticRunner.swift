import Dispatch
import HostProbe
import Logging
import Report
import Synchronization

/// Runs the catalogue once and returns the report.
public struct DiagnosticRunner: Sendable {
    public var options: CheckOptions
    public var logger: Logger
    /// Where `/proc` is; only tests of parsers change it.
    var proc = "/proc"
    /// The daemon's previous progress sample (nil for a one-shot run, which takes two samples itself).
    public var progressBaseline: ProgressBaseline?
    /// The daemon's count of checks that have not returned, across its cycles (nil for a one-shot run, whose
    /// process ends with its report).
    public var unreturned: UnreturnedChecks?

    public init(
        options: CheckOptions, logger: Logger = Logger(label: "bkdiag"), progressBaseline: ProgressBaseline? = nil,
        unreturned: UnreturnedChecks? = nil
    ) {
        self.options = options
        self.logger = logger
        self.progressBaseline = progressBaseline
        self.unreturned = unreturned
    }

    /// One run: every selected check concurrently, each bounded by the global deadline. A check that
    /// does not finish in time is `unknown`; one check's failure never stops the others. Never throws,
    /// and never blocks a thread of the caller's executor while it waits.
    public func run() async -> DiagnosticReport {
        await withCheckedContinuation { (cont: CheckedContinuation<DiagnosticReport, Never>) in
            start { cont.resume(returning: $0) }
        }
    }

    /// The same as `run()`, waiting on the calling thread.
    public func runBlocking() -> DiagnosticReport {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<DiagnosticReport?>(nil)
        start { report in
            box.withLock { $0 = report }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    /// Starts every selected check on a thread of its own and calls `completion` exactly once: when all
    /// have finished, or at the deadline with the missing ones marked `unknown`.
    ///
    /// Threads of the run's own, not Dispatch's global queue: checks block, on the facts other checks are
    /// reading and on the host (a hung NFS path blocks forever). On Linux that pool adds about one thread a
    /// second past the core count, so blocked checks held back whatever else waited on it: the daemon's own
    /// timers (`Task.sleep` wakes through it), and in a test run every in-process timer of the other tests.
    private func start(_ completion: @escaping @Sendable (DiagnosticReport) -> Void) {
        let options = self.options
        let logger = self.logger
        let startedAt = Timestamp.nowMilliseconds()
        let t0 = Timestamp.monotonicSeconds()
        let facts = LiveHostFacts(options: options, proc: proc, progressBaseline: progressBaseline)
        let selected = catalogue.filter { options.runs($0.id.module) }
        let state = Mutex<(slots: [CheckResult?], left: Int, finished: Bool)>(
            (Array(repeating: nil, count: selected.count), selected.count, false))
        let allDone = DispatchSemaphore(value: 0)
        if selected.isEmpty { allDone.signal() }

        @Sendable func finish(timedOut: Bool) {
            let taken: [CheckResult?]? = state.withLock { s in
                if s.finished { return nil }
                s.finished = true
                return s.slots
            }
            guard let finished = taken else { return }
            let elapsed = (Timestamp.monotonicSeconds() - t0) * 1000
            var results: [CheckResult] = []
            for (index, check) in selected.enumerated() {
                if let r = finished[index] {
                    results.append(r)
                    continue
                }
                // Still running (a hung read of /proc or a slow NFS path): reported, not waited for.
                logger.warning("check timed out", metadata: ["check.item": "\(check.id.key)"])
                results.append(
                    CheckResult(
                        module: check.id.module.rawValue, item: check.id.item, verdict: .unknown,
                        message: "check did not finish within the \(options.deadlineSeconds)s deadline",
                        hint: "主机负载过高或文件系统无响应（如挂死的 NFS）；可用 --timeout 放宽时限后重试",
                        evidence: [("timed_out", .bool(true))], durationMs: elapsed))
            }
            if timedOut {
                logger.warning("run hit its deadline", metadata: ["deadline.s": "\(options.deadlineSeconds)"])
            } else {
                // The collector and agent judged running, looked at again now that the run is over (`EndOfRunRecheck`).
                // Not past the deadline: a new walk of /proc may hang where the checks did, and the report is due.
                for k in results.indices { results[k] = EndOfRunRecheck.recheck(results[k], facts: facts) }
            }
            completion(
                DiagnosticReport(
                    results: results, host: Self.identity(hostRoot: options.hostRoot), version: BuildInfo.version,
                    generatedAtMs: startedAt, durationMs: (Timestamp.monotonicSeconds() - t0) * 1000,
                    context: Finding.displayed(Self.context(facts, options))))
        }

        let unreturned = self.unreturned
        @Sendable func record(_ result: CheckResult, at index: Int) {
            let last = state.withLock { s in
                s.slots[index] = result
                s.left -= 1
                return s.left == 0
            }
            if last { allDone.signal() }
        }
        for (index, check) in selected.enumerated() {
            if let unreturned, !unreturned.take() {
                let waiting = unreturned.current
                logger.warning("check not started: too many earlier checks have not returned", metadata: ["check.item": "\(check.id.key)"])
                record(
                    CheckResult(
                        module: check.id.module.rawValue, item: check.id.item, verdict: .unknown,
                        message:
                            "not started: \(waiting) checks of this process's runs have started and not returned (blocked on reads of the host), the most it lets wait",
                        hint: "主机上有读取一直没有返回（如挂死的 NFS 挂载）：恢复该文件系统后重启 bkdiag 服务（systemctl restart bkdiag）",
                        evidence: [("unreturned_checks", .int(Int64(waiting))), ("limit", .int(Int64(unreturned.limit)))],
                        durationMs: 0),
                    at: index)
                continue
            }
            let run: @Sendable () -> Void = {
                let c0 = Timestamp.monotonicSeconds()
                let finding = check.run(facts).displayed
                let ms = (Timestamp.monotonicSeconds() - c0) * 1000
                let result = CheckResult(
                    module: check.id.module.rawValue, item: check.id.item, verdict: finding.verdict, message: finding.message,
                    hint: finding.hint, evidence: finding.evidence, durationMs: ms)
                unreturned?.give()
                record(result, at: index)
            }
            Self.onThread(run, logger: logger)
        }
        // The deadline: a thread that waits for the last check or the deadline, whichever comes first.
        let deadline = DispatchTime.now() + .milliseconds(Int(max(0.05, options.deadlineSeconds) * 1000))
        Self.onThread({ finish(timedOut: allDone.wait(timeout: deadline) == .timedOut) }, logger: logger)
    }

    /// `body` on a thread started for it; on Dispatch's global queue when the thread limit is reached
    /// (slower to start when the queue is busy, but the run goes on).
    private static func onThread(_ body: @escaping @Sendable () -> Void, logger: Logger) {
        do {
            try Sys.startThread(body)
        } catch {
            logger.warning("no thread for a check; running it on the shared queue", metadata: ["error": "\(error)"])
            DispatchQueue.global().async(execute: body)
        }
    }

    private static func context(_ facts: any HostFacts, _ options: CheckOptions) -> [(String, JSONValue)] {
        let layout = facts.layout
        var c: [(String, JSONValue)] = [
            ("gse_root", .string(layout.root)), ("gse_root_source", .string(layout.rootSource)),
            ("gse_generation", .string(layout.generation.rawValue)), ("generation_reason", .string(layout.generationReason)),
            ("ipc_socket", .string(layout.ipcPath)), ("ipc_socket_source", .string(layout.ipcSource)),
            ("data_port", .int(Int64(layout.dataPort))), ("data_port_source", .string(layout.dataPortSource)),
            ("subscription_id", .int(options.subscriptionID)),
        ]
        if layout.dataPorts.count > 1 { c.append(("data_ports", .array(layout.dataPorts.map { .int(Int64($0)) }))) }
        if let id = options.collectorConfigID { c.append(("collector_config_id", .int(id))) }
        if options.logPathsGiven { c.append(("log_paths", JSONValue(options.logPaths))) }
        if !layout.otherRoots.isEmpty { c.append(("other_gse_roots", JSONValue(layout.otherRoots))) }
        c.append(("deadline_s", .double(options.deadlineSeconds)))
        return c
    }

    static func identity(hostRoot: String) -> HostIdentity {
        let mid = (try? FileReader.read(PathText.onHost(hostRoot, "/etc/machine-id"), limit: 128).text.trimmingASCIIWhitespace()) ?? ""
        return HostIdentity(hostname: Sys.hostname(), machineID: mid, kernel: Sys.kernelRelease())
    }
}
