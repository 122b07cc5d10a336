import CZlib

/// zlib compression and CRC-32 for the history store.
public enum Zlib {
    /// A zlib stream (RFC 1950) of `input` at `level` (0-9).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var bound = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &bound, i.baseAddress, uLong(i.count), level)
            }
        }
        // compress2 only fails for a bad level or too small a buffer, neither possible here.
        precondition(rc == Z_OK, "compress2 failed: \(rc)")
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// Inflates a zlib stream whose inflated size is known; nil when the stream is damaged or the size differs.
    public static func decompress(_ input: ArraySlice<UInt8>, expectedSize: Int) -> [UInt8]? {
        guard expectedSize >= 0, expectedSize <= 256 << 20 else { return nil }
        var out = [UInt8](repeating: 0, count: max(expectedSize, 1))
        var length = uLongf(expectedSize)
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count))
            }
        }
        guard rc == Z_OK, Int(length) == expectedSize else { return nil }
        if expectedSize == 0 { return [] }
        return out
    }

    /// CRC-32 (zlib's, IEEE 802.3) of `bytes`, continuing from `crc`.
    public static func crc32(_ bytes: ArraySlice<UInt8>, crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in
            UInt32(CZlib.crc32(uLong(crc), b.baseAddress, uInt(b.count)))
        }
    }
}
