/// A value of the collector's YAML config as its loader holds it: go-yaml v2 decodes the document into
/// `interface{}` (a plain scalar becomes a bool, an integer, a float, null or text by `resolve.go`'s
/// rules; a quoted one stays text), and go-ucfg then converts it to each field's Go type (`types.go`,
/// `reify.go`). `asBool`, `asInt`, `asUInt`, `asDuration` and `asText` answer what that conversion gives, nil where
/// go-ucfg fails: the collector then refuses the item.
public enum GoConfigValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer past `Int64.max` (go-yaml v2 makes it a uint64).
    case uint(UInt64)
    case float(Double)
    case string(String)
    /// A mapping or a sequence.
    case structure

    public init(_ node: YAMLNode) {
        switch node {
        case .null: self = .null
        case .sequence, .mapping: self = .structure
        case .scalar(let text, let quoted):
            self = quoted ? .string(text) : Self.resolvePlain(text)
        }
    }

    /// go-yaml v2's reading of an untagged plain scalar.
    static func resolvePlain(_ text: String) -> GoConfigValue {
        if GoYAMLPlainScalar.nulls.contains(text) { return .null }
        if GoYAMLPlainScalar.booleans.contains(text) {
            return .bool(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].contains(text))
        }
        switch text {
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        default: break
        }
        let first = text.unicodeScalars.first
        if first == "." {
            // Not in the table: Go's ParseFloat on the text as it is (underscores kept, so only between
            // digits), which takes exactly the YAML-style floats there (`.5`, `.5e3`, `.5_0`; not `.`, `.e5`,
            // `._5` or a range error).
            if let clean = underscoresRemoved(text), GoYAMLPlainScalar.yamlStyleFloat(clean), let d = Double(clean) {
                return .float(d)
            }
            return .string(text)
        }
        guard let first, first == "+" || first == "-" || ("0"..."9").contains(first) else { return .string(text) }
        // Integers (any base Go's ParseInt(s, 0, 64) or ParseUint take, underscores removed first), then
        // YAML-style floats.
        let plain = String(text.filter { $0 != "_" })
        if let v = goParseInt(plain) { return .int(v) }
        if let v = goParseUInt(plain) { return .uint(v) }
        if GoYAMLPlainScalar.yamlStyleFloat(plain), let d = Double(plain) { return .float(d) }
        return .string(text)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then `0x`/`0o`/`0b` digits, a leading-0
    /// octal, or decimal (underscores already removed).
    static func goParseInt(_ s: String) -> Int64? {
        var body = Substring(s)
        var negative = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard let magnitude = goParseMagnitude(body) else { return nil }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Go's `strconv.ParseUint(s, 0, 64)`: no sign.
    static func goParseUInt(_ s: String) -> UInt64? {
        guard let c = s.first, c != "+", c != "-" else { return nil }
        return goParseMagnitude(Substring(s))
    }

    private static func goParseMagnitude(_ digits: Substring) -> UInt64? {
        var body = digits
        guard !body.isEmpty else { return nil }
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
            guard !body.isEmpty else { return nil }
        }
        // Digits only: Swift's parser would take a sign here, Go's takes none after the prefix.
        guard let first = body.unicodeScalars.first, first.properties.isASCIIHexDigit else { return nil }
        return UInt64(body, radix: radix)
    }

    /// go-ucfg's bool: a bool, or text Go's `strconv.ParseBool` takes. A null converts without error (go-ucfg
    /// leaves the field's default in place; `false` stands for "no error" here, as 0 does below).
    public var asBool: Bool? {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .string(let s):
            switch s {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// go-ucfg's int64: an integer, a float cut to its integer part (within range), or text
    /// `strconv.ParseInt(s, 0, 64)` takes. A null converts without error (the field keeps its default).
    public var asInt: Int64? {
        switch self {
        case .null: return 0
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .float(let f):
            // go-ucfg's range test lets 2^63 itself and NaN through, which Go on amd64 converts to Int64.min.
            if f.isNaN || f == 9.223372036854775808e18 { return .min }
            guard f >= -9.223372036854775808e18, f <= 9.223372036854775808e18 else { return nil }
            return Int64(f)
        case .string(let s): return Self.underscoresRemoved(s).flatMap(Self.goParseInt)
        case .bool, .structure: return nil
        }
    }

    /// go-ucfg's uint64: a non-negative integer or float, or text `strconv.ParseUint(s, 0, 64)` takes.
    public var asUInt: UInt64? {
        switch self {
        case .null: return 0
        case .int(let i): return i >= 0 ? UInt64(i) : nil
        case .uint(let u): return u
        case .float(let f):
            // go-ucfg's range test lets 2^64 itself and NaN through, which Go on amd64 converts to 2^63.
            if f.isNaN || f == 1.8446744073709552e19 { return 1 << 63 }
            guard f >= 0, f <= 1.8446744073709552e19 else { return nil }
            return UInt64(f)
        case .string(let s): return Self.underscoresRemoved(s).flatMap(Self.goParseUInt)
        case .bool, .structure: return nil
        }
    }

    /// go-ucfg's `time.Duration`, in seconds: a number is seconds, text goes through Go's
    /// `time.ParseDuration` (a unit is required: `10` is refused, `10s` and `0` are not).
    public var asDuration: Double? {
        switch self {
        case .null: return 0
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        // Any float, as go-ucfg multiplies it into a Duration without a range check.
        case .float(let f): return f
        case .string(let s): return Self.goParseDuration(s)
        // go-ucfg formats a bool as text ("true"), which no duration is.
        case .bool, .structure: return nil
        }
    }

    /// The duration the field ends up holding, in seconds: `asDuration` with go-ucfg's arithmetic, which
    /// multiplies a number into int64 nanoseconds without a range check (an integer wraps; a float out of
    /// range, or NaN, becomes Int64.min on amd64). Text past the range is refused by ParseDuration instead.
    public var asHeldDuration: Double? {
        switch self {
        case .int(let i): return Double(i &* 1_000_000_000) / 1e9
        case .uint(let u): return Double(Int64(truncatingIfNeeded: u) &* 1_000_000_000) / 1e9
        case .float(let f):
            let ns = f * 1e9
            guard ns >= -9.223372036854775808e18, ns < 9.223372036854775808e18 else { return Double(Int64.min) / 1e9 }
            return Double(Int64(ns)) / 1e9
        default: return asDuration
        }
    }

    /// go-ucfg's string: text as written, a bool or a number as Go's `fmt` prints it (`%t`, `%d`, `%v`).
    /// A null converts without error (the field keeps its default; "" stands for that here); a list or
    /// map is refused.
    public var asText: String? {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .float(let f): return Self.goFormatV(f)
        case .string(let s): return s
        case .structure: return nil
        }
    }

    /// Go's `fmt` `%v` of a float64: the shortest digits that read back (Swift's `description` finds the
    /// same ones), written as `%e` when the decimal exponent is below -4 or at least 6 (`1e+06`, `1e-05`,
    /// `123456`, `0.5`, `-0`, `+Inf`, `NaN`).
    static func goFormatV(_ f: Double) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f < 0 ? "-Inf" : "+Inf" }
        let sign = f.sign == .minus ? "-" : ""
        if f == 0 { return sign + "0" }
        var text = Substring(f.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let halves = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = Array(halves[0].utf8) + (halves.count > 1 ? Array(halves[1].utf8) : [])
        // The value is 0.<digits> × 10^point.
        var point = halves[0].utf8.count + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let d = String(decoding: digits, as: UTF8.self)
        let x = point - 1
        if x < -4 || x >= 6 {
            let mantissa = digits.count > 1 ? "\(d.prefix(1)).\(d.dropFirst())" : d
            let e = x.magnitude < 10 ? "0\(x.magnitude)" : "\(x.magnitude)"
            return sign + mantissa + "e" + (x < 0 ? "-" : "+") + e
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + d }
        if point >= digits.count { return sign + d + String(repeating: "0", count: point - digits.count) }
        return sign + d.prefix(point) + "." + d.dropFirst(point)
    }

    /// Text as go-ucfg would print it in an error, for messages.
    public var shown: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .float(let f): return String(f)
        case .string(let s): return "'\(s)'"
        case .structure: return "a list or map"
        }
    }

    /// The text without its underscores, which `ParseInt`/`ParseUint` with base 0 take as digit separators
    /// only between digits, or between a base prefix and a digit (Go's `underscoreOK`); nil otherwise.
    private static func underscoresRemoved(_ s: String) -> String? {
        guard s.contains("_") else { return s }
        var b = Array(s.utf8)[...]
        if let c = b.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { b = b.dropFirst() }
        // `^` start, `0` a digit or base prefix, `_` an underscore, `!` anything else.
        var saw: UInt8 = UInt8(ascii: "^")
        var hex = false
        var i = b.startIndex
        if b.count >= 2, b[i] == UInt8(ascii: "0"), [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(b[i + 1] | 0x20) {
            hex = b[i + 1] | 0x20 == UInt8(ascii: "x")
            saw = UInt8(ascii: "0")
            i += 2
        }
        while i < b.endIndex {
            let c = b[i]
            if (c >= 0x30 && c <= 0x39) || (hex && c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f")) {
                saw = UInt8(ascii: "0")
            } else if c == UInt8(ascii: "_") {
                guard saw == UInt8(ascii: "0") else { return nil }
                saw = c
            } else {
                guard saw != UInt8(ascii: "_") else { return nil }
                saw = UInt8(ascii: "!")
            }
            i += 1
        }
        guard saw != UInt8(ascii: "_") else { return nil }
        return String(s.filter { $0 != "_" })
    }

    /// Go's `time.ParseDuration`, in seconds: `[-+]?` then one or more `<number><unit>` with units ns, us,
    /// µs, μs, ms, s, m, h (a number is digits with an optional fraction, at least one digit); `0` alone is
    /// the one text without a unit. Nil where Go returns an error (including past ±2^63 ns).
    public static func goParseDuration(_ text: String) -> Double? {
        var s = Substring(text)
        var negative = false
        if let c = s.first, c == "-" || c == "+" {
            negative = c == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var total = 0.0
        while !s.isEmpty {
            let whole = s.prefix { $0.isASCII && $0.isNumber }
            s = s.dropFirst(whole.count)
            var fraction: Substring = ""
            if s.first == "." {
                s = s.dropFirst()
                fraction = s.prefix { $0.isASCII && $0.isNumber }
                s = s.dropFirst(fraction.count)
            }
            guard !(whole.isEmpty && fraction.isEmpty), let value = Double("0" + whole + "." + fraction + "0") else { return nil }
            let unitText = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            s = s.dropFirst(unitText.count)
            total += value * unit.1
        }
        // Go keeps nanoseconds in an int64.
        guard total * 1e9 <= 9.223372036854775807e18 else { return nil }
        return negative ? -total : total
    }
}
