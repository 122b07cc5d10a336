import Report

/// One element of a `script_task_logs` list as the scanner keeps it: its members other than `log_content`,
/// and where its output went.
struct RawHostLog {
    /// The element's host, as `JobAnswer.hostFields` reads it from the element's other members.
    var hostID: Int64?
    var cloudID: Int64
    var ip: String
    var content: Content
    /// As `JobHostLog.cloudText`.
    var cloudText: String? = nil

    enum Content {
        /// A string `log_content`, unescaped into the scan's text buffer at this range.
        case text(Range<Int>)
        /// Any other `log_content` (nil when absent), read as `JobAnswer.parseLogs` reads it.
        case value(JSONValue?)
        /// A string `log_content` already read into reports from its escaped bytes (`EscapedOutputDecoder`):
        /// every line of it one report.
        case reports([DiagnosticReport])
        /// The same, with the reports' entry lines written to the page's `AgentEntryLines` (its reports
        /// `first` and on).
        case rendered([DiagnosticReport], AgentEntryLines, first: Int)
    }
}

/// A JSON document read in one pass, with the host outputs of log pages left as bytes.
///
/// Building a `JSONValue` tree of a log page makes a `String` of every host's `log_content` (a few KiB of
/// escaped JSON each), which is then read again as bytes. The scanner instead unescapes each output
/// straight into one buffer for the page, and keeps everything else as a tree (`skeleton`) so that
/// `JobAnswer.recognise` judges the document exactly as before. The captured lists are those that
/// `recognise` can read: the `script_task_logs` member at the top level, and the one in the top-level
/// `data` object; in the skeleton they are empty lists. A repeated member counts with its last value,
/// as in `JSONValue.parse` (and Python's `json`), so what is captured is the last occurrence's.
struct ScannedDocument {
    var skeleton: JSONValue
    /// Rows of status answers' `step_ip_result_list` lists, read by the scan (see `LogPageScanner.stepList`).
    var capturedRows: [[JobHostStatus]] = []
    var topLogs: [RawHostLog]?
    var dataLogs: [RawHostLog]?
    /// The unescaped outputs of the captured hosts, back to back.
    var text: [UInt8]
    /// Status rows found again as remembered (`RowShapes`; for the tests).
    var rowShapeHits = 0

    /// How outputs are read while scanning: when given, each string `log_content` is first offered to
    /// `EscapedOutputDecoder` (read once, where it lies); the outputs it leaves are unescaped as without.
    struct InlineReading {
        var keepEvidence: Bool
        /// See `EscapedOutputDecoder.fullEntries`.
        var fullEntries = true
        var interner: StringInterner
        /// Given (with `fullEntries` and `keepEvidence` false), the entries' lines are written to it.
        var entryLines: AgentEntryLines? = nil
    }

    /// Scans one document (surrounding whitespace allowed); nil when the bytes are not exactly one JSON
    /// text, so the caller can fall back to the reader that explains the error or splits several documents.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, inline: InlineReading? = nil) -> ScannedDocument? {
        var result: (skeleton: JSONValue, top: [RawHostLog]?, data: [RawHostLog]?, rows: [[JobHostStatus]], hits: Int)?
        // Unescaped text is never longer than its escaped form, so the input's size always suffices.
        let text = [UInt8](unsafeUninitializedCapacity: max(1, bytes.count)) { out, used in
            var s = LogPageScanner(
                p: JSONByteParser(b: bytes, maxDepth: AnswerReader.answerMaxDepth), out: out.baseAddress!, capacity: out.count)
            s.inline = inline
            do throws(JSONParseError) {
                let skeleton = try s.document()
                result = (skeleton, s.topLogs, s.dataLogs, s.capturedRows, s.rowShapes?.hits ?? 0)
            } catch {
                result = nil
            }
            used = s.used
        }
        guard let result else { return nil }
        return ScannedDocument(
            skeleton: result.skeleton, capturedRows: result.rows, topLogs: result.top, dataLogs: result.data, text: text,
            rowShapeHits: result.hits)
    }

    /// The captured list `JobAnswer.recognise` read as the page's `script_task_logs`, if it read one.
    func capturedLogs() -> [RawHostLog]? {
        JobAnswer.isWrapped(skeleton) ? dataLogs : topLogs
    }
}

