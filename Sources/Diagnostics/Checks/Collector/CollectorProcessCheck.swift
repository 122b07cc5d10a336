import HostProbe
import Report

/// bkunifylogbeat/process: the collector runs from this GSE root; restarts today; resource use.
struct CollectorProcessCheck: Check {
    let id = CheckID.collectorProcess

    func run(_ facts: any HostFacts) -> Finding {
        let found: (under: [ProcessRecord], elsewhere: [ProcessRecord])
        switch facts.collectors() {
        case .failure(let e): return .unreadable("/proc", e)
        case .success(let f): found = f
        }
        var evidence: [(String, JSONValue)] = [("gse_root", .string(facts.layout.root))]
        if !found.elsewhere.isEmpty {
            evidence.append(
                (
                    "elsewhere",
                    .array(
                        found.elsewhere.map { p in
                            .object([("pid", .int(Int64(p.pid))), ("exe", .string(p.exe ?? "")), ("cwd", .string(p.cwd ?? ""))])
                        })
                ))
        }
        let restarts = facts.collectorRestarts()
        switch restarts {
        case .success(let r):
            evidence.append(
                (
                    "restarts_today",
                    .object([
                        ("start", .int(Int64(r.starts))), ("stop", .int(Int64(r.stops))), ("reload", .int(Int64(r.reloads))),
                    ])
                ))
        case .failure(let e):
            if !e.isMissing { evidence.append(("restart_log_error", .string(e.description))) }
        }
        let states = ProcessStates(found.under)
        if let halted = states.notRunning("bkunifylogbeat", evidence: evidence) { return halted }
        // The collector reported is the oldest one (by start time): after the pid counter wraps, a process caught
        // starting may have the lowest pid, and the long-running one must not pass for its duplicate.
        let oldestFirst = states.running.enumerated().sorted {
            ($0.element.stat?.startTimeTicks ?? .max, $0.offset) < ($1.element.stat?.startTimeTicks ?? .max, $1.offset)
        }.map(\.element)
        guard let main = oldestFirst.first else {
            if let p = found.elsewhere.first(where: \.unplaced) {
                return .unplaced(p, evidence: evidence)
            }
            // gse_agent hosts the collector (starts it and restarts it): with no agent running, that comes first.
            let agentDown = facts.agentDown
            // A collector under another GSE install whose own agent runs there is that install's (GSE 1 and GSE 2
            // side by side): not a stray to stop.
            func root(_ p: ProcessRecord) -> String? {
                guard let path = p.exe ?? p.cwd, let r = path.firstRange(of: "/plugins/") else { return nil }
                return String(path[..<r.lowerBound])
            }
            let agentRoots = Set(
                ((try? facts.agents().get())?.elsewhere ?? []).compactMap { a -> String? in
                    guard let path = a.exe ?? a.cwd, let r = path.firstRange(of: "/agent/") else { return nil }
                    return String(path[..<r.lowerBound])
                })
            let strays = found.elsewhere.filter { p in root(p).map { !agentRoots.contains($0) } ?? true }
            let hostedElsewhere = Fmt.unique(found.elsewhere.compactMap { p in root(p).flatMap { agentRoots.contains($0) ? $0 : nil } })
            let hint =
                strays.isEmpty && !hostedElsewhere.isEmpty
                ? (agentDown == true
                    ? "gse_agent 也未运行：采集器由 gse_agent 托管拉起，先恢复本目录的 gse_agent 进程，再确认 bkunifylogbeat 被拉起（另一套 GSE \(Fmt.list(hostedElsewhere, max: 3)) 的采集器由其自己的 Agent 托管，与本目录无关，不要停止）"
                    : "在节点管理中启动 bkunifylogbeat 插件，并查看 \(Self.logDirectory(facts.layout)) 下的日志找出退出原因（另一套 GSE \(Fmt.list(hostedElsewhere, max: 3)) 的采集器由其自己的 Agent 托管，与本目录无关，不要停止）")
                : !strays.isEmpty
                    ? (agentDown == true ? "gse_agent 也未运行：先恢复本目录的 gse_agent 进程；另外，" : "")
                        + "bkunifylogbeat 在其他目录运行（\(Fmt.list(Fmt.unique(strays.map { $0.cwd ?? $0.exe ?? "?" }), max: 5))），不受该 GSE 托管；请停止它并通过节点管理启动"
                    : agentDown == true
                        ? "gse_agent 也未运行：采集器由 gse_agent 托管拉起，先恢复 gse_agent 进程，再确认 bkunifylogbeat 被拉起"
                        : "在节点管理中启动 bkunifylogbeat 插件，并查看 \(Self.logDirectory(facts.layout)) 下的日志找出退出原因（常见: get agent info timeout、connection refused）"
            // Its pid lock names a live process: every start (gse_agent's, NodeMan's) exits at once, whatever
            // else is fixed, until that process ends or the file goes.
            if let held = Self.heldLock(facts, found.under) {
                evidence.append(("pid_file", .string(held.lock)))
                evidence.append(("pid_file_holder", .object([("pid", .int(Int64(held.pid))), ("name", .string(held.name))])))
                return .fail(
                    "bkunifylogbeat is not running, and cannot start: its pid lock \(held.lock) names pid \(held.pid), a live process (\(held.name)), and libgse's lock refuses every start while it lives (Locked by other process)",
                    hint: held.collector
                        ? "另一套 GSE 的采集器与本目录的采集器主配置 path.pid 相同，共用一个 pid 锁文件，只能有一个启动：为本目录的插件配置不同的 run 路径后重新下发插件配置，再在节点管理中启动 bkunifylogbeat"
                        : "pid 锁文件是采集器上次运行留下的，其中的 pid 已被其他进程复用（如重启后），采集器每次启动都会因锁被占用而退出：删除 \(held.lock) 后在节点管理中启动 bkunifylogbeat",
                    evidence: evidence)
            }
            // Started again and again today and not running now: it keeps exiting (gse_agent starts a plugin it
            // hosts again when it exits), which "not running" alone does not say. Not when today's last entry is a
            // stop (NodeMan's stop.sh writes one): that collector was stopped, and nothing started it since.
            if case .success(let r) = restarts, r.entries > facts.options.restartThreshold, r.reloads * 2 <= r.entries,
                r.lastToday != "stop"
            {
                return .fail(
                    "bkunifylogbeat is not running; restart/reload times is over \(facts.options.restartThreshold): \(r.atLeast ? "at least " : "")\(r.entries) today (\(r.starts) start, \(r.stops) stop, \(r.reloads) reload): it keeps exiting",
                    hint: (strays.isEmpty && agentDown != true ? "" : hint + "；")
                        + "采集器今天反复启动又退出：查看 \(Self.logDirectory(facts.layout)) 下的 bkunifylogbeat 日志找出退出原因（常见: get agent info timeout、connection refused、超过 GSE 的 cpu/mem 限制被杀、配置错误），处理后在节点管理中启动",
                    evidence: evidence)
            }
            return .fail("bkunifylogbeat is not running", hint: hint, evidence: evidence)
        }
        let stats = ProcessStats.read(main, facts: facts)
        evidence.append(("pid", .int(Int64(main.pid))))
        evidence += stats.evidence
        var message = "cpu_usage: \(Fmt.percent(stats.cpuPercent)), mem_usage: \(Fmt.percent(stats.memPercent))"
        message += " (pid \(main.pid), up \(stats.uptimeText))"
        if case .success(let r) = restarts, r.entries > facts.options.restartThreshold {
            return .fail(
                "restart/reload times is over \(facts.options.restartThreshold): \(r.atLeast ? "at least " : "")\(r.entries) today (\(r.starts) start, \(r.stops) stop, \(r.reloads) reload"
                    + (r.atLeast ? " in the last \(RestartLog.readLimit >> 20) MiB of the log read" : "") + "); "
                    + message,
                hint: r.reloads * 2 > r.entries
                    ? "今天的条目主要是配置下发触发的 reload（\(r.reloads) 次），采集器没有反复重启：确认日志平台/节点管理是否在频繁下发采集配置（check.py 同样按条目计数）"
                    : "采集器反复重启：查看 \(Self.logDirectory(facts.layout))/bkunifylogbeat*；常见原因是超过 GSE 的 cpu/mem 限制被杀或配置错误",
                evidence: evidence)
        }
        if let stuck = states.stuckWarning("bkunifylogbeat", facts: facts, evidence: evidence, detail: "; " + message) {
            return stuck
        }
        // A duplicate is one that stays: a run of a second or less (a version query, a process caught
        // between fork and exec) is not one.
        let lasting = oldestFirst.filter { p in p.pid == main.pid || facts.hasLasted(p) }
        if lasting.count > 1 {
            return .warn(
                "\(lasting.count) bkunifylogbeat processes under one root (pids \(lasting.map { String($0.pid) }.joined(separator: ", "))); "
                    + message,
                hint: "同一 GSE 目录下只应有一个采集器：停止手工启动的多余进程，只保留 gse_agent 托管的那个",
                evidence: evidence)
        }
        if main.exeDeleted {
            // Replaced on disk (an upgrade) or removed: without the file, the next start fails (bin_file says so).
            if case .failure(let e) = facts.collectorBinary.stat, e.isMissing {
                return .warn(
                    "bkunifylogbeat runs a deleted binary, and none is installed at \(facts.collectorBinary.path): it runs until it stops, and cannot start again; "
                        + message,
                    hint: "采集器的二进制文件已被删除：进程退出后无法再启动，先在节点管理中重新安装/下发 bkunifylogbeat 插件", evidence: evidence)
            }
            // What is installed in its place is an upgrade only when bin_file takes it for the collector's
            // binary: an empty or truncated file, a script, a directory or a symlink loop cannot start again.
            // An ELF program whose only fault is its missing execute bit, with start.sh beside it (bin_file's warn),
            // does start: start.sh makes it executable first.
            let installed = BinaryFacts.judge(facts.collectorBinary, hostMachine: facts.hostMachine)
            let elf: Bool = if case .success(_?)? = facts.collectorBinary.elf { true } else { false }
            if installed.verdict == .fail || (installed.verdict == .warn && !elf) {
                return .warn(
                    "bkunifylogbeat runs a deleted binary, and what is installed in its place is not one that starts (bin_file: \(installed.message)): it runs until it stops, and cannot start again; "
                        + message,
                    hint: "采集器的二进制文件已被替换为无法运行的内容（见 bin_file）：进程退出后无法再启动，先在节点管理中重新安装/下发 bkunifylogbeat 插件",
                    evidence: evidence)
            }
            return .warn(
                "bkunifylogbeat runs a deleted binary (upgraded without restart); " + message,
                hint: "插件已升级但进程未重启：在节点管理中重启 bkunifylogbeat", evidence: evidence)
        }
        // Placed by its working directory alone: the program it runs is another file than the installed one (a
        // copy started by hand from elsewhere, another program named bkunifylogbeat). Upgrades replace the
        // installed binary, not that file.
        if let exe = main.exe, !main.exeDeleted, !facts.layout.holds(exe) {
            evidence.append(("exe", .string(exe)))
            return .warn(
                "bkunifylogbeat (pid \(main.pid)) runs \(exe), not the installed \(facts.collectorBinary.path); " + message,
                hint: "该进程运行的不是本 GSE 目录下安装的插件二进制（从其他位置手工启动的副本或同名程序）：停止它，在节点管理中重启 bkunifylogbeat，使其以安装的二进制启动",
                evidence: evidence)
        }
        // Under the root, but another file than the installed binary, which is there: the old binary renamed aside
        // (`bkunifylogbeat.bak`) and a new one installed, the process not restarted. (A symlinked binary leads to
        // the same file: not this.)
        if let exe = main.exe, !main.exeDeleted, facts.layout.holds(exe), case .success = facts.collectorBinary.stat,
            !facts.sameFile(exe, facts.collectorBinary.path)
        {
            evidence.append(("exe", .string(exe)))
            return .warn(
                "bkunifylogbeat (pid \(main.pid)) runs \(exe), not the installed \(facts.collectorBinary.path) (an upgrade that renamed the old binary aside, without restart); "
                    + message,
                hint: "采集器进程运行的是被改名保留的旧二进制，安装的是新二进制（升级后未重启）：在节点管理中重启 bkunifylogbeat", evidence: evidence)
        }
        if let fds = stats.openFDs, let limit = stats.fdLimit, limit > 0, Double(fds) > 0.8 * Double(limit) {
            return .warn(
                "bkunifylogbeat is near its open-file limit (\(fds)/\(limit)); " + message,
                hint: "采集文件过多：调大 LimitNOFILE/ulimit -n，或收窄采集路径、设置 close_inactive", evidence: evidence)
        }
        // The restart count (check.py's rule for this item) was not judged: said so, never a plain pass. A log
        // that exists but cannot be read (a directory, an I/O error) is one NodeMan's scripts cannot append to
        // either: a warn. One bkdiag may not read is its own limit: the pass says what it left out.
        if case .failure(let e) = restarts, !e.isMissing {
            let log = facts.options.restartLog
            let why: String
            if case .success(let st) = facts.stat(log), !st.isRegular { why = "a \(st.kind), not a regular file" } else { why = e.reason }
            let notJudged = "restarts today not judged: \(log) cannot be read (\(why)); "
            if e.isPermission {
                return Finding(.pass, notJudged + message, hint: "以 root 运行 bkdiag 才能读取重启记录并统计今天的重启次数", evidence: evidence)
            }
            return .warn(
                notJudged + message,
                hint: "节点管理的启停脚本把重启记录追加到 \(facts.options.restartLog)：该路径无法读取（如被建成了目录），脚本同样写不进去，今天的重启次数无从统计：检查并修复该文件",
                evidence: evidence)
        }
        // Only the log's last part was read, and today's entries go on before it: the count below the threshold
        // is a floor, not a pass.
        if case .success(let r) = restarts, r.atLeast {
            return .warn(
                "restarts today not fully counted: \(r.entries) in the last \(RestartLog.readLimit >> 20) MiB of \(facts.options.restartLog) read, which starts on today (today's earlier entries were not read); "
                    + message,
                hint:
                    "重启记录今天已写了 \(RestartLog.readLimit >> 20) MiB 以上（大量插件启停或配置下发）：查看 \(facts.options.restartLog) 中今天的 bkunifylogbeat 条目，确认采集器是否反复重启",
                evidence: evidence)
        }
        return .pass(message, evidence: evidence)
    }

