import Diagnostics
import Foundation
import HostProbe
import Report
import TestSupport
import Testing

/// End-to-end scenarios on fake BlueKing hosts: real processes, sockets and trees.
@Suite("Host scenarios")
struct HostScenarioTests {
    @Test("healthy host (GSE 1 and GSE 2): every check passes", arguments: [FakeHost.Generation.gse1, .gse2])
    func healthy(_ generation: FakeHost.Generation) async throws {
        let (host, port) = try FakeHost.healthy(generation)
        defer { host.shutdown() }
        let report = await runChecks(host, logPaths: [host.logDir + "/app/*.log"], dataPort: port)
        #expect(report.results.count == CheckID.allCases.count, "\(report.digest)")
        for r in report.results {
            #expect(r.verdict == .pass, "\(r.module)/\(r.item): \(r.message)")
        }
        #expect(report.status)
        #expect(report.message("bkunifylogbeat", "config").hasPrefix("real_config_name: bkunifylogbeat_sub_33561_host_"))
        #expect(report.message("bkunifylogbeat", "process").hasPrefix("cpu_usage: "))
        // Order: log_path, bkunifylogbeat, gse_agent (check.py's), then log_progress.
        #expect(
            report.results.map(\.module) == ["log_path", "log_path"] + Array(repeating: "bkunifylogbeat", count: 6)
                + Array(repeating: "gse_agent", count: 4) + Array(repeating: "log_progress", count: 4))
        if generation == .gse2 {
            let hz = report.result(module: "bkunifylogbeat", item: "healthz")
            #expect(hz?.evidence("agent_healthz")?["exit_code"] == .int(0))
            #expect(report.context.first { $0.0 == "gse_generation" }?.1 == "gse2")
        }
    }

    @Test("module selection follows check.py: subscription 0 and no log paths run only gse_agent")
    func moduleSelection() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let report = await runChecks(host, subscription: 0, dataPort: port)
        #expect(report.results.map(\.module) == Array(repeating: "gse_agent", count: 4))
    }

    @Test("collector down: process fails with check.py's message, queue says socket not used")
    func collectorDown() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: ["/var/log/x.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "process") == .fail)
        #expect(report.message("bkunifylogbeat", "process") == "bkunifylogbeat is not running")
        #expect(report.verdict("bkunifylogbeat", "healthz") == .fail)
        #expect(report.verdict("gse_agent", "socket_queue_status") == .fail)
        #expect(report.message("gse_agent", "socket_queue_status").hasPrefix("socket not used"))
        #expect(report.verdict("gse_agent", "socket") == .pass)
        #expect(report.verdict("gse_agent", "dataserver_port") == .pass)
        #expect(!report.status)
    }

    /// NodeMan renders the main config's `path.logs` from the agent's log path (`/var/log/gse`), where the collector
    /// writes why it exits; the hint sent people to `<root>/plugins/logs`. And a collector gse_agent started again
    /// and again today, not running now, is crash-looping: "not running" alone read as one nobody started.
    @Test("collector down: the hint names the log directory path.logs says; down after many starts today, it keeps exiting")
    func collectorDownLogsAndCrashLoop() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: ["/var/log/x.log"])
        let logs = host.dir + "/var/log/gse"
        let main = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        try host.writeRawMainConfig(main.replacingOccurrences(of: "path.logs: \(host.gseRoot)/plugins/logs", with: "path.logs: \(logs)"))
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        var report = await runChecks(host, dataPort: port)
        var process = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(process.message == "bkunifylogbeat is not running", "\(process.message)")
        // (Collectors of the suite's other hosts run elsewhere: then the hint is about them.)
        if process.evidence("elsewhere") == nil {
            #expect(process.hint.contains("查看 \(logs) 下的日志") && !process.hint.contains("plugins/logs"), "\(process.hint)")
        }
        try host.logRestarts(Array(repeating: ["stop", "start"], count: 6).flatMap { $0 })
        report = await runChecks(host, dataPort: port)
        process = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(
            process.message
                == "bkunifylogbeat is not running; restart/reload times is over 10: 12 today (6 start, 6 stop, 0 reload): it keeps exiting",
            "\(process.message)")
        #expect(process.verdict == .fail && process.hint.contains("反复启动又退出") && process.hint.contains(logs), "\(process.hint)")
    }

    /// NodeMan's stop.sh writes a `stop` entry: a collector restarted by hand many times today and then stopped is
    /// down because it was stopped, not because it keeps exiting (a crash loop ends on gse_agent's `start`).
    @Test("collector down after many entries today, the last a stop: it was stopped, it does not keep exiting")
    func collectorStoppedAfterManyRestarts() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33563, paths: ["/var/log/x.log"])
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        try host.logRestarts(Array(repeating: ["stop", "start"], count: 6).flatMap { $0 } + ["stop"])
        let report = await runChecks(host, dataPort: port)
        let process = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(process.verdict == .fail && !process.message.contains("keeps exiting"), "\(process.message)")
        #expect(!process.hint.contains("反复启动又退出"), "\(process.hint)")
    }

    /// Without `path.logs` the collector logs where libbeat puts it: `<path.home>/logs`, and path.home defaults to the
    /// binary's directory (`plugins/bin`, cfgfile.HandleFlags). `<root>/plugins/logs` is nobody's log directory.
    @Test("collector down, main config without path.logs: the hint names plugins/bin/logs, libbeat's default")
    func collectorDownLogsDefault() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33562, paths: ["/var/log/x.log"])
        let main = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        let without = main.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("path.logs:") }
        try host.writeRawMainConfig(without.joined(separator: "\n"))
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        try host.logRestarts(Array(repeating: ["stop", "start"], count: 6).flatMap { $0 })
        let report = await runChecks(host, dataPort: port)
        let process = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(
            process.hint.contains("查看 \(host.gseRoot)/plugins/bin/logs 下的") && !process.hint.contains("plugins/logs"),
            "\(process.hint)")
    }

    @Test("restart storm: glued restart-log entries are counted by pattern", arguments: [true, false])
    func restartStorm(perLine: Bool) async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.logRestarts(Array(repeating: ["stop", "start"], count: 12).flatMap { $0 }, perLine: perLine)
        try host.logRestarts(["stop", "start", "reload"], plugin: "bkmonitorbeat", perLine: perLine)
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .fail)
        #expect(r.message.hasPrefix("restart/reload times is over 10: 24 today (12 start, 12 stop, 0 reload)"), "\(r.message)")
        #expect(r.evidence("restarts_today")?["stop"] == .int(12))
    }

    /// NodeMan's restart.sh runs stop.sh then start.sh: six restarts are twelve entries, over check.py's 10
    /// lines, and over bkdiag's 10 entries alike; five are ten, under both.
    @Test("six NodeMan restarts (stop + start each) fail as check.py's line count does; five pass")
    func sixRestarts() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.logRestarts(Array(repeating: ["stop", "start"], count: 5).flatMap { $0 })
        #expect(await runChecks(host, dataPort: port).verdict("bkunifylogbeat", "process") == .pass)
        try host.logRestarts(["stop", "start"])
        let six = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "process"))
        #expect(
            six.verdict == .fail && six.message.hasPrefix("restart/reload times is over 10: 12 today (6 start, 6 stop, 0 reload)"),
            "\(six.message)")
    }

    @Test("a few restarts stay under the threshold")
    func fewRestarts() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.logRestarts(["stop", "start", "reload", "reload"], perLine: false)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "process") == .pass, "\(report.digest)")
    }

    @Test("main config: missing, quoted, broken YAML, wrong multi_config path")
    func mainConfig() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }

        try FileManager.default.removeItem(atPath: host.mainConfigPath)
        var report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail)
        #expect(report.message("bkunifylogbeat", "main_config").hasPrefix("main config file is not exists"))

        try host.writeMainConfig(quoted: true)
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")

        try host.writeRawMainConfig("bkunifylogbeat.multi_config:\n  - path: \"unterminated\n\tfoo: [\n")
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail)
        #expect(report.message("bkunifylogbeat", "main_config").contains("not valid YAML"))
        #expect(report.result(module: "bkunifylogbeat", item: "main_config")?.hint.contains("手工") == true)

        // The template of 15236ad..0feb7c4, rendered for a host with cpu and memory in CMDB: not a hand edit.
        try host.writeMainConfig(resourceLimit: true)
        let good = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        // 15236ad had no file_identifier line: the glue followed the last multi_config entry's file_pattern.
        let glued = good.replacingOccurrences(of: "bkunifylogbeat.file_identifier: \"inode\"\n", with: "")
            .replacingOccurrences(of: "file_pattern: \"*.conf\"\n\nresource_limit:", with: "file_pattern: \"*.conf\"resource_limit:")
        #expect(glued != good)
        try host.writeRawMainConfig(glued)
        report = await runChecks(host, dataPort: port)
        let defect = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(defect.verdict == .fail && defect.message.contains("resource_limit glued"), "\(defect.message)")
        #expect(defect.hint.contains("升级") && !defect.hint.hasPrefix("主配置被手工改坏"), "\(defect.hint)")

        try host.writeMainConfig(multiConfigPath: host.gseRoot + "/plugins/etc/other")
        report = await runChecks(host, dataPort: port)
        #expect(report.message("bkunifylogbeat", "main_config") == "multi_config not have path [\(host.subConfigDir)]")

        // The collector loads `<path>/<file_pattern>`: no pattern loads nothing; one the subscription's
        // file names do not match leaves that subscription out.
        try host.writeMainConfig(filePattern: nil)
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail)
        #expect(report.message("bkunifylogbeat", "main_config").contains("has no file_pattern"), "\(report.digest)")
        try host.writeMainConfig(filePattern: "[conf")
        report = await runChecks(host, dataPort: port)
        #expect(report.message("bkunifylogbeat", "main_config").contains("is not a valid pattern"), "\(report.digest)")
        try host.writeMainConfig(filePattern: "*.yml")
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(
            report.message("bkunifylogbeat", "config").contains("not loaded, the name does not match multi_config file_pattern *.yml"),
            "\(report.message("bkunifylogbeat", "config"))")
        try host.writeMainConfig(filePattern: "bkunifylogbeat*.conf")
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")

        // A huge file is not read: unknown, not a parse of the first megabytes.
        try String(repeating: "# padding line\n", count: 400_000).write(toFile: host.mainConfigPath, atomically: true, encoding: .utf8)
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .unknown)
        #expect(report.message("bkunifylogbeat", "main_config").contains("larger than"))

        // A symlink loop in place of the config (a link to itself, then two links to each other): no process can
        // open it, the collector neither: a broken config (fail), as a sub config loop is, not "cannot look".
        try FileManager.default.removeItem(atPath: host.mainConfigPath)
        try FileManager.default.createSymbolicLink(atPath: host.mainConfigPath, withDestinationPath: host.mainConfigPath)
        report = await runChecks(host, dataPort: port)
        var loop = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(loop.verdict == .fail, "\(loop.message)")
        #expect(
            loop.message
                == "main config \(host.mainConfigPath) is a symlink loop (Too many levels of symbolic links): the collector cannot load a config from it",
            "\(loop.message)")
        #expect(loop.hint.contains("循环的符号链接"), "\(loop.hint)")
        try FileManager.default.removeItem(atPath: host.mainConfigPath)
        let partner = host.gseRoot + "/plugins/etc/partner.conf"
        try FileManager.default.createSymbolicLink(atPath: host.mainConfigPath, withDestinationPath: partner)
        try FileManager.default.createSymbolicLink(atPath: partner, withDestinationPath: host.mainConfigPath)
        report = await runChecks(host, dataPort: port)
        loop = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(loop.verdict == .fail && loop.message.contains("is a symlink loop"), "\(loop.message)")
        try FileManager.default.removeItem(atPath: partner)
        try FileManager.default.removeItem(atPath: host.mainConfigPath)

        // Binary junk must not crash or hang.
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: host.mainConfigPath))
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail)
    }

    /// NodeMan deploys a config template as it is when rendering it raises (bk-nodeman `nested_render_data`
    /// returns the template text on any exception; `render_config_files_by_config_templates` logs "render config
    /// equal to template" and deploys it). The collector cannot parse it; re-pushing gives the same file.
    @Test("main config deployed as the unrendered template: fail naming the Jinja markers, not a hand edit")
    func unrenderedMainConfig() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.writeMainConfig(resourceLimit: true)
        var text = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        // Values back to the context names NodeMan fills them from; the CMDB-dependent block under its condition.
        for (value, variable) in [
            (host.ipcPath, "plugin_path.endpoint"), (host.gseRoot + "/plugins/logs", "plugin_path.log_path"),
            (host.gseRoot + "/plugins/data", "plugin_path.data_path"), (host.gseRoot + "/plugins/run", "plugin_path.pid_path"),
            (host.subConfigDir, "plugin_path.subconfig_path"),
        ] {
            text = text.replacingOccurrences(of: value, with: "{{ \(variable) }}")
        }
        text = text.replacingOccurrences(of: "\nresource_limit:", with: "\n{% if cmdb_instance.host.bk_cpu %}\nresource_limit:")
            .replacingOccurrences(of: "  mem: 819\n", with: "  mem: 819\n{% endif %}\n")
        #expect(text.contains("{% endif %}") && text.contains("endpoint: {{ plugin_path.endpoint }}"))
        try host.writeRawMainConfig(text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = try #require(lines.firstIndex { $0.contains("{{") || $0.contains("{%") })

        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail)
        #expect(
            r.message.hasPrefix(
                "main config is the plugin's config template, not rendered: Jinja markers left at line \(first + 1): \(lines[first].trimmingCharacters(in: .whitespaces))"
            ), "\(r.message)")
        #expect(r.hint.hasPrefix("不是手工改坏") && r.hint.contains("render config equal to template"), "\(r.hint)")
        #expect(r.evidence("unrendered") == .string("line \(first + 1): \(lines[first].trimmingCharacters(in: .whitespaces))"))

        // Broken YAML without Jinja markers keeps the hand-edit hint.
        try host.writeRawMainConfig("bkunifylogbeat.multi_config:\n  - path: \"unterminated\n")
        let edited = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "main_config"))
        #expect(edited.verdict == .fail && edited.hint.hasPrefix("主配置被手工改坏"), "\(edited.hint)")
        #expect(edited.evidence("unrendered") == nil)
    }

    @Test("a subscription config deployed as the unrendered template: config fails naming the markers, with its own hint")
    func unrenderedSubConfig() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let path = try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        let rendered = try String(contentsOfFile: path, encoding: .utf8)
        // The item back under its loop, its values back to the loop's variables.
        let body = rendered.replacingOccurrences(of: "local:\n", with: "").replacingOccurrences(of: "1500123", with: "{{ dataid | int }}")
            .replacingOccurrences(of: "'\(host.logDir)/app/*.log'", with: "'{{ path }}'")
        try ("local:\n{% for item in local %}\n" + body + "{% endfor %}\n").write(toFile: path, atomically: true, encoding: .utf8)

        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(r.verdict == .fail)
        #expect(
            r.message.contains(
                "\(PathText.basename(path)): the plugin's config template, not rendered: Jinja markers left at line 2: {% for item in local %} ("
            ),
            "\(r.message)")
        #expect(r.hint.contains("render config equal to template"), "\(r.hint)")
        #expect(r.evidence("unrendered") == .array([.string(PathText.basename(path))]))
    }

    /// A host with subscription 33561's config and a log file, its agent connected to a dataserver. Returns the
    /// data port.
    static func configHost(_ host: FakeHost) throws -> UInt16 {
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        try host.makeLogFile("app/a.log")
        return port
    }

    /// Subscription 33561's config changed now, five seconds after the collector the test just started (past
    /// the checks' 2 s slack with room for the whole-second stamp and a start placed by the uptime read a moment
    /// later on a loaded machine; never ahead of the clock, which is clock skew), and a reload logged in
    /// /tmp/bkc.log the same second.
    static func changeConfigAndLogReload(_ host: FakeHost) throws {
        sleep(5)
        let config = host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf"
        var t = time(nil)
        var times = [timespec(tv_sec: t, tv_nsec: 0), timespec(tv_sec: t, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, config, &times, 0) == 0)
        var parts = tm()
        localtime_r(&t, &parts)
        let stamp = String(
            format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
            parts.tm_sec)
        try (stamp + " INFO|98|log-main reload bkunifylogbeat ...\n").write(toFile: host.restartLog, atomically: true, encoding: .utf8)
    }

    /// reload.sh compares the exe's real directory with the `$PWD` it runs in, which a shell started by a program
    /// in `plugins/bin` takes from getcwd(): the real directory behind a symlink, so `plugins/bin` or `plugins` a
    /// symlink out of the root changes nothing.
    @Test(
        "a config changed after the collector started counts as loaded only by a reload NodeMan's reload.sh could signal",
        arguments: [nil, "/plugins/bin", "/plugins"])
    func reloadReachesOnlyAStartShCollector(linked: String?) async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        if let linked {
            let fm = FileManager.default
            let real = host.dir + "/opt/linked"
            try fm.createDirectory(atPath: host.dir + "/opt", withIntermediateDirectories: true)
            try fm.moveItem(atPath: host.gseRoot + linked, toPath: real)
            try fm.createSymbolicLink(atPath: host.gseRoot + linked, withDestinationPath: real)
        }
        let port = try Self.configHost(host)

        // Started as start.sh starts it: the reload reached it.
        let started = try host.startCollector(argv0: "./bkunifylogbeat")
        try Self.changeConfigAndLogReload(host)
        var report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
        started.stop()

        // Started by hand by its full path: reload.sh finds no process, though it logged the reload.
        let byHand = try host.startCollector()
        try Self.changeConfigAndLogReload(host)
        report = await runChecks(host, dataPort: port)
        let config = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(config.verdict == .warn, "\(report.digest)")
        #expect(config.message.contains("not reloaded (pid \(byHand.pid)): NodeMan's reload at "), "\(config.message)")
        #expect(config.message.contains("reload.sh signals only a collector started as ./bkunifylogbeat"))
        #expect(config.evidence("argv0") == .string(host.collectorBinary))
    }

    @Test("subscription 12 does not match a sub_123 file")
    func subscriptionPrefix() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 123, paths: ["/var/log/a.log"])
        let report = await runChecks(host, subscription: 12)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(r.verdict == .fail)
        #expect(r.message.contains("no config file for subscription 12"))
        #expect(r.evidence("other_files_with_prefix") == JSONValue(["bkunifylogbeat_sub_123_host_2000058532.conf"]))
    }

    /// tmpfs keeps any 64-bit mtime (ext4 clamps to 2446): a sub config dated 2^62 s must be judged, not
    /// turned into milliseconds that overflow.
    @Test(
        "a sub config with an mtime far in the future warns instead of trapping",
        .enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm")))
    func subConfigMtimeBeyondMilliseconds() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let shm = "/dev/shm/bkdiag-sub-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let fm = FileManager.default
        try fm.moveItem(atPath: host.subConfigDir, toPath: shm)
        try fm.createSymbolicLink(atPath: host.subConfigDir, withDestinationPath: shm)
        for name in try fm.contentsOfDirectory(atPath: shm) {
            var times = [timespec(tv_sec: 1 << 62, tv_nsec: 0), timespec(tv_sec: 1 << 62, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, shm + "/" + name, &times, 0) == 0)
        }
        let report = await runChecks(host, logPaths: [host.logDir + "/app/*.log"], dataPort: port)
        // Far ahead of any clock: clock skew, named as such.
        #expect(report.verdict("bkunifylogbeat", "config") == .warn, "\(report.digest)")
        #expect(report.message("bkunifylogbeat", "config").contains("after this host's current time (clock skew)"))
    }

    @Test("sub config with dataid 0 or bad YAML fails; other stems are found")
    func subConfigContent() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 55, dataid: 0, paths: ["/var/log/a.log"])
        var report = await runChecks(host, subscription: 55)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(report.message("bkunifylogbeat", "config").contains("dataid 0"))

        let path = try host.writeSubConfig(subscription: 56, stem: "bkunifylogbeat_syslog", paths: ["/var/log/b.log"])
        report = await runChecks(host, subscription: 56)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
        try "local:\n  - dataid: [unclosed\n".write(toFile: path, atomically: true, encoding: .utf8)
        report = await runChecks(host, subscription: 56)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(report.message("bkunifylogbeat", "config").contains("YAML error"))

        // A FIFO where the config belongs: named as what it is, not as a config without `local` items.
        let fifo = try host.writeSubConfig(subscription: 59, paths: ["/var/log/d.log"])
        try FileManager.default.removeItem(atPath: fifo)
        #expect(mkfifo(fifo, 0o644) == 0)
        report = await runChecks(host, subscription: 59)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(
            report.message("bkunifylogbeat", "config").hasSuffix(
                "is a FIFO, not a regular file (the collector cannot load a config from it)"), "\(report.digest)")
        // A symlink loop where the config belongs: broken, said as the main config's loop is.
        let looped = try host.writeSubConfig(subscription: 58, paths: ["/var/log/e.log"])
        try FileManager.default.removeItem(atPath: looped)
        try FileManager.default.createSymbolicLink(atPath: looped, withDestinationPath: looped)
        report = await runChecks(host, subscription: 58)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail, "\(report.digest)")
        #expect(
            report.message("bkunifylogbeat", "config").hasSuffix(
                "is a symlink loop (Too many levels of symbolic links): the collector cannot load a config from it"), "\(report.digest)")
        try FileManager.default.removeItem(atPath: host.gseRoot + "/plugins/etc/bkunifylogbeat.conf")
        #expect(mkfifo(host.gseRoot + "/plugins/etc/bkunifylogbeat.conf", 0o644) == 0)
        report = await runChecks(host, subscription: 59)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail)
        #expect(report.message("bkunifylogbeat", "main_config").contains("is a FIFO, not a regular file"), "\(report.digest)")
        // A directory there: the collector cannot start either, and nothing kept bkdiag from looking.
        try FileManager.default.removeItem(atPath: host.gseRoot + "/plugins/etc/bkunifylogbeat.conf")
        try FileManager.default.createDirectory(
            atPath: host.gseRoot + "/plugins/etc/bkunifylogbeat.conf", withIntermediateDirectories: false)
        report = await runChecks(host, subscription: 59)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .fail, "\(report.digest)")
        #expect(report.message("bkunifylogbeat", "main_config").contains("is a directory, not a regular file"), "\(report.digest)")
        try FileManager.default.removeItem(atPath: host.gseRoot + "/plugins/etc/bkunifylogbeat.conf")
        try host.writeMainConfig()

        // ext_meta labels rendered unquoted by the template: `on` and 10086 are no text keys to the
        // collector's loader (go-ucfg), which skips the whole file; quoted, they pass.
        try host.writeSubConfig(
            subscription: 58, paths: ["/var/log/c.log"], extra: ["ext_meta:", "  env: \"prod\"", "  on: \"1\"", "  10086: \"biz\""])
        report = await runChecks(host, subscription: 58)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(report.message("bkunifylogbeat", "config").contains("the key `on` reads as a boolean"), "\(report.digest)")
        try host.writeSubConfig(
            subscription: 58, paths: ["/var/log/c.log"], extra: ["ext_meta:", "  env: \"prod\"", "  'on': \"1\"", "  '10086': \"biz\""])
        report = await runChecks(host, subscription: 58)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
        // Kubernetes labels whose dots the loader reads as nesting (`app` holds a value, `app.kubernetes.io/name`
        // nests under it): the whole file is skipped, and its paths are not collected.
        try host.writeSubConfig(
            subscription: 58, paths: [host.logDir + "/c/*.log"],
            extra: ["ext_meta:", "  app: \"web\"", "  app.kubernetes.io/name: \"web\""])
        try host.makeLogFile("c/1.log")
        report = await runChecks(host, subscription: 58, logPaths: [host.logDir + "/c/*.log"])
        #expect(report.verdict("bkunifylogbeat", "config") == .fail, "\(report.digest)")
        #expect(
            report.message("bkunifylogbeat", "config").contains("the keys `app` and `app.kubernetes.io/name` of local[0].ext_meta clash"),
            "\(report.digest)")
        #expect(report.verdict("log_path", "logpath_match") == .fail, "\(report.digest)")
        // Labels that only share a beginning are set side by side.
        try host.writeSubConfig(
            subscription: 58, paths: [host.logDir + "/c/*.log"],
            extra: ["ext_meta:", "  app.kubernetes.io/name: \"web\"", "  app.kubernetes.io/instance: \"web-1\""])
        report = await runChecks(host, subscription: 58, logPaths: [host.logDir + "/c/*.log"])
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
        // A path the collector's loader rewrites (go-ucfg's ${NAME} and $$): not the path bkdiag matched, said so.
        for written in [host.logDir + "/${APP}/*.log", host.logDir + "/b$$c/*.log"] {
            try host.writeSubConfig(subscription: 58, paths: [written])
            report = await runChecks(host, subscription: 58)
            #expect(report.verdict("bkunifylogbeat", "config") == .warn, "\(report.digest)")
            #expect(
                report.message("bkunifylogbeat", "config").contains("item 0: \(written) holds ${…} or $$"), "\(report.digest)")
        }
        // A lone $ is kept as written: nothing to say.
        try host.writeSubConfig(subscription: 58, paths: [host.logDir + "/c$/*.log"])
        report = await runChecks(host, subscription: 58)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")

        // Paths the collector's glob rejects: two ** elements, an unclosed [.
        try host.writeSubConfig(subscription: 57, paths: ["/data/**/app/**/a.log", "/data/ok/*.log"])
        report = await runChecks(host, subscription: 57)
        #expect(report.verdict("bkunifylogbeat", "config") == .fail)
        #expect(
            report.message("bkunifylogbeat", "config").contains("item 0: bad pattern /data/**/app/**/a.log: more than one **"),
            "\(report.message("bkunifylogbeat", "config"))")
        try host.writeSubConfig(subscription: 57, paths: ["/data/[app/*.log"])
        report = await runChecks(host, subscription: 57)
        #expect(report.message("bkunifylogbeat", "config").contains("bad pattern /data/[app/*.log: unclosed ["))
        try host.writeSubConfig(subscription: 57, paths: ["/data/**/*.log", "/data/x[0-9]/*.log"])
        report = await runChecks(host, subscription: 57)
        #expect(report.verdict("bkunifylogbeat", "config") == .pass, "\(report.digest)")
    }

    @Test("a log path the platform asks about but the host's config does not list: changed and not delivered")
    func undeliveredPath() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.makeLogFile("app/a.log")
        let delivered = host.logDir + "/app/*.log"
        let same = await runChecks(host, logPaths: [delivered], dataPort: port)
        #expect(same.verdict("bkunifylogbeat", "config") == .pass, "\(same.digest)")
        let changed = host.logDir + "/app2/*.log"
        let report = await runChecks(host, logPaths: [delivered, changed], dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "config"))
        #expect(r.verdict == .warn)
        #expect(r.message.hasSuffix("does not list \(changed)"), "\(r.message)")
        #expect(r.evidence("not_in_config") == JSONValue([changed]))
    }

    @Test("GSE 2 without its .proc: a leftover GSE 1 procinfo.json that lists the collector is not hosting (fail)")
    func hostedOnlyInTheOtherRegistry() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        let own = host.gseRoot + "/agent/etc/.proc"
        let leftover = host.gseRoot + "/agent/etc/procinfo.json"
        #expect(await runChecks(host, dataPort: port).verdict("bkunifylogbeat", "hosted") == .pass)
        let registry = try String(contentsOfFile: own, encoding: .utf8)
        try FileManager.default.moveItem(atPath: own, toPath: leftover)
        let r = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "hosted"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.contains(leftover) && r.message.contains(own), "\(r.message)")
        // The leftover does not list the collector: not hosted.
        try registry.replacingOccurrences(of: "bkunifylogbeat", with: "bkunifylogbeat_old").write(
            toFile: leftover, atomically: true, encoding: .utf8)
        let notListed = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "hosted"))
        #expect(notListed.verdict == .fail && notListed.message.contains("not hosted"), "\(notListed.message)")
        // Neither file.
        try FileManager.default.removeItem(atPath: leftover)
        let none = try #require(await runChecks(host, dataPort: port).result(module: "bkunifylogbeat", item: "hosted"))
        #expect(none.verdict == .fail && none.message.hasPrefix("plugin registry not found"), "\(none.message)")
        #expect(none.evidence("searched") == JSONValue([own, leftover]))
    }

    @Test("not hosted by gse_agent")
    func notHosted() async throws {
        let host = try FakeHost(hosted: false)
        defer { host.shutdown() }
        let report = await runChecks(host)
        #expect(report.verdict("bkunifylogbeat", "hosted") == .fail)
        #expect(report.message("bkunifylogbeat", "hosted").contains("not hosted"))
    }

    @Test("IPC socket missing, and a stale socket file nobody listens on")
    func ipcSocket() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let agent = try host.startAgent(listen: false)
        var report = await runChecks(host, subscription: 0)
        #expect(report.verdict("gse_agent", "socket") == .fail)
        #expect(report.message("gse_agent", "socket").hasPrefix("socket file is not exists"))
        #expect(report.verdict("gse_agent", "process") == .pass)
        agent.stop()

        // An agent that listened and was killed leaves the file behind.
        let dead = try host.startAgent()
        dead.stop()
        report = await runChecks(host, subscription: 0)
        #expect(report.verdict("gse_agent", "socket") == .fail)
        #expect(report.message("gse_agent", "socket").contains("nothing listens"))
    }

    @Test("the IPC path taken over by another process's listener: socket fails naming it, though something listens")
    func ipcHijacked() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.startAgent()
        #expect(await runChecks(host, subscription: 0).verdict("gse_agent", "socket") == .pass)
        // Not gse_agent: the fake under its own name unlinks the path and listens there.
        let squatter = try host.spawn(FakeHost.fakeBinary, ["agent", "--listen", host.ipcPath], cwd: host.dir)
        let report = await runChecks(host, subscription: 0)
        #expect(report.verdict("gse_agent", "socket") == .fail)
        #expect(
            report.message("gse_agent", "socket").hasPrefix("socket is listening, but not by gse_agent: pid \(squatter.pid)"),
            "\(report.message("gse_agent", "socket"))")
    }

    @Test("the IPC path listened on while no gse_agent of the root runs: socket fails naming the listener, never a pass")
    func ipcListenedWithoutAgent() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        // Not gse_agent: the fake under its own name listens on the path, and no agent of the root runs.
        let squatter = try host.spawn(FakeHost.fakeBinary, ["agent", "--listen", host.ipcPath], cwd: host.dir)
        var report = await runChecks(host, subscription: 0)
        let held = try #require(report.result(module: "gse_agent", item: "socket"))
        #expect(held.verdict == .fail, "\(held.message)")
        // Other tests' fake agents may run elsewhere meanwhile: the message may add where, after "running".
        #expect(held.message.hasPrefix("socket is listening, but not by gse_agent: gse_agent is not running"), "\(held.message)")
        #expect(held.message.hasSuffix("; pid \(squatter.pid) (fake-bluek) holds the listener on \(host.ipcPath)"), "\(held.message)")
        #expect(held.evidence("listener_pid") == .int(Int64(squatter.pid)))
        #expect(report.verdict("gse_agent", "process") == .fail, "\(report.digest)")
        squatter.stop()

        // Another install's agent on this root's path (NodeMan renders one path for GSE 1 and GSE 2): an agent, but
        // not this root's; said as gse_agent/process says it, with --gse_path to check.
        let other = try FakeHost(generation: .gse1)
        defer { other.shutdown() }
        let otherAgent = try other.spawn(other.agentBinary, ["agent", "--listen", host.ipcPath], cwd: other.gseRoot + "/agent/bin")
        report = await runChecks(host, subscription: 0)
        let elsewhere = try #require(report.result(module: "gse_agent", item: "socket"))
        #expect(elsewhere.verdict == .fail, "\(elsewhere.message)")
        #expect(elsewhere.message.contains("gse_agent is not running under "), "\(elsewhere.message)")
        #expect(
            elsewhere.message.contains("check --gse_path); pid \(otherAgent.pid) (gseMaster) holds the listener"), "\(elsewhere.message)")
        guard case .array(let agents)? = elsewhere.evidence("agents_elsewhere") else {
            Issue.record("no agents_elsewhere: \(elsewhere.evidence)")
            return
        }
        #expect(agents.contains(.string(other.agentBinary)), "\(agents)")
        #expect(elsewhere.hint.contains("--gse_path"), "\(elsewhere.hint)")

        // This root's agent binds the path again: its own listener passes.
        try host.startAgent()
        report = await runChecks(host, subscription: 0)
        #expect(report.verdict("gse_agent", "socket") == .pass, "\(report.message("gse_agent", "socket"))")
    }

    @Test(
        "the root's own agent holds the IPC socket under another file name or through a symlinked agent/bin: socket and process pass"
    )
    func ownAgentRenamedOrLinked() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        let fm = FileManager.default
        func expectOwnAgent(_ what: String) async {
            let report = await runChecks(host, subscription: 0)
            #expect(report.verdict("gse_agent", "socket") == .pass, "\(what): \(report.message("gse_agent", "socket"))")
            #expect(report.verdict("gse_agent", "process") == .pass, "\(what): \(report.message("gse_agent", "process"))")
            host.stopProcesses()
            unlink(host.ipcPath)
        }
        // An upgrade renamed the running binary aside and installed a new one: /proc shows gse_agent.bak, the comm
        // still says gse_agent.
        try host.startAgent()
        try fm.moveItem(atPath: host.agentBinary, toPath: host.agentBinary + ".bak")
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: host.agentBinary)
        await expectOwnAgent("binary renamed by an upgrade")

        // gse_agent a symlink to a versioned file: /proc shows gse_agent-2.1.5, started (and its comm) as gse_agent.
        try fm.removeItem(atPath: host.agentBinary + ".bak")
        try fm.moveItem(atPath: host.agentBinary, toPath: host.agentBinary + "-2.1.5")
        try fm.createSymbolicLink(atPath: host.agentBinary, withDestinationPath: "gse_agent-2.1.5")
        try host.startAgent()
        await expectOwnAgent("versioned binary behind a symlink")

        // agent/bin a symlink to a directory outside the root: /proc shows the exe and cwd by their real paths.
        try fm.createDirectory(atPath: host.dir + "/opt", withIntermediateDirectories: true)
        try fm.moveItem(atPath: host.gseRoot + "/agent/bin", toPath: host.dir + "/opt/agentbin")
        try fm.createSymbolicLink(atPath: host.gseRoot + "/agent/bin", withDestinationPath: host.dir + "/opt/agentbin")
        try host.startAgent()
        await expectOwnAgent("symlinked agent/bin")

        // A program whose name only begins with gse_agent, and whose comm says so too, is no agent: it still fails.
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: host.gseRoot + "/agent/bin/gse_agentd")
        let other = try host.spawn(
            host.gseRoot + "/agent/bin/gse_agentd", ["agent", "--listen", host.ipcPath], cwd: host.gseRoot + "/agent/bin")
        let report = await runChecks(host, subscription: 0)
        let socket = try #require(report.result(module: "gse_agent", item: "socket"))
        #expect(socket.verdict == .fail, "\(socket.message)")
        #expect(socket.message.hasSuffix("; pid \(other.pid) (gse_agentd) holds the listener on \(host.ipcPath)"), "\(socket.message)")
    }

    @Test(
        "bkdiag not run as root cannot see who holds the IPC listener: unknown, never a pass (a squatter would pass)",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func ipcListenerOwnerUnseenWithoutRoot() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.startAgent()
        let args = ["-s", "0", "-p", host.gseRoot, "-i", host.ipcPath, "--host-root", host.dir, "--sample-gap", "0"]
        // Root sees gse_agent's fds: pass.
        #expect(await runChecks(host, subscription: 0).verdict("gse_agent", "socket") == .pass)
        for round in ["agent", "squatter"] {
            if round == "squatter" { _ = try host.spawn(FakeHost.fakeBinary, ["agent", "--listen", host.ipcPath], cwd: host.dir) }
            let r = try #require(try bkdiagAsNobody(args).result(module: "gse_agent", item: "socket"))
            #expect(r.verdict == .unknown, "\(round): \(r.message) \(r.evidence)")
            #expect(r.message.contains("whether gse_agent holds the listener cannot be checked"), "\(round): \(r.message)")
            #expect(r.hint.hasPrefix("以 root 运行 bkdiag"), "\(round)")
        }
    }

    @Test("IPC queue filled: the agent does not read what the collector writes")
    func queueBlocked() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: ["/var/log/x.log"])
        try host.startAgent(read: false)
        try host.startCollector(writeBytes: 4096)
        let report = await runChecks(host)
        let r = try #require(report.result(module: "gse_agent", item: "socket_queue_status"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.hasPrefix("socket queue blocking"))
        #expect(r.evidence("max_unread_bytes") == .int(4096))
        // The collector is connected, so healthz sees the connection.
        #expect(report.result(module: "bkunifylogbeat", item: "healthz")?.evidence("ipc_connections") == .int(1))
    }

    /// NodeMan renders one IPC path for GSE 1's `dataipc` and GSE 2's `data.ipc`: a second install's agent
    /// unlinks the path and binds it again, and the first one's listener and the connections it accepted keep
    /// the name. Only this root's agent's connections are this root's queue.
    @Test("two installs on one IPC path: socket_queue_status judges this root's agent's connections, not the other's")
    func ipcPathSharedWithAnotherInstall() async throws {
        for thisCollector in [true, false] {
            let host = try FakeHost()
            defer { host.shutdown() }
            let other = try FakeHost(generation: .gse2)
            defer { other.shutdown() }
            try host.writeSubConfig(subscription: 33561, paths: ["/var/log/x.log"])
            // The other install first: its agent reads nothing, its collector's 3,000 bytes stay unread.
            _ = try other.spawn(other.agentBinary, ["agent", "--listen", host.ipcPath, "--no-read"], cwd: other.gseRoot + "/agent/bin")
            usleep(200_000)
            _ = try other.spawn(
                other.collectorBinary, ["collector", "--ipc", host.ipcPath, "--write-bytes", "3000"], cwd: other.gseRoot + "/plugins/bin")
            usleep(200_000)
            // This root's agent binds the path again; its collector (when there is one) connects to it.
            try host.startAgent()
            usleep(200_000)
            if thisCollector { try host.startCollector(writeBytes: 100) }
            let report = await runChecks(host)
            let r = try #require(report.result(module: "gse_agent", item: "socket_queue_status"))
            if thisCollector {
                #expect(r.verdict == .pass && r.evidence("connections") == .int(1), "\(r.message) \(r.evidence)")
            } else {
                #expect(r.verdict == .fail && r.message.hasPrefix("socket not used"), "\(r.message) \(r.evidence)")
            }
        }
    }

    @Test("dataserver absent: the agent runs but has no connection to the data port")
    func dataserverAbsent() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.startAgent()
        let report = await runChecks(host, subscription: 0, dataPort: 1)
        #expect(report.verdict("gse_agent", "dataserver_port") == .fail)
        #expect(report.message("gse_agent", "dataserver_port").hasPrefix("dataserver not exist"))
    }

    @Test("log paths with spaces, CJK, hidden files and shell metacharacters, without a shell")
    func hostileLogPaths() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let spaced = try host.makeLogFile("my app/日志 $(touch x);`id`.log")
        let hidden = try host.makeLogFile("my app/.hidden.log")
        let long = try host.makeLogFile("long/" + String(repeating: "長", count: 80) + ".log")  // 240+ bytes
        let patterns = [host.logDir + "/my app/*.log", host.logDir + "/long/*.log", host.logDir + "/none/*.log"]
        let report = await runChecks(host, subscription: 0, logPaths: patterns)
        let r = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(r.verdict == .fail)
        #expect(r.message == "以下路径无匹配文件: \(host.logDir)/none/*.log")
        #expect(r.evidence("matched") == .int(3))
        let firsts = r.evidence("first_matches")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(firsts) == Set([spaced, hidden, long]))
        #expect(!FileManager.default.fileExists(atPath: host.gseRoot + "/plugins/bin/x"))

        let ok = await runChecks(host, subscription: 0, logPaths: [host.logDir + "/my app/*.log"])
        #expect(ok.verdict("log_path", "logpath_match") == .pass)
        #expect(ok.message("log_path", "logpath_match").hasPrefix("所有路径检查通过"))

        let empty = await runChecks(host, subscription: 0, logPaths: [])
        #expect(empty.message("log_path", "logpath_match") == "日志采集路径为空")
    }

    @Test("** in a log path reaches 8 levels down as the collector's does; two ** are refused; held files match it too")
    func recursiveLogPaths() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let deep = try host.makeLogFile("svc/2026/11/23/node a/app.log")
        let recursive = host.logDir + "/svc/**/*.log"
        let report = await runChecks(host, logPaths: [recursive], dataPort: port)
        let r = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(r.verdict == .pass, "\(r.message)")
        #expect(r.evidence("first_matches") == JSONValue([deep]))
        // A single * level does not reach it.
        let shallow = await runChecks(host, logPaths: [host.logDir + "/svc/*/*.log"], dataPort: port)
        #expect(shallow.verdict("log_path", "logpath_match") == .fail)
        let twice = await runChecks(host, logPaths: [host.logDir + "/**/2026/**/*.log"], dataPort: port)
        let t = try #require(twice.result(module: "log_path", item: "logpath_match"))
        #expect(t.verdict == .fail)
        #expect(t.message.hasPrefix("路径通配符无效"))
        #expect(t.hint.contains("**"), "\(t.hint)")
        // A file held by the collector is attributed to the subscription whose config names it through **.
        try host.writeSubConfig(subscription: 778, paths: [recursive])
        let collector = try host.startCollector(hold: [deep])
        let held = await runChecks(host, logPaths: [recursive], dataPort: port)
        #expect(
            held.message("log_path", "logpath_held").hasPrefix("文件被占用: \(deep) (pid \(collector.pid), subscription 778)"),
            "\(held.message("log_path", "logpath_held"))")
    }

    /// A start-of-line expression in Perl's lookahead syntax (what people type into the platform's 行首正则
    /// field), rendered by the template as flat `multiline.*` keys: Go's regexp refuses it, the collector
    /// starts no task for the item, and nothing under its path is collected although the file is there.
    @Test("a subscription item the collector refuses fails config and logpath_match on a live host")
    func refusedItemOnALiveHost() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let log = try host.makeLogFile("multiline/app.log")
        let pattern = host.logDir + "/multiline/*.log"
        try host.writeSubConfig(
            subscription: 90002, paths: [pattern],
            extra: [
                "multiline.pattern: '^(?![ \\t])'", "multiline.max_lines: '500'", "multiline.timeout: '2s'", "multiline.negate: true",
                "multiline.match: after",
            ])
        let r = await runChecks(host, subscription: 90002, logPaths: [pattern], dataPort: port)
        let config = try #require(r.result(module: "bkunifylogbeat", item: "config"))
        #expect(config.verdict == .fail && config.message.contains("multiline.pattern"), "\(config.message)")
        let match = try #require(r.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .fail && match.message.contains("被采集器拒绝"), "\(match.message)")
        // The same item with a start-of-line expression Go takes: both pass, the file is collected.
        try host.writeSubConfig(
            subscription: 90002, paths: [pattern],
            extra: ["multiline.pattern: '^\\d{4}-\\d{2}'", "multiline.negate: true", "multiline.match: after"])
        let fixed = await runChecks(host, subscription: 90002, logPaths: [pattern], dataPort: port)
        let m2 = try #require(fixed.result(module: "log_path", item: "logpath_match"))
        #expect(m2.verdict == .pass, "\(m2.message)")
        #expect(m2.evidence("first_matches") == JSONValue([log]))
        #expect(fixed.result(module: "bkunifylogbeat", item: "config")?.verdict != .fail)
        // An encoding given through the platform's API that the collector does not know (Windows' name for
        // GBK): the task runs but every harvester fails "unknown encoding", so nothing is collected either.
        try host.writeSubConfig(subscription: 90002, paths: [pattern], encoding: "CP936")
        let cp936 = await runChecks(host, subscription: 90002, logPaths: [pattern], dataPort: port)
        let c3 = try #require(cp936.result(module: "bkunifylogbeat", item: "config"))
        #expect(c3.verdict == .fail && c3.message.contains("encoding 'cp936' is not one the collector knows"), "\(c3.message)")
        #expect(cp936.message("log_path", "logpath_match").contains("被采集器拒绝"), "\(cp936.message("log_path", "logpath_match"))")
        // bk-log renders `dataid: {{ dataid | int }}`: an empty data id is 0, and the collector starts no task.
        try host.writeSubConfig(subscription: 90002, dataid: 0, paths: [pattern])
        let zero = await runChecks(host, subscription: 90002, logPaths: [pattern], dataPort: port)
        #expect(zero.message("log_path", "logpath_match").contains("被采集器拒绝"), "\(zero.message("log_path", "logpath_match"))")
        #expect(zero.result(module: "log_progress", item: "logpath_progress")?.verdict == .fail)
        // GBK under its WHATWG label is taken.
        try host.writeSubConfig(subscription: 90002, paths: [pattern], encoding: "GB2312")
        let gb = await runChecks(host, subscription: 90002, logPaths: [pattern], dataPort: port)
        #expect(gb.result(module: "bkunifylogbeat", item: "config")?.verdict != .fail)
        #expect(gb.result(module: "log_path", item: "logpath_match")?.verdict == .pass)
    }

    /// The collector skips a subscription config go-yaml refuses (`GetTasks` logs the error and goes on), so
    /// no task of it runs: its paths are not collected however many files they match, and what they hold is at
    /// risk as a refused item's. A subscription with no config here at all has no pipeline either: the other
    /// subscription's files that -l matches are not its data, so no progress item may pass on them.
    @Test("a subscription config the collector cannot load, or none at all, collects nothing on a live host")
    func unloadableOrMissingConfigOnALiveHost() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        _ = try host.makeLogFile("broken/app.log")
        let pattern = host.logDir + "/broken/*.log"
        let path = try host.writeSubConfig(subscription: 90003, paths: [pattern])
        // One indent made a tab, as a hand edit does: not YAML.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "      tail_files", with: "\ttail_files").write(toFile: path, atomically: true, encoding: .utf8)
        let r = await runChecks(host, subscription: 90003, logPaths: [pattern], dataPort: port)
        #expect(r.result(module: "bkunifylogbeat", item: "config")?.verdict == .fail)
        let match = try #require(r.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .fail && match.message.contains("被采集器拒绝") && match.message.contains("not YAML"), "\(match.message)")
        let risk = try #require(r.result(module: "log_progress", item: "loss_risk"))
        #expect(risk.verdict != .pass && risk.message.contains("item_refused"), "\(risk.message)")
        #expect(r.result(module: "log_progress", item: "logpath_progress")?.verdict == .fail)
        #expect(r.result(module: "log_progress", item: "pipeline_stall")?.verdict == .unknown)

        // Valid YAML without a `local` list is skipped whole as well (GetTasks: "Error reading config file").
        try "locals:\n  - dataid: 1500123\n    paths: ['\(pattern)']\n".write(toFile: path, atomically: true, encoding: .utf8)
        let noLocal = await runChecks(host, subscription: 90003, logPaths: [pattern], dataPort: port)
        #expect(
            noLocal.result(module: "log_path", item: "logpath_match")?.verdict == .fail, "\(noLocal.message("log_path", "logpath_match"))")
        #expect(noLocal.result(module: "log_progress", item: "logpath_progress")?.verdict == .fail)
        // One config of two broken: a path only the broken one can have named is not collected; the other's is.
        _ = try host.makeLogFile("fine/b.log")
        let fine = host.logDir + "/fine/*.log"
        _ = try host.writeSubConfig(subscription: 90003, instance: 2, paths: [fine])
        let partial = await runChecks(host, subscription: 90003, logPaths: [pattern, fine], dataPort: port)
        let m = try #require(partial.result(module: "log_path", item: "logpath_match"))
        #expect(m.verdict == .fail && m.message.contains(pattern) && !m.message.contains(fine + "（"), "\(m.message)")
        #expect(partial.message("log_progress", "loss_risk").contains("item_refused"), "\(partial.message("log_progress", "loss_risk"))")

        // A subscription with no config on the host, asked about with -l and without.
        for paths in [[pattern], []] {
            let none = await runChecks(host, subscription: 90004, logPaths: paths, dataPort: port)
            let progress = try #require(none.result(module: "log_progress", item: "logpath_progress"))
            #expect(progress.verdict == .fail && progress.message.contains("no config on this host"), "\(paths): \(progress.message)")
            #expect(none.result(module: "log_progress", item: "pipeline_stall")?.verdict == .unknown, "\(paths)")
            #expect(none.result(module: "log_progress", item: "loss_risk")?.verdict == .unknown, "\(paths)")
        }
    }

    @Test("only files the collector reads count: exclude_files and ignore_older, from the defaults or the subscription's item")
    func collectorFileRules() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        // Rotated and compressed only: the collector's default exclude_files skips them all.
        try host.makeLogFile("rotated/app.log.1.gz")
        try host.makeLogFile("rotated/app.log.2.gz")
        let rotated = host.logDir + "/rotated/*"
        let r1 = await runChecks(host, subscription: 90001, logPaths: [rotated], dataPort: port)
        let m1 = try #require(r1.result(module: "log_path", item: "logpath_match"))
        #expect(m1.verdict == .fail)
        #expect(
            m1.message == "\(rotated) 匹配到的 2 个文件全部被采集器默认的 exclude_files 排除，不会采集（.gz$, .bz2$, .tgz$ ... (+6)）",
            "\(m1.message)")
        #expect(m1.hint.contains("exclude_files"), "\(m1.hint)")
        #expect(m1.evidence("excluded") == .int(2))
        #expect(m1.evidence("rules") == .object([(rotated, .string("collector defaults"))]))
        // One live file beside them: a pass that still counts what is skipped.
        let live = try host.makeLogFile("rotated/app.log")
        let r2 = await runChecks(host, subscription: 90001, logPaths: [rotated], dataPort: port)
        let m2 = try #require(r2.result(module: "log_path", item: "logpath_match"))
        #expect(m2.verdict == .pass, "\(m2.message)")
        #expect(m2.evidence("first_matches") == JSONValue([live]))
        #expect(m2.evidence("excluded") == .int(2))
        // Every file untouched for 8 days: the collector will not open them (default ignore_older 168h).
        let old = Double(Timestamp.nowMilliseconds() / 1000 - 8 * 86_400)
        let oldDate = Date(timeIntervalSince1970: old)
        for f in [live, host.logDir + "/rotated/app.log.1.gz"] {
            try FileManager.default.setAttributes([.modificationDate: oldDate], ofItemAtPath: f)
        }
        let r3 = await runChecks(host, subscription: 90001, logPaths: [rotated], dataPort: port)
        let m3 = try #require(r3.result(module: "log_path", item: "logpath_match"))
        #expect(m3.verdict == .warn, "\(m3.message)")
        #expect(m3.message.contains("ignore_older") && m3.message.contains(rotated), "\(m3.message)")
        // The subscription's item sets its own rules for the path it names: nothing excluded, nothing too old.
        let conf = try host.writeSubConfig(subscription: 90001, paths: [rotated], excludeFilesEmpty: true, extra: ["ignore_older: 87600h"])
        let r4 = await runChecks(host, subscription: 90001, logPaths: [rotated], dataPort: port)
        let m4 = try #require(r4.result(module: "log_path", item: "logpath_match"))
        #expect(m4.verdict == .pass, "\(m4.message)")
        #expect(m4.evidence("matched") == .int(3))
        let source = (conf as NSString).lastPathComponent + " item 0"
        #expect(m4.evidence("rules") == .object([(rotated, .string(source))]))
        // Its own exclude_files: a regular expression over the whole path.
        try host.writeSubConfig(subscription: 90001, paths: [rotated], excludeFiles: ["app\\.log$"], extra: ["ignore_older: 240h"])
        let r5 = await runChecks(host, subscription: 90001, logPaths: [rotated], dataPort: port)
        let m5 = try #require(r5.result(module: "log_path", item: "logpath_match"))
        #expect(m5.verdict == .pass, "\(m5.message)")
        #expect(m5.evidence("excluded") == .int(1))
        #expect(m5.evidence("matched") == .int(2))
    }

    @Test("a held file is attributed to the subscription whose config lists it")
    func heldFile() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile("shared/with space.log")
        try host.writeSubConfig(subscription: 777, paths: [host.logDir + "/shared/*.log"])
        let collector = try host.startCollector(hold: [file])
        let report = await runChecks(host, logPaths: [host.logDir + "/shared/*.log"], dataPort: port)
        let r = try #require(report.result(module: "log_path", item: "logpath_held"))
        #expect(r.verdict == .fail)
        #expect(r.message.hasPrefix("文件被占用: \(file) (pid \(collector.pid), subscription 777)"), "\(r.message)")
        // The same file collected by the subscription being checked is not a conflict.
        let own = await runChecks(host, subscription: 777, logPaths: [host.logDir + "/shared/*.log"], dataPort: port)
        #expect(own.verdict("log_path", "logpath_held") == .pass, "\(own.message("log_path", "logpath_held"))")
    }

    @Test("processes under another root are named once each in the hint")
    func runningElsewhere() async throws {
        let (other, _) = try FakeHost.healthy()
        defer { other.shutdown() }
        try other.startCollector()
        let host = try FakeHost()
        defer { host.shutdown() }
        let report = await runChecks(host)
        let collector = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(collector.verdict == .fail)
        // Other tests' hosts may run at the same time: the list is capped at 5, so `other` may be cut
        // off, but no entry repeats (its two collectors share one cwd).
        // `other` runs its own agent, so its collector is that install's (named, not to be stopped), unless
        // another test's stray collector (no agent beside it) makes the hint list strays.
        for hint in [collector.hint, try #require(report.result(module: "gse_agent", item: "process")).hint] {
            let listed: Substring
            if let at = hint.firstRange(of: "另一套 GSE "), let end = hint[at.upperBound...].firstRange(of: " 的采集器") {
                listed = hint[at.upperBound..<end.lowerBound]
                #expect(!hint.contains("请停止"), "\(hint)")
            } else {
                listed = try #require(hint.split(separator: "（").dropFirst().first?.split(separator: "）").first, "\(hint)")
            }
            let entries = listed.components(separatedBy: " ... (+")[0].components(separatedBy: ", ")
            #expect(entries.count == Set(entries).count && entries.count <= 5, "\(hint)")
            #expect(entries.allSatisfy { $0.hasPrefix("/") }, "\(hint)")
        }
        #expect(collector.hint.components(separatedBy: other.gseRoot + "/plugins/bin").count <= 2, "\(collector.hint)")
    }

    @Test("several collectors under one root warn")
    func duplicateCollectors() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try host.startCollector()
        // A second one that stays (a run of a second or less, such as a version query, is not a duplicate).
        try await Task.sleep(for: .milliseconds(1200))
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "process") == .warn)
    }

    @Test("GSE 2 agent healthz failing fails the collector healthz")
    func gse2HealthzFails() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        try "unhealthy\n".write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "healthz") == .fail)
        #expect(report.message("bkunifylogbeat", "healthz").contains("gse_agent --healthz failed"))
    }

    @Test("a run that hits its deadline reports unknown, not pass")
    func deadline() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        // A blocked queue is resampled 100 times, 30 ms apart: far longer than the 0.1 s deadline.
        try host.startAgent(read: false)
        try host.startCollector(writeBytes: 1024)
        let report = await runChecks(host, subscription: 0, deadline: 0.1, samples: 100)
        let r = try #require(report.result(module: "gse_agent", item: "socket_queue_status"))
        #expect(r.verdict == .unknown)
        #expect(r.message.contains("did not finish"))
        #expect(!report.status)
    }

    @Test("a check past its run's deadline is counted until it returns; past the daemon's limit a run starts no check")
    func unreturnedChecksAreBounded() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        // As in `deadline`: socket_queue_status samples a blocked queue 200 times, 30 ms apart, past a 0.1 s deadline.
        // Waited for on this thread (`runBlocking`): an awaiting task could resume only after the check returned,
        // on a machine whose other tests hold the task pool.
        try host.startAgent(read: false)
        try host.startCollector(writeBytes: 1024)
        let options = scenarioOptions(host, subscription: 0, deadline: 0.1, samples: 200)
        let unreturned = UnreturnedChecks()
        let late = DiagnosticRunner(options: options, unreturned: unreturned).runBlocking()
        let afterTheRun = unreturned.current
        #expect(late.verdict("gse_agent", "socket_queue_status") == .unknown)
        #expect(afterTheRun >= 1, "the sampling check still runs")
        // It returns once its samples are taken (6 s; more on a loaded machine), and gives its place back.
        let waitedFor = ContinuousClock.now
        while unreturned.current > 0 && ContinuousClock.now - waitedFor < .seconds(60) { usleep(50_000) }
        #expect(unreturned.current == 0)

        let full = UnreturnedChecks(limit: 0)
        let refused = DiagnosticRunner(options: options, unreturned: full).runBlocking()
        #expect(!refused.results.isEmpty && !refused.status)
        for r in refused.results {
            #expect(r.verdict == .unknown && r.message.hasPrefix("not started: 0 checks of this process's runs"), "\(r.message)")
            #expect(r.hint.contains("NFS"))
        }
    }

    @Test("the checks run on threads of their own: a run ends in time while Dispatch's global queue is held")
    func runsBesideAHeldDispatchQueue() throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        // Checks queued behind the held jobs would start only when they are let go, after 30 s.
        let held = HeldDispatchQueue(atMost: 30)
        let options = scenarioOptions(host, dataPort: port, deadline: 30)
        let t0 = ContinuousClock.now
        let report = DiagnosticRunner(options: options).runBlocking()
        let took = ContinuousClock.now - t0
        held.letGo()
        // Well under a second here; a loaded machine stretches it, never to the 30 s the held queue would take.
        #expect(took < .seconds(20), "the run waited on the held queue: \(took)")
        #expect(!report.results.contains { $0.evidence.contains { $0.0 == "timed_out" } }, "\(report.digest)")
        #expect(report.verdict("bkunifylogbeat", "process") == .pass, "\(report.digest)")
        #expect(report.verdict("gse_agent", "socket") == .pass, "\(report.digest)")
    }

    @Test("auto-detects the GSE root and takes the IPC path from the main config")
    func autodetect() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        let options = CheckOptions(subscriptionID: 33561, hostRoot: host.dir, restartLog: host.restartLog, dataPort: port)
        let report = await DiagnosticRunner(options: options).run()
        let ctx = JSONValue.object(report.context)
        #expect(ctx["gse_root"] == .string(host.gseRoot))
        #expect(ctx["gse_root_source"] == "detected")
        #expect(ctx["ipc_socket_source"] == "main_config")
        #expect(ctx["ipc_socket"] == .string(host.ipcPath))
        #expect(report.verdict("gse_agent", "socket") == .pass)
    }

    @Test("GSE 1 and GSE 2 side by side: without a named root, the one whose collector runs is checked")
    func sideBySidePrefersTheRunningRoot() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        // An upgrade leaves the old GSE 1 tree, which detection alone would prefer (/usr/local/gse, with plugins).
        let stale = host.dir + "/usr/local/gse"
        for d in ["/plugins/bin", "/plugins/etc/bkunifylogbeat", "/agent/bin", "/agent/etc"] {
            try FileManager.default.createDirectory(atPath: stale + d, withIntermediateDirectories: true)
        }
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: stale + "/plugins/bin/bkunifylogbeat")
        try "{}".write(toFile: stale + "/agent/etc/procinfo.json", atomically: true, encoding: .utf8)
        let options = CheckOptions(subscriptionID: 33561, hostRoot: host.dir, restartLog: host.restartLog, dataPort: port)
        let report = await DiagnosticRunner(options: options).run()
        let ctx = JSONValue.object(report.context)
        #expect(ctx["gse_root"] == .string(host.gseRoot))
        #expect(ctx["gse_root_source"] == "running")
        #expect(ctx["other_gse_roots"] == JSONValue([stale]))
        #expect(report.verdict("bkunifylogbeat", "process") == .pass, "\(report.message("bkunifylogbeat", "process"))")
        #expect(report.verdict("gse_agent", "process") == .pass, "\(report.message("gse_agent", "process"))")
        // A collector left running in the old tree (its agent gone) does not take the check away from the
        // root where the agent and a collector run.
        let leftover = try host.spawn(stale + "/plugins/bin/bkunifylogbeat", ["collector"], cwd: stale + "/plugins/bin")
        let both = await DiagnosticRunner(options: options).run()
        #expect(JSONValue.object(both.context)["gse_root"] == .string(host.gseRoot))
        #expect(both.verdict("gse_agent", "process") == .pass, "\(both.message("gse_agent", "process"))")
        leftover.stop()
        // With nothing running, the tree the subscription's config was delivered to is checked (its collector
        // and agent are what is down), and says why; for a subscription neither tree holds, detection's own
        // order stands: the old tree.
        host.stopProcesses()
        let idle = await DiagnosticRunner(options: options).run()
        #expect(JSONValue.object(idle.context)["gse_root"] == .string(host.gseRoot))
        #expect(JSONValue.object(idle.context)["gse_root_source"] == "subscription_config")
        #expect(idle.verdict("bkunifylogbeat", "process") == .fail, "\(idle.message("bkunifylogbeat", "process"))")
        #expect(idle.verdict("bkunifylogbeat", "config") == .pass, "\(idle.message("bkunifylogbeat", "config"))")
        var elsewhere = options
        elsewhere.subscriptionID = 33562
        let other = await DiagnosticRunner(options: elsewhere).run()
        #expect(JSONValue.object(other.context)["gse_root"] == .string(stale))
        #expect(JSONValue.object(other.context)["gse_root_source"] == "detected")
    }
}

