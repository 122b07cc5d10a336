import Foundation
import Report

/// The platform's entry lines of a log page's reports, written while the page is read (`--format agent`):
/// `[info] [agent checker] [<module>] [<label>] [成功] <message>` (`[error]` and `[失败]` for a failing
/// entry), with where each report's lines end. A host's report then keeps a lean model and its place here
/// (`HostLine.reportRendered`), and the output writes the lines out (`RenderedReportLines.write(into:)`).
///
/// With `json`, what is written for each report is instead its entries as the fleet JSON's `results`
/// members (`FleetReport.writeResult`: module, item, status, message, result, label, hint, an empty
/// evidence, duration), separated by commas, for a JSON output whose reports are read lean.
///
/// The lines are held until every page is read (the platform's last log of a host wins), so they are held
/// small: what an entry's line shares with every entry of the same module, item and verdict (the head,
/// the module, the label and the verdict's mark; with `json`, every member but the message, the hint and
/// the duration) is kept once per page as a template, and each entry keeps its template's number and its
/// own texts. Held whole, 100,000 hosts' lines were 150 MB (the JSON's results 240 MB), each page of it
/// faulted in once to be written and read once; held this way they are about half of that.
///
/// Written by the one thread that scans the page, only read afterwards (by any number of threads): the
/// runtime's exclusivity checks on a class's stored properties (a thread-local access set, entered and
/// left around each of the dozen accesses per line) are turned off for it, as they cost more than the
/// writing itself.
final class AgentEntryLines: EntryLineWriter, @unchecked Sendable {
    /// The entries, back to back. Each is its template's number and its message's length (four bytes
    /// each, little-endian) and the message's bytes as printed; with `json`, the message's bytes as they go
    /// between a JSON string's quotes, then the hint's length and bytes the same way (empty when there is
    /// none) and its duration's length (one byte, 0 for none) and text. A message equal to one held before
    /// in the page is held as a reference instead: its length's high bit set, the other bits the offset
    /// of the earlier message's length (`messageReference`).
    @exclusivity(unchecked) private var out: OwnedBytes
    /// Where the message of the previous entry, and of the last entry at each position, was held in full
    /// (the offset of its length; -1 for none): a host's checks and the same check of the hosts before it
    /// often print the same text.
    @exclusivity(unchecked) private var previousMessage = -1
    @exclusivity(unchecked) private var messageAtPosition: [Int] = []
    private static let reference: UInt32 = 1 << 31
    /// The end in `out` of each report's entries.
    @exclusivity(unchecked) private var ends: [Int] = []
    /// The bytes each report's lines print (what `write` writes), counted as they are held: the output makes
    /// room for a report's lines before writing them, and counting them there was a second pass over them.
    @exclusivity(unchecked) private var printed: [Int] = []
    /// The bytes the current report's lines print so far.
    @exclusivity(unchecked) private var printing = 0
    /// The templates' bytes, back to back: template `t`'s head (what comes before the message) is
    /// `templateBytes[templateStarts[2t]..<templateStarts[2t + 1]]`, and with `json` its middle (after the
    /// message, before the hint) runs on to `templateStarts[2t + 2]`.
    @exclusivity(unchecked) private var templateBytes: [UInt8] = []
    @exclusivity(unchecked) private var templateStarts: [Int] = [0]
    /// With `json`, the runs of template `t` as the output writes them, fewer and longer: a comma and the
    /// head (`jsonBytes[jsonRuns[4t]..<jsonRuns[4t + 1]]`, the head alone from one byte on), the middle
    /// followed by the members after an empty hint with a duration (`jsonRuns[4t + 1]..<jsonRuns[4t + 2]`) and
    /// without one (`jsonRuns[4t + 2]..<jsonRuns[4t + 3]`, whose start is the middle alone). Most entries
    /// print an empty hint: they are written in four runs and their message and duration, not seven.
    @exclusivity(unchecked) private var jsonBytes: [UInt8] = []
    @exclusivity(unchecked) private var jsonRuns: [Int] = []
    /// Each template's number by its key: the verdict's byte, the module's bytes, a zero byte (no plain
    /// string holds one) and the item's bytes, as they lie in the page.
    @exclusivity(unchecked) private var templateNumbers: [TemplateKey: UInt32] = [:]
    /// The templates used last at each entry position (`recentWays` of them, from `recentWays * position`),
    /// with their module, item and verdict: hosts list the same items in the same order, and a position
    /// sees few of them (a check passing or failing; check.py's four items beside bkdiag's), so most
    /// entries' keys are compared in place, not built and hashed.
    @exclusivity(unchecked) private var recent: [(module: [UInt8], item: [UInt8], verdict: Verdict, template: UInt32)] = []
    /// The way of each position's templates that the next new one takes.
    @exclusivity(unchecked) private var recentNext: [UInt8] = []
    private static let recentWays = 4
    private static let recentPositions = 1024
    /// The templates of the heads seen last (`EntryShapes.Head.id`), with the verdict each was found for, by the
    /// head's number modulo `headSlots`: most entries are found this way, without comparing their texts.
    private static let headSlots = 64
    @exclusivity(unchecked) private var headIDs = [UInt64](repeating: 0, count: AgentEntryLines.headSlots)
    @exclusivity(unchecked) private var headVerdicts = [Verdict](repeating: .unknown, count: AgentEntryLines.headSlots)
    @exclusivity(unchecked) private var headTemplates = [UInt32](repeating: 0, count: AgentEntryLines.headSlots)
    @exclusivity(unchecked) private var position = 0
    /// The most templates kept: past them (a page of made-up module and item names) an entry is held whole,
    /// its template's number `literal`, its "message" the whole line.
    let templateLimit: Int
    static let literal = UInt32.max
    /// Entries written as the fleet JSON's results, not as the platform's lines.
    let json: Bool
    /// With `json`: the last duration's text, made as the JSON renderer makes it.
    @exclusivity(unchecked) private var durations = HostJSONCache()

