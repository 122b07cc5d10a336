#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Files: whole-file reads and writes, durability, directories.
extension Sys {
    // MARK: Files

    /// Writes all of `bytes`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String = "") throws(ProbeError) {
        var done = 0
        while done < bytes.count {
            let n = try retrying("write", path: path) { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
            done += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String = "") throws(ProbeError) {
        try bytes.withUnsafeBytes { b in Result { () throws(ProbeError) in try writeAll(fd, b, path: path) } }.get()
    }

    /// Writes all of `bytes` for stdout and stderr: short writes, EINTR and EAGAIN (a non-blocking
    /// descriptor) are retried; any other error (a closed pipe, a full disk) ends the write. Returns that
    /// error's errno, 0 when everything was written.
    @discardableResult
    public static func writeStandardStream(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return errno
            }
            off += n
        }
        return 0
    }

    /// Reads the whole file, at most `limit` bytes.
    public static func readFile(_ path: String, limit: Int = 64 << 20) throws(ProbeError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count < limit {
            let wanted = min(chunk.count, limit - out.count)
            let n = try chunk.withUnsafeMutableBytes { b in
                Result { () throws(ProbeError) in try retrying("read", path: path) { Glibc.read(fd, b.baseAddress!, wanted) } }
            }.get()
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Up to `count` bytes at `offset` (fewer at end of file).
    public static func pread(_ fd: Int32, count: Int, at offset: Int) throws(ProbeError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let from = done
            let n = try out.withUnsafeMutableBytes { b in
                Result { () throws(ProbeError) in
                    try retrying("pread") { Glibc.pread(fd, b.baseAddress! + from, count - from, off_t(offset + from)) }
                }
            }.get()
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }

    public static func fsync(_ fd: Int32, path: String = "") throws(ProbeError) {
        _ = try retrying("fsync", path: path) { Glibc.fsync(fd) }
    }

    /// fsyncs a directory so a create, rename or unlink inside it is durable.
    public static func fsyncDirectory(_ path: String) {
        guard let fd = try? open(path, O_RDONLY | O_DIRECTORY) else { return }
        _ = try? fsync(fd, path: path)
        close(fd)
    }

    /// Takes an exclusive `flock(2)` on `fd` without waiting; EWOULDBLOCK when another holds it.
    public static func lockExclusive(_ fd: Int32, path: String) throws(ProbeError) {
        _ = try retrying("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
    }

    public static func ftruncate(_ fd: Int32, _ length: Int, path: String = "") throws(ProbeError) {
        _ = try retrying("ftruncate", path: path) { Glibc.ftruncate(fd, off_t(length)) }
    }

    public static func lseekEnd(_ fd: Int32, path: String = "") throws(ProbeError) -> Int {
        Int(try retrying("lseek", path: path) { Glibc.lseek(fd, 0, SEEK_END) })
    }

    public static func rename(_ from: String, _ to: String) throws(ProbeError) {
        _ = try retrying("rename", path: from) { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws(ProbeError) {
        _ = try retrying("unlink", path: path) { Glibc.unlink(path) }
    }

    /// Creates `path` and its parents with `mode`; an existing directory is fine.
    public static func mkdirs(_ path: String, mode: mode_t = 0o755) throws(ProbeError) {
        if path.isEmpty || path == "/" { return }
        if isDirectory(path) { return }
        let parent = dirname(path)
        if parent != path { try mkdirs(parent, mode: mode) }
        if Glibc.mkdir(path, mode) != 0 {
            let e = Glibc.errno
            if e != EEXIST { throw ProbeError("mkdir", path: path, errno: e) }
        }
    }

    public static func dirname(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let i = p.lastIndex(of: "/") else { return "." }
        return i == p.startIndex ? "/" : String(p[..<i])
    }

    /// stat(2), or nil when it fails (the file is not there, or cannot be looked at).
    public static func statIfPresent(_ path: String) -> FileStat? { try? stat(path, follow: true) }

    /// lstat(2), or nil when it fails.
    public static func lstatIfPresent(_ path: String) -> FileStat? { try? stat(path, follow: false) }

    public static func isDirectory(_ path: String) -> Bool {
        statIfPresent(path)?.isDirectory ?? false
    }

}
