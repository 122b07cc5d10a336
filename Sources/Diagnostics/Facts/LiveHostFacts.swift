import HostProbe
import Report
import Synchronization

/// The host's facts read from the live system: each at most once per run, on first use, shared by
/// the checks (concurrent callers wait for the first read). Every read a check needs is here.
public final class LiveHostFacts: HostFacts {
    public let options: CheckOptions
    /// Where `/proc` is; only tests of parsers change it.
    let proc: String

    public init(options: CheckOptions, proc: String = "/proc", progressBaseline: ProgressBaseline? = nil) {
        self.options = options
        self.proc = proc
        let holder = FactsHolder()
        _progress = LazyFact {
            guard let facts = holder.facts else { preconditionFailure("progress read after the run's facts were released") }
            return ProgressInput.gather(facts, baseline: progressBaseline)
        }
        let p = proc
        let uptime = LazyFact { (seconds: ProcFS.uptimeSeconds(proc: p), readAt: Timestamp.nowMilliseconds()) }
        _uptime = uptime
        let processes = LazyFact {
            // The uptime is read with the scan (if nothing read it before): the processes' ages are taken at the
            // scan, not whenever a check first asks (`EndOfRunRecheck` tells a fork from an exit by them).
            _ = uptime.value.seconds
            return Result { () throws(ProbeError) in try LiveHostFacts.scanProcesses(proc: p) }
        }
        _processes = processes
        _unixDiag = LazyFact { Result { () throws(ProbeError) in try UnixSockDiag.dump() } }
        _unixTable = LazyFact { Result { () throws(ProbeError) in try SocketTables.readUnix(proc: p) } }
        _memTotalKB = LazyFact { ProcFS.memTotalKB(proc: p) }
        _hostMachine = LazyFact { Sys.machine() }
        let root = options.hostRoot
        let layout = LazyFact {
            GSELayout.detect(options: options, hostRoot: root, proc: p) {
                // Where the collector and the agent run from (exe, else cwd), for a root found by detection.
                guard case .success(let all) = processes.value else { return ([], [], []) }
                func paths(_ keep: (ProcessRecord) -> Bool) -> [String] { all.filter(keep).compactMap { $0.exe ?? $0.cwd } }
                // The agents with their process names (GSE 1's rename themselves), for the generation.
                let named = all.filter(\.isAgent).compactMap { p in (p.exe ?? p.cwd).map { (path: $0, name: p.comm) } }
                return (paths(\.isCollector), paths(\.isAgent), named)
            }
        }
        _layout = layout
        _tcpToDataPort = LazyFact {
            Result { () throws(ProbeError) in
                var sockets: [TCPSocketEntry] = []
                for port in layout.value.dataPorts {
                    sockets += try SocketTables.tcpSockets(states: [.established, .synSent, .closeWait], remotePort: port, proc: p)
                }
                return sockets
            }
        }
        _tcpListening = LazyFact { Result { () throws(ProbeError) in try SocketTables.tcpSockets(states: [.listen], proc: p) } }
        _tcpEstablished = LazyFact { Result { () throws(ProbeError) in try SocketTables.tcpSockets(states: [.established], proc: p) } }
        _ipcSocketStat = LazyFact { Result { () throws(ProbeError) in try Sys.stat(layout.value.ipcPath) } }
        let opts = options
        _restartLog = LazyFact {
            Result { () throws(ProbeError) in try FileReader.tail(opts.restartLog, limit: RestartLog.readLimit) }
        }
        _logExpansions = LazyFact {
            // A relative -l pattern written as in the config is the collector's, from its working directory.
            let facts = holder.facts
            return opts.logPaths.map { pattern in
                let resolved = facts?.askedPattern(pattern) ?? pattern
                return Result { () throws(GlobPatternError) in
                    var e = try Glob.expandLikeCollector(resolved)
                    e.pattern = pattern
                    return e
                }
            }
        }
        _collectorBinary = LazyFact { BinaryFile.read(layout.value.collectorBinary, hostRoot: opts.hostRoot) }
        _subscriptionConfigs = LazyFact { SubscriptionConfigListing.read(layout.value) }
        _agentHealthz = LazyFact { AgentHealthz.run(layout.value, deadlineSeconds: opts.deadlineSeconds) }
        _loadUID = LazyFact { holder.facts?.collectorLoadUID ?? 0 }
        holder.set(self)
    }

    private let _progress: LazyFact<ProgressInput>
    public var progress: ProgressInput { _progress.value }

