/// How go-yaml v2 (`resolve.go`) reads an untagged plain scalar when it decodes into `interface{}`, as
/// the collector's config loader does: here, whether the result is text (`GoConfigValue.resolvePlain`
/// gives the value itself).
enum GoYAMLPlainScalar {
    static let booleans: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ]
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// "a boolean", "null" or "a number" when go-yaml v2 does not read `text` as text; nil when it does.
    /// Timestamps (`2001-12-14`) stay text when decoded into `interface{}` (go-yaml v2 keeps them so).
    static func nonTextKind(_ text: String) -> String? {
        switch GoConfigValue.resolvePlain(text) {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .uint, .float: return "a number"
        case .string, .structure: return nil
        }
    }

    /// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`. Every text
    /// of that form is a number to Go's ParseFloat (±Inf past the range, which it still returns as a value
    /// with a range error that go-yaml then ignores: such a text is not a number to it).
    static func yamlStyleFloat(_ s: String) -> Bool {
        let b = Array(s.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i - start
        }
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                _ = digits()
            }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        guard i == b.count else { return false }
        // Past Double's range ParseFloat reports an error and go-yaml keeps the text.
        guard let d = Double(s) else { return false }
        return d.isFinite
    }
}
