import Foundation
import Report

/// The platform's entry lines of a log page's reports, written while the page is read (`--format agent`):
/// `[info] [agent checker] [<module>] [<label>] [成功] <message>` (`[error]` and `[失败]` for a failing
/// entry), back to back, with where each report's lines end. A host's report then keeps a lean model and
/// its place here (`HostLine.reportRendered`), and the output copies the bytes.
///
/// With `json`, what is written for each report is instead its entries as the fleet JSON's `results`
/// members (`FleetReport.writeResult`: module, item, status, message, result, label, hint, an empty
/// evidence, duration), separated by commas, for a JSON output whose reports are read lean.
///
/// Written by the one thread that scans the page, only read afterwards: the runtime's exclusivity checks
/// on a class's stored properties (a thread-local access set, entered and left around each of the dozen
/// accesses per line) are turned off for it, as they cost more than the writing itself.
final class AgentEntryLines: EntryLineWriter, @unchecked Sendable {
    /// The lines, back to back.
    @exclusivity(unchecked) private var out: OwnedBytes
    /// The end in the lines of each report's lines.
    @exclusivity(unchecked) private var ends: [Int] = []
    /// The item seen at each entry position and its label's bytes (hosts list the same items in the same
    /// order, so a label is looked up once per change, not once per line): the platform's label, or with
    /// `json` the label as a JSON string (`CheckLabels.label`).
    @exclusivity(unchecked) private var labels: [(item: [UInt8], label: [UInt8])] = []
    @exclusivity(unchecked) private var position = 0
    /// Entries written as the fleet JSON's results, not as the platform's lines.
    let json: Bool
    /// With `json`: the last duration's text, made as the JSON renderer makes it.
    @exclusivity(unchecked) private var durations = HostJSONCache()

    private static let infoHead: StaticString = "[info] [agent checker] ["
    private static let errorHead: StaticString = "[error] [agent checker] ["
    private static let between: StaticString = "] ["
    private static let passed: StaticString = "] [成功] "
    private static let failed: StaticString = "] [失败] "

    var reportCount: Int { ends.count }

    /// The lines written so far (a copy).
    var bytes: [UInt8] { out.copied }

    /// `capacity`: the bytes expected (a hint; growing past it is only slower).
    init(capacity: Int = 0, json: Bool = false) {
        out = OwnedBytes(capacity: max(256, capacity))
        self.json = json
    }

    var wantsDurations: Bool { json }

    /// A report's string as it lies in the output (`ReportText`): a page-escaped slash written as a slash.
    @inline(__always) private func append(_ t: ReportText) {
        let b = t.bytes
        guard t.escapedSlashes else { return out.append(b) }
        out.write(upTo: b.count) { p in
            var k = 0
            var n = 0
            while k < b.count {
                if b[k] == 0x5C { k += 1 }
                p[n] = b[k]
                n += 1
                k += 1
            }
            return n
        }
    }

    func entry(module: ReportText, item: ReportText, verdict: Verdict, message: ReportText, hint: ReportText?, durationMs: Double?) {
        if json { return jsonEntry(module: module, item: item, verdict: verdict, message: message, hint: hint, durationMs: durationMs) }
        let ok = verdict.compatStatus
        out.append(ok ? Self.infoHead : Self.errorHead)
        append(module)
        out.append(Self.between)
        appendLabel(item)
        out.append(ok ? Self.passed : Self.failed)
        append(message)
        out.append(0x0A)
        position += 1
    }

