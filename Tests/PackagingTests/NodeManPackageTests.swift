import Foundation
import Synchronization
import TestSupport
import Testing

/// `Scripts/build-nodeman.sh`: the GSE plugin tarball's layout, and its control script run against a
/// temporary GSE root with a fake daemon.
@Suite(.enabled(if: Paths.hasDebugBinary && toolExists("tar")))
struct NodeManPackageTests {
    /// Builds the tarball from the debug binaries and unpacks it into `tmp/unpacked`; returns the plugin dir.
    static func buildAndUnpack(in tmp: TempDir) throws -> (tarball: String, plugin: String) {
        let result = try run(
            Paths.script("build-nodeman.sh"), ["--bin-dir", Paths.binDir.path, "--out", tmp.path("out"), "--arch", "x86_64"])
        try #require(result.status == 0, "build-nodeman.sh failed: \(result.stderr)")
        let tarball = try #require(result.lines.last)
        try FileManager.default.createDirectory(atPath: tmp.path("unpacked"), withIntermediateDirectories: true)
        #expect(try run("/usr/bin/env", ["tar", "-xzf", tarball, "-C", tmp.path("unpacked")]).status == 0)
        return (tarball, tmp.path("unpacked/plugins_linux_x86_64/bkdiag"))
    }

    @Test func tarballHasThePluginLayout() throws {
        let tmp = try TempDir()
        let (tarball, plugin) = try Self.buildAndUnpack(in: tmp)
        let version =
            try run(Paths.binDir.appendingPathComponent("bkdiag").path, ["--version"]).stdout
            .split(separator: " ").first.map(String.init) ?? ""
        #expect(tarball.hasSuffix("/bkdiag-\(version).tgz"))
        for file in ["bin/bkdiag", "bin/bkdiag_ctl.sh"] {
            #expect(FileManager.default.isExecutableFile(atPath: plugin + "/" + file), "\(file) missing or not executable")
        }
        for file in ["etc/bkdiag.yaml", "etc/bkdiag.yaml.tpl", "project.yaml"] { #expect(exists(plugin + "/" + file)) }
        let project = readText(plugin + "/project.yaml")
        #expect(project.contains("name: bkdiag\n"))
        #expect(project.contains("version: \"\(version)\"\n"))
        // The floor NodeMan shows is the binary's own newest glibc symbol version.
        let floor = try run(Paths.script("elf-info.sh"), ["glibc", plugin + "/bin/bkdiag"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(!floor.isEmpty && project.contains("glibc >= \(floor)"), "project.yaml does not state glibc >= \(floor)")
        #expect(!project.contains("@"), "an unfilled placeholder in project.yaml")
        // The config is a NodeMan template with the subscription and interval as variables.
        for variable in ["extra_vars:", "subscription_id:", "interval:", "log_paths:"] { #expect(project.contains(variable)) }
        #expect(readText(plugin + "/etc/bkdiag.yaml.tpl").contains("{{ plugin_path.pid_path }}"))
        for action in ["start", "stop", "restart", "reload", "health_check"] {
            #expect(project.contains("  \(action): \"./bkdiag_ctl.sh \(action)\"\n"), "control \(action) missing")
        }
        #expect(project.contains("  version: \"./bkdiag_ctl.sh version\"\n"))
        #expect(project.contains("source_path: etc/bkdiag.yaml.tpl"))
        // Nothing that would replace the start.sh/stop.sh every official plugin shares in plugins/bin.
        let bin = try FileManager.default.contentsOfDirectory(atPath: plugin + "/bin").sorted()
        #expect(bin == ["bkdiag", "bkdiag_ctl.sh"])
    }

    @Test func refusesToPackABinaryIntoAnotherArchitecture() throws {
        let tmp = try TempDir()
        let result = try run(
            Paths.script("build-nodeman.sh"), ["--bin-dir", Paths.binDir.path, "--out", tmp.path("out"), "--arch", "aarch64"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not aarch64"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp.path("out"))) ?? []).isEmpty, "a tarball was written")
    }

    /// NodeMan's paths for one host: a GSE root, its run (pid), log and data dirs, all under `tmp`.
    struct NodeManHost {
        let gse: String, run: String, log: String, data: String
        init(_ tmp: TempDir) {
            gse = tmp.path("gse"); run = tmp.path("var/run/gse"); log = tmp.path("var/log/gse"); data = tmp.path("var/lib/gse")
        }
        /// `plugin_path` as bk-nodeman's get_plugin_path builds it for a Linux host.
        var pluginPath: [String: String] {
            [
                "setup_path": gse, "pid_path": run, "log_path": log, "data_path": data, "endpoint": "/var/run/ipc.state.report",
                "host_id": data + "/host/hostid", "subconfig_path": gse + "/plugins/etc/bkdiag",
            ]
        }
    }

    /// Renders a config template the way NodeMan does (Jinja2, the context at the top level), strictly: an
    /// undefined name that is used fails instead of rendering empty.
    static func render(_ template: String, context: [String: Any], python: String) throws -> String {
        let tmp = try TempDir()
        let data = try JSONSerialization.data(withJSONObject: context)
        try write(String(decoding: data, as: UTF8.self), to: tmp.path("context.json"))
        let script =
            "import json, sys, jinja2\n"
            + "t = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(open(sys.argv[1]).read())\n"
            + "sys.stdout.write(t.render(**json.load(open(sys.argv[2]))))\n"
        let result = try run(python, ["-c", script, template, tmp.path("context.json")])
        try #require(result.status == 0, "render failed: \(result.stderr)")
        return result.stdout
    }

    /// The template rendered as NodeMan would, then the real daemon started and stopped by the control script
    /// on a GSE tree: pid file where NodeMan registers it, log and history under NodeMan's dirs, the
    /// subscription's collector checks on, uninstall leaving nothing of bkdiag behind.
    @Test(.enabled(if: pythonInterpreter(major: 3, importing: "jinja2") != nil))
    func renderedTemplateDeploysTheRealDaemon() throws {
        let python = try #require(pythonInterpreter(major: 3, importing: "jinja2"))
        let tmp = try TempDir()
        let (_, plugin) = try Self.buildAndUnpack(in: tmp)
        let host = NodeManHost(tmp)
        try FileManager.default.createDirectory(atPath: host.gse + "/plugins", withIntermediateDirectories: true)
        for dir in ["bin", "etc"] { try ExecutableFiles.copyTree(plugin + "/" + dir, to: host.gse + "/plugins/" + dir) }
        try write("other plugin\n", to: host.gse + "/plugins/bin/start.sh", executable: true)

        // Without variables (NodeMan's default context): defaults, no log_paths line.
        let plain = try Self.render(plugin + "/etc/bkdiag.yaml.tpl", context: ["plugin_path": host.pluginPath], python: python)
        #expect(plain.contains("\nsubscription_id: 0\n") && plain.contains("\ninterval: 60\n") && !plain.contains("log_paths:"))
        // With the variables project.yaml declares.
        let config = try Self.render(
            plugin + "/etc/bkdiag.yaml.tpl",
            context: [
                "plugin_path": host.pluginPath,
                "extra_vars": ["subscription_id": 123, "interval": 30, "log_paths": "/var/log/app/*.log"],
            ], python: python)
        for line in [
            "gse_path: \(host.gse)", "subscription_id: 123", "interval: 30", "log_paths: \"/var/log/app/*.log\"",
            "socket: \(host.run)/bkdiag.sock", "state_dir: \(host.data)/bkdiag", "#@ pid_path: \(host.run)",
        ] {
            #expect(config.split(separator: "\n").contains { $0 == line }, "rendered config lacks \(line)")
        }
        try write(config, to: host.gse + "/plugins/etc/bkdiag.yaml")
        // A path with " #" (a YAML comment unquoted) or a leading "*" (an alias unquoted) stays whole.
        let odd = try Self.render(
            plugin + "/etc/bkdiag.yaml.tpl",
            context: ["plugin_path": host.pluginPath, "extra_vars": ["log_paths": "*/x.log,/data/app #1/*.log"]], python: python)
        #expect(odd.split(separator: "\n").contains { $0 == "log_paths: \"*/x.log,/data/app #1/*.log\"" }, "\(odd)")

        let bin = host.gse + "/plugins/bin"
        let env = ["BKDIAG_BKC_LOG": tmp.path("bkc.log")]
        func ctl(_ action: String) throws -> RunResult {
            try run(bin + "/bkdiag_ctl.sh", [action], environment: env, in: URL(fileURLWithPath: bin))
        }
        defer { _ = try? ctl("stop") }

        let start = try ctl("start")
        try #require(start.status == 0, "start failed: \(start.stdout) \(readText(host.log + "/bkdiag.log"))")
        let pid = try #require(Int32(readText(host.run + "/bkdiag.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(isAlive(pid))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == bin + "/bkdiag")
        // The daemon took the rendered config: it serves its report on NodeMan's run dir and keeps history in the data dir.
        #expect(
            eventually(20) { (try? ctl("health_check").status) == 0 }, "health_check never passed: \(readText(host.log + "/bkdiag.log"))")
        #expect(FileManager.default.fileExists(atPath: host.data + "/bkdiag"))
        #expect(exists(host.log + "/bkdiag.log"))
        // The daemon's own report (no local fallback) holds the collector's checks: subscription 123 was taken.
        #expect(
            eventually(20) {
                let status = try? run(
                    bin + "/bkdiag", ["status", "--socket", host.run + "/bkdiag.sock", "--no-fallback", "--format", "json"])
                let data = jsonObject(status?.lines.last ?? "")?["data"] as? [[String: Any]] ?? []
                return data.contains { $0["module"] as? String == "bkunifylogbeat" }
            }, "the daemon's report has no bkunifylogbeat entries")

        #expect(try ctl("stop").status == 0)
        #expect(eventually { !isAlive(pid) })
        #expect(!exists(host.run + "/bkdiag.pid"))

        // uninstall removes what the plugin installed and created, and nothing else.
        #expect(try ctl("uninstall").status == 0)
        for path in [
            bin + "/bkdiag", bin + "/bkdiag_ctl.sh", host.gse + "/plugins/etc/bkdiag.yaml", host.gse + "/plugins/etc/bkdiag.yaml.tpl",
            host.data + "/bkdiag", host.log + "/bkdiag.log", host.run + "/bkdiag.sock", host.run + "/bkdiag.pid",
            host.run + "/bkdiag.lock",
        ] {
            #expect(!exists(path), "\(path) left after uninstall")
        }
        #expect(exists(bin + "/start.sh"))
        // Its bkc.log entries name bkdiag only: none can count as a collector restart.
        let entries = readText(tmp.path("bkc.log"))
        #expect(entries.contains("log-main start bkdiag") && !entries.contains("bkunifylogbeat"))
    }

    @Test func controlScriptManagesTheDaemonAndLogsToBkcLog() throws {
        let tmp = try TempDir()
        let (_, plugin) = try Self.buildAndUnpack(in: tmp)
        // A GSE root as NodeMan lays it out: the package's bin and etc under <gse>/plugins.
        let gse = tmp.path("gse")
        try FileManager.default.createDirectory(atPath: gse + "/plugins", withIntermediateDirectories: true)
        for dir in ["bin", "etc"] { try ExecutableFiles.copyTree(plugin + "/" + dir, to: gse + "/plugins/" + dir) }
        let bin = gse + "/plugins/bin"
        let host = NodeManHost(tmp)
        // NodeMan's paths as the rendered config carries them for the control script.
        try write(
            "#@ pid_path: \(host.run)\n#@ log_path: \(host.log)\n#@ data_path: \(host.data)\ninterval: 60\n",
            to: gse + "/plugins/etc/bkdiag.yaml")
        let env = ["BKDIAG_BKC_LOG": tmp.path("bkc.log"), "FAKE_ARGS": tmp.path("args"), "FAKE_HUP": tmp.path("hup")]
        func ctl(_ action: String) throws -> RunResult {
            try run(bin + "/bkdiag_ctl.sh", [action], environment: env, in: URL(fileURLWithPath: bin))
        }
        func pid() -> Int32? { Int32(readText(host.run + "/bkdiag.pid").trimmingCharacters(in: .whitespacesAndNewlines)) }

        // version runs the real binary.
        let version = try ctl("version")
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))
        // What NodeMan keeps (spaces removed, then ^[a-zA-Z0-9.-]+$): the version alone, not "(commit)".
        let kept = version.stdout.replacingOccurrences(of: " ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!kept.isEmpty && kept.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }, "\(kept)")

        // The plugin's binary running something other than `daemon` (JOB's one-shot check, someone's status; here
        // a copy of sleep in its place) is no daemon: status does not report it, and stop leaves it alone.
        try FileManager.default.removeItem(atPath: bin + "/bkdiag")
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: bin + "/bkdiag")
        let oneShot = Process()
        oneShot.executableURL = URL(fileURLWithPath: bin + "/bkdiag")
        oneShot.arguments = ["30"]
        try oneShot.run()
        defer { if oneShot.isRunning { oneShot.terminate() } }
        let notDaemon = try ctl("status")
        #expect(notDaemon.status == 1 && notDaemon.stdout.contains("not running"), "\(notDaemon.stdout)")
        #expect(try ctl("stop").status == 0)
        #expect(oneShot.isRunning, "stop killed a run of the binary that is not the daemon")
        oneShot.terminate()

        // From here on the daemon is a fake that handles SIGHUP and SIGTERM.
        try FileManager.default.removeItem(atPath: bin + "/bkdiag")
        try write(fakeBkdiag, to: bin + "/bkdiag", executable: true)
        defer { _ = try? ctl("stop") }

        // Two starts at once take turns: one daemon, and the pid file names it.
        let results = Mutex<[RunResult]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            if let r = try? run(bin + "/bkdiag_ctl.sh", ["start"], environment: env, in: URL(fileURLWithPath: bin)) {
                results.withLock { $0.append(r) }
            }
        }
        #expect(results.withLock { $0.map(\.status) } == [0, 0])
        let racer = try #require(pid())
        let status = try ctl("status")
        #expect(isAlive(racer) && status.stdout.trimmingCharacters(in: .newlines) == "bkdiag running (pid \(racer))", "\(status.stdout)")
        // The pid file lost (removed by hand): a start of the running daemon writes it again.
        try FileManager.default.removeItem(atPath: host.run + "/bkdiag.pid")
        #expect(try ctl("start").stdout.contains("already running"))
        #expect(pid() == racer)
        #expect(try ctl("stop").status == 0)
        // The lock leaves the script's own errors on stderr (a pid file it cannot write: a directory there).
        try FileManager.default.createDirectory(atPath: host.run + "/bkdiag.pid", withIntermediateDirectories: true)
        let unwritable = try ctl("start")
        #expect(unwritable.stderr.contains("bkdiag.pid"), "stderr: \(unwritable.stderr)")
        #expect(try ctl("stop").status == 0)
        try? FileManager.default.removeItem(atPath: host.run + "/bkdiag.pid")
        // Run from a unit's context, the daemon does not inherit it (its READY=1 would go to that unit).
        let inUnit = try run(
            bin + "/bkdiag_ctl.sh", ["start"],
            environment: env.merging(["NOTIFY_SOCKET": "/run/x.sock", "WATCHDOG_USEC": "1"]) { a, _ in a },
            in: URL(fileURLWithPath: bin))
        #expect(inUnit.status == 0)
        let unitPid = try #require(pid())
        let environ =
            (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(unitPid)/environ"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(!environ.isEmpty && !environ.contains("NOTIFY_SOCKET") && !environ.contains("WATCHDOG_USEC"), "\(environ)")
        #expect(try ctl("stop").status == 0)

        #expect(try ctl("start").status == 0)
        let first = try #require(pid())
        #expect(isAlive(first))
        #expect(eventually { readText(tmp.path("args")).hasPrefix("daemon") })
        #expect(
            readText(tmp.path("args")).trimmingCharacters(in: .newlines)
                == "daemon --config ../etc/bkdiag.yaml --gse_path \(gse) --state-dir \(host.data)/bkdiag --socket \(host.run)/bkdiag.sock")

        let again = try ctl("start")
        #expect(again.status == 0 && again.stdout.contains("already running"))
        #expect(pid() == first)

        #expect(try ctl("status").status == 0)
        #expect(try ctl("reload").status == 0)
        #expect(eventually { readText(tmp.path("hup")).contains("hup") })
        #expect(isAlive(first))

        let health = try ctl("health_check")
        #expect(health.status == 1)
        #expect(jsonObject(health.lines.last ?? "")?["ok"] as? Bool == false)

        #expect(try ctl("restart").status == 0)
        let second = try #require(pid())
        #expect(second != first)
        #expect(eventually { !isAlive(first) })
        #expect(isAlive(second))

        #expect(try ctl("stop").status == 0)
        #expect(eventually { !isAlive(second) })
        #expect(!exists(host.run + "/bkdiag.pid"))
        #expect(try ctl("status").status == 1)
        #expect(try ctl("reload").status == 1)

        // NodeMan's /tmp/bkc.log format: one entry per start/stop/reload, restart = stop + start.
        let entries = readText(tmp.path("bkc.log")).split(separator: "\n").map(String.init)
        let pattern = try Regex(#"^\d{8}-\d{6} INFO\|\d+\|log-main (start|stop|reload) bkdiag \.\.\.$"#)
        for entry in entries { #expect(entry.wholeMatch(of: pattern) != nil, "bad bkc.log entry: \(entry)") }
        let actions = entries.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) }
        #expect(
            actions == ["stop", "start", "start", "start", "stop", "start", "stop", "start", "stop"] + [
                "start", "start", "reload", "stop", "start", "stop", "reload",
            ])
    }
}
