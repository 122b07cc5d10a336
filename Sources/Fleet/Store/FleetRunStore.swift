import Foundation
import GRDB
import Report

/// One stored run.
public struct HistoryRun: Sendable, Equatable {
    public var id: Int64
    public var createdAtMs: Int64
    public var source: String
    public var jobInstanceID: Int64?
    public var hostCount: Int
    public var healthy: Int
}

/// A host whose state differs between two runs.
public struct HostChange: Sendable, Equatable {
    public var key: String
    /// nil when the host was not in the older run.
    public var before: String?
    /// nil when the host is not in the newer run.
    public var after: String?
    public var beforeSignature: String
    public var afterSignature: String
}

/// The hosts that changed between two runs.
public struct HistoryDiff: Sendable {
    public var older: HistoryRun
    public var newer: HistoryRun
    public var changes: [HostChange]

    /// Changes as text lines: `0:10.0.0.1  pass -> fail  (bkunifylogbeat/process: ...)`.
    public func text() -> String {
        var out =
            "run \(older.id) (\(Timestamp.iso8601(milliseconds: older.createdAtMs))) -> run \(newer.id) (\(Timestamp.iso8601(milliseconds: newer.createdAtMs))): "
        let worse = changes.filter { c in HostChange.rank(c.after) > HostChange.rank(c.before) }.count
        out += "\(changes.count) hosts changed, \(worse) got worse\n"
        // Keys and signatures come from hosts: shown, never acted on by the terminal; one absurdly long key
        // does not pad every line.
        let keys = changes.map { TerminalText.visible($0.key) }
        let w = min(64, max(16, keys.map(\.count).max() ?? 0))
        for (c, key) in zip(changes, keys) {
            let pad = String(repeating: " ", count: max(0, w - key.count))
            out += "\(key)\(pad)  \(TerminalText.visible(c.before ?? "(new)")) -> \(TerminalText.visible(c.after ?? "(gone)"))"
            if let a = c.after, a != "pass", a != "warn", !c.afterSignature.isEmpty { out += "  \(TerminalText.visible(c.afterSignature))" }
            out += "\n"
        }
        return out
    }

    public func json() -> JSONValue {
        .object([
            ("older_run", .int(older.id)), ("newer_run", .int(newer.id)),
            (
                "changes",
                .array(
                    changes.map { c in
                        .object([
                            ("key", .string(c.key)), ("before", c.before.map(JSONValue.string) ?? .null),
                            ("after", c.after.map(JSONValue.string) ?? .null), ("signature", .string(c.afterSignature)),
                        ])
                    })
            ),
        ])
    }
}

extension HostChange {
    /// Ordering of states for "got worse": missing < healthy < unknown/fail < no output.
    static func rank(_ s: String?) -> Int {
        guard let s, let st = HostState(rawValue: s) else { return 0 }
        return st.severity
    }
}

/// Run history in SQLite (through GRDB): one row per run, one row per host and run.
public struct FleetRunStore: Sendable {
    public let path: String
    let db: DatabaseQueue

