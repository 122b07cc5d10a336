import Foundation
import Report
import TestSupport
import Testing

@testable import Fleet

/// The HTML page rendered by headless Chromium; skipped (with the reason printed) only when no browser exists.
/// Serialized: each test waits on the browser synchronously, and two at once would hold both of a 2-core
/// machine's cooperative threads, starving the asynchronous tests of other suites.
/// No `.timeLimit`: its timer waits on the pool the suite's blocking tests hold (see the README's tests section).
@Suite(.serialized) struct HTMLBrowserTests {
    static func browser() -> String? { ExecutableFiles.onPath(["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) }

    /// The browser, or nil after saying why the test is skipped.
    static func browserOrSkip() -> String? {
        guard let b = browser() else {
            print("HTMLBrowserTests: skipped: no chromium, chromium-browser or google-chrome on PATH (apt-get install -y chromium)")
            return nil
        }
        return b
    }

    /// A fresh directory for the page and the browser profile.
    static func scratchDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-html-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Headless Chromium's flags, with its profile in `dir`.
    static func headless(_ dir: String, budgetMs: Int) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(dir)/profile",
            "--virtual-time-budget=\(budgetMs)",
        ]
    }

    /// A fleet of `n` hosts: mostly healthy, a failing group, check.py hosts, job failures, junk.
    static func fleet(_ n: Int) throws -> FleetReport {
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for i in 0..<n {
            let ip = "10.\(i / 65536).\((i / 256) % 256).\(i % 256)"
            let bucket = i % 20
            hosts.append(Fixtures.host(0, ip, status: bucket == 7 ? 11 : 9, error: bucket == 7 ? 104 : 0))
            switch bucket {
            case 0, 1: logs.append(Fixtures.log(0, ip, Fixtures.brokenRich(pid: i)))
            case 2: logs.append(Fixtures.log(0, ip, Fixtures.checkPyLine(processOK: false, pid: i)))
            case 3: logs.append(Fixtures.log(0, ip, "junk <script>alert(1)</script>"))
            case 4: logs.append(Fixtures.log(0, ip, ""))
            case 5: logs.append(Fixtures.log(0, ip, Fixtures.checkPyLine()))
            default: logs.append(Fixtures.log(0, ip, Fixtures.healthyRich))
            }
        }
        return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
    }

    /// The browser's exit status and stdout; past `timeout` it is killed with all its helper processes.
    /// Awaited, not blocking: a page takes chromium seconds to draw, and the suite's other tests need the threads.
    func run(_ browser: String, _ args: [String], timeout: Double = 90) async throws -> (Int32, String) {
        let r = try await ProgramRun.run(browser, args, timeout: timeout)
        return (r.status, r.stdout)
    }

    @Test func chromiumRendersTheFleetPage() async throws {
        guard let browser = Self.browserOrSkip() else { return }
        let report = try Self.fleet(10_000)
        let dir = try Self.scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = "\(dir)/fleet.html"
        let html = report.html()
        #expect(html.utf8.count < 2_000_000, "the page for 10,000 hosts stays small")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let common = Self.headless(dir, budgetMs: 10_000)
        let (code, dom) = try await run(browser, common + ["--dump-dom", "file://\(page)"])
        #expect(code == 0)
        #expect(dom.contains("10000 hosts, 7000 healthy"))
        #expect(dom.contains("Failure groups (4)"))
        // The failure groups lead the page, before the item table and the heatmap.
        let groupsAt = try #require(dom.range(of: "id=\"groups\"")).lowerBound
        #expect(groupsAt < (try #require(dom.range(of: "id=\"items\""))).lowerBound)
        #expect(groupsAt < (try #require(dom.range(of: "id=\"heatmap\""))).lowerBound)
        // Chinese labels have fonts to fall back on.
        #expect(html.contains("\"Noto Sans CJK SC\"") && html.contains("\"WenQuanYi Micro Hei\""))
        #expect(dom.contains("bkunifylogbeat/process"))
        #expect(dom.contains("检查进程是否存在"))
        // The script ran: the heatmap drew every host and the counter shows it.
        #expect(dom.contains("data-drawn=\"10000\""))
        #expect(dom.contains("10000 of 10000 hosts shown"))
        // The junk output was escaped, not executed.
        #expect(!dom.contains("<script>alert(1)</script>"))
        // The filter box (set from the page's #filter= link): a state, then a failure group.
        let (_, failing) = try await run(browser, common + ["--dump-dom", "file://\(page)#filter=job_failed"])
        #expect(failing.contains("500 of 10000 hosts shown"))
        let group = try #require(report.summary.groups.first { $0.hosts.count == 500 && $0.title.hasPrefix("job:") })
        let (_, byGroup) = try await run(browser, common + ["--dump-dom", "file://\(page)#filter=g:\(group.id)"])
        #expect(byGroup.contains("data-drawn=\"500\""))
        let (_, byIP) = try await run(browser, common + ["--dump-dom", "file://\(page)#filter=0:10.0.20.17"])
        #expect(byIP.contains("11 of 10000 hosts shown"))
        // With a ':' the query is a key from its cloud id on: '0:10.0.20.17' of cloud 10 would not match it, and
        // ':10.0.20.17' (no cloud) matches nothing.
        let (_, noCloud) = try await run(browser, common + ["--dump-dom", "file://\(page)#filter=:10.0.20.17"])
        #expect(noCloud.contains("0 of 10000 hosts shown"))
        let (shot, _) = try await run(browser, common + ["--window-size=1280,1400", "--screenshot=\(dir)/fleet.png", "file://\(page)"])
        #expect(shot == 0)
        let size = (try? FileManager.default.attributesOfItem(atPath: "\(dir)/fleet.png")[.size] as? Int) ?? 0
        #expect(size > 10_000)
        if let keep = ProcessInfo.processInfo.environment["BKDIAG_KEEP_SCREENSHOT"] {
            try? FileManager.default.copyItem(atPath: "\(dir)/fleet.png", toPath: keep)
        }
    }
}

extension HTMLBrowserTests {
    /// 20,000 hosts, each failing in a way of its own (20,000 failure groups): runs of hosts across groups make
    /// the columns, so the heatmap stays a few bands high.
    @Test func chromiumKeepsTwentyThousandFailureGroupsToAFewBands() async throws {
        guard let browser = Self.browserOrSkip() else { return }
        func word(_ i: Int) -> String {
            var t = "", n = i
            for _ in 0..<4 {
                t.unicodeScalars.append(UnicodeScalar(UInt8(97 + n % 26)))
                n /= 26
            }
            return t
        }
        let report = Self.report(20_000) { i in
            (
                9,
                HostOutputReader.read(
                    Fixtures.richLine([
                        ("bkunifylogbeat", "process", .fail, "broken " + word(i), ""), ("gse_agent", "socket", .pass, "ok", ""),
                    ]))
            )
        }
        #expect(report.summary.groups.count == 20_000)
        let dir = try Self.scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = "\(dir)/fleet.html"
        let html = report.html()
        // 200 groups listed, the rest counted: the page stays small.
        #expect(html.utf8.count < 3_000_000, "\(html.utf8.count) bytes")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let common = Self.headless(dir, budgetMs: 20_000) + ["--window-size=1280,1400"]
        let (code, dom) = try await run(browser, common + ["--dump-dom", "file://\(page)"], timeout: 110)
        #expect(code == 0)
        #expect(dom.contains("data-drawn=\"20000\""))
        let (columns, height) = Self.heatmapSize(dom)
        #expect(columns > 100 && columns < 2_000, "\(columns) columns")
        #expect(height > 0 && height < 1_000, "canvas \(height) px high")
    }

