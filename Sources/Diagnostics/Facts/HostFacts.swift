import HostProbe
import Report

/// Everything the checks read from the host: the only doorway between a check and the machine.
/// `LiveHostFacts` reads each fact at most once per run and shares it; `InMemoryHostFacts`
/// (TestSupport) holds facts a test sets. A failed read is kept as its error so each check can turn
/// it into `unknown`.
public protocol HostFacts: AnyObject, Sendable {
    /// The run's options (flags or the daemon's config).
    var options: CheckOptions { get }
    /// Where the GSE install is and what it uses, with the collector's main config parsed.
    var layout: GSELayout { get }

    /// Collector and agent processes found by exe or comm (one walk of /proc), zombies included.
    var processes: Result<[ProcessRecord], ProbeError> { get }
    /// The open fds of a process.
    func fds(of pid: Int32) -> Result<[FDLink], ProbeError>
    /// The process (any, not only those the scan keeps) holding the socket of `inode`, with its comm; nil
    /// when none is found. Walks every process's fds: for rare paths only.
    func socketHolder(inode: UInt64) -> (pid: Int32, comm: String)?
    /// A process's soft RLIMIT_NOFILE (`Int64.max` for unlimited), nil when unreadable.
    func openFileLimit(of pid: Int32) -> Int64?
    /// A fresh sample of a process's `stat` (not cached: the D-state check samples twice).
    func currentStat(of pid: Int32) -> ProcStat?
    /// A new walk of /proc for the collector and agent processes (not the run's cached `processes`): what runs
    /// at the end of the run.
    func rescanProcesses() -> Result<[ProcessRecord], ProbeError>
    /// `MemTotal` in KiB.
    var memTotalKB: Int64? { get }
    /// Seconds since boot.
    var uptimeSeconds: Double? { get }
    /// The wall clock (Unix milliseconds) when `uptimeSeconds` was read: a process's start is placed on the wall
    /// clock from the two read together, not from the uptime and a later clock.
    var uptimeReadAtMilliseconds: Int64 { get }
    /// `sysconf(_SC_CLK_TCK)`.
    var clockTicks: Int64 { get }
    /// `sysconf(_SC_PAGESIZE)`.
    var pageSize: Int64 { get }
    /// This host's machine name (`uname -m`).
    var hostMachine: String { get }
    /// The wall clock, in Unix milliseconds.
    var nowMilliseconds: Int64 { get }

    /// Unix sockets from netlink sock_diag (the run's first sample).
    var unixDiag: Result<[UnixDiagEntry], ProbeError> { get }
    /// A new sock_diag sample, for resampling a queue.
    func unixDiagResample() -> Result<[UnixDiagEntry], ProbeError>
    /// `/proc/net/unix`, the fallback when sock_diag is refused.
    var unixTable: Result<[UnixSocketEntry], ProbeError> { get }
    /// ESTABLISHED and SYN_SENT TCP sockets (any process, v4 and v6) whose remote port is one of the layout's data ports.
    var tcpToDataPort: Result<[TCPSocketEntry], ProbeError> { get }
    /// Listening TCP sockets (any process, v4 and v6).
    var tcpListening: Result<[TCPSocketEntry], ProbeError> { get }
    /// Every ESTABLISHED TCP socket (any process, any port): read only when a check needs the agent's
    /// other connections.
    var tcpEstablished: Result<[TCPSocketEntry], ProbeError> { get }
    /// `stat` of the layout's IPC socket path.
    var ipcSocketStat: Result<FileStat, ProbeError> { get }

    /// The tail of NodeMan's restart log.
    var restartLogText: Result<String, ProbeError> { get }
    /// Whether the log was longer than the tail read (`RestartLog.readLimit`).
    var restartLogCut: Bool { get }
    /// The `-l` patterns expanded as the collector's glob does, one result per pattern.
    var logExpansions: [Result<Glob.Expansion, GlobPatternError>] { get }
    /// The collector binary: stat and ELF header (never run).
    var collectorBinary: BinaryFile { get }
    /// What the collector that runs (else the one installed) records of its build: the rules that differ
    /// between collector versions read it.
    var collectorBuild: GoBinaryInfo? { get }
    /// The subscription config directories the main config's `multi_config` lists and their files.
    var subscriptionConfigs: SubscriptionConfigListing { get }
    /// One subscription config file read and parsed (once per run).
    func subscriptionConfig(_ file: SubscriptionConfigFile) -> SubscriptionConfigRead
    /// The GSE 2 agent's own `--healthz` probe, run at most once.
    var agentHealthz: AgentHealthz.Result { get }
    /// The progress items' samples of every hop (two when a baseline or a sample gap allows), taken once per run.
    var progress: ProgressInput { get }

