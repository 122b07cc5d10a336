#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// TCP sockets over `NETLINK_SOCK_DIAG` / `inet_diag` (what `ss -t` reads), without running ss.
///
/// Reading `/proc/net/tcp` and `tcp6` makes the kernel format every socket and walk the whole
/// established hash table for each read call (262,144 buckets on a 24 GB host), twice: about 2.5 ms
/// on an idle host. A dump asks only for the states wanted, lets the kernel drop every socket whose
/// remote port is not the one asked for, and skips empty buckets without taking their locks.
public enum InetSockDiag {
    /// `INET_DIAG_REQ_BYTECODE`: a filter program run by the kernel on each socket.
    static let reqBytecode: UInt16 = 1
    static let bcDestinationGE: UInt8 = 4
    static let bcDestinationLE: UInt8 = 5

    /// TCP sockets of this network namespace, IPv4 and IPv6, in the given states, optionally only
    /// those whose remote port is `remotePort`. Rows have the same shape as `/proc/net/tcp`'s.
    /// Throws when netlink or inet_diag is unavailable; callers fall back to `/proc/net/tcp`.
    public static func dumpTCP(
        states: Set<TCPState> = Set(TCPState.allCases), remotePort: UInt16? = nil, timeoutMs: Int = 1000
    ) throws(ProbeError) -> [TCPSocketEntry] {
        try dump(protocol: UInt8(IPPROTO_TCP), states: states, remotePort: remotePort, timeoutMs: timeoutMs)
    }

    /// UDP sockets of this network namespace, IPv4 and IPv6 (`ss -u -a`): a bound, unconnected one is in
    /// state CLOSE, a connected one ESTABLISHED.
    public static func dumpUDP(timeoutMs: Int = 1000) throws(ProbeError) -> [TCPSocketEntry] {
        try dump(protocol: UInt8(IPPROTO_UDP), states: Set(TCPState.allCases), remotePort: nil, timeoutMs: timeoutMs)
    }

    static func dump(protocol proto: UInt8, states: Set<TCPState>, remotePort: UInt16?, timeoutMs: Int) throws(ProbeError)
        -> [TCPSocketEntry]
    {
        var out: [TCPSocketEntry] = []
        let name = proto == UInt8(IPPROTO_UDP) ? "udp" : "tcp"
        for family in [AF_INET, AF_INET6] {
            let req = SockDiagNetlink.request(
                body: requestBody(family: UInt8(family), protocol: proto, states: states, remotePort: remotePort))
            try SockDiagNetlink.dump(req, label: family == AF_INET ? "inet_diag \(name)" : "inet_diag \(name)6", timeoutMs: timeoutMs) {
                buf in
                let (batch, done, err) = parseMessages(buf)
                out += batch
                return (done, err)
            }
        }
        return out
    }

    /// `inet_diag_req_v2` for TCP, followed by a port filter when `remotePort` is given.
    static func requestBody(family: UInt8, protocol proto: UInt8 = UInt8(IPPROTO_TCP), states: Set<TCPState>, remotePort: UInt16?)
        -> [UInt8]
    {
        var body: [UInt8] = [family, proto, 0, 0]
        body.appendLE(states.reduce(UInt32(0)) { $0 | (1 << UInt32($1.rawValue)) })
        body += [UInt8](repeating: 0, count: 48)  // inet_diag_sockid: any socket
        if let port = remotePort {
            let program = portFilter(port)
            body.appendLE(UInt16(4 + program.count))
            body.appendLE(reqBytecode)
            body += program
        }
        return body
    }

    /// "dport >= port && dport <= port" as inet_diag bytecode. Each op is {code, yes, no}; a port
    /// comparison carries the port in the `no` field of the op after it. Jumping exactly to the end
    /// accepts the socket; jumping 4 bytes past it rejects it.
    static func portFilter(_ port: UInt16) -> [UInt8] {
        var p = [UInt8]()
        func op(_ code: UInt8, yes: UInt8, no: UInt16) {
            p.append(code)
            p.append(yes)
            p.appendLE(no)
        }
        op(bcDestinationGE, yes: 8, no: 16 + 4)
        op(0, yes: 0, no: port)
        op(bcDestinationLE, yes: 8, no: 8 + 4)
        op(0, yes: 0, no: port)
        return p
    }

    /// Parses a buffer of netlink messages of a TCP dump: the entries, whether `NLMSG_DONE` was
    /// seen, and the errno of an `NLMSG_ERROR`. Malformed messages end the parse without trapping.
    public static func parseMessages(_ bytes: ArraySlice<UInt8>) -> ([TCPSocketEntry], Bool, Int32?) {
        let (flows, done, err) = parseFlows(bytes)
        return (flows.map(\.socket), done, err)
    }

    /// Text for the address at `a` (4 bytes for IPv4, 16 for IPv6), as `/proc/net/tcp` rows show it.
    static func address(_ b: [UInt8], at a: Int, v6: Bool) -> String {
        SocketTables.formatAddress(networkOrder: b[a..<(a + (v6 ? 16 : 4))])
    }
}
