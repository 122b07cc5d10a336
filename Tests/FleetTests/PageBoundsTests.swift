import Foundation
import Report
import Testing

@testable import Fleet

/// What keeps the HTML, Markdown and table outputs readable and bounded whatever the hosts print: the heatmap's
/// rows and cells, failure group ids and how many groups are listed, host text cut and made inert.
@Suite struct PageBoundsTests {
    /// `n` hosts; host `i` reports the two usual items and, when `ownItem`, one item of its own.
    func fleet(
        _ n: Int, ownItem: (Int) -> Bool = { _ in false }, message: (Int) -> String = { _ in "ok" }, fail: (Int) -> Bool = { _ in false }
    )
        throws -> FleetReport
    {
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for i in 0..<n {
            let ip = "10.0.\(i / 256).\(i % 256)"
            hosts.append(Fixtures.host(0, ip, status: 9))
            var entries: [(String, String, Verdict, String, String)] = [
                ("bkunifylogbeat", "process", fail(i) ? .fail : .pass, message(i), ""), ("gse_agent", "socket", .pass, "ok", ""),
            ]
            if ownItem(i) { entries.append(("bkunifylogbeat", "config_/etc/sub_\(i).conf", .fail, "bad", "")) }
            logs.append(Fixtures.log(0, ip, Fixtures.richLine(entries)))
        }
        return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
    }

    /// The heatmap's row names and each host's cells, in the order of `r.hosts`.
    func heatmap(_ r: FleetReport) -> (items: [String], rows: [String]) {
        let data = r.heatmapData()
        let items = (data["items"]?.arrayValue ?? []).compactMap(\.stringValue)
        var byKey: [String: String] = [:]
        for row in data["hosts"]?.arrayValue ?? [] {
            if let a = row.arrayValue, let key = a[0].stringValue, let cells = a[3].stringValue { byKey[key] = cells }
        }
        return (items, r.hosts.map { byKey[$0.key] ?? "?" })
    }

    /// The item columns are in `ItemKey`'s order (check.py's catalogue first, then by `module/item`) however
    /// many there are and whatever order hosts name them in: names one a prefix of another, a module whose
    /// `-` sorts before the `/` of a shorter one, catalogue items named late.
    @Test func itemColumnsKeepTheirOrderAmongManyNames() throws {
        let names = ["a/x", "a-b/x", "a/x-y", "a/xy", "ab/x", "gse_agent/socket", "bkunifylogbeat/process", "z/1", "z/10", "z/9"]
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for i in 0..<300 {
            let ip = "10.1.\(i / 256).\(i % 256)"
            hosts.append(Fixtures.host(0, ip, status: 9))
            // Each host names a rotation of the list and two items of its own.
            let mine = (0..<names.count).map { names[($0 + i) % names.count] } + ["own\(i % 37)/i\(i)", "own/\(i)"]
            let entries = mine.map { n -> (String, String, Verdict, String, String) in
                let parts = n.split(separator: "/", maxSplits: 1).map(String.init)
                return (parts[0], parts[1], .pass, "ok", "")
            }
            logs.append(Fixtures.log(0, ip, Fixtures.richLine(entries)))
        }
        let r = try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
        let items = r.summary.items
        #expect(items.count == names.count + 600)
        #expect(items == items.sorted())
        #expect(Array(items.prefix(2).map(\.description)) == ["bkunifylogbeat/process", "gse_agent/socket"])
        #expect(r.summary.itemCounts.map(\.item) == items)
    }

