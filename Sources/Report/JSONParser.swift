/// An error from `JSONValue.parse`, with the byte offset where it happened.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// Parses one JSON text (RFC 8259). Plain string bytes are copied in runs (eight bytes are tested
    /// at a time), so JOB answers whose `log_content` is mostly escapes parse quickly. Nesting deeper than `maxDepth` is rejected rather than
    /// recursing without bound; trailing non-space bytes are an error.
    public static func parse(_ text: String, maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        var copy = text
        return try copy.withUTF8 { buf in outcome { () throws(JSONParseError) in try parse(bytes: buf, maxDepth: maxDepth) } }.get()
    }

    /// Parses one JSON text from UTF-8 bytes.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        var p = JSONByteParser(b: bytes, maxDepth: maxDepth)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw p.error("unexpected trailing data") }
        return v
    }

    /// Parses bytes held in an array.
    public static func parse(bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buf in outcome { () throws(JSONParseError) in try parse(bytes: buf, maxDepth: maxDepth) } }.get()
    }
}

/// Runs a typed-throwing body inside a closure API that only rethrows untyped errors.
private func outcome(_ body: () throws(JSONParseError) -> JSONValue) -> Result<JSONValue, JSONParseError> {
    do throws(JSONParseError) {
        return .success(try body())
    } catch {
        return .failure(error)
    }
}

struct JSONByteParser {
    let b: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var i = 0

    init(b: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.b = b
        self.maxDepth = maxDepth
    }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

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

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
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

    mutating func literal(_ word: [UInt8]) throws(JSONParseError) {
        guard i + word.count <= b.count else { throw error("unexpected end of input") }
        for k in 0..<word.count where b[i + k] != word[k] { throw error("invalid literal") }
        i += word.count
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
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

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
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

    mutating func hex4() throws(JSONParseError) -> UInt32 {
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

    mutating func string() throws(JSONParseError) -> String {
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
        // Escapes: find the closing quote first (to size the string), then decode straight into its storage.
        var end = i
        while end < n {
            let c = b[end]
            if c == 0x22 { break }
            end += c == 0x5C ? 2 : 1
        }
        let capacity = min(end, n) - start
        var failure: JSONParseError?
        let text = String(unsafeUninitializedCapacity: max(1, capacity)) { out -> Int in
            var o = 0
            let runEnd = i - start
            if runEnd > 0 {
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: b.baseAddress! + start, byteCount: runEnd)
                o = runEnd
            }
            while i < n {
                let runStart = i
                skipPlain()
                while i < n {
                    let c = b[i]
                    if c == 0x22 || c == 0x5C { break }
                    if c < 0x20 { failure = error("control character in string"); return 0 }
                    i += 1
                }
                let len = i - runStart
                if len > 0 {
                    if o + len > out.count { failure = error("string longer than sized"); return 0 }
                    UnsafeMutableRawPointer(out.baseAddress! + o).copyMemory(from: b.baseAddress! + runStart, byteCount: len)
                    o += len
                }
                guard i < n else { break }
                if b[i] == 0x22 {
                    i += 1
                    return o
                }
                i += 1
                guard i < n else { break }
                let e = b[i]
                i += 1
                var byte: UInt8 = 0
                switch e {
                case UInt8(ascii: "\""): byte = 0x22
                case UInt8(ascii: "\\"): byte = 0x5C
                case UInt8(ascii: "/"): byte = 0x2F
                case UInt8(ascii: "b"): byte = 0x08
                case UInt8(ascii: "f"): byte = 0x0C
                case UInt8(ascii: "n"): byte = 0x0A
                case UInt8(ascii: "r"): byte = 0x0D
                case UInt8(ascii: "t"): byte = 0x09
                case UInt8(ascii: "u"):
                    do throws(JSONParseError) {
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
                        // Escaped text is at least as long as its UTF-8 (\uXXXX is 6 bytes, the scalar at most 4).
                        o += Self.encode(cp, into: out.baseAddress! + o)
                    } catch {
                        failure = error
                        return 0
                    }
                    continue
                default:
                    failure = error("invalid escape")
                    return 0
                }
                out[o] = byte
                o += 1
            }
            failure = error("unterminated string")
            return 0
        }
        if let failure { throw failure }
        return text
    }

    /// Writes the UTF-8 of `cp` at `p`; returns its length.
    @inline(__always) static func encode(_ cp: UInt32, into p: UnsafeMutablePointer<UInt8>) -> Int {
        switch cp {
        case 0..<0x80:
            p[0] = UInt8(cp)
            return 1
        case 0x80..<0x800:
            p[0] = UInt8(0xC0 | (cp >> 6))
            p[1] = UInt8(0x80 | (cp & 0x3F))
            return 2
        case 0x800..<0x10000:
            p[0] = UInt8(0xE0 | (cp >> 12))
            p[1] = UInt8(0x80 | ((cp >> 6) & 0x3F))
            p[2] = UInt8(0x80 | (cp & 0x3F))
            return 3
        default:
            p[0] = UInt8(0xF0 | (cp >> 18))
            p[1] = UInt8(0x80 | ((cp >> 12) & 0x3F))
            p[2] = UInt8(0x80 | ((cp >> 6) & 0x3F))
            p[3] = UInt8(0x80 | (cp & 0x3F))
            return 4
        }
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
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
        guard let d = Double(text) else { throw JSONParseError(offset: start, reason: "invalid number") }
        return .double(d)
    }
}
