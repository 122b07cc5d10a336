import HostProbe
import Report

/// Which of a check's processes run. A process stopped by a signal or a debugger (state T/t) holds
/// its files and sockets but does nothing; a zombie (Z) has exited. Neither is running. A process
/// in uninterruptible sleep (D) on two samples is stuck in the kernel (a hung disk or NFS mount).
struct ProcessStates {
    var running: [ProcessRecord] = []
    var stopped: [ProcessRecord] = []
    var zombies: [ProcessRecord] = []

    /// How far apart the two samples of a D-state process are.
    static let stuckSampleMs = 100

    /// The roles of the running processes: their comms. GSE 1 runs one binary, gse_agent, as gseMaster and
    /// agentWorker.
    var roles: Set<String> { Set(running.map(\.comm)) }

    /// On GSE 1, a gseMaster running without its agentWorker, the worker that carries the data channel (the
    /// IPC listener and the dataserver connection): gse_agent/process fails it, and the data hops are the agent's.
    func gse1WorkerMissing(_ generation: GSEGeneration) -> Bool {
        let roles = roles
        return generation == .gse1 && roles.contains("gseMaster") && !roles.contains("agentWorker")
    }

    /// When `gse1WorkerMissing`: the agentWorkers that are there but stopped (state T/t), as gse_agent/process
    /// names a stopped process (`pid 12 is stopped (state T: SIGSTOP/SIGTSTP)`); nil when no worker is there at
    /// all (or only a zombie of one): then it is not running.
    func gse1StoppedWorker(_ generation: GSEGeneration) -> String? {
        let workers = gse1StoppedWorkers(generation)
        return workers.isEmpty ? nil : workers.map(\.stateSummary).joined(separator: "; ")
    }

    /// The agentWorkers that are there but stopped, when `gse1WorkerMissing`; empty otherwise.
    func gse1StoppedWorkers(_ generation: GSEGeneration) -> [ProcessRecord] {
        gse1WorkerMissing(generation) ? stopped.filter { $0.comm == "agentWorker" } : []
    }

    /// Every agent process's pid when all of them are stopped and none runs (GSE 2's gse_agent, GSE 1's gseMaster
    /// and agentWorker both); empty otherwise.
    var allStoppedPIDs: [Int32] { running.isEmpty ? stopped.map(\.pid) : [] }

    /// What became of a missing GSE 1 worker, after "gse_agent's agentWorker ": `is stopped: pid 12 is stopped
    /// (state T: SIGSTOP/SIGTSTP), beside gseMaster` for a stopped worker (`stopped`, from `gse1StoppedWorker`),
    /// else `is not running (gseMaster alone)`; `aside` goes inside the parentheses.
    static func gse1WorkerWords(stopped: String?, aside: String = "") -> String {
        guard let stopped else { return "is not running (gseMaster alone\(aside))" }
        return "is stopped: \(stopped) (beside gseMaster\(aside))"
    }

    /// The pids a hint's `kill -CONT` resumes, every stopped one (`12 13`): resuming only the first leaves the others
    /// stopped.
    static func continueList(_ pids: [Int32]) -> String { pids.map(String.init).joined(separator: " ") }

    /// The hint for a missing GSE 1 worker: resume a stopped one (as gse_agent/process says for any stopped
    /// process), else restart the agent; `tail` follows either.
    static func gse1WorkerHint(stoppedPIDs: [Int32], restart: String, tail: String) -> String {
        guard !stoppedPIDs.isEmpty else { return "GSE 1 的工作进程 agentWorker 不在\(tail)：重启 Agent（\(restart)），见 gse_agent/process" }
        return
            "GSE 1 的工作进程 agentWorker 被暂停（SIGSTOP/调试器附加）\(tail)：kill -CONT \(continueList(stoppedPIDs)) 或结束调试器，或重启 Agent（\(restart)），见 gse_agent/process"
    }

