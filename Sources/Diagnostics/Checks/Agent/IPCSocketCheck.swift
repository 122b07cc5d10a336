import HostProbe
import Report

/// gse_agent/socket: the IPC path exists, is a socket, and an agent of the root listens on it (another process's
/// listener, or any listener while no agent of the root runs, fails naming who holds it).
struct IPCSocketCheck: Check {
    let id = CheckID.agentSocket

    func run(_ facts: any HostFacts) -> Finding {
        judge(facts).judgedAgainst(facts.layout)
    }

    private func judge(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        let path = layout.ipcPath
        var evidence: [(String, JSONValue)] = [("path", .string(path)), ("source", .string(layout.ipcSource))]
        // The agent listening on its own, other path: the path checked (the collector's endpoint) is wrong.
        if let elsewhere = facts.agentListensElsewhere(than: path) {
            evidence.append(("agent_ipc", .string(elsewhere)))
            let missing: Bool
            if case .failure(let e) = facts.ipcSocketStat, e.isMissing { missing = true } else { missing = false }
            let what = missing ? "socket file is not exists" : "nothing listens on"
            return .fail(
                "\(what): \(path); gse_agent listens on \(elsewhere) (its own config)",
                hint: "gse_agent 正常监听其配置的 IPC 路径，是采集器主配置的 endpoint（或 -i 参数）指向了别处：见 bkunifylogbeat/main_config，在节点管理中重新下发插件配置",
                evidence: evidence)
        }
        let st: FileStat
        switch facts.ipcSocketStat {
        case .success(let s): st = s
        case .failure(let error):
            if error.isMissing {
                return .fail(
                    "socket file is not exists: \(path)",
                    hint: "gse_agent 未创建 IPC socket：确认 gse_agent 正在运行、其配置的 ipc 路径与此一致（GSE 2 常为 <gse>/agent/data/ipc.state.report）",
                    evidence: evidence)
            }
            return .unreadable(path, error)
        }
        guard st.isSocket else {
            return .fail("\(path) exists but is not a socket", hint: "该路径被普通文件占用：删除后重启 gse_agent", evidence: evidence)
        }
        // Is anything listening? sock_diag first, /proc/net/unix as the fallback.
        var listening: Bool?
        var listenerInode: UInt64?
        /// Whether the listener was found by sock_diag (by the socket file's inode or its bound name).
        var fromDiag = false
        if case .success(let entries) = facts.unixDiag {
            let view = IPCView.build(path: path, stat: facts.ipcSocketStat, entries: entries)
            listening = view.listener != nil
            listenerInode = view.listener?.inode
            fromDiag = true
        } else if case .success(let rows) = facts.unixTable {
            let norm = PathText.normalize(path)
            let row = rows.first { $0.isListening && PathText.normalize($0.path) == norm }
            listening = row != nil
            listenerInode = row?.inode
        }
        guard let listening else {
            return .unknown("cannot read unix socket tables", hint: "以 root 运行 bkdiag", evidence: evidence)
        }
        /// A listener none of the running agents holds (all their fds read): whatever holds it takes the data.
        var foreignListener = false
        /// Why the running agents' fds could not be read, when none of those read holds the listener.
        var ownerUnread: ProbeError?
        if let ino = listenerInode {
            evidence.append(("listener_inode", .int(Int64(ino))))
            let owner = facts.listenerOwner(inode: ino)
            if let pid = owner.agentPID { evidence.append(("listener_pid", .int(Int64(pid)))) }
            foreignListener = fromDiag && owner.foreign
            if fromDiag { ownerUnread = owner.unreadable }
        }
        guard listening else {
            return .fail(
                "socket file exists but nothing listens on it: \(path)",
                hint: "残留的 socket 文件（gse_agent 退出或换了路径）：重启 gse_agent", evidence: evidence)
        }
        // No agent of the root runs (and none runs where bkdiag cannot look): whatever listens is not this
        // root's agent, whoever it is — another install's agent, a leftover, any program bound to the name.
        let noAgent = listenerInode != nil && facts.agentDown == true
        if foreignListener || noAgent, let ino = listenerInode {
            // Who holds it: every process's fds, read only on this rare path.
            let holder = facts.socketHolder(inode: ino)
            // No process holds it any more: the listener was replaced while it was checked (an agent restarting
            // binds a new one), so who listens now is not what was looked at.
            if holder == nil, case .success(let again) = facts.unixDiagResample(),
                IPCView.build(path: path, stat: facts.stat(path), entries: again).listener?.inode != ino
            {
                return .unknown(
                    "the listener on \(path) changed while it was checked (gse_agent restarting?): who holds it now is not known",
                    hint: "稍后重试；若反复出现，查看 gse_agent 是否在反复重启（\(facts.layout.root)\(facts.layout.agentDir)/logs）",
                    evidence: evidence)
            }
            let who = holder.map { "pid \($0.pid) (\($0.comm))" } ?? "a process bkdiag cannot name"
            if let holder { evidence.append(("listener_pid", .int(Int64(holder.pid)))) }
            if noAgent { return Self.heldWithoutAgent(facts, who: who, path: path, evidence: evidence) }
            return .fail(
                "socket is listening, but not by gse_agent: \(who) holds the listener on \(path); a collector that connects now reaches it, not gse_agent",
                hint: "IPC 路径被其他进程占用（gse_agent 的监听已被替换）：停止该进程并重启 gse_agent，再重启采集器", evidence: evidence)
        }
        if listenerInode != nil, case .failure(let e) = facts.agents() {
            // Which processes run is not known: neither is whether an agent holds the listener.
            return .unknown(
                "socket file exists and is listening: \(path), but whether gse_agent holds the listener cannot be checked (\(ProbeError.brief(e)))",
                hint: "以 root 运行 bkdiag（读取 /proc 需要权限）", evidence: evidence)
        }
        if let e = ownerUnread {
            // Not root: whether gse_agent holds the listener (or a process that took the path does) is not known.
            return .unknown(
                "socket file exists and is listening: \(path), but whether gse_agent holds the listener cannot be checked (\(ProbeError.brief(e)))",
                hint: "以 root 运行 bkdiag（读取 gse_agent 的 /proc/<pid>/fd 需要权限）", evidence: evidence)
        }
        return .pass("socket file exists and is listening: \(path)", evidence: evidence)
    }

    /// The IPC path listened on while no gse_agent of the root runs: the listener is not this root's agent's.
    /// Worded as gse_agent/process words a missing agent (`Fmt.runsElsewhere`), naming who listens.
    private static func heldWithoutAgent(_ facts: any HostFacts, who: String, path: String, evidence: [(String, JSONValue)])
        -> Finding
    {
        let layout = facts.layout
        let others = Fmt.executables((try? facts.agents().get())?.elsewhere ?? [])
        var evidence = evidence
        if !others.isEmpty { evidence.append(("agents_elsewhere", JSONValue(others))) }
        let hint =
            others.isEmpty
            ? "gse_agent 未运行，IPC 路径上的监听属于其他进程：停止该进程，重启 Agent（节点管理或 \(layout.root)\(layout.agentDir)/bin/gsectl start），再重启采集器"
            : Fmt.runsElsewhereHint(others)
        return .fail(
            "socket is listening, but not by gse_agent: gse_agent is not running" + Fmt.runsElsewhere(root: layout.root, others)
                + "; \(who) holds the listener on \(path)",
            hint: hint, evidence: evidence)
    }
}
