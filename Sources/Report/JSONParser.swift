#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error from `JSONValue.parse`, with the byte offset where it happened.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// CPython's default `sys.get_int_max_str_digits()`: longer integer literals fail `json.loads`.
    public static let maxIntegerDigits = 4300

    /// CPython 3.11's ValueError text for an integer literal over `maxIntegerDigits`.
    public static func integerDigitsReason(_ digits: Int) -> String {
        "Exceeds the limit (\(maxIntegerDigits) digits) for integer string conversion: value has \(digits) digits; use sys.set_int_max_str_digits() to increase the limit"
    }

    /// Parses one JSON text (RFC 8259). Plain string bytes are copied in runs (eight bytes are tested
    /// at a time), so JOB answers whose `log_content` is mostly escapes parse quickly. Containers nested deeper than `maxDepth` are
    /// rejected rather than recursing without bound (as Python's recursion limit does); trailing non-space bytes are an error.
    public static func parse(_ text: String, maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        var copy = text
        return try copy.withUTF8 { buf in outcome { () throws(JSONParseError) in try parse(bytes: buf, maxDepth: maxDepth) } }.get()
    }

    /// Parses one JSON text from UTF-8 bytes. With `loneSurrogateMarkers`, a `\u` escape of a surrogate
    /// without its pair reads as its `LoneSurrogate` marker past that base (otherwise as U+FFFD).
    public static func parse(
        bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256, loneSurrogateMarkers: UInt32? = nil
    ) throws(JSONParseError) -> JSONValue {
        var p = JSONByteParser(b: bytes, maxDepth: maxDepth)
        p.loneSurrogateMarkers = loneSurrogateMarkers
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw p.error("unexpected trailing data") }
        return v
    }

    /// Parses bytes held in an array.
    public static func parse(bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buf in outcome { () throws(JSONParseError) in try parse(bytes: buf, maxDepth: maxDepth) } }
            .get()
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

/// A cursor over UTF-8 JSON bytes. `JSONValue.parse` builds trees with it; callers that read a known
/// shape (a report line, a JOB log page) walk it member by member instead, skipping what they do not need.
/// Every method that reads or skips a value rejects exactly the texts `value(depth:)` rejects.
public struct JSONByteParser {
    public let b: UnsafeBufferPointer<UInt8>
    public let maxDepth: Int
    /// The offset of the next byte to read.
    public var i = 0
    /// Given, a `\u` escape of a surrogate without its pair reads as its `LoneSurrogate` marker past this
    /// base instead of U+FFFD.
    public var loneSurrogateMarkers: UInt32?

    public init(b: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256) {
        self.b = b
        self.maxDepth = maxDepth
    }

    public func error(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

    /// The high bit of every byte of `w` that is a quote, a backslash or a control character, and possibly
    /// of bytes after such a byte (borrows run upwards): zero exactly when the word is plain string text.
    @inlinable @inline(__always) public static func specialBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let q = w ^ (ones &* 0x22)
        let s = w ^ (ones &* 0x5C)
        return (((q &- ones) & ~q) | ((s &- ones) & ~s) | ((w &- ones &* 0x20) & ~w)) & 0x8080_8080_8080_8080
    }

