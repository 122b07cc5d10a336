import Foundation
import HostProbe
import Report
import SystemLayer
import TestSupport
import Testing

@testable import Diagnostics

/// The log_progress items end to end: a fake collector that really reads its files through open fds,
/// sends what it reads over the IPC socket and keeps a bolt registry under flock, and one that stalls
/// at each hop.
@Suite("Progress scenarios")
struct ProgressScenarioTests {
    /// A host with dataserver and agent running, one subscription over `app/*.log`, and `a.log` of 1000 bytes.
    func host(agentReads: Bool = true, connectData: Bool = true, registryFlush: String = "10s", resourceLimit: Bool = false) throws
        -> (FakeHost, UInt16, String)
    {
        let host = try FakeHost(generation: .gse1)
        try host.writeMainConfig(resourceLimit: resourceLimit, registryFlush: registryFlush)
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        try host.startAgent(read: agentReads, dataPort: connectData ? port : nil)
        return (host, port, log)
    }

    func run(_ host: FakeHost, _ port: UInt16, gap: Double = 0.2, baseline: ProgressBaseline? = nil) async -> DiagnosticReport {
        await runChecks(host, dataPort: port, sampleGap: gap, baseline: baseline)
    }

    /// Waits until the collector's registry acknowledges `path` up to `size` bytes.
    func waitAcknowledged(_ host: FakeHost, _ path: String, _ size: Int64) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let r = try? CollectorRegistry.read(path: host.registryPath),
                r.states.contains(where: { $0.source == path && $0.offset == size })
            {
                return
            }
            usleep(20_000)
        }
        throw FakeHostError("\(path) never acknowledged to \(size)")
    }

    @Test("a collector that keeps up: every file acknowledged to its size, every hop ok, its registry read while it holds the lock")
    func keepingUp() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        let collector = try host.startProgressCollector(follow: [log])
        try host.append(log, bytes: 100_000)
        try waitAcknowledged(host, log, 101_000)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .pass, "\(p.message)")
        let files = try #require(p.evidence("files")?.arrayValue)
        #expect(
            files.first?["size"] == .int(101_000) && files.first?["acknowledged"] == .int(101_000) && files.first?["read"] == .int(101_000))
        #expect(p.evidence("by_dataid")?["1500123"]?["lag_bytes"] == .int(0))
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .pass, "\(stall.message)")
        #expect(stall.evidence("ipc")?["collector_wchar"]?.intValue.map { $0 >= 100_000 } == true)
        #expect(stall.evidence("dataserver")?["connections"] == .int(1))
        #expect(report.verdict("log_progress", "loss_risk") == .pass)
        // bkdiag never took a lock on the registry: the collector's is the only one on it.
        // /proc/locks names a file as major:minor:inode (device numbers in hex, at least two digits): the
        // inode alone also matches locks on other filesystems (another test's collector holds one elsewhere).
        let st = try Sys.stat(host.registryPath)
        let major = ((st.device >> 8) & 0xfff) | ((st.device >> 32) & ~UInt64(0xfff))
        let minor = (st.device & 0xff) | ((st.device >> 12) & ~UInt64(0xff))
        func hex(_ v: UInt64) -> String { v < 16 ? "0" + String(v, radix: 16) : String(v, radix: 16) }
        let file = " \(hex(major)):\(hex(minor)):\(st.inode) "
        // Read to its end: Foundation's String(contentsOfFile:) stops at 4 KiB of a /proc file, and with the
        // suite's other collectors and daemons holding locks this one's line can come later.
        let locks = String(decoding: try Sys.readFile("/proc/locks"), as: UTF8.self).split(separator: "\n").filter { $0.contains(file) }
        #expect(locks.count == 1 && locks[0].contains(" \(collector.pid) "), "\(locks)")
    }

    /// -l asks about what the platform's collection config lists; the config delivered to the host may list less (an
    /// edit not delivered). A file no item reads is not the subscription's: before, it was judged by the collector's
    /// defaults (never collected with tail_files, skipped by ignore_older). A file -l names by another spelling than
    /// the item's pattern (`a.log` for `*.log`) is the item's.
    @Test("-l paths the delivered config does not list: their files are said not read by any item, not judged by defaults")
    func pathsTheConfigDoesNotList() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        let other = try host.makeLogFile("other/x.log", content: String(repeating: "y", count: 4999) + "\n")
        try host.backdate(other, seconds: 600)
        let report = await runChecks(host, logPaths: [log, host.logDir + "/other/*.log"], dataPort: port, sampleGap: 0.2)
        #expect(report.verdict("bkunifylogbeat", "config") == .warn, "\(report.message("bkunifylogbeat", "config"))")
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(!p.message.contains("tail_files") && !p.message.contains("never collected"), "\(p.message)")
        let files = p.evidence("files")?.arrayValue ?? []
        let x = files.first { $0["path"] == .string(other) }
        #expect(x?["skipped"]?.stringValue?.hasPrefix("no item of the subscription's config here reads it") == true, "\(files)")
        // a.log, asked by its own name, is the *.log item's: its data id, acknowledged to its end.
        let a = files.first { $0["path"] == .string(log) }
        #expect(a?["dataid"] == .int(1_500_123) && a?["status"] == .string("up_to_date"), "\(files)")
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(!risk.message.contains("tail_files") && !risk.message.contains("collector defaults"), "\(risk.message)")
        #expect(
            risk.verdict == .warn
                && risk.message.hasSuffix(
                    "may not be collected: not_in_config (\(other) is read by no item of the subscription's config here)"),
            "\(risk.message)")
        #expect(risk.hint.contains("重新下发采集配置"), "\(risk.hint)")
        // A rotated .gz beside it, which the collector's own exclude_files would skip anyway, is not counted as
        // left out by the config.
        let gz = try host.makeLogFile("other/x.log.1.gz", content: String(repeating: "z", count: 99_999) + "\n")
        let withGz = await runChecks(host, logPaths: [log, host.logDir + "/other/*"], dataPort: port, sampleGap: 0.2)
        let gzFile = withGz.result(module: "log_progress", item: "logpath_progress")?.evidence("files")?.arrayValue?.first {
            $0["path"] == .string(gz)
        }
        #expect(gzFile?["skipped"]?.stringValue?.hasPrefix("exclude_files") == true, "\(String(describing: gzFile))")
        let gzRisk = try #require(withGz.result(module: "log_progress", item: "loss_risk"))
        #expect(gzRisk.evidence("bytes_at_risk") == .int(5000), "\(gzRisk.message)")
        // Two items find access.log, the first excluding it: the second reads it, and it is not skipped.
        let access = try host.makeLogFile("app/access.log", content: "GET /\n")
        try host.writeSubConfig(
            subscription: 33561, paths: [host.logDir + "/app/*.log"], excludeFiles: ["access"],
            moreItems: [.init(paths: [host.logDir + "/app/access*.log"])])
        let two = await runChecks(host, logPaths: [access], dataPort: port, sampleGap: 0.2)
        let accessFile = two.result(module: "log_progress", item: "logpath_progress")?.evidence("files")?.arrayValue?.first {
            $0["path"] == .string(access)
        }
        #expect(accessFile != nil && accessFile?["skipped"] == nil, "\(String(describing: accessFile))")
    }

    @Test("a collector that stopped reading: data older than the harvester's backoff is unread, data stops at read")
    func readStall() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .read)
        try host.append(log, bytes: 5000)
        try host.backdate(log, seconds: 60)
        let report = await run(host, port)
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("read"), "\(stall.message)")
        #expect(stall.evidence("read")?["unread_bytes"] == .int(5000))
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail, "\(p.message)")
        #expect(p.evidence("files")?.arrayValue?.first?["status"] == .string("read_stalled"))
    }

    @Test("a collector whose output never acknowledges: read but not acknowledged for 3 flushes, data stops at the registry")
    func ackStall() async throws {
        let (host, port, log) = try host(registryFlush: "200ms")
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .ack)
        // mtimes are whole seconds: 2 s puts the append's mtime past the frozen acknowledgement's 3 flushes,
        // and 2 s more makes the appended bytes themselves older than 3 flushes (a fresh append is in flight).
        usleep(2_000_000)
        try host.append(log, bytes: 3000)
        usleep(2_000_000)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail, "\(p.message)")
        #expect(p.message.contains("not acknowledged for more than 3 flushes"), "\(p.message)")
        let file = try #require(p.evidence("files")?.arrayValue?.first)
        #expect(file["status"] == .string("ack_stalled") && file["acknowledged"] == .int(1000) && file["read"] == .int(4000))
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.evidence("stuck_at") == .string("registry"), "\(stall.message)")
    }

    @Test("a registry not written for more than 3 flushes of a collector that has run longer: the registrar has stopped")
    func staleRegistry() async throws {
        // Flushes of 200 ms: the collector has run 3 of them after a second.
        let (host, port, log) = try host(registryFlush: "200ms")
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .registry)
        usleep(1_000_000)
        try host.backdate(host.registryPath, seconds: 120)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail && p.message.contains("has not been written for "), "\(p.message)")
        #expect(p.message.contains("after its last write"), "\(p.message)")
        #expect(p.evidence("heartbeat_age_s")?.doubleValue.map { $0 >= 115 && $0 <= 125 } == true)
        #expect(report.result(module: "log_progress", item: "pipeline_stall")?.evidence("stuck_at") == .string("registry"))
    }

    @Test("the collector's age is counted to the last sample: one that has run the gap past 3 flushes without writing fails")
    func ageCountedToTheLastSample() async throws {
        // Flushes of 1 s: after a 4 s gap the collector has run more than 3 of them, writing nothing.
        let (host, port, log) = try host(registryFlush: "1s")
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .registry)
        try host.backdate(host.registryPath, seconds: 120)
        let report = await run(host, port, gap: 4)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail && p.message.contains("has not been written for "), "\(p.message)")
        #expect(p.evidence("collector_age_s")?.doubleValue.map { $0 >= 3.5 } == true, "\(p.evidence)")
    }

    @Test("a collector restarted a moment ago over its predecessor's registry, last written 2 minutes ago, is not a stopped registrar")
    func restartedOverAnOldRegistry() async throws {
        // Flushes of 10 s: the new process's first write is still to come.
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .registry)
        try host.backdate(host.registryPath, seconds: 120)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .warn && p.message.contains("whether it works cannot be told yet"), "\(p.message)")
        #expect(p.evidence("collector_age_s")?.doubleValue.map { $0 < 30 } == true, "\(p.evidence)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .pass && stall.evidence("stuck_at") == nil, "\(stall.message)")
    }

    @Test("an agent that does not read the IPC socket: its queue stays full in both samples, data stops at ipc")
    func ipcStall() async throws {
        let (host, port, log) = try host(agentReads: false)
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try host.append(log, bytes: 1_000_000)
        usleep(500_000)
        let report = await run(host, port)
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("ipc"), "\(stall.message)")
        #expect(stall.evidence("ipc")?["unread_by_agent_bytes"]?.intValue.map { $0 >= 64 * 1024 } == true)
        #expect(stall.message.contains("wait unread by gse_agent"))
    }

    @Test("an agent with no connection to the dataserver: data stops at the dataserver hop")
    func dataserverStall() async throws {
        let (host, port, log) = try host(connectData: false)
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        let report = await run(host, port)
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("dataserver"), "\(stall.message)")
        #expect(stall.message.contains("no connection to the dataserver"))
    }

    @Test("gse_agent killed under a running collector: data stops at ipc for the agent, not at the dataserver behind it")
    func agentKilled() async throws {
        // GSE 2: one gse_agent process (GSE 1's agentWorker would outlive a killed gseMaster).
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.writeMainConfig()
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        let agent = try host.startAgent(read: true, dataPort: port)
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        agent.stop()
        try host.append(log, bytes: 5000)
        let report = await run(host, port)
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("ipc"), "\(stall.message)")
        #expect(stall.message.contains("gse_agent is not running"), "\(stall.message)")
        #expect(stall.evidence("dataserver")?["state"] == .string("not_judged"))
    }

    /// GSE 1: agentWorker holds the IPC listener and the dataserver connection, gseMaster only supervises. A worker
    /// that died leaves both gone; the stop is the agent's (gse_agent/process fails "no agentWorker"), not the
    /// network's: it was called "data stops at dataserver" with the hint to check the network and firewall.
    @Test("GSE 1 agentWorker gone beside a live gseMaster: data stops at ipc for the worker, not at the dataserver behind it")
    func agentWorkerGone() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        try host.writeMainConfig()
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        let bin = host.gseRoot + "/agent/bin"
        _ = try host.spawn(host.agentBinary, ["agent"], cwd: bin, argv0: "./gseMaster")
        let worker = try host.spawn(
            bin + "/agentWorker", ["agent", "--listen", host.ipcPath, "--connect", String(port)], cwd: bin, argv0: "./agentWorker")
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        worker.stop()
        try host.append(log, bytes: 5000)
        let report = await run(host, port)
        #expect(report.message("gse_agent", "process").contains("no agentWorker"), "\(report.digest)")
        // dataserver_port too: the worker is what connects, so the hint is the agent's, not the network's.
        let dataserver = try #require(report.result(module: "gse_agent", item: "dataserver_port"))
        #expect(
            dataserver.verdict == .fail && dataserver.message.contains("agentWorker is not running") && !dataserver.hint.contains("网络"),
            "\(dataserver.message) \(dataserver.hint)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("ipc"), "\(report.digest)")
        #expect(stall.message.contains("agentWorker is not running") && !stall.hint.contains("防火墙"), "\(stall.message) \(stall.hint)")
        #expect(stall.evidence("dataserver")?["state"] == .string("not_judged"), "\(stall.evidence)")
    }

    /// GSE 1: an agentWorker that is there but stopped (SIGSTOP) is named as stopped, as gse_agent/process names
    /// any stopped process, not as "not running"; the connection to the dataserver it still holds sends nothing.
    @Test("GSE 1 agentWorker stopped (SIGSTOP) beside a live gseMaster: dataserver_port and pipeline_stall say it is stopped")
    func agentWorkerStopped() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        try host.writeMainConfig()
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        let bin = host.gseRoot + "/agent/bin"
        let master = try host.spawn(host.agentBinary, ["agent"], cwd: bin, argv0: "./gseMaster")
        let worker = try host.spawn(
            bin + "/agentWorker", ["agent", "--listen", host.ipcPath, "--connect", String(port)], cwd: bin, argv0: "./agentWorker")
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        kill(worker.pid, SIGSTOP)
        defer { kill(worker.pid, SIGCONT) }
        try waitForState(worker.pid, ["T"])
        try host.append(log, bytes: 5000)
        let report = await run(host, port)
        let process = report.message("gse_agent", "process")
        #expect(process.hasPrefix("gse_agent pid \(worker.pid) is stopped (state T") && process.contains("\(master.pid)"), "\(process)")
        let stopped = "agentWorker is stopped: pid \(worker.pid) is stopped (state T: SIGSTOP/SIGTSTP)"
        let dataserver = try #require(report.result(module: "gse_agent", item: "dataserver_port"))
        #expect(dataserver.verdict == .fail, "\(dataserver.message)")
        #expect(dataserver.message.contains(stopped) && !dataserver.message.contains("not running"), "\(dataserver.message)")
        #expect(dataserver.message.contains("sends nothing while it is"), "\(dataserver.message)")
        #expect(dataserver.hint.contains("kill -CONT \(worker.pid)") && !dataserver.hint.contains("网络"), "\(dataserver.hint)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("ipc"), "\(report.digest)")
        #expect(stall.message.contains(stopped) && !stall.message.contains("not running"), "\(stall.message)")
        #expect(stall.hint.contains("kill -CONT \(worker.pid)"), "\(stall.hint)")
        #expect(stall.evidence("dataserver")?["state"] == .string("not_judged"), "\(stall.evidence)")
    }

    /// GSE 2: gse_agent itself stopped (SIGSTOP) while holding the IPC listener and the dataserver connection receives
    /// nothing: pipeline_stall stops at ipc naming it stopped (it passed as "no hop is stuck" with data unread in the
    /// IPC socket).
    @Test("GSE 2 gse_agent stopped (SIGSTOP) holding its connections: pipeline_stall stops at ipc and says it is stopped")
    func gse2AgentStopped() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.writeMainConfig()
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        let agent = try host.spawn(
            host.agentBinary, ["agent", "--listen", host.ipcPath, "--connect", String(port)], cwd: host.gseRoot + "/agent/bin",
            argv0: "./gse_agent")
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        kill(agent.pid, SIGSTOP)
        defer { kill(agent.pid, SIGCONT) }
        try waitForState(agent.pid, ["T"])
        try host.append(log, bytes: 5000)
        let report = await run(host, port)
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("ipc"), "\(report.digest)")
        #expect(stall.message.contains("gse_agent is stopped (pid \(agent.pid)"), "\(stall.message)")
        #expect(stall.hint.contains("kill -CONT \(agent.pid)"), "\(stall.hint)")
        #expect(stall.evidence("dataserver")?["state"] == .string("not_judged"), "\(stall.evidence)")
    }

    /// GSE 1 with two agentWorkers: the one that holds the only dataserver connection stopped (SIGSTOP), the other
    /// running without one. The connection sends nothing: dataserver_port fails naming the stopped holder, as it
    /// does for a lone stopped worker (it passed as "dataserver connected").
    @Test("GSE 1: a stopped agentWorker holding the only dataserver connection beside a running one fails dataserver_port")
    func stoppedWorkerBesideARunningOne() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let (_, port) = try host.startDataserver()
        let bin = host.gseRoot + "/agent/bin"
        _ = try host.spawn(host.agentBinary, ["agent"], cwd: bin, argv0: "./gseMaster")
        let idle = try host.spawn(bin + "/agentWorker", ["agent", "--listen", host.ipcPath], cwd: bin, argv0: "./agentWorker")
        let holder = try host.spawn(bin + "/agentWorker", ["agent", "--connect", String(port)], cwd: bin, argv0: "./agentWorker")
        let before = try #require(await run(host, port).result(module: "gse_agent", item: "dataserver_port"))
        #expect(before.verdict == .pass, "\(before.message)")
        kill(holder.pid, SIGSTOP)
        defer { kill(holder.pid, SIGCONT) }
        try waitForState(holder.pid, ["T"])
        let dataserver = try #require(await run(host, port).result(module: "gse_agent", item: "dataserver_port"))
        #expect(dataserver.verdict == .fail, "\(dataserver.message)")
        #expect(
            dataserver.message.contains("only a stopped gse_agent process holds the connection to")
                && dataserver.message.contains("pid \(holder.pid) is stopped (state T: SIGSTOP/SIGTSTP)")
                && !dataserver.message.contains("pid \(idle.pid)"), "\(dataserver.message)")
        #expect(dataserver.hint.contains("kill -CONT \(holder.pid)"), "\(dataserver.hint)")
    }

    @Test("a relative log path is the collector's, from its working directory, whatever directory bkdiag runs in")
    func relativePath() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        // From plugins/bin (where NodeMan starts the collector) up to the fake host's directory, then down.
        let bin = host.gseRoot + "/plugins/bin"
        let up = String(repeating: "../", count: bin.split(separator: "/").count - host.dir.split(separator: "/").count)
        let relative = up + host.logDir.dropFirst(host.dir.count + 1) + "/app/*.log"
        try host.writeSubConfig(subscription: 33561, paths: [relative])
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        let p = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .pass && p.message.hasPrefix("1 file(s)"), "\(relative): \(p.message)")
        // -l as the platform sends it (the item's text), or a file the item's pattern matches: all pass.
        for asked in [relative, log] {
            let r = await runChecks(host, logPaths: [asked], dataPort: port, sampleGap: 0.2)
            for (module, item) in [("log_path", "logpath_match"), ("log_path", "logpath_held"), ("log_progress", "logpath_progress")] {
                #expect(r.verdict(module, item) == .pass, "-l \(asked): \(item): \(r.message(module, item))")
            }
            #expect(r.verdict("bkunifylogbeat", "config") == .pass, "-l \(asked): \(r.message("bkunifylogbeat", "config"))")
        }
    }

    @Test("a subscription whose log paths match no file on the host: logpath_progress fails, though nothing is stuck")
    func pathsMatchNothing() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/nomatch/*.log"])
        try host.startProgressCollector(follow: [log])
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail && p.message.hasPrefix("no file matches the log paths \(host.logDir)/nomatch/*.log"), "\(p.message)")
        #expect(report.status == false)
        // Asked about the app's real path (-l, the platform's new item) while the host's config still names the
        // old one: the collector reads the config's, which matches nothing.
        let asked = await runChecks(host, logPaths: [host.logDir + "/app/*.log"], dataPort: port, sampleGap: 0.2)
        let a = try #require(asked.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            a.verdict == .fail && a.message.hasPrefix("the subscription's config on this host names \(host.logDir)/nomatch/*.log"),
            "\(a.message)")
        // -l naming the config's own path: the app's files are missing, not the delivery (-l's own finding).
        let same = await runChecks(host, logPaths: [host.logDir + "/nomatch/*.log"], dataPort: port, sampleGap: 0.2)
        #expect(
            same.result(module: "log_progress", item: "logpath_progress")?.message.hasPrefix("no file matches the log paths") == true,
            "\(same.message("log_progress", "logpath_progress"))")
        // The config naming the asked path again: no such finding.
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let fixed = await runChecks(host, logPaths: [host.logDir + "/app/*.log"], dataPort: port, sampleGap: 0.2)
        #expect(fixed.result(module: "log_progress", item: "logpath_progress")?.message.hasPrefix("the subscription's config") == false)
    }

    @Test("a syslog subscription: logpath_progress names the collector's UDP server, and fails when another socket holds the port")
    func syslogServer() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        try host.writeMainConfig()
        // A free port: bound by the test, read back, let go.
        func udpSocket(_ port: UInt16) -> (Int32, UInt16) {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return (fd, UInt16(bigEndian: a.sin_port))
        }
        let (probe, udp) = udpSocket(0)
        close(probe)
        // As NodeMan's bkunifylogbeat_syslog.conf.tpl renders it.
        try "local: \n    - dataid: 1500124\n      type: syslog\n      protocol.udp:\n        host: \"127.0.0.1:\(udp)\"\n\n"
            .write(
                toFile: host.subConfigDir + "/bkunifylogbeat_syslog_sub_33561_host_2000058532.conf", atomically: true, encoding: .utf8)
        let (_, port) = try host.startDataserver()
        try host.startAgent(read: true, dataPort: port)
        let collector = try host.startCollector(syslogUDP: udp)
        let up = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(up.verdict == .pass && up.message.hasPrefix("syslog input listening on udp 127.0.0.1:\(udp)"), "\(up.message)")
        // The port taken by something else before the collector started: its input's server cannot bind it.
        collector.stop()
        let (squatter, _) = udpSocket(udp)
        defer { close(squatter) }
        try host.startCollector()
        let down = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(
            down.verdict == .fail
                && down.message.contains("udp port \(udp) is held by another socket, 127.0.0.1:\(udp), not the collector"),
            "\(down.message)")
    }

    /// A syslog server's port as Go reads it (a service name from the host's /etc/services, port 0), and two
    /// items' servers on one UDP port: the first input binds it, the other's bind fails "address already in use".
    @Test(
        "syslog servers: a port named in /etc/services and port 0 are judged as Go binds them; an item sharing another's udp port fails, distinct addresses do not"
    )
    func syslogServerAddresses() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        try host.writeMainConfig()
        // A free port: bound, read back, let go.
        let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &len) } }
        close(probe)
        let udp = UInt16(bigEndian: a.sin_port)
        // The host's /etc/services (under the host root bkdiag is given) names the port.
        try FileManager.default.createDirectory(atPath: host.dir + "/etc", withIntermediateDirectories: true)
        try "# local\nbk-syslog\t\(udp)/udp\t\tbksyslog\n".write(toFile: host.dir + "/etc/services", atomically: true, encoding: .utf8)
        func item(_ dataid: Int, _ address: String) -> String {
            "local: \n    - dataid: \(dataid)\n      type: syslog\n      protocol.udp:\n        host: \"\(address)\"\n\n"
        }
        let mine = host.subConfigDir + "/bkunifylogbeat_syslog_sub_33561_host_1.conf"
        let other = host.subConfigDir + "/bkunifylogbeat_syslog_sub_33562_host_1.conf"
        try item(1_500_124, "127.0.0.1:BKSYSLOG").write(toFile: mine, atomically: true, encoding: .utf8)
        let (_, port) = try host.startDataserver()
        try host.startAgent(read: true, dataPort: port)
        let collector = try host.startCollector(syslogUDP: udp)
        func progress() async throws -> CheckResult {
            try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        }
        let named = try await progress()
        #expect(named.verdict == .pass && named.message.hasPrefix("syslog input listening on udp 127.0.0.1:BKSYSLOG"), "\(named.message)")
        // Another subscription's item on every address of the same port: one of the two never binds.
        try item(1_500_125, "0.0.0.0:\(udp)").write(toFile: other, atomically: true, encoding: .utf8)
        let shared = try await progress()
        #expect(
            shared.verdict == .fail
                && shared.message.contains(
                    "udp 127.0.0.1:BKSYSLOG (bkunifylogbeat_syslog_sub_33561_host_1.conf item 0, dataid 1500124) shares udp port \(udp) with udp 0.0.0.0:\(udp) (bkunifylogbeat_syslog_sub_33562_host_1.conf item 0, dataid 1500125): only one input binds it"
                ), "\(shared.message)")
        // On another address of that port: both bind.
        try item(1_500_125, "127.0.0.2:\(udp)").write(toFile: other, atomically: true, encoding: .utf8)
        let distinct = try await progress()
        #expect(distinct.verdict == .pass, "\(distinct.message)")
        // Port 0 (written empty): the kernel picks the port; the collector's socket on that address is found,
        // and said to be where no sender can reach it (another port at each start): nothing is collected.
        collector.stop()
        try FileManager.default.removeItem(atPath: other)
        try item(1_500_124, "127.0.0.1:").write(toFile: mine, atomically: true, encoding: .utf8)
        try host.startCollector(syslogUDP: 0)
        let ephemeral = try await progress()
        #expect(
            ephemeral.verdict == .fail && ephemeral.message.hasPrefix("syslog input listening where no sender can reach it")
                && ephemeral.message.contains("udp 127.0.0.1: (port 0: the kernel picked "),
            "\(ephemeral.message)")
    }

    @Test("a collector stopped with SIGSTOP: the progress items say it is stopped, not that its files are being collected")
    func collectorStopped() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        let collector = try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        kill(collector.pid, SIGSTOP)
        defer { kill(collector.pid, SIGCONT) }
        try host.append(log, bytes: 5000)
        let report = await run(host, port)
        for item in ["logpath_progress", "pipeline_stall"] {
            let r = try #require(report.result(module: "log_progress", item: item))
            #expect(
                r.verdict == .unknown && r.message.hasPrefix("bkunifylogbeat is stopped (pid \(collector.pid)"), "\(item): \(r.message)")
        }
    }

    @Test("a log deleted while the stalled collector still holds it: its unread bytes are at risk")
    func deletedHeld() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .read)
        try host.append(log, bytes: 7000)
        unlink(log)
        let report = await run(host, port)
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.verdict == .fail, "\(risk.message)")
        #expect(risk.evidence("bytes_at_risk") == .int(7000))
        let first = try #require(risk.evidence("risks")?.arrayValue?.first)
        #expect(first["reason"] == .string("deleted_held") && first["path"] == .string(log) && first["position"] == .int(1000))
        #expect(first["fs_available"]?.intValue.map { $0 > 0 } == true)
        // Not yet stuck (written just now, samples 0.2 s apart: the harvester may be in its backoff), but pending
        // at the read hop, not "nothing pending".
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .pass, "\(stall.message)")
        #expect(!stall.message.contains("nothing pending") && stall.message.contains("6.8 KiB unread at the read hop"), "\(stall.message)")
        #expect(stall.evidence("read")?["unread_bytes"] == .int(7000) && stall.evidence("read")?["files_open"] == .int(1))
    }

    @Test(
        "a rotation that leaves no file under the paths (renamed to a dated name, then deleted or not): the held file is still the subscription's, by its registry state"
    )
    func rotatedAwayWithNoFileLeft() async throws {
        for deleted in [true, false] {
            let (host, port, log) = try host()
            defer { host.shutdown() }
            try host.startProgressCollector(follow: [log], stall: .read)
            try host.append(log, bytes: 7000)
            // A dated name no rotation rule ties to a file under the paths, since none is left there.
            let rotated = log + "-20261204"
            #expect(rename(log, rotated) == 0)
            if deleted { unlink(rotated) }
            let report = await run(host, port)
            let progress = try #require(report.result(module: "log_progress", item: "logpath_progress"))
            #expect(
                progress.verdict == .fail && progress.message.contains("but the collector still holds")
                    && progress.message.contains("\(rotated) (6.8 KiB unread"), "\(progress.message)")
            let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
            #expect(!stall.message.contains("nothing pending"), "\(stall.message)")
            #expect(stall.evidence("read")?["unread_bytes"] == .int(7000), "\(stall.evidence)")
            let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
            if deleted {
                let first = try #require(risk.evidence("risks")?.arrayValue?.first, "\(risk.message)")
                #expect(first["reason"] == .string("deleted_held") && first["path"] == .string(rotated), "\(first)")
                #expect(risk.evidence("bytes_at_risk") == .int(7000))
            }
        }
    }

    @Test("a log renamed into a name its own item excludes while the collector holds it is read on: not counted as skipped")
    func renamedIntoAnExcludedName() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*"], excludeFiles: [#"\.1$"#])
        try host.startProgressCollector(follow: [log], stall: .read)
        try host.append(log, bytes: 7000)
        #expect(rename(log, log + ".1") == 0)
        let report = await run(host, port)
        let progress = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(!progress.message.contains("skipped"), "\(progress.message)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.evidence("read")?["unread_bytes"] == .int(7000), "\(stall.message)")
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.evidence("excluded_files") == nil, "\(risk.evidence)")
    }

    @Test("a log renamed by a create-style rotation while the stalled collector still holds it: its unread bytes wait at the read hop")
    func renamedHeld() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log], stall: .read)
        try host.append(log, bytes: 7000)
        #expect(rename(log, log + ".1") == 0)
        try "".write(toFile: log, atomically: false, encoding: .utf8)
        let report = await run(host, port)
        // Written just now, samples 0.2 s apart: not yet stuck (the harvester may be in its backoff), but pending
        // at the read hop under its new name, not "nothing pending".
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .pass, "\(stall.message)")
        #expect(
            !stall.message.contains("nothing pending")
                && stall.message.contains("6.8 KiB unread at the read hop in \(log).1, renamed by a rotation and still held"),
            "\(stall.message)")
        let read = try #require(stall.evidence("read"))
        #expect(read["unread_bytes"] == .int(7000) && read["files_open"]?.intValue.map { $0 >= 1 } == true, "\(read)")
        #expect(read["renamed_held"]?.arrayValue?.first?["path"] == .string(log + ".1"), "\(read)")
    }

    /// logrotate's `compress` leaves `old.log.gz` beside the live log: the item's own exclude_files (by
    /// default) skips it. Not data at risk; counted with its bytes.
    @Test("files the collector's exclude_files skip are counted with their bytes, not at risk")
    func skipped() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*"])
        let gz = try host.makeLogFile("app/old.log.gz", content: String(repeating: "z", count: 300))
        try host.startProgressCollector(follow: [log])
        let report = await run(host, port)
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.verdict == .pass, "\(risk.message)")
        #expect(risk.evidence("excluded_files") == .object([("files", .int(1)), ("bytes", .int(300))]), "\(gz)")
    }

    /// NodeMan's template writes each `local` item with its own `exclude_files` (and `ignore_older`): one
    /// item's rules skip a file for that item alone. A file the first item excludes and a later item names is
    /// read by the later one: it is progress, stuck or not, never "skipped".
    @Test(
        "a file one item's exclude_files skips and another item reads is that item's progress: passing when acknowledged, failing when stuck"
    )
    func fileSkippedByOneItemIsReadByAnother() async throws {
        for stalled in [false, true] {
            let (host, port, log) = try host(registryFlush: "200ms")
            defer { host.shutdown() }
            try host.writeSubConfig(
                subscription: 33561, paths: [host.logDir + "/app/*.log"], excludeFiles: ["debug"],
                moreItems: [FakeHost.SubItem(paths: [host.logDir + "/app/debug*.log"])])
            let debug = try host.makeLogFile("app/debug.log", content: String(repeating: "d", count: 499) + "\n")
            try host.startProgressCollector(follow: [log, debug], stall: stalled ? .ack : nil)
            try waitAcknowledged(host, debug, 500)
            if stalled {
                // As in ackStall: past 3 flushes, then the appended bytes older than 3 flushes themselves.
                usleep(2_000_000)
                try host.append(debug, bytes: 3000)
                usleep(2_000_000)
            }
            let report = await run(host, port)
            let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
            let files = p.evidence("files")?.arrayValue ?? []
            let entry = try #require(files.first { $0["path"] == .string(debug) }, "\(p.message)")
            #expect(entry["status"] != .string("skipped"), "\(entry)")
            if stalled {
                #expect(p.verdict == .fail && p.message.contains("not acknowledged for more than 3 flushes"), "\(p.message)")
                #expect(entry["status"] == .string("ack_stalled"), "\(entry)")
                let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
                #expect(stall.verdict == .fail && stall.evidence("stuck_at") == .string("registry"), "\(stall.message)")
            } else {
                #expect(p.verdict == .pass, "\(p.message)")
                #expect(report.verdict("log_progress", "loss_risk") == .pass)
            }
        }
    }

    /// `harvester_limit` is each item's (each is an input of its own), though the template gives every item
    /// of the config one data id: a file waiting under an item with harvesters to spare is not at risk, and
    /// one waiting under an item whose harvesters are all taken is, whichever item comes first.
    @Test("harvester_limit counts the files of its own item, not of every item sharing the data id")
    func harvesterLimitIsPerItem() async throws {
        for limitedItem in [0, 1] {
            let (host, port, _) = try host()
            defer { host.shutdown() }
            let limit = ["harvester_limit: 1"]
            try host.writeSubConfig(
                subscription: 33561, paths: [host.logDir + "/h/a*.log"], extra: limitedItem == 0 ? limit : [],
                moreItems: [FakeHost.SubItem(paths: [host.logDir + "/h/b*.log"], extra: limitedItem == 1 ? limit : [])])
            let a1 = try host.makeLogFile("h/a1.log", content: String(repeating: "a", count: 99) + "\n")
            let b1 = try host.makeLogFile("h/b1.log", content: String(repeating: "b", count: 99) + "\n")
            try host.startProgressCollector(follow: [a1, b1])
            try waitAcknowledged(host, a1, 100)
            try waitAcknowledged(host, b1, 100)
            // A new file of item 1 that no harvester holds yet.
            let b2 = try host.makeLogFile("h/b2.log", content: String(repeating: "n", count: 210) + "\n")
            let report = await run(host, port)
            let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
            let limited = (risk.evidence("risks")?.arrayValue ?? []).filter { $0["reason"] == .string("harvester_limit") }
            if limitedItem == 0 {
                // Item 0's one harvester holds a1.log; item 1 has 1,000: b2.log waits only for the next scan.
                #expect(limited.isEmpty, "\(risk.message) \(b2)")
            } else {
                #expect(risk.verdict == .warn && limited.count == 1, "\(risk.message)")
                #expect(limited.first?["files_open"] == .int(1) && limited.first?["harvester_limit"] == .int(1), "\(limited)")
                #expect(limited.first?["item"]?.stringValue?.hasSuffix("item 1") == true, "\(limited)")
                #expect(limited.first?["bytes"] == .int(211), "\(limited)")
            }
        }
    }

    /// A file no harvester holds, with no registry state, kept waiting by a full `harvester_limit`: the running
    /// input starts it from offset 0 once a harvester is free (`tail_files` applies to an input's first scan
    /// only, and the fork's v7.1.51 scan does not tail a file the limit kept from starting), so its bytes are
    /// the limit's risk alone, not also a `tail_files` one (counted twice, they were double the file).
    @Test("a never-found file waiting for a harvester under harvester_limit is counted once, as harvester_limit")
    func harvesterLimitNotAlsoTailFiles() async throws {
        let (host, port, _) = try host()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/h/*.log"], extra: ["harvester_limit: 1"])
        let a1 = try host.makeLogFile("h/a1.log", content: String(repeating: "a", count: 99) + "\n")
        try host.startProgressCollector(follow: [a1])
        try waitAcknowledged(host, a1, 100)
        // Written two minutes ago and never opened: older than a scan and two flushes, so never collected.
        let b = try host.makeLogFile("h/b.log", content: String(repeating: "n", count: 210) + "\n")
        var times = [timespec(tv_sec: time(nil) - 120, tv_nsec: 0), timespec(tv_sec: time(nil) - 120, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, b, &times, 0) == 0)
        let report = await run(host, port)
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        let risks = risk.evidence("risks")?.arrayValue ?? []
        #expect(risk.verdict == .warn, "\(risk.message)")
        #expect(risks.filter { $0["reason"] == .string("harvester_limit") }.first?["bytes"] == .int(211), "\(risks)")
        #expect(!risks.contains { $0["reason"] == .string("tail_files") }, "\(risks)")
        #expect(risk.evidence("bytes_at_risk") == .int(211), "\(risk.message)")
    }

    /// Another subscription's task reads the same file (the collector acknowledges it there): that is not
    /// this subscription's progress, whose only item the collector refuses.
    @Test("the files of an item the collector refuses are skipped for that reason, all their bytes at risk, and nothing is progress")
    func refusedItemSkipped() async throws {
        let (host, port, _) = try host()
        defer { host.shutdown() }
        let other = try host.makeLogFile("refused/b.log", content: String(repeating: "r", count: 500))
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/refused/*.log"], extra: ["ignore_older: '0s'"])
        try host.startProgressCollector(follow: [other])
        try waitAcknowledged(host, other, 500)
        let report = await run(host, port)
        let progress = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(progress.verdict == .fail && progress.message.contains("refuses"), "\(progress.message)")
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        let risks = risk.evidence("risks")?.arrayValue ?? []
        let mine = try #require(risks.first { $0["path"] == .string(other) }, "\(risk.message)")
        #expect(mine["reason"] == .string("item_refused") && mine["bytes"] == .int(500), "\(mine)")
        #expect(mine["rule"]?.stringValue?.hasPrefix("item refused by the collector") == true, "\(mine)")
        #expect(
            risk.message.hasSuffix("may not be collected: item_refused") && risk.hint.contains("bkunifylogbeat/config"), "\(risk.message)")
    }

    /// bk-log's JOB call passes the collection item's paths (-l). On the host the subscription's only item is one
    /// the collector refuses (here NodeMan rendered it with no `paths`, or with dataid 0 on another directory): no
    /// task runs for the subscription, so nothing -l matches is its progress, even while a task the collector has
    /// not dropped yet (no reload since) still reads the files. Without -l this already failed; with -l it passed
    /// "2 file(s) acknowledged up to their size".
    @Test(
        "-l paths of a subscription whose every item the collector refuses, none naming them: nothing is collected, as without -l")
    func everyItemRefusedAsked() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        let asked = [host.logDir + "/app/*.log"]
        try host.writeSubConfig(subscription: 33561, paths: [])
        var report = await runChecks(host, logPaths: asked, dataPort: port)
        var progress = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            progress.verdict == .fail && progress.message.contains("the collector refuses its item(s)")
                && progress.message.contains("no paths"), "\(report.digest)")
        #expect(report.verdict("log_progress", "loss_risk") == .warn, "\(report.digest)")
        #expect(report.verdict("log_progress", "pipeline_stall") == .unknown, "\(report.digest)")
        // A refused item naming other files (dataid 0): -l's files are not the subscription's either.
        try host.makeLogFile("other/z.log")
        try host.writeSubConfig(subscription: 33561, dataid: 0, paths: [host.logDir + "/other/*.log"])
        report = await runChecks(host, logPaths: asked, dataPort: port)
        progress = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            progress.verdict == .fail && progress.message.contains("the collector refuses its item(s)")
                && progress.message.contains("dataid 0"), "\(report.digest)")
        #expect(report.verdict("log_progress", "loss_risk") == .warn, "\(report.digest)")
        // The refused item names -l's files: they are named with it, as before.
        try host.writeSubConfig(subscription: 33561, dataid: 0, paths: asked)
        report = await runChecks(host, logPaths: asked, dataPort: port)
        #expect(
            report.message("log_progress", "logpath_progress").hasPrefix("no file is collected: 1 named by an item the collector refuses"),
            "\(report.digest)")
        // One item the collector takes, whatever it names: -l's files are judged as before.
        try host.writeSubConfig(
            subscription: 33561, paths: [host.logDir + "/other/*.log"], moreItems: [FakeHost.SubItem(paths: [host.logDir + "/app/*.log"])])
        report = await runChecks(host, logPaths: asked, dataPort: port)
        #expect(report.verdict("log_progress", "logpath_progress") == .pass, "\(report.digest)")
    }

    @Test("resource_limit configured: the collector's cgroup on this host is compared with it")
    func resources() async throws {
        let (host, port, log) = try host(resourceLimit: true)
        defer { host.shutdown() }
        let collector = try host.startProgressCollector(follow: [log])
        let report = await run(host, port)
        let r = try #require(report.result(module: "log_progress", item: "collector_resources"))
        // The fake collector is not libgse: nothing applies the limit, and the item says so for this kernel's cgroup version.
        #expect(r.verdict == .warn && r.message.contains("resource_limit is enabled but"), "\(r.message)")
        let mine = try #require(r.evidence("pid_\(collector.pid)"))
        #expect(mine["fds"]?.intValue.map { $0 > 0 } == true)
        #expect(r.evidence("configured")?["cpu"] == .double(0.4))
    }

    @Test(
        "a log the collector's user may not read fails logpath_progress and loss_risk, naming why; the collector as root reads it",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func notReadableByTheCollector() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        // Written by an application as root, 0600: the collector, running as nobody, cannot open it.
        let secret = try host.makeLogFile("app/secret.log", content: "a line\n")
        #expect(chmod(secret, 0o600) == 0)
        try host.startProgressCollector(follow: [log], asNobody: true)
        try waitAcknowledged(host, log, 1000)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            p.verdict == .fail
                && p.message
                    == "1 file(s) the collector may not open, 7 B not collected: uid 65534 may not read file \(secret) (mode 0600, owner 0:0)",
            "\(p.message)")
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.verdict == .fail && risk.message.contains("permission_denied"), "\(risk.message)")
        // The hop that stops it is the read: the collector cannot open the file.
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.verdict == .fail && stall.message.contains("\(secret) (7 B) cannot be opened by the collector"), "\(stall.message)")
        // With the path asked about (-l) as check.py's logpath_match: not collected, and why.
        let asked = await runChecks(host, logPaths: [secret], dataPort: port, sampleGap: 0.2)
        let match = try #require(asked.result(module: "log_path", item: "logpath_match"))
        #expect(
            match.verdict == .fail
                && match.message == "以下路径的文件采集器无权打开，不会采集: \(secret)（uid 65534 may not read file \(secret) (mode 0600, owner 0:0)）",
            "\(match.message)")
        // Readable to it: judged as any other file (here one it has not found yet).
        #expect(chmod(secret, 0o644) == 0)
        let readable = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(!readable.message.contains("may not open"), "\(readable.message)")
        // Readable, in a directory it may enter but not read (0711): its glob (app/*.log) never finds it.
        let dir = (secret as NSString).deletingLastPathComponent
        #expect(chmod(dir, 0o711) == 0)
        defer { chmod(dir, 0o755) }
        let unlisted = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(
            unlisted.verdict == .fail && unlisted.message.hasSuffix("uid 65534 may not list directory \(dir) (mode 0711, owner 0:0)"),
            "\(unlisted.message)")
        // Asked about (-l) by another way in, through a directory it may not list (0711): the collector finds
        // the file by its config's pattern, which lists only app/ (open again), so -l's way is not judged.
        #expect(chmod(dir, 0o755) == 0)
        let side = host.dir + "/side"
        try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: side + "/lnk", withDestinationPath: dir)
        #expect(chmod(side, 0o711) == 0)
        let other = await runChecks(host, logPaths: [side + "/*/secret.log"], dataPort: port, sampleGap: 0.2)
        for item in ["logpath_progress", "pipeline_stall", "loss_risk"] {
            let message = other.message("log_progress", item)
            #expect(!message.contains("uid 65534 may not") && !message.contains("permission_denied"), "\(item): \(message)")
        }
        #expect(!other.message("log_path", "logpath_match").contains("无权"), "\(other.message("log_path", "logpath_match"))")
    }

    @Test("a log truncated below what the collector acknowledged is named, and rotation (rename, new file) names the old inode")
    func truncatedAndRotated() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        // copytruncate: the file shrinks under the collector's acknowledged offset. Just cut, it is pending (the
        // harvester notices within its backoff); the fake collector never notices, so once the cut is older
        // than the backoff and a flush (its mtime set back a minute) its harvester is stuck past the new end: the
        // read hop fails, naming the cut, and loss_risk counts the truncation.
        try "fresh\n".write(toFile: log, atomically: false, encoding: .utf8)
        let justCut = try #require(await run(host, port).result(module: "log_progress", item: "logpath_progress"))
        #expect(!justCut.message.contains("truncated"), "\(justCut.message)")
        var times = [timespec(tv_sec: time(nil) - 60, tv_nsec: 0), timespec(tv_sec: time(nil) - 60, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, log, &times, 0) == 0)
        let truncated = await run(host, port)
        let p = try #require(truncated.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            p.verdict == .fail && p.message.contains("\(log) (cut below its acknowledged offset, the cut not noticed)"), "\(p.message)")
        let risk = try #require(truncated.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.evidence("risks")?.arrayValue?.contains { $0["reason"] == .string("truncated") } == true, "\(risk.message)")

        // create-style rotation: the old inode is renamed away, a new file takes the name.
        rename(log, log + ".1")
        try "new file\n".write(toFile: log, atomically: false, encoding: .utf8)
        let rotated = await run(host, port)
        let r = try #require(rotated.result(module: "log_progress", item: "logpath_progress"))
        #expect(r.message.contains("rotated (an older inode is still in the registry): \(log)"), "\(r.message)")
        let file = try #require(r.evidence("files")?.arrayValue?.first { $0["path"] == .string(log) })
        #expect(file["rotated_from"]?.arrayValue?.isEmpty == false)
    }

    @Test("file_identifier path in the main config: after a rotation the new file is judged by the path's state, its first bytes at risk")
    func pathIdentifierRotation() async throws {
        let host = try FakeHost(generation: .gse1)
        try host.writeMainConfig(fileIdentifier: "path")
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let log = try host.makeLogFile("app/a.log", content: String(repeating: "x", count: 999) + "\n")
        let (_, port) = try host.startDataserver()
        try host.startAgent(read: true, dataPort: port)
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        // create-style rotation: the old inode renamed away, a longer new file under the name.
        rename(log, log + ".1")
        try (String(repeating: "y", count: 2999) + "\n").write(toFile: log, atomically: false, encoding: .utf8)
        let report = await run(host, port)
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        let reused = risk.evidence("risks")?.arrayValue?.first { $0["reason"] == .string("path_reused") }
        #expect(reused?["bytes"] == .int(1000), "\(risk.message)")
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.message.contains("path reused") && p.message.contains(log), "\(p.message)")
    }

    @Test(
        "a registry deleted while the collector holds it: its progress is lost at the next start, a fail (not 'no registry where path.data says')"
    )
    func registryDeletedUnderCollector() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        // Writes the registry once and keeps it open (flock), as bolt does.
        let collector = try host.startProgressCollector(follow: [log], stall: .registry)
        unlink(host.registryPath)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(
            p.verdict == .fail
                && p.message.hasPrefix("the registry \(host.registryPath) was deleted while the collector (pid \(collector.pid))"),
            "\(p.message)")
        #expect(report.verdict("log_progress", "loss_risk") == .fail)
        #expect(report.verdict("log_progress", "pipeline_stall") == .warn, "\(report.message("log_progress", "pipeline_stall"))")
    }

    @Test("a collector with no registry where path.data says: progress cannot be measured, a warn that leaves the host's status true")
    func noRegistry() async throws {
        let (host, port, _) = try host()
        defer { host.shutdown() }
        try host.startCollector()
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .warn && p.message.hasPrefix("no registry at \(host.registryPath)"), "\(p.message)")
        #expect(report.status, "\(report.digest)")
    }

    @Test("no collector running: the progress items are unknown, not failed twice over, and nothing waits for a second sample")
    func noCollector() async throws {
        let (host, port, _) = try host()
        defer { host.shutdown() }
        let report = await run(host, port, gap: 3)
        for item in ["logpath_progress", "pipeline_stall", "loss_risk", "collector_resources"] {
            #expect(report.verdict("log_progress", item) == .unknown, "\(item)")
        }
        // Nothing could have moved: one sample, no wait for the gap.
        #expect(report.result(module: "log_progress", item: "pipeline_stall")?.evidence("sample_gap_s") == nil)
    }

    @Test(
        "the daemon's baseline: the second run compares with the first instead of waiting; a baseline younger than the gap waits out the rest"
    )
    func baseline() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        try host.startProgressCollector(follow: [log])
        let baseline = ProgressBaseline()
        // The gap can be no longer than the time from before the first run to after the second (a loaded
        // machine stretches both runs: a fixed bound such as 120 s failed there).
        let started = Date()
        let first = await run(host, port, gap: 0, baseline: baseline)
        #expect(first.result(module: "log_progress", item: "pipeline_stall")?.evidence("sample_gap_s") == nil)
        usleep(300_000)
        let second = await run(host, port, gap: 0, baseline: baseline)
        let elapsed = Date().timeIntervalSince(started)
        let gap = try #require(second.result(module: "log_progress", item: "pipeline_stall")?.evidence("sample_gap_s")?.doubleValue)
        #expect(gap >= 0.3 && gap <= elapsed + 0.01, "\(gap) of \(elapsed) s")
        // A baseline younger than the sample gap (a POST /run right after a cycle) waits out the rest.
        let third = await run(host, port, gap: 0.6, baseline: baseline)
        let waited = try #require(third.result(module: "log_progress", item: "pipeline_stall")?.evidence("sample_gap_s")?.doubleValue)
        #expect(waited >= 0.6, "\(waited)")
    }

    @Test(
        "close_inactive '86400s' (bk-log takes any value, NodeMan renders it as given) is held as 5 minutes: bytes read by a harvester that closed since, never acknowledged, are the output's, not the read hop's"
    )
    func closeInactiveCappedAtFiveMinutes() async throws {
        let (host, port, log) = try host(registryFlush: "200ms")
        defer { host.shutdown() }
        // The sub config says close_inactive '86400s'; bkunifylogbeat's config/input/log.go sets it back to 5m.
        let conf = try String(contentsOfFile: host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf", encoding: .utf8)
        #expect(conf.contains("close_inactive: '86400s'"))
        // It reads and acknowledges the first 1000 bytes, reads the next 3000 without an acknowledgement (its
        // output stuck), then closes the file as a harvester does at close_inactive.
        try host.startProgressCollector(follow: [log], stall: .ack, closeAfterMs: 700)
        try host.append(log, bytes: 3000)
        usleep(1_500_000)
        // The last write 400 s ago: past the 5 minutes a harvester that read it keeps the file, so its closing
        // says nothing about the read hop.
        try host.backdate(log, seconds: 400)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        let file = try #require(p.evidence("files")?.arrayValue?.first)
        #expect(file["read"] == nil && file["acknowledged"] == .int(1000) && file["size"] == .int(4000), "\(file)")
        #expect(file["status"] == .string("ack_stalled"), "\(p.message)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.evidence("stuck_at") == .string("registry"), "\(stall.message)")
    }

    @Test(
        "a harvester blocked on its output stops reading with a line read and never acknowledged: the output's hop is named, not the read's"
    )
    func harvesterBlockedOnOutput() async throws {
        let (host, port, log) = try host(registryFlush: "200ms")
        defer { host.shutdown() }
        // Reads and acknowledges the first 1000 bytes; then reads one 16 KiB buffer of what follows, hands its
        // first line to an output that never takes it, and reads nothing more.
        try host.startProgressCollector(follow: [log], stall: .output)
        try host.append(log, bytes: 100_000)
        usleep(1_500_000)
        // Written a minute ago: past the harvester's longest backoff, so its position behind the end is not a wait.
        try host.backdate(log, seconds: 60)
        let report = await run(host, port)
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        let file = try #require(p.evidence("files")?.arrayValue?.first)
        #expect(
            file["read"] == .int(1000 + 16384) && file["acknowledged"] == .int(1000) && file["size"] == .int(101_000), "\(file)")
        #expect(file["status"] == .string("ack_stalled"), "\(p.message)")
        #expect(p.verdict == .fail && p.message.contains("not acknowledged for more than 3 flushes"), "\(p.message)")
        let stall = try #require(report.result(module: "log_progress", item: "pipeline_stall"))
        #expect(stall.evidence("stuck_at") == .string("registry"), "\(stall.message)")
    }

    @Test(
        "a file aged past ignore_older with no registry state, last written before the collector's clean_inactive: its state was dropped, its bytes are not at risk"
    )
    func agedOutStateDropped() async throws {
        let (host, port, log) = try host()
        defer { host.shutdown() }
        // Written 300 days ago: the template's item sets no ignore_older (168h) and no clean_inactive, so
        // bkunifylogbeat keeps a state 24h + 10s + 180 days after its last update, and this one's went long ago.
        let old = try host.makeLogFile("app/old.log", content: String(repeating: "o", count: 4999) + "\n")
        try host.backdate(old, seconds: 300 * 86400)
        try host.startProgressCollector(follow: [log])
        try waitAcknowledged(host, log, 1000)
        let report = await run(host, port)
        let risk = try #require(report.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.verdict == .pass, "\(risk.message)")
        #expect(risk.evidence("bytes_at_risk") == .int(0))
        #expect(risk.evidence("aged_out_state_dropped") == .object([("files", .int(1)), ("bytes", .int(5000))]))
        #expect(risk.message.contains("1 file(s) aged past ignore_older"), "\(risk.message)")
        // Aged out 30 days ago, within the time a state is kept: no state means it was never collected.
        let mid = try host.makeLogFile("app/mid.log", content: String(repeating: "m", count: 699) + "\n")
        try host.backdate(mid, seconds: 30 * 86400)
        let again = await run(host, port)
        let risk2 = try #require(again.result(module: "log_progress", item: "loss_risk"))
        #expect(risk2.verdict == .warn && risk2.evidence("bytes_at_risk") == .int(700), "\(risk2.message)")
    }

    @Test("clean_inactive as bkunifylogbeat sets it: below ignore_older + scan_frequency raised by an hour, none their sum + 180 days")
    func heldCleanInactive() throws {
        func held(_ yaml: String) throws -> Double? { CollectorFileRules.Item.heldCleanInactive(try YAMLNode.parse(yaml)) }
        let month = 2_678_400.0
        // bk-log's default ignore_older (31 days), NodeMan's template's scan_frequency, no clean_inactive.
        #expect(try held("ignore_older: '2678400s'\nscan_frequency: '10s'\n") == month + 10 + 180 * 86400)
        #expect(try held("ignore_older: '2678400s'\nscan_frequency: '10s'\nclean_inactive: '86400s'\n") == month + 10 + 3600)
        #expect(try held("ignore_older: '2678400s'\nscan_frequency: '10s'\nclean_inactive: '31536000s'\n") == 31_536_000)
        // No ignore_older: that function's own default, 24h.
        #expect(try held("scan_frequency: '10s'\n") == 86400 + 10 + 180 * 86400)
        #expect(try held("ignore_older: 'soon'\n") == nil)
    }

    @Test("close_inactive as the collector holds it: above 5 minutes set back to 5, null the fork's 5 minutes, below zero 0")
    func heldCloseInactive() throws {
        func held(_ value: String) throws -> Double? {
            let yaml = try YAMLNode.parse("close_inactive: \(value)\n")
            return CollectorFileRules.Item.heldCloseInactive(yaml)
        }
        #expect(try held("'86400s'") == 300)
        #expect(try held("'301s'") == 300)
        #expect(try held("'120s'") == 120)
        #expect(try held("60") == 60)
        #expect(try held("null") == 300)
        #expect(try held("'-5s'") == 0)
        #expect(try held("'soon'") == nil)
        #expect(CollectorFileRules.Item.heldCloseInactive(try YAMLNode.parse("scan_frequency: 10s\n")) == nil)
    }

    @Test("the bytes after an offset are read to tell a line still being written from complete ones")
    func unterminatedTail() throws {
        let path = NSTemporaryDirectory() + "bkdiag-tail-\(UUID().uuidString.prefix(6)).log"
        try "done\nbackup start ... ".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        var budget = 1 << 20
        #expect(ProgressProbe.unterminated(path, from: 5, to: 21, budget: &budget) == true)
        #expect(ProgressProbe.unterminated(path, from: 0, to: 21, budget: &budget) == false)
        #expect(ProgressProbe.unterminated(path, from: 5, to: 4096, budget: &budget) == nil, "shorter than the stat said: not judged")
        #expect(ProgressProbe.unterminated(path + ".gone", from: 0, to: 1, budget: &budget) == nil)
        // A long line still being written is read in steps until the budget runs out: then not judged.
        let long = path + ".long"
        try String(repeating: "x", count: 20_000).write(toFile: long, atomically: true, encoding: .utf8)
        defer { unlink(long) }
        var small = 8192
        #expect(ProgressProbe.unterminated(long, from: 0, to: 20_000, budget: &small) == nil && small < 4096)
        var enough = 1 << 20
        #expect(ProgressProbe.unterminated(long, from: 0, to: 20_000, budget: &enough) == true && enough == (1 << 20) - 20_000)
    }
}