    /// `stat` (following links) of a path a check names itself: a matched log file, a registry.
    func stat(_ path: String) -> Result<FileStat, ProbeError>
    /// The effective user id of process `pid` (`/proc/<pid>/status`, the second `Uid:` value); nil when it
    /// cannot be read.
    func effectiveUID(of pid: Int32) -> UInt32?
    /// The real path (symlinks resolved), nil when it cannot be resolved.
    func realPath(_ path: String) -> String?
    /// What the collector's glob finds for a pattern of its config (`Glob.expandLikeCollector`).
    func collectorGlob(_ pattern: String) -> Result<Glob.Expansion, GlobPatternError>
    /// At most `limit` bytes from the start of a file.
    func readFile(_ path: String, limit: Int) -> Result<FileBytes, ProbeError>
    /// Of `paths`, those the running collector may not open or find, with why (`FileAccess`, by the mode bits
    /// of the file and its directories, and of the directories its glob lists by the first of `patterns` —
    /// its own, absolute — that matches, against its credentials): none when it may read anything (root),
    /// when no collector runs, or when its credentials cannot be read.
    func collectorDenied(_ paths: [String], patterns: [String]) -> [String: String]
    /// Why the running collector may not connect to the unix socket at `path` (`FileAccess.checkConnect`);
    /// nil when it may, or when that cannot be told (root, no collector, credentials unreadable).
    func collectorDeniedConnect(_ path: String) -> String?
}

/// The collector's and the agent's process names.
public enum ProcessNames {
    public static let collector = "bkunifylogbeat"
    public static let gse1Agent: Set<String> = ["gseMaster", "agentWorker"]
    public static let gse2Agent: Set<String> = ["gse_agent"]
    /// Every name an agent process has (exe base name or comm), either generation.
    public static let agents = gse1Agent.union(gse2Agent)
}

/// The bytes of a bounded read.
public struct FileBytes: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The file had more than the limit.
    public var truncated: Bool
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public init(bytes: [UInt8], truncated: Bool = false) {
        self.bytes = bytes
        self.truncated = truncated
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }
}

/// The helpers every check shares, computed from the facts.
extension HostFacts {
    /// Whether `process` has run for more than a second (or its start is not known): a run of a second or less
    /// is a version query, or a copy caught between fork and exec, not a collector or agent that stays.
    public func hasLasted(_ process: ProcessRecord) -> Bool {
        startedAt(process).map { Double(nowMilliseconds) / 1000 - $0 > 1 } ?? true
    }

    /// Whether a file time (Unix seconds) lies ahead of this run's clock by more than `slack` seconds: the
    /// clock was set back, or the file was stamped on a host whose clock is ahead. Such a time says nothing
    /// about whether the file changed after a process started.
    public func isInFuture(_ seconds: Int64, slack: Double = 2) -> Bool {
        Double(seconds) > Double(nowMilliseconds) / 1000 + slack
    }

    /// When `process` started, in wall-clock Unix seconds (its start in ticks after boot, placed by the
    /// uptime); nil when its stat or the uptime is not known.
    public func startedAt(_ process: ProcessRecord) -> Double? {
        guard let st = process.stat, let up = uptimeSeconds else { return nil }
        return Double(uptimeReadAtMilliseconds) / 1000 - (up - Double(st.startTimeTicks) / Double(clockTicks))
    }

    /// Restart-log counts for the collector; `today` is the local `YYYYMMDD` (default: today at `nowMilliseconds`).
    public func collectorRestarts(today: String? = nil) -> Result<RestartLog.Counts, ProbeError> {
        let day = today ?? Timestamp.localYYYYMMDD(seconds: nowMilliseconds / 1000)
        return restartLogText.map { text in
            var c = RestartLog.count(text: text, plugin: ProcessNames.collector, today: day)
            // The log's earlier part was not read: when the tail starts on today, today's entries go on before it.
            c.atLeast = restartLogCut && c.firstEntryIsToday
            return c
        }
    }

    /// Where the collector makes relative log patterns absolute (filebeat's `normalizeGlobPatterns`,
    /// `filepath.Abs`): the running collector's working directory, else plugins/bin, where NodeMan starts it.
    public var collectorWorkingDirectory: String {
        (try? collectors().get())?.under.first(where: \.isCollector)?.cwd ?? layout.pluginBin
    }

    /// `pattern` as the collector reads it: absolute ones as given, relative ones from its working directory.
    /// (The working directory, a look through the scanned processes, is found only for a relative one: the checks
    /// ask this of every pattern of every subscription on the host.)
    public func collectorPattern(_ pattern: String) -> String {
        pattern.hasPrefix("/") || pattern.isEmpty ? pattern : PathText.resolve(pattern, from: collectorWorkingDirectory)
    }

    /// A `-l` pattern as the files it names are found: a relative one written exactly as in the checked
    /// subscription's config is that config's path, read from the collector's working directory; any other is
    /// taken as given (relative to bkdiag's own directory, as check.py's glob took it).
    public func askedPattern(_ pattern: String) -> String {
        guard !pattern.hasPrefix("/"), !pattern.isEmpty else { return pattern }
        let sub = options.subscriptionID
        let written = SubscriptionConfigCheck.parsedConfigs(self, where: { $0.subscriptionID == sub }).flatMap { c in
            SubscriptionConfigCheck.items(c.yaml).flatMap { $0.paths.map { $0.trimmingASCIIWhitespace() } }
        }
        return written.contains(pattern) ? collectorPattern(pattern) : pattern
    }

