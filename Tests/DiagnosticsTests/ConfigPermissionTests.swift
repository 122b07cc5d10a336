import Foundation
import Report
import SystemLayer
import TestSupport
import Testing

@testable import Diagnostics

#if canImport(Glibc)
    import Glibc
#endif

/// libbeat's strict permission check (`StrictPerms`): the collector loads no config owned by another user than
/// root or its own, or writable by its group or others — the main config then stops its start, a subscription
/// config is skipped whole.
@Suite("config owner and mode (libbeat strict.perms)")
struct ConfigPermissionTests {
    @Test("the rule: root's or the collector's own file, writable by its owner alone")
    func rule() {
        func why(uid: UInt32, mode: UInt32, euid: UInt32 = 0) -> String? {
            StrictPerms.refusal(FileStat(mode: 0o100000 | mode, uid: uid), euid: euid)
        }
        #expect(why(uid: 0, mode: 0o644) == nil)
        #expect(why(uid: 0, mode: 0o600) == nil)
        // Read or execute bits for others are fine; a write bit is not.
        #expect(why(uid: 0, mode: 0o755) == nil)
        #expect(why(uid: 0, mode: 0o664)?.contains("mode -rw-rw-r-- lets its group write it") == true)
        #expect(why(uid: 0, mode: 0o646)?.contains("mode -rw-r--rw- lets others write it") == true)
        #expect(why(uid: 0, mode: 0o666)?.contains("lets its group and others write it") == true)
        // Owned by the collector's user: loaded; by anyone else but root: refused.
        #expect(why(uid: 1001, mode: 0o644, euid: 1001) == nil)
        #expect(
            why(uid: 1002, mode: 0o644, euid: 1001)?.contains("owned by uid 1002, neither root nor the collector's user (uid 1001)") == true
        )
        #expect(why(uid: 1001, mode: 0o644)?.contains("owned by uid 1001, neither root nor the collector's user (uid 0)") == true)
        #expect(why(uid: 0, mode: 0o644, euid: 1001) == nil)
        #expect(StrictPerms.modeText(0o751) == "-rwxr-x--x")
    }

    @Test("the user configs are judged against: the running collector's, else the agent's, else root")
    func loadUser() {
        let f = Fixture.facts(subscription: 7)
        #expect(f.collectorLoadUID == 0)
        f.processes = .success([Fixture.agent(50)])
        f.effectiveUIDs = [50: 1001, 100: 1002]
        #expect(f.collectorLoadUID == 1001)
        f.processes = .success([Fixture.agent(50), Fixture.collector()])
        #expect(f.collectorLoadUID == 1002)
        // This process's own, read from the live /proc.
        let live = LiveHostFacts(options: CheckOptions(subscriptionID: 7))
        #expect(live.effectiveUID(of: getpid()) == geteuid())
    }

    @Test("a subscription or main config writable by others, or owned by another user, is refused; fixed, it passes")
    func refusedConfigs() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let logs = [host.logDir + "/app/*.log"]
        var report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")
        let names = try FileManager.default.contentsOfDirectory(atPath: host.subConfigDir).filter { $0.hasSuffix(".conf") }
        #expect(names.count == 1)
        let sub = host.subConfigDir + "/" + names[0]

        // Pushed with umask 000: skipped whole, and said why, with the fix.
        #expect(chmod(sub, 0o666) == 0)
        report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail, "\(report.digest)")
        #expect(
            report.message("bkunifylogbeat", "config").contains(
                "mode -rw-rw-rw- lets its group and others write it: libbeat refuses to load it"), "\(report.digest)")
        #expect(report.result(module: "bkunifylogbeat", item: "config")?.hint.contains("chmod go-w") == true, "\(report.digest)")
        #expect(chmod(sub, 0o644) == 0)
        report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")

        // Owned by another user than root and the collector's (root here): refused too.
        if geteuid() == 0 {
            #expect(chown(sub, 65534, 0) == 0)
            report = await runChecks(host, logPaths: logs, dataPort: port)
            #expect(report.verdict("bkunifylogbeat", "config") == .fail, "\(report.digest)")
            #expect(
                report.message("bkunifylogbeat", "config").contains("owned by uid 65534, neither root nor the collector's user (uid 0)"),
                "\(report.digest)")
            #expect(chown(sub, 0, 0) == 0)
        }

        // The main config group-writable: the collector does not start with it.
        #expect(chmod(host.mainConfigPath, 0o664) == 0)
        report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail, "\(report.digest)")
        let main = report.message("bkunifylogbeat", "main_config")
        #expect(main.hasPrefix("the collector cannot start with this main config: \(host.mainConfigPath): mode -rw-rw-r--"), "\(main)")
        // The running collector started before the change: it runs on until it stops.
        #expect(main.contains("started before this: it cannot start again once it stops"), "\(main)")
        #expect(chmod(host.mainConfigPath, 0o644) == 0)
        report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")

        // A hand-added `path:` mapping beside the template's `path.data`: both set path.data, and the loader
        // fails on it in the orders Go often takes (go-ucfg v0.7.0: about half of the loads).
        let text = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        try (text + "\npath:\n  data: /tmp/other\n").write(toFile: host.mainConfigPath, atomically: true, encoding: .utf8)
        report = await runChecks(host, logPaths: logs, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail, "\(report.digest)")
        #expect(
            report.message("bkunifylogbeat", "main_config").contains("the keys `path.data` and `path` clash"), "\(report.digest)")
    }
}