    /// 3,000 healthy hosts, every other one reporting an item the others do not: each column (a run of a few
    /// hosts) shows the worst cell its hosts reported, so none is "not reported" — a host that does not report
    /// an item does not hide the others' pass.
    @Test func chromiumShowsTheWorstReportedCellNotAGap() async throws {
        guard let browser = Self.browserOrSkip() else { return }
        let two = HostOutputReader.read(
            Fixtures.richLine([("bkunifylogbeat", "process", .pass, "ok", ""), ("gse_agent", "socket", .pass, "ok", "")]))
        let three = HostOutputReader.read(
            Fixtures.richLine([
                ("bkunifylogbeat", "bin_file", .pass, "ok", ""), ("bkunifylogbeat", "process", .pass, "ok", ""),
                ("gse_agent", "socket", .pass, "ok", ""),
            ]))
        let report = Self.report(3_000) { i in (9, i % 2 == 0 ? two : three) }
        let dir = try Self.scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = "\(dir)/fleet.html"
        try report.html().write(toFile: page, atomically: true, encoding: .utf8)
        let common = Self.headless(dir, budgetMs: 10_000) + ["--window-size=1280,1400"]
        let (code, dom) = try await run(browser, common + ["--dump-dom", "file://\(page)"], timeout: 110)
        #expect(code == 0)
        let columns = Self.heatmapSize(dom).columns
        #expect(columns > 0 && columns < 3_000, "\(columns) columns: runs of hosts")
        #expect(dom.contains("data-unreported=\"0\""), "\(dom.firstMatch(of: /data-unreported="\d+"/).map { String($0.0) } ?? "")")
    }

