import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("log_path/logpath_match on in-memory facts")
struct LogPathMatchCheckTests {
    static let pattern = "/var/log/app/*.log"

    /// A host where `pattern` matched `matches`, each stat'ed as given (default: a file written just now).
    func facts(_ matches: [String], stats: [String: FileStat] = [:], subscription: Int64 = 0) -> InMemoryHostFacts {
        let h = Fixture.facts(subscription: subscription, logPaths: [Self.pattern])
        h.logExpansions = [Fixture.expansion(Self.pattern, matches)]
        for m in matches { h.stats[m] = stats[m] ?? FileStat(mode: 0o100644, size: 10, mtime: h.nowMilliseconds / 1000) }
        return h
    }

    @Test("a pattern that matches a recent regular file passes")
    func pass() {
        let f = LogPathMatchCheck().run(facts(["/var/log/app/a.log"]))
        #expect(f.verdict == .pass && f.message == "所有路径检查通过: /var/log/app/a.log")
        #expect(Fixture.evidence(f, "patterns") == .object([(Self.pattern, .int(1))]))
        #expect(Fixture.evidence(f, "rules") == .object([(Self.pattern, .string("collector defaults"))]))
    }

    @Test("files the running collector may not open are not collected: all of a path's, a fail naming why; some, not counted but named")
    func collectorMayNotOpen() {
        let h = facts(["/var/log/app/a.log", "/var/log/app/b.log"])
        let why = "uid 65534 may not read file /var/log/app/a.log (mode 0600, owner 0:0)"
        h.deniedToCollector = ["/var/log/app/a.log": why]
        let some = LogPathMatchCheck().run(h)
        #expect(
            some.verdict == .pass
                && some.message == "所有路径检查通过: /var/log/app/b.log（另有 1 个匹配的文件采集器无权打开，不会被采集: /var/log/app/a.log）",
            "\(some.message)")
        #expect(Fixture.evidence(some, "denied_files") == JSONValue(["/var/log/app/a.log"]))
        h.deniedToCollector["/var/log/app/b.log"] = "uid 65534 may not read file /var/log/app/b.log (mode 0600, owner 0:0)"
        let all = LogPathMatchCheck().run(h)
        #expect(all.verdict == .fail, "\(all.message)")
        #expect(all.message == "以下路径的文件采集器无权打开，不会采集: \(Self.pattern)（\(why)）", "\(all.message)")
        #expect(all.hint.contains("权限"))
    }

    @Test("no paths given, no match, only directories, only excluded files: fail, each with its reason")
    func failures() {
        let h = Fixture.facts(logPaths: [])
        let empty = LogPathMatchCheck().run(h)
        #expect(empty.verdict == .fail && empty.message == "日志采集路径为空")

        let none = LogPathMatchCheck().run(facts([]))
        #expect(none.verdict == .fail && none.message == "以下路径无匹配文件: \(Self.pattern)")

        let dirs = LogPathMatchCheck().run(facts(["/var/log/app/old.log"], stats: ["/var/log/app/old.log": Fixture.directory]))
        #expect(dirs.verdict == .fail && dirs.hint.contains("只匹配到目录"))
        #expect(dirs.message == "以下路径无匹配文件: \(Self.pattern)（\(Self.pattern) 只匹配到目录、失效的软链接或非普通文件）", "\(dirs.message)")
        #expect(Fixture.evidence(dirs, "matched_no_files") == .array([.string(Self.pattern)]))

        let gz = LogPathMatchCheck().run(facts(["/var/log/app/a.log.gz"]))
        #expect(gz.verdict == .fail && gz.hint.contains("exclude_files"))
        #expect(Fixture.evidence(gz, "excluded") == .int(1))
    }

    @Test("a path error the collector would meet too fails with it")
    func pathErrors() {
        let h = facts([])
        h.logExpansions = [Fixture.expansion(Self.pattern, [], failures: [Fixture.error(ELOOP, "stat", "/var/log/app")])]
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .fail)
        #expect(f.message == "以下路径无匹配文件: \(Self.pattern)（\(Self.pattern): Too many levels of symbolic links (stat /var/log/app)）")
    }

    @Test("a pattern the collector's glob refuses fails")
    func badPattern() {
        let h = Fixture.facts(logPaths: ["/a/**/b/**/*.log"])
        h.logExpansions = [.failure(GlobPatternError(pattern: "/a/**/b/**/*.log", reason: .multipleDoubleStar))]
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .fail && f.message == "路径通配符无效: /a/**/b/**/*.log")
        #expect(f.hint.contains("只允许路径中出现一个 **"))
    }

    @Test("files all older than ignore_older warn")
    func stale() {
        let f = LogPathMatchCheck().run(
            facts(["/var/log/app/a.log"], stats: ["/var/log/app/a.log": FileStat(mode: 0o100644, mtime: 1_700_000_000)]))
        #expect(f.verdict == .warn)
        #expect(f.message == "以下路径的文件都超过 ignore_older 未更新，采集器不会打开: \(Self.pattern)")
    }

    @Test("no match where a directory could not be read is unknown")
    func unreadable() {
        let h = facts([])
        h.logExpansions = [Fixture.expansion(Self.pattern, [], unreadable: ["/var/log/app"])]
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .unknown)
        // Not check.py's fail text: nothing is known to be missing.
        #expect(f.message == "无法确认以下路径是否有匹配文件（部分目录无权限读取: /var/log/app）: \(Self.pattern)")
    }

    @Test("the subscription item's own exclude_files and ignore_older replace the defaults")
    func itemRules() {
        let h = facts(
            ["/var/log/app/a.log.gz"], stats: ["/var/log/app/a.log.gz": FileStat(mode: 0o100644, mtime: 1_700_000_000)], subscription: 7)
        let name = "bkunifylogbeat_sub_7_host_1.conf"
        Fixture.subscriptionConfigs(
            h, yaml: [(name, "local:\n  - dataid: 1\n    paths: [\"\(Self.pattern)\"]\n    exclude_files: []\n    ignore_older: 87600h\n")])
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .pass)
        #expect(Fixture.evidence(f, "rules") == .object([(Self.pattern, .string("\(name) item 0"))]))
    }

    /// `facts` with subscription 7's config holding one item for `pattern` with these extra YAML lines.
    func withItem(_ matches: [String], item: String) -> InMemoryHostFacts {
        let h = facts(matches, subscription: 7)
        Fixture.subscriptionConfigs(
            h, yaml: [("bkunifylogbeat_sub_7_host_1.conf", "local:\n  - dataid: 1\n    paths: [\"\(Self.pattern)\"]\n" + item)])
        return h
    }

    /// Not root: the subscription config that holds the item's exclude_files cannot be read, so which
    /// of the files are collected is not known; a pattern that matches no file at all still fails.
    @Test("with the subscription config unreadable, matched files are unknown, not a pass")
    func unreadableConfig() {
        let dir = Fixture.subConfigDir
        let name = "bkunifylogbeat_sub_7_host_1.conf"
        let denied = ProbeError(call: "open", path: dir.path + "/" + name, errno: EACCES)
        func unreadable(_ matches: [String], listing: SubscriptionConfigListing? = nil) -> InMemoryHostFacts {
            let h = facts(matches, subscription: 7)
            Fixture.subscriptionConfigs(h, [(name, SubscriptionConfigRead(content: .unreadable(denied)))])
            if let listing { h.subscriptionConfigsOverride = listing }
            return h
        }
        let f = LogPathMatchCheck().run(unreadable(["/var/log/app/a.log"]))
        #expect(f.verdict == .unknown && f.message.contains("读不到订阅配置"), "\(f.message)")
        #expect(f.hint.contains("root"))
        #expect(Fixture.evidence(f, "config_unreadable") != nil)
        // The directory itself cannot be listed.
        let listingDenied = SubscriptionConfigListing(
            dirs: [dir], files: [], errors: [(dir, ProbeError(call: "opendir", path: dir.path, errno: EACCES))])
        #expect(LogPathMatchCheck().run(unreadable(["/var/log/app/a.log"], listing: listingDenied)).verdict == .unknown)
        // Nothing matched at all: no rule can change that.
        #expect(LogPathMatchCheck().run(unreadable([])).verdict == .fail)
        // The same file with the config readable and silent on rules: a pass.
        #expect(LogPathMatchCheck().run(withItem(["/var/log/app/a.log"], item: "")).verdict == .pass)
    }

    @Test("a path whose item the collector refuses is not collected, whatever it matches")
    func refusedItems() {
        let cases = [
            "    ignore_older: '0s'\n", "    multiline.pattern: '^(?![ \\t])'\n    multiline.negate: true\n    multiline.match: after\n",
            "    multiline:\n      pattern: '^\\d'\n", "    scan_frequency: '0s'\n", "    max_bytes: 0\n",
            "    ignore_older: '3600s'\n    scan_frequency: '10s'\n    clean_inactive: '3610s'\n", "    exclude_lines: ['a(b']\n",
        ]
        for item in cases {
            let f = LogPathMatchCheck().run(withItem(["/var/log/app/a.log"], item: item))
            #expect(f.verdict == .fail && f.message.contains("被采集器拒绝"), "\(item): \(f.message)")
            #expect(Fixture.evidence(f, "refused_items") != nil, "\(item)")
        }
        // A config whose name multi_config's file_pattern does not load is skipped whole: its paths are refused.
        let unloaded = facts(["/var/log/app/a.log"], subscription: 7)
        Fixture.subscriptionConfigs(
            unloaded,
            [
                (
                    "bkunifylogbeat_sub_7_host_1.conf",
                    SubscriptionConfigRead(
                        content: .parsed(try! YAMLNode.parse("local:\n  - dataid: 1\n    paths: [\"\(Self.pattern)\"]\n")))
                )
            ], dir: SubscriptionConfigDir(path: Fixture.subConfigDir.path, filePattern: "*.yaml"))
        let skipped = LogPathMatchCheck().run(unloaded)
        #expect(skipped.verdict == .fail && skipped.message.contains("file_pattern *.yaml"), "\(skipped.message)")
        // The item's path spelt another way (`//`, `/./`) is the item's: its rules apply.
        for spelt in ["/var/log//app/*.log", "/var/log/./app/*.log"] {
            let h = withItem(["/var/log/app/a.log"], item: cases[0])
            h.options.logPaths = [spelt]
            let f = LogPathMatchCheck().run(h)
            #expect(f.verdict == .fail && f.message.contains("被采集器拒绝"), "\(spelt): \(f.message)")
        }
        // What the collector takes: the template's multiline, clean_inactive above the sum (or below it:
        // bkunifylogbeat raises it), ignore_older unset.
        let taken = [
            "    multiline.pattern: '^\\d{4}-\\d{2}'\n    multiline.max_lines: '500'\n    multiline.timeout: '2s'\n    multiline.negate: true\n    multiline.match: after\n",
            "    ignore_older: '3600s'\n    scan_frequency: '10s'\n    clean_inactive: '3611s'\n",
            "    ignore_older: '3600s'\n    scan_frequency: '10s'\n    clean_inactive: '60s'\n",
            "    clean_inactive: '0s'\n    max_bytes: 1048576\n",
        ]
        for item in taken {
            let f = LogPathMatchCheck().run(withItem(["/var/log/app/a.log"], item: item))
            #expect(f.verdict != .fail, "\(item): \(f.message)")
            #expect(Fixture.evidence(f, "refused_items") == nil, "\(item)")
        }
    }

    @Test(
        "an expansion cut short with nothing collected among the paths seen is unknown, not a fail or a warn: excluded, stale or not to be opened"
    )
    func cutShort() {
        let gz = (0..<3).map { "/var/log/app/app-\($0).log.gz" }
        let h = facts(gz)
        h.logExpansions = [Fixture.expansion(Self.pattern, gz, truncated: true)]
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .unknown, "\(f.message)")
        #expect(f.message.contains("超过 \(Glob.defaultLimit) 个路径") && f.message.contains("exclude_files"), "\(f.message)")
        // One collected file among them is a pass, cut short or not; the message says the list was cut.
        let withLog = gz + ["/var/log/app/app.log"]
        let g = facts(withLog)
        g.logExpansions = [Fixture.expansion(Self.pattern, withLog, truncated: true)]
        let cut = LogPathMatchCheck().run(g)
        #expect(cut.verdict == .pass && cut.message.contains("只检查了前 \(Glob.defaultLimit) 个"), "\(cut.message)")
        #expect(!LogPathMatchCheck().run(facts(withLog)).message.contains("只检查了"))
        // Not cut short, the same files fail: all of them are excluded.
        #expect(LogPathMatchCheck().run(facts(gz)).verdict == .fail)

        // Every file seen is past ignore_older, or may not be opened by the collector: a file past the limit
        // may be fresh, or open to it. Not cut short, the same files warn and fail.
        let logs = (0..<3).map { "/var/log/app/a\($0).log" }
        let old = Dictionary(uniqueKeysWithValues: logs.map { ($0, FileStat(mode: 0o100644, mtime: 1_700_000_000)) })
        let stale = facts(logs, stats: old)
        stale.logExpansions = [Fixture.expansion(Self.pattern, logs, truncated: true)]
        let s = LogPathMatchCheck().run(stale)
        #expect(s.verdict == .unknown && s.message.contains("超过 ignore_older") && s.message.contains("其余未检查"), "\(s.message)")
        #expect(Fixture.evidence(s, "all_older_than_ignore_older") == nil)
        #expect(LogPathMatchCheck().run(facts(logs, stats: old)).verdict == .warn)
        let denied = facts(logs)
        denied.logExpansions = [Fixture.expansion(Self.pattern, logs, truncated: true)]
        denied.deniedToCollector = Dictionary(
            uniqueKeysWithValues: logs.map { ($0, "uid 65534 may not read file \($0) (mode 0600, owner 0:0)") })
        let d = LogPathMatchCheck().run(denied)
        #expect(d.verdict == .unknown && d.message.contains("采集器无权打开") && d.message.contains("其余未检查"), "\(d.message)")
        #expect(Fixture.evidence(d, "truncated") == .bool(true))
        denied.logExpansions = [Fixture.expansion(Self.pattern, logs)]
        #expect(LogPathMatchCheck().run(denied).verdict == .fail)
    }

    @Test("the default exclude `.backup$` is Go's regexp: a file named mysql_backup is not collected")
    func unescapedDefault() {
        let h = Fixture.facts(logPaths: ["/var/log/db/*"])
        h.logExpansions = [Fixture.expansion("/var/log/db/*", ["/var/log/db/mysql_backup"])]
        h.stats["/var/log/db/mysql_backup"] = FileStat(mode: 0o100644, size: 10, mtime: h.nowMilliseconds / 1000)
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .fail && f.hint.contains("exclude_files"), "\(f.message)")
        #expect(Fixture.evidence(f, "first_excluded") == .array([.string("/var/log/db/mysql_backup")]))
    }

    @Test("an exclude expression not judged here, or one Go refuses, leaves the files unknown, never a pass")
    func undecidedExcludes() {
        // (?m) is valid Go, not judged here; `a.log` might be excluded by it.
        let flags = LogPathMatchCheck().run(withItem(["/var/log/app/a.log"], item: "    exclude_files: ['(?m)^/var/log/app/a']\n"))
        #expect(flags.verdict == .unknown, "\(flags.message)")
        #expect(flags.message.contains(Self.pattern) && flags.message.contains("(?m)"))
        #expect(Fixture.evidence(flags, "not_judged") == .int(1))
        // Go refuses `*.gz`: the collector starts no task for the item, so nothing is collected.
        let invalid = LogPathMatchCheck().run(withItem(["/var/log/app/a.log"], item: "    exclude_files: ['*.gz']\n"))
        #expect(invalid.verdict == .fail && invalid.message.contains("被采集器拒绝"), "\(invalid.message)")
        #expect(invalid.message.contains("exclude_files *.gz is not a Go regular expression"), "\(invalid.message)")
        // (?i) is judged: A.LOG is excluded, so nothing is collected.
        let icase = LogPathMatchCheck().run(withItem(["/var/log/app/A.LOG"], item: "    exclude_files: ['(?i)\\.log$']\n"))
        #expect(icase.verdict == .fail && icase.hint.contains("exclude_files"), "\(icase.message)")
        // The message (all the platform shows) says the files match and whose exclude_files skip them.
        #expect(
            icase.message
                == "\(Self.pattern) 匹配到的 1 个文件全部被 bkunifylogbeat_sub_7_host_1.conf item 0 的 exclude_files 排除，不会采集（(?i)\\.log$）",
            "\(icase.message)")
        #expect(icase.hint.hasPrefix("采集项自己的 exclude_files"), "\(icase.hint)")
        // One file surely collected is enough, whatever the others are.
        let mixed = LogPathMatchCheck().run(
            withItem(["/var/log/app/a.log", "/var/log/app/b.log"], item: "    exclude_files: ['^/var/log/app/a', '\\.log\\.\\d$']\n"))
        #expect(mixed.verdict == .pass, "\(mixed.message)")
        // A single `.` on a non-ASCII path is not judged by glibc's byte-wise matching.
        let cjk = LogPathMatchCheck().run(withItem(["/var/log/app/日.log"], item: "    exclude_files: ['app/.\\.log$']\n"))
        #expect(cjk.verdict == .unknown, "\(cjk.message)")
    }
}

@Suite("-l patterns as the files they name are found")
struct AskedPatternTests {
    @Test("a relative -l written as in the config is read from the collector's directory; any other relative one as given")
    func relative() {
        let h = Fixture.facts(subscription: 7)
        Fixture.subscriptionConfigs(
            h, yaml: [("bkunifylogbeat_sub_7_host_0.conf", "local:\n  - dataid: 5\n    paths: ['../../logs/*.log']\n")])
        #expect(h.askedPattern("../../logs/*.log") == PathText.normalize(h.layout.pluginBin + "/../../logs/*.log"))
        #expect(h.askedPattern("app/*.log") == "app/*.log")
        #expect(h.askedPattern("/var/log/a.log") == "/var/log/a.log")
    }
}
