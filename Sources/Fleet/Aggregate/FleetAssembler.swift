import Dispatch
import Report

/// Collects JOB answers (status, log pages, GSE state) in any order and joins them into a `FleetReport`.
///
/// Joining follows AgentChecker: hosts come from `step_ip_result_list` in order (a repeated host keeps its
/// first place and its last state), logs are matched by `"{bk_cloud_id}:{ip}"` (then by host id), the last
/// log of a host wins.
public struct FleetAssembler: Sendable {
    /// The step to read from the status answer; the first step listing hosts when nil (and no answer named
    /// a step that none can be, `stepMatchesNone`).
    public var stepInstanceID: Int64?
    /// The step that ran was named by a value equal to no integer (`"75"`): no step of the status answer is it.
    public var stepMatchesNone = false
    public var jobInstanceID: Int64?
    public private(set) var issues: [FleetIssue] = []
    /// Lines the run itself adds to the platform's record (`run` adds its polling lines).
    public var preamble: [AgentInfo] = []
    /// Whether `preamble` holds the status polls as they happened (`run`); otherwise (`parse` of saved
    /// answers) `finish` writes the polls AgentChecker would have made for the answers given.
    public var pollsRecorded = false

    var status: JobStatusAnswer?
    var statusAnswers = 0
    /// One slot per host key in first-seen order; a repeated key's slot holds its last log.
    var logs: [DecodedLog] = []
    var logSlot = HostKeyIndex()
    /// `(host id, slot)` of every log added that has a host id, in the order added: the host-id index
    /// is made from it only when some status host's key matches no log (rarely: normally every key does).
    var hostIDSlots: [(id: Int64, slot: Int)] = []
    var logEntries = 0
    var duplicateLogs = 0
    var gse: [String: AgentState] = [:]
    var fetchFailed: [String: String] = [:]
    /// `result: false` answers, in order (JOB's code and message).
    var failures: [JobRefusal] = []
    /// `fast_execute_script` failed (`run`): no job ran. JOB's refusal when it refused, else the error.
    public var executeFailure: (refusal: JobRefusal?, message: String)?
    /// The URL path of `get_job_instance_status` that the platform's API error names (its ESB default).
    public var statusAPIPath = "/api/c/compapi/v2/jobv3/get_job_instance_status/"
    public var executeAPIPath = "/api/c/compapi/v2/jobv3/fast_execute_script/"
    /// AgentChecker polls the status 5 times, 20 s apart, then gives up.
    static let platformPolls = 5
    static let platformPollSeconds = platformPolls * 20

    public init(stepInstanceID: Int64? = nil, jobInstanceID: Int64? = nil) {
        self.stepInstanceID = stepInstanceID
        self.jobInstanceID = jobInstanceID
    }

    public mutating func addIssue(_ issue: FleetIssue) { issues.append(issue) }

    /// Adds one recognised answer. Log pages should be added with `add(_: DecodedLogPage)` instead to
    /// keep memory flat; a raw page is decoded here.
    public mutating func add(_ answer: JobAnswer, source: String) {
        switch answer {
        case .status(let s):
            statusAnswers += 1
            status = s
            if jobInstanceID == nil { jobInstanceID = s.jobInstanceID }
        case .logs(let page):
            add(DecodedLogPage.decode(page, parallel: false))
        case .execute(let e):
            jobInstanceID = jobInstanceID ?? e.jobInstanceID
            if stepInstanceID == nil && !stepMatchesNone {
                stepInstanceID = e.stepInstanceID
                stepMatchesNone = e.stepIDMatchesNoStep
            }
        case .gse(let records):
            for r in records {
                if let k = r.hostKey { gse[k] = r.state } else if let id = r.agentID { gse["agent:" + id] = r.state }
            }
        case .failure(let code, let message, let codeText):
            failures.append(JobRefusal(code: code, message: message, codeText: codeText))
            issues.append(
                FleetIssue(.error, step: source, "JOB answered result=false (code \(code.map(String.init) ?? "none")): \(message)"))
        }
    }

