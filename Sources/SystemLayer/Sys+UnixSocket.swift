#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unix sockets, netlink sockets, pipes and poll; users and groups.
extension Sys {

    /// Fills a `sockaddr_un` for `path`; throws ENAMETOOLONG when it does not fit.
    public static func unixAddress(_ path: String) throws(ProbeError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        // The path's own bytes (a name that is not UTF-8 keeps them); a NUL would end it early.
        let bytes = PathBytes.bytes(of: path)
        if bytes.contains(0) { throw ProbeError("connect", path: path, errno: EINVAL) }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { throw ProbeError("bind", path: path, errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A listening SOCK_STREAM unix socket at `path` with `mode`, owned by `gid` when given.
    /// A stale socket file (nobody accepting) is replaced; a live one is an error (EADDRINUSE).
    ///
    /// Probing, replacing and binding happen under `flock(2)` on `<path>.lock`, so two processes starting
    /// at once on one stale file cannot both replace it (the later one would unlink the socket the earlier
    /// one had just bound, leaving it listening where nobody can reach it): the second waits, then finds
    /// the first one's socket live. The lock is held only for those few system calls; after `lockWaitMs`
    /// of waiting for it the socket is reported in use. The lock file stays beside the socket (removing
    /// it would let a third process lock a fresh file while the second still holds the old one).
    public static func listenUnix(
        path: String, mode: mode_t, gid: gid_t?, backlog: Int32 = 128, lockWaitMs: Int = 2000
    ) throws(ProbeError) -> Int32 {
        var addr = try unixAddress(path)
        let lock = try lockBeside(path, waitMs: lockWaitMs)
        defer { if let lock { close(lock) } }
        if let st = lstatIfPresent(path) {
            guard st.isSocket else { throw ProbeError("bind", path: path, errno: EEXIST) }
            if let probe = try? connectUnix(path: path, timeoutMs: 200) {
                close(probe)
                throw ProbeError("bind", path: path, errno: EADDRINUSE)
            }
            // Only the stale file just probed: another daemon that replaced it meanwhile keeps its own.
            try unlinkIfSame(path, as: st)
        }
        let fd = try retrying("socket", path: path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(ProbeError) {
            // umask decides the mode bind(2) gives the socket file: no window with wider permissions.
            let old = umask(~mode & 0o777)
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            let e = Glibc.errno
            umask(old)
            if r != 0 { throw ProbeError("bind", path: path, errno: e) }
            _ = try retrying("chmod", path: path) { Glibc.chmod(path, mode) }
            if let gid { _ = try retrying("chown", path: path) { Glibc.chown(path, uid_t.max, gid) } }
            _ = try retrying("listen", path: path) { Glibc.listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// The descriptor holding an exclusive `flock` on `<path>.lock` (created when missing), waiting up to
    /// `waitMs` for it; nil when the lock file cannot be made (a directory where the socket cannot be made
    /// either: its bind reports why). One that exists but cannot be used, or is still held after the
    /// wait (EADDRINUSE), is an error.
    static func lockBeside(_ path: String, waitMs: Int) throws(ProbeError) -> Int32? {
        let lockPath = path + ".lock"
        // Never follow a symlink or block on a FIFO planted in its place.
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let e = Glibc.errno
            // A lock file that is there but cannot be used (a symlink, a directory or a socket planted in its
            // place, another user's file) is not skipped: binding without the lock would reopen the race.
            if e == ELOOP || lstatIfPresent(lockPath) != nil {
                throw ProbeError("bind", path: lockPath, errno: e)
            }
            return nil
        }
        guard (try? fstat(fd, path: lockPath))?.isRegular == true else {
            close(fd)
            throw ProbeError("bind", path: lockPath, errno: EEXIST)
        }
        let deadline = MonotonicClock.milliseconds() + Int64(waitMs)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = Glibc.errno
            if e == EINTR { continue }
            guard e == EWOULDBLOCK, MonotonicClock.milliseconds() < deadline else {
                close(fd)
                throw ProbeError("bind", path: path, errno: e == EWOULDBLOCK ? EADDRINUSE : e)
            }
            usleep(5_000)
        }
        return fd
    }

    /// Removes `path` only while it is still the file `original` describes (same device and inode):
    /// a socket file another process put there since is left alone. A file already gone is no error.
    public static func unlinkIfSame(_ path: String, as original: FileStat) throws(ProbeError) {
        guard let now = lstatIfPresent(path) else { return }
        guard now.device == original.device, now.inode == original.inode else { return }
        do throws(ProbeError) {
            try unlink(path)
        } catch {
            if !error.isMissing { throw error }
        }
    }

    /// A connected SOCK_STREAM unix socket to `path`, with send/receive timeouts of `timeoutMs`.
    public static func connectUnix(path: String, timeoutMs: Int) throws(ProbeError) -> Int32 {
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
            throw ProbeError("connect", path: path, errno: e)
        }
        return fd
    }

    /// Reads until end of file or `limit` bytes; a receive timeout throws ETIMEDOUT. With `deadlineMs` (a
    /// `MonotonicClock.milliseconds()` value) the whole read ends there too: a peer that trickles a byte now
    /// and then within each receive timeout does not hold the reader past it.
    public static func readToEnd(_ fd: Int32, limit: Int, path: String = "", deadlineMs: Int64? = nil) throws(ProbeError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while out.count < limit {
            if let deadlineMs {
                let left = deadlineMs - MonotonicClock.milliseconds()
                guard left > 0 else { throw ProbeError("read", path: path, errno: ETIMEDOUT) }
                // Interrupted or not yet readable: the loop looks at the deadline again.
                guard try pollReadable(fd, timeoutMs: Int32(clamping: left), path: path) else { continue }
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                let e = Glibc.errno
                if e == EINTR { continue }
                // A server that answers early and closes with our unread request bytes resets the
                // connection after its answer: keep what arrived.
                if e == ECONNRESET && !out.isEmpty { break }
                if e == EAGAIN || e == EWOULDBLOCK { throw ProbeError("read", path: path, errno: ETIMEDOUT) }
                throw ProbeError("read", path: path, errno: e)
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
    public static func dropPrivileges(uid: uid_t, gid: gid_t) throws(ProbeError) {
        _ = try retrying("setgroups") { setgroups(0, nil) }
        _ = try retrying("setgid") { setgid(gid) }
        _ = try retrying("setuid") { setuid(uid) }
    }

    // MARK: Netlink

    /// A `SOCK_DGRAM` netlink socket of `netlinkProtocol` (e.g. 4, NETLINK_SOCK_DIAG) with a receive
    /// timeout of `timeoutMs`; `label` names it in errors.
    public static func netlinkSocket(protocol netlinkProtocol: Int32, receiveTimeoutMs timeoutMs: Int, label: String) throws(ProbeError)
        -> Int32
    {
        let fd = try retrying("socket", path: label) {
            socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkProtocol)
        }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends one datagram to the kernel (netlink port id 0) on a netlink socket.
    public static func sendToKernel(_ fd: Int32, _ message: [UInt8], label: String) throws(ProbeError) {
        // sockaddr_nl (not in the Glibc module): family, pad, port id 0 (the kernel), groups 0.
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK & 0xff)
        _ = try retrying("sendto", path: label) {
            addr.withUnsafeBytes { a in
                message.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, 0, a.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12)
                }
            }
        }
    }

    /// Receives one datagram into `buffer`, retrying on EINTR; returns its length (0: closed).
    public static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, label: String) throws(ProbeError) -> Int {
        try retrying("recv", path: label) { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    // MARK: Pipes and poll

    /// A pipe whose both ends are close-on-exec (pipe2(2) with O_CLOEXEC): `(read, write)`.
    public static func pipe(path: String = "") throws(ProbeError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        _ = try retrying("pipe", path: path) { Glibc.pipe(&fds) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// Waits up to `timeoutMs` for `fd` to be readable (or closed). Returns true when it is, false at
    /// the timeout or when a signal interrupted the wait (the caller loops and recomputes its deadline).
    public static func pollReadable(_ fd: Int32, timeoutMs: Int32, path: String = "") throws(ProbeError) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, timeoutMs)
        if r < 0 {
            let e = errno
            if e == EINTR { return false }
            throw ProbeError(call: "poll", path: path, errno: e)
        }
        return r > 0
    }
}