    /// Where the collector writes its own log: the main config's `path.logs` (NodeMan renders the agent's log
    /// path there, `/var/log/gse`), a relative one read from plugins/bin, the directory it runs in; without one,
    /// libbeat's default `<path.home>/logs`, path.home defaulting to the binary's directory: `<root>/plugins/bin/logs`.
    static func logDirectory(_ layout: GSELayout) -> String {
        if case .parsed(let yaml) = layout.mainConfig.state, let logs = yaml.lookup("path.logs")?.string,
            !logs.trimmingASCIIWhitespace().isEmpty
        {
            return PathText.normalize(PathText.resolve(logs.trimmingASCIIWhitespace(), from: layout.pluginBin))
        }
        return layout.pluginBin + "/logs"
    }

    /// The collector's pid lock (`CollectorStartPaths.pidFile`) and the live process it names, when that is not
    /// a collector of this root: nightlyone/lockfile signals the pid (kill 0) and refuses the lock while it
    /// answers (a zombie answers too). Nil when the file is missing, unreadable, names no number or no process.
    static func heldLock(_ facts: any HostFacts, _ ours: [ProcessRecord]) -> (lock: String, pid: Int32, name: String, collector: Bool)? {
        guard let lock = CollectorStartPaths.pidFile(facts.layout.mainConfig, facts: facts),
            case .success(let c) = facts.readFile(lock, limit: 256), let pid = CollectorStartPaths.lockedPID(c.text),
            !ours.contains(where: { $0.pid == pid }), let stat = facts.currentStat(of: pid)
        else { return nil }
        // A collector or an agent is in the scan, with where it runs from; any other process is named by its comm.
        if let known = (try? facts.processes.get())?.first(where: { $0.pid == pid }) {
            let place = known.exe ?? known.cwd
            let name = known.hasCollectorName ? "bkunifylogbeat of another root" : known.name
            return (lock, pid, name + (place.map { " at \($0)" } ?? ""), known.hasCollectorName)
        }
        return (lock, pid, stat.comm, false)
    }
}

