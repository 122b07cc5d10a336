import Report

/// Where and why `FastJSON.parse` stopped.
public struct FastJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A JSON parser tuned for the fleet side's volume (hundreds of MiB of JOB answers whose `log_content`
/// strings are mostly escapes): strings are copied in runs between escapes, integers are read without
/// building a `String`. It produces the shared `JSONValue`; semantics and error positions match
/// `JSONValue.parse` (RFC 8259, depth limit, trailing data is an error).
public enum FastJSON {
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256) throws(FastJSONError) -> JSONValue {
        var p = FastJSONParser(b: bytes, maxDepth: maxDepth)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw p.error("unexpected trailing data") }
        return v
    }

    public static func parse(bytes: [UInt8], maxDepth: Int = 256) throws(FastJSONError) -> JSONValue {
        var outcome: Result<JSONValue, FastJSONError> = .failure(FastJSONError(offset: 0, reason: "empty"))
        bytes.withUnsafeBufferPointer { buf in
            do throws(FastJSONError) {
                outcome = .success(try parse(bytes: buf, maxDepth: maxDepth))
            } catch {
                outcome = .failure(error)
            }
        }
        return try outcome.get()
    }
}

struct FastJSONParser {
    let b: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var i = 0
    /// Reused buffer for strings with escapes.
    var scratch: [UInt8] = []

    init(b: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.b = b
        self.maxDepth = maxDepth
    }

    func error(_ reason: String) -> FastJSONError { FastJSONError(offset: i, reason: reason) }

    /// Advances `i` over plain string bytes eight at a time, stopping before the word that holds a quote,
    /// a backslash or a control character (the byte loop then finds which).
    @inline(__always) mutating func skipPlain() {
        guard let base = b.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i &+ 8 <= b.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let q = w ^ (ones &* 0x22)
            let s = w ^ (ones &* 0x5C)
            let special = ((q &- ones) & ~q) | ((s &- ones) & ~s) | ((w &- ones &* 0x20) & ~w)
            if special & highs != 0 { return }
            i &+= 8
        }
    }

    @inline(__always) mutating func skipSpace() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    mutating func value(depth: Int) throws(FastJSONError) -> JSONValue {
        guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        guard i < b.count else { throw error("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal([0x74, 0x72, 0x75, 0x65]); return .bool(true)
        case UInt8(ascii: "f"): try literal([0x66, 0x61, 0x6C, 0x73, 0x65]); return .bool(false)
        case UInt8(ascii: "n"): try literal([0x6E, 0x75, 0x6C, 0x6C]); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: [UInt8]) throws(FastJSONError) {
        guard i + word.count <= b.count else { throw error("unexpected end of input") }
        for k in 0..<word.count where b[i + k] != word[k] { throw error("invalid literal") }
        i += word.count
    }

    mutating func object(depth: Int) throws(FastJSONError) -> JSONValue {
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        members.reserveCapacity(8)
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            skipSpace()
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard i < b.count else { throw error("unexpected end of input") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws(FastJSONError) -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < b.count else { throw error("unexpected end of input") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func hex4() throws(FastJSONError) -> UInt32 {
        guard i + 4 <= b.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c &- UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c &- UInt8(ascii: "a") &+ 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c &- UInt8(ascii: "A") &+ 10)
            default: throw error("invalid \\u escape")
            }
            v = v &* 16 &+ d
            i += 1
        }
        return v
    }

    mutating func string() throws(FastJSONError) -> String {
        i += 1
        let start = i
        let n = b.count
        skipPlain()
        while i < n {
            let c = b[i]
            if c == 0x22 {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == 0x5C { break }
            if c < 0x20 { throw error("control character in string") }
            i += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
        while i < n {
            // Copy the run up to the next quote or backslash in one go.
            let runStart = i
            skipPlain()
            while i < n {
                let c = b[i]
                if c == 0x22 || c == 0x5C { break }
                if c < 0x20 { throw error("control character in string") }
                i += 1
            }
            if i > runStart { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i])) }
            guard i < n else { break }
            if b[i] == 0x22 {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            i += 1
            guard i < n else { break }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if (0xD800...0xDBFF).contains(cp) {
                    if i + 6 <= n, b[i] == 0x5C, b[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let lo = try hex4()
                        cp = (0xDC00...0xDFFF).contains(lo) ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) : 0xFFFD
                    } else {
                        cp = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(cp) {
                    cp = 0xFFFD
                }
                appendScalar(cp)
            default: throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func appendScalar(_ cp: UInt32) {
        switch cp {
        case 0..<0x80: scratch.append(UInt8(cp))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (cp >> 6)))
            scratch.append(UInt8(0x80 | (cp & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (cp >> 12)))
            scratch.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (cp & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (cp >> 18)))
            scratch.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }

    mutating func number() throws(FastJSONError) -> JSONValue {
        let start = i
        var negative = false
        if b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < b.count, b[i] >= 0x30 && b[i] <= 0x39 else { throw error("invalid number") }
        var isFloat = false
        var value: Int64 = 0
        var overflow = false
        while i < b.count {
            let c = b[i]
            if c >= 0x30 && c <= 0x39 {
                if !isFloat && !overflow {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int64(c &- 0x30))
                    if o1 || o2 { overflow = true } else { value = a }
                }
                i += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat)
            {
                isFloat = true
                i += 1
            } else {
                break
            }
        }
        if !isFloat && !overflow { return .int(negative ? -value : value) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw FastJSONError(offset: start, reason: "invalid number") }
        return .double(d)
    }
}
