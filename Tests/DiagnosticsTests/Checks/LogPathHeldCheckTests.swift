import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("log_path/logpath_held on in-memory facts")
struct LogPathHeldCheckTests {
    static let pattern = "/var/log/app/*.log"
    static let file = "/var/log/app/a.log"
    /// Subscription 8's config, listing the pattern.
    static let eight = ("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: [\"\(pattern)\"]\n")

    /// A host whose collector (pid 100) holds `held`, with these subscription configs (by default
    /// subscription 8's, listing the pattern).
    func facts(held: [String], subscription: Int64 = 7, configs: [(String, String)] = [eight]) -> InMemoryHostFacts {
        let h = Fixture.facts(subscription: subscription, logPaths: [Self.pattern])
        h.logExpansions = [Fixture.expansion(Self.pattern, [Self.file])]
        h.stats[Self.file] = Fixture.regular
        h.processes = .success([Fixture.collector()])
        h.fdsByPid[100] = .success(held.enumerated().map { FDLink(fd: Int32($0.offset + 3), target: $0.element) })
        Fixture.subscriptionConfigs(h, yaml: configs)
        return h
    }

    @Test("a matched file no collector holds passes")
    func free() {
        let f = LogPathHeldCheck().run(facts(held: ["/var/log/other.log"]))
        #expect(f.verdict == .pass && f.message == "无文件占用冲突")
        #expect(Fixture.evidence(f, "collectors") == .array([.int(100)]))
        #expect(Fixture.evidence(f, "files_checked") == .int(1))
    }

    @Test("a file held by many fds of one collector is named once; thousands of held files keep the report short")
    func manyHeld() {
        let once = LogPathHeldCheck().run(facts(held: [Self.file, Self.file, Self.file]))
        #expect(once.message == "文件被占用: \(Self.file) (pid 100, subscription 8)", "\(once.message)")
        #expect(Fixture.evidence(once, "held")?.arrayValue?.count == 1)
        // 2,000 matching files held: 50 listed in the evidence, all counted.
        let names = (0..<2000).map { "/var/log/app/f\($0).log" }
        let h = facts(held: names)
        h.logExpansions = [Fixture.expansion(Self.pattern, names)]
        for n in names { h.stats[n] = Fixture.regular }
        let many = LogPathHeldCheck().run(h)
        #expect(many.verdict == .fail)
        #expect(Fixture.evidence(many, "held")?.arrayValue?.count == LogPathHeldCheck.heldListed)
        #expect(Fixture.evidence(many, "held_total") == .int(2000))
        #expect(many.message.utf8.count < 2000, "\(many.message.utf8.count) bytes")
    }

    /// A host of hundreds of subscriptions, each collecting its own directory, and a collector holding a file of
    /// each: every held file names exactly the subscriptions whose items read it (a pattern of another directory
    /// never does; one whose exclude_files skips the file is not a reader). Each item's patterns are tried on the
    /// files of their own directories only (`Glob.PathIndex`): at 3,000 subscriptions and 1,000 held files the
    /// product was past the run's deadline.
    @Test("hundreds of subscriptions: each held file names exactly the subscriptions whose items read it")
    func manySubscriptions() {
        let ids = Array(Int64(1000)..<1400)
        let held = ids.map { "/data/logs/svc\($0)/a.log" }
        var configs = ids.map { id in
            ("bkunifylogbeat_sub_\(id)_host_1.conf", "local:\n  - dataid: \(id)\n    paths: ['/data/logs/svc\(id)/*.log']\n")
        }
        // Subscription 2000 collects svc1007 too (through **); 3000 names svc1009 but its exclude_files skips a.log.
        configs.append(("bkunifylogbeat_sub_2000_host_1.conf", "local:\n  - dataid: 2\n    paths: ['/data/logs/svc1007/**/*.log']\n"))
        configs.append(
            (
                "bkunifylogbeat_sub_3000_host_1.conf",
                "local:\n  - dataid: 3\n    paths: ['/data/logs/svc1009/*.log']\n    exclude_files: ['a\\.log$']\n"
            ))
        let h = Fixture.facts(subscription: 1000, logPaths: ["/data/logs/svc*/a.log"])
        h.logExpansions = [Fixture.expansion("/data/logs/svc*/a.log", held)]
        for f in held { h.stats[f] = Fixture.regular }
        h.processes = .success([Fixture.collector()])
        h.fdsByPid[100] = .success(held.enumerated().map { FDLink(fd: Int32($0.offset + 3), target: $0.element) })
        Fixture.subscriptionConfigs(h, yaml: configs)
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(Fixture.evidence(f, "held_total") == .int(400))
        let listed = Fixture.evidence(f, "held")?.arrayValue ?? []
        #expect(listed.count == LogPathHeldCheck.heldListed)
        for entry in listed {
            guard let file = entry["file"]?.stringValue, let id = Int64(file.dropFirst("/data/logs/svc".count).prefix(4)) else {
                Issue.record("\(entry)")
                continue
            }
            let expected: [Int64] = id == 1007 ? [1007, 2000] : [id]
            #expect(entry["subscriptions"] == .array(expected.map { .int($0) }), "\(file)")
        }
        #expect(f.message.hasPrefix("文件被占用: /data/logs/svc1001/a.log (pid 100, subscription 1001)"), "\(f.message)")
    }

