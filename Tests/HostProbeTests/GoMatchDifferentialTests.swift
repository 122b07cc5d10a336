import Foundation
import Report
import TestSupport
import Testing

@testable import HostProbe

/// Go's own `regexp` and `filepath.Match` (Tests/GoMatchOracle/main.go, standard library only): the
/// references `GoRegex` and `Glob.match` are held to, as bkunifylogbeat compiles `exclude_files` with the
/// first (searching each full path) and globs its log paths with the second.
enum GoMatchOracle {
    static let source = BuildProducts.repoRoot() + "/Tests/GoMatchOracle/main.go"

    static var go: String? { GoPrograms.go }

    /// Go's answer per case (`mode` "regexp" or "glob"): its error, or whether each text matches.
    static func run(
        _ mode: String, _ cases: [(pattern: String, texts: [String])], in dir: String
    ) async throws -> [(error: String?, matches: [Bool])] {
        let exe = dir + "/go-match-oracle"
        let built = try await ProgramRun.run(
            go!, ["build", "-o", exe, source],
            environment: [
                "GO111MODULE": "off", "GOPATH": dir + "/gopath", "GOCACHE": BuildProducts.directory + "/go-match-oracle-cache",
                "HOME": dir, "GOFLAGS": "",
            ], timeout: 600)
        guard built.status == 0 else { throw FakeHostError("go build of the match oracle failed: \(built.stdout + built.stderr)") }
        let input = JSONValue.array(
            cases.map { .object([("pattern", .string($0.pattern)), ("texts", .array($0.texts.map { .string($0) }))]) })
        let file = dir + "/cases.json"
        try Data(input.serialized().utf8).write(to: URL(fileURLWithPath: file))
        let r = try await ProgramRun.run(exe, [mode, file], timeout: 120)
        guard r.status == 0, let answers = try JSONValue.parse(r.stdout).arrayValue, answers.count == cases.count else {
            throw FakeHostError("match oracle: \(r.stdout.prefix(300)) \(r.stderr.prefix(300))")
        }
        return answers.map { a in
            (a["error"]?.stringValue, a["matches"]?.arrayValue?.compactMap(\.boolValue) ?? [])
        }
    }
}

@Suite("exclude_files expressions as Go's regexp reads them")
struct GoRegexDifferentialTests {
    static let texts = [
        "/data/logs/app/a.log", "/data/logs/app/a.log.gz", "/data/logs/app/A.LOG", "/data/logs/mysql_backup", "/data/logs/app_bak",
        "/data/logs/x.bak", "/data/logs/gz", "/data/logs/arch-tgz", "/data/logs/app.log.1", "/data/logs/app.log.20261123",
        "/data/日志/应用.log", "/data/日志/a日b.log", "/data/logs/a\nb.log", "/data/logs/a\ngz", "/tmp/x.log", "/data/tmp/x.log",
        "/data/logs/debug.log", "/data/logs/trace.LOG", "/data/logs/a]b.log", "/data/logs/a-b.log", "/data/logs/a^b.log",
        "/data/logs/a{2}.log", "/data/logs/aa.log", "/data/logs/a b.log", "/data/logs/a\tb.log", "/data/logs/x_1.swp",
        "/data/logs/.hidden.swp", "/data/logs/a\\b.log", "/data/logs/(x).log", "/data/logs/a+b.log", "/data/logs/ab.log",
        "/data/logs/a.b.log", "/data/logs/app-2026-11-23.log", "/data/logs/A1.log", "/data/logs/é.log", "/data/logs/e\u{301}.log",
        "", "/", "gz", "日", "éé", "xy", "xéy", "/var/\u{212A}.log", "\u{17F}.log", "a", "a{01}", "aaa", "日志",
    ]

