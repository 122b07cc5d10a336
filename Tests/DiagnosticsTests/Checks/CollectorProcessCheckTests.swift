import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("bkunifylogbeat/process on in-memory facts")
struct CollectorProcessCheckTests {
    func facts(_ processes: [ProcessRecord]) -> InMemoryHostFacts {
        let f = Fixture.facts(subscription: 7)
        f.processes = .success(processes)
        return f
    }

    @Test("one running collector passes with cpu and memory from /proc (lifetime cpu, RSS of MemTotal)")
    func pass() {
        let f = CollectorProcessCheck().run(facts([Fixture.collector()]))
        #expect(f.verdict == .pass)
        // 1,000 s of cpu over 50,000 s up; 100,000 KiB of 8,000,000.
        #expect(f.message == "cpu_usage: 2.0%, mem_usage: 1.3% (pid 100, up 13h53m)")
        #expect(Fixture.evidence(f, "pid") == .int(100))
        #expect(Fixture.evidence(f, "rss_kb") == .int(100_000))
        #expect(Fixture.evidence(f, "threads") == .int(12))
    }

    @Test("a collector placed by its working directory that runs another file than the installed binary warns, naming it")
    func foreignExecutable() {
        let copy = Fixture.process(100, exe: "/opt/backup/bkunifylogbeat", cwd: Fixture.root + "/plugins/bin")
        let f = CollectorProcessCheck().run(facts([copy]))
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message.hasPrefix("bkunifylogbeat (pid 100) runs /opt/backup/bkunifylogbeat, not the installed \(Fixture.collectorExe); "),
            "\(f.message)")
        #expect(Fixture.evidence(f, "exe") == .string("/opt/backup/bkunifylogbeat"))
        // The installed binary, from the same directory: a pass.
        #expect(CollectorProcessCheck().run(facts([Fixture.collector()])).verdict == .pass)
    }

    @Test("no collector fails; one elsewhere is named in the hint")
    func notRunning() {
        let none = CollectorProcessCheck().run(facts([Fixture.agent()]))
        #expect(none.verdict == .fail && none.message == "bkunifylogbeat is not running")
        // No main config read here, so no path.logs: libbeat's default, logs/ beside the binary (path.home).
        #expect(none.hint.contains("/usr/local/gse/plugins/bin/logs"), "\(none.hint)")
        // gse_agent, which starts and restarts it, not running either: the hint leads with the agent.
        let noAgent = CollectorProcessCheck().run(facts([]))
        #expect(noAgent.verdict == .fail && noAgent.hint.hasPrefix("gse_agent 也未运行"), "\(noAgent.hint)")
        let stray = CollectorProcessCheck().run(facts([Fixture.agent(), Fixture.process(9, exe: "/opt/other/bkunifylogbeat")]))
        #expect(stray.verdict == .fail)
        #expect(stray.hint.contains("/opt/other"))
        // A collector of another GSE install whose own agent runs there (GSE 1 and 2 side by side) is that
        // install's: not a stray to stop.
        let sideBySide = CollectorProcessCheck().run(
            facts([
                Fixture.agent(), Fixture.process(9, exe: "/usr/local/gse2/plugins/bin/bkunifylogbeat"),
                Fixture.process(10, exe: "/usr/local/gse2/agent/bin/gse_agent"),
            ]))
        #expect(sideBySide.verdict == .fail && sideBySide.hint.contains("另一套 GSE /usr/local/gse2"), "\(sideBySide.hint)")
        #expect(!sideBySide.hint.contains("请停止"), "\(sideBySide.hint)")
        // This install's agent down too: restoring it comes first, the other install still named.
        let bothDown = CollectorProcessCheck().run(
            facts([
                Fixture.process(9, exe: "/usr/local/gse2/plugins/bin/bkunifylogbeat"),
                Fixture.process(10, exe: "/usr/local/gse2/agent/bin/gse_agent"),
            ]))
        #expect(bothDown.hint.hasPrefix("gse_agent 也未运行") && bothDown.hint.contains("另一套 GSE"), "\(bothDown.hint)")
        // Beside a stray (no agent where it runs): the stray alone is named to stop, after the agent.
        let withStray = CollectorProcessCheck().run(
            facts([
                Fixture.process(9, exe: "/usr/local/gse2/plugins/bin/bkunifylogbeat"),
                Fixture.process(10, exe: "/usr/local/gse2/agent/bin/gse_agent"),
                Fixture.process(11, exe: "/opt/stray/plugins/bin/bkunifylogbeat"),
            ]))
        #expect(withStray.hint.hasPrefix("gse_agent 也未运行") && withStray.hint.contains("/opt/stray"), "\(withStray.hint)")
        #expect(!withStray.hint.contains("/usr/local/gse2"), "\(withStray.hint)")
        #expect(Fixture.evidence(stray, "elsewhere") != nil)
    }

    @Test("a stopped collector is not running")
    func stopped() {
        let f = CollectorProcessCheck().run(facts([Fixture.collector(state: "T")]))
        #expect(f.verdict == .fail)
        #expect(f.message == "bkunifylogbeat is not running: pid 100 is stopped (state T: SIGSTOP/SIGTSTP)")
        #expect(f.hint.contains("kill -CONT 100"))
        // Two stopped: the hint resumes both, not the first alone.
        let two = CollectorProcessCheck().run(facts([Fixture.collector(state: "T"), Fixture.collector(101, state: "t")]))
        #expect(two.verdict == .fail)
        #expect(two.hint.contains("kill -CONT 100 101 "), "\(two.hint)")
    }

    @Test("more restarts today than the threshold fail, counted from the restart log")
    func restarts() {
        let h = facts([Fixture.collector()])
        let today = Timestamp.localYYYYMMDD(seconds: h.nowMilliseconds / 1000)
        h.restartLogText = .success((0..<11).map { "\(today)-0\($0 % 10)0000 INFO|1|log-main start bkunifylogbeat\n" }.joined())
        let f = CollectorProcessCheck().run(h)
        #expect(f.verdict == .fail)
        #expect(f.message.hasPrefix("restart/reload times is over 10: 11 today (11 start, 0 stop, 0 reload); cpu_usage: 2.0%"))
        #expect(Fixture.evidence(f, "restarts_today") == .object([("start", .int(11)), ("stop", .int(0)), ("reload", .int(0))]))
        #expect(f.hint.contains("反复重启"))
        // The log longer than its tail read: entries of today before it were not counted, a floor.
        h.restartLogCut = true
        let cut = CollectorProcessCheck().run(h)
        #expect(
            cut.message.hasPrefix(
                "restart/reload times is over 10: at least 11 today (11 start, 0 stop, 0 reload in the last 4 MiB of the log read); "),
            "\(cut.message)")
        // The tail starts before today: every entry of today was read.
        h.restartLogText = .success(
            "20200101-000000 INFO|1|log-main start bkunifylogbeat\n"
                + (0..<11).map { "\(today)-0\($0 % 10)0000 INFO|1|log-main start bkunifylogbeat\n" }.joined())
        #expect(CollectorProcessCheck().run(h).message.hasPrefix("restart/reload times is over 10: 11 today ("))
        // Fewer than the threshold in a tail that starts on today: a floor below it is no pass.
        h.restartLogText = .success((0..<3).map { "\(today)-0\($0)0000 INFO|1|log-main start bkunifylogbeat\n" }.joined())
        let floor = CollectorProcessCheck().run(h)
        #expect(floor.verdict == .warn, "\(floor.message)")
        #expect(
            floor.message.hasPrefix(
                "restarts today not fully counted: 3 in the last 4 MiB of /tmp/bkc.log read, which starts on today (today's earlier entries were not read); "
            ),
            "\(floor.message)")
        h.restartLogCut = false
        #expect(CollectorProcessCheck().run(h).verdict == .pass)
        h.restartLogText = .success((0..<11).map { "\(today)-0\($0 % 10)0000 INFO|1|log-main start bkunifylogbeat\n" }.joined())
        // One start and eleven config pushes: over check.py's count too, but the hint says what they are.
        h.restartLogText = .success(
            "\(today)-010000 INFO|1|log-main start bkunifylogbeat\n"
                + (0..<11).map { "\(today)-0\($0 % 10)1000 INFO|1|log-main reload bkunifylogbeat\n" }.joined())
        let pushes = CollectorProcessCheck().run(h)
        #expect(
            pushes.verdict == .fail && pushes.message.hasPrefix("restart/reload times is over 10: 12 today (1 start, 0 stop, 11 reload)"))
        #expect(pushes.hint.contains("reload（11 次）") && !pushes.hint.contains("被杀"), "\(pushes.hint)")
        // A planned NodeMan restart (stop + start) beside them: still mostly pushes.
        h.restartLogText = .success(
            "\(today)-010000 INFO|1|log-main start bkunifylogbeat\n\(today)-020000 INFO|1|log-main stop bkunifylogbeat\n"
                + "\(today)-020001 INFO|1|log-main start bkunifylogbeat\n"
                + (0..<11).map { "\(today)-0\($0 % 10)1000 INFO|1|log-main reload bkunifylogbeat\n" }.joined())
        #expect(CollectorProcessCheck().run(h).hint.contains("reload（11 次）"))
    }

    @Test("a restart log that cannot be read leaves the count unjudged, and says so: a warn, or with bkdiag not root a pass naming it")
    func restartLogUnreadable() {
        let h = facts([Fixture.collector()])
        // Missing: NodeMan never wrote it, nothing to count.
        let missing = CollectorProcessCheck().run(h)
        #expect(missing.verdict == .pass && !missing.message.contains("not judged"), "\(missing.message)")
        h.restartLogText = .failure(ProbeError(call: "read", path: "/tmp/bkc.log", errno: EISDIR))
        let dir = CollectorProcessCheck().run(h)
        #expect(dir.verdict == .warn, "\(dir.message)")
        #expect(
            dir.message.hasPrefix("restarts today not judged: /tmp/bkc.log cannot be read (Is a directory); cpu_usage: "), "\(dir.message)")
        #expect(dir.hint.contains("/tmp/bkc.log"))
        #expect(Fixture.evidence(dir, "restart_log_error") != nil)
        // A FIFO (or any file that is not regular) has no end to read back from: named as what it is.
        h.restartLogText = .failure(ProbeError(call: "read", path: "/tmp/bkc.log", errno: EINVAL))
        h.stats["/tmp/bkc.log"] = FileStat(mode: 0o010644)
        let fifo = CollectorProcessCheck().run(h)
        #expect(
            fifo.verdict == .warn
                && fifo.message.hasPrefix("restarts today not judged: /tmp/bkc.log cannot be read (a FIFO, not a regular file); "),
            "\(fifo.message)")
        h.stats["/tmp/bkc.log"] = nil
        h.restartLogText = .failure(ProbeError(call: "open", path: "/tmp/bkc.log", errno: EACCES))
        let denied = CollectorProcessCheck().run(h)
        #expect(denied.verdict == .pass && denied.message.hasPrefix("restarts today not judged: "), "\(denied.message)")
        #expect(denied.hint.contains("root"))
    }

    @Test("two collectors under one root, a deleted binary, a near-full fd table warn")
    func warnings() {
        let two = CollectorProcessCheck().run(facts([Fixture.collector(100), Fixture.collector(101)]))
        #expect(two.verdict == .warn && two.message.hasPrefix("2 bkunifylogbeat processes under one root (pids 100, 101); "))
        // A second one started half a second ago (a version query, a fork not yet exec'd) is not a duplicate.
        var brief = Fixture.collector(101)
        brief.stat = Fixture.stat(pid: 101, startTicks: 9_999_950)
        let query = CollectorProcessCheck().run(facts([Fixture.collector(100), brief]))
        #expect(query.verdict == .pass, "\(query.message)")
        // After the pid counter wrapped, the one caught starting has the lower pid: the long-running collector is
        // the one reported, and the brief one is no duplicate.
        var wrapped = Fixture.collector(7)
        wrapped.stat = Fixture.stat(pid: 7, startTicks: 9_999_950)
        let afterWrap = CollectorProcessCheck().run(facts([wrapped, Fixture.collector(19828)]))
        #expect(afterWrap.verdict == .pass && afterWrap.message.contains("(pid 19828,"), "\(afterWrap.message)")

        // Replaced by an upgrade (a binary installed): restart it. Removed (none installed): it cannot start again.
        let replaced = facts([Fixture.process(100, exe: Fixture.collectorExe, deleted: true)])
        replaced.collectorBinaryOverride = BinaryFile(
            path: Fixture.collectorExe, stat: .success(Fixture.executable), elf: .success(Fixture.elfX86))
        let deleted = CollectorProcessCheck().run(replaced)
        #expect(deleted.verdict == .warn && deleted.message.hasPrefix("bkunifylogbeat runs a deleted binary (upgraded without restart)"))
        // Replaced by a file bin_file refuses (here not executable, and no start.sh to make it so): no upgrade.
        let broken = facts([Fixture.process(100, exe: Fixture.collectorExe, deleted: true)])
        broken.stats[Fixture.collectorExe] = Fixture.regular
        let notStartable = CollectorProcessCheck().run(broken)
        #expect(
            notStartable.verdict == .warn
                && notStartable.message.hasPrefix(
                    "bkunifylogbeat runs a deleted binary, and what is installed in its place is not one that starts (bin_file: "),
            "\(notStartable.message)")
        let gone = CollectorProcessCheck().run(facts([Fixture.process(100, exe: Fixture.collectorExe, deleted: true)]))
        #expect(gone.verdict == .warn && gone.message.contains("none is installed at \(Fixture.collectorExe)"), "\(gone.message)")

        let h = facts([Fixture.collector()])
        h.fdsByPid[100] = .success((0..<90).map { FDLink(fd: $0, target: "/var/log/\($0).log") })
        h.openFileLimits[100] = 100
        let fds = CollectorProcessCheck().run(h)
        #expect(fds.verdict == .warn && fds.message.hasPrefix("bkunifylogbeat is near its open-file limit (90/100); "))
        #expect(Fixture.evidence(fds, "open_fds") == .int(90) && Fixture.evidence(fds, "fd_limit") == .int(100))
    }

    @Test("a collector in D on both samples warns; one that left D passes")
    func stuck() {
        let h = facts([Fixture.collector(state: "D")])
        h.currentStats[100] = Fixture.stat(pid: 100, state: "D")
        let f = CollectorProcessCheck().run(h)
        #expect(f.verdict == .warn)
        #expect(f.message.hasPrefix("bkunifylogbeat pid 100 is in uninterruptible sleep (state D) on two samples 100ms apart; "))
        h.currentStats[100] = Fixture.stat(pid: 100, state: "D")
        // Started half a second ago (a copy between fork and exec, on a busy host): not judged.
        var young = Fixture.collector(state: "D")
        young.stat = Fixture.stat(pid: 100, state: "D", startTicks: 9_999_950)
        h.processes = .success([young])
        h.currentStats[100] = Fixture.stat(pid: 100, state: "D", startTicks: 9_999_950)
        #expect(CollectorProcessCheck().run(h).verdict == .pass)
        h.processes = .success([Fixture.collector(state: "D")])
        h.currentStats[100] = Fixture.stat(pid: 100, state: "S")
        #expect(CollectorProcessCheck().run(h).verdict == .pass)
    }

    @Test("an unreadable /proc, or a collector found only by name, is unknown")
    func unknown() {
        let h = facts([])
        h.processes = .failure(Fixture.error(EACCES, "opendir", "/proc"))
        let f = CollectorProcessCheck().run(h)
        #expect(f.verdict == .unknown && f.message.hasPrefix("cannot read /proc: "))
        let byName = CollectorProcessCheck().run(facts([Fixture.process(100, exe: nil, comm: "bkunifylogbeat")]))
        #expect(byName.verdict == .unknown)
        #expect(byName.message.hasPrefix("bkunifylogbeat pid 100 found by name, but its exe and cwd are unreadable"))
    }
}
