#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One unix socket as netlink sock_diag reports it.
public struct UnixDiagEntry: Sendable, Equatable {
    public var inode: UInt64
    /// 1 stream, 2 dgram, 5 seqpacket.
    public var type: UInt8
    /// 1 established, 10 listen, 7 close (kernel TCP state numbers).
    public var state: UInt8
    /// Bound path; `@name` for abstract sockets; empty when unbound. An accepted socket carries its listener's name.
    public var name: String
    /// Inode of the peer socket; 0 when none.
    public var peerInode: UInt64
    /// For a listener: pending connections; otherwise bytes not yet read.
    public var receiveQueue: UInt32
    /// For a listener: the backlog; otherwise bytes in flight from this socket.
    public var sendQueue: UInt32
    /// Whether the RQLEN attribute was present (queue values are meaningful).
    public var hasQueues: Bool
    /// Inode of the socket file in the file system (bound and accepted sockets); 0 when none.
    public var vfsInode: UInt64 = 0
    /// Device of the socket file (the kernel's internal dev_t encoding).
    public var vfsDevice: UInt32 = 0

    public var isListening: Bool { state == 10 }
    public var isEstablished: Bool { state == 1 }
}

/// Unix socket diagnostics over `NETLINK_SOCK_DIAG` (what `ss -x` reads), without running ss.
public enum UnixSockDiag {
    static let sockDiagByFamily: UInt16 = 20
    static let showName: UInt32 = 0x01
    static let showVFS: UInt32 = 0x02
    static let showPeer: UInt32 = 0x04
    static let showRQLen: UInt32 = 0x10

    /// Dumps every unix socket of this network namespace with name, peer and queue lengths.
    /// Throws when netlink is unavailable (old kernel, seccomp, no module): callers report `unknown`.
    public static func dump(timeoutMs: Int = 1000) throws(ProbeError) -> [UnixDiagEntry] {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */)
        if fd < 0 { throw ProbeError(call: "socket", path: "NETLINK_SOCK_DIAG", errno: errno) }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        // nlmsghdr (16) + unix_diag_req (24)
        var req = [UInt8](repeating: 0, count: 40)
        func put32(_ v: UInt32, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<4 { req[at + k] = $0[k] } } }
        func put16(_ v: UInt16, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<2 { req[at + k] = $0[k] } } }
        put32(40, 0)
        put16(sockDiagByFamily, 4)
        put16(0x0001 | 0x0300, 6)  // NLM_F_REQUEST | NLM_F_DUMP
        put32(1, 8)
        req[16] = UInt8(AF_UNIX)
        put32(0xffff_ffff, 20)  // every state
        put32(showName | showVFS | showPeer | showRQLen, 28)

        // sockaddr_nl: family, pad, pid 0 (the kernel), groups 0.
        var addr = [UInt8](repeating: 0, count: 12)
        addr[0] = UInt8(AF_NETLINK & 0xff)
        let sent = addr.withUnsafeBytes { a in
            req.withUnsafeBytes {
                sendto(fd, $0.baseAddress, 40, 0, a.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12)
            }
        }
        if sent < 0 { throw ProbeError(call: "sendto", path: "NETLINK_SOCK_DIAG", errno: errno) }

        var entries: [UnixDiagEntry] = []
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw ProbeError(call: "recv", path: "NETLINK_SOCK_DIAG", errno: e)
            }
            if n == 0 { break }
            let (batch, done, err) = parseMessages(buf[0..<n])
            if let err { throw ProbeError(call: "sock_diag", path: "AF_UNIX", errno: err) }
            entries += batch
            if done { break }
        }
        return entries
    }

    /// Parses a buffer of netlink messages. Returns the entries, whether NLMSG_DONE was seen, and
    /// the errno of an NLMSG_ERROR. Truncated or malformed messages end the parse without trapping.
    public static func parseMessages(_ bytes: ArraySlice<UInt8>) -> ([UnixDiagEntry], Bool, Int32?) {
        let b = Array(bytes)
        func u32(_ at: Int) -> UInt32 {
            UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
        }
        func u16(_ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
        var out: [UnixDiagEntry] = []
        var off = 0
        while off + 16 <= b.count {
            let len = Int(u32(off))
            let type = u16(off + 4)
            guard len >= 16, off + len <= b.count else { break }
            if type == 3 /* NLMSG_DONE */ { return (out, true, nil) }
            if type == 2 /* NLMSG_ERROR */ {
                let code = len >= 20 ? Int32(bitPattern: u32(off + 16)) : -EIO
                return (out, true, code == 0 ? nil : -code)
            }
            if type == sockDiagByFamily, len >= 32 {
                let base = off + 16
                var e = UnixDiagEntry(
                    inode: UInt64(u32(base + 4)), type: b[base + 1], state: b[base + 2], name: "", peerInode: 0,
                    receiveQueue: 0, sendQueue: 0, hasQueues: false)
                var a = base + 16
                let end = off + len
                while a + 4 <= end {
                    let alen = Int(u16(a))
                    let atype = u16(a + 2)
                    guard alen >= 4, a + alen <= end else { break }
                    let payload = (a + 4)..<(a + alen)
                    switch atype {
                    case 0:  // UNIX_DIAG_NAME
                        var p = Array(b[payload])
                        if let first = p.first, first == 0 {
                            p.removeFirst()
                            e.name = "@" + String(decoding: p, as: UTF8.self)
                        } else {
                            if let z = p.firstIndex(of: 0) { p.removeSubrange(z...) }
                            e.name = String(decoding: p, as: UTF8.self)
                        }
                    case 1 where payload.count >= 8:  // UNIX_DIAG_VFS
                        e.vfsInode = UInt64(u32(a + 4))
                        e.vfsDevice = u32(a + 8)
                    case 2 where payload.count >= 4:  // UNIX_DIAG_PEER
                        e.peerInode = UInt64(u32(a + 4))
                    case 4 where payload.count >= 8:  // UNIX_DIAG_RQLEN
                        e.receiveQueue = u32(a + 4)
                        e.sendQueue = u32(a + 8)
                        e.hasQueues = true
                    default: break
                    }
                    a += (alen + 3) & ~3
                }
                out.append(e)
            }
            off += (len + 3) & ~3
        }
        return (out, false, nil)
    }
}
