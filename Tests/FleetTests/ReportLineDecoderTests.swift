import Report
import Testing

@testable import Fleet

/// The direct line decoder must build exactly what `DiagnosticReport(line:)` builds, or give up.
@Suite struct ReportLineDecoderTests {
    static let rich: String = {
        var r = DiagnosticReport(
            results: [
                CheckResult(
                    module: "log_path", item: "logpath_match", verdict: .warn, message: "以下路径无匹配文件: /a*", hint: "fix it",
                    evidence: [("matched", JSONValue(["/a1", "/a2"])), ("n", 2), ("ratio", 0.5), ("none", nil)], durationMs: 1.25),
                CheckResult(module: "gse_agent", item: "socket_queue_status", verdict: .unknown, message: "unreadable \"q\"\n"),
            ],
            host: HostIdentity(hostname: "h1", machineID: "abc", kernel: "6.1"), version: "0.2.0", generatedAtMs: 1_795_000_000_123,
            durationMs: 42.5, context: [("gse_root", "/usr/local/gse"), ("subscription", 12)])
        r.declaredStatus = nil
        return r.richLine()
    }()

    static let lines: [String] = [
        rich, Fixtures.healthyRich, Fixtures.brokenRich(pid: 9), Fixtures.checkPyLine(), Fixtures.checkPyLine(processOK: false),
        "{\"status\": 1, \"data\": []}", "{\"data\": [], \"status\": \"yes\", \"extra\": {\"a\": [1, {\"b\": null}]}}",
        "  {\"status\": false, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": 0, \"message\": null, \"result\": \"warn\"}]}  ",
        "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"x\", \"result\": 3, \"hint\": 5, \"evidence\": [1]}]}",
        "{\"status\": true, \"data\": [], \"schema\": 7, \"host\": \"h\", \"generated_at_ms\": \"17\", \"duration_ms\": \"x\", \"context\": []}",
        // Shapes the decoder leaves to the slow path (it must give up, not guess).
        "{\"status\": true, \"status\": false, \"data\": []}",
        "{\"status\": true, \"data\": [{\"module\": 7, \"item\": \"i\", \"status\": 1, \"message\": \"\"}]}",
        "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": 1, \"message\": {\"a\": 1}}]}",
        "{\"status\": true, \"data\": {}}", "{\"data\": []}", "{\"status\": true}", "[]", "{}", "{\"status\": true, \"data\": []} x",
        "{\"status\": tru, \"data\": []}", "{\"status\": true, \"data\": [{}]}",
    ]

    @Test(arguments: lines)
    func sameAsTheReportModel(line: String) {
        let slow = try? DiagnosticReport(line: line)
        var copy = line
        let fast = copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: true) }
        if let fast {
            #expect(fast == slow)
        }
        if slow == nil { #expect(fast == nil) }
    }

    @Test func commonLinesTakeTheFastPath() {
        for line in [Self.rich, Fixtures.healthyRich, Fixtures.checkPyLine()] {
            var copy = line
            #expect(copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: true) } != nil)
        }
    }

    /// Without evidence (the fleet's large inputs), a report keeps no evidence, context, host identity or run
    /// timing (no fleet output shows them); its entries keep their durations. The members left out are still
    /// checked: a repeated one refuses the line as it does when kept.
    @Test func withoutEvidenceOnlyEvidenceContextHostAndTimingGo() throws {
        var copy = Self.rich
        let fast = try #require(copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: false) })
        var slow = try DiagnosticReport(line: Self.rich)
        #expect(slow.host.hostname == "h1")
        #expect(slow.generatedAtMs != 0 && slow.durationMs != nil)
        #expect(fast.results.contains { $0.durationMs != nil })
        slow.context = []
        slow.host = HostIdentity()
        slow.generatedAtMs = 0
        slow.durationMs = nil
        for k in slow.results.indices { slow.results[k].evidence = [] }
        #expect(fast == slow)
        for member in ["\"generated_at_ms\":1795000000123,", "\"duration_ms\":42.5,"] {
            #expect(Self.rich.contains(member))
            var twice = Self.rich.replacingOccurrences(of: member, with: member + member)
            for keep in [true, false] { #expect(twice.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: keep) } == nil) }
        }
    }
}
