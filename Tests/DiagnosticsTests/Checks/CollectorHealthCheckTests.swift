import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("bkunifylogbeat/healthz on in-memory facts")
struct CollectorHealthCheckTests {
    /// A GSE 2 host whose collector (pid 100, socket 501) is connected to the agent's (pid 200) IPC listener
    /// (900, accepted 901).
    func healthy() -> InMemoryHostFacts {
        let h = Fixture.facts(subscription: 7)
        h.collectorBinaryOverride = BinaryFile(
            path: Fixture.collectorExe, stat: .success(Fixture.executable), elf: .success(Fixture.elfX86))
        h.processes = .success([Fixture.collector(), Fixture.agent()])
        h.fdsByPid[100] = .success([Fixture.socketLink(501)])
        h.fdsByPid[200] = .success([Fixture.socketLink(900), Fixture.socketLink(901, fd: 4)])
        h.unixDiag = .success([Fixture.unix(900, state: 10), Fixture.unix(901, peer: 501), Fixture.unix(501, name: "", peer: 901)])
        return h
    }

    @Test("connected to a listener no agent of the root holds: fail, pointing at gse_agent/socket; agent fds unreadable: not judged so")
    func foreignListener() {
        let h = healthy()
        h.fdsByPid[200] = .success([Fixture.socketLink(777)])
        let f = CollectorHealthCheck().run(h)
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(
            f.message == "bkunifylogbeat is connected to \(Fixture.ipc), but what listens there is not gse_agent (see gse_agent/socket)")
        #expect(f.hint.contains("IPC 路径上的监听不是 gse_agent 的"), "\(f.hint)")
        h.fdsByPid[200] = .failure(Fixture.error(EACCES, "readlink", "/proc/200/fd"))
        #expect(CollectorHealthCheck().run(h).verdict == .pass)
    }

