import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gse_agent/process on in-memory facts")
struct AgentProcessCheckTests {
    func run(_ processes: [ProcessRecord], generation: GSEGeneration = .gse2, _ setUp: (InMemoryHostFacts) -> Void = { _ in }) -> Finding {
        let h = Fixture.facts(generation: generation)
        h.processes = .success(processes)
        setUp(h)
        return AgentProcessCheck().run(h)
    }

    @Test("a running gse_agent under the root passes, its listening ports as context")
    func pass() {
        let f = run([Fixture.agent()]) { h in
            h.fdsByPid[200] = .success([Fixture.socketLink(800)])
            h.tcpListening = .success([Fixture.tcp(inode: 800, state: .listen), Fixture.tcp(inode: 801, state: .listen)])
        }
        #expect(f.verdict == .pass)
        #expect(f.message == "gse_agent is running: gse_agent (pids 200)")
        #expect(Fixture.evidence(f, "pids") == .array([.int(200)]))
        #expect(Fixture.evidence(f, "listening") == .array([.string("10.0.0.1:40000")]))
    }

    @Test("no agent fails; a --healthz probe is not the agent")
    func notRunning() {
        let f = run([Fixture.process(300, exe: Fixture.agentExe, arguments: [Fixture.agentExe, "--healthz", "1"])])
        #expect(f.verdict == .fail && f.message == "gse_agent is not running")
        #expect(f.hint.contains("\(Fixture.root)/agent/bin/gsectl start"))
        #expect(Fixture.evidence(f, "healthz_probes_ignored") == .array([.int(300)]))
        let elsewhere = run([Fixture.process(5, exe: "/opt/gse/agent/bin/gse_agent")])
        #expect(elsewhere.verdict == .fail && elsewhere.hint.contains("/opt/gse/agent/bin/gse_agent"))
        // The platform shows only the message: it says where the agent runs, after check.py's words.
        #expect(
            elsewhere.message.hasPrefix("gse_agent is not running under ")
                && elsewhere.message.hasSuffix("(one runs from /opt/gse/agent/bin/gse_agent: check --gse_path)"), "\(elsewhere.message)")
    }

    @Test("GSE 1: gseMaster without agentWorker fails, and agentWorker without gseMaster; both pass")
    func gse1Roles() {
        let master = Fixture.process(200, exe: Fixture.agentExe, comm: "gseMaster")
        let worker = Fixture.process(201, exe: Fixture.agentExe, comm: "agentWorker")
        let alone = run([master], generation: .gse1)
        #expect(alone.verdict == .fail)
        #expect(alone.message == "gseMaster is running but no agentWorker (pids 200): the data channel is gone")
        #expect(run([master, worker], generation: .gse1).verdict == .pass)
        // The converse: a worker whose master is gone runs unwatched.
        let orphan = run([worker], generation: .gse1)
        #expect(orphan.verdict == .warn)
        #expect(
            orphan.message
                == "agentWorker is running but no gseMaster (pids 201): the worker still carries the data, but nothing supervises or restarts the agent"
        )
    }

    @Test("a stopped supervisor whose worker runs warns (the data flows, nothing restarts it); a stopped worker fails")
    func stoppedSupervisor() {
        let watchdog = Fixture.process(200, exe: Fixture.agentExe, state: "T")
        var worker = Fixture.process(201, exe: Fixture.agentExe)
        worker.stat?.ppid = 200
        let f = run([watchdog, worker])
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message
                == "gse_agent pid 200 is stopped (state T: SIGSTOP/SIGTSTP), the supervisor of pids 201: the worker still carries the data, but nothing supervises or restarts the agent",
            "\(f.message)")
        #expect(f.hint.contains("kill -CONT 200"), "\(f.hint)")
        // The stopped one holds the IPC listener: it is the agent that carries the data, stopped, whatever runs under it.
        let carrying = run([watchdog, worker]) { h in
            h.fdsByPid[200] = .success([Fixture.socketLink(900)])
            h.unixDiag = .success([Fixture.unix(900, state: 10)])
        }
        #expect(carrying.verdict == .fail, "\(carrying.message)")
        // The worker stopped under a running watchdog: the data channel is stopped.
        var running = Fixture.process(200, exe: Fixture.agentExe)
        running.stat?.ppid = 1
        var stoppedWorker = Fixture.process(201, exe: Fixture.agentExe, state: "T")
        stoppedWorker.stat?.ppid = 200
        #expect(run([running, stoppedWorker]).verdict == .fail)
        // A stopped worker whose only running child is a fork of a second or less: no supervisor, a fail.
        var fork = Fixture.process(202, exe: Fixture.agentExe)
        fork.stat?.ppid = 201
        fork.stat?.startTimeTicks = 100_000 * 100
        #expect(run([running, stoppedWorker, fork]).verdict == .fail)
        // GSE 1: gseMaster stopped, its agentWorker running: the same warning.
        let master = Fixture.process(200, exe: Fixture.agentExe, comm: "gseMaster", state: "T")
        var gse1Worker = Fixture.process(201, exe: Fixture.agentExe, comm: "agentWorker")
        gse1Worker.stat?.ppid = 200
        #expect(run([master, gse1Worker], generation: .gse1).verdict == .warn)
    }

    @Test("a zombie agent, placed by its parent, is not running")
    func zombie() {
        var z = Fixture.process(200, exe: nil, comm: "gse_agent", state: "Z")
        z.exeError = nil
        z.parentExe = Fixture.root + "/agent/bin/gsectl"
        let f = run([z])
        #expect(f.verdict == .fail)
        #expect(f.message == "gse_agent is not running: pid 200 is a zombie (state Z: exited, not reaped by its parent 1)")
        #expect(Fixture.evidence(f, "not_running") == .array([.object([("pid", .int(200)), ("state", .string("Z"))])]))
    }

    @Test("an agent in D on both samples warns")
    func stuck() {
        let f = run([Fixture.agent(state: "D")]) { h in h.currentStats[200] = Fixture.stat(pid: 200, state: "D") }
        #expect(f.verdict == .warn)
        #expect(f.message == "gse_agent pid 200 is in uninterruptible sleep (state D) on two samples 100ms apart")
        #expect(Fixture.evidence(f, "stuck_in_d") == .array([.int(200)]))
        // Restarted between the samples (another start time): not the same process, not stuck.
        let restarted = run([Fixture.agent(state: "D")]) { h in h.currentStats[200] = Fixture.stat(pid: 200, state: "D", startTicks: 1) }
        #expect(restarted.verdict == .pass)
    }

    @Test("an unreadable /proc, or an agent found only by name, is unknown")
    func unknown() {
        let h = Fixture.facts()
        h.processes = .failure(Fixture.error(EACCES, "opendir", "/proc"))
        #expect(AgentProcessCheck().run(h).verdict == .unknown)
        let byName = run([Fixture.process(200, exe: nil, comm: "gse_agent")])
        #expect(byName.verdict == .unknown && byName.message.hasPrefix("gse_agent pid 200 found by name"))
    }
}
