/// JSON texts for the parser's tests and the fleet's fast paths: valid documents of every kind, and
/// failures at every position inside an eight-byte word.
public enum JSONCorpus {
    public static let valid: [String] = [
        "{}", "[]", "null", "true", "false", "0", "-0", "12", "-7", "1.5", "1e3", "-2.5E-3", "9223372036854775807",
        "\"\"", "\"plain ascii longer than sixteen bytes\"", "\"with \\\"escaped\\\" quotes and \\\\ backslash\"",
        "\"\\n\\r\\t\\b\\f\\/\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"lone \\ud800 surrogate\"", "\"中文 and émoji 😀 raw\"",
        "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": false, \"message\": \"x\"}]}",
        "{\"log_content\": \"{\\\"status\\\": true, \\\"data\\\": []}\\n{\\\"status\\\": false}\\n\"}",
        "  [1, [2, [3, {\"a\": [null]}]]]  ",
    ]
    /// Failures, at every position inside an eight-byte word.
    public static let invalid: [String] = [
        "\"abcdefg\u{01}h\"", "\"abcdefgh\u{1f}\"", "\"a\u{09}\"", "\"unterminated", "\"abcdefghijklmnop", "{\"a\" 1}", "{\"a\": 1,}",
        "[1 2]", "tru", "nul", "-", "01x", "{\"a\": 1} x", "\"bad \\x escape\"", "\"\\u12\"", "", "   ",
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ]
}