/// Resource use of one process from /proc.
struct ProcessStats {
    var cpuPercent: Double = 0
    var memPercent: Double = 0
    var rssKB: Int64 = 0
    var threads: Int64 = 0
    var uptimeSeconds: Double = 0
    var openFDs: Int?
    var fdLimit: Int64?

    var uptimeText: String {
        let s = Int64(uptimeSeconds)
        if s >= 86400 { return "\(s / 86400)d\((s % 86400) / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h\((s % 3600) / 60)m" }
        if s >= 60 { return "\(s / 60)m\(s % 60)s" }
        return "\(s)s"
    }

    var evidence: [(String, JSONValue)] {
        var e: [(String, JSONValue)] = [
            ("cpu_percent", .double((cpuPercent * 10).rounded() / 10)), ("mem_percent", .double((memPercent * 10).rounded() / 10)),
            ("rss_kb", .int(rssKB)), ("threads", .int(threads)), ("uptime_s", .int(Int64(uptimeSeconds))),
        ]
        if let openFDs { e.append(("open_fds", .int(Int64(openFDs)))) }
        if let fdLimit { e.append(("fd_limit", fdLimit == Int64.max ? .string("unlimited") : .int(fdLimit))) }
        return e
    }

    /// Lifetime-average cpu% (as ps shows it), RSS share of MemTotal, threads, fds against RLIMIT_NOFILE.
    static func read(_ p: ProcessRecord, facts: any HostFacts) -> ProcessStats {
        var s = ProcessStats()
        guard let st = p.stat else { return s }
        let ticks = Double(facts.clockTicks)
        if let up = facts.uptimeSeconds {
            s.uptimeSeconds = max(0, up - Double(st.startTimeTicks) / ticks)
            if s.uptimeSeconds > 0 {
                s.cpuPercent = (Double(st.utimeTicks) + Double(st.stimeTicks)) / ticks / s.uptimeSeconds * 100
            }
        }
        let rssBytes = st.rssPages.multipliedReportingOverflow(by: facts.pageSize)
        s.rssKB = rssBytes.overflow ? .max : rssBytes.partialValue / 1024
        if let total = facts.memTotalKB, total > 0 { s.memPercent = Double(s.rssKB) / Double(total) * 100 }
        s.threads = st.numThreads
        if case .success(let fds) = facts.fds(of: p.pid) { s.openFDs = fds.count }
        s.fdLimit = facts.openFileLimit(of: p.pid)
        return s
    }
}

