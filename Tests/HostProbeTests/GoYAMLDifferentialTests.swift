import Foundation
import HostProbe
import TestSupport
import Testing

/// The collector's own YAML parser, gopkg.in/yaml.v2, built from Debian's golang-gopkg-yaml.v2-dev
/// with Tests/GoYAMLOracle/main.go: the reference bkdiag's config verdicts are held to.
enum GoYAMLOracle {
    static let source = BuildProducts.repoRoot() + "/Tests/GoYAMLOracle/main.go"
    static let gopath = "/usr/share/gocode"

    /// `go` on the PATH and go-yaml v2's sources where Debian puts them.
    static var go: String? {
        guard FileManager.default.fileExists(atPath: gopath + "/src/gopkg.in/yaml.v2/decode.go") else { return nil }
        return GoPrograms.go
    }

    static var available: Bool { go != nil }

    /// Builds the oracle into `dir` (Go's build cache kept beside the Swift build, so a rerun is quick).
    static func build(into dir: String) async throws -> String {
        let out = dir + "/go-yaml-oracle"
        let cache = BuildProducts.directory + "/go-yaml-oracle-cache"
        let r = try await runCapturing(
            go!, ["build", "-o", out, source],
            environment: [
                "GO111MODULE": "off", "GOPATH": gopath, "GOCACHE": cache, "HOME": dir, "GOFLAGS": "",
            ])
        guard r.status == 0 else { throw FakeHostError("go build of the YAML oracle failed: \(r.output)") }
        return out
    }

    /// One verdict per file: nil when go-yaml v2 accepts it, else its error message.
    static func verdicts(_ oracle: String, files: [String]) async throws -> [String?] {
        let r = try await runCapturing(oracle, files)
        let lines = r.output.split(separator: "\n").map(String.init)
        guard r.status == 0, lines.count == files.count else { throw FakeHostError("oracle: \(r.output)") }
        return lines.map { $0 == "ok" ? nil : String($0.dropFirst("error: ".count)) }
    }
}

/// Tricky configs: encodings, control characters, merges, aliases around go-yaml's budget.
enum YAMLCorpus {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A list of `n` scalars under an anchor, then `m` aliases of it: go-yaml counts n+1 alias visits
    /// per alias among n+2 visits, so at n = 200 the share of alias visits crosses its 99% budget
    /// between m = 199 (39,999 of 40,404) and m = 200 (40,200 of 40,606).
    static func aliasFan(n: Int, m: Int) -> [UInt8] {
        let base = (0..<n).map { "s\($0)" }.joined(separator: ", ")
        let refs = Array(repeating: "*b", count: m).joined(separator: ", ")
        return bytes("base: &b [\(base)]\nrefs: [\(refs)]\n")
    }

    /// `levels` of "laughs", each a list of `width` aliases of the one before.
    static func laughs(levels: Int, width: Int) -> [UInt8] {
        var lines = ["a0: &a0 [\"lol\"]"]
        for l in 1...levels {
            lines.append("a\(l): &a\(l) [" + Array(repeating: "*a\(l - 1)", count: width).joined(separator: ", ") + "]")
        }
        return bytes(lines.joined(separator: "\n") + "\n")
    }

    static let mainConfig = bytes(
        """
        logging.level: error
        max_procs: 1
        output.bkpipe_multi:
          endpoint: /var/run/ipc.state.report
          hostip: 10.0.0.1
          cloudid: 0
        path.logs: /var/log/gse
        path.data: /var/lib/gse
        path.pid: /var/run/gse
        processors:
          - drop_event:
              when:
                not:
                  has_fields: ["dataid"]
        bkunifylogbeat.registry.flush: "10s"
        bkunifylogbeat.multi_config:
          - path: /usr/local/gse/plugins/etc/bkunifylogbeat
            file_pattern: "*.conf"
          - path: /usr/local/gse/plugins/etc/bkunifylogbeat/bcs
            file_pattern: "*.conf"

        """)

