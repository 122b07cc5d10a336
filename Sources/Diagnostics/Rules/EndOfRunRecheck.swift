import HostProbe
import Report

/// The end of a run: the processes that bkunifylogbeat/process and gse_agent/process judged running are looked
/// at again once every check has finished. A process that exits and is started again (gse_agent restarts a
/// plugin it hosts, GSE's watchdog its worker, a supervisor of one's own) is young at every look: the process
/// check, run first, finds one and passes it, while the progress items, sampled later, find it gone. When a
/// process it judged has exited by the end of the run, the check says so instead of its pass (NodeMan's restart
/// log, which the collector's check counts, holds only the restarts its scripts made).
enum EndOfRunRecheck {
    /// A process that had run at most this long when it was found and exited within the run is taken for one
    /// that keeps exiting; one that had run longer was restarted once, while bkdiag looked.
    static let youngSeconds = 60.0

    /// `result` as it stands at the end of the run: bkunifylogbeat/process and gse_agent/process looked at
    /// again; every other result, and every verdict but a pass or a warn, comes back as it was.
    static func recheck(_ result: CheckResult, facts: any HostFacts) -> CheckResult {
        guard result.verdict == .pass || result.verdict == .warn else { return result }
        if result.module == CheckID.collectorProcess.module.rawValue && result.item == CheckID.collectorProcess.item {
            return collectorProcess(result, facts: facts)
        }
        if result.module == CheckID.agentProcess.module.rawValue && result.item == CheckID.agentProcess.item {
            return agentProcess(result, facts: facts)
        }
        return result
    }

    /// bkunifylogbeat/process: the collector the check judged is the one its evidence names (`pid`).
    static func collectorProcess(_ result: CheckResult, facts: any HostFacts) -> CheckResult {
        guard result.verdict == .pass || result.verdict == .warn, case .int(let value)? = result.evidence("pid"),
            let pid = Int32(exactly: value), let under = (try? facts.collectors().get())?.under,
            let found = under.first(where: { $0.pid == pid && !$0.isZombie })
        else { return result }
        let logs = CollectorProcessCheck.logDirectory(facts.layout)
        return amend(
            result, judged: [found], known: under,
            kind: Kind(name: "bkunifylogbeat", plural: "collector", matches: \.hasCollectorName),
            why: "查看 \(logs) 下的 bkunifylogbeat 日志找出退出原因（常见: get agent info timeout、connection refused、配置错误、超过 GSE 的 cpu/mem 限制被杀）",
            start: "在节点管理中启动 bkunifylogbeat", restart: "在节点管理中重启 bkunifylogbeat", facts: facts)
    }

    /// gse_agent/process: the agents the check judged are those its evidence lists (`pids`) that were running.
    static func agentProcess(_ result: CheckResult, facts: any HostFacts) -> CheckResult {
        guard result.verdict == .pass || result.verdict == .warn, case .array(let listed)? = result.evidence("pids"),
            let under = (try? facts.agents().get())?.under
        else { return result }
        let pids = Set(listed.compactMap { v -> Int32? in if case .int(let n) = v { Int32(exactly: n) } else { nil } })
        let judged = under.filter { pids.contains($0.pid) && !$0.isZombie && !$0.isStopped }
        let layout = facts.layout
        let gsectl = "\(layout.root)\(layout.agentDir)/bin/gsectl"
        return amend(
            result, judged: judged, known: under,
            kind: Kind(name: "gse_agent", plural: "agent", matches: { $0.hasAgentName && !$0.isHealthProbe }),
            why: "查看 gse_agent 日志找出退出原因（常见: 配置错误、证书或端口问题、超过资源限制被杀）",
            start: "在节点管理中重启 Agent，或执行 \(gsectl) start", restart: "在节点管理中重启 Agent，或执行 \(gsectl) restart", facts: facts)
    }

    /// Arguments that run the program as a command, which ends when its work is done (a version query, help, a
    /// reload or quit sent to the running agent).
    static let commandArguments: Set<String> = ["--version", "-v", "-V", "version", "--help", "-h", "help", "--reload", "--quit"]

