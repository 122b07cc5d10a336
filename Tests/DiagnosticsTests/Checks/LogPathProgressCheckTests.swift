import Glibc
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

@Suite("log_progress/logpath_progress on in-memory facts")
struct LogPathProgressCheckTests {
    func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = ProgressFixture.settings) -> ProgressInput
    {
        ProgressInput(first: first, last: last, settings: settings)
    }

    func run(_ input: ProgressInput) -> Finding { ProgressFixture.run(LogPathProgressCheck(), input) }

    @Test("a file renamed into a name its item excludes while a harvester holds it is read on: judged as collected, not skipped")
    func excludedButHeld() {
        let path = "/data/logs/app/app.2026-12-03.log"
        var s = ProgressFixture.healthy()
        var file = ProgressFixture.file(path, size: 5000, inode: 21, age: 2, skipped: #"exclude_files (\.\d{4}-\d{2}-\d{2}\.log$)"#)
        file.target.excludedOnlyHere = true
        s.files = [file]
        s.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 21, position: 1000, size: 5000)])]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/app.log", inode: 21, offset: 1000, age: 2)])
        let held = run(input(s))
        #expect(!held.message.contains("skipped"), "\(held.message)")
        let stall = ProgressFixture.run(PipelineStallCheck(), input(s))
        #expect(stall.message.contains("3.9 KiB in flight"), "\(stall.message)")
        // Not held: the scan skips it, as the item says.
        s.collectors = [ProgressFixture.collector(open: [])]
        #expect(run(input(s)).message.contains("skipped"), "\(run(input(s)).message)")
        // Held, but another subscription's item reads it too: the holder may be that one's; skipped here.
        s.collectors = [ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 21, position: 1000, size: 5000)])]
        s.files[0].target.excludedOnlyHere = false
        #expect(run(input(s)).message.contains("skipped"), "\(run(input(s)).message)")
    }

    @Test("a file acknowledged to its size passes, with the roll-up per data id")
    func upToDate() throws {
        let f = run(input(ProgressFixture.healthy()))
        #expect(f.verdict == .pass, "\(f.message)")
        #expect(f.message == "1 file(s) acknowledged up to their size")
        let byDataid = try #require(f.evidence.first { $0.0 == "by_dataid" }?.1)
        #expect(byDataid["1500123"]?["lag_bytes"] == .int(0))
        #expect(byDataid["1500123"]?["files"] == .int(1))
    }

    @Test("log paths that match no file fail (nothing is collected); unlistable ones are unknown; no log path at all passes, saying so")
    func noFile() {
        var s = ProgressFixture.healthy()
        s.files = []
        var i = input(s)
        i.scope = ["/data/logs/nomatch/*.log"]
        let none = run(i)
        #expect(
            none.verdict == .fail && none.message == "no file matches the log paths /data/logs/nomatch/*.log: nothing is collected",
            "\(none.message)")
        i.unexpanded = ["/data/logs/nomatch/*.log: /data/logs is not readable"]
        #expect(run(i).verdict == .unknown, "\(run(i).message)")
        i.unexpanded = []
        i.scope = []
        let noPath = run(i)
        #expect(noPath.verdict == .pass && noPath.message.hasPrefix("no log path to measure"), "\(noPath.message)")
        // The registry holds file states only: missing or unreadable, it is no finding for a subscription that
        // names no log path (a kafka or redis item), in either item; with a path it still is.
        for error in [
            RegistryReadError("open: No such file or directory", isMissing: true),
            RegistryReadError("open: Permission denied", isPermission: true),
        ] {
            var gone = s
            gone.registry?.read = .failure(error)
            var g = input(gone)
            g.scope = []
            let progress = run(g)
            #expect(progress.verdict == .pass && progress.message.hasPrefix("no log path to measure"), "\(progress.message)")
            let risk = ProgressFixture.run(LossRiskCheck(), g)
            #expect(risk.verdict == .pass && risk.message.hasPrefix("no log file to measure"), "\(risk.message)")
            g.scope = ["/data/logs/app/*.log"]
            #expect(run(g).message.contains("registry"), "\(run(g).message)")
            #expect(ProgressFixture.run(LossRiskCheck(), g).message.contains("registry"))
        }
        // No path because the subscription's config gives none bkdiag can read: unknown; none the collector
        // loads (a YAML error): nothing of it is collected.
        i.unreadConfigs = ["bkunifylogbeat_sub_1_host_2.conf: larger than the 4194304 bytes bkdiag reads"]
        i.refusedConfigs = ["bkunifylogbeat_sub_1_host_3.conf: YAML error at line 2, column 1: x"]
        let unread = run(i)
        #expect(unread.verdict == .unknown && unread.message.contains("larger than the 4194304 bytes"), "\(unread.message)")
        #expect(ProgressFixture.run(LossRiskCheck(), i).verdict == .unknown)
        i.unreadConfigs = []
        let refused = run(i)
        #expect(refused.verdict == .fail && refused.message.contains("does not load the subscription's config"), "\(refused.message)")
        let refusedRisk = ProgressFixture.run(LossRiskCheck(), i)
        #expect(
            refusedRisk.verdict == .unknown && refusedRisk.message.hasPrefix("cannot count the log data at risk"), "\(refusedRisk.message)")
        // Paths asked about (-l) while every config of the subscription is refused: nothing of it is collected.
        i.scope = ["/data/logs/app/*.log"]
        let asked = run(i)
        #expect(asked.verdict == .fail && asked.message.contains("does not load the subscription's config"), "\(asked.message)")
        // With paths known from another config (one the collector loads), the refused one does not decide.
        i.loadedConfigs = true
        i.scope = ["/data/logs/nomatch/*.log"]
        #expect(run(i).verdict == .fail && run(i).message.hasPrefix("no file matches"))
    }

    @Test("when more files match than are sampled, the messages say which were judged, and bytes at risk are a lower bound")
    func sampledFiles() {
        var s = ProgressFixture.healthy()
        var i = input(s)
        i.sampledOf = (sampled: 10_000, matched: 10_001, listingCut: false)
        let f = run(i)
        #expect(
            f.verdict == .pass && f.message.hasSuffix("(judged the 10000 most recently modified of 10001 matching files)"), "\(f.message)")
        // A file skipped by ignore_older, never read: its bytes are at risk, and more may be among those not sampled.
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 60 * 86400, skipped: "ignore_older 2678400s")]
        s.registry = ProgressFixture.registry([])
        i = input(s)
        i.sampledOf = (sampled: 10_000, matched: 100_000, listingCut: true)
        let risk = ProgressFixture.run(LossRiskCheck(), i)
        #expect(
            risk.evidence.first { $0.0 == "sampled" }?.1
                == .string("judged the 10000 most recently modified of more than 100000 matching files"))
        #expect(risk.verdict == .warn && risk.message.hasPrefix("at least 4.9 KiB of log data may not be collected"), "\(risk.message)")
        i.sampledOf = nil
        #expect(ProgressFixture.run(LossRiskCheck(), i).message.hasPrefix("4.9 KiB of log data"))
    }

    @Test("a collector started since the registry's last write has not flushed yet: no stall until it has run 3 flushes")
    func registryOfThePredecessor() {
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 42)], writtenAgo: 42)
        func judged(collectorUp: Double?) -> (ProgressInput, Finding, Finding) {
            let i = ProgressInput(
                first: nil, last: s, settings: ProgressFixture.settings, collectorStartedAt: collectorUp.map { ProgressFixture.now - $0 })
            return (i, run(i), ProgressFixture.run(PipelineStallCheck(), i))
        }
        // Restarted 2 s ago after 40 s down: the file on disk is the old process's; whether the new one's registrar
        // works cannot be told yet (a warn, not a fail).
        let (_, young, youngStall) = judged(collectorUp: 2)
        #expect(young.verdict == .warn, "\(young.message)")
        #expect(
            young.message.hasPrefix(
                "the registry was last written 41 s ago, before the collector started 2 s ago: its registrar writes it first one registry.flush (10 s) after the start"
            ), "\(young.message)")
        #expect(young.evidence.first { $0.0 == "collector_age_s" }?.1 == .double(2))
        #expect(
            youngStall.verdict == .pass && youngStall.message.hasSuffix("the collector started 2 s ago, too recently to tell a stall"),
            "\(youngStall.message)")
        // Up for 35 s (more than 3 flushes of 10 s) and still nothing written: its registrar has stopped.
        let (_, old, oldStall) = judged(collectorUp: 35)
        #expect(old.verdict == .fail, "\(old.message)")
        #expect(
            old.message.contains("has not been written for 41 s (the collector started 35 s ago, after its last write)"), "\(old.message)")
        #expect(oldStall.verdict == .fail && oldStall.message.contains("registry"), "\(oldStall.message)")
        // Up for longer than the registry's age: the age alone, as before.
        let (_, longer, _) = judged(collectorUp: 3_600)
        #expect(
            longer.verdict == .fail && longer.message.contains("has not been written for 41 s (more than 3 flushes"), "\(longer.message)")
        // Unknown start: the age alone.
        #expect(judged(collectorUp: nil).1.verdict == .fail)
    }

    @Test("bytes read by a collector younger than 3 flushes and acknowledged only by its predecessor are pending, not ack_stalled")
    func youngCollectorAckGrace() throws {
        var s = ProgressFixture.healthy()
        // Written 40 s ago (while no collector ran), read by the new collector to its end, acknowledged up to 1000
        // by the old one 41 s ago.
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 4000, inode: 11, age: 40)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 4000, size: 4000)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 41)])
        func judged(collectorUp: Double) -> (Finding, JSONValue?) {
            let i = ProgressInput(
                first: nil, last: s, settings: ProgressFixture.settings, collectorStartedAt: ProgressFixture.now - collectorUp)
            let f = run(i)
            return (f, f.evidence.first { $0.0 == "files" }?.1.arrayValue?.first)
        }
        let (young, youngFile) = judged(collectorUp: 3)
        #expect(
            young.verdict == .pass && young.message.contains("the collector started 3 s ago, too recently to tell a stall"),
            "\(young.message)")
        #expect(youngFile?["status"] == .string("pending") && youngFile?["collector_too_young_to_judge"] == .bool(true))
        let (old, oldFile) = judged(collectorUp: 600)
        #expect(old.verdict == .fail && oldFile?["status"] == .string("ack_stalled"), "\(old.message)")
        #expect(oldFile?["collector_too_young_to_judge"] == nil)
        // Past the lag threshold the young collector's file is lagging (a warn), not pending.
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 200 << 20, inode: 11, age: 40)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 200 << 20, size: 200 << 20)])
        ]
        let (big, bigFile) = judged(collectorUp: 3)
        #expect(big.verdict == .warn && bigFile?["status"] == .string("lagging"), "\(big.message)")
    }

    @Test("no 'too recently' note where nothing was held back: a registry younger than 3 flushes, older than the collector")
    func noYoungNoteWithoutGrace() {
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 5)], writtenAgo: 5)
        let i = ProgressInput(first: nil, last: s, settings: ProgressFixture.settings, collectorStartedAt: ProgressFixture.now - 2)
        let f = run(i)
        #expect(f.verdict == .pass && !f.message.contains("too recently"), "\(f.message)")
    }

    @Test("a process's start is placed from the uptime and the clock read together, not from a later clock")
    func startFromUptimeReadTogether() throws {
        let h = Fixture.facts()
        var p = Fixture.collector(100)
        p.stat?.startTimeTicks = (100_000 - 30) * 100  // up 30 s when the uptime was read
        h.uptimeReadAt = h.nowMilliseconds
        h.nowMilliseconds += 4_000  // the run went on 4 s (a sample gap) before anyone asked
        let started = try #require(h.startedAt(p))
        #expect(started == Double(h.uptimeReadAt!) / 1000 - 30, "\(started)")
    }

    @Test("a registry not written for more than 3 flushes fails; just under passes")
    func staleHeartbeat() {
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: 32)
        let f = run(input(s))
        #expect(f.verdict == .fail)
        #expect(f.message.contains("has not been written for 31 s"), "\(f.message)")  // from the end of the mtime's second
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], writtenAgo: 30)
        #expect(run(input(s)).verdict == .pass)
    }

    @Test("data written more than 3 flushes after the last acknowledgement fails; fresh data in flight passes")
    func ackStalled() throws {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 60)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 120)])
        let f = run(input(s))
        #expect(f.verdict == .fail)
        #expect(f.message.contains("/data/logs/app/a.log") && f.message.contains("3.9 KiB behind"), "\(f.message)")
        let files = try #require(f.evidence.first { $0.0 == "files" }?.1)
        #expect(files.arrayValue?.first?["status"] == .string("ack_stalled"))
        #expect(files.arrayValue?.first?["lag_bytes"] == .int(4000))

        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 5)])
        let fresh = run(input(s))
        #expect(fresh.verdict == .pass && fresh.message.contains("in flight"), "\(fresh.message)")

        // A quiet log (acknowledged to its end 2 minutes ago) gets one line: written a second ago, read
        // or not yet, it is in flight, not stuck, however old the last acknowledgement.
        for position: Int64 in [1000, 1038] {
            s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 1038, inode: 11, age: 1)]
            s.collectors = [
                ProgressFixture.collector(open: [
                    ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: position, size: 1038)
                ])
            ]
            s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 120)])
            let quiet = run(input(s))
            #expect(quiet.verdict == .pass && quiet.message.contains("in flight"), "\(position): \(quiet.message)")
        }
        // A burst written a second after the last acknowledgement, read, and never acknowledged in the 40 s
        // since: as stuck as one written later (the output stopped right after that acknowledgement).
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 1_049_576, inode: 11, age: 40)]
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1_049_576, size: 1_049_576)
            ])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 41)])
        let burst = run(input(s))
        #expect(burst.verdict == .fail && burst.message.contains("not acknowledged for more than 3 flushes"), "\(burst.message)")
        // An item that filters its lines (bk-log's 过滤内容): the collector drops a line that does not match
        // with its state update, so the registry stays at the last line sent until the harvester closes.
        var filtered = s
        filtered.files[0].target.filtered = true
        let dropped = run(input(filtered))
        #expect(dropped.verdict == .pass, "\(dropped.message)")
        // ... but bytes it has not read yet are still waiting.
        filtered.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 2000, size: 1_049_576)])
        ]
        #expect(run(input(filtered)).verdict == .fail, "\(run(input(filtered)).message)")
        // The same wait, but the acknowledged offset moved between the samples: a slow output draining its
        // queue (a state's time is when its event was read), not a stuck one.
        var before = s
        before.wallSeconds -= 1
        before.monotonicSeconds -= 1
        before.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 500, age: 42)])
        let draining = run(input(s, first: before))
        #expect(draining.verdict == .pass, "\(draining.message)")
        // Written 40 s ago and never read: the read hop's, not "read but not acknowledged".
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 1038, inode: 11, age: 40)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1038)])
        ]
        let unread = try #require(run(input(s)).evidence.first { $0.0 == "files" }?.1.arrayValue?.first?["status"])
        #expect(unread == .string("read_stalled"))
    }

    @Test("a key left by an earlier file_identifier (same input, older timestamp) does not hide a stall; another input's state counts")
    func leftoverKeyOfAnotherIdentifier() throws {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 3000, inode: 11, age: 60)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 3000, size: 3000)])
        ]
        // The registrar writes `<inode>-<device>` now; `<inode>-<device>:<path>` is from before the switch.
        var current = ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 120)
        current.key = "11-2049"
        var leftover = ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 3000, age: 900)
        leftover.key = "11-2049:/data/logs/app/a.log"
        for identifier in [FileIdentifier.inode, .inodePath, .path] {
            var settings = ProgressFixture.settings
            settings.fileIdentifier = identifier
            s.registry = ProgressFixture.registry([leftover, current])
            let f = run(input(s, settings: settings))
            #expect(f.verdict == .fail, "\(identifier): \(f.message)")
            let files = try #require(f.evidence.first { $0.0 == "files" }?.1)
            #expect(files.arrayValue?.first?["acknowledged"] == .int(1000), "\(identifier)")
        }
        // A second input on the same file (its own meta) that acknowledged all of it: the collector resumes each
        // input from its own state, and the file is sent.
        var other = ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 3000, age: 900)
        other.meta = ["input": "second"]
        s.registry = ProgressFixture.registry([current, other])
        #expect(run(input(s)).verdict == .pass, "\(run(input(s)).message)")
    }

    @Test(
        "registry values the collector cannot load at its next start warn: a bad localtime or legacy value (it will not start), a bad state (skipped)"
    )
    func registryValuesTheCollectorCannotLoad() throws {
        func registry(localtime: String, problems: [String]) -> ProgressSample.Registry {
            var reg = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)])
            reg.read = .success(
                CollectorRegistry(
                    path: ProgressFixture.registryPath, txid: 9, localtime: localtime,
                    states: [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)],
                    gseIndexes: [("1500123", 10)], problems: problems))
            return reg
        }
        var s = ProgressFixture.healthy()
        for localtime in ["Tue Dec  1 10:00:00 CST 2026", "Mon Jan 12 03:04:05 UTC 2026", "Wed Dec 2 11:00:00 +08 2026"] {
            s.registry = registry(localtime: localtime, problems: [])
            #expect(run(input(s)).verdict == .pass, "\(localtime): \(run(input(s)).message)")
        }
        s.registry = registry(localtime: "2026-12-01 10:00:00", problems: [])
        let time = run(input(s))
        #expect(time.verdict == .warn && time.message.contains("will not start again"), "\(time.message)")
        s.registry = registry(localtime: "Tue Dec  1 10:00:00 CST 2026", problems: ["registrar states: expected a JSON array"])
        #expect(run(input(s)).message.contains("registrar states: expected a JSON array"), "\(run(input(s)).message)")
        s.registry = registry(localtime: "Tue Dec  1 10:00:00 CST 2026", problems: ["state:12-2049: offset is not an integer"])
        let state = run(input(s))
        #expect(state.verdict == .warn && state.message.contains("1 state(s) the collector cannot decode"), "\(state.message)")
    }

    @Test("a held file the registry has no state for is not acknowledged: in flight at first, stuck once samples 3 flushes apart show none")
    func heldWithoutState() throws {
        func sample(at t: Double) -> ProgressSample {
            var s = ProgressFixture.healthy(at: t)
            s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 6)]
            s.collectors = [
                ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 5000, size: 5000)])
            ]
            s.registry = ProgressFixture.registry([])
            return s
        }
        // One sample (or two a second apart): nothing says how long it has been unacknowledged, but it is not acknowledged.
        let once = run(input(sample(at: ProgressFixture.now), first: sample(at: ProgressFixture.now - 1)))
        #expect(once.verdict == .pass && once.message.contains("4.9 KiB in flight"), "\(once.message)")
        #expect(!once.message.contains("acknowledged up to their size"))
        // Samples 40 s apart (more than 3 flushes of 10 s), read both times and never a state: the output does not confirm.
        let apart = run(input(sample(at: ProgressFixture.now), first: sample(at: ProgressFixture.now - 40)))
        #expect(apart.verdict == .fail, "\(apart.message)")
        let files = try #require(apart.evidence.first { $0.0 == "files" }?.1)
        #expect(files.arrayValue?.first?["status"] == .string("ack_stalled"))
        #expect(
            ProgressFixture.run(PipelineStallCheck(), input(sample(at: ProgressFixture.now), first: sample(at: ProgressFixture.now - 40)))
                .message.hasPrefix("data stops at registry"))
    }

    @Test("across two samples the daemon's gap apart: the file grew and its offset did not move")
    func ackStalledAcrossSamples() {
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 60)
        first.files = [ProgressFixture.file("/data/logs/app/a.log", size: 2000, inode: 11)]
        first.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 0)])
        var last = ProgressFixture.healthy()
        last.files = [ProgressFixture.file("/data/logs/app/a.log", size: 3000, inode: 11, age: 0)]
        last.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 3000, size: 3000)])
        ]
        // The state's own time says "acknowledged 20 s ago" (not yet 3 flushes), but the samples 60 s apart show no movement.
        last.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 20)])
        #expect(run(input(last)).verdict == .pass)
        #expect(run(input(last, first: first)).verdict == .fail)
    }

    @Test("truncated, never collected and lagging files warn and are named; a new file is not yet never-collected")
    func warnings() {
        var s = ProgressFixture.healthy()
        // a.log cut below its acknowledged offset 40 s ago, no harvester holding it: the next scan (10 s) and
        // two flushes have passed.
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 100, inode: 11, age: 40),
            ProgressFixture.file("/data/logs/app/old.log", size: 10, inode: 12, age: 100),
        ]
        s.collectors = [ProgressFixture.collector(open: [])]
        let f = run(input(s))
        #expect(f.verdict == .warn)
        #expect(f.message.contains("truncated below the acknowledged offset: /data/logs/app/a.log"), "\(f.message)")
        #expect(f.message.contains("never collected: /data/logs/app/old.log"), "\(f.message)")

        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 1000, inode: 11),
            ProgressFixture.file("/data/logs/app/new.log", size: 10, inode: 12, age: 5),
        ]
        s.collectors = ProgressFixture.healthy().collectors
        #expect(run(input(s)).verdict == .pass)

        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 1000 + (65 << 20), inode: 11)]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)])
        let lag = run(input(s))
        #expect(lag.verdict == .warn && lag.message.contains("more than 64.0 MiB behind"), "\(lag.message)")
    }

    @Test("copytruncate: a cut the collector has not had time to notice is pending, one it noticed is judged by its read position")
    func copytruncate() {
        // The registry acknowledged 1,000 bytes; the file was cut and holds 100 new ones.
        func judged(age: Double, position: Int64?) -> (Finding, FileProgress) {
            var s = ProgressFixture.healthy()
            s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 100, inode: 11, age: age)]
            s.collectors = [
                ProgressFixture.collector(
                    open: position.map { [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: $0, size: 100)] } ?? [])
            ]
            let i = input(s)
            return (run(i), FileProgress.analyse(i.first, i.last, i.settings)[0])
        }
        // Cut 5 s ago, the harvester still past the end: it notices within its 10 s backoff, the registry a flush later.
        let fresh = judged(age: 5, position: 1000)
        #expect(fresh.0.verdict == .pass && !fresh.0.message.contains("truncated"), "\(fresh.0.message)")
        #expect(fresh.1.status == .pending && fresh.1.lagBytes == 100)
        // Noticed: the harvester is back inside the file (read 40 of the 100), the registry not written yet.
        let noticed = judged(age: 5, position: 40)
        #expect(noticed.0.verdict == .pass, "\(noticed.0.message)")
        #expect(noticed.1.status == .pending && noticed.1.lagBytes == 60)
        // Back inside it and then not reading for longer than its backoff: judged by the read position, stuck.
        let stuck = judged(age: 30, position: 40)
        #expect(stuck.0.verdict == .fail && stuck.1.status == .readStalled, "\(stuck.0.message)")
        // Not noticed 30 s after the cut (more than the backoff and a flush): the harvester checks for a cut at
        // every read, so one still past the end is not reading. The read hop fails and names the cut; loss_risk
        // counts the truncation.
        let missed = judged(age: 30, position: 1000)
        #expect(
            missed.0.verdict == .fail && missed.0.message.contains("a.log (cut below its acknowledged offset, the cut not noticed)"),
            "\(missed.0.message)")
        #expect(missed.1.status == .readStalled && missed.1.cutUnnoticed && missed.1.lagBytes == 100)
        var cut = ProgressFixture.healthy()
        cut.files = [ProgressFixture.file("/data/logs/app/a.log", size: 100, inode: 11, age: 30)]
        let risk = ProgressFixture.run(LossRiskCheck(), input(cut))
        let risks = risk.evidence.first { $0.0 == "risks" }?.1.arrayValue ?? []
        #expect(risks.contains { $0["reason"] == .string("truncated") }, "\(risk.message)")
        let stall = ProgressFixture.run(PipelineStallCheck(), input(cut))
        // The read hop names the cut (not data older than the backoff), and the bytes behind it as not read: the
        // harvester's position is past the file's end, so none of what it holds now was read.
        #expect(
            stall.message.hasPrefix(
                "data stops at read: /data/logs/app/a.log (100 B now) was cut below the collector's position, and the collector has not noticed the cut"
            )
                && stall.message.hasSuffix("; 100 B of log written and not yet read by the collector behind it"), "\(stall.message)")
        // No harvester holds it: the next scan finds it, within a scan and two flushes (10 + 20 s here).
        #expect(judged(age: 25, position: nil).1.status == .pending)
        #expect(judged(age: 35, position: nil).1.status == .truncated)
    }

    @Test("a subscription whose every item the collector refuses, some naming no log path (kafka, syslog, redis): nothing is collected")
    func everyNetworkItemRefused() {
        var s = ProgressFixture.healthy()
        s.files = []
        var i = input(s)
        i.scope = []
        i.loadedConfigs = true
        i.acceptedItems = 0
        i.refusedPathlessItems = ["bkunifylogbeat_kafka_sub_8_host_1.conf item 1: kafka: hosts missing (required)"]
        let progress = run(i)
        #expect(
            progress.verdict == .fail && progress.message.contains("the collector refuses its item(s)")
                && progress.message.contains("kafka: hosts missing"), "\(progress.message)")
        let risk = ProgressFixture.run(LossRiskCheck(), i)
        #expect(risk.verdict == .warn && risk.message.contains("kafka: hosts missing"), "\(risk.message)")
        let stall = ProgressFixture.run(PipelineStallCheck(), i)
        #expect(stall.verdict == .unknown && stall.message.contains("the collector refuses its item(s)"), "\(stall.message)")
        // One item taken (a syslog input listening elsewhere, say): no longer "nothing is collected".
        i.acceptedItems = 1
        #expect(run(i).verdict == .pass, "\(run(i).message)")
        #expect(ProgressFixture.run(LossRiskCheck(), i).verdict == .pass)
        // The item taken is a kafka input: its broker connection is not followed, so nothing is measured, not passed.
        i.unmeasuredInputs = ["kafka"]
        let kafka = run(i)
        #expect(
            kafka.verdict == .unknown && kafka.message.hasPrefix("the subscription's kafka input reads no file: bkdiag does not follow"),
            "\(kafka.message)")
        let kafkaRisk = ProgressFixture.run(LossRiskCheck(), i)
        #expect(
            kafkaRisk.verdict == .unknown && kafkaRisk.message.hasPrefix("cannot count the data at risk: the subscription's kafka input"),
            "\(kafkaRisk.message)")
    }

    @Test("past ignore_older but still held by a harvester: judged as collected (filebeat ages out only files none holds)")
    func agedOutButHeld() {
        var s = ProgressFixture.healthy()
        var file = ProgressFixture.file("/data/logs/app/a.log", size: 10101, inode: 11, age: 35, skipped: "ignore_older 20s (item 1)")
        file.target.agedOut = true
        s.files = [file]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 10101)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 35)])
        let p = FileProgress.analyse(nil, s, ProgressFixture.settings)[0]
        #expect(p.skipped == nil && p.status == .readStalled && p.lagBytes == 9101)
        #expect(run(input(s)).verdict == .fail)
        #expect(ProgressFixture.run(PipelineStallCheck(), input(s)).message.hasPrefix("data stops at read"))
        // No harvester holds it: skipped, as before (what was not acknowledged is not collected).
        s.collectors = [ProgressFixture.collector(open: [])]
        let skipped = FileProgress.analyse(nil, s, ProgressFixture.settings)[0]
        #expect(skipped.status == .skipped && skipped.skippedBytes == 9101)
        // Skipped by exclude_files, held or not, it stays skipped.
        file.target.agedOut = false
        file.target.skipped = "exclude_files (item 1)"
        s.files = [file]
        s.collectors = ProgressFixture.healthy().collectors
        #expect(FileProgress.analyse(nil, s, ProgressFixture.settings)[0].status == .skipped)
    }

    @Test(
        "bytes written after the harvester closed wait for the item's own scan_frequency; unpicked past it, the read hop is stuck, not the output"
    )
    func unheldFileWaitsForTheScan() {
        func judged(writtenAgo: Double, scan: Double?) -> FileProgress {
            var s = ProgressFixture.healthy()
            var file = ProgressFixture.file("/data/logs/app/a.log", size: 10101, inode: 11, age: writtenAgo)
            file.target.scanSeconds = scan
            s.files = [file]
            s.collectors = [ProgressFixture.collector(open: [])]
            s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 10000, age: 38)])
            return FileProgress.analyse(nil, s, ProgressFixture.settings)[0]
        }
        // scan_frequency 60s (NodeMan's template writes the platform's value): 33 s after the write, not yet scanned.
        #expect(judged(writtenAgo: 33, scan: 60).status == .pending)
        // The default 10 s scan, a backoff and a flush have passed and no harvester holds it: not picked up.
        #expect(judged(writtenAgo: 33, scan: nil).status == .readStalled)
        #expect(judged(writtenAgo: 15, scan: nil).status == .pending)
        // Written longer ago than close_inactive: a harvester may have read it and closed, the output not confirming.
        #expect(judged(writtenAgo: 200, scan: nil).status == .ackStalled)
        // Where the collector's open files cannot be read, not being held is not known: not the read hop.
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 10101, inode: 11, age: 33)]
        s.collectors = [
            ProgressSample.Collector(
                pid: 4242, io: .success(ProcIO(writtenChars: 1)),
                open: .failure(ProbeError(call: "open", path: "/proc/4242/fd", errno: 13)),
                fdCount: nil, fdLimit: nil, cgroup: .success(CgroupState(version: 1)))
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 10000, age: 38)])
        #expect(FileProgress.analyse(nil, s, ProgressFixture.settings)[0].status != .readStalled)
    }

    @Test(
        "a held file behind its end with a complete line read and not acknowledged for 3 flushes is the output's stall; a partial line or a filtered item stays the read hop's"
    )
    func readBehindWithLineUnacknowledged() {
        func judged(lineUnacked: Bool?, ackAge: Double = 120, filtered: Bool = false) -> FileProgress {
            var s = ProgressFixture.healthy()
            var file = ProgressFixture.file("/data/logs/app/a.log", size: 100_000, inode: 11, age: 60)
            file.readLineUnacked = lineUnacked
            file.target.filtered = filtered
            s.files = [file]
            s.collectors = [
                ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 20_000, size: 100_000)])
            ]
            s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 4000, age: ackAge)])
            return FileProgress.analyse(nil, s, ProgressFixture.settings)[0]
        }
        // The harvester sent a line and waits on the output to take it: the output is the stuck hop.
        #expect(judged(lineUnacked: true).status == .ackStalled)
        // Only part of a line past the offset (read from the kernel, not yet a line to send), or not looked at:
        // the harvester itself is not reading.
        #expect(judged(lineUnacked: false).status == .readStalled)
        #expect(judged(lineUnacked: nil).status == .readStalled)
        // Acknowledged within 3 flushes: the output confirms; the read position behind the end is the reader's.
        #expect(judged(lineUnacked: true, ackAge: 20).status == .readStalled)
        // A filtered item drops lines without a state update: lines read past the offset are no sign of the output.
        #expect(judged(lineUnacked: true, filtered: true).status == .readStalled)
        var s = ProgressFixture.healthy()
        var file = ProgressFixture.file("/data/logs/app/a.log", size: 100_000, inode: 11, age: 60)
        file.readLineUnacked = true
        s.files = [file]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 20_000, size: 100_000)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 4000, age: 120)])
        #expect(ProgressFixture.run(PipelineStallCheck(), input(s)).evidence.first { $0.0 == "stuck_at" }?.1 == .string("registry"))
    }

    @Test("without a readable registry a file no harvester holds is not judged: no tail_files bytes invented")
    func registryUnreadJudgesNoUnheldFile() {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/b.log", size: 5050, inode: 12, age: 300)]
        s.collectors = [ProgressFixture.collector(open: [])]
        s.registry = ProgressSample.Registry(
            path: ProgressFixture.registryPath, read: .failure(RegistryReadError("open: no such file", isMissing: true)),
            stat: .failure(ProbeError(call: "stat", path: ProgressFixture.registryPath, errno: ENOENT)),
            space: .failure(ProbeError(call: "statvfs", path: ProgressFixture.registryPath, errno: ENOENT)))
        let p = FileProgress.analyse(nil, s, ProgressFixture.settings)[0]
        #expect(p.status == .unjudged && p.lagBytes == 0 && p.tailSkippedBytes == 0)
        let risk = ProgressFixture.run(LossRiskCheck(), input(s))
        let risks = risk.evidence.first { $0.0 == "risks" }?.1.arrayValue ?? []
        #expect(!risks.contains { $0["reason"] == .string("tail_files") }, "\(risk.message)")
        #expect(risk.verdict != .fail && !risk.message.contains("may not be collected"), "\(risk.message)")
    }

    @Test("paths that match nothing because the files were deleted under the collector: the held deleted files are named")
    func deletedHeldIsNamed() {
        var s = ProgressFixture.healthy()
        s.files = []
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 10101, deleted: true)
            ])
        ]
        var i = input(s)
        i.scope = ["/data/logs/app/*.log"]
        let f = run(i)
        #expect(f.verdict == .fail && f.message.contains("still holds 1 deleted file(s)"), "\(f.message)")
        #expect(f.message.contains("/data/logs/app/a.log (8.9 KiB unread)"), "\(f.message)")
        // Read to its end: nothing of it waits; the paths simply match nothing.
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 10101, size: 10101, deleted: true)
            ])
        ]
        i = input(s)
        i.scope = ["/data/logs/app/*.log"]
        #expect(run(i).message.hasPrefix("no file matches the log paths /data/logs/app/*.log: nothing is collected"))
    }

    @Test("a file the collector may not open fails, naming why, however new; loss_risk counts all of it")
    func denied() {
        var s = ProgressFixture.healthy()
        s.files.append(ProgressFixture.file("/data/logs/app/secret.log", size: 4096, inode: 12, age: 2))
        let why = "uid 65534 may not read file /data/logs/app/secret.log (mode 0600, owner 0:0)"
        s.collectorDenied = ["/data/logs/app/secret.log": why]
        let f = run(input(s))
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(f.message == "1 file(s) the collector may not open, 4.0 KiB not collected: \(why)", "\(f.message)")
        #expect(f.hint.contains("权限"), "\(f.hint)")
        let risk = ProgressFixture.run(LossRiskCheck(), input(s))
        #expect(risk.verdict == .fail && risk.message.contains("permission_denied"), "\(risk.message)")
        #expect(risk.message.hasPrefix("4.0 KiB"), "\(risk.message)")
        // Read before and closed (the mode changed since): what was written after the acknowledged offset
        // waits for an open that fails; acknowledged to its end, nothing waits yet.
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3),
            ProgressFixture.state("/data/logs/app/secret.log", inode: 12, offset: 1024, age: 3),
        ])
        let closed = run(input(s))
        #expect(closed.message == "1 file(s) the collector may not open, 3.0 KiB not collected: \(why)", "\(closed.message)")
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3),
            ProgressFixture.state("/data/logs/app/secret.log", inode: 12, offset: 4096, age: 3),
        ])
        #expect(run(input(s)).verdict == .pass, "\(run(input(s)).message)")
        // Held open, it is read whatever its mode is now.
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3),
            ProgressFixture.state("/data/logs/app/secret.log", inode: 12, offset: 1024, age: 3),
        ])
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000),
                ProgressFixture.held("/data/logs/app/secret.log", inode: 12, position: 4096, size: 4096),
            ])
        ]
        #expect(!run(input(s)).message.contains("may not open"), "\(run(input(s)).message)")
    }

    /// A directory the collector's user may not search denies every file in it for the same reason: the reason was
    /// listed once per file ("uid 2000 may not search directory /data/logs/app (mode 0700, owner 0:0), uid 2000 may
    /// not search directory /data/logs/app ..."), crowding out any other.
    @Test("files denied by one directory name its reason once, in logpath_progress and loss_risk")
    func deniedByOneDirectory() {
        var s = ProgressFixture.healthy()
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 100, inode: 11, age: 2),
            ProgressFixture.file("/data/logs/app/b.log", size: 200, inode: 12, age: 2),
        ]
        s.collectors = [ProgressFixture.collector(open: [])]
        let why = "uid 2000 may not search directory /data/logs/app (mode 0700, owner 0:0)"
        s.collectorDenied = ["/data/logs/app/a.log": why, "/data/logs/app/b.log": why]
        let f = run(input(s))
        #expect(f.message == "2 file(s) the collector may not open, 300 B not collected: \(why)", "\(f.message)")
        let risk = ProgressFixture.run(LossRiskCheck(), input(s))
        #expect(risk.message.hasSuffix("permission_denied (\(why))"), "\(risk.message)")
    }

    @Test("a busy log the collector never opened is never-collected by its creation time, though its mtime is fresh")
    func neverCollectedBusy() {
        var s = ProgressFixture.healthy()
        // Written every 200 ms (mtime now), created 35 s ago, no state, not open.
        var busy = ProgressFixture.file("/data/logs/app/busy.log", size: 9_400, inode: 12, age: 0)
        busy.birth = Int64(ProgressFixture.now - 35)
        s.files.append(busy)
        let f = run(input(s))
        #expect(f.verdict == .warn && f.message.contains("never collected: /data/logs/app/busy.log"), "\(f.message)")
        // Created 5 s ago: not yet past a scan and two flushes, on its way.
        s.files[1].birth = Int64(ProgressFixture.now - 5)
        #expect(run(input(s)).verdict == .pass)
        // No creation time (NFS, an old kernel): the mtime alone, as before.
        s.files[1].birth = nil
        #expect(run(input(s)).verdict == .pass)
    }

    /// A file no harvester holds because the item's `harvester_limit` is taken is not one the collector never
    /// found: the running input starts it once a harvester is free. It is named as waiting, with the limit.
    @Test("a file kept waiting by a full harvester_limit is said to wait for a harvester, not never collected")
    func waitingForAHarvester() {
        var s = ProgressFixture.healthy()
        // harvester_limit 1, taken by a.log (held, read and acknowledged to its end); b.log: no state, not open,
        // last written 100 s ago.
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 1000, inode: 11, limit: 1),
            ProgressFixture.file("/data/logs/app/b.log", size: 500, inode: 12, age: 100, limit: 1),
        ]
        let f = run(input(s))
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message.contains("not yet collected, waiting for a harvester because harvester_limit (1) is reached: /data/logs/app/b.log"),
            "\(f.message)")
        #expect(!f.message.contains("never collected"), "\(f.message)")
        #expect(f.hint.contains("harvester_limit"), "\(f.hint)")
        // A harvester free (limit 2): b.log is one the collector has not found, as before.
        s.files = s.files.map {
            var f = $0
            f.target.harvesterLimit = 2
            return f
        }
        let free = run(input(s))
        #expect(free.verdict == .warn && free.message.contains("never collected: /data/logs/app/b.log"), "\(free.message)")
        #expect(!free.message.contains("harvester_limit"), "\(free.message)")
    }

    /// Fresh files (created a second ago, before any scan could have found them) that a taken harvester_limit
    /// keeps waiting are not in flight: the limit, not the next scan, keeps them unread.
    @Test("fresh files kept waiting by a full harvester_limit are said to wait for a harvester, not in flight")
    func freshWaitingForAHarvester() {
        var s = ProgressFixture.healthy()
        // harvester_limit 1, taken by a.log (held, read and acknowledged to its end); d.log and e.log: no state,
        // not open, written a second ago.
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 1000, inode: 11, limit: 1),
            ProgressFixture.file("/data/logs/app/d.log", size: 27, inode: 12, age: 1, limit: 1),
            ProgressFixture.file("/data/logs/app/e.log", size: 27, inode: 13, age: 1, limit: 1),
        ]
        let f = run(input(s))
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message.contains(
                "not yet collected, waiting for a harvester because harvester_limit (1) is reached: /data/logs/app/d.log, /data/logs/app/e.log"
            ),
            "\(f.message)")
        #expect(!f.message.contains("in flight") && !f.message.contains("never collected"), "\(f.message)")
        // A harvester free for each (limit 3): fresh files on their way to the next scan, as before.
        s.files = s.files.map {
            var f = $0
            f.target.harvesterLimit = 3
            return f
        }
        let free = run(input(s))
        #expect(free.verdict == .pass, "\(free.message)")
    }

    @Test("every matched file skipped by the item's rules warns that nothing is collected")
    func allSkipped() {
        var s = ProgressFixture.healthy()
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log.gz", size: 700, inode: 20, skipped: "exclude_files (collector defaults)"),
            ProgressFixture.file("/data/logs/app/b.log.gz", size: 900, inode: 21, skipped: "exclude_files (collector defaults)"),
        ]
        let f = run(input(s))
        #expect(
            f.verdict == .warn && f.message.hasPrefix("no file is collected: the 2 file(s) the paths match are all skipped"), "\(f.message)"
        )
    }

    /// `echo -n "... backup start ... "` after a quiet spell: the harvester reads the bytes into its line
    /// buffer (its fd is at the end) but sends nothing until the newline, so the registry stays at the last
    /// newline however long the line takes.
    @Test("a last line without its newline is pending, not an output that stopped acknowledging")
    func unterminatedLastLine() {
        var s = ProgressFixture.healthy()
        s.files = [ProgressFixture.file("/data/logs/app/backup.log", size: 367, inode: 11, age: 36)]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/backup.log", inode: 11, position: 367, size: 367)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/backup.log", inode: 11, offset: 330, age: 72)])
        #expect(run(input(s)).verdict == .fail, "a complete line unacknowledged that long is stuck")
        s.files[0].unterminatedTail = true
        let f = run(input(s))
        #expect(f.verdict == .pass && f.message.contains("37 B in flight"), "\(f.message)")
        #expect(ProgressFixture.run(PipelineStallCheck(), input(s)).verdict == .pass)
    }

    @Test("a rotated file's old inode still in the registry is named")
    func rotated() {
        var s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3),
            ProgressFixture.state("/data/logs/app/a.log", inode: 10, offset: 777, age: 400),
        ])
        let f = run(input(s))
        #expect(f.verdict == .pass)
        #expect(f.message.contains("rotated (an older inode is still in the registry): /data/logs/app/a.log"), "\(f.message)")
    }

    @Test("no registry file warns (bkdiag looked in the wrong place); an unreadable one and a stopped collector are unknown")
    func registryProblems() {
        var s = ProgressFixture.healthy()
        s.registry?.read = .failure(RegistryReadError("open: No such file or directory", isMissing: true))
        // A running collector always has one: bkdiag looked in the wrong place, which is not a collection failure.
        let missing = run(input(s))
        #expect(missing.verdict == .warn && missing.message.hasPrefix("no registry at "), "\(missing.message)")
        s.registry?.read = .failure(RegistryReadError("open: Permission denied", isPermission: true))
        let denied = run(input(s))
        #expect(denied.verdict == .unknown && denied.hint.contains("root"))
        s.collectors = []
        for check in [LogPathProgressCheck(), PipelineStallCheck(), CollectorResourcesCheck()] as [any Check] {
            #expect(ProgressFixture.run(check, input(s)).verdict == .unknown)
        }
    }
}
