import Foundation
import Report

/// The platform's entry lines of a log page's reports, written while the page is read (`--format agent`):
/// `[info] [agent checker] [<module>] [<label>] [成功] <message>` (`[error]` and `[失败]` for a failing
/// entry), back to back, with where each report's lines end. A host's report then keeps a lean model and
/// its place here (`HostLine.reportRendered`), and the output copies the bytes.
///
/// Written by the one thread that scans the page, only read afterwards: the runtime's exclusivity checks
/// on a class's stored properties (a thread-local access set, entered and left around each of the dozen
/// accesses per line) are turned off for it, as they cost more than the writing itself.
final class AgentEntryLines: EntryLineWriter, @unchecked Sendable {
    /// The lines, back to back, in a buffer of its own written through a pointer (an `Array` checks its
    /// uniqueness and capacity at each of the half-dozen appends of every line). Memory is taken as it is
    /// written: `capacity` only reserves address space.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private var capacity: Int
    /// The end in the lines of each report's lines.
    @exclusivity(unchecked) private var ends: [Int] = []
    /// The item seen at each entry position and its label's bytes (hosts list the same items in the same
    /// order, so a label is looked up once per change, not once per line).
    @exclusivity(unchecked) private var labels: [(item: [UInt8], label: [UInt8])] = []
    @exclusivity(unchecked) private var position = 0

    private static let infoHead: StaticString = "[info] [agent checker] ["
    private static let errorHead: StaticString = "[error] [agent checker] ["
    private static let between: StaticString = "] ["
    private static let passed: StaticString = "] [成功] "
    private static let failed: StaticString = "] [失败] "

    var reportCount: Int { ends.count }

    /// The lines written so far (a copy).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// `capacity`: the bytes expected (a hint; growing past it is only slower).
    init(capacity: Int = 0) {
        self.capacity = max(256, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    private func grow(_ needed: Int) {
        let bigger = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = bigger
    }

    @inline(__always) private func append(_ u: UnsafeBufferPointer<UInt8>) {
        let n = u.count
        guard n > 0, let from = u.baseAddress else { return }
        if count &+ n > capacity { grow(count + n) }
        let to = base + count
        if n <= 16 {
            for k in 0..<n { to[k] = from[k] }
        } else {
            to.update(from: from, count: n)
        }
        count &+= n
    }

    @inline(__always) private func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A report's string as it lies in the output (`ReportText`): a page-escaped slash written as a slash.
    @inline(__always) private func append(_ t: ReportText) {
        guard t.escapedSlashes else { return append(t.bytes) }
        var k = 0
        let b = t.bytes
        if count &+ b.count > capacity { grow(count + b.count) }
        while k < b.count {
            if b[k] == 0x5C { k += 1 }
            base[count] = b[k]
            count &+= 1
            k += 1
        }
    }

    func entry(module: ReportText, item: ReportText, ok: Bool, message: ReportText) {
        append(ok ? Self.infoHead : Self.errorHead)
        append(module)
        append(Self.between)
        appendLabel(item)
        append(ok ? Self.passed : Self.failed)
        append(message)
        if count == capacity { grow(count + 1) }
        base[count] = 0x0A
        count &+= 1
        position += 1
    }

    func endReport() {
        ends.append(count)
        position = 0
    }

    func rollback(toReports reports: Int) {
        ends.removeLast(ends.count - reports)
        count = ends.last ?? 0
        position = 0
    }

    /// Appends the label of the item (`CheckResult.label`).
    private func appendLabel(_ item: ReportText) {
        if position < labels.count, !item.escapedSlashes, Self.equal(labels[position].item, item.bytes) {
            labels[position].label.withUnsafeBufferPointer { append($0) }
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
        label.withUnsafeBufferPointer { append($0) }
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
        precondition(range.upperBound <= count, "lines past what was written")
        return body(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}

/// One report's entry lines in its page's `AgentEntryLines`.
public struct RenderedReportLines: Sendable, Equatable {
    let page: AgentEntryLines
    let range: Range<Int>

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        page.withBytes(range, body)
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
