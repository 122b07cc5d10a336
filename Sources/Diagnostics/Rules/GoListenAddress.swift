import Glibc

/// The address a syslog item's server listens on, read as Go's net package reads it: filebeat's UDP server
/// calls `net.ListenPacket("udp", host)` and its TCP server `net.Listen("tcp", host)` with `protocol.<udp|tcp>.host`
/// as written. Go (`internetAddrList` in net/ipsock.go) splits a non-empty address with `SplitHostPort` — a
/// port after the last colon, an IPv6 host in brackets — and resolves the port with `LookupPort` (net/lookup.go):
/// decimal digits after an optional `+` or `-` (`parsePort`, net/port.go; an empty port, or a lone sign, is 0),
/// else a service name looked up for the network in the host's `/etc/services` (`readServices`,
/// net/port_unix.go) over Go's small built-in table; a value outside 0–65535 is "invalid port". An empty
/// address binds the wildcard on port 0. Port 0 binds a port the kernel picks.
///
/// A collector built with cgo asks the C library first (`getservbyname` through NSS, `services: files` on a
/// usual host: the same `/etc/services`), and falls back to Go's own lookup when that fails.
public enum GoListenAddress {
    /// What Go makes of an address: the host part as split (`""`: every address) and the port it binds (0: one
    /// the kernel picks at each start), or Go's error when it refuses it.
    public enum Resolution: Sendable, Equatable {
        case bound(host: String, port: UInt16)
        case refused(String)
    }

    /// Go's table of service names (`services` in net/lookup.go), which `readServices` extends with the host's
    /// `/etc/services` (a later line overrides an earlier one, and the file the built-in entries).
    public struct Services: Sendable, Equatable {
        var byNetwork: [String: [String: Int]]

        /// Go's built-in entries, the only ones on a host without `/etc/services`.
        public static let builtin = Services(byNetwork: [
            "udp": ["domain": 53],
            "tcp": [
                "ftp": 21, "ftps": 990, "gopher": 70, "http": 80, "https": 443, "imap2": 143, "imap3": 220, "imaps": 993,
                "pop3": 110, "pop3s": 995, "smtp": 25, "submissions": 465, "ssh": 22, "telnet": 23,
            ],
        ])

        init(byNetwork: [String: [String: Int]]) { self.byNetwork = byNetwork }

        /// The built-in table extended with `servicesFile` (the text of `/etc/services`; nil when it cannot be
        /// read, as Go then keeps its own table). Each line as `readServices` reads it: what follows `#` dropped,
        /// fields split on spaces, tabs, CR and LF, the second `<port>/<network>` with a port above 0 (Go's `dtoi`:
        /// leading digits, below 0xFFFFFF), every other field a name for that port.
        public init(servicesFile: [UInt8]?) {
            self = .builtin
            guard let bytes = servicesFile else { return }
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                let content = line.prefix { $0 != UInt8(ascii: "#") }
                let fields = content.split(omittingEmptySubsequences: true) { [0x20, 0x0D, 0x09, 0x0A].contains($0) }
                guard fields.count >= 2 else { continue }
                let portnet = Array(fields[1])
                var port = 0, i = 0
                var ok = true
                while i < portnet.count, (0x30...0x39).contains(portnet[i]) {
                    port = port * 10 + Int(portnet[i] - 0x30)
                    if port >= 0xFF_FFFF {
                        ok = false
                        break
                    }
                    i += 1
                }
                guard ok, i > 0, port > 0, i < portnet.count, portnet[i] == UInt8(ascii: "/") else { continue }
                let network = String(decoding: portnet[(i + 1)...], as: UTF8.self)
                for (n, field) in fields.enumerated() where n != 1 {
                    byNetwork[network, default: [:]][String(decoding: field, as: UTF8.self)] = port
                }
            }
        }

        /// The port Go's `lookupPortMap` finds for `service` on `network` (tcp or udp): the name lower-cased
        /// (ASCII) and compared with the table's names as written; a name longer than 25 bytes (Go's
        /// `maxPortBufSize`) is never found.
        public func lookup(_ network: String, _ service: String) -> Int? {
            guard service.utf8.count <= 25, let table = byNetwork[network] else { return nil }
            let lower = String(decoding: service.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
            return table[lower]
        }
    }

