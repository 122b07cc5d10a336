import Diagnostics
import Foundation
import HostProbe
import Report
import TestSupport
import Testing

/// Single breakages of a healthy host that a sweep of `bkdiag --once` found passed silently or named wrongly:
/// each is named by the item an operator looks at, with a message that says what is broken.
@Suite("Single breakages")
struct BreakageScenarioTests {
    @Test("GSE 1: an agentWorker left without its gseMaster warns in gse_agent/process; with both it passes")
    func workerWithoutMaster() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let (_, port) = try host.startDataserver()
        let master = try host.startAgent(dataPort: port)
        let before = await runChecks(host, subscription: 0, dataPort: port)
        #expect(before.verdict("gse_agent", "process") == .pass, "\(before.message("gse_agent", "process"))")
        master.stop()
        let report = await runChecks(host, subscription: 0, dataPort: port)
        let r = try #require(report.result(module: "gse_agent", item: "process"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(r.message.hasPrefix("agentWorker is running but no gseMaster"), "\(r.message)")
        #expect(r.hint.contains("gsectl restart"), "\(r.hint)")
    }

    @Test("a subscription config whose mtime is ahead of the clock is named as clock skew, not as a config never reloaded")
    func configTimeInFuture() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let config = host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf"
        try host.backdate(config, seconds: -10 * 365 * 86400)
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(r.message.contains("after this host's current time (clock skew)"), "\(r.message)")
        #expect(!r.message.contains("not reloaded"), "\(r.message)")
        // A config changed now, seconds after the collector started, is still one it has not loaded.
        sleep(5)
        try host.backdate(config, seconds: 0)
        let recent = await runChecks(host, dataPort: port)
        #expect(recent.message("bkunifylogbeat", "config").contains("changed after the collector started and not reloaded"))
    }

    @Test(
        "a running collector whose binary was replaced by something that cannot start is not an upgrade",
        arguments: ["directory", "loop", "empty", "script"])
    func binaryReplacedByUnusable(kind: String) async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try FileManager.default.removeItem(atPath: host.collectorBinary)
        if kind == "directory" {
            try FileManager.default.createDirectory(atPath: host.collectorBinary, withIntermediateDirectories: false)
        } else if kind == "loop" {
            #expect(symlink(host.collectorBinary, host.collectorBinary) == 0)
        } else {
            let text = kind == "empty" ? "" : "#!/bin/sh\nexit 0\n"
            try text.write(toFile: host.collectorBinary, atomically: false, encoding: .utf8)
            #expect(chmod(host.collectorBinary, 0o755) == 0)
        }
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(!r.message.contains("upgraded"), "\(r.message)")
        #expect(r.message.contains("cannot start again"), "\(r.message)")
        // The message names what bin_file found.
        let binFile = try #require(report.result(module: "bkunifylogbeat", item: "bin_file"))
        #expect(binFile.verdict != .pass)
        #expect(r.message.contains("(bin_file: \(binFile.message))"), "\(r.message)")
    }

    @Test("a running collector whose binary was replaced by a program without its execute bit, NodeMan's start.sh beside it, was upgraded")
    func binaryReplacedWithoutExecuteBit() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let program = try #require(FileManager.default.contents(atPath: host.collectorBinary))
        try FileManager.default.removeItem(atPath: host.collectorBinary)
        try program.write(to: URL(fileURLWithPath: host.collectorBinary))
        #expect(chmod(host.collectorBinary, 0o644) == 0)
        try "#!/bin/bash\nchmod +x ./bkunifylogbeat\n".write(
            toFile: host.gseRoot + "/plugins/bin/start.sh", atomically: false, encoding: .utf8)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "bin_file") == .warn, "\(report.message("bkunifylogbeat", "bin_file"))")
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(
            r.verdict == .warn && r.message.hasPrefix("bkunifylogbeat runs a deleted binary (upgraded without restart)"), "\(r.message)")
    }

    @Test("a collector whose binary was renamed aside and a new one installed (no restart) is named by process; a symlinked binary is not")
    func collectorFromRenamedBinary() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        // Started as installed, then the upgrade: the old file renamed aside, a new one copied in its place.
        let aside = host.collectorBinary + ".bak"
        try? FileManager.default.removeItem(atPath: host.collectorBinary)
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: host.collectorBinary)
        let p = try host.spawn(host.collectorBinary, ["collector", "--ipc", host.ipcPath], cwd: host.gseRoot + "/plugins/bin")
        #expect(rename(host.collectorBinary, aside) == 0)
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: host.collectorBinary)
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(
            r.message.hasPrefix("bkunifylogbeat (pid \(p.pid)) runs \(aside), not the installed \(host.collectorBinary) (an upgrade"),
            "\(r.message)")
        // The installed path a symlink to the file that runs: the same binary, no warning.
        try FileManager.default.removeItem(atPath: host.collectorBinary)
        try FileManager.default.createSymbolicLink(atPath: host.collectorBinary, withDestinationPath: aside)
        let linked = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "process"))
        #expect(!linked.message.contains("not the installed"), "\(linked.message)")
    }

    @Test("a collector run from plugins/bin but from another file than the installed binary is named by process")
    func collectorFromAnotherFile() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        let copy = host.dir + "/opt/bkunifylogbeat"
        try FileManager.default.createDirectory(atPath: host.dir + "/opt", withIntermediateDirectories: true)
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: copy)
        let p = try host.spawn(copy, ["collector", "--ipc", host.ipcPath], cwd: host.gseRoot + "/plugins/bin")
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .warn, "\(r.message)")
        #expect(
            r.message.hasPrefix("bkunifylogbeat (pid \(p.pid)) runs \(copy), not the installed \(host.collectorBinary)"), "\(r.message)")
    }
}