    /// Moves `k` past whole words of plain string text in the `n` bytes at `raw`: to the first quote,
    /// backslash or control character (with `nonASCII`, or byte of 0x80 and above) found eight bytes at a
    /// time, or to where fewer than eight bytes are left, from which the caller goes on byte by byte.
    @inlinable @inline(__always) public static func skipPlainWords(
        _ raw: UnsafeRawPointer, _ k: inout Int, _ n: Int, nonASCII: Bool = false
    ) {
        let high: UInt64 = nonASCII ? 0x8080_8080_8080_8080 : 0
        while k &+ 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            // The lowest flagged byte is always a real one (false flags only follow a real one).
            let flagged = specialBytes(w) | (w & high)
            if flagged != 0 {
                k &+= flagged.trailingZeroBitCount &>> 3
                return
            }
            k &+= 8
        }
    }

    /// The byte a one-letter escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`) stands for; 0 for any other letter.
    @inline(__always) static func shortEscape(_ e: UInt8) -> UInt8 {
        switch e {
        case UInt8(ascii: "\""): 0x22
        case UInt8(ascii: "\\"): 0x5C
        case UInt8(ascii: "/"): 0x2F
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: 0
        }
    }

    /// Advances `i` over plain string bytes eight at a time, stopping before the word that holds a quote,
    /// a backslash or a control character (the byte loop then finds which).
    @inline(__always) mutating func skipPlain() {
        guard let base = b.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        while i &+ 8 <= b.count {
            if Self.specialBytes(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) != 0 { return }
            i &+= 8
        }
    }

    @inline(__always) public mutating func skipSpace() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    /// Reads one value starting at `i` (no leading space) into a tree.
    public mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard i < b.count else { throw error("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            return try object(depth: depth)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "N"): try literal("NaN"); return .double(.nan)
        case UInt8(ascii: "I"): try literal("Infinity"); return .double(.infinity)
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard i + count <= b.count else { throw error("unexpected end of input") }
        for k in 0..<count where b[i + k] != word.utf8Start[k] { throw error("invalid literal") }
        i += count
    }

    /// Moves past the value at `i`, checking it as `value(depth:)` does but building nothing.
    public mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard i < b.count else { throw error("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try skipString()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                i += 1
                skipSpace()
                try skipValue(depth: depth + 1)
                skipSpace()
                guard i < b.count else { throw error("expected ',' or '}'") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipSpace()
                try skipValue(depth: depth + 1)
                skipSpace()
                guard i < b.count else { throw error("expected ',' or ']'") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        case UInt8(ascii: "N"): try literal("NaN")
        case UInt8(ascii: "I"): try literal("Infinity")
        default: throw error("unexpected character")
        }
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
            // Python's json names the delimiter it expected here, at the end of the input too.
            guard i < b.count else { throw error("expected ',' or '}'") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(JSONValue.lastValueWins(members)) }
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
            guard i < b.count else { throw error("expected ',' or ']'") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    /// The value of one hex digit of a `\\u` escape, nil for any other byte.
    @inline(__always) public static func hexDigit(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= b.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = Self.hexDigit(b[i]) else { throw error("invalid \\u escape") }
            v = v &* 16 &+ d
            i += 1
        }
        return v
    }

    /// Reads the string whose opening quote is at `i`.
    public mutating func string() throws(JSONParseError) -> String {
        i += 1
        let start = i
        if try plainRun() {
            let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            i += 1
            return s
        }
        // Escapes: find the closing quote first (to size the string), then decode straight into its storage.
        let capacity = escapedStringEnd() - start
        var failure: JSONParseError?
        let text = String(unsafeUninitializedCapacity: max(1, capacity)) { out -> Int in
            let run = i - start
            if run > 0 {
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: b.baseAddress! + start, byteCount: run)
            }
            do throws(JSONParseError) {
                return run + (try unescape(into: out.baseAddress! + run, capacity: out.count - run))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return text
    }

    /// Reads the string whose opening quote is at `i` as UTF-8 bytes into `out`, which holds `capacity` bytes
    /// (the string's escaped length is always enough); returns how many were written. The bytes are not
    /// checked to be UTF-8 (raw input bytes are copied as they are).
    public mutating func string(into out: UnsafeMutablePointer<UInt8>, capacity: Int) throws(JSONParseError) -> Int {
        i += 1
        return try unescape(into: out, capacity: capacity)
    }

    /// Moves past the string whose opening quote is at `i`, checking it as `string()` does.
    public mutating func skipString() throws(JSONParseError) {
        i += 1
        while true {
            if try plainRun() {
                i += 1
                return
            }
            i += 1
            guard i < b.count else { throw error("unterminated string") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                // A surrogate pair is two escapes that are each checked alone, as `string()` checks them.
                _ = try hex4()
            default:
                throw error("invalid escape")
            }
        }
    }

    /// Moves over plain string bytes; true when stopped on the closing quote, false on a backslash (neither
    /// is consumed). Throws on a control character or the end of input.
    /// Where the string being read ends, for sizing its storage: the index of its closing quote (escaped
    /// quotes skipped), or the end of the input when it has none.
    @inline(__always) func escapedStringEnd() -> Int {
        let n = b.count
        var end = i
        while end < n {
            let c = b[end]
            if c == 0x22 { break }
            end += c == 0x5C ? 2 : 1
        }
        return min(end, n)
    }

    @inline(__always) mutating func plainRun() throws(JSONParseError) -> Bool {
        skipPlain()
        while i < b.count {
            let c = b[i]
            if c == 0x22 { return true }
            if c == 0x5C { return false }
            if c < 0x20 { throw error("control character in string") }
            i += 1
        }
        throw error("unterminated string")
    }

    /// Decodes string content from `i` (inside the string) up to and past its closing quote into `out`.
    mutating func unescape(into out: UnsafeMutablePointer<UInt8>, capacity: Int) throws(JSONParseError) -> Int {
        var o = 0
        let n = b.count
        while true {
            #if _endian(little)
                // Plain bytes a word at a time: each word is stored whole (the output has room), then the cursor
                // moves to the word's first special byte if it has one. Escaped JSON (a report inside
                // `log_content`) has a backslash every few bytes, so this beats finding the run's end first.
                while i &+ 8 <= n && o &+ 8 <= capacity {
                    let w = UnsafeRawPointer(b.baseAddress!).loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                    let special = Self.specialBytes(w)
                    if special == 0 {
                        i &+= 8
                        o &+= 8
                        continue
                    }
                    // The lowest flagged byte is always a real one (false flags only follow a real one).
                    let k = special.trailingZeroBitCount &>> 3
                    i &+= k
                    o &+= k
                    // A one-letter escape (`\"` above all, in nested JSON) is decoded here and the words go on;
                    // the end of the string, control characters and \u escapes take the general path below.
                    guard b[i] == 0x5C, i &+ 1 < n else { break }
                    let byte = Self.shortEscape(b[i &+ 1])
                    guard byte != 0 else { break }
                    out[o] = byte
                    o &+= 1
                    i &+= 2
                }
            #endif
            let runStart = i
            let closed = try plainRun()
            let len = i - runStart
            if len > 0 {
                guard o + len <= capacity else { throw error("string longer than sized") }
                UnsafeMutableRawPointer(out + o).copyMemory(from: b.baseAddress! + runStart, byteCount: len)
                o += len
            }
            i += 1
            if closed { return o }
            guard i < n else { throw error("unterminated string") }
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
                var cp = try hex4()
                if (0xD800...0xDBFF).contains(cp) {
                    if i + 6 <= n, b[i] == 0x5C, b[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let lo = try hex4()
                        if (0xDC00...0xDFFF).contains(lo) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            // A lone high surrogate: U+FFFD (or its marker) for it, and the next escape is read on its own
                            // ("\ud800\u0041" is "\u{FFFD}A", as Python keeps the A).
                            cp = loneSurrogate(cp)
                            i -= 6
                        }
                    } else {
                        cp = loneSurrogate(cp)
                    }
                } else if (0xDC00...0xDFFF).contains(cp) {
                    cp = loneSurrogate(cp)
                }
                // Escaped text is at least as long as its UTF-8 (\uXXXX is 6 bytes, the scalar at most 4).
                guard o + 4 <= capacity else { throw error("string longer than sized") }
                o += Self.encode(cp, into: out + o)
                continue
            default:
                throw error("invalid escape")
            }
            guard o < capacity else { throw error("string longer than sized") }
            out[o] = byte
            o += 1
        }
    }

    /// What a `\u` escape of a surrogate without its pair reads as: U+FFFD, or its marker when asked to.
    @inline(__always) func loneSurrogate(_ cp: UInt32) -> UInt32 {
        loneSurrogateMarkers.map { LoneSurrogate.marker(of: cp, base: $0) } ?? 0xFFFD
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

    /// The form of the number at `i`, moving `i` past it as Python's json scanner reads it: an optional
    /// minus, the integer digits (one `0`, or digits not starting with `0`), then a fraction and an
    /// exponent only where they have digits. Nil, having read it, for `-Infinity`. Throws "invalid number"
    /// where no digit follows the minus.
    mutating func numberForm() throws(JSONParseError) -> (negative: Bool, integer: Range<Int>, isFloat: Bool)? {
        var negative = false
        if b[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "I") {
                try literal("Infinity")
                return nil
            }
        }
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 0x30 && b[k] <= 0x39 }
        guard isDigit(i) else { throw error("invalid number") }
        let digitsStart = i
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        let integer = digitsStart..<i
        var isFloat = false
        if i < b.count, b[i] == UInt8(ascii: "."), isDigit(i + 1) {
            isFloat = true
            i += 1
            while isDigit(i) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            var k = i + 1
            if k < b.count, b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") { k += 1 }
            if isDigit(k) {
                isFloat = true
                i = k
                while isDigit(i) { i += 1 }
            }
        }
        return (negative, integer, isFloat)
    }

    /// A number as RFC 8259 (and Python's `json`) spell it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
    /// and `-Infinity`. The number ends where that grammar ends, so `01` and `1.` leave a byte the caller
    /// rejects, as `json.loads` does.
    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        guard let form = try numberForm() else { return .double(-.infinity) }
        if !form.isFloat {
            var value: Int64 = 0
            var overflow = false
            for k in form.integer where !overflow {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(b[k] &- 0x30))
                if o1 || o2 { overflow = true } else { value = a }
            }
            if !overflow { return .int(form.negative ? -value : value) }
            // Beyond 64 bits: Python keeps the integer exact, up to CPython's 4,300-digit limit for
            // converting decimal text (a ValueError from `json.loads` past it).
            let digits = form.integer.count
            guard digits <= JSONValue.maxIntegerDigits else {
                throw JSONParseError(offset: start, reason: JSONValue.integerDigitsReason(digits))
            }
            return .bigInt(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
        }
        if let d = fastDouble(from: start) { return .double(d) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw JSONParseError(offset: start, reason: "invalid number") }
        return .double(d)
    }

    /// Moves past the number at `i` as `number()` reads it — the same bytes taken, the same errors thrown —
    /// without making its value. (A number of valid form always has one: `Double(String)` gives ±inf or
    /// ±0 past its range, so `number()`'s last error can only be thrown for bytes that fail its form.)
    mutating func skipNumber() throws(JSONParseError) {
        let start = i
        // An integer past 4,300 digits is CPython's ValueError (it overflows 64 bits long before).
        if let form = try numberForm(), !form.isFloat, form.integer.count > JSONValue.maxIntegerDigits {
            throw JSONParseError(offset: start, reason: JSONValue.integerDigitsReason(form.integer.count))
        }
    }

    /// Powers of ten that a Double holds exactly.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    /// The value of the decimal number in `b[start..<i]` when it is `-?digits(.digits)?([eE][+-]?digits)?`
    /// with at most 2^53 as its digits and a power of ten within ±22: then one exact multiplication or
    /// division gives the correctly rounded result, the same as `Double(String)` (strtod). Nil otherwise,
    /// for the caller's general path.
    func fastDouble(from start: Int) -> Double? {
        var k = start
        let end = i
        let negative = b[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while k < end, isDigit(b[k]) {
            mantissa = mantissa &* 10 &+ UInt64(b[k] &- 0x30)
            digits += 1
            k += 1
        }
        guard digits > 0 else { return nil }
        if k < end, b[k] == UInt8(ascii: ".") {
            k += 1
            let first = k
            while k < end, isDigit(b[k]) {
                mantissa = mantissa &* 10 &+ UInt64(b[k] &- 0x30)
                digits += 1
                k += 1
            }
            guard k > first else { return nil }
            scale = first - k
        }
        if k < end, b[k] == UInt8(ascii: "e") || b[k] == UInt8(ascii: "E") {
            k += 1
            var expNegative = false
            if k < end, b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
                expNegative = b[k] == UInt8(ascii: "-")
                k += 1
            }
            let first = k
            var exp = 0
            while k < end, isDigit(b[k]) {
                guard exp < 1000 else { return nil }
                exp = exp * 10 + Int(b[k] &- 0x30)
                k += 1
            }
            guard k > first else { return nil }
            scale += expNegative ? -exp : exp
        }
        // 19 digits cannot wrap a UInt64; the 2^53 bound keeps the digits exact in a Double.
        guard k == end, digits <= 19, mantissa <= 1 << 53, scale >= -22, scale <= 22 else { return nil }
        var d = Double(mantissa)
        if scale < 0 { d /= Self.exactPowersOfTen[-scale] } else { d *= Self.exactPowersOfTen[scale] }
        return negative ? -d : d
    }
}

