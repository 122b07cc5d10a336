import Report
import TestSupport
import Testing

/// Report's JSON parser (shared by the node and the fleet side) on the fleet's inputs: JOB answers whose
/// `log_content` is mostly escapes, numbers as Python's json reads them, repeated member names.
@Suite struct JSONParserTests {
    @Test(arguments: JSONCorpus.valid)
    func validTextRoundTrips(text: String) throws {
        let v = try JSONValue.parse(bytes: Array(text.utf8))
        #expect(try JSONValue.parse(v.serialized()) == v)
        #expect(try JSONValue.parse(text) == v)
    }

    @Test(
        "lone surrogates become U+FFFD and never swallow the escape after them",
        arguments: [
            ("\"\\ud800\\u0041\"", "\u{FFFD}A"), ("\"\\ud800\\ud800\\udc00\"", "\u{FFFD}\u{10000}"),
            ("\"\\udc00x\"", "\u{FFFD}x"), ("\"\\ud800\"", "\u{FFFD}"), ("\"\\ud83d\\ude00\"", "😀"),
            ("\"a\\ud800\\n\"", "a\u{FFFD}\n"),
        ])
    func loneSurrogates(text: String, expected: String) throws {
        #expect(try JSONValue.parse(bytes: Array(text.utf8)) == .string(expected))
    }

    @Test(arguments: JSONCorpus.invalid)
    func invalidTextFailsWithinTheInput(text: String) {
        do {
            _ = try JSONValue.parse(bytes: Array(text.utf8))
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.offset >= 0 && error.offset <= text.utf8.count, "\(error)")
        }
    }

    @Test func longEscapedStringsRoundTrip() throws {
        var s = ""
        for k in 0..<2000 { s += "line \(k) \"quoted\" \\ back\tslash 中文\n" }
        let json = JSONValue.object([("log_content", .string(s))]).serialized()
        #expect(try JSONValue.parse(bytes: Array(json.utf8))["log_content"]?.stringValue == s)
    }

    /// Numbers and the non-finite words exactly as Python's `json.loads` (the central parser) reads them:
    /// each accepted text with its value, each rejected one an error. Checked against CPython 3.11.
    @Test(
        "numbers, NaN and Infinity: the grammar of Python's json",
        arguments: [
            ("0", JSONValue.int(0)), ("-0", .int(0)), ("12", .int(12)), ("1.5", .double(1.5)), ("1e3", .double(1000)),
            ("1E+2", .double(100)), ("-1.25e-2", .double(-0.0125)), ("1e400", .double(.infinity)), ("-1e400", .double(-.infinity)),
            ("Infinity", .double(.infinity)), ("-Infinity", .double(-.infinity)), ("0e0", .double(0)), ("0.0e-0", .double(0)),
            ("9223372036854775808", .double(9223372036854775808)),
            ("[1, -Infinity, 2]", .array([.int(1), .double(-.infinity), .int(2)])),
        ] as [(String, JSONValue)])
    func numbersAsPythonReadsThem(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test(
        "rejected like json.loads rejects them",
        arguments: [
            "01", "-01", "00", "1.", "1.e5", ".5", "1e", "1e+", "+1", "-", "--1", "0x10", "[1.]", "{\"a\": 01}", "Nan", "-NaN",
            "infinity", "-Inf", "Infinityx", "1.2.3", "[1e]", "[-]",
        ])
    func numbersPythonRejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func notANumberParsesButIsNoQuantity() throws {
        let v = try JSONValue.parse("{\"d\": NaN, \"e\": Infinity, \"f\": 2.5}")
        guard case .double(let d)? = v["d"] else { Issue.record("NaN did not parse to a double"); return }
        #expect(d.isNaN)
        // Durations and other quantities read through doubleValue: only finite numbers count.
        #expect(v["d"]?.doubleValue == nil && v["e"]?.doubleValue == nil && v["f"]?.doubleValue == 2.5)
        // Written back as null: JSON has no NaN.
        #expect(v.serialized() == "{\"d\":null,\"e\":null,\"f\":2.5}")
    }

    /// A repeated member name keeps the place of its first occurrence and the value of its last, as a
    /// Python dict built by json.loads does; small objects and large ones (set-checked) alike.
    @Test func repeatedMemberNamesKeepTheLastValue() throws {
        #expect(try JSONValue.parse("{\"a\": 1, \"b\": 2, \"a\": 3}") == .object([("a", .int(3)), ("b", .int(2))]))
        #expect(try JSONValue.parse("{\"a\": {\"x\": 1, \"x\": [2]}}")["a"] == .object([("x", .array([.int(2)]))]))
        let names = (0..<40).map { "k\($0)" }
        let big = "{" + names.map { "\"\($0)\": 1" }.joined(separator: ", ") + ", \"k7\": \"last\", \"k39\": null}"
        let members = try #require(try JSONValue.parse(big).objectValue)
        #expect(members.map(\.0) == names)
        #expect(members[7].1 == .string("last") && members[39].1 == .null && members[8].1 == .int(1))
        // An escaped spelling is the same name.
        #expect(try JSONValue.parse("{\"key\": 1, \"k\\u0065y\": 2}") == .object([("key", .int(2))]))
    }
}
