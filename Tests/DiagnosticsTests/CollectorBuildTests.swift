import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

@Suite("Rules that differ between collector versions, judged by the build its binary records")
struct CollectorBuildTests {
    @Test("a bkunifylogbeat version tells whether the filters take more than = and != only where it can")
    func versions() {
        let table: [(String, Bool?)] = [
            // The Makefile's <VERSION file>.<commit>: 7.3 and 7.5 are older, 7.7 newer, 7.6 spans the change.
            ("7.3.5d2e8f1", false), ("7.5.a1b2c3d", false), ("7.6.abc1234", nil), ("7.6.abc1234-dev", nil),
            ("7.7.11148c4", true), ("7.7.2257405", true), ("7.7.11148c4-dev", true),
            // Tag-style versions, against 7.7.1-rc.18, the first tag with the operators.
            ("7.6.1-rc.10", false), ("7.7.1-rc.17", false), ("7.7.1-rc.18", true), ("7.7.2-rc.10", true), ("7.7.3-rc.21", true),
            ("v7.3.0.99", false), ("v7.3.0.rc93", false), ("8.0.0", true),
            // Nothing to go by: main.go's default, text, an unknown 7.7.1 suffix.
            ("7.2.1", nil), ("unknown", nil), ("7.7.1-beta", nil), ("", nil),
        ]
        for (version, expected) in table {
            #expect(CollectorBuild.extendedFilterOperators(version: version) == expected, "\(version)")
        }
        #expect(CollectorBuild(GoBinaryInfo(goVersion: "go1.21.13", mainVersion: nil)).angleNamedGroups == false)
        #expect(CollectorBuild(GoBinaryInfo(goVersion: "go1.22.0", mainVersion: nil)).angleNamedGroups == true)
        #expect(CollectorBuild(GoBinaryInfo(goVersion: "go1.24.11", mainVersion: nil)).angleNamedGroups == true)
        #expect(CollectorBuild(nil) == .unknown)
    }

    static let filterItem =
        "local:\n  - dataid: 5\n    paths: ['/a.log']\n    delimiter: '|'\n    filters:\n     - conditions:\n         - index: -1\n           key: 'ERROR'\n           op: 'include'\n"
    static let namedGroupItem =
        "local:\n  - dataid: 5\n    paths: ['/a.log']\n    multiline.pattern: '^(?<year>\\d{4})-'\n    multiline.negate: true\n    multiline.match: after\n"

    func config(_ text: String, build: GoBinaryInfo?) -> Finding {
        let h = Fixture.facts(subscription: 7)
        Fixture.subscriptionConfigs(h, yaml: [("bkunifylogbeat_sub_7_host_0.conf", text)])
        h.collectorBuild = build
        return SubscriptionConfigCheck().run(h)
    }

    @Test("a filter operator and a (?<name> group are refused by the builds that do not know them, and taken otherwise")
    func rules() {
        let old = GoBinaryInfo(goVersion: "go1.21.13", mainVersion: "7.5.a1b2c3d")
        let new = GoBinaryInfo(goVersion: "go1.24.11", mainVersion: "7.7.11148c4")
        let f = config(Self.filterItem, build: old)
        #expect(f.verdict == .fail && f.message.contains("filter operator 'include' needs bkunifylogbeat 7.7 or later"), "\(f.message)")
        #expect(f.message.contains("7.5.a1b2c3d"), "\(f.message)")
        #expect(config(Self.filterItem, build: new).verdict == .pass)
        #expect(config(Self.filterItem, build: GoBinaryInfo(goVersion: "go1.21.13", mainVersion: "7.6.abc1234")).verdict == .pass)
        #expect(config(Self.filterItem, build: nil).verdict == .pass)

        let g = config(Self.namedGroupItem, build: old)
        #expect(g.verdict == .fail && g.message.contains("needs Go 1.22"), "\(g.message)")
        #expect(config(Self.namedGroupItem, build: new).verdict == .pass)
        #expect(config(Self.namedGroupItem, build: nil).verdict == .pass)
    }
}

@Suite("The collector build judged on a live host")
struct CollectorBuildLiveTests {
    /// An upgrade that replaced the binary without restarting the collector: the rules follow the build
    /// that runs (read through /proc/<pid>/exe), bin_file names the one installed; once the collector
    /// is stopped, the installed build decides.
    @Test(
        "the running collector's build decides the versioned rules; bin_file shows the installed one",
        .enabled(if: GoPrograms.go != nil, "go is not installed (Scripts/deps.sh test installs it)"))
    func runningBuildDecides() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        let pattern = host.logDir + "/app/*.log"
        try host.makeLogFile("app/a.log")
        try host.writeSubConfig(
            subscription: 33561, paths: [pattern],
            extra: ["filters:", "  - conditions:", "      - index: -1", "        key: 'ERROR'", "        op: 'include'"])
        // The template writes `delimiter: ''`; the filters are read with a one-byte delimiter only.
        let config = try String(contentsOfFile: host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf", encoding: .utf8)
        try config.replacingOccurrences(of: "delimiter: ''", with: "delimiter: '|'")
            .write(toFile: host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf", atomically: true, encoding: .utf8)

        let old = host.dir + "/old-bkunifylogbeat", new = host.dir + "/new-bkunifylogbeat"
        try await GoPrograms.build(GoPrograms.sleeper, into: old, ldflags: "-X main.version=7.5.a1b2c3d")
        try await GoPrograms.build(GoPrograms.sleeper, into: new, ldflags: "-X main.version=7.7.11148c4")
        try FileManager.default.removeItem(atPath: host.collectorBinary)
        try FileManager.default.copyItem(atPath: old, toPath: host.collectorBinary)
        let collector = try host.spawn(host.collectorBinary, ["-c", host.mainConfigPath], cwd: host.gseRoot + "/plugins/bin")
        // NodeMan's upgrade: a new file renamed over the old one; the running process keeps its inode.
        try FileManager.default.copyItem(atPath: new, toPath: host.collectorBinary + ".new")
        #expect(rename(host.collectorBinary + ".new", host.collectorBinary) == 0)

        let r = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        let bin = try #require(r.result(module: "bkunifylogbeat", item: "bin_file"))
        #expect(bin.message.contains("version 7.7.11148c4") && bin.evidence("version") == .string("7.7.11148c4"), "\(bin.message)")
        let c = try #require(r.result(module: "bkunifylogbeat", item: "config"))
        #expect(
            c.verdict == .fail
                && c.message.contains("filter operator 'include' needs bkunifylogbeat 7.7 or later; this collector is 7.5.a1b2c3d"),
            "\(c.message)")

        collector.stop()
        let after = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        let c2 = try #require(after.result(module: "bkunifylogbeat", item: "config"))
        #expect(!c2.message.contains("filter operator"), "\(c2.message)")
    }
}
