import Foundation
import Report
import Testing

@Suite("CheckID: one table for every item's module, name, label and order")
struct CheckIDTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every item has its own label, not the fallback for foreign items", arguments: CheckID.allCases)
    func everyItemHasALabel(id: CheckID) {
        #expect(!id.label.isEmpty)
        #expect(id.label != CheckLabels.fallback)
        #expect(CheckLabels.label(forItem: id.item) == id.label)
    }

    @Test("order is allCases order; keys are module/item and unique")
    func orderAndKeys() {
        #expect(CheckID.allCases.map(\.order) == Array(CheckID.allCases.indices))
        #expect(Set(CheckID.allCases.map(\.key)).count == CheckID.allCases.count)
        for id in CheckID.allCases {
            #expect(id.key == "\(id.module.rawValue)/\(id.item)")
            #expect(CheckID(module: id.module.rawValue, item: id.item) == id)
        }
        #expect(CheckID(module: "gse_agent", item: "process") == .agentProcess)
        #expect(CheckID(module: "bkunifylogbeat", item: "process") == .collectorProcess)
        #expect(CheckID(module: "gse_agent", item: "bin_file") == nil)
    }

    @Test("modules come in check.py's order and each module's items are together")
    func modulesInOrder() {
        var seen: [CheckModule] = []
        for id in CheckID.allCases where seen.last != id.module {
            #expect(!seen.contains(id.module), "\(id.module) items are split")
            seen.append(id.module)
        }
        #expect(Array(seen.prefix(3)) == [.logPath, .collector, .agent])
    }

    @Test("an item from another version keeps AgentChecker's generic label")
    func foreignItem() {
        #expect(CheckLabels.label(forItem: "no_such_item") == "gse agent检查")
        #expect(CheckResult(module: "x", item: "no_such_item", verdict: .pass, message: "").label == "gse agent检查")
        #expect(CheckResult(module: "gse_agent", item: "socket", verdict: .pass, message: "").label == "检查socket文件是否存在")
    }

    @Test("README's check table lists CheckID's items, in its order")
    func readmeTable() throws {
        let text = try String(contentsOf: Self.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## The checks\n").dropFirst().first)
        let body = section.components(separatedBy: "\n## ")[0]
        let rows = body.split(separator: "\n").filter { $0.hasPrefix("| ") }.dropFirst()  // the header
        let pairs = rows.map { row -> String in
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.count > 2 ? "\(cells[1])/\(cells[2])" : String(row)
        }
        #expect(pairs == CheckID.allCases.map(\.key))
    }

    /// The platform's table (`CHECK_AGENT_STEP`, feat/collector_check's) lacks log_progress's items (they show its
    /// generic label): its items are `CheckLabels.platformItems`, and every label it has is CheckID's.
    @Test("Scripts/agentchecker.py's LABELS are CheckID's labels")
    func agentcheckerLabels() throws {
        let text = try String(contentsOf: Self.repoRoot.appendingPathComponent("Scripts/agentchecker.py"), encoding: .utf8)
        let block = try #require(text.components(separatedBy: "LABELS = {\n").dropFirst().first?.components(separatedBy: "\n}")[0])
        var labels: [String: String] = [:]
        for line in block.split(separator: "\n") {
            let parts = line.split(separator: "\"").map(String.init)
            // `    "item": "label",` splits into ["    ", item, ": ", label, ","].
            try #require(parts.count >= 4, "unexpected line: \(line)")
            labels[parts[1]] = parts[3]
        }
        #expect(Set(labels.keys) == CheckLabels.platformItems)
        #expect(CheckLabels.platformLabel(forItem: "logpath_match") == "检查日志采集路径是否存在")
        #expect(CheckLabels.platformLabel(forItem: "pipeline_stall") == CheckLabels.fallback)
        for (item, label) in labels { #expect(CheckID.label(forItem: item) == label, "\(item)") }
    }
}