    @Test("a file another subscription collects fails, naming the pid and the subscription")
    func conflict() {
        let f = LogPathHeldCheck().run(facts(held: [Self.file]))
        #expect(f.verdict == .fail && f.message == "文件被占用: \(Self.file) (pid 100, subscription 8)")
        #expect(
            Fixture.evidence(f, "held")
                == .array([
                    .object([
                        ("file", .string(Self.file)), ("pid", .int(100)), ("subscriptions", .array([.int(8)])),
                    ])
                ]))
    }

    /// Go's glob reads a `*` a combining mark follows (one Swift Character with it) as a wildcard: subscription
    /// 8's pattern names the held file, and each item's patterns are offered it (`Glob.PathIndex`).
    @Test("a pattern whose wildcard a combining mark follows still names the held file it matches")
    func wildcardBeforeCombiningMark() {
        let file = "/var/log/app/cafe\u{301}.log"
        let h = facts(
            held: [file],
            configs: [("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: ['/var/log/app/*\u{301}.log']\n")])
        h.logExpansions = [Fixture.expansion(Self.pattern, [file])]
        h.stats[file] = Fixture.regular
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .fail && f.message.hasSuffix("(pid 100, subscription 8)"), "\(f.message)")
    }

    @Test(
        "a file held by a task no config on the host names (a config removed, the collector not reloaded) warns to reload, not to delete duplicates"
    )
    func staleTask() {
        let f = LogPathHeldCheck().run(facts(held: [Self.file], configs: []))
        #expect(f.verdict == .warn && f.message.hasPrefix("文件被没有任何配置的采集任务占用: \(Self.file) (pid 100)"), "\(f.message)")
        #expect(f.hint.contains("重载") && !f.hint.contains("删除重复"), "\(f.hint)")
        // A config bkdiag could not read (too big for its reader) may be the one naming the file: not known.
        let unread = facts(held: [Self.file], configs: [])
        Fixture.subscriptionConfigs(unread, [("bkunifylogbeat_sub_9_host_1.conf", SubscriptionConfigRead(content: .tooLarge))])
        let unsure = LogPathHeldCheck().run(unread)
        #expect(unsure.verdict == .unknown && unsure.message.hasPrefix("文件被采集任务占用，但部分订阅配置无法读取"), "\(unsure.message)")
        // NodeMan's `bcs` directory beside the configs is no config the collector loads: still a warn to reload.
        let bcs = facts(held: [Self.file], configs: [])
        Fixture.subscriptionConfigs(bcs, [("bcs", SubscriptionConfigRead(content: .unreadable(Fixture.error(EISDIR, "read", "bcs"))))])
        let reload = LogPathHeldCheck().run(bcs)
        #expect(reload.verdict == .warn && reload.message.hasPrefix("文件被没有任何配置的采集任务占用"), "\(reload.message)")
        // Beside a real conflict, the conflict fails.
        let both = facts(held: [Self.file, "/var/log/app/b.log"])
        both.logExpansions = [Fixture.expansion(Self.pattern, [Self.file, "/var/log/app/b.log"])]
        Fixture.subscriptionConfigs(
            both, yaml: [("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: [\"\(Self.file)\"]\n")])
        #expect(LogPathHeldCheck().run(both).verdict == .fail)
    }

    @Test("no file found where a directory could not be listed is unknown, not 'no matching files'")
    func unlistable() {
        let h = facts(held: [])
        h.logExpansions = [Fixture.expansion(Self.pattern, [], unreadable: ["/var/log/app"])]
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .unknown && f.message.contains("/var/log/app"), "\(f.message)")
        h.logExpansions = [Fixture.expansion(Self.pattern, [])]
        #expect(LogPathHeldCheck().run(h).verdict == .pass)
    }

    @Test("an expansion cut short at its limit: a held file past the cut is still found, by the pattern")
    func pastTheCut() {
        let h = facts(held: ["/var/log/app/zz-10001.log", "/var/log/other.log"])
        h.logExpansions = [Fixture.expansion(Self.pattern, [Self.file], truncated: true)]
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .fail && f.message == "文件被占用: /var/log/app/zz-10001.log (pid 100, subscription 8)", "\(f.message)")
        #expect(Fixture.evidence(f, "matched_by_pattern") == .array([.string(Self.pattern)]))
        // Not cut short: only the matches listed count (the expansion saw every file).
        h.logExpansions = [Fixture.expansion(Self.pattern, [Self.file])]
        #expect(LogPathHeldCheck().run(h).verdict == .pass)
        // /var/log/app a symlink to /data1/app: the fd names the file by its real path, which the pattern reaches
        // through the symlinked directory.
        let g = facts(held: ["/data1/app/zz-10001.log"])
        g.logExpansions = [Fixture.expansion(Self.pattern, [Self.file], truncated: true)]
        g.realPaths["/var/log/app"] = "/data1/app"
        let viaLink = LogPathHeldCheck().run(g)
        #expect(
            viaLink.verdict == .fail && viaLink.message == "文件被占用: /data1/app/zz-10001.log (pid 100, subscription 8)", "\(viaLink.message)")
        g.realPaths = [:]
        let unseen = LogPathHeldCheck().run(g)
        #expect(unseen.verdict == .pass && unseen.message.contains("之后的匹配未列出"), "\(unseen.message)")
        #expect(!LogPathHeldCheck().run(facts(held: ["/var/log/other.log"])).message.contains("未列出"))
    }

    @Test("the subscription being checked holding its own file is no conflict")
    func own() {
        let f = LogPathHeldCheck().run(facts(held: [Self.file], subscription: 8))
        #expect(f.verdict == .pass)
        #expect(f.message == "无文件占用冲突（文件由本订阅 8 采集: \(Self.file) (pid 100, subscription 8)）")
    }

    /// Subscription 9's item names the same files but excludes a.log, and subscription 10's is refused:
    /// neither can be the one holding a.log, so subscription 8 holding its own file is no conflict.
    @Test("an item that excludes the file, or that the collector refuses, does not hold it")
    func ownersThatCannotHold() {
        let nine = "bkunifylogbeat_sub_9_host_1.conf"
        let ten = ("bkunifylogbeat_sub_10_host_1.conf", "local:\n  - dataid: 3\n    paths: [\"\(Self.pattern)\"]\n    max_bytes: 0\n")
        let h = facts(
            held: [Self.file], subscription: 8,
            configs: [
                Self.eight, (nine, "local:\n  - dataid: 2\n    paths: [\"\(Self.pattern)\"]\n    exclude_files: ['a\\.log$']\n"), ten,
            ])
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .pass, "\(f.message)")
        // Checked as 9, whose item excludes the file, or as 10, whose item is refused: neither reads it, so
        // subscription 8's task holds it as it holds a file they never named.
        for checked: Int64 in [9, 10] {
            h.options.subscriptionID = checked
            let other = LogPathHeldCheck().run(h)
            #expect(other.verdict == .fail && other.message.hasSuffix("(pid 100, subscription 8)"), "\(checked): \(other.message)")
        }
        h.options.subscriptionID = 8
        // Subscription 9 without its exclude reads it too: shared with subscription 8, which collects it as
        // well (one reading, lines handed to each), a warn naming both, not the conflict of a new config.
        Fixture.subscriptionConfigs(h, yaml: [Self.eight, (nine, "local:\n  - dataid: 2\n    paths: [\"\(Self.pattern)\"]\n"), ten])
        let g = LogPathHeldCheck().run(h)
        #expect(g.verdict == .warn && g.message.hasSuffix("(pid 100, subscription 8/9)"), "\(g.message)")
        // Checked as subscription 7, which does not list the file, the same holder is a conflict.
        h.options.subscriptionID = 7
        #expect(LogPathHeldCheck().run(h).verdict == .fail)
        // Only subscription 8's own item names it, and that item is now refused (written, not reloaded yet:
        // the collector still runs its old task): still its own file, not another's.
        let alone = facts(
            held: [Self.file], subscription: 8,
            configs: [(Self.eight.0, "local:\n  - dataid: 1\n    paths: [\"\(Self.pattern)\"]\n    max_bytes: 0\n")])
        let a = LogPathHeldCheck().run(alone)
        #expect(a.verdict == .pass && a.message.contains("本订阅 8"), "\(a.message)")
    }

    /// The held file is named twice (its real path, the path as matched); a refused subscription naming the
    /// real path does not come back through either name; the checked subscription whose own item is refused
    /// reads nothing, so another's task holds the file; a collector of another GSE root is never this root's.
    @Test("owners across both names of a held file, a refused checked subscription, and another root's collector")
    func ownersAcrossNames() {
        let real = "/data/logs/a.log"
        let h = facts(
            held: [real], subscription: 8,
            configs: [
                Self.eight,
                ("bkunifylogbeat_sub_9_host_1.conf", "local:\n  - dataid: 2\n    paths: ['/data/logs/*.log']\n    max_bytes: 0\n"),
            ])
        h.realPaths[Self.file] = real
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .pass, "\(f.message)")
        // Checked as 9, whose only item is refused (it runs no task), while 8 reads the file: held by another
        // subscription's task, as for a subscription that does not name it at all.
        h.options.subscriptionID = 9
        let g = LogPathHeldCheck().run(h)
        #expect(g.verdict == .fail && g.message.contains("subscription 8)") && !g.message.contains("8/9"), "\(g.message)")
        // The holder runs from another GSE root: a conflict, whoever names the file.
        h.options.subscriptionID = 8
        h.processes = .success([Fixture.process(100, exe: "/usr/local/gse_old/plugins/bin/bkunifylogbeat")])
        let other = LogPathHeldCheck().run(h)
        #expect(other.verdict == .fail && other.message.contains("another GSE root"), "\(other.message)")
    }

    @Test("a match through a symlink is compared by its real path")
    func realPath() {
        let h = facts(held: ["/data/logs/a.log"])
        h.realPaths[Self.file] = "/data/logs/a.log"
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .fail && f.message == "文件被占用: /data/logs/a.log (pid 100, subscription 8)")
    }

    /// /data/logs is a symlink to /data1/logs: the configs name the symlinked path, the collector's fd and `-l`
    /// the real one.
    @Test(
        "a config naming a file under a symlinked directory owns the file its fd shows by the real path; exclude_files sees the path it globbed"
    )
    func configThroughSymlinkedDirectory() {
        let real = "/data1/logs/app/a.log"
        let h = Fixture.facts(subscription: 7, logPaths: ["/data1/logs/app/*.log"])
        h.logExpansions = [Fixture.expansion("/data1/logs/app/*.log", [real])]
        h.stats[real] = Fixture.regular
        h.processes = .success([Fixture.collector()])
        h.fdsByPid[100] = .success([FDLink(fd: 3, target: real)])
        h.realPaths["/data/logs/app"] = "/data1/logs/app"
        Fixture.subscriptionConfigs(
            h,
            yaml: [
                ("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: ['/data/logs/app/*.log']\n"),
                // Its exclude_files skips the path as globbed (under the symlink): it cannot hold the file.
                (
                    "bkunifylogbeat_sub_9_host_1.conf",
                    "local:\n  - dataid: 2\n    paths: ['/data/logs/app/*.log']\n    exclude_files: ['^/data/logs/']\n"
                ),
            ])
        let other = LogPathHeldCheck().run(h)
        #expect(other.verdict == .fail && other.message == "文件被占用: \(real) (pid 100, subscription 8)", "\(other.message)")
        h.options.subscriptionID = 8
        let own = LogPathHeldCheck().run(h)
        #expect(own.verdict == .pass && own.message.contains("本订阅 8"), "\(own.message)")
        // Without the symlink the configs name another directory: a task no config names.
        h.realPaths = [:]
        #expect(LogPathHeldCheck().run(h).verdict == .warn)
    }

    /// The config names /data/logs/*/app.log, and /data/logs/app is a symlink to /data3/app: below the wildcard,
    /// so only the collector's own glob (and the real path of what it finds) leads to the held file.
    @Test("a config reaching the held file through a symlink below a wildcard owns it, found by globbing its pattern")
    func symlinkBelowWildcard() {
        let real = "/data3/app/app.log"
        let pattern = "/data/logs/*/app.log"
        let h = Fixture.facts(subscription: 8, logPaths: [real])
        h.logExpansions = [Fixture.expansion(real, [real])]
        h.stats[real] = Fixture.regular
        h.processes = .success([Fixture.collector()])
        h.fdsByPid[100] = .success([FDLink(fd: 3, target: real)])
        Fixture.subscriptionConfigs(h, yaml: [("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: ['\(pattern)']\n")])
        h.collectorGlobs[pattern] = ["/data/logs/app/app.log", "/data/logs/web/app.log"]
        h.realPaths["/data/logs/app/app.log"] = real
        let own = LogPathHeldCheck().run(h)
        #expect(own.verdict == .pass && own.message.contains("本订阅 8"), "\(own.message)")
        h.options.subscriptionID = 0
        let fresh = LogPathHeldCheck().run(h)
        #expect(fresh.verdict == .fail && fresh.message == "文件被占用: \(real) (pid 100, subscription 8)", "\(fresh.message)")
        // The glob does not lead there: a task no config names, as before.
        h.collectorGlobs = [:]
        #expect(LogPathHeldCheck().run(h).verdict == .warn)
        // More matches than the budget, none leading there: not looked at to the end, so not known.
        h.collectorGlobs[pattern] = (0...SubscriptionFiles.globResolveBudget).map { "/data/logs/d\($0)/app.log" }
        let cut = LogPathHeldCheck().run(h)
        #expect(cut.verdict == .unknown, "\(cut.message)")
    }

    /// The collector loads every `*.conf` of its `multi_config` directories, NodeMan's names or not.
    @Test(
        "a config the collector loads that NodeMan did not write (custom.conf) owns what it reads: a conflict, or shared with the checked subscription"
    )
    func configNotFromNodeMan() {
        let custom = ("custom.conf", "local:\n  - dataid: 9\n    paths: ['\(Self.pattern)']\n")
        let h = facts(held: [Self.file], configs: [custom])
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .fail && f.message == "文件被占用: \(Self.file) (pid 100, config custom.conf, not from NodeMan)", "\(f.message)")
        #expect(
            Fixture.evidence(f, "held")
                == .array([
                    .object([
                        ("file", .string(Self.file)), ("pid", .int(100)), ("subscriptions", .array([])),
                        ("configs_not_from_nodeman", .array([.string("custom.conf")])),
                    ])
                ]))
        // Beside the checked subscription's own item: read by both, a warn, not its own file alone.
        let both = facts(held: [Self.file], subscription: 8, configs: [Self.eight, custom])
        let g = LogPathHeldCheck().run(both)
        #expect(
            g.verdict == .warn && g.message.hasSuffix("(pid 100, subscription 8, config custom.conf, not from NodeMan)"), "\(g.message)")
        // One whose exclude_files skips the file, or that the collector refuses, reads nothing.
        for item in ["    exclude_files: ['a\\.log$']\n", "    max_bytes: 0\n"] {
            let skipped = facts(held: [Self.file], configs: [("custom.conf", custom.1 + item)])
            #expect(LogPathHeldCheck().run(skipped).verdict == .warn, "\(item)")
        }
        // A name the collector does not load (not *.conf) is no config.
        #expect(LogPathHeldCheck().run(facts(held: [Self.file], configs: [("custom.conf.bak", custom.1)])).verdict == .warn)
    }

    @Test("no log paths fail; no matched files pass")
    func edges() {
        let h = Fixture.facts(logPaths: [])
        #expect(LogPathHeldCheck().run(h).verdict == .fail)
        let none = facts(held: [Self.file])
        none.logExpansions = [Fixture.expansion(Self.pattern, [])]
        let f = LogPathHeldCheck().run(none)
        #expect(f.verdict == .pass && f.message == "无文件占用冲突（没有匹配的文件）")
    }

    @Test("a collector's fds refused, or /proc unreadable: unknown")
    func unknown() {
        let h = facts(held: [])
        h.fdsByPid[100] = .failure(Fixture.error(EACCES, "opendir", "/proc/100/fd"))
        let f = LogPathHeldCheck().run(h)
        #expect(f.verdict == .unknown && f.message.hasPrefix("cannot read /proc/100/fd: "))
        #expect(Fixture.evidence(f, "unreadable_pid") == .int(100))
        h.processes = .failure(Fixture.error(EACCES, "opendir", "/proc"))
        #expect(LogPathHeldCheck().run(h).verdict == .unknown)
    }
}
