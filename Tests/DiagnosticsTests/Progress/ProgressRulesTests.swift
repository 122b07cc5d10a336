@testable import Diagnostics
import HostProbe
import Report
import Testing

/// The four progress items on samples built in memory: every rule, each threshold on both sides.
@Suite("Progress rules")
struct ProgressRulesTests {
    static let now = 1_800_000_000.0
    static let registryPath = "/usr/local/gse/plugins/data/bkunifylogbeat.bkpipe.db"
    static let settings = ProgressSettings(flushSeconds: 10)

    /// A file of `size` bytes at inode `inode`, last written `age` seconds ago.
    static func file(_ path: String, size: Int64, inode: UInt64, age: Double = 1, dataid: Int64 = 1_500_123, skipped: String? = nil, limit: Int? = nil)
        -> ProgressSample.File
    {
        ProgressSample.File(
            target: ProgressTargets.File(path: path, dataid: dataid, skipped: skipped, harvesterLimit: limit),
            stat: .success(FileStat(mode: 0o100644, size: size, mtime: Int64(now - age), inode: inode, device: 2049)))
    }

    static func state(_ path: String, inode: UInt64, offset: Int64, age: Double) -> CollectorFileState {
        var s = CollectorFileState()
        s.source = path
        s.inode = inode
        s.device = 2049
        s.offset = offset
        s.timestampSeconds = Int64(now - age)
        s.timestampNanoseconds = 0
        return s
    }

    static func collector(pid: Int32 = 4242, open: [OpenFilePosition] = [], wchar: UInt64 = 1000, fds: Int = 20, limit: Int64 = 65535,
                          cgroup: Result<CgroupState, ProbeError> = .success(CgroupState(version: 1))) -> ProgressSample.Collector {
        ProgressSample.Collector(
            pid: pid, io: .success(ProcIO(writtenChars: wchar)), open: .success(open), fdCount: fds, fdLimit: limit, cgroup: cgroup)
    }

    static func held(_ path: String, inode: UInt64, position: Int64, size: Int64, deleted: Bool = false) -> OpenFilePosition {
        OpenFilePosition(fd: 9, path: path, deleted: deleted, position: position, inode: inode, device: 2049, size: size)
    }

    static func registry(_ states: [CollectorFileState], writtenAgo: Double = 2, gseindex: UInt64 = 10, available: Int64 = 10 << 30)
        -> ProgressSample.Registry
    {
        ProgressSample.Registry(
            path: registryPath,
            read: .success(CollectorRegistry(path: registryPath, txid: 9, localtime: "Tue Dec  1 10:00:00 CST 2026", states: states,
                                             gseIndexes: [("1500123", gseindex)])),
            stat: .success(FileStat(mode: 0o100640, size: 32768, mtime: Int64(now - writtenAgo))),
            space: .success(FileSystemSpace(totalBytes: 100 << 30, availableBytes: available, availableInodes: 1000)))
    }

    static func flow(sendQueue: UInt32 = 0, backoff: UInt8 = 0, acked: UInt64? = 5000, state: TCPState = .established) -> TCPFlow {
        TCPFlow(
            socket: TCPSocketEntry(localAddress: "10.0.0.5", localPort: 40000, remoteAddress: "10.0.0.9", remotePort: 58625, state: state,
                                   inode: 77, isIPv6: false),
            receiveQueue: 0, sendQueue: sendQueue, info: TCPInfo(backoff: backoff, bytesAcked: acked))
    }

