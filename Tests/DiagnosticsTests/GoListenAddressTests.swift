import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

/// A syslog item's `protocol.<udp|tcp>.host` as Go's net package reads it (net/ipsock.go `SplitHostPort`,
/// net/port.go `parsePort`, net/lookup.go `LookupPort` and its `services` table, net/port_unix.go `readServices`).
@Suite("A syslog server's address, read as Go's net package reads it")
struct GoListenAddressTests {
    /// A services file in the shape of the host's (netbase): names, aliases, comments, blank lines, CRLF.
    static let servicesFile = Array(
        """
        # Network services, Internet style
        tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
        syslog\t\t514/udp
        shell\t\t514/tcp\t\tcmd\t\t# no passwords used
        http\t\t8080/tcp\t\twww   # overrides Go's own http 80
        Mixed\t\t7000/udp
        big\t\t70000/udp
        huge\t\t16777216/udp
        zero\t\t0/udp
        noslash\t\t600udp
        bare
        crlf\t\t6514/udp\r
        dup\t\t1111/udp
        dup\t\t2222/udp
        averyveryverylongservicename1 3333/udp

        """.utf8)

    static let services = GoListenAddress.Services(servicesFile: servicesFile)

    func resolve(_ text: String, _ network: String = "udp", _ services: GoListenAddress.Services = Self.services)
        -> GoListenAddress.Resolution
    {
        GoListenAddress.resolve(text, network: network, services: services)
    }