    static var cases: [(String, [UInt8])] {
        var out: [(String, [UInt8])] = [
            ("main config", mainConfig),
            ("GBK comment", mainConfig + [0x23, 0x20, 0xD6, 0xD0, 0xCE, 0xC4, 0x0A]),
            ("GBK value", bytes("local:\n  - paths: ['/data/") + [0xC8, 0xD5, 0xD6, 0xBE] + bytes("/*.log']\n")),
            ("Latin-1 at the end", bytes("a: caf") + [0xE9]),
            ("cut UTF-8 at the end", bytes("a: ") + [0xE4, 0xB8]),
            ("overlong", bytes("a: ") + [0xC0, 0xAF] + bytes("\n")),
            ("encoded surrogate", bytes("a: ") + [0xED, 0xA0, 0x80] + bytes("\n")),
            ("control character", bytes("a: b\u{01}c\n")),
            ("BOM", [0xEF, 0xBB, 0xBF] + bytes("a: 1\n")),
            ("CJK", bytes("路径: /data/日志/*.log\n")),
            ("tab indentation", bytes("a:\n\tb: 1\n")),
            ("unclosed flow", bytes("a: [1, 2\n")),
            ("unknown alias", bytes("a: *nope\n")),
            ("duplicate keys", bytes("a: 1\na: 2\n")),
            ("merge of a map", bytes("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")),
            ("merge of a list of maps", bytes("b1: &b1 {x: 1}\nb2: &b2 {y: 2}\nc:\n  <<: [*b1, *b2]\n")),
            ("merge of a scalar", bytes("s: &s 5\nc:\n  <<: *s\n")),
            ("merge of a plain scalar", bytes("c:\n  <<: 5\n")),
            ("quoted << is a key", bytes("c:\n  '<<': 5\n")),
            ("alias of a map as a key", bytes("m: &m {x: 1}\n? *m\n: 1\n")),
            ("second document broken", bytes("a: 1\n---\nb: [\n")),
            // Escapes in double quotes: go-yaml v2 takes \' (libyaml refuses it) and refuses \/ (libyaml takes it).
            ("double-quoted \\' escape", bytes("ext_meta:\n  note: \"it\\'s\"\n")),
            ("double-quoted \\' escape, CJK before it", bytes("路径: \"日志 it\\'s \\' x\"\nb: 1\n")),
            ("double-quoted \\' escape over lines", bytes("a: \"x\n  y\\'s\"\n")),
            ("double-quoted \\/ escape", bytes("ext_meta:\n  dir: \"D:\\/data\"\n")),
            ("double-quoted \\/ escape, CJK before it", bytes("a: \"日志\\/x\"\n")),
            ("double-quoted \\\\/ is a backslash and a slash", bytes("a: \"D:\\\\/data\"\n")),
            ("single-quoted \\/ is text", bytes("a: 'D:\\/data'\n")),
            ("double-quoted \\' in a flow list", bytes("a: [\"x\\'y\", \"z\"]\n")),
            ("billion laughs", laughs(levels: 9, width: 10)),
        ]
        for (levels, width) in [(2, 10), (3, 10), (4, 5), (3, 3), (2, 40)] {
            out.append(("laughs \(levels)x\(width)", laughs(levels: levels, width: width)))
        }
        for m in [50, 150, 199, 200, 201, 202, 300] { out.append(("fan 200x\(m)", aliasFan(n: 200, m: m))) }
        for m in [5_000, 5_300] { out.append(("fan 100x\(m)", aliasFan(n: 100, m: m))) }
        for m in [9, 10, 11, 12] { out.append(("fan 1000x\(m)", aliasFan(n: 1_000, m: m))) }
        for (n, m) in [(9, 11), (5_000, 79), (5_000, 100)] { out.append(("fan \(n)x\(m)", aliasFan(n: n, m: m))) }
        return out
    }
}