/// The scanning state behind `ScannedDocument.scan`. Depths passed to the parser match those of
/// `JSONValue.parse`, so nesting limits and every syntax error are the same.
struct LogPageScanner {
    var p: JSONByteParser
    let out: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var used = 0
    var topLogs: [RawHostLog]?
    var dataLogs: [RawHostLog]?
    var inline: ScannedDocument.InlineReading?
    /// The rows of every `step_ip_result_list` read by `hostRows`, in the order read.
    var capturedRows: [[JobHostStatus]] = []
    /// The status rows remembered (made by the first `hostRows`).
    var rowShapes: RowShapes?

    init(p: JSONByteParser, out: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.p = p
        self.out = out
        self.capacity = capacity
    }

    var b: UnsafeBufferPointer<UInt8> { p.b }

    mutating func document() throws(JSONParseError) -> JSONValue {
        p.skipSpace()
        let v: JSONValue
        if p.i < b.count, b[p.i] == UInt8(ascii: "{") {
            v = try object(depth: 0, top: true)
        } else {
            v = try p.value(depth: 0)
        }
        p.skipSpace()
        guard p.i == b.count else { throw p.error("unexpected trailing data") }
        return v
    }

    /// An object at the top level (`top`) or a top-level `data` object: like `value(depth:)`, but its
    /// `script_task_logs` list is captured, and at the top its `data` objects are read by this function
    /// too. Each occurrence replaces what an earlier one captured (the last value wins).
    mutating func object(depth: Int, top: Bool) throws(JSONParseError) -> JSONValue {
        if !top { dataLogs = nil }
        return try tree(depth: depth) { s, key throws(JSONParseError) in
            if key == "step_instance_list" { return try s.stepList(depth: depth + 1) }
            if key == "script_task_logs" {
                let logs = try s.logList(depth: depth + 1)
                if top { s.topLogs = logs } else { s.dataLogs = logs }
                return logs != nil ? .array([]) : try s.p.value(depth: depth + 1)
            }
            if top && key == "data" {
                if s.b[s.p.i] == UInt8(ascii: "{") { return try s.object(depth: depth + 1, top: false) }
                s.dataLogs = nil
            }
            return try s.p.value(depth: depth + 1)
        }
    }

    /// The object whose `{` is at `i` as `JSONByteParser.object(depth:)` reads it (names unescaped, the last
    /// value of a repeated name counting), each value read by `value` (positioned at it).
    mutating func tree(depth: Int, _ value: (inout Self, String) throws(JSONParseError) -> JSONValue) throws(JSONParseError) -> JSONValue {
        guard depth < p.maxDepth else { throw p.error("nesting deeper than \(p.maxDepth)") }
        p.i += 1
        var members: [(String, JSONValue)] = []
        p.skipSpace()
        if p.i < b.count, b[p.i] == UInt8(ascii: "}") {
            p.i += 1
            return .object(members)
        }
        while true {
            p.skipSpace()
            guard p.i < b.count, b[p.i] == UInt8(ascii: "\"") else { throw p.error("expected a string key") }
            let key = try p.string()
            guard p.take(UInt8(ascii: ":")) else { throw p.error("expected ':'") }
            p.skipSpace()
            guard p.i < b.count else { throw p.error("unexpected end of input") }
            members.append((key, try value(&self, key)))
            switch p.next(close: UInt8(ascii: "}")) {
            case true?: continue
            case false?: return .object(JSONValue.lastValueWins(members))
            case nil: throw p.error("expected ',' or '}'")
            }
        }
    }

