import Report

/// Serialises `JSONValue` into UTF-8 bytes with the same text as `JSONValue.serialized()`, but copying
/// plain runs of strings at once: the fleet's JSON for 100,000 hosts is hundreds of MiB.
///
/// The bytes live in an `OwnedBytes`, written through a pointer, not in an `Array`.
struct JSONByteWriter: ~Copyable {
    private var out: OwnedBytes

    init(capacity: Int = 1 << 16) { out = OwnedBytes(capacity: capacity) }

    /// Bytes written so far.
    var count: Int { out.count }

    /// The bytes written, copied out.
    var bytes: [UInt8] { out.copied }

    /// Forgets what was written, keeping the buffer.
    mutating func removeAll() { out.truncate(to: 0) }

    /// The bytes written, in place.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { out.withBytes(0..<out.count, body) }

    @inline(__always) mutating func append(_ c: UInt8) { out.append(c) }

    @inline(__always) mutating func append(_ u: UnsafeBufferPointer<UInt8>) { out.append(u) }

    /// A report's results as held while its page was read (`AgentEntryLines` in its JSON mode).
    mutating func append(_ r: RenderedReportLines) {
        let n = r.writtenCount
        out.write(upTo: n) { p in
            r.write(at: p)
            return n
        }
    }

    mutating func append(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { append($0) }
    }

    @inline(__always) mutating func raw(_ s: StaticString) { out.append(s) }

    /// Text written as it is (a number's digits, already serialised JSON). Named apart from
    /// `raw(StaticString)`: a literal would otherwise be taken as a `String`, its preferred type.
    mutating func rawText(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            var copy = s
            copy.withUTF8 { append($0) }
        }
    }

    /// An integer in decimal (as `String(v)` writes it), without making a `String`.
    mutating func int(_ v: Int64) {
        out.write(upTo: 20) { p in
            var at = 0
            if v < 0 {
                p[0] = UInt8(ascii: "-")
                at = 1
            }
            var m = v.magnitude
            var length = 1
            var t = m
            while t >= 10 {
                t /= 10
                length &+= 1
            }
            var k = at &+ length
            repeat {
                k &-= 1
                p[k] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            } while m > 0
            return at &+ length
        }
    }

    mutating func write(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .int(let i): int(i)
        case .bigInt(let t): rawText(t)
        case .double: rawText(v.serialized())
        case .string(let s): string(s)
        case .array(let a):
            append(UInt8(ascii: "["))
            for (i, x) in a.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                write(x)
            }
            append(UInt8(ascii: "]"))
        case .object(let o):
            append(UInt8(ascii: "{"))
            for (i, (k, x)) in o.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                string(k)
                append(UInt8(ascii: ":"))
                write(x)
            }
            append(UInt8(ascii: "}"))
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether any byte of `w` may need escaping: a quote, a backslash, a control character, DEL, or 0xE2
    /// (the lead byte of U+2028/U+2029). False flags are possible only after a real one.
    @inline(__always) static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        @inline(__always) func hasByte(_ t: UInt64) -> UInt64 {
            let x = w ^ (ones &* t)
            return (x &- ones) & ~x
        }
        let low = (w &- ones &* 0x20) & ~w
        return (hasByte(0x22) | hasByte(0x5C) | hasByte(0x7F) | hasByte(0xE2) | low) & 0x8080_8080_8080_8080 != 0
    }

    /// `s` as a JSON string. Native strings are read in place (a copy to call `withUTF8` on would retain
    /// and release each one).
    mutating func string(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ string(utf8: $0) }) == nil {
            var copy = s
            copy.withUTF8 { string(utf8: $0) }
        }
    }

    /// UTF-8 text as a JSON string.
    @inline(__always) mutating func string(utf8 u: UnsafeBufferPointer<UInt8>) {
        append(0x22)
        escaped(utf8: u)
        append(0x22)
    }

    /// The inside of `s` as a JSON string, without the quotes.
    mutating func escaped(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ escaped(utf8: $0) }) == nil {
            var copy = s
            copy.withUTF8 { escaped(utf8: $0) }
        }
    }

    /// The inside of UTF-8 text as a JSON string, without the quotes.
    mutating func escaped(utf8 u: UnsafeBufferPointer<UInt8>) { Self.escape(u, into: &out) }

    /// `escaped(utf8:)`, written to `out`.
    static func escape(_ u: UnsafeBufferPointer<UInt8>, into out: inout OwnedBytes) {
        @inline(__always) func append(_ u: UnsafeBufferPointer<UInt8>) { out.append(u) }
        @inline(__always) func append(_ c: UInt8) { out.append(c) }
        func append(_ a: [UInt8]) { a.withUnsafeBufferPointer { out.append($0) } }
        // Most strings need no escape at all: checked eight bytes at a time (the last eight overlapping the
        // word before them, so no byte is checked alone), then copied at once.
        var clean = 0
        if let base = u.baseAddress {
            let raw = UnsafeRawPointer(base)
            while clean &+ 8 <= u.count && !Self.mayNeedEscape(raw.loadUnaligned(fromByteOffset: clean, as: UInt64.self)) {
                clean &+= 8
            }
            // Fewer than eight bytes left (no word flagged): the last eight hold them.
            if clean &+ 8 > u.count && clean < u.count && u.count >= 8
                && !Self.mayNeedEscape(raw.loadUnaligned(fromByteOffset: u.count &- 8, as: UInt64.self))
            {
                clean = u.count
            }
            while clean < u.count {
                let c = u[clean]
                if c < 0x20 || c == 0x22 || c == 0x5C || c == 0x7F || c == 0xE2 { break }
                clean &+= 1
            }
        }
        if clean == u.count {
            append(u)
            return
        }
        var run = 0
        var i = 0
        let n = u.count
        func flush(_ upTo: Int) {
            if upTo > run { append(UnsafeBufferPointer(rebasing: u[run..<upTo])) }
        }
        while i < n {
            let c = u[i]
            var esc: UInt8 = 0
            var width = 1
            switch c {
            case 0x22: esc = 0x22
            case 0x5C: esc = 0x5C
            case 0x0A: esc = UInt8(ascii: "n")
            case 0x0D: esc = UInt8(ascii: "r")
            case 0x09: esc = UInt8(ascii: "t")
            case 0xE2 where i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9):
                // U+2028 / U+2029 are written escaped, as `serialized()` does.
                flush(i)
                append([0x5C, UInt8(ascii: "u"), 0x32, 0x30, 0x32, u[i + 2] == 0xA8 ? 0x38 : 0x39])
                i += 3
                run = i
                continue
            default:
                if c < 0x20 || c == 0x7F { width = 6 }
            }
            if esc != 0 {
                flush(i)
                append(0x5C)
                append(esc)
                i += 1
                run = i
            } else if width == 6 {
                flush(i)
                append([0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(c >> 4)], Self.hex[Int(c & 0xF)]])
                i += 1
                run = i
            } else {
                i += 1
            }
        }
        flush(n)
    }
}
