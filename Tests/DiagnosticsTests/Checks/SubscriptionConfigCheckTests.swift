import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("bkunifylogbeat/config on in-memory facts")
struct SubscriptionConfigCheckTests {
    static let dir = Fixture.subConfigDir
    static let mine = "bkunifylogbeat_sub_7_host_1.conf"

    /// A host whose subscription directory holds `files` (name → YAML text, or a read result).
    func facts(_ files: [(String, SubscriptionConfigRead)], logPaths: [String] = []) -> InMemoryHostFacts {
        let h = Fixture.facts(subscription: 7, logPaths: logPaths)
        Fixture.subscriptionConfigs(h, files)
        return h
    }

    static func yaml(_ text: String, mtime: Int64 = 1_700_000_000) -> SubscriptionConfigRead {
        SubscriptionConfigRead(mtime: mtime, content: .parsed(try! YAMLNode.parse(text)))
    }

    static let good = yaml("local:\n  - dataid: 1001\n    paths:\n      - /var/log/app/*.log\n")

    @Test("the subscription's config with a dataid passes, naming the file, dataids and paths")
    func pass() {
        let f = SubscriptionConfigCheck().run(facts([(Self.mine, Self.good)]))
        #expect(f.verdict == .pass)
        #expect(f.message == "real_config_name: \(Self.mine)")
        #expect(Fixture.evidence(f, "dataids") == .array([.int(1001)]))
        #expect(Fixture.evidence(f, "paths") == .array([.string("/var/log/app/*.log")]))
    }

    @Test("no directory, or no file for this subscription (another one's with a like name is named), fails")
    func noConfig() {
        let noDir = SubscriptionConfigCheck().run(Fixture.facts(subscription: 7))
        #expect(noDir.verdict == .fail && noDir.message == "subscription config dir is not exists: \(Self.dir.path)")

        let other = SubscriptionConfigCheck().run(facts([("bkunifylogbeat_sub_77_host_1.conf", Self.good)]))
        #expect(other.verdict == .fail && other.message == "no config file for subscription 7 in \(Self.dir.path)")
        #expect(Fixture.evidence(other, "other_files_with_prefix") == .array([.string("bkunifylogbeat_sub_77_host_1.conf")]))
    }

