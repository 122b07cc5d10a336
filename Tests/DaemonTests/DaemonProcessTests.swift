import CSpawn
import Daemon
import Diagnostics
import Report
import Synchronization
import SystemLayer
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `bkdiag daemon` as a real process on an empty gse root.
struct DaemonProcess {
    let dir: TempDir
    let process: ChildProcess
    let socket: String

    /// `socket` defaults to `d.sock` in `dir`; `stateDir` is a name in `dir`.
    static func start(
        _ dir: TempDir, name: String = "daemon", args: [String] = [], env: [String: String] = [:], interval: String = "0.1",
        socket: String? = nil, stateDir: String = "state"
    ) async throws -> DaemonProcess {
        try #require(BuiltBinary.exists, "build the bkdiag product first: \(BuiltBinary.path)")
        _ = try? Sys.mkdirs(dir.sub("gse"))
        let socket = socket ?? dir.sub("d.sock")
        var arguments = ["daemon", "--gse_path", dir.sub("gse"), "--socket", socket, "--state-dir", dir.sub(stateDir)]
        if !args.contains("--config") { arguments += ["--config", dir.sub("none.yaml")] }
        if !interval.isEmpty { arguments += ["--interval", interval] }
        if !args.contains("--config") { dir.write("none.yaml", "# empty\n") }
        let p = ChildProcess(BuiltBinary.path, arguments + args, environment: env, outputDir: dir.path, name: name)
        return DaemonProcess(dir: dir, process: p, socket: socket)
    }

    /// Waits until the socket answers /report with 200.
    func waitReady(timeoutMs: Int = 20_000) async -> Bool {
        await eventually(timeoutMs: timeoutMs) {
            (try? await httpRequest(socket: socket, target: "/report", timeoutMs: 1000))?.status == 200
        }
    }

    /// A metric's value from /metrics.
    func metric(_ name: String) async -> Double? {
        guard let body = try? await httpRequest(socket: socket, target: "/metrics", timeoutMs: 2000).body else { return nil }
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// Runs `bkdiag <args>` to completion; returns (exit code, stdout, stderr).
    func run(_ args: [String], name: String) async -> (Int32?, String, String) {
        let p = ChildProcess(BuiltBinary.path, args, outputDir: dir.path, name: name)
        let status = await p.wait(timeoutMs: 30_000)
        return (status.flatMap(ChildProcess.exitCode), p.stdout, p.stderr)
    }
}

@Suite(.serialized) struct DaemonProcessTests {
    @Test func notifiesReadyThenStatusThenWatchdogAndStopsOnSIGTERM() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let listener = NotifyListener(path: dir.sub("notify.sock"))
        let d = try await DaemonProcess.start(dir, env: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        var messages = await listener.collect(timeoutMs: 20_000) { $0.contains { $0.split(separator: "\n").contains("READY=1") } }
        // READY only once the socket listens: it answers right away.
        #expect(try await httpRequest(socket: d.socket, target: "/metrics", timeoutMs: 2000).status == 200)
        messages += await listener.collect(timeoutMs: 20_000) { $0.contains("WATCHDOG=1") }
        let ready = messages.firstIndex { $0.split(separator: "\n").contains("READY=1") }
        let status = messages.firstIndex { $0.hasPrefix("STATUS=") && $0.contains(" checks: ") }
        let watchdog = messages.firstIndex(of: "WATCHDOG=1")
        #expect(ready == 0, "\(messages)")
        let r = try #require(ready), s = try #require(status), w = try #require(watchdog)
        #expect(r < s && s < w, "\(messages)")
        d.process.signal(SIGTERM)
        // Keep reading while it stops: STOPPING=1 queues behind what we have not read yet.
        let tail = await listener.collect(timeoutMs: 20_000) { $0.contains("STOPPING=1") }
        #expect(tail.contains("STOPPING=1"))
        let exit = await d.process.wait(timeoutMs: 30_000)
        #expect(exit.flatMap(ChildProcess.exitCode) == 0, "status \(String(describing: exit)): \(d.process.stderr)")
        #expect(access(d.socket, F_OK) != 0, "the socket file is removed on stop")
    }

    /// READY=1 promises the signal handlers are in place: a SIGTERM sent the moment it arrives is a clean stop,
    /// not the default action (Dispatch installs handlers asynchronously; the daemon waits for them).
    @Test func sigtermRightAfterReadyIsACleanStop() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        for round in 0..<8 {
            let listener = NotifyListener(path: dir.sub("notify\(round).sock"))
            let d = try await DaemonProcess.start(dir, name: "early\(round)", env: ["NOTIFY_SOCKET": listener.path])
            let messages = await listener.collect(timeoutMs: 20_000) { $0.contains { $0.split(separator: "\n").contains("READY=1") } }
            d.process.signal(SIGTERM)
            let exit = await d.process.wait(timeoutMs: 30_000)
            #expect(!messages.isEmpty)
            #expect(exit.flatMap(ChildProcess.exitCode) == 0, "round \(round): status \(String(describing: exit)): \(d.process.stderr)")
            #expect(access(d.socket, F_OK) != 0, "round \(round)")
        }
    }