    /// Collector processes that belong to the GSE root (cwd or exe under it), stopped and zombie ones
    /// included: the checks name their state.
    public func collectors() -> Result<(under: [ProcessRecord], elsewhere: [ProcessRecord]), ProbeError> {
        split(\.hasCollectorName)
    }

    /// No agent process runs under the root, and none runs where bkdiag cannot look (not root): nothing hosts
    /// the collector or receives what it sends. Nil when the processes cannot be listed.
    public var agentDown: Bool? {
        (try? agents().get()).map { a in !a.under.contains(where: \.isAgent) && !a.elsewhere.contains(where: \.unplaced) }
    }

    /// GSE agent processes (gse_agent, or gseMaster/agentWorker) under the GSE root, stopped and
    /// zombie ones included; a `--healthz` probe invocation is not the agent and is left out.
    public func agents() -> Result<(under: [ProcessRecord], elsewhere: [ProcessRecord]), ProbeError> {
        split { $0.hasAgentName && !$0.isHealthProbe }
    }

    /// Running `gse_agent --healthz` invocations (any root): short-lived probes, not the agent.
    public func agentHealthProbes() -> [ProcessRecord] {
        (try? processes.get())?.filter { $0.hasAgentName && $0.isHealthProbe && !$0.isZombie } ?? []
    }

    /// The scanned processes that `keep` selects, split by whether their exe or cwd is under the root.
    /// A zombie has neither: it is under the root when its parent runs from there, and is left out
    /// otherwise (an unreaped process elsewhere says nothing about this root).
    private func split(_ keep: (ProcessRecord) -> Bool) -> Result<(under: [ProcessRecord], elsewhere: [ProcessRecord]), ProbeError> {
        processes.map { all in
            let mine = all.filter(keep)
            let layout = layout
            func placed(_ path: String?) -> Bool { path.map(layout.holds) ?? false }
            let under = mine.filter { p in
                p.isZombie ? placed(p.parentExe) || placed(p.parentCwd) : placed(p.exe) || placed(p.cwd)
            }
            return (under, mine.filter { p in !p.isZombie && !under.contains(where: { $0.pid == p.pid }) })
        }
    }

    /// Socket inodes held by the given processes; pids whose fds could not be read are returned apart.
    public func socketInodes(of pids: [Int32]) -> (inodes: [UInt64: Int32], unreadable: [Int32: ProbeError]) {
        var map: [UInt64: Int32] = [:]
        var bad: [Int32: ProbeError] = [:]
        for pid in pids {
            switch fds(of: pid) {
            case .success(let links):
                for l in links { if let ino = ProcFS.socketInode(fromLink: l.target) { map[ino] = pid } }
            case .failure(let e):
                if !e.isMissing { bad[pid] = e }
            }
        }
        return (map, bad)
    }
}

extension ProcessRecord {
    /// Named as the collector, by exe base name or comm (a zombie too).
    var hasCollectorName: Bool { name == ProcessNames.collector || comm == ProcessNames.collector }
    /// A live collector process.
    var isCollector: Bool { hasCollectorName && !isZombie }
    /// Named as a GSE agent process of either generation, by exe base name or comm (a zombie too).
    var hasAgentName: Bool { ProcessNames.agents.contains(name) || ProcessNames.agents.contains(comm) }
    /// A live GSE agent process.
    var isAgent: Bool { hasAgentName && !isZombie }
    /// A `gse_agent --healthz` / `-f <conf> --healthz 1` invocation: a short-lived probe (another
    /// bkdiag's, an operator's), not the agent daemon.
    var isHealthProbe: Bool { arguments.dropFirst().contains { $0 == "--healthz" || $0 == "-healthz" || $0.hasPrefix("--healthz=") } }
    /// Found by comm only, with exe and cwd unreadable (bkdiag not root): where it runs from is unknown.
    /// (A zombie has neither either, but that is its state, not a lack of rights.)
    var unplaced: Bool { exe == nil && cwd == nil && !isZombie }
    /// `pid N (state T: stopped)` and the like, for a process that is not running.
    var stateSummary: String {
        switch stat?.state {
        case "Z"?: "pid \(pid) is a zombie (state Z: exited, not reaped by its parent \(stat?.ppid ?? 0))"
        case "T"?: "pid \(pid) is stopped (state T: SIGSTOP/SIGTSTP)"
        case "t"?: "pid \(pid) is stopped by a debugger (state t: ptrace)"
        case let s?: "pid \(pid) is in state \(s)"
        case nil: "pid \(pid)"
        }
    }
    /// What an unplaced process is, for a message.
    var unplacedSummary: String { "\(comm) pid \(pid) found by name, but its exe and cwd are unreadable" }
}

/// One open fd of a process.
public struct FDLink: Sendable, Equatable {
    public var fd: Int32
    public var target: String

    public init(fd: Int32, target: String) {
        self.fd = fd
        self.target = target
    }
}