    private static let infoHead: StaticString = "[info] [agent checker] ["
    private static let errorHead: StaticString = "[error] [agent checker] ["
    private static let between: StaticString = "] ["
    private static let passed: StaticString = "] [成功] "
    private static let failed: StaticString = "] [失败] "
    /// With `json`: what follows an entry's hint, without and with a duration.
    private static let evidenceEnd: StaticString = "\",\"evidence\":{}}"
    private static let evidenceDuration: StaticString = "\",\"evidence\":{},\"duration_ms\":"

    var reportCount: Int { ends.count }

    /// The lines written so far, as the output prints them.
    var bytes: [UInt8] {
        var text: [UInt8] = []
        for k in ends.indices { report(k).write(into: &text) }
        return text
    }

    /// The bytes held for the lines (what `bytes` prints is larger).
    var heldCount: Int { out.count + templateBytes.count + jsonBytes.count }

    /// `capacity`: the bytes expected (a hint; growing past it is only slower). With `arena`, the entries are
    /// written at its end (see `ByteArena`), and `seal(in:)` ends the writing.
    init(capacity: Int = 0, json: Bool = false, templateLimit: Int = 1 << 16, arena: ByteArena? = nil) {
        out = arena.map { OwnedBytes(arena: $0, capacity: max(256, capacity)) } ?? OwnedBytes(capacity: max(256, capacity))
        self.json = json
        self.templateLimit = max(0, min(templateLimit, Int(Self.literal)))
    }

    var wantsDurations: Bool { json }

    /// Ends the writing into `arena` (given to `init`): every report's lines are written.
    func seal(in arena: ByteArena) {
        out.seal(in: arena)
        messageAtPosition = []
    }