/// NodeMan's restart log (`/tmp/bkc.log`): `YYYYMMDD-HHMMSS INFO|<n>|log-main <start|stop|reload> <plugin> ...`.
public enum RestartLog {
    public struct Counts: Sendable, Equatable {
        public var starts = 0
        public var stops = 0
        public var reloads = 0
        /// Today's entries, each start, stop, reload (or a `restart` entry) once: what check.py counts as
        /// lines, and what its threshold was set against. NodeMan's restart.sh runs stop.sh then start.sh,
        /// two entries; gse_agent restarting a crashed collector runs start.sh, one.
        public var entries = 0
        /// Unix time of the newest reload entry for the plugin (any day), if any: reload.sh's SIGUSR1 makes a
        /// running collector load its configs again (a start entry newer than the running collector's own
        /// start did not start it, so it loaded nothing into it). reload.sh writes the entry before it looks
        /// for the process, so the entry alone does not say the collector was reached.
        public var lastReloadAt: Int64?
        /// Whether the first entry read is today's: with the log's start not read, today's count is then a floor.
        public var firstEntryIsToday = false
        /// Today's count is a floor (see `HostFacts.collectorRestarts`).
        public var atLeast = false
        /// Today's last entry for the plugin: `start`, `stop`, `reload` or `restart`.
        public var lastToday: String?
    }

