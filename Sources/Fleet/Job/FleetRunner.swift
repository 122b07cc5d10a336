import Foundation
import Logging
import Report
import Synchronization

/// Options of `bkdiag-fleet run`.
public struct RunOptions: Sendable {
    public var target: JobTarget
    /// The script text (sent base64-encoded).
    public var script: String
    /// 1 shell, 2 bat, 3 perl, 4 python, 5 powershell.
    public var scriptLanguage: Int = 1
    /// check.py's argument string (sent base64-encoded in `script_param`).
    public var scriptParam: String
    public var account: String = "root"
    /// JOB's own script timeout, seconds.
    public var scriptTimeout: Int = 600
    public var taskName: String = "检查采集项配置"
    /// Total time allowed for polling the job status, seconds.
    public var deadline: Double = 300
    /// First poll delay and its cap, seconds; the delay grows by half each time.
    public var initialPoll: Double = 2
    public var maxPoll: Double = 20
    /// Hosts per `batch_get_job_instance_ip_log` call (JOB's limit is 500).
    public var batchSize: Int = 500
    /// Log batches fetched at once.
    public var concurrency: Int = 4
    /// Extra tries of a failed log batch.
    public var retries: Int = 2
    /// Where raw answers are written (status.json, logs-0001.json ...), so `parse` can read them again.
    public var saveAnswers: String?

    public init(target: JobTarget, script: String, scriptParam: String) {
        self.target = target
        self.script = script
        self.scriptParam = scriptParam
    }
}

/// The first value set, shared by the tasks of a run.
final class SharedFirst: Sendable {
    private let value = Mutex<String?>(nil)
    func withLock<R>(_ body: (inout String?) -> R) -> R { value.withLock { body(&$0) } }
}

/// Drives one check through JOB: execute, poll with backoff to a deadline, fetch logs in bounded batches.
/// Whatever fails is reported per step and host; what was fetched is kept.
public struct FleetRunner: Sendable {
    public let client: JobClient
    public let options: RunOptions
    let logger: Logger
    /// The first answer `--save-answers` could not keep.
    let saveFailure = SharedFirst()

    public init(client: JobClient, options: RunOptions, logger: Logger) {
        self.client = client
        self.options = options
        self.logger = logger
    }

    public func run() async -> FleetReport {
        saveFailure.withLock { $0 = nil }
        var asm = FleetAssembler()

        // 1. Execute.
        let body = JSONValue.object(
            client.scopeMembers + [
                ("bk_username", .string(client.config.username)),
                ("account_alias", .string(options.account)),
                ("script_language", .int(Int64(options.scriptLanguage))),
                ("script_content", .string(Data(options.script.utf8).base64EncodedString())),
                ("script_param", .string(Data(options.scriptParam.utf8).base64EncodedString())),
                ("timeout", .int(Int64(options.scriptTimeout))),
                ("task_name", .string(options.taskName)),
                ("target_server", options.target.json),
            ])
        let jobID: Int64
        do throws(FleetError) {
            let answer = try await client.fastExecuteScript(body)
            save("execute.json", answer.text)
            guard let id = answer.data["job_instance_id"]?.intValue else {
                throw FleetError("job.shape", "fast_execute_script answered without data.job_instance_id")
            }
            jobID = id
            asm.jobInstanceID = id
            asm.stepInstanceID = answer.data["step_instance_id"]?.intValue
            logger.info("job started", metadata: ["job.instance": "\(id)"])
        } catch {
            asm.executeFailure = (error.refusal, error.message)
            return finish(&asm)
        }

        // 2. Poll with backoff until finished or the deadline, which counts from the job's start: a slow
        // fast_execute_script answer (bounded by --request-timeout) leaves the polling its whole time.
        let started = Date()
        var status: JobStatusAnswer?
        var delay = options.initialPoll
        var attempt = 0
        var errors: [String: Int] = [:]
        var errorOrder: [String] = []
        // The last poll leaves a request this long before the deadline (less when the timeout is shorter), so
        // that polling goes on to the deadline and its last answer still has time to come.
        let window = min(1, client.requestTimeout)
        while true {
            let remaining = options.deadline - Date().timeIntervalSince(started)
            if attempt > 0 && remaining <= window { break }
            try? await client.sleep(seconds: max(0, min(delay, remaining - window)))
            attempt += 1
            asm.preamble.append(AgentInfo(.info, "[获取作业执行状态] 作业: \(jobID), 执行次数: \(attempt)"))
            asm.pollsRecorded = true
            // The deadline bounds the request in flight too, not only the waits between requests.
            let left = options.deadline - Date().timeIntervalSince(started)
            do throws(FleetError) {
                let answer = try await client.jobInstanceStatus(jobInstanceID: jobID, timeout: max(0.001, left))
                let parsed = try JobAnswer.parseStatus(answer.data, source: "get_job_instance_status")
                status = parsed
                // The latest answer is kept, finished or not: `parse` then sees what the run saw last.
                save("status.json", answer.text)
                if parsed.finished { break }
            } catch {
                if errors[error.message] == nil { errorOrder.append(error.message) }
                errors[error.message, default: 0] += 1
                // As a `result: false` answer given to `parse`: with no status read, it is the job-level failure.
                // A last request cut short by the run's own deadline does not hide what JOB answered before it.
                let cut = error.code == "job.timeout" && left < client.requestTimeout
                if !(cut && asm.hasStatusFailure) {
                    asm.addStatusFailure(error.refusal ?? JobRefusal(code: nil, message: error.message))
                }
            }
            delay = min(delay * 1.5, options.maxPoll)
            if Date().timeIntervalSince(started) >= options.deadline { break }
        }
        for e in errorOrder {
            asm.addIssue(FleetIssue(.warning, step: "get_job_instance_status", e + (errors[e]! > 1 ? " (\(errors[e]!) times)" : "")))
        }
        guard let status else {
            if errorOrder.isEmpty {
                asm.addStatusFailure(
                    JobRefusal(code: nil, message: "no status of job \(jobID) could be read within \(Int(options.deadline)) s"))
            }
            return finish(&asm)
        }
        if !status.finished {
            asm.addIssue(
                FleetIssue(
                    .error, step: "get_job_instance_status",
                    "job \(jobID) had not finished after \(Int(options.deadline)) s (\(attempt) polls); logs of the finished hosts are fetched"
                ))
        }
        asm.add(.status(status), source: "get_job_instance_status")

        // 3. Logs, in batches, a few at a time.
        let hosts = status.step(asm.stepInstanceID)?.hosts ?? []
        let stepID = asm.stepInstanceID ?? status.step(nil)?.stepInstanceID
        asm.stepInstanceID = stepID
        let wanted = hosts.filter { $0.status == JobStatusLabels.hostSuccess || status.finished }
        let batches = stride(from: 0, to: wanted.count, by: max(1, options.batchSize)).map {
            Array(wanted[$0..<min($0 + max(1, options.batchSize), wanted.count)])
        }
        let results = await withTaskGroup(of: (Int, Result<DecodedLogPage, FleetError>).self) { group in
            var out: [(Int, Result<DecodedLogPage, FleetError>)] = []
            var next = 0
            func launch(_ i: Int) {
                group.addTask { (i, await fetchBatch(batches[i], index: i, jobID: jobID, stepID: stepID)) }
            }
            while next < batches.count && next < max(1, options.concurrency) {
                launch(next)
                next += 1
            }
            while let r = await group.next() {
                out.append(r)
                if next < batches.count {
                    launch(next)
                    next += 1
                }
            }
            return out.sorted { $0.0 < $1.0 }
        }
        for (i, r) in results {
            switch r {
            case .success(let page):
                asm.add(page)
            case .failure(let e):
                let keys = batches[i].map(\.key)
                asm.markFetchFailed(keys, error: e.message)
                asm.addIssue(
                    FleetIssue(
                        .error, step: "batch_get_job_instance_ip_log",
                        "batch \(i + 1) of \(batches.count) (\(keys.count) hosts) failed: \(e.message)", hosts: keys))
            }
        }
        return finish(&asm)
    }

