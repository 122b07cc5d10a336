import HostProbe
import Report

/// The server of a syslog item: what its input binds (`host` as written, `ip:port`), as Go's net package reads
/// the address (`GoListenAddress`).
public struct NetworkListen: Sendable, Equatable {
    public var proto: String
    public var host: String
    public var dataid: Int64?
    /// Where the item is written (`<config> item <n>`), to name it beside another item on the same port.
    public var source: String?
    /// The address and port Go binds for `host` (port 0: one the kernel picks), or why it refuses it.
    public var resolution: GoListenAddress.Resolution

    /// `services`: the port names Go looks a non-numeric port up in (the host's /etc/services over Go's own).
    public init(
        proto: String, host: String, dataid: Int64? = nil, source: String? = nil, services: GoListenAddress.Services = .builtin
    ) {
        self.proto = proto
        self.host = host
        self.dataid = dataid
        self.source = source
        self.resolution = GoListenAddress.resolve(host, network: proto, services: services)
    }

    /// The port Go binds (0: the kernel picks one); nil when Go refuses the address.
    public var port: UInt16? {
        if case .bound(_, let port) = resolution { return port }
        return nil
    }
    /// The host part Go binds (`""`: every address); nil when Go refuses the address.
    public var address: String? {
        if case .bound(let host, _) = resolution { return host }
        return nil
    }
    public var label: String { "\(proto) \(host)" }

    /// The servers of `mine` whose protocol and (non-zero) port another server of `mine` or of `others` takes on
    /// the same addresses (`GoListenAddress.sameAddresses`), each by its index in `mine` with a sentence naming
    /// both items and the address. The first input to start binds it; the other's bind fails "address already in
    /// use" (filebeat's syslog input logs "Error starting the server" and tries again at each `scan_frequency`,
    /// failing while the first holds it), so one of the two receives nothing. Used by bkunifylogbeat/config and
    /// log_progress alike.
    public static func sharedServers(_ mine: [NetworkListen], others: [NetworkListen]) -> [(index: Int, why: String)] {
        let all = mine + others
        func named(_ l: NetworkListen) -> String {
            ([l.source, l.dataid.map { "dataid \($0)" }].compactMap { $0 }).joined(separator: ", ")
        }
        return mine.enumerated().compactMap { i, l in
            guard let port = l.port, port != 0, let address = l.address else { return nil }
            let rivals = all.enumerated().filter { j, o in
                j != i && o.proto == l.proto && o.port == port && o.address.flatMap { GoListenAddress.sameAddresses(address, $0) } == true
            }.map(\.element)
            guard !rivals.isEmpty else { return nil }
            let names = rivals.map { "\($0.label) (\(named($0)))" }.joined(separator: ", ")
            return (
                i,
                "\(l.label) (\(named(l))) shares \(l.proto) port \(port) with \(names): only one input binds it, the other fails \"address already in use\" at every start and receives nothing"
            )
        }
    }
}

/// A pattern of another item that can hold a file, with that item's `exclude_files` (the files of the pattern it
/// does not collect) and the build they are judged for.
public struct OtherPattern: Sendable, Equatable, ExpressibleByStringLiteral {
    public var pattern: String
    public var excludes: [String]
    var build: CollectorBuild = .unknown

    public init(_ pattern: String, excludes: [String] = []) {
        self.pattern = pattern
        self.excludes = excludes
    }

    public init(stringLiteral pattern: String) { self.init(pattern) }
}

