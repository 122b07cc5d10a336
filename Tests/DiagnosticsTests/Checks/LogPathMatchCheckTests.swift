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

    @Test("no paths given, no match, only directories, only excluded files: fail, each with its reason")
    func failures() {
        let h = Fixture.facts(logPaths: [])
        let empty = LogPathMatchCheck().run(h)
        #expect(empty.verdict == .fail && empty.message == "日志采集路径为空")

        let none = LogPathMatchCheck().run(facts([]))
        #expect(none.verdict == .fail && none.message == "以下路径无匹配文件: \(Self.pattern)")

        let dirs = LogPathMatchCheck().run(facts(["/var/log/app/old.log"], stats: ["/var/log/app/old.log": Fixture.directory]))
        #expect(dirs.verdict == .fail && dirs.hint.contains("只匹配到目录"))
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
        #expect(f.message == "以下路径无匹配文件: \(Self.pattern)（部分目录无权限读取: /var/log/app）")
    }

    @Test("the subscription item's own exclude_files and ignore_older replace the defaults")
    func itemRules() {
        let h = facts(
            ["/var/log/app/a.log.gz"], stats: ["/var/log/app/a.log.gz": FileStat(mode: 0o100644, mtime: 1_700_000_000)], subscription: 7)
        let dir = SubscriptionConfigDir(path: Fixture.root + "/plugins/etc/bkunifylogbeat", filePattern: "*.conf")
        let name = "bkunifylogbeat_sub_7_host_1.conf"
        h.subscriptionConfigsOverride = SubscriptionConfigListing(dirs: [dir], files: [SubscriptionConfigFile(dir: dir, name: name)])
        h.subscriptionConfigContents[dir.path + "/" + name] = SubscriptionConfigRead(
            content: .parsed(
                try! YAMLNode.parse(
                    "local:\n  - dataid: 1\n    paths: [\"\(Self.pattern)\"]\n    exclude_files: []\n    ignore_older: 0\n")))
        let f = LogPathMatchCheck().run(h)
        #expect(f.verdict == .pass)
        #expect(Fixture.evidence(f, "rules") == .object([(Self.pattern, .string("\(name) item 0"))]))
    }
}
