/// A row of `/proc/net/tcp` or `/proc/net/tcp6`.
public struct TCPSocketEntry: Sendable, Equatable {
    public var localAddress: String
    public var localPort: UInt16
    public var remoteAddress: String
    public var remotePort: UInt16
    public var state: TCPState
    public var inode: UInt64
    public var isIPv6: Bool

    public init(
        localAddress: String, localPort: UInt16, remoteAddress: String, remotePort: UInt16, state: TCPState, inode: UInt64, isIPv6: Bool
    ) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.state = state
        self.inode = inode
        self.isIPv6 = isIPv6
    }

    /// `address:port`, the address in brackets when it is written with colons (an IPv4-mapped address of
    /// an IPv6 socket is already shown dotted, and takes none).
    public var remoteEndpoint: String { Self.endpoint(remoteAddress, remotePort) }
    public var localEndpoint: String { Self.endpoint(localAddress, localPort) }

    static func endpoint(_ address: String, _ port: UInt16) -> String {
        address.utf8.contains(UInt8(ascii: ":")) ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// Kernel TCP states as numbered in `include/net/tcp_states.h`.
public enum TCPState: UInt8, Sendable, CaseIterable {
    case established = 1, synSent, synRecv, finWait1, finWait2, timeWait, close, closeWait, lastAck, listen, closing, newSynRecv

    public var name: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN_SENT"
        case .synRecv: "SYN_RECV"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynRecv: "NEW_SYN_RECV"
        }
    }
}

/// A row of `/proc/net/unix`.
public struct UnixSocketEntry: Sendable, Equatable {
    public var inode: UInt64
    /// Bound path; `@name` for abstract sockets; empty when unbound.
    public var path: String
    public var isListening: Bool
    /// 1 stream, 2 dgram, 5 seqpacket.
    public var type: Int
    /// 1 unconnected, 2 connecting, 3 connected, 4 disconnecting.
    public var state: Int
}