/// What the progress checks look at: the files the subscription (or `-l`) names, the collector and
/// agent processes, the collector's registry, the IPC socket and the agent's data ports.
public struct ProgressTargets: Sendable {
    /// One file a log path matches, with its data id and, when the collector's rules skip it, why.
    public struct File: Sendable, Equatable {
        public var path: String
        public var dataid: Int64?
        /// `exclude_files: <expr>` or `ignore_older: <age>` when the collector will not read it.
        public var skipped: String?
        /// The item's `harvester_limit` (0 or nil: no limit).
        public var harvesterLimit: Int?
        /// The collector refuses the item (`skipped` says why): no task of this subscription reads the file,
        /// so what the registry acknowledged for it is another subscription's.
        public var refused: Bool
        /// The item's `tail_files`: the collector's first scan after it starts or reloads begins a file it
        /// has no state for at its end.
        public var tailFiles: Bool
        /// The item filters its lines (`CollectorFileRules.filtersLines`): what was read is done with, sent
        /// or dropped, though the registry may not say so until the harvester closes.
        public var filtered = false
        /// The directories the collector's glob reads to find the file (`FileAccess.listedDirectories`).
        public var listed: [String] = []
        /// The item (input) whose task reads the file, as its rules name it (`<config> item <n>`): the
        /// first of the items naming the file that reads it, else the first naming it. `harvester_limit`
        /// counts per item.
        public var item: String?
        /// Skipped only because it is older than the item's `ignore_older`. filebeat applies that at a scan, to a
        /// file no harvester holds: one a harvester still holds is read on (`handleIgnoreOlder` returns early
        /// while the file's state is not finished), so a held one is judged as collected.
        public var agedOut = false
        /// Skipped only by the item's exclude_files, and no other subscription's item the collector takes reads it:
        /// exclude_files, too, is applied at a scan (it keeps a harvester from starting), so one still held was
        /// opened under a name the item reads (a rotation renamed it into an excluded one, logback's
        /// `app.2026-12-03.log`) and is read on as the subscription's: a held one is judged as collected.
        public var excludedOnlyHere = false
        /// The item's `scan_frequency` in seconds, when it sets one (else `ProgressSettings.scanSeconds`).
        public var scanSeconds: Double?
        /// The item's `close_inactive` in seconds, when it sets one (else `ProgressSettings.closeInactiveSeconds`).
        public var closeInactiveSeconds: Double?
        /// How long the collector keeps a finished file's registry state after its last update (the item's
        /// `clean_inactive` as bkunifylogbeat sets it); nil when not known. A file last written longer ago than
        /// that has no state to show whether it was collected: one it had was dropped.
        public var cleanInactiveSeconds: Double?

        public init(
            path: String, dataid: Int64? = nil, skipped: String? = nil, harvesterLimit: Int? = nil, refused: Bool = false,
            tailFiles: Bool = true, filtered: Bool = false
        ) {
            self.path = path
            self.dataid = dataid
            self.skipped = skipped
            self.harvesterLimit = harvesterLimit
            self.refused = refused
            self.tailFiles = tailFiles
            self.filtered = filtered
        }
    }

    public var files: [File]
    /// The log path patterns the files come from (`-l`, else the subscription's items).
    public var patterns: [String] = []
    /// The other subscriptions' patterns on this host.
    public var otherPatterns: [OtherPattern] = []
    /// The patterns of the checked subscription's items the collector takes, with their exclude_files: which files
    /// it reads as its own. Nil with `-l` (the asked patterns are then its paths).
    public var ownPatterns: [OtherPattern]?
    /// Patterns whose files could not all be listed (a directory not readable, an error), with why.
    public var unexpanded: [String] = []
    /// The servers of the subscription's syslog items the collector takes.
    public var listens: [NetworkListen] = []
    /// The servers of the other subscriptions' syslog items the collector takes (one on the same protocol and
    /// port as one of `listens` keeps it from binding, or the reverse).
    public var otherListens: [NetworkListen] = []
    /// How many of the subscription's items the collector takes (log and network items alike), and why it
    /// refuses those that name no log path (syslog, kafka, redis: `<config> item <n>: <why>`).
    public var acceptedItems = 0
    /// The inputs of the subscription's items the collector takes whose progress bkdiag does not follow (kafka,
    /// redis: their data comes over a connection to a broker or a server, not from a file), once each.
    public var unmeasuredInputs: [String] = []
    public var refusedPathlessItems: [String] = []
    /// Why the collector refuses each of the subscription's items, log items too (`<config> item <n>: <why>`).
    public var refusedItems: [String] = []
    /// With -l: the paths of the subscription's delivered config when none of them matches a file.
    public var deliveredMatchNothing: [String] = []
    /// Patterns with glob metacharacters whose own text names a regular file their glob does not match
    /// (`app[1].log`, whose `[1]` is a class: it matches `app1.log`): that file is not collected.
    public var literalUnmatched: [String] = []
    /// The subscription's configs whose log paths are not known here (unreadable, or past a bound of
    /// bkdiag's reader), with why.
    public var unreadConfigs: [String] = []
    /// The subscription's configs the collector does not load (not YAML it accepts), with why.
    public var refusedConfigs: [String] = []
    /// Whether some config of the subscription was read and is one the collector loads.
    public var loadedConfigs = false
    /// Why the subscription has no config here at all, when its directories were all listed: nothing of it
    /// is collected. Nil when it has one, or a directory could not be listed.
    public var missingConfig: String?
    /// When more files matched than are sampled (`maxFiles`), or a pattern matched more than a listing
    /// keeps: how many matched at least, and how many (the most recently modified) were sampled.
    public var sampledOf: (sampled: Int, matched: Int, listingCut: Bool)?
    /// No gse_agent runs under the root, and none runs where bkdiag cannot look: nothing receives what the
    /// collector sends.
    public var agentDown = false
    /// GSE 1: gseMaster runs without agentWorker, the process that holds the IPC listener and the dataserver
    /// connection: nothing receives what the collector sends either.
    public var agentWorkerDown = false
    /// When `agentWorkerDown` because the worker is there but stopped: how it is (`pid 12 is stopped (state T:
    /// SIGSTOP/SIGTSTP)`) and its pids; nil when it is not there.
    public var agentWorkerStopped: String?
    public var agentWorkerStoppedPIDs: [Int32] = []
    /// Every agent process there stopped (SIGSTOP, a debugger) and none running (GSE 2's gse_agent, or GSE 1's
    /// gseMaster and agentWorker both): their pids. It holds the IPC listener and the dataserver connection and
    /// receives nothing, as gse_agent/process fails it; empty otherwise.
    public var agentStoppedPIDs: [Int32] = []
    /// The main config's `bkunifylogbeat.file_identifier`: how registry states are matched to files.
    public var fileIdentifier: FileIdentifier = .inode
    public var collectorPIDs: [Int32]
    /// Collectors found by name whose exe and cwd cannot be read (bkdiag not root): running, but not
    /// known to be this root's, and not to be measured.
    public var unplacedCollectorPIDs: [Int32] = []
    public var agentPIDs: [Int32]
    /// `<path.data>/bkunifylogbeat.bkpipe.db`, nil when the main config could not say.
    public var registryPath: String?
    public var ipcPath: String
    public var dataPorts: [UInt16]
    public var proc: String

