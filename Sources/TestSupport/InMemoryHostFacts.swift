import Diagnostics
import HostProbe
import Report
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Host facts a test sets, for unit tests of one check without a host: nothing is read from the
/// machine. Unset facts are an empty, quiet host (no processes, no sockets, no files).
///
/// `@unchecked Sendable`: a test sets the properties before it runs checks and does not change them
/// while a check runs; the one fact that changes on reading (`unixDiagResamples`) is behind a lock.
public final class InMemoryHostFacts: HostFacts, @unchecked Sendable {
    public var options: CheckOptions
    public var layout: GSELayout

    public var processes: Result<[ProcessRecord], ProbeError> = .success([])
    /// Open fds by pid; a pid not listed has none.
    public var fdsByPid: [Int32: Result<[FDLink], ProbeError>] = [:]
    /// Soft RLIMIT_NOFILE by pid.
    public var openFileLimits: [Int32: Int64] = [:]
    /// What a second look at a process's `stat` finds, by pid (none: the process is gone).
    public var currentStats: [Int32: ProcStat] = [:]
    /// What a new walk of /proc at the end of the run finds (nil: `processes` again).
    public var processesLater: Result<[ProcessRecord], ProbeError>?
    public var memTotalKB: Int64? = 8_000_000
    public var uptimeSeconds: Double? = 100_000
    /// When the uptime was read: the run's clock unless a test moves it.
    public var uptimeReadAt: Int64?
    public var uptimeReadAtMilliseconds: Int64 { uptimeReadAt ?? nowMilliseconds }
    public var clockTicks: Int64 = 100
    public var pageSize: Int64 = 4096
    public var hostMachine = "x86_64"
    /// 2026-11-23 12:00:00 UTC.
    public var nowMilliseconds: Int64 = 1_795_435_200_000

    public var unixDiag: Result<[UnixDiagEntry], ProbeError> = .success([])
    /// What the next sock_diag samples return, in order; when used up, `unixDiag` again.
    public var unixDiagResamples: [Result<[UnixDiagEntry], ProbeError>] {
        get { resamples.withLock { $0 } }
        set { resamples.withLock { $0 = newValue } }
    }
    private let resamples = Mutex<[Result<[UnixDiagEntry], ProbeError>]>([])
    public var unixTable: Result<[UnixSocketEntry], ProbeError> = .success([])
    public var tcpToDataPort: Result<[TCPSocketEntry], ProbeError> = .success([])
    public var tcpListening: Result<[TCPSocketEntry], ProbeError> = .success([])
    public var tcpEstablished: Result<[TCPSocketEntry], ProbeError> = .success([])
    /// nil: the IPC path does not exist.
    public var ipcSocketStatOverride: Result<FileStat, ProbeError>?

    public var restartLogText: Result<String, ProbeError>
    public var restartLogCut = false
    public var logExpansions: [Result<Glob.Expansion, GlobPatternError>] = []
    /// What `collectorGlob` finds per pattern (nothing for any other).
    public var collectorGlobs: [String: [String]] = [:]
    /// nil: the collector binary does not exist.
    public var collectorBinaryOverride: BinaryFile?
    /// The collector's build as its binary records it (nil: not told).
    public var collectorBuild: GoBinaryInfo?
    /// nil: only the subscription directory, which does not exist.
    public var subscriptionConfigsOverride: SubscriptionConfigListing?
    /// Subscription config contents by path; a path not listed cannot be read (ENOENT).
    public var subscriptionConfigContents: [String: SubscriptionConfigRead] = [:]
    public var agentHealthz = AgentHealthz.Result(.passed, evidence: [("agent_healthz", .string("skipped: not set"))])
    /// The progress samples; by default one sample of a host with nothing running.
    public var progress = ProgressInput(first: nil, last: ProgressSample(wallSeconds: 0, monotonicSeconds: 0), settings: ProgressSettings())

    /// `stat` results by path (else a file in `files` is a regular file of its size, else ENOENT).
    public var stats: [String: FileStat] = [:]
    /// File contents by path.
    public var files: [String: [UInt8]] = [:]
    /// Real paths by path (else the path itself, when it exists).
    public var realPaths: [String: String] = [:]
    /// Paths the running collector may not open, with why (`collectorDenied`).
    public var deniedToCollector: [String: String] = [:]