    @Test("dataid 0, invalid YAML, a file too large and a path the collector rejects fail")
    func problems() throws {
        let zero = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml("local:\n  - dataid: 0\n    paths: [/a.log]\n"))]))
        #expect(
            zero.verdict == .fail
                && zero.message
                    == "real_config_name: \(Self.mine); \(Self.mine): item 0: dataid 0 (the collector starts no task without a data id)",
            "\(zero.message)")
        // Missing, or null: the same 0 to the collector.
        for item in [
            "local:\n  - paths: [/a.log]\n", "local:\n  - dataid:\n    paths: [/a.log]\n",
            "local:\n  - dataid: '0x0'\n    paths: [/a.log]\n",
        ] {
            let f = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml(item))]))
            #expect(f.verdict == .fail && f.message.contains("the collector starts no task without a data id"), "\(item): \(f.message)")
        }

        let error = try #require(MainConfigCheckTests.yamlError("local: [\n"))
        let invalid = SubscriptionConfigCheck().run(facts([(Self.mine, SubscriptionConfigRead(content: .invalid(error)))]))
        #expect(invalid.verdict == .fail && invalid.message == "real_config_name: \(Self.mine); \(Self.mine): \(error.description)")

        // Past a bound of bkdiag's reader (size, nesting): go-yaml may take it, so it is not judged; a real
        // problem in another of the subscription's configs still fails.
        let large = SubscriptionConfigCheck().run(facts([(Self.mine, SubscriptionConfigRead(content: .tooLarge))]))
        #expect(large.verdict == .unknown && large.message.hasSuffix("\(Self.mine): larger than the \(4 << 20) bytes bkdiag reads"))
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        let deepError = try #require(MainConfigCheckTests.yamlError("local:\n  - dataid: 5\n    paths: [/a.log]\n    extra: " + deep))
        #expect(deepError.isReaderLimit)
        #expect(!error.isReaderLimit)
        let nested = SubscriptionConfigCheck().run(facts([(Self.mine, SubscriptionConfigRead(content: .invalid(deepError)))]))
        #expect(nested.verdict == .unknown && nested.message.contains("nesting deeper than 64"), "\(nested.message)")
        let both = SubscriptionConfigCheck().run(
            facts([
                (Self.mine, SubscriptionConfigRead(content: .tooLarge)),
                ("bkunifylogbeat_sub_7_host_2.conf", SubscriptionConfigRead(content: .invalid(error))),
            ]))
        #expect(both.verdict == .fail, "\(both.message)")

        let stars = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml("local:\n  - dataid: 5\n    paths: [/a/**/b/**/c.log]\n"))]))
        #expect(stars.verdict == .fail && stars.message.contains("item 0: bad pattern /a/**/b/**/c.log: more than one ** element"))

        // A glob written where Go wants a regular expression: the collector cannot make the item's input.
        let glob = SubscriptionConfigCheck().run(
            facts([(Self.mine, Self.yaml("local:\n  - dataid: 5\n    paths: [/a.log]\n    exclude_files: ['*.gz', '\\.bak$']\n"))]))
        #expect(glob.verdict == .fail, "\(glob.message)")
        #expect(
            glob.message.contains(
                "item 0: exclude_files *.gz is not a Go regular expression (missing argument to repetition operator: `*`)"),
            "\(glob.message)")
        #expect(glob.hint.contains("exclude_files"))
        let fine = SubscriptionConfigCheck().run(
            facts([(Self.mine, Self.yaml("local:\n  - dataid: 5\n    paths: [/a.log]\n    exclude_files: ['(?i)\\.gz$', '.bak$']\n"))]))
        #expect(fine.verdict == .pass, "\(fine.message)")
    }

    /// Items in the shape NodeMan renders bkunifylogbeat.conf.tpl (flat `multiline.*` keys, quoted
    /// durations), each with one setting the collector's log input refuses.
    @Test("an item the collector's log input refuses fails, whatever setting it is refused for")
    func refusedItems() {
        let base = "local:\n  - dataid: 1573123\n    tail_files: true\n    encoding: 'utf-8'\n    scan_frequency: '10s'\n"
        let refused: [(String, String)] = [
            ("    paths:\n", "item 0: no paths"),
            ("    paths: []\n", "item 0: no paths"),
            ("    paths:\n      - '/a.log'\n    ignore_older: '0s'\n", "item 0: ignore_older is 0"),
            (
                "    paths:\n      - '/a.log'\n    multiline.pattern: '^(?![ \\t])'\n    multiline.max_lines: '500'\n    multiline.timeout: '2s'\n    multiline.negate: true\n    multiline.match: after\n",
                "item 0: multiline.pattern ^(?![ \\t]) is not a Go regular expression"
            ),
            ("    paths: ['/a.log']\n    multiline.pattern: '^\\d'\n", "item 0: multiline.match is missing"),
            ("    paths: ['/a.log']\n    multiline:\n      match: after\n", "item 0: multiline.pattern is missing"),
            ("    paths: ['/a.log']\n    multiline.pattern: '^\\d'\n    multiline.match: later\n", "multiline.match later is neither"),
            ("    paths: ['/a.log']\n    max_bytes: -1\n", "item 0: max_bytes -1 is not above zero"),
            (
                "    paths: ['/a.log']\n    multiline.pattern: '^x'\n    multiline.match: after\n    multiline.timeout: '-1s'\n",
                "item 0: multiline.timeout '-1s' is negative"
            ),
            ("    paths: ['/a.log']\n    backoff: '0s'\n", "item 0: backoff '0s' is not above zero"),
            ("    paths: ['/a.log']\n    harvester_limit: -5\n", "item 0: harvester_limit -5 is not an unsigned 32-bit integer"),
            ("    paths: ['/a.log']\n    ignore_older: '600s'\n    clean_inactive: '610s'\n", "clean_inactive is not above"),
            ("    paths: ['/a.log']\n    include_lines: ['a(b']\n", "include_lines a(b is not a Go regular expression"),
            (
                "    paths: ['/a.log']\n    delimiter: '|'\n    filters:\n     - conditions:\n         - index: 1\n           key: 'x'\n           op: 'like'\n",
                "filter operator 'like' is not one the collector knows"
            ),
            (
                "    paths: ['/a.log']\n    delimiter: '|'\n    filters:\n     - conditions:\n         - index: 2\n           key: '(?!x)'\n           op: 'regex'\n",
                "filter regex (?!x) is not a Go regular expression"
            ),
        ]
        // Values go-ucfg cannot convert to the field's Go type (go-yaml v2 reads `yes` unquoted as a bool,
        // quoted as text that strconv.ParseBool refuses; a duration in text needs a unit).
        let mistyped: [(String, String)] = [
            ("    paths: ['/a.log']\n    tail_files: maybe\n", "tail_files 'maybe' is not a boolean"),
            ("    paths: ['/a.log']\n    tail_files: 'yes'\n", "tail_files 'yes' is not a boolean"),
            ("    paths: ['/a.log']\n    close_inactive: '120'\n", "close_inactive '120' is not a duration"),
            ("    paths: ['/a.log']\n    package_count: 'ten'\n", "package_count 'ten' is not an integer"),
            (
                "    paths: ['/a.log']\n    multiline.pattern: '^x'\n    multiline.match: after\n    multiline.negate: 'maybe'\n",
                "multiline.negate"
            ),
            (
                "    paths: ['/a.log']\n    multiline.pattern: '^x'\n    multiline.match: after\n    multiline.timeout: '5'\n",
                "multiline.timeout '5'"
            ),
            ("    paths: ['/a.log']\n    symlinks: [true]\n", "symlinks a list or map is not a boolean"),
            (
                "    paths: ['/a.log']\n    delimiter: '|'\n    filters:\n     - conditions:\n         - index: 'x'\n           key: 'a'\n           op: '='\n",
                "filter index 'x' is not an integer"
            ),
        ]
        for (item, reason) in refused + mistyped {
            // scan_frequency is in `base`; the cases replace none of its keys.
            let f = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml(base + item))], logPaths: ["/a.log"]))
            #expect(f.verdict == .fail && f.message.contains(reason), "\(item): \(f.message)")
        }
        // A data id that is not a number is named as such, not as missing.
        let abc = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml("local:\n  - dataid: \"abc\"\n    paths: ['/a.log']\n"))]))
        #expect(
            abc.verdict == .fail && abc.message.contains("dataid 'abc' is not an integer") && !abc.message.contains("missing"),
            "\(abc.message)")
        let zeroScan = SubscriptionConfigCheck().run(
            facts([(Self.mine, Self.yaml("local:\n  - dataid: 1\n    paths: ['/a.log']\n    scan_frequency: '0s'\n"))]))
        #expect(zeroScan.verdict == .fail && zeroScan.message.contains("scan_frequency '0s' is not above zero"), "\(zeroScan.message)")
        // Taken as they are: the template's multiline, a clean_inactive bkunifylogbeat raises by itself,
        // and items of other input types, which name no paths.
        let taken = [
            base
                + "    paths:\n      - '/a.log'\n    multiline.pattern: '^\\d{4}-\\d{2}'\n    multiline.max_lines: '500'\n    multiline.timeout: '2s'\n    multiline.negate: true\n    multiline.match: after\n    ignore_older: '2678400s'\n",
            base + "    paths: ['/a.log']\n    ignore_older: '600s'\n    clean_inactive: '60s'\n",
            // What go-ucfg converts: a float data id, an unquoted yes, quoted booleans and integers, seconds as numbers.
            "local:\n  - dataid: 1500203.0\n    paths: ['/a.log']\n    tail_files: yes\n    clean_removed: 'true'\n    package: 'T'\n    package_count: '0x10'\n    ignore_older: 86400\n    close_inactive: 1.5\n    harvester_limit: '1_000'\n",
            "local:\n  - dataid: 5\n    type: syslog\n    protocol.udp:\n      host: \"0.0.0.0:514\"\n",
            // Filters in the template's shape: read only with a one-byte delimiter.
            base
                + "    paths: ['/a.log']\n    delimiter: '|'\n    filters:\n     - conditions:\n         - index: 1\n           key: 'error'\n           op: '='\n         - index: 2\n           key: '^5\\d\\d$'\n           op: 'regex'\n",
            base
                + "    paths: ['/a.log']\n    delimiter: ''\n    filters:\n     - conditions:\n         - index: 1\n           key: 'x'\n           op: 'like'\n",
        ]
        for text in taken {
            let f = SubscriptionConfigCheck().run(facts([(Self.mine, Self.yaml(text))]))
            #expect(f.verdict == .pass, "\(text): \(f.message)")
        }
        // NodeMan's syslog template writes `host: ""` when the platform gives none: a TCP server refuses it, a UDP
        // one binds what it is given.
        let tcpNoHost = SubscriptionConfigCheck().run(
            facts([(Self.mine, Self.yaml("local:\n    - dataid: 1500400\n      type: syslog\n      protocol.tcp:\n        host: \"\"\n"))]))
        #expect(tcpNoHost.verdict == .fail && tcpNoHost.message.contains("protocol.tcp.host empty"), "\(tcpNoHost.message)")
        let tcpHost = SubscriptionConfigCheck().run(
            facts([
                (
                    Self.mine,
                    Self.yaml("local:\n    - dataid: 1500400\n      type: syslog\n      protocol.tcp:\n        host: \"0.0.0.0:5140\"\n")
                )
            ]))
        #expect(tcpHost.verdict == .pass, "\(tcpHost.message)")
        let udpNoHost = SubscriptionConfigCheck().run(
            facts([(Self.mine, Self.yaml("local:\n    - dataid: 1500400\n      type: syslog\n      protocol.udp:\n        host: \"\"\n"))]))
        #expect(udpNoHost.verdict == .pass, "\(udpNoHost.message)")
    }

    /// bk-log's encoding choices (`ENCODINGS` in apps/log_search/constants.py), upper-cased as its UI sends them.
    static let bkLogEncodings = [
        "utf-8", "gbk", "gb18030", "big5", "iso8859-6e", "iso8859-6i", "iso8859-8e", "iso8859-8i", "iso8859-1", "iso8859-2",
        "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8", "iso8859-9", "iso8859-10", "iso8859-13",
        "iso8859-14", "iso8859-15", "iso8859-16", "cp437", "cp850", "cp852", "cp855", "cp858", "cp860", "cp862", "cp863", "cp865",
        "cp866", "ebcdic-037", "ebcdic-1040", "ebcdic-1047", "koi8r", "koi8u", "macintosh", "macintosh-cyrillic", "windows1250",
        "windows1251", "windows1252", "windows1253", "windows1254", "windows1255", "windows1256", "windows1257", "windows1258",
        "windows874", "utf-16-bom", "utf-16be-bom", "utf-16le-bom",
    ]

    @Test("an encoding the collector does not know fails the item: each of its harvesters would fail to start")
    func encodings() {
        func run(_ encoding: String) -> Finding {
            SubscriptionConfigCheck().run(
                facts([(Self.mine, Self.yaml("local:\n  - dataid: 5\n    paths: ['/a.log']\n    encoding: \(encoding)\n"))]))
        }
        // Names looked up in neither the collector's own table nor the WHATWG labels; YAML's unquoted yes
        // is a bool, which go-ucfg makes the text "true"; a list is no text at all.
        let unknown: [(String, String)] = [
            ("'cp936'", "encoding 'cp936' is not one the collector knows"), ("'latin-1'", "encoding 'latin-1'"),
            ("'utf8mb4'", "encoding 'utf8mb4'"), ("'UTF-8-BOM'", "encoding 'UTF-8-BOM'"), ("yes", "encoding true is not one"),
            ("' '", "encoding ' '"), ("[utf-8]", "encoding a list or map is not text"), ("437", "encoding 437 is not one"),
        ]
        for (value, reason) in unknown {
            let f = run(value)
            #expect(f.verdict == .fail && f.message.contains(reason), "\(value): \(f.message)")
        }
        // Every name bk-log offers, as its UI sends it and as the template lower-cases it; WHATWG labels in
        // any case and with spaces around them (x/text trims them); a number that prints as a label; an
        // empty or null encoding (plain bytes, or the default).
        let known =
            Self.bkLogEncodings.flatMap { ["'\($0)'", "'\($0.uppercased())'"] } + [
                "'GB2312'", "' utf-8 '", "'Shift_JIS'", "'x-user-defined'", "'replacement'", "866", "866.0", "''", "null", "",
            ]
        for value in known {
            let f = run(value)
            #expect(f.verdict == .pass, "\(value): \(f.message)")
        }
    }

    @Test("encoding names are compared as Go lower-cases and trims them, not as Swift does")
    func encodingNames() {
        // Go's simple lower-case mapping: U+0130 is `i` (Swift's full mapping adds a combining dot), the
        // Kelvin sign is `k`; x/text trims Unicode white space (a no-break space too), the own table does not.
        #expect(CollectorEncoding.isKnown("\u{130}SO-8859-1"))
        #expect(CollectorEncoding.isKnown("\u{212A}OI8-R"))
        #expect(CollectorEncoding.isKnown("\u{A0}gbk\u{3000}"))
        #expect(CollectorEncoding.isKnown("\u{A0}windows1252") == false)
        #expect(CollectorEncoding.isKnown("windows1252") && CollectorEncoding.isKnown("Windows-1252"))
        #expect(CollectorEncoding.isKnown("utf-16") && !CollectorEncoding.isKnown("utf-32"))
        #expect(CollectorEncoding.isKnown("") && !CollectorEncoding.isKnown("\u{A0}"))
    }

    @Test("an item's tail_files is read as the collector holds it: absent true, written null filebeat's false")
    func tailFiles() {
        let cases: [(String, Bool)] = [
            ("", true), ("    tail_files: false\n", false), ("    tail_files: 'true'\n", true), ("    tail_files:\n", false),
            ("    tail_files: no\n", false),
        ]
        for (line, expected) in cases {
            let h = facts([(Self.mine, Self.yaml("local:\n  - dataid: 5\n    paths: ['/a.log']\n" + line))])
            let items = CollectorFileRules.items(subscription: 7, facts: h)
            #expect(items.map(\.tailFiles) == [expected], "\(line)")
        }
    }

    @Test("a file the pattern of its directory does not load fails")
    func notLoaded() {
        let dir = SubscriptionConfigDir(path: Self.dir.path, filePattern: "*.yml")
        let h = facts([(Self.mine, Self.good)])
        h.subscriptionConfigsOverride = SubscriptionConfigListing(dirs: [dir], files: [SubscriptionConfigFile(dir: dir, name: Self.mine)])
        let f = SubscriptionConfigCheck().run(h)
        #expect(f.verdict == .fail)
        #expect(f.message.contains("not loaded, the name does not match multi_config file_pattern *.yml"))
    }

    @Test("a config bkdiag may not read is unknown")
    func unreadable() {
        let read = SubscriptionConfigRead(content: .unreadable(Fixture.error(EACCES, "open", Self.dir.path + "/" + Self.mine)))
        let f = SubscriptionConfigCheck().run(facts([(Self.mine, read)]))
        #expect(f.verdict == .unknown)
        #expect(f.message.hasPrefix("real_config_name: \(Self.mine); cannot read \(Self.mine): open "))
        #expect(Fixture.evidence(f, "unreadable") == .array([.string(Self.mine)]))
    }

    @Test("a -l path the config does not list, and a config newer than the collector, warn")
    func warnings() {
        let undelivered = SubscriptionConfigCheck().run(facts([(Self.mine, Self.good)], logPaths: ["/var/log/new/*.log"]))
        #expect(undelivered.verdict == .warn)
        #expect(undelivered.message == "real_config_name: \(Self.mine); does not list /var/log/new/*.log")
        #expect(Fixture.evidence(undelivered, "not_in_config") == .array([.string("/var/log/new/*.log")]))
        // The config's own path spelt another way is the same path (Go's glob finds the same files).
        for same in ["/var/log//app/*.log", "/var/log/./app/*.log", "/var/log/app/../app/*.log"] {
            let f = SubscriptionConfigCheck().run(facts([(Self.mine, Self.good)], logPaths: [same]))
            #expect(f.verdict == .pass, "\(same): \(f.message)")
        }

        // The collector started 50,000 s before now (uptime 100,000 s, started at 50,000 s); the config is 100 s old.
        let h = facts([(Self.mine, Self.yaml("local:\n  - dataid: 1001\n    paths: [/a.log]\n", mtime: 1_795_435_100))])
        // Started by NodeMan's start.sh: `./bkunifylogbeat -c ../etc/bkunifylogbeat.conf` in plugins/bin.
        let started = Fixture.process(100, exe: Fixture.collectorExe, arguments: ["./bkunifylogbeat", "-c", "../etc/bkunifylogbeat.conf"])
        h.processes = .success([started])
        let newer = SubscriptionConfigCheck().run(h)
        #expect(newer.verdict == .warn)
        #expect(newer.message == "real_config_name: \(Self.mine); changed after the collector started and not reloaded (pid 100)")
        // A start entry after the change did not start this collector (it is older): nothing was loaded.
        h.restartLogText = .success(Self.entry(at: 1_795_435_150) + " INFO|1|log-main start bkunifylogbeat\n")
        #expect(SubscriptionConfigCheck().run(h).message.hasSuffix("not reloaded (pid 100)"))
        // A reload after the change is the collector having loaded it.
        h.restartLogText = .success(Self.entry(at: 1_795_435_150) + " INFO|1|log-main reload bkunifylogbeat\n")
        #expect(SubscriptionConfigCheck().run(h).verdict == .pass)
        // ... unless reload.sh could not find it: started by hand with another argv[0], or run from elsewhere.
        for other in [
            Fixture.process(100, exe: Fixture.collectorExe, arguments: [Fixture.collectorExe, "-c", "../etc/bkunifylogbeat.conf"]),
            Fixture.process(100, exe: "/opt/manual/bkunifylogbeat", arguments: ["./bkunifylogbeat"], cwd: "/usr/local/gse/plugins/bin"),
        ] {
            h.processes = .success([other])
            let missed = SubscriptionConfigCheck().run(h)
            #expect(missed.verdict == .warn, "\(missed.message)")
            #expect(missed.message.contains("not reloaded (pid 100): NodeMan's reload at "), "\(missed.message)")
            #expect(
                missed.message.contains("reload.sh signals only a collector started as ./bkunifylogbeat from /usr/local/gse/plugins/bin"))
        }
        // A config changed after that reload is "not reloaded", whoever the collector is.
        h.restartLogText = .success(Self.entry(at: 1_795_435_050) + " INFO|1|log-main reload bkunifylogbeat\n")
        #expect(SubscriptionConfigCheck().run(h).message.hasSuffix("not reloaded (pid 100)"))
    }

    /// `YYYYMMDD-HHMMSS` of a Unix time, in local time as NodeMan writes it.
    static func entry(at seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }
}