    /// Go's `SplitHostPort`: the host and port of `hostport`, or its error text.
    public static func splitHostPort(_ hostport: String) -> Result<(host: String, port: String), GoAddressError> {
        let b = Array(hostport.utf8)
        func error(_ why: String) -> Result<(host: String, port: String), GoAddressError> {
            .failure(GoAddressError(text: "address \(hostport): \(why)"))
        }
        guard let i = b.lastIndex(of: UInt8(ascii: ":")) else { return error("missing port in address") }
        var host: ArraySlice<UInt8>
        var j = 0, k = 0
        if b.first == UInt8(ascii: "[") {
            guard let end = b.firstIndex(of: UInt8(ascii: "]")) else { return error("missing ']' in address") }
            if end + 1 == b.count { return error("missing port in address") }
            if end + 1 != i { return error(b[end + 1] == UInt8(ascii: ":") ? "too many colons in address" : "missing port in address") }
            host = b[1..<end]
            j = 1
            k = end + 1
        } else {
            host = b[..<i]
            if host.contains(UInt8(ascii: ":")) { return error("too many colons in address") }
        }
        if b[j...].contains(UInt8(ascii: "[")) { return error("unexpected '[' in address") }
        if b[k...].contains(UInt8(ascii: "]")) { return error("unexpected ']' in address") }
        return .success((String(decoding: host, as: UTF8.self), String(decoding: b[(i + 1)...], as: UTF8.self)))
    }

    /// Go's `parsePort`: the value of a decimal port with an optional sign (clamped far outside 0–65535 when
    /// it is long), or nil when `service` holds anything else and must be looked up as a name.
    public static func parsePort(_ service: String) -> Int? {
        var digits = Substring(service)
        var negative = false
        if digits.first == "+" {
            digits = digits.dropFirst()
        } else if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        var n = 0
        for d in digits.utf8 {
            guard (0x30...0x39).contains(d) else { return nil }
            // Past 2^30 Go stops counting (it reads the rest as digits all the same): far outside any port.
            if n < 1 << 30 { n = n * 10 + Int(d - 0x30) }
        }
        n = min(n, 1 << 30)
        return negative ? -n : n
    }

    /// What `net.ListenPacket`/`net.Listen` on `network` (udp or tcp) makes of `address`, with the port
    /// names of `services`.
    public static func resolve(_ address: String, network: String, services: Services) -> Resolution {
        guard !address.isEmpty else { return .bound(host: "", port: 0) }
        let host: String, service: String
        switch splitHostPort(address) {
        case .failure(let e): return .refused(e.text)
        case .success(let split): (host, service) = split
        }
        let port: Int
        if let p = parsePort(service) {
            port = p
        } else if let p = services.lookup(network, service) {
            port = p
        } else {
            return .refused("lookup \(network)/\(service): unknown port")
        }
        guard (0...65535).contains(port) else { return .refused("address \(service): invalid port") }
        return .bound(host: host, port: UInt16(port))
    }

    /// Whether two servers of the same protocol and port bound on `a` and `b` (hosts as split) take the same
    /// addresses, so the second bind fails ("address already in use"). Go binds a wildcard (`""`, `0.0.0.0`,
    /// `::`) as one dual-stack IPv6 socket, which holds the port on every address; two different addresses do
    /// not meet. Nil when it cannot be told: a host name (resolved when the server starts) against another
    /// address, or a multicast address (Go sets SO_REUSEADDR on a multicast UDP socket, so several bind it).
    public static func sameAddresses(_ a: String, _ b: String) -> Bool? {
        let pa = IPAddress(a), pb = IPAddress(b)
        if pa?.isMulticast == true || pb?.isMulticast == true { return nil }
        if pa?.isWildcard == true || pb?.isWildcard == true || a.isEmpty || b.isEmpty { return true }
        guard let pa, let pb else { return a.lowercased() == b.lowercased() ? true : nil }
        // An IPv4 address and its IPv4-mapped IPv6 form are one address (a dual-stack socket takes both): both
        // are held in the mapped form.
        return pa == pb
    }

    /// An IP literal as Go's `ParseIP` takes one (IPv4 dotted, IPv6 with an optional zone), in 16 bytes.
    struct IPAddress: Equatable {
        var bytes: [UInt8]

        init?(_ text: String) {
            let bare = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
            var v4 = in_addr()
            var v6 = in6_addr()
            if !bare.contains(":"), inet_pton(AF_INET, bare, &v4) == 1 {
                let n = UInt32(bigEndian: v4.s_addr)
                bytes = Array(repeating: 0, count: 10) + [0xFF, 0xFF] + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: n >> $0) }
            } else if bare.contains(":"), inet_pton(AF_INET6, bare, &v6) == 1 {
                bytes = withUnsafeBytes(of: &v6) { Array($0) }
            } else {
                return nil
            }
        }

        var isV4: Bool { bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] }
        var isWildcard: Bool { bytes.allSatisfy { $0 == 0 } || (isV4 && bytes.suffix(4).allSatisfy { $0 == 0 }) }
        var isMulticast: Bool { isV4 ? bytes[12] & 0xF0 == 0xE0 : bytes[0] == 0xFF }
    }
}

/// Go's error for an address it refuses, as the collector logs it.
public struct GoAddressError: Error, Sendable, Equatable {
    public var text: String
}