@Suite("YAML as the collector's go-yaml v2 reads it")
struct GoYAMLDifferentialTests {
    @Test(
        "bkdiag accepts and refuses exactly the configs go-yaml v2 does, with its reason for encodings and aliasing",
        .enabled(if: GoYAMLOracle.available, "go or golang-gopkg-yaml.v2-dev is not installed (Scripts/deps.sh test installs both)"))
    func differential() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-goyaml-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let oracle = try await GoYAMLOracle.build(into: dir)
        let cases = YAMLCorpus.cases
        var files: [String] = []
        for (i, (_, content)) in cases.enumerated() {
            let path = dir + "/case-\(i).yaml"
            try Data(content).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        let reference = try await GoYAMLOracle.verdicts(oracle, files: files)
        var accepted = 0, refused = 0
        for ((name, content), goError) in zip(cases, reference) {
            let ours: YAMLError?
            do {
                _ = try YAMLNode.parse(bytes: content)
                ours = nil
            } catch {
                ours = error
            }
            #expect((ours == nil) == (goError == nil), "\(name): go-yaml says \(goError ?? "ok"), bkdiag says \(ours?.description ?? "ok")")
            if let goError, let ours {
                refused += 1
                // Reader errors and the alias budget: the same sentence as go-yaml's (libyaml's reader is
                // go-yaml's original; the budget is replayed).
                let reason = goError.hasPrefix("yaml: ") ? String(goError.dropFirst(6)) : goError
                if reason.contains("UTF-8") || reason.contains("Unicode") || reason.contains("control characters")
                    || reason.contains("excessive aliasing")
                {
                    #expect(ours.problem.contains(reason), "\(name): go-yaml: \(reason); bkdiag: \(ours.problem)")
                }
            } else if goError == nil {
                accepted += 1
            }
        }
        // The corpus straddles the line: both sides are exercised.
        #expect(accepted >= 10 && refused >= 10, "accepted \(accepted), refused \(refused)")
        #expect(reference[cases.firstIndex { $0.0 == "billion laughs" }!]?.contains("excessive aliasing") == true)
        #expect(reference[cases.firstIndex { $0.0 == "GBK comment" }!] != nil)
    }

    /// Keys go-yaml v2 may read as text or not, each alone, as a value (never refused), nested in a
    /// list item's map, in a flow map and through an alias.
    static let keys = [
        "on", "On", "ON", "off", "yes", "Yes", "y", "Y", "n", "N", "no", "NO", "true", "False", "TRUE", "null", "Null", "~",
        "1", "-1", "+1", "0", "10086", "0x1F", "0X1f", "0o17", "017", "08", "09.5", "1_000", "1__0", "_1", "1e3", "1E+3", "1e",
        "1.5", "1.", ".5", ".5e3", ".e5", ".", "..", "._5", ".5_0", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".Nan", "1e999", "-1e999",
        "99999999999999999999", "-9223372036854775809", "0b101", "-0b1", "0b2", "0x", "0xFFFFFFFFFFFFFFFFFF", "-", "+", "+-1",
        "2001-12-14", "12:30", "env", "yes_no", "on-call", "0x+5", "0o+7", "++5", "+0xFFFFFFFFFFFFFFFF", "+0x7FFFFFFFFFFFFFFF", "'on'",
        "\"1\"", "!!str 1", "\"\"", "''", "<<x", "0.0.0.0", "1.2.3",
    ]