    public init(
        files: [File], collectorPIDs: [Int32], agentPIDs: [Int32], registryPath: String?, ipcPath: String, dataPorts: [UInt16],
        proc: String = "/proc"
    ) {
        self.files = files
        self.collectorPIDs = collectorPIDs
        self.agentPIDs = agentPIDs
        self.registryPath = registryPath
        self.ipcPath = ipcPath
        self.dataPorts = dataPorts
        self.proc = proc
    }
}

/// One look at every hop of the collection pipeline at one moment. Reads fail one by one: each is
/// kept as its error, so a check says `unknown` for what it could not see and judges the rest.
public struct ProgressSample: Sendable {
    public struct File: Sendable {
        public var target: ProgressTargets.File
        public var stat: Result<FileStat, ProbeError>
        /// When the file was created (statx), where the kernel and file system say: a file written every
        /// second has a fresh mtime however long it has been waiting for the collector.
        public var birth: Int64? = nil
        /// Whether the bytes after the registry's offset for the file hold no newline: a last line still being
        /// written, which the harvester reads into its buffer but does not send (or acknowledge) until its
        /// newline comes. Nil when not looked at (nothing pending, no state, unreadable, or over 1 MiB).
        public var unterminatedTail: Bool? = nil
        /// Whether the bytes a collector read past the registry's offset for the file (up to its furthest fd
        /// position) hold a newline: a complete line read and not acknowledged. Nil when not looked at (not
        /// held past the offset, no state, unreadable, or over the sample's budget).
        public var readLineUnacked: Bool? = nil
    }

    public struct Collector: Sendable {
        public var pid: Int32
        public var io: Result<ProcIO, ProbeError>
        /// The regular files it holds open, with their read positions.
        public var open: Result<[OpenFilePosition], ProbeError>
        /// Every fd it holds, and its RLIMIT_NOFILE soft limit.
        public var fdCount: Int?
        public var fdLimit: Int64?
        public var cgroup: Result<CgroupState, ProbeError>
        /// Stopped (state `T` or `t`: SIGSTOP, a job-control stop or a debugger): it runs no code.
        public var stopped = false
    }

    public struct Registry: Sendable {
        public var path: String
        public var read: Result<CollectorRegistry, RegistryReadError>
        public var stat: Result<FileStat, ProbeError>
        public var space: Result<FileSystemSpace, ProbeError>
    }

