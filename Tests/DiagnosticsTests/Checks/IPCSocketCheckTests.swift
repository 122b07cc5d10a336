import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gse_agent/socket on in-memory facts")
struct IPCSocketCheckTests {
    func facts(stat: FileStat? = Fixture.socket) -> InMemoryHostFacts {
        let h = Fixture.facts()
        if let stat { h.stats[Fixture.ipc] = stat }
        return h
    }

    @Test("a socket file with a listener passes; the listener's pid is named when it is the agent's")
    func pass() {
        let h = facts()
        h.unixDiag = .success([Fixture.unix(900, state: 10)])
        h.processes = .success([Fixture.agent()])
        h.fdsByPid[200] = .success([Fixture.socketLink(900)])
        let f = IPCSocketCheck().run(h)
        #expect(f.verdict == .pass && f.message == "socket file exists and is listening: \(Fixture.ipc)")
        #expect(Fixture.evidence(f, "listener_inode") == .int(900))
        #expect(Fixture.evidence(f, "listener_pid") == .int(200))
        #expect(Fixture.evidence(f, "source") == .string("default"))
    }

    @Test(
        "a listener no agent holds, and no process either because it was replaced meanwhile (an agent restarting): unknown, not a squatter")
    func listenerReplacedWhileChecked() {
        let h = facts()
        h.unixDiag = .success([Fixture.unix(900, state: 10)])
        h.processes = .success([Fixture.agent()])
        // The running agent holds another socket, and no process holds listener 900.
        h.fdsByPid[200] = .success([Fixture.socketLink(901)])
        let stale = facts()
        stale.unixDiag = h.unixDiag
        stale.processes = h.processes
        stale.fdsByPid = h.fdsByPid
        // Looked at again: still the same listener, held by no process bkdiag can name: a fail, as before.
        let same = IPCSocketCheck().run(stale)
        #expect(same.verdict == .fail && same.message.contains("a process bkdiag cannot name"), "\(same.message)")
        // Looked at again: a new listener took the path (the agent bound it again): unknown.
        h.unixDiagResamples = [.success([Fixture.unix(902, state: 10)])]
        let replaced = IPCSocketCheck().run(h)
        #expect(replaced.verdict == .unknown && replaced.message.contains("changed while it was checked"), "\(replaced.message)")
    }

    @Test("the listener is found by the socket file's inode even under another name")
    func byInode() {
        let h = facts()
        var listener = Fixture.unix(900, name: "/run/elsewhere", state: 10)
        listener.vfsInode = Fixture.socket.inode
        h.unixDiag = .success([listener])
        h.processes = .success([Fixture.agent()])
        h.fdsByPid[200] = .success([Fixture.socketLink(900)])
        let f = IPCSocketCheck().run(h)
        #expect(f.verdict == .pass && Fixture.evidence(f, "listener_pid") == .int(200), "\(f.message)")
    }

    @Test("without sock_diag, /proc/net/unix is read")
    func fallback() {
        let h = facts()
        h.processes = .success([Fixture.agent()])
        h.fdsByPid[200] = .success([Fixture.socketLink(900)])
        h.unixDiag = .failure(Fixture.error(EPERM, "socket", "NETLINK_SOCK_DIAG"))
        h.unixTable = .success([UnixSocketEntry(inode: 900, path: Fixture.ipc, isListening: true, type: 1, state: 1)])
        let f = IPCSocketCheck().run(h)
        #expect(f.verdict == .pass && Fixture.evidence(f, "listener_inode") == .int(900))
        h.unixTable = .success([])
        #expect(IPCSocketCheck().run(h).verdict == .fail)
    }

    @Test("a listener while no gse_agent of the root runs: fail naming who holds it, as gse_agent/process words a missing agent")
    func listenedWithoutAgent() {
        let h = facts()
        h.unixDiag = .success([Fixture.unix(900, state: 10)])
        // Nothing runs at all but the process holding the listener.
        h.processes = .success([Fixture.process(300, exe: "/opt/tool/bin/relay")])
        h.fdsByPid[300] = .success([Fixture.socketLink(900)])
        let alone = IPCSocketCheck().run(h)
        #expect(alone.verdict == .fail, "\(alone.message)")
        #expect(
            alone.message
                == "socket is listening, but not by gse_agent: gse_agent is not running; pid 300 (relay) holds the listener on \(Fixture.ipc)"
        )
        #expect(Fixture.evidence(alone, "listener_pid") == .int(300))
        #expect(alone.hint.contains("gsectl start"), "\(alone.hint)")
        // The same through /proc/net/unix (no sock_diag): no agent, so whoever listens is not it.
        h.unixDiag = .failure(Fixture.error(EPERM, "socket", "NETLINK_SOCK_DIAG"))
        h.unixTable = .success([UnixSocketEntry(inode: 900, path: Fixture.ipc, isListening: true, type: 1, state: 1)])
        #expect(IPCSocketCheck().run(h).verdict == .fail)
        h.unixDiag = .success([Fixture.unix(900, state: 10)])