    /// A report's string as it lies in the output (`ReportText`): a page-escaped slash written as a slash.
    @inline(__always) private static func append(_ t: ReportText, to out: inout OwnedBytes) {
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

    /// A report's string as it goes between a JSON string's quotes, escaped as `JSONByteWriter.string`
    /// escapes the text.
    @inline(__always) private static func appendEscaped(_ t: ReportText, to out: inout OwnedBytes) {
        if t.isPlainJSON {
            out.append(t.bytes)
        } else if t.escapedSlashes {
            var text: [UInt8] = []
            t.append(to: &text)
            text.withUnsafeBufferPointer { JSONByteWriter.escape($0, into: &out) }
        } else {
            JSONByteWriter.escape(t.bytes, into: &out)
        }
    }

    func entry(
        module: ReportText, item: ReportText, verdict: Verdict, message: ReportText, hint: ReportText?, duration: ReportDuration?,
        head: UInt64 = 0
    ) {
        let number = template(module: module, item: item, verdict: verdict, head: head)
        guard number != Self.literal else {
            return wholeEntry(module: module, item: item, verdict: verdict, message: message, hint: hint, duration: duration)
        }
        out.appendUInt32(number)
        let at = out.count
        let t = Int(number) &* 2
        // What the template prints around the texts: its head, and with `json` its middle.
        printing &+= templateStarts[t &+ (json ? 2 : 1)] &- templateStarts[t]
        // The message, as a reference when held before, else in full. Held as it prints: no slash the page
        // escaped, and with `json` nothing to escape (checked once, for both).
        let asPrinted = json ? message.isPlainJSON : !message.escapedSlashes
        let messageLength: Int
        if asPrinted, let held = messageReference(message) {
            messageLength = held
        } else {
            out.appendUInt32(0)
            if asPrinted {
                out.append(message.bytes)
            } else if json {
                Self.appendEscaped(message, to: &out)
            } else {
                Self.append(message, to: &out)
            }
            messageLength = setLength(at: at)
            rememberMessage(at: at)
        }
        if json {
            // The message, and a comma before every entry of the report but its first.
            printing &+= messageLength &+ (position > 0 ? 1 : 0)
            let hintAt = out.count
            out.appendUInt32(0)
            if let hint { Self.appendEscaped(hint, to: &out) }
            printing &+= setLength(at: hintAt)
            // A plain number's text (most durations), written without the cache's closure: as the decoder found
            // it printed, or as `plainDuration` finds it.
            if case .printed(let t)? = duration {
                out.append(UInt8(t.count))
                out.append(t)
                printing &+= Self.evidenceDuration.utf8CodeUnitCount &+ t.count &+ 1
                position += 1
                return
            }
            if case .text(let t)? = duration, let plain = HostJSONCache.plainDuration(t) {
                out.append(UInt8(plain.count))
                out.append(UnsafeBufferPointer(rebasing: t[plain]))
                printing &+= Self.evidenceDuration.utf8CodeUnitCount &+ plain.count &+ 1
                position += 1
                return
            }
            let written =
                duration.map { d in
                    durations.duration(d) { text in
                        // A double's shortest text is at most 24 bytes, a plain one's at most 17.
                        precondition(text.count < 256, "a duration's text past one length byte")
                        out.append(UInt8(text.count))
                        out.append(text)
                        printing &+= Self.evidenceDuration.utf8CodeUnitCount &+ text.count &+ 1
                    }
                } ?? false
            if !written {
                out.append(0)
                printing &+= Self.evidenceEnd.utf8CodeUnitCount
            }
        } else {
            // The message and the newline.
            printing &+= messageLength &+ 1
        }
        position += 1
    }

    /// When `message`, held as it prints, equals the previous entry's message or the last one at this
    /// position, held in full, a reference to that one is appended and the message's length given; nil,
    /// nothing appended, otherwise. The bytes are compared where they lie, so a candidate left over from
    /// entries rolled back is taken only when the bytes there are the same message (which then stay: rolling
    /// back to before them rolls this entry back too).
    @inline(__always) private func messageReference(_ message: ReportText) -> Int? {
        let n = message.bytes.count
        guard n >= 8, let bytes = message.bytes.baseAddress else { return nil }
        @inline(__always) func holds(_ candidate: Int) -> Bool {
            guard candidate >= 0 && candidate &+ 4 &+ n <= out.count else { return false }
            return out.withBytes(candidate..<(candidate &+ 4 &+ n)) { held in
                let raw = UnsafeRawPointer(held.baseAddress!)
                return UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) == UInt32(n) && memcmp(raw + 4, bytes, n) == 0
            }
        }
        var candidate = previousMessage
        if !holds(candidate) {
            candidate = position < messageAtPosition.count ? messageAtPosition[position] : -1
            guard holds(candidate) else { return nil }
        }
        precondition(candidate < Int(Self.reference), "a page's lines past 2 GiB")
        out.appendUInt32(Self.reference | UInt32(candidate))
        return n
    }