    /// sd_notify blocks while the receiver's queue is full (max_dgram_qlen is often 10): a NOTIFY_SOCKET
    /// nobody reads must not stall the runs or the stop.
    @Test func aNotifySocketNobodyReadsStallsNothing() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let listener = NotifyListener(path: dir.sub("notify.sock"))
        let d = try await DaemonProcess.start(dir, env: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "200000"], interval: "0.02")
        #expect(await d.waitReady())
        let first = await d.metric("bkdiag_daemon_cycles_total") ?? 0
        // 50 runs take 1 s here; a loaded CI machine gets the minute.
        #expect(await eventually(timeoutMs: 60_000) { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= first + 50 })
        d.process.signal(SIGTERM)
        let exit = await d.process.wait(timeoutMs: 30_000)
        #expect(exit.flatMap(ChildProcess.exitCode) == 0, "status \(String(describing: exit)): \(d.process.stderr)")
        _ = listener
    }

    @Test func servesHTTPAndStatusAsksTheDaemon() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let d = try await DaemonProcess.start(dir)
        #expect(await d.waitReady())
        let st = try #require(Sys.statIfPresent(d.socket))
        #expect(st.mode & 0o777 == 0o660)
        let report = try await httpRequest(socket: d.socket, target: "/report")
        #expect(report.status == 200)
        _ = try DiagnosticReport(line: report.body)
        let compat = try await httpRequest(socket: d.socket, target: "/report?format=compat")
        #expect(compat.body.hasPrefix("{\"status\":"))
        let (code, out, _) = await d.run(["status", "--socket", d.socket, "--format", "compat"], name: "status")
        #expect(code == 0)
        #expect(out.hasPrefix("{\"status\":"))
        // --run asks for a fresh run (POST /run), and prints its report.
        let (codeRun, outRun, errRun) = await d.run(["status", "--socket", d.socket, "--run", "--format", "compat"], name: "status-run")
        #expect(codeRun == 0, "\(errRun)")
        #expect(outRun.hasPrefix("{\"status\":"), "\(outRun)")
        let (code2, out2, err2) = await d.run(
            ["status", "--socket", dir.sub("absent.sock"), "--format", "json", "--gse_path", dir.sub("gse")], name: "status2")
        #expect(code2 == 0)
        #expect(err2.contains("ran the checks locally"))
        #expect(out2.hasPrefix("{\"status\":"))
        // A second daemon on the same socket refuses to start instead of stealing it.
        let second = ChildProcess(
            BuiltBinary.path, ["daemon", "--socket", d.socket, "--state-dir", dir.sub("state2"), "--config", dir.sub("none.yaml")],
            outputDir: dir.path, name: "second")
        let secondExit = await second.wait()
        #expect(secondExit.flatMap(ChildProcess.exitCode) == 1)
        #expect(second.stderr.contains("another bkdiag daemon"))
        await d.process.stop()
    }

    /// A config the daemon refuses (a file, or a value given as a flag) exits 78, which the unit names in
    /// `RestartPreventExitStatus=` so that systemd does not restart it every 5 s for ever; nothing is bound.
    @Test func refusedConfigExits78WhichTheUnitDoesNotRestart() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("bad.yaml", "interval: 60\nintreval: 5\n")
        let bad = try await DaemonProcess.start(dir, name: "bad-file", args: ["--config", dir.sub("bad.yaml")], interval: "")
        let badExit = await bad.process.wait(timeoutMs: 20_000)
        #expect(badExit.flatMap(ChildProcess.exitCode) == 78, "\(String(describing: badExit)): \(bad.process.stderr)")
        #expect(bad.process.stderr.contains("unknown key \"intreval\""), "\(bad.process.stderr)")
        #expect(access(bad.socket, F_OK) != 0, "a refused start binds no socket")
        let value = try await DaemonProcess.start(dir, name: "bad-value", interval: "banana")
        let valueExit = await value.process.wait(timeoutMs: 20_000)
        #expect(valueExit.flatMap(ChildProcess.exitCode) == 78, "\(String(describing: valueExit)): \(value.process.stderr)")
        let unit = String(decoding: try Sys.readFile(SystemdUnitTests.packageRoot + "/systemd/bkdiag.service"), as: UTF8.self)
        let lines = unit.split(separator: "\n")
        #expect(lines.contains("RestartPreventExitStatus=78"), "the unit must not restart a refused config")
        #expect(lines.contains("Restart=on-failure"))
    }

    /// Needs root: the child drops to uid 65534 itself.
    @Test(.enabled(if: geteuid() == 0)) func foreignUIDGets403AndTheSocketGroupMayRun() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        chmod(dir.path, 0o755)  // the foreign peer must reach the socket
        dir.write("bkdiag.yaml", "socket_mode: 0666\nsocket_group: root\n")
        let d = try await DaemonProcess.start(dir, args: ["--config", dir.sub("bkdiag.yaml")])
        #expect(await d.waitReady())
        let (_, nobody, nobodyErr) = await d.run(
            ["status", "--socket", d.socket, "--raw-request", "POST /run", "--as-uid", "65534", "--as-gid", "65534"], name: "nobody")
        #expect(nobody.hasPrefix("HTTP 403"), "\(nobody) \(nobodyErr)")
        #expect(nobody.contains("uid 65534"))
        // Reading is open to anyone who can connect.
        let (_, read, _) = await d.run(
            ["status", "--socket", d.socket, "--raw-request", "GET /report", "--as-uid", "65534", "--as-gid", "65534"], name: "nobody-read")
        #expect(read.hasPrefix("HTTP 200"))
        // Same uid, but the primary group is the socket's group (root, gid 0).
        let (_, member, _) = await d.run(
            ["status", "--socket", d.socket, "--raw-request", "POST /run", "--as-uid", "65534", "--as-gid", "0"], name: "member")
        #expect(member.hasPrefix("HTTP 200"), "\(member)")
        let (_, root, _) = await d.run(["status", "--socket", d.socket, "--raw-request", "POST /run"], name: "root")
        #expect(root.hasPrefix("HTTP 200"))
        await d.process.stop()
    }

    /// Needs root: the client drops to uid 65534, which the default socket mode (0660, the daemon's group) keeps out.
    @Test(.enabled(if: geteuid() == 0)) func aUserTheSocketKeepsOutIsToldSoNotThatNoDaemonRuns() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        chmod(dir.path, 0o755)
        let d = try await DaemonProcess.start(dir, interval: "3600")
        #expect(await d.waitReady())
        let nobody = ["--as-uid", "65534", "--as-gid", "65534"]
        let (code, _, err) = await d.run(["status", "--socket", d.socket, "--no-fallback"] + nobody, name: "nobody")
        #expect(code == 1)
        #expect(err.contains("uid 65534 may not connect to the daemon's socket"), "\(err)")
        #expect(!err.contains("systemctl start"), "\(err)")
        // With the fallback, the reason is still said before the local run.
        let (code2, out2, err2) = await d.run(
            ["status", "--socket", d.socket, "--format", "compat", "--gse_path", dir.sub("gse")] + nobody, name: "nobody-fallback")
        #expect(code2 == 0)
        #expect(err2.contains("may not connect") && err2.contains("ran the checks locally"), "\(err2)")
        #expect(out2.hasPrefix("{\"status\":"))
        await d.process.stop()
    }

    @Test func killDashNineDuringWritesLosesNoCompletedReport() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        var kept: [String] = []
        var lastStderr = ""
        for round in 0..<12 {
            let d = try await DaemonProcess.start(dir, name: "kill\(round)", interval: "0.01")
            // Let it write a few reports (however slow the machine), then kill it mid-stream, at a point
            // that moves from round to round.
            #expect(await eventually(timeoutMs: 30_000) { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= 4 }, "round \(round)")
            await sleepMs((round * 37) % 200)
            d.process.signal(SIGKILL)
            _ = await d.process.wait()
            lastStderr = d.process.stderr
            let store = try ReportHistory(directory: dir.sub("state"), limits: HistoryLimits())
            #expect(store.recovery.skippedBytes == 0)
            let lines = try store.entries(sinceMs: 0, limit: 1_000_000).map(\.line)
            #expect(lines.count >= kept.count, "round \(round)")
            #expect(Array(lines.prefix(kept.count)) == kept, "round \(round): earlier reports changed")
            for l in lines.suffix(lines.count - kept.count) { #expect((try? DiagnosticReport(line: l)) != nil) }
            kept = lines
        }
        #expect(kept.count >= 48, "\(lastStderr)")
    }

    @Test func sighupPicksUpAChangedInterval() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("bkdiag.yaml", "interval: 30\n")
        let d = try await DaemonProcess.start(dir, args: ["--config", dir.sub("bkdiag.yaml")], interval: "")
        #expect(await d.waitReady())
        #expect(await d.metric("bkdiag_daemon_interval_seconds") == 30)
        // /report answers once the first report exists; the cycle is counted after its history append.
        #expect(await eventually { await d.metric("bkdiag_daemon_cycles_total") == 1 })
        dir.write("bkdiag.yaml", "interval: 0.05\n")
        d.process.signal(SIGHUP)
        #expect(await eventually { await d.metric("bkdiag_daemon_interval_seconds") == 0.05 })
        #expect(await eventually { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= 10 })
        // A bad file is rejected and the running configuration kept; the socket stays up throughout.
        dir.write("bkdiag.yaml", "interval: never\n")
        d.process.signal(SIGHUP)
        #expect(await eventually { await d.metric("bkdiag_daemon_reload_errors_total") == 1 })
        #expect(await d.metric("bkdiag_daemon_interval_seconds") == 0.05)
        #expect(d.process.stderr.contains("bkdiag.yaml:1: bad interval"))
        await d.process.stop()
    }

    /// Real semantics: gse_agent/socket turns from fail to pass when the root's gse_agent listens at the IPC path
    /// (a real process run from the root's agent/bin: a listener no agent of the root holds is not a pass).
    /// Needs the real check engine; with the stub runner (no checks at all) there is nothing to change.
    @Test func aStateChangeOfTheIPCSocketLogsExactlyOneEvent() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("gse"))
        let probe = await DiagnosticRunner(options: CheckOptions(gsePath: dir.sub("gse"), ipcSocketFile: dir.sub("ipc.sock"))).run()
        guard probe.result(module: "gse_agent", item: "socket") != nil else {
            print("skipped: the check engine in this tree is the stub (no gse_agent/socket check)")
            return
        }
        let d = try await DaemonProcess.start(dir, args: ["--ipc_socket_file", dir.sub("ipc.sock")])
        #expect(await d.waitReady())
        func socketVerdict() async -> Verdict? {
            guard let body = try? await httpRequest(socket: d.socket, target: "/report").body else { return nil }
            return (try? DiagnosticReport(line: body))?.result(module: "gse_agent", item: "socket")?.verdict
        }
        #expect(await socketVerdict() == .fail)
        // The root's agent: the fake copied to gse/agent/bin/gse_agent, run from there, listening on the path.
        try Sys.mkdirs(dir.sub("gse/agent/bin"))
        try ExecutableFiles.copy(FakeHost.fakeBinary, to: dir.sub("gse/agent/bin/gse_agent"))
        let agent = try FakeProcess.launch(
            dir.sub("gse/agent/bin/gse_agent"), ["agent", "--listen", dir.sub("ipc.sock")], cwd: dir.sub("gse/agent/bin"))
        defer { agent.stop() }
        #expect(await eventually { await socketVerdict() == .pass })
        let cycles = await d.metric("bkdiag_daemon_cycles_total") ?? 0
        #expect(await eventually { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= cycles + 5 })
        // Whole `key=value` tokens: `item=socket` must not match `item=socket_queue_status`.
        let events = d.process.stderr.split(separator: "\n").filter { line in
            let tokens = Set(line.split(separator: " ").map(String.init))
            return line.contains("check state changed")
                && tokens.isSuperset(of: ["item=socket", "module=gse_agent", "previous_verdict=fail", "verdict=pass"])
        }
        #expect(events.count == 1, "\(d.process.stderr)")
        await d.process.stop()
    }
}