    /// A host's JOB status and its decoded output.
    typealias Output = (status: Int64, out: (reports: [DiagnosticReport], lines: [HostLine]))

    /// `n` hosts (10.x.y.z of cloud 0) made from decoded outputs (no JSON round trip): host `i` gives `output(i)`.
    static func report(_ n: Int, _ output: (Int) -> Output) -> FleetReport {
        var hosts: [HostResult] = []
        hosts.reserveCapacity(n)
        for i in 0..<n {
            let ip = "10.\(i / 65536).\((i / 256) % 256).\(i % 256)"
            let (status, out) = output(i)
            let state = HostResult.judge(jobStatus: status, hadLog: true, fetchFailed: false, reports: out.reports, lines: out.lines)
            hosts.append(
                HostResult(key: "0:" + ip, cloudID: 0, ip: ip, jobStatus: status, reports: out.reports, lines: out.lines, state: state))
        }
        return FleetReport(
            generatedAtMs: 1_700_000_000_000, source: "parse", jobInstanceID: 1, stepInstanceID: 2, finished: true, hosts: hosts,
            issues: [], preamble: [], gseGiven: false)
    }

    /// `n` hosts made from a few decoded outputs, in the states of `fleet(_:)`.
    static func bigFleet(_ n: Int) throws -> FleetReport {
        let broken = HostOutputReader.read(Fixtures.brokenRich(pid: 1))
        let healthy = HostOutputReader.read(Fixtures.healthyRich)
        let checkPy = HostOutputReader.read(Fixtures.checkPyLine(processOK: false))
        return report(n) { i in
            switch i % 20 {
            case 0, 1: (9, broken)
            case 2: (9, checkPy)
            case 7: (11, ([], []))
            default: (9, healthy)
            }
        }
    }

    /// The heatmap's column count and canvas height, as the page's script left them in the DOM.
    static func heatmapSize(_ dom: String) -> (columns: Int, height: Int) {
        (
            dom.firstMatch(of: /data-columns="(\d+)"/).flatMap { Int($0.1) } ?? 0,
            dom.firstMatch(of: /<canvas id="hm" width="\d+" height="(\d+)"/).flatMap { Int($0.1) } ?? 0
        )
    }

    /// Past about 1,000 hosts (three bands of 3 px columns) the heatmap aggregates runs of hosts of one group into
    /// columns, so it fits a few bands at any size: 30,000 hosts here (100,000 take the same path, but would
    /// starve the suite's other tests on a 2-core machine).
    @Test func chromiumAggregatesTensOfThousandsOfHosts() async throws {
        guard let browser = Self.browserOrSkip() else { return }
        let report = try Self.bigFleet(30_000)
        let dir = try Self.scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = "\(dir)/fleet.html"
        try report.html().write(toFile: page, atomically: true, encoding: .utf8)
        let common = Self.headless(dir, budgetMs: 20_000) + ["--window-size=1280,1400"]
        let (code, dom) = try await run(browser, common + ["--dump-dom", "file://\(page)"], timeout: 110)
        #expect(code == 0)
        #expect(dom.contains("data-drawn=\"30000\""))
        #expect(dom.contains("30000 of 30000 hosts shown ("))
        // A column per run of hosts: about two bands' worth of 3 px columns, not 30,000 of them.
        let (columns, height) = Self.heatmapSize(dom)
        #expect(columns > 100 && columns < 2_000, "\(columns) columns")
        #expect(height > 0 && height < 1_000, "canvas \(height) px high")

        let (shot, _) = try await run(browser, common + ["--screenshot=\(dir)/big.png", "file://\(page)"], timeout: 110)
        #expect(shot == 0)
        if let keep = ProcessInfo.processInfo.environment["BKDIAG_KEEP_SCREENSHOT"] {
            try? FileManager.default.copyItem(atPath: "\(dir)/big.png", toPath: keep + ".30k.png")
        }
    }
}