    @Test func hostsNamingItemsOfTheirOwnFoldIntoOneHeatmapRow() throws {
        // 100 hosts, every other one with an item of its own: 52 items in all.
        let r = try fleet(100, ownItem: { $0 % 2 == 0 })
        #expect(r.summary.items.count == 52)
        let (items, rows) = heatmap(r)
        #expect(items.count == FleetReport.heatmapMaxRows)
        #expect(items.last == "other (13 items)", "\(items.last ?? "")")
        #expect(items.contains("bkunifylogbeat/process") && items.contains("gse_agent/socket"))
        #expect(rows.allSatisfy { $0.count == FleetReport.heatmapMaxRows })
        // The folded row shows the worst of a host's folded items: its own failing item where it is folded.
        let folded = Set(r.summary.items.map(\.description)).subtracting(items)
        for (i, host) in r.hosts.enumerated() where host.results.contains(where: { folded.contains("\($0.module)/\($0.item)") }) {
            #expect(rows[i].last == "f")
        }
        // The page's data grows with hosts × 40 at most, not hosts × items.
        #expect(r.html().utf8.count < 60_000)
        // Few items: one row each, no folded row.
        let small = try fleet(10)
        #expect(heatmap(small).items == ["bkunifylogbeat/process", "gse_agent/socket"])
    }

    @Test func aFleetWithNoItemShowsEachHostsStateInItsOneCell() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 11, error: 104)])
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", "")])])
        let (items, rows) = heatmap(r)
        #expect(items.isEmpty)
        #expect(Set(rows) == ["n", "j"], "\(rows)")
    }

    @Test func groupIDsThatCollideAreMadeUnique() throws {
        // Two messages whose signatures share the 32-bit id c04d0ae6.
        let one = [SignatureEntry(item: "bkunifylogbeat/process", message: "collector broken variant dvgd")]
        let two = [SignatureEntry(item: "bkunifylogbeat/process", message: "collector broken variant fiaz")]
        #expect(Signature.id(one) == Signature.id(two))
        let r = try fleet(
            3, message: { ["collector broken variant dvgd", "collector broken variant fiaz", "collector broken variant dvgd"][$0] },
            fail: { _ in true })
        let ids = r.summary.groups.map(\.id)
        #expect(ids.count == 2 && Set(ids).count == 2, "\(ids)")
        #expect(ids == [Signature.id(one), Signature.id(one) + "-2"], "\(ids)")
        // Every output names each group by its own id.
        #expect(r.html().components(separatedBy: "id=\"g-\(ids[0])\"").count == 2)
    }

    @Test func atMostTwoHundredGroupsAreListedTheRestCounted() throws {
        let r = try fleet(
            250, message: { "broken variant \(String(UnicodeScalar(UInt8(97 + $0 % 26))))\(String(UnicodeScalar(UInt8(97 + $0 / 26))))" },
            fail: { _ in true })
        #expect(r.summary.groups.count == 250)
        let more = "… and 50 more failure groups (50 hosts): all are in --format json"
        #expect(r.textTable().contains(more))
        #expect(r.html().contains(more))
        #expect(r.html().components(separatedBy: "<details class=\"group\"").count == 201)
        #expect(r.markdown().components(separatedBy: "\n### ").count == 201)
        // JSON lists every group.
        #expect(r.json()["groups"]?.arrayValue?.count == 250)
    }

    @Test func hostTextIsCutAndBidiControlsDoNotActInTheHTML() throws {
        let long = String(repeating: "x", count: 1 << 20)
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
        let line = Fixtures.richLine([
            ("bkunifylogbeat", "process", .fail, "config \u{202E}evil.conf\u{202C} bad", long),
            ("m" + long, "socket", .fail, "x", "1. restart it"),
        ])
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", line)])])
        let html = r.html()
        #expect(!html.unicodeScalars.contains("\u{202E}"))
        #expect(html.contains("config \\u202eevil.conf\\u202c bad"))
        let md = r.markdown()
        for (name, out) in [("html", html), ("markdown", md), ("table", r.textTable())] {
            #expect(out.utf8.count < 100_000, "\(name): \(out.utf8.count) bytes")
            #expect(out.contains("more characters)"))
        }
        // A hint starting like an ordered list keeps its number.
        #expect(md.contains("- 1\\. restart it"), "\(md)")
    }
}