    public init(options: CheckOptions = CheckOptions(), layout: GSELayout = GSELayout(root: "/usr/local/gse", generation: .gse2)) {
        self.options = options
        self.layout = layout
        restartLogText = .failure(Self.missing("open", options.restartLog))
    }

    /// The error of a path that is not there.
    public static func missing(_ call: String, _ path: String) -> ProbeError { ProbeError(call: call, path: path, errno: ENOENT) }

    public var ipcSocketStat: Result<FileStat, ProbeError> {
        ipcSocketStatOverride ?? stat(layout.ipcPath)
    }

    public var collectorBinary: BinaryFile {
        collectorBinaryOverride ?? BinaryFile(path: layout.collectorBinary, stat: stat(layout.collectorBinary))
    }

    public var subscriptionConfigs: SubscriptionConfigListing {
        if let s = subscriptionConfigsOverride { return s }
        let dir = SubscriptionConfigDir(path: layout.subConfigDir, filePattern: layout.subscriptionEntry?.filePattern)
        return SubscriptionConfigListing(dirs: [dir], files: [], errors: [(dir, Self.missing("opendir", dir.path))])
    }

    public func subscriptionConfig(_ file: SubscriptionConfigFile) -> SubscriptionConfigRead {
        subscriptionConfigContents[file.path] ?? SubscriptionConfigRead(content: .unreadable(Self.missing("open", file.path)))
    }

    public func fds(of pid: Int32) -> Result<[FDLink], ProbeError> { fdsByPid[pid] ?? .success([]) }
    public func openFileLimit(of pid: Int32) -> Int64? { openFileLimits[pid] }
    public func socketHolder(inode: UInt64) -> (pid: Int32, comm: String)? {
        for (pid, links) in fdsByPid.sorted(by: { $0.key < $1.key }) {
            guard case .success(let l) = links, l.contains(where: { ProcFS.socketInode(fromLink: $0.target) == inode }) else { continue }
            return (pid, ((try? processes.get()) ?? []).first { $0.pid == pid }?.comm ?? "?")
        }
        return nil
    }
    public func currentStat(of pid: Int32) -> ProcStat? { currentStats[pid] }
    public func rescanProcesses() -> Result<[ProcessRecord], ProbeError> { processesLater ?? processes }

    public func unixDiagResample() -> Result<[UnixDiagEntry], ProbeError> {
        resamples.withLock { list in list.isEmpty ? unixDiag : list.removeFirst() }
    }

    /// Effective user ids by pid (`effectiveUID(of:)`).
    public var effectiveUIDs: [Int32: UInt32] = [:]
    public func effectiveUID(of pid: Int32) -> UInt32? { effectiveUIDs[pid] }

    public func stat(_ path: String) -> Result<FileStat, ProbeError> {
        if let s = stats[path] { return .success(s) }
        if let b = files[path] { return .success(FileStat(mode: 0o100644, size: Int64(b.count))) }
        return .failure(Self.missing("stat", path))
    }

    public func collectorDeniedConnect(_ path: String) -> String? { deniedToCollector[path] }

    public func collectorDenied(_ paths: [String], patterns: [String]) -> [String: String] {
        deniedToCollector.filter { paths.contains($0.key) }
    }

    public func collectorGlob(_ pattern: String) -> Result<Glob.Expansion, GlobPatternError> {
        .success(Glob.Expansion(pattern: pattern, matches: collectorGlobs[pattern] ?? [], truncated: false, unreadable: []))
    }

    public func realPath(_ path: String) -> String? {
        if let r = realPaths[path] { return r }
        return (try? stat(path).get()) != nil ? path : nil
    }

    public func readFile(_ path: String, limit: Int) -> Result<FileBytes, ProbeError> {
        guard let b = files[path] else { return .failure(Self.missing("open", path)) }
        return .success(FileBytes(bytes: Array(b.prefix(limit)), truncated: b.count > limit))
    }
}
