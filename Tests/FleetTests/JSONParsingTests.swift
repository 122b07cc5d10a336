import Report
import Testing

@testable import Fleet

/// The shared parser on the fleet's inputs (JOB answers whose `log_content` is mostly escapes), and the
/// fleet's byte writer against `serialized()`.
@Suite struct JSONParsingTests {
    static let valid: [String] = [
        "{}", "[]", "null", "true", "false", "0", "-0", "12", "-7", "1.5", "1e3", "-2.5E-3", "9223372036854775807",
        "\"\"", "\"plain ascii longer than sixteen bytes\"", "\"with \\\"escaped\\\" quotes and \\\\ backslash\"",
        "\"\\n\\r\\t\\b\\f\\/\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"lone \\ud800 surrogate\"", "\"中文 and émoji 😀 raw\"",
        "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": false, \"message\": \"x\"}]}",
        "{\"log_content\": \"{\\\"status\\\": true, \\\"data\\\": []}\\n{\\\"status\\\": false}\\n\"}",
        "  [1, [2, [3, {\"a\": [null]}]]]  ",
    ]
    /// Failures, at every position inside an eight-byte word.
    static let invalid: [String] = [
        "\"abcdefg\u{01}h\"", "\"abcdefgh\u{1f}\"", "\"a\u{09}\"", "\"unterminated", "\"abcdefghijklmnop", "{\"a\" 1}", "{\"a\": 1,}",
        "[1 2]", "tru", "nul", "-", "01x", "{\"a\": 1} x", "\"bad \\x escape\"", "\"\\u12\"", "", "   ",
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ]

    @Test(arguments: valid)
    func validTextRoundTrips(text: String) throws {
        let v = try JSONValue.parse(bytes: Array(text.utf8))
        #expect(try JSONValue.parse(v.serialized()) == v)
        #expect(try JSONValue.parse(text) == v)
    }

    @Test("lone surrogates become U+FFFD and never swallow the escape after them", arguments: [
        ("\"\\ud800\\u0041\"", "\u{FFFD}A"), ("\"\\ud800\\ud800\\udc00\"", "\u{FFFD}\u{10000}"),
        ("\"\\udc00x\"", "\u{FFFD}x"), ("\"\\ud800\"", "\u{FFFD}"), ("\"\\ud83d\\ude00\"", "😀"),
        ("\"a\\ud800\\n\"", "a\u{FFFD}\n"),
    ])
    func loneSurrogates(text: String, expected: String) throws {
        #expect(try JSONValue.parse(bytes: Array(text.utf8)) == .string(expected))
    }

    @Test(arguments: invalid)
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