@Suite("which configs of a subscription the collector loads")
struct ConfigStatesTests {
    @Test(
        "a dangling symlink, a directory or a symlink loop under a config's name is refused (the collector cannot load it either); a config bkdiag may not read is unread"
    )
    func unloadableConfigsAreRefused() {
        let name = "bkunifylogbeat_sub_7_host_1.conf"
        for errno in [ENOENT, EISDIR, ELOOP] {
            let h = Fixture.facts(subscription: 7)
            Fixture.subscriptionConfigs(h, [(name, SubscriptionConfigRead(content: .unreadable(Fixture.error(errno, "open", name))))])
            let states = CollectorFileRules.configStates(subscription: 7, facts: h)
            #expect(states.refused.count == 1 && states.unread.isEmpty, "\(errno): \(states.refused) \(states.unread)")
            #expect(states.refused.first?.1.hasPrefix("the collector cannot load it") == true)
        }
        // Read as no file a config can be loaded from (a symlink loop, a FIFO): the same, not "not YAML".
        for error in [YAMLError.symlinkLoop, YAMLError.notRegular("FIFO")] {
            let h = Fixture.facts(subscription: 7)
            Fixture.subscriptionConfigs(h, [(name, SubscriptionConfigRead(content: .invalid(error)))])
            let states = CollectorFileRules.configStates(subscription: 7, facts: h)
            #expect(states.refused.first?.1.hasPrefix("the collector cannot load it") == true, "\(states.refused)")
        }
        let h = Fixture.facts(subscription: 7)
        Fixture.subscriptionConfigs(h, [(name, SubscriptionConfigRead(content: .unreadable(Fixture.error(EACCES, "open", name))))])
        let denied = CollectorFileRules.configStates(subscription: 7, facts: h)
        #expect(denied.refused.isEmpty && denied.unread.count == 1, "\(denied.refused) \(denied.unread)")
    }
}