    /// A status answer's `step_instance_list`: as `value(depth:)` reads it, except that each step's
    /// `step_ip_result_list` is read straight into rows (`captured`), its place in the tree holding
    /// `JobAnswer.captureMarker`. Building a tree of every host row only for `parseStatus` to read
    /// eight of its members was most of the time spent on a status answer.
    mutating func stepList(depth: Int) throws(JSONParseError) -> JSONValue {
        guard b[p.i] == UInt8(ascii: "[") else { return try p.value(depth: depth) }
        return .array(
            try elements(depth: depth) { s throws(JSONParseError) in
                if s.p.i < s.b.count, s.b[s.p.i] == UInt8(ascii: "{") { return try s.step(depth: depth + 1) }
                return try s.p.value(depth: depth + 1)
            })
    }

    /// The elements of the list whose `[` is at `i`, each read by `one` (positioned at it), with the
    /// nesting limit and separators of `JSONByteParser.array(depth:)`.
    mutating func elements<Element>(
        depth: Int, bytesPerElement: Int = 0, _ one: (inout Self) throws(JSONParseError) -> Element
    ) throws(JSONParseError) -> [Element] {
        // Never nil: `one` refuses no element.
        try elements(depth: depth, bytesPerElement: bytesPerElement, refusing: { s throws(JSONParseError) -> Element? in try one(&s) })!
    }

    /// The same, where `one` may refuse an element (nil): then the list is not read at all, nil comes
    /// back, and `i` and the text used are where they were.
    ///
    /// `bytesPerElement` (0: none), the fewest bytes an element of a long list is expected to take, reserves
    /// room for as many elements as the rest of the text could hold at that size: a list grown by doubling
    /// is copied and faulted in anew at every step (100,000 status rows: a third of the status answer's
    /// page faults), while room reserved and never reached is never touched.
    mutating func elements<Element>(
        depth: Int, bytesPerElement: Int = 0, refusing one: (inout Self) throws(JSONParseError) -> Element?
    ) throws(JSONParseError) -> [Element]? {
        guard depth < p.maxDepth else { throw p.error("nesting deeper than \(p.maxDepth)") }
        let start = p.i
        let usedBefore = used
        p.i += 1
        var items: [Element] = []
        p.skipSpace()
        if p.i < b.count, b[p.i] == UInt8(ascii: "]") {
            p.i += 1
            return items
        }
        if bytesPerElement > 0 { items.reserveCapacity((b.count - p.i) / bytesPerElement + 1) }
        while true {
            p.skipSpace()
            guard let item = try one(&self) else {
                p.i = start
                used = usedBefore
                return nil
            }
            items.append(consume item)
            switch p.next(close: UInt8(ascii: "]")) {
            case true?: continue
            case false?: return items
            case nil: throw p.error("expected ',' or ']'")
            }
        }
    }

    /// One step object (its `{` at `i`).
    mutating func step(depth: Int) throws(JSONParseError) -> JSONValue {
        try tree(depth: depth) { s, key throws(JSONParseError) in
            guard key == "step_ip_result_list" && s.b[s.p.i] == UInt8(ascii: "[") else { return try s.p.value(depth: depth + 1) }
            let rows = try s.hostRows(depth: depth + 1)
            s.capturedRows.append(rows)
            return JobAnswer.captureMarker(s.capturedRows.count - 1)
        }
    }

    /// A `step_ip_result_list` (its `[` at `i`) as the rows `JobAnswer.parseStatus` makes of it.
    mutating func hostRows(depth: Int) throws(JSONParseError) -> [JobHostStatus] {
        if rowShapes == nil { rowShapes = RowShapes() }
        // A row JOB writes takes 150 bytes or more (ten members or so; the bench's rows 170).
        return try elements(depth: depth, bytesPerElement: 128) { s throws(JSONParseError) in
            if s.p.i < s.b.count, s.b[s.p.i] == UInt8(ascii: "{") { return try s.hostRow(depth: depth + 1) }
            return JobAnswer.hostStatus(HostMembers(try s.p.value(depth: depth + 1)))
        }
    }