    /// Wall-clock seconds when the sample was taken (registry timestamps and mtimes are wall time).
    public var wallSeconds: Double
    /// Wall-clock seconds when the sample was done; nil for one not taken from the host. A time read during the
    /// sample (the registry's mtime, a log's) can be later than `wallSeconds` by as long as the sample took, and is
    /// ahead of the clock only past this.
    public var wallEndSeconds: Double?
    /// Monotonic seconds, for the gap between two samples.
    public var monotonicSeconds: Double
    public var files: [File]
    public var collectors: [Collector]
    /// See `ProgressTargets.unplacedCollectorPIDs`.
    public var unplacedCollectorPIDs: [Int32] = []
    /// Collectors the process scan found that had ended (or become zombies) by this sample.
    public var endedCollectorPIDs: [Int32] = []
    public var registry: Registry?
    /// Bytes the collector wrote to the IPC socket that the agent has not read yet (summed over its
    /// connections); nil when sock_diag or the collector's fds could not be read.
    public var ipcUnread: UInt32?
    /// The collector's connections the IPC socket's listener accepted, and the connections waiting in its
    /// backlog (not accepted); nil when sock_diag or the collector's fds could not be read.
    public var ipcConnections: Int?
    public var ipcBacklog: UInt32?
    /// See `ProgressTargets.agentDown`, `agentWorkerDown` and `agentWorkerStopped`.
    public var agentDown = false
    public var agentWorkerDown = false
    public var agentWorkerStopped: String?
    public var agentWorkerStoppedPIDs: [Int32] = []
    public var agentStoppedPIDs: [Int32] = []
    /// The sockets bound to the ports of `listens` (TCP listeners, UDP sockets) and which of them the
    /// collectors hold; nil when not looked at.
    public var servers: Result<ServerSockets, ProbeError>?
    public var listens: [NetworkListen] = []
    public var otherListens: [NetworkListen] = []

    public struct ServerSockets: Sendable {
        public var tcpListening: [TCPSocketEntry]
        public var udp: [TCPSocketEntry]
        public var collectorInodes: Set<UInt64>

        public init(tcpListening: [TCPSocketEntry], udp: [TCPSocketEntry], collectorInodes: Set<UInt64>) {
            self.tcpListening = tcpListening
            self.udp = udp
            self.collectorInodes = collectorInodes
        }
    }
    /// The agent's connections to the data ports (ESTABLISHED or SYN_SENT), with tcp_info.
    public var agentFlows: Result<[TCPFlow], ProbeError>
    /// The data ports those flows were looked for on.
    public var dataPorts: [UInt16] = []
    /// With no ESTABLISHED flow to those ports: the agent's ESTABLISHED connections to a default data port
    /// of either generation that the config does not name (an agent still on the port of the config it
    /// started with).
    public var agentOtherDataFlows: [TCPFlow] = []
    /// With no data connection established or being set up: the agent's connections to the data port that the
    /// dataserver closed and the agent still holds (CLOSE_WAIT).
    public var agentClosedDataFlows: [TCPFlow] = []
    /// For each deleted file a collector holds: the bytes still available on the file system of its directory.
    public var deletedFileSpace: [String: Int64] = [:]
    /// The file systems of the sampled files' directories (one directory named per file system), looked at
    /// in the last sample: a full one stops the application writing its log before anything is collected.
    public var logFileSystems: [(directory: String, space: FileSystemSpace)] = []
    /// Files no collector holds that the collector may not open (or find: a directory its glob lists), by
    /// the mode bits of the file and the directories above it against its credentials: path → why.
    public var collectorDenied: [String: String] = [:]
    /// Registry states recorded under a sampled file's path for another file (a rotation renamed it): where
    /// that file is now, in the same directory, its size and creation time (found by inode; absent when
    /// removed).
    public var rotatedAway: [FileKey: RotatedFile] = [:]

    public struct RotatedFile: Sendable {
        public var path: String
        public var size: Int64
        /// statx's birth time, when known: a file created after its inode's state was recorded is another
        /// file that reused the inode, not the rotated one.
        public var birth: Int64?
        /// Its last inode change: the rename, at the latest (0 when not known).
        public var ctime: Int64

        public init(path: String, size: Int64, birth: Int64? = nil, ctime: Int64 = 0) {
            self.path = path
            self.size = size
            self.birth = birth
            self.ctime = ctime
        }
    }

    public init(
        wallSeconds: Double, monotonicSeconds: Double, files: [File] = [], collectors: [Collector] = [], registry: Registry? = nil,
        ipcUnread: UInt32? = nil, agentFlows: Result<[TCPFlow], ProbeError> = .success([])
    ) {
        self.wallSeconds = wallSeconds
        self.monotonicSeconds = monotonicSeconds
        self.files = files
        self.collectors = collectors
        self.registry = registry
        self.ipcUnread = ipcUnread
        self.agentFlows = agentFlows
    }

    /// A file's identity on the host.
    public struct FileKey: Hashable, Sendable {
        public var inode: UInt64
        public var device: UInt64
    }

    /// The collector's read positions by file (the furthest, when several fds hold one file).
    public func readPositions() -> [FileKey: Int64] {
        var out: [FileKey: Int64] = [:]
        for c in collectors {
            for f in (try? c.open.get()) ?? [] {
                let k = FileKey(inode: f.inode, device: f.device)
                out[k] = max(out[k] ?? f.position, f.position)
            }
        }
        return out
    }