    static let patterns = [
        // The collector's defaults and their escaped spelling.
        ".gz$", ".bz2$", ".tgz$", ".tbz$", ".zip$", ".7z$", ".bak$", ".backup$", ".swp$", #"\.gz$"#, #"\.log\.\d+$"#,
        // What people write.
        #"\.log\.[0-9]{8}$"#, #"(debug|trace)\.log$"#, "(?i)trace", #"(?i)\.log$"#, "^/tmp/", "/tmp/", #"\d{4}-\d{2}-\d{2}"#,
        #"\w+_bak"#, #"[\w]+x\.log$"#, #"[\d]+"#, #"[^\d]x"#, "[[:digit:]]+", "[[:word:]]+_bak", "[[:alpha:]]{3}", "日志",
        "a.b", "a..b", "a.*b", "a.+b", "a.?b", "a[^/]b", "a[^/]*b", "[^/]+$", #"a\Db"#, #"a\Sb"#, #"\s"#, #"a\Wb"#, "x.{2}log",
        ".{3}log$", "(?s)a.b", #"a\nb"#, #"a\tb"#, #"\x41"#, #"\x{61}\.log"#, #"\.hidden"#, #"\bgz$"#, #"\Bgz$"#, #"\Atmp"#,
        #"log\z"#, "a*?b", "a+?b", "a??b", "a{2}", "a{2,}", "a{1,3}", "a{,2}", "a{x}", "{", "a}", "]", "a]b", "[]a]b",
        "[^]a]b", "[a-]b", "[-a]b", "[a^]b", "[\\^]b", "[-^]b", "[\\]]b", "[\\-a]b", #"[\\]b"#, "[.]log$", #"[\.]log$"#,
        "(x)", "(?:x)", "(?P<n>x)", "a|b", "^$", "", "(?U)a+", "(?i)ÉÉ", "é", "[é]", "\\pL", "\\p{Han}", "\\Qa.b\\E",
        "(?i:x)", "(?m)^a", "(?<n>x)", "^*", "a|", "|a", "()",
        // Found in review: repeats of characters beyond ASCII, (?i) beyond ASCII, counts with leading zeros,
        // nested counts, flag syntax, \x with a sign.
        "日志*", "^é+$", "^xé?y$", "^é{2}$", "(?i)k", #"(?i)s\.log"#, "(?i)[a-z]", "a{01}", "a{1,02}", "(a{3}){333}",
        "(a{100}){100}", "(a{2}){600}", "(a{1000}){2}", "(?:a{10}|b){101}", "((a{10}){10}){11}", "(a{0}){5000}",
        "(?i-)a", "(?i--s)a", "(?-i-s)a", "(?i-s)a", #"\x{+41}"#, #"\x+4"#, #"\x{D800}"#,
        // What Go refuses.
        "*.gz", "+x", "?x", "a**", "a*+", "a{2}{3}", "a{1001}", "a{3,2}", "(a", "a)", "[a", "[]", "[^]", "a\\", #"(a)\1"#,
        #"\8"#, #"\q"#, #"\é"#, "(?=x)", "(?P=n)", "(?x)a", "[b-a]", "[[:foo:]]", "(?P<>x)", #"\x{zz}"#, "a{1000}{2}",
        // Lookbehind: refused by every Go (only `(?<name>` is Go 1.22's).
        "(?<=a)b", "(?<!a)b", "(?<>a)", "(?<n",
    ]

