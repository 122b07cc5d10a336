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
    static let showName: UInt32 = 0x01
    static let showVFS: UInt32 = 0x02
    static let showPeer: UInt32 = 0x04
    static let showRQLen: UInt32 = 0x10

    /// Dumps every unix socket of this network namespace with name, peer and queue lengths.
    /// Throws when netlink is unavailable (old kernel, seccomp, no module): callers report `unknown`.
    public static func dump(timeoutMs: Int = 1000) throws(ProbeError) -> [UnixDiagEntry] {
        // unix_diag_req: family, protocol, pad, states, inode, show, cookie[2].
        var body = [UInt8]()
        body.append(UInt8(AF_UNIX))
        body += [0, 0, 0]
        body.appendLE(UInt32(0xffff_ffff))  // every state
        body.appendLE(UInt32(0))  // any inode
        body.appendLE(showName | showVFS | showPeer | showRQLen)
        body += [UInt8](repeating: 0, count: 8)
        var entries: [UnixDiagEntry] = []
        try SockDiagNetlink.dump(SockDiagNetlink.request(body: body), label: "AF_UNIX", timeoutMs: timeoutMs) { buf in
            let (batch, done, err) = parseMessages(buf)
            entries += batch
            return (done, err)
        }
        return entries
    }

    /// Parses a buffer of netlink messages. Returns the entries, whether NLMSG_DONE was seen, and
    /// the errno of an NLMSG_ERROR. Truncated or malformed messages end the parse without trapping.
    public static func parseMessages(_ bytes: ArraySlice<UInt8>) -> ([UnixDiagEntry], Bool, Int32?) {
        var out: [UnixDiagEntry] = []
        let (done, err) = SockDiagNetlink.walk(bytes) { b, payload in
            // unix_diag_msg: family, type, state, pad, inode, cookie[2]; then attributes.
            guard payload.count >= 16 else { return }
            let base = payload.lowerBound
            var e = UnixDiagEntry(
                inode: UInt64(b.le32(base + 4)), type: b[base + 1], state: b[base + 2], name: "", peerInode: 0,
                receiveQueue: 0, sendQueue: 0, hasQueues: false)
            SockDiagNetlink.attributes(b, (base + 16)..<payload.upperBound) { type, range in
                switch type {
                case 0:  // UNIX_DIAG_NAME
                    var p = Array(b[range])
                    if let first = p.first, first == 0 {
                        p.removeFirst()
                        e.name = "@" + String(decoding: p, as: UTF8.self)
                    } else {
                        if let z = p.firstIndex(of: 0) { p.removeSubrange(z...) }
                        e.name = String(decoding: p, as: UTF8.self)
                    }
                case 1 where range.count >= 8:  // UNIX_DIAG_VFS
                    e.vfsInode = UInt64(b.le32(range.lowerBound))
                    e.vfsDevice = b.le32(range.lowerBound + 4)
                case 2 where range.count >= 4:  // UNIX_DIAG_PEER
                    e.peerInode = UInt64(b.le32(range.lowerBound))
                case 4 where range.count >= 8:  // UNIX_DIAG_RQLEN
                    e.receiveQueue = b.le32(range.lowerBound)
                    e.sendQueue = b.le32(range.lowerBound + 4)
                    e.hasQueues = true
                default: break
                }
            }
            out.append(e)
        }
        return (out, done, err)
    }
}
