import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

@Suite("log_progress/pipeline_stall on in-memory facts")
struct PipelineStallCheckTests {
    func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = ProgressFixture.settings) -> ProgressInput
    {
        ProgressInput(first: first, last: last, settings: settings)
    }

    func run(_ input: ProgressInput) -> Finding { ProgressFixture.run(PipelineStallCheck(), input) }

    @Test("a deleted file still held whose unread data the collector does not read stops the data at the read hop")
    func deletedHeldNotRead() throws {
        func sample(at t: Double, position: Int64) -> ProgressSample {
            var s = ProgressFixture.healthy(at: t)
            var gone = ProgressFixture.held("/data/logs/app/gone.log", inode: 15, position: position, size: 5100, deleted: true)
            gone.mtime = Int64(ProgressFixture.now - 60)
            s.collectors = [
                ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000), gone])
            ]
            return s
        }
        let stuck = run(input(sample(at: ProgressFixture.now, position: 100), first: sample(at: ProgressFixture.now - 1, position: 100)))
        #expect(stuck.verdict == .fail, "\(stuck.message)")
        #expect(
            stuck.message.contains("/data/logs/app/gone.log (4.9 KiB unread), deleted and still held, is not being read"),
            "\(stuck.message)")
        // Still being read: the harvester reads a removed file to its end; nothing is stuck.
        let moving = run(input(sample(at: ProgressFixture.now, position: 2000), first: sample(at: ProgressFixture.now - 1, position: 100)))
        #expect(!moving.message.contains("is not being read"), "\(moving.message)")
        #expect(moving.verdict != .fail, "\(moving.message)")
    }

    @Test(
        "a deleted file still held with unread data, within the harvester's backoff, is pending at the read hop: a pass, not 'nothing pending'"
    )
    func deletedHeldPendingInGrace() throws {
        // The log deleted just after 5000 bytes were appended (its last write fresh), the position standing still
        // over a 1 s gap: too short to call it stuck, but its bytes wait at the read hop.
        func sample(at t: Double, position: Int64, target: Bool) -> ProgressSample {
            var s = ProgressFixture.healthy(at: t)
            var gone = ProgressFixture.held("/data/logs/app/gone.log", inode: 15, position: position, size: 5100, deleted: true)
            gone.mtime = Int64(ProgressFixture.now - 1)
            var open = [gone]
            if target {
                open.insert(ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000), at: 0)
            } else {
                // Nothing matches the log paths any more: the deleted file was the only one.
                s.files = []
                s.registry = ProgressFixture.registry([])
            }
            s.collectors = [ProgressFixture.collector(open: open)]
            return s
        }
        for target in [true, false] {
            let f = run(
                input(
                    sample(at: ProgressFixture.now, position: 100, target: target),
                    first: sample(at: ProgressFixture.now - 1, position: 100, target: target)))
            #expect(f.verdict == .pass, "\(f.message)")
            #expect(!f.message.contains("nothing pending"), "\(f.message)")
            #expect(
                f.message.contains("4.9 KiB unread at the read hop in /data/logs/app/gone.log, deleted and still held"), "\(f.message)")
            #expect(f.message.contains("the read position of /data/logs/app/gone.log did not move in the 1 s"), "\(f.message)")
            let read = Fixture.evidence(f, "read")
            #expect(read?["state"] == .string("ok"))
            #expect(read?["unread_bytes"] == .int(5000), "\(String(describing: read))")
            #expect(read?["files_open"] == .int(target ? 2 : 1), "\(String(describing: read))")
            #expect(
                read?["deleted_held"]
                    == .array([.object([("path", .string("/data/logs/app/gone.log")), ("unread", .int(5000)), ("stuck", .bool(false))])]))
        }
        // Being read: pending still, and moving.
        let moving = run(
            input(
                sample(at: ProgressFixture.now, position: 2000, target: true),
                first: sample(at: ProgressFixture.now - 1, position: 100, target: true)))
        #expect(moving.verdict == .pass, "\(moving.message)")
        #expect(
            moving.message
                == "no hop is stuck: 3.0 KiB unread at the read hop in /data/logs/app/gone.log, deleted and still held (what the collector has not read is lost when it closes it, see loss_risk), every hop moving",
            "\(moving.message)")
        // One sample: nothing measured, but the bytes are named.
        let one = run(input(sample(at: ProgressFixture.now, position: 100, target: true)))
        #expect(one.verdict == .pass, "\(one.message)")
        #expect(
            one.message.hasSuffix("(one sample: movement not measured)") && one.message.contains("4.9 KiB unread at the read hop"),
            "\(one.message)")
    }

    @Test("a deleted name of a file still linked under a matched path is not counted twice at the read hop")
    func deletedHardLinkCountedOnce() throws {
        // a.log's inode held through a removed second name: the target already counts its read position.
        var s = ProgressFixture.healthy()
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000),
                ProgressFixture.held("/data/logs/app/b.log", inode: 11, position: 500, size: 1000, deleted: true),
            ])
        ]
        let f = run(input(s))
        #expect(Fixture.evidence(f, "read")?["files_open"] == .int(1))
        #expect(Fixture.evidence(f, "read")?["unread_bytes"] == .int(0))
    }

    @Test("a registry or a log written ahead of the clock is unknown, not a pass: how long data waited cannot be told")
    func clockSetBack() throws {
        // The registry's mtime an hour ahead (the clock set back): its heartbeat cannot be aged.
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: -3600)
        for f in [run(input(s)), ProgressFixture.run(LogPathProgressCheck(), input(s))] {
            #expect(f.verdict == .unknown, "\(f.message)")
            #expect(f.message.contains("ahead of this host's clock"), "\(f.message)")
        }
        // A log written ten minutes ahead, read and not acknowledged: no age, so no stall can be seen.
        s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 3000, inode: 11, age: -600)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 3000, size: 3000)])
        ]
        for f in [run(input(s)), ProgressFixture.run(LogPathProgressCheck(), input(s))] {
            #expect(f.verdict == .unknown, "\(f.message)")
            #expect(f.message.contains("ahead of this host's clock"), "\(f.message)")
        }
        // Acknowledged to its end, a file ahead of the clock has nothing waiting: nothing to tell.
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 3000, age: 3)])
        #expect(run(input(s)).verdict == .pass, "\(run(input(s)).message)")
    }

    @Test("a registry flushed while a slow sample was taken is not ahead of the clock: the clock is read where the sample ends")
    func slowSample() throws {
        // The sample began at `now` and took 6 s (a loaded host); the registry was flushed 4 s into it.
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: -4)
        s.wallEndSeconds = s.wallSeconds + 6
        for f in [run(input(s)), ProgressFixture.run(LogPathProgressCheck(), input(s))] {
            #expect(f.verdict != .unknown, "\(f.message)")
            #expect(!f.message.contains("ahead of this host's clock"), "\(f.message)")
        }
        // Past the sample's end it is still ahead: written 4 s after a sample that took 1 s.
        s.wallEndSeconds = s.wallSeconds + 1
        #expect(run(input(s)).message.contains("ahead of this host's clock"), "\(run(input(s)).message)")
    }

    @Test("every hop moving passes and gives each hop's numbers")
    func pipelineFlowing() throws {
        let f = run(input(ProgressFixture.healthy()))
        #expect(f.verdict == .pass && f.message == "no hop is stuck: nothing pending", "\(f.message)")
        for hop in ["files", "read", "registry", "gseindex", "ipc", "dataserver"] {
            #expect(f.evidence.first { $0.0 == hop }?.1["state"] == .string("ok"), "\(hop)")
        }
        #expect(f.evidence.first { $0.0 == "dataserver" }?.1["connections"] == .int(1))
        // A kafka, redis or syslog subscription: no file to follow, and the message says which hops were seen.
        var noFiles = ProgressFixture.healthy()
        noFiles.files = []
        var i = input(noFiles)
        i.scope = []
        i.loadedConfigs = true
        let network = run(i)
        #expect(network.verdict == .pass && network.message.contains("inputs read no files"), "\(network.message)")
        #expect(network.message.hasPrefix("no hop is stuck: nothing pending at the IPC socket or the dataserver link"))
        // Configs bkdiag could not read may name files: then it does not say the inputs read none.
        i.unreadConfigs = ["bkunifylogbeat_sub_1_host_1.conf: permission denied"]
        #expect(!run(i).message.contains("inputs read no files"), "\(run(i).message)")
        // Nor that nothing is pending: with no path known, the file hops are not judged (was a pass, "nothing pending").
        let unread = run(i)
        #expect(
            unread.verdict == .unknown && unread.message.contains("hops are not judged")
                && unread.message.hasSuffix("(bkunifylogbeat_sub_1_host_1.conf: permission denied)"), "\(unread.message)")
    }

    /// A host with 4,000 bytes written and not acknowledged (a.log written a second ago).
    static func pending() -> ProgressSample {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 1)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])
        ]
        return s
    }

    @Test("gse_agent not running: data stops at ipc with the agent's hint, and the dataserver hop behind it is not judged")
    func agentDown() {
        var s = Self.pending()
        s.agentDown = true
        s.agentFlows = .success([])
        var withHealthz = input(s)
        withHealthz.healthzData = "ok"
        #expect(run(withHealthz).evidence.first { $0.0 == "agent_healthz" }?.1["state"] == .string("not_judged"))
        let f = run(input(s))
        #expect(f.verdict == .fail && f.message.hasPrefix("data stops at ipc: gse_agent is not running"), "\(f.message)")
        #expect(f.hint.contains("gse_agent 未运行"), "\(f.hint)")
        // What waits behind it is said for what it is: read by the collector, not yet acknowledged.
        #expect(f.message.hasSuffix("; 3.9 KiB of log read by the collector and not acknowledged behind it"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "dataserver" }?.1["state"] == .string("not_judged"))
        // Half of it not yet read: both numbers.
        var half = s
        half.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 3000, size: 5000)])
        ]
        let h = run(input(half))
        #expect(
            h.message.hasSuffix("; 3.9 KiB of log written and not acknowledged behind it, 2.0 KiB of it not yet read by the collector"),
            "\(h.message)")
        // The agent running with no dataserver connection: the dataserver hop, as before.
        s.agentDown = false
        #expect(run(input(s)).message.hasPrefix("data stops at dataserver"), "\(run(input(s)).message)")
    }

    @Test(
        "the agent's data port not known (its config unreadable): no flow to the default port is not judged, and with no other hop stuck the item is unknown, not a pass"
    )
    func dataPortUnknown() {
        var s = ProgressFixture.healthy()
        s.agentFlows = .success([])
        var i = input(s)
        i.dataPortUnknown = "/usr/local/gse/agent/etc/agent.conf is not valid JSON"
        let f = run(i)
        #expect(f.verdict == .unknown && f.message.contains("dataserver hop is not judged"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "dataserver" }?.1["state"] == .string("not_judged"))
        // A hop before it stuck is still the answer.
        var p = Self.pending()
        p.agentFlows = .success([])
        p.ipcConnections = 0
        p.ipcBacklog = 0
        var j = input(p)
        j.dataPortUnknown = i.dataPortUnknown
        #expect(run(j).message.hasPrefix("data stops at ipc"), "\(run(j).message)")
        // Connected to the default port after all: judged as usual.
        var k = input(ProgressFixture.healthy())
        k.dataPortUnknown = i.dataPortUnknown
        #expect(run(k).verdict == .pass, "\(run(k).message)")
    }

    @Test("no accepted IPC connection from the collector with data waiting: the ipc hop, naming a listener that does not accept")
    func ipcUnconnected() {
        var s = Self.pending()
        s.ipcConnections = 0
        s.ipcBacklog = 0
        let none = run(input(s))
        #expect(none.verdict == .fail && none.message.hasPrefix("data stops at ipc: the collector has no connection"), "\(none.message)")
        s.ipcBacklog = 1
        var first = Self.pending()
        first.monotonicSeconds -= 1
        first.ipcConnections = 0
        first.ipcBacklog = 1
        let backlog = run(input(s, first: first))
        #expect(
            backlog.message.hasPrefix("data stops at ipc: the IPC socket's listener does not accept: 1 connection(s)"), "\(backlog.message)"
        )
        // Whoever listens there (gse_agent/socket names it), gse_agent is not blamed by the hint.
        #expect(backlog.hint.contains("gse_agent/socket") && !backlog.hint.hasPrefix("gse_agent 没有读取"), "\(backlog.hint)")
        // Connected in the first sample (a reconnect between them), or nothing pending: not judged stuck.
        first.ipcConnections = 1
        #expect(run(input(s, first: first)).verdict == .pass)
        var quiet = ProgressFixture.healthy()
        quiet.ipcConnections = 0
        #expect(run(input(quiet)).verdict == .pass)
        // Nothing pending, but events published between the samples while the collector's connection waits in the
        // backlog: written into a connection nothing reads (its buffer took them, the registry acknowledged them).
        var sent = ProgressFixture.healthy()
        sent.ipcConnections = 0
        sent.ipcBacklog = 1
        sent.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], gseindex: 15)
        var before = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        before.ipcConnections = 0
        before.ipcBacklog = 1
        let published = run(input(sent, first: before))
        #expect(
            published.verdict == .fail
                && published.message.hasPrefix("data stops at ipc: the IPC socket's listener does not accept: 1 connection(s)"),
            "\(published.message)")
        // The same with no event published (the gseindex still): nothing on its way, nothing stuck.
        sent.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], gseindex: 10)
        #expect(run(input(sent, first: before)).verdict == .pass, "\(run(input(sent, first: before)).message)")
    }

    @Test("a stopped collector (SIGSTOP) collects nothing: the progress items say so instead of measuring it")
    func stoppedCollector() {
        var s = Self.pending()
        s.collectors[0].stopped = true
        for check in [PipelineStallCheck(), LogPathProgressCheck(), LossRiskCheck()] as [any Check] {
            let f = ProgressFixture.run(check, input(s))
            #expect(f.verdict == .unknown && f.message.hasPrefix("bkunifylogbeat is stopped (pid 4242, state T"), "\(f.message)")
        }
        // One of two stopped: the other is measured.
        var two = s
        two.collectors.append(ProgressFixture.collector(pid: 4243))
        #expect(run(input(two)).verdict != .unknown)
    }

    @Test("unread data older than the harvester's backoff: data stops at read")
    func readStall() {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 60)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 5000)])
        ]
        let f = run(input(s))
        #expect(f.verdict == .fail)
        #expect(f.evidence.first?.1 == .string("read"))
        #expect(
            f.message.hasPrefix("data stops at read:")
                && f.message.hasSuffix("; 3.9 KiB of log written and not yet read by the collector behind it"), "\(f.message)")
        // Without a readable registry, fd positions alone judge nothing (not a collector bkdiag understands), and
        // nothing past it stuck is not "every hop moving": missing where path.data says warns (bkdiag's blind
        // spot, as logpath_progress says), unreadable is unknown.
        var noRegistry = s
        noRegistry.registry?.read = .failure(RegistryReadError("open: No such file or directory", isMissing: true))
        let missing = run(input(noRegistry))
        #expect(missing.verdict == .warn && missing.message.hasPrefix("no hop found stuck past the registry"), "\(missing.message)")
        #expect(missing.evidence.first { $0.0 == "registry" }?.1["state"] == .string("not_judged"))
        noRegistry.registry?.read = .failure(RegistryReadError("bolt: bad magic"))
        #expect(run(input(noRegistry)).verdict == .unknown)
        #expect(ProgressFixture.run(LossRiskCheck(), input(noRegistry)).verdict == .unknown)
        // Written 5 s ago: still within the backoff.
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 5)]
        #expect(run(input(s)).verdict == .pass)
    }

    @Test("an IPC queue the agent does not drain in both samples: data stops at ipc, past the acknowledgements backed up behind it")
    func ipcStall() {
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        first.ipcUnread = 200_000
        var last = ProgressFixture.healthy()
        // Written 60 s ago, after the last acknowledgement 100 s ago, read, and still not acknowledged.
        last.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 60)]
        last.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])
        ]
        last.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 100)])
        last.ipcUnread = 212_992
        let f = run(input(last, first: first))
        #expect(f.evidence.first?.1 == .string("ipc"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "registry" }?.1["state"] == .string("stuck"))
        // A queue that drained between the samples is not stuck.
        first.ipcUnread = 0
        #expect(run(input(last, first: first)).evidence.first?.1 == .string("registry"))
        // High at both samples but lower at the second: read in between (an agent that reads in bursts).
        first.ipcUnread = 300_000
        #expect(run(input(last, first: first)).evidence.first?.1 == .string("registry"))
        // Higher at the second, but the collector wrote far more than the queue holds while the agent's data flow
        // moved on: read in between. With the flow standing still, the collector's writes alone do not say so.
        first.ipcUnread = 200_000
        first.collectors = [ProgressFixture.collector(pid: 100, open: [], wchar: 1_000_000)]
        last.collectors[0] = ProgressFixture.collector(
            pid: 100, open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)], wchar: 1_600_000)
        first.agentFlows = .success([ProgressFixture.flow(acked: 5_000)])
        last.agentFlows = .success([ProgressFixture.flow(acked: 505_000)])
        let bursts = run(input(last, first: first))
        #expect(bursts.evidence.first?.1 == .string("registry"), "\(bursts.message)")
        #expect(bursts.evidence.first { $0.0 == "ipc" }?.1["agent_read_between_samples"] == .bool(true))
        last.agentFlows = .success([ProgressFixture.flow(acked: 5_000)])
        #expect(run(input(last, first: first)).evidence.first?.1 == .string("ipc"))
    }

    @Test("the dataserver hop: no connection, a connection in backoff, and acks that do not move with data queued")
    func dataserverStall() {
        var s = ProgressFixture.healthy()
        s.agentFlows = .success([])
        let none = run(input(s))
        #expect(none.evidence.first?.1 == .string("dataserver") && none.message.contains("no connection to the dataserver"))
        // Only a connection the dataserver closed and the agent still holds: the agent's to act on, not the network.
        s.agentClosedDataFlows = [ProgressFixture.flow(state: .closeWait)]
        let closeWait = run(input(s))
        #expect(
            closeWait.message.contains("the dataserver closed gse_agent's connection (10.0.0.9:58625, CLOSE_WAIT)")
                && closeWait.hint.contains("重启 Agent") && !closeWait.hint.contains("防火墙"), "\(closeWait.message) \(closeWait.hint)")
        s.agentClosedDataFlows = []
        s.agentFlows = .success([ProgressFixture.flow(state: .synSent)])
        #expect(run(input(s)).message.contains("not established (SYN_SENT)"))
        s.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, backoff: 4)])
        #expect(run(input(s)).message.contains("retransmission backoff"))
        // Nothing in flight and bytes not sent: the dataserver's window is closed, and the backoff is the persist timer's.
        var closedWindow = ProgressFixture.flow(sendQueue: 9000, backoff: 4)
        closedWindow.info = TCPInfo(backoff: 4, unackedSegments: 0, bytesAcked: 5000, notSentBytes: 9000)
        s.agentFlows = .success([closedWindow])
        let probes = run(input(s)).message
        #expect(probes.contains("zero-window probes backing off") && probes.contains("receive window is closed"), "\(probes)")
        s.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, backoff: 4)])
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        // A backoff seen in one of two samples is a lost segment, not a stall.
        #expect(run(input(s, first: first)).verdict == .pass)
        first.agentFlows = .success([ProgressFixture.flow(sendQueue: 7000, backoff: 3)])
        #expect(run(input(s, first: first)).message.contains("retransmission backoff with 8.8 KiB unacknowledged"))
        // A zero window: nothing in flight, everything queued unsent (the dataserver does not read).
        var zero = ProgressFixture.flow(sendQueue: 9000, backoff: 4)
        zero.info?.notSentBytes = 9000
        s.agentFlows = .success([zero])
        first.agentFlows = .success([zero])
        let closed = run(input(s, first: first)).message
        #expect(closed.contains("8.8 KiB queued and not sent: the dataserver's receive window is closed"), "\(closed)")
        s.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, backoff: 4)])
        first.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, acked: 5000)])
        s.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, acked: 5000)])
        #expect(run(input(s, first: first)).evidence.first?.1 == .string("dataserver"))
        s.agentFlows = .success([ProgressFixture.flow(sendQueue: 9000, acked: 9000)])
        #expect(run(input(s, first: first)).verdict == .pass)
    }

    @Test("GSE 2: the agent's own healthz naming its data channel failed is the last hop; ok adds nothing stuck")
    func agentHealthz() {
        var i = input(ProgressFixture.healthy())
        i.healthzData = "failed"
        let f = run(i)
        #expect(f.evidence.first?.1 == .string("agent_healthz") && f.message.contains("data channel as \"failed\""), "\(f.message)")
        i.healthzData = "ok"
        #expect(run(i).verdict == .pass)
        let output = "INFO healthz: loading\nhealthz:{\"ok\":false,\"data\":{\"base\":\"ok\",\"data\":\"failed\"}}\n"
        let parsed = ProgressInput.healthzData(AgentHealthz.Result(.failed("x"), answer: AgentHealthz.answer(output)))
        #expect(parsed == "failed")
    }
    /// A growing log whose harvester stopped: its read position stays where the registry acknowledged,
    /// far behind the file. Nothing read waits for the output, so the output is not the stuck hop.
    static func stuckReader(gap: Double) -> (ProgressSample, ProgressSample) {
        let path = "/data/logs/app/a.log"
        var first = ProgressFixture.healthy(at: ProgressFixture.now - gap)
        first.files = [ProgressFixture.file(path, size: 2_000_000, inode: 11, age: gap)]
        first.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 11, position: 1024, size: 2_000_000)])]
        first.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: 1024, age: 3600 - gap)])
        var last = ProgressFixture.healthy()
        last.files = [ProgressFixture.file(path, size: 2_716_800, inode: 11, age: 0)]
        last.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 11, position: 1024, size: 2_716_800)])]
        last.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: 1024, age: 3600)])
        return (first, last)
    }

    @Test("a reader stuck behind a growing log is the read hop, not the output, across samples longer than its backoff")
    func stuckReaderIsTheReadHop() throws {
        // 31 s apart with 10 s flushes: longer than three flushes, and than the 10 s backoff plus a flush.
        let (first, last) = Self.stuckReader(gap: 31)
        let f = run(ProgressFixture.input(last, first: first))
        #expect(f.verdict == .fail)
        #expect(f.message.hasPrefix("data stops at read:"), "\(f.message)")
        #expect(!f.message.contains("not confirming"), "\(f.message)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), ProgressFixture.input(last, first: first))
        #expect(progress.verdict == .fail && progress.message.contains("not read for longer than"), "\(progress.message)")
        // Read but not acknowledged, over the same samples, stays the output's.
        var acked = last
        acked.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 2_716_800, size: 2_716_800)])
        ]
        let out = run(ProgressFixture.input(acked, first: first))
        #expect(out.verdict == .fail && out.message.hasPrefix("data stops at registry:"), "\(out.message)")
        #expect(out.message.contains("a.log is read but not acknowledged for more than 3 flushes"), "\(out.message)")
    }

    @Test("a file no harvester holds, acknowledged part way and last written long ago, is not called read: its bytes are read again")
    func unheldFileIsNotCalledRead() throws {
        let path = "/data/logs/app/a.log"
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 31)
        first.files = [ProgressFixture.file(path, size: 5000, inode: 11, age: 600)]
        first.collectors = [ProgressFixture.collector(open: [])]
        first.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: 3000, age: 600)])
        var last = first
        last.wallSeconds = ProgressFixture.now
        last.monotonicSeconds += 31
        let f = run(ProgressFixture.input(last, first: first))
        #expect(f.verdict == .fail && f.message.hasPrefix("data stops at registry:"), "\(f.message)")
        #expect(!f.message.contains("is read but not acknowledged"), "\(f.message)")
        #expect(
            f.message.contains("a.log is not acknowledged past its registry offset for more than 3 flushes, and no harvester holds it"),
            "\(f.message)")
    }

    @Test("samples closer than the harvester's backoff do not call a reader stuck, nor claim that every hop moved")
    func shortGapIsHonest() throws {
        let (first, last) = Self.stuckReader(gap: 1)
        let f = run(ProgressFixture.input(last, first: first))
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(!f.message.contains("every hop moving"), "\(f.message)")
        #expect(f.message.contains("did not move"), "\(f.message)")
    }

    @Test("a --sample-gap cut to half the --timeout is said where the message advises a wider gap, with the --timeout it needs")
    func cutGapIsSaid() throws {
        let (first, last) = Self.stuckReader(gap: 2.5)
        var i = ProgressFixture.input(last, first: first)
        let uncut = run(i)
        #expect(uncut.verdict == .pass && !uncut.message.contains("was cut"), "\(uncut.message)")
        i.gapCut = (asked: 32, deadline: 5)
        let f = run(i)
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(
            f.message.contains(
                "(the --sample-gap of 32 s asked for was cut to half of the 5 s --timeout: give --timeout 64 or more with it)"),
            "\(f.message)")
        #expect(f.evidence.first { $0.0 == "sample_gap_asked_s" }?.1 == .double(32))
        // --sample-gap's own bound (300 s) needs a --timeout of 600, --timeout's own bound.
        i.gapCut = (asked: 300, deadline: 5)
        #expect(run(i).message.contains("give --timeout 600 or more with it"), "\(run(i).message)")
    }

    @Test("over a short gap, an acknowledged offset behind bytes read is named as not seen moving, not as every hop moving")
    func shortGapAcknowledgements() {
        let path = "/data/logs/app/a.log"
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        first.files = [ProgressFixture.file(path, size: 8000, inode: 11, age: 1)]
        first.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 11, position: 8000, size: 8000)])]
        first.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: 1000, age: 20)])
        var last = ProgressFixture.healthy()
        last.files = [ProgressFixture.file(path, size: 8600, inode: 11, age: 0)]
        last.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 11, position: 8600, size: 8600)])]
        last.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: 1000, age: 21)])
        let f = run(ProgressFixture.input(last, first: first))
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(f.message.contains("the acknowledged offset of \(path) did not move in the 1 s"), "\(f.message)")
        #expect(!f.message.contains("every hop moving"), "\(f.message)")
    }

    /// logrotate renamed a.log to a.log.1 while the collector was 3,000 bytes behind; the harvester keeps it
    /// (close_renamed is off) and the new a.log is collected.
    static func renamed(gap: Double, moved: Bool) -> ProgressInput {
        let dir = "/data/logs/app"
        var first = ProgressFixture.healthy(at: ProgressFixture.now - gap)
        first.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held(dir + "/a.log", inode: 11, position: 1000, size: 1000),
                OpenFilePosition(fd: 10, path: dir + "/a.log.1", deleted: false, position: 5000, inode: 9, device: 2049, size: 8000),
            ])
        ]
        var last = ProgressFixture.healthy()
        last.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held(dir + "/a.log", inode: 11, position: 1000, size: 1000),
                OpenFilePosition(
                    fd: 10, path: dir + "/a.log.1", deleted: false, position: moved ? 6000 : 5000, inode: 9, device: 2049, size: 8000),
                // The collector's own log: another directory, not this subscription's.
                OpenFilePosition(
                    fd: 11, path: "/usr/local/gse/plugins/logs/a.log.1", deleted: false, position: 0, inode: 50, device: 2049, size: 900),
            ])
        ]
        var input = ProgressFixture.input(last, first: first)
        input.scope = [dir + "/*.log"]
        return input
    }

    @Test("a file renamed by a rotation and still held: read on, it is named; its position stuck past the backoff, the read hop is")
    func renamedStillHeld() {
        let stuck = run(Self.renamed(gap: 31, moved: false))
        #expect(stuck.verdict == .fail && stuck.message.hasPrefix("data stops at read:"), "\(stuck.message)")
        #expect(stuck.message.contains("/data/logs/app/a.log.1 (2.9 KiB unread), renamed by a rotation"), "\(stuck.message)")
        #expect(!stuck.message.contains("plugins/logs"), "\(stuck.message)")
        // Its unread bytes are pending at the read hop, and it is one of the files open there (a.log read to its end).
        #expect(Fixture.evidence(stuck, "read")?["unread_bytes"] == .int(3000), "\(stuck.evidence)")
        #expect(Fixture.evidence(stuck, "read")?["files_open"] == .int(2), "\(stuck.evidence)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), Self.renamed(gap: 31, moved: false))
        #expect(progress.verdict == .fail && progress.message.contains("rotated file(s) still held"), "\(progress.message)")
        // Read to its end at the first sample, one line appended since: the harvester's backoff, not a stall.
        var appended = Self.renamed(gap: 31, moved: false)
        var first = appended.first!
        first.collectors = [
            ProgressFixture.collector(open: [
                OpenFilePosition(fd: 10, path: "/data/logs/app/a.log.1", deleted: false, position: 5000, inode: 9, device: 2049, size: 5000)
            ])
        ]
        appended = ProgressInput(first: first, last: appended.last, settings: appended.settings)
        appended.scope = ["/data/logs/app/*.log"]
        #expect(run(appended).verdict == .pass, "\(run(appended).message)")
        // Another file of the directory whose name only shares the stem (a.err.log beside a.log) is not a rotation.
        var other = Self.renamed(gap: 31, moved: false)
        var last = other.last
        last.collectors = [
            ProgressFixture.collector(open: [
                OpenFilePosition(
                    fd: 10, path: "/data/logs/app/a.err.log", deleted: false, position: 5000, inode: 9, device: 2049, size: 8000)
            ])
        ]
        var firstOther = other.first!
        firstOther.collectors = last.collectors
        other = ProgressInput(first: firstOther, last: last, settings: other.settings)
        other.scope = ["/data/logs/app/a.log"]
        #expect(run(other).verdict == .pass, "\(run(other).message)")
        // app.log.wf beside app.log is the `*.log.wf` subscription's, not a rotation of this one's a.log.
        var wf = Self.renamed(gap: 31, moved: false)
        wf.otherPatterns = ["/data/logs/app/*.log.1"]
        #expect(run(wf).verdict == .pass, "\(run(wf).message)")
        // Moving, or samples too close to tell: named, not failed; its unread bytes wait at the read hop, never
        // "nothing pending", and a position that stood still is said so.
        for (input, moved) in [(Self.renamed(gap: 31, moved: true), true), (Self.renamed(gap: 1, moved: false), false)] {
            let stall = run(input)
            #expect(stall.verdict == .pass)
            #expect(
                stall.message.contains("unread at the read hop in /data/logs/app/a.log.1, renamed by a rotation and still held")
                    && !stall.message.contains("nothing pending"), "\(stall.message)")
            #expect(stall.message.contains("the read position of /data/logs/app/a.log.1 did not move") == !moved, "\(stall.message)")
            #expect(Fixture.evidence(stall, "read")?["unread_bytes"] == .int(moved ? 2000 : 3000), "\(stall.evidence)")
            let p = ProgressFixture.run(LogPathProgressCheck(), input)
            #expect(p.verdict == .pass && p.message.contains("rotated away and still being read: /data/logs/app/a.log.1"), "\(p.message)")
        }
    }

    @Test(
        "a rotated file still held, last written longer ago than the backoff and a flush, its position still over the one-shot run's 1 s: stuck"
    )
    func renamedStuckByItsAge() {
        func input(writtenAgo: Double, moved: Bool) -> ProgressInput {
            var i = Self.renamed(gap: 1, moved: moved)
            let mtime = Int64(ProgressFixture.now - writtenAgo)
            func aged(_ s: ProgressSample) -> ProgressSample {
                var s = s
                s.collectors = s.collectors.map { c in
                    var c = c
                    c.open = c.open.map { list in
                        list.map { f in
                            var f = f
                            if f.path.hasSuffix("app/a.log.1") { f.mtime = mtime }
                            return f
                        }
                    }
                    return c
                }
                return s
            }
            let scope = i.scope
            i = ProgressInput(first: i.first.map(aged), last: aged(i.last), settings: i.settings)
            i.scope = scope
            return i
        }
        // Written a minute ago, 2.9 KiB unread, the position still: a harvester with unread data does not back off.
        let stuck = run(input(writtenAgo: 60, moved: false))
        #expect(stuck.verdict == .fail && stuck.message.contains("a.log.1 (2.9 KiB unread), renamed by a rotation"), "\(stuck.message)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), input(writtenAgo: 60, moved: false))
        #expect(progress.verdict == .fail && progress.message.contains("rotated file(s) still held"), "\(progress.message)")
        // Written 5 s ago (within the backoff), or its position moving: being read.
        #expect(run(input(writtenAgo: 5, moved: false)).verdict == .pass)
        #expect(run(input(writtenAgo: 60, moved: true)).verdict == .pass)
    }

    @Test("two harvesters on one file (two items whose configs differ): the stuck one is the read hop though the other moves")
    func twoHarvesters() {
        let path = "/data/logs/app/a.log"
        func sample(at t: Double, size: Int64, fast: Int64) -> ProgressSample {
            var s = ProgressFixture.healthy(at: t)
            s.files = [ProgressFixture.file(path, size: size, inode: 11, age: ProgressFixture.now - t)]
            s.collectors = [
                ProgressFixture.collector(open: [
                    ProgressFixture.held(path, inode: 11, position: fast, size: size),
                    OpenFilePosition(fd: 10, path: path, deleted: false, position: 1024, inode: 11, device: 2049, size: size),
                ])
            ]
            s.registry = ProgressFixture.registry([ProgressFixture.state(path, inode: 11, offset: fast, age: 2)])
            return s
        }
        let first = sample(at: ProgressFixture.now - 31, size: 2_000_000, fast: 2_000_000)
        let last = sample(at: ProgressFixture.now, size: 2_001_000, fast: 2_001_000)
        let f = run(ProgressFixture.input(last, first: first))
        #expect(f.verdict == .fail && f.message.hasPrefix("data stops at read:"), "\(f.message)")
        // Too close to tell, or the slow one moving: no stall.
        #expect(
            run(ProgressFixture.input(last, first: sample(at: ProgressFixture.now - 1, size: 2_000_000, fast: 2_000_000))).verdict == .pass)
        var moving = last
        moving.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held(path, inode: 11, position: 2_001_000, size: 2_001_000),
                OpenFilePosition(fd: 10, path: path, deleted: false, position: 9000, inode: 11, device: 2049, size: 2_001_000),
            ])
        ]
        #expect(run(ProgressFixture.input(moving, first: first)).verdict == .pass)
        // Samples a second apart, but the file last written a minute ago: a harvester with data to read does not back
        // off, so the one left behind is stuck, as a lone one would be.
        func quiet(at t: Double) -> ProgressSample {
            var s = sample(at: t, size: 2_001_000, fast: 2_001_000)
            s.files = [ProgressFixture.file(path, size: 2_001_000, inode: 11, age: 60 + ProgressFixture.now - t)]
            return s
        }
        let old = run(ProgressFixture.input(quiet(at: ProgressFixture.now), first: quiet(at: ProgressFixture.now - 1)))
        #expect(old.verdict == .fail && old.message.hasPrefix("data stops at read:"), "\(old.message)")
    }

    @Test("no flow to the configured data port, but one to a default data port it no longer names: not judged stuck")
    func agentOnOldDataPort() {
        var last = ProgressFixture.healthy()
        last.agentFlows = .success([])
        last.dataPorts = [1]
        let none = run(ProgressFixture.input(last))
        #expect(none.verdict == .fail && none.message.contains("no connection to the dataserver port 1"), "\(none.message)")
        var oldPort = ProgressFixture.flow()
        oldPort.socket.remotePort = 58625
        last.agentOtherDataFlows = [oldPort]
        let other = run(ProgressFixture.input(last))
        #expect(other.verdict == .pass, "\(other.message)")
        // That old-port flow in retransmission backoff with data queued: stuck there.
        var dead = ProgressFixture.flow(sendQueue: 4096, backoff: 3)
        dead.socket.remotePort = 58625
        last.agentOtherDataFlows = [dead]
        let deadOld = run(ProgressFixture.input(last))
        #expect(
            deadOld.verdict == .fail && deadOld.message.contains("on 10.0.0.9:58625 (a data port the agent's config no longer names)"),
            "\(deadOld.message)")
    }
}
