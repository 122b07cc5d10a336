import HostProbe
import Report

/// gse_agent/dataserver_port: an ESTABLISHED TCP (v4 or v6) connection from the agent to a data
/// port its config names (else 58625 GSE 1, 28625 GSE 2), matched on the remote port of the agent's
/// own sockets; without one, a connection it is still opening (SYN_SENT) or one the dataserver closed
/// and the agent still holds (CLOSE_WAIT) is named.
struct DataserverPortCheck: Check {
    let id = CheckID.agentDataserverPort

    func run(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        let port = layout.dataPorts.map(String.init).joined(separator: "/")
        var evidence: [(String, JSONValue)] = [
            ("port", .int(Int64(layout.dataPort))), ("port_source", .string(layout.dataPortSource)),
            ("generation", .string(layout.generation.rawValue)),
        ]
        if layout.dataPorts.count > 1 { evidence.append(("ports", .array(layout.dataPorts.map { .int(Int64($0)) }))) }
        let toPort: [TCPSocketEntry]
        switch facts.tcpToDataPort {
        case .failure(let e): return .unreadable("/proc/net/tcp", e)
        case .success(let t): toPort = t
        }
        let agents: [ProcessRecord]
        var unplaced: ProcessRecord?
        var elsewhere: [String] = []
        switch facts.agents() {
        case .failure(let e): return .unreadable("/proc", e)
        case .success(let f):
            agents = f.under
            unplaced = f.elsewhere.first(where: \.unplaced)
            elsewhere = Fmt.executables(f.elsewhere)
        }
        guard !agents.isEmpty else {
            if let p = unplaced {
                return .unplaced(p, hint: "以 root 运行 bkdiag（读取 gse_agent 的 /proc 信息需要 root）", evidence: evidence)
            }
            evidence.append(("connections_to_port", .int(Int64(toPort.filter { $0.state == .established }.count))))
            return .fail(
                "dataserver not exist: gse_agent is not running" + Fmt.runsElsewhere(root: facts.layout.root, elsewhere),
                hint: elsewhere.isEmpty ? "先恢复 gse_agent 进程" : "gse_agent 在其他 GSE 目录运行：确认 --gse_path 是否正确", evidence: evidence)
        }
        let (inodes, unreadable) = facts.socketInodes(of: agents.map(\.pid))
        let mine = toPort.filter { inodes[$0.inode] != nil }
        let established = mine.filter { $0.state == .established }
        // GSE 1: agentWorker holds the dataserver connection, gseMaster only supervises it. A worker that is there
        // but stopped (SIGSTOP, a debugger) is named as stopped, not as gone, and the connection it holds sends
        // nothing while it is: the agent, not the network, is what to act on.
        let states = ProcessStates(agents)
        let restart = "\(layout.root)\(layout.agentDir)/bin/gsectl restart 或节点管理"
        if let stopped = states.gse1StoppedWorker(layout.generation) {
            let endpoints = Array(Set(established.map(\.remoteEndpoint))).sorted()
            if !endpoints.isEmpty { evidence.append(("held_by_stopped_worker", JSONValue(endpoints))) }
            let connection =
                endpoints.isEmpty
                ? "it is the worker that connects to the dataserver"
                : "its connection to \(Fmt.list(endpoints, max: 3)) sends nothing while it is"
            return .fail(
                "dataserver not exist: gse_agent's agentWorker \(ProcessStates.gse1WorkerWords(stopped: stopped)), and \(connection)",
                hint: ProcessStates.gse1WorkerHint(
                    stoppedPIDs: states.gse1StoppedWorkerPIDs(layout.generation), restart: restart, tail: "，数据不再发往 dataserver"),
                evidence: evidence)
        }
        // A connection only a stopped agent process holds sends nothing either (GSE 1: a stopped agentWorker beside
        // a running one that holds none; GSE 2: gse_agent itself stopped): gse_agent/process names the process.
        let stoppedPIDs = Set(states.stopped.map(\.pid))
        let holders = Set(established.compactMap { inodes[$0.inode] })
        if !holders.isEmpty && holders.isSubset(of: stoppedPIDs) {
            let endpoints = Array(Set(established.map(\.remoteEndpoint))).sorted()
            evidence.append(("held_by_stopped_process", JSONValue(endpoints)))
            let stopped = states.stopped.filter { holders.contains($0.pid) }
            return .fail(
                "dataserver not exist: only a stopped gse_agent process holds the connection to \(Fmt.list(endpoints, max: 3)) "
                    + "(\(stopped.map(\.stateSummary).joined(separator: "; "))): it sends nothing while it is stopped",
                hint:
                    "持有 dataserver 连接的 gse_agent 进程被暂停（SIGSTOP/调试器附加），数据不再发往 dataserver：kill -CONT \(ProcessStates.continueList(stopped.map(\.pid))) 或结束调试器，或重启 Agent（\(restart)），见 gse_agent/process",
                evidence: evidence)
        }
        if !established.isEmpty {
            let endpoints = Array(Set(established.map(\.remoteEndpoint))).sorted()
            evidence.append(("endpoints", JSONValue(endpoints)))
            return .pass("dataserver connected: \(Fmt.list(endpoints, max: 3))", evidence: evidence)
        }
        if !unreadable.isEmpty && inodes.isEmpty {
            return .unreadable("/proc/\(unreadable.keys.first!)/fd", unreadable.values.first!)
        }
        // Without the worker there is no connection to look for.
        if states.gse1WorkerMissing(layout.generation) {
            return .fail(
                "dataserver not exist: gse_agent's agentWorker \(ProcessStates.gse1WorkerWords(stopped: nil)), and it is the worker that connects to the dataserver",
                hint: ProcessStates.gse1WorkerHint(stoppedPIDs: [], restart: restart, tail: "，没有到 dataserver 的连接"),
                evidence: evidence)
        }
        let pending = mine.filter { $0.state == .synSent }
        if !pending.isEmpty {
            evidence.append(("connecting", JSONValue(pending.map(\.remoteEndpoint))))
            return .fail(
                "dataserver not exist: connecting to \(pending[0].remoteEndpoint) (SYN_SENT)",
                hint: "到 dataserver \(port) 端口的连接建立不了：检查防火墙/安全组与 dataserver 状态", evidence: evidence)
        }
        // Closed by the dataserver (a restart, an idle timeout on the way) and still held: a working agent reads the
        // end of the stream at once, closes and connects again. One that holds it is not sending: its network
        // thread is stuck, whatever the network and the dataserver do now.
        let closed = mine.filter { $0.state == .closeWait }
        if !closed.isEmpty {
            let endpoints = Array(Set(closed.map(\.remoteEndpoint))).sorted()
            evidence.append(("closed_by_dataserver", JSONValue(endpoints)))
            return .fail(
                "dataserver not exist: \(Fmt.list(endpoints, max: 3)) closed the connection (CLOSE_WAIT) and gse_agent has neither closed it nor connected again",
                hint: "dataserver 已关闭连接，gse_agent 却没有关闭并重连（其发送线程可能卡住），不是网络或地址配置的问题：查看 gse_agent 日志，在节点管理中重启 Agent",
                evidence: evidence)
        }
        // What else the agent is connected to, and whether the port's config changed after the agent read it:
        // an agent still connected to the port of its old config is not "without a dataserver".
        var notes: [String] = []
        // An agent always holds its task/cluster channel too: only a connection to a data port of either
        // generation (58625, 28625) can be the dataserver of an older config.
        var onDataPort = false
        if case .success(let all) = facts.tcpEstablished {
            let mineAll = all.filter { inodes[$0.inode] != nil }
            let others = Array(Set(mineAll.map(\.remoteEndpoint))).sorted()
            if !others.isEmpty {
                evidence.append(("other_connections", JSONValue(Array(others.prefix(8)))))
                notes.append("gse_agent is connected to \(Fmt.list(others, max: 3))")
            }
            onDataPort = mineAll.contains { [GSEGeneration.gse1.dataPort, GSEGeneration.gse2.dataPort].contains($0.remotePort) }
        }
        if let why = layout.dataPortUnknown {
            // The port is the generation's default only because the agent's config cannot be read: the agent
            // may well be connected to the port its config names.
            evidence.append(("port_unknown", .string(why)))
            return .unknown(
                "dataserver port not known: \(why); no ESTABLISHED connection from gse_agent to the default port \(port)"
                    + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")),
                hint: "Agent 配置文件无法读取或解析，不知道它连接的 dataserver 端口：修复该配置文件（Agent 只在启动时读取它），或用 --data-port 指定端口再检查",
                evidence: evidence)
        }
        if let changed = Self.configChangedAfterStart(layout.dataPortSource, agents: agents, facts: facts) {
            evidence.append(("config_changed_after_start", .string(changed)))
            notes.append("\(layout.dataPortSource) changed after gse_agent started (it reads it only at start)")
        }
        return .fail(
            "dataserver not exist: no ESTABLISHED connection from gse_agent to port \(port)"
                + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")),
            hint: onDataPort && notes.count == 2
                ? "Agent 配置在启动后被修改，仍连着旧配置的 dataserver：在节点管理中重启 Agent 使新配置（\(port)）生效，或核对配置是否正确"
                : "gse_agent 没有连接 dataserver（\(port)）：检查 Agent 配置中的 dataserver 地址、网络连通性与 dataserver 服务", evidence: evidence)
    }

    /// The config file's mtime when it is newer than the oldest running agent's start; nil otherwise, or when
    /// the ports did not come from a file.
    static func configChangedAfterStart(_ source: String, agents: [ProcessRecord], facts: any HostFacts) -> String? {
        // A time ahead of the clock (clock skew) is after every start, and says nothing about a change.
        guard source.hasPrefix("/"), case .success(let st) = facts.stat(source), !facts.isInFuture(st.mtime),
            let started = agents.compactMap(facts.startedAt).min(), Double(st.mtime) > started + 2
        else { return nil }
        return Timestamp.iso8601(milliseconds: st.mtime * 1000)
    }
}
