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

    @Test("no connection to the config's port names the agent's other connections and a config changed after it started")
    func changedConfig() {
        let conf = Fixture.root + "/agent/etc/gse_agent.conf"
        func run(_ others: [TCPSocketEntry], changed: Bool, mtime: Int64? = nil) -> Finding {
            let h = facts([], agentSockets: [700, 701])
            h.layout.dataPorts = [1]
            h.layout.dataPortSource = conf
            // The agent started 50,000 s before now; the config was written 200 s ago, or before the start.
            h.stats[conf] = FileStat(mode: 0o100644, size: 100, mtime: mtime ?? (changed ? 1_795_435_000 : 1_795_300_000))
            h.tcpEstablished = .success(others)
            return DataserverPortCheck().run(h)
        }
        let cluster = Fixture.tcp(inode: 701, remote: "10.0.0.7", port: 28668)
        let data = Fixture.tcp(inode: 700, remote: "10.0.0.9", port: 28625)
        let old = run([cluster, data], changed: true)
        #expect(
            old.message
                == "dataserver not exist: no ESTABLISHED connection from gse_agent to port 1; gse_agent is connected to 10.0.0.7:28668, 10.0.0.9:28625; \(conf) changed after gse_agent started (it reads it only at start)",
            "\(old.message)")
        #expect(old.hint.contains("重启 Agent"), "\(old.hint)")
        // Only its task channel: the dataserver may be down; the restart hint would mislead.
        let clusterOnly = run([cluster], changed: true)
        #expect(
            clusterOnly.message.contains("changed after gse_agent started") && !clusterOnly.hint.contains("重启 Agent"), "\(clusterOnly.hint)"
        )
        // A config older than the agent: nothing to say about it.
        #expect(!run([cluster, data], changed: false).message.contains("changed after"))
        // A time ahead of the clock (set back, or stamped elsewhere) is after every start and tells of no change.
        let ahead = run([cluster, data], changed: true, mtime: Fixture.facts().nowMilliseconds / 1000 + 10 * 365 * 86400)
        #expect(!ahead.message.contains("changed after"), "\(ahead.message)")
    }

    @Test("a connection the dataserver closed and the agent still holds (CLOSE_WAIT) is named, with the agent to restart")
    func closedByDataserver() {
        let f = DataserverPortCheck().run(facts([Fixture.tcp(inode: 700, state: .closeWait)]))
        #expect(f.verdict == .fail)
        #expect(
            f.message
                == "dataserver not exist: 10.0.0.9:28625 closed the connection (CLOSE_WAIT) and gse_agent has neither closed it nor connected again",
            "\(f.message)")
        #expect(f.hint.contains("重启 Agent"), "\(f.hint)")
        #expect(Fixture.evidence(f, "closed_by_dataserver") == .array([.string("10.0.0.9:28625")]))
        // Beside an ESTABLISHED one (it reconnected, the old socket not yet closed): connected.
        let both = DataserverPortCheck().run(
            facts([Fixture.tcp(inode: 700, state: .closeWait), Fixture.tcp(inode: 701)], agentSockets: [700, 701]))
        #expect(both.verdict == .pass, "\(both.message)")
        // Another process's: not the agent's.
        #expect(!DataserverPortCheck().run(facts([Fixture.tcp(inode: 999, state: .closeWait)])).message.contains("CLOSE_WAIT"))
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
        // An agent of another root runs: the message (all the platform shows) says so.
        h.processes = .success([Fixture.process(5, exe: "/opt/gse/agent/bin/gse_agent")])
        let other = DataserverPortCheck().run(h)
        #expect(
            other.verdict == .fail && other.message.hasPrefix("dataserver not exist: gse_agent is not running under ")
                && other.message.contains("/opt/gse/agent/bin/gse_agent"), "\(other.message)")
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