/// Pure parsers for the kernel's socket tables.
public enum SocketTables {
    /// Parses `/proc/net/tcp` (or `tcp6` with `ipv6: true`). Bad rows are skipped.
    public static func parseTCP(_ text: String, ipv6: Bool) -> [TCPSocketEntry] {
        var out: [TCPSocketEntry] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10 else { continue }
            guard let local = parseEndpoint(f[1], ipv6: ipv6), let remote = parseEndpoint(f[2], ipv6: ipv6),
                let st = UInt8(f[3], radix: 16), let state = TCPState(rawValue: st), let inode = UInt64(f[9])
            else { continue }
            out.append(
                TCPSocketEntry(
                    localAddress: local.0, localPort: local.1, remoteAddress: remote.0, remotePort: remote.1,
                    state: state, inode: inode, isIPv6: ipv6))
        }
        return out
    }

    /// `0100007F:1F90` → ("127.0.0.1", 8080). The address words are in host (little-endian) order.
    static func parseEndpoint(_ s: Substring, ipv6: Bool) -> (String, UInt16)? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hex = parts[0]
        guard hex.count == (ipv6 ? 32 : 8) else { return nil }
        var bytes: [UInt8] = []
        var idx = hex.startIndex
        while idx < hex.endIndex {
            let next = hex.index(idx, offsetBy: 8)
            guard let w = UInt32(hex[idx..<next], radix: 16) else { return nil }
            // Each word is in host (little-endian) order: its bytes are the address's, in order.
            bytes += [UInt8(w & 0xff), UInt8((w >> 8) & 0xff), UInt8((w >> 16) & 0xff), UInt8(w >> 24)]
            idx = next
        }
        return (formatAddress(networkOrder: bytes[...]), port)
    }

    /// Text for a 4-byte (IPv4) or 16-byte (IPv6) address in network order; IPv4-mapped IPv6
    /// addresses are shown as IPv4. Shared by the /proc/net/tcp parser and the inet_diag reader.
    static func formatAddress(networkOrder b: ArraySlice<UInt8>) -> String {
        let s = b.startIndex
        func v4(_ at: Int) -> String { "\(b[at]).\(b[at + 1]).\(b[at + 2]).\(b[at + 3])" }
        if b.count == 4 { return v4(s) }
        if b[s..<(s + 10)].allSatisfy({ $0 == 0 }) && b[s + 10] == 0xff && b[s + 11] == 0xff { return v4(s + 12) }
        return formatIPv6((0..<8).map { UInt16(b[s + 2 * $0]) << 8 | UInt16(b[s + 2 * $0 + 1]) })
    }

    /// RFC 5952 text for eight 16-bit groups (longest zero run compressed).
    static func formatIPv6(_ g: [UInt16]) -> String {
        var bestStart = -1
        var bestLen = 0
        var i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen && j - i > 1 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(g[0..<8]) }
        return hex(g[0..<bestStart]) + "::" + hex(g[(bestStart + bestLen)..<8])
    }

    /// Parses `/proc/net/unix`. Paths may contain spaces: everything after the inode is the path.
    public static func parseUnix(_ text: String) -> [UnixSocketEntry] {
        var out: [UnixSocketEntry] = []
        for line in text.split(separator: "\n").dropFirst() {
            var fields: [Substring] = []
            var rest = line[...]
            for _ in 0..<7 {
                rest = rest.drop(while: { $0 == " " })
                guard let sp = rest.firstIndex(of: " ") else {
                    fields.append(rest)
                    rest = rest[rest.endIndex...]
                    break
                }
                fields.append(rest[..<sp])
                rest = rest[sp...]
            }
            guard fields.count == 7, let flags = UInt32(fields[3], radix: 16), let type = Int(fields[4], radix: 16),
                let st = Int(fields[5], radix: 16), let inode = UInt64(fields[6])
            else { continue }
            let path = rest.first == " " ? String(rest.dropFirst()) : String(rest)
            out.append(
                UnixSocketEntry(inode: inode, path: path, isListening: flags & 0x0001_0000 != 0, type: type, state: st))
        }
        return out
    }

    // MARK: Readers

    /// TCP sockets of this network namespace, v4 and v6; a missing table (no IPv6) is skipped.
    public static func readTCP(proc: String = "/proc") throws(ProbeError) -> [TCPSocketEntry] {
        var out: [TCPSocketEntry] = []
        var anyRead = false
        var lastError: ProbeError?
        for (file, v6) in [("tcp", false), ("tcp6", true)] {
            do {
                let text = try FileReader.read("\(proc)/net/\(file)", limit: 64 << 20).text
                out += parseTCP(text, ipv6: v6)
                anyRead = true
            } catch {
                lastError = error
            }
        }
        if !anyRead, let lastError { throw lastError }
        return out
    }

    /// TCP sockets in `states`, optionally only those whose remote port is `remotePort`. On the live
    /// host (`proc` is `/proc`) they come from netlink inet_diag, filtered by the kernel; when netlink
    /// is refused (seccomp, no inet_diag module) or `proc` points elsewhere (a test tree), from the
    /// `net/tcp` and `net/tcp6` files.
    public static func tcpSockets(
        states: Set<TCPState>, remotePort: UInt16? = nil, proc: String = "/proc"
    ) throws(ProbeError) -> [TCPSocketEntry] {
        if proc == "/proc", let viaNetlink = try? InetSockDiag.dumpTCP(states: states, remotePort: remotePort) {
            return viaNetlink
        }
        return try readTCP(proc: proc).filter { entry in
            states.contains(entry.state) && (remotePort == nil || entry.remotePort == remotePort)
        }
    }

    public static func readUnix(proc: String = "/proc") throws(ProbeError) -> [UnixSocketEntry] {
        parseUnix(try FileReader.read("\(proc)/net/unix", limit: 64 << 20).text)
    }
}
