import Report

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Which hosts `fast_execute_script` runs on.
public enum JobTarget: Sendable, Equatable {
    /// `ip_list`: cloud id and IPv4 or IPv6 address.
    case hosts([HostAddress])
    case hostIDs([Int64])
    /// `topo_node_list`: `{id, node_type}` (node_type e.g. `module`, `set`, `biz`).
    case topoNodes([TopoNode])
    /// `dynamic_group_list`: `{id}`.
    case dynamicGroups([String])

    public struct HostAddress: Sendable, Equatable {
        public var cloudID: Int64
        public var ip: String
        public init(cloudID: Int64, ip: String) {
            self.cloudID = cloudID
            self.ip = ip
        }
    }

    public struct TopoNode: Sendable, Equatable {
        public var id: Int64
        public var type: String
        public init(id: Int64, type: String) {
            self.id = id
            self.type = type
        }
    }

    /// The `target_server` member.
    public var json: JSONValue {
        switch self {
        case .hosts(let hs):
            return .object([
                (
                    "ip_list",
                    .array(
                        hs.map { h in
                            h.ip.contains(":")
                                ? .object([("bk_cloud_id", .int(h.cloudID)), ("ipv6", .string(h.ip))])
                                : .object([("bk_cloud_id", .int(h.cloudID)), ("ip", .string(h.ip))])
                        })
                )
            ])
        case .hostIDs(let ids):
            return .object([("host_id_list", .array(ids.map(JSONValue.int)))])
        case .topoNodes(let nodes):
            return .object([("topo_node_list", .array(nodes.map { .object([("id", .int($0.id)), ("node_type", .string($0.type))]) }))])
        case .dynamicGroups(let ids):
            return .object([("dynamic_group_list", .array(ids.map { .object([("id", .string($0))]) }))])
        }
    }

    /// Parses `10.0.0.1`, `0:10.0.0.1`, `2:[fe80::1]`, `fe80::1` (cloud 0).
    public static func parseHost(_ text: String) throws(FleetError) -> HostAddress {
        let t = text.trimmed(" \t\r")
        if t.isEmpty { throw FleetError("target.host", "empty host entry; write cloud:ip or ip") }
        if let open = t.firstIndex(of: "["), t.hasSuffix("]") {
            let cloud = t[..<open].hasSuffix(":") ? Int64(t[..<open].dropLast()) : (open == t.startIndex ? 0 : nil)
            guard let c = cloud else { throw FleetError("target.host", "\(t): cloud id is not a number; write 0:[fe80::1]") }
            let ip = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
            guard isAddress(ip, family: AF_INET6) else { throw notAnAddress(t, ip) }
            return HostAddress(cloudID: c, ip: ip)
        }
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let c = Int64(parts[0]), !parts[1].isEmpty else {
                throw FleetError("target.host", "\(t): write cloud:ip with a numeric cloud id, e.g. 0:10.0.0.1")
            }
            guard isAddress(String(parts[1]), family: AF_INET) else { throw notAnAddress(t, String(parts[1])) }
            return HostAddress(cloudID: c, ip: String(parts[1]))
        }
        // An IPv6 address alone (cloud 0); with a cloud id it is written in brackets, 2:[fe80::1].
        guard isAddress(t, family: AF_INET) || isAddress(t, family: AF_INET6) else { throw notAnAddress(t, t) }
        return HostAddress(cloudID: 0, ip: t)
    }

    /// Whether `text` is an address of `family` as the kernel reads one (inet_pton).
    static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    static func notAnAddress(_ entry: String, _ ip: String) -> FleetError {
        FleetError(
            "target.host",
            "\(entry): \(ip) is not an IPv4 or IPv6 address; write cloud:ip (0:10.0.0.1), an ip, or cloud:[ipv6] (0:[fe80::1])")
    }

    /// Parses `module:12` / `set:3` (type:id) or a bare id (a module).
    public static func parseTopoNode(_ text: String) throws(FleetError) -> TopoNode {
        let parts = text.split(separator: ":")
        if parts.count == 2, let id = Int64(parts[1]) { return TopoNode(id: id, type: String(parts[0])) }
        if parts.count == 1, let id = Int64(parts[0]) { return TopoNode(id: id, type: "module") }
        throw FleetError("target.topo", "\(text): write node_type:id, e.g. module:12 or set:3")
    }
}

extension String {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