/// The journal side, for real: the daemon runs in a private mount namespace whose /run/systemd/journal/socket
/// is a datagram socket the test binds (through /proc/<pid>/root), so libsystemd's sd_journal_sendv lands here.
@Suite(.serialized) struct DaemonJournalTests {
    static var canUnshare: Bool { geteuid() == 0 && access("/usr/bin/unshare", X_OK) == 0 }

    func writeReport(_ dir: TempDir, socket: Verdict) {
        let r = Reports.make([("gse_agent", "process", .pass), ("gse_agent", "socket", socket)])
        // Replaced whole (written aside, then renamed): the daemon reads the file every 50 ms, and one read
        // between a truncation and the write saw no report (an unknown, and a state change the test did not make).
        dir.write("report.json.new", r.richLine() + "\n")
        precondition(rename(dir.sub("report.json.new"), dir.sub("report.json")) == 0)
    }

    /// Journal entries parsed from the native protocol: `KEY=value` lines.
    func fields(_ datagram: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in datagram.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    @Test(.enabled(if: canUnshare))
    func oneStructuredJournalEntryPerStateChange() async throws {
        try #require(BuiltBinary.exists)
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("none.yaml", "# empty\n")
        writeReport(dir, socket: .fail)
        let daemon = [
            BuiltBinary.path, "daemon", "--socket", dir.sub("d.sock"), "--state-dir", dir.sub("state"), "--config", dir.sub("none.yaml"),
            "--interval", "0.05", "--test-report-file", dir.sub("report.json"),
        ].joined(separator: " ")
        let script =
            "mount -t tmpfs none /run/systemd 2>/dev/null || { mkdir -p /run/systemd && mount -t tmpfs none /run/systemd; }; "
            + "mkdir -p /run/systemd/journal; while [ ! -S /run/systemd/journal/socket ]; do sleep 0.05; done; exec \(daemon)"
        let p = ChildProcess(
            "/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script], outputDir: dir.path, name: "ns")
        let journalDir = "/proc/\(p.pid)/root/run/systemd/journal"
        #expect(await eventually { Sys.isDirectory(journalDir) }, "\(p.stderr)")
        let journal = NotifyListener(path: journalDir + "/socket")
        let d = DaemonProcess(dir: dir, process: p, socket: dir.sub("d.sock"))
        #expect(await d.waitReady(), "\(p.stderr)")

        var entries = await journal.collect(timeoutMs: 5000) { $0.count >= 1 }
        #expect(entries.count == 1)
        writeReport(dir, socket: .pass)
        entries += await journal.collect(timeoutMs: 5000) { $0.count >= 1 }
        let cycles = await d.metric("bkdiag_daemon_cycles_total") ?? 0
        #expect(await eventually { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= cycles + 10 })
        entries += await journal.collect(timeoutMs: 300) { _ in false }
        let parsed = entries.map(fields)
        #expect(parsed.count == 2, "\(entries)")
        #expect(parsed.first?["MODULE"] == "gse_agent")
        #expect(parsed.first?["ITEM"] == "socket")
        #expect(parsed.first?["VERDICT"] == "fail")
        #expect(parsed.first?["PREVIOUS_VERDICT"] == "none")
        #expect(parsed.first?["PRIORITY"] == "3")
        #expect(parsed.last?["VERDICT"] == "pass")
        #expect(parsed.last?["PREVIOUS_VERDICT"] == "fail")
        #expect(parsed.last?["SYSLOG_IDENTIFIER"] == "bkdiag")
        #expect(parsed.last?["MESSAGE"] == "gse_agent/socket: fail -> pass: socket is pass")
        #expect(parsed.last?["CHECK_MESSAGE"] == "socket is pass")
        #expect(!p.stderr.contains("check state changed"), "with a journal the events go there, not to stderr")
        await p.stop()
    }

    /// Without a journal the same events are log records on stderr, one per change.
    @Test func withoutAJournalStateChangesGoToStderrOncePerChange() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        writeReport(dir, socket: .fail)
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "0.05")
        #expect(await d.waitReady())
        writeReport(dir, socket: .pass)
        #expect(await eventually { await d.metric("bkdiag_daemon_state_changes_total") == 2 })
        let cycles = await d.metric("bkdiag_daemon_cycles_total") ?? 0
        #expect(await eventually { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= cycles + 10 })
        #expect(await d.metric("bkdiag_daemon_state_changes_total") == 2)
        let lines = d.process.stderr.split(separator: "\n").filter { $0.contains("check state changed") }
        #expect(lines.count == 2, "\(lines)")
        let tokens = Set((lines.last ?? "").split(separator: " ").map(String.init))
        #expect(tokens.isSuperset(of: ["item=socket", "module=gse_agent", "previous_verdict=fail", "verdict=pass"]), "\(lines)")
        await d.process.stop()
    }

