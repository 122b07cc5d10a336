import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

@Suite("log_progress/loss_risk on in-memory facts")
struct LossRiskCheckTests {
    func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = ProgressFixture.settings) -> ProgressInput
    {
        ProgressInput(first: first, last: last, settings: settings)
    }

    func run(_ input: ProgressInput) -> Finding { ProgressFixture.run(LossRiskCheck(), input) }

    /// `last` with a collector holding a removed file with 5,000 unread bytes whose position did not move
    /// since the sample a second before.
    func withStuckDeletedFile(_ last: ProgressSample) -> ProgressInput {
        var s = last
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/gone.log", inode: 15, position: 100, size: 5100, deleted: true)
            ])
        ]
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        first.collectors = s.collectors
        return input(s, first: first)
    }

    @Test("a file rotated out of the patterns, not held, with bytes after its acknowledged offset: those bytes are at risk")
    func rotatedUnread() throws {
        var s = ProgressFixture.healthy()
        // a.log is a new file (inode 11); the registry still has the old a.log (inode 7) at 9,000 of the
        // 10,000 bytes it has, renamed to a.log.1, which `*.log` does not match.
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3),
            ProgressFixture.state("/data/logs/app/a.log", inode: 7, offset: 9000, age: 600),
        ])
        s.rotatedAway = [ProgressSample.FileKey(inode: 7, device: 2049): .init(path: "/data/logs/app/a.log.1", size: 10_000)]
        var i = input(s)
        i.scope = ["/data/logs/app/*.log"]
        let f = run(i)
        #expect(f.verdict == .warn && f.message.contains("rotated_unread"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(1000))
        // Renamed 5 s ago: the harvester may have read it to its end since the registry's last flush.
        var recent = s
        recent.rotatedAway = [
            ProgressSample.FileKey(inode: 7, device: 2049): .init(
                path: "/data/logs/app/a.log.1", size: 10_000, ctime: Int64(ProgressFixture.now) - 5)
        ]
        var lately = input(recent)
        lately.scope = i.scope
        #expect(run(lately).verdict == .pass, "\(run(lately).message)")
        // Still held by the collector (it reads on after a rename), matched by a pattern of this or another
        // subscription, or read to its end: no risk.
        var heldSample = s
        heldSample.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 1000, size: 1000),
                ProgressFixture.held("/data/logs/app/a.log.1", inode: 7, position: 9000, size: 10_000),
            ])
        ]
        var held = input(heldSample)
        held.scope = i.scope
        #expect(run(held).verdict == .pass, "\(run(held).message)")
        var wide = i
        wide.scope = ["/data/logs/app/*.log*"]
        #expect(run(wide).verdict == .pass)
        var other = i
        other.otherPatterns = ["/data/logs/app/*.1"]
        #expect(run(other).verdict == .pass)
        s.rotatedAway = [ProgressSample.FileKey(inode: 7, device: 2049): .init(path: "/data/logs/app/a.log.1", size: 9000)]
        i = input(s)
        i.scope = ["/data/logs/app/*.log"]
        #expect(run(i).verdict == .pass)
        // A file created after the old state was recorded reuses its inode: not the rotated file.
        let recorded = Int64(ProgressFixture.now) - 600
        for (name, birth, verdict) in [
            ("a.log.1", recorded + 300, Verdict.pass), ("a.log.1", recorded - 300, .warn), ("a.log-20261201", nil, .warn),
            // Not named as a rotation of a.log: an unrelated file that took the inode, birth time known or not.
            ("cache_00000.dat", nil, .pass), ("cache_00000.dat", recorded - 300, .pass),
        ] {
            s.rotatedAway = [
                ProgressSample.FileKey(inode: 7, device: 2049): .init(path: "/data/logs/app/" + name, size: 10_000, birth: birth)
            ]
            i = input(s)
            i.scope = ["/data/logs/app/*.log"]
            #expect(run(i).verdict == verdict, "\(name) \(String(describing: birth)): \(run(i).message)")
        }
    }

    @Test("the sample finds a rotated file by inode in the directory of the path its state was recorded under")
    func rotatedAwayIsFound() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-rot-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/a.log.1", contents: Data(repeating: 0x41, count: 321)))
        #expect(FileManager.default.createFile(atPath: dir + "/a.log", contents: Data("x\n".utf8)))
        let old = try Sys.stat(dir + "/a.log.1"), new = try Sys.stat(dir + "/a.log")
        let file = ProgressSample.File(
            target: ProgressTargets.File(path: dir + "/a.log", dataid: 1), stat: .success(new), birth: nil)
        var s = ProgressFixture.healthy()
        var moved = ProgressFixture.state(dir + "/a.log", inode: old.inode, offset: 100, age: 60)
        moved.device = old.device
        var current = ProgressFixture.state(dir + "/a.log", inode: new.inode, offset: 2, age: 1)
        current.device = new.device
        s.registry = ProgressFixture.registry([moved, current])
        let found = ProgressProbe.rotatedAway([file], s.stateIndex(.inode))
        #expect(found.count == 1)
        #expect(found[ProgressSample.FileKey(inode: old.inode, device: old.device)]?.path == dir + "/a.log.1")
        #expect(found[ProgressSample.FileKey(inode: old.inode, device: old.device)]?.size == 321)
    }

    @Test("a deleted file held with unread bytes fails with those bytes; read to its end it is no risk")
    func deletedHeld() throws {
        let stuck = withStuckDeletedFile(ProgressFixture.healthy())
        let f = run(stuck)
        #expect(f.verdict == .fail)
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(5000))
        #expect(f.message.contains("deleted_held"))
        // Still being read (the position moved), or seen once: the harvester reads a removed file to its end.
        var s = stuck.last
        var first = try #require(stuck.first)
        first.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/gone.log", inode: 15, position: 50, size: 5100, deleted: true)
            ])
        ]
        #expect(run(input(s, first: first)).verdict == .warn)
        #expect(run(input(s)).verdict == .warn)
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/gone.log", inode: 15, position: 5100, size: 5100, deleted: true)
            ])
        ]
        // Read to its end (logrotate removed it after the collector finished): nothing to lose.
        let done = run(input(s))
        #expect(done.verdict == .pass && !done.message.contains("0 B"), "\(done.message)")
    }

    @Test("a deleted file counts for the subscription whose paths cover its directory, not for another one's")
    func deletedHeldInScope() {
        var stuck = withStuckDeletedFile(ProgressFixture.healthy())
        // The subscription collects /data/logs/app/*.log: gone.log (or app.log.1, renamed by a rotation
        // before it was removed) lies where its patterns look; /data/logs/other/x.log is another one's.
        for pattern in ["/data/logs/app/*.log", "/data/logs/*/*.log", "/data/logs/**/*.log", "/data/logs/app/gone.log"] {
            stuck.scope = [pattern]
            #expect(run(stuck).verdict == .fail, "\(pattern)")
        }
        stuck.scope = ["/data/logs/other/*.log", "/data/logs/app2/*.log"]
        let other = run(stuck)
        #expect(other.verdict == .pass && other.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(0), "\(other.message)")
        stuck.scope = []
        #expect(run(stuck).verdict == .pass)
        // Another subscription's file in the same directory (app/*.txt beside app/*.log) is not this one's;
        // a rotation of this one's a.log removed before it was read is.
        func deleted(_ path: String, others: [OtherPattern] = ["/data/logs/app/*.txt"]) -> ProgressInput {
            var s = ProgressFixture.healthy()
            s.collectors = [
                ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 15, position: 100, size: 5100, deleted: true)])
            ]
            var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
            first.collectors = s.collectors
            var i = input(s, first: first)
            i.scope = ["/data/logs/app/*.log"]
            i.otherPatterns = others
            return i
        }
        #expect(run(deleted("/data/logs/app/x.txt")).verdict == .pass, "\(run(deleted("/data/logs/app/x.txt")).message)")
        #expect(run(deleted("/data/logs/app/a.log.1")).verdict == .fail, "\(run(deleted("/data/logs/app/a.log.1")).message)")
        // Date-stamped rotations (logback's `%d`, lumberjack, dateext with `_`) are rotations of a.log too.
        for name in ["a-2026-12-01.log", "a_20261201.log", "a-2026-12-01T10-00-00.000.log", "a.log-20261201"] {
            #expect(run(deleted("/data/logs/app/" + name)).verdict == .fail, "\(name)")
        }
        // A broad pattern of another subscription that also matches a.log does not take its rotation away.
        #expect(run(deleted("/data/logs/app/a.log.1", others: ["/data/logs/*/*"])).verdict == .fail)
        // One that matches the rotated name only does (app.log.wf beside app.log is the *.log.wf subscription's).
        #expect(run(deleted("/data/logs/app/a.log.1", others: ["/data/logs/app/*.log.1"])).verdict == .pass)
        // Unless its exclude_files skips that name: it collects none of it, so the rotation stays this one's.
        let excluding = OtherPattern("/data/logs/app/*.log.1", excludes: [#"\.1$"#])
        #expect(run(deleted("/data/logs/app/a.log.1", others: [excluding])).verdict == .fail)
        #expect(
            run(deleted("/data/logs/app/a.log.1", others: [OtherPattern("/data/logs/app/*.log.1", excludes: [".gz$"])])).verdict == .pass)
    }

    @Test("a held file is the subscription's by an item that reads it: not one its own exclude_files skips, nor a refused item's")
    func deletedHeldByOwnItems() {
        func deleted(_ path: String, own: [OtherPattern], states: [CollectorFileState] = []) -> ProgressInput {
            var s = ProgressFixture.healthy()
            s.collectors = [
                ProgressFixture.collector(open: [ProgressFixture.held(path, inode: 15, position: 100, size: 5100, deleted: true)])
            ]
            s.registry = ProgressFixture.registry(states)
            var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
            first.collectors = s.collectors
            var i = input(s, first: first)
            i.scope = own.map(\.pattern)
            i.ownPatterns = own
            i.otherPatterns = ["/data/logs/app/b.log"]
            return i
        }
        // Read by the item: this subscription's.
        #expect(run(deleted("/data/logs/app/b.log", own: ["/data/logs/app/*.log"])).verdict == .fail)
        // Its item's exclude_files skips it: another subscription's file (b.log's), not this one's risk.
        let excluding = OtherPattern("/data/logs/app/*.log", excludes: [#"b\.log$"#])
        let skipped = run(deleted("/data/logs/app/b.log", own: [excluding]))
        #expect(skipped.verdict == .pass, "\(skipped.message)")
        // Moved away and deleted, its registry state recorded under b.log: still not this one's.
        let moved = run(
            deleted(
                "/data/logs/archive/b.log.old", own: [excluding],
                states: [ProgressFixture.state("/data/logs/app/b.log", inode: 15, offset: 100, age: 30)]))
        #expect(moved.verdict == .pass, "\(moved.message)")
        // Recorded under a path the item reads: this one's, unless a newer state of the file names another path
        // (an inode taken by another file since the old state was written).
        let mine = ProgressFixture.state("/data/logs/app/a.log", inode: 15, offset: 100, age: 600)
        #expect(run(deleted("/data/logs/archive/a.log.old", own: [excluding], states: [mine])).verdict == .fail)
        let newer = ProgressFixture.state("/data/other/x.log", inode: 15, offset: 100, age: 30)
        #expect(run(deleted("/data/logs/archive/a.log.old", own: [excluding], states: [mine, newer])).verdict == .pass)
        // No item the collector takes (refused: no own pattern): nothing held is this subscription's.
        var refused = deleted("/data/logs/app/b.log", own: [])
        refused.scope = ["/data/logs/app/*.log"]
        #expect(run(refused).verdict == .pass, "\(run(refused).message)")
    }

    @Test("a truncated file warns without a byte count it cannot know; beside counted risks the count is a floor")
    func truncatedUncounted() {
        var s = ProgressFixture.healthy()
        // Cut to 400 bytes below the 1,000 the registry acknowledged, 30 s ago, and the harvester holding it not
        // back inside it (past its 10 s backoff and a flush): what was cut is not known.
        s.files = [ProgressFixture.file("/data/logs/app/a.log", size: 400, inode: 11, age: 30)]
        let f = run(input(s))
        #expect(f.verdict == .warn && f.message == "log data may not be collected: truncated", "\(f.message)")
        s.files.append(
            ProgressFixture.file("/data/logs/app/b.log.3", size: 2048, inode: 12, age: 8 * 86400, skipped: "ignore_older 604800s"))
        let both = run(input(s))
        #expect(both.message == "at least 2.0 KiB of log data may not be collected: truncated, skipped", "\(both.message)")
    }

    @Test("a file the collector never found is not in flight; with tail_files its bytes are at risk of a start at its end")
    func neverCollectedTail() throws {
        var s = ProgressFixture.healthy()
        // b.log: 50 KiB, last written a minute ago, no registry state, not open.
        var b = ProgressFixture.file("/data/logs/app/b.log", size: 51_200, inode: 12, age: 60)
        s.files.append(b)
        let f = run(input(s))
        #expect(f.verdict == .warn && f.message == "50.0 KiB of log data may not be collected: tail_files", "\(f.message)")
        let stall = ProgressFixture.run(PipelineStallCheck(), input(s))
        #expect(stall.verdict == .pass && !stall.message.contains("in flight"), "\(stall.message)")
        // Not "nothing pending" either: the file is named as one the collector has not found.
        #expect(
            !stall.message.contains("nothing pending")
                && stall.message.contains("50.0 KiB in /data/logs/app/b.log, which the collector has not found since they were written"),
            "\(stall.message)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), input(s))
        #expect(progress.verdict == .warn && progress.message.contains("50.0 KiB would not be collected"), "\(progress.message)")
        // Not behind either: a start at its end sends none of those bytes (the data id's lag, the file's own).
        let byDataid = try #require(progress.evidence.first { $0.0 == "by_dataid" }?.1)
        #expect(byDataid["1500123"]?["lag_bytes"] == .int(0), "\(byDataid)")
        let files = try #require(progress.evidence.first { $0.0 == "files" }?.1)
        let never = files.arrayValue?.first { $0["path"] == .string("/data/logs/app/b.log") }
        #expect(never?["lag_bytes"] == .int(0) && never?["tail_files_bytes"] == .int(51_200), "\(String(describing: never))")
        // tail_files off (written null, filebeat's default): the collector reads it from the start when it finds it.
        b.target.tailFiles = false
        s.files[1] = b
        #expect(run(input(s)).verdict == .pass)
        #expect(ProgressFixture.run(PipelineStallCheck(), input(s)).message.contains("50.0 KiB in flight"))
    }

    /// Not root: a collector whose exe and cwd cannot be read (not placed under the root), or whose open files
    /// cannot be listed, may hold every file: none is known to be "never found", so no tail_files risk is claimed.
    @Test("a collector bkdiag may not look into: the data at risk is unknown, not a tail_files risk")
    func collectorNotReadable() throws {
        var s = ProgressFixture.healthy()
        s.files.append(ProgressFixture.file("/data/logs/app/b.log", size: 51_200, inode: 12, age: 60))
        #expect(run(input(s)).message.contains("tail_files"))
        var unplaced = s
        unplaced.collectors = []
        unplaced.unplacedCollectorPIDs = [4242]
        let u = run(input(unplaced))
        #expect(u.verdict == .unknown && u.message.contains("cannot be read"), "\(u.message)")
        var opaque = s
        opaque.collectors[0].open = .failure(ProbeError(call: "opendir", path: "/proc/4242/fd", errno: EACCES))
        let o = run(input(opaque))
        #expect(o.verdict == .unknown && o.message.hasPrefix("cannot read the collector's open files"), "\(o.message)")
        #expect(o.message.contains("1 file(s) may never have been found or read"), "\(o.message)")
        // Risks that do not depend on what the collector holds are still claimed: a file it may not open.
        opaque.collectorDenied["/data/logs/app/b.log"] = "mode 0600, owner 0: the collector runs as uid 1000"
        let denied = run(input(opaque))
        #expect(denied.verdict == .fail && denied.message.contains("permission_denied"), "\(denied.message)")
    }

    @Test("a reused inode: a registry state acknowledged before the file was created skips the file's first bytes")
    func inodeReused() {
        var s = ProgressFixture.healthy()
        // a.log was created 10 s ago with the inode of a file whose state says offset 5,000, an hour ago.
        var f = ProgressFixture.file("/data/logs/app/a.log", size: 8000, inode: 11, age: 1)
        f.birth = Int64(ProgressFixture.now - 10)
        s.files = [f]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 8000, size: 8000)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/old.log", inode: 11, offset: 5000, age: 3600)])
        let risk = run(input(s))
        #expect(risk.verdict == .warn && risk.message == "4.9 KiB of log data may not be collected: inode_reused", "\(risk.message)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), input(s))
        #expect(progress.verdict == .warn && progress.message.contains("inode reused"), "\(progress.message)")
        // The same state acknowledged after the file was created is the file's own progress.
        s.files[0].birth = Int64(ProgressFixture.now - 7200)
        #expect(run(input(s)).verdict == .pass)
        // No birth time: not judged.
        s.files[0].birth = nil
        #expect(run(input(s)).verdict == .pass)
    }

    @Test("file_identifier inode_path: a reused inode's state counts only when it was recorded for the same path")
    func inodePathIdentifier() {
        var settings = ProgressFixture.settings
        settings.fileIdentifier = FileIdentifier(configValue: "inode_path")
        var s = ProgressFixture.healthy()
        var f = ProgressFixture.file("/data/logs/app/a.log", size: 8000, inode: 11, age: 1)
        f.birth = Int64(ProgressFixture.now - 10)
        s.files = [f]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log", inode: 11, position: 8000, size: 8000)])
        ]
        // The old state's id holds its path: the collector starts a.log afresh, nothing is skipped.
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/old.log", inode: 11, offset: 5000, age: 3600)])
        #expect(run(input(s, settings: settings)).verdict == .pass)
        #expect(run(input(s)).message.contains("inode_reused"), "the inode identifier takes it: \(run(input(s)).message)")
        // Recorded for a.log itself (deleted and created again on the same inode): the same state, resumed.
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 5000, age: 3600)])
        let risk = run(input(s, settings: settings))
        #expect(risk.verdict == .warn && risk.message == "4.9 KiB of log data may not be collected: inode_reused", "\(risk.message)")
    }

    @Test("file_identifier path: a new file under a rotated path is resumed at the old file's offset, its first bytes never read")
    func pathIdentifier() {
        var settings = ProgressFixture.settings
        settings.fileIdentifier = FileIdentifier(configValue: "path")
        var s = ProgressFixture.healthy()
        // a.log (inode 12) was created by a rotation that renamed the old a.log (inode 11, acknowledged to
        // 5,000, still held and read as a.log.1).
        var f = ProgressFixture.file("/data/logs/app/a.log", size: 8000, inode: 12, age: 1)
        f.birth = Int64(ProgressFixture.now - 10)
        s.files = [f]
        s.collectors = [
            ProgressFixture.collector(open: [ProgressFixture.held("/data/logs/app/a.log.1", inode: 11, position: 5000, size: 5000)])
        ]
        s.registry = ProgressFixture.registry([ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 5000, age: 0.5)])
        let risk = run(input(s, settings: settings))
        #expect(risk.verdict == .warn && risk.message == "4.9 KiB of log data may not be collected: path_reused", "\(risk.message)")
        let progress = ProgressFixture.run(LogPathProgressCheck(), input(s, settings: settings))
        #expect(progress.verdict == .warn && progress.message.contains("path reused"), "\(progress.message)")
        #expect(!progress.message.contains("rotated"), "\(progress.message)")
        // Waiting for the old file's harvester is not a stall.
        #expect(ProgressFixture.run(PipelineStallCheck(), input(s, settings: settings)).verdict != .fail)
        // By inode the same host has no state for a.log: a new file, not a reused one.
        #expect(!run(input(s)).message.contains("reused"), "\(run(input(s)).message)")
        // Shorter than the old offset: the collector reads it from the start (not truncation, no risk).
        s.files[0] = ProgressFixture.file("/data/logs/app/a.log", size: 3000, inode: 12, age: 1)
        let short = run(input(s, settings: settings))
        #expect(short.verdict == .pass, "\(short.message)")
        #expect(!ProgressFixture.run(LogPathProgressCheck(), input(s, settings: settings)).message.contains("truncated"))
        // The path's state for the file itself: ordinary progress.
        s.files[0] = ProgressFixture.file("/data/logs/app/a.log", size: 5000, inode: 11, age: 1)
        #expect(run(input(s, settings: settings)).verdict == .pass)
    }

    @Test("file_identifier values the collector does not know are its inode")
    func identifierValues() {
        #expect(FileIdentifier(configValue: "path") == .path)
        #expect(FileIdentifier(configValue: "inode_path") == .inodePath)
        for other in ["inode", "Path", "inode-path", "", nil] as [String?] { #expect(FileIdentifier(configValue: other) == .inode) }
    }

    @Test("a file skipped by ignore_older after it was collected risks only what was not acknowledged")
    func skippedAfterCollection() {
        var s = ProgressFixture.healthy()
        s.files = [
            ProgressFixture.file(
                "/data/logs/app/app-20261120.log", size: 5_000_000, inode: 40, age: 8 * 86400, skipped: "ignore_older 604800s")
        ]
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/app-20261120.log", inode: 40, offset: 5_000_000, age: 8 * 86400)
        ])
        #expect(run(input(s)).verdict == .pass, "\(run(input(s)).message)")
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/app-20261120.log", inode: 40, offset: 4_000_000, age: 8 * 86400)
        ])
        let partial = run(input(s))
        #expect(partial.verdict == .warn && partial.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(1_000_000), "\(partial.message)")
        // Never collected (no state): all of it.
        s.registry = ProgressFixture.registry([])
        #expect(run(input(s)).evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(5_000_000))
    }

    @Test("skipped files, truncation and too many files for harvester_limit warn; a full registry file system fails")
    func otherRisks() {
        var s = ProgressFixture.healthy()
        #expect(run(input(s)).verdict == .pass)
        // logrotate's compressed copy, skipped by exclude_files (the item's own rule): not at risk, counted.
        s.files.append(ProgressFixture.file("/data/logs/app/a.log.gz", size: 700, inode: 20, skipped: "exclude_files: \\.gz$"))
        let excluded = run(input(s))
        #expect(excluded.verdict == .pass, "\(excluded.message)")
        #expect(excluded.evidence.first { $0.0 == "excluded_files" }?.1 == .object([("files", .int(1)), ("bytes", .int(700))]))
        // Aged past ignore_older before it was collected: at risk.
        s.files[1] = ProgressFixture.file("/data/logs/app/a.log.3", size: 700, inode: 20, age: 8 * 86400, skipped: "ignore_older 604800s")
        let skipped = run(input(s))
        #expect(skipped.verdict == .warn && skipped.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(700), "\(skipped.message)")
        s.files = (0..<3).map { ProgressFixture.file("/data/logs/app/\($0).log", size: 100, inode: 30 + UInt64($0), age: 1, limit: 1) }
        let limited = run(input(s))
        #expect(limited.verdict == .warn && limited.message.contains("harvester_limit"), "\(limited.message)")
        s = ProgressFixture.healthy()
        s.registry = ProgressFixture.registry(
            [ProgressFixture.state("/data/logs/app/a.log", inode: 11, offset: 1000, age: 3)], available: 4096)
        let full = run(input(s))
        #expect(full.verdict == .fail && full.message.contains("registry_fs_full"), "\(full.message)")
        // The message says where and how full (the platform shows the message only), the hint what to do.
        #expect(
            full.message.contains("the file system of the registry \(ProgressFixture.registryPath) has 4.0 KiB free of "), "\(full.message)"
        )
        #expect(full.hint == "进度库所在磁盘满会使进度无法保存：清理该磁盘", "\(full.hint)")

        // The log's own file system full: the application cannot write, a warn naming where.
        s = ProgressFixture.healthy()
        s.logFileSystems = [("/data/logs/app", FileSystemSpace(totalBytes: 4 << 30, availableBytes: 512 << 10, availableInodes: 100))]
        let logFull = run(input(s))
        #expect(
            logFull.verdict == .warn
                && logFull.message
                    == "log data may not be collected: log_fs_full (the file system of /data/logs/app is nearly full, 512.0 KiB of 4.0 GiB left to processes that are not root: an application not running as root cannot write its log)",
            "\(logFull.message)")
        #expect(logFull.hint.hasPrefix("日志所在磁盘将满"), "\(logFull.hint)")
        s.logFileSystems = [("/data/logs/app", FileSystemSpace(totalBytes: 4 << 30, availableBytes: 1 << 30, availableInodes: 100))]
        #expect(run(input(s)).verdict == .pass)
        s.logFileSystems = [("/data/logs/app", FileSystemSpace(totalBytes: 0, availableBytes: 0, availableInodes: 0))]
        #expect(run(input(s)).verdict == .pass)
        // 10 TiB with 90 GiB left is under 1 %, but not full.
        s.logFileSystems = [("/data/logs/app", FileSystemSpace(totalBytes: 10 << 40, availableBytes: 90 << 30, availableInodes: 100))]
        #expect(run(input(s)).verdict == .pass)
    }

    @Test("a log reached through a symlink is measured on the file system it is on, named by its real directory")
    func logFileSystemThroughALink() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("logfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/real", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/conf", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FileManager.default.createFile(atPath: base + "/real/app.log", contents: Data("x\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: base + "/conf/app.log", withDestinationPath: base + "/real/app.log")
        let link = base + "/conf/app.log"
        let file = ProgressSample.File(
            target: ProgressTargets.File(path: link), stat: Result { () throws(ProbeError) in try Sys.stat(link) })
        let found = ProgressProbe.fileSystems([file, file])
        #expect(found.count == 1)
        #expect(found.first?.directory == Sys.realPath(base + "/real"))
        #expect((found.first?.space.totalBytes ?? 0) > 0)
    }

    @Test("10,000 skipped files list the worst 20 risks and count all of them by reason, keeping the line short")
    func manyRisksAreCapped() throws {
        var s = ProgressFixture.healthy()
        let long = String(repeating: "d", count: 600)
        s.files += (0..<10_000).map { k in
            ProgressFixture.file(
                "/data/logs/\(long)/app-\(k).log", size: Int64(100 + k), inode: 1_000 + UInt64(k), age: 8 * 86400,
                skipped: "ignore_older 604800s")
        }
        let f = run(withStuckDeletedFile(s))
        #expect(f.verdict == .fail)
        // Every byte still counts, though only 20 risks are listed.
        let skippedBytes = (0..<10_000).reduce(Int64(0)) { $0 + 100 + Int64($1) }
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(skippedBytes + 5000))
        let listed = try #require(f.evidence.first { $0.0 == "risks" }?.1.arrayValue)
        #expect(listed.count == ProgressRules.maxRisksListed)
        // The severe one first, then the largest skipped files.
        #expect(listed.first?["reason"]?.stringValue == "deleted_held")
        #expect(listed[1]["bytes"] == .int(100 + 9_999))
        #expect(f.evidence.first { $0.0 == "risks_total" }?.1 == .int(10_001))
        #expect(f.evidence.first { $0.0 == "risks_by_reason" }?.1 == .object([("deleted_held", .int(1)), ("skipped", .int(10_000))]))
        #expect(f.message.contains("deleted_held") && f.message.contains("skipped"))
        let line = JSONValue.object(f.evidence).serialized()
        #expect(line.utf8.count < 40_000, "evidence of \(line.utf8.count) bytes")
    }

    @Test("quiet files held open take every harvester: a file with data that none holds is at risk")
    func harvestersHeldByQuietFiles() {
        var s = ProgressFixture.healthy()
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 1000, inode: 50, age: 600, limit: 2),
            ProgressFixture.file("/data/logs/app/b.log", size: 1000, inode: 51, age: 600, limit: 2),
            ProgressFixture.file("/data/logs/app/c.log", size: 3000, inode: 52, age: 5, limit: 2),
        ]
        s.collectors = [
            ProgressFixture.collector(open: [
                ProgressFixture.held("/data/logs/app/a.log", inode: 50, position: 1000, size: 1000),
                ProgressFixture.held("/data/logs/app/b.log", inode: 51, position: 1000, size: 1000),
            ])
        ]
        s.registry = ProgressFixture.registry([
            ProgressFixture.state("/data/logs/app/a.log", inode: 50, offset: 1000, age: 600),
            ProgressFixture.state("/data/logs/app/b.log", inode: 51, offset: 1000, age: 600),
        ])
        let f = run(input(s))
        #expect(f.verdict == .warn && f.message.contains("harvester_limit"), "\(f.message)")
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(3000))
        // One harvester free: c.log will be opened.
        s.files = s.files.map {
            var f = $0; f.target.harvesterLimit = 3; return f
        }
        #expect(run(input(s)).verdict == .pass, "\(run(input(s)).message)")
    }

    /// The fork's `startHarvester` gives a file a harvester only when its `Setup` opens it: one the collector may
    /// not open takes none and waits for none (a free harvester does not make it readable). Its bytes are
    /// `permission_denied`'s alone, not also the limit's (counted twice, they were double the file).
    @Test("a file the collector may not open does not wait for a harvester: its bytes are permission_denied's alone")
    func deniedIsNotWaitingForAHarvester() throws {
        var s = ProgressFixture.healthy()
        // harvester_limit 1, taken by a.log (held, read and acknowledged to its end); b.log: 500 bytes, no state.
        s.files = [
            ProgressFixture.file("/data/logs/app/a.log", size: 1000, inode: 11, limit: 1),
            ProgressFixture.file("/data/logs/app/b.log", size: 500, inode: 12, age: 600, limit: 1),
        ]
        s.collectorDenied["/data/logs/app/b.log"] = "mode 0600, owner 0: the collector runs as uid 1000"
        let f = run(input(s))
        let risks = try #require(f.evidence.first { $0.0 == "risks" }?.1.arrayValue)
        #expect(f.verdict == .fail && f.message.contains("permission_denied"), "\(f.message)")
        #expect(!risks.contains { $0["reason"] == .string("harvester_limit") }, "\(risks)")
        #expect(f.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(500), "\(risks)")
        let files = FileProgress.analyse(nil, s, ProgressFixture.settings)
        #expect(files.first { $0.path == "/data/logs/app/b.log" }?.waitsForHarvester == false)
        // Two such files and no harvester taken: more "waiting" than the limit, but none of them waits for one.
        s.files[0] = ProgressFixture.file("/data/logs/app/c.log", size: 300, inode: 13, age: 600, limit: 1)
        s.collectors = [ProgressFixture.collector()]
        s.collectorDenied["/data/logs/app/c.log"] = "mode 0600, owner 0: the collector runs as uid 1000"
        let two = run(input(s))
        #expect(two.evidence.first { $0.0 == "bytes_at_risk" }?.1 == .int(800), "\(two.evidence)")
        #expect(!two.message.contains("harvester_limit"), "\(two.message)")
    }
}

