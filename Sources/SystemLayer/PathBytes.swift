/// File names and arguments are bytes on Linux, not text: a log directory named in GBK is as real as
/// one named in UTF-8. `PathBytes` carries any byte string in a Swift `String` without loss, so the
/// probes can keep their `String` paths:
///
/// - bytes that are valid UTF-8 stay the characters they spell;
/// - every other byte `b` (always ≥ 0x80) becomes the scalar `U+10FF00 + b` (`U+10FF80`…`U+10FFFF`,
///   private use), and so does each byte of a well-formed sequence that would itself spell a scalar
///   of that range, so the mapping is one-to-one both ways (as Python's `surrogateescape`, which Swift
///   strings cannot hold).
///
/// `bytes(of:)` turns such a string back into the exact bytes for a system call; `display(_:)` shows
/// the raw bytes as `\xd6\xd0` for people and for the report, which stays valid UTF-8.
public enum PathBytes {
    /// The first scalar that stands for a raw byte (`0x80` ↦ `U+10FF80`).
    static let base: UInt32 = 0x10FF00
    static let first: UInt32 = 0x10FF80

    /// The string that carries `bytes` (see the type's comment).
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        // The common case: valid UTF-8 without the reserved range (no 0xF4 lead byte at all).
        if !bytes.contains(0xF4), let s = String(validating: bytes, as: UTF8.self) { return s }
        let b = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            let (scalar, length) = decode(b, at: i)
            if let scalar, scalar.value < first {
                scalars.append(scalar)
                i += length
            } else {
                // Not UTF-8 here, or a real scalar of the reserved range: its bytes one by one.
                for k in i..<(i + max(length, 1)) { scalars.append(Unicode.Scalar(base + UInt32(b[k]))!) }
                i += max(length, 1)
            }
        }
        return String(scalars)
    }

    /// The bytes `text` carries: UTF-8, with each reserved scalar turned back into its byte.
    public static func bytes(of text: String) -> [UInt8] {
        guard carriesRawBytes(text) else { return Array(text.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            if s.value >= first {
                out.append(UInt8(s.value - base))
            } else {
                out.append(contentsOf: UTF8.encode(s)!)
            }
        }
        return out
    }

    /// Whether `text` holds any raw (non-UTF-8) byte.
    public static func carriesRawBytes(_ text: String) -> Bool {
        // Every reserved scalar is encoded with the lead byte 0xF4 0x8F.
        text.utf8.contains(0xF4) && text.unicodeScalars.contains { $0.value >= first }
    }

    /// Whether `scalar` stands for a raw byte.
    public static func isRawByte(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= first }

    /// `text` for people: each raw byte, and a NUL, shown as `\xNN`; everything else as is.
    public static func display(_ text: String) -> String {
        guard carriesRawBytes(text) || hasNUL(text) else { return text }
        let hex = Array("0123456789abcdef".unicodeScalars)
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value >= first || s.value == 0 {
                let b = s.value == 0 ? 0 : s.value - base
                out.append(contentsOf: ["\\", "x", hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    /// Whether `text` holds a NUL byte. A C string would end there, so the kernel would be given a shorter
    /// path than the one meant (a config's `"a.log\0b"` would name `a.log`): the callers in `Sys` refuse such a
    /// path with EINVAL, as Go's syscall package does for the collector.
    public static func hasNUL(_ text: String) -> Bool { text.utf8.contains(0) }

    /// Calls `body` with `text` as the NUL-terminated C string of its bytes.
    public static func withCString<R>(_ text: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        guard carriesRawBytes(text) else { return try text.withCString(body) }
        var b = bytes(of: text)
        b.append(0)
        return try b.withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }

    /// One well-formed UTF-8 scalar at `i` (shortest form, no surrogates, at most U+10FFFF) and its
    /// length; nil and the length of the ill-formed prefix (at least 1) otherwise.
    static func decode(_ b: [UInt8], at i: Int) -> (Unicode.Scalar?, Int) {
        let lead = b[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let (count, low, high): (Int, UInt8, UInt8) =
            switch lead {
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
            case 0xED: (3, 0x80, 0x9F)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)
            default: (0, 0, 0)
            }
        guard count > 0 else { return (nil, 1) }
        var value = UInt32(lead) & (count == 2 ? 0x1F : count == 3 ? 0x0F : 0x07)
        for k in 1..<count {
            guard i + k < b.count else { return (nil, 1) }
            let c = b[i + k]
            let (lo, hi): (UInt8, UInt8) = k == 1 ? (low, high) : (0x80, 0xBF)
            guard c >= lo && c <= hi else { return (nil, 1) }
            value = value << 6 | UInt32(c & 0x3F)
        }
        return (Unicode.Scalar(value), count)
    }
}
