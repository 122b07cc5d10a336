import Daemon
import Report
import SystemLayer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon while a run lasts (its report comes from a FIFO nobody writes: a run that never ends, as on a
/// hung NFS mount): clients that wait for it and hang up, and a stop that does not wait for it. Also starts
/// that fail, which must leave the state directory as they found it.
@Suite(.serialized) struct DaemonWaitTests {
    /// Kibibytes of the process's resident memory.
    static func rssKB(_ pid: pid_t) -> Int? {
        guard let text = try? Sys.readFile("/proc/\(pid)/status", limit: 1 << 16) else { return nil }
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    /// Whether a thread of `pid` waits in the kernel for a FIFO's other end (`wait_for_partner`): a run of the
    /// daemon has started and is opening its report FIFO. (Until a run has started, a request joins the run
    /// still queued.)
    static func waitsOnFIFO(_ pid: pid_t) -> Bool {
        guard let tasks = try? Sys.listDirectory("/proc/\(pid)/task") else { return false }
        return tasks.contains { t in
            (try? Sys.readFile("/proc/\(pid)/task/\(t)/wchan", limit: 256)).map { String(decoding: $0, as: UTF8.self) }
                == "wait_for_partner"
        }
    }

    /// Writes one report into the FIFO once a run has it open for reading: a run ends. Fails after
    /// `timeoutMs` rather than blocking for ever when no run reads it.
    static func feed(_ fifo: String, _ line: [UInt8], timeoutMs: Int = 30_000) async throws {
        let end = Timestamp.monotonicSeconds() + Double(timeoutMs) / 1000
        while true {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 {
                defer { close(fd) }
                _ = fcntl(fd, F_SETFL, 0)
                try Sys.writeAll(fd, line)
                return
            }
            guard errno == ENXIO, Timestamp.monotonicSeconds() < end else {
                throw ProbeError("open", path: fifo, errno: errno == ENXIO ? ETIMEDOUT : errno)
            }
            await sleepMs(10)
        }
    }

    /// One passing report as the line a run reads from its report file.
    static let reportLine = Array((Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n").utf8)

    /// The daemon with each run's report read from a FIFO nobody writes yet (a run lasts until `feed` writes
    /// into it), started with `interval`; and the FIFO's path.
    static func startOnFIFO(_ dir: TempDir, interval: String) async throws -> (daemon: DaemonProcess, fifo: String) {
        let fifo = dir.sub("report.fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        return (try await DaemonProcess.start(dir, args: ["--test-report-file", fifo], interval: interval), fifo)
    }

    /// A history store in `dir/name` holding one report; the name of its segment.
    static func storeWithOneReport(_ dir: TempDir, _ name: String) throws -> String {
        let store = try ReportHistory(directory: dir.sub(name), limits: HistoryLimits())
        try store.append(line: Reports.make([("gse_agent", "socket", .pass)]).richLine(), generatedAtMs: 1)
        return try #require(try Sys.listDirectory(dir.sub(name)).first { $0.hasPrefix("history-") })
    }

    /// As root, a state directory `dir/state` of nobody's holding one segment of root's with `mode`, and a gse
    /// root and an empty config beside it; the segment's name.
    static func stateForNobody(_ dir: TempDir, segmentMode mode: mode_t) throws -> String {
        let segment = try storeWithOneReport(dir, "state")
        _ = try? Sys.mkdirs(dir.sub("gse"))
        dir.write("none.yaml", "# empty\n")
        #expect(chmod(dir.path, 0o755) == 0)
        #expect(chown(dir.sub("state"), 65534, 65534) == 0)
        #expect(chmod(dir.sub("state/" + segment), mode) == 0)
        return segment
    }

    /// The daemon started as nobody (setpriv) on `stateForNobody`'s directory, its socket in it.
    static func startAsNobody(_ dir: TempDir, interval: String) -> ChildProcess {
        ChildProcess(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", BuiltBinary.path, "daemon", "--socket", dir.sub("state/d.sock"),
                "--gse_path", dir.sub("gse"), "--state-dir", dir.sub("state"), "--config", dir.sub("none.yaml"), "--interval", interval,
            ],
            outputDir: dir.path, name: "nobody")
    }

    /// Connects, asks, and hangs up without reading.
    static func askAndHangUp(_ socket: String, _ request: String) {
        guard let fd = try? Sys.connectUnix(path: socket, timeoutMs: 5000) else { return }
        try? Sys.writeAll(fd, Array(request.utf8))
        Sys.close(fd)
    }

    @Test func clientsThatHangUpOnARunThatNeverEndsCostNothingAndTheStopDoesNotWaitForIt() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let (d, _) = try await Self.startOnFIFO(dir, interval: "0.1")
        defer { d.process.signal(SIGKILL) }
        // Up (metrics are answered at once), its first run under way and never ending.
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_waiting_requests") == 1 }, "\(d.process.stderr)")
        let socket = d.socket
        // 3000 clients ask for the first report, 300 for a fresh run, and each hangs up at once.
        try await blocking {
            for i in 0..<3300 {
                Self.askAndHangUp(socket, i < 3000 ? "GET /report HTTP/1.1\r\nHost: b\r\n\r\n" : "POST /run HTTP/1.1\r\nHost: b\r\n\r\n")
            }
        }
        // Only the scheduler still waits; the daemon stays within the unit's 64 MB.
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_waiting_requests") == 1 })
        let rss = try #require(Self.rssKB(d.process.pid))
        #expect(rss < 48 * 1024, "VmRSS \(rss) kB")
        #expect(await d.metric("bkdiag_daemon_cycles_total") == 0)
        // A client that stays is told the daemon is stopping, and the stop is prompt (TimeoutStopSec is 15 s).
        let stays = try DaemonBoundsTests.send(socket, "/report")
        defer { Sys.close(stays) }
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_waiting_requests") == 2 })
        let t0 = Timestamp.monotonicSeconds()
        d.process.signal(SIGTERM)
        let exit = await d.process.wait(timeoutMs: 15_000)
        let took = Timestamp.monotonicSeconds() - t0
        #expect(exit.flatMap(ChildProcess.exitCode) == 0, "\(d.process.stderr)")
        // Before, the stop waited for the run, here for ever (until SIGKILL); the margin is for a loaded machine.
        #expect(took < 10, "stopped after \(took) s")
        let answer = RawAnswer(try await blocking { try Sys.readToEnd(stays, limit: 1 << 16) })
        #expect(answer.status == 503, "\(answer.body)")
        #expect(answer.body.contains("stopping"))
    }

    @Test func freshRunsAskedForDuringARunAreOneMoreRunNotOnePerClient() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        // Each run lasts until the test writes its report into the FIFO.
        let (d, fifo) = try await Self.startOnFIFO(dir, interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await eventually(timeoutMs: 30_000) { Self.waitsOnFIFO(d.process.pid) }, "\(d.process.stderr)")
        #expect(await d.metric("bkdiag_daemon_waiting_requests") == 1)
        let socket = d.socket
        // Ten clients (the per-process share is 16) ask for a fresh run while the first is under way.
        var clients: [Int32] = []
        defer { for fd in clients { Sys.close(fd) } }
        for _ in 0..<10 {
            let fd = try Sys.connectUnix(path: socket, timeoutMs: 5000)
            try Sys.writeAll(fd, Array("POST /run HTTP/1.1\r\nHost: b\r\n\r\n".utf8))
            clients.append(fd)
        }
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_waiting_requests") == 11 })
        try await Self.feed(fifo, Self.reportLine)
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_cycles_total") == 1 })
        // The first run answered the scheduler; the ten share the second.
        #expect(await d.metric("bkdiag_daemon_waiting_requests") == 10)
        try await Self.feed(fifo, Self.reportLine)
        for fd in clients {
            let answer = RawAnswer(try await blocking { try Sys.readToEnd(fd, limit: 1 << 20) })
            #expect(answer.status == 200, "\(answer.body)")
        }
        #expect(await d.metric("bkdiag_daemon_cycles_total") == 2)
        #expect(await d.metric("bkdiag_daemon_waiting_requests") == 0)
    }

    /// `nc -N` and socat shut their side down once the request is sent: that is no hang-up, and such a client
    /// still gets the report of the run it waits for; one that closes its socket stops waiting.
    @Test func aClientThatShutsItsSideDownAfterTheRequestStillGetsTheAnswer() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let (d, fifo) = try await Self.startOnFIFO(dir, interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await eventually(timeoutMs: 30_000) { Self.waitsOnFIFO(d.process.pid) }, "\(d.process.stderr)")
        var halfClosed: [Int32] = []
        defer { for fd in halfClosed { Sys.close(fd) } }
        // Sent while the daemon is stopped, so that each request and its end of input are there at once when
        // it accepts: NIO reads them before the connections' tasks start (as on a loaded host), and eleven of
        // twelve such requests used to be lost (the clients waited for an answer that never came).
        d.process.signal(SIGSTOP)
        let requests = Array(repeating: "GET /report HTTP/1.1\r\nHost: b\r\n\r\n", count: 12) + ["POST /run HTTP/1.1\r\nHost: b\r\n\r\n"]
        for request in requests {
            let fd = try Sys.connectUnix(path: d.socket, timeoutMs: 30_000)
            try Sys.writeAll(fd, Array(request.utf8))
            #expect(shutdown(fd, Int32(SHUT_WR)) == 0)
            halfClosed.append(fd)
        }
        Self.askAndHangUp(d.socket, "GET /report HTTP/1.1\r\nHost: b\r\n\r\n")
        d.process.signal(SIGCONT)
        // The half-closed ones wait on (with the scheduler's own wait); the one that hung up does not.
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_waiting_requests") == 14 })
        await sleepMs(300)
        #expect(await d.metric("bkdiag_daemon_waiting_requests") == 14)
        // The first run answers the half-closed /report requests, the second (asked for during the first) the POST.
        try await Self.feed(fifo, Self.reportLine)
        #expect(await eventually(timeoutMs: 30_000) { await d.metric("bkdiag_daemon_cycles_total") == 1 })
        try await Self.feed(fifo, Self.reportLine)
        for fd in halfClosed {
            let answer = RawAnswer(try await blocking { try Sys.readToEnd(fd, limit: 1 << 20) })
            #expect(answer.status == 200, "\(answer.body)")
        }
    }

    @Test func aStartRefusedItsSocketLeavesADamagedHistoryAsItWas() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", Reports.make([("gse_agent", "socket", .pass)]).richLine() + "\n")
        let first = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { first.process.signal(SIGKILL) }
        #expect(await first.waitReady())
        // Another state directory holding what an open repairs: a torn tail and a FIFO among the segments.
        let segment = try Self.storeWithOneReport(dir, "state2")
        let fd = try Sys.open(dir.sub("state2/" + segment), O_WRONLY | O_APPEND)
        try Sys.writeAll(fd, [0x42, 0x4B, 0x44])
        Sys.close(fd)
        #expect(mkfifo(dir.sub("state2/history-00000009.log"), 0o644) == 0)
        let before = snapshot(dir.sub("state2"))
        let second = try await DaemonProcess.start(
            dir, name: "second", args: ["--test-report-file", dir.sub("report.json")], interval: "3600", socket: first.socket,
            stateDir: "state2"
        ).process
        let exit = await second.wait(timeoutMs: 15_000)
        if exit == nil { second.signal(SIGKILL) }
        #expect(exit.flatMap(ChildProcess.exitCode) == 1, "\(second.stderr)")
        #expect(second.stderr.contains("cannot listen on"), "\(second.stderr)")
        // Its lock file aside (taken before the socket), the directory is as it was: nothing cut, nothing renamed.
        #expect(snapshot(dir.sub("state2")).filter { !$0.hasPrefix("lock ") } == before)
        #expect(try await httpRequest(socket: first.socket, target: "/report").status == 200)
    }

    /// A segment the daemon may read but not write (root's 0644, the daemon run as nobody) is kept as it is, and
    /// the reports go to a new segment: they were all lost, one `history append failed` per run.
    @Test(.enabled(if: geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0))
    func aHistoryFileTheDaemonMayReadButNotWriteIsKeptAndReportsGoToANewOne() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        try #require(BuiltBinary.exists)
        let segment = try Self.stateForNobody(dir, segmentMode: 0o644)
        let before = snapshot(dir.sub("state")).filter { $0.hasPrefix(segment + " ") }
        let p = Self.startAsNobody(dir, interval: "0.2")
        defer { p.signal(SIGKILL) }
        let d = DaemonProcess(dir: dir, process: p, socket: dir.sub("state/d.sock"))
        #expect(await eventually(timeoutMs: 30_000) { (await d.metric("bkdiag_daemon_history_reports") ?? 0) >= 4 }, "\(p.stderr)")
        #expect(await d.metric("bkdiag_daemon_history_errors_total") == 0, "\(p.stderr)")
        #expect(snapshot(dir.sub("state")).filter { $0.hasPrefix(segment + " ") } == before)
    }

    @Test func aTestReportFileWithoutAReportIsUnknownNeverAPass() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("report.json", "not a report\n")
        let d = try await DaemonProcess.start(dir, args: ["--test-report-file", dir.sub("report.json")], interval: "3600")
        defer { d.process.signal(SIGKILL) }
        #expect(await d.waitReady())
        let compat = try await httpRequest(socket: d.socket, target: "/report?format=compat")
        #expect(compat.body.hasPrefix("{\"status\":false"), "\(compat.body)")
        #expect(compat.body.contains("holds no report with results"), "\(compat.body)")
    }

    /// Run as root, the test starts the daemon as nobody (setpriv) on a state directory where one segment
    /// is root's and unreadable to nobody: a good file the daemon may not read is neither renamed nor
    /// skipped; the start fails and says why.
    @Test(.enabled(if: geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0))
    func aHistoryFileTheDaemonMayNotReadStopsTheStartAndIsKept() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        try #require(BuiltBinary.exists)
        _ = try Self.stateForNobody(dir, segmentMode: 0o600)
        let before = snapshot(dir.sub("state"))
        let p = Self.startAsNobody(dir, interval: "3600")
        let exit = await p.wait(timeoutMs: 15_000)
        if exit == nil { p.signal(SIGKILL) }
        #expect(exit.flatMap(ChildProcess.exitCode) == 1, "\(p.stderr)")
        #expect(p.stderr.contains("cannot open the history file"), "\(p.stderr)")
        #expect(p.stderr.contains("uid 65534"), "\(p.stderr)")
        #expect(snapshot(dir.sub("state")).filter { $0.hasPrefix("history-") } == before.filter { $0.hasPrefix("history-") })
        #expect(access(dir.sub("state/d.sock"), F_OK) != 0, "the socket it bound is removed")
    }
}
