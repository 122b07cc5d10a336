import Report
import Testing

@testable import Fleet

/// The fleet's byte writer against `serialized()`, and a report line as the fleet reads it. The parser's
/// own tests are Report's (`Tests/ReportTests/JSONParserTests.swift`).
@Suite struct JSONParsingTests {
    @Test(arguments: [
        "", "plain", "quote \" backslash \\ slash /", "\n\r\t\u{08}\u{0c}\u{01}\u{1f}\u{7f}", "line\u{2028}para\u{2029}end",
        "中文 émoji 😀", "\u{e2}\u{80}", "ends with e2 \u{2026}",
    ])
    func byteWriterMatchesSerialized(text: String) {
        let v = JSONValue.object([("k \(text)", .array([.string(text), .int(-3), .double(1.5), .null, .bool(true)]))])
        var w = JSONByteWriter()
        w.write(v)
        #expect(String(decoding: w.bytes, as: UTF8.self) == v.serialized())
    }

    /// The central parser reads a host's line with json.loads, so a repeated `status` counts with its last value.
    @Test func aReportLineWithARepeatedStatusCountsTheLastOne() throws {
        let line =
            "{\"status\": true, \"data\": [{\"module\": \"gse_agent\", \"item\": \"socket\", \"status\": true, \"message\": \"a\", \"message\": \"b\"}], \"status\": false}"
        let r = try DiagnosticReport(line: line)
        #expect(r.declaredStatus == false)
        #expect(r.results.first?.message == "b")
        let read = HostOutputReader.read(line + "\n")
        #expect(read.reports.first?.declaredStatus == false)
        #expect(read.reports.first?.results.first?.message == "b")
    }
}
