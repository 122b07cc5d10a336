import Report
import Testing

@testable import Fleet

/// `FastJSON` must agree with the shared `JSONValue.parse` on values and on where it fails.
@Suite struct FastJSONTests {
    static let inputs: [String] = [
        "{}", "[]", "null", "true", "false", "0", "-0", "12", "-7", "1.5", "1e3", "-2.5E-3", "9223372036854775807",
        "\"\"", "\"plain ascii longer than sixteen bytes\"", "\"with \\\"escaped\\\" quotes and \\\\ backslash\"",
        "\"\\n\\r\\t\\b\\f\\/\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"lone \\ud800 surrogate\"", "\"中文 and émoji 😀 raw\"",
        "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": false, \"message\": \"x\"}]}",
        "{\"log_content\": \"{\\\"status\\\": true, \\\"data\\\": []}\\n{\\\"status\\\": false}\\n\"}",
        "  [1, [2, [3, {\"a\": [null]}]]]  ",
        // Failures, at every position inside an eight-byte word.
        "\"abcdefg\u{01}h\"", "\"abcdefgh\u{1f}\"", "\"a\u{09}\"", "\"unterminated", "\"abcdefghijklmnop", "{\"a\" 1}", "{\"a\": 1,}",
        "[1 2]", "tru", "nul", "-", "01x", "{\"a\": 1} x", "\"bad \\x escape\"", "\"\\u12\"", "", "   ",
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ]

    @Test(arguments: inputs)
    func agreesWithTheSharedParser(text: String) {
        let fast = Result { () throws(FastJSONError) -> JSONValue in try FastJSON.parse(bytes: Array(text.utf8)) }
        let shared = Result { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(text) }
        switch (fast, shared) {
        case (.success(let a), .success(let b)):
            #expect(a == b)
            #expect(a.serialized() == b.serialized())
        case (.failure(let a), .failure(let b)):
            #expect(a.offset == b.offset, "\(a) vs \(b)")
            #expect(a.reason == b.reason)
        default:
            Issue.record("fast \(fast) vs shared \(shared)")
        }
    }

    @Test func longEscapedStringsRoundTrip() throws {
        var s = ""
        for k in 0..<2000 { s += "line \(k) \"quoted\" \\ back\tslash 中文\n" }
        let json = JSONValue.object([("log_content", .string(s))]).serialized()
        #expect(try FastJSON.parse(bytes: Array(json.utf8))["log_content"]?.stringValue == s)
    }

    @Test(arguments: [
        "", "plain", "quote \" backslash \\ slash /", "\n\r\t\u{08}\u{0c}\u{01}\u{1f}\u{7f}", "line\u{2028}para\u{2029}end",
        "中文 émoji 😀", "\u{e2}\u{80}", "ends with e2 \u{2026}",
    ])
    func byteWriterMatchesSerialized(text: String) {
        let v = JSONValue.object([("k \(text)", .array([.string(text), .int(-3), .double(1.5), .null, .bool(true)]))])
        var w = JSONByteWriter()
        w.write(v)
        #expect(String(decoding: w.bytes, as: UTF8.self) == v.serialized())
    }
}