/// A member name as read by `JSONByteParser.memberName()`: its bytes in the input when it has no escapes
/// (no copy), else the decoded text. Matched against literals with `switch`/`~=`.
public enum JSONKey {
    case bytes(UnsafeBufferPointer<UInt8>)
    case text(String)

    /// Whether the name equals `name`. For plain names the bytes are compared: the member names this is
    /// used with are ASCII without `K`, `;` or `` ` `` (the only ASCII targets of canonical singletons), so
    /// byte equality is String equality for them.
    public static func ~= (name: StaticString, key: JSONKey) -> Bool {
        switch key {
        case .bytes(let k):
            // Names are short: a byte loop beats a call to memcmp, and most candidates differ in length.
            let count = name.utf8CodeUnitCount
            guard k.count == count else { return false }
            let p = name.utf8Start
            for j in 0..<count where k[j] != p[j] { return false }
            return true
        case .text(let s):
            return s == name.description
        }
    }
}

extension JSONByteParser {
    /// Moves past `c` after optional whitespace; false when the next byte is something else.
    @inline(__always) public mutating func take(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < b.count, b[i] == c else { return false }
        i += 1
        return true
    }

    /// After a member value: true for `,` (more members), false for the closing bracket, nil otherwise.
    @inline(__always) public mutating func next(close: UInt8) -> Bool? {
        skipSpace()
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: ",") { i += 1; return true }
        if b[i] == close { i += 1; return false }
        return nil
    }

    /// The name of the next member (after optional whitespace), positioned at its value; nil when the
    /// next bytes are not `"name":`.
    @inline(__always) public mutating func memberName() throws(JSONParseError) -> JSONKey? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        let key: JSONKey
        if try plainRun() {
            key = .bytes(UnsafeBufferPointer(rebasing: b[start..<i]))
            i += 1
        } else {
            i = start - 1
            key = .text(try string())
        }
        guard take(UInt8(ascii: ":")) else { return nil }
        skipSpace()
        return key
    }
}