    /// One host row (its `{` at `i`): the members `JobAnswer.hostStatus` reads are kept (the last of a
    /// repeated name, as in the tree), the others checked and skipped.
    ///
    /// A row equal to one read before but for digits (`RowShapes`) is taken in one comparison, its kept
    /// members' values read where that row had them; a row read member by member, all of them plain, is
    /// remembered.
    mutating func hostRow(depth: Int) throws(JSONParseError) -> JobHostStatus {
        guard depth < p.maxDepth else { throw p.error("nesting deeper than \(p.maxDepth)") }
        if let shapes = rowShapes, let found = shapes.match(b, at: p.i) {
            p.i &+= found.count
            return JobAnswer.hostStatus(found.members)
        }
        var members = HostMembers()
        var recorder = RowRecorder(active: rowShapes?.remembers ?? false, rowStart: p.i)
        // The notes are written into the shapes' own list, kept from row to row (a list made per row was an
        // allocation per row).
        if recorder.active, let shapes = rowShapes { swap(&recorder.members, &shapes.notes) }
        try forEachMember(keeping: &members, recorder: &recorder) { s, members, name throws(JSONParseError) in
            if try !members.keep(name, { () throws(JSONParseError) in try s.p.value(depth: depth + 1) }) {
                try s.p.skipValue(depth: depth + 1)
            }
        }
        if recorder.active, let shapes = rowShapes {
            if recorder.plain { shapes.remember(UnsafeBufferPointer(rebasing: b[recorder.rowStart..<p.i]), recorder.members) }
            recorder.members.removeAll(keepingCapacity: true)
            swap(&recorder.members, &shapes.notes)
        }
        return JobAnswer.hostStatus(members)
    }

    /// A list of host objects; nil (nothing consumed) when it is not a list or holds anything but objects.
    mutating func logList(depth: Int) throws(JSONParseError) -> [RawHostLog]? {
        guard b[p.i] == UInt8(ascii: "["), depth + 1 < p.maxDepth else { return nil }
        return try elements(
            depth: depth,
            refusing: { s throws(JSONParseError) -> RawHostLog? in
                guard s.p.i < s.b.count, s.b[s.p.i] == UInt8(ascii: "{") else { return nil }
                return try s.hostLog(depth: depth + 1)
            })
    }

    /// Walks the members of the host object whose `{` is at `i`, checking names and separators as
    /// `JSONByteParser.object(depth:)` does. A member of the plain shape JOB writes is read by `plainMember`
    /// (a kept one into `members`); `member` reads or skips the value of any other (positioned at it).
    /// With `recorder` active, the kept plain members' values are noted (`RowShapes`), and whether every
    /// member was plain.
    mutating func forEachMember(
        keeping members: inout HostMembers, recorder: inout RowRecorder,
        _ member: (inout Self, inout HostMembers, JSONKey) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        p.i += 1
        p.skipSpace()
        if p.i < b.count, b[p.i] == UInt8(ascii: "}") {
            p.i += 1
            return
        }
        while true {
            if let ended = plainMember(into: &members, recorder: &recorder) {
                if ended { return }
                continue
            }
            recorder.plain = false
            guard let name = try p.memberName() else { throw p.error("expected a string key") }
            guard p.i < b.count else { throw p.error("unexpected end of input") }
            try member(&self, &members, name)
            switch p.next(close: UInt8(ascii: "}")) {
            case true?: continue
            case false?: return
            case nil: throw p.error("expected ',' or '}'")
            }
        }
    }

