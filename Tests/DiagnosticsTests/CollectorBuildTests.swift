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

    @Test("a bkunifylogbeat version tells which ignore_older an item that writes none is checked and filled with")
    func ignoreOlderDefaults() {
        let week = CollectorBuild.IgnoreOlderDefaults(check: 604_800, filled: 604_800)
        let day = CollectorBuild.IgnoreOlderDefaults(check: 86400, filled: 86400)
        let split = CollectorBuild.IgnoreOlderDefaults(check: 86400, filled: 604_800)
        let table: [(String, CollectorBuild.IgnoreOlderDefaults?)] = [
            ("7.5.a1b2c3d", week), ("7.6.abc1234", week), ("7.7.1-rc.18", week), ("7.7.2-rc.75", week),
            ("7.7.2-rc.76", day), ("7.7.2-rc.109", day), ("7.7.2-rc.110", split), ("7.7.2-rc.111", split), ("7.7.2-rc.10", split),
            ("7.7.3-rc.1", split), ("7.7.3-rc.21", split),
            ("8.0.0", split), ("7.7.11148c4", nil), ("7.7.2-rc.112", nil), ("7.2.1", nil), ("unknown", nil),
        ]
        for (version, expected) in table {
            #expect(CollectorBuild.ignoreOlderDefaults(version: version) == expected, "\(version)")
        }
    }

    /// NodeMan's `bkunifylogbeat.conf.tpl` writes `clean_inactive` only when the platform sets it, and
    /// `ignore_older` likewise: with only the first, bkunifylogbeat fills `ignore_older` in. From 62b754f (7.7.3)
    /// its check of `clean_inactive` assumes 24h while it fills in 168h, so filebeat's `Validate` refuses any
    /// `clean_inactive` up to 168h + scan_frequency ("clean_inactive must be > ignore_older + scan_frequency").
    @Test("clean_inactive without ignore_older: refused where the build fills in an ignore_older it is not above")
    func cleanInactiveWithoutIgnoreOlder() {
        func item(_ clean: String) -> String {
            "local:\n    - dataid: 1573123\n      paths:\n        - '/a.log'\n      tail_files: true\n      encoding: 'utf-8'\n      delimiter: ''\n      package: true\n      package_count: 10\n      output_format: 'v2'\n\n      scan_frequency: '10s'\n      close_inactive: '120s'\n      clean_removed: 'true'\n      \n      \n      clean_inactive: '\(clean)'\n"
        }
        func build(_ v: String) -> GoBinaryInfo { GoBinaryInfo(goVersion: "go1.24.11", mainVersion: v) }
        // 48h: kept by every build's own check; above 24h + 10s, not above 168h + 10s.
        let new = config(item("172800s"), build: build("7.7.3-rc.21"))
        #expect(new.verdict == .fail, "\(new.message)")
        #expect(
            new.message.contains("clean_inactive is not above ignore_older + scan_frequency: the item writes no ignore_older")
                && new.message.contains("fills in 168h but checks clean_inactive against 24h") && new.message.contains("7.7.3-rc.21"),
            "\(new.message)")
        #expect(config(item("172800s"), build: build("7.7.2-rc.80")).verdict == .pass)
        // rc.110 and rc.111 hold 6da0b0c (62b754f's first commit, August 2025): the 7.7.3 defaults.
        #expect(config(item("172800s"), build: build("7.7.2-rc.111")).verdict == .fail)
        #expect(config(item("172800s"), build: build("7.7.2-rc.109")).verdict == .pass)
        #expect(config(item("172800s"), build: build("7.7.1-rc.18")).verdict == .pass)
        #expect(config(item("172800s"), build: build("7.7.11148c4")).verdict == .pass)
        #expect(config(item("172800s"), build: nil).verdict == .pass)
        // 1h: raised by the new build to 24h + 10s + 1h, still not above 168h + 10s.
        let raised = config(item("3600s"), build: build("7.7.3-rc.1"))
        #expect(raised.verdict == .fail && raised.message.contains("raising it to 90010s"), "\(raised.message)")
        #expect(config(item("3600s"), build: build("7.7.2-rc.80")).verdict == .pass)
        // Above 168h + 10s: taken by all.
        #expect(config(item("700000s"), build: build("7.7.3-rc.21")).verdict == .pass)
        // Exactly the default + scan_frequency: kept by the check, refused by filebeat, on a build whose two agree.
        let equal = config(item("604810s"), build: build("7.7.1-rc.18"))
        #expect(equal.verdict == .fail && equal.message.contains("its default 168h applies"), "\(equal.message)")
        #expect(config(item("604810s"), build: build("7.7.2-rc.80")).verdict == .pass)
    }

    /// The `clean_inactive` a log item's file states are kept by (their TTL, `heldCleanInactive`) is computed by
    /// bkunifylogbeat's `config/input/log.go` from the `ignore_older` its check assumes when the item writes
    /// none: 168h before aabdaf2 (tags before 7.7.2-rc.76, every 7.3/7.5/7.6 build), 24h from then.
    @Test("the clean_inactive a log item's states are kept by follows the build's ignore_older check; unknown, the shortest")
    func heldCleanInactiveByBuild() throws {
        func held(_ settings: String, _ version: String?) -> Double? {
            let h = Fixture.facts(subscription: 7)
            let text = "local:\n  - dataid: 5\n    paths: ['/a.log']\n    scan_frequency: '10s'\n" + settings
            Fixture.subscriptionConfigs(h, yaml: [("bkunifylogbeat_sub_7_host_0.conf", text)])
            h.collectorBuild = version.map { GoBinaryInfo(goVersion: "go1.21.13", mainVersion: $0) }
            return CollectorFileRules.items(subscription: 7, facts: h).first?.cleanInactiveSeconds
        }
        let day = 86400.0, week = 604_800.0, halfYear = 180 * 86400.0
        // Neither written (NodeMan's template unless the platform sets them): the check's ignore_older + 10s + 180 days.
        #expect(held("", "7.6.abc1234") == week + 10 + halfYear)
        #expect(held("", "7.7.2-rc.75") == week + 10 + halfYear)
        #expect(held("", "7.7.2-rc.76") == day + 10 + halfYear)
        #expect(held("", "7.7.3-rc.21") == day + 10 + halfYear)
        // 48h written: below 168h + 10s, raised by an hour past it on an old build; kept on a new one.
        #expect(held("    clean_inactive: '172800s'\n", "7.7.1-rc.18") == week + 10 + 3600)
        #expect(held("    clean_inactive: '172800s'\n", "7.7.2-rc.80") == 172_800)
        // The build does not tell (a 7.7.<commit> build spans the change): the shortest any build keeps, so a
        // state missing past it is not taken for a file never collected.
        #expect(held("", "7.7.11148c4") == day + 10 + halfYear)
        #expect(held("", nil) == day + 10 + halfYear)
        // ignore_older written: the build's default plays no part.
        #expect(held("    ignore_older: '3600s'\n", "7.6.abc1234") == 3600 + 10 + halfYear)
    }

    @Test("an item that writes no ignore_older ages files out by the value the build fills in: 24h from 7.7.2-rc.76 to rc.109")
    func ignoreOlderFilledByBuild() throws {
        let item = try YAMLNode.parse("paths: ['/a.log']\nscan_frequency: '10s'\n")
        func filled(_ version: String?) -> Int64? {
            let build = CollectorBuild(version.map { GoBinaryInfo(goVersion: "go1.21.13", mainVersion: $0) })
            return CollectorFileRules(item: item, source: "t", build: build).ignoreOlder
        }
        #expect(filled("7.7.2-rc.80") == 86400)
        #expect(filled("7.7.2-rc.109") == 86400)
        // rc.110 and rc.111 hold 6da0b0c, 62b754f's first commit: 168h filled in again.
        #expect(filled("7.7.2-rc.110") == 604_800)
        #expect(filled("7.7.2-rc.75") == 604_800)
        #expect(filled("7.7.3-rc.1") == 604_800)
        // Not told (a 7.7.<commit> build, no build info): 168h, what every other build fills in.
        #expect(filled("7.7.11148c4") == 604_800)
        #expect(filled(nil) == 604_800)
        // Written: the item's own.
        let own = try YAMLNode.parse("paths: ['/a.log']\nignore_older: '3600s'\n")
        #expect(
            CollectorFileRules(
                item: own, source: "t", build: CollectorBuild(GoBinaryInfo(goVersion: "go1.21.13", mainVersion: "7.7.2-rc.80"))
            ).ignoreOlder == 3600)
    }

    /// The beats fork v7.1.50-bk (and its alphas) applies `tail_files` as an `ignore_older` of 1ns for the first
    /// scan, whose new early return skips every file before any state is written: the next scan, `tail_files`
    /// off, reads a new file from offset 0, so nothing is passed over. bkunifylogbeat's go.mod names that fork in
    /// tags 7.7.2-rc.110, rc.111, 7.7.3-rc.1, rc.8 and rc.11 (v7.1.49 before, v7.1.51 in rc.6, which tails).
    @Test("tail_files passes nothing over on the builds of the beats fork v7.1.50-bk")
    func tailFilesByBuild() {
        func tails(_ settings: String, _ version: String?) -> Bool? {
            let h = Fixture.facts(subscription: 7)
            Fixture.subscriptionConfigs(
                h, yaml: [("bkunifylogbeat_sub_7_host_0.conf", "local:\n  - dataid: 5\n    paths: ['/a.log']\n" + settings)])
            h.collectorBuild = version.map { GoBinaryInfo(goVersion: "go1.21.13", mainVersion: $0) }
            return CollectorFileRules.items(subscription: 7, facts: h).first?.tailFiles
        }
        for v in ["7.7.2-rc.110", "7.7.2-rc.111", "7.7.3-rc.1", "7.7.3-rc.8", "7.7.3-rc.11"] {
            #expect(tails("    tail_files: true\n", v) == false, "\(v)")
        }
        for v in ["7.7.2-rc.109", "7.7.3-rc.6", "7.7.3-rc.21", "7.7.2-rc.10", "7.6.abc1234", "7.7.11148c4"] {
            #expect(tails("    tail_files: true\n", v) == true, "\(v)")
        }
        #expect(tails("", nil) == true)
        #expect(tails("    tail_files: false\n", "7.7.3-rc.6") == false)
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

@Suite("Items of the kafka, redis and syslog inputs, and filters on one index, as the collector unpacks them")
struct NetworkInputRefusalTests {
    func config(_ item: String, build: GoBinaryInfo? = nil) -> Finding {
        let h = Fixture.facts(subscription: 7)
        Fixture.subscriptionConfigs(h, yaml: [("bkunifylogbeat_sub_7_host_0.conf", "local:\n  - dataid: 5\n" + item)])
        h.collectorBuild = build
        return SubscriptionConfigCheck().run(h)
    }

    /// A kafka item as NodeMan's `bkunifylogbeat_kafka.conf.tpl` renders it, with `extra` appended.
    static func kafka(
        hosts: String = "hosts: ['10.0.0.1:9092']", topics: String = "topics: ['app']", user: String = "", password: String = "",
        offset: String = "newest"
    ) -> String {
        "    type: kafka\n    \(hosts)\n    \(topics)\n    username: '\(user)'\n    password: '\(password)'\n    group_id: 'bkunifylogbeat_5'\n    initial_offset: '\(offset)'\n    delimiter: ''\n"
    }

    @Test("kafka: hosts and topics required, a username needs a password, initial_offset is oldest or newest")
    func kafka() {
        #expect(config(Self.kafka()).verdict == .pass, "\(config(Self.kafka()).message)")
        #expect(config(Self.kafka(user: "u", password: "p"), build: nil).verdict == .pass)
        let cases: [(String, String)] = [
            (Self.kafka(hosts: ""), "kafka: hosts missing (required)"),
            (Self.kafka(hosts: "hosts: []"), "kafka: hosts empty (required)"),
            (Self.kafka(topics: "topics:"), "kafka: topics missing (required)"),
            (Self.kafka(user: "u"), "kafka: password must be set when username is configured"),
            (Self.kafka(offset: "latest"), "kafka: initial_offset 'latest' is not one of oldest, newest"),
            // go-ucfg checks `required` on every entry: an empty row of the platform's form refuses the item.
            (Self.kafka(hosts: "hosts: ['10.0.0.5:9092', '']"), "kafka: hosts entry 1 is empty (required: each entry must be set)"),
            (Self.kafka(topics: "topics: ['', 'app']"), "kafka: topics entry 0 is empty"),
            // `{{ item.ssl }}` rendering the platform's True: no TLS settings go-ucfg can unpack.
            (Self.kafka() + "    ssl: True\n", "kafka: ssl true is not a mapping of TLS settings"),
        ]
        for (item, message) in cases {
            let f = config(item)
            #expect(f.verdict == .fail && f.message.contains(message), "\(message): \(f.message)")
            #expect(f.hint.contains("kafka 的 hosts"), "\(f.hint)")
        }
    }

    @Test("redis: hosts required and maxconn at least 1")
    func redis() {
        let ok =
            "    type: redis\n    hosts:\n      - '127.0.0.1:6379'\n    password: ''\n    password_file: ''\n    idle_timeout: '10s'\n    maxconn: 10\n"
        #expect(config(ok).verdict == .pass)
        #expect(
            config(ok.replacingOccurrences(of: "    hosts:\n      - '127.0.0.1:6379'\n", with: "    hosts:\n")).message.contains(
                "redis: hosts missing"))
        #expect(config(ok.replacingOccurrences(of: "maxconn: 10", with: "maxconn: 0")).message.contains("redis: maxconn 0 is below 1"))
        #expect(
            config(ok.replacingOccurrences(of: "      - '127.0.0.1:6379'\n", with: "      - '127.0.0.1:6379'\n      - ''\n")).message
                .contains(
                    "redis: hosts entry 1 is empty"))
    }

    @Test("syslog: one protocol of tcp or udp; filter operators and Go regular expressions, unless the build is older than the filters")
    func syslog() {
        func item(_ protocolName: String = "udp", op: String = "include", value: String = "sshd") -> String {
            "    type: syslog\n    protocol.\(protocolName):\n      host: \"0.0.0.0:5514\"\n    syslog_filters:\n     - conditions:\n       - key: program\n         op: '\(op)'\n         value: '\(value)'\n"
        }
        #expect(config(item()).verdict == .pass, "\(config(item()).message)")
        #expect(config(item("tcp", op: "regex", value: " ^ssh(d)? ")).verdict == .pass)
        let http = config(item("http"))
        #expect(
            http.verdict == .fail && http.message.contains("syslog: protocol http: the input takes one of tcp or udp"), "\(http.message)")
        #expect(config("    type: syslog\n").message.contains("syslog: protocol missing"))
        #expect(config(item(op: "contains")).message.contains("syslog: filter operator 'contains' is not supported"))
        #expect(config(item(op: "regex", value: "^(?!sshd)")).message.contains("is not a Go regular expression"))
        // A build older than the syslog filters ignores them.
        #expect(config(item(op: "contains"), build: GoBinaryInfo(goVersion: "go1.19", mainVersion: "7.5.a1b2c3d")).verdict == .pass)
    }

    @Test(
        "two conditions on one index in a filter: refused by builds before July 2024, taken by later ones, unjudged where the version does not tell"
    )
    func duplicateIndex() {
        let item =
            "    paths: ['/a.log']\n    delimiter: ' '\n    filters:\n     - conditions:\n         - index: 3\n           key: 'DEBUG'\n           op: '!='\n         - index: 3\n           key: 'TRACE'\n           op: '!='\n"
        for old in ["7.5.1-rc.173", "7.6.1-rc.10", "7.7.1-rc.27", "7.6.abc1234", "7.7.2-rc.28"] {
            let f = config(item, build: GoBinaryInfo(goVersion: "go1.19", mainVersion: old))
            #expect(f.verdict == .fail && f.message.contains("filter has two conditions on index 3"), "\(old): \(f.message)")
        }
        for taken in ["7.7.2-rc.29", "7.7.2-rc.10", "7.7.3-rc.21", "7.7.2", "8.0.0"] {
            #expect(config(item, build: GoBinaryInfo(goVersion: "go1.24.11", mainVersion: taken)).verdict == .pass, "\(taken)")
        }
        for untold in ["7.7.11148c4", "7.7.2-rc.15", "7.2.1", nil] as [String?] {
            #expect(config(item, build: GoBinaryInfo(goVersion: "go1.24.11", mainVersion: untold)).verdict == .pass, "\(untold ?? "nil")")
        }
        // Two filters (an OR) on the same index are not one filter's duplicates.
        let or =
            "    paths: ['/a.log']\n    delimiter: ' '\n    filters:\n     - conditions:\n         - index: 3\n           key: 'DEBUG'\n           op: '='\n     - conditions:\n         - index: 3\n           key: 'TRACE'\n           op: '='\n"
        #expect(config(or, build: GoBinaryInfo(goVersion: "go1.19", mainVersion: "7.5.1-rc.173")).verdict == .pass)
    }
}
