import Daemon
import Testing

@Suite struct DaemonConfigTests {
    @Test func parsesEveryKeyWithCommentsQuotesAndSuffixes() throws {
        let text = """
            ---
            # bkdiag daemon
            interval: 90s   # a comment
            gse_path: "/usr/local/gse #1/"
            subscription_id: 123
            ipc_socket_file: '/var/run/ipc.state.report'
            collector_config_id: 45
            log_paths: /var/log/a.log, /data/*.log
            deadline: 2.5
            socket: /run/bkdiag/x.sock
            socket_group: root
            socket_mode: 0600
            state_dir: /var/lib/bkdiag2
            history_max_reports: 500
            history_max_bytes: 8M
            host_root: /
            restart_log: /var/log/bkc.log
            data_port: 28625
            agent_healthz: no

            """
        let settings = try DaemonConfig.parse(text, file: "/etc/bkdiag/bkdiag.yaml")
        #expect(settings.first?.origin == "/etc/bkdiag/bkdiag.yaml:3")
        var c = DaemonConfig()
        for s in settings { try c.apply(s) }
        #expect(c.interval == 90)
        #expect(c.checkOptions.gsePath == "/usr/local/gse #1/")
        #expect(c.checkOptions.ipcSocketFile == "/var/run/ipc.state.report")
        #expect(c.checkOptions.collectorConfigID == 45)
        #expect(c.checkOptions.logPaths == ["/var/log/a.log", "/data/*.log"])
        #expect(c.checkOptions.restartLog == "/var/log/bkc.log")
        #expect(c.checkOptions.dataPort == 28625)
        #expect(c.checkOptions.runAgentHealthz == false)
        #expect(c.socketPath == "/run/bkdiag/x.sock")
        #expect(c.socketGroup == "root")
        #expect(c.socketMode == 0o600)
        #expect(c.stateDir == "/var/lib/bkdiag2")
        #expect(c.historyMaxReports == 500)
        #expect(c.historyMaxBytes == 8 << 20)
        #expect(c.checkOptions.deadlineSeconds == 2.5)
        #expect(c.checkOptions.subscriptionID == 123)
    }

    @Test(arguments: [
        ("colour: red\n", "line 1", "unknown key"),
        ("interval: 60\ninterval: 30\n", "line 2", "set again"),
        ("  interval: 60\n", "line 1", "indented"),
        ("interval 60\n", "line 1", "expected `key: value`"),
        ("interval:60\n", "line 1", "space after the colon"),
        ("gse_path: \"/usr/local\n", "line 1", "unterminated"),
        ("# c\n\ninterval: soon\n", "line 3", "bad interval"),
        ("interval: 0\n", "line 1", "bad interval"),
        ("subscription_id: many\n", "line 1", "bad subscription_id"),
        ("data_port: 70000\n", "line 1", "bad data_port"),
        ("agent_healthz: perhaps\n", "line 1", "bad agent_healthz"),
        ("socket: relative.sock\n", "line 1", "absolute path"),
        ("socket_mode: 0400\n", "line 1", "octal mode"),
        ("socket_group: no-such-group-bkd\n", "line 1", "no such group"),
        ("history_max_bytes: 12\n", "line 1", "bad history_max_bytes"),
        ("history_max_reports: many\n", "line 1", "bad history_max_reports"),
    ])
    func rejectsBadFilesNamingFileAndLine(text: String, line: String, reason: String) throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("bkdiag.yaml", text)
        let file = dir.sub("bkdiag.yaml")
        let error = #expect(throws: DaemonError.self) {
            _ = try DaemonConfig.load(file: file, required: true, overrides: [])
        }
        let message = error?.message ?? ""
        #expect(message.contains(file + ":" + line.dropFirst(5)), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    /// Quoted values are decoded as YAML decodes them. NodeMan's template renders log_paths with Jinja2's
    /// tojson, which writes every non-ASCII character and ' & < > as \u escapes: a Chinese path stayed
    /// escaped, and matched nothing.
    @Test func quotedValuesAreDecodedAsYAML() throws {
        let text = #"""
            log_paths: "/data/\u65e5\u5fd7/*.log,/data/a\u0027b c/\u0026x.log"  # rendered by tojson
            gse_path: 'it''s here'
            restart_log: "/tmp/a\"b\\c.log"
            """#
        let settings = try DaemonConfig.parse(text, file: "f")
        #expect(settings.map(\.value) == ["/data/日志/*.log,/data/a'b c/&x.log", "it's here", "/tmp/a\"b\\c.log"])
        #expect(throws: DaemonError.self) { _ = try DaemonConfig.parse("log_paths: \"\\q\"\n", file: "f") }
    }

    @Test func flagsOverrideTheFileAndMissingDefaultFileIsFine() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("bkdiag.yaml", "interval: 30\ngse_path: /opt/gse\n")
        let c = try DaemonConfig.load(
            file: dir.sub("bkdiag.yaml"), required: true,
            overrides: [.init(key: "interval", value: "5", origin: "--interval")])
        #expect(c.interval == 5)
        #expect(c.checkOptions.gsePath == "/opt/gse")
        let d = try DaemonConfig.load(file: dir.sub("absent.yaml"), required: false, overrides: [])
        #expect(d == DaemonConfig())
        #expect(throws: DaemonError.self) { _ = try DaemonConfig.load(file: dir.sub("absent.yaml"), required: true, overrides: []) }
        let bad = #expect(throws: DaemonError.self) {
            _ = try DaemonConfig.load(
                file: dir.sub("absent.yaml"), required: false, overrides: [.init(key: "interval", value: "x", origin: "--interval")])
        }
        #expect(bad?.message.hasPrefix("--interval: bad interval") == true)
    }
}
