import Report
import Testing

@testable import Fleet

/// `FleetAssembler.finish` joins status rows to logs in parallel, telling repeated keys apart by their log's
/// slot. These tests hold it to AgentChecker's rules written out plainly: hosts in the status rows' order, a
/// repeated key keeping its first place and its last row's state, the last log of a key winning, a row whose
/// key matches no log matched by host id (the last log added with that id), and logs no row took listed after,
/// by key.
@Suite struct JoinTests {
    /// A small deterministic generator (the same fleet on every run).
    struct Seeded {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    struct Row {
        var cloud: Int
        var ip: String
        var id: Int?
        var error: Int
        var key: String { "\(cloud):\(ip)" }
    }

    struct Log {
        var cloud: Int
        var ip: String
        var id: Int?
        var pid: Int
        var key: String { "\(cloud):\(ip)" }
    }

    /// What each host should be: its key, the error code of the row whose state it takes (rows are told
    /// apart by it), the pid in the message of the log it got (nil: none), and whether by host id.
    struct Expected: Equatable, CustomStringConvertible {
        var key: String
        var error: Int?
        var pid: Int?
        var byID: Bool
        var description: String { "\(key) row \(error.map(String.init) ?? "-") log \(pid.map(String.init) ?? "-") \(byID ? "by id" : "")" }
    }

    /// AgentChecker's join, written plainly.
    static func reference(rows: [Row], logs: [Log]) -> [Expected] {
        var lastLog: [String: Log] = [:]
        var slotKeyOfID: [Int: String] = [:]
        for l in logs {
            lastLog[l.key] = l
            if let id = l.id { slotKeyOfID[id] = l.key }
        }
        var order: [String] = []
        var lastRow: [String: Row] = [:]
        for r in rows {
            if lastRow[r.key] == nil { order.append(r.key) }
            lastRow[r.key] = r
        }
        var used = Set<String>()
        var out: [Expected] = []
        for key in order {
            let r = lastRow[key]!
            if let l = lastLog[key] {
                used.insert(key)
                out.append(Expected(key: key, error: r.error, pid: l.pid, byID: false))
            } else if let id = r.id, let k = slotKeyOfID[id], let l = lastLog[k] {
                used.insert(k)
                out.append(Expected(key: key, error: r.error, pid: l.pid, byID: true))
            } else {
                out.append(Expected(key: key, error: r.error, pid: nil, byID: false))
            }
        }
        for key in lastLog.keys.filter({ !used.contains($0) }).sorted() {
            out.append(Expected(key: key, error: nil, pid: lastLog[key]!.pid, byID: false))
        }
        return out
    }

    /// The same fleet through `FleetAssembler`, read back as `Expected`.
    static func joined(rows: [Row], logs: [Log], pageSize: Int) throws -> [Expected] {
        let status = Fixtures.status(rows.map { Fixtures.host($0.cloud, $0.ip, status: 9, error: $0.error, id: $0.id) })
        var docs = [status]
        var start = 0
        while start < logs.count {
            let page = logs[start..<min(logs.count, start + pageSize)]
            docs.append(
                Fixtures.logs(
                    page.map { Fixtures.log($0.cloud, $0.ip, Fixtures.checkPyLine(processOK: false, pid: $0.pid) + "\n", id: $0.id) }))
            start += pageSize
        }
        let report = try Fixtures.assemble(docs)
        return report.hosts.map { h in
            let message = h.results.first { $0.item == "process" }?.message ?? ""
            let pid = message.split(separator: " ").lazy.compactMap { Int($0) }.first
            return Expected(key: h.key, error: h.jobStatus == nil ? nil : Int(h.errorCode ?? -1), pid: pid, byID: h.logByHostID)
        }
    }

    /// Thousands of hosts (more than one parallel chunk), drawn with repeats from a pool: repeated rows,
    /// repeated logs, rows without a log, logs without a row, and logs that only a host id finds.
    /// `ordered`: the logs mostly follow the rows (as JOB pages them), with hosts left out, repeated and added,
    /// so that the join's guess of the next slot is right most of the time and wrong some of it.
    @Test(arguments: [1, 2, 3], [false, true])
    func parallelJoinMatchesThePlainOne(seed: UInt64, ordered: Bool) throws {
        var g = Seeded(state: seed)
        let pool = 2600
        let ip = { (n: Int) in "10.\(n / 65536).\(n / 256 % 256).\(n % 256)" }
        var rows: [Row] = []
        for k in 0..<5000 {
            // Ordered: mostly one row per host, as JOB lists them.
            let n = ordered && g.next(25) != 0 ? k : g.next(pool)
            // Host ids follow the address, except that a few rows carry one no log has, or none.
            let id: Int? = g.next(10) == 0 ? nil : (g.next(20) == 0 ? 900_000 + n : n + 1)
            rows.append(Row(cloud: g.next(40) == 0 ? 1 : 0, ip: ip(n), id: id, error: k + 1))
        }
        var logs: [Log] = []
        for (k, r) in rows.enumerated() where ordered {
            switch g.next(20) {
            case 0:
                // Its log under another address: found by host id only, if at all.
                logs.append(Log(cloud: 0, ip: "192.168.\(k / 256 % 256).\(k % 256)", id: r.id, pid: 400_000 + k))
                continue
            case 1: logs.append(Log(cloud: 0, ip: ip(pool + g.next(200)), id: nil, pid: 100_000 + k))
            case 2: logs.append(Log(cloud: r.cloud, ip: r.ip, id: r.id, pid: 200_000 + k))
            // The same address in another cloud area: another host.
            case 3: logs.append(Log(cloud: 1 - r.cloud, ip: r.ip, id: nil, pid: 500_000 + k))
            default: break
            }
            logs.append(Log(cloud: r.cloud, ip: r.ip, id: r.id, pid: k + 1))
        }
        for k in 0..<(ordered ? 300 : 4000) {
            let n = g.next(pool + 200)
            // Some logs name the host by id under another address (the platform finds them by key only).
            let moved = g.next(15) == 0
            logs.append(
                Log(
                    cloud: 0, ip: moved ? "192.168.\(n / 256 % 256).\(n % 256)" : ip(n), id: g.next(8) == 0 ? nil : n + 1,
                    pid: 300_000 + k))
        }
        let expected = Self.reference(rows: rows, logs: logs)
        let got = try Self.joined(rows: rows, logs: logs, pageSize: 500)
        #expect(got.count == expected.count)
        let first = zip(got, expected).first { $0 != $1 }
        #expect(first == nil, "first difference: got \(first.map { "\($0.0)" } ?? ""), expected \(first.map { "\($0.1)" } ?? "")")
        // The fleet really has every case the join tells apart.
        #expect(expected.contains { $0.byID })
        #expect(expected.contains { $0.pid == nil })
        #expect(expected.contains { $0.error == nil })
        #expect(Set(rows.map(\.key)).count < rows.count)
        #expect(Set(logs.map(\.key)).count < logs.count)
    }
}