    /// The member at `i` (spaces first) and the `,` or `}` after it, when all of it has the plain shape JOB
    /// writes: an ASCII name without escapes, and a value that is an unsigned integer of at most 18 digits
    /// (no fraction or exponent), an ASCII string without escapes, or a literal. A kept member's value goes
    /// into `members` as `JSONByteParser.value` makes it; any other is checked and dropped. Gives whether
    /// the object ended there.
    ///
    /// nil, nothing consumed, for anything else and for `log_content` (read on its own): the general reader
    /// then reads that member, and words any error where it does. 100,000 status rows of ten members went
    /// through the general reader's name, value and tree one member at a time.
    @inline(__always) mutating func plainMember(into members: inout HostMembers, recorder: inout RowRecorder) -> Bool? {
        let n = b.count
        guard let base = b.baseAddress else { return nil }
        @inline(__always) func space(_ k: inout Int) {
            while k < n, base[k] == 0x20 || base[k] == 0x0A || base[k] == 0x0D || base[k] == 0x09 { k &+= 1 }
        }
        // Past a run of ASCII string text (no quote, backslash or control character), eight bytes at a time.
        @inline(__always) func plainText(_ k: inout Int) {
            JSONByteParser.skipPlainWords(UnsafeRawPointer(base), &k, n, nonASCII: true)
            while k < n, base[k] &- 0x20 < 0x60, base[k] != 0x22, base[k] != 0x5C { k &+= 1 }
        }
        var k = p.i
        space(&k)
        guard k < n, base[k] == 0x22 else { return nil }
        k &+= 1
        let nameStart = k
        plainText(&k)
        guard k < n, base[k] == 0x22 else { return nil }
        let name = UnsafeBufferPointer(start: base + nameStart, count: k &- nameStart)
        k &+= 1
        space(&k)
        guard k < n, base[k] == UInt8(ascii: ":") else { return nil }
        k &+= 1
        space(&k)
        let field = HostMembers.Field(name)
        if field == nil && HostMembers.Field.isLogContent(name) { return nil }
        guard k < n else { return nil }
        var value = JSONValue.null
        var kind = RowShapes.Kind.null
        let start: Int
        var end = 0
        switch base[k] {
        case 0x22:
            k &+= 1
            start = k
            plainText(&k)
            guard k < n, base[k] == 0x22 else { return nil }
            if field != nil {
                value = .string(String(decoding: UnsafeBufferPointer(start: base + start, count: k &- start), as: UTF8.self))
            }
            kind = .string
            end = k
            k &+= 1
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            start = k
            kind = .int
            var v: Int64 = 0
            if base[k] == UInt8(ascii: "0") {
                k &+= 1
            } else {
                while k < n, base[k] &- 0x30 < 10 {
                    v = v &* 10 &+ Int64(base[k] &- 0x30)
                    k &+= 1
                }
            }
            // More digits than fit are the general reader's; so are a fraction, an exponent and a leading
            // zero, as no `,` or `}` follows where the digits end.
            guard k &- start <= 18 else { return nil }
            value = .int(v)
            end = k
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            start = k
            let rest = UnsafeBufferPointer(start: base + k, count: min(5, n &- k))
            if rest.starts(with: "true".utf8) {
                value = .bool(true)
                kind = .yes
                k &+= 4
            } else if rest.starts(with: "false".utf8) {
                value = .bool(false)
                kind = .no
                k &+= 5
            } else if rest.starts(with: "null".utf8) {
                k &+= 4
            } else {
                return nil
            }
        default:
            return nil
        }
        space(&k)
        guard k < n else { return nil }
        let ended: Bool
        switch base[k] {
        case UInt8(ascii: ","): ended = false
        case UInt8(ascii: "}"): ended = true
        default: return nil
        }
        if let field {
            members.set(field, value)
            if recorder.active {
                recorder.members.append(
                    RowShapes.Member(field: field, kind: kind, start: Int32(start &- recorder.rowStart), count: Int32(max(0, end &- start)))
                )
            }
        }
        p.i = k &+ 1
        return ended
    }

