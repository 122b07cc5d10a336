import HostProbe
import Report
import TestSupport

@testable import Diagnostics

/// Samples built in memory for the log_progress checks' unit tests: a healthy host and its parts.
enum ProgressFixture {
    static let now = 1_800_000_000.0
    static let registryPath = "/usr/local/gse/plugins/data/bkunifylogbeat.bkpipe.db"
    static let settings = ProgressSettings(flushSeconds: 10)

    /// A file of `size` bytes at inode `inode`, last written `age` seconds ago.
    static func file(
        _ path: String, size: Int64, inode: UInt64, age: Double = 1, dataid: Int64 = 1_500_123, skipped: String? = nil, limit: Int? = nil
    )
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

    static func collector(
        pid: Int32 = 4242, open: [OpenFilePosition] = [], wchar: UInt64 = 1000, fds: Int = 20, limit: Int64 = 65535,
        cgroup: Result<CgroupState, ProbeError> = .success(CgroupState(version: 1))
    ) -> ProgressSample.Collector {
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
            read: .success(
                CollectorRegistry(
                    path: registryPath, txid: 9, localtime: "Tue Dec  1 10:00:00 CST 2026", states: states,
                    gseIndexes: [("1500123", gseindex)])),
            stat: .success(FileStat(mode: 0o100640, size: 32768, mtime: Int64(now - writtenAgo))),
            space: .success(FileSystemSpace(totalBytes: 100 << 30, availableBytes: available, availableInodes: 1000)))
    }

    static func flow(sendQueue: UInt32 = 0, backoff: UInt8 = 0, acked: UInt64? = 5000, state: TCPState = .established) -> TCPFlow {
        TCPFlow(
            socket: TCPSocketEntry(
                localAddress: "10.0.0.5", localPort: 40000, remoteAddress: "10.0.0.9", remotePort: 58625, state: state,
                inode: 77, isIPv6: false),
            receiveQueue: 0, sendQueue: sendQueue, info: TCPInfo(backoff: backoff, bytesAcked: acked))
    }

    /// A healthy host: one file written, read and acknowledged to its size.
    static func healthy(at t: Double = now) -> ProgressSample {
        ProgressSample(
            wallSeconds: t, monotonicSeconds: t - 1_700_000_000, files: [file("/data/logs/app/a.log", size: 1000, inode: 11)],
            collectors: [collector(open: [held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000)])],
            registry: registry([state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)]), ipcUnread: 0,
            agentFlows: .success([flow()]))
    }

    static func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = settings) -> ProgressInput {
        ProgressInput(first: first, last: last, settings: settings)
    }

    /// Runs `check` on in-memory facts whose progress is `input`.
    static func run(_ check: any Check, _ input: ProgressInput) -> Finding {
        let facts = InMemoryHostFacts()
        facts.progress = input
        return check.run(facts)
    }
}