    /// Remembers the message held in full at `at` (its length's offset) as the previous one and this
    /// position's.
    @inline(__always) private func rememberMessage(at: Int) {
        previousMessage = at
        if position >= messageAtPosition.count {
            messageAtPosition.append(contentsOf: repeatElement(-1, count: position + 1 - messageAtPosition.count))
        }
        messageAtPosition[position] = at
    }

    /// An entry held whole (past `templateLimit`): number `literal`, then the line (without its newline) or
    /// the JSON result, as one text.
    private func wholeEntry(
        module: ReportText, item: ReportText, verdict: Verdict, message: ReportText, hint: ReportText?, duration: ReportDuration?
    ) {
        out.appendUInt32(Self.literal)
        let at = out.count
        out.appendUInt32(0)
        defer { position += 1 }
        let parts = templateParts(module: module, item: item, verdict: verdict)
        parts.head.withUnsafeBufferPointer { out.append($0) }
        if json {
            Self.appendEscaped(message, to: &out)
            parts.middle.withUnsafeBufferPointer { out.append($0) }
            if let hint { Self.appendEscaped(hint, to: &out) }
            // The duration's member is written once its text is known (none when the model reads none).
            let withDuration =
                duration.map { d in
                    durations.duration(d) { text in
                        out.append(Self.evidenceDuration)
                        out.append(text)
                        out.append(UInt8(ascii: "}"))
                    }
                } ?? false
            if !withDuration { out.append(Self.evidenceEnd) }
        } else {
            Self.append(message, to: &out)
        }
        // The text held, then a comma before every JSON entry of the report but its first, or a newline.
        printing &+= setLength(at: at) &+ (json ? (position > 0 ? 1 : 0) : 1)
    }

    /// Writes the length of what follows the four bytes at `at` into them, and gives it.
    @discardableResult @inline(__always) private func setLength(at: Int) -> Int {
        let length = out.count &- at &- 4
        precondition(length <= Int(UInt32.max), "a text of 4 GiB")
        out.setUInt32(UInt32(truncatingIfNeeded: length), at: at)
        return length
    }

    /// The number of the template of an entry of `module`, `item` and `verdict`, made the first time.
    @inline(__always) private func template(module: ReportText, item: ReportText, verdict: Verdict, head: UInt64) -> UInt32 {
        // An entry of a head seen before (same module and item bytes) with the same verdict: its template, known
        // without comparing the texts.
        let shape = Int(truncatingIfNeeded: head) & (Self.headSlots - 1)
        if head != 0 && headIDs[shape] == head && headVerdicts[shape] == verdict { return headTemplates[shape] }
        let number = templateByTexts(module: module, item: item, verdict: verdict)
        if head != 0 && number != Self.literal {
            headIDs[shape] = head
            headVerdicts[shape] = verdict
            headTemplates[shape] = number
        }
        return number
    }

