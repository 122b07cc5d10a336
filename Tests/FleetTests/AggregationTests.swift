import Foundation
import Report
import Testing

@testable import Fleet

/// Signatures, normalisation and GSE correlation.
@Suite struct AggregationTests {
    @Test(arguments: [
        ("bkunifylogbeat is not running (pid 1234)", "bkunifylogbeat is not running (pid N)"),
        ("dataserver 10.0.0.1:58625 not connected", "dataserver N.N.N.N:N not connected"),
        ("real_config_name: bkunifylogbeat_sub_123_host_0.conf", "real_config_name: bkunifylogbeat_sub_N_host_N.conf"),
        ("agent 0a1b2c3d4e5f6789 offline", "agent # offline"),
        ("deadbeef", "deadbeef"),
        ("以下路径无匹配文件: /var/log/app-2024*.log", "以下路径无匹配文件: /var/log/app-N*.log"),
    ])
    func normalise(message: String, expected: String) {
        #expect(Signature.normalise(message) == expected)
    }

    /// The rule as first written, a run of letters and digits gathered byte by byte: the one-pass scan
    /// must say the same of every message.
    static func normaliseReference(_ message: String) -> String {
        var out: [UInt8] = []
        var word: [UInt8] = []
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
        func flush() {
            if word.isEmpty { return }
            if word.allSatisfy(isDigit) {
                out.append(UInt8(ascii: "N"))
            } else if word.count >= 8, word.contains(where: isDigit),
                word.allSatisfy({ isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
            {
                out.append(UInt8(ascii: "#"))
            } else {
                out.append(contentsOf: word)
            }
            word.removeAll()
        }
        for c in message.utf8 {
            if isAlnum(c) {
                word.append(c)
            } else {
                flush()
                out.append(c)
            }
        }
        flush()
        let text = String(decoding: out, as: UTF8.self)
        return text.count > 160 ? String(text.prefix(157)) + "..." : text
    }

    @Test func normaliseSaysWhatTheReferenceSays() {
        // Letters around the hex range and the ASCII letters' edges (`@`, `[`, `` ` ``, `{`), digits, runs
        // of every length around 8, multi-byte text, and long messages cut.
        let pieces = [
            "a", "f", "g", "A", "F", "G", "z", "Z", "@", "[", "`", "{", "0", "9", "/", ":", " ", ".", "-", "_", "é", "路径", "\u{1F600}",
            "\0",
        ]
        var rng = SystemRandomNumberGenerator()
        var messages = [
            "", "1", "a1", "abcdef12", "abcdef1", "ABCDEF123", "abcdefg1", "12345678", "0x1f2e3d4c", "pid 42 gone",
            "x" + String(repeating: "9", count: 300),
            String(repeating: "日志 ", count: 100), String(repeating: "ab12 ", count: 40),
        ]
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<40, using: &rng)
            messages.append((0..<n).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        for m in messages {
            #expect(Signature.normalise(m) == Self.normaliseReference(m), "\(m)")
        }
    }

    @Test func longMessagesAreCut() {
        #expect(Signature.normalise(String(repeating: "a ", count: 200)).count == 160)
    }

    /// A GSE 1 `get_agent_status` answer for hosts of cloud 0, each alive or not.
    static func gse1(_ hosts: [(ip: String, alive: Bool)]) -> JSONValue {
        Fixtures.wrap(
            .object(
                hosts.map { h in
                    ("0:\(h.ip)", .object([("ip", .string(h.ip)), ("bk_cloud_id", 0), ("bk_agent_alive", h.alive ? 1 : 0)]))
                }))
    }

    @Test func gseTellsAgentOfflineFromCollectorBroken() throws {
        let status = Fixtures.status([
            Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 310), Fixtures.host(0, "10.0.0.3", status: 9),
        ])
        let logs = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(processOK: false)),
            Fixtures.log(0, "10.0.0.3", Fixtures.healthyRich),
        ])
        let gse1 = Self.gse1([("10.0.0.1", true), ("10.0.0.2", false)])
        let r = try Fixtures.assemble([status, logs], gse: gse1)
        #expect(r.gseGiven)
        #expect(r.hosts.map(\.diagnosis) == [.collectorBroken, .agentOffline, .healthy])
        #expect(r.summary.count(.agentOffline) == 1)
        #expect(r.textTable().contains("agent_offline 1"))
    }

    /// A healthy report beside a line that could not be read is not a healthy host: with its agent offline
    /// it is `agent_offline` (a host whose every line read is healthy whatever GSE says). The JSON's writer,
    /// which tells a healthy host from its stored members, says the same.
    @Test func aLineThatCouldNotBeReadKeepsAHealthyReportFromMakingTheHostHealthy() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 9)])
        let logs = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", "not json\n" + Fixtures.healthyRich),
            Fixtures.log(0, "10.0.0.2", Fixtures.healthyRich),
        ])
        let gse1 = Self.gse1([("10.0.0.1", false), ("10.0.0.2", false)])
        let r = try Fixtures.assemble([status, logs], gse: gse1)
        #expect(r.hosts.map(\.lineErrors.count) == [1, 0])
        #expect(r.hosts.map(\.diagnosis) == [.agentOffline, .healthy])
        let written = JSONStreamTests.written(r)
        #expect(written[0].contains("\"diagnosis\":\"agent_offline\""), "\(written[0])")
        #expect(written[1].contains("\"diagnosis\":\"healthy\""), "\(written[1])")
    }

    @Test func gse2AgentStateAnswer() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.2", status: 1)])
        let gse2: JSONValue = Fixtures.wrap(
            .array([
                .object([("bk_agent_id", "0:10.0.0.2"), ("bk_cloud_id", 0), ("version", "2.1.0"), ("run_mode", 0), ("status_code", 4)]),
                .object([("bk_agent_id", "020000000052540012345616788888888"), ("bk_cloud_id", 0), ("status_code", 2)]),
            ]))
        let r = try Fixtures.assemble([status], gse: gse2)
        #expect(r.hosts[0].agent == .offline)
        #expect(r.hosts[0].diagnosis == .agentOffline)
    }

    @Test func gseAgentFailuresAreAgentBroken() throws {
        let line = Fixtures.richLine([("gse_agent", "dataserver_port", .fail, "dataserver not exist", "check the data port")])
        let r = try Fixtures.assemble([
            Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)]), Fixtures.logs([Fixtures.log(0, "10.0.0.1", line)]),
        ])
        #expect(r.hosts[0].diagnosis == .agentBroken)
    }

    /// Diagnoses by the failing entries: only the agent's items is the agent; any of the collector's is the collector.
    /// A signature lists its entries by their text, each failing entry and an unreadable line once.
    @Test func mixedFailuresAreTheCollectorsAndSortedByText() throws {
        let line = Fixtures.richLine([
            ("gse_agent", "socket", .fail, "socket 7 missing", ""), ("bkunifylogbeat", "process", .fail, "pid 42 gone", ""),
            ("log_path", "logpath_match", .unknown, "cannot list /data", ""), ("gse_agent", "process", .pass, "ok", ""),
        ])
        let r = try Fixtures.assemble([
            Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 9)]),
            Fixtures.logs([Fixtures.log(0, "10.0.0.1", line + "\nnot json"), Fixtures.log(0, "10.0.0.2", line)]),
        ])
        #expect(r.hosts.map(\.diagnosis) == [.collectorBroken, .collectorBroken])
        let entries = Signature.entries(for: r.hosts[0], results: r.hosts[0].results).map(\.description)
        #expect(
            entries == [
                "bkunifylogbeat/process: pid N gone", "gse_agent/socket: socket N missing", "log_path/logpath_match: cannot list /data",
                "output: unreadable line: Expecting value: line N column N (char N)",
            ], "\(entries)")
        #expect(Signature.entries(for: r.hosts[1], results: r.hosts[1].results).map(\.description) == Array(entries.dropLast()))
    }

    @Test func outputsRenderTheSameFacts() throws {
        let r = try Fixtures.assemble([Fixtures.wrap(Fixtures.mixedStatus), Fixtures.mixedLogsPage1, Fixtures.mixedLogsPage2])
        let table = r.textTable()
        #expect(table.contains("job 10000 step 10001: 10 hosts, 2 healthy, 2 failing, 6 without usable output"))
        #expect(table.contains("FAILURE GROUPS (7)"))
        #expect(table.contains("hint: systemctl restart gse_agent (1)"))
        let md = r.markdown()
        #expect(md.contains("| `bkunifylogbeat/process` | 检查进程是否存在 | 2 | 0 | 2 | 0 |"))
        let json = try JSONValue.parse(r.jsonText())
        #expect(json["schema"]?.stringValue == "bkdiag.fleet/1")
        #expect(json["hosts"]?.arrayValue?.count == 10)
        #expect(json["summary"]?["states"]?["job_failed"]?.intValue == 2)
        #expect(json["groups"]?.arrayValue?.first?["hosts"] == JSONValue(["0:10.0.0.2", "0:10.0.0.7"]))
        let h7 = try #require(json["hosts"]?.arrayValue?[7])
        #expect(h7["results"]?.arrayValue?.count == 2)
        #expect(h7["group"] == json["groups"]?.arrayValue?.first?["id"])
    }

    @Test func htmlIsSelfContainedAndEscapes() throws {
        let line = Fixtures.richLine([("bkunifylogbeat", "config", .fail, "bad </script><b>x</b>", "")])
        let r = try Fixtures.assemble([
            Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)]), Fixtures.logs([Fixtures.log(0, "10.0.0.1", line)]),
        ])
        let html = r.html()
        #expect(!html.contains("<b>x</b>"))
        #expect(html.components(separatedBy: "</script>").count == 3)
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
    }

    /// Hosts reporting equal entries share one list when read lean (`StringInterner.sharedList`, one per
    /// page); the count adds a list's verdicts once per list, and finds its group and diagnosis once per list
    /// (and declared status). The summary must be what counting every host on its own gives: the same
    /// hosts read whole, where no list is shared.
    @Test func sharedListsCountAsEveryHostOfThem() throws {
        let declaredFalse = Fixtures.healthyRich.replacingOccurrences(of: "{\"status\":true", with: "{\"status\":false")
        #expect(declaredFalse != Fixtures.healthyRich)
        let agentOnly = Fixtures.richLine([
            ("bkunifylogbeat", "process", .pass, "pid 77 up 3d", ""), ("gse_agent", "socket", .fail, "socket gone", "restart gse_agent"),
        ])
        // Runs of one list (the previous host's), lists coming back after others, and each list in both pages.
        let cycle = [
            Fixtures.healthyRich, Fixtures.healthyRich, Fixtures.brokenRich(pid: 7), declaredFalse, Fixtures.brokenRich(pid: 7),
            agentOnly, Fixtures.healthyRich, Fixtures.brokenRich(pid: 8), declaredFalse, agentOnly, Fixtures.checkPyLine(processOK: false),
        ]
        var hosts: [JSONValue] = []
        var pages: [[JSONValue]] = [[], []]
        for n in 0..<66 {
            let ip = "10.9.0.\(n)"
            hosts.append(Fixtures.host(0, ip, status: 9))
            pages[n / 33].append(Fixtures.log(0, ip, cycle[n % cycle.count] + "\n"))
        }
        let texts = [Fixtures.status(hosts), Fixtures.logs(pages[0]), Fixtures.logs(pages[1])].map { Fixtures.wrap($0).serialized() }
        let lean = try Fixtures.assemble(texts: texts, streamed: true)
        let whole = try Fixtures.assemble(texts: texts)
        func list(_ h: HostResult) -> UnsafeRawPointer? {
            h.reports.count == 1 ? h.reports[0].results.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } : nil
        }
        // Shared where read lean (else this compares the count of single hosts with itself), not read whole.
        #expect(Set(lean.hosts.compactMap(list)).count <= 12)
        #expect(Set(whole.hosts.compactMap(list)).count == 66)
        #expect(lean.summary.itemCounts == whole.summary.itemCounts)
        #expect(lean.json(includeHosts: false) == whole.json(includeHosts: false))
        #expect(lean.hosts.map(\.diagnosis) == whole.hosts.map(\.diagnosis))
        // And what each list holds, counted by hand: 7 of every 11 hosts report `process` passing, 4 failing
        // (three bkdiag reports and one check.py line); `socket` fails on the agent-only hosts alone.
        let process = lean.summary.itemCounts.first { $0.item.module == "bkunifylogbeat" && $0.item.item == "process" }
        #expect(process?.counts.pass == 42 && process?.counts.fail == 24)
        let socket = lean.summary.itemCounts.first { $0.item.module == "gse_agent" && $0.item.item == "socket" }
        #expect(socket?.counts.fail == 12 && socket?.counts.warn == 18)
        #expect(lean.summary.count(.agentBroken) == 12)
        #expect(lean.summary.groups.contains { $0.entries.map(\.description) == ["status: declared false"] && $0.hosts.count == 12 })
    }

    /// A host's hints, each once in first-seen order, past the few kept in a list too.
    @Test func distinctStringsKeepTheFirstOfEach() {
        var d = DistinctStrings()
        let words = (0..<20).map { "hint \($0 % 13)" }
        for w in words + words.reversed() { d.insert(w) }
        #expect(d.strings == (0..<13).map { "hint \($0)" })
        var few = DistinctStrings()
        for w in ["b", "a", "b", "", "a"] { few.insert(w) }
        #expect(few.strings == ["b", "a", ""])
    }

    /// `HostResult.verdicts`, which reads the reports in place to judge a host, says what the reports'
    /// `overall` and `hostStatus` say, for every mix of entries and declared statuses.
    @Test func verdictsReadInPlaceAreTheReportsOwn() {
        var reports: [DiagnosticReport] = []
        for declared in [nil, true, false] as [Bool?] {
            for verdicts in [[], [Verdict.pass], [.warn, .pass], [.pass, .fail], [.unknown, .warn], [.fail, .unknown, .pass]] {
                var r = DiagnosticReport(results: verdicts.map { CheckResult(module: "m", item: "i", verdict: $0, message: "") })
                r.declaredStatus = declared
                reports.append(r)
            }
        }
        var lists: [[DiagnosticReport]] = [[]]
        for a in reports.indices {
            lists.append([reports[a]])
            for b in reports.indices where (a + b) % 5 == 0 { lists.append([reports[a], reports[b]]) }
        }
        for list in lists {
            let got = HostResult.verdicts(list)
            #expect(got.worst == (list.map(\.overall).max() ?? .pass), "\(list.map(\.overall))")
            #expect(got.declaredTrue == list.allSatisfy(\.hostStatus), "\(list.map(\.hostStatus))")
        }
        #expect(lists.count > 80)
    }
}
