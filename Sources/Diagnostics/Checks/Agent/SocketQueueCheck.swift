import HostProbe
import Report

/// gse_agent/socket_queue_status: bytes the agent has not read on its IPC connections, from
/// netlink sock_diag, sampled a few times (brief non-zero values are normal). A listener's queue is
/// its backlog, not data: connections still in it on a second look are ones the agent does not accept.
struct SocketQueueCheck: Check {
    let id = CheckID.agentSocketQueue

    func run(_ facts: any HostFacts) -> Finding {
        let path = facts.layout.ipcPath
        let samples = max(1, facts.options.queueSamples)
        var perSample: [[UInt64: UInt32]] = []
        var views: [IPCView] = []
        for i in 0..<samples {
            let entries: [UnixDiagEntry]
            if i == 0, case .success(let e) = facts.unixDiag {
                entries = e
            } else {
                switch facts.unixDiagResample() {
                case .success(let e): entries = e
                case .failure(let error):
                    return Finding(
                        .unknown, "cannot read unix socket queues (netlink sock_diag): \(error.description)",
                        hint: "内核不支持或禁止 NETLINK_SOCK_DIAG（unix_diag 模块）：以 root 运行或加载 unix_diag 模块",
                        evidence: [("path", .string(path))])
                }
            }
            let view = facts.ipcView(path: path, stat: facts.ipcSocketStat, entries: entries)
            views.append(view)
            var q: [UInt64: UInt32] = [:]
            for c in view.accepted where c.hasQueues { q[c.inode] = c.receiveQueue }
            perSample.append(q)
            // Resample only to confirm a backlog: an empty queue needs no second look.
            if !q.values.contains(where: { $0 > 0 }) { break }
            if i + 1 < samples { Sys.sleep(seconds: Double(max(0, facts.options.queueSampleIntervalMs)) / 1000) }
        }
        let last = views.last!
        var evidence: [(String, JSONValue)] = [
            ("path", .string(path)), ("connections", .int(Int64(last.accepted.count))), ("samples", .int(Int64(perSample.count))),
        ]
        if let l = last.listener { evidence.append(("listen_backlog", .int(Int64(l.receiveQueue)))) }
        guard !last.accepted.isEmpty else {
            // Connections waiting in the listener's backlog (its receive queue counts them) that the agent never
            // accepts: the collector connected, and nothing reads it. Looked at twice: one may be on its way in.
            if let still = facts.ipcSecondLook(after: last)?.listener?.receiveQueue, still > 0 {
                evidence.append(("listen_backlog_second_look", .int(Int64(still))))
                return .fail(
                    "socket not accepting: \(still) connection(s) wait in the listen backlog of \(path), none accepted",
                    hint: facts.notAcceptingHint(
                        last,
                        agentHint: "gse_agent 在监听但不再 accept 连接（进程卡住或线程耗尽），采集器连上后无人读取：查看 gse_agent 日志，必要时在节点管理中重启 Agent"),
                    evidence: evidence)
            }
            // Nothing listens: no collector can connect, whatever it does (gse_agent/socket and process say why).
            return Finding.fail(
                "socket not used: no connection on \(path)",
                hint: last.listener == nil
                    ? "IPC socket 上没有监听（gse_agent 未运行或未创建该 socket）：先处理 gse_agent/process 与 gse_agent/socket 的结论"
                    : "没有采集器连接到 IPC socket：确认 bkunifylogbeat 正在运行且 endpoint 指向此路径",
                evidence: evidence
            ).judgedAgainst(facts.layout)
        }
        // Blocked: a connection whose unread bytes stayed non-zero in every sample and never went down between two
        // of them (one that went down was read: an agent that reads in bursts is not blocked).
        // Unread in every sample but read in between: the agent reads, behind (a warning, below).
        var blocked: [(UInt64, UInt32)] = []
        var behind: [(UInt64, UInt32)] = []
        for (inode, first) in perSample[0] where first > 0 {
            let seen = perSample.map { $0[inode] ?? 0 }
            guard perSample.count > 1, seen.allSatisfy({ $0 > 0 }) else { continue }
            if zip(seen, seen.dropFirst()).contains(where: { $1 < $0 }) {
                behind.append((inode, seen.max() ?? first))
            } else {
                blocked.append((inode, perSample.last?[inode] ?? first))
            }
        }
        /// A connection's unread bytes in each sample, for the evidence.
        func unread(_ inode: UInt64) -> JSONValue { .array(perSample.map { .int(Int64($0[inode] ?? 0)) }) }
        let maxSeen = perSample.flatMap(\.values).max() ?? 0
        evidence.append(("max_unread_bytes", .int(Int64(maxSeen))))
        // Samples a tenth of a second apart cannot see an agent that reads in bursts a second apart: where the queue
        // never went down in them, the progress samples (a second apart, taken once per run) tell whether it read.
        if !blocked.isEmpty {
            let progress = facts.progress
            if ProgressRules.agentReadIPC(progress.first, progress.last) {
                evidence.append(("read_between_progress_samples", .bool(true)))
                behind += blocked.map { b in (b.0, perSample.compactMap { $0[b.0] }.max() ?? b.1) }
                blocked = []
            }
        }
        if !blocked.isEmpty {
            evidence.append(
                (
                    "blocked",
                    .array(
                        blocked.map { b in
                            .object([
                                ("inode", .int(Int64(b.0))), ("unread_bytes", .int(Int64(b.1))), ("unread_per_sample", unread(b.0)),
                            ])
                        })
                ))
            return .fail(
                "socket queue blocking: \(blocked.count) of \(last.accepted.count) connections have unread data (up to \(blocked.map(\.1).max()!) bytes)",
                hint: blockedHint(facts), evidence: evidence)
        }
        // Connections waiting in the listener's backlog on a second look while others were accepted before: the
        // agent reads what it has and accepts nothing new (accept failing EMFILE once it is out of descriptors, a
        // hung accept thread). A collector that connects, or reconnects after a restart, is never read.
        if let again = facts.ipcSecondLook(after: last), let still = again.listener?.receiveQueue, still > 0 {
            evidence.append(("listen_backlog_second_look", .int(Int64(still))))
            return .fail(
                "socket not accepting: \(still) connection(s) wait in the listen backlog of \(path) on a second look, while \(last.accepted.count) accepted earlier are read",
                hint: facts.notAcceptingHint(
                    last,
                    agentHint:
                        "gse_agent 不再 accept 新连接（常见为打开文件数耗尽，accept 报 EMFILE，或线程卡住），已有的连接仍在读取，新连上或重启后的采集器排在 backlog 里无人读取：检查 gse_agent 的 fd 数与 RLIMIT_NOFILE 及日志，必要时在节点管理中重启 Agent"
                ),
                evidence: evidence)
        }
        if !behind.isEmpty {
            evidence.append(
                (
                    "read_behind",
                    .array(
                        behind.map { b in
                            .object([
                                ("inode", .int(Int64(b.0))), ("unread_per_sample", unread(b.0)),
                            ])
                        })
                ))
            return .warn(
                "socket queue behind: \(behind.count) of \(last.accepted.count) connections have unread data in every sample (up to \(behind.map(\.1).max()!) bytes), though gse_agent read from them in between",
                hint: "gse_agent 在读取但跟不上采集器的写入（IPC 队列始终不空）：查看 gse_agent 的 CPU 负载与到 dataserver 的连接（见 pipeline_stall），必要时调低采集速率或扩容",
                evidence: evidence)
        }
        return .pass("socket queue ok: \(last.accepted.count) connections, no persistent backlog", evidence: evidence)
    }

    /// What to do about unread data: resume a stopped agent (SIGSTOP, a debugger: it reads nothing while it is, as
    /// gse_agent/process says), else look at the agent's load and its dataserver connection.
    func blockedHint(_ facts: any HostFacts) -> String {
        if case .success(let f) = facts.agents() {
            let stopped = ProcessStates(f.under).stoppedIPCReaders(facts.layout.generation)
            if !stopped.isEmpty {
                return
                    "读取 IPC 的 gse_agent 进程被暂停（SIGSTOP/调试器附加），不读取采集器发来的数据：kill -CONT \(ProcessStates.continueList(stopped)) 或结束调试器，或重启 Agent，见 gse_agent/process"
            }
        }
        return "gse_agent 没有及时读取采集器发来的数据：检查 gse_agent 与 dataserver 的连接和 Agent 负载，必要时重启 Agent"
    }
}
