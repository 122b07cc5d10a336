/// A UTF-16 surrogate without its pair, as Python's `json.loads` keeps it.
///
/// `json.loads('"\ud800"')` is a one-character `str` holding the surrogate U+D800, and `repr()` of a value
/// holding it prints the escape back (`{'x': '\ud800'}`). A Swift `String` cannot hold a surrogate, so the
/// parser reads one as U+FFFD; given markers (`JSONByteParser.loneSurrogateMarkers`), it reads it as a
/// marker instead: a private-use scalar of planes 15 and 16, the surrogate's offset from U+D800 past a base
/// that `markerBase(for:)` picks among 64 blocks of 2,048 scalars so that no scalar of the text itself
/// falls in its block. A renderer of Python's text, given the same base, turns markers back into escapes.
public enum LoneSurrogate {
    /// The first scalar of the blocks markers are taken from (U+F0000...U+10FFFF, 64 blocks).
    static let firstBlock: UInt32 = 0xF0000
    static let blockSize: UInt32 = 0x800

    /// The marker of surrogate `s` (U+D800...U+DFFF) past `base`.
    @inline(__always) static func marker(of s: UInt32, base: UInt32) -> UInt32 { base + (s - 0xD800) }

    /// The surrogate `scalar` stands for when markers start at `base`; nil for any other scalar.
    public static func surrogate(of scalar: Unicode.Scalar, base: UInt32) -> UInt32? {
        scalar.value >= base && scalar.value < base + blockSize ? 0xD800 + (scalar.value - base) : nil
    }

    /// Where the markers of JSON text `b` can start: nil when it holds no `\u` escape of a surrogate
    /// (`\ud800`...`\udfff`, paired or not: nothing to mark), else the first block none of whose scalars
    /// the text holds, raw (UTF-8) or as an escaped pair (judged by its high half), so that a marker read
    /// from it always stands for a surrogate. (A backslash that is itself escaped may make a text look as if
    /// it held a surrogate escape: reading it with markers then finds none.) Nil too in the unlikely case
    /// that the text touches all 64 blocks.
    public static func markerBase(for b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var used: UInt64 = 0
        var surrogate = false
        var k = 0
        let n = b.count
        while k < n {
            let c = b[k]
            if (c == 0xF3 || c == 0xF4), k + 3 < n {
                let scalar =
                    (UInt32(c & 0x07) << 18) | (UInt32(b[k + 1] & 0x3F) << 12) | (UInt32(b[k + 2] & 0x3F) << 6) | UInt32(b[k + 3] & 0x3F)
                if scalar >= firstBlock && scalar <= 0x10FFFF { used |= 1 << UInt64((scalar - firstBlock) / blockSize) }
                k += 4
                continue
            }
            if c == UInt8(ascii: "\\"), k + 5 < n, b[k + 1] == UInt8(ascii: "u"), let unit = hex4(b, at: k + 2) {
                if (0xD800...0xDFFF).contains(unit) {
                    surrogate = true
                    // The high half of a pair for U+F0000...U+10FFFF: each covers 1,024 scalars, half a block.
                    if unit >= 0xDB80 && unit <= 0xDBFF { used |= 1 << UInt64((unit - 0xDB80) / 2) }
                }
                k += 6
                continue
            }
            // An escaped backslash is passed whole, so the `u` after it is not read as an escape.
            k += c == UInt8(ascii: "\\") ? 2 : 1
        }
        guard surrogate, used != .max else { return nil }
        return firstBlock + UInt32((~used).trailingZeroBitCount) * blockSize
    }

    /// The four hex digits at `k`, as a code unit.
    static func hex4(_ b: UnsafeBufferPointer<UInt8>, at k: Int) -> UInt32? {
        var v: UInt32 = 0
        for j in k..<(k + 4) {
            let c = b[j] | 0x20
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}