/// Which item gives a file its rules for the progress items, when one of the subscription's items is refused.
@Suite("progress targets of a subscription with a refused item")
struct RefusedItemTargetsTests {
    @Test("an accepted item claims its file before a refused one, and a refused item's excluded files stay excluded")
    func refusedItemTargets() {
        let pattern = "/var/log/app/*", one = "/var/log/app/a.log"
        let h = Fixture.facts(subscription: 8, logPaths: [pattern, one])
        let matches = ["/var/log/app/a.log", "/var/log/app/b.log", "/var/log/app/c.log.gz"]
        h.logExpansions = [Fixture.expansion(pattern, matches), Fixture.expansion(one, [one])]
        for m in matches { h.stats[m] = FileStat(mode: 0o100644, size: 100, mtime: h.nowMilliseconds / 1000) }
        Fixture.subscriptionConfigs(
            h,
            yaml: [
                (
                    "bkunifylogbeat_sub_8_host_1.conf",
                    "local:\n  - dataid: 1\n    paths: ['\(pattern)']\n    max_bytes: 0\n  - dataid: 2\n    paths: ['\(one)']\n"
                )
            ])
        let (targets, _) = ProgressTargets.from(h)
        let byPath = Dictionary(uniqueKeysWithValues: targets.files.map { ($0.path, $0) })
        // a.log: read by item 1, which the collector takes.
        #expect(byPath[one]?.refused == false && byPath[one]?.dataid == 2 && byPath[one]?.skipped == nil)
        // b.log: only the refused item names it.
        #expect(byPath["/var/log/app/b.log"]?.refused == true && byPath["/var/log/app/b.log"]?.dataid == 1)
        // c.log.gz: the refused item would not read it either (the default exclude_files): not at risk for it.
        #expect(byPath["/var/log/app/c.log.gz"]?.refused == false)
        #expect(byPath["/var/log/app/c.log.gz"]?.skipped?.hasPrefix("exclude_files") == true)
    }