    @Test("connected over a connection gse_agent accepted before another process bound the path again: warn, not fail")
    func reboundListener() {
        let h = healthy()
        // The agent holds the collector's accepted connection (901), not the listener the path leads to now (900).
        h.fdsByPid[200] = .success([Fixture.socketLink(777), Fixture.socketLink(901, fd: 4)])
        let f = CollectorHealthCheck().run(h)
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message.hasPrefix(
                "bkunifylogbeat is connected to gse_agent over \(Fixture.ipc), but the path now leads to a listener gse_agent does not hold"
            ),
            "\(f.message)")
        #expect(f.hint.contains("重连后数据将交给该进程"), "\(f.hint)")
        #expect(Fixture.evidence(f, "ipc_listener_rebound") == .bool(true))
        // Two listeners bound to the name: the agent's (800, unlinked) and another process's (900, where the path
        // leads). The collector's one connection accepted by the agent's: the warn. A second one, accepted by the
        // other listener, sends there: the fail.
        h.fdsByPid[200] = .success([Fixture.socketLink(800), Fixture.socketLink(801, fd: 4)])
        h.fdsByPid[100] = .success([Fixture.socketLink(501)])
        let both: [UnixDiagEntry] = [
            Fixture.unix(800, state: 10), Fixture.unix(900, state: 10), Fixture.unix(801, peer: 501),
            Fixture.unix(501, name: "", peer: 801),
        ]
        h.unixDiag = .success(both)
        #expect(CollectorHealthCheck().run(h).verdict == .warn, "\(CollectorHealthCheck().run(h).message)")
        h.fdsByPid[100] = .success([Fixture.socketLink(501), Fixture.socketLink(502, fd: 4)])
        h.unixDiag = .success(both + [Fixture.unix(901, peer: 502), Fixture.unix(502, name: "", peer: 901)])
        let split = CollectorHealthCheck().run(h)
        #expect(split.verdict == .fail && split.message.contains("but what listens there is not gse_agent"), "\(split.message)")
    }

    @Test("binary ok, connected to the IPC socket, the agent's probe passes: pass")
    func pass() {
        let f = CollectorHealthCheck().run(healthy())
        #expect(f.verdict == .pass)
        #expect(f.message == "healthy: binary ok, connected to \(Fixture.ipc)")
        #expect(Fixture.evidence(f, "binary") == .string("pass"))
        #expect(Fixture.evidence(f, "ipc_connections") == .int(1))
        #expect(Fixture.evidence(f, "agent_healthz") == .string("skipped: not set"))
    }

    @Test("a binary without an execute bit that start.sh makes executable is an ELF program for this host: healthy; a script is not")
    func notExecutableButStarted() {
        let h = healthy()
        h.collectorBinaryOverride = BinaryFile(
            path: Fixture.collectorExe, stat: .success(FileStat(mode: 0o100644, size: 4096)), elf: .success(Fixture.elfX86))
        h.collectorBinaryOverride?.startScript = true
        let f = CollectorHealthCheck().run(h)
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(Fixture.evidence(f, "binary") == .string("warn"))
        h.collectorBinaryOverride = BinaryFile(
            path: Fixture.collectorExe, stat: .success(Fixture.executable), elf: .success(nil), script: .init(interpreter: "/bin/sh"),
            interpreter: .init(path: "/bin/sh", stat: .success(Fixture.executable)))
        #expect(CollectorHealthCheck().run(h).verdict == .fail)
    }

    @Test("a collector waiting in the listen backlog fails only when it is still there on a second look")
    func backlog() {
        let h = healthy()
        // First look: the collector's socket connected, the listener holding one connection not yet accepted.
        let waiting: Result<[UnixDiagEntry], ProbeError> = .success([
            Fixture.unix(900, state: 10, rq: 1), Fixture.unix(501, name: "", peer: 0),
        ])
        h.unixDiag = waiting
        h.unixDiagResamples = [waiting]
        let stuck = CollectorHealthCheck().run(h)
        #expect(stuck.verdict == .fail && stuck.message.contains("wait in the listen backlog, none accepted"), "\(stuck.message)")
        // Accepted by the second look: on its way in, healthy.
        h.unixDiagResamples = [
            .success([Fixture.unix(900, state: 10), Fixture.unix(901, peer: 501), Fixture.unix(501, name: "", peer: 901)])
        ]
        let accepted = CollectorHealthCheck().run(h)
        #expect(accepted.verdict == .pass, "\(accepted.message)")
        // Accepted by then, but by a listener no agent holds: not gse_agent's, a fail.
        h.fdsByPid[200] = .success([Fixture.socketLink(777)])
        h.unixDiagResamples = [
            .success([Fixture.unix(900, state: 10), Fixture.unix(901, peer: 501), Fixture.unix(501, name: "", peer: 901)])
        ]
        let foreign = CollectorHealthCheck().run(h)
        #expect(foreign.verdict == .fail && foreign.message.contains("but what listens there is not gse_agent"), "\(foreign.message)")
    }

    @Test("a stopped collector still holding its IPC connection is not healthy: it sends nothing on it")
    func stoppedCollector() {
        let h = healthy()
        h.processes = .success([Fixture.collector(state: "T"), Fixture.agent()])
        let f = CollectorHealthCheck().run(h)
        #expect(f.verdict == .fail && f.message.hasPrefix("bkunifylogbeat is not running: pid 100"), "\(f.message)")
        // A running one beside it is judged by its own connection.
        h.processes = .success([Fixture.collector(state: "T"), Fixture.collector(101), Fixture.agent()])
        h.fdsByPid[101] = .success([Fixture.socketLink(501)])
        #expect(CollectorHealthCheck().run(h).verdict == .pass)
    }

    @Test("not running, not connected, a bad binary or a failed agent probe: fail, all named")
    func failures() {
        let h = healthy()
        h.unixDiag = .success([Fixture.unix(900, state: 10)])
        let notConnected = CollectorHealthCheck().run(h)
        #expect(notConnected.verdict == .fail)
        #expect(notConnected.message == "bkunifylogbeat (pid 100) is not connected to \(Fixture.ipc)")
        // Not connected, and the socket's mode refuses the collector's user: the fail says so.
        let why = "uid 65534 may not write socket \(Fixture.ipc) (mode 0600, owner 0:0)"
        h.deniedToCollector[Fixture.ipc] = why
        let refused = CollectorHealthCheck().run(h)
        #expect(refused.message.hasSuffix("is not connected to \(Fixture.ipc): \(why), connecting needs it"), "\(refused.message)")
        #expect(refused.hint.contains("写 IPC socket 文件的权限"), "\(refused.hint)")
        h.deniedToCollector = [:]

        h.processes = .success([Fixture.agent()])
        h.collectorBinaryOverride = nil
        let down = CollectorHealthCheck().run(h)
        #expect(down.verdict == .fail)
        #expect(down.message == "bin file is not exists: \(Fixture.collectorExe); bkunifylogbeat is not running")

        let probe = healthy()
        probe.agentHealthz = AgentHealthz.Result(.failed("gse_agent --healthz failed: no dataserver"))
        let failed = CollectorHealthCheck().run(probe)
        #expect(failed.verdict == .fail && failed.message == "gse_agent --healthz failed: no dataserver")
        #expect(failed.hint.contains("\(Fixture.root)/agent/logs"))
    }

    @Test("the agent's probe runs only on GSE 2 and only when asked for")
    func probeOnlyOnGSE2() {
        let h = healthy()
        h.agentHealthz = AgentHealthz.Result(.failed("would fail"))
        h.options.runAgentHealthz = false
        #expect(CollectorHealthCheck().run(h).verdict == .pass)
        h.options.runAgentHealthz = true
        h.layout = Fixture.layout(generation: .gse1)
        h.layout.ipcPath = Fixture.ipc
        #expect(CollectorHealthCheck().run(h).verdict == .pass)
    }

    @Test("sock_diag refused, or a probe that needs root: unknown with the fitting hint")
    func unknown() {
        let h = healthy()
        h.unixDiag = .failure(Fixture.error(EPERM, "socket", "NETLINK_SOCK_DIAG"))
        let diag = CollectorHealthCheck().run(h)
        #expect(diag.verdict == .unknown && diag.message.hasPrefix("sock_diag unavailable: "))
        #expect(diag.hint == "以 root 运行 bkdiag 以读取进程与 socket 信息")

        let root = healthy()
        root.agentHealthz = AgentHealthz.Result(.unknown("gse_agent --healthz not run: conf is not readable by uid 1000", needsRoot: true))
        let probe = CollectorHealthCheck().run(root)
        #expect(probe.verdict == .unknown && probe.message == "gse_agent --healthz not run: conf is not readable by uid 1000")
        #expect(probe.hint.hasPrefix("以 root 运行 bkdiag：gse_agent --healthz"))

        // A probe that hung (bkdiag is root, rights are not the matter): the agent is what to look at.
        let hung = healthy()
        hung.agentHealthz = AgentHealthz.Result(.unknown("gse_agent --healthz timed out after 2000ms", needsRoot: false))
        let timedOut = CollectorHealthCheck().run(hung)
        #expect(timedOut.verdict == .unknown && timedOut.message == "gse_agent --healthz timed out after 2000ms")
        #expect(timedOut.hint.hasPrefix("gse_agent --healthz 没有给出结果") && !timedOut.hint.contains("以 root 运行"), "\(timedOut.hint)")
        // With sock_diag refused too: both hints.
        hung.unixDiag = .failure(Fixture.error(EPERM, "socket", "NETLINK_SOCK_DIAG"))
        let both = CollectorHealthCheck().run(hung)
        #expect(both.hint.hasPrefix("以 root 运行 bkdiag 以读取进程与 socket 信息；gse_agent --healthz 没有给出结果"), "\(both.hint)")
    }
}
