import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

#if canImport(Glibc)
    import Glibc
#endif

/// What the agent's own config and its own health probe say: the data port it is configured with,
/// a probe that leaves nothing behind, and a probe bkdiag may not be allowed to run.
@Suite("Agent config and probe")
struct AgentConfigScenarioTests {
    @Test("GSE 2: the data port comes from gse_agent.conf access.data_endpoints; --data-port still wins")
    func gse2DataPortFromConfig() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        let conf = host.gseRoot + "/agent/etc/gse_agent.conf"
        try #"{"access": {"cluster_endpoints": "127.0.0.1:28668", "data_endpoints": "127.0.0.9:\#(port),127.0.0.1:\#(port)"}}"#
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let report = await runChecks(host)
        let r = try #require(report.result(module: "gse_agent", item: "dataserver_port"))
        #expect(r.verdict == .pass, "\(r.message)")
        #expect(r.evidence("port") == .int(Int64(port)))
        #expect(r.evidence("port_source") == .string(conf))
        let ctx = JSONValue.object(report.context)
        #expect(ctx["data_port"] == .int(Int64(port)) && ctx["data_port_source"] == .string(conf), "\(ctx)")

        // The config names a port the agent is not connected to: not the default, the config's. Rewritten
        // seconds after the agent started (as a re-render an hour later would be; five, past the 2 s slack with
        // room for a whole-second stamp): a time ahead of the clock would be clock skew, no sign of a change.
        sleep(5)
        try #"{"access": {"data_endpoints": "127.0.0.1:1"}}"#.write(toFile: conf, atomically: true, encoding: .utf8)
        let wrong = try #require(await runChecks(host).result(module: "gse_agent", item: "dataserver_port"))
        #expect(wrong.verdict == .fail)
        // Still connected to the port of the config it started with, and the file changed since: both named.
        #expect(
            wrong.message
                == "dataserver not exist: no ESTABLISHED connection from gse_agent to port 1; gse_agent is connected to 127.0.0.1:\(port); \(conf) changed after gse_agent started (it reads it only at start)",
            "\(wrong.message)")
        // The old port is an ephemeral one here, not a data port of either generation: the generic hint.
        #expect(!wrong.hint.contains("重启 Agent"), "\(wrong.hint)")
        let flagged = await runChecks(host, dataPort: port)
        #expect(flagged.verdict("gse_agent", "dataserver_port") == .pass)
        #expect(flagged.result(module: "gse_agent", item: "dataserver_port")?.evidence("port_source") == .string("flag"))
    }

    @Test(
        "an agent config that is there but cannot be read (garbage, too large, a directory, a FIFO) leaves the data port unknown: dataserver_port unknown, the dataserver hop not judged"
    )
    func unreadableAgentConfig() async throws {
        let (host, port) = try FakeHost.healthy(.gse1)
        defer { host.shutdown() }
        let conf = host.gseRoot + "/agent/etc/agent.conf"
        let fm = FileManager.default
        func clear() { try? fm.removeItem(atPath: conf) }
        let cases: [(String, () throws -> Void)] = [
            ("is not valid JSON", { try Data([0x7B, 0xFF, 0x00, 0x13]).write(to: URL(fileURLWithPath: conf)) }),
            ("is larger than", { try Data(repeating: 0x20, count: (1 << 20) + 1).write(to: URL(fileURLWithPath: conf)) }),
            ("is not a regular file (directory)", { try fm.createDirectory(atPath: conf, withIntermediateDirectories: false) }),
            ("is not a regular file (FIFO)", { #expect(mkfifo(conf, 0o644) == 0) }),
        ]
        for (why, make) in cases {
            clear()
            try make()
            let report = await runChecks(host)
            let r = try #require(report.result(module: "gse_agent", item: "dataserver_port"))
            #expect(r.verdict == .unknown, "\(why): \(r.message)")
            #expect(r.message.hasPrefix("dataserver port not known: \(conf) \(why)"), "\(r.message)")
            // The agent's real connection is named.
            #expect(r.message.contains("gse_agent is connected to 127.0.0.1:\(port)"), "\(r.message)")
            let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
            // Data past the IPC socket is not seen without the agent's flow: not a pass either.
            #expect(stall.verdict == .unknown && stall.message.contains("dataserver hop is not judged"), "\(why): \(stall.message)")
            #expect(
                stall.evidence("dataserver")?["state"] == .string("not_judged"),
                "\(why): \(String(describing: stall.evidence("dataserver")))")
        }
        // Missing, the generation's default is the agent's too: no connection to it fails as before. Naming the
        // port, it passes.
        clear()
        let missing = try #require(await runChecks(host).result(module: "gse_agent", item: "dataserver_port"))
        #expect(missing.verdict == .fail && missing.evidence("port_unknown") == nil, "\(missing.message)")
        try #"{"dataserver": [{"ip": "127.0.0.1", "port": \#(port)}]}"#.write(toFile: conf, atomically: true, encoding: .utf8)
        #expect(await runChecks(host).verdict("gse_agent", "dataserver_port") == .pass)
    }

    /// A healthy GSE 2 host whose agent's own config names its `data.ipc`, and whose collector's main config
    /// sends to `<host>/run/ipc.state.report` instead (returned as `wrong`).
    func endpointElsewhereHost() throws -> (host: FakeHost, port: UInt16, wrong: String) {
        let (host, port) = try FakeHost.healthy(.gse2)
        try #"{"data": {"ipc": "\#(host.ipcPath)"}, "access": {"data_endpoints": "127.0.0.1:\#(port)"}}"#
            .write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let wrong = host.dir + "/run/ipc.state.report"
        try FileManager.default.createDirectory(atPath: host.dir + "/run", withIntermediateDirectories: true)
        try host.writeMainConfig(endpoint: wrong)
        return (host, port, wrong)
    }

    /// NodeMan renders the collector's endpoint as /var/run/ipc.state.report when it cannot tell the agent's
    /// path; a GSE 2 agent listens on its own `data.ipc`. The collector's data then goes nowhere, and the
    /// fault is the main config's, not the agent's.
    @Test("an endpoint other than where the agent listens (its own data.ipc) fails main_config; the socket item names both paths")
    func endpointElsewhere() async throws {
        let (host, port, wrong) = try endpointElsewhereHost()
        defer { host.shutdown() }
        // As bk-log calls it: check.py's default -i, which yields to the collector's endpoint.
        let r = await runChecks(host, ipc: "/var/run/ipc.state.report")
        let main = try #require(r.result(module: "bkunifylogbeat", item: "main_config"))
        // The collector, started before the config changed, is still connected: said, the fail stands.
        let still =
            "; the running collector, started before this config, is still connected to \(host.ipcPath): it breaks when the collector restarts"
        #expect(
            main.verdict == .fail
                && main.message
                    == "collector sends to \(wrong), where nothing listens; gse_agent listens on \(host.ipcPath) (its own config)" + still,
            "\(main.message)")
        let socket = try #require(r.result(module: "gse_agent", item: "socket"))
        #expect(
            socket.verdict == .fail && socket.message.hasSuffix("gse_agent listens on \(host.ipcPath) (its own config)"),
            "\(socket.message)")
        #expect(socket.hint.contains("main_config"), "\(socket.hint)")
        // Asked about the agent's own path (as JOB passes --ipc_socket_file): the same fail, not a warn.
        let asked = await runChecks(host, ipc: host.ipcPath)
        #expect(asked.verdict("bkunifylogbeat", "main_config") == .fail, "\(asked.message("bkunifylogbeat", "main_config"))")
        // An agent config that names no path: the asked path that listens tells it.
        try #"{"access": {"data_endpoints": "127.0.0.1:\#(port)"}}"#
            .write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let unnamed = await runChecks(host, ipc: host.ipcPath)
        let m = try #require(unnamed.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(
            m.verdict == .fail
                && m.message
                    == "collector sends to \(wrong), where nothing listens; the socket the check was asked about (\(host.ipcPath)) listens"
                    + still,
            "\(m.message)")
        // The same endpoint as the agent's: both pass.
        try host.writeMainConfig()
        let fixed = await runChecks(host, ipc: "/var/run/ipc.state.report")
        #expect(fixed.verdict("bkunifylogbeat", "main_config") == .pass, "\(fixed.message("bkunifylogbeat", "main_config"))")
        #expect(fixed.verdict("gse_agent", "socket") == .pass)
    }

    /// A leftover listener (an old generation's agent, any program) on the endpoint NodeMan rendered, while
    /// gse_agent listens on its own `data.ipc`: the collector connects and sends, and nothing reaches the agent.
    @Test("an endpoint where another process listens, gse_agent listening on its own path: main_config and healthz fail")
    func endpointHeldByAnotherProcess() async throws {
        let (host, _, wrong) = try endpointElsewhereHost()
        defer { host.shutdown() }
        // Not an agent under the root: the fake under its own name, from outside the root.
        let squatter = try host.spawn(FakeHost.fakeBinary, ["agent", "--listen", wrong], cwd: host.dir)
        let sender = try host.spawn(host.collectorBinary, ["collector", "--ipc", wrong], cwd: host.gseRoot + "/plugins/bin")
        // The squatter accepts in its own time: wait until it has (a loaded machine may take a while).
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !((try? UnixSockDiag.dump()) ?? []).contains(where: { $0.name == wrong && $0.isEstablished }) {
            usleep(10_000)
        }
        // As bk-log calls it, with the endpoint as -i.
        let r = await runChecks(host, ipc: wrong)
        let main = try #require(r.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(
            main.verdict == .fail
                && main.message
                    == "collector sends to \(wrong), where a process other than gse_agent listens; gse_agent listens on \(host.ipcPath) (its own config)",
            "\(main.message)")
        let health = try #require(r.result(module: "bkunifylogbeat", item: "healthz"))
        #expect(
            health.verdict == .fail && health.message.contains("connected to \(wrong), but what listens there is not gse_agent"),
            "\(health.message)")
        #expect(r.message("gse_agent", "socket").contains("pid \(squatter.pid)"), "\(r.message("gse_agent", "socket"))")
        // The listener gone and the endpoint put right: main_config passes again.
        sender.stop()
        squatter.stop()
        try host.writeMainConfig()
        let fixed = await runChecks(host, ipc: host.ipcPath)
        #expect(fixed.verdict("bkunifylogbeat", "main_config") == .pass, "\(fixed.message("bkunifylogbeat", "main_config"))")
        #expect(fixed.verdict("bkunifylogbeat", "healthz") == .pass, "\(fixed.message("bkunifylogbeat", "healthz"))")
    }

    @Test("-i naming the collector's endpoint by another path to the same socket (/var/run → /run) is no finding")
    func endpointSameSocket() async throws {
        let (host, _) = try FakeHost.healthy(.gse1)
        defer { host.shutdown() }
        try FileManager.default.createDirectory(atPath: host.dir + "/var", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: host.dir + "/var/run", withDestinationPath: "../run")
        let viaLink = host.dir + "/var/run/" + (host.ipcPath as NSString).lastPathComponent
        #expect(host.ipcPath.hasPrefix(host.dir + "/run/"), "\(host.ipcPath)")
        let r = await runChecks(host, ipc: viaLink)
        #expect(r.verdict("bkunifylogbeat", "main_config") == .pass, "\(r.message("bkunifylogbeat", "main_config"))")
    }

    /// An operator's -i that names no socket of this host (a typo, another host's path): the socket item
    /// fails on it and main_config says the collector sends elsewhere, but the collector, connected where
    /// gse_agent listens, is healthy. Before, healthz failed "not connected to" the mistyped path.
    @Test(
        "-i naming another path than the collector's endpoint: healthz judges the collector where it sends",
        arguments: [FakeHost.Generation.gse1, .gse2])
    func healthzJudgedAtTheEndpoint(_ generation: FakeHost.Generation) async throws {
        let host = try FakeHost(generation: generation)
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        try host.makeLogFile("app/a.log")
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        let collector = try host.startCollector()
        let typo = host.dir + "/run/ipc.stat.report"
        let r = await runChecks(host, ipc: typo, dataPort: port)
        let health = try #require(r.result(module: "bkunifylogbeat", item: "healthz"))
        #expect(
            health.verdict == .pass
                && health.message.hasPrefix("healthy: binary ok, connected to \(host.ipcPath) (its main config's endpoint; not to \(typo)"),
            "\(health.message)")
        #expect(health.evidence("ipc_endpoint") == .string(host.ipcPath))
        #expect(r.verdict("gse_agent", "socket") == .fail, "\(r.message("gse_agent", "socket"))")
        #expect(r.verdict("bkunifylogbeat", "main_config") == .warn, "\(r.message("bkunifylogbeat", "main_config"))")
        // A process listening on the asked path changes nothing for the collector: it is not connected there.
        let other = try host.spawn(FakeHost.fakeBinary, ["agent", "--listen", typo], cwd: host.dir)
        defer { other.stop() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? UnixSockDiag.dump()) ?? []).contains(where: { $0.name == typo && $0.isListening }) {
            usleep(10_000)
        }
        let listening = await runChecks(host, ipc: typo, dataPort: port)
        #expect(listening.verdict("bkunifylogbeat", "healthz") == .pass, "\(listening.message("bkunifylogbeat", "healthz"))")
        // The collector gone: healthz fails as before, the asked path named.
        collector.stop()
        let down = await runChecks(host, ipc: typo, dataPort: port)
        #expect(down.verdict("bkunifylogbeat", "healthz") == .fail, "\(down.message("bkunifylogbeat", "healthz"))")
    }

    @Test(
        "GSE 1: the data port comes from agent.conf (dataserver list, else dataport); a config without one falls back to 58625, saying why")
    func gse1DataPortFromConfig() async throws {
        let (host, port) = try FakeHost.healthy(.gse1)
        defer { host.shutdown() }
        let conf = host.gseRoot + "/agent/etc/agent.conf"
        try #"{"dataport": \#(port), "ioport": 48668}"#.write(toFile: conf, atomically: true, encoding: .utf8)
        var r = try #require(await runChecks(host).result(module: "gse_agent", item: "dataserver_port"))
        #expect(r.verdict == .pass, "\(r.message)")
        #expect(r.evidence("port_source") == .string(conf))

        try #"{"dataport": 1, "dataserver": [{"ip": "127.0.0.9", "port": \#(port)}, {"ip": "127.0.0.1", "port": 2}]}"#
            .write(toFile: conf, atomically: true, encoding: .utf8)
        r = try #require(await runChecks(host).result(module: "gse_agent", item: "dataserver_port"))
        #expect(r.verdict == .pass, "\(r.message)")
        #expect(r.evidence("ports") == .array([.int(Int64(port)), .int(2)]))

        try "{ not json".write(toFile: conf, atomically: true, encoding: .utf8)
        r = try #require(await runChecks(host).result(module: "gse_agent", item: "dataserver_port"))
        #expect(r.evidence("port") == .int(58625))
        #expect(r.evidence("port_source") == .string("default (\(conf) is not valid JSON)"))
    }

    @Test(
        "agent config parsing: every form names its ports; garbage names none",
        arguments: [
            (#"{"dataport": 58625}"#, GSEGeneration.gse1, [UInt16(58625)]),
            (#"{"dataport": "58625"}"#, .gse1, [58625]),
            (#"{"dataport": 70000}"#, .gse1, []),
            (#"{"dataserver": [{"ip": "a", "port": 1}, {"ip": "b", "port": 1}, {"ip": "c"}], "dataport": 3}"#, .gse1, [1]),
            (#"{"access": {"data_endpoints": "10.0.0.1:28625,[::1]:28626; 10.0.0.2:28625"}}"#, .gse2, [28625, 28626]),
            (#"{"access": {"data_endpoints": ["10.0.0.1:28627"]}}"#, .gse2, [28627]),
            (#"{"access": {"data_endpoints": "__BK_GSE_ACCESS_DATA_ENDPOINTS__"}}"#, .gse2, []),
            (#"{"access": {"data_endpoints": "10.0.0.1:x"}}"#, .gse2, []),
            (#"{"dataport": 58625}"#, .gse2, []),
            ("[]", .gse2, []),
        ])
    func parsePorts(text: String, generation: GSEGeneration, expected: [UInt16]) throws {
        #expect(AgentDataPorts.ports(in: try JSONValue.parse(text), generation: generation) == expected)
    }

    /// Pids the fake probe recorded for the children it left, once it has recorded `count`.
    func lingerPids(_ host: FakeHost, count: Int) throws -> [Int32] {
        let file = host.gseRoot + "/agent/etc/linger.pids"
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let pids = text.split(separator: "\n").compactMap { Int32($0) }
        guard pids.count == count else { throw FakeHostError("expected \(count) pids in \(file), found \(text)") }
        return pids
    }

    /// Whether `pid` is gone (or a zombie, which runs nothing), waiting up to 10 s for the kill to land.
    func gone(_ pid: Int32) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard let st = ProcFS.stat(pid: pid) else { return true }
            if st.state == "Z" || st.state == "X" { return true }
            usleep(10_000)
        }
        return false
    }

    @Test("the GSE 2 health probe leaves nothing behind: a child left in its group after it answered is killed")
    func probeChildAfterAnswer() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        try "linger\n".write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "healthz") == .pass, "\(report.message("bkunifylogbeat", "healthz"))")
        for pid in try lingerPids(host, count: 1) {
            #expect(gone(pid), "probe child \(pid) outlived the probe")
        }
    }

    @Test("the GSE 2 health probe leaves nothing behind on timeout: its group and what left the group for its session are killed")
    func probeChildrenOnTimeout() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        try "linger\nescape\nhang\n".write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "healthz"))
        #expect(r.verdict == .unknown)
        #expect(r.message.contains("gse_agent --healthz timed out"), "\(r.message)")
        // The second left the probe's process group: only its session still holds it.
        for pid in try lingerPids(host, count: 2) {
            #expect(gone(pid), "probe child \(pid) outlived the probe")
        }
    }

    @Test("bkdiag run without root: a health probe it may not run, or that fails for it, is unknown with the root hint, not fail")
    func probeWithoutRoot() throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        let conf = host.gseRoot + "/agent/etc/gse_agent.conf"
        let args = [
            "-s", "33561", "-p", host.gseRoot, "-i", host.ipcPath, "--host-root", host.dir, "--restart-log", host.restartLog,
            "--data-port", String(port),
        ]
        // The agent's config is root's alone, as on a real host.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: conf)
        var r = try #require(try bkdiagAsNobody(args).result(module: "bkunifylogbeat", item: "healthz"))
        #expect(r.verdict == .unknown)
        #expect(r.message.contains("gse_agent --healthz not run: \(conf) is not readable by uid 65534"), "\(r.message)")
        #expect(r.hint.hasPrefix("以 root 运行 bkdiag：gse_agent --healthz"), "\(r.hint)")

        // Readable, but the probe fails: as nobody that may be only the lack of rights.
        try "unhealthy\n".write(toFile: conf, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: conf)
        r = try #require(try bkdiagAsNobody(args).result(module: "bkunifylogbeat", item: "healthz"))
        #expect(r.verdict == .unknown)
        #expect(r.message.contains("gse_agent --healthz failed when run as uid 65534, not root"), "\(r.message)")
        #expect(r.hint.hasPrefix("以 root 运行 bkdiag：gse_agent --healthz"), "\(r.hint)")
    }
}
