import Foundation
import Report

/// The platform's entry lines of a log page's reports, written while the page is read (`--format agent`):
/// `[info] [agent checker] [<module>] [<label>] [成功] <message>` (`[error]` and `[失败]` for a failing
/// entry), back to back, with where each report's lines end. A host's report then keeps a lean model and
/// its place here (`HostLine.reportRendered`), and the output copies the bytes.
///
/// Written by the one thread that scans the page, only read afterwards.
final class AgentEntryLines: EntryLineWriter, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    /// The end in `bytes` of each report's lines.
    private var ends: [Int] = []
    /// The item seen at each entry position and its label's bytes (hosts list the same items in the same
    /// order, so a label is looked up once per change, not once per line).
    private var labels: [(item: [UInt8], label: [UInt8])] = []
    private var position = 0

    var reportCount: Int { ends.count }

    /// `capacity`: the bytes expected (a hint; growing past it is only slower).
    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    func entry(module: ReportText, item: ReportText, ok: Bool, message: ReportText) {
        bytes.append(contentsOf: ok ? "[info] [agent checker] [".utf8 : "[error] [agent checker] [".utf8)
        module.append(to: &bytes)
        bytes.append(contentsOf: "] [".utf8)
        appendLabel(item)
        bytes.append(contentsOf: ok ? "] [成功] ".utf8 : "] [失败] ".utf8)
        message.append(to: &bytes)
        bytes.append(0x0A)
        position += 1
    }

    func endReport() {
        ends.append(bytes.count)
        position = 0
    }

    func rollback(toReports count: Int) {
        ends.removeLast(ends.count - count)
        bytes.removeLast(bytes.count - (ends.last ?? 0))
        position = 0
    }

    /// Appends the label of the item (`CheckResult.label`).
    private func appendLabel(_ item: ReportText) {
        if position < labels.count, !item.escapedSlashes, Self.equal(labels[position].item, item.bytes) {
            bytes.append(contentsOf: labels[position].label)
            return
        }
        var name: [UInt8] = []
        item.append(to: &name)
        let label = Array(CheckLabels.label(forItem: String(decoding: name, as: UTF8.self)).utf8)
        if position >= labels.count {
            labels.append(contentsOf: repeatElement((item: [UInt8](), label: [UInt8]()), count: position + 1 - labels.count))
        }
        // An item with an escaped slash is looked up every time (its bytes are not its name).
        labels[position] = (item.escapedSlashes ? [] : name, label)
        bytes.append(contentsOf: label)
    }

    private static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && !a.isEmpty && a.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress!, a.count) == 0 }
    }

    /// The lines of report `index` (counted in the order reports ended).
    func report(_ index: Int) -> RenderedReportLines {
        RenderedReportLines(page: self, range: (index == 0 ? 0 : ends[index - 1])..<ends[index])
    }
}

/// One report's entry lines in its page's `AgentEntryLines`.
public struct RenderedReportLines: Sendable, Equatable {
    let page: AgentEntryLines
    let range: Range<Int>

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        page.bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

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