    /// A check's message carries file names as they are (`logpath_match` lists the matched files): one with a
    /// newline in its name must not start a line of its own on stderr, where it would read as a record the
    /// daemon never logged (anyone who may create a file under a collected directory could forge one).
    @Test func aMessageWithANewlineStaysOnItsStateChangeLine() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let forged = "2026-01-01T00:00:00+0000 critical bkdiag: FORGED"
        let report = DiagnosticReport(
            results: [CheckResult(module: "log_path", item: "logpath_match", verdict: .fail, message: "/data/x\n\(forged)\r\u{1b}[2J.log")],
            version: "test", generatedAtMs: Timestamp.nowMilliseconds(), durationMs: 1)
        dir.write("report.json", report.richLine() + "\n")
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        #expect(await d.waitReady())
        #expect(await eventually { d.process.stderr.contains("check state changed") })
        await d.process.stop()
        let lines = d.process.stderr.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("2026-01-01T00:00:00") }, "\(d.process.stderr)")
        let line = try #require(lines.first { $0.contains("check state changed") })
        #expect(line.contains(#"/data/x\n2026-01-01T00:00:00+0000 critical bkdiag: FORGED\r\x1b[2J.log"#), "\(line)")
    }
}

/// The daemon bounded against its own clients and state files (issue 12): each test plays what broke it.
@Suite(.serialized) struct DaemonBoundsTests {
    /// A report of about 15 KB of JSON, different for each `i`.
    static func bigLine(_ i: Int, at ms: Int64) -> String {
        let results = (0..<60).map { k in
            CheckResult(
                module: "log_path", item: "item\(k)", verdict: .pass,
                message: "report \(i) check \(k) " + String(repeating: "m", count: 180))
        }
        return DiagnosticReport(results: results, version: "test", generatedAtMs: ms, durationMs: 1).richLine()
    }

    /// Sends a GET and returns the connected descriptor (receive timeout `timeoutMs`).
    static func send(_ socket: String, _ target: String, timeoutMs: Int = 30_000) throws -> Int32 {
        let fd = try Sys.connectUnix(path: socket, timeoutMs: timeoutMs)
        try Sys.writeAll(fd, Array("GET \(target) HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n".utf8))
        return fd
    }

    @Test func historyReadersInParallelAndStalledKeepTheDaemonSmall() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        // 1000 reports of ~15 KB: one /history?limit=1000 answer is ~15 MB.
        let now = Timestamp.nowMilliseconds()
        do {
            let store = try ReportHistory(directory: dir.sub("state"), limits: HistoryLimits())
            for i in 0..<1000 {
                let at = now - 600_000 + Int64(i) * 100
                try store.append(line: Self.bigLine(i, at: at), generatedAtMs: at)
            }
        }
        dir.write("report.json", Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n")
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let pid = d.process.pid
        let baseline = try #require(procStatusKB(pid, "VmRSS"))

        // 8 readers ask for everything, take 4 KB and stall.
        let stalled = Flag(true)
        let socket = d.socket
        let readers = (0..<8).map { _ in
            Task(executorPreference: OwnThreadsExecutor.shared) {
                try await blocking { () throws -> [UInt8] in
                    let fd = try Self.send(socket, "/history?since=0&limit=1000", timeoutMs: 60_000)
                    defer { Sys.close(fd) }
                    var first = [UInt8](repeating: 0, count: 4096)
                    let n = first.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    while stalled.isSet { usleep(20_000) }
                    return Array(first[0..<max(0, n)]) + (try Sys.readToEnd(fd, limit: 64 << 20))
                }
            }
        }
        await sleepMs(1500)
        // Another client is served while they stall.
        #expect(try await httpRequest(socket: socket, target: "/metrics", timeoutMs: 30_000).status == 200)
        let stalledHWM = try #require(procStatusKB(pid, "VmHWM"))
        stalled.set(false)
        for r in readers {
            let raw = try await r.value
            let answer = RawAnswer(raw)
            #expect(answer.status == 200)
            #expect(Int(answer.headers["content-length"] ?? "") == answer.body.utf8.count)
            guard case .object(let top) = try JSONValue.parse(answer.body) else { Issue.record("not an object"); continue }
            #expect(top.first?.0 == "count" && top.first?.1 == .int(1000))
            guard case .array(let reports) = top.first(where: { $0.0 == "reports" })?.1 else { Issue.record("no reports"); continue }
            #expect(reports.count == 1000)
        }
        let hwm = try #require(procStatusKB(pid, "VmHWM"))
        // Eight 15 MB answers built whole cost over 100 MB; streamed they cost a few chunks.
        #expect(hwm - baseline < 8 * 1024, "VmRSS at start \(baseline) kB, VmHWM stalled \(stalledHWM) kB, after \(hwm) kB")
        #expect(hwm < 32 * 1024, "VmHWM \(hwm) kB")
    }