    /// Counts today's entries for `plugin` by pattern, not by line: an old script wrote entries
    /// without newlines, so several share one line.
    public static func count(text: String, plugin: String, today: String) -> Counts {
        var c = Counts()
        let bytes = Array(text.utf8)
        let day = Array(today.utf8)
        // Entry starts: `YYYYMMDD-HHMMSS ` anywhere.
        var starts: [Int] = []
        var i = 0
        while i + 16 <= bytes.count {
            if isEntryStart(bytes, i) { starts.append(i); i += 16 } else { i += 1 }
        }
        c.firstEntryIsToday = starts.first.map { Array(bytes[$0..<($0 + 8)]) == day } ?? false
        for (k, s) in starts.enumerated() {
            let isToday = Array(bytes[s..<(s + 8)]) == day
            var end = k + 1 < starts.count ? starts[k + 1] : bytes.count
            if let nl = bytes[s..<end].firstIndex(of: 0x0a) { end = nl }
            let entry = String(decoding: bytes[s..<end], as: UTF8.self)
            // A CRLF line's carriage return is not part of its last word (the plugin's name).
            let words = entry.split(whereSeparator: { $0 == " " || $0 == "|" || $0 == "\t" || $0 == "\r" })
            guard let idx = words.firstIndex(where: { $0 == "start" || $0 == "stop" || $0 == "reload" || $0 == "restart" }),
                idx + 1 < words.count, words[idx + 1] == plugin
            else { continue }
            if words[idx] == "reload", let t = epoch(bytes, s) { c.lastReloadAt = max(c.lastReloadAt ?? 0, t) }
            guard isToday else { continue }
            c.entries += 1
            c.lastToday = String(words[idx])
            switch words[idx] {
            case "start": c.starts += 1
            case "stop": c.stops += 1
            case "restart": c.starts += 1; c.stops += 1
            default: c.reloads += 1
            }
        }
        return c
    }

    /// `YYYYMMDD-HHMMSS` at `i`, as local time, to Unix seconds.
    static func epoch(_ b: [UInt8], _ i: Int) -> Int64? {
        func num(_ from: Int, _ n: Int) -> Int32 {
            var v: Int32 = 0
            for k in from..<(from + n) { v = v * 10 + Int32(b[i + k] - 0x30) }
            return v
        }
        return Timestamp.localEpoch(
            year: num(0, 4), month: num(4, 2), day: num(6, 2), hour: num(9, 2), minute: num(11, 2), second: num(13, 2))
    }

    static func isEntryStart(_ b: [UInt8], _ i: Int) -> Bool {
        for k in 0..<8 where !(b[i + k] >= 0x30 && b[i + k] <= 0x39) { return false }
        guard b[i + 8] == UInt8(ascii: "-") else { return false }
        for k in 9..<15 where !(b[i + k] >= 0x30 && b[i + k] <= 0x39) { return false }
        return b[i + 15] == UInt8(ascii: " ")
    }

    /// How much of the log's end is read.
    public static let readLimit = 4 << 20
}