    /// A host's `log_content` (positioned at it): a string is read where it lies when the scan reads
    /// outputs inline and `EscapedOutputDecoder` takes it, else unescaped into the buffer; any other value
    /// is kept as a tree.
    mutating func logContent(depth: Int) throws(JSONParseError) -> RawHostLog.Content {
        guard b[p.i] == UInt8(ascii: "\"") else { return .value(try p.value(depth: depth)) }
        if let inline {
            let first = inline.entryLines?.reportCount
            if let read = EscapedOutputDecoder.decode(
                b, openingQuote: p.i, keepEvidence: inline.keepEvidence, fullEntries: inline.fullEntries,
                interner: inline.interner, entryLines: inline.entryLines)
            {
                if let lines = inline.entryLines, let first, lines.json, read.reports.count > 1 {
                    // The JSON's results of a host printing several reports merge them (`HostResult.results`):
                    // its reports are read whole, their entries' text dropped.
                    lines.rollback(toReports: first)
                    if let whole = EscapedOutputDecoder.decode(
                        b, openingQuote: p.i, keepEvidence: inline.keepEvidence, fullEntries: true, interner: inline.interner)
                    {
                        p.i = whole.closingQuote + 1
                        return .reports(whole.reports)
                    }
                } else {
                    p.i = read.closingQuote + 1
                    if let lines = inline.entryLines, let first { return .rendered(read.reports, lines, first: first) }
                    return .reports(read.reports)
                }
            }
        }
        let n = try p.string(into: out + used, capacity: capacity - used)
        defer { used += n }
        return .text(used..<(used + n))
    }

    /// One host object; its `log_content` is kept aside (a string is unescaped into the buffer). When the
    /// name repeats the last one counts, as in `JSONValue.parse`; an earlier one's text stays unused in
    /// the buffer.
    mutating func hostLog(depth: Int) throws(JSONParseError) -> RawHostLog {
        // The members `JobAnswer.hostFields` reads (the last of a repeated name, as in the tree); the
        // others are checked and skipped.
        var members = HostMembers()
        var content: RawHostLog.Content?
        var recorder = RowRecorder(active: false, rowStart: p.i)
        try forEachMember(keeping: &members, recorder: &recorder) { s, members, name throws(JSONParseError) in
            if case "log_content" = name {
                content = try s.logContent(depth: depth + 1)
            } else if try !members.keep(name, { () throws(JSONParseError) in try s.p.value(depth: depth + 1) }) {
                try s.p.skipValue(depth: depth + 1)
            }
        }
        let host = JobAnswer.hostFields(members)
        return RawHostLog(
            hostID: host.hostID, cloudID: host.cloudID, ip: host.ip, content: content ?? .value(nil), cloudText: host.cloudText)
    }
}

/// What `plainMember` noted of a status row while reading it: each kept member's value, where it lies from the
/// row's `{`, and whether every member was plain.
struct RowRecorder {
    var active: Bool
    var rowStart: Int
    var plain = true
    var members: [RowShapes.Member] = []
}

/// Status rows read before (`LogPageScanner.hostRow`), found again. JOB writes every row of a step in one
/// shape, ten members or so, and rows differ mostly in their numbers: a host's id, its address, its status
/// and codes. A row whose bytes equal a remembered row's but for digits (`EntryShapes.sameButDigits`: digit
/// for digit, never a zero that could start a number) is valid JSON of the same members, and each kept
/// member's value lies where the remembered row's did, as many bytes long: it is read there (an integer's
/// digits, a string's text), and the rest of the row is not read again. Only rows whose every member was
/// plain (`plainMember`) are remembered, so a found row's members are all plain too.
final class RowShapes {
    /// Ways kept: a step's rows come in a few shapes (addresses and ids of a few lengths).
    static let ways = 4
    static let maxBytes = 512
    /// The most kept members a remembered row has (a row names each at most once, but may repeat names).
    static let maxMembers = 16

    enum Kind {
        /// A plain integer's digits.
        case int
        /// A plain string's text.
        case string
        /// `null`, `true` or `false`, the same in every row of the shape.
        case null, yes, no
    }

