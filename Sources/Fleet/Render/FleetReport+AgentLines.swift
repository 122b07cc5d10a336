import Report

extension FleetReport {
    /// The log platform's record lines, as AgentChecker would have written them for these answers.
    ///
    /// With `extended`, lines AgentChecker stays silent about are added after its own (hosts with no
    /// output, missing from the logs, or whose logs could not be fetched), each marked `[bkdiag-fleet]`.
    public func agentCheckerInfos(extended: Bool = true) -> [AgentInfo] {
        var out: [AgentInfo] = []
        forEachAgentCheckerInfo(extended: extended) { out.append($0) }
        return out
    }

    /// Calls `body` with each record line in order, without collecting them (100,000 hosts make millions).
    public func forEachAgentCheckerInfo(extended: Bool = true, _ body: (AgentInfo) -> Void) {
        for p in preamble { body(p) }
        if let jobFailure {
            // AgentChecker has no host list then: one line, and nothing per host.
            body(jobFailure.line)
            if extended && !hosts.isEmpty {
                body(AgentInfo(.warning, "[bkdiag-fleet] \(hosts.count) hosts not judged: \(jobFailure.summary)"))
            }
            return
        }
        let haveStatus = hosts.contains { $0.jobStatus != nil }
        for h in hosts {
            guard let status = h.jobStatus ?? (haveStatus ? nil : JobStatusLabels.hostSuccess) else { continue }
            if status != JobStatusLabels.hostSuccess {
                let label = JobStatusLabels.agentChecker[status] ?? String(status)
                body(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 脚本执行结果, 执行状态为: \(label)"))
                continue
            }
            for line in h.lines {
                switch line {
                case .report(let i):
                    let r = h.reports[i]
                    body(Self.hostLine(h.key, r.hostStatus))
                    for c in r.results {
                        body(AgentInfo(
                            c.status ? .info : .error,
                            "[\(c.module)] [\(c.label)] [\(c.status ? "成功" : "失败")] \(c.message)"))
                    }
                case .reportPrinted(let i, let entries):
                    body(Self.hostLine(h.key, h.reports[i].hostStatus))
                    for e in entries { body(e) }
                case .failed(let f):
                    if let s = f.hostStatus { body(Self.hostLine(h.key, s)) }
                    for e in f.emitted { body(e) }
                    if f.checkerFails {
                        body(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 获取脚本执行结果失败, 报错为: \(f.error)"))
                    }
                }
            }
        }
        if extended {
            for h in hosts {
                switch h.state {
                case .noOutput:
                    body(AgentInfo(.warning, "[bkdiag-fleet] [\(h.key)] 脚本执行成功但没有输出"))
                case .missingLog:
                    body(AgentInfo(.warning, "[bkdiag-fleet] [\(h.key)] 日志中没有该主机"))
                case .fetchFailed:
                    body(AgentInfo(.error, "[bkdiag-fleet] [\(h.key)] 获取日志失败: \(h.fetchError ?? "")"))
                default: break
                }
            }
        }
    }

    /// `[<host>] 成功` or `[<host>] 失败, 查看详情`.
    static func hostLine(_ key: String, _ ok: Bool) -> AgentInfo {
        ok ? AgentInfo(.info, "[\(key)] 成功") : AgentInfo(.error, "[\(key)] 失败, 查看详情")
    }

    /// The record lines joined with newlines (and a final newline).
    public func agentCheckerText(extended: Bool = true) -> String {
        var text: [UInt8] = []
        writeAgentCheckerText(extended: extended) { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The same text handed to `sink` in pieces of about 1 MiB.
    public func writeAgentCheckerText(extended: Bool = true, _ sink: ([UInt8]) -> Void) {
        var buf: [UInt8] = []
        buf.reserveCapacity(1 << 20)
        forEachAgentCheckerInfo(extended: extended) { info in
            info.write(to: &buf)
            if buf.count >= 1 << 20 {
                sink(buf)
                buf.removeAll(keepingCapacity: true)
            }
        }
        if !buf.isEmpty { sink(buf) }
    }
}