    /// The stopped agent processes that should be reading the IPC socket: every agent process when none runs
    /// (GSE 2's gse_agent, or GSE 1's both), else GSE 1's stopped agentWorkers beside gseMaster, or GSE 2's stopped
    /// workers when every agent that runs is the watchdog of one of them (a watchdog reads no IPC); empty otherwise.
    func stoppedIPCReaders(_ generation: GSEGeneration) -> [Int32] {
        if running.isEmpty { return allStoppedPIDs }
        if generation == .gse1 { return gse1StoppedWorkerPIDs(generation) }
        let watchdogs = running.filter { r in stopped.contains { $0.stat?.ppid == r.pid } }
        return !watchdogs.isEmpty && watchdogs.count == running.count ? stopped.map(\.pid) : []
    }

    /// The pids of the stopped agentWorkers when `gse1WorkerMissing`.
    func gse1StoppedWorkerPIDs(_ generation: GSEGeneration) -> [Int32] { gse1StoppedWorkers(generation).map(\.pid) }

    init(_ processes: [ProcessRecord]) {
        for p in processes {
            if p.isZombie { zombies.append(p) } else if p.isStopped { stopped.append(p) } else { running.append(p) }
        }
    }

    /// The fail for `name` when its processes exist but none runs, or one of them is stopped; nil
    /// otherwise. A zombie beside a running process is the agent's unreaped leftover, not a finding.
    func notRunning(_ name: String, evidence: [(String, JSONValue)]) -> Finding? {
        let halted = stopped + (running.isEmpty ? zombies : [])
        guard !halted.isEmpty else { return nil }
        let summary = halted.map(\.stateSummary).joined(separator: "; ")
        let evidence =
            evidence + [
                (
                    "not_running",
                    .array(
                        halted.map { p in
                            .object([("pid", .int(Int64(p.pid))), ("state", .string(p.stat.map { String($0.state) } ?? "?"))])
                        })
                )
            ]
        let message =
            running.isEmpty
            ? "\(name) is not running: \(summary)"
            : "\(name) \(summary) (running beside it: pids \(running.map { String($0.pid) }.joined(separator: ",")))"
        let hint =
            stopped.isEmpty
            ? "进程已退出但未被父进程回收（僵尸进程）：在节点管理中重启；父进程 \(halted[0].stat?.ppid ?? 0) 长期不回收子进程说明它也异常"
            : "进程被暂停（SIGSTOP/调试器附加），不再工作：kill -CONT \(Self.continueList(stopped.map(\.pid))) 或结束调试器，或在节点管理中重启"
        return .fail(message, hint: hint, evidence: evidence)
    }

    /// The running processes in state D now and still `stuckSampleMs` later (same process, same start). One
    /// started a second ago or less is not judged: a copy caught between fork and exec, or loading its binary on
    /// a busy host, sleeps in D briefly.
    func stuck(_ facts: any HostFacts) -> [ProcessRecord] {
        let inD = running.filter { p in p.stat?.state == "D" && facts.hasLasted(p) }
        guard !inD.isEmpty else { return [] }
        Sys.sleep(seconds: Double(Self.stuckSampleMs) / 1000)
        return inD.filter { p in
            guard let again = facts.currentStat(of: p.pid) else { return false }
            return again.state == "D" && again.startTimeTicks == p.stat?.startTimeTicks
        }
    }

    /// The warn for processes stuck in D, nil when none is.
    func stuckWarning(_ name: String, facts: any HostFacts, evidence: [(String, JSONValue)], detail: String = "") -> Finding? {
        let stuck = stuck(facts)
        guard !stuck.isEmpty else { return nil }
        let pids = stuck.map { String($0.pid) }.joined(separator: ",")
        return .warn(
            "\(name) pid \(pids) is in uninterruptible sleep (state D) on two samples \(Self.stuckSampleMs)ms apart" + detail,
            hint: "进程卡在内核中（常见于磁盘或 NFS 挂载无响应）：检查采集路径所在的存储与 dmesg",
            evidence: evidence + [("stuck_in_d", .array(stuck.map { .int(Int64($0.pid)) }))])
    }
}