    /// Whether `p` was started with one of `commandArguments`.
    static func isCommand(_ p: ProcessRecord) -> Bool { p.arguments.dropFirst().contains { commandArguments.contains($0) } }

    /// The processes a check judges, told apart from others on the host.
    struct Kind {
        /// How messages name one (`bkunifylogbeat`, `gse_agent`).
        let name: String
        /// How messages name what runs now (`no collector runs`).
        let plural: String
        let matches: (ProcessRecord) -> Bool
    }

    /// The result with what became of `judged` (`known`: every process of the kind the scan placed under the
    /// root, judged or not): unchanged while each still runs (the same pid with the same start, not a zombie);
    /// else a fail, or a warn when every one that went had run over `youngSeconds` and another took its place.
    ///
    /// A process of a second or less that is the same program as its parent, a judged process that still runs, is
    /// a fork caught before its exec (gse_agent starting a plugin or a script): one that has ended since is no
    /// process of the kind exiting, and is left out. So is one of a second or less that no judged process started,
    /// while another judged process ran throughout, when its arguments name a command or nothing of the kind has
    /// started since: the program run as a command beside the agent (`gse_agent --version` from NodeMan's scripts,
    /// gsectl's `--reload`), which ends when its work is done. A GSE 2 worker that keeps exiting after less than a second
    /// under its watchdog looks the same, and is left to the checks of what it carries (dataserver_port,
    /// socket_queue_status): a false fail of a healthy agent would be worse. GSE 1's agentWorker, another program
    /// than the gseMaster that starts it, is never taken for a fork.
    static func amend(
        _ result: CheckResult, judged: [ProcessRecord], known: [ProcessRecord], kind: Kind, why: String, start: String, restart: String,
        facts: any HostFacts
    ) -> CheckResult {
        let clock = Double(max(1, facts.clockTicks))
        /// How long `p` had run when the scan found it (the run's uptime is read with its process scan).
        func up(_ p: ProcessRecord) -> Double? {
            guard let ticks = p.stat?.startTimeTicks, let uptime = facts.uptimeSeconds else { return nil }
            return max(0, uptime - Double(ticks) / clock)
        }
        let gone = judged.filter { p in
            guard let ticks = p.stat?.startTimeTicks else { return false }
            guard let now = facts.currentStat(of: p.pid) else { return true }
            return now.startTimeTicks != ticks || now.state == "Z" || now.state == "X"
        }
        let stayed = Set(judged.map(\.pid)).subtracting(gone.map(\.pid))
        let layout = facts.layout
        var commands: [ProcessRecord] = []
        var ended = gone.filter { p in
            guard up(p).map({ $0 <= 1 }) ?? false else { return true }
            let ppid = p.stat?.ppid
            // A fork of a judged process that still runs, caught before its exec.
            if let parent = judged.first(where: { $0.pid == ppid }) { return !(stayed.contains(parent.pid) && parent.name == p.name) }
            if stayed.isEmpty { return true }
            commands.append(p)
            return false
        }
        // A second-long run that no judged process started, beside one that ran throughout: the program run as a
        // command (NodeMan's scripts run `gse_agent --version`; gsectl `--reload`, `--quit`), not the agent exiting,
        // when its arguments say so or nothing of the kind has started since. One a supervisor of its own starts
        // again (systemd's Restart=, a watch script) has a successor: an agent that keeps exiting.
        let seen = Set(known.map { SeenProcess(pid: $0.pid, start: $0.stat?.startTimeTicks) })
        let unflagged = commands.filter { !Self.isCommand($0) }
        if !unflagged.isEmpty, let all = try? facts.rescanProcesses().get() {
            let startedSince = all.contains { p in
                kind.matches(p) && !p.isZombie && (p.exe.map(layout.holds) ?? false || p.cwd.map(layout.holds) ?? false)
                    && !seen.contains(SeenProcess(pid: p.pid, start: p.stat?.startTimeTicks))
            }
            if startedSince { ended += unflagged }
        }
        guard !ended.isEmpty else { return result }

        func upText(_ p: ProcessRecord) -> String { up(p).map { ProcessStats(uptimeSeconds: $0).uptimeText } ?? "for an unknown time" }
        let endedPIDs = Set(ended.map(\.pid))
        // What runs under the root now: those the scan found that still do, and any started since.
        let now: (still: [ProcessRecord], started: [ProcessRecord])? = (try? facts.rescanProcesses().get()).map { all in
            let mine = all.filter { p in
                kind.matches(p) && !p.isZombie && (p.exe.map(layout.holds) ?? false || p.cwd.map(layout.holds) ?? false)
            }
            let still = mine.filter {
                seen.contains(SeenProcess(pid: $0.pid, start: $0.stat?.startTimeTicks)) && !endedPIDs.contains($0.pid)
            }
            let started = mine.filter { p in !seen.contains(SeenProcess(pid: p.pid, start: p.stat?.startTimeTicks)) }
            return (still, started)
        }

        // Only what is added here is made displayable: the check's own message and evidence already are.
        var evidence: [(String, JSONValue)] = [
            (
                "exited_during_check",
                .array(
                    ended.map { p in
                        var o: [(String, JSONValue)] = [("pid", .int(Int64(p.pid)))]
                        if let s = up(p) { o.append(("uptime_s_when_found", .int(Int64(s)))) }
                        return .object(o)
                    })
            )
        ]
        if let now { evidence.append(("running_now", Fmt.pids(now.still + now.started))) }
        let head =
            ended.count == 1
            ? "\(kind.name) pid \(ended[0].pid), up \(upText(ended[0])) when this check found it, exited before the check ended"
            : "\(kind.name) pids \(ended.map { "\($0.pid) (up \(upText($0)))" }.joined(separator: ", ")), found by this check, exited before it ended"
        let young = ended.contains { p in up(p).map { $0 <= youngSeconds } ?? true }
        let finding: Finding
        switch now {
        case let now? where now.still.isEmpty && now.started.isEmpty:
            finding = .fail(
                head + ", and no \(kind.plural) runs under \(layout.root) now",
                hint: "\(kind.name) 在检查期间退出，现在没有在运行：" + why + "，处理后" + start, evidence: evidence)
        case let now? where !now.started.isEmpty:
            let pids = now.started.map { String($0.pid) }.joined(separator: ", ")
            if young {
                finding = .fail(
                    head + ", and pid \(pids) has started since: it keeps exiting and being restarted",
                    hint: "\(kind.name) 运行不久就退出，又被重新拉起（反复重启）：" + why + "，处理后" + restart, evidence: evidence)
            } else {
                finding = .warn(
                    head + ", and pid \(pids) has started since: restarted while bkdiag looked",
                    hint: "\(kind.name) 在检查期间被重启（此前已运行 \(ended.map(upText).joined(separator: "、"))）：若不是节点管理或手工的重启，" + why
                        + "；稍后再运行 bkdiag 确认它稳定运行",
                    evidence: evidence)
            }
        case let now?:
            // Others still run and nothing took the place of the one that went (GSE 1's agentWorker gone with
            // gseMaster left, GSE 2's worker gone with its watchdog left): what it did is not done.
            let pids = now.still.map { String($0.pid) }.joined(separator: ", ")
            finding = .fail(
                head + ", and nothing has started in its place (pid \(pids) still runs)",
                hint: "\(kind.name) 在检查期间有进程退出且未被重新拉起：" + why + "，处理后" + restart, evidence: evidence)
        case nil:
            // The processes cannot be listed again: what is known is that one judged has gone.
            finding = .fail(head, hint: "\(kind.name) 在检查期间退出：" + why, evidence: evidence)
        }
        let shown = finding.displayed
        var out = result
        out.verdict = shown.verdict
        out.message = shown.message + "; when found: " + result.message
        out.hint = shown.hint
        out.evidence = result.evidence + shown.evidence
        return out
    }

    /// A process told apart from a later one that reuses its pid.
    struct SeenProcess: Hashable {
        let pid: Int32
        let start: Int64?
    }
}