    @Test("one file reached by two paths (a symlinked directory, a hard link) is one target, under the name found first")
    func sameFileUnderTwoNames() {
        let real = "/var/log/app/a/app.log", link = "/data/lnk/app.log", other = "/var/log/app/a/b.log"
        let h = Fixture.facts(subscription: 8, logPaths: ["/var/log/app/a/*.log", link])
        let now = h.nowMilliseconds / 1000
        h.stats[real] = FileStat(mode: 0o100644, size: 5050, mtime: now, inode: 77, device: 2049)
        h.stats[link] = FileStat(mode: 0o100644, size: 5050, mtime: now, inode: 77, device: 2049)
        // Another file with the same inode number on another device is another file.
        h.stats[other] = FileStat(mode: 0o100644, size: 10, mtime: now, inode: 77, device: 2050)
        h.logExpansions = [Fixture.expansion("/var/log/app/a/*.log", [real, other]), Fixture.expansion(link, [link])]
        Fixture.subscriptionConfigs(
            h,
            yaml: [
                (
                    "bkunifylogbeat_sub_8_host_1.conf",
                    "local:\n  - dataid: 1\n    paths: ['/var/log/app/a/*.log', '\(link)']\n    scan_frequency: '60s'\n    close_inactive: '300s'\n"
                )
            ])
        let (targets, _) = ProgressTargets.from(h)
        #expect(targets.files.map(\.path).sorted() == [other, real].sorted(), "\(targets.files.map(\.path))")
        // The item's own scan_frequency and close_inactive (NodeMan's template writes both) go with its files.
        #expect(targets.files.allSatisfy { $0.scanSeconds == 60 && $0.closeInactiveSeconds == 300 })
    }