    @Test("SplitHostPort: the port after the last colon, an IPv6 host in brackets, Go's errors word for word")
    func split() {
        let table: [(String, GoListenAddress.Resolution)] = [
            ("127.0.0.1:514", .bound(host: "127.0.0.1", port: 514)),
            ("0.0.0.0:514", .bound(host: "0.0.0.0", port: 514)),
            (":514", .bound(host: "", port: 514)),
            ("[::1]:514", .bound(host: "::1", port: 514)),
            ("[fe80::1%eth0]:514", .bound(host: "fe80::1%eth0", port: 514)),
            ("localhost:514", .bound(host: "localhost", port: 514)),
            ("127.0.0.1", .refused("address 127.0.0.1: missing port in address")),
            ("::1:514", .refused("address ::1:514: too many colons in address")),
            ("[::1]", .refused("address [::1]: missing port in address")),
            ("[::1]x:514", .refused("address [::1]x:514: missing port in address")),
            ("[::1]::514", .refused("address [::1]::514: too many colons in address")),
            ("[::1:514", .refused("address [::1:514: missing ']' in address")),
            ("a[b:514", .refused("address a[b:514: unexpected '[' in address")),
            ("a]b:514", .refused("address a]b:514: unexpected ']' in address")),
        ]
        for (text, want) in table { #expect(resolve(text) == want, "\(text)") }
    }

    @Test("parsePort: decimal with an optional sign, empty or a lone sign is 0, outside 0-65535 is invalid")
    func numbers() {
        let table: [(String, GoListenAddress.Resolution)] = [
            ("h:0", .bound(host: "h", port: 0)),
            ("h:", .bound(host: "h", port: 0)),
            ("h:+", .bound(host: "h", port: 0)),
            ("h:-", .bound(host: "h", port: 0)),
            ("h:-0", .bound(host: "h", port: 0)),
            ("h:+514", .bound(host: "h", port: 514)),
            ("h:00514", .bound(host: "h", port: 514)),
            ("h:65535", .bound(host: "h", port: 65535)),
            ("h:65536", .refused("address 65536: invalid port")),
            ("h:-1", .refused("address -1: invalid port")),
            ("h:99999999999999999999", .refused("address 99999999999999999999: invalid port")),
            ("h:-99999999999999999999", .refused("address -99999999999999999999: invalid port")),
            // Not all digits: a service name, looked up (and unknown).
            ("h:514 ", .refused("lookup udp/514 : unknown port")),
            ("h:++514", .refused("lookup udp/++514: unknown port")),
            ("h:5x", .refused("lookup udp/5x: unknown port")),
        ]
        for (text, want) in table { #expect(resolve(text) == want, "\(text)") }
        // An empty address: no split, the wildcard on port 0.
        #expect(resolve("") == .bound(host: "", port: 0))
    }

    @Test("a service name: the host's /etc/services for that network, over Go's built-in table, as readServices reads it")
    func names() {
        let table: [(String, String, GoListenAddress.Resolution)] = [
            ("0.0.0.0:syslog", "udp", .bound(host: "0.0.0.0", port: 514)),
            // The query is lower-cased, the file's names are kept as written.
            ("0.0.0.0:SYSLOG", "udp", .bound(host: "0.0.0.0", port: 514)),
            ("0.0.0.0:Mixed", "udp", .refused("lookup udp/Mixed: unknown port")),
            ("0.0.0.0:mixed", "udp", .refused("lookup udp/mixed: unknown port")),
            // For its network only: syslog is udp in the file.
            ("0.0.0.0:syslog", "tcp", .refused("lookup tcp/syslog: unknown port")),
            // An alias, and the file over Go's own http 80.
            ("0.0.0.0:cmd", "tcp", .bound(host: "0.0.0.0", port: 514)),
            ("0.0.0.0:http", "tcp", .bound(host: "0.0.0.0", port: 8080)),
            // Go's built-in entries without the file's: domain/udp 53, ssh/tcp 22.
            ("0.0.0.0:domain", "udp", .bound(host: "0.0.0.0", port: 53)),
            ("0.0.0.0:ssh", "tcp", .bound(host: "0.0.0.0", port: 22)),
            // A port the file gives past 65535 is invalid; lines Go skips are not names.
            ("0.0.0.0:big", "udp", .refused("address big: invalid port")),
            ("0.0.0.0:huge", "udp", .refused("lookup udp/huge: unknown port")),
            ("0.0.0.0:zero", "udp", .refused("lookup udp/zero: unknown port")),
            ("0.0.0.0:noslash", "udp", .refused("lookup udp/noslash: unknown port")),
            ("0.0.0.0:bare", "udp", .refused("lookup udp/bare: unknown port")),
            ("0.0.0.0:crlf", "udp", .bound(host: "0.0.0.0", port: 6514)),
            // A later line overrides an earlier one; a name past 25 bytes is never found.
            ("0.0.0.0:dup", "udp", .bound(host: "0.0.0.0", port: 2222)),
            ("0.0.0.0:averyveryverylongservicename1", "udp", .refused("lookup udp/averyveryverylongservicename1: unknown port")),
        ]
        for (text, network, want) in table { #expect(resolve(text, network) == want, "\(network) \(text)") }
        // Without the file (none on the host): Go's own table only.
        let builtin = GoListenAddress.Services(servicesFile: nil)
        #expect(resolve("0.0.0.0:syslog", "udp", builtin) == .refused("lookup udp/syslog: unknown port"))
        #expect(resolve("0.0.0.0:http", "tcp", builtin) == .bound(host: "0.0.0.0", port: 80))
    }

    @Test("which addresses two servers on one port both take: a wildcard takes them all, distinct addresses none")
    func sameAddresses() {
        #expect(GoListenAddress.sameAddresses("0.0.0.0", "10.0.0.5") == true)
        #expect(GoListenAddress.sameAddresses("", "127.0.0.1") == true)
        #expect(GoListenAddress.sameAddresses("::", "10.0.0.5") == true)
        #expect(GoListenAddress.sameAddresses("127.0.0.1", "127.0.0.1") == true)
        #expect(GoListenAddress.sameAddresses("10.0.0.5", "::ffff:10.0.0.5") == true)
        #expect(GoListenAddress.sameAddresses("127.0.0.1", "10.0.0.5") == false)
        #expect(GoListenAddress.sameAddresses("::1", "127.0.0.1") == false)
        // A name against an address is resolved only when the server starts; multicast sockets share the port.
        #expect(GoListenAddress.sameAddresses("localhost", "127.0.0.1") == nil)
        #expect(GoListenAddress.sameAddresses("localhost", "LOCALHOST") == true)
        #expect(GoListenAddress.sameAddresses("239.1.1.1", "0.0.0.0") == nil)
    }

    /// bkunifylogbeat/config reads the port names from the host's /etc/services (under the host root).
    @Test("the config check: a service name the host's /etc/services knows is taken, one it does not know or a port Go refuses fails")
    func configCheck() {
        func check(_ host: String, services: String?) -> Finding {
            let h = Fixture.facts(subscription: 33561)
            if let services { h.files["/etc/services"] = Array(services.utf8) }
            Fixture.subscriptionConfigs(
                h,
                yaml: [
                    (
                        "bkunifylogbeat_syslog_sub_33561_host_1.conf",
                        "local:\n  - dataid: 5\n    type: syslog\n    protocol.udp:\n      host: \"\(host)\"\n"
                    )
                ])
            return SubscriptionConfigCheck().run(h)
        }
        let named = check("0.0.0.0:syslog", services: "syslog 514/udp\n")
        #expect(named.verdict == .pass, "\(named.message)")
        let unknown = check("0.0.0.0:syslog", services: nil)
        #expect(
            unknown.verdict == .fail && unknown.message.contains("\"lookup udp/syslog: unknown port\"")
                && unknown.message.contains("the input never listens"), "\(unknown.message)")
        let invalid = check("0.0.0.0:70000", services: nil)
        #expect(invalid.verdict == .fail && invalid.message.contains("\"address 70000: invalid port\""), "\(invalid.message)")
        let missing = check("0.0.0.0", services: nil)
        #expect(
            missing.verdict == .fail && missing.message.contains("\"address 0.0.0.0: missing port in address\""), "\(missing.message)")
        let ephemeral = check("0.0.0.0:", services: nil)
        #expect(ephemeral.verdict == .pass, "\(ephemeral.message)")
    }
}
