#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The `NETLINK_SOCK_DIAG` plumbing shared by the unix and the TCP dumps: one request out, then
/// netlink messages in until `NLMSG_DONE`, an `NLMSG_ERROR`, or the receive timeout.
enum SockDiagNetlink {
    static let sockDiagByFamily: UInt16 = 20
    static let nlmsgError: UInt16 = 2
    static let nlmsgDone: UInt16 = 3

    /// A netlink request header (16 bytes) for a `SOCK_DIAG_BY_FAMILY` dump followed by `body`.
    static func request(body: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16 + body.count)
        out.appendLE(UInt32(16 + body.count))
        out.appendLE(sockDiagByFamily)
        out.appendLE(UInt16(0x0001 | 0x0300))  // NLM_F_REQUEST | NLM_F_DUMP
        out.appendLE(UInt32(1))  // sequence
        out.appendLE(UInt32(0))  // port id: the kernel fills it in
        out += body
        return out
    }

    /// Sends `request` and hands every received buffer to `parse`, which returns whether the dump is
    /// complete and the errno of an `NLMSG_ERROR`. `label` names the dump in errors.
    static func dump(
        _ request: [UInt8], label: String, timeoutMs: Int, parse: (ArraySlice<UInt8>) -> (done: Bool, error: Int32?)
    ) throws(ProbeError) {
        let fd = try Sys.netlinkSocket(protocol: 4 /* NETLINK_SOCK_DIAG */, receiveTimeoutMs: timeoutMs, label: "NETLINK_SOCK_DIAG")
        defer { Sys.close(fd) }
        try Sys.sendToKernel(fd, request, label: "NETLINK_SOCK_DIAG")

        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let received = buf.withUnsafeMutableBytes { b in
                Result { () throws(ProbeError) in try Sys.receive(fd, into: b, label: "NETLINK_SOCK_DIAG") }
            }
            let n = try received.get()
            if n == 0 { return }
            let (done, err) = parse(buf[0..<n])
            if let err { throw ProbeError(call: "sock_diag", path: label, errno: err) }
            if done { return }
        }
    }

    /// Walks the netlink messages of one received buffer, calling `body` with each
    /// `SOCK_DIAG_BY_FAMILY` message (the bytes and the message's payload range). Truncated or
    /// malformed messages end the walk without trapping.
    static func walk(_ bytes: ArraySlice<UInt8>, _ body: (_ b: [UInt8], _ payload: Range<Int>) -> Void) -> (done: Bool, error: Int32?) {
        let b = Array(bytes)
        var off = 0
        while off + 16 <= b.count {
            let len = Int(b.le32(off))
            let type = b.le16(off + 4)
            guard len >= 16, off + len <= b.count else { break }
            if type == nlmsgDone {
                // A dump that failed part-way (e.g. inet_diag without its tcp_diag handler: -ENOENT)
                // ends with NLMSG_DONE carrying the negative errno, not with NLMSG_ERROR.
                let code = len >= 20 ? Int32(bitPattern: b.le32(off + 16)) : 0
                return (true, code < 0 ? Int32(clamping: code.magnitude) : nil)
            }
            if type == nlmsgError {
                let code = len >= 20 ? Int32(bitPattern: b.le32(off + 16)) : -EIO
                // `-code` would trap for Int32.min; the magnitude is an (unknown) errno all the same.
                return (true, code == 0 ? nil : Int32(clamping: code.magnitude))
            }
            if type == sockDiagByFamily { body(b, (off + 16)..<(off + len)) }
            off += (len + 3) & ~3
        }
        return (false, nil)
    }

    /// Walks the `rtattr`s in `range` of `b`, calling `body` with each attribute's type and payload range.
    static func attributes(_ b: [UInt8], _ range: Range<Int>, _ body: (_ type: UInt16, _ payload: Range<Int>) -> Void) {
        var a = range.lowerBound
        while a + 4 <= range.upperBound {
            let alen = Int(b.le16(a))
            guard alen >= 4, a + alen <= range.upperBound else { return }
            body(b.le16(a + 2), (a + 4)..<(a + alen))
            a += (alen + 3) & ~3
        }
    }
}

extension Array where Element == UInt8 {
    func le32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func be16(_ at: Int) -> UInt16 { UInt16(self[at]) << 8 | UInt16(self[at + 1]) }
    func be32(_ at: Int) -> UInt32 {
        UInt32(self[at]) << 24 | UInt32(self[at + 1]) << 16 | UInt32(self[at + 2]) << 8 | UInt32(self[at + 3])
    }

    mutating func appendLE(_ v: UInt32) { for k in 0..<4 { append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func appendLE(_ v: UInt16) { append(UInt8(truncatingIfNeeded: v)); append(UInt8(truncatingIfNeeded: v >> 8)) }
}
