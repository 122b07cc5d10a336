import Daemon
import SystemLayer
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized, .ownThreads) struct SystemdUnitTests {
    static let packageRoot = Sys.dirname(Sys.dirname(Sys.dirname(#filePath)))
    static let units = ["bkdiag.service", "bkdiag.socket", "bkdiag-selfcheck.service", "bkdiag-selfcheck.timer"]

    /// `systemd-analyze verify` on copies of the units whose ExecStart points at the built binary,
    /// so the "not executable" message about /usr/bin/bkdiag does not hide anything else.
    @Test(.enabled(if: access("/usr/bin/systemd-analyze", X_OK) == 0))
    func unitsPassSystemdAnalyzeVerify() async throws {
        try #require(BuiltBinary.exists)
        let dir = TempDir()
        defer { dir.remove() }
        var paths: [String] = []
        for unit in Self.units {
            let text = String(decoding: try Sys.readFile(Self.packageRoot + "/systemd/" + unit), as: UTF8.self)
            dir.write(unit, text.replacingAll("/usr/bin/bkdiag", with: BuiltBinary.path))
            paths.append(dir.sub(unit))
        }
        // systemd-analyze loads the units in a manager of its own; on a machine busy with other work it has
        // once not exited within a minute (no output, no verdict): such a run is stopped and made again.
        var status: Int32?
        var p = ChildProcess("/usr/bin/systemd-analyze", ["verify"] + paths, outputDir: dir.path, name: "verify")
        for attempt in 1...2 {
            if attempt > 1 { p = ChildProcess("/usr/bin/systemd-analyze", ["verify"] + paths, outputDir: dir.path, name: "verify2") }
            status = await p.wait(timeoutMs: 60_000)
            if status != nil { break }
            await p.stop()
        }
        let output = (p.stdout + p.stderr).split(separator: "\n").filter { !$0.contains("/run/systemd/system") && !$0.isEmpty }
        #expect(status != nil, "systemd-analyze verify did not exit within a minute, twice")
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "\(output)")
        #expect(output.isEmpty, "\(output)")
        let service = String(decoding: try Sys.readFile(Self.packageRoot + "/systemd/bkdiag.service"), as: UTF8.self)
        for line in [
            "Type=notify", "WatchdogSec=", "Restart=on-failure", "ProtectSystem=strict", "PrivateTmp=no", "ReadWritePaths=",
            "CapabilityBoundingSet=",
        ] {
            #expect(service.contains(line), "\(line)")
        }
        // The timer's one-shot never stops the daemon: a Conflicts= on it would, at every tick.
        let selfcheck = String(decoding: try Sys.readFile(Self.packageRoot + "/systemd/bkdiag-selfcheck.service"), as: UTF8.self)
        #expect(!selfcheck.split(separator: "\n").contains { $0.hasPrefix("Conflicts=") }, "bkdiag-selfcheck.service")
        // Syscall filters are deny-lists: an allow-list of @groups is near empty on systemd < 231, which drops
        // names it does not know, and the service could not start there.
        for unit in ["bkdiag.service", "bkdiag-selfcheck.service"] {
            let text = String(decoding: try Sys.readFile(Self.packageRoot + "/systemd/" + unit), as: UTF8.self)
            let filters = text.split(separator: "\n").filter { $0.hasPrefix("SystemCallFilter=") }
            #expect(!filters.isEmpty && filters.allSatisfy { $0.hasPrefix("SystemCallFilter=~") }, "\(unit): \(filters)")
        }
    }

    /// Started by systemd-socket-activate (LISTEN_FDS), the daemon serves on the passed socket and leaves its file alone.
    @Test(.enabled(if: access("/usr/bin/systemd-socket-activate", X_OK) == 0))
    func honoursSocketActivation() async throws {
        try #require(BuiltBinary.exists)
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("gse"))
        dir.write("none.yaml", "# empty\n")
        let sock = dir.sub("act.sock")
        let p = ChildProcess(
            "/usr/bin/systemd-socket-activate",
            [
                "-l", sock, BuiltBinary.path, "daemon", "--socket", sock, "--gse_path", dir.sub("gse"), "--state-dir", dir.sub("state"),
                "--config", dir.sub("none.yaml"), "--interval", "0.2",
            ],
            outputDir: dir.path, name: "activate")
        // The first connection makes systemd-socket-activate exec the daemon with the listening socket.
        let up = await eventually(timeoutMs: 20_000) {
            (try? await httpRequest(socket: sock, target: "/metrics", timeoutMs: 3000))?.status == 200
        }
        #expect(up, "\(p.stderr)")
        #expect(p.stderr.contains("using the socket passed by systemd"), "\(p.stderr)")
        p.signal(SIGTERM)
        _ = await p.wait()
        #expect(access(sock, F_OK) == 0, "a passed socket's file belongs to systemd and stays")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