    @Test func aFIFOInPlaceOfAHistoryFileIsMovedAsideNotWaitedFor() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("state"))
        #expect(mkfifo(dir.sub("state/history-00000001.log"), 0o644) == 0)
        let d = try await DaemonProcess.start(dir, interval: "0.2")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady(timeoutMs: 20_000), "\(d.process.stderr)")
        #expect(await eventually { (await d.metric("bkdiag_daemon_history_reports") ?? 0) >= 1 })
        #expect(await d.metric("bkdiag_daemon_history_errors_total") == 0)
        #expect(d.process.stderr.contains("moved aside"), "\(d.process.stderr)")
        let names = (try? Sys.listDirectory(dir.sub("state"))) ?? []
        #expect(names.contains { $0.hasPrefix("history-00000001.log.bad") }, "\(names)")
    }

    @Test func aDirectoryInPlaceOfAHistoryFileIsMovedAsideAndWritesGoOn() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("state/history-00000001.log"))
        let d = try await DaemonProcess.start(dir, interval: "0.1")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let cycles = await d.metric("bkdiag_daemon_cycles_total") ?? 0
        #expect(await eventually { (await d.metric("bkdiag_daemon_cycles_total") ?? 0) >= cycles + 3 })
        #expect(await d.metric("bkdiag_daemon_history_errors_total") == 0, "\(d.process.stderr)")
        #expect((await d.metric("bkdiag_daemon_history_reports") ?? 0) >= 3)
        #expect(d.process.stderr.contains("moved aside"), "\(d.process.stderr)")
    }

    @Test func aSparseGigabyteHistoryFileCostsNoMemory() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("state"))
        let path = dir.sub("state/history-00000001.log")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
        #expect(fd >= 0)
        try Sys.writeAll(fd, Array("BKDHIST1".utf8))
        try Sys.ftruncate(fd, 1 << 30)
        Sys.close(fd)
        let d = try await DaemonProcess.start(dir, interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady(timeoutMs: 30_000), "\(d.process.stderr)")
        let hwm = try #require(procStatusKB(d.process.pid, "VmHWM"))
        #expect(hwm < 64 * 1024, "VmHWM \(hwm) kB")
        #expect(await d.metric("bkdiag_daemon_history_errors_total") == 0)
        #expect(d.process.stderr.contains("moved aside"), "\(d.process.stderr)")
    }

    @Test func aSecondDaemonOnTheSameStateDirectoryExitsAndChangesNothing() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n")
        let first = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { first.process.signal(SIGKILL) }
        #expect(await first.waitReady())
        // Ready comes with the first report; its record may still be on its way to the store (on a loaded
        // machine the snapshot once caught the segment's .tmp before its rename).
        #expect(await eventually(timeoutMs: 30_000) { await first.metric("bkdiag_daemon_history_reports") == 1 })
        let before = snapshot(dir.sub("state"))
        // On another socket (would share the store) and on the same socket (refused there, after the store).
        for (round, socket) in [dir.sub("other.sock"), first.socket].enumerated() {
            let second = try await DaemonProcess.start(
                dir, name: "second\(round)", args: ["--test-report-file", dir.sub("report.json")], interval: "0.05", socket: socket
            ).process
            let exit = await second.wait(timeoutMs: 15_000)
            if exit == nil { second.signal(SIGKILL); _ = await second.wait() }
            #expect(exit.flatMap(ChildProcess.exitCode) == 1, "round \(round): \(second.stderr)")
            #expect(second.stderr.contains("state directory"), "round \(round): \(second.stderr)")
            #expect(snapshot(dir.sub("state")) == before, "round \(round)")
        }
        #expect(try await httpRequest(socket: first.socket, target: "/report").status == 200)
    }

    /// A daemon whose socket file was removed and taken by another daemon must not remove that one's on
    /// its way out: it removes the file it bound, only while the path is still that file.
    @Test func stoppingRemovesOnlyTheSocketFileItBound() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n")
        let first = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { first.process.signal(SIGKILL) }
        #expect(await first.waitReady())
        try Sys.unlink(first.socket)
        let second = try await DaemonProcess.start(
            dir, name: "second", args: ["--test-report-file", dir.sub("report.json")], interval: "3600", socket: first.socket,
            stateDir: "state2"
        ).process
        defer { second.signal(SIGKILL) }
        #expect(await first.waitReady(), "the second daemon answers on the path: \(second.stderr)")
        first.process.signal(SIGTERM)
        let exit = await first.process.wait(timeoutMs: 15_000)
        #expect(exit.flatMap(ChildProcess.exitCode) == 0, "\(first.process.stderr)")
        // The second daemon's socket is still there, and still answers.
        #expect(Sys.lstatIfPresent(first.socket)?.isSocket == true)
        #expect(try await httpRequest(socket: first.socket, target: "/report").status == 200)
        second.signal(SIGTERM)
        _ = await second.wait(timeoutMs: 15_000)
        #expect(Sys.lstatIfPresent(first.socket) == nil, "the second removes its own socket file")
    }

    /// Replacing a stale socket file and binding happen under the lock beside it: while another process
    /// holds `<socket>.lock` the daemon neither removes the stale file nor binds, and once it is free the
    /// daemon takes over the path.
    @Test func aStaleSocketIsReplacedOnlyUnderTheLockBesideIt() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n")
        let socket = dir.sub("d.sock")
        // A stale socket file: bound, then its listener closed.
        Sys.close(try Sys.listenUnix(path: socket, mode: 0o660, gid: nil))
        let lock = open(socket + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(lock >= 0)
        defer { Sys.close(lock) }
        // The bind above held this lock for a moment: a child another test spawned in that moment holds a copy of
        // it until its exec (close-on-exec), so the lock may be busy for a few milliseconds more.
        var locked = false
        for _ in 0..<200 where !locked {
            locked = flock(lock, LOCK_EX | LOCK_NB) == 0
            if !locked { await sleepMs(5) }
        }
        let lockedAt = MonotonicClock.milliseconds()
        #expect(locked)
        // The daemon starts waiting after the lock was taken, so it cannot have waited its 2 s while this
        // test has held the lock for less (a loaded machine can stretch the sleeps below past that).
        let heldUnderWait = { MonotonicClock.milliseconds() - lockedAt < 2000 }
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { d.process.signal(SIGKILL) }
        await sleepMs(500)
        // Still the stale file, nobody listening (an inode number alone could be reused by a fresh bind).
        #expect(Sys.lstatIfPresent(socket)?.isSocket == true)
        let probe = try? Sys.connectUnix(path: socket, timeoutMs: 200)
        #expect(probe == nil, "nothing is bound while the lock is held: \(d.process.stderr)")
        if let probe { Sys.close(probe) }
        let exited = await d.process.wait(timeoutMs: 10)
        flock(lock, LOCK_UN)
        if heldUnderWait() {
            #expect(exited == nil, "a lock held for under 2 s is waited for: \(d.process.stderr)")
            #expect(await d.waitReady(), "\(d.process.stderr)")
        } else {
            // Held past the wait: giving up and saying the socket is in use is right too, but nothing else.
            let ready = exited == nil ? await d.waitReady() : false
            if !ready {
                #expect(await d.process.wait(timeoutMs: 10_000) != nil)
                #expect(d.process.stderr.contains("Address already in use"), "\(d.process.stderr)")
            }
        }
    }

    /// A lock beside the socket that stays held is reported as the socket in use, not waited on forever.
    @Test func aSocketLockHeldTooLongIsReportedAsInUse() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let socket = dir.sub("d.sock")
        let lock = open(socket + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { Sys.close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        do {
            _ = try Sys.listenUnix(path: socket, mode: 0o660, gid: nil, lockWaitMs: 100)
            Issue.record("bound although the lock is held")
        } catch {
            #expect(error.errno == EADDRINUSE, "\(error)")
        }
        #expect(Sys.lstatIfPresent(socket) == nil, "nothing was bound")
        flock(lock, LOCK_UN)
        Sys.close(try Sys.listenUnix(path: socket, mode: 0o660, gid: nil, lockWaitMs: 100))
        #expect(Sys.lstatIfPresent(socket)?.isSocket == true)
        // A symlink planted where the lock file goes is not followed, and not skipped either.
        let planted = dir.sub("p.sock")
        #expect(symlink(dir.sub("elsewhere"), planted + ".lock") == 0)
        do {
            _ = try Sys.listenUnix(path: planted, mode: 0o660, gid: nil, lockWaitMs: 100)
            Issue.record("bound with a symlink as its lock")
        } catch {
            #expect(error.errno == ELOOP, "\(error)")
        }
        #expect(Sys.lstatIfPresent(planted) == nil && Sys.lstatIfPresent(dir.sub("elsewhere")) == nil)
        // A directory in its place: refused too, not bound without the lock.
        let dirLock = dir.sub("d2.sock")
        #expect(mkdir(dirLock + ".lock", 0o700) == 0)
        #expect(throws: ProbeError.self) { _ = try Sys.listenUnix(path: dirLock, mode: 0o660, gid: nil, lockWaitMs: 100) }
        #expect(Sys.lstatIfPresent(dirLock) == nil)
    }

    @Test func sigtermIsNotHeldUpByAReloadOfAFIFOConfig() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("bkdiag.yaml", "interval: 30\n")
        let d = try await DaemonProcess.start(dir, args: ["--config", dir.sub("bkdiag.yaml")], interval: "")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        unlink(dir.sub("bkdiag.yaml"))
        #expect(mkfifo(dir.sub("bkdiag.yaml"), 0o644) == 0)
        d.process.signal(SIGHUP)
        await sleepMs(500)
        d.process.signal(SIGTERM)
        // bkdiag.service's TimeoutStopSec is 15 s.
        let exit = await d.process.wait(timeoutMs: 15_000)
        #expect(exit.flatMap(ChildProcess.exitCode) == 0, "status \(String(describing: exit)): \(d.process.stderr)")
    }

    /// Out of file descriptors with connections waiting in the backlog, the daemon waits instead of spinning:
    /// a failed accept used to leave the listening socket armed, and the event loop took a whole core until
    /// descriptors were free again. Once they are, the waiting clients are served.
    @Test func outOfDescriptorsTheDaemonWaitsAndServesOnceFree() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let d = try await DaemonProcess.start(dir, interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let pid = d.process.pid
        // A limit of a few descriptors more than it holds now.
        let open = try Sys.listDirectory("/proc/\(pid)/fd").count
        // Only the soft limit: raising a hard limit again needs privilege.
        var original = rlimit()
        try #require(prlimit(pid, Int32(RLIMIT_NOFILE.rawValue), nil, &original) == 0, "prlimit: errno \(errno)")
        var limit = rlimit(rlim_cur: rlim_t(open + 3), rlim_max: original.rlim_max)
        try #require(prlimit(pid, Int32(RLIMIT_NOFILE.rawValue), &limit, nil) == 0, "prlimit: errno \(errno)")
        var clients: [Int32] = []
        defer { for fd in clients { Sys.close(fd) } }
        // Fewer than one process's share of connections (16), so none is refused once accepted.
        for _ in 0..<12 { clients.append(try Sys.connectUnix(path: d.socket, timeoutMs: 5000)) }
        // Requests sent by the waiting clients: they are answered once the daemon can accept them.
        for fd in clients.suffix(3) { try Sys.writeAll(fd, Array("GET /report HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try Sys.listDirectory("/proc/\(pid)/fd").count >= open + 3, "the daemon is at its limit")
        func cpuTicks() throws -> Int {
            let stat = String(decoding: try Sys.readFile("/proc/\(pid)/stat", limit: 4096), as: UTF8.self)
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return Int(fields[11])! + Int(fields[12])!
        }
        let before = try cpuTicks()
        try await Task.sleep(for: .seconds(2))
        let used = Double(try cpuTicks() - before) / Double(sysconf(Int32(_SC_CLK_TCK)))
        #expect(used < 0.5, "the daemon used \(used) s of CPU in 2 s at its descriptor limit")
        // Descriptors free again (the limit raised): the clients that sent requests get their answers.
        try #require(prlimit(pid, Int32(RLIMIT_NOFILE.rawValue), &original, nil) == 0, "prlimit: errno \(errno)")
        let asking = Array(clients.suffix(3))
        let answers = try await blocking {
            asking.map { String(decoding: (try? Sys.readToEnd($0, limit: 1 << 20)) ?? [], as: UTF8.self) }
        }
        for a in answers { #expect(a.hasPrefix("HTTP/1.1 200"), "\(a.prefix(60))") }
    }

    /// A daemon whose connection slots are all taken answers 503 with `Retry-After: 1`: `bkdiag status` asks again
    /// after it while its budget lasts, then runs the checks itself (or, with --no-fallback, fails saying why).
    @Test func statusAsksABusyDaemonAgainThenRunsTheChecksItself() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("gse"))
        let path = dir.sub("busy.sock")
        let listener = try Sys.listenUnix(path: path, mode: 0o600, gid: nil)
        defer { Sys.close(listener) }
        let answered = Counter()
        let server = Task(executorPreference: OwnThreadsExecutor.shared) {
            try await blocking {
                serve503(listener, answered)
            }
        }
        let p = ChildProcess(
            BuiltBinary.path, ["status", "--socket", path, "--format", "json", "--gse_path", dir.sub("gse")], outputDir: dir.path,
            name: "busy")
        let started = MonotonicClock.seconds()
        let status = await p.wait(timeoutMs: 30_000)
        #expect(status.flatMap(ChildProcess.exitCode) == 0, "\(p.stderr)")
        #expect(p.stderr.contains("is busy") && p.stderr.contains("ran the checks locally instead"), "\(p.stderr)")
        #expect(p.stdout.hasPrefix("{"), "\(p.stdout)")
        // Asked more than once, a second apart, within the 5 s budget.
        #expect(answered.value >= 2 && answered.value <= 5, "\(answered.value) requests")
        #expect(MonotonicClock.seconds() - started < 15)
        let strict = ChildProcess(
            BuiltBinary.path, ["status", "--socket", path, "--no-fallback", "--gse_path", dir.sub("gse")], outputDir: dir.path,
            name: "strict")
        let strictStatus = await strict.wait(timeoutMs: 30_000)
        #expect(strictStatus.flatMap(ChildProcess.exitCode) == 1)
        #expect(strict.stderr.contains("answered 503") && strict.stderr.contains("too many connections"), "\(strict.stderr)")
        shutdown(listener, Int32(SHUT_RDWR))
        _ = await server.result
    }

    /// `bkdiag status --format nagios` is what an NRPE check runs: Nagios reads the state from the exit status,
    /// not from the text, so `--exit-code` gives the report's Nagios code (as `bkdiag --once --exit-code` does),
    /// and a daemon that cannot be asked is UNKNOWN (3), not WARNING (1).
    @Test func statusGivesNagiosCodesWithExitCode() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let report = Reports.make([("gse_agent", "process", .pass), ("gse_agent", "socket", .fail)])
        dir.write("report.json", report.richLine() + "\n")
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let (code, out, err) = await d.run(["status", "--socket", d.socket, "--format", "nagios", "--exit-code"], name: "nagios")
        #expect(code == 2, "\(out) \(err)")
        #expect(out.hasPrefix("BKDIAG CRITICAL"), "\(out)")
        // Without the flag the status stays 0 whenever a report was printed.
        let (plain, _, _) = await d.run(["status", "--socket", d.socket, "--format", "nagios"], name: "plain")
        #expect(plain == 0)
        let (gone, _, goneErr) = await d.run(
            ["status", "--socket", dir.sub("none.sock"), "--no-fallback", "--format", "nagios", "--exit-code"], name: "gone")
        #expect(gone == 3, "\(goneErr)")
        let (goneDefault, _, _) = await d.run(["status", "--socket", dir.sub("none.sock"), "--no-fallback"], name: "gone-default")
        #expect(goneDefault == 1)
        await d.process.stop()
    }

    /// A daemon whose runs hang keeps serving its last report: `bkdiag status` shows when it was made and how
    /// old it is, and once it is older than 2 × interval + deadline (the daemon's own, from its answer's headers)
    /// says it is stale, and `--exit-code` gives UNKNOWN (3) however good the old verdicts were.
    @Test func statusSaysAHungDaemonsReportIsStale() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "process", .pass), ("gse_agent", "socket", .pass)]).richLine() + "\n")
        let d = try await DaemonProcess.start(
            dir, args: ["--test-report-file", dir.sub("report.json"), "--timeout", "1"], interval: "1")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let (fresh, freshOut, freshErr) = await d.run(["status", "--socket", d.socket, "--exit-code"], name: "fresh")
        #expect(fresh == 0, "\(freshOut) \(freshErr)")
        #expect(freshOut.hasPrefix("report made 20") && freshOut.contains(" ago (stale after"), "\(freshOut)")
        #expect(freshOut.contains("the daemon's 2 x 1 s interval + 1 s deadline = 3 s"), "\(freshOut)")
        // Every run from now on blocks opening the report file (a FIFO nobody writes), as a check stuck on a hung mount.
        #expect(mkfifo(dir.sub("report.fifo"), 0o644) == 0)
        #expect(rename(dir.sub("report.fifo"), dir.sub("report.json")) == 0)
        var last = (Int32?.none, "", "")
        let stale = await eventually(timeoutMs: 20_000) {
            last = await d.run(["status", "--socket", d.socket, "--exit-code"], name: "stale")
            return last.0 == 3
        }
        #expect(stale, "\(last)")
        #expect(last.1.hasPrefix("STALE: the daemon's latest report was made 20"), "\(last.1)")
        #expect(last.1.contains("older than its schedule allows (the daemon's 2 x 1 s interval + 1 s deadline = 3 s)"), "\(last.1)")
        #expect(last.1.contains("PASS"), "the old verdicts are still shown: \(last.1)")
        // JSON: the report's fields as they were, the age added; the stored verdict is still a pass.
        let (_, json, jsonErr) = await d.run(["status", "--socket", d.socket, "--format", "json"], name: "json")
        let parsed = try JSONValue.parse(String(json.prefix { $0 != "\n" }))
        #expect(parsed["result"]?.stringValue == "pass", "\(json)")
        #expect(parsed["stale"]?.boolValue == true, "\(json)")
        #expect(parsed["stale_after_ms"]?.intValue == 3000, "\(json)")
        #expect((parsed["report_age_ms"]?.intValue ?? 0) > 3000, "\(json)")
        #expect((try? DiagnosticReport(line: String(json.prefix { $0 != "\n" })))?.overall == .pass)
        #expect(jsonErr.contains("STALE:"), "\(jsonErr)")
        let (nagiosCode, nagios, _) = await d.run(["status", "--socket", d.socket, "--format", "nagios", "--exit-code"], name: "nagios")
        #expect(nagiosCode == 3)
        #expect(nagios.hasPrefix("BKDIAG UNKNOWN - stale report, made 20") && nagios.contains("it said: OK - "), "\(nagios)")
        // check.py's line stays check.py's.
        let (_, compat, compatErr) = await d.run(["status", "--socket", d.socket, "--format", "compat"], name: "compat")
        #expect(compat.hasPrefix("{\"status\":true,\"data\":"), "\(compat)")
        #expect(compatErr.contains("STALE:"), "\(compatErr)")
    }

    /// A daemon that does not say its schedule (one from before the headers) is judged by the defaults,
    /// 2 × 60 s + 5 s: a report 30 s old is fine, one 10 minutes old is stale.
    @Test func statusJudgesAReportWithoutScheduleHeadersByTheDefaults() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("gse"))
        for (name, ageMs, code) in [("recent", Int64(30_000), Int32(2)), ("old", Int64(600_000), Int32(3))] {
            let now = Timestamp.nowMilliseconds()
            let path = dir.sub("\(name).sock")
            let listener = try Sys.listenUnix(path: path, mode: 0o600, gid: nil)
            defer { Sys.close(listener) }
            let body = Reports.make([("gse_agent", "socket", .fail)], at: now - ageMs).richLine() + "\n"
            let server = Task(executorPreference: OwnThreadsExecutor.shared) { try await blocking { serveReport(listener, body: body) } }
            let p = ChildProcess(
                BuiltBinary.path, ["status", "--socket", path, "--no-fallback", "--exit-code"], outputDir: dir.path, name: name)
            let status = await p.wait(timeoutMs: 30_000)
            #expect(status.flatMap(ChildProcess.exitCode) == code, "\(name): \(p.stdout) \(p.stderr)")
            #expect(p.stdout.contains("2 x 60 s interval + 5 s deadline = 125 s, the defaults"), "\(p.stdout)")
            #expect(p.stdout.hasPrefix(code == 3 ? "STALE: " : "report made "), "\(p.stdout)")
            // Measured when the child asks: at least the age given, and no more than the time this case took
            // besides (a loaded machine can take seconds to start the child).
            let took = Int64((Timestamp.nowMilliseconds() - now) / 1000) + 1
            if code == 3 {
                #expect(p.stdout.contains(", 10 min ago"), "\(p.stdout)")
            } else {
                let age = p.stdout.firstMatch(of: /, (\d+) s ago/).flatMap { Int64($0.1) }
                #expect(age.map { $0 >= 30 && $0 <= 30 + took } == true, "\(took) s: \(p.stdout)")
            }
            _ = await server.result
        }
    }

    /// What comes over the socket is not trusted to be sane: a schedule header no daemon's config can hold
    /// (`1e300` seconds) is replaced by the defaults, and a `generated_at_ms` at either end of Int64 gives an age
    /// held to Int64's range. Neither may trap `bkdiag status` (it did: an Int64 conversion and a subtraction
    /// that overflowed).
    @Test func statusSurvivesAbsurdScheduleHeadersAndReportTimes() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let now = Timestamp.nowMilliseconds()
        let huge = "Bkdiag-Interval-Seconds: 1e300\r\nBkdiag-Deadline-Seconds: 1e300\r\n"
        let cases: [(name: String, at: Int64, headers: String, code: Int32, says: String)] = [
            ("huge", now - 30_000, huge, 2, "2 x 60 s interval + 5 s deadline = 125 s, the defaults"),
            ("min", -Int64.max, "", 3, "STALE: "),
            ("max", Int64.max, "", 2, "ahead of this host's clock"),
        ]
        for c in cases {
            let (status, out, err) = try await statusOfServedReport(dir, c.name, at: c.at, headers: c.headers)
            #expect(status.flatMap(ChildProcess.exitCode) == c.code, "\(c.name): \(String(describing: status)) \(out) \(err)")
            #expect(out.contains(c.says), "\(c.name): \(out)")
        }
    }

    /// A report is dated at its run's start and replaced when the next run ends: with a deadline longer than the
    /// interval, runs that each take the whole deadline (a check hung on a mount, cut off at the deadline every
    /// time) run back to back, and a healthy daemon serves a report up to 2 x deadline old. 90 s under a 1 s
    /// interval and a 60 s deadline is such a report, not a stale one (2 x interval + deadline said 62 s); the
    /// 90 s to the bound leave a loaded machine all the time it needs to start the child.
    @Test func aDeadlineLongerThanTheIntervalWidensTheStaleBound() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let (status, out, err) = try await statusOfServedReport(
            dir, "slow", at: Timestamp.nowMilliseconds() - 90_000,
            headers: "Bkdiag-Interval-Seconds: 1\r\nBkdiag-Deadline-Seconds: 60\r\n")
        #expect(status.flatMap(ChildProcess.exitCode) == 2, "\(String(describing: status)) \(out) \(err)")
        #expect(out.hasPrefix("report made "), "\(out)")
        #expect(
            out.contains("(stale after the daemon's 2 x 60 s deadline (longer than the 1 s interval) + 60 s deadline = 180 s)"), "\(out)")
    }

    /// After a SIGHUP that shortens the interval, the report made under the old one is judged by the old one until
    /// a run under the new one has finished: it was not overdue, and the run the reload starts may take a while
    /// (here it hangs). It was called STALE (exit 3) as soon as it was older than the new 2 x interval + deadline.
    @Test func aReloadShorteningTheIntervalDoesNotMakeTheLastReportStale() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "process", .pass)]).richLine() + "\n")
        dir.write("bkdiag.yaml", "interval: 3600\n")
        let d = try await DaemonProcess.start(
            dir, args: ["--config", dir.sub("bkdiag.yaml"), "--test-report-file", dir.sub("report.json"), "--timeout", "0.1"],
            interval: "")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        // The run the reload starts blocks opening the report file (a FIFO nobody writes).
        #expect(mkfifo(dir.sub("report.fifo"), 0o644) == 0)
        #expect(rename(dir.sub("report.fifo"), dir.sub("report.json")) == 0)
        dir.write("bkdiag.yaml", "interval: 0.5\n")
        d.process.signal(SIGHUP)
        #expect(await eventually { await d.metric("bkdiag_daemon_interval_seconds") == 0.5 })
        // Older than the new schedule's 2 x 0.5 s + 0.1 s.
        await sleepMs(1500)
        let (code, out, err) = await d.run(["status", "--socket", d.socket, "--exit-code"], name: "after-reload")
        #expect(code == 0, "\(out) \(err)")
        #expect(out.hasPrefix("report made 20"), "\(out)")
        #expect(out.contains("the daemon's 2 x 3600 s interval + 0.1 s deadline = 7200.1 s"), "\(out)")
    }

    @Test func oneClientHoldingTwoHundredConnectionsDoesNotLockOutAnother() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let d = try await DaemonProcess.start(dir, interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        // This process opens 200 connections and sends nothing.
        var idle: [Int32] = []
        defer { for fd in idle { Sys.close(fd) } }
        for _ in 0..<200 { idle.append(try Sys.connectUnix(path: d.socket, timeoutMs: 20_000)) }
        // Another process (another pid, same uid) still gets its answer.
        let (_, out, err) = await d.run(["status", "--socket", d.socket, "--raw-request", "GET /report"], name: "other")
        #expect(out.hasPrefix("HTTP 200"), "\(out) \(err)")
        // The connections over the idle client's share were answered 503, not reset.
        let last = try #require(idle.last)
        let answer = String(decoding: try await blocking { try Sys.readToEnd(last, limit: 1 << 16) }, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
        #expect(answer.contains("too many connections: at most 16 per process (pid \(getpid()) holds them)"), "\(answer)")
    }

    @Test func theConnectionThatStartsASocketActivatedDaemonGetsTheReport() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("gse"))
        dir.write("none.yaml", "# empty\n")
        let sock = dir.sub("act.sock")
        let listener = try Sys.listenUnix(path: sock, mode: 0o660, gid: nil)
        defer { Sys.close(listener) }
        // The client connects and asks before the daemon exists, as the first client of bkdiag.socket does.
        let client = try Self.send(sock, "/report")
        defer { Sys.close(client) }
        let p = ChildProcess(
            "/bin/sh",
            [
                "-c", "export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$@\"", "sh", BuiltBinary.path, "daemon", "--socket", sock,
                "--gse_path", dir.sub("gse"), "--state-dir", dir.sub("state"), "--config", dir.sub("none.yaml"), "--interval", "3600",
            ],
            outputDir: dir.path, name: "activated", passFD: listener)
        defer { p.signal(SIGKILL) }
        let raw = try await blocking { try Sys.readToEnd(client, limit: 1 << 20) }
        let answer = RawAnswer(raw)
        #expect(answer.status == 200, "\(answer.body) \(p.stderr)")
        #expect((try? DiagnosticReport(line: String(answer.body.prefix { $0 != "\n" }))) != nil, "\(answer.body)")
        #expect(p.stderr.contains("using the socket passed by systemd"), "\(p.stderr)")
    }

    @Test func aWatchdogShorterThanTwoIntervalsPlusTheDeadlineIsWarnedAbout() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        // 2 s >= 2 x 1 s, but < 2 x 1 s + the 5 s deadline.
        let d = try await DaemonProcess.start(dir, env: ["WATCHDOG_USEC": "2000000"], interval: "1")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        #expect(d.process.stderr.contains("WatchdogSec"), "\(d.process.stderr)")
        await d.process.stop()
    }
}