    private let _processes: LazyFact<Result<[ProcessRecord], ProbeError>>
    private let _unixDiag: LazyFact<Result<[UnixDiagEntry], ProbeError>>
    private let _unixTable: LazyFact<Result<[UnixSocketEntry], ProbeError>>
    private let _tcpToDataPort: LazyFact<Result<[TCPSocketEntry], ProbeError>>
    private let _tcpListening: LazyFact<Result<[TCPSocketEntry], ProbeError>>
    private let _tcpEstablished: LazyFact<Result<[TCPSocketEntry], ProbeError>>
    private let _ipcSocketStat: LazyFact<Result<FileStat, ProbeError>>
    private let _memTotalKB: LazyFact<Int64?>
    private let _uptime: LazyFact<(seconds: Double?, readAt: Int64)>
    private let _hostMachine: LazyFact<String>
    private let _layout: LazyFact<GSELayout>
    private let _logExpansions: LazyFact<[Result<Glob.Expansion, GlobPatternError>]>
    private let _restartLog: LazyFact<Result<FileReader.Contents, ProbeError>>
    private let _collectorBinary: LazyFact<BinaryFile>
    private let _subscriptionConfigs: LazyFact<SubscriptionConfigListing>
    private let _agentHealthz: LazyFact<AgentHealthz.Result>
    /// `collectorLoadUID`, found once: every subscription config's permissions are judged against it.
    private let _loadUID: LazyFact<UInt32>
    private let fdCache = LazyFactMap<Int32, Result<[FDLink], ProbeError>>()
    private let configCache = LazyFactMap<String, SubscriptionConfigRead>()
    private let buildCache = LazyFactMap<Int32, GoBinaryInfo?>()
    private let itemsCache = LazyFactMap<Int, [(subscription: Int64, item: CollectorFileRules.Item)]>()

    /// Every subscription's items (`CollectorFileRules.allItems`), built by `compute` on these facts once per run.
    /// (The cache keeps its closure: it holds the facts weakly, or they and all the run read would never be
    /// released, a run's worth every daemon interval.)
    func subscriptionItems(
        _ compute: @escaping @Sendable (LiveHostFacts) -> [(subscription: Int64, item: CollectorFileRules.Item)]
    ) -> [(subscription: Int64, item: CollectorFileRules.Item)] {
        itemsCache.value(for: 0) { [weak self] in self.map(compute) ?? [] }
    }

    public var processes: Result<[ProcessRecord], ProbeError> { _processes.value }
    public var unixDiag: Result<[UnixDiagEntry], ProbeError> { _unixDiag.value }
    public var unixTable: Result<[UnixSocketEntry], ProbeError> { _unixTable.value }
    public var tcpToDataPort: Result<[TCPSocketEntry], ProbeError> { _tcpToDataPort.value }
    public var tcpListening: Result<[TCPSocketEntry], ProbeError> { _tcpListening.value }
    public var tcpEstablished: Result<[TCPSocketEntry], ProbeError> { _tcpEstablished.value }
    public var ipcSocketStat: Result<FileStat, ProbeError> { _ipcSocketStat.value }
    public var memTotalKB: Int64? { _memTotalKB.value }
    public var uptimeSeconds: Double? { _uptime.value.seconds }
    public var uptimeReadAtMilliseconds: Int64 { _uptime.value.readAt }
    public var clockTicks: Int64 { Sys.clockTicks }
    public var pageSize: Int64 { Sys.pageSize }
    public var hostMachine: String { _hostMachine.value }
    public var nowMilliseconds: Int64 { Timestamp.nowMilliseconds() }
    public var layout: GSELayout { _layout.value }
    public var logExpansions: [Result<Glob.Expansion, GlobPatternError>] { _logExpansions.value }
    public var restartLogText: Result<String, ProbeError> { _restartLog.value.map(\.text) }
    public var restartLogCut: Bool { (try? _restartLog.value.get())?.truncated ?? false }
    public var collectorBinary: BinaryFile { _collectorBinary.value }
    public var subscriptionConfigs: SubscriptionConfigListing { _subscriptionConfigs.value }
    public var agentHealthz: AgentHealthz.Result { _agentHealthz.value }

    /// The running collector's build read through `/proc/<pid>/exe` (the binary it was started from, even
    /// when an upgrade has replaced or removed the file since); with none running, the installed binary's.
    public var collectorBuild: GoBinaryInfo? {
        guard case .success(let found) = collectors(), let running = found.under.first(where: { $0.stat?.state != "Z" }) else {
            return collectorBinary.go
        }
        let path = "\(proc)/\(running.pid)/exe"
        let installed = collectorBinary
        return buildCache.value(for: running.pid) {
            // The installed file itself (no upgrade since the start): already read.
            if case .success(let st) = installed.stat, let exe = try? Sys.stat(path), exe.inode == st.inode, exe.device == st.device {
                return installed.go
            }
            guard let header = try? ELFHeader.read(path), header.truncation == nil else { return installed.go }
            return (try? GoBinaryInfo.read(path)) ?? nil
        }
    }