    /// The template of an entry of `module`, `item` and `verdict`, found by its texts.
    @inline(__always) private func templateByTexts(module: ReportText, item: ReportText, verdict: Verdict) -> UInt32 {
        // Positions past `recentPositions` (a report of thousands of entries) look in the table only.
        let cached = position < Self.recentPositions
        let first = position &* Self.recentWays
        if cached && first < recent.count {
            for way in first..<(first &+ Self.recentWays)
            where recent[way].verdict == verdict && Self.equal(recent[way].item, item.bytes)
                && Self.equal(recent[way].module, module.bytes)
            {
                return recent[way].template
            }
        }
        var bytes: [UInt8] = [EscapedOutputDecoder.keyCode(verdict)]
        bytes.append(contentsOf: module.bytes)
        bytes.append(0)
        bytes.append(contentsOf: item.bytes)
        let key = TemplateKey(bytes: bytes)
        let number: UInt32
        if let known = templateNumbers[key] {
            number = known
        } else if templateNumbers.count >= templateLimit {
            return Self.literal
        } else {
            number = UInt32(templateNumbers.count)
            templateNumbers[key] = number
            let parts = templateParts(module: module, item: item, verdict: verdict)
            templateBytes.append(contentsOf: parts.head)
            templateStarts.append(templateBytes.count)
            templateBytes.append(contentsOf: parts.middle)
            templateStarts.append(templateBytes.count)
            if json {
                jsonRuns.append(jsonBytes.count)
                jsonBytes.append(UInt8(ascii: ","))
                jsonBytes.append(contentsOf: parts.head)
                jsonRuns.append(jsonBytes.count)
                jsonBytes.append(contentsOf: parts.middle)
                jsonBytes.append(contentsOf: Self.buffer(Self.evidenceDuration))
                jsonRuns.append(jsonBytes.count)
                jsonBytes.append(contentsOf: parts.middle)
                jsonBytes.append(contentsOf: Self.buffer(Self.evidenceEnd))
                jsonRuns.append(jsonBytes.count)
            }
        }
        guard cached else { return number }
        if first >= recent.count {
            // Empty ways hold `literal`: an entry one matches (empty module and item, unknown) is held whole,
            // which prints the same.
            recent.append(
                contentsOf: repeatElement(
                    (module: [UInt8](), item: [UInt8](), verdict: Verdict.unknown, template: Self.literal),
                    count: first + Self.recentWays - recent.count))
            recentNext.append(contentsOf: repeatElement(0, count: position + 1 - recentNext.count))
        }
        let way = Int(recentNext[position])
        recentNext[position] = UInt8((way + 1) % Self.recentWays)
        recent[first + way] = (Array(module.bytes), Array(item.bytes), verdict, number)
        return number
    }

    /// A template: the line's head up to the message, and with `json` the members between the message and
    /// the hint (empty without).
    private func templateParts(module: ReportText, item: ReportText, verdict: Verdict) -> (head: [UInt8], middle: [UInt8]) {
        var name: [UInt8] = []
        item.append(to: &name)
        let itemName = String(decoding: name, as: UTF8.self)
        let ok = verdict.compatStatus
        var part = OwnedBytes(capacity: 256)
        if json {
            part.append("{\"module\":\"")
            Self.appendEscaped(module, to: &part)
            part.append("\",\"item\":\"")
            Self.appendEscaped(item, to: &part)
            part.append(ok ? "\",\"status\":true,\"message\":\"" : "\",\"status\":false,\"message\":\"")
            let head = part.copied
            part.truncate(to: 0)
            switch verdict {
            case .pass: part.append("\",\"result\":\"pass\",\"label\":")
            case .warn: part.append("\",\"result\":\"warn\",\"label\":")
            case .fail: part.append("\",\"result\":\"fail\",\"label\":")
            case .unknown: part.append("\",\"result\":\"unknown\",\"label\":")
            }
            var w = JSONByteWriter(capacity: 64)
            w.string(CheckLabels.label(forItem: itemName))
            w.withBytes { part.append($0) }
            part.append(",\"hint\":\"")
            return (head, part.copied)
        } else {
            part.append(ok ? Self.infoHead : Self.errorHead)
            Self.append(module, to: &part)
            part.append(Self.between)
            Array(CheckLabels.platformLabel(forItem: itemName).utf8).withUnsafeBufferPointer { part.append($0) }
            part.append(ok ? Self.passed : Self.failed)
            return (part.copied, [])
        }
    }