    @Test("more matching files than are sampled: the most recently modified are, whichever path matched them, and it is said")
    func newestFilesAreSampled() {
        let archive = "/data/archive/*.log", live = "/data/live/app.log"
        let h = Fixture.facts(subscription: 8, logPaths: [archive, live])
        let now = h.nowMilliseconds / 1000
        let old = (0..<(ProgressTargets.maxFiles + 5)).map { String(format: "/data/archive/a%06d.log", $0) }
        h.logExpansions = [Fixture.expansion(archive, old), Fixture.expansion(live, [live])]
        for (n, m) in old.enumerated() { h.stats[m] = FileStat(mode: 0o100644, size: 100, mtime: now - 40 * 86400 + Int64(n % 7)) }
        h.stats[live] = FileStat(mode: 0o100644, size: 100_000, mtime: now - 40)
        Fixture.subscriptionConfigs(
            h, yaml: [("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: ['\(archive)', '\(live)']\n")])
        let (targets, _) = ProgressTargets.from(h)
        #expect(targets.files.count == ProgressTargets.maxFiles)
        #expect(targets.files.contains { $0.path == live })
        #expect(targets.sampledOf?.matched == ProgressTargets.maxFiles + 6)
        #expect(targets.sampledOf?.sampled == ProgressTargets.maxFiles)
        // Left out: six of the oldest of the archive (mtime offset 0; of equal times, the last found), not
        // the last names in order.
        let kept = Set(targets.files.map(\.path))
        let dropped = Set(old).subtracting(kept)
        #expect(dropped == Set(old.indices.filter { $0 % 7 == 0 }.suffix(6).map { old[$0] }))
        #expect(kept.contains(old[old.count - 1]))
        #expect(targets.files.map(\.path).filter { $0 != live } == targets.files.map(\.path).filter { $0 != live }.sorted())
    }

    @Test("the other subscriptions' accepted items claim held files with their own exclude_files; refused ones claim nothing")
    func otherPatternsCarryExcludes() {
        let h = Fixture.facts(subscription: 8)
        Fixture.subscriptionConfigs(
            h,
            yaml: [
                ("bkunifylogbeat_sub_8_host_1.conf", "local:\n  - dataid: 1\n    paths: ['/var/log/app/*.log']\n"),
                (
                    "bkunifylogbeat_sub_9_host_1.conf",
                    "local:\n  - dataid: 2\n    paths: ['/var/log/app/*.log.1']\n    exclude_files: ['\\.1$']\n"
                        + "  - dataid: 3\n    paths: ['/var/log/app/*.wf']\n  - dataid: 4\n    paths: ['/var/log/app/*.err']\n    max_bytes: 0\n"
                ),
            ])
        let (targets, _) = ProgressTargets.from(h)
        #expect(targets.otherPatterns.map(\.pattern) == ["/var/log/app/*.log.1", "/var/log/app/*.wf"])
        #expect(targets.otherPatterns.first?.excludes == [#"\.1$"#])
        #expect(targets.otherPatterns.last?.excludes == CollectorFileRules.defaultExcludes)
    }
}
