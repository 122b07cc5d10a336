/// Takes a line per entry while `EscapedOutputDecoder` reads an output's entries lean, for an output format
/// that prints every entry whole (the fleet's `--format agent`: the platform's lines; its JSON: each entry's
/// members). The lean model keeps a passing entry's verdict, module and item only, so whatever is printed of
/// it is written here, from the bytes where they lie, while the entry is read; nothing of it is built.
///
/// The decoder calls `entry` for each entry and `endReport` after each report it accepts. When it gives an
/// output up (to the usual reader) it calls `rollback(toReports:)` with the `reportCount` it saw before
/// that output, and the writer forgets what the output wrote.
public protocol EntryLineWriter: AnyObject {
    /// Reports ended so far.
    var reportCount: Int { get }
    /// Whether `entry` is given each entry's `duration_ms` (read only then).
    var wantsDurations: Bool { get }
    /// One entry: its module, item, verdict (`compatStatus` is the check.py contract's boolean), message,
    /// hint (nil when absent or not a string: the model's empty hint), and `duration_ms` (nil when absent or
    /// not a number the model reads, and unless `wantsDurations`). `head` is the number of the entry's head
    /// as `EntryShapes` remembered it (0 for none): entries given the same number have the same module and
    /// item, byte for byte.
    func entry(
        module: ReportText, item: ReportText, verdict: Verdict, message: ReportText, hint: ReportText?, duration: ReportDuration?,
        head: UInt64)
    func endReport()
    /// Forgets every entry written after the `count`th report ended.
    func rollback(toReports count: Int)
}

/// An entry's `duration_ms` as the decoder hands it on: a plain JSON number's text, not parsed (most
/// writers print it without needing its value), or the value the model reads from anything else.
public enum ReportDuration {
    /// A number spelt as JSON spells one (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), its integer part
    /// at most 64 digits.
    case text(UnsafeBufferPointer<UInt8>)
    /// `JSONValue.doubleValue` of the value read whole.
    case value(Double)
    /// A plain decimal's text as the fleet JSON prints its value (`EscapedOutputDecoder.pastDuration`: at
    /// most 12 integer and 3 fraction digits, the fraction's trailing zeros and a negative zero's sign left
    /// out): the same value, written as it is.
    case printed(UnsafeBufferPointer<UInt8>)

    /// The duration as the model reads it (`JSONValue.doubleValue`: nil when not finite). A number's text
    /// gives the double nearest to it, as the parser does (an integer's too, through `Int64` or past it),
    /// except that `-0` gives -0.0 where the parser's integer 0 gives 0.0; both print `0` as a duration.
    public var milliseconds: Double? {
        switch self {
        case .value(let d): return d
        case .text(let t), .printed(let t): return Double(String(decoding: t, as: UTF8.self)).flatMap { $0.isFinite ? $0 : nil }
        }
    }
}

/// A string of a report as it lies in the escaped output: plain text, except that the page may have
/// escaped a slash (`\/`). Its UTF-8 has been checked.
public struct ReportText {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Whether a `\/` is in `bytes` (the one escape such a string holds).
    public let escapedSlashes: Bool
    /// Whether every byte is ASCII (false when not known).
    public let ascii: Bool

    public init(bytes: UnsafeBufferPointer<UInt8>, escapedSlashes: Bool, ascii: Bool = false) {
        self.bytes = bytes
        self.escapedSlashes = escapedSlashes
        self.ascii = ascii
    }

    /// Whether the text goes between a JSON string's quotes as it is: ASCII, no slash escaped by the page,
    /// and no DEL (which `JSONByteWriter` writes `\u007f`); a plain string holds no quote, backslash or
    /// control character. For an ASCII byte, adding one sets the high bit only for DEL, so a word of eight
    /// is checked with an addition.
    @inlinable @inline(__always) public var isPlainJSON: Bool {
        guard ascii && !escapedSlashes, let base = bytes.baseAddress else { return ascii && !escapedSlashes }
        let raw = UnsafeRawPointer(base)
        let n = bytes.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        var k = 0
        while k &+ 8 <= n {
            if (raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) &+ ones) & 0x8080_8080_8080_8080 != 0 { return false }
            k &+= 8
        }
        if k < n && n >= 8 {
            return (raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) &+ ones) & 0x8080_8080_8080_8080 == 0
        }
        while k < n {
            if base[k] == 0x7F { return false }
            k &+= 1
        }
        return true
    }

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
