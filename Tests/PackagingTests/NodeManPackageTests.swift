import Foundation
import Testing
import TestSupport

/// `Scripts/build-nodeman.sh`: the GSE plugin tarball's layout, and its control script run against a
/// temporary GSE root with a fake daemon.
@Suite(.enabled(if: Paths.hasDebugBinary && toolExists("tar")))
struct NodeManPackageTests {
    /// Builds the tarball from the debug binaries and unpacks it into `tmp/unpacked`; returns the plugin dir.
    static func buildAndUnpack(in tmp: TempDir) throws -> (tarball: String, plugin: String) {
        let result = try run(Paths.script("build-nodeman.sh"), ["--bin-dir", Paths.binDir.path, "--out", tmp.path("out"), "--arch", "x86_64"])
        try #require(result.status == 0, "build-nodeman.sh failed: \(result.stderr)")
        let tarball = try #require(result.lines.last)
        try FileManager.default.createDirectory(atPath: tmp.path("unpacked"), withIntermediateDirectories: true)
        #expect(try run("/usr/bin/env", ["tar", "-xzf", tarball, "-C", tmp.path("unpacked")]).status == 0)
        return (tarball, tmp.path("unpacked/plugins_linux_x86_64/bkdiag"))
    }

    @Test func tarballHasThePluginLayout() throws {
        let tmp = try TempDir()
        let (tarball, plugin) = try Self.buildAndUnpack(in: tmp)
        let version = try run(Paths.binDir.appendingPathComponent("bkdiag").path, ["--version"]).stdout
            .split(separator: " ").first.map(String.init) ?? ""
        #expect(tarball.hasSuffix("/bkdiag-\(version).tgz"))
        for file in ["bin/bkdiag", "bin/bkdiag_ctl.sh"] {
            #expect(FileManager.default.isExecutableFile(atPath: plugin + "/" + file), "\(file) missing or not executable")
        }
        for file in ["etc/bkdiag.yaml", "etc/bkdiag.yaml.tpl", "project.yaml"] { #expect(exists(plugin + "/" + file)) }
        let project = readText(plugin + "/project.yaml")
        #expect(project.contains("name: bkdiag\n"))
        #expect(project.contains("version: \"\(version)\"\n"))
        for action in ["start", "stop", "restart", "reload", "health_check"] {
            #expect(project.contains("  \(action): \"./bkdiag_ctl.sh \(action)\"\n"), "control \(action) missing")
        }
        #expect(project.contains("  version: \"./bkdiag --version\"\n"))
        #expect(project.contains("source_path: etc/bkdiag.yaml.tpl"))
        // Nothing that would replace the start.sh/stop.sh every official plugin shares in plugins/bin.
        let bin = try FileManager.default.contentsOfDirectory(atPath: plugin + "/bin").sorted()
        #expect(bin == ["bkdiag", "bkdiag_ctl.sh"])
    }

    @Test func controlScriptManagesTheDaemonAndLogsToBkcLog() throws {
        let tmp = try TempDir()
        let (_, plugin) = try Self.buildAndUnpack(in: tmp)
        // A GSE root as NodeMan lays it out: the package's bin and etc under <gse>/plugins.
        let gse = tmp.path("gse")
        try FileManager.default.createDirectory(atPath: gse + "/plugins", withIntermediateDirectories: true)
        for dir in ["bin", "etc"] { try ExecutableFiles.copyTree(plugin + "/" + dir, to: gse + "/plugins/" + dir) }
        let bin = gse + "/plugins/bin"
        let env = ["BKDIAG_BKC_LOG": tmp.path("bkc.log"), "FAKE_ARGS": tmp.path("args"), "FAKE_HUP": tmp.path("hup")]
        func ctl(_ action: String) throws -> RunResult { try run(bin + "/bkdiag_ctl.sh", [action], environment: env, in: URL(fileURLWithPath: bin)) }
        func pid() -> Int32? { Int32(readText(gse + "/plugins/run/bkdiag.pid").trimmingCharacters(in: .whitespacesAndNewlines)) }

        // version runs the real binary.
        let version = try ctl("version")
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))

        // From here on the daemon is a fake that handles SIGHUP and SIGTERM.
        try FileManager.default.removeItem(atPath: bin + "/bkdiag")
        try write(fakeBkdiag, to: bin + "/bkdiag", executable: true)
        defer { _ = try? ctl("stop") }

        #expect(try ctl("start").status == 0)
        let first = try #require(pid())
        #expect(isAlive(first))
        #expect(eventually { readText(tmp.path("args")).hasPrefix("daemon") })
        #expect(readText(tmp.path("args")).trimmingCharacters(in: .newlines) == "daemon --config ../etc/bkdiag.yaml --gse_path \(gse) --state-dir \(gse)/plugins/data/bkdiag --socket \(gse)/plugins/run/bkdiag.sock")

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
        #expect(!exists(gse + "/plugins/run/bkdiag.pid"))
        #expect(try ctl("status").status == 1)
        #expect(try ctl("reload").status == 1)

        // NodeMan's /tmp/bkc.log format: one entry per start/stop/reload, restart = stop + start.
        let entries = readText(tmp.path("bkc.log")).split(separator: "\n").map(String.init)
        let pattern = try Regex(#"^\d{8}-\d{6} INFO\|\d+\|log-main (start|stop|reload) bkdiag \.\.\.$"#)
        for entry in entries { #expect(entry.wholeMatch(of: pattern) != nil, "bad bkc.log entry: \(entry)") }
        let actions = entries.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) }
        #expect(actions == ["start", "start", "reload", "stop", "start", "stop", "reload"])
    }
}