/// An HTTP/1.1 answer read from a test's own socket: status, lower-cased headers, body.
struct RawAnswer {
    var status = 0
    var headers: [String: String] = [:]
    var body = ""

    init(_ raw: [UInt8]) {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") else { return }
        var lines = text[..<split.lowerBound].split(separator: "\r\n")
        let statusLine = lines.isEmpty ? [] : lines.removeFirst().split(separator: " ")
        status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = String(l[l.index(after: c)...].drop(while: { $0 == " " }))
        }
        body = String(text[split.upperBound...])
    }
}

/// A flag the test's blocking reader threads poll.
final class Flag: Sendable {
    private let value: Atomic<Bool>
    init(_ v: Bool) { value = Atomic(v) }
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set(_ v: Bool) { value.store(v, ordering: .relaxed) }
}

/// A count shared with a server thread.
final class Counter: Sendable {
    private let n = Mutex(0)
    func add() { n.withLock { $0 += 1 } }
    var value: Int { n.withLock { $0 } }
}

/// Answers every connection on `listener` with a busy daemon's 503 until the listener is shut down.
func serve503(_ listener: Int32, _ answered: Counter) {
    while true {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        // The request is read first (as the daemon's busy handler drains it): closing with it unread would reset
        // the client's write.
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            request += chunk[0..<n]
        }
        let body = "{\"error\":\"too many connections: at most 16 per process (pid 1 holds them)\"}\n"
        let text =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            + body
        try? Sys.writeAll(fd, Array(text.utf8))
        Sys.close(fd)
        answered.add()
    }
}

