import HostProbe
import Report
import Testing

@testable import Diagnostics

@Suite("Parsers: config names, restart log, layout helpers")
struct DiagnosticsParserTests {
    @Test(
        "subscription config names match exactly",
        arguments: [
            ("bkunifylogbeat_sub_33561_host_2000058532.conf", Int64(33561)),
            ("bkunifylogbeat_syslog_sub_5_service_1.conf", 5),
            ("bkunifylogbeat_redis_slowlog_sub_7_host_0.conf", 7),
            ("bkunifylogbeat_sub_123_host_1.conf", 123),
            // An instance id past Int64 is still a name NodeMan's pattern makes: the subscription is read.
            ("bkunifylogbeat_sub_33561_host_99999999999999999999999.conf", 33561),
            ("bkunifylogbeat_sub_12_host_+1.conf", nil),
            ("bkunifylogbeat_sub_12_host_1٢.conf", nil),
            ("bkunifylogbeat_sub_12_host_1.conf.bak", nil),
            ("bkunifylogbeat_sub_12_host_.conf", nil),
            ("bkunifylogbeat_sub_12_pod_1.conf", nil),
            ("other_sub_12_host_1.conf", nil),
            ("bkunifylogbeat_sub_+12_host_1.conf", nil),
            ("bkunifylogbeat_sub_1٢_host_1.conf", nil),
            ("", nil),
            ("_sub_", nil),
        ] as [(String, Int64?)])
    func configName(name: String, sub: Int64?) {
        #expect(SubscriptionConfigName.parse(name)?.subscriptionID == sub)
    }

    @Test("restart log counts entries by pattern, glued or not, today only")
    func restartLog() {
        let glued =
            "20261123-101010 INFO|12|log-main stop bkunifylogbeat ok20261123-101011 INFO|13|log-main start bkunifylogbeat ok"
            + "20261122-090000 INFO|1|log-main start bkunifylogbeat ok\n20261123-111111 INFO|2|log-main reload bkunifylogbeat\n"
            + "20261123-111112 INFO|2|log-main start bkmonitorbeat\ngarbage 2026 start bkunifylogbeat\n"
        let c = RestartLog.count(text: glued, plugin: "bkunifylogbeat", today: "20261123")
        #expect(c.starts == 1 && c.stops == 1 && c.reloads == 1)
        #expect(c.entries == 3)
        let none = RestartLog.count(text: "", plugin: "bkunifylogbeat", today: "20261123")
        #expect(none.entries == 0 && none.stops == 0 && none.lastReloadAt == nil)
        #expect(RestartLog.count(text: String(repeating: "9", count: 100), plugin: "x", today: "20261123").entries == 0)
        // A `restart` entry is one entry (one line to check.py), counted as a stop and a start.
        let one = RestartLog.count(
            text: "20261123-101010 INFO|1|log-main restart bkunifylogbeat\n", plugin: "bkunifylogbeat", today: "20261123")
        #expect(one.entries == 1 && one.starts == 1 && one.stops == 1)
        // CRLF lines whose last word is the plugin's name (check.py's grep counts them).
        let crlf = RestartLog.count(
            text: "20261123-101010 INFO|1|log-main start bkunifylogbeat\r\n20261123-101011 INFO|1|log-main stop bkunifylogbeat\r\n",
            plugin: "bkunifylogbeat", today: "20261123")
        #expect(crlf.entries == 2 && crlf.starts == 1 && crlf.stops == 1)
        // Today's last entry: a stop says the collector was stopped, not that it keeps exiting.
        #expect(c.lastToday == "reload" && crlf.lastToday == "stop" && none.lastToday == nil)
        // Only a reload loads configs into a running collector: the newest reload, not the newest start, counts.
        #expect(
            c.lastReloadAt
                == RestartLog.count(text: "20261123-111111 INFO|2|log-main reload bkunifylogbeat\n", plugin: "bkunifylogbeat", today: "")
                .lastReloadAt)
        #expect(c.lastReloadAt != nil)
        #expect(
            RestartLog.count(text: "20261123-111111 INFO|2|log-main start bkunifylogbeat\n", plugin: "bkunifylogbeat", today: "")
                .lastReloadAt == nil)
    }

    @Test("lexical paths")
    func paths() {
        #expect(PathText.normalize("/usr/local/gse/") == "/usr/local/gse")
        #expect(PathText.normalize("/usr//local/./gse/../gse2") == "/usr/local/gse2")
        #expect(PathText.normalize("/..") == "/")
        #expect(PathText.isUnder("/usr/local/gse/plugins/bin", "/usr/local/gse/"))
        #expect(!PathText.isUnder("/usr/local/gse2/plugins", "/usr/local/gse"))
        #expect(PathText.onHost("/tmp/h", "/var/run/x") == "/tmp/h/var/run/x")
        #expect(PathText.onHost("/", "/var/run/x") == "/var/run/x")
    }

    @Test("percentages print with one decimal; a value that is not finite prints as it is, never traps")
    func percentText() {
        #expect(Fmt.percent(12.34) == "12.3%" && Fmt.percent(3) == "3.0%")
        #expect(Fmt.percent(.infinity) == "inf%" && Fmt.percent(1e300) == "1e+300%")
    }
}