    /// Every fd position by file, keyed by collector pid and fd: two items whose configs differ read one
    /// file with two harvesters, and the furthest position alone would hide a stuck one.
    func fdPositions() -> [FileKey: [PidFD: Int64]] {
        var out: [FileKey: [PidFD: Int64]] = [:]
        for c in collectors {
            for f in (try? c.open.get()) ?? [] {
                out[FileKey(inode: f.inode, device: f.device), default: [:]][PidFD(pid: c.pid, fd: f.fd)] = f.position
            }
        }
        return out
    }

    struct PidFD: Hashable, Sendable {
        var pid: Int32
        var fd: Int32
    }

    /// The registry's states by file (file_identifier inode, the NodeMan template's; see `resumed` for
    /// several states naming one file).
    public func statesByFile() -> [FileKey: CollectorFileState] {
        guard case .success(let r)? = registry?.read else { return [:] }
        return Dictionary(grouping: r.fileStates) { FileKey(inode: $0.inode, device: $0.device) }.compactMapValues(Self.resumed)
    }

    /// The state the collector resumes from among several for one file. States of one input (the same
    /// `meta`) under keys of different forms are what a change of `file_identifier` leaves: the registrar
    /// keeps the newest by timestamp (`deduplicateStates`) and never writes the older key again, so an old
    /// key's further offset is no acknowledgement. Between inputs (different `meta`), the furthest offset.
    static func resumed(_ states: [CollectorFileState]) -> CollectorFileState? {
        guard states.count > 1 else { return states.first }
        func newer(_ a: CollectorFileState, than b: CollectorFileState) -> Bool {
            guard let sa = a.timestampSeconds, let sb = b.timestampSeconds else { return a.offset > b.offset }
            return (sa, a.timestampNanoseconds ?? 0) > (sb, b.timestampNanoseconds ?? 0)
        }
        var byInput: [[String: String]?: CollectorFileState] = [:]
        for s in states {
            if let have = byInput[s.meta], !newer(s, than: have) { continue }
            byInput[s.meta] = s
        }
        return byInput.values.max { $0.offset < $1.offset }
    }

    /// The registry's states by the path they were recorded under.
    func statesBySource() -> [String: [CollectorFileState]] {
        guard case .success(let r)? = registry?.read else { return [:] }
        return Dictionary(grouping: r.fileStates, by: \.source)
    }

    /// The registry's states, indexed once for matching them to files as the collector does under `identifier`.
    func stateIndex(_ identifier: FileIdentifier) -> StateIndex {
        StateIndex(identifier: identifier, byFile: statesByFile(), bySource: statesBySource())
    }

    /// The registry's states indexed by file and by the path they were recorded under.
    struct StateIndex {
        let identifier: FileIdentifier
        let byFile: [FileKey: CollectorFileState]
        let bySource: [String: [CollectorFileState]]

        /// The state the collector resumes the file at `path` (inode and device `key`) from: the one with its
        /// inode and device; with them and its path (`inode_path`); or with its path, whatever file it was
        /// recorded for (`path`). Several qualifying states: see `ProgressSample.resumed`.
        func state(path: String, key: FileKey) -> CollectorFileState? {
            switch identifier {
            case .inode: return byFile[key]
            case .inodePath:
                return bySource[path].flatMap { ProgressSample.resumed($0.filter { $0.inode == key.inode && $0.device == key.device }) }
            case .path: return bySource[path].flatMap(ProgressSample.resumed)
            }
        }
    }

    /// Bytes written to the collector's files that the agent's kernel acknowledged over all its data connections.
    var bytesAcked: UInt64? {
        guard case .success(let flows) = agentFlows, !flows.isEmpty else { return nil }
        var sum: UInt64 = 0
        for f in flows {
            guard let a = f.info?.bytesAcked else { return nil }
            sum &+= a
        }
        return sum
    }
}

/// A registry that could not be read: missing, unreadable, or not a bolt file bkdiag understands.
public struct RegistryReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public var isMissing: Bool
    public var isPermission: Bool

    public init(_ description: String, isMissing: Bool = false, isPermission: Bool = false) {
        self.description = description
        self.isMissing = isMissing
        self.isPermission = isPermission
    }
}

/// Takes samples of the live host.
public enum ProgressProbe {
    /// Whether `path`'s bytes in `from..<to` hold no newline; nil when they cannot be read whole. Read in
    /// 4 KiB steps that stop at the first newline (data lagging behind holds one within its first line), so
    /// `budget` (bytes left to read in this sample) is spent only on lines still being written.
    static func unterminated(_ path: String, from: Int64, to: Int64, budget: inout Int) -> Bool? {
        guard let fd = try? Sys.openRead(path) else { return nil }
        defer { Sys.closeQuietly(fd) }
        var at = from
        while at < to {
            let count = Int(min(4096, to - at))
            guard budget >= count, let bytes = try? Sys.pread(fd, count: count, at: Int(at)), bytes.count == count else { return nil }
            budget -= count
            if bytes.contains(0x0A) { return false }
            at += Int64(count)
        }
        return true
    }

