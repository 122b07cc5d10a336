import Report

/// Python 3's `str()` and `repr()` of the values `json.loads` makes, as AgentChecker's `str.format` prints them.
///
/// Strings print as themselves at the top and quoted inside containers (`{'a': 1}`, `['x', None]`);
/// `true`/`null` are `True`/`None`; integers print in full at any size; floats use Python's shortest repr (`1.0`, `-0.0`, `1e+16`, `inf`, `nan`).
public enum PythonText {
    /// `str(value)`. `surrogateMarkers`: the value was read with `LoneSurrogate` markers past this base, which stand for the
    /// surrogates Python keeps (`repr` prints them as escapes; a string printed as itself shows U+FFFD, as no
    /// UTF-8 output can carry a lone surrogate).
    public static func str(_ v: JSONValue, surrogateMarkers: UInt32? = nil) -> String {
        if case .string(let s) = v {
            guard let base = surrogateMarkers else { return s }
            var out = ""
            out.unicodeScalars.append(
                contentsOf: s.unicodeScalars.map { LoneSurrogate.surrogate(of: $0, base: base) == nil ? $0 : "\u{FFFD}" })
            return out
        }
        var out = ""
        repr(v, to: &out, surrogateMarkers: surrogateMarkers)
        return out
    }

    /// `repr(value)`.
    public static func repr(_ v: JSONValue, surrogateMarkers: UInt32? = nil) -> String {
        var out = ""
        repr(v, to: &out, surrogateMarkers: surrogateMarkers)
        return out
    }

    static func repr(_ v: JSONValue, to out: inout String, surrogateMarkers: UInt32?) {
        switch v {
        case .null: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .bigInt(let t): out += t
        case .double(let d): out += float(d)
        case .string(let s): stringRepr(s, to: &out, surrogateMarkers: surrogateMarkers)
        case .array(let a):
            out += "["
            for (i, x) in a.enumerated() {
                if i > 0 { out += ", " }
                repr(x, to: &out, surrogateMarkers: surrogateMarkers)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, x)) in o.enumerated() {
                if i > 0 { out += ", " }
                stringRepr(k, to: &out, surrogateMarkers: surrogateMarkers)
                out += ": "
                repr(x, to: &out, surrogateMarkers: surrogateMarkers)
            }
            out += "}"
        }
    }

    /// `repr(float)`: the shortest digits that read back to the same value (Swift finds the same ones),
    /// laid out as CPython does: positional while the decimal point falls within -4 < exponent < 16,
    /// else `d.ddde±XX`; a positional integral value keeps `.0`.
    public static func float(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let sign = d.sign == .minus ? "-" : ""
        if d == 0 { return sign + "0.0" }
        // Swift's description: "1.0", "0.0001", "1e-05", "1.5e+16", "123.456".
        let text = Array(d.magnitude.description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            mantissa = text[..<e]
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var pointAt = mantissa.count
        for (k, c) in mantissa.enumerated() {
            if c == UInt8(ascii: ".") { pointAt = k } else { digits.append(c) }
        }
        // value = 0.DIGITS × 10^decpt
        var decpt = pointAt + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            decpt -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let ds = String(decoding: digits, as: UTF8.self)
        if decpt > -4 && decpt <= 16 {
            if decpt <= 0 { return sign + "0." + String(repeating: "0", count: -decpt) + ds }
            if digits.count <= decpt { return sign + ds + String(repeating: "0", count: decpt - digits.count) + ".0" }
            let cut = ds.utf8.index(ds.utf8.startIndex, offsetBy: decpt)
            return sign + String(ds[..<cut]) + "." + String(ds[cut...])
        }
        let exp = decpt - 1
        let expText = (exp < 0 ? "-" : "+") + (abs(exp) < 10 ? "0" : "") + String(abs(exp))
        let head = String(ds.prefix(1))
        let tail = ds.count > 1 ? "." + String(ds.dropFirst()) : ""
        return sign + head + tail + "e" + expText
    }

    /// `repr(str)`: single quotes unless the text holds `'` and no `"`; backslash escapes for the quote,
    /// `\\`, `\t`, `\n`, `\r`, other control characters and characters Python does not print (a surrogate,
    /// given as its `LoneSurrogate` marker past `surrogateMarkers`, among them).
    public static func stringRepr(_ s: String, to out: inout String, surrogateMarkers: UInt32? = nil) {
        var hasSingle = false
        var hasDouble = false
        for u in s.utf8 {
            if u == UInt8(ascii: "'") { hasSingle = true } else if u == UInt8(ascii: "\"") { hasDouble = true }
        }
        let quote: Unicode.Scalar = hasSingle && !hasDouble ? "\"" : "'"
        out.unicodeScalars.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case quote, "\\":
                out += "\\"
                out.unicodeScalars.append(c)
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\x" + hex(c.value, width: 2)
                } else if let base = surrogateMarkers, let surrogate = LoneSurrogate.surrogate(of: c, base: base) {
                    out += "\\u" + hex(surrogate, width: 4)
                } else if c.value < 0x7F || isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else if c.value <= 0xFF {
                    out += "\\x" + hex(c.value, width: 2)
                } else if c.value <= 0xFFFF {
                    out += "\\u" + hex(c.value, width: 4)
                } else {
                    out += "\\U" + hex(c.value, width: 8)
                }
            }
        }
        out.unicodeScalars.append(quote)
    }

    /// Python's `str.isprintable()` for one non-ASCII character: not a control, format, surrogate,
    /// private-use, unassigned or separator character (the ASCII space is printable) in the Unicode database
    /// of the platform's Python (3.11: Unicode 14.0), not the toolchain's: a character assigned since (`🛜`,
    /// U+1F6DC, Unicode 15) is unassigned there, and `repr()` escapes it (`PythonPrintable.swift`).
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        let ranges = unprintableRanges
        // The last range starting at or below v.
        var lo = 0
        var hi = ranges.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[2 * mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 || v > ranges[2 * (lo - 1) + 1]
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
}
