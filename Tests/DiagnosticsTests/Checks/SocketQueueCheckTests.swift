import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gse_agent/socket_queue_status on in-memory facts")
struct SocketQueueCheckTests {
    /// A dump: the listener with `backlog` connections waiting, and one accepted connection per queue size.
    static func sample(_ queues: UInt32..., backlog: UInt32 = 0) -> Result<[UnixDiagEntry], ProbeError> {
        .success(
            [Fixture.unix(900, state: 10, rq: backlog)]
                + queues.enumerated().map { Fixture.unix(901 + UInt64($0.offset), peer: 500, rq: $0.element) })
    }

    func run(_ first: Result<[UnixDiagEntry], ProbeError>, then: [Result<[UnixDiagEntry], ProbeError>] = []) -> Finding {
        let h = Fixture.facts()
        h.unixDiag = first
        h.unixDiagResamples = then
        return SocketQueueCheck().run(h)
    }

    @Test("empty queues pass on one sample; a listener's backlog gone on a second look is not judged")
    func pass() {
        let f = run(Self.sample(0, 0, backlog: 4), then: [Self.sample(0, 0)])
        #expect(f.verdict == .pass && f.message == "socket queue ok: 2 connections, no persistent backlog")
        #expect(Fixture.evidence(f, "samples") == .int(1))
        #expect(Fixture.evidence(f, "listen_backlog") == .int(4))
        #expect(Fixture.evidence(f, "max_unread_bytes") == .int(0))
    }

    @Test("connections left in the listener's backlog on a second look fail though others were accepted and are read")
    func acceptStopped() {
        let f = run(Self.sample(0, backlog: 2), then: [Self.sample(0, backlog: 2)])
        #expect(f.verdict == .fail)
        #expect(
            f.message
                == "socket not accepting: 2 connection(s) wait in the listen backlog of \(Fixture.ipc) on a second look, while 1 accepted earlier are read",
            "\(f.message)")
        #expect(Fixture.evidence(f, "listen_backlog_second_look") == .int(2))
        #expect(f.hint.contains("EMFILE"), "\(f.hint)")
    }

    @Test("a backlog that drains on the next sample passes")
    func transient() {
        let f = run(Self.sample(500), then: [Self.sample(0)])
        #expect(f.verdict == .pass)
        #expect(Fixture.evidence(f, "samples") == .int(2))
        #expect(Fixture.evidence(f, "max_unread_bytes") == .int(500))
    }

    @Test("unread bytes on every sample that never go down fail, with the last sample's size; going down between samples warns")
    func blocked() {
        let f = run(Self.sample(200, 0), then: [Self.sample(200, 0), Self.sample(300, 0)])
        #expect(f.verdict == .fail)
        #expect(f.message == "socket queue blocking: 1 of 2 connections have unread data (up to 300 bytes)")
        #expect(
            Fixture.evidence(f, "blocked")
                == .array([
                    .object([
                        ("inode", .int(901)), ("unread_bytes", .int(300)),
                        ("unread_per_sample", .array([.int(200), .int(200), .int(300)])),
                    ])
                ]))
        #expect(Fixture.evidence(f, "samples") == .int(3))
        #expect(f.hint.contains("负载") && !f.hint.contains("kill -CONT"), "\(f.hint)")
        // Never down in the quick samples, but the run's progress samples, a second apart, saw the queue go down: an
        // agent that reads in bursts, behind, not blocking.
        let h = Fixture.facts()
        h.unixDiag = Self.sample(200, 0)
        h.unixDiagResamples = [Self.sample(200, 0), Self.sample(300, 0)]
        var first = ProgressSample(wallSeconds: 0, monotonicSeconds: 0)
        first.ipcUnread = 150_000
        var last = ProgressSample(wallSeconds: 1, monotonicSeconds: 1)
        last.ipcUnread = 90_000
        h.progress = ProgressInput(first: first, last: last, settings: ProgressSettings())
        let bursts = SocketQueueCheck().run(h)
        #expect(bursts.verdict == .warn && Fixture.evidence(bursts, "read_between_progress_samples") == .bool(true), "\(bursts.message)")
        // Read in between (500, then 300, then 200): the agent reads, behind the collector.
        let behind = run(Self.sample(500, 0), then: [Self.sample(300, 0), Self.sample(200, 0)])
        #expect(behind.verdict == .warn, "\(behind.message)")
        #expect(
            behind.message.hasPrefix("socket queue behind: 1 of 2 connections have unread data in every sample (up to 500 bytes)"),
            "\(behind.message)")
    }

    @Test("unread bytes behind a stopped agent: the hint resumes it (kill -CONT), not the agent's load")
    func blockedBehindStoppedAgent() {
        let h = Fixture.facts()
        h.unixDiag = Self.sample(500, 0)
        h.unixDiagResamples = [Self.sample(500, 0)]
        h.processes = .success([Fixture.agent(200, state: "T"), Fixture.agent(201, state: "t")])
        let f = SocketQueueCheck().run(h)
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(f.hint.contains("kill -CONT 200 201 "), "\(f.hint)")
        // One running beside it reads: the usual hint.
        h.processes = .success([Fixture.agent(200, state: "T"), Fixture.agent(201)])
        #expect(!SocketQueueCheck().run(h).hint.contains("kill -CONT"), "\(SocketQueueCheck().run(h).hint)")
        // GSE 2's worker stopped under its running watchdog (which reads no IPC): resume the worker.
        var worker = Fixture.agent(201, state: "T")
        worker.stat?.ppid = 200
        h.processes = .success([Fixture.agent(200), worker])
        #expect(SocketQueueCheck().run(h).hint.contains("kill -CONT 201 "), "\(SocketQueueCheck().run(h).hint)")
    }

    @Test("no accepted connection fails; connections left in the listener's backlog on two looks are named")
    func unused() {
        let idle: Result<[UnixDiagEntry], ProbeError> = .success([Fixture.unix(900, state: 10, rq: 0)])
        let f = run(idle)
        #expect(f.verdict == .fail && f.message == "socket not used: no connection on \(Fixture.ipc)")
        #expect(f.hint.contains("确认 bkunifylogbeat 正在运行"), "\(f.hint)")
        // Nothing listens at all: the agent's side, not the collector's.
        let none = run(.success([]))
        #expect(none.verdict == .fail && none.hint.contains("gse_agent/process"), "\(none.hint)")
        // 4 connections queued and never accepted, still there on the second look.
        let waiting = run(Self.sample(backlog: 4), then: [Self.sample(backlog: 4)])
        #expect(
            waiting.verdict == .fail
                && waiting.message == "socket not accepting: 4 connection(s) wait in the listen backlog of \(Fixture.ipc), none accepted",
            "\(waiting.message)")
        #expect(Fixture.evidence(waiting, "listen_backlog_second_look") == .int(4))
        // Accepted by the second look: not a hung agent.
        let drained = run(Self.sample(backlog: 4), then: [idle])
        #expect(drained.message == "socket not used: no connection on \(Fixture.ipc)", "\(drained.message)")
    }

    @Test("sock_diag refused is unknown")
    func unknown() {
        let f = run(.failure(Fixture.error(EPERM)), then: [.failure(Fixture.error(EPERM, "socket", "NETLINK_SOCK_DIAG"))])
        #expect(f.verdict == .unknown)
        #expect(f.message.hasPrefix("cannot read unix socket queues (netlink sock_diag): socket NETLINK_SOCK_DIAG"))
    }
}