/// Findings of the verdict audit: host states that used to get the wrong verdict.
@Suite("Verdict audit scenarios")
struct VerdictAuditTests {
    /// A dataserver that closed the agent's connection, and an agent that never noticed (its socket in
    /// CLOSE_WAIT): dataserver_port failed pointing at the network and the agent's config; the agent is what is stuck.
    @Test("a data connection the dataserver closed and the agent still holds: dataserver_port names CLOSE_WAIT and the agent")
    func dataConnectionClosedByDataserver() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        let (_, port) = try host.startDataserver(closeAccepted: true)
        try host.startAgent(dataPort: port)
        // The fake agent never reads its data socket: once the dataserver's FIN is in, it stays in CLOSE_WAIT.
        let deadline = Date().addingTimeInterval(5)
        func closeWait() -> Bool {
            ((try? SocketTables.readTCP()) ?? []).contains { $0.remotePort == port && $0.state == .closeWait }
        }
        while !closeWait() && Date() < deadline { usleep(10_000) }
        try #require(closeWait())
        let r = await runChecks(host, dataPort: port)
        let data = try #require(r.result(module: "gse_agent", item: "dataserver_port"))
        #expect(data.verdict == .fail)
        #expect(
            data.message
                == "dataserver not exist: 127.0.0.1:\(port) closed the connection (CLOSE_WAIT) and gse_agent has neither closed it nor connected again",
            "\(data.message)")
        #expect(data.hint.contains("重启 Agent"), "\(data.hint)")
    }

    /// An agent out of file descriptors: accept() fails EMFILE, so a collector that connects (or reconnects
    /// after a restart) waits in the listen backlog, while the connections it accepted before (another
    /// plugin's, bkmonitorbeat's) are still read. socket_queue_status passed on those ("socket queue ok").
    @Test("an agent that accepts no more while it reads the connections it has: socket_queue_status names the waiting connection")
    func acceptStoppedWithConnections() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        try host.startAgent(acceptMax: 1)
        // Another plugin, connected first and accepted: the agent's one accepted connection.
        let other = host.gseRoot + "/plugins/bin/bkmonitorbeat"
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: other)
        _ = try host.spawn(other, ["collector", "--ipc", host.ipcPath], cwd: host.gseRoot + "/plugins/bin")
        let deadline = Date().addingTimeInterval(3)
        while (host.acceptedIPCConnections() ?? 0) < 1 && Date() < deadline { usleep(5000) }
        try #require(host.acceptedIPCConnections() == 1)
        // The collector connects after the agent stopped accepting: it waits in the backlog.
        try host.startCollector()
        let r = await runChecks(host, samples: 2)
        let queue = try #require(r.result(module: "gse_agent", item: "socket_queue_status"))
        #expect(queue.verdict == .fail, "\(queue.message)")
        #expect(
            queue.message
                == "socket not accepting: 1 connection(s) wait in the listen backlog of \(host.ipcPath) on a second look, while 1 accepted earlier are read",
            "\(queue.message)")
        #expect(queue.hint.contains("EMFILE"), "\(queue.hint)")
        // healthz says the same from the collector's side.
        #expect(r.message("bkunifylogbeat", "healthz").contains("wait in the listen backlog"), "\(r.message("bkunifylogbeat", "healthz"))")

        // The same host whose agent accepts everything: both connections accepted, nothing waits.
        host.stopProcesses()
        try host.startAgent()
        _ = try host.spawn(other, ["collector", "--ipc", host.ipcPath], cwd: host.gseRoot + "/plugins/bin")
        try host.startCollector()
        let healthy = await runChecks(host, samples: 2)
        #expect(healthy.verdict("gse_agent", "socket_queue_status") == .pass, "\(healthy.message("gse_agent", "socket_queue_status"))")
    }

    /// A listener on the IPC path that never accepts (an agent whose accept loop hung): the collector's
    /// connect() lands in the backlog, and nothing ever reads it.
    @Test("an IPC listener that never accepts is named: socket_queue_status and healthz say the connection waits in its backlog")
    func listenerNotAccepting() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        // This root's agent listens, and its accept loop hung.
        try host.startAgent(accept: false)
        try host.startCollector()
        let r = await runChecks(host, samples: 2)
        let queue = try #require(r.result(module: "gse_agent", item: "socket_queue_status"))
        #expect(
            queue.verdict == .fail
                && queue.message == "socket not accepting: 1 connection(s) wait in the listen backlog of \(host.ipcPath), none accepted",
            "\(queue.message)")
        let health = try #require(r.result(module: "bkunifylogbeat", item: "healthz"))
        #expect(health.verdict == .fail && health.message.contains("wait in the listen backlog, none accepted"), "\(health.message)")
        // The listener is the agent's own: the socket is there and listened on.
        #expect(r.verdict("gse_agent", "socket") == .pass, "\(r.message("gse_agent", "socket"))")
        #expect(queue.hint.contains("gse_agent 在监听但不再 accept"), "\(queue.hint)")
        host.stopProcesses()
        unlink(host.ipcPath)

        // The same backlog behind a listener of another process (this test's), an agent running beside it that
        // does not hold the listener: the listener is another process's, and the hints point at gse_agent/socket
        // instead of at the agent.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(host.ipcPath.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        try host.startAgent(listen: false)
        try host.startCollector()
        let foreign = await runChecks(host, samples: 2)
        let foreignQueue = try #require(foreign.result(module: "gse_agent", item: "socket_queue_status"))
        #expect(
            foreignQueue.verdict == .fail
                && foreignQueue.message.hasPrefix("socket not accepting: 1 connection(s) wait in the listen backlog"),
            "\(foreignQueue.message)")
        #expect(foreign.verdict("gse_agent", "socket") == .fail, "\(foreign.message("gse_agent", "socket"))")
        #expect(foreign.message("gse_agent", "socket").contains("pid \(getpid())"), "\(foreign.message("gse_agent", "socket"))")
        for (module, item) in [("gse_agent", "socket_queue_status"), ("bkunifylogbeat", "healthz")] {
            let hint = try #require(foreign.result(module: module, item: item)).hint
            #expect(hint.contains("gse_agent/socket"), "\(item): \(hint)")
        }
    }

    @Test("a GSE root given through a symlink: the processes and files under its real path are its own")
    func symlinkedRoot() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        // /usr/local/gse -> /data/gse style: the flag names the link, /proc shows the real path.
        let link = host.dir + "/gse-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: host.gseRoot)
        let options = CheckOptions(
            gsePath: link + "/", subscriptionID: 33561, hostRoot: host.dir, restartLog: host.restartLog, deadlineSeconds: 10,
            dataPort: port)
        let report = await DiagnosticRunner(options: options).run()
        for r in report.results {
            #expect(r.verdict == .pass, "\(r.module)/\(r.item): \(r.message)")
        }
    }

    @Test("a log path reached through a symlink is still seen as held by another subscription")
    func heldThroughSymlink() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile("real/app.log")
        try FileManager.default.createSymbolicLink(atPath: host.logDir + "/current", withDestinationPath: host.logDir + "/real")
        try host.writeSubConfig(subscription: 777, paths: [host.logDir + "/real/*.log"])
        let collector = try host.startCollector(hold: [file])
        for pattern in [host.logDir + "/current/*.log", host.logDir + "/./real/app.log"] {
            let report = await runChecks(host, logPaths: [pattern], dataPort: port)
            let r = try #require(report.result(module: "log_path", item: "logpath_held"))
            #expect(r.verdict == .fail, "\(pattern): \(r.message)")
            #expect(r.message.contains("pid \(collector.pid), subscription 777"), "\(pattern): \(r.message)")
        }
    }

    @Test("bkdiag run without root sees the collector and agent by comm only: unknown, not 'not running'")
    func unprivileged() throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        // As nobody, /proc/<pid>/exe and cwd of root's processes are unreadable (EACCES); comm is not.
        let report = try bkdiagAsNobody([
            "-s", "33561", "-p", host.gseRoot, "-i", host.ipcPath, "--host-root", host.dir, "--restart-log", host.restartLog,
            "--data-port", String(port),
        ])
        for (module, item) in [
            ("bkunifylogbeat", "process"), ("bkunifylogbeat", "healthz"), ("gse_agent", "process"), ("gse_agent", "dataserver_port"),
        ] {
            #expect(report.verdict(module, item) == .unknown, "\(module)/\(item): \(report.message(module, item))")
        }
        // Nothing on this healthy host is broken: what cannot be seen is unknown, never fail.
        #expect(!report.results.contains { $0.verdict == .fail }, "\(report.digest)")
    }

    @Test("a GSE 2 host probed with check.py's default flags is judged on its own root and endpoint")
    func gse2WithDefaultFlags() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        // bk-log's AgentChecker passes its constants to every host unless configured otherwise:
        // `--ipc_socket_file=/var/run/ipc.state.report --gse_path=/usr/local/gse/`.
        let options = CheckOptions(
            gsePath: "/usr/local/gse/", subscriptionID: 33561, ipcSocketFile: "/var/run/ipc.state.report", hostRoot: host.dir,
            restartLog: host.restartLog, deadlineSeconds: 10, dataPort: port)
        let report = await DiagnosticRunner(options: options).run()
        for r in report.results {
            #expect(r.verdict == .pass, "\(r.module)/\(r.item): \(r.message)")
        }
        let ctx = JSONValue.object(report.context)
        #expect(ctx["gse_root"] == .string(host.gseRoot))
        #expect(ctx["ipc_socket"] == .string(host.ipcPath))
    }

    @Test("a log path that matches only directories has no file to collect")
    func directoriesOnly() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.makeLogFile("app/2026/a.log")
        let report = await runChecks(
            host, subscription: 0, logPaths: [host.logDir + "/app", host.logDir + "/app/*", host.logDir + "/app/*/*.log"])
        let r = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(r.verdict == .fail)
        let unmatched = "\(host.logDir)/app, \(host.logDir)/app/*"
        #expect(r.message == "以下路径无匹配文件: \(unmatched)（\(unmatched) 只匹配到目录、失效的软链接或非普通文件）", "\(r.message)")
    }

    @Test("a real GSE 1 tree (agent/bin/gse_agent, etc/agent.conf; comm gseMaster/agentWorker) is GSE 1")
    func gse1RealLayout() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        // NodeMan's GSE 1 install: one binary agent/bin/gse_agent whose processes are named gseMaster and agentWorker.
        let fm = FileManager.default
        let bin = host.gseRoot + "/agent/bin"
        try fm.removeItem(atPath: bin + "/gseMaster")
        try fm.removeItem(atPath: bin + "/agentWorker")
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: bin + "/gse_agent")
        try "{}\n".write(toFile: host.gseRoot + "/agent/etc/agent.conf", atomically: true, encoding: .utf8)
        // exec through a link sets comm to the link's name while exe stays agent/bin/gse_agent.
        try fm.createDirectory(atPath: host.dir + "/comm", withIntermediateDirectories: true)
        for name in ["gseMaster", "agentWorker"] {
            try fm.createSymbolicLink(atPath: host.dir + "/comm/" + name, withDestinationPath: bin + "/gse_agent")
        }
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        try host.spawn(host.dir + "/comm/gseMaster", ["agent", "--listen", host.ipcPath], cwd: bin)
        let worker = try host.spawn(host.dir + "/comm/agentWorker", ["agent"], cwd: bin)
        try host.startCollector()

        let report = await runChecks(host)
        let ctx = JSONValue.object(report.context)
        #expect(ctx["gse_generation"] == "gse1", "\(ctx)")
        #expect(ctx["data_port"] == .int(58625))
        #expect(report.verdict("gse_agent", "process") == .pass, "\(report.digest)")
        #expect(report.verdict("bkunifylogbeat", "hosted") == .pass, "\(report.digest)")
        // GSE 1's gse_agent has no `--healthz`: it must not be run with GSE 2's flags.
        #expect(report.result(module: "bkunifylogbeat", item: "healthz")?.evidence("agent_healthz") == nil)

        worker.stop()
        let noWorker = await runChecks(host)
        #expect(noWorker.verdict("gse_agent", "process") == .fail, "\(noWorker.message("gse_agent", "process"))")
        #expect(noWorker.message("gse_agent", "process").hasSuffix("the data channel is gone"))
    }

    @Test("GSE 2 agent healthz that logs before its result is still judged on the result")
    func gse2HealthzAfterLogLines() async throws {
        let (host, port) = try FakeHost.healthy(.gse2)
        defer { host.shutdown() }
        try "noisy\n".write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "healthz") == .pass, "\(report.message("bkunifylogbeat", "healthz"))")
        try "noisy\nunhealthy\n".write(toFile: host.gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let sick = await runChecks(host, dataPort: port)
        #expect(sick.verdict("bkunifylogbeat", "healthz") == .fail)
    }

    @Test("bkdiag run without root: a log path under a directory it cannot search is unknown, not unmatched")
    func unsearchableLogDir() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let file = try host.makeLogFile("private/app/a.log")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: host.logDir + "/private")
        let patterns = [file, host.logDir + "/private/app/*.log"]
        for pattern in patterns {
            let report = try bkdiagAsNobody(["-p", host.gseRoot, "--host-root", host.dir, "--restart-log", host.restartLog, "-l", pattern])
            #expect(report.verdict("log_path", "logpath_match") == .unknown, "\(pattern): \(report.message("log_path", "logpath_match"))")
        }
    }

    @Test("a log path whose only match is a dangling symlink has no file to collect")
    func danglingSymlinkOnly() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try FileManager.default.createDirectory(atPath: host.logDir + "/app", withIntermediateDirectories: true)
        // current.log still points at a file that rotation removed.
        try FileManager.default.createSymbolicLink(
            atPath: host.logDir + "/app/current.log", withDestinationPath: host.logDir + "/app/app.20260101.log")
        let patterns = [host.logDir + "/app/current.log", host.logDir + "/app/*.log"]
        let report = await runChecks(host, subscription: 0, logPaths: patterns)
        let r = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(r.verdict == .fail)
        let unmatched = "\(patterns[0]), \(patterns[1])"
        #expect(r.message == "以下路径无匹配文件: \(unmatched)（\(unmatched) 只匹配到目录、失效的软链接或非普通文件）", "\(r.message)")
    }

    @Test("bkdiag run without root: a subscription config it may not read is unknown, not a broken config")
    func unreadableSubConfig() throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let conf = host.subConfigDir + "/bkunifylogbeat_sub_33561_host_2000058532.conf"
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: conf)
        let report = try bkdiagAsNobody([
            "-s", "33561", "-p", host.gseRoot, "-i", host.ipcPath, "--host-root", host.dir, "--restart-log", host.restartLog,
            "--data-port", String(port),
        ])
        #expect(report.verdict("bkunifylogbeat", "config") == .unknown, "\(report.message("bkunifylogbeat", "config"))")
    }
}