    func endReport() {
        ends.append(out.count)
        printed.append(printing)
        printing = 0
        position = 0
    }

    func rollback(toReports reports: Int) {
        ends.removeLast(ends.count - reports)
        printed.removeLast(printed.count - reports)
        out.truncate(to: ends.last ?? 0)
        printing = 0
        position = 0
    }

    private static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let q = b.baseAddress, !a.isEmpty else { return true }
        return a.withUnsafeBufferPointer { memcmp($0.baseAddress!, q, a.count) == 0 }
    }

    /// The lines of report `index` (counted in the order reports ended).
    func report(_ index: Int) -> RenderedReportLines {
        RenderedReportLines(page: self, range: (index == 0 ? 0 : ends[index - 1])..<ends[index], writtenCount: printed[index])
    }

    /// Writes the lines of the entries held at `range` of `out` into `sink`.
    func write<Sink: ByteSink & ~Copyable>(_ range: Range<Int>, into sink: inout Sink) {
        guard !range.isEmpty else { return }
        if json { return writeJSON(range, into: &sink) }
        out.withBytes(range) { held in
            templateBytes.withUnsafeBufferPointer { templates in
                templateStarts.withUnsafeBufferPointer { starts in
                    let raw = UnsafeRawPointer(held.baseAddress!)
                    @inline(__always) func length(_ k: Int) -> Int {
                        Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt32.self)))
                    }
                    var k = 0
                    while k < held.count {
                        let number = length(k)
                        let messageField = length(k &+ 4)
                        k &+= 8
                        if number != Int(Self.literal) {
                            sink.appendBytes(UnsafeBufferPointer(rebasing: templates[starts[number &* 2]..<starts[number &* 2 &+ 1]]))
                        }
                        putMessage(messageField, held, &k, into: &sink)
                        sink.appendBytes(Self.newline)
                    }
                }
            }
        }
    }

    /// Writes an entry's message (or, for an entry held whole, its text) into `sink`, given its length field:
    /// held at `k` of `held` (then `k` moves past it), or a reference to a message held before in the page,
    /// maybe before this report's range.
    @inline(__always) private func putMessage<Sink: ByteSink & ~Copyable>(
        _ messageField: Int, _ held: UnsafeBufferPointer<UInt8>, _ k: inout Int, into sink: inout Sink
    ) {
        guard messageField & Int(Self.reference) != 0 else {
            sink.appendBytes(UnsafeBufferPointer(rebasing: held[k..<(k &+ messageField)]))
            k &+= messageField
            return
        }
        let at = messageField & Int(Self.reference - 1)
        out.withBytes(at..<(at &+ 4)) { field in
            let n = Int(UInt32(littleEndian: UnsafeRawPointer(field.baseAddress!).loadUnaligned(as: UInt32.self)))
            out.withBytes((at &+ 4)..<(at &+ 4 &+ n)) { sink.appendBytes($0) }
        }
    }

    /// `write` with `json`: each entry as its results member, from the template's runs (`jsonRuns`).
    private func writeJSON<Sink: ByteSink & ~Copyable>(_ range: Range<Int>, into sink: inout Sink) {
        out.withBytes(range) { held in
            jsonBytes.withUnsafeBufferPointer { runs in
                jsonRuns.withUnsafeBufferPointer { at in
                    let raw = UnsafeRawPointer(held.baseAddress!)
                    @inline(__always) func length(_ k: Int) -> Int {
                        Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt32.self)))
                    }
                    @inline(__always) func put(_ r: Range<Int>, of b: UnsafeBufferPointer<UInt8>) {
                        sink.appendBytes(UnsafeBufferPointer(rebasing: b[r]))
                    }
                    let evidenceEnd = Self.evidenceEnd.utf8CodeUnitCount
                    var k = 0
                    while k < held.count {
                        let number = length(k)
                        let messageField = length(k &+ 4)
                        let first = k == 0
                        k &+= 8
                        let literal = number == Int(Self.literal)
                        let r = number &* 4
                        if literal {
                            if !first { sink.appendBytes(Self.comma) }
                        } else {
                            // The comma before every entry of the report but its first, and the head.
                            put((first ? at[r] &+ 1 : at[r])..<at[r &+ 1], of: runs)
                        }
                        putMessage(messageField, held, &k, into: &sink)
                        if literal { continue }
                        let hintLength = length(k)
                        k &+= 4
                        if hintLength > 0 {
                            // The middle alone, the hint, then the members after it.
                            put(at[r &+ 2]..<(at[r &+ 3] &- evidenceEnd), of: runs)
                            put(k..<(k &+ hintLength), of: held)
                            k &+= hintLength
                        }
                        let durationLength = Int(held[k])
                        k &+= 1
                        if durationLength == 0 {
                            if hintLength > 0 {
                                sink.appendBytes(Self.buffer(Self.evidenceEnd))
                            } else {
                                put(at[r &+ 2]..<at[r &+ 3], of: runs)
                            }
                        } else {
                            if hintLength > 0 {
                                sink.appendBytes(Self.buffer(Self.evidenceDuration))
                            } else {
                                put(at[r &+ 1]..<at[r &+ 2], of: runs)
                            }
                            put(k..<(k &+ durationLength), of: held)
                            k &+= durationLength
                            sink.appendBytes(Self.closing)
                        }
                    }
                }
            }
        }
    }

    @inline(__always) private static func buffer(_ s: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }
    private static var comma: UnsafeBufferPointer<UInt8> { buffer(",") }
    private static var newline: UnsafeBufferPointer<UInt8> { buffer("\n") }
    private static var closing: UnsafeBufferPointer<UInt8> { buffer("}") }
}

