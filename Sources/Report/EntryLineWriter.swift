/// Takes a line per entry while `EscapedOutputDecoder` reads an output's entries lean, for an output format
/// that prints every entry whole (the fleet's `--format agent`: the platform's lines). The lean model keeps
/// a passing entry's verdict, module and item only, so whatever is printed of it is written here, from the
/// bytes where they lie, while the entry is read; nothing of it is built.
///
/// The decoder calls `entry` for each entry and `endReport` after each report it accepts. When it gives an
/// output up (to the usual reader) it calls `rollback(toReports:)` with the `reportCount` it saw before
/// that output, and the writer forgets what the output wrote.
public protocol EntryLineWriter: AnyObject {
    /// Reports ended so far.
    var reportCount: Int { get }
    /// One entry: its module, item, `status` (the check.py contract's boolean) and message.
    func entry(module: ReportText, item: ReportText, ok: Bool, message: ReportText)
    func endReport()
    /// Forgets every entry written after the `count`th report ended.
    func rollback(toReports count: Int)
}

/// A string of a report as it lies in the escaped output: plain text, except that the page may have
/// escaped a slash (`\/`). Its UTF-8 has been checked.
public struct ReportText {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Whether a `\/` is in `bytes` (the one escape such a string holds).
    public let escapedSlashes: Bool

    /// Appends the string's text.
    @inline(__always) public func append(to out: inout [UInt8]) {
        guard escapedSlashes else {
            out.append(contentsOf: bytes)
            return
        }
        var k = 0
        while k < bytes.count {
            if bytes[k] == 0x5C { k += 1 }
            out.append(bytes[k])
            k += 1
        }
    }
}