    /// Where the files a rotation renamed away from the sampled paths are now: each state recorded under a
    /// sampled path for another inode is looked for by inode among its directory's files (at most 16
    /// directories of at most 20,000 names each, each name an lstat; a sampled file itself is not looked
    /// for).
    static func rotatedAway(
        _ files: [ProgressSample.File], _ states: ProgressSample.StateIndex
    ) -> [ProgressSample.FileKey: ProgressSample.RotatedFile] {
        typealias FileKey = ProgressSample.FileKey
        var sampled = Set<FileKey>()
        for f in files { if case .success(let st) = f.stat { sampled.insert(FileKey(inode: st.inode, device: st.device)) } }
        var wanted: [String: Set<FileKey>] = [:]
        for f in files {
            for state in states.bySource[f.target.path] ?? [] {
                let key = FileKey(inode: state.inode, device: state.device)
                if !sampled.contains(key) { wanted[Sys.dirname(f.target.path), default: []].insert(key) }
            }
        }
        var found: [FileKey: ProgressSample.RotatedFile] = [:]
        for (dir, keys) in wanted.sorted(by: { $0.key < $1.key }).prefix(16) {
            guard let names = try? Sys.listDirectory(dir), names.count <= 20_000 else { continue }
            for name in names {
                let path = (dir == "/" ? "" : dir) + "/" + name
                guard let st = try? Sys.stat(path, follow: false), st.isRegular else { continue }
                let key = FileKey(inode: st.inode, device: st.device)
                if keys.contains(key) {
                    found[key] = ProgressSample.RotatedFile(path: path, size: st.size, birth: Sys.birthTime(path), ctime: st.ctime)
                }
            }
        }
        return found
    }

    /// The sampled files a collector running as `collector` may not open (see `collectorDenied`). Only files
    /// no collector holds are looked at (one it holds it has opened; one it read and closed it must open
    /// again for what is written since); nothing when the collector may read anything (root,
    /// `CAP_DAC_OVERRIDE`) or its credentials cannot be read.
    static func denied(_ s: ProgressSample, _ t: ProgressTargets, collector pid: Int32?) -> [String: String] {
        guard let pid, let who = ProcessCredentials.of(pid: pid, proc: t.proc), !who.readsAnything else { return [:] }
        var held = Set<ProgressSample.FileKey>()
        for c in s.collectors {
            for f in (try? c.open.get()) ?? [] { held.insert(ProgressSample.FileKey(inode: f.inode, device: f.device)) }
        }
        let notHeld = s.files.filter { f in
            guard f.target.skipped == nil, case .success(let st) = f.stat else { return false }
            return !held.contains(ProgressSample.FileKey(inode: st.inode, device: st.device))
        }
        return FileAccess.denied(notHeld.map { (path: $0.target.path, listed: $0.target.listed) }, as: who)
    }

    /// The file system each sampled file is on (`statvfs` of the file itself, through any symlink), once per
    /// device (at most 64), named by the directory of its real path.
    static func fileSystems(_ files: [ProgressSample.File]) -> [(directory: String, space: FileSystemSpace)] {
        var seen = Set<UInt64>()
        var out: [(directory: String, space: FileSystemSpace)] = []
        for f in files {
            guard case .success(let st) = f.stat, seen.count < 64, seen.insert(st.device).inserted,
                let space = try? FileSystemSpace.of(f.target.path)
            else { continue }
            out.append((Sys.dirname(Sys.realPath(f.target.path) ?? f.target.path), space))
        }
        return out
    }

