import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Progress samples of collectors that ended")
struct EndedCollectorSampleTests {
    @Test("a collector gone or a zombie by the time of the sample is not measured; a live one is")
    func endedCollectors() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let zombie = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        let gone = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        let live = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        // Killed and not reaped: a zombie until the test stops it. Killed and reaped: no /proc entry at all.
        #expect(kill(zombie.pid, SIGKILL) == 0)
        gone.stop()
        var waited = 0
        while waited < 100, (try? String(contentsOfFile: "/proc/\(zombie.pid)/stat", encoding: .utf8))?.contains(") Z") != true {
            usleep(20_000)
            waited += 1
        }
        let t = ProgressTargets(
            files: [], collectorPIDs: [zombie.pid, gone.pid, live.pid], agentPIDs: [], registryPath: nil,
            ipcPath: host.dir + "/none.sock", dataPorts: [])
        let s = ProgressProbe.sample(t)
        #expect(s.collectors.map(\.pid) == [live.pid])
        live.stop()
        zombie.stop()
    }

    @Test("bytes the collector wrote are compared per pid: a restarted collector's counter is not subtracted")
    func wcharDeltaPerPID() {
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        var last = ProgressFixture.healthy()
        first.collectors = [ProgressFixture.collector(pid: 100, open: [], wchar: 500_000)]
        last.collectors = [ProgressFixture.collector(pid: 200, open: [], wchar: 1_000)]
        let f = ProgressFixture.run(PipelineStallCheck(), ProgressInput(first: first, last: last, settings: ProgressFixture.settings))
        let ipc = f.evidence.first { $0.0 == "ipc" }?.1
        #expect(ipc?["collector_wchar_delta"] == .int(0), "\(f.evidence)")
    }

    @Test("a collector bkdiag may not place (not root) is named as unreadable, not as not running")
    func unplacedCollector() {
        var last = ProgressFixture.healthy()
        last.collectors = []
        last.unplacedCollectorPIDs = [4242]
        for check in [LogPathProgressCheck() as any Check, PipelineStallCheck(), LossRiskCheck(), CollectorResourcesCheck()] {
            let f = ProgressFixture.run(check, ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
            #expect(f.verdict == .unknown && f.message.contains("pid 4242") && f.hint.contains("root"), "\(f.message)")
        }
        last.unplacedCollectorPIDs = []
        let f = ProgressFixture.run(LogPathProgressCheck(), ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
        #expect(f.message.hasPrefix("bkunifylogbeat is not running"))
    }

    @Test("a collector the process scan found that exited before the progress sample is named as exiting, not as never running")
    func exitedDuringTheCheck() {
        var last = ProgressFixture.healthy()
        last.collectors = []
        last.endedCollectorPIDs = [4242]
        for check in [LogPathProgressCheck() as any Check, PipelineStallCheck(), LossRiskCheck(), CollectorResourcesCheck()] {
            let f = ProgressFixture.run(check, ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
            #expect(
                f.verdict == .unknown && f.message.hasPrefix("bkunifylogbeat pid 4242, found by this check's process scan, had exited"),
                "\(f.message)")
        }
        // The live probe: a pid with no /proc entry (above any pid_max) is ended, not sampled.
        let gone: Int32 = 2_000_000_000
        let sample = ProgressProbe.sample(
            ProgressTargets(files: [], collectorPIDs: [gone], agentPIDs: [], registryPath: nil, ipcPath: "/nonexistent.sock", dataPorts: [])
        )
        #expect(sample.collectors.isEmpty && sample.endedCollectorPIDs == [gone])
    }
}

@Suite("The collector looked at again at the end of the run")
struct EndOfRunRecheckTests {
    /// bkunifylogbeat/process as the check passed it for `found` (its pid in the evidence).
    func passed(_ found: ProcessRecord, _ h: InMemoryHostFacts) -> CheckResult {
        let f = CollectorProcessCheck().run(h)
        return CheckResult(
            module: "bkunifylogbeat", item: "process", verdict: f.verdict, message: f.message, hint: f.hint, evidence: f.evidence)
    }

    func host(_ found: ProcessRecord) -> InMemoryHostFacts {
        let h = Fixture.facts(subscription: 7)
        h.processes = .success([found])
        return h
    }

    /// A collector record that had run `seconds` at the scan (the fixture's uptime is 100,000 s, 100 ticks/s).
    func collector(_ pid: Int32, up seconds: Int64) -> ProcessRecord {
        var p = Fixture.collector(pid)
        p.stat?.startTimeTicks = (100_000 - seconds) * 100
        return p
    }

    @Test("still running (same pid, same start): the check's verdict stands, word for word")
    func stillRunning() throws {
        let p = collector(100, up: 5)
        let h = host(p)
        h.currentStats[100] = try #require(p.stat)
        let before = passed(p, h)
        #expect(before.verdict == .pass)
        #expect(EndOfRunRecheck.recheck(before, facts: h) == before)
    }

    @Test("a young collector gone and another started since: it keeps exiting (fail), the scan's figures kept")
    func youngAndRestarted() {
        let p = collector(100, up: 2)
        let h = host(p)
        h.processesLater = .success([collector(140, up: 0)])
        let after = EndOfRunRecheck.recheck(passed(p, h), facts: h)
        #expect(after.verdict == .fail, "\(after.message)")
        #expect(
            after.message.hasPrefix(
                "bkunifylogbeat pid 100, up 2s when this check found it, exited before the check ended, and pid 140 has started since: it keeps exiting"
            ))
        #expect(after.message.contains("; when found: cpu_usage:"))
        #expect(
            after.hint.contains("反复重启") && after.hint.contains(Fixture.root + "/plugins/bin/logs")
                && after.hint.contains("重启 bkunifylogbeat"))
        #expect(after.evidence("running_now") == .array([.int(140)]))
        #expect(after.evidence("exited_during_check") == .array([.object([("pid", .int(100)), ("uptime_s_when_found", .int(2))])]))
        #expect(after.evidence("pid") == .int(100))
    }

    @Test("a pid reused by a later process, or left a zombie, is the collector gone")
    func reusedOrZombie() throws {
        let p = collector(100, up: 2)
        let h = host(p)
        h.processesLater = .success([])
        var reused = try #require(p.stat)
        reused.startTimeTicks += 300
        h.currentStats[100] = reused
        let a = EndOfRunRecheck.recheck(passed(p, h), facts: h)
        #expect(a.verdict == .fail && a.message.contains("no collector runs under \(Fixture.root) now"), "\(a.message)")
        var zombie = try #require(p.stat)
        zombie.state = "Z"
        h.currentStats[100] = zombie
        h.processesLater = .success([collector(100, up: 2).withState("Z")])
        let z = EndOfRunRecheck.recheck(passed(p, h), facts: h)
        #expect(z.verdict == .fail && z.message.contains("no collector runs under"), "\(z.message)")
    }

    @Test("a collector that had run for long and was restarted while bkdiag looked: a warn, not a crash loop")
    func oldAndRestarted() {
        let p = collector(100, up: 3_600)
        let h = host(p)
        h.processesLater = .success([collector(150, up: 0)])
        let after = EndOfRunRecheck.recheck(passed(p, h), facts: h)
        #expect(
            after.verdict == .warn && after.message.contains("up 1h0m when this check found it")
                && after.message.contains("restarted while bkdiag looked"), "\(after.message)")
    }

    @Test("the processes cannot be listed again: the collector that went is still named, and the check fails")
    func rescanFails() {
        let p = collector(100, up: 2)
        let h = host(p)
        h.processesLater = .failure(Fixture.error(EACCES, "open", "/proc"))
        let after = EndOfRunRecheck.recheck(passed(p, h), facts: h)
        #expect(after.verdict == .fail && after.message.hasPrefix("bkunifylogbeat pid 100, up 2s") && after.evidence("running_now") == nil)
    }

    @Test("a fail, an unknown, or a result of another item is never changed")
    func othersUntouched() {
        let p = collector(100, up: 2)
        let h = host(p)
        var r = passed(p, h)
        for v in [Verdict.fail, .unknown] {
            r.verdict = v
            #expect(EndOfRunRecheck.recheck(r, facts: h) == r)
        }
        r.verdict = .pass
        r.item = "config"
        #expect(EndOfRunRecheck.recheck(r, facts: h) == r)
    }

    @Test("a real collector restarted every 300 ms by a supervisor fails the process check, which names the exit")
    func restartLoop() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.startAgent()
        let loop = try host.spawn(
            FakeHost.fakeBinary,
            ["respawn", "--pause-ms", "5", "--", host.collectorBinary, "collector", "--ipc", host.ipcPath, "--exit-after-ms", "300"],
            cwd: host.gseRoot + "/plugins/bin")
        defer { loop.stop() }
        await expectLoopNamed(host, module: "bkunifylogbeat")
    }

    @Test("a real collector that exits during the run, with nothing to start it again, fails as gone")
    func exitsForGood() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.startAgent()
        // On a loaded machine the scan may come after the exit (then "not running"): never a pass, and the exit
        // named at least once in five runs.
        var named = false
        var seen: [String] = []
        for _ in 0..<5 where !named {
            try host.spawn(
                host.collectorBinary, ["collector", "--ipc", host.ipcPath, "--exit-after-ms", "600"], cwd: host.gseRoot + "/plugins/bin")
            let r = await runChecks(host, sampleGap: 1.2)
            #expect(r.verdict("bkunifylogbeat", "process") == .fail, "\(r.digest)")
            let m = r.message("bkunifylogbeat", "process")
            seen.append(m)
            if m.contains("exited before the check ended") {
                named = true
                #expect(m.contains("exited before the check ended, and no collector runs under"), "\(m)")
            }
        }
        #expect(named, "\(seen)")
    }

    /// gse_agent/process as the check judged `found`.
    func agentResult(_ found: [ProcessRecord], generation: GSEGeneration = .gse2) -> (CheckResult, InMemoryHostFacts) {
        let h = Fixture.facts(generation: generation)
        h.processes = .success(found)
        let f = AgentProcessCheck().run(h)
        return (
            CheckResult(module: "gse_agent", item: "process", verdict: f.verdict, message: f.message, hint: f.hint, evidence: f.evidence), h
        )
    }

    /// An agent process; one given a `comm` (GSE 1's gseMaster, agentWorker) runs the program of that name.
    func agent(_ pid: Int32, up seconds: Int64, parent: Int32 = 1, comm: String? = nil) -> ProcessRecord {
        var p = Fixture.process(pid, exe: comm.map { Fixture.root + "/agent/bin/" + $0 } ?? Fixture.agentExe, comm: comm)
        p.stat?.startTimeTicks = (100_000 - seconds) * 100
        p.stat?.ppid = parent
        return p
    }

    @Test("GSE 2's agent worker gone and started again within the run: fail; gone with nothing in its place: fail; both still run: pass")
    func agentWorker() throws {
        let (parent, worker) = (agent(200, up: 86_400), agent(201, up: 3))
        let (before, h) = agentResult([parent, worker])
        #expect(before.verdict == .pass, "\(before.message)")
        h.currentStats[200] = try #require(parent.stat)
        h.processesLater = .success([parent, agent(230, up: 0)])
        let restarted = EndOfRunRecheck.recheck(before, facts: h)
        #expect(restarted.verdict == .fail, "\(restarted.message)")
        #expect(
            restarted.message.hasPrefix(
                "gse_agent pid 201, up 3s when this check found it, exited before the check ended, and pid 230 has started since"))
        #expect(restarted.message.hasSuffix("; when found: " + before.message) && restarted.hint.contains("gsectl restart"))
        #expect(restarted.evidence("running_now") == .array([.int(200), .int(230)]))
        h.processesLater = .success([parent])
        let alone = EndOfRunRecheck.recheck(before, facts: h)
        #expect(
            alone.verdict == .fail && alone.message.contains("nothing has started in its place (pid 200 still runs)"), "\(alone.message)")
        h.processesLater = .success([])
        h.currentStats[200] = nil
        let none = EndOfRunRecheck.recheck(before, facts: h)
        #expect(
            none.verdict == .fail && none.message.hasPrefix("gse_agent pids 200 (up 1d0h), 201 (up 3s), found by this check, exited")
                && none.message.contains("no agent runs under"), "\(none.message)")
        h.currentStats[200] = try #require(parent.stat)
        h.currentStats[201] = try #require(worker.stat)
        #expect(EndOfRunRecheck.recheck(before, facts: h) == before)
    }

    @Test("a gse_agent child of a second or less that ended with nothing in its place (a fork before its exec) changes nothing")
    func forkBeforeExec() throws {
        let main = agent(200, up: 86_400)
        let (before, h) = agentResult([main, agent(270, up: 0, parent: 200)])
        h.currentStats[200] = try #require(main.stat)
        h.processesLater = .success([main])
        #expect(EndOfRunRecheck.recheck(before, facts: h) == before)
        // Two seconds old when found, gone, and nothing in its place: a worker that went.
        let (older, h2) = agentResult([main, agent(271, up: 2, parent: 200)])
        h2.currentStats[200] = try #require(main.stat)
        h2.processesLater = .success([main])
        #expect(EndOfRunRecheck.recheck(older, facts: h2).verdict == .fail)
    }

    @Test("gse_agent run as a command beside the agent (a second or less, started by no agent) is no agent exiting")
    func commandBesideTheAgent() throws {
        let main = agent(200, up: 86_400)
        // `gse_agent --version` from a NodeMan script (its parent a shell), found at the scan and gone at the end.
        let (before, h) = agentResult([main, agent(290, up: 0, parent: 4_000)])
        #expect(before.verdict == .pass, "\(before.message)")
        h.currentStats[200] = try #require(main.stat)
        h.processesLater = .success([main])
        #expect(EndOfRunRecheck.recheck(before, facts: h) == before)
        // Started again since, by a supervisor of its own (systemd's Restart=, a watch script): an agent that keeps
        // exiting, not a command.
        h.processesLater = .success([main, agent(291, up: 0, parent: 4_001)])
        let looping = EndOfRunRecheck.recheck(before, facts: h)
        #expect(looping.verdict == .fail && looping.message.contains("it keeps exiting"), "\(looping.message)")
        // Unless its arguments say it is a command: `gse_agent --version` run in a loop.
        var version = agent(290, up: 0, parent: 4_000)
        version.arguments = [Fixture.agentExe, "--version"]
        let (asked, h4) = agentResult([main, version])
        h4.currentStats[200] = try #require(main.stat)
        h4.processesLater = .success([main, agent(291, up: 0, parent: 4_001)])
        #expect(EndOfRunRecheck.recheck(asked, facts: h4) == asked)
        // With no agent running throughout, the young one that went is the agent: it fails.
        let (alone, h2) = agentResult([agent(292, up: 0, parent: 4_000)])
        h2.processesLater = .success([])
        #expect(EndOfRunRecheck.recheck(alone, facts: h2).verdict == .fail)
        // Two seconds old when found: no command run beside the agent, a second agent that went.
        let (older, h3) = agentResult([main, agent(293, up: 2, parent: 4_000)])
        h3.currentStats[200] = try #require(main.stat)
        h3.processesLater = .success([main])
        #expect(EndOfRunRecheck.recheck(older, facts: h3).verdict == .fail)
    }

    @Test("a fork caught before its exec at the scan and another at the end are no agent that keeps exiting")
    func twoForks() throws {
        let main = agent(200, up: 86_400)
        let (before, h) = agentResult([main, agent(270, up: 0, parent: 200)])
        h.currentStats[200] = try #require(main.stat)
        h.processesLater = .success([main, agent(280, up: 0, parent: 200)])
        #expect(EndOfRunRecheck.recheck(before, facts: h) == before)
    }

    /// GSE 1's gseMaster (up a day, pid 200) and its agentWorker (pid 201, up `workerUp`), judged passing; at the end
    /// of the run the master still runs, the worker has gone and `later` (besides the master) runs.
    func gse1WorkerEnded(workerUp: Int64, later: [ProcessRecord]) throws -> CheckResult {
        let master = agent(200, up: 86_400, comm: "gseMaster")
        let worker = agent(201, up: workerUp, parent: 200, comm: "agentWorker")
        let (before, h) = agentResult([master, worker], generation: .gse1)
        #expect(before.verdict == .pass, "\(before.message)")
        h.currentStats[200] = try #require(master.stat)
        h.processesLater = .success([master] + later)
        return EndOfRunRecheck.recheck(before, facts: h)
    }

    @Test("GSE 1: an agentWorker that had run for hours gone with gseMaster left fails, as gse_agent/process fails a master alone")
    func gse1WorkerGone() throws {
        let after = try gse1WorkerEnded(workerUp: 7_200, later: [])
        #expect(
            after.verdict == .fail && after.message.contains("up 2h0m when this check found it")
                && after.message.contains("nothing has started in its place (pid 200 still runs)"), "\(after.message)")
    }

    @Test("GSE 1: an agentWorker of a second or less gone under its gseMaster is no fork (another program): fail")
    func gse1YoungWorkerGone() throws {
        let after = try gse1WorkerEnded(workerUp: 0, later: [agent(230, up: 0, parent: 200, comm: "agentWorker")])
        #expect(
            after.verdict == .fail && after.message.contains("pid 201, up 0s when this check found it")
                && after.message.contains("pid 230 has started since: it keeps exiting"), "\(after.message)")
        // A gseMaster child of a second or less that is gseMaster itself is a fork before its exec.
        let master = agent(200, up: 86_400, comm: "gseMaster")
        let steady = agent(201, up: 7_200, parent: 200, comm: "agentWorker")
        let (withFork, h2) = agentResult([master, steady, agent(202, up: 0, parent: 200, comm: "gseMaster")], generation: .gse1)
        h2.currentStats[200] = try #require(master.stat)
        h2.currentStats[201] = try #require(steady.stat)
        h2.processesLater = .success([master, steady])
        #expect(EndOfRunRecheck.recheck(withFork, facts: h2) == withFork)
    }

    @Test("the collector's own duplicate, seen by the check, is not one started since")
    func duplicateIsNoNewCollector() throws {
        let main = collector(100, up: 30)
        let duplicate = collector(101, up: 10)
        let h = Fixture.facts(subscription: 7)
        h.processes = .success([main, duplicate])
        let before = passed(main, h)
        #expect(before.verdict == .warn && before.message.contains("2 bkunifylogbeat processes"), "\(before.message)")
        h.currentStats[101] = try #require(duplicate.stat)
        h.processesLater = .success([duplicate])
        let after = EndOfRunRecheck.recheck(before, facts: h)
        #expect(
            after.verdict == .fail && after.message.contains("nothing has started in its place (pid 101 still runs)"), "\(after.message)")
        #expect(!after.message.contains("started since"))
    }

    @Test("a gse_agent --healthz probe running at the end is not an agent started in place of one that went")
    func healthProbeIsNoReplacement() throws {
        let main = agent(200, up: 86_400)
        let worker = agent(201, up: 7_200, parent: 200)
        var probe = agent(260, up: 0)
        probe.arguments = [Fixture.agentExe, "-f", "/usr/local/gse/agent/etc/gse_agent.conf", "--healthz", "1"]
        let (before, h) = agentResult([main, worker])
        h.currentStats[200] = try #require(main.stat)
        h.processesLater = .success([main, probe])
        let after = EndOfRunRecheck.recheck(before, facts: h)
        #expect(
            after.verdict == .fail && after.message.contains("nothing has started in its place (pid 200 still runs)"), "\(after.message)")
        #expect(after.evidence("running_now") == .array([.int(200)]))
    }

    @Test("a real gse_agent restarted every 300 ms by a supervisor fails the agent's process check")
    func agentRestartLoop() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        // A collector that stays, so that the run lasts its progress samples (the agent's lifetime is shorter).
        try host.startCollector(connect: false)
        let loop = try host.spawn(
            FakeHost.fakeBinary, ["respawn", "--pause-ms", "5", "--", host.agentBinary, "agent", "--exit-after-ms", "300"],
            cwd: host.gseRoot + "/agent/bin")
        defer { loop.stop() }
        await expectLoopNamed(host, module: "gse_agent")
    }

    @Test("GSE 1: a real agentWorker that gseMaster starts again every 300 ms fails the agent's process check")
    func gse1WorkerLoop() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        try host.startCollector(connect: false)
        // gseMaster itself is the supervisor here: a judged process that stays, whose worker keeps exiting.
        let master = try host.spawn(
            host.agentBinary,
            ["respawn", "--pause-ms", "5", "--", host.gseRoot + "/agent/bin/agentWorker", "agent", "--exit-after-ms", "300"],
            cwd: host.gseRoot + "/agent/bin")
        defer { master.stop() }
        await expectLoopNamed(host, module: "gse_agent")
    }

    /// Up to ten runs on a host where `module`'s process is started again and again: never a pass, and the exit
    /// named at least once (a scan may land between two processes: then "not running"; on a loaded machine, where
    /// each start takes long, three runs in a row did).
    func expectLoopNamed(_ host: FakeHost, module: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        var named = false
        var seen: [String] = []
        for _ in 0..<10 where !named {
            let r = await runChecks(host, sampleGap: 0.6)
            #expect(r.verdict(module, "process") == .fail, "\(r.digest)", sourceLocation: sourceLocation)
            let m = r.message(module, "process")
            seen.append(m)
            if m.contains("exited before the check ended") {
                named = true
                // The second look may also fall between two of them: then none runs at that moment (GSE 1: only the
                // gseMaster that restarts the worker).
                let told =
                    m.contains("has started since: it keeps exiting") || m.contains("runs under")
                    || m.contains("nothing has started in its place")
                #expect(told, "\(m)", sourceLocation: sourceLocation)
            }
        }
        #expect(named, "\(seen)", sourceLocation: sourceLocation)
    }

    @Test("a steady collector passes as before")
    func steady() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.startAgent()
        try host.startCollector()
        let r = await runChecks(host, sampleGap: 0.3)
        #expect(r.verdict("bkunifylogbeat", "process") == .pass, "\(r.digest)")
        #expect(r.result(module: "bkunifylogbeat", item: "process")?.evidence("exited_during_check") == nil)
    }
}

extension ProcessRecord {
    fileprivate func withState(_ state: Character) -> ProcessRecord {
        var p = self
        p.stat?.state = state
        return p
    }
}
