import Report
import Testing

@testable import Fleet

/// `writeJSON` writes hosts straight as bytes; `hostJSON` builds each host's tree. Same text, always.
@Suite struct JSONStreamTests {
    static func written(_ r: FleetReport) -> [String] {
        var cache = HostJSONCache()
        return r.hosts.indices.map { j in
            var w = JSONByteWriter()
            r.writeHostJSON(j, to: &w, cache: &cache)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    static func built(_ r: FleetReport) -> [String] {
        r.hosts.indices.map { j in
            var w = JSONByteWriter()
            w.write(r.hostJSON(j))
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    /// A duration's plain text is written without parsing it exactly as its value is written (rounded to
    /// microseconds, serialised as a double): every decimal form it takes (up to 12 integer and 3 fraction
    /// digits, trailing zeros, negative zeros, powers of ten, 15 significant digits) and seeded random ones;
    /// every other spelling is left to the value's path.
    @Test func plainDurationsAreWrittenAsTheirValues() {
        var taken = [
            "0", "-0", "0.0", "-0.000", "0.5", "-0.5", "0.001", "-0.001", "0.010", "0.100", "1", "7", "10", "1.25", "1.250",
            "12.000", "100", "999.999", "1000.5", "123456789012", "-123456789012", "123456789012.345", "999999999999.999",
            "100000000000.001", "450359962737.5", "0.123", "2.675", "1.005", "9007199254.740", "-42.420",
        ]
        var rng = EscapedOutputDecoderTests.SplitMix(state: 14)
        for _ in 0..<5_000 {
            let integer = String(UInt64.random(in: 0..<1_000_000_000_000, using: &rng) >> UInt64.random(in: 0..<40, using: &rng))
            let digits = Int.random(in: 0...3, using: &rng)
            let fraction = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            taken.append((Bool.random(using: &rng) ? "-" : "") + integer + (digits == 0 ? "" : "." + fraction))
        }
        var cache = HostJSONCache()
        for text in taken {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { HostJSONCache.plainDuration($0) }
            #expect(fast != nil, "\(text)")
            let plain = fast.map { Array(bytes[$0]) } ?? []
            var slow: [UInt8] = []
            cache.duration(Double(text)!) { slow = $0 }
            #expect(String(decoding: plain, as: UTF8.self) == String(decoding: slow, as: UTF8.self), "\(text)")
        }
        let refused = [
            "1e3", "1E3", "1.5e2", "1.2345", "0.0001", "1234567890123", "1234567890123.5", "01", "-01.5", "", "-", "1.", ".5", "1.2.3",
            "+1", "1 ", "0x10", "Infinity", "NaN",
        ]
        for text in refused {
            #expect(Array(text.utf8).withUnsafeBufferPointer { HostJSONCache.plainDuration($0) } == nil, "\(text)")
        }
        // The decoder's reading of a duration (`pastDuration`, digits read once) prints what `plainDuration` does
        // for every number that is the whole text, refuses the others, and stops where a number does.
        for text in taken + refused + ["1e-3", "-0e0", "12.5e", "7,", "0.000", "-0.0", "1.0001", "123456789012.1234"] {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { t in
                var at = 0
                let printed = t.baseAddress.flatMap { EscapedOutputDecoder.pastDuration($0, &at, t.count) }
                let plain = HostJSONCache.plainDuration(t)
                if let printed, at == t.count {
                    #expect((printed.isEmpty ? nil : printed) == plain, "\(text)")
                } else {
                    #expect(plain == nil, "\(text)")
                }
                var skip = 0
                let skipped = t.baseAddress.map { EscapedOutputDecoder.pastPlainNumber($0, &skip, t.count) } ?? false
                #expect(skipped == (printed != nil) && skip == at, "\(text)")
            }
        }
    }

    /// Hosts with evidence, odd durations, unknown items, line errors, groups and every host state.
    static func withEvidence() throws -> FleetReport {
        let entry = { (item: String, extra: String) in
            "{\"module\": \"gse_agent\", \"item\": \"\(item)\", \"status\": false, \"message\": \"m \\u2028 \\\"q\\\" \\u007f\", \"result\": \"fail\", \"hint\": \"h\\n\"\(extra)}"
        }
        let outputs = [
            "{\"status\": false, \"data\": [\(entry("socket", ", \"evidence\": {\"pid\": 7, \"paths\": [\"/a\", null], \"r\": 0.5, \"big\": 123456789012345678901234567890}, \"duration_ms\": 1.25")), \(entry("process", ", \"duration_ms\": -0.0"))]}",
            "{\"status\": true, \"data\": [\(entry("process", ", \"duration_ms\": 1e300")), \(entry("no_such_item", ", \"duration_ms\": 0.0004999"))]}\nnot json",
            "{\"status\": true, \"data\": [\(entry("socket", ", \"duration_ms\": 1.25")), \(entry("socket", ", \"duration_ms\": 1.25"))]}",
            "",
            "junk",
        ]
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for (n, o) in outputs.enumerated() {
            hosts.append(Fixtures.host(0, "10.0.0.\(n + 1)", status: 9, id: n + 1))
            logs.append(Fixtures.log(0, "10.0.0.\(n + 1)", o, id: n + 1))
        }
        hosts.append(Fixtures.host(0, "10.0.1.1", status: 11, error: 104))
        hosts.append(Fixtures.host(0, "10.0.1.2", status: 9))
        logs.append(Fixtures.log(0, "10.0.2.1", "{\"status\": true, \"data\": []}"))
        return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
    }

    @Test func writtenHostsEqualTheirTrees() throws {
        for r in [try Self.withEvidence(), try ParseGoldenTests().mixed(), try AgentTextStreamTests.varied()] {
            #expect(Self.written(r) == Self.built(r))
        }
    }

    @Test func wholeJSONReadsBackWithTheSameHosts() throws {
        let r = try Self.withEvidence()
        let json = try JSONValue.parse(r.jsonText())
        guard case .array(let hosts)? = json["hosts"] else {
            Issue.record("no hosts")
            return
        }
        #expect(hosts == r.hosts.indices.map { r.hostJSON($0) }.map { try! JSONValue.parse($0.serialized()) })
    }

    /// The words written for a host's state, diagnosis and agent as literals are their raw values as JSON
    /// strings, every case of each.
    @Test func wordsWrittenAsLiteralsAreTheirRawValues() {
        func text(_ s: StaticString) -> String { s.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
        for s in HostState.allCases { #expect(text(s.jsonString) == JSONValue.string(s.rawValue).serialized()) }
        for d in HostDiagnosis.allCases { #expect(text(d.jsonString) == JSONValue.string(d.rawValue).serialized()) }
        for a in AgentState.allCases { #expect(text(a.jsonString) == JSONValue.string(a.rawValue).serialized()) }
    }

    /// The writer's clean-string fast path: every byte that needs care, at every offset of a word.
    @Test func stringsAreWrittenAsSerialized() {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}", "\u{2027}", "中", "é", "😀", "/"]
        for s in specials {
            for before in 0..<17 {
                for after in [0, 1, 7, 8, 9] {
                    let text = String(repeating: "a", count: before) + s + String(repeating: "b", count: after)
                    var w = JSONByteWriter()
                    w.string(text)
                    #expect(
                        String(decoding: w.bytes, as: UTF8.self) == JSONValue.string(text).serialized(),
                        "\(before) \(s.unicodeScalars.map(\.value)) \(after)")
                }
            }
        }
    }

    /// Integers are written digit by digit into the writer's buffer, as `String(v)` spells them; a
    /// writer that grows from its smallest buffer keeps every byte written before.
    @Test func integersAndGrowthAreWrittenAsSerialized() {
        let values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, 1_000_000, Int64(Int32.max) + 1, .max, .min, .min + 1, -9_999_999_999]
        var w = JSONByteWriter(capacity: 1)
        var expected = ""
        for _ in 0..<50 {
            for v in values {
                w.write(.int(v))
                w.append(UInt8(ascii: ","))
                expected += String(v) + ","
            }
            w.string("x\u{2028}\"")
            expected += JSONValue.string("x\u{2028}\"").serialized()
        }
        #expect(w.count == expected.utf8.count)
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
        w.removeAll()
        w.write(.array([.int(.min), .bigInt("123456789012345678901234567890"), .double(1.5), .null, .bool(false)]))
        #expect(
            String(decoding: w.bytes, as: UTF8.self)
                == JSONValue.array([.int(.min), .bigInt("123456789012345678901234567890"), .double(1.5), .null, .bool(false)]).serialized())
    }

    /// The heatmap rows as they were built before the per-position column cache: one dictionary lookup per entry.
    static func referenceRows(_ r: FleetReport) -> [JSONValue] {
        let s = r.summary
        var col: [ItemKey: Int] = [:]
        for (i, k) in s.items.enumerated() { col[k] = i }
        let order = r.hosts.indices.sorted {
            let a = s.groupOfHost[$0] < 0 ? Int.max : s.groupOfHost[$0]
            let b = s.groupOfHost[$1] < 0 ? Int.max : s.groupOfHost[$1]
            return (a, $0) < (b, $1)
        }
        return order.map { i in
            let h = r.hosts[i]
            var cells = [Character](repeating: h.state.hasReport ? "-" : FleetReport.stateChar(h.state), count: s.items.count)
            if h.state.hasReport {
                for c in h.results {
                    if let x = col[ItemKey(module: c.module, item: c.item)] { cells[x] = FleetReport.cellChar(c.verdict) }
                }
            }
            return .array([.string(h.key), .string(h.state.rawValue), .int(Int64(s.groupOfHost[i])), .string(String(cells))])
        }
    }

    /// The heatmap data written row by row is the text of its tree; `</` is made safe the same way on bytes.
    @Test func heatmapWrittenEqualsItsTree() throws {
        for r in [try Self.withEvidence(), try ParseGoldenTests().mixed(), try AgentTextStreamTests.varied()] {
            var tree = JSONByteWriter()
            tree.write(r.heatmapData())
            var rows = JSONByteWriter()
            r.writeHeatmapData(to: &rows)
            #expect(rows.bytes == tree.bytes)
        }
        for (text, safe) in [
            ("", ""), ("<", "\\u003c"), ("</", "\\u003c/"), ("a</b</", "a\\u003c/b\\u003c/"),
            ("<!-- <script>", "\\u003c!-- \\u003cscript\\u003e"), ("a&b", "a\\u0026b"),
            ("\u{2028}x\u{2029}", "\\u2028x\\u2029"), ("中</文", "中\\u003c/文"), ("\u{2027}", "\u{2027}"),
        ] {
            #expect(FleetReport.scriptSafe(bytes: Array(text.utf8)) == Array(safe.utf8), "\(text)")
        }
        // Escaped inside JSON strings, the same text comes back.
        let hostile = JSONValue.object([("m", .string("down <!-- <script> </script> & \u{2028}"))])
        let inert = FleetReport.scriptSafe(bytes: Array(hostile.serialized().utf8))
        let back = try JSONValue.parse(bytes: inert)
        #expect(!inert.contains(UInt8(ascii: "<")) && back == hostile)
        // Characters that join with `<` or `/` (a prepending mark, a combining accent) hide nothing from the
        // browser, which reads bytes: the `</` is escaped all the same.
        for text in ["\u{600}</script>", "</\u{301}script>"] {
            let safe = FleetReport.scriptSafe(bytes: Array(text.utf8))
            #expect(!safe.contains(UInt8(ascii: "<")))
        }
    }

    @Test func heatmapRowsAreTheReferenceRows() throws {
        for r in [try Self.withEvidence(), try ParseGoldenTests().mixed(), try AgentTextStreamTests.varied()] {
            #expect(r.heatmapData()["hosts"] == .array(Self.referenceRows(r)))
        }
    }
}
