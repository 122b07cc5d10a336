#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: which call, on what, and errno captured at once.
public struct SyscallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var path: String
    public var errno: Int32

    public init(_ call: String, path: String = "", errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return path.isEmpty ? "\(call): \(reason)" : "\(call) \(path): \(reason)"
    }
}

/// Every raw system call of the daemon, in one place: retried on EINTR, errno captured at once.
public enum Sys {
    /// Runs `body` until it does not fail with EINTR; returns its result or throws with errno.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ call: String, path: String = "", _ body: () -> T) throws(SyscallError) -> T {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw SyscallError(call, path: path, errno: e)
        }
    }

    // MARK: Files

    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        try retrying("open", path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static func close(_ fd: Int32) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
        _ = Glibc.close(fd)
    }

    /// Writes all of `bytes`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String = "") throws {
        var done = 0
        while done < bytes.count {
            let n = try retrying("write", path: path) { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
            done += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String = "") throws {
        try bytes.withUnsafeBytes { (b: UnsafeRawBufferPointer) throws in try writeAll(fd, b, path: path) }
    }

    /// Reads the whole file, at most `limit` bytes.
    public static func readFile(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count < limit {
            let n = try chunk.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws in
                try retrying("read", path: path) { Glibc.read(fd, b.baseAddress!, min(b.count, limit - out.count)) }
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Up to `count` bytes at `offset` (fewer at end of file).
    public static func pread(_ fd: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try out.withUnsafeMutableBytes { b in
                try retrying("pread") { Glibc.pread(fd, b.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }

    public static func fsync(_ fd: Int32, path: String = "") throws {
        _ = try retrying("fsync", path: path) { Glibc.fsync(fd) }
    }

    /// fsyncs a directory so a create, rename or unlink inside it is durable.
    public static func fsyncDirectory(_ path: String) {
        guard let fd = try? open(path, O_RDONLY | O_DIRECTORY) else { return }
        _ = try? fsync(fd, path: path)
        close(fd)
    }

    public static func ftruncate(_ fd: Int32, _ length: Int, path: String = "") throws {
        _ = try retrying("ftruncate", path: path) { Glibc.ftruncate(fd, off_t(length)) }
    }

    public static func lseekEnd(_ fd: Int32, path: String = "") throws -> Int {
        Int(try retrying("lseek", path: path) { Glibc.lseek(fd, 0, SEEK_END) })
    }

    public static func rename(_ from: String, _ to: String) throws {
        _ = try retrying("rename", path: from) { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws {
        _ = try retrying("unlink", path: path) { Glibc.unlink(path) }
    }

    /// Creates `path` and its parents with `mode`; an existing directory is fine.
    public static func mkdirs(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty || path == "/" { return }
        if isDirectory(path) { return }
        let parent = dirname(path)
        if parent != path { try mkdirs(parent, mode: mode) }
        if Glibc.mkdir(path, mode) != 0 {
            let e = Glibc.errno
            if e != EEXIST { throw SyscallError("mkdir", path: path, errno: e) }
        }
    }

    public static func dirname(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let i = p.lastIndex(of: "/") else { return "." }
        return i == p.startIndex ? "/" : String(p[..<i])
    }

    public static func stat(_ path: String) -> Glibc.stat? { statFile(path, follow: true) }

    public static func lstat(_ path: String) -> Glibc.stat? { statFile(path, follow: false) }

    public static func isDirectory(_ path: String) -> Bool {
        guard let st = stat(path) else { return false }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// Names in a directory, without `.` and `..`.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SyscallError("opendir", path: path, errno: Glibc.errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: Unix sockets

    /// Fills a `sockaddr_un` for `path`; throws ENAMETOOLONG when it does not fit.
    static func unixAddress(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { throw SyscallError("bind", path: path, errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A listening SOCK_STREAM unix socket at `path` with `mode`, owned by `gid` when given.
    /// A stale socket file (nobody accepting) is replaced; a live one is an error (EADDRINUSE).
    public static func listenUnix(path: String, mode: mode_t, gid: gid_t?, backlog: Int32 = 128) throws -> Int32 {
        var addr = try unixAddress(path)
        if let st = lstat(path) {
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw SyscallError("bind", path: path, errno: EEXIST) }
            if let probe = try? connectUnix(path: path, timeoutMs: 200) {
                close(probe)
                throw SyscallError("bind", path: path, errno: EADDRINUSE)
            }
            try unlink(path)
        }
        let fd = try retrying("socket", path: path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            // umask decides the mode bind(2) gives the socket file: no window with wider permissions.
            let old = umask(~mode & 0o777)
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            let e = Glibc.errno
            umask(old)
            if r != 0 { throw SyscallError("bind", path: path, errno: e) }
            _ = try retrying("chmod", path: path) { Glibc.chmod(path, mode) }
            if let gid { _ = try retrying("chown", path: path) { Glibc.chown(path, uid_t.max, gid) } }
            _ = try retrying("listen", path: path) { Glibc.listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// A connected SOCK_STREAM unix socket to `path`, with send/receive timeouts of `timeoutMs`.
    public static func connectUnix(path: String, timeoutMs: Int) throws -> Int32 {
        var addr = try unixAddress(path)
        let fd = try retrying("socket", path: path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 {
            let e = Glibc.errno
            close(fd)
            throw SyscallError("connect", path: path, errno: e)
        }
        return fd
    }

    /// Reads until end of file or `limit` bytes; a receive timeout throws ETIMEDOUT.
    public static func readToEnd(_ fd: Int32, limit: Int, path: String = "") throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                let e = Glibc.errno
                if e == EINTR { continue }
                // A server that answers early and closes with our unread request bytes resets the
                // connection after its answer: keep what arrived.
                if e == ECONNRESET && !out.isEmpty { break }
                if e == EAGAIN || e == EWOULDBLOCK { throw SyscallError("read", path: path, errno: ETIMEDOUT) }
                throw SyscallError("read", path: path, errno: e)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// The gid of a group name, or nil when there is no such group.
    public static func groupID(named name: String) -> gid_t? {
        if let n = gid_t(name) { return n }
        var grp = group()
        var result: UnsafeMutablePointer<group>? = nil
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let r = getgrnam_r(name, &grp, &buffer, buffer.count, &result)
        guard r == 0, result != nil else { return nil }
        return grp.gr_gid
    }

    /// Supplementary groups of a live process, from `/proc/<pid>/status`.
    public static func supplementaryGroups(pid: pid_t) -> [gid_t] {
        guard let bytes = try? readFile("/proc/\(pid)/status", limit: 64 * 1024) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { gid_t($0) }
        }
        return []
    }

    /// Drops to `uid`/`gid` with no supplementary groups (for tests that need a foreign peer).
    public static func dropPrivileges(uid: uid_t, gid: gid_t) throws {
        _ = try retrying("setgroups") { setgroups(0, nil) }
        _ = try retrying("setgid") { setgid(gid) }
        _ = try retrying("setuid") { setuid(uid) }
    }

    /// CLOCK_MONOTONIC in microseconds (the clock systemd's MONOTONIC_USEC uses).
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}

/// stat(2)/lstat(2) at file scope, where the C function is not shadowed by `Sys.stat`.
private func statFile(_ path: String, follow: Bool) -> stat? {
    var st = stat()
    let r = follow ? stat(path, &st) : lstat(path, &st)
    return r == 0 ? st : nil
}
