/// How go-yaml v2 (`resolve.go`) reads an untagged plain scalar when it decodes into `interface{}`, as
/// the collector's config loader does: the only question asked here is whether the result is text.
enum GoYAMLPlainScalar {
    static let booleans: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ]
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let specialFloats: Set<String> = [
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ]

    /// "a boolean", "null" or "a number" when go-yaml v2 does not read `text` as text; nil when it does.
    /// Timestamps (`2001-12-14`) stay text when decoded into `interface{}` (go-yaml v2 keeps them so).
    static func nonTextKind(_ text: String) -> String? {
        guard let first = text.utf8.first else { return "null" }
        if booleans.contains(text) { return "a boolean" }
        if nulls.contains(text) { return "null" }
        if specialFloats.contains(text) { return "a number" }
        switch first {
        case UInt8(ascii: "."):
            // Not in the table: Go's ParseFloat on the text as it is, which for a text starting with `.`
            // takes exactly the YAML-style floats (`.5`, `.5e3`; not `.`, `.e5` or a range error).
            return yamlStyleFloat(text) ? "a number" : nil
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            // Integers (any base Go's ParseInt(s, 0, 64) or ParseUint take, underscores removed first),
            // then YAML-style floats, then 0b binary.
            let plain = String(text.filter { $0 != "_" })
            if goParseInteger(plain) { return "a number" }
            if yamlStyleFloat(plain) { return "a number" }
            return nil
        default:
            return nil
        }
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeding: an optional sign (ParseUint
    /// takes none), then `0x`/`0o`/`0b` digits, a leading-0 octal, or decimal; underscores were removed.
    /// Out-of-range values fail both, as in Go.
    static func goParseInteger(_ s: String) -> Bool {
        var body = Substring(s)
        var negative = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return false }
        var radix = 10
        if body.count >= 2, body.first == "0" {
            let p = body.dropFirst().first!
            switch p {
            case "x", "X": radix = 16
            case "o", "O": radix = 8
            case "b", "B": radix = 2
            default: radix = 8
            }
            body = radix == 8 && !(p == "o" || p == "O") ? body.dropFirst() : body.dropFirst(2)
            guard !body.isEmpty else { return false }
        }
        // Digits only: Swift's parser would take a sign here, Go's takes none after the prefix.
        guard let first = body.unicodeScalars.first, first.properties.isASCIIHexDigit, let magnitude = UInt64(body, radix: radix)
        else { return false }
        // ParseInt's range for a signed value; ParseUint takes an unsigned one, and no sign at all.
        if negative { return magnitude <= UInt64(Int64.max) + 1 }
        if s.hasPrefix("+") { return magnitude <= UInt64(Int64.max) }
        return true
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