    public func fds(of pid: Int32) -> Result<[FDLink], ProbeError> {
        let p = proc
        return fdCache.value(for: pid) {
            Result { () throws(ProbeError) in
                try ProcFS.fdTargets(pid: pid, proc: p).map { FDLink(fd: $0.fd, target: $0.target) }
            }
        }
    }

    public func socketHolder(inode: UInt64) -> (pid: Int32, comm: String)? {
        guard let pids = try? ProcessScanner(proc: proc).pids() else { return nil }
        for pid in pids where (try? ProcFS.socketInodes(pid: pid, proc: proc))?.contains(inode) == true {
            let comm = FileReader.procText("\(proc)/\(pid)/comm").map { String($0.prefix { $0 != "\n" }) } ?? "?"
            return (pid, comm)
        }
        return nil
    }

    public func openFileLimit(of pid: Int32) -> Int64? {
        guard let limits = FileReader.procText("\(proc)/\(pid)/limits"), let l = ProcFS.parseOpenFilesLimit(limits) else { return nil }
        return l.soft
    }

    public func currentStat(of pid: Int32) -> ProcStat? { ProcFS.stat(pid: pid, proc: proc) }

    public func rescanProcesses() -> Result<[ProcessRecord], ProbeError> {
        Result { () throws(ProbeError) in try Self.scanProcesses(proc: proc) }
    }

    /// The collector and agent processes, zombies included.
    static func scanProcesses(proc: String) throws(ProbeError) -> [ProcessRecord] {
        try ProcessScanner(proc: proc).find(names: ProcessNames.agents.union([ProcessNames.collector]), includeZombies: true)
    }

    public func unixDiagResample() -> Result<[UnixDiagEntry], ProbeError> { Result { () throws(ProbeError) in try UnixSockDiag.dump() } }

    public func subscriptionConfig(_ file: SubscriptionConfigFile) -> SubscriptionConfigRead {
        let path = file.path
        let uid = _loadUID
        return configCache.value(for: path) {
            var read = SubscriptionConfigRead.read(path)
            // libbeat checks the owner and mode before it reads the file: one it refuses is loaded by nothing,
            // whatever it holds (`StrictPerms`).
            if let why = StrictPerms.refusal(ofFile: read.stat, euid: uid.value) {
                read.content = .invalid(.refusedPermissions(why))
                read.unrendered = nil
                read.quoteDefect = nil
            }
            return read
        }
    }

    public func effectiveUID(of pid: Int32) -> UInt32? {
        FileReader.procText("\(proc)/\(pid)/status").flatMap { ProcFS.statusValues($0, "Uid") }.flatMap {
            $0.count == 4 ? UInt32($0[1]) : nil
        }
    }

    public func stat(_ path: String) -> Result<FileStat, ProbeError> { Result { () throws(ProbeError) in try Sys.stat(path) } }

    public func realPath(_ path: String) -> String? { Sys.realPath(path) }

    public func collectorGlob(_ pattern: String) -> Result<Glob.Expansion, GlobPatternError> {
        Result { () throws(GlobPatternError) in try Glob.expandLikeCollector(pattern) }
    }

    /// The running collector's credentials when they limit what it may open (not root, no DAC capability).
    func limitedCollectorCredentials() -> ProcessCredentials? {
        guard case .success(let found) = collectors(), let pid = ProcessStates(found.under).running.first?.pid,
            let who = ProcessCredentials.of(pid: pid, proc: proc), !who.readsAnything
        else { return nil }
        return who
    }

    public func collectorDeniedConnect(_ path: String) -> String? {
        guard path.hasPrefix("/"), let who = limitedCollectorCredentials(), case .denied(let why) = FileAccess.checkConnect(path, as: who)
        else { return nil }
        return why
    }

    public func collectorDenied(_ paths: [String], patterns: [String]) -> [String: String] {
        guard !paths.isEmpty, let who = limitedCollectorCredentials() else { return [:] }
        let globs = patterns.map { ($0, Glob.CollectorMatcher($0)) }
        return FileAccess.denied(paths.map { (path: $0, listed: FileAccess.listedDirectories(patterns: globs, match: $0)) }, as: who)
    }

    public func readFile(_ path: String, limit: Int) -> Result<FileBytes, ProbeError> {
        Result { () throws(ProbeError) in
            let c = try FileReader.read(path, limit: limit)
            return FileBytes(bytes: c.bytes, truncated: c.truncated)
        }
    }
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

/// Lets a fact computed from other facts reach the instance without a retain cycle: it holds the
/// facts weakly, and every caller of the fact holds them strongly.
private final class FactsHolder: Sendable {
    private let box = Mutex<WeakFacts>(WeakFacts())
    private struct WeakFacts { weak var facts: LiveHostFacts? }
    var facts: LiveHostFacts? { box.withLock { $0.facts } }
    func set(_ f: LiveHostFacts) { box.withLock { $0.facts = f } }
}