    /// A healthy host: one file written, read and acknowledged to its size.
    static func healthy(at t: Double = now) -> ProgressSample {
        ProgressSample(
            wallSeconds: t, monotonicSeconds: t - 1_700_000_000, files: [file("/data/logs/app/a.log", size: 1000, inode: 11)],
            collectors: [collector(open: [held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000)])],
            registry: registry([state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)]), ipcUnread: 0, agentFlows: .success([flow()]))
    }

    func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = settings) -> ProgressInput {
        ProgressInput(first: first, last: last, settings: settings)
    }

    // MARK: logpath_progress

    @Test("a file acknowledged to its size passes, with the roll-up per data id")
    func upToDate() throws {
        let f = ProgressRules.logpathProgress(input(Self.healthy()))
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(f.message == "1 file(s) acknowledged up to their size")
        let byDataid = try #require(f.evidence.first { $0.0 == "by_dataid" }?.1)
        #expect(byDataid["1500123"]?["lag_bytes"] == .int(0))
        #expect(byDataid["1500123"]?["files"] == .int(1))
    }

    @Test("a registry not written for more than 3 flushes fails; just under passes")
    func staleHeartbeat() {
        var s = Self.healthy()
        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: 32)
        let f = ProgressRules.logpathProgress(input(s))
        #expect(f.verdict == .fail)
        #expect(f.message.contains("has not been written for 31 s"), "\(f.message)")  // from the end of the mtime's second
        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: 30)
        #expect(ProgressRules.logpathProgress(input(s)).verdict == .pass)
    }

    @Test("data written more than 3 flushes after the last acknowledgement fails; fresh data in flight passes")
    func ackStalled() throws {
        var s = Self.healthy()
        s.files = [Self.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 2)]
        s.collectors = [Self.collector(open: [Self.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])]
        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 120)])
        let f = ProgressRules.logpathProgress(input(s))
        #expect(f.verdict == .fail)
        #expect(f.message.contains("/data/logs/app/a.log") && f.message.contains("3.9 KiB behind"), "\(f.message)")
        let files = try #require(f.evidence.first { $0.0 == "files" }?.1)
        #expect(files.arrayValue?.first?["status"] == .string("ack_stalled"))
        #expect(files.arrayValue?.first?["lag_bytes"] == .int(4000))

        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 5)])
        let fresh = ProgressRules.logpathProgress(input(s))
        #expect(fresh.verdict == .pass && fresh.message.contains("in flight"), "\(fresh.message)")
    }

    @Test("across two samples the daemon's gap apart: the file grew and its offset did not move")
    func ackStalledAcrossSamples() {
        var first = Self.healthy(at: Self.now - 60)
        first.files = [Self.file("/data/logs/app/a.log", size: 2000, inode: 11)]
        first.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 0)])
        var last = Self.healthy()
        last.files = [Self.file("/data/logs/app/a.log", size: 3000, inode: 11, age: 0)]
        last.collectors = [Self.collector(open: [Self.held("/data/logs/app/a.log", inode: 11, position: 3000, size: 3000)])]
        // The state's own time says "acknowledged 20 s ago" (not yet 3 flushes), but the samples 60 s apart show no movement.
        last.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 20)])
        #expect(ProgressRules.logpathProgress(input(last)).verdict == .pass)
        #expect(ProgressRules.logpathProgress(input(last, first: first)).verdict == .fail)
    }

    @Test("truncated, never collected and lagging files warn and are named; a new file is not yet never-collected")
    func warnings() {
        var s = Self.healthy()
        s.files = [
            Self.file("/data/logs/app/a.log", size: 100, inode: 11),
            Self.file("/data/logs/app/old.log", size: 10, inode: 12, age: 100),
        ]
        let f = ProgressRules.logpathProgress(input(s))
        #expect(f.verdict == .warn)
        #expect(f.message.contains("truncated below the acknowledged offset: /data/logs/app/a.log"), "\(f.message)")
        #expect(f.message.contains("never collected: /data/logs/app/old.log"), "\(f.message)")

        s.files = [Self.file("/data/logs/app/a.log", size: 1000, inode: 11), Self.file("/data/logs/app/new.log", size: 10, inode: 12, age: 5)]
        #expect(ProgressRules.logpathProgress(input(s)).verdict == .pass)

        s.files = [Self.file("/data/logs/app/a.log", size: 1000 + (65 << 20), inode: 11)]
        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)])
        let lag = ProgressRules.logpathProgress(input(s))
        #expect(lag.verdict == .warn && lag.message.contains("more than 64.0 MiB behind"), "\(lag.message)")
    }

    @Test("a rotated file's old inode still in the registry is named")
    func rotated() {
        var s = Self.healthy()
        s.registry = Self.registry([
            Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3), Self.state("/data/logs/app/a.log", inode: 10, offset: 777, age: 400),
        ])
        let f = ProgressRules.logpathProgress(input(s))
        #expect(f.verdict == .pass)
        #expect(f.message.contains("rotated (an older inode is still in the registry): /data/logs/app/a.log"), "\(f.message)")
    }

    @Test("no registry file fails; an unreadable one and a stopped collector are unknown")
    func registryProblems() {
        var s = Self.healthy()
        s.registry?.read = .failure(RegistryReadError("open: No such file or directory", isMissing: true))
        #expect(ProgressRules.logpathProgress(input(s)).verdict == .fail)
        s.registry?.read = .failure(RegistryReadError("open: Permission denied", isPermission: true))
        let denied = ProgressRules.logpathProgress(input(s))
        #expect(denied.verdict == .unknown && denied.hint.contains("root"))
        s.collectors = []
        for rule in [ProgressRules.logpathProgress, ProgressRules.pipelineStall, ProgressRules.collectorResources] {
            #expect(rule(input(s)).verdict == .unknown)
        }
    }

    // MARK: pipeline_stall

    @Test("every hop moving passes and gives each hop's numbers")
    func pipelineFlowing() throws {
        let f = ProgressRules.pipelineStall(input(Self.healthy()))
        #expect(f.verdict == .pass && f.message == "no hop is stuck: nothing pending", "\(f.message)")
        for hop in ["files", "read", "registry", "gseindex", "ipc", "dataserver"] {
            #expect(f.evidence.first { $0.0 == hop }?.1["state"] == .string("ok"), "\(hop)")
        }
        #expect(f.evidence.first { $0.0 == "dataserver" }?.1["connections"] == .int(1))
    }

    @Test("unread data older than the harvester's backoff: data stops at read")
    func readStall() {
        var s = Self.healthy()
        s.files = [Self.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 60)]
        s.collectors = [Self.collector(open: [Self.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 5000)])]
        let f = ProgressRules.pipelineStall(input(s))
        #expect(f.verdict == .fail)
        #expect(f.evidence.first?.1 == .string("read"))
        #expect(f.message.hasPrefix("data stops at read:") && f.message.contains("3.9 KiB written and not acknowledged"), "\(f.message)")
        // Written 5 s ago: still within the backoff.
        s.files = [Self.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 5)]
        #expect(ProgressRules.pipelineStall(input(s)).verdict == .pass)
    }

    @Test("an IPC queue the agent does not drain in both samples: data stops at ipc, past the acknowledgements backed up behind it")
    func ipcStall() {
        var first = Self.healthy(at: Self.now - 1)
        first.ipcUnread = 200_000
        var last = Self.healthy()
        last.files = [Self.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 1)]
        last.collectors = [Self.collector(open: [Self.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])]
        last.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 100)])
        last.ipcUnread = 212_992
        let f = ProgressRules.pipelineStall(input(last, first: first))
        #expect(f.evidence.first?.1 == .string("ipc"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "registry" }?.1["state"] == .string("stuck"))
        // A queue that drained between the samples is not stuck.
        first.ipcUnread = 0
        #expect(ProgressRules.pipelineStall(input(last, first: first)).evidence.first?.1 == .string("registry"))
    }

    @Test("the dataserver hop: no connection, a connection in backoff, and acks that do not move with data queued")
    func dataserverStall() {
        var s = Self.healthy()
        s.agentFlows = .success([])
        let none = ProgressRules.pipelineStall(input(s))
        #expect(none.evidence.first?.1 == .string("dataserver") && none.message.contains("no connection to the dataserver"))
        s.agentFlows = .success([Self.flow(state: .synSent)])
        #expect(ProgressRules.pipelineStall(input(s)).message.contains("not established (SYN_SENT)"))
        s.agentFlows = .success([Self.flow(sendQueue: 9000, backoff: 4)])
        #expect(ProgressRules.pipelineStall(input(s)).message.contains("retransmission backoff"))
        var first = Self.healthy(at: Self.now - 1)
        first.agentFlows = .success([Self.flow(sendQueue: 9000, acked: 5000)])
        s.agentFlows = .success([Self.flow(sendQueue: 9000, acked: 5000)])
        #expect(ProgressRules.pipelineStall(input(s, first: first)).evidence.first?.1 == .string("dataserver"))
        s.agentFlows = .success([Self.flow(sendQueue: 9000, acked: 9000)])
        #expect(ProgressRules.pipelineStall(input(s, first: first)).verdict == .pass)
    }

    // MARK: loss_risk

    @Test("a deleted file held with unread bytes fails with those bytes; read to its end it is no risk")
    func deletedHeld() throws {
        var s = Self.healthy()
        s.collectors = [Self.collector(open: [Self.held("/data/logs/app/gone.log", inode: 15, position: 100, size: 5100, deleted: true)])]
        let f = ProgressRules.lossRisk(input(s))
        #expect(f.verdict == .fail)
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(5000))
        #expect(f.message.contains("deleted_held"))
        s.collectors = [Self.collector(open: [Self.held("/data/logs/app/gone.log", inode: 15, position: 5100, size: 5100, deleted: true)])]
        #expect(ProgressRules.lossRisk(input(s)).verdict == .warn)
    }

    @Test("skipped files, truncation and too many files for harvester_limit warn; a full registry file system fails")
    func otherRisks() {
        var s = Self.healthy()
        #expect(ProgressRules.lossRisk(input(s)).verdict == .pass)
        s.files.append(Self.file("/data/logs/app/a.log.gz", size: 700, inode: 20, skipped: "exclude_files: \\.gz$"))
        let skipped = ProgressRules.lossRisk(input(s))
        #expect(skipped.verdict == .warn && skipped.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(700), "\(skipped.message)")
        s.files = (0..<3).map { Self.file("/data/logs/app/\($0).log", size: 100, inode: 30 + UInt64($0), age: 1, limit: 1) }
        let limited = ProgressRules.lossRisk(input(s))
        #expect(limited.verdict == .warn && limited.message.contains("harvester_limit"), "\(limited.message)")
        s = Self.healthy()
        s.registry = Self.registry([Self.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], available: 4096)
        let full = ProgressRules.lossRisk(input(s))
        #expect(full.verdict == .fail && full.message.contains("registry_fs_full"), "\(full.message)")
    }

    // MARK: collector_resources

    @Test("resource_limit enabled on cgroup v2 warns that nothing is applied; on v1 with limits it passes")
    func limitsApplied() {
        var s = Self.healthy()
        let enabled = ProgressSettings(flushSeconds: 10, resourceLimit: .init(enabled: true, cpu: 0.4, memoryMB: 819))
        s.collectors = [Self.collector(cgroup: .success(CgroupState(version: 2)))]
        let v2 = ProgressRules.collectorResources(input(s, settings: enabled))
        #expect(v2.verdict == .warn && v2.message.contains("cgroup v2"), "\(v2.message)")
        var v1 = CgroupState(version: 1)
        v1.cpuQuotaMicros = 40_000
        v1.cpuPeriodMicros = 100_000
        v1.memoryLimitBytes = 819 << 20
        v1.memoryUsageBytes = 100 << 20
        s.collectors = [Self.collector(cgroup: .success(v1))]
        let ok = ProgressRules.collectorResources(input(s, settings: enabled))
        #expect(ok.verdict == .pass, "\(ok.message)")
        #expect(ok.evidence.first { $0.0 == "pid_4242" }?.1["applied"]?["cpu_cores"] == .double(0.4))
        // Applied, but not what the main config asks for (the cgroup was set by an older config, or by hand).
        v1.cpuQuotaMicros = 100_000
        s.collectors = [Self.collector(cgroup: .success(v1))]
        let drift = ProgressRules.collectorResources(input(s, settings: enabled))
        #expect(drift.verdict == .warn && drift.message.contains("cpu limit of 1.0 cores, resource_limit says 0.4"), "\(drift.message)")
    }

    @Test("throttling over the samples, memory near its limit, OOM kills and fds at the limit")
    func pressure() {
        var a = CgroupState(version: 1)
        a.periods = 1000
        a.throttledPeriods = 10
        var b = a
        b.periods = 1100
        b.throttledPeriods = 60
        var first = Self.healthy(at: Self.now - 1)
        first.collectors = [Self.collector(cgroup: .success(a))]
        var last = Self.healthy()
        last.collectors = [Self.collector(cgroup: .success(b))]
        let throttled = ProgressRules.collectorResources(input(last, first: first))
        #expect(throttled.verdict == .warn && throttled.message.contains("50.0%"), "\(throttled.message)")
        // Over the cgroup's life alone (one sample) the ratio is 6%: no warning.
        #expect(ProgressRules.collectorResources(input(last)).verdict == .pass)

        b.oomKills = 2
        last.collectors = [Self.collector(cgroup: .success(b))]
        #expect(ProgressRules.collectorResources(input(last)).message.contains("2 OOM kill(s)"))

        var withKernel = input(Self.healthy())
        withKernel.oomKills = .success([OOMKill(secondsSinceBoot: 100, pid: 99, comm: "bkunifylogbeat", inCgroup: true)])
        withKernel.uptimeSeconds = 1000
        let kernel = ProgressRules.collectorResources(withKernel)
        #expect(kernel.verdict == .warn && kernel.message.contains("OOM-killed bkunifylogbeat 1 time(s)"))

        last.collectors = [Self.collector(fds: 1024, limit: 1024)]
        #expect(ProgressRules.collectorResources(input(last)).verdict == .fail)
        last.collectors = [Self.collector(fds: 900, limit: 1024)]
        #expect(ProgressRules.collectorResources(input(last)).verdict == .warn)
        last.collectors = [Self.collector(cgroup: .failure(ProbeError(call: "open", path: "/proc/1/cgroup", errno: 13)))]
        #expect(ProgressRules.collectorResources(input(last)).verdict == .unknown)
    }
}