    /// One look at every hop. `isLast` false (a first sample) leaves out what the rules read from the last
    /// sample only: `rotatedAway` (a walk of the directories), `collectorDenied` and `logFileSystems`.
    public static func sample(_ t: ProgressTargets, isLast: Bool = true) -> ProgressSample {
        var s = ProgressSample(wallSeconds: Double(Timestamp.nowMilliseconds()) / 1000, monotonicSeconds: MonotonicClock.seconds())
        s.files = t.files.map { f in
            ProgressSample.File(target: f, stat: Result { () throws(ProbeError) in try Sys.stat(f.path) }, birth: Sys.birthTime(f.path))
        }
        var socketInodes = Set<UInt64>()
        var fdsReadable = true
        s.unplacedCollectorPIDs = t.unplacedCollectorPIDs
        // A collector that ended since it was found (gone, or a zombie not yet reaped) is not measured:
        // its /proc entries say nothing, and its counters are not the next one's.
        let states = t.collectorPIDs.map { pid -> (pid: Int32, state: Character?) in
            guard let stat = FileReader.procText("\(t.proc)/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return (pid, nil) }
            return (pid, stat[stat.index(after: close)...].drop(while: { $0 == " " }).first)
        }
        let live = states.filter { $0.state != nil && $0.state != "Z" }
        s.endedCollectorPIDs = states.filter { $0.state == nil || $0.state == "Z" }.map(\.pid)
        s.collectors = live.map { (pid, state) in
            let links = Result { () throws(ProbeError) in try ProcFS.fdTargets(pid: pid, proc: t.proc) }
            switch links {
            case .success(let l): for x in l { if let ino = ProcFS.socketInode(fromLink: x.target) { socketInodes.insert(ino) } }
            case .failure: fdsReadable = false
            }
            let limits = FileReader.procText("\(t.proc)/\(pid)/limits").flatMap(ProcFS.parseOpenFilesLimit)
            return ProgressSample.Collector(
                pid: pid,
                io: Result { () throws(ProbeError) in try ProcIO.read(pid: pid, proc: t.proc) },
                open: links.map { FDInfo.regularFiles(pid: pid, links: $0, proc: t.proc) },
                fdCount: try? links.get().count, fdLimit: limits?.soft,
                cgroup: Result { () throws(ProbeError) in try Cgroup.state(pid: pid, proc: t.proc) }, stopped: state == "T" || state == "t")
        }
        for c in s.collectors {
            for f in (try? c.open.get()) ?? [] where f.deleted && s.deletedFileSpace[f.path] == nil {
                if let space = try? FileSystemSpace.of(Sys.dirname(f.path)) { s.deletedFileSpace[f.path] = space.availableBytes }
            }
        }
        if let path = t.registryPath {
            let read: Result<CollectorRegistry, RegistryReadError>
            do {
                // The states of the sampled files only (by inode, or recorded under their path), and of the files the
                // collectors hold with data not read (renamed or deleted by a rotation that left no file under the paths,
                // only their state tells whose they are): a registry keeps every file's for half a year, and the rules
                // look up these.
                var keys = Set<ProgressSample.FileKey>()
                for f in s.files {
                    if case .success(let st) = f.stat { keys.insert(ProgressSample.FileKey(inode: st.inode, device: st.device)) }
                }
                for c in s.collectors {
                    for f in (try? c.open.get()) ?? [] where f.size > f.position {
                        keys.insert(ProgressSample.FileKey(inode: f.inode, device: f.device))
                    }
                }
                let paths = Set(t.files.map(\.path))
                read = .success(
                    try CollectorRegistry.read(path: path) {
                        keys.contains(ProgressSample.FileKey(inode: $0.inode, device: $0.device)) || paths.contains($0.source)
                    })
            } catch {
                // The errno's class, as for every other read: missing, or not ours to read.
                let kind = ProbeError(call: "open", path: path, errno: error.errno ?? 0)
                read = .failure(
                    RegistryReadError(
                        error.description, isMissing: error.errno != nil && kind.isMissing,
                        isPermission: error.errno != nil && kind.isPermission))
            }
            s.registry = ProgressSample.Registry(
                path: path, read: read, stat: Result { () throws(ProbeError) in try Sys.stat(path) },
                space: Result { () throws(ProbeError) in try FileSystemSpace.of(Sys.dirname(path)) })
            // What waits after each file's acknowledged offset: without a newline it is a line being written.
            let states = s.stateIndex(t.fileIdentifier)
            if isLast, t.fileIdentifier != .path { s.rotatedAway = Self.rotatedAway(s.files, states) }
            // Sizes were taken before the registry was read: a busy file the registry acknowledged past the
            // size seen (a flush in between, over a sample of thousands of files) is looked at again, so that
            // growth is not taken for a truncation.
            for i in s.files.indices {
                guard case .success(let st) = s.files[i].stat,
                    let state = states.state(path: s.files[i].target.path, key: ProgressSample.FileKey(inode: st.inode, device: st.device)),
                    state.inode == st.inode, state.device == st.device, state.offset > st.size,
                    let again = try? Sys.stat(s.files[i].target.path), again.inode == st.inode, again.device == st.device
                else { continue }
                s.files[i].stat = .success(again)
            }
            var budget = 16 << 20
            for i in s.files.indices {
                guard case .success(let st) = s.files[i].stat,
                    let state = states.state(path: s.files[i].target.path, key: ProgressSample.FileKey(inode: st.inode, device: st.device)),
                    state.inode == st.inode, state.device == st.device, case let offset = state.offset,
                    offset >= 0, offset < st.size, st.size - offset <= 1 << 20
                else { continue }
                s.files[i].unterminatedTail = Self.unterminated(s.files[i].target.path, from: offset, to: st.size, budget: &budget)
            }
            // What a harvester read past the acknowledged offset: a complete line among it was handed to the
            // output and not confirmed (the harvester sends each line before it reads the next, and its state
            // offset is at a line's end). Only where the read position is behind the file's end: one at the end
            // is judged by `unterminatedTail`.
            let reads = s.readPositions()
            for i in s.files.indices {
                guard case .success(let st) = s.files[i].stat,
                    let read = reads[ProgressSample.FileKey(inode: st.inode, device: st.device)], read < st.size,
                    let state = states.state(path: s.files[i].target.path, key: ProgressSample.FileKey(inode: st.inode, device: st.device)),
                    state.inode == st.inode, state.device == st.device, state.offset >= 0, state.offset < read
                else { continue }
                s.files[i].readLineUnacked = Self.unterminated(s.files[i].target.path, from: state.offset, to: read, budget: &budget)
                    .map { !$0 }
            }
        }
        if isLast {
            s.collectorDenied = Self.denied(s, t, collector: live.first?.pid)
            s.logFileSystems = Self.fileSystems(s.files)
        }
        if fdsReadable, !t.collectorPIDs.isEmpty, let entries = try? UnixSockDiag.dump() {
            let view = IPCView.build(path: t.ipcPath, stat: Result { () throws(ProbeError) in try Sys.stat(t.ipcPath) }, entries: entries)
            // The agent's end of each connection holds what the collector sent and the agent has not read.
            let connections = view.connections(from: socketInodes)
            s.ipcUnread = connections.reduce(UInt32(0)) { $0 &+ $1.receiveQueue }
            // A unix socket path only: an endpoint written `host:port` (Windows' TCP IPC) has no unix connections.
            s.ipcConnections = t.ipcPath.hasPrefix("/") ? connections.count : nil
            s.ipcBacklog = view.listener?.receiveQueue
        }
        s.agentDown = t.agentDown
        s.agentWorkerDown = t.agentWorkerDown
        s.agentWorkerStopped = t.agentWorkerStopped
        s.agentWorkerStoppedPIDs = t.agentWorkerStoppedPIDs
        s.agentStoppedPIDs = t.agentStoppedPIDs
        s.listens = t.listens
        s.otherListens = t.otherListens
        if !t.listens.isEmpty, fdsReadable, !s.collectors.isEmpty {
            let ports = Set(t.listens.compactMap(\.port))
            // Port 0: the kernel picks the port, so every socket of the collector is looked at.
            func keep(_ e: TCPSocketEntry) -> Bool {
                ports.contains(e.localPort) || (ports.contains(0) && socketInodes.contains(e.inode))
            }
            s.servers = Result { () throws(ProbeError) in
                ProgressSample.ServerSockets(
                    tcpListening: try InetSockDiag.dumpTCP(states: [.listen]).filter(keep),
                    udp: try InetSockDiag.dumpUDP().filter(keep), collectorInodes: socketInodes)
            }
        }
        s.dataPorts = t.dataPorts
        var agentSockets = Set<UInt64>()
        for pid in t.agentPIDs { agentSockets.formUnion((try? ProcFS.socketInodes(pid: pid, proc: t.proc)) ?? []) }
        s.agentFlows = Result { () throws(ProbeError) in
            var flows: [TCPFlow] = []
            for port in t.dataPorts { flows += try InetSockDiag.dumpFlows(remotePort: port) }
            return flows.filter { agentSockets.contains($0.socket.inode) }
        }
        if case .success(let flows) = s.agentFlows, flows.isEmpty, !t.agentPIDs.isEmpty {
            for port in t.dataPorts {
                s.agentClosedDataFlows += ((try? InetSockDiag.dumpFlows(states: [.closeWait], remotePort: port)) ?? []).filter {
                    agentSockets.contains($0.socket.inode)
                }
            }
        }
        if case .success(let flows) = s.agentFlows, !flows.contains(where: { $0.socket.state == .established }), !t.agentPIDs.isEmpty {
            for port in [UInt16(58625), 28625] where !t.dataPorts.contains(port) {
                let other = ((try? InetSockDiag.dumpFlows(remotePort: port)) ?? []).filter {
                    agentSockets.contains($0.socket.inode) && $0.socket.state == .established
                }
                s.agentOtherDataFlows += other
            }
        }
        s.wallEndSeconds = Double(Timestamp.nowMilliseconds()) / 1000
        return s
    }
}