    /// A status request that failed (`run`, which reports the failures itself): with no status read, the
    /// last one is the job-level failure, as a `result: false` answer's is.
    public mutating func addStatusFailure(_ refusal: JobRefusal) {
        failures.append(refusal)
    }

    /// Whether a status failure was recorded.
    public var hasStatusFailure: Bool { !failures.isEmpty }

    /// Makes room for this many host logs in all (a hint: adding more still works).
    public mutating func reserveLogs(_ count: Int) {
        logs.reserveCapacity(count)
        logSlot.reserve(count)
        hostIDSlots.reserveCapacity(count)
    }

    /// Adds a decoded log page. Its hosts are moved, not copied, when the caller hands over the only
    /// reference to the page (copying 100,000 logs touches every one of their strings and arrays).
    public mutating func add(_ page: consuming DecodedLogPage) {
        if jobInstanceID == nil { jobInstanceID = page.jobInstanceID }
        if stepInstanceID == nil && !stepMatchesNone {
            stepInstanceID = page.stepInstanceID
            stepMatchesNone = page.stepIDMatchesNoStep
        }
        var pageLogs: [DecodedLog] = []
        swap(&pageLogs, &page.logs)
        // Each log is moved out and an empty one made in its place (a shared array is copied first). An empty
        // log holds only empty strings and lists, which count no references: nothing is copied or released.
        pageLogs.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for i in buf.indices {
                let log = (base + i).move()
                (base + i).initialize(to: DecodedLog.empty)
                add(log)
            }
        }
    }

    mutating func add(_ log: consuming DecodedLog) {
        logEntries += 1
        let slot: Int
        let key = log.key
        let hostID = log.hostID
        let hash = log.keyHash
        if let old = logSlot.find(key, hash: hash, keyOf: { logs[$0].key }) {
            logs[old] = consume log
            slot = old
            duplicateLogs += 1
        } else {
            slot = logs.count
            logSlot.insert(hash: hash, slot: slot)
            logs.append(consume log)
        }
        if let id = hostID { hostIDSlots.append((id, slot)) }
    }

    /// Marks hosts whose log batch could not be fetched.
    public mutating func markFetchFailed(_ keys: [String], error: String) {
        for k in keys { fetchFailed[k] = error }
    }

    /// Joins everything into per-host results.
    public func finish(source: String, generatedAtMs: Int64 = Timestamp.nowMilliseconds()) -> FleetReport {
        var issues = self.issues
        var preamble = self.preamble
        let jobID = jobInstanceID ?? 0
        let step = status?.step(stepInstanceID)
        let finished = status?.finished ?? false
        if statusAnswers > 1 {
            issues.append(FleetIssue(.info, step: "get_job_instance_status", "\(statusAnswers) status answers given; the last one is used"))
        }
        let failure = jobFailure(jobID: jobID)
        // AgentChecker writes one line per status poll before asking: a finished answer ends the polling
        // at the first; an unfinished one, or an API error (`result: false`), is asked all 5 times.
        if !pollsRecorded, status != nil || !failures.isEmpty {
            let polls = status?.finished == true ? 1 : Self.platformPolls
            preamble.insert(
                contentsOf: (1...polls).map { AgentInfo(.info, "[获取作业执行状态] 作业: \(jobID), 执行次数: \($0)") }, at: 0)
        }
        if let failure {
            issues.append(
                FleetIssue(.error, step: executeFailure != nil ? "fast_execute_script" : "get_job_instance_status", failure.summary))
        } else if status == nil {
            issues.append(
                FleetIssue(
                    .warning, step: "get_job_instance_status", "no get_job_instance_status answer: hosts are judged by their output alone"))
            preamble.append(AgentInfo(.warning, "[bkdiag-fleet] no get_job_instance_status answer: hosts are judged by their output alone"))
        }
        if duplicateLogs > 0 {
            issues.append(
                FleetIssue(
                    .info, step: "batch_get_job_instance_ip_log", "\(duplicateLogs) host logs appeared more than once; the last one is used"
                ))
        }

        // Each status row's key and the slot of its log by that key, found in parallel (the logs and their
        // index are only read here). Rows are read in place: a copy of each row retained and released its strings.
        let stepHosts = step?.hosts ?? []
        let rowCount = stepHosts.count
        var t = Timing.now()
        let chunk = 2048
        var rowKeys = [String](repeating: "", count: rowCount)
        var rowSlots = [Int](repeating: -1, count: rowCount)
        rowKeys.withUnsafeMutableBufferPointer { keysBuf in
            rowSlots.withUnsafeMutableBufferPointer { slotsBuf in
                // Each iteration writes a disjoint range of both; everything else is only read.
                nonisolated(unsafe) let keys = keysBuf
                nonisolated(unsafe) let slots = slotsBuf
                stepHosts.withUnsafeBufferPointer { rowsBuf in
                    nonisolated(unsafe) let rows = rowsBuf
                    logs.withUnsafeBufferPointer { logsBuf in
                        nonisolated(unsafe) let logs = logsBuf
                        DispatchQueue.concurrentPerform(iterations: (rowCount + chunk - 1) / chunk) { c in
                            // Logs mostly come in the rows' order: the slot after the previous row's is tried
                            // first. A slot holds the one log of its key, so a key equal to its log's is found.
                            var next = c * chunk
                            for i in (c * chunk)..<min(rowCount, (c + 1) * chunk) {
                                // Through the pointer: `rows[i]` copied the row (retaining its strings) to read its key.
                                let key = JobHostStatus.key(at: rows.baseAddress! + i)
                                let slot =
                                    next < logs.count && logs[next].key == key
                                    ? next : logSlot.find(key, hash: key.hashValue, keyOf: { logs[$0].key }) ?? -1
                                slots[i] = slot
                                keys[i] = key
                                next = slot + 1
                            }
                        }
                    }
                }
            }
        }
        // Hosts in AgentChecker's order: first place, last state. `firstRow[n]` is the row that gave place n
        // its key, `stateOf[n]` the row whose state it takes. A key with a log is told by its log's slot (one
        // slot per key), so only keys without a log are hashed again.
        var firstRow: [Int] = []
        var stateOf: [Int] = []
        firstRow.reserveCapacity(rowCount)
        stateOf.reserveCapacity(rowCount)
        var placeOfSlot = [Int](repeating: -1, count: logs.count)
        var placeOfKey: [String: Int] = [:]
        // Sized once: when JOB returned no log for most hosts, every row is hashed here.
        placeOfKey.reserveCapacity(rowSlots.reduce(0) { $1 < 0 ? $0 + 1 : $0 })
        for i in 0..<rowCount {
            let s = rowSlots[i]
            let known = s >= 0 ? placeOfSlot[s] : placeOfKey[rowKeys[i]] ?? -1
            if known >= 0 {
                stateOf[known] = i
                continue
            }
            if s >= 0 { placeOfSlot[s] = firstRow.count } else { placeOfKey[rowKeys[i]] = firstRow.count }
            firstRow.append(i)
            stateOf.append(i)
        }
        placeOfSlot = []
        placeOfKey = [:]
        let statusCount = stepHosts.count
        if failure == nil && status != nil && statusCount > 0 {
            if logEntries == 0 {
                preamble.append(AgentInfo(.warning, "[获取作业执行结果] 作业: \(jobID), 数据不完整"))
                preamble.append(AgentInfo(.error, "[获取作业执行结果] 作业: \(jobID), 数据为空"))
            } else if logEntries != statusCount {
                preamble.append(AgentInfo(.warning, "[获取作业执行结果] 作业: \(jobID), 数据不完整"))
            }
        }
        Timing.add("finish: order", since: t)

        t = Timing.now()
        // Joining is per host and independent: done in parallel chunks, written in place, in order.
        let places = firstRow.count
        let keys = rowKeys
        let slotOf = rowSlots
        let rows = stateOf
        let first = firstRow
        var hosts = [HostResult](unsafeUninitializedCapacity: places) { buf, count in
            // Each iteration initialises a disjoint range of slots; everything else is only read.
            nonisolated(unsafe) let out = buf
            stepHosts.withUnsafeBufferPointer { rowsBuf in
                nonisolated(unsafe) let stepHosts = rowsBuf
                DispatchQueue.concurrentPerform(iterations: (places + chunk - 1) / chunk) { c in
                    for n in (c * chunk)..<min(places, (c + 1) * chunk) {
                        let r = rows[n]
                        let s = slotOf[r]
                        out.initializeElement(at: n, to: join(keys[first[n]], stepHosts.baseAddress! + r, slot: s >= 0 ? s : nil))
                    }
                }
            }
            count = places
        }
        // Status hosts whose key matched no log are matched by host id (the last log added with that id).
        var used = [Bool](repeating: false, count: logs.count)
        if !hostIDSlots.isEmpty, slotOf.contains(where: { $0 < 0 }) {
            var byID: [Int64: Int]?
            for n in 0..<places where slotOf[rows[n]] < 0 {
                guard let id = stepHosts[rows[n]].hostID else { continue }
                if byID == nil { byID = Dictionary(hostIDSlots.map { ($0.id, $0.slot) }, uniquingKeysWith: { $1 }) }
                // A host whose id matched no log either keeps what the pass above made of it.
                guard let m = byID?[id] else { continue }
                used[m] = true
                hosts[n] = stepHosts.withUnsafeBufferPointer { join(keys[first[n]], $0.baseAddress! + rows[n], slot: m, byHostID: true) }
            }
        }
        Timing.add("finish: join (parallel)", since: t)
        t = Timing.now()
        var missing: [String] = []
        hosts.withUnsafeBufferPointer { hosts in
            for n in 0..<places {
                if slotOf[rows[n]] >= 0 { used[slotOf[rows[n]]] = true }
                if hosts[n].state == .missingLog { missing.append(hosts[n].key) }
            }
        }
        if !missing.isEmpty && logEntries > 0 {
            issues.append(
                FleetIssue(
                    .warning, step: "batch_get_job_instance_ip_log", "\(missing.count) of \(places) hosts are missing from the logs",
                    hosts: missing))
        }
        var extra: [String] = []
        let unused = logs.indices.filter { !used[$0] }.sorted { logs[$0].key < logs[$1].key }
        for slot in unused {
            let l = logs[slot]
            let key = l.key
            extra.append(key)
            hosts.append(
                HostResult(
                    key: key, hostID: l.hostID, cloudID: l.cloudID, ip: l.ip, jobStatus: nil, reports: l.reports, lines: l.lines,
                    state: HostResult.judge(jobStatus: nil, hadLog: true, fetchFailed: false, reports: l.reports, lines: l.lines),
                    agent: agentState(key: key)))
        }
        if !extra.isEmpty && status != nil {
            issues.append(
                FleetIssue(
                    .warning, step: "batch_get_job_instance_ip_log",
                    "\(extra.count) hosts have logs but are not in the status answer (AgentChecker ignores them)", hosts: extra))
        }
        Timing.add("finish: collect", since: t)
        var report = FleetReport(
            generatedAtMs: generatedAtMs, source: source, jobInstanceID: jobInstanceID, stepInstanceID: stepInstanceID,
            finished: finished, hosts: hosts, issues: issues, preamble: preamble, gseGiven: !gse.isEmpty, jobFailure: failure)
        report.statusMissing = status == nil && failure == nil
        return report
    }

    /// bk-log's ApiResultError text: "[<JOB's code, else its own 3600002>] [<module>-API]<message> path => <path>".
    static func apiError(code: String?, message: String, path: String) -> String {
        "[\(code ?? "3600002")] [JOB作业平台-API]\(message) path => \(path)"
    }

    /// What AgentChecker's status step ends with when it yields no host list: the API error of a
    /// `result: false` answer, an empty step list, or (no host under the step that ran, or not finished)
    /// its timeout line. Nil when it gets hosts, or when no status answer was given at all.
    func jobFailure(jobID: Int64) -> JobFailure? {
        if let (refusal, message) = executeFailure {
            // AgentChecker's `[快速执行脚本], 报错为: {e}`, e being bk-log's API error for a refusal.
            let text = refusal.map { Self.apiError(code: $0.codeText, message: $0.message, path: executeAPIPath) }
            return JobFailure(
                line: AgentInfo(.error, "[快速执行脚本], 报错为: \(text ?? message)"),
                summary: "JOB failed before any host verdict: fast_execute_script failed, no job ran: \(message)")
        }
        guard let status else {
            guard let f = failures.last else { return nil }
            return JobFailure(
                line: AgentInfo(
                    .error, "[获取作业执行状态] 作业: \(jobID)] 报错为: " + Self.apiError(code: f.codeText, message: f.message, path: statusAPIPath)),
                summary: "JOB failed before any host verdict: "
                    + (f.code.map { "get_job_instance_status answered result=false (code \($0)): " } ?? "get_job_instance_status failed: ")
                    + f.message
            )
        }
        let timeout = AgentInfo(.error, "[获取作业执行状态] 作业: \(jobID), 超时: \(Self.platformPollSeconds)s")
        if !status.finished {
            return JobFailure(
                line: timeout,
                summary:
                    "JOB failed before any host verdict: job \(jobID) had not finished when its status was taken (the platform gives up after \(Self.platformPollSeconds) s); the host states below are JOB's at that time"
            )
        }
        if status.steps.isEmpty {
            return JobFailure(
                line: AgentInfo(.error, "[获取作业执行状态] 作业: \(jobID), 执行状态为空"),
                summary: "JOB failed before any host verdict: the status of job \(jobID) lists no step")
        }
        // The platform keeps the host list of the step whose id is the one it ran (the last such step).
        let hosts: [JobHostStatus]
        if let id = stepInstanceID {
            hosts = status.steps.last(where: { $0.stepInstanceID == id })?.hosts ?? []
        } else if stepMatchesNone {
            hosts = []
        } else {
            hosts = status.step(nil)?.hosts ?? []
        }
        if hosts.isEmpty {
            let which =
                stepInstanceID.map { id in
                    status.steps.contains { $0.stepInstanceID == id } ? "step \(id) lists no host" : "no step has id \(id)"
                } ?? (stepMatchesNone ? "no step has the id the answers name" : "no step lists a host")
            return JobFailure(
                line: timeout,
                summary:
                    "JOB failed before any host verdict: in the status of job \(jobID), \(which) (the platform waits out its \(Self.platformPollSeconds) s and reports a timeout)"
            )
        }
        return nil
    }

    func agentState(key: String) -> AgentState { gse.isEmpty ? .unknown : gse[key] ?? .unknown }

    /// One status host joined with the log in `slot` (none when nil), which was matched by host id when
    /// `byHostID`. Returned alone, not in a tuple: taking a host out of a tuple copied it (retaining every
    /// string and list it holds) and destroyed the tuple's, per host.
    func join(_ key: String, _ h: UnsafePointer<JobHostStatus>, slot: Int?, byHostID: Bool = false) -> HostResult {
        // The log's two lists only, read through the pointer (copying the whole log would retain and release
        // its strings too; so would taking the row out of its list).
        var reports: [DiagnosticReport] = []
        var lines: [HostLine] = []
        if let slot {
            logs.withUnsafeBufferPointer { logs in
                reports = (logs.baseAddress! + slot).pointee.reports
                lines = (logs.baseAddress! + slot).pointee.lines
            }
        }
        let fetchError = fetchFailed.isEmpty ? nil : fetchFailed[key]
        let state = HostResult.judge(
            jobStatus: h.pointee.status, hadLog: slot != nil, fetchFailed: fetchError != nil, reports: reports, lines: lines)
        return HostResult(
            key: key, hostID: h.pointee.hostID, cloudID: h.pointee.cloudID, ip: h.pointee.ip, jobStatus: h.pointee.status,
            errorCode: h.pointee.errorCode, exitCode: h.pointee.exitCode, reports: reports, lines: lines, state: state,
            fetchError: fetchError, agent: agentState(key: key), jobStatusText: h.pointee.statusText, logByHostID: byHostID)
    }
}
