import CStatx

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Every raw system call of bkdiag, in one place: each call retries on EINTR, opens with O_CLOEXEC,
/// and captures errno at once into a `ProbeError` naming the call and the path.
public enum Sys {
    /// Runs `body` until it does not fail with EINTR; returns its result or throws with errno.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ call: String, path: String = "", _ body: () -> T) throws(ProbeError) -> T {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw ProbeError(call, path: path, errno: e)
        }
    }

    /// Opens `path` read-only with O_CLOEXEC (and O_NOFOLLOW/O_NONBLOCK when asked).
    public static func openRead(_ path: String, noFollow: Bool = false, nonBlocking: Bool = true) throws(ProbeError) -> Int32 {
        var flags = O_RDONLY | O_CLOEXEC | O_NOCTTY
        if noFollow { flags |= O_NOFOLLOW }
        if nonBlocking { flags |= O_NONBLOCK }
        return try openRetrying(path, flags)
    }

    /// Opens a directory for the *at() calls.
    public static func openDirectory(_ path: String) throws(ProbeError) -> Int32 {
        try openRetrying(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    /// Opens `path` with `flags` (O_CLOEXEC is always added) and `mode` for a file it creates.
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(ProbeError) -> Int32 {
        try openRetrying(path, flags, mode)
    }

    /// Opens `relative` under the directory descriptor `directory` (openat(2)) read-only; -1 when it fails.
    /// For walks of /proc that must not allocate per entry.
    public static func openAt(_ directory: Int32, _ relative: UnsafePointer<CChar>) -> Int32 {
        while true {
            let fd = openat(directory, relative, O_RDONLY | O_CLOEXEC)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    private static func openRetrying(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(ProbeError) -> Int32 {
        if PathBytes.hasNUL(path) { throw ProbeError(call: "open", path: path, errno: EINVAL) }
        while true {
            let fd = PathBytes.withCString(path) { Glibc.open($0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            let e = errno
            if e == EINTR { continue }
            throw ProbeError(call: "open", path: path, errno: e)
        }
    }

    /// close(2). Never retried on EINTR: on Linux the descriptor is gone either way.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The same as `close(_:)`: the name the probes used.
    public static func closeQuietly(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Reads into `buffer`, retrying on EINTR; returns bytes read (0 at end of file).
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(ProbeError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            throw ProbeError(call: "read", path: path, errno: e)
        }
    }

    /// Reads once into `buffer`, retrying on EINTR only; -1 with errno set on any other failure.
    /// For loops that decide themselves what EAGAIN or a reset means.
    public static func readOnce(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 || errno != EINTR { return n }
        }
    }

    /// fstat(2) of an open descriptor.
    public static func fstat(_ fd: Int32, path: String) throws(ProbeError) -> FileStat {
        var st = Glibc.stat()
        guard Glibc.fstat(fd, &st) == 0 else { throw ProbeError(call: "fstat", path: path, errno: errno) }
        return FileStat(st)
    }

    /// Moves the offset of `fd` to `offset` from the start (lseek(2) with SEEK_SET).
    public static func seek(_ fd: Int32, to offset: Int64, path: String) throws(ProbeError) {
        guard Glibc.lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw ProbeError(call: "lseek", path: path, errno: errno) }
    }

    /// The target of a symbolic link (or a /proc magic link), up to PATH_MAX bytes.
    public static func readlink(_ path: String) throws(ProbeError) -> String {
        if PathBytes.hasNUL(path) { throw ProbeError(call: "readlink", path: path, errno: EINVAL) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buf.withUnsafeMutableBufferPointer { b in PathBytes.withCString(path) { Glibc.readlink($0, b.baseAddress!, Int(PATH_MAX)) }
        }
        if n < 0 { throw ProbeError(call: "readlink", path: path, errno: errno) }
        return PathBytes.string(buf[0..<n].lazy.map { UInt8(bitPattern: $0) })
    }

    /// readlinkat(2) into `buffer` without allocating, for walks of /proc: the length of the target
    /// (not NUL-terminated), or -1 and the errno captured at once.
    public static func readlinkAt(
        _ directory: Int32, _ relative: UnsafePointer<CChar>, into buffer: UnsafeMutablePointer<CChar>, capacity: Int
    ) -> (length: Int, errno: Int32) {
        let n = Glibc.readlinkat(directory, relative, buffer, capacity)
        return n >= 0 ? (n, 0) : (-1, errno)
    }

    /// The canonical absolute path (symlinks, `.` and `..` resolved), or nil when it cannot be resolved.
    public static func realPath(_ path: String) -> String? {
        guard !PathBytes.hasNUL(path), let resolved = PathBytes.withCString(path, { Glibc.realpath($0, nil) }) else { return nil }
        defer { free(resolved) }
        return PathBytes.string(
            UnsafeBufferPointer(start: UnsafeRawPointer(resolved).assumingMemoryBound(to: UInt8.self), count: strlen(resolved)))
    }

    /// stat(2) or lstat(2).
    public static func stat(_ path: String, follow: Bool = true) throws(ProbeError) -> FileStat {
        if PathBytes.hasNUL(path) { throw ProbeError(call: follow ? "stat" : "lstat", path: path, errno: EINVAL) }
        var st = Glibc.stat()
        let rc = PathBytes.withCString(path) { follow ? statFollowing($0, &st) : lstat($0, &st) }
        if rc != 0 { throw ProbeError(call: follow ? "stat" : "lstat", path: path, errno: errno) }
        return FileStat(st)
    }

    /// When the file at `path` was created (statx's birth time, following symlinks), in Unix seconds; nil
    /// where the kernel (before 4.11) or the file system (NFS, older tmpfs) does not say.
    public static func birthTime(_ path: String) -> Int64? {
        if PathBytes.hasNUL(path) { return nil }
        var seconds: Int64 = 0
        let rc = PathBytes.withCString(path) { bkdiag_birth_time($0, &seconds) }
        return rc == 0 ? seconds : nil
    }

    /// Whether `path` carries a POSIX access ACL (its mode's group bits are then the ACL's mask, and named
    /// users and groups have entries of their own); nil when that cannot be told.
    public static func hasAccessACL(_ path: String) -> Bool? {
        if PathBytes.hasNUL(path) { return nil }
        return switch PathBytes.withCString(path, { bkdiag_has_access_acl($0) }) {
        case 1: true
        case 0: false
        default: nil
        }
    }

    /// Names in a directory (without "." and ".."), in the order the kernel gives them; names that
    /// are not UTF-8 keep their bytes (`PathBytes`).
    public static func listDirectory(_ path: String, limit: Int = 1_000_000) throws(ProbeError) -> [String] {
        if PathBytes.hasNUL(path) { throw ProbeError(call: "opendir", path: path, errno: EINVAL) }
        guard let dir = PathBytes.withCString(path, { opendir($0) }) else { throw ProbeError(call: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while names.count < limit {
            errno = 0
            guard let ent = readdir(dir) else {
                let e = errno
                if e != 0 { throw ProbeError(call: "readdir", path: path, errno: e) }
                break
            }
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                let b = raw.bindMemory(to: UInt8.self)
                return PathBytes.string(b[0..<(b.firstIndex(of: 0) ?? b.count)])
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    /// Visits the numeric names of a directory (for /proc and /proc/<pid>/fd) without building strings for others.
    public static func forEachNumericEntry(_ path: String, _ body: (Int32) -> Void) throws(ProbeError) {
        guard let dir = opendir(path) else { throw ProbeError(call: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                let e = errno
                if e != 0 { throw ProbeError(call: "readdir", path: path, errno: e) }
                return
            }
            let value: Int32? = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                var v: Int32 = 0
                var any = false
                for b in raw {
                    if b == 0 { break }
                    guard b >= 0x30 && b <= 0x39 else { return nil }
                    if v > 100_000_000 { return nil }
                    v = v * 10 + Int32(b - 0x30)
                    any = true
                }
                return any ? v : nil
            }
            if let v = value { body(v) }
        }
    }

    /// Machine name from uname(2), e.g. `x86_64`.
    public static func machine() -> String {
        var u = utsname()
        uname(&u)
        return cString(u.machine)
    }

    /// Kernel release from uname(2).
    public static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        return cString(u.release)
    }

    /// The text of a fixed-size C char array (a tuple in Swift), up to its NUL.
    public static func cString<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let b = raw.bindMemory(to: UInt8.self)
            return String(decoding: b[0..<(b.firstIndex(of: 0) ?? b.count)], as: UTF8.self)
        }
    }

    public static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buf, 255)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Clock ticks per second (for /proc/<pid>/stat times).
    public static let clockTicks: Int64 = Int64(sysconf(Int32(_SC_CLK_TCK)))
    /// Page size in bytes.
    public static let pageSize: Int64 = Int64(sysconf(Int32(_SC_PAGESIZE)))
}

private func statFollowing(_ path: UnsafePointer<CChar>, _ st: inout Glibc.stat) -> Int32 {
    stat(path, &st)
}

/// The parts of `struct stat` the probes use.
public struct FileStat: Sendable, Equatable {
    public var mode: UInt32
    public var size: Int64
    public var mtime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var uid: UInt32
    public var gid: UInt32
    /// The inode's last change (a rename, a chmod, a write), in Unix seconds.
    public var ctime: Int64 = 0

    public init(_ st: Glibc.stat) {
        mode = st.st_mode
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec)
        ctime = Int64(st.st_ctim.tv_sec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        uid = st.st_uid
        gid = st.st_gid
    }

    public init(mode: UInt32, size: Int64 = 0, mtime: Int64 = 0, inode: UInt64 = 0, device: UInt64 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.inode = inode
        self.device = device
        self.uid = uid
        self.gid = gid
    }

    public var isRegular: Bool { mode & UInt32(Glibc.S_IFMT) == UInt32(Glibc.S_IFREG) }
    public var isDirectory: Bool { mode & UInt32(Glibc.S_IFMT) == UInt32(Glibc.S_IFDIR) }
    public var isSocket: Bool { mode & UInt32(Glibc.S_IFMT) == UInt32(Glibc.S_IFSOCK) }
    public var isSymlink: Bool { mode & UInt32(Glibc.S_IFMT) == UInt32(Glibc.S_IFLNK) }
    /// What kind of file this is, in words (`FIFO`, `socket`, …), for messages.
    public var kind: String {
        switch mode & UInt32(Glibc.S_IFMT) {
        case UInt32(Glibc.S_IFREG): "regular file"
        case UInt32(Glibc.S_IFDIR): "directory"
        case UInt32(Glibc.S_IFIFO): "FIFO"
        case UInt32(Glibc.S_IFSOCK): "socket"
        case UInt32(Glibc.S_IFCHR): "character device"
        case UInt32(Glibc.S_IFBLK): "block device"
        case UInt32(Glibc.S_IFLNK): "symbolic link"
        default: "unknown file type"
        }
    }
    /// Any execute bit set.
    public var isExecutable: Bool { mode & 0o111 != 0 }
    public var permissions: UInt32 { mode & 0o7777 }
}
