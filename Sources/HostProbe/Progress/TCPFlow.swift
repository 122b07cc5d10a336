#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's `struct tcp_info` for one socket, the fields the pipeline check uses. Fields a kernel
/// does not send (the struct grew over the years: `bytes_acked` since 4.1, `notsent_bytes` since 4.6,
/// `bytes_sent`/`bytes_retrans` since 4.19) are nil.
public struct TCPInfo: Sendable, Equatable {
    /// Consecutive retransmissions of the same segment (`tcpi_retransmits`) and the RTO backoff exponent (`tcpi_backoff`).
    public var retransmits: UInt8
    public var backoff: UInt8
    /// Segments sent and not yet acknowledged (`tcpi_unacked`).
    public var unackedSegments: UInt32
    /// Milliseconds since data was last sent / an ACK last received (`tcpi_last_data_sent`, `tcpi_last_ack_recv`).
    public var lastDataSentMs: UInt32
    public var lastAckReceivedMs: UInt32
    /// Smoothed round-trip time, µs.
    public var rttMicros: UInt32
    public var totalRetransmits: UInt32
    /// Bytes the peer acknowledged over the socket's life (`tcpi_bytes_acked`).
    public var bytesAcked: UInt64?
    /// Bytes queued by the sender and not yet sent (`tcpi_notsent_bytes`).
    public var notSentBytes: UInt32?
    /// Bytes retransmitted over the socket's life (`tcpi_bytes_retrans`).
    public var bytesRetransmitted: UInt64?

    public init(
        retransmits: UInt8 = 0, backoff: UInt8 = 0, unackedSegments: UInt32 = 0, lastDataSentMs: UInt32 = 0, lastAckReceivedMs: UInt32 = 0,
        rttMicros: UInt32 = 0, totalRetransmits: UInt32 = 0, bytesAcked: UInt64? = nil, notSentBytes: UInt32? = nil,
        bytesRetransmitted: UInt64? = nil
    ) {
        self.retransmits = retransmits
        self.backoff = backoff
        self.unackedSegments = unackedSegments
        self.lastDataSentMs = lastDataSentMs
        self.lastAckReceivedMs = lastAckReceivedMs
        self.rttMicros = rttMicros
        self.totalRetransmits = totalRetransmits
        self.bytesAcked = bytesAcked
        self.notSentBytes = notSentBytes
        self.bytesRetransmitted = bytesRetransmitted
    }

    /// Decodes the `INET_DIAG_INFO` payload (linux/tcp.h layout); nil when shorter than the 3.x struct's
    /// first 104 bytes.
    public static func parse(_ b: [UInt8]) -> TCPInfo? {
        guard b.count >= 104 else { return nil }
        func u32(_ i: Int) -> UInt32 { b.le32(i) }
        func u64(_ i: Int) -> UInt64 { UInt64(b.le32(i)) | UInt64(b.le32(i + 4)) << 32 }
        var t = TCPInfo(
            retransmits: b[2], backoff: b[4], unackedSegments: u32(24), lastDataSentMs: u32(44), lastAckReceivedMs: u32(56),
            rttMicros: u32(68), totalRetransmits: u32(100))
        if b.count >= 128 { t.bytesAcked = u64(120) }
        if b.count >= 148 { t.notSentBytes = u32(144) }
        if b.count >= 216 { t.bytesRetransmitted = u64(208) }
        return t
    }
}

/// A TCP socket with its queues (`idiag_rqueue`/`idiag_wqueue`: for an established socket, bytes
/// received and not read / bytes written and not yet acknowledged) and its `tcp_info`.
public struct TCPFlow: Sendable, Equatable {
    public var socket: TCPSocketEntry
    public var receiveQueue: UInt32
    public var sendQueue: UInt32
    public var info: TCPInfo?

    public init(socket: TCPSocketEntry, receiveQueue: UInt32, sendQueue: UInt32, info: TCPInfo?) {
        self.socket = socket
        self.receiveQueue = receiveQueue
        self.sendQueue = sendQueue
        self.info = info
    }
}

extension InetSockDiag {
    /// `INET_DIAG_INFO`: the attribute carrying `struct tcp_info`, requested with bit `1 << (2 - 1)` of `idiag_ext`.
    static let infoAttribute: UInt16 = 2

    /// TCP sockets in `states` whose remote port is `remotePort`, with their queues and `tcp_info`
    /// (what `ss -ti dport = :N` shows), IPv4 and IPv6.
    public static func dumpFlows(
        states: Set<TCPState> = [.established, .synSent], remotePort: UInt16, timeoutMs: Int = 1000
    ) throws(ProbeError) -> [TCPFlow] {
        var out: [TCPFlow] = []
        for family in [AF_INET, AF_INET6] {
            var body = requestBody(family: UInt8(family), states: states, remotePort: remotePort)
            body[2] = UInt8(1 << (infoAttribute - 1))
            let req = SockDiagNetlink.request(body: body)
            try SockDiagNetlink.dump(req, label: family == AF_INET ? "inet_diag tcp_info" : "inet_diag tcp6 tcp_info", timeoutMs: timeoutMs)
            { buf in
                let (batch, done, err) = parseFlows(buf)
                out += batch
                return (done, err)
            }
        }
        return out
    }

    /// Parses a dump's messages into flows: the `inet_diag_msg` (family, state, timer, retrans; sockid
    /// {sport, dport big-endian, src[16], dst[16], if, cookie[2]}; expires, rqueue, wqueue, uid, inode) and,
    /// among the attributes after it, `INET_DIAG_INFO` when asked for. Malformed messages end the parse
    /// without trapping.
    public static func parseFlows(_ bytes: ArraySlice<UInt8>) -> ([TCPFlow], Bool, Int32?) {
        var out: [TCPFlow] = []
        let (done, err) = SockDiagNetlink.walk(bytes) { b, payload in
            guard payload.count >= 72 else { return }
            let m = payload.lowerBound
            guard let state = TCPState(rawValue: b[m + 1]) else { return }
            let v6 = b[m] == UInt8(AF_INET6)
            guard v6 || b[m] == UInt8(AF_INET) else { return }
            let entry = TCPSocketEntry(
                localAddress: address(b, at: m + 8, v6: v6), localPort: b.be16(m + 4),
                remoteAddress: address(b, at: m + 24, v6: v6), remotePort: b.be16(m + 6),
                state: state, inode: UInt64(b.le32(m + 68)), isIPv6: v6)
            var info: TCPInfo?
            var a = m + 72
            while a + 4 <= payload.upperBound {
                let len = Int(b.le16(a))
                let type = b.le16(a + 2)
                guard len >= 4, a + len <= payload.upperBound else { break }
                if type == infoAttribute { info = TCPInfo.parse(Array(b[(a + 4)..<(a + len)])) }
                a += (len + 3) & ~3
            }
            out.append(TCPFlow(socket: entry, receiveQueue: b.le32(m + 56), sendQueue: b.le32(m + 60), info: info))
        }
        return (out, done, err)
    }
}
