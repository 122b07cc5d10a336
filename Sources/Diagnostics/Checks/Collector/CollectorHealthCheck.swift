import HostProbe
import Report

/// bkunifylogbeat/healthz: health judged from facts. check.py ran `bkunifylogbeat healthz`, which
/// the collector does not have (it attempts a second start), so this never runs the collector:
/// the binary is an ELF file for this host, the running collector is connected to the IPC socket,
/// and on GSE 2 the agent's own `--healthz 1` probe passes (bounded by a timeout).
struct CollectorHealthCheck: Check {
    let id = CheckID.collectorHealthz

    func run(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        var evidence: [(String, JSONValue)] = []
        var failures: [String] = []
        var unknowns: [String] = []
        var hint = ""
        // Where the collector was found connected, when not the path the check was asked about.
        var connectedElsewhere: String?
        // Connected to gse_agent over connections accepted before another process bound the path again.
        var rebound: String?

        // 1. The binary.
        let binary = facts.collectorBinary
        let bin = BinaryFacts.judge(binary, hostMachine: facts.hostMachine)
        evidence.append(("binary", .string(bin.verdict.rawValue)))
        // The one warn about an ELF binary: no execute bit, which NodeMan's start.sh sets before it starts it.
        // It is a program for this host all the same; a script in the binary's place is not.
        var isELF = false
        if case .success(.some)? = binary.elf { isELF = true }
        if bin.verdict == .fail || (bin.verdict == .warn && !isELF) {
            failures.append(bin.message)
            hint = bin.hint
        } else if bin.verdict == .unknown {
            unknowns.append(bin.message)
        }

        // 2. The running collector is connected to the IPC socket.
        // Connected, but to a listener no agent under the root holds: what it sends goes elsewhere.
        // Unless gse_agent holds the collector's connections (accepted before the path was bound again): its data
        // still reaches the agent, until it reconnects.
        func foreignListener(_ connections: [UnixDiagEntry], entries: [UnixDiagEntry], collector: some Collection<UInt64>) {
            // Every connection of the collector's, as the kernel lists them under the name before this root's agents'
            // are picked out (`ipcView` leaves out those another listener of the name accepted): all held by gse_agent.
            let all = IPCView.build(path: layout.ipcPath, stat: facts.ipcSocketStat, entries: entries).connections(from: collector)
            if !all.isEmpty && all.count == connections.count && facts.agentsHold(all, every: true) {
                rebound = layout.ipcPath
                return
            }
            failures.append(
                "bkunifylogbeat is connected to \(layout.ipcPath), but what listens there is not gse_agent (see gse_agent/socket)")
            if hint.isEmpty { hint = "IPC 路径上的监听不是 gse_agent 的，采集器的数据没有交给 Agent：停止占用该路径的进程并重启 gse_agent，再重启采集器" }
        }
        switch facts.collectors() {
        case .failure(let e):
            unknowns.append("cannot scan /proc: \(e.description)")
        case .success(let found):
            let states = ProcessStates(found.under)
            if found.under.isEmpty, let p = found.elsewhere.first(where: \.unplaced) {
                unknowns.append(p.unplacedSummary)
            } else if found.under.isEmpty {
                failures.append("bkunifylogbeat is not running")
                if hint.isEmpty { hint = "采集器未运行：在节点管理中启动 bkunifylogbeat" }
            } else if states.running.isEmpty {
                // Stopped (T) or exited (Z): it may still hold its IPC connection, but sends nothing on it.
                failures.append(
                    "bkunifylogbeat is not running: " + (states.stopped + states.zombies).map(\.stateSummary).joined(separator: "; "))
                if hint.isEmpty { hint = "采集器被暂停或已退出：kill -CONT <pid> 或在节点管理中重启 bkunifylogbeat" }
            } else {
                let (inodes, unreadable) = facts.socketInodes(of: states.running.map(\.pid))
                switch facts.unixDiag {
                case .failure(let e):
                    unknowns.append("sock_diag unavailable: \(e.description)")
                case .success(let entries):
                    let view = facts.ipcView(path: layout.ipcPath, stat: facts.ipcSocketStat, entries: entries)
                    let conns = view.connections(from: inodes.keys)
                    evidence.append(("ipc_path", .string(layout.ipcPath)))
                    evidence.append(("ipc_connections", .int(Int64(conns.count))))
                    // Asked (--ipc_socket_file) about another path than the collector's own endpoint: the collector
                    // is judged where it sends. The asked path is gse_agent/socket's and main_config's to judge.
                    let configured = Self.configuredEndpoint(facts, entries: entries, connections: inodes.keys)
                    if !conns.isEmpty, facts.listenerIsForeign(view) {
                        foreignListener(conns, entries: entries, collector: inodes.keys)
                    } else if conns.isEmpty, unreadable.isEmpty, let configured {
                        evidence.append(("ipc_endpoint", .string(configured.path)))
                        evidence.append(("ipc_endpoint_connections", .int(Int64(configured.connections))))
                        if configured.foreign {
                            failures.append(
                                "bkunifylogbeat is connected to \(configured.path) (its main config's endpoint), but what listens there is not gse_agent (see main_config)"
                            )
                            if hint.isEmpty {
                                hint = "采集器主配置 endpoint 上的监听不是 gse_agent 的，采集器的数据没有交给 Agent：在节点管理中重新下发插件配置，并停止占用该路径的进程"
                            }
                        } else {
                            connectedElsewhere = configured.path
                        }
                    } else if conns.isEmpty {
                        if !unreadable.isEmpty {
                            unknowns.append("cannot read the collector's fds: \(unreadable.values.first!.description)")
                        } else if let guess = layout.ipcGuess {
                            // Not connected to a path that is only the default says nothing certain.
                            unknowns.append("not connected to \(layout.ipcPath), but \(guess), so that is only the default IPC path")
                        } else {
                            let second = facts.ipcSecondLook(after: view)
                            let accepted = second?.connections(from: inodes.keys).count ?? 0
                            if accepted > 0 {
                                // Accepted in the meantime: it was on its way in (to gse_agent, or not).
                                evidence.append(("ipc_connections_second_look", .int(Int64(accepted))))
                                // Waiting in the backlog of the listener the path leads to, it was accepted by that
                                // listener: gse_agent holds no earlier connection of it to keep the data flowing.
                                if facts.listenerIsForeign(view) { foreignListener([], entries: [], collector: inodes.keys) }
                            } else if let pending = second?.listener?.receiveQueue, pending > 0 {
                                // Connected, but held in the listener's backlog on two looks: nothing accepts it.
                                failures.append(
                                    "bkunifylogbeat is not accepted on \(layout.ipcPath): \(pending) connection(s) wait in the listen backlog, none accepted"
                                )
                                if hint.isEmpty {
                                    hint = facts.notAcceptingHint(
                                        view,
                                        agentHint: "gse_agent 在监听但不 accept 采集器的连接（进程卡住或线程耗尽）：查看 gse_agent 日志，必要时在节点管理中重启 Agent")
                                }
                            } else {
                                // A collector that is not root may be refused the socket by its mode: said so.
                                let refused = facts.collectorDeniedConnect(layout.ipcPath)
                                failures.append(
                                    "bkunifylogbeat (pid \(found.under.map { String($0.pid) }.joined(separator: ","))) is not connected to \(layout.ipcPath)"
                                        + (refused.map { ": \($0), connecting needs it" } ?? ""))
                                if hint.isEmpty {
                                    hint =
                                        refused != nil
                                        ? "采集器进程的用户没有写 IPC socket 文件的权限，连不上 gse_agent：放开 socket 文件（及其目录）的权限，或以 root 运行采集器"
                                        : "采集器没有连上 gse_agent 的 IPC socket（日志常见 get agent info timeout / connection refused）：确认 gse_agent 正常运行且 endpoint 与 IPC 路径一致，然后重启采集器"
                                }
                            }
                        }
                    }
                }
            }
        }

        // 3. GSE 2: the agent's own health probe.
        var needsRoot = false
        // A probe that did not answer for another reason than rights (it hung, or could not be run): the agent's.
        var probeUnanswered = false
        if layout.generation == .gse2 && facts.options.runAgentHealthz {
            let probe = facts.agentHealthz
            evidence += probe.evidence
            switch probe.outcome {
            case .passed: break
            case .failed(let message):
                failures.append(message)
                if hint.isEmpty { hint = "gse_agent 自检失败：查看 \(layout.root)/agent/logs 下的日志，必要时在节点管理中重启 Agent" }
            case .unknown(let message, let rights):
                unknowns.append(message)
                needsRoot = rights
                probeUnanswered = !rights
            }
        }

        if !failures.isEmpty { return .fail(failures.joined(separator: "; "), hint: hint, evidence: evidence) }
        if !unknowns.isEmpty {
            let agentHint = "gse_agent --healthz 没有给出结果（Agent 卡住、负载过高或无法执行）：查看 \(layout.root)/agent/logs 下的日志，必要时在节点管理中重启 Agent"
            let hint =
                needsRoot
                ? "以 root 运行 bkdiag：gse_agent --healthz 要读取 Agent 的配置、证书与 socket，非 root 运行时无法判断"
                : probeUnanswered && unknowns.count == 1
                    ? agentHint
                    : "以 root 运行 bkdiag 以读取进程与 socket 信息" + (probeUnanswered ? "；" + agentHint : "")
            return .unknown(unknowns.joined(separator: "; "), hint: hint, evidence: evidence)
        }
        if let rebound {
            evidence.append(("ipc_listener_rebound", .bool(true)))
            return .warn(
                "bkunifylogbeat is connected to gse_agent over \(rebound), but the path now leads to a listener gse_agent does not hold "
                    + "(bound again by another process, see gse_agent/socket): the collector's next reconnect reaches that process, not the agent",
                hint: "IPC 路径被其他进程重新绑定（见 gse_agent/socket）：采集器现有连接仍由 gse_agent 接收，但重连后数据将交给该进程：停止占用该路径的进程并重启 gse_agent",
                evidence: evidence)
        }
        if let connectedElsewhere {
            return .pass(
                "healthy: binary ok, connected to \(connectedElsewhere) (its main config's endpoint; not to \(layout.ipcPath), "
                    + "which --ipc_socket_file named: see gse_agent/socket and main_config)",
                evidence: evidence)
        }
        return .pass("healthy: binary ok, connected to \(layout.ipcPath)", evidence: evidence)
    }

    /// The collector's main config endpoint, where the check was asked (`--ipc_socket_file`) about another path,
    /// with the collector's connections to it and whether its listener is not gse_agent's. Nil when the path asked
    /// about is the endpoint (or was not asked), or the collector is not connected to the endpoint either.
    static func configuredEndpoint(
        _ facts: any HostFacts, entries: [UnixDiagEntry], connections inodes: some Collection<UInt64>
    ) -> (path: String, connections: Int, foreign: Bool)? {
        let layout = facts.layout
        guard layout.ipcSource == "flag", let endpoint = layout.mainConfig.endpoint?.path, !facts.sameFile(layout.ipcPath, endpoint)
        else { return nil }
        let view = facts.ipcView(path: endpoint, stat: facts.stat(endpoint), entries: entries)
        let conns = view.connections(from: inodes)
        guard !conns.isEmpty else { return nil }
        let all = IPCView.build(path: endpoint, stat: facts.stat(endpoint), entries: entries).connections(from: inodes)
        return (endpoint, conns.count, facts.listenerIsForeign(view) && !(all.count == conns.count && facts.agentsHold(all, every: true)))
    }
}