    /// The report, with an issue when an answer could not be kept.
    func finish(_ asm: inout FleetAssembler) -> FleetReport {
        if let why = saveFailure.withLock({ $0 }) { asm.addIssue(FleetIssue(.warning, step: "save-answers", why)) }
        return asm.finish(source: "run")
    }

    /// One log batch with retries; the page is read into reports at once so the text can go.
    func fetchBatch(_ hosts: [JobHostStatus], index: Int, jobID: Int64, stepID: Int64?) async -> Result<DecodedLogPage, FleetError> {
        let byID = hosts.allSatisfy { $0.hostID != nil }
        var members = client.scopeMembers + [("job_instance_id", JSONValue.int(jobID))]
        if let stepID { members.append(("step_instance_id", .int(stepID))) }
        if byID {
            members.append(("host_id_list", .array(hosts.map { .int($0.hostID!) })))
        } else {
            // JOB matches an ip_list entry by its bk_host_id when it has one, else by bk_cloud_id and ip; it
            // reads no `ipv6` there. So every host that has an id is named by it (IPv6 ones included).
            members.append(
                (
                    "ip_list",
                    .array(
                        hosts.map { h in
                            var o: [(String, JSONValue)] = [("bk_cloud_id", .int(h.cloudID)), ("ip", .string(h.ip))]
                            if let id = h.hostID { o.append(("bk_host_id", .int(id))) }
                            return .object(o)
                        })
                ))
        }
        var lastError = FleetError("job.batch", "not tried")
        for attempt in 0...max(0, options.retries) {
            if attempt > 0 { try? await client.sleep(seconds: 0.25 * Double(1 << attempt)) }
            do throws(FleetError) {
                let answer = try await client.batchIPLog(.object(members))
                let page = try JobAnswer.parseLogs(answer.data, source: "batch_get_job_instance_ip_log")
                save(String(format: "logs-%04d.json", index + 1), answer.text)
                return .success(DecodedLogPage.decode(page, parallel: false))
            } catch {
                lastError = error
                logger.warning("log batch failed", metadata: ["job.batch": "\(index + 1)", "job.error": "\(error.code)"])
                if !JobClient.retryable(error) { break }
            }
        }
        return .failure(lastError)
    }

    /// Keeps a raw answer under `--save-answers`; the first that cannot be kept is remembered for an issue.
    func save(_ name: String, _ text: String) {
        guard let dir = options.saveAnswers else { return }
        let path = dir + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            saveFailure.withLock { first in
                if first == nil {
                    first = "cannot keep \(path) (\(error.localizedDescription)): `parse` cannot replay this run; check --save-answers"
                }
            }
        }
    }
}