/// A template's key (see `AgentEntryLines.templateNumbers`), hashed as one run of bytes rather than byte by
/// byte, as an array of bytes hashes.
struct TemplateKey: Hashable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// Where `AgentEntryLines.write` writes: a growable run of bytes, or memory of a known size.
protocol ByteSink: ~Copyable {
    mutating func appendBytes(_ u: UnsafeBufferPointer<UInt8>)
}

extension OwnedBytes: ByteSink {
    @inline(__always) mutating func appendBytes(_ u: UnsafeBufferPointer<UInt8>) { append(u) }
}

/// Writes at a pointer and moves past what it wrote; the room is the caller's to have made
/// (`RenderedReportLines.writtenCount`).
struct PointerSink: ByteSink {
    var at: UnsafeMutablePointer<UInt8>

    @inline(__always) mutating func appendBytes(_ u: UnsafeBufferPointer<UInt8>) {
        guard let from = u.baseAddress else { return }
        let n = u.count
        ByteCopy.copy(to: at, from: from, count: n)
        at += n
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always) mutating func appendBytes(_ u: UnsafeBufferPointer<UInt8>) { append(contentsOf: u) }
}

/// One report's entry lines in its page's `AgentEntryLines`.
public struct RenderedReportLines: Sendable, Equatable {
    let page: AgentEntryLines
    let range: Range<Int>
    /// The bytes `write(into:)` writes.
    let writtenCount: Int

    /// Writes the lines, as the output prints them, into `sink`.
    func write<Sink: ByteSink & ~Copyable>(into sink: inout Sink) {
        page.write(range, into: &sink)
    }

    /// Writes the lines at `at`, where `writtenCount` bytes are free.
    func write(at: UnsafeMutablePointer<UInt8>) {
        var sink = PointerSink(at: at)
        page.write(range, into: &sink)
        precondition(sink.at == at + writtenCount, "the lines' size was not what was written")
    }

    /// The lines as the output prints them, written out into a buffer of their own.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text: [UInt8] = []
        write(into: &text)
        return text.withUnsafeBufferPointer(body)
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
