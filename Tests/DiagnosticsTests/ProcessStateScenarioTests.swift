import Diagnostics
import Foundation
import HostProbe
import Report
import TestSupport
import Testing

/// Waits (up to 10 s, generous under load) until `pid`'s state is one of `states`.
func waitForState(_ pid: Int32, _ states: Set<Character>) throws {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if let st = ProcFS.stat(pid: pid), states.contains(st.state) { return }
        usleep(10_000)
    }
    throw FakeHostError("pid \(pid) never reached state \(states): \(ProcFS.stat(pid: pid).map { String($0.state) } ?? "gone")")
}

/// Processes that exist but do not run (stopped, zombie, stuck in D) and processes that only look
/// like the agent (a `--healthz` probe), on fake hosts with real processes.
@Suite("Process states")
struct ProcessStateScenarioTests {
    @Test("a stopped collector (SIGSTOP, state T) is not running; continued, it is again")
    func stoppedCollector() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        let collector = try host.startCollector()
        kill(collector.pid, SIGSTOP)
        defer { kill(collector.pid, SIGCONT) }
        try waitForState(collector.pid, ["T"])
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .fail)
        #expect(r.message.hasPrefix("bkunifylogbeat is not running: pid \(collector.pid) is stopped (state T"), "\(r.message)")
        #expect(r.hint.contains("kill -CONT \(collector.pid)"), "\(r.hint)")

        kill(collector.pid, SIGCONT)
        try waitForState(collector.pid, ["S", "R"])
        let resumed = await runChecks(host, dataPort: port)
        #expect(resumed.verdict("bkunifylogbeat", "process") == .pass, "\(resumed.message("bkunifylogbeat", "process"))")
    }

    @Test("a stopped GSE 2 agent is not running")
    func stoppedAgent() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        let report0 = await runChecks(host, dataPort: port)
        #expect(report0.verdict("gse_agent", "process") == .pass, "\(report0.digest)")
        let pids = try #require(report0.result(module: "gse_agent", item: "process")?.evidence("pids")?.arrayValue)
        let agent = Int32(try #require(pids.first?.intValue))
        kill(agent, SIGSTOP)
        defer { kill(agent, SIGCONT) }
        try waitForState(agent, ["T"])
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "gse_agent", item: "process"))
        #expect(r.verdict == .fail)
        #expect(r.message.hasPrefix("gse_agent is not running: pid \(agent) is stopped (state T"), "\(r.message)")
        // Its dataserver connection is still there, and sends nothing.
        #expect(report0.verdict("gse_agent", "dataserver_port") == .pass, "\(report0.digest)")
        let dataserver = try #require(report.result(module: "gse_agent", item: "dataserver_port"))
        #expect(dataserver.verdict == .fail, "\(dataserver.message)")
        #expect(
            dataserver.message.contains("only a stopped gse_agent process holds the connection to")
                && dataserver.message.contains("pid \(agent) is stopped (state T"), "\(dataserver.message)")
        #expect(dataserver.hint.contains("kill -CONT \(agent)"), "\(dataserver.hint)")
    }

    @Test("a zombie collector (exited, not reaped by its parent under the root) is not running, and is named")
    func zombieCollector() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        // Its parent runs from the GSE root (as gse_agent runs its plugins) and never reaps it.
        let parent = try host.spawn(
            FakeHost.fakeBinary, ["zombie-parent", "--child", host.collectorBinary], cwd: host.gseRoot + "/plugins/bin")
        let line = try #require(parent.banner.first { $0.hasPrefix("child ") })
        let zombie = try #require(Int32(line.dropFirst(6)))
        try waitForState(zombie, ["Z"])
        let report = await runChecks(host)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .fail)
        #expect(r.message.hasPrefix("bkunifylogbeat is not running: pid \(zombie) is a zombie (state Z"), "\(r.message)")
        #expect(r.message.contains("parent \(parent.pid)"), "\(r.message)")
        // Released, the parent reaps it: then there is simply no collector.
        kill(parent.pid, SIGUSR1)
        let deadline = Date().addingTimeInterval(10)
        while ProcFS.stat(pid: zombie) != nil && Date() < deadline { usleep(10_000) }
        #expect(ProcFS.stat(pid: zombie) == nil)
        let after = await runChecks(host)
        #expect(after.message("bkunifylogbeat", "process") == "bkunifylogbeat is not running")
    }

    @Test("a collector stuck in uninterruptible sleep (state D) on two samples warns")
    func stuckCollector() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        // A vfork parent waits in a killable D sleep until its child execs or exits; this child never does.
        let collector = try host.spawn(
            host.collectorBinary, ["collector", "--ipc", host.ipcPath, "--vfork-hang"], cwd: host.gseRoot + "/plugins/bin")
        try waitForState(collector.pid, ["D"])
        // A process a second old or less is not judged stuck (a copy between fork and exec sleeps in D briefly).
        try await Task.sleep(for: .milliseconds(1300))
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(r.message.hasPrefix("bkunifylogbeat pid \(collector.pid) is in uninterruptible sleep (state D)"), "\(r.message)")
        #expect(r.evidence("stuck_in_d") == .array([.int(Int64(collector.pid))]))
    }

    @Test("a gse_agent --healthz probe left running (another bkdiag's) is not the agent: with the agent dead, process fails")
    func healthzProbeIsNotTheAgent() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let conf = host.dir + "/probe.conf"
        try "hang\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let probe = try host.spawn(host.agentBinary, ["-f", conf, "--healthz", "1"], cwd: host.gseRoot + "/agent/bin")
        let bare = try host.spawn(host.agentBinary, ["--healthz", "-f", conf], cwd: host.gseRoot + "/agent/bin")
        let report = await runChecks(host)
        let r = try #require(report.result(module: "gse_agent", item: "process"))
        #expect(r.verdict == .fail)
        // (Agents of other tests' hosts may run meanwhile: the message names those, never this root's probes.)
        #expect(r.message.hasPrefix("gse_agent is not running") && !r.message.contains(host.gseRoot + "/agent/"), "\(r.message)")
        let ignored = r.evidence("healthz_probes_ignored")?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(Set(ignored).isSuperset(of: [Int64(probe.pid), Int64(bare.pid)]), "\(ignored)")
        #expect(report.verdict("gse_agent", "dataserver_port") == .fail, "\(report.digest)")
    }
}