    @Test(
        "with text keys only, bkdiag refuses exactly the keys go-yaml v2 decodes as something other than a string",
        .enabled(if: GoYAMLOracle.available, "go or golang-gopkg-yaml.v2-dev is not installed (Scripts/deps.sh test installs both)"))
    func textKeys() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-goyaml-keys-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let oracle = try await GoYAMLOracle.build(into: dir)
        var docs: [(String, String)] = []
        for k in Self.keys {
            docs.append(("\(k): top", "\(k): x\nother: 1\n"))
            docs.append(("\(k): value", "key: \(k)\n"))
            docs.append(("\(k): in a list item", "local:\n  - dataid: 1\n    ext_meta:\n      \(k): \"v\"\n"))
            docs.append(("\(k): flow", "labels: {\(k): v}\n"))
            docs.append(("\(k): alias", "a: &k \(k)\nm:\n  *k : v\n"))
        }
        docs.append(("empty key", ": v\n"))
        docs.append(("explicit key", "? on\n: v\n"))
        var files: [String] = []
        for (i, (_, text)) in docs.enumerated() {
            let path = dir + "/keys-\(i).yaml"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        let r = try await runCapturing(oracle, ["-string-keys"] + files)
        let lines = r.output.split(separator: "\n").map(String.init)
        #expect(r.status == 0 && lines.count == files.count, "\(r.output.prefix(500))")
        var refused = 0, accepted = 0
        for ((name, text), go) in zip(docs, lines) {
            // Documents go-yaml refuses as YAML are the other test's business.
            guard !go.hasPrefix("error: yaml:") else { continue }
            let ours: YAMLError?
            do {
                _ = try YAMLNode.parse(text, textKeysOnly: true)
                ours = nil
            } catch {
                ours = error
            }
            let goRefuses = go.hasPrefix("error: non-string key")
            #expect(goRefuses == (ours != nil), "\(name): go-yaml says \(go), bkdiag says \(ours?.description ?? "ok")")
            if goRefuses { refused += 1 } else { accepted += 1 }
            if let ours { #expect(ours.problem.contains("go-ucfg"), "\(ours.problem)") }
        }
        #expect(refused >= 100 && accepted >= 150, "refused \(refused), accepted \(accepted)")
        // Without the option the keys are plain YAML, as go-yaml itself takes them.
        #expect((try? YAMLNode.parse("on: x\n10086: y\n")) != nil)
    }

    /// Values of a config item as written (plain, quoted, structured), each converted as go-ucfg converts
    /// a decoded value into a bool, an int64, a uint64, a time.Duration and a string field.
    static let values = [
        "10s", "10", "0", "-0", "+5", "1.5", "-1.5", ".5", "1e3", "1E+3", "0x1F", "0o17", "017", "08", "1_000", "_1", "0b101",
        "-0b1", "99999999999999999999", "9223372036854775807", "9223372036854775808", "18446744073709551615",
        "18446744073709551616", "-9223372036854775808", "-9223372036854775809", ".inf", "-.inf", ".nan", "yes", "no", "on",
        "off", "y", "n", "true", "False", "TRUE", "~", "null", "", "t", "f", "T", "1h30m", "1.5h", ".5s", "1.s", "-1m", "+5s",
        "1µs", "1us", "5ms", "1e3s", "2562048h", "2562047h", "10S", "10 s", "abc", "maybe", "1d", "'10'", "'10s'", "'0'", "'-0'",
        "'+5'", "'yes'", "'true'", "'t'", "'T'", "'1'", "'0x10'", "'010'", "'1_000'", "'1.5'", "''", "' 5'", "'5 '", "'True'",
        "'TRUE'", "'tRUE'", "'1h30m'", "'.5s'", "'-1m'", "'1µs'", "'1μs'", "'1us'", "'9223372036854775808'",
        "'18446744073709551615'", "'-1'", "'maybe'", "'500'", "'.s'", "'1.'", "'-'", "'+0'", "'0.0s'", "\"20s\"", "\"on\"",
        "\"0x1F\"", "[1]", "{a: 1}", "[]", "'0b11'", "'-0x10'", "'1__0'", "._5", ".5_0", "1_.5", "._5e1", ".5e1_0",
        // Floats as go-ucfg prints them into a string field (fmt's %v).
        "1e6", "123456.0", "1234567.0", "999999.9", "0.0001", "0.00001", "1e21", "1e20", "866.0", "8.66e2", "-0.0", "5e-324",
        "1.7976931348623157e308", "0.1", "100.5", "-1.25e-7", "2.5e+15", "9007199254740993.0", "1e+16", "utf-8", "' GBK '",
    ]

    @Test(
        "a config value converts to a bool, an integer, a duration and text exactly as go-yaml v2 and go-ucfg convert it",
        .enabled(if: GoYAMLOracle.available, "go or golang-gopkg-yaml.v2-dev is not installed (Scripts/deps.sh test installs both)"))
    func conversions() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-goyaml-conv-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let oracle = try await GoYAMLOracle.build(into: dir)
        var files: [String] = []
        for (i, v) in Self.values.enumerated() {
            let path = dir + "/v-\(i).yaml"
            try "v: \(v)\n".write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let r = try await runCapturing(oracle, ["-convert"] + files)
        let lines = r.output.split(separator: "\n").map(String.init)
        try #require(r.status == 0 && lines.count == files.count, "\(r.output)")
        var failures = 0
        for (v, go) in zip(Self.values, lines) {
            let node = try #require(try YAMLNode.parse("v: \(v)\n")["v"])
            let value = GoConfigValue(node)
            let parts = Dictionary(
                uniqueKeysWithValues: go.split(separator: " ").map { p -> (String, String) in
                    let kv = p.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(kv[0]), String(kv[1]))
                })
            #expect(
                parts["bool"] == (value.asBool.map { String($0) } ?? "err"),
                "\(v): go \(go), bkdiag bool \(String(describing: value.asBool))")
            #expect(
                parts["int"] == (value.asInt.map { String($0) } ?? "err"), "\(v): go \(go), bkdiag int \(String(describing: value.asInt))")
            #expect(
                parts["uint"] == (value.asUInt.map { String($0) } ?? "err"),
                "\(v): go \(go), bkdiag uint \(String(describing: value.asUInt))")
            // A float is a number of seconds to go-ucfg whatever its value (the product is not checked).
            if case .float = value {
                #expect(parts["dur"] == "float" && value.asDuration != nil, "\(v): go \(go)")
            } else if let d = value.asDuration, let g = parts["dur"].flatMap(Double.init) {
                #expect(abs(d - g) <= 1e-9 * max(1, abs(g)), "\(v): go \(go), bkdiag \(d)")
            } else {
                #expect(parts["dur"] == "err" && value.asDuration == nil, "\(v): go \(go), bkdiag \(String(describing: value.asDuration))")
            }
            let text = parts["str"].map { hex -> String in
                hex == "err"
                    ? hex
                    : String(
                        decoding: stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! },
                        as: UTF8.self)
            }
            #expect(text == (value.asText ?? "err"), "\(v): go \(go), bkdiag text \(String(describing: value.asText))")
            if go.contains("err") { failures += 1 }
        }
        #expect(failures >= 40, "the corpus exercises refusals: \(failures)")
    }

    /// libyaml and go-yaml v2 differ on two escapes inside double quotes: go-yaml reads `\'` as a quote and refuses
    /// `\/`; libyaml does the opposite. A config is judged as the collector reads it.
    @Test("double-quoted escapes as go-yaml v2 reads them: \\' is a quote, \\/ is refused where it stands")
    func doubleQuotedEscapes() throws {
        #expect(try YAMLNode.parse("a: \"it\\'s\"\nb: \"\\\\/x\"\n").lookup("a")?.string == "it's")
        #expect(try YAMLNode.parse("a: \"日志\\' \\'\"\n").lookup("a")?.string == "日志' '")
        #expect(try YAMLNode.parse("a: \"D:\\\\/x\"\n").lookup("a")?.string == "D:\\/x")
        do {
            _ = try YAMLNode.parse("ext_meta:\n  env: \"prod\"\n  dir: \"D:\\/data\"\n")
            Issue.record("\\/ accepted")
        } catch {
            #expect(error.line == 3 && error.problem.contains("found unknown escape character"), "\(error)")
        }
        // Each `\'` is a parse again: 32 are read, past that the document is a bound of this reader (not judged),
        // not a YAML error the collector would make.
        let quotes = (0..<32).map { "k\($0): \"a\\'b\"" }.joined(separator: "\n")
        #expect(try YAMLNode.parse(quotes + "\n").lookup("k31")?.string == "a'b")
        do {
            _ = try YAMLNode.parse(quotes + "\nk32: \"x\\'y\"\n")
            Issue.record("33 \\' read")
        } catch {
            #expect(error.isReaderLimit && error.line == 33, "\(error)")
        }
    }

    @Test("the alias budget is go-yaml's: 99% of visits up to 400,000, 10% from 4,000,000, linear between")
    func budget() async throws {
        // On either side of go-yaml's 99%: 199 aliases of a 200-item list pass, 200 do not.
        #expect(throws: Never.self) { try YAMLNode.parse(bytes: YAMLCorpus.aliasFan(n: 200, m: 199)) }
        let e = #expect(throws: YAMLError.self) { try YAMLNode.parse(bytes: YAMLCorpus.aliasFan(n: 200, m: 200)) }
        #expect(e?.problem.contains("excessive aliasing") == true)
        // A bounded laugh: 4 levels of 10 is only 11,111 values, still refused.
        #expect(throws: YAMLError.self) { try YAMLNode.parse(bytes: YAMLCorpus.laughs(levels: 4, width: 10)) }
        // A small document never trips it, however much of it is aliases (110 of 136 visits).
        #expect(throws: Never.self) { try YAMLNode.parse(bytes: YAMLCorpus.aliasFan(n: 9, m: 11)) }
        // A large one is held to the falling share: 100 aliases of a 5,000-item list pass 99% but not
        // the 96% allowed at 505,000 visits.
        #expect(throws: YAMLError.self) { try YAMLNode.parse(bytes: YAMLCorpus.aliasFan(n: 5_000, m: 100)) }
    }
}