    @Test(
        "GoRegex refuses what Go refuses and, when it judges a path, judges it as Go does",
        .enabled(if: GoMatchOracle.go != nil, "go is not installed (Scripts/deps.sh test installs golang-go)"))
    func differential() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-goregex-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = Self.patterns.map { ($0, Self.texts) }
        let reference = try await GoMatchOracle.run("regexp", cases, in: dir)
        var usable = 0, invalid = 0, decided = 0, undecided = 0, unsupported = 0
        for (pattern, go) in zip(Self.patterns, reference) {
            switch GoRegex.compile(pattern) {
            case .invalid(let why):
                invalid += 1
                #expect(go.error != nil, "\(pattern): Go accepts it, bkdiag calls it invalid (\(why))")
            case .unsupported:
                unsupported += 1
            case .usable(let r):
                usable += 1
                guard go.error == nil else {
                    Issue.record("\(pattern): Go refuses it (\(go.error!)), bkdiag judges paths with \(r.posix)")
                    continue
                }
                for (text, expected) in zip(Self.texts, go.matches) {
                    guard let ours = r.matches(text) else {
                        undecided += 1
                        // Only character counts on text beyond ASCII are left unjudged.
                        #expect(!text.utf8.allSatisfy { $0 < 0x80 }, "\(pattern) left ASCII \(text.debugDescription) unjudged")
                        continue
                    }
                    decided += 1
                    #expect(ours == expected, "\(pattern) (POSIX \(r.posix.debugDescription)) on \(text.debugDescription): Go \(expected)")
                }
            }
        }
        // Every refusal Go makes is seen here as invalid or at least not judged; most expressions are judged.
        #expect(invalid >= 20, "invalid \(invalid)")
        #expect(usable >= 80, "usable \(usable), unsupported \(unsupported)")
        #expect(decided >= 3_000 && undecided < decided / 6, "decided \(decided), undecided \(undecided)")
    }

    @Test("the defaults are the collector's unescaped expressions: `.backup$` excludes mysql_backup, `.gz$` a.gz but not gz")
    func unescapedDefaults() throws {
        for (pattern, text, expected) in [
            (".backup$", "/l/mysql_backup", true), (".bak$", "/l/app_bak", true), (".tgz$", "/l/arch-tgz", true),
            (".gz$", "/l/a.log.gz", true), (".gz$", "gz", false), (".gz$", "/l/a\ngz", false), (".gz$", "/l/a.gz.1", false),
        ] {
            guard case .usable(let r) = GoRegex.compile(pattern) else {
                Issue.record("\(pattern) not usable")
                continue
            }
            #expect(r.matches(text) == expected, "\(pattern) on \(text.debugDescription)")
        }
    }

    @Test(
        "Go's refusals are named in Go's words",
        arguments: [
            ("*.gz", "missing argument to repetition operator: `*`"), ("a**", "invalid nested repetition operator"),
            (#"(a)\1"#, "invalid escape sequence"), ("[a", "missing closing ]"), ("a{1001}", "invalid repeat count"),
        ])
    func refusals(pattern: String, reason: String) {
        guard case .invalid(let why) = GoRegex.compile(pattern) else {
            Issue.record("\(pattern) not refused")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }
}

@Suite("log path elements as Go's filepath.Match reads them")
struct GoGlobDifferentialTests {
    static let names = [
        "a.log", ".hidden.log", "a.log.1", "abc", "ac", "bx", "dx", "]", "-", "^", "!", "a", "b", "m", "z", "*", "?", "[", "\\",
        "日志 1.log", "日志.log", "é", "x]y", "a-b", "", "a.LOG", "A.log", "$(id);`x`", "[ab]", "a b.log",
    ]
    static let patterns = [
        "*.log", "a?c", "[a-c]x", "[^a-c]x", "[!a-c]x", "\\*", "日志*", "$(id);`x`", "*", "a*b*c", "?", "??", "[]a]", "[a-]",
        "[-a]", "[^]]", "[a\\-]", "[\\]]", "[\\-a]", "[z-a]", "[a-c]", "[]", "[^]", "a[", "[a-\\]]", "[abc", "abc\\", "[a-",
        "[\\", "[^a]", "[日-月]*", "[é]", "\\[ab]", "[[]", "[*]", "[a-b-c]", "[--a]", "[a--]", "*\\.log", "\\a\\.log",
        "[\\^a]", "[^^]", "*[", "x]y", "*]", "a-b", "[!]", "[a]]",
    ]

    @Test(
        "Glob.match refuses the patterns Go refuses and matches the names Go matches",
        .enabled(if: GoMatchOracle.go != nil, "go is not installed (Scripts/deps.sh test installs golang-go)"))
    func differential() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-goglob-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reference = try await GoMatchOracle.run("glob", Self.patterns.map { ($0, Self.names) }, in: dir)
        var refused = 0, compared = 0
        for (pattern, go) in zip(Self.patterns, reference) {
            if let error = go.error {
                refused += 1
                #expect(throws: GlobPatternError.self, "\(pattern): Go says \(error)") { try Glob.match(pattern, "abc") }
                #expect(throws: GlobPatternError.self) { try Glob.validate("/tmp/" + pattern) }
                continue
            }
            for (name, expected) in zip(Self.names, go.matches) {
                compared += 1
                #expect((try? Glob.match(pattern, name)) == expected, "\(pattern) on \(name.debugDescription): Go \(expected)")
            }
        }
        #expect(refused >= 15 && compared >= 900, "refused \(refused), compared \(compared)")
    }
}
