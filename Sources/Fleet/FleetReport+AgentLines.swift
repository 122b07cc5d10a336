import Report

extension FleetReport {
    /// The log platform's record lines, as AgentChecker would have written them for these answers.
    ///
    /// With `extended`, lines AgentChecker stays silent about are added after its own (hosts with no
    /// output, missing from the logs, or whose logs could not be fetched), each marked `[bkdiag-fleet]`.
    public func agentCheckerInfos(extended: Bool = true) -> [AgentInfo] {
        var out = preamble
        let haveStatus = hosts.contains { $0.jobStatus != nil }
        for h in hosts {
            guard let status = h.jobStatus ?? (haveStatus ? nil : JobStatusLabels.hostSuccess) else { continue }
            if status != JobStatusLabels.hostSuccess {
                let label = JobStatusLabels.agentChecker[status] ?? String(status)
                out.append(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 脚本执行结果, 执行状态为: \(label)"))
                continue
            }
            for line in h.lines {
                switch line {
                case .report(let i):
                    let r = h.reports[i]
                    out.append(r.hostStatus ? AgentInfo(.info, "[\(h.key)] 成功") : AgentInfo(.error, "[\(h.key)] 失败, 查看详情"))
                    for c in r.results {
                        out.append(AgentInfo(
                            c.status ? .info : .error,
                            "[\(c.module)] [\(c.label)] [\(c.status ? "成功" : "失败")] \(c.message)"))
                    }
                case .failed(let f):
                    for e in f.emitted {
                        out.append(AgentInfo(e.level, e.text.replacingAll("{host}", with: h.key)))
                    }
                    if f.checkerFails {
                        out.append(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 获取脚本执行结果失败, 报错为: \(f.error)"))
                    }
                }
            }
        }
        if extended {
            for h in hosts {
                switch h.state {
                case .noOutput:
                    out.append(AgentInfo(.warning, "[bkdiag-fleet] [\(h.key)] 脚本执行成功但没有输出"))
                case .missingLog:
                    out.append(AgentInfo(.warning, "[bkdiag-fleet] [\(h.key)] 日志中没有该主机"))
                case .fetchFailed:
                    out.append(AgentInfo(.error, "[bkdiag-fleet] [\(h.key)] 获取日志失败: \(h.fetchError ?? "")"))
                default: break
                }
            }
        }
        return out
    }

    /// The record lines joined with newlines (and a final newline).
    public func agentCheckerText(extended: Bool = true) -> String {
        var s = ""
        for i in agentCheckerInfos(extended: extended) {
            s += i.line
            s += "\n"
        }
        return s
    }
}