    /// One entry as `FleetReport.writeResult` writes the `CheckResult` read from it (without evidence).
    private func jsonEntry(
        module: ReportText, item: ReportText, verdict: Verdict, message: ReportText, hint: ReportText?, durationMs: Double?
    ) {
        if position > 0 { out.append(UInt8(ascii: ",")) }
        out.append("{\"module\":")
        jsonString(module)
        out.append(",\"item\":")
        jsonString(item)
        out.append(verdict.compatStatus ? ",\"status\":true,\"message\":" : ",\"status\":false,\"message\":")
        jsonString(message)
        switch verdict {
        case .pass: out.append(",\"result\":\"pass\",\"label\":")
        case .warn: out.append(",\"result\":\"warn\",\"label\":")
        case .fail: out.append(",\"result\":\"fail\",\"label\":")
        case .unknown: out.append(",\"result\":\"unknown\",\"label\":")
        }
        appendLabel(item)
        out.append(",\"hint\":")
        if let hint { jsonString(hint) } else { out.append("\"\"") }
        out.append(",\"evidence\":{}")
        if let d = durationMs {
            out.append(",\"duration_ms\":")
            durations.duration(d) { text in text.withUnsafeBufferPointer { out.append($0) } }
        }
        out.append(UInt8(ascii: "}"))
        position += 1
    }

    /// A report's string as a JSON string, escaped as `JSONByteWriter.string` escapes the text.
    @inline(__always) private func jsonString(_ t: ReportText) {
        out.append(0x22)
        if t.escapedSlashes {
            var text: [UInt8] = []
            t.append(to: &text)
            text.withUnsafeBufferPointer { JSONByteWriter.escape($0, into: &out) }
        } else {
            JSONByteWriter.escape(t.bytes, into: &out)
        }
        out.append(0x22)
    }

    func endReport() {
        ends.append(out.count)
        position = 0
    }

    func rollback(toReports reports: Int) {
        ends.removeLast(ends.count - reports)
        out.truncate(to: ends.last ?? 0)
        position = 0
    }

    /// Appends the label AgentChecker prints for the item (`CheckResult.platformLabel`), or with `json` the
    /// fleet JSON's label (`CheckLabels.label`) as a JSON string.
    private func appendLabel(_ item: ReportText) {
        if position < labels.count, !item.escapedSlashes, Self.equal(labels[position].item, item.bytes) {
            labels[position].label.withUnsafeBufferPointer { out.append($0) }
            return
        }
        var name: [UInt8] = []
        item.append(to: &name)
        let itemName = String(decoding: name, as: UTF8.self)
        let label: [UInt8]
        if json {
            var w = JSONByteWriter(capacity: 64)
            w.string(CheckLabels.label(forItem: itemName))
            label = w.bytes
        } else {
            label = Array(CheckLabels.platformLabel(forItem: itemName).utf8)
        }
        if position >= labels.count {
            labels.append(contentsOf: repeatElement((item: [UInt8](), label: [UInt8]()), count: position + 1 - labels.count))
        }
        // An item with an escaped slash is looked up every time (its bytes are not its name).
        labels[position] = (item.escapedSlashes ? [] : name, label)
        label.withUnsafeBufferPointer { out.append($0) }
    }

    private static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && !a.isEmpty && a.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress!, a.count) == 0 }
    }

    /// The lines of report `index` (counted in the order reports ended).
    func report(_ index: Int) -> RenderedReportLines {
        RenderedReportLines(page: self, range: (index == 0 ? 0 : ends[index - 1])..<ends[index])
    }

    /// The bytes at `range` of the lines, in place.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        out.withBytes(range, body)
    }
}

/// One report's entry lines in its page's `AgentEntryLines`.
public struct RenderedReportLines: Sendable, Equatable {
    let page: AgentEntryLines
    let range: Range<Int>

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        page.withBytes(range, body)
    }

    /// Whether these are the report's entries as the fleet JSON's results (`AgentEntryLines.json`).
    var isJSON: Bool { page.json }

    /// The lines as the platform's records (`[info] [agent checker] ` or `[error] …`, then the text).
    var infos: [AgentInfo] {
        withBytes { bytes in
            bytes.split(separator: 0x0A).map { line in
                let text = String(decoding: line, as: UTF8.self)
                let error = text.hasPrefix("[error] [agent checker] ")
                return AgentInfo(error ? .error : .info, String(text.dropFirst(error ? 24 : 23)))
            }
        }
    }

    public static func == (a: RenderedReportLines, b: RenderedReportLines) -> Bool {
        a.withBytes { x in b.withBytes { y in x.elementsEqual(y) } }
    }
}
