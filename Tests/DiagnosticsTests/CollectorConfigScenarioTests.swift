import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

/// Configs judged as the collector reads them: with go-yaml v2's refusals, from every `multi_config`
/// directory of NodeMan's main template.
@Suite("Collector configs as the collector reads them")
struct CollectorConfigScenarioTests {
    /// `levels` of ten aliases of the level before: bounded, and still refused by go-yaml v2.
    static func laughs(levels: Int) -> String {
        var lines = ["lol0: &lol0 [\"lol\"]"]
        for l in 1...levels {
            lines.append("lol\(l): &lol\(l) [" + Array(repeating: "*lol\(l - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(bytes))
        try h.close()
    }

    /// Dates a config an hour back: older than the running collector, so no reload is pending.
    static func backdate(_ path: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
    }

    /// `# 中文注释` in GBK.
    static let gbkComment: [UInt8] = [0x23, 0x20, 0xD6, 0xD0, 0xCE, 0xC4, 0xD7, 0xA2, 0xCA, 0xCD, 0x0A]

    @Test(
        "a main config go-yaml v2 refuses (a GBK comment, a bounded billion laughs) fails main_config with the parser's reason",
        arguments: [
            (gbkComment, "invalid trailing UTF-8 octet"), (Array(laughs(levels: 4).utf8), "document contains excessive aliasing"),
        ])
    func mainConfigRefused(appended: [UInt8], reason: String) async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let before = await runChecks(host, dataPort: port)
        #expect(before.verdict("bkunifylogbeat", "main_config") == .pass, "\(before.digest)")
        try Self.append(appended, to: host.mainConfigPath)
        let report = await runChecks(host, dataPort: port)
        let main = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(main.verdict == .fail)
        #expect(main.message.contains(reason), "\(main.message)")
    }

    @Test("subscription configs with a GBK comment or a bounded billion laughs fail config with the parser's reason")
    func subConfigRefused() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let gbk = try host.writeSubConfig(subscription: 601, paths: [host.logDir + "/app/*.log"])
        try Self.append(Self.gbkComment, to: gbk)
        let r1 = await runChecks(host, subscription: 601, dataPort: port)
        let c1 = try #require(r1.result(module: "bkunifylogbeat", item: "config"))
        #expect(c1.verdict == .fail)
        #expect(c1.message.contains("UTF-8"), "\(c1.message)")
        let bomb = try host.writeSubConfig(subscription: 602, paths: [host.logDir + "/app/*.log"])
        try Self.append(Array(Self.laughs(levels: 4).utf8), to: bomb)
        let r2 = await runChecks(host, subscription: 602, dataPort: port)
        let c2 = try #require(r2.result(module: "bkunifylogbeat", item: "config"))
        #expect(c2.verdict == .fail)
        #expect(c2.message.contains("excessive aliasing"), "\(c2.message)")
        // The same anchors used once each are fine.
        let tame = try host.writeSubConfig(subscription: 603, paths: [host.logDir + "/app/*.log"])
        try Self.append(Array("defaults: &d {encoding: utf-8}\nother:\n  <<: *d\n".utf8), to: tame)
        try Self.backdate(tame)
        let r3 = await runChecks(host, subscription: 603, dataPort: port)
        #expect(r3.verdict("bkunifylogbeat", "config") == .pass, "\(r3.message("bkunifylogbeat", "config"))")
    }

    @Test("a subscription whose config sits only in the template's bcs/ directory passes config and sets its file rules")
    func bcsConfig() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.makeLogFile("bcs/app.log.gz")
        let pattern = host.logDir + "/bcs/*"
        let path = try host.writeSubConfig(subscription: 4242, paths: [pattern], excludeFilesEmpty: true, subdir: "bcs")
        try Self.backdate(path)
        let report = await runChecks(host, subscription: 4242, logPaths: [pattern], dataPort: port)
        let config = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(config.verdict == .pass, "\(config.message)")
        let name = "bcs/" + (path as NSString).lastPathComponent
        #expect(config.message == "real_config_name: \(name)")
        #expect(config.evidence("files") == JSONValue([name]))
        // Its item turns the default exclude_files off, so the .gz file is collected.
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.evidence("rules") == .object([(pattern, .string(name + " item 0"))]))
        // A directory the main config does not list is not loaded: the same file there counts for nothing.
        try FileManager.default.createDirectory(atPath: host.subConfigDir + "/other", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: path, toPath: host.subConfigDir + "/other/" + (path as NSString).lastPathComponent)
        let none = await runChecks(host, subscription: 4242, dataPort: port)
        #expect(none.verdict("bkunifylogbeat", "config") == .fail)
        #expect(
            none.message("bkunifylogbeat", "config").hasPrefix(
                "no config file for subscription 4242 in \(host.subConfigDir), \(host.subConfigDir)/bcs"))
    }

    @Test("a config in bcs/ under a main config without the bcs entry (templates before 4057074): on disk, not loaded, and said so")
    func bcsNotListed() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let main = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        let withoutBCS = main.replacingOccurrences(of: "  - path: \(host.subConfigDir)/bcs\n    file_pattern: \"*.conf\"\n", with: "")
        #expect(withoutBCS != main)
        try host.writeRawMainConfig(withoutBCS)
        try host.writeSubConfig(subscription: 6161, paths: [host.logDir + "/app/*.log"], subdir: "bcs")
        let r = await runChecks(host, subscription: 6161, dataPort: port)
        let c = try #require(r.result(module: "bkunifylogbeat", item: "config"))
        #expect(c.verdict == .fail && c.message.contains("bcs/bkunifylogbeat_sub_6161_host_2000058532.conf is on disk"), "\(c.message)")
        #expect(c.hint.contains("multi_config"), "\(c.hint)")
    }

    @Test("a file held through a bcs/ config is that subscription's: its own for it, a conflict for any other")
    func bcsHeld() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile("shared/x.log")
        let pattern = host.logDir + "/shared/*.log"
        try host.writeSubConfig(subscription: 5151, paths: [pattern], subdir: "bcs")
        let holder = try host.startCollector(connect: false, hold: [file])
        let own = await runChecks(host, subscription: 5151, logPaths: [pattern], dataPort: port)
        let o = try #require(own.result(module: "log_path", item: "logpath_held"))
        #expect(o.verdict == .pass, "\(o.message)")
        #expect(o.message.contains("本订阅 5151"), "\(o.message)")
        let other = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        let h = try #require(other.result(module: "log_path", item: "logpath_held"))
        #expect(h.verdict == .fail)
        #expect(h.message == "文件被占用: \(file) (pid \(holder.pid), subscription 5151)", "\(h.message)")
    }

    @Test("the fake host renders NodeMan's main template: both multi_config paths, resource_limit, path.data, registry flush")
    func templateShape() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        #expect(try !String(contentsOfFile: host.mainConfigPath, encoding: .utf8).contains("resource_limit"))
        try host.writeMainConfig(resourceLimit: true)
        let text = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        let y = try YAMLNode.parse(text)
        let entries = y.lookup("bkunifylogbeat.multi_config")?.array ?? []
        #expect(entries.compactMap { $0["path"]?.string } == [host.subConfigDir, host.subConfigDir + "/bcs"])
        #expect(entries.compactMap { $0["file_pattern"]?.string } == ["*.conf", "*.conf"])
        #expect(y.lookup("resource_limit.enabled")?.string == "true")
        #expect(y.lookup("path.data")?.string == host.gseRoot + "/plugins/data")
        #expect(y.lookup("bkunifylogbeat.registry.flush")?.string == "10s")
        #expect(y.lookup("output.bkpipe_multi.endpoint")?.string == host.ipcPath)
    }

    /// A kafka item as NodeMan's `bkunifylogbeat_kafka.conf.tpl` renders it, its `ssl` the platform's dict as
    /// Jinja2 prints it.
    static func kafkaConfig(ssl: String) -> String {
        """
        local: 
            - dataid: 1500200
              type: kafka
              hosts: 
                - 10.0.0.1:9092
              topics: ['app']
              ssl: \(ssl)
              username: ''
              password: ''
              group_id: 'bkunifylogbeat_1500200'
              initial_offset: 'newest'
              delimiter: ''

        """
    }

    @Test(
        "a kafka item's ssl files the input cannot load (missing, a directory, empty, a certificate without its key) fail config, naming the file"
    )
    func kafkaTLSFiles() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let tls = host.gseRoot + "/plugins/etc/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
        for name in ["ca.pem", "client.pem", "client.key"] { try pem.write(toFile: tls + "/" + name, atomically: true, encoding: .utf8) }
        let config = host.subConfigDir + "/bkunifylogbeat_kafka_sub_701_host_1.conf"
        func judge(_ ssl: String) async throws -> (verdict: Verdict, message: String) {
            try Self.kafkaConfig(ssl: ssl).write(toFile: config, atomically: true, encoding: .utf8)
            try Self.backdate(config)
            let r = try #require(await runChecks(host, subscription: 701, dataPort: port).result(module: "bkunifylogbeat", item: "config"))
            return (r.verdict, r.message)
        }
        let all = "{'certificate_authorities': ['\(tls)/ca.pem'], 'certificate': '\(tls)/client.pem', 'key': '\(tls)/client.key'}"
        var r = try await judge(all)
        #expect(r.verdict == .pass, "\(r.message)")
        // A relative path is read from the collector's working directory, plugins/bin.
        r = try await judge("{'certificate_authorities': ['../etc/tls/ca.pem']}")
        #expect(r.verdict == .pass, "\(r.message)")
        r = try await judge("{'certificate_authorities': ['etc/tls/ca.pem']}")
        #expect(
            r.verdict == .fail && r.message.contains("kafka: ssl.certificate_authorities etc/tls/ca.pem does not exist"), "\(r.message)")

        // The key removed: the input cannot build its TLS config, and no task runs.
        try FileManager.default.removeItem(atPath: tls + "/client.key")
        r = try await judge(all)
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.contains("kafka: ssl.key \(tls)/client.key does not exist (the input cannot load it)"), "\(r.message)")
        // ssl.enabled: false loads nothing; a base64:// value is the PEM itself, not a file.
        r = try await judge(
            "{'enabled': false, 'certificate_authorities': ['\(tls)/ca.pem'], 'certificate': '\(tls)/client.pem', 'key': '\(tls)/client.key'}"
        )
        #expect(r.verdict == .pass, "\(r.message)")
        // An empty ssl.enabled (null, `~` or nothing after the colon) leaves the input's *bool nil: TLS stays on
        // and the missing key still refuses the item.
        r = try await judge("{'enabled': ~, 'certificate': '\(tls)/client.pem', 'key': '\(tls)/client.key'}")
        #expect(r.verdict == .fail && r.message.contains("kafka: ssl.key \(tls)/client.key does not exist"), "\(r.message)")
        r = try await judge("\n        enabled:\n        certificate: '\(tls)/client.pem'\n        key: '\(tls)/client.key'")
        #expect(r.verdict == .fail && r.message.contains("kafka: ssl.key \(tls)/client.key does not exist"), "\(r.message)")
        r = try await judge("{'certificate_authorities': ['base64://LS0tLS1CRUdJTg==']}")
        #expect(r.verdict == .pass, "\(r.message)")
        // Settings tlscommon refuses when the item is unpacked. The template prints the platform's dict as Python
        // does: True and False read as booleans, None as the text 'None'.
        r = try await judge(
            "{'enabled': True, 'verification_mode': 'none', 'supported_protocols': ['TLSv1.2', 'TLSv1.1'], 'certificate_authorities': ['\(tls)/ca.pem']}"
        )
        #expect(r.verdict == .pass, "\(r.message)")
        r = try await judge("{'enabled': None, 'certificate_authorities': ['\(tls)/ca.pem']}")
        #expect(
            r.verdict == .fail && r.message.contains("kafka: ssl.enabled 'None' is not a boolean the collector can read"), "\(r.message)")
        r = try await judge("{'verification_mode': 'certificate'}")
        #expect(r.verdict == .fail && r.message.contains("kafka: ssl.verification_mode 'certificate' is not full or none"), "\(r.message)")
        r = try await judge("{'verification_mode': False}")
        #expect(r.verdict == .fail && r.message.contains("kafka: ssl.verification_mode false is not text"), "\(r.message)")
        r = try await judge("{'supported_protocols': ['TLSv1.3']}")
        #expect(
            r.verdict == .fail && r.message.contains("kafka: ssl.supported_protocols entry 'TLSv1.3' is not one of SSLv3"), "\(r.message)")
        r = try await judge("{'verification_mode': ~, 'supported_protocols': 'TLSv1.2'}")
        #expect(r.verdict == .pass, "\(r.message)")
        // A certificate without its key.
        r = try await judge("{'certificate': '\(tls)/client.pem'}")
        #expect(r.verdict == .fail && r.message.contains("kafka: ssl.certificate \(tls)/client.pem without ssl.key"), "\(r.message)")

        // A directory, and an empty file, where a CA file belongs.
        try FileManager.default.createDirectory(atPath: tls + "/ca.d", withIntermediateDirectories: false)
        r = try await judge("{'certificate_authorities': ['\(tls)/ca.pem', '\(tls)/ca.d']}")
        #expect(
            r.verdict == .fail && r.message.contains("ssl.certificate_authorities \(tls)/ca.d is a directory, not a regular file"),
            "\(r.message)")
        try "".write(toFile: tls + "/empty.pem", atomically: true, encoding: .utf8)
        r = try await judge("{'certificate_authorities': '\(tls)/empty.pem'}")
        #expect(
            r.verdict == .fail && r.message.contains("ssl.certificate_authorities \(tls)/empty.pem is empty (no PEM block)"), "\(r.message)"
        )
        // pem.Decode finds a block only at the start of a line: CRLF lines and blank lines before it load; a
        // BEGIN line indented by spaces, or a CA file holding only a key, loads no certificate.
        try pem.replacingOccurrences(of: "\n", with: "\r\n").write(toFile: tls + "/crlf.pem", atomically: true, encoding: .utf8)
        try ("\n  \n" + pem).write(toFile: tls + "/blank.pem", atomically: true, encoding: .utf8)
        r = try await judge("{'certificate_authorities': ['\(tls)/crlf.pem', '\(tls)/blank.pem']}")
        #expect(r.verdict == .pass, "\(r.message)")
        try ("   " + pem).write(toFile: tls + "/indented.pem", atomically: true, encoding: .utf8)
        r = try await judge("{'certificate_authorities': ['\(tls)/indented.pem']}")
        #expect(
            r.verdict == .fail && r.message.contains("ssl.certificate_authorities \(tls)/indented.pem holds no PEM block"), "\(r.message)")
        let key = "-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n"
        try key.write(toFile: tls + "/only.key", atomically: true, encoding: .utf8)
        r = try await judge("{'certificate_authorities': ['\(tls)/only.key']}")
        #expect(
            r.verdict == .fail && r.message.contains("ssl.certificate_authorities \(tls)/only.key holds no CERTIFICATE PEM block"),
            "\(r.message)")

        // The subscription's only item refused: nothing is collected for it.
        let progress = try #require(
            await runChecks(host, subscription: 701, dataPort: port).result(module: "log_progress", item: "logpath_progress"))
        #expect(progress.verdict == .fail, "\(progress.message)")
    }

    /// Syslog items as NodeMan's `bkunifylogbeat_syslog.conf.tpl` renders their server: `(dataid, host)` each.
    static func syslogConfig(_ items: [(Int, String)]) -> String {
        "local: \n" + items.map { "    - dataid: \($0.0)\n      type: syslog\n      protocol.udp:\n        host: \"\($0.1)\"\n" }.joined()
            + "\n"
    }

    @Test(
        "syslog items on one udp port with overlapping addresses fail config, naming both items and the address, in one config or two subscriptions'; distinct addresses pass"
    )
    func syslogSharedPort() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let mine = host.subConfigDir + "/bkunifylogbeat_syslog_sub_801_host_1.conf"
        let other = host.subConfigDir + "/bkunifylogbeat_syslog_sub_802_host_1.conf"
        func write(_ path: String, _ items: [(Int, String)]) throws {
            try Self.syslogConfig(items).write(toFile: path, atomically: true, encoding: .utf8)
            try Self.backdate(path)
        }
        func judge() async throws -> CheckResult {
            try #require(await runChecks(host, subscription: 801, dataPort: port).result(module: "bkunifylogbeat", item: "config"))
        }
        // Two items of one config, one on every address of the port the other names an address of.
        try write(mine, [(1_500_301, "127.0.0.1:5140"), (1_500_302, "0.0.0.0:5140")])
        var r = try await judge()
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.contains(
                "udp 127.0.0.1:5140 (bkunifylogbeat_syslog_sub_801_host_1.conf item 0, dataid 1500301) shares udp port 5140 with udp 0.0.0.0:5140 (bkunifylogbeat_syslog_sub_801_host_1.conf item 1, dataid 1500302): only one input binds it"
            ), "\(r.message)")
        #expect(r.hint.contains("同一端口"), "\(r.hint)")
        // On two addresses of the port: both bind.
        try write(mine, [(1_500_301, "127.0.0.1:5140"), (1_500_302, "127.0.0.2:5140")])
        r = try await judge()
        #expect(r.verdict == .pass, "\(r.message)")
        // Another subscription's item on every address of it (`:5140`, an empty host): one of the two never binds.
        try write(other, [(1_500_401, ":5140")])
        r = try await judge()
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.contains(
                "udp 127.0.0.2:5140 (bkunifylogbeat_syslog_sub_801_host_1.conf item 1, dataid 1500302) shares udp port 5140 with udp :5140 (bkunifylogbeat_syslog_sub_802_host_1.conf item 0, dataid 1500401)"
            ), "\(r.message)")
        // The other item on tcp: another protocol's port.
        try Self.syslogConfig([(1_500_401, ":5140")]).replacingOccurrences(of: "protocol.udp", with: "protocol.tcp").write(
            toFile: other, atomically: true, encoding: .utf8)
        try Self.backdate(other)
        r = try await judge()
        #expect(r.verdict == .pass, "\(r.message)")
    }

    @Test(
        "an emptied main config (0 bytes, whitespace, comments only) keeps check.py's message and says the file holds no settings",
        arguments: [
            ("", "is empty (0 bytes)"), ("\n  \n", "is empty (4 bytes of whitespace only)"),
            ("# bkunifylogbeat main config\n# pushed by NodeMan\n\n", "holds no settings (50 bytes of comments and blank lines only)"),
            ("# main\n{}\n", "holds no settings (an empty YAML document: {})"),
            ("---\n# nothing\n", "holds no settings (an empty YAML document: ---)"),
        ])
    func emptiedMainConfig(text: String, said: String) async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.writeRawMainConfig(text)
        let report = await runChecks(host, dataPort: port)
        let main = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(main.verdict == .fail)
        #expect(main.message.hasPrefix("multi_config not have path ["), "\(main.message)")
        #expect(
            main.message.contains("]: main config \(host.mainConfigPath) \(said); the collector loads no subscription config"),
            "\(main.message)")
        #expect(main.hint.contains("重新下发 bkunifylogbeat 插件配置") && main.hint.contains("重新安装插件"), "\(main.hint)")
        #expect(main.evidence("blank") == .string(String(said)))
    }

    /// A kafka sub-config as bkunifylogbeat's `bkunifylogbeat_kafka.conf.tpl` renders it (its blank lines, the
    /// values it puts in single quotes unescaped) for one item with `password`.
    static func renderedKafka(password: String) -> String {
        [
            "local: ", "    - dataid: 1500123", "", "      type: kafka", "", "      hosts: ['10.0.0.1:9092']", "", "      topics: ['app']",
            "",
            "      ", "      username: 'bk'", "      password: '\(password)'", "", "      group_id: 'bkunifylogbeat_1500123'", "",
            "      initial_offset: 'newest'", "", "      delimiter: ''", "      ", "", "      ", "", "      ", "", "",
        ].joined(separator: "\n")
    }

    @Test(
        "a value with a ' that the template writes between single quotes (kafka's password, a path) fails config naming the key, not the value"
    )
    func unescapedQuote() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let name = "bkunifylogbeat_kafka_sub_602_host_1.conf"
        // The same value doubled ('') is what YAML reads as one quote: that config is taken.
        try Self.renderedKafka(password: "pa''ss").write(toFile: host.subConfigDir + "/" + name, atomically: true, encoding: .utf8)
        try Self.backdate(host.subConfigDir + "/" + name)
        let fine = await runChecks(host, subscription: 602, dataPort: port)
        #expect(fine.verdict("bkunifylogbeat", "config") == .pass, "\(fine.message("bkunifylogbeat", "config"))")

        try Self.renderedKafka(password: "pa'ss").write(toFile: host.subConfigDir + "/" + name, atomically: true, encoding: .utf8)
        let r = await runChecks(host, subscription: 602, dataPort: port)
        let c = try #require(r.result(module: "bkunifylogbeat", item: "config"))
        #expect(c.verdict == .fail)
        #expect(
            c.message.hasPrefix(
                "real_config_name: \(name); \(name): line 12: the value of password holds a ' (single quote) that the plugin's config template does not escape: it writes the value between single quotes, where a ' must be doubled (''), so the file is not YAML and the collector skips it ("
            ), "\(c.message)")
        #expect(!c.message.contains("pa'ss") && !c.hint.contains("pa'ss"), "the password is not shown")
        #expect(c.hint.contains("password 的值含有单引号") && c.hint.contains("重新下发"), "\(c.hint)")
        #expect(c.evidence("unescaped_quote_in") == JSONValue(["password"]))

        // Ending with the quote: with the closing one it reads as an escaped '', the value runs on to the next
        // quote and the parser stops lines further down; the value is still the one named.
        try Self.renderedKafka(password: "pass'").write(toFile: host.subConfigDir + "/" + name, atomically: true, encoding: .utf8)
        let end = await runChecks(host, subscription: 602, dataPort: port)
        let e = try #require(end.result(module: "bkunifylogbeat", item: "config"))
        #expect(e.verdict == .fail)
        #expect(e.message.contains("\(name): line 12: the value of password holds a ' (single quote)"), "\(e.message)")
        #expect(!e.message.contains("YAML error at line 12,"), "\(e.message)")

        // A path with a ' in it, as the log template renders paths (`- '{{ path }}'`): named as an item of paths.
        let paths = try host.writeSubConfig(subscription: 603, paths: [host.logDir + "/app/*.log"])
        let text = try String(contentsOfFile: paths, encoding: .utf8)
        try text.replacingOccurrences(of: "'\(host.logDir)/app/*.log'", with: "'\(host.logDir)/it's/*.log'")
            .write(toFile: paths, atomically: true, encoding: .utf8)
        let p = await runChecks(host, subscription: 603, dataPort: port)
        let pc = try #require(p.result(module: "bkunifylogbeat", item: "config"))
        #expect(pc.verdict == .fail)
        #expect(pc.message.contains("line 4: the value of an item of paths holds a ' (single quote)"), "\(pc.message)")
    }

    /// The log template writes `ext_meta` and `labels` values as `{{ key }}: "{{ value }}"`, unescaped: bk-log's
    /// extra labels with a Windows-style path or a quote render a file the collector skips. The message named only
    /// libyaml's "found unknown escape character" / "did not find expected key", with the generic hint to fix the
    /// item and deliver it again (the same file comes back).
    @Test("a value with a \" or a stray \\ that the template writes between double quotes (ext_meta, labels) fails naming the key")
    func unescapedDoubleQuote() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let config = try host.writeSubConfig(
            subscription: 604, paths: [host.logDir + "/app/*.log"], extra: ["ext_meta:", #"  env: "prod""#, #"  dir: "D:\data""#])
        let r = await runChecks(host, subscription: 604, dataPort: port)
        let c = try #require(r.result(module: "bkunifylogbeat", item: "config"))
        let name = (config as NSString).lastPathComponent
        #expect(c.verdict == .fail)
        #expect(
            c.message.contains(
                #"\#(name): line 16: the value of ext_meta.dir holds a \ (backslash) that the plugin's config template does not escape: it writes the value between double quotes"#
            ), "\(c.message)")
        #expect(!c.message.contains("D:"), "the value is not shown: \(c.message)")
        #expect(c.hint.contains("ext_meta.dir 的值含有双引号") && c.hint.contains("重新下发仍会复现"), "\(c.hint)")
        #expect(c.evidence("unescaped_quote_in") == JSONValue(["ext_meta.dir"]))
        // A quote inside the value ends it early.
        try host.writeSubConfig(
            subscription: 604, paths: [host.logDir + "/app/*.log"], extra: ["ext_meta:", #"  note: "say "hi"""#])
        let q = await runChecks(host, subscription: 604, dataPort: port)
        #expect(
            q.message("bkunifylogbeat", "config").contains(#"the value of ext_meta.note holds a " (double quote)"#),
            "\(q.message("bkunifylogbeat", "config"))")
    }

    /// The collector parses its configs with go-yaml v2, which reads `\'` between double quotes as a quote and refuses
    /// `\/`; libyaml, which bkdiag parses with, does the opposite. A label `it\'s` failed the config ("the collector
    /// skips it") while the collector loads it; `D:\/data` passed while the collector skips the file.
    @Test("double-quoted \\' and \\/ in ext_meta are judged as the collector's go-yaml v2 reads them")
    func doubleQuotedEscapesAsGoYAML() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.writeSubConfig(
            subscription: 605, paths: [host.logDir + "/app/*.log"], extra: ["ext_meta:", #"  note: "it\'s""#])
        let ok = await runChecks(host, subscription: 605, dataPort: port)
        let c = try #require(ok.result(module: "bkunifylogbeat", item: "config"))
        #expect(c.verdict == .pass, "\(c.message) \(c.hint)")
        try host.writeSubConfig(
            subscription: 605, paths: [host.logDir + "/app/*.log"], extra: ["ext_meta:", #"  dir: "D:\/data""#])
        let bad = await runChecks(host, subscription: 605, dataPort: port)
        let b = try #require(bad.result(module: "bkunifylogbeat", item: "config"))
        #expect(b.verdict == .fail, "\(b.message)")
        #expect(b.message.contains("the value of ext_meta.dir holds a \\ (backslash)"), "\(b.message)")
        #expect(b.evidence("unescaped_quote_in") == JSONValue(["ext_meta.dir"]))
    }

    @Test func doubleQuotedValuesHoldOnlyYAMLEscapes() {
        func defect(_ text: String) -> SubscriptionConfigRead.QuoteDefect? {
            SubscriptionConfigRead.doubleQuoteDefect(Array(text.utf8), errorLine: text.split(separator: "\n").count)
        }
        #expect(defect(#"a: "x\\y\n\t\"z""# + "\nb: [1,\n") == nil)
        #expect(defect("a: \"plain\"\nb: [1,\n") == nil)
        // The collector's go-yaml v2 reads \' as a quote and refuses \/ (libyaml does the opposite).
        #expect(defect("a: \"it\\'s\"\nb: [1,\n") == nil)
        // A value closed with a comment after it is whole, whatever quotes the comment holds.
        #expect(defect("a: \"x\" # say \"hi\"\nb: [1,\n") == nil)
        #expect(
            defect("ext_meta:\n  dir: \"D:\\/data\"\n")
                == SubscriptionConfigRead.QuoteDefect(line: 2, key: "ext_meta.dir", doubleQuoted: "a \\ (backslash)"))
        #expect(
            defect("ext_meta:\n  dir: \"D:\\data\"\n")
                == SubscriptionConfigRead.QuoteDefect(line: 2, key: "ext_meta.dir", doubleQuoted: "a \\ (backslash)"))
        #expect(
            defect("protocol.udp:\n  host: \"a\"b\"\n")
                == SubscriptionConfigRead.QuoteDefect(line: 2, key: "protocol.udp.host", doubleQuoted: "a \" (double quote)"))
    }

    /// The quote finder reads a single-quoted value as YAML does: a value closed at the end of its line, or
    /// followed only by a comment (which may hold quotes), is whole; one closed early, or running past its line,
    /// is the template's unescaped quote.
    @Test func singleQuotedValuesEndWhereYAMLEndsThem() {
        func defect(_ text: String) -> SubscriptionConfigRead.QuoteDefect? {
            SubscriptionConfigRead.singleQuoteDefect(Array(text.utf8), errorLine: text.split(separator: "\n").count)
        }
        #expect(defect("a: 'x' # it's a note'\nb: [1,\n") == nil)
        #expect(defect("a: 'it''s' # fine'\nb: [1,\n") == nil)
        #expect(defect("a: 'pa''ss'\nb: [1,\n") == nil)
        #expect(defect("a: 'pa'ss'\n") == SubscriptionConfigRead.QuoteDefect(line: 1, key: "a"))
        #expect(defect("x: 1\npassword: 'pass''\nb: 2\n") == SubscriptionConfigRead.QuoteDefect(line: 2, key: "password"))
        #expect(defect("a: 'x'#c'\n") == SubscriptionConfigRead.QuoteDefect(line: 1, key: "a"))
        #expect(defect("paths:\n  - 'a'b'\n") == SubscriptionConfigRead.QuoteDefect(line: 2, key: "an item of paths"))
    }

    @Test(
        "config names and held file names holding a newline are shown escaped in logpath_held's message, kept as they are in its evidence")
    func newlineInNames() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile("shared/a\nb.log")
        let pattern = host.logDir + "/shared/*.log"
        let config = "custom\nfrom-hand.conf"
        try "local:\n  - dataid: 9\n    paths: ['\(pattern)']\n".write(
            toFile: host.subConfigDir + "/" + config, atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: host.subConfigDir + "/" + config))
        let holder = try host.startCollector(connect: false, hold: [file])
        let r = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        let h = try #require(r.result(module: "log_path", item: "logpath_held"))
        #expect(h.verdict == .fail, "\(h.message)")
        #expect(
            h.message == "文件被占用: \(host.logDir)/shared/a\\nb.log (pid \(holder.pid), config custom\\nfrom-hand.conf, not from NodeMan)",
            "\(h.message)")
        #expect(!h.message.contains("\n"))
        let held = h.evidence("held")?.arrayValue?.first
        #expect(held?.objectValue?.first { $0.0 == "configs_not_from_nodeman" }?.1 == JSONValue([config]), "\(String(describing: held))")
    }

    @Test("a matched file name holding a newline is shown escaped in logpath_match's pass message, kept as it is in its evidence")
    func newlineInMatchedName() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile("nl/a\nb.log")
        let pattern = host.logDir + "/nl/*.log"
        let r = await runChecks(host, logPaths: [pattern], dataPort: port)
        let m = try #require(r.result(module: "log_path", item: "logpath_match"))
        #expect(m.verdict == .pass, "\(m.message)")
        #expect(m.message == "所有路径检查通过: \(host.logDir)/nl/a\\nb.log", "\(m.message)")
        #expect(!m.message.contains("\n"))
        #expect(m.evidence("first_matches") == JSONValue([file]), "\(m.evidence)")
    }
}
