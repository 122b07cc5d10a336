import Foundation
import Report
import Testing

@testable import Fleet

/// Host-given text (messages, hints, item names, keys, JOB's messages) in the text formats: shown, never
/// acted on by a terminal, and inert in Markdown.
@Suite struct HostileTextTests {
    static let hostile =
        "down \u{1B}[2J\u{1B}]52;c;ZXZpbA==\u{07}\r\nFAILURE GROUPS (0) <img src=x onerror=alert(1)> | [x](javascript:1) `tick` \u{202E}gpj.exe \u{9B}31m"

    func fleet() throws -> FleetReport {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 9)])
        let bad = Fixtures.richLine([
            ("bkunifylogbeat", "process", .fail, Self.hostile, Self.hostile), ("evil|mod`x", "socket\u{1B}[31m", .fail, "m", "h"),
        ])
        let page = Fixtures.logs([Fixtures.log(0, "10.0.0.1", bad), Fixtures.log(0, "10.0.0.2", Fixtures.healthyRich)])
        return try Fixtures.assemble([status, page])
    }

    static func controls(_ s: String) -> [Unicode.Scalar] {
        s.unicodeScalars.filter { $0 != "\n" && TerminalText.needsEscape($0) }
    }

    @Test func theTableShowsControlsAndForgesNoLines() throws {
        let table = try fleet().textTable()
        #expect(Self.controls(table).isEmpty, "\(Self.controls(table))")
        #expect(table.contains("\\x1b[2J") && table.contains("\\u202e"))
        // The message's CR LF did not start a line of its own.
        #expect(!table.split(separator: "\n").contains { $0.hasPrefix("FAILURE GROUPS (0)") })
    }

    @Test func markdownIsInert() throws {
        let md = try fleet().markdown()
        #expect(Self.controls(md).isEmpty)
        // Every < of host text is backslash-escaped (a literal to Markdown), and no link can form.
        let raw = zip(md.unicodeScalars.dropLast(), md.unicodeScalars.dropFirst()).contains { $0 != "\\" && $1 == "<" }
        #expect(!raw && !md.contains("](javascript:"), "\(md)")
        #expect(!md.split(separator: "\n").contains { $0.hasPrefix("FAILURE GROUPS") })
        // Every table row still has its 6 cells: a | in an item name does not add one.
        for row in md.split(separator: "\n") where row.hasPrefix("| ") && !row.hasPrefix("| item") {
            var cells = 0
            var escaped = false
            for c in row {
                if c == "|" && !escaped { cells += 1 }
                escaped = c == "\\" && !escaped
            }
            #expect(cells == 7, "\(row)")
        }
    }

    @Test func theNodeTextAndNagiosShowControlsAndNagiosHasNoPipeInItsLongText() {
        let report = DiagnosticReport(
            results: [CheckResult(module: "log_path", item: "logpath_match", verdict: .fail, message: Self.hostile, hint: Self.hostile)],
            version: "test", generatedAtMs: 0, durationMs: 1)
        let text = report.textTable(colour: false)
        #expect(Self.controls(text).isEmpty, "\(Self.controls(text))")
        let nagios = report.nagiosText()
        #expect(Self.controls(nagios).isEmpty)
        let lines = nagios.split(separator: "\n")
        #expect(lines.count == 2 && !lines[1].contains("|"), "\(nagios)")
    }
}
