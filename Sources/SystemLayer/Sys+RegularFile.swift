#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A file refused because of what it is, not because a call failed: a FIFO, a directory or a device
/// where a regular file belongs, or a file larger than anything the daemon writes.
public struct FileRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(path) \(reason)" }
}

extension Sys {
    /// What `st_mode` says a file is, for messages.
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }

    /// Opens a regular file for reading without ever blocking in open(2) on a FIFO or a device
    /// (`O_NONBLOCK`), and without following a final symlink unless `followLinks`; anything that is not a
    /// regular file, or is larger than `limit` bytes, is a `FileRefusal`. Returns the descriptor and the size.
    public static func openRegular(_ path: String, limit: Int, followLinks: Bool) throws -> (fd: Int32, size: Int) {
        let opened = Result { () throws(ProbeError) in try open(path, O_RDONLY | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW)) }
        if case .failure(let e) = opened, e.errno == ELOOP && !followLinks {
            throw FileRefusal(path: path, reason: "is a symbolic link, not a regular file")
        }
        let fd = try opened.get()
        let st: FileStat
        do {
            st = try fstat(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        guard st.isRegular else {
            close(fd)
            throw FileRefusal(path: path, reason: "is \(kindName(mode_t(st.mode))), not a regular file")
        }
        guard Int(st.size) <= limit else {
            close(fd)
            throw FileRefusal(path: path, reason: "is \(st.size) bytes, more than the \(limit) this file may have")
        }
        return (fd, Int(st.size))
    }

    /// The whole of a regular file of at most `limit` bytes (see `openRegular`), read in pieces.
    public static func readRegularFile(_ path: String, limit: Int, followLinks: Bool = true) throws -> [UInt8] {
        let (fd, size) = try openRegular(path, limit: limit, followLinks: followLinks)
        defer { close(fd) }
        // A file that grew since fstat is read up to the limit, no further.
        var out = try pread(fd, count: size, at: 0)
        while out.count < limit {
            let more = try pread(fd, count: min(64 * 1024, limit - out.count), at: out.count)
            if more.isEmpty { break }
            out += more
        }
        return out
    }

    /// Writes all of `bytes` at `offset`.
    public static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String = "") throws(ProbeError) {
        var done = 0
        while done < bytes.count {
            let from = done
            let n = try bytes.withUnsafeBytes { b in
                Result { () throws(ProbeError) in
                    try retrying("pwrite", path: path) { Glibc.pwrite(fd, b.baseAddress! + from, b.count - from, off_t(offset + from)) }
                }
            }.get()
            done += n
        }
    }
}
