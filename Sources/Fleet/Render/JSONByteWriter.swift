import Report

/// Serialises `JSONValue` into UTF-8 bytes with the same text as `JSONValue.serialized()`, but copying
/// plain runs of strings at once: the fleet's JSON for 100,000 hosts is hundreds of MiB.
struct JSONByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .int(let i): raw(String(i))
        case .bigInt(let t): raw(t)
        case .double: raw(v.serialized())
        case .string(let s): string(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (i, x) in a.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(x)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            for (i, (k, x)) in o.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(k)
                bytes.append(UInt8(ascii: ":"))
                write(x)
            }
            bytes.append(UInt8(ascii: "}"))
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

    mutating func string(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { u in
            // Most strings need no escape at all: checked eight bytes at a time, then copied at once.
            var clean = 0
            if let base = u.baseAddress {
                let raw = UnsafeRawPointer(base)
                while clean &+ 8 <= u.count && !Self.mayNeedEscape(raw.loadUnaligned(fromByteOffset: clean, as: UInt64.self)) {
                    clean &+= 8
                }
                while clean < u.count {
                    let c = u[clean]
                    if c < 0x20 || c == 0x22 || c == 0x5C || c == 0x7F || c == 0xE2 { break }
                    clean &+= 1
                }
            }
            if clean == u.count {
                bytes.append(contentsOf: u)
                return
            }
            var run = 0
            var i = 0
            let n = u.count
            func flush(_ upTo: Int) {
                if upTo > run { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<upTo])) }
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
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x32, 0x30, 0x32, u[i + 2] == 0xA8 ? 0x38 : 0x39])
                    i += 3
                    run = i
                    continue
                default:
                    if c < 0x20 || c == 0x7F { width = 6 }
                }
                if esc != 0 {
                    flush(i)
                    bytes.append(0x5C)
                    bytes.append(esc)
                    i += 1
                    run = i
                } else if width == 6 {
                    flush(i)
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(c >> 4)], Self.hex[Int(c & 0xF)]])
                    i += 1
                    run = i
                } else {
                    i += 1
                }
            }
            flush(n)
        }
        bytes.append(0x22)
    }
}
