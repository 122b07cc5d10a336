#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Bounded file reads: a config or registry can never make the checker read without limit.
public enum FileReader {
    /// The result of a bounded read.
    public struct Contents: Sendable {
        public var bytes: [UInt8]
        /// True when the file had more than the limit; `bytes` then holds the first `limit` bytes
        /// (or the last, for `tail` reads).
        public var truncated: Bool
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Reads at most `limit` bytes from the start of `path`. Works on /proc files whose size is 0.
    public static func read(_ path: String, limit: Int = 1 << 20) throws(ProbeError) -> Contents {
        let fd = try Sys.openRead(path)
        defer { Sys.closeQuietly(fd) }
        var out: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(limit + 1, 512), 64 * 1024), alignment: 8)
        defer { chunk.deallocate() }
        while out.count <= limit {
            let n = try Sys.read(fd, into: chunk, path: path)
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        if out.count > limit {
            out.removeSubrange(limit...)
            return Contents(bytes: out, truncated: true)
        }
        return Contents(bytes: out, truncated: false)
    }

    /// Reads the last `limit` bytes of a regular file (for logs that grow without bound). Anything else (a
    /// FIFO, a device, a directory) is refused with EINVAL: it has no end to read back from.
    public static func tail(_ path: String, limit: Int) throws(ProbeError) -> Contents {
        let fd = try Sys.openRead(path)
        defer { Sys.closeQuietly(fd) }
        let st = try Sys.fstat(fd, path: path)
        guard st.isRegular else { throw ProbeError(call: "read", path: path, errno: st.isDirectory ? EISDIR : EINVAL) }
        let size = st.size
        var truncated = false
        if size > Int64(limit) {
            try Sys.seek(fd, to: size - Int64(limit), path: path)
            truncated = true
        }
        var out: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { chunk.deallocate() }
        while out.count < limit {
            let n = try Sys.read(fd, into: chunk, path: path)
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<min(n, limit - out.count)]))
        }
        return Contents(bytes: out, truncated: truncated)
    }

    /// A small /proc file as text, or nil when it cannot be read (the process may be gone).
    public static func procText(_ path: String, limit: Int = 64 * 1024) -> String? {
        guard let c = try? read(path, limit: limit) else { return nil }
        return c.text
    }
}

extension StringProtocol {
    /// The first range where `needle` occurs, compared as UTF-8 bytes. The standard library's
    /// `firstRange(of:)` and `contains(_:)` for strings come from _StringProcessing, whose generic
    /// searchers cost a measurable share of a one-shot run's start (metadata instantiated on first use).
    public func firstByteRange(of needle: String) -> Range<Index>? {
        let n = Array(needle.utf8)
        guard let first = n.first else { return startIndex..<startIndex }
        let hay = utf8
        var i = hay.startIndex
        while i != hay.endIndex {
            if hay[i] == first {
                var j = i
                var k = 0
                while k < n.count && j != hay.endIndex && hay[j] == n[k] {
                    j = hay.index(after: j)
                    k += 1
                }
                if k == n.count { return i..<j }
            }
            i = hay.index(after: i)
        }
        return nil
    }

    /// Whether `needle` occurs, compared as UTF-8 bytes (see `firstByteRange(of:)`).
    public func containsBytes(_ needle: String) -> Bool { firstByteRange(of: needle) != nil }
}
