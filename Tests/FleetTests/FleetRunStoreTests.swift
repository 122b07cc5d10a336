import Foundation
import GRDB
import Report
import Testing

@testable import Fleet

/// SQLite history and `diff`.
@Suite struct FleetRunStoreTests {
    @Test func diffShowsHostsThatChangedVerdict() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)/h.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try FleetRunStore(path: path)
        do {
            _ = try store.diff()
            Issue.record("diff of an empty history")
        } catch {
            #expect(error.code == "history.no-run")
        }
        let first = try Fixtures.assemble([
            Fixtures.status([
                Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 9), Fixtures.host(0, "10.0.0.3", status: 9),
            ]),
            Fixtures.logs([
                Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine()), Fixtures.log(0, "10.0.0.2", Fixtures.checkPyLine(processOK: false)),
                Fixtures.log(0, "10.0.0.3", Fixtures.checkPyLine()),
            ]),
        ])
        let second = try Fixtures.assemble([
            Fixtures.status([
                Fixtures.host(0, "10.0.0.1", status: 11), Fixtures.host(0, "10.0.0.2", status: 9), Fixtures.host(0, "10.0.0.4", status: 9),
            ]),
            Fixtures.logs([
                Fixtures.log(0, "10.0.0.2", Fixtures.checkPyLine(processOK: true)), Fixtures.log(0, "10.0.0.4", Fixtures.checkPyLine()),
            ]),
        ])
        let a = try store.store(first)
        do {
            _ = try store.diff()
            Issue.record("diff with one run")
        } catch {
            #expect(error.code == "history.no-previous")
        }
        let b = try store.store(second)
        #expect(b > a)
        let d = try store.diff()
        #expect(d.older.id == a && d.newer.id == b)
        #expect(
            d.changes.map { "\($0.key) \($0.before ?? "-") \($0.after ?? "-")" } == [
                "0:10.0.0.1 pass job_failed", "0:10.0.0.2 fail pass", "0:10.0.0.3 pass -", "0:10.0.0.4 - pass",
            ])
        #expect(d.text().contains("4 hosts changed, 1 got worse"))
        #expect(try store.runs().map(\.id) == [b, a])
        // Reopening keeps the runs (migrations are idempotent).
        #expect(try FleetRunStore(path: path).runs().count == 2)
    }

    @Test func unwritablePathIsAClearError() {
        do {
            _ = try FleetRunStore(path: "/proc/nope/h.sqlite")
            Issue.record("opened a database under /proc")
        } catch {
            #expect(error.code == "history.open")
            #expect(error.message.contains("/proc/nope/h.sqlite"))
        }
    }

    @Test func diffAgainstARunNotStoredSaysSo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)/h.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try FleetRunStore(path: path)
        let r = try Fixtures.assemble([Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])])
        _ = try store.store(r)
        let second = try store.store(r)
        do {
            _ = try store.diff(newer: second, older: 99)
            Issue.record("diff against run 99")
        } catch {
            #expect(error.code == "history.no-run" && error.message.hasPrefix("run 99 is not in"), "\(error)")
        }
    }

    /// `history` and `diff` read: a mistyped `--db` is an error, not a new empty database; a file that is not
    /// a database says so instead of asking for a writable path.
    @Test func readingAMissingOrDamagedHistoryIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try FleetRunStore(path: dir + "/typo.sqlite", create: false)
            Issue.record("opened a history that does not exist")
        } catch {
            #expect(error.code == "history.missing" && error.message.contains(dir + "/typo.sqlite"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/typo.sqlite"))
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: URL(fileURLWithPath: dir + "/junk.sqlite"))
        for create in [true, false] {
            do {
                _ = try FleetRunStore(path: dir + "/junk.sqlite", create: create)
                Issue.record("opened random bytes as a history")
            } catch {
                #expect(error.code == "history.damaged" && error.message.contains("is not a history database"), "\(error)")
            }
        }
    }

    /// A file that is a database but not a history (empty, another program's tables) is named as such by the
    /// reading commands and left byte for byte as it was; a history whose rows were edited to values of the
    /// wrong type is named damaged, not a crash.
    @Test func readingNeverWritesAndBadRowsAreDamageNotACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/empty.sqlite", contents: Data())
        let foreign = try DatabaseQueue(path: dir + "/foreign.sqlite")
        try foreign.write { try $0.execute(sql: "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'a')") }
        try foreign.close()
        for name in ["empty.sqlite", "foreign.sqlite"] {
            let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            do {
                _ = try FleetRunStore(path: dir + "/" + name, create: false)
                Issue.record("\(name) opened as a history")
            } catch {
                #expect(error.code == "history.damaged", "\(name): \(error)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) == before, "\(name) was written")
        }
        // A real history with rows edited by hand.
        let path = dir + "/h.sqlite"
        let store = try FleetRunStore(path: path)
        let report = try Fixtures.assemble([Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])])
        try store.store(report)
        try store.store(report)
        for edit in [
            "UPDATE run SET created_at_ms = 'x' WHERE id = 2", "UPDATE run SET created_at_ms = 1e300 WHERE id = 2",
            "UPDATE run SET job_instance_id = 'abc' WHERE id = 2", "UPDATE host_result SET state = X'ff00' WHERE run_id = 2",
        ] {
            let q = try DatabaseQueue(path: path)
            try q.write { try $0.execute(sql: edit) }
            try q.close()
            let reader = try FleetRunStore(path: path, create: false)
            do {
                _ = try reader.runs()
                _ = try reader.diff()
                Issue.record("\(edit): read as a history")
            } catch {
                #expect(error.code == "history.damaged", "\(edit): \(error)")
            }
            // Put the row back for the next edit.
            let fix = try DatabaseQueue(path: path)
            try fix.write {
                try $0.execute(
                    sql: "UPDATE run SET created_at_ms = 1, job_instance_id = NULL WHERE id = 2; UPDATE host_result SET state = 'pass'")
            }
            try fix.close()
        }
    }

    @Test func anEmptyPathIsRefusedNotATemporaryDatabase() {
        for path in ["", "  "] {
            do {
                _ = try FleetRunStore(path: path)
                Issue.record("opened '\(path)'")
            } catch {
                #expect(error.code == "history.path")
            }
        }
    }

    /// Stores at the same moment, from separate connections as separate processes would open them,
    /// wait their turn instead of failing with "database is locked".
    @Test func runsStoredAtTheSameTimeAreAllKept() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)/h.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try FleetRunStore(path: path)
        let report = try Fixtures.assemble([
            Fixtures.status((1...200).map { Fixtures.host(0, "10.0.\($0 / 250).\($0 % 250)", status: 9) }),
            Fixtures.logs((1...200).map { Fixtures.log(0, "10.0.\($0 / 250).\($0 % 250)", Fixtures.checkPyLine()) }),
        ])
        let failures = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    do {
                        let store = try FleetRunStore(path: path)
                        _ = try store.store(report)
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var out: [String] = []
            for await f in group { if let f { out.append(f) } }
            return out
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(try FleetRunStore(path: path).runs(limit: 20).count == 6)
    }
}