@Suite("The collector's file rules: exclude_files and ignore_older")
struct CollectorFileRulesTests {
    @Test(
        "Go durations and bare seconds; garbage is nil",
        arguments: [
            ("168h", Int64(604_800)), ("1h30m", 5_400), ("90s", 90), ("1.5h", 5_400), ("500ms", 0), ("2h45m30s", 9_930),
            ("0", 0), ("0s", 0), ("3600", 3_600), (" 24h ", 86_400),
        ] as [(String, Int64)])
    func durations(text: String, seconds: Int64) {
        #expect(CollectorFileRules.seconds(goDuration: text) == seconds)
    }

    @Test("malformed durations", arguments: ["", "h", "10", "10x", "-5", "5h-3m", "1e400h", "1..5h", "forever"])
    func badDurations(text: String) {
        // "10" alone is seconds, so it is the one valid entry here.
        #expect((CollectorFileRules.seconds(goDuration: text) == nil) == (text != "10"))
    }

    @Test("default excludes are the collector's unescaped expressions: any character, then the suffix, at the end")
    func defaultExcludes() {
        let r = CollectorFileRules.defaults
        for skipped in [
            "/l/a.log.gz", "/l/a.bz2", "/l/x.tgz", "/l/x.tbz", "/l/x.zip", "/l/x.7z", "/l/a.bak", "/l/a.backup", "/l/.a.log.swp",
            // `.` is any character: `.backup$` is Go's regexp on the whole path, not a file extension.
            "/l/mysql_backup", "/l/app_bak", "/l/arch-tgz", "/l/gz", "/l/日志gz",
        ] {
            #expect(r.isExcluded(skipped) == true, "\(skipped)")
        }
        for kept in ["/l/a.log", "/l/a.gz.log", "/l/a.log.1", "/l/日志.log", "gz", "\ngz", "/l/a.backup.1"] {
            #expect(r.isExcluded(kept) == false, "\(kept)")
        }
        // An escaped dot is a suffix test, the whole text included (Go's `\.gz$` matches ".gz").
        let escaped = CollectorFileRules(excludes: [#"\.gz$"#], ignoreOlder: nil, source: "x", build: .unknown)
        #expect(escaped.isExcluded(".gz") == true && escaped.isExcluded("/l/agz") == false)
        // Shorter than the suffix forms: Go's regexp all the same (`$` matches every path, `\.$` a trailing dot).
        #expect(CollectorFileRules(excludes: ["$"], ignoreOlder: nil, source: "x", build: .unknown).isExcluded("/l/a.log") == true)
        let dot = CollectorFileRules(excludes: [#"\.$"#], ignoreOlder: nil, source: "x", build: .unknown)
        #expect(dot.isExcluded("/l/a.") == true && dot.isExcluded("/l/a") == false)
        #expect(r.ignoreOlder == Int64(168 * 3600))
    }

    @Test("an item filters its lines with a delimiter and at least one condition, as bk-log writes 过滤内容")
    func itemFiltersLines() throws {
        func rules(_ yaml: String) throws -> CollectorFileRules {
            CollectorFileRules(item: try YAMLNode.parse(yaml), source: "x", build: .unknown)
        }
        let condition = "filters:\n  - conditions:\n      - index: 1\n        key: ERROR\n        op: '='\n"
        #expect(try rules("delimiter: '|'\n" + condition).filtersLines)
        // No delimiter: the filter node passes every line (filter.go: `f.Delimiter == ""`); no condition: none dropped.
        #expect(try !rules(condition).filtersLines)
        #expect(try !rules("delimiter: ''\n" + condition).filtersLines)
        #expect(try !rules("delimiter: '|'\nfilters: []\n").filtersLines)
        #expect(try !rules("delimiter: '|'\nfilters:\n  - conditions: []\n").filtersLines)
        #expect(try !rules("dataid: 1\n").filtersLines)
    }

    @Test("an item's own settings replace the defaults; bad ones are named")
    func itemSettings() throws {
        let none = try YAMLNode.parse("exclude_files: []\nignore_older: 0\n")
        let r = CollectorFileRules(item: none, source: "x", build: .unknown)
        #expect(r.isExcluded("/l/a.gz") == false && r.ignoreOlder == nil && r.unusable.isEmpty)
        let custom = try YAMLNode.parse("exclude_files: ['access', '^/tmp/']\nignore_older: 72h\n")
        let c = CollectorFileRules(item: custom, source: "x", build: .unknown)
        #expect(c.isExcluded("/data/access.log") == true && c.isExcluded("/tmp/a.log") == true && c.isExcluded("/data/a.gz") == false)
        #expect(c.ignoreOlder == Int64(72 * 3600))
        // An expression Go refuses: the collector cannot use the item, and no file is known to be collected.
        let broken = CollectorFileRules(item: try YAMLNode.parse("exclude_files: ['access', '[unclosed']\n"), source: "x", build: .unknown)
        #expect(broken.isExcluded("/data/access.log") == true && broken.isExcluded("/data/a.log") == nil)
        #expect(broken.invalidExcludes == ["[unclosed (missing closing ]: `[unclosed`)"])
        #expect(broken.unusable.count == 1 && broken.unusable[0].hasPrefix("exclude_files: [unclosed: Go's regexp refuses it"))
        // Valid in Go but not judged here: a path it might exclude is not claimed either way.
        let flags = CollectorFileRules(item: try YAMLNode.parse("exclude_files: ['(?m)^x', '\\.gz$']\n"), source: "x", build: .unknown)
        #expect(flags.isExcluded("/l/a.gz") == true && flags.isExcluded("/l/a.log") == nil && flags.invalidExcludes.isEmpty)
        let absent = CollectorFileRules(item: try YAMLNode.parse("dataid: 1\nignore_older: soon\n"), source: "x", build: .unknown)
        #expect(
            absent.isExcluded("/l/a.gz") == true && absent.ignoreOlder == Int64(168 * 3600) && absent.unusable == ["ignore_older: 'soon'"])
        #expect(absent.isIgnored(mtime: 0, now: 168 * 3600 + 1) && !absent.isIgnored(mtime: 0, now: 168 * 3600))
        #expect(!absent.isIgnored(mtime: Int64.min, now: Int64.max))
        // Seconds past 2^63 ns wrap in go-ucfg's multiplication (here to about -8.45e9 s): every file too old.
        let wrapped = CollectorFileRules(item: try YAMLNode.parse("ignore_older: 10000000000\n"), source: "x", build: .unknown)
        #expect(wrapped.ignoreOlder == -8_446_744_073, "\(String(describing: wrapped.ignoreOlder))")
        #expect(wrapped.isIgnored(mtime: 100, now: 100))
    }
}
