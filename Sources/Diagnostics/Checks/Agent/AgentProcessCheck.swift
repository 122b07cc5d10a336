import HostProbe
import Report

/// gse_agent/process: the agent runs from this root (GSE 1 gseMaster/agentWorker, GSE 2 gse_agent),
/// found by exe. A GSE 2 agent may listen on nothing, so it is not judged by LISTEN sockets.
struct AgentProcessCheck: Check {
    let id = CheckID.agentProcess

    func run(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        let found: (under: [ProcessRecord], elsewhere: [ProcessRecord])
        switch facts.agents() {
        case .failure(let e): return .unreadable("/proc", e)
        case .success(let f): found = f
        }
        var evidence: [(String, JSONValue)] = [
            ("gse_root", .string(layout.root)), ("generation", .string(layout.generation.rawValue)),
            ("pids", Fmt.pids(found.under)),
        ]
        if !found.elsewhere.isEmpty {
            evidence.append(("elsewhere", .array(found.elsewhere.map { .string("\($0.pid) \($0.exe ?? $0.comm)") })))
        }
        let probes = facts.agentHealthProbes()
        if !probes.isEmpty {
            evidence.append(("healthz_probes_ignored", Fmt.pids(probes)))
        }
        let states = ProcessStates(found.under)
        // Every stopped one the supervisor of an agent that runs (GSE 2's watchdog gse_agent, GSE 1's gseMaster, the
        // parent of its worker): the worker still carries the data, but nothing restarts it if it goes. A warning, as
        // for a GSE 1 worker left without its master; a stopped worker (the data channel) fails below.
        // (A child of a second or less, a fork before its exec, or a --healthz probe is no worker.)
        let workersOf = { (s: ProcessRecord) in
            states.running.filter { $0.stat?.ppid == s.pid && !$0.isHealthProbe && facts.hasLasted($0) }
        }
        // Nor is one that carries the data itself: a stopped process holding a connection to the data port or the IPC
        // listener is the agent stopped, whatever runs under it.
        let carrying: Set<Int32> = {
            guard !states.stopped.isEmpty else { return [] }
            let (held, _) = facts.socketInodes(of: states.stopped.map(\.pid))
            var data = Set((try? facts.tcpToDataPort.get())?.filter { $0.state == .established }.map(\.inode) ?? [])
            if case .success(let entries) = facts.unixDiag,
                let listener = facts.ipcView(path: layout.ipcPath, stat: facts.ipcSocketStat, entries: entries).listener
            {
                data.insert(listener.inode)
            }
            return Set(held.filter { data.contains($0.key) }.map(\.value))
        }()
        let supervising = states.stopped.filter { !workersOf($0).isEmpty && !carrying.contains($0.pid) }
        if !states.stopped.isEmpty && supervising.count == states.stopped.count {
            let workers = supervising.flatMap(workersOf)
            return .warn(
                "gse_agent \(supervising.map(\.stateSummary).joined(separator: "; ")), the supervisor of pids \(workers.map { String($0.pid) }.joined(separator: ",")): "
                    + "the worker still carries the data, but nothing supervises or restarts the agent",
                hint:
                    "gse_agent 的守护进程被暂停（SIGSTOP/调试器附加），工作进程仍在上报数据，但退出后不会被拉起：kill -CONT \(ProcessStates.continueList(supervising.map(\.pid))) 或结束调试器，或重启 Agent（\(layout.root)\(layout.agentDir)/bin/gsectl restart 或节点管理）",
                evidence: evidence + [("stopped_supervisors", Fmt.pids(supervising))])
        }
        if let halted = states.notRunning("gse_agent", evidence: evidence) { return halted }
        guard !states.running.isEmpty else {
            if let p = found.elsewhere.first(where: \.unplaced) {
                return .unplaced(p, evidence: evidence)
            }
            let others = Fmt.executables(found.elsewhere)
            let hint =
                found.elsewhere.isEmpty
                ? "gse_agent 未运行：在节点管理中重启 Agent，或执行 \(layout.root)\(layout.agentDir)/bin/gsectl start"
                : Fmt.runsElsewhereHint(others)
            return .fail("gse_agent is not running" + Fmt.runsElsewhere(root: layout.root, others), hint: hint, evidence: evidence)
        }
        let running = states.running
        let names = Set(running.map(\.name)).sorted()
        let pids = running.map { String($0.pid) }.joined(separator: ",")
        // The agent's listening ports, as context (its dataserver connection is dataserver_port's).
        let (inodes, _) = facts.socketInodes(of: running.map(\.pid))
        if case .success(let listening) = facts.tcpListening {
            let mine = listening.filter { inodes[$0.inode] != nil }
            evidence.append(("listening", .array(mine.map { .string($0.localEndpoint) })))
        }
        // GSE 1 runs one binary, gse_agent, as gseMaster and agentWorker: the role is the comm. The
        // worker carries the data channel; a master alone forwards nothing.
        let roles = states.roles
        if states.gse1WorkerMissing(layout.generation) {
            return .fail(
                "gseMaster is running but no agentWorker (pids \(pids)): the data channel is gone",
                hint: "GSE 1 的工作进程 agentWorker 不在，数据无法上报：重启 Agent（\(layout.root)\(layout.agentDir)/bin/gsectl restart 或节点管理）",
                evidence: evidence)
        }
        // The converse: a worker left without its master (the master killed, or crashed) runs unwatched, and
        // NodeMan's GSE 1 install check (bk-nodeman script_tools/setup_agent.sh, "no gseMaster found") calls
        // that an abnormal agent. The worker still carries the data channel: a warning, not a broken agent.
        if layout.generation == .gse1 && roles.contains("agentWorker") && !roles.contains("gseMaster") {
            return .warn(
                "agentWorker is running but no gseMaster (pids \(pids)): the worker still carries the data, but nothing supervises or restarts the agent",
                hint:
                    "GSE 1 的主进程 gseMaster 不在（节点管理视为 Agent 进程异常），工作进程退出后不会被拉起：重启 Agent（\(layout.root)\(layout.agentDir)/bin/gsectl restart 或节点管理）",
                evidence: evidence)
        }
        if let stuck = states.stuckWarning("gse_agent", facts: facts, evidence: evidence) { return stuck }
        return .pass("gse_agent is running: \(names.joined(separator: ", ")) (pids \(pids))", evidence: evidence)
    }
}
