import HostProbe
import Report
import Synchronization

/// Everything a run reads from the host, each read at most once and shared by the checks.
/// A failed read is kept as its error so each check can turn it into `unknown`.
public final class HostFacts: Sendable {
    public static let collectorName = "bkunifylogbeat"
    public static let gse1AgentNames: Set<String> = ["gseMaster", "agentWorker"]
    public static let gse2AgentNames: Set<String> = ["gse_agent"]
    /// Every name an agent process has (exe base name or comm), either generation.
    public static let agentNames = gse1AgentNames.union(gse2AgentNames)

    public let options: CheckOptions
    let proc: String

    init(options: CheckOptions, proc: String = "/proc") {
        self.options = options
        self.proc = proc
        let p = proc
        let processes = LazyFact {
            Result { () throws(ProbeError) in
                try ProcessScanner(proc: p).find(names: HostFacts.agentNames.union([HostFacts.collectorName]), includeZombies: true)
            }
        }
        _processes = processes
        _unixDiag = LazyFact { Result { () throws(ProbeError) in try UnixSockDiag.dump() } }
        _unixTable = LazyFact { Result { () throws(ProbeError) in try SocketTables.readUnix(proc: p) } }
        _memTotalKB = LazyFact { ProcFS.memTotalKB(proc: p) }
        _uptime = LazyFact { ProcFS.uptimeSeconds(proc: p) }
        let root = options.hostRoot
        let layout = LazyFact {
            GSELayout.detect(options: options, hostRoot: root, proc: p) {
                // Where the collector and the agent run from (exe, else cwd), for a root found by detection.
                guard case .success(let all) = processes.value else { return ([], []) }
                func paths(_ keep: (ProcessRecord) -> Bool) -> [String] { all.filter(keep).compactMap { $0.exe ?? $0.cwd } }
                return (paths(\.isCollector), paths(\.isAgent))
            }
        }
        _layout = layout
        _tcpToDataPort = LazyFact {
            Result { () throws(ProbeError) in
                var sockets: [TCPSocketEntry] = []
                for port in layout.value.dataPorts {
                    sockets += try SocketTables.tcpSockets(states: [.established, .synSent], remotePort: port, proc: p)
                }
                return sockets
            }
        }
        _tcpListening = LazyFact { Result { () throws(ProbeError) in try SocketTables.tcpSockets(states: [.listen], proc: p) } }
        let opts = options
        _restartLog = LazyFact {
            Result { () throws(ProbeError) in try FileReader.tail(opts.restartLog, limit: RestartLog.readLimit).text }
        }
        _logExpansions = LazyFact {
            opts.logPaths.map { pattern in
                Result { () throws(GlobPatternError) in try Glob.expandLikeCollector(pattern) }
            }
        }
    }

    private let _processes: LazyFact<Result<[ProcessRecord], ProbeError>>
    private let _unixDiag: LazyFact<Result<[UnixDiagEntry], ProbeError>>
    private let _unixTable: LazyFact<Result<[UnixSocketEntry], ProbeError>>
    private let _tcpToDataPort: LazyFact<Result<[TCPSocketEntry], ProbeError>>
    private let _tcpListening: LazyFact<Result<[TCPSocketEntry], ProbeError>>
    private let _memTotalKB: LazyFact<Int64?>
    private let _uptime: LazyFact<Double?>
    private let _layout: LazyFact<GSELayout>
    private let _logExpansions: LazyFact<[Result<Glob.Expansion, GlobPatternError>]>
    private let _restartLog: LazyFact<Result<String, ProbeError>>
    private let fdCache = LazyFactMap<Int32, Result<[FDLink], ProbeError>>()

    /// Collector and agent processes found by exe (one walk of /proc for all of them), and zombies
    /// with their names.
    public var processes: Result<[ProcessRecord], ProbeError> { _processes.value }
    public var unixDiag: Result<[UnixDiagEntry], ProbeError> { _unixDiag.value }
    public var unixTable: Result<[UnixSocketEntry], ProbeError> { _unixTable.value }
    /// ESTABLISHED and SYN_SENT TCP sockets (any process, v4 and v6) whose remote port is one of the layout's data ports.
    public var tcpToDataPort: Result<[TCPSocketEntry], ProbeError> { _tcpToDataPort.value }
    /// Listening TCP sockets (any process, v4 and v6).
    public var tcpListening: Result<[TCPSocketEntry], ProbeError> { _tcpListening.value }
    public var memTotalKB: Int64? { _memTotalKB.value }
    public var uptimeSeconds: Double? { _uptime.value }
    public var layout: GSELayout { _layout.value }
    public var logExpansions: [Result<Glob.Expansion, GlobPatternError>] { _logExpansions.value }
    /// The tail of NodeMan's restart log.
    public var restartLogText: Result<String, ProbeError> { _restartLog.value }

    /// Restart-log counts for the collector; `today` is the local `YYYYMMDD`.
    public func collectorRestarts(today: String = Timestamp.localYYYYMMDD(seconds: Timestamp.nowMilliseconds() / 1000)) -> Result<RestartLog.Counts, ProbeError> {
        restartLogText.map { RestartLog.count(text: $0, plugin: HostFacts.collectorName, today: today) }
    }

    /// The open fds of a process.
    public func fds(of pid: Int32) -> Result<[FDLink], ProbeError> {
        let p = proc
        return fdCache.value(for: pid) {
            Result { () throws(ProbeError) in
                try ProcFS.fdTargets(pid: pid, proc: p).map { FDLink(fd: $0.fd, target: $0.target) }
            }
        }
    }

    /// Collector processes that belong to the GSE root (cwd or exe under it), stopped and zombie ones
    /// included: the checks name their state.
    public func collectors() -> Result<(under: [ProcessRecord], elsewhere: [ProcessRecord]), ProbeError> {
        split(\.hasCollectorName)
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
    var hasCollectorName: Bool { name == HostFacts.collectorName || comm == HostFacts.collectorName }
    /// A live collector process.
    var isCollector: Bool { hasCollectorName && !isZombie }
    /// Named as a GSE agent process of either generation, by exe base name or comm (a zombie too).
    var hasAgentName: Bool { HostFacts.agentNames.contains(name) || HostFacts.agentNames.contains(comm) }
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
}

/// A per-key lazy cache.
final class LazyFactMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let facts = Mutex<[Key: LazyFact<Value>]>([:])

    func value(for key: Key, _ compute: @escaping @Sendable () -> Value) -> Value {
        let fact = facts.withLock { map in
            if let f = map[key] { return f }
            let f = LazyFact(compute)
            map[key] = f
            return f
        }
        return fact.value
    }
}