    struct Member {
        var field: HostMembers.Field
        var kind: Kind
        var start: Int32
        var count: Int32
    }

    /// Per way: the row's bytes (`maxBytes` each) and length (0: none), its kept members (`maxMembers` each)
    /// and how many. Raw storage: a row is matched without copying a shape or counting references.
    private let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: RowShapes.ways * RowShapes.maxBytes)
    private let counts = UnsafeMutablePointer<Int>.allocate(capacity: RowShapes.ways)
    private let members = UnsafeMutablePointer<Member>.allocate(capacity: RowShapes.ways * RowShapes.maxMembers)
    private let memberCounts = UnsafeMutablePointer<Int>.allocate(capacity: RowShapes.ways)
    private var next = 0
    /// Rows found again (for the tests).
    private(set) var hits = 0
    /// As `EntryShapes.Runs.misses`: once misses outweigh hits (`EntryShapes.tries`, a hit paying for
    /// `EntryShapes.hitCredit` misses), rows are neither compared nor noted and remembered (rows whose addresses
    /// come in many lengths) until 255 have gone by, then a few are tried again.
    private var misses = 0

    /// Whether a row read now would be remembered.
    var remembers: Bool { misses < Int(EntryShapes.tries) }
    /// The list a row's notes are written into (`RowRecorder.members`), lent to each row read.
    var notes: [Member] = []

    init() {
        counts.initialize(repeating: 0, count: Self.ways)
        memberCounts.initialize(repeating: 0, count: Self.ways)
    }

    deinit {
        bytes.deallocate()
        counts.deallocate()
        members.deallocate()
        memberCounts.deallocate()
    }

    /// The members of the row at `at` of `b` and its length, when it equals a remembered row but for digits.
    func match(_ b: UnsafeBufferPointer<UInt8>, at: Int) -> (members: HostMembers, count: Int)? {
        guard let base = b.baseAddress else { return nil }
        if misses >= Int(EntryShapes.tries) {
            if misses < 255 {
                misses &+= 1
                return nil
            }
            misses = Int(EntryShapes.tries &- EntryShapes.retries)
        }
        let room = b.count &- at
        for way in 0..<Self.ways {
            let n = counts[way]
            guard n > 0, n <= room, EntryShapes.sameButDigits(base + at, bytes + way &* Self.maxBytes, n) else { continue }
            var found = HostMembers()
            let first = members + way &* Self.maxMembers
            for j in 0..<memberCounts[way] {
                let m = first[j]
                let value = UnsafeBufferPointer(start: base + (at &+ Int(m.start)), count: Int(m.count))
                switch m.kind {
                case .int:
                    var v: Int64 = 0
                    for d in value { v = v &* 10 &+ Int64(d &- 0x30) }
                    found.set(m.field, .int(v))
                case .string: found.set(m.field, .string(String(decoding: value, as: UTF8.self)))
                case .null: found.set(m.field, .null)
                case .yes: found.set(m.field, .bool(true))
                case .no: found.set(m.field, .bool(false))
                }
            }
            hits &+= 1
            misses = max(0, misses &- EntryShapes.hitCredit)
            return (found, n)
        }
        misses &+= 1
        return nil
    }

    /// Remembers a row read member by member, every member plain, with its kept members.
    func remember(_ row: UnsafeBufferPointer<UInt8>, _ kept: [Member]) {
        guard remembers, row.count > 0, row.count <= Self.maxBytes, kept.count <= Self.maxMembers, let from = row.baseAddress else {
            return
        }
        let way = next
        next = (next &+ 1) % Self.ways
        (bytes + way &* Self.maxBytes).update(from: from, count: row.count)
        counts[way] = row.count
        for (j, m) in kept.enumerated() { (members + way &* Self.maxMembers + j).initialize(to: m) }
        memberCounts[way] = kept.count
    }
}