/// `bkdiag status --no-fallback --exit-code` against a socket that serves one report made at `at` with `headers`:
/// its exit, stdout and stderr.
func statusOfServedReport(_ dir: TempDir, _ name: String, at: Int64, headers: String) async throws -> (
    status: Int32?, stdout: String, stderr: String
) {
    let path = dir.sub("\(name).sock")
    let listener = try Sys.listenUnix(path: path, mode: 0o600, gid: nil)
    defer { Sys.close(listener) }
    let body = Reports.make([("gse_agent", "socket", .fail)], at: at).richLine() + "\n"
    let server = Task(executorPreference: OwnThreadsExecutor.shared) {
        try await blocking { serveReport(listener, body: body, headers: headers) }
    }
    let p = ChildProcess(BuiltBinary.path, ["status", "--socket", path, "--no-fallback", "--exit-code"], outputDir: dir.path, name: name)
    let status = await p.wait(timeoutMs: 30_000)
    _ = await server.result
    return (status, p.stdout, p.stderr)
}

/// Answers one connection on `listener` with `body` as a daemon's 200 for /report, without the schedule headers
/// unless `headers` (`Name: value\r\n` lines) gives some.
func serveReport(_ listener: Int32, body: String, headers: String = "") {
    let fd = accept(listener, nil, nil)
    guard fd >= 0 else { return }
    var request: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        if n <= 0 { break }
        request += chunk[0..<n]
    }
    let text =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(headers)Connection: close\r\n\r\n"
        + body
    try? Sys.writeAll(fd, Array(text.utf8))
    Sys.close(fd)
}