        // An agent of another root holds it: said as gse_agent/process says it, with the root to check.
        let other = Fixture.process(400, exe: "/usr/local/gse_bkte/agent/bin/gse_agent")
        h.processes = .success([other])
        h.fdsByPid = [400: .success([Fixture.socketLink(900)])]
        let elsewhere = IPCSocketCheck().run(h)
        #expect(elsewhere.verdict == .fail, "\(elsewhere.message)")
        #expect(
            elsewhere.message
                == "socket is listening, but not by gse_agent: gse_agent is not running under \(Fixture.root) (one runs from /usr/local/gse_bkte/agent/bin/gse_agent: check --gse_path); pid 400 (gse_agent) holds the listener on \(Fixture.ipc)"
        )
        #expect(Fixture.evidence(elsewhere, "agents_elsewhere") == JSONValue(["/usr/local/gse_bkte/agent/bin/gse_agent"]))
        #expect(elsewhere.hint.contains("--gse_path"), "\(elsewhere.hint)")

        // A zombie agent under the root holds nothing and runs nothing: the same fail.
        var zombie = Fixture.agent(state: "Z")
        zombie.exe = nil
        zombie.cwd = nil
        h.processes = .success([zombie, other])
        #expect(IPCSocketCheck().run(h).verdict == .fail)

        // An agent bkdiag cannot place (not root: exe and cwd unreadable) may be the one: unknown, not fail.
        h.processes = .success([Fixture.process(500, exe: nil, comm: "gse_agent")])
        h.fdsByPid = [500: .failure(Fixture.error(EACCES, "open", "/proc/500/fd"))]
        let unplaced = IPCSocketCheck().run(h)
        #expect(unplaced.verdict == .unknown && unplaced.message.contains("cannot be checked"), "\(unplaced.message)")

        // The processes cannot be listed at all: whether an agent holds the listener is not known.
        h.processes = .failure(Fixture.error(EACCES, "open", "/proc"))
        let unlisted = IPCSocketCheck().run(h)
        #expect(unlisted.verdict == .unknown && unlisted.message.contains("cannot be checked"), "\(unlisted.message)")
    }

    @Test("judged against the default path because the main config cannot be read or parsed: unknown, not fail")
    func guessedPath() throws {
        let h = facts(stat: nil)
        h.layout.mainConfig = MainConfig(path: Fixture.root + "/plugins/etc/bkunifylogbeat.conf", state: .unreadable("Permission denied"))
        let f = IPCSocketCheck().run(h)
        #expect(f.verdict == .unknown, "\(f.message)")
        #expect(f.message.hasPrefix("socket file is not exists: \(Fixture.ipc) — but the collector's main config"), "\(f.message)")
        #expect(Fixture.evidence(f, "ipc_path_guessed") != nil)
        let error = try #require(MainConfigCheckTests.yamlError("a: [\n"))
        h.layout.mainConfig = MainConfig(path: Fixture.root + "/plugins/etc/bkunifylogbeat.conf", state: .invalid(error))
        #expect(IPCSocketCheck().run(h).verdict == .unknown)
        // A path that is known (the flag, the config, environ.sh) keeps the fail; so does a missing main config.
        h.layout.ipcSource = "flag"
        #expect(IPCSocketCheck().run(h).verdict == .fail)
        h.layout.ipcSource = "default"
        h.layout.mainConfig = MainConfig(path: Fixture.root + "/plugins/etc/bkunifylogbeat.conf", state: .missing)
        #expect(IPCSocketCheck().run(h).verdict == .fail)
        // Queue and healthz judged against the guessed path say unknown too.
        h.layout.mainConfig = MainConfig(path: Fixture.root + "/plugins/etc/bkunifylogbeat.conf", state: .unreadable("Permission denied"))
        h.stats[Fixture.ipc] = Fixture.socket
        h.unixDiag = .success([Fixture.unix(900, state: 10)])
        #expect(SocketQueueCheck().run(h).verdict == .unknown)
    }

    @Test("missing, not a socket, or nothing listening: fail")
    func failures() {
        let missing = IPCSocketCheck().run(facts(stat: nil))
        #expect(missing.verdict == .fail && missing.message == "socket file is not exists: \(Fixture.ipc)")
        let file = IPCSocketCheck().run(facts(stat: Fixture.regular))
        #expect(file.verdict == .fail && file.message == "\(Fixture.ipc) exists but is not a socket")
        let stale = IPCSocketCheck().run(facts())
        #expect(stale.verdict == .fail && stale.message == "socket file exists but nothing listens on it: \(Fixture.ipc)")
    }

    @Test("no socket table readable, or the path refused: unknown")
    func unknown() {
        let h = facts()
        h.unixDiag = .failure(Fixture.error(EPERM))
        h.unixTable = .failure(Fixture.error(EACCES))
        let f = IPCSocketCheck().run(h)
        #expect(f.verdict == .unknown && f.message == "cannot read unix socket tables")
        let refused = facts(stat: nil)
        refused.ipcSocketStatOverride = .failure(Fixture.error(EACCES, "stat", Fixture.ipc))
        let r = IPCSocketCheck().run(refused)
        #expect(r.verdict == .unknown && r.message.hasPrefix("cannot read \(Fixture.ipc): "))
    }
}