    /// `$BKDIAG_FLEET_DB`, else `$XDG_DATA_HOME/bkdiag-fleet/history.sqlite`, else `~/.local/share/...`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["BKDIAG_FLEET_DB"], !p.isEmpty { return p }
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? "/root") + "/.local/share")
        return base + "/bkdiag-fleet/history.sqlite"
    }

    /// Opens (and creates or migrates) the database at `path`.
    /// `create`: make the database (and its directory) when it does not exist; reading commands (`history`,
    /// `diff`) pass false, so a mistyped `--db` is an error rather than a new, empty history.
    public init(path: String, create: Bool = true) throws(FleetError) {
        self.path = path
        // SQLite takes an empty path as a temporary database that vanishes: nothing would be kept.
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FleetError(
                "history.path", "the history database path is empty: pass --db with a file path, or leave it out for the default")
        }
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw FleetError(
                "history.missing",
                "there is no history database at \(path): store a run first (run stores by default), or pass --db with its path")
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        do {
            // Runs stored at the same moment (two `run`s, parses in parallel) wait their turn instead of
            // failing with "database is locked".
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            // Reading commands open it read-only and migrate nothing: a file that is not a history (another
            // program's database, an empty file) is named, never given tables of ours.
            configuration.readonly = !create
            db = try DatabaseQueue(path: path, configuration: configuration)
            if !create {
                let isHistory = try db.read { db in
                    try db.tableExists("run") && db.tableExists("host_result") && db.tableExists("grdb_migrations")
                        && (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")).contains("v1")
                }
                guard isHistory else { throw Self.damaged(path) }
                return
            }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE run (
                          id INTEGER PRIMARY KEY AUTOINCREMENT,
                          created_at_ms INTEGER NOT NULL,
                          source TEXT NOT NULL,
                          job_instance_id INTEGER,
                          host_count INTEGER NOT NULL,
                          healthy INTEGER NOT NULL,
                          summary TEXT NOT NULL
                        );
                        CREATE TABLE host_result (
                          run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                          host_key TEXT NOT NULL,
                          state TEXT NOT NULL,
                          signature TEXT NOT NULL,
                          PRIMARY KEY (run_id, host_key)
                        ) WITHOUT ROWID;
                        """)
            }
            try migrator.migrate(db)
        } catch let e as FleetError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT {
            throw Self.damaged(path)
        } catch {
            throw FleetError(
                "history.open", "cannot open the history database \(path) (\(error)); pass --db with a writable path or set BKDIAG_FLEET_DB"
            )
        }
    }

    static func damaged(_ path: String) -> FleetError {
        FleetError(
            "history.damaged",
            "\(path) is not a history database (damaged, or another file): move it aside to start a new history, or pass --db with another path"
        )
    }

    /// A stored value of the type its column should hold, or `history.damaged`: a value of another type (a
    /// row edited by hand, a damaged file) is named, not a crash.
    static func column<T: DatabaseValueConvertible>(_ r: Row, _ name: String, path: String) throws(FleetError) -> T {
        let v: DatabaseValue = r[name]
        guard let x = T.fromDatabaseValue(v) else { throw damaged(path) }
        return x
    }

    /// The same for a column that may be NULL.
    static func optionalColumn<T: DatabaseValueConvertible>(_ r: Row, _ name: String, path: String) throws(FleetError) -> T? {
        let v: DatabaseValue = r[name]
        if v.isNull { return nil }
        guard let x = T.fromDatabaseValue(v) else { throw damaged(path) }
        return x
    }

    /// Stores a report; returns the new run's id.
    @discardableResult
    public func store(_ report: FleetReport) throws(FleetError) -> Int64 {
        let s = report.summary
        var summary: [(String, JSONValue)] = s.states.map { ($0.0.rawValue, .int(Int64($0.1))) }
        summary.append(("groups", .int(Int64(s.groups.count))))
        let summaryText = JSONValue.object(summary).serialized()
        let titles = s.groups.map(\.title)
        do {
            return try db.write { db in
                try db.execute(
                    sql: "INSERT INTO run (created_at_ms, source, job_instance_id, host_count, healthy, summary) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [report.generatedAtMs, report.source, report.jobInstanceID, s.hostCount, s.healthy, summaryText])
                let runID = db.lastInsertedRowID
                let stmt = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO host_result (run_id, host_key, state, signature) VALUES (?, ?, ?, ?)")
                for (i, h) in report.hosts.enumerated() {
                    let g = s.groupOfHost[i]
                    try stmt.execute(arguments: [runID, h.key, h.state.rawValue, g >= 0 ? titles[g] : ""])
                }
                return runID
            }
        } catch {
            throw FleetError("history.write", "cannot store the run in \(path) (\(error)); check the disk and the file's permissions")
        }
    }

    /// Stored runs, newest first.
    public func runs(limit: Int = 50) throws(FleetError) -> [HistoryRun] {
        let rows: [Row]
        do {
            rows = try db.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT id, created_at_ms, source, job_instance_id, host_count, healthy FROM run ORDER BY id DESC LIMIT ?",
                    arguments: [limit])
            }
        } catch {
            throw FleetError("history.read", "cannot read runs from \(path) (\(error))")
        }
        let p = path
        return try rows.map { r throws(FleetError) in
            HistoryRun(
                id: try Self.column(r, "id", path: p), createdAtMs: try Self.column(r, "created_at_ms", path: p),
                source: try Self.column(r, "source", path: p), jobInstanceID: try Self.optionalColumn(r, "job_instance_id", path: p),
                hostCount: try Self.column(r, "host_count", path: p), healthy: try Self.column(r, "healthy", path: p))
        }
    }

    /// Hosts whose state changed from `older` to `newer` (defaults: the two latest runs).
    public func diff(newer newerID: Int64? = nil, older olderID: Int64? = nil) throws(FleetError) -> HistoryDiff {
        let all = try runs(limit: 1_000_000)
        guard let newer = newerID.flatMap({ id in all.first(where: { $0.id == id }) }) ?? (newerID == nil ? all.first : nil) else {
            throw FleetError(
                "history.no-run", "run \(newerID.map(String.init) ?? "(latest)") is not in \(path); list runs with `bkdiag-fleet history`")
        }
        let olderRun: HistoryRun?
        if let o = olderID {
            olderRun = all.first(where: { $0.id == o })
        } else {
            olderRun = all.first(where: { $0.id < newer.id })
        }
        guard let older = olderRun else {
            if let o = olderID {
                throw FleetError("history.no-run", "run \(o) is not in \(path); list runs with `bkdiag-fleet history`")
            }
            throw FleetError("history.no-previous", "there is no run before run \(newer.id) in \(path); store another run first")
        }
        let p = path
        do {
            let changes = try db.read { db -> [HostChange] in
                func load(_ id: Int64) throws -> [String: (String, String)] {
                    var m: [String: (String, String)] = [:]
                    let rows = try Row.fetchCursor(
                        db, sql: "SELECT host_key, state, signature FROM host_result WHERE run_id = ?", arguments: [id])
                    while let r = try rows.next() {
                        let key: String = try Self.column(r, "host_key", path: p)
                        m[key] = (try Self.column(r, "state", path: p), try Self.column(r, "signature", path: p))
                    }
                    return m
                }
                let a = try load(older.id)
                let b = try load(newer.id)
                var out: [HostChange] = []
                for key in Set(a.keys).union(b.keys).sorted() {
                    let x = a[key]
                    let y = b[key]
                    if x?.0 == y?.0 && x?.1 == y?.1 { continue }
                    out.append(HostChange(key: key, before: x?.0, after: y?.0, beforeSignature: x?.1 ?? "", afterSignature: y?.1 ?? ""))
                }
                return out
            }
            return HistoryDiff(older: older, newer: newer, changes: changes)
        } catch let e as FleetError {
            throw e
        } catch {
            throw FleetError("history.read", "cannot read host results from \(path) (\(error))")
        }
    }
}
