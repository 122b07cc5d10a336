import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("gse_agent/dataserver_port on in-memory facts")
struct DataserverPortCheckTests {
    func facts(_ sockets: [TCPSocketEntry], agentSockets: [UInt64] = [700]) -> InMemoryHostFacts {
        let h = Fixture.facts()
        h.processes = .success([Fixture.agent()])
        h.fdsByPid[200] = .success(agentSockets.map { Fixture.socketLink($0) })
        h.tcpToDataPort = .success(sockets)
        return h
    }

    @Test("an ESTABLISHED connection from the agent to the data port passes")
    func pass() {
        let f = DataserverPortCheck().run(facts([Fixture.tcp(inode: 700)]))
        #expect(f.verdict == .pass && f.message == "dataserver connected: 10.0.0.9:28625")
        #expect(Fixture.evidence(f, "port") == .int(28625))
        #expect(Fixture.evidence(f, "endpoints") == .array([.string("10.0.0.9:28625")]))
    }

    @Test("SYN_SENT is named; another process's connection does not count; no agent fails")
    func failures() {
        let pending = DataserverPortCheck().run(facts([Fixture.tcp(inode: 700, state: .synSent)]))
        #expect(pending.verdict == .fail && pending.message == "dataserver not exist: connecting to 10.0.0.9:28625 (SYN_SENT)")

        let foreign = DataserverPortCheck().run(facts([Fixture.tcp(inode: 999)]))
        #expect(foreign.verdict == .fail)
        #expect(foreign.message == "dataserver not exist: no ESTABLISHED connection from gse_agent to port 28625")

        let h = facts([Fixture.tcp(inode: 999)])
        h.processes = .success([])
        let down = DataserverPortCheck().run(h)
        #expect(down.verdict == .fail && down.message == "dataserver not exist: gse_agent is not running")
        #expect(Fixture.evidence(down, "connections_to_port") == .int(1))
    }

    @Test("several data ports are all tried and listed")
    func ports() {
        let h = facts([Fixture.tcp(inode: 700, port: 58625)])
        h.layout.dataPorts = [28625, 58625]
        let f = DataserverPortCheck().run(h)
        #expect(f.verdict == .pass)
        #expect(Fixture.evidence(f, "ports") == .array([.int(28625), .int(58625)]))
        h.tcpToDataPort = .success([])
        #expect(
            DataserverPortCheck().run(h).message == "dataserver not exist: no ESTABLISHED connection from gse_agent to port 28625/58625")
    }

    @Test("socket tables or the agent's fds unreadable: unknown")
    func unknown() {
        let h = facts([])
        h.tcpToDataPort = .failure(Fixture.error(EACCES, "open", "/proc/net/tcp"))
        let tables = DataserverPortCheck().run(h)
        #expect(tables.verdict == .unknown && tables.message.hasPrefix("cannot read /proc/net/tcp: "))

        let fds = facts([Fixture.tcp(inode: 700)])
        fds.fdsByPid[200] = .failure(Fixture.error(EACCES, "opendir", "/proc/200/fd"))
        let r = DataserverPortCheck().run(fds)
        #expect(r.verdict == .unknown && r.message.hasPrefix("cannot read /proc/200/fd: "))
    }
}
