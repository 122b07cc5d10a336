import Report
import Testing

@testable import Fleet

/// `EscapedOutputDecoder` reads a host's output from its escaped bytes in a log page. Whenever it answers,
/// the answer must be what unescaping the output and reading it the usual way gives; it must answer for
/// the outputs hosts usually print.
@Suite struct EscapedOutputDecoderTests {
    /// How a JOB answer may escape a string: only what JSON requires (JOB's Jackson, Python's
    /// `ensure_ascii=False`), also every slash, or also every non-ASCII character (`ensure_ascii=True`).
    enum Style: CaseIterable {
        case minimal, slashes, ascii
    }

    static func escaped(_ s: String, _ style: Style) -> [UInt8] {
        var out: [UInt8] = [0x22]
        func hex(_ v: UInt32) {
            out += Array("\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) {
                out.append(Array("0123456789abcdef".utf8)[Int((v >> UInt32(shift)) & 0xF)])
            }
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            case "/" where style == .slashes: out += Array("\\/".utf8)
            default:
                if u.value < 0x20 {
                    hex(u.value)
                } else if u.value >= 0x80 && style == .ascii {
                    if u.value > 0xFFFF {
                        let v = u.value - 0x10000
                        hex(0xD800 + (v >> 10))
                        hex(0xDC00 + (v & 0x3FF))
                    } else {
                        hex(u.value)
                    }
                } else {
                    out += Array(String(u).utf8)
                }
            }
        }
        out.append(0x22)
        return out
    }

    /// What the decoder makes of the escaped string `page` (opening quote at 0), held against the usual
    /// reader of `output`; true when the decoder answered.
    @discardableResult
    /// `lean` reads the lean entries (`fullEntries` false); one interner may serve many calls, so that
    /// entry lists are shared between outputs as between the hosts of a page. Without evidence the lean
    /// entries are also read with `lines` writing the platform's entry lines (one writer may serve many
    /// calls too, as the hosts of a page share one).
    static func check(
        _ output: String, _ page: [UInt8], keepEvidence: Bool, lean: StringInterner = StringInterner(),
        lines: AgentEntryLines = AgentEntryLines(), sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        let strings = lean
        let fast = page.withUnsafeBufferPointer {
            EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: keepEvidence, interner: StringInterner())
        }
        // Lean entries: the decoder takes at least what it takes whole (it skips durations it would read),
        // and what it makes equals the usual reader's reports without durations and the passing entries'
        // texts (a failing entry's texts kept).
        let lean = page.withUnsafeBufferPointer {
            EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: keepEvidence, fullEntries: false, interner: lean)
        }
        if fast != nil { #expect(lean != nil, "\(output)", sourceLocation: sourceLocation) }
        // Lean with the entry lines written: the same reports, and the lines the platform prints of the
        // usual reader's whole entries; nothing written for an output left to the usual reader.
        let before = (reports: lines.reportCount, bytes: lines.bytes)
        let rendered =
            keepEvidence
            ? nil
            : page.withUnsafeBufferPointer {
                EscapedOutputDecoder.decode(
                    $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: strings, entryLines: lines)
            }
        if rendered == nil {
            #expect(lines.reportCount == before.reports && lines.bytes == before.bytes, "\(output)", sourceLocation: sourceLocation)
        }
        guard fast != nil || lean != nil else { return false }
        var text = output
        let slow = text.withUTF8 { HostOutputReader.read(bytes: $0, keepEvidence: keepEvidence) }
        if !keepEvidence {
            #expect((rendered != nil) == (lean != nil), "\(output)", sourceLocation: sourceLocation)
        }
        if let rendered {
            #expect(rendered.reports == lean?.reports, "\(output)", sourceLocation: sourceLocation)
            #expect(lines.reportCount == before.reports + slow.reports.count, sourceLocation: sourceLocation)
            for (k, r) in slow.reports.enumerated() {
                let expected = r.results.map {
                    AgentInfo($0.status ? .info : .error, "[\($0.module)] [\($0.platformLabel)] [\($0.status ? "成功" : "失败")] \($0.message)")
                }
                let written = lines.report(before.reports + k)
                #expect(written.infos == expected, "\(output)", sourceLocation: sourceLocation)
                var bytes: [UInt8] = []
                for e in expected { e.write(to: &bytes) }
                #expect(written.withBytes { Array($0) } == bytes, "\(output)", sourceLocation: sourceLocation)
            }
        }
        #expect(slow.lines == slow.reports.indices.map { HostLine.report($0) }, "\(output)", sourceLocation: sourceLocation)
        if let lean {
            let blanked = slow.reports.map { r in
                var r = r
                for k in r.results.indices {
                    r.results[k].durationMs = nil
                    if r.results[k].status {
                        r.results[k].message = ""
                        r.results[k].hint = ""
                    }
                }
                return r
            }
            #expect(lean.closingQuote == page.count - 1, sourceLocation: sourceLocation)
            #expect(lean.reports == blanked, "\(output)", sourceLocation: sourceLocation)
        }
        guard let fast else { return false }
        #expect(fast.closingQuote == page.count - 1, sourceLocation: sourceLocation)
        #expect(fast.reports == slow.reports, "\(output)", sourceLocation: sourceLocation)
        return true
    }

    static let outputs: [String] = {
        let lines = ReportLineDecoderTests.lines
        var out: [String] = [
            "", "\n", "\n\n", ReportLineDecoderTests.rich + "\n", "\n" + Fixtures.checkPyLine() + "\n\n",
            Fixtures.healthyRich + "\n" + Fixtures.brokenRich(pid: 3) + "\n", Fixtures.checkPyLine() + "\r\n",
            "\t" + Fixtures.checkPyLine(), Fixtures.checkPyLine() + "\nnot json\n", "bash: bkdiag: command not found\n",
            Fixtures.richLine([("log_path", "logpath_match", .fail, "路径 /data/日志/*.log 无匹配 😀", "检查路径")]),
            Fixtures.richLine([("log_path", "logpath_match", .fail, "quote \" and backslash \\ inside", "")]),
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"a/b\", \"evidence\": {\"p\": \"x\\\"y\\\\z\\n\\u00e9/\"}}]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"label\": \"x\\q\"}]}",
            "{\"status\": true, \"data\": [], \"host\": {\"hostname\": \"h/1\", \"kernel\": \"é\"}, \"context\": {\"a\": [1, 2.5, -0.0, 1e400, true, null]}}",
            "{\"status\": true, \"data\": [], \"host\": {\"hostname\": \"a\", \"hostname\": 5, \"machine_id\": \"m/1\", \"kernel\": \"k\", \"kernel\": \"6.1\", \"x\": {\"hostname\": \"no\"}}}",
            "{\"status\": true, \"data\": [], \"host\": {}}", "{\"status\": true, \"data\": [], \"host\": \"h\"}",
            "{\"status\": true, \"data\": [], \"host\": {\"hostname\": \"say \\\"x\\\"\"}}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"duration_ms\": 12345678901234567890}]}",
            "{\"status\": NaN, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": -Infinity, \"message\": \"m\"}]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\"}]}\"",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"evidence\": {\"deep\": "
                + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}}]}",
        ]
        // Numbers the decoder skips by itself or leaves to the parser: valid, cut short (`1.`, `1e`, `01`: the
        // number ends early and the next byte is refused), not numbers, and integers around CPython's
        // 4,300-digit limit (a ValueError there, so a line error in the usual reader). (NaN is left out: it is
        // never equal to itself, so reports holding it never compare equal.)
        let numbers = [
            "0", "-0", "01", "1.", "1.5", "1.5e", "1e+5", "1E-5", "-", "--1", "1e", "0.0e0", "-Infinity", "Infinity", "+1", ".5",
            String(repeating: "7", count: 64), String(repeating: "7", count: 65), String(repeating: "7", count: 4300),
            String(repeating: "7", count: 4301), "1." + String(repeating: "5", count: 5000), "-" + String(repeating: "9", count: 4301),
        ]
        // Evidence objects skipped whole: valid ones of every kind of member, and ones broken in each place
        // (a bad escape, a missing colon or comma, the wrong closing bracket, a trailing or leading comma, a
        // literal cut short), which the usual reader refuses.
        let evidence = [
            #"{"a": {"b": 1}, "c": [1, {"d": "e/f"}], "g": "h", "i": -2.5e3, "j": true, "k": null, "l": "x\"y\\z"}"#,
            #"{"p":"a/b","q":12,"r":{}}"#, #"{"p": "a\q"}"#, #"{"p": 1]"#, #"{"p" 1}"#, #"{"p": 1 "q": 2}"#, #"{"p": tru}"#,
            #"{"p": nul}"#, #"{"p"x1}"#, #"{"p";"q"}"#, #"{"p": "x", }"#, #"{, "p": 1}"#, #"{"p": 1,, "q": 2}"#, #"{"p": {"q": 1]}"#,
            #"{"p\q": 1}"#,
        ]
        for e in evidence {
            out.append(
                "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"evidence\": \(e)}]}"
            )
        }
        for n in numbers {
            out.append(
                "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"evidence\": {\"n\": \(n), \"k\": [\(n)]}, \"duration_ms\": \(n)}]}"
            )
        }
        out += lines
        out.append(lines.joined(separator: "\n"))
        out.append(lines.prefix(6).joined(separator: "\n\n") + "\n")
        return out
    }()

    @Test func answersOnlyWhatTheUsualReaderReads() {
        for output in Self.outputs {
            for style in Style.allCases {
                for keep in [true, false] {
                    Self.check(output, Self.escaped(output, style), keepEvidence: keep)
                }
            }
        }
    }

    @Test func takesWhatHostsUsuallyPrint() {
        let usual = [
            Fixtures.healthyRich + "\n", Fixtures.checkPyLine() + "\n", Fixtures.checkPyLine(processOK: false),
            Fixtures.brokenRich(pid: 4) + "\n" + Fixtures.healthyRich + "\n", "",
            Fixtures.richLine([("log_path", "logpath_match", .fail, "路径 /data/日志/*.log 无匹配", "检查路径")]) + "\n",
        ]
        for output in usual {
            for style in [Style.minimal, .slashes] {
                for keep in [true, false] {
                    #expect(Self.check(output, Self.escaped(output, style), keepEvidence: keep), "\(output)")
                }
            }
        }
        // A report's own escapes in a kept string, a non-report line, a tab between tokens, `\u` escapes:
        // left to the usual reader.
        for output in [
            ReportLineDecoderTests.rich, Fixtures.richLine([("m", "i", .fail, "say \"hi\"", "")]), Fixtures.checkPyLine() + "\nnoise",
            "\t{}",
            Fixtures.richLine([("m", "i", .fail, "é", "")]),
        ] {
            #expect(!Self.check(output, Self.escaped(output, .ascii), keepEvidence: true))
        }
    }

    /// A report member given twice refuses the line for the usual reader (json.loads keeps the last, the
    /// platform's model does not): the decoder gives the output up too, whether it keeps the member or only
    /// checks and skips it (without evidence: the host, the context and the run's timing).
    @Test func repeatedReportMembersAreLeftToTheUsualReader() throws {
        let line = DiagnosticReport(
            results: [CheckResult(module: "gse_agent", item: "socket", verdict: .pass, message: "ok", durationMs: 1.5)],
            host: HostIdentity(hostname: "h1"), version: "0.2.0", generatedAtMs: 1_795_000_000_123, durationMs: 42.5,
            context: [("gse_root", "/usr/local/gse")]
        ).richLine()
        // Taken once (else this only shows what the decoder leaves anyway).
        for keep in [true, false] { #expect(Self.check(line, Self.escaped(line, .minimal), keepEvidence: keep)) }
        let members = [
            "\"schema\":\"bkdiag.report/1\",", "\"version\":\"0.2.0\",", "\"generated_at_ms\":1795000000123,", "\"duration_ms\":42.5,",
        ]
        var repeated: [String] = []
        for member in members {
            #expect(line.contains(member), "\(member)")
            repeated.append(line.replacingOccurrences(of: member, with: member + member))
        }
        for name in ["host", "context"] {
            let object = try #require(line.range(of: "\"\(name)\":\\{[^}]*\\}", options: .regularExpression), "\(name)")
            repeated.append(line.replacingCharacters(in: object, with: String(line[object]) + "," + String(line[object])))
        }
        for output in repeated {
            #expect(output != line)
            for style in [Style.minimal, .slashes] {
                for keep in [true, false] {
                    #expect(!Self.check(output, Self.escaped(output, style), keepEvidence: keep), "\(output)")
                }
            }
        }
    }

    @Test func invalidBytesAreLeftToTheUsualReader() {
        // A kept string with a lone continuation byte: the usual reader repairs the whole output first.
        let line = Array(#"{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"a"#.utf8)
        let page = [0x22] + line + [0x80] + Array(#"\"}]}""#.utf8)
        #expect(page.withUnsafeBufferPointer { EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: true, interner: nil) } == nil)
        // A raw quote or control character inside an evidence string (which ends the page's string there, or
        // makes the page invalid), far from the end of the page and within its last eight bytes: never taken.
        let head = Array(
            #""{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"m\", \"evidence\": {\"p\": \"a"#
                .utf8)
        for raw: UInt8 in [0x22, 0x0A] {
            for tail in [Array(#"b\"}}]}""#.utf8), Array(#"b\"}}]}      \"x\": \"0123456789abcdef\"}""#.utf8)] {
                let page = head + [raw] + tail
                #expect(
                    page.withUnsafeBufferPointer { EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: false, interner: nil) }
                        == nil)
            }
        }
        // A raw control character or an unterminated output is never taken.
        for bad in [Array(#""{\"status\": true,"#.utf8) + [0x0A] + Array(#"\"data\": []}""#.utf8), Array(#""{\"status\": true"#.utf8)] {
            #expect(
                bad.withUnsafeBufferPointer { EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: true, interner: nil) } == nil)
        }
    }

    /// Past its template limit a page's writer holds entries whole; what it prints is the same, in both
    /// the platform's lines and the JSON's results, whatever the limit.
    @Test func entriesHeldWholePrintAsTemplatedOnes() {
        let outputs =
            Self.outputs + [
                Fixtures.richLine(
                    (0..<40).map { k in ("m\(k % 4)", "i\(k % 13)", Verdict.allCases[k % 4], "text \(k) a/b 中", k % 3 == 0 ? "" : "h/\(k)")
                    }),
                Fixtures.richLine([("bkunifylogbeat", "process", .pass, "", ""), ("bkunifylogbeat", "process", .fail, "x", "y")]),
            ]
        for json in [false, true] {
            let writers = [0, 1, 3, 1 << 16].map { AgentEntryLines(json: json, templateLimit: $0) }
            var taken = 0
            for output in outputs {
                for style in [Style.minimal, .slashes] {
                    let page = Self.escaped(output, style)
                    let read = writers.map { w in
                        page.withUnsafeBufferPointer {
                            EscapedOutputDecoder.decode(
                                $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: StringInterner(), entryLines: w)
                        }
                    }
                    #expect(read.allSatisfy { ($0 != nil) == (read[0] != nil) }, "\(output)")
                    if read[0] != nil { taken += 1 }
                }
            }
            // Most outputs were taken (else this compares nothing), and each writer prints the same.
            #expect(taken > outputs.count / 2)
            let printed = writers.map(\.bytes)
            #expect(!printed[0].isEmpty)
            for p in printed.dropFirst() {
                // Compared outside the expectation, which would print both texts whole.
                let same = p == printed[0]
                #expect(same, "json: \(json): \(p.count) bytes against \(printed[0].count)")
            }
            for k in 0..<writers[0].reportCount {
                let reports = writers.map { $0.report(k) }
                for r in reports { #expect(r.writtenCount == reports[0].withBytes { $0.count }) }
            }
            // With no templates at all every entry is held whole, so nothing is saved; with them, it is.
            #expect(writers[0].heldCount > writers[3].heldCount)
        }
    }

    /// A message equal to the previous entry's, or to the last one at the same position, is held once and
    /// referred to: what every writer prints is what entries held whole print, across reports, across
    /// outputs left to the usual reader after some of their entries were written (rolled back), and for
    /// texts that cannot be referred to as held (a page-escaped slash; for JSON, a text to escape).
    @Test func repeatedMessagesPrintAsHeldWhole() {
        let same = "the same text printed by every check"
        let repeated = Fixtures.richLine((0..<12).map { k in ("m\(k % 3)", "i\(k)", k == 5 ? .fail : .pass, same, "") })
        let byPosition = Fixtures.richLine([
            ("m", "a", .pass, "position zero text", ""), ("m", "b", .pass, "position one text", ""),
            ("m", "c", .warn, "a/b slashed text", "h"), ("m", "d", .pass, "é non-ASCII text", ""),
        ])
        // Written up to its second report, then left to the usual reader: its entries are rolled back.
        let rolledBack = repeated + "\n" + Fixtures.richLine([("m", "z", .pass, "text of a report rolled back", "")]) + "\nnot json"
        // A text, then its own beginning, then a longer text beginning with it.
        let prefixes = Fixtures.richLine([
            ("m", "a", .pass, same, ""), ("m", "b", .pass, String(same.prefix(20)), ""), ("m", "c", .pass, same + " and more", ""),
        ])
        let outputs = [
            repeated, byPosition, rolledBack, byPosition, repeated + "\n" + byPosition, prefixes, prefixes,
            Fixtures.richLine([("m", "z", .pass, "text of a report rolled back", ""), ("m", "y", .pass, same, "")]), byPosition,
        ]
        for json in [false, true] {
            let whole = AgentEntryLines(json: json, templateLimit: 0)
            let templated = AgentEntryLines(json: json)
            for output in outputs {
                for style in [Style.minimal, .slashes] {
                    let page = Self.escaped(output, style)
                    for w in [whole, templated] {
                        _ = page.withUnsafeBufferPointer {
                            EscapedOutputDecoder.decode(
                                $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: StringInterner(), entryLines: w)
                        }
                    }
                }
            }
            let printedSame = whole.bytes == templated.bytes
            #expect(printedSame, "json: \(json)")
            #expect(whole.reportCount == templated.reportCount && whole.reportCount > 10, "\(whole.reportCount) reports")
            for k in 0..<templated.reportCount {
                #expect(templated.report(k).writtenCount == templated.report(k).withBytes { $0.count })
                #expect(templated.report(k) == whole.report(k))
            }
            // The repeated text was referred to: its twelve entries hold eleven texts less than twelve texts of
            // the same length that differ.
            let distinct = Fixtures.richLine(
                (0..<12).map { k in ("m\(k % 3)", "i\(k)", k == 5 ? .fail : .pass, String(same.dropLast(2)) + "\(k + 10)", "") })
            let held = [repeated, distinct].map { output in
                let w = AgentEntryLines(json: json)
                _ = Self.escaped(output, .minimal).withUnsafeBufferPointer {
                    EscapedOutputDecoder.decode(
                        $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: StringInterner(), entryLines: w)
                }
                #expect(w.reportCount == 1)
                return w.heldCount
            }
            #expect(held[1] - held[0] == 11 * same.utf8.count, "\(held)")
        }
    }

    /// A small seeded generator, so that a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomOutputsAgreeWithTheUsualReader() {
        var rng = SplitMix(state: 0x5EED_0014)
        let pieces = ["a", "/", "\"", "\\", "\n", "é", "日志", "😀", " ", "\\n", "{", "]", ":", ","]
        func text() -> String { (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
        func scalar() -> String {
            [
                "true", "false", "null", "0", "-1", "2.5", "1e3", "\"pass\"", "\"fail\"", "\"warn\"", "\"unknown\"",
                "\"unknowns\"", "\"pas\"", "truex", "fals", "falsey",
                "\""
                    + text().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(
                        of: "\n", with: "\\n") + "\"",
            ].randomElement(using: &rng)!
        }
        func quoted(_ s: String) -> String {
            JSONValue.string(s).serialized()
        }
        func nested(_ depth: Int) -> String {
            if depth == 0 || Bool.random(using: &rng) { return scalar() }
            if Bool.random(using: &rng) {
                return "[" + (0..<Int.random(in: 0...2, using: &rng)).map { _ in nested(depth - 1) }.joined(separator: ",") + "]"
            }
            return "{"
                + (0..<Int.random(in: 0...2, using: &rng)).map { _ in quoted(text()) + ":" + nested(depth - 1) }.joined(separator: ", ")
                + "}"
        }
        func entry() -> String {
            var members = [
                "\"module\": " + quoted(["gse_agent", "log_path", text()].randomElement(using: &rng)!),
                "\"item\": " + quoted(["socket", "process", text()].randomElement(using: &rng)!),
                "\"status\": " + scalar(), "\"message\": " + (Int.random(in: 0..<8, using: &rng) == 0 ? scalar() : quoted(text())),
            ]
            if Bool.random(using: &rng) { members.append("\"result\": " + scalar()) }
            if Bool.random(using: &rng) { members.append("\"hint\": " + (Bool.random(using: &rng) ? quoted(text()) : scalar())) }
            if Bool.random(using: &rng) { members.append("\"evidence\": " + nested(3)) }
            if Bool.random(using: &rng) { members.append("\"label\": " + quoted(text())) }
            if Bool.random(using: &rng) { members.append("\"duration_ms\": " + scalar()) }
            if Int.random(in: 0..<10, using: &rng) == 0 { members.append(members[0]) }
            members.shuffle(using: &rng)
            return "{" + members.joined(separator: Bool.random(using: &rng) ? "," : ", ") + "}"
        }
        func line() -> String {
            var members = [
                "\"status\": " + scalar(),
                "\"data\": [" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in entry() }.joined(separator: ",") + "]",
            ]
            for key in ["schema", "version", "host", "generated_at_ms", "duration_ms", "context", "summary"] where Bool.random(using: &rng)
            {
                members.append(quoted(key) + ": " + nested(2))
            }
            members.shuffle(using: &rng)
            return (Bool.random(using: &rng) ? "" : " ") + "{" + members.joined(separator: ",") + "}"
        }
        var answered = 0
        let lean = StringInterner()
        // Half the outputs go to a writer that keeps few templates and holds the other entries whole.
        let writers = [AgentEntryLines(), AgentEntryLines(templateLimit: 4)]
        for n in 0..<3000 {
            let lines = writers[n % 2]
            let output = (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0..<6, using: &rng) == 0 ? "" : line() }
                .joined(separator: "\n")
            let style = Style.allCases.randomElement(using: &rng)!
            if Self.check(output, Self.escaped(output, style), keepEvidence: Bool.random(using: &rng), lean: lean, lines: lines) {
                answered += 1
            }
        }
        // Both sides of the comparison were exercised.
        #expect(answered > 300)
        #expect(answered < 3000)
    }

    /// Entries in bkdiag's order from a small vocabulary, so that heads and middles repeat from output to
    /// output, read through one interner (`EntryShapes` remembers runs across outputs, as across a page's
    /// hosts): every read agrees with the usual reader, and remembered runs were taken.
    @Test func rememberedEntryShapesReadAsTheUsualReader() {
        var rng = SplitMix(state: 0x5EED_0033)
        func pick(_ xs: [String]) -> String { xs.randomElement(using: &rng)! }
        func entry() -> String {
            var members = [
                "\"module\": "
                    + pick(["\"gse_agent\"", "\"log_path\"", "\"gse_agent\"", "\"log_path\"", "\"m/1\"", "\"é\"", "\"x\\\"q\"", "5"]),
                "\"item\": " + pick(["\"socket\"", "\"process\"", "\"logpath_match\""]),
                "\"status\": " + pick(["true", "false", "true", "false", "true", "false", "1", "\"true\"", "null"]),
                "\"message\": " + pick(["\"ok\"", "\"ok /a/b\"", "\"断开\"", "\"\"", "\"ok\"", "\"ok /a/b\"", "\"say \\\"x\\\"\"", "7"]),
            ]
            if Int.random(in: 0..<6, using: &rng) > 0 {
                members.append("\"result\": " + pick(["\"pass\"", "\"fail\"", "\"warn\"", "\"unknown\"", "\"pas\"", "2", "null"]))
            }
            if Int.random(in: 0..<6, using: &rng) > 0 { members.append("\"label\": " + pick(["\"socket\"", "\"套接字\"", "[1]"])) }
            if Int.random(in: 0..<6, using: &rng) > 0 {
                members.append("\"hint\": " + pick(["\"\"", "\"restart it\"", "\"a/b\"", "\"\\n\"", "0", "null"]))
            }
            if Int.random(in: 0..<6, using: &rng) > 0 {
                members.append(
                    "\"evidence\": "
                        + pick([
                            "{}", "{\"pid\": 1}", "{\"p\": \"a\\\"b\"}", "[1, {\"a\": null}]", "{}", "{\"pid\": 2}", "{\"p\": }", "\"e\"",
                        ]))
            }
            if Int.random(in: 0..<6, using: &rng) > 0 {
                members.append("\"duration_ms\": " + pick(["1.5", "0", "-0.0", "1e3", "2.25", "x"]))
            }
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: members.append(members[Int.random(in: 0..<members.count, using: &rng)])
            case 1: members.shuffle(using: &rng)
            case 2: members.remove(at: Int.random(in: 0..<members.count, using: &rng))
            default: break
            }
            return "{" + members.joined(separator: pick([",", ", ", " ,"])) + "}"
        }
        func line() -> String {
            "{\"status\": " + pick(["true", "false"]) + ", \"data\": ["
                + (0..<Int.random(in: 1...3, using: &rng)).map { _ in entry() }.joined(separator: pick([",", ", "])) + "]}"
        }
        // One interner per 50 outputs, as one per log page: where runs keep missing, a position is let go for the
        // rest of a long page (`EntryShapes.tries`), and this vocabulary misses often.
        var shared = StringInterner()
        var hits = (heads: 0, middles: 0, wholes: 0)
        let lines = AgentEntryLines()
        var answered = 0
        for n in 0..<4000 {
            if n % 50 == 0 {
                hits = (hits.heads + shared.shapes.headHits, hits.middles + shared.shapes.middleHits, hits.wholes + shared.shapes.wholeHits)
                shared = StringInterner()
            }
            let output = (0..<Int.random(in: 1...2, using: &rng)).map { _ in line() }.joined(separator: "\n")
            let style = Style.allCases.randomElement(using: &rng)!
            if Self.check(output, Self.escaped(output, style), keepEvidence: false, lean: shared, lines: lines) { answered += 1 }
        }
        #expect(answered > 200)
        #expect(answered < 4000)
        #expect(hits.heads > 1000)
        // Entries read whole as remembered take no head or middle: each kind was still taken.
        #expect(hits.middles > 100)
        #expect(hits.wholes > 10, "\(hits)")
    }

    /// Evidence and report members that differ from the ones before only in their digits, through one
    /// interner (as a page's hosts are read): numbers of every length, with and without a sign, fraction or
    /// exponent, leading zeros that make them invalid, digits inside strings and `\u` escapes. Every read
    /// agrees with the usual reader, an invalid number put where a valid one was read included, and evidence
    /// and report members were passed over as remembered.
    @Test func valuesEqualButForDigitsReadAsTheUsualReader() {
        var rng = SplitMix(state: 0x5EED_0077)
        func pick(_ xs: [String]) -> String { xs.randomElement(using: &rng)! }
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
        func number() -> String {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: return pick(["0", "-0", "00", "01", "-01", "0.0", "1e05", "1E5", "-0.5", "0e1"])
            case 1: return digits(Int.random(in: 1...3, using: &rng))
            case 2: return "-" + digits(Int.random(in: 1...3, using: &rng))
            case 3: return digits(Int.random(in: 1...2, using: &rng)) + "." + digits(Int.random(in: 1...3, using: &rng))
            case 4: return digits(1) + "e" + pick(["", "+", "-"]) + digits(Int.random(in: 1...2, using: &rng))
            default: return "1" + digits(Int.random(in: 3...5, using: &rng))
            }
        }
        func evidence() -> String {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return "[" + number() + ", " + number() + "]"
            case 1: return number()
            case 2: return "{\"p\": \"a" + digits(2) + "\\u00" + digits(2) + "\", \"n\": " + number() + "}"
            case 3: return "{\"pid\": " + number() + ", \"x\": {\"y\": " + number() + "}}"
            default:
                return "{\"pid\": " + number() + ", \"path\": \"/usr/local/gse/plugins/bin/bkunifylogbeat\", \"size\": " + number() + "}"
            }
        }
        func message() -> String {
            pick([
                "ok: /a/sub_" + digits(Int.random(in: 1...2, using: &rng)) + ".conf", "ok: 0" + digits(1), "é " + digits(2),
                "x/" + digits(1), "ok",
            ])
        }
        // Mostly bkdiag's entries in its order (read whole when seen before, `EntryShapes.Whole`); now and then a
        // module with a digit in its name, a failing entry, a hint with digits, or a member after the duration.
        func entry(_ item: String) -> String {
            let module = Int.random(in: 0..<10, using: &rng) == 0 ? "m" + digits(1) : "gse_agent"
            let ok = Int.random(in: 0..<6, using: &rng) > 0
            let hint = Int.random(in: 0..<6, using: &rng) == 0 ? "retry in " + digits(1) + "s" : ""
            let extra = Int.random(in: 0..<10, using: &rng) == 0 ? ", \"x\": " + number() : ""
            return "{\"module\": \"\(module)\", \"item\": \"\(item)\", \"status\": \(ok), \"message\": \"\(message())\", "
                + "\"result\": \"\(ok ? "pass" : "fail")\", \"label\": \"\(item)\", \"hint\": \"\(hint)\", \"evidence\": \(evidence()), "
                + "\"duration_ms\": \(number())\(extra)}"
        }
        func line() -> String {
            "{\"status\": true, \"data\": [" + entry("socket") + ", " + entry("process") + "], \"schema\": \"bkdiag.report/1\", "
                + "\"summary\": {\"pass\": \(number()), \"fail\": \(number())}, \"version\": \"0.1.0\", "
                + "\"host\": {\"hostname\": \"host-\(digits(2))\", \"machine_id\": \"\(digits(8))\"}, "
                + "\"generated_at\": \"2026-11-\(digits(2))T10:\(digits(2)):00.000Z\", \"generated_at_ms\": \(number()), "
                + "\"duration_ms\": \(number()), \"context\": {\"gse_root\": \"/usr/local/gse\", \"n\": \(number())}}"
        }
        let shared = StringInterner()
        let lines = AgentEntryLines()
        // A number read at a place, then one it begins (`5` then `5.25`), and a zero put where a number starts.
        for (evidence, reads) in [("5", true), ("5.25", true), ("50", true), ("5e1", true), ("7", true), ("05", false)] {
            let output =
                "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"ok\", "
                + "\"evidence\": \(evidence)}], \"n\": \(evidence)}"
            #expect(
                Self.check(output, Self.escaped(output, .minimal), keepEvidence: false, lean: shared, lines: lines) == reads, "\(evidence)")
        }
        // A failing entry's message found again keeps what it is: not ASCII, its characters counted as such, a
        // slash the page escaped unescaped (a `\u` escape is left to the usual reader).
        let messageHits = shared.shapes.messageHits
        for k in 1...2 {
            let output =
                "{\"status\": false, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": false, \"message\": \"é \(k)/\(k)\"}]}"
            for style in [Style.minimal, .slashes] {
                let read = Self.escaped(output, style).withUnsafeBufferPointer {
                    EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: shared)
                }
                let message = read?.reports.first?.results.first?.message
                #expect(message == "é \(k)/\(k)" && message?.count == 5 && message?.utf8.count == 6, "\(style)")
            }
        }
        #expect(shared.shapes.messageHits == messageHits + 2)
        // Each valid output was read twice through the interner (lean, then with its lines written): found again once.
        #expect(
            shared.shapes.evidenceHits == 5 && shared.shapes.reportValueHits == 5,
            "\(shared.shapes.evidenceHits) \(shared.shapes.reportValueHits)")
        var answered = 0
        for _ in 0..<3000 {
            let output = line()
            let style = Style.allCases.randomElement(using: &rng)!
            if Self.check(output, Self.escaped(output, style), keepEvidence: false, lean: shared, lines: lines) { answered += 1 }
        }
        // Both outcomes, and both ways of passing over a value, were exercised.
        #expect(answered > 300)
        #expect(answered < 3000)
        #expect(shared.shapes.evidenceHits > 300)
        #expect(shared.shapes.reportValueHits > 300)
        #expect(shared.shapes.messageHits > 300)
        #expect(shared.shapes.wholeHits > 300)
    }

    /// Whole entries in bkdiag's order, each after one that differs from it only in digits, through one
    /// interner and one writer: a module named with a digit (never taken whole, or its line would carry the
    /// other module), a member after the duration, a zero put where a number starts, a duration that is no
    /// plain number, and a hint and message that change digits. Each reads as the usual reader reads it.
    @Test func wholeEntriesReadAsTheUsualReader() {
        func line(
            module: String = "gse_agent", ok: Bool = true, message: String = "ok 1", hint: String = "", evidence: String = "{\"n\": 10}",
            duration: String = "1.5", extra: String = ""
        ) -> String {
            "{\"status\": \(ok), \"data\": [{\"module\": \"\(module)\", \"item\": \"socket\", \"status\": \(ok), \"message\": \"\(message)\", "
                + "\"result\": \"\(ok ? "pass" : "fail")\", \"label\": \"socket\", \"hint\": \"\(hint)\", \"evidence\": \(evidence), "
                + "\"duration_ms\": \(duration)\(extra)}]}"
        }
        let cases: [(String, Bool)] = [
            (line(module: "m1"), true), (line(module: "m2"), true), (line(module: "m3"), true),
            (line(), true), (line(message: "ok 2", duration: "2.5"), true), (line(duration: "3.5", extra: ", \"x\": 1"), true),
            (line(evidence: "{\"n\": 05}"), false), (line(evidence: "{\"n\": 20}", duration: "1e3"), true),
            (line(evidence: "{\"n\": 30}", duration: "01"), false), (line(duration: "null"), true), (line(duration: "\"5\""), true),
            (line(ok: false, message: "down 7", hint: "retry in 5s"), true),
            (line(ok: false, message: "down 8", hint: "retry in 6s", duration: "4.0"), true),
        ]
        let shared = StringInterner()
        let lines = AgentEntryLines()
        // The same outputs as the fleet JSON's results (durations handed on), through one interner, against
        // each read on its own (nothing remembered).
        let sharedJSON = StringInterner()
        let json = AgentEntryLines(json: true)
        for (output, reads) in cases {
            #expect(
                Self.check(output, Self.escaped(output, .minimal), keepEvidence: false, lean: shared, lines: lines) == reads, "\(output)")
            let page = Self.escaped(output, .minimal)
            let alone = AgentEntryLines(json: true)
            let read = page.withUnsafeBufferPointer {
                EscapedOutputDecoder.decode(
                    $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: sharedJSON, entryLines: json)
            }
            let readAlone = page.withUnsafeBufferPointer {
                EscapedOutputDecoder.decode(
                    $0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: StringInterner(), entryLines: alone)
            }
            #expect(read?.reports == readAlone?.reports && (read != nil) == reads, "\(output)")
            if read != nil && alone.reportCount == 1 {
                #expect(json.report(json.reportCount - 1).withBytes { Array($0) } == alone.report(0).withBytes { Array($0) }, "\(output)")
            }
        }
        #expect(shared.shapes.wholeHits >= 4 && sharedJSON.shapes.wholeHits >= 4)
    }

    /// One writer fed through two interners (each remembering its own heads): an entry is written with its own
    /// module and item, never with those of another interner's head that came first at that position.
    @Test func headsOfTwoInternersDoNotMix() {
        let lines = AgentEntryLines()
        let interners = [StringInterner(), StringInterner()]
        for round in 0..<3 {
            for (k, item) in ["socket", "process"].enumerated() {
                let output =
                    "{\"status\": true, \"data\": [{\"module\": \"gse_agent\", \"item\": \"\(item)\", \"status\": true, "
                    + "\"message\": \"ok \(round)\"}]}"
                #expect(Self.check(output, Self.escaped(output, .minimal), keepEvidence: false, lean: interners[k], lines: lines))
            }
        }
        #expect(interners.allSatisfy { $0.shapes.headHits > 0 })
    }

    /// `sameButDigits` itself: a digit may take another's place, but not where a zero would start a number of
    /// several digits; any other byte that differs refuses, in the short form and in every word of the long.
    @Test func equalButForDigits() {
        func same(_ c: String, _ r: String) -> Bool {
            precondition(c.utf8.count == r.utf8.count)
            let (cb, rb) = (Array(c.utf8), Array(r.utf8))
            return cb.withUnsafeBufferPointer { cp in
                rb.withUnsafeBufferPointer { rp in EntryShapes.sameButDigits(cp.baseAddress!, rp.baseAddress!, cb.count) }
            }
        }
        let long = "{\\\"pid\\\":1000,\\\"path\\\":\\\"/a/b\\\",\\\"size\\\":41234567}"
        #expect(same(long, long))
        #expect(same(long.replacingOccurrences(of: "1000", with: "9876"), long))
        #expect(same(long.replacingOccurrences(of: "41234567", with: "99999990"), long))
        // A zero where the number starts, and a letter for a digit, in the first and the last word.
        #expect(!same(long.replacingOccurrences(of: "1000", with: "0100"), long))
        #expect(!same(long.replacingOccurrences(of: "41234567", with: "01234567"), long))
        #expect(!same(long.replacingOccurrences(of: "1000", with: "1a00"), long))
        #expect(!same(long.replacingOccurrences(of: "4567}", with: "4567]"), long))
        #expect(!same(long.replacingOccurrences(of: "/a/b", with: "/a/c"), long))
        // A digit where the other had none, either way round.
        #expect(!same("{\"a\":[1, 2]}xyz", "{\"a\":[1,  2]}xy"))
        for (c, r, expected) in [
            ("10", "20", true), ("00", "10", false), ("0", "5", true), ("-05", "-15", false), ("-50", "-15", true),
            ("1.05", "1.15", true), ("105", "115", true), ("a05", "a15", false), ("1e0", "1e5", true), ("1e05", "1e15", true),
            ("1E+05", "1E+15", true), ("-05", "-15", false), ("x", "y", false),
            ("", "", true), ("5]", "6}", false), ("[0,1]", "[5,1]", true), ("[01]", "[11]", false),
            ("{\"n\": 0012345}", "{\"n\": 1012345}", false), ("{\"n\": 1002345}", "{\"n\": 1012345}", true),
        ] {
            #expect(same(c, r) == expected, "\(c) \(r)")
        }
        // In one string, any digit for any other: a zero too.
        func sameText(_ c: String, _ r: String) -> Bool {
            let (cb, rb) = (Array(c.utf8), Array(r.utf8))
            return cb.withUnsafeBufferPointer { cp in
                rb.withUnsafeBufferPointer { rp in EntryShapes.sameButDigits(cp.baseAddress!, rp.baseAddress!, cb.count, numbers: false) }
            }
        }
        #expect(sameText("\\\"sub_05_host_0.conf\\\"", "\\\"sub_15_host_9.conf\\\""))
        #expect(sameText("a05", "a15"))
        #expect(!sameText("\\\"sub_05_host_0.conf\\\"", "\\\"sub_05_host_0.conf \\\""))
        #expect(!sameText("a/5", "a05"))
    }

    /// Lean entries of hosts reporting the same are one list in memory; a host whose entries differ in a
    /// failing entry's text, or in a verdict, has its own.
    @Test func leanEntriesOfEqualReportsAreShared() throws {
        let strings = StringInterner()
        func entries(_ output: String) throws -> [CheckResult] {
            let page = Self.escaped(output, .minimal)
            let read = page.withUnsafeBufferPointer {
                EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: strings)
            }
            return try #require(read?.reports.first?.results)
        }
        func storage(_ a: [CheckResult]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        // Healthy hosts print different passing texts and durations: equal lean lists.
        let a = try entries(
            Fixtures.richLine([("bkunifylogbeat", "process", .pass, "pid 77 up 3d", ""), ("gse_agent", "socket", .pass, "/run/a", "")]))
        let b = try entries(
            Fixtures.richLine([("bkunifylogbeat", "process", .pass, "pid 78 up 9d", ""), ("gse_agent", "socket", .pass, "/run/b", "")]))
        #expect(a == b)
        #expect(storage(a) == storage(b))
        let failingA = try entries(Fixtures.brokenRich(pid: 3))
        let failingB = try entries(Fixtures.brokenRich(pid: 4))
        let failingC = try entries(Fixtures.brokenRich(pid: 3))
        #expect(failingA != failingB)
        #expect(failingA[0].message == "bkunifylogbeat is not running (pid 3 gone)")
        #expect(storage(failingA) != storage(failingB))
        #expect(storage(failingA) == storage(failingC))
        let warn = try entries(
            Fixtures.richLine([("bkunifylogbeat", "process", .warn, "pid 77 up 3d", ""), ("gse_agent", "socket", .pass, "/run/a", "")]))
        #expect(warn != a)
        #expect(warn[0].verdict == .warn)
        // Texts the page escaped (`\/`) are keyed and made unescaped: the same list as without.
        let withSlash = Fixtures.richLine([("log_path", "logpath_match", .fail, "no file matches /data/app/*.log", "see /etc/x")])
        let plain = try entries(withSlash)
        let slashed = try #require(
            Self.escaped(withSlash, .slashes).withUnsafeBufferPointer {
                EscapedOutputDecoder.decode($0, openingQuote: 0, keepEvidence: false, fullEntries: false, interner: strings)
            }?.reports.first?.results)
        #expect(Self.escaped(withSlash, .slashes) != Self.escaped(withSlash, .minimal))
        #expect(plain[0].message == "no file matches /data/app/*.log" && plain[0].hint == "see /etc/x")
        #expect(storage(slashed) == storage(plain))
        // Once the interner remembers as many lists as it may, further lists are made, right, but not shared.
        for n in 0..<StringInterner.maxLists { _ = try entries(Fixtures.brokenRich(pid: 1000 + n)) }
        let late1 = try entries(Fixtures.brokenRich(pid: 99_999))
        let late2 = try entries(Fixtures.brokenRich(pid: 99_999))
        #expect(late1 == late2)
        #expect(late1[0].message == "bkunifylogbeat is not running (pid 99999 gone)")
        #expect(storage(late1) != storage(late2))
        #expect(storage(try entries(Fixtures.brokenRich(pid: 3))) == storage(failingA))
    }

    /// A page read by one file's scan (outputs read where they lie) and by the parallel path (outputs
    /// unescaped, then read) gives the same hosts.
    @Test func inlineReadingOfAPageEqualsThePlainOne() throws {
        var logs: [JSONValue] = []
        for (n, output) in Self.outputs.enumerated() {
            logs.append(Fixtures.log(0, "10.0.0.\(n)", output, id: n))
        }
        let bytes = Array(Fixtures.logs(logs).serialized().utf8)
        for keep in [true, false] {
            let inline = try AnswerReader.recognise(bytes: bytes, source: "t", parallel: false, keepEvidence: keep)
            let plain = try AnswerReader.recognise(bytes: bytes, source: "t", parallel: true, keepEvidence: keep)
            guard case .logs(let a)? = inline.first, case .logs(let b)? = plain.first else {
                Issue.record("not read as a log page")
                return
            }
            #expect(a.logs.count == Self.outputs.count)
            #expect(a.logs.map(\.key) == b.logs.map(\.key))
            #expect(a.logs.map(\.reports) == b.logs.map(\.reports))
            #expect(a.logs.map(\.lines) == b.logs.map(\.lines))
        }
    }
}
