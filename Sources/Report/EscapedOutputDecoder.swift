/// Reads a host's output straight from where a JOB log page holds it: the bytes of the JSON string
/// `log_content`, still escaped (each `"` of the reports written `\"`, each newline `\n`).
///
/// Unescaping every output into a buffer and reading that buffer again is a third of the work of reading a
/// page; this decoder reads the escaped bytes once. It takes only outputs whose every line is a report
/// `ReportLineDecoder` takes, and whose kept strings (module, item, message, hint, string values) carry
/// no escape of their own. Anything else — another escape, a control character, invalid UTF-8 in a kept
/// string, a line that is not such a report, a repeated key — gives nil before anything is returned, and
/// the caller unescapes the output and reads it the usual way. For the outputs it accepts, the reports
/// equal what `ReportLineDecoder` makes of the unescaped lines (a differential test holds it to that).
public struct EscapedOutputDecoder {
    let b: UnsafeBufferPointer<UInt8>
    var i: Int
    let keepEvidence: Bool
    /// False when no output shows more of an entry than its module, item and verdict, and a failing
    /// entry's message and hint (the table, markdown and HTML formats, the history). Then the message and
    /// hint of an entry whose `status` is true, and every entry's duration, are scanned and checked as
    /// usual but left out, and, with neither evidence nor an interner missing, hosts reporting equal
    /// entries share one list (`leanEntries`, `StringInterner.sharedList`): most entries of a fleet then cost no
    /// string and no memory of their own.
    let fullEntries: Bool
    /// Held without counting references: the caller's interner outlives the decoding, and each string
    /// looked up through it would otherwise retain and release it.
    unowned(unsafe) let interner: StringInterner
    /// The same interner, for the calls made once or more per entry: a call through `interner` bound to
    /// a local, or made several times in a row, retained and released it (a strong reference is made of an
    /// unowned one for each), where a guaranteed reference (`_withUnsafeGuaranteedRef`) is not counted.
    let internerHandle: Unmanaged<StringInterner>
    /// The interner's `shapes`, held the same way.
    unowned(unsafe) let shapes: EntryShapes
    let interning: Bool
    /// Given entries read lean (see `decode`), the writer of their lines. Held without counting references,
    /// as `interner` is (the caller's writer outlives the decoding), so that the decoder made and dropped
    /// for each output does not retain and release it. Each entry's call through it still takes a strong
    /// reference for the call: a protocol's existential has no guaranteed form as `Unmanaged` gives a class.
    unowned(unsafe) let entryLines: (any EntryLineWriter)?
    /// Whether `entryLines` prints durations, asked once (a call through the protocol per entry otherwise).
    let wantsDurations: Bool
    /// `ReportLineDecoder`'s nesting limit, which nested values are read with.
    static let maxDepth = 256

    /// Held by decoders given no interner, which never look anything up in it (`interning` is false).
    nonisolated(unsafe) static let noInterner = StringInterner()

    /// Thrown (and caught in `decode`) wherever the output leaves the shape this decoder takes.
    struct GiveUp: Error {}

    /// The reports of the output whose string starts after the opening quote at `quote`, and the index of
    /// its closing quote; nil to leave the output to the usual reader. With `fullEntries` false, entries
    /// are read without what only the full formats show (see `fullEntries`). `entryLines`, taken only with
    /// `fullEntries` and `keepEvidence` false and an interner (the entries then read lean), is given a line
    /// for every entry of the reports returned, and nothing of an output left to the usual reader.
    public static func decode(
        _ b: UnsafeBufferPointer<UInt8>, openingQuote quote: Int, keepEvidence: Bool, fullEntries: Bool = true,
        interner: StringInterner?, entryLines: (any EntryLineWriter)? = nil
    ) -> (reports: [DiagnosticReport], closingQuote: Int)? {
        precondition(entryLines == nil || (!fullEntries && !keepEvidence && interner != nil), "entry lines need lean entries")
        let strings = interner ?? Self.noInterner
        return withExtendedLifetime((strings, entryLines)) { () -> (reports: [DiagnosticReport], closingQuote: Int)? in
            var d = EscapedOutputDecoder(
                b: b, i: quote + 1, keepEvidence: keepEvidence, fullEntries: fullEntries, interner: strings,
                internerHandle: Unmanaged.passUnretained(strings), shapes: strings.shapes, interning: interner != nil,
                entryLines: entryLines,
                wantsDurations: entryLines?.wantsDurations ?? false)
            let before = entryLines?.reportCount
            do throws(GiveUp) {
                return (try d.lines(), d.i)
            } catch {
                if let before { entryLines?.rollback(toReports: before) }
                return nil
            }
        }
    }

    // MARK: - The output and its lines

    /// Every line of the output up to the closing quote: empty lines are skipped (as `HostOutputReader`
    /// skips them), every other one must be one report and nothing else.
    mutating func lines() throws(GiveUp) -> [DiagnosticReport] {
        var reports: [DiagnosticReport] = []
        while true {
            guard i < b.count else { throw GiveUp() }
            if b[i] == 0x22 { return reports }
            if isNewline() {
                i += 2
                continue
            }
            reports.append(try report())
            entryLines?.endReport()
            skipSpace()
            guard i < b.count else { throw GiveUp() }
            if b[i] == 0x22 { return reports }
            guard isNewline() else { throw GiveUp() }
            i += 2
        }
    }

    /// Whether an escaped newline (`\n`: the end of a line of the output) starts at `i`.
    @inline(__always) func isNewline() -> Bool {
        i + 1 < b.count && b[i] == 0x5C && b[i + 1] == UInt8(ascii: "n")
    }

    /// Spaces between tokens. A tab or carriage return (escaped here) is left to the usual reader.
    @inline(__always) mutating func skipSpace() {
        while i < b.count && b[i] == 0x20 { i += 1 }
    }

    /// Moves past `c` after spaces, or gives up.
    @inline(__always) mutating func expect(_ c: UInt8) throws(GiveUp) {
        skipSpace()
        guard i < b.count, b[i] == c else { throw GiveUp() }
        i += 1
    }

    /// After a member or element: true for `,`, false for `close`.
    @inline(__always) mutating func next(close: UInt8) throws(GiveUp) -> Bool {
        skipSpace()
        guard i < b.count else { throw GiveUp() }
        if b[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        if b[i] == close {
            i += 1
            return false
        }
        throw GiveUp()
    }

    /// Whether an escaped quote (a quote of the report) starts at `i`.
    @inline(__always) func atQuote() -> Bool {
        i + 1 < b.count && b[i] == 0x5C && b[i + 1] == 0x22
    }

    // MARK: - Strings of the report

    /// The content of the report's string whose escaped opening quote is at `i` (moved past its closing
    /// one), when it holds no escape of its own. `ascii` tells whether every byte is below 0x80, `slashes`
    /// whether the page escaped a slash in it (`\/`: the one escape such a string may hold).
    mutating func plainString() throws(GiveUp) -> (bytes: UnsafeBufferPointer<UInt8>, ascii: Bool, slashes: Bool) {
        guard atQuote() else { throw GiveUp() }
        i += 2
        let start = i
        var high: UInt64 = 0
        var slashes = false
        let n = b.count
        let raw = UnsafeRawPointer(b.baseAddress!)
        while true {
            // Eight bytes at a time, straight to the first quote, backslash or control character (the
            // lowest flagged byte is always a real one); the bytes before it are plain text.
            while i &+ 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let special = JSONByteParser.specialBytes(w)
                if special == 0 {
                    high |= w
                    i &+= 8
                    continue
                }
                let k = special.trailingZeroBitCount &>> 3
                high |= w & ((1 &<< UInt64(k &* 8)) &- 1)
                i &+= k
                break
            }
            guard i < n else { throw GiveUp() }
            let c = b[i]
            // A backslash ends the string only as the escaped closing quote; a raw quote would end the
            // output, a control character makes the page invalid: both are left to the usual reader.
            if c == 0x5C {
                guard i + 1 < n else { throw GiveUp() }
                if b[i + 1] == UInt8(ascii: "/") {
                    slashes = true
                    i += 2
                    continue
                }
                guard b[i + 1] == 0x22 else { throw GiveUp() }
                let bytes = UnsafeBufferPointer(rebasing: b[start..<i])
                i += 2
                return (bytes, high & 0x8080_8080_8080_8080 == 0, slashes)
            }
            if c == 0x22 || c < 0x20 { throw GiveUp() }
            high |= UInt64(c)
            i += 1
        }
    }

    /// A string of the report as `String`: what `string()` (or `string(interning:)`) makes of the
    /// unescaped text. Ill-formed UTF-8 is left to the usual reader, which repairs the whole output first.
    mutating func text(interning: Bool = true) throws(GiveUp) -> String {
        string(of: try checkedString(), interning: interning)
    }

    /// A string of the report as `plainString()` finds it, once its UTF-8 is known to be well formed.
    typealias PlainString = (bytes: UnsafeBufferPointer<UInt8>, ascii: Bool, slashes: Bool)

    /// The next string of the report, scanned and checked as `text()` checks it, not yet made a `String`.
    mutating func checkedString() throws(GiveUp) -> PlainString {
        let s = try plainString()
        if !s.ascii && String(validating: s.bytes, as: UTF8.self) == nil { throw GiveUp() }
        return s
    }

    /// The `String` of a checked string (see `text()`).
    func string(of s: PlainString, interning: Bool = true) -> String {
        let (bytes, slashes) = (s.bytes, s.slashes)
        // `interner` is used in place: binding it to a local would retain and release it on every call.
        let intern = interning && self.interning
        guard slashes else {
            if intern { return self.interner.string(bytes) }
            return String(decoding: bytes, as: UTF8.self)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { out in
            var o = 0
            var k = 0
            while k < bytes.count {
                if bytes[k] == 0x5C { k += 1 }
                out[o] = bytes[k]
                o += 1
                k += 1
            }
            let unescaped = UnsafeBufferPointer(rebasing: out[0..<o])
            if intern { return self.interner.string(unescaped) }
            return String(decoding: unescaped, as: UTF8.self)
        }
    }

    /// The name of the next member, positioned at its value (spaces skipped).
    mutating func memberName() throws(GiveUp) -> MemberName {
        skipSpace()
        // A name with an escaped slash is no name this decoder acts on (nor is it `other`): left as a whole.
        let (bytes, _, slashes) = try plainString()
        guard !slashes else { throw GiveUp() }
        try expect(UInt8(ascii: ":"))
        skipSpace()
        return MemberName(bytes)
    }

    /// A member name as it lies in the page — escaped quote, name, escaped quote, colon — as two
    /// overlapping words, so that the next member can be checked against the one expected in one go.
    struct NamePattern {
        let count: Int
        let head: UInt64
        let tail: UInt64
        let name: MemberName

        init(_ name: StaticString, _ member: MemberName) {
            let bytes =
                Array("\\\"".utf8) + Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
                + Array("\\\":".utf8)
            precondition(bytes.count >= 8 && bytes.count <= 16)
            count = bytes.count
            head = bytes[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
            tail = bytes[(count - 8)...].reversed().reduce(0) { $0 << 8 | UInt64($1) }
            self.name = member
        }
    }

    /// The members of an entry in the order bkdiag (and check.py, for its first four) writes them.
    static let entryOrder: [NamePattern] = [
        NamePattern("module", .module), NamePattern("item", .item), NamePattern("status", .status), NamePattern("message", .message),
        NamePattern("result", .result), NamePattern("label", .other), NamePattern("hint", .hint), NamePattern("evidence", .evidence),
        NamePattern("duration_ms", .durationMs),
    ]

    /// The next member's name when it is exactly `p` (then positioned at its value); nil, with nothing
    /// consumed, otherwise.
    @inline(__always) mutating func member(_ p: NamePattern) -> MemberName? {
        guard i &+ p.count <= b.count, let base = b.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        guard raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == p.head,
            raw.loadUnaligned(fromByteOffset: i &+ p.count &- 8, as: UInt64.self) == p.tail
        else { return nil }
        i &+= p.count
        skipSpace()
        return p.name
    }

    /// The member names a report and its entries are read by; `other` for every other name. Told apart by
    /// length and then by their bytes, read as little-endian words (exact byte equality, which is string
    /// equality for these ASCII names, as `JSONKey` compares them).
    enum MemberName: Equatable {
        case status, data, schema, version, host, generatedAtMs, durationMs, context
        case module, item, message, result, hint, evidence
        case hostname, machineID, kernel
        case other

        init(_ k: UnsafeBufferPointer<UInt8>) {
            let n = k.count
            guard n >= 4, n <= 15, let base = k.baseAddress else {
                self = .other
                return
            }
            let raw = UnsafeRawPointer(base)
            // The first eight bytes (fewer: two overlapping four-byte loads), then the rest.
            let head: UInt64
            if n >= 8 {
                head = raw.loadUnaligned(as: UInt64.self)
            } else {
                head =
                    UInt64(raw.loadUnaligned(as: UInt32.self))
                    | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) &<< UInt64(8 * (n - 4))
            }
            var tail: UInt64 = 0
            if n > 8 { for j in 8..<n { tail |= UInt64(k[j]) &<< UInt64(8 * (j - 8)) } }
            switch (n, head) {
            case (4, 0x6D65_7469): self = .item
            case (4, 0x746E_6968): self = .hint
            case (4, 0x6174_6164): self = .data
            case (4, 0x7473_6F68): self = .host
            case (6, 0x656C_7564_6F6D): self = .module
            case (6, 0x7375_7461_7473): self = .status
            case (6, 0x746C_7573_6572): self = .result
            case (6, 0x616D_6568_6373): self = .schema
            case (7, 0x65_6761_7373_656D): self = .message
            case (7, 0x6E_6F69_7372_6576): self = .version
            case (7, 0x74_7865_746E_6F63): self = .context
            case (8, 0x6563_6E65_6469_7665): self = .evidence
            case (8, 0x656D_616E_7473_6F68): self = .hostname
            case (10, 0x5F65_6E69_6863_616D) where tail == 0x6469: self = .machineID
            case (6, 0x6C65_6E72_656B): self = .kernel
            case (11, 0x6E6F_6974_6172_7564) where tail == 0x73_6D5F: self = .durationMs
            case (15, 0x6574_6172_656E_6567) where tail == 0x736D_5F74_615F64: self = .generatedAtMs
            default: self = .other
            }
        }
    }

    // MARK: - Values

    /// The value at `i` as `JSONByteParser.value(depth:)` reads it from the unescaped text.
    mutating func value(depth: Int) throws(GiveUp) -> JSONValue {
        guard i < b.count else { throw GiveUp() }
        switch b[i] {
        case 0x5C:
            // A string: without escapes of its own, its bytes are its text.
            return .string(try text(interning: false))
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Nested: found here, unescaped and read by the parser itself.
            let start = i
            try skipValue(depth: depth)
            return try Self.parseUnescaped(UnsafeBufferPointer(rebasing: b[start..<i]), depth: depth)
        case 0x22:
            // The end of the output where a value should be.
            throw GiveUp()
        default:
            // Numbers and literals are the same bytes escaped or not; the parser stops after them.
            var p = JSONByteParser(b: b, maxDepth: Self.maxDepth)
            p.i = i
            do throws(JSONParseError) {
                let v = try p.value(depth: depth)
                i = p.i
                return v
            } catch {
                throw GiveUp()
            }
        }
    }

    /// Parses escaped bytes (a whole nested value) after unescaping them into a scratch buffer.
    static func parseUnescaped(_ escaped: UnsafeBufferPointer<UInt8>, depth: Int) throws(GiveUp) -> JSONValue {
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, escaped.count)) { out -> JSONValue? in
            var o = 0
            var k = 0
            while k < escaped.count {
                var c = escaped[k]
                if c == 0x5C {
                    // `skipValue` let through only these escapes.
                    guard k + 1 < escaped.count else { return nil }
                    switch escaped[k + 1] {
                    case 0x22: c = 0x22
                    case 0x5C: c = 0x5C
                    case UInt8(ascii: "/"): c = 0x2F
                    default: return nil
                    }
                    k += 1
                }
                out[o] = c
                o += 1
                k += 1
            }
            var p = JSONByteParser(b: UnsafeBufferPointer(rebasing: out[0..<o]), maxDepth: maxDepth)
            guard let v = try? p.value(depth: depth), p.i == o else { return nil }
            return v
        }
        guard let result else { throw GiveUp() }
        return result
    }

    /// Moves past the value at `i`, taking only what `JSONByteParser.skipValue` takes of the unescaped
    /// text: strings may hold the report's own escapes (`\\\"`, `\\\\`, `\\n`, `\\u0041` here) and `\/`;
    /// any other escape gives up.
    mutating func skipValue(depth: Int) throws(GiveUp) {
        guard i < b.count else { throw GiveUp() }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw GiveUp() }
            if try skipPlainObject(depth: depth) { return }
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            repeat {
                skipSpace()
                try skipString()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                try skipValue(depth: depth + 1)
            } while try next(close: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw GiveUp() }
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") {
                i += 1
                return
            }
            repeat {
                skipSpace()
                try skipValue(depth: depth + 1)
            } while try next(close: UInt8(ascii: "]"))
        case 0x5C:
            try skipString()
        case 0x22:
            throw GiveUp()
        default:
            if skipPlainNumber() { return }
            var p = JSONByteParser(b: b, maxDepth: Self.maxDepth)
            p.i = i
            do throws(JSONParseError) {
                try p.skipValue(depth: depth)
                i = p.i
            } catch {
                throw GiveUp()
            }
        }
    }

    /// Moves past the object at `i` (its `{`, within the nesting limit) in one loop when its names and
    /// string values are plain (no escape of the report's own; a page-escaped slash is plain) and its other
    /// values plain numbers or nested values (skipped by `skipValue`): an entry's evidence, a report's
    /// context. False, `i` where it was, for anything else, which the member-by-member walk below reads
    /// (and gives up on where it must): a million evidence objects went through a call per name and value.
    @inline(__always) mutating func skipPlainObject(depth: Int) throws(GiveUp) -> Bool {
        guard let base = b.baseAddress else { return false }
        let n = b.count
        let raw = UnsafeRawPointer(base)
        let start = i
        @inline(__always) func space(_ k: inout Int) { while k < n && base[k] == 0x20 { k &+= 1 } }
        // Past a plain string whose escaped opening quote is at `k`; false where it is not one.
        @inline(__always) func string(_ k: inout Int) -> Bool {
            guard k &+ 1 < n, base[k] == 0x5C, base[k &+ 1] == 0x22 else { return false }
            k &+= 2
            while true {
                JSONByteParser.skipPlainWords(raw, &k, n)
                guard k &+ 1 < n, base[k] == 0x5C else {
                    // A plain byte before the last eight, or a raw quote or control character.
                    if k < n, base[k] != 0x22, base[k] >= 0x20 {
                        k &+= 1
                        continue
                    }
                    return false
                }
                switch base[k &+ 1] {
                case 0x22:
                    k &+= 2
                    return true
                case UInt8(ascii: "/"): k &+= 2
                default: return false
                }
            }
        }
        var k = i &+ 1
        space(&k)
        while true {
            guard string(&k) else { break }
            space(&k)
            guard k < n, base[k] == UInt8(ascii: ":") else { break }
            k &+= 1
            space(&k)
            guard k < n else { break }
            switch base[k] {
            case 0x5C:
                guard string(&k) else {
                    i = start
                    return false
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                i = k
                try skipValue(depth: depth &+ 1)
                k = i
            default:
                guard Self.pastPlainNumber(base, &k, n) else {
                    i = start
                    return false
                }
            }
            space(&k)
            guard k < n else { break }
            if base[k] == UInt8(ascii: ",") {
                k &+= 1
                space(&k)
                continue
            }
            guard base[k] == UInt8(ascii: "}") else { break }
            i = k &+ 1
            return true
        }
        i = start
        return false
    }

    /// Moves past a number at `i` spelt as `JSONByteParser.numberForm` reads one (`-?(0|[1-9][0-9]*)`, then
    /// `.` and digits, then `e`/`E`, a sign and digits, each part only when whole), ending where it ends;
    /// false, `i` unmoved, for anything else (literals, `-Infinity`, a lone `-`, an integer part of more than
    /// 64 digits), which the parser reads.
    @inline(__always) mutating func skipPlainNumber() -> Bool {
        guard let base = b.baseAddress else { return false }
        return Self.pastPlainNumber(base, &i, b.count)
    }

    /// `skipPlainNumber` on the `n` bytes at `base` from `k`, moving `k` (a loop reading the bytes where they
    /// lie, as the plain-object skip reads the rest of an evidence object).
    @inline(__always) public static func pastPlainNumber(_ base: UnsafePointer<UInt8>, _ at: inout Int, _ n: Int) -> Bool {
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && base[k] &- 0x30 < 10 }
        var k = at
        if k < n && base[k] == UInt8(ascii: "-") { k &+= 1 }
        guard isDigit(k) else { return false }
        if base[k] == UInt8(ascii: "0") {
            k &+= 1
        } else {
            let first = k
            while isDigit(k) { k &+= 1 }
            // A long integer part goes to the parser, which refuses an integer past CPython's 4,300 digits.
            if k &- first > 64 { return false }
        }
        if k < n, base[k] == UInt8(ascii: "."), isDigit(k &+ 1) {
            k &+= 2
            while isDigit(k) { k &+= 1 }
        }
        if k < n, base[k] | 0x20 == UInt8(ascii: "e") {
            var m = k &+ 1
            if m < n, base[m] == UInt8(ascii: "+") || base[m] == UInt8(ascii: "-") { m &+= 1 }
            if isDigit(m) {
                k = m
                while isDigit(k) { k &+= 1 }
            }
        }
        at = k
        return true
    }

    /// `pastPlainNumber` for an entry's `duration_ms`: moves `at` past the number and gives, when it is a
    /// decimal of at most 12 integer and 3 fraction digits without exponent, the part of its text that the
    /// fleet JSON prints for its value rounded to microseconds (`ReportDuration.printed`): without the
    /// fraction's trailing zeros, without a point left alone, and without the sign of a negative zero. An
    /// empty range for any other number; nil, `at` unmoved, where `pastPlainNumber` takes none. Reading the
    /// digits once here spares the writer reading them again (a million durations).
    @inline(__always) public static func pastDuration(_ base: UnsafePointer<UInt8>, _ at: inout Int, _ n: Int) -> Range<Int>? {
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && base[k] &- 0x30 < 10 }
        let start = at
        var k = at
        if k < n && base[k] == UInt8(ascii: "-") { k &+= 1 }
        guard isDigit(k) else { return nil }
        let integer = k
        if base[k] == UInt8(ascii: "0") {
            k &+= 1
        } else {
            while isDigit(k) { k &+= 1 }
            if k &- integer > 64 { return nil }
        }
        let integerEnd = k
        var fraction = -1
        if k < n, base[k] == UInt8(ascii: "."), isDigit(k &+ 1) {
            fraction = k &+ 1
            k &+= 2
            while isDigit(k) { k &+= 1 }
        }
        var exponent = false
        if k < n, base[k] | 0x20 == UInt8(ascii: "e") {
            var m = k &+ 1
            if m < n, base[m] == UInt8(ascii: "+") || base[m] == UInt8(ascii: "-") { m &+= 1 }
            if isDigit(m) {
                exponent = true
                k = m
                while isDigit(k) { k &+= 1 }
            }
        }
        at = k
        guard !exponent, integerEnd &- integer <= 12, fraction < 0 || k &- fraction <= 3 else { return k..<k }
        var end = integerEnd
        if fraction >= 0 {
            end = k
            while end > fraction && base[end &- 1] == UInt8(ascii: "0") { end &-= 1 }
            if end == fraction { end = integerEnd }
        }
        let zero = end == integerEnd && integerEnd &- integer == 1 && base[integer] == UInt8(ascii: "0")
        return (zero ? integer : start)..<end
    }

    /// Moves past a string of the report (escaped opening quote at `i`), checking its escapes as
    /// `JSONByteParser.skipString` checks them in the unescaped text.
    mutating func skipString() throws(GiveUp) {
        guard atQuote() else { throw GiveUp() }
        i += 2
        let n = b.count
        while true {
            if let base = b.baseAddress { JSONByteParser.skipPlainWords(UnsafeRawPointer(base), &i, n) }
            guard i < n else { throw GiveUp() }
            let c = b[i]
            if c == 0x22 || c < 0x20 { throw GiveUp() }
            if c != 0x5C {
                i += 1
                continue
            }
            guard i + 1 < n else { throw GiveUp() }
            switch b[i + 1] {
            case 0x22:
                // The closing quote.
                i += 2
                return
            case UInt8(ascii: "/"):
                // A slash the page escaped: a plain character of the report.
                i += 2
            case 0x5C:
                // A backslash of the report: its escape follows.
                i += 2
                guard i < n else { throw GiveUp() }
                switch b[i] {
                case UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 5 <= n else { throw GiveUp() }
                    for k in 1...4 where !Self.isHex(b[i + k]) { throw GiveUp() }
                    i += 5
                case 0x5C:
                    // `\\\"` or `\\\\`: an escaped quote or backslash of the report.
                    guard i + 1 < n, b[i + 1] == 0x22 || b[i + 1] == 0x5C else { throw GiveUp() }
                    i += 2
                default:
                    throw GiveUp()
                }
            default:
                throw GiveUp()
            }
        }
    }

    @inline(__always) static func isHex(_ c: UInt8) -> Bool { JSONByteParser.hexDigit(c) != nil }

    // MARK: - Reports

    /// Reads a member's value into `slot`; gives up when the key was seen before.
    @inline(__always) mutating func readOnce(into slot: inout JSONValue?, depth: Int) throws(GiveUp) {
        guard slot == nil else { throw GiveUp() }
        slot = try value(depth: depth)
    }

    /// Like `readOnce`, but only skips the value when it is not kept.
    @inline(__always) mutating func readOnce(into slot: inout JSONValue?, seen: inout Bool, depth: Int) throws(GiveUp) {
        guard !seen else { throw GiveUp() }
        seen = true
        if keepEvidence { slot = try value(depth: depth) } else { try skipValue(depth: depth) }
    }

    /// `readOnce(into:seen:depth:)` for a report's `member`th member (depth 1), skipped by `skipReportValue`.
    @inline(__always) mutating func readOnce(into slot: inout JSONValue?, seen: inout Bool, member: Int) throws(GiveUp) {
        guard !seen else { throw GiveUp() }
        seen = true
        if keepEvidence { slot = try value(depth: 1) } else { try skipReportValue(member: member) }
    }

    /// Moves past the value of a report's `member`th member (at `i`, depth 1), as `skipValue` does: a value equal
    /// to the one skipped before in that place but for digits (`EntryShapes.sameButDigits`: a report's times,
    /// counts, a host's machine id) is passed over in one comparison, any other skipped and remembered.
    @inline(__always) mutating func skipReportValue(member: Int) throws(GiveUp) {
        try skipRemembered(shapes.reportValues, at: member, depth: 1)
    }

    /// Moves past a value (at `i`, at `depth`), as `skipValue` does, when one equal to it but for digits was
    /// skipped before at `place` of `runs` in one comparison; any other is skipped and remembered there.
    @inline(__always) mutating func skipRemembered(_ runs: EntryShapes.Runs<EntryShapes.Skipped>, at place: Int, depth: Int) throws(GiveUp)
    {
        if let n = runs.findAllowingDigits(at: place, in: b, from: i) {
            i &+= n
            return
        }
        let start = i
        try skipValue(depth: depth)
        runs.remember(EntryShapes.Skipped(), run: UnsafeBufferPointer(rebasing: b[start..<i]), at: place)
    }

    /// One report line, as `ReportLineDecoder` reads it.
    mutating func report() throws(GiveUp) -> DiagnosticReport {
        try expect(UInt8(ascii: "{"))
        var f = ReportFields()
        skipSpace()
        guard i < b.count, b[i] != UInt8(ascii: "}") else { throw GiveUp() }
        var member = 0
        repeat {
            switch try memberName() {
            case .status: try readOnce(into: &f.status, depth: 1)
            case .data:
                guard f.results == nil else { throw GiveUp() }
                f.results = try entries()
            case .schema: try readOnce(into: &f.schema, depth: 1)
            case .version: try readOnce(into: &f.version, depth: 1)
            case .host:
                guard !f.hostSeen else { throw GiveUp() }
                f.hostSeen = true
                if !keepEvidence {
                    try skipReportValue(member: member)
                } else if i < b.count, b[i] == UInt8(ascii: "{") {
                    f.identity = try hostIdentity()
                } else {
                    f.host = try value(depth: 1)
                }
            case .generatedAtMs: try readOnce(into: &f.generated, seen: &f.generatedSeen, member: member)
            case .durationMs: try readOnce(into: &f.duration, seen: &f.durationSeen, member: member)
            case .context: try readOnce(into: &f.context, seen: &f.contextSeen, member: member)
            default: try skipReportValue(member: member)
            }
            member &+= 1
        } while try next(close: UInt8(ascii: "}"))
        guard let report = f.report(keepEvidence: keepEvidence) else { throw GiveUp() }
        return report
    }

    /// A `host` object (its `{` at `i`, at depth 1) as `HostIdentity(json:)` reads its tree: of each of
    /// the three names the last value counts, and only a string gives text.
    mutating func hostIdentity() throws(GiveUp) -> HostIdentity {
        i += 1
        var hostname: String?
        var machineID: String?
        var kernel: String?
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
            return HostIdentity()
        }
        repeat {
            let name = try memberName()
            switch name {
            case .hostname, .machineID, .kernel:
                var text: String?
                if atQuote() { text = try self.text(interning: false) } else { try skipValue(depth: 2) }
                switch name {
                case .hostname: hostname = text
                case .machineID: machineID = text
                default: kernel = text
                }
            default: try skipValue(depth: 2)
            }
        } while try next(close: UInt8(ascii: "}"))
        return HostIdentity(hostname: hostname ?? "", machineID: machineID ?? "", kernel: kernel ?? "")
    }

    mutating func entries() throws(GiveUp) -> [CheckResult] {
        try expect(UInt8(ascii: "["))
        var out: [CheckResult] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") {
            i += 1
            return out
        }
        if !fullEntries && !keepEvidence && interning { return try leanEntries() }
        out.reserveCapacity(12)
        repeat {
            out.append(try entry())
        } while try next(close: UInt8(ascii: "]"))
        return out
    }

    /// An entry's `status` at `i`: the literals `true` and `false` as `value(depth:)` reads them, without
    /// a parser; anything else through `value(depth:)`. (What follows a literal is judged by the caller,
    /// as after the parser.)
    @inline(__always) mutating func statusValue(depth: Int) throws(GiveUp) -> JSONValue {
        if let base = b.baseAddress, i &+ 5 <= b.count {
            let word = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i, as: UInt32.self)
            if word == 0x6575_7274 {  // true
                i &+= 4
                return .bool(true)
            }
            if word == 0x736C_6166 && b[i &+ 4] == UInt8(ascii: "e") {  // false
                i &+= 5
                return .bool(false)
            }
        }
        return try value(depth: depth)
    }

    /// An entry's `result` at `i`: a verdict's name as the same string value `value(depth:)` makes (see
    /// `resultMember`); anything else through `value(depth:)`.
    @inline(__always) mutating func resultValue(depth: Int) throws(GiveUp) -> JSONValue {
        if let v = verdictName() { return .string(v.rawValue) }
        return try value(depth: depth)
    }

    /// An entry's `status` or `result` as `leanEntry` keeps it: the literal or verdict name bkdiag and check.py
    /// write, told without a tree, or any other value as `value(depth:)` reads it.
    ///
    /// Any other value is kept as what the verdict reads of it (its truth and the verdict it names), not as a
    /// tree: the type holds no reference, so an entry's two values cost nothing to drop.
    enum EntryValue {
        case bool(Bool)
        case verdict(Verdict)
        case other(truthy: Bool, verdictName: Verdict?)

        /// Any value as the verdict reads it (`other`).
        static func read(_ v: JSONValue) -> EntryValue {
            .other(truthy: JSONValue.isTruthy(v), verdictName: v.stringValue.flatMap(Verdict.named))
        }

        /// Python's truth of the value, as `Verdict.read` takes a status (a verdict's name is a non-empty string).
        var truthy: Bool {
            switch self {
            case .bool(let b): b
            case .verdict: true
            case .other(let t, _): t
            }
        }

        /// The verdict a result names, as `Verdict.read` takes a result; nil for any other value.
        var verdictName: Verdict? {
            switch self {
            case .bool: nil
            case .verdict(let v): v
            case .other(_, let v): v
            }
        }

        /// An entry's verdict, as `Verdict.read` reads its two values.
        static func verdict(status: EntryValue, result: EntryValue?) -> Verdict {
            let ok = status.truthy
            if let named = result?.verdictName, named.compatStatus == ok { return named }
            return ok ? .pass : .fail
        }
    }

    /// `statusValue`, kept as an `EntryValue`.
    @inline(__always) mutating func statusMember(depth: Int) throws(GiveUp) -> EntryValue {
        switch try statusValue(depth: depth) {
        case .bool(let b): .bool(b)
        case let v: .read(v)
        }
    }

    /// An entry's `result` at `i`: a verdict's name (`\"pass\"`, `\"warn\"`, `\"fail\"`, `\"unknown\"`) as
    /// that verdict, without making a string; anything else through `value(depth:)`.
    @inline(__always) mutating func resultMember(depth: Int) throws(GiveUp) -> EntryValue {
        if let v = verdictName() { return .verdict(v) }
        return .read(try value(depth: depth))
    }

    /// The verdict whose name (`\"pass\"`, `\"warn\"`, `\"fail\"`, `\"unknown\"`) is at `i`, moved past it;
    /// nil, `i` unmoved, for anything else.
    @inline(__always) mutating func verdictName() -> Verdict? {
        if let base = b.baseAddress, i &+ 11 <= b.count {
            let raw = UnsafeRawPointer(base)
            switch raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            case 0x225C_7373_6170_225C:  // \"pass\"
                i &+= 8
                return .pass
            case 0x225C_6E72_6177_225C:  // \"warn\"
                i &+= 8
                return .warn
            case 0x225C_6C69_6166_225C:  // \"fail\"
                i &+= 8
                return .fail
            case 0x776F_6E6B_6E75_225C:  // \"unknow, then n\"
                if raw.loadUnaligned(fromByteOffset: i &+ 8, as: UInt16.self) == 0x5C6E, b[i &+ 10] == 0x22 {
                    i &+= 11
                    return .unknown
                }
            default: break
            }
        }
        return nil
    }

    /// The name of an entry's next member, positioned at its value: matched first against the one bkdiag
    /// writes at position `expected` of `entryOrder`, and after a surprise read (`expected` then past the end).
    @inline(__always) mutating func entryMemberName(expected: inout Int) throws(GiveUp) -> MemberName {
        skipSpace()
        let order = Self.entryOrder
        if expected < order.count, let m = member(order[expected]) {
            expected += 1
            return m
        }
        expected = order.count
        return try memberName()
    }

    /// The entries (after the `[`, the list not empty) as lean entries (see `fullEntries`), without
    /// making a `CheckResult` or a string per entry: each entry's verdict and kept texts are written to
    /// the interner's key, and the list is the one remembered for that key, made from the key the first
    /// time. Most hosts of a fleet report equal lean lists and share one.
    mutating func leanEntries() throws(GiveUp) -> [CheckResult] {
        self.interner.startKey()
        var position = 0
        repeat {
            try leanEntry(position: position)
            position &+= 1
        } while try next(close: UInt8(ascii: "]"))
        let strings = self.interner
        return strings.sharedList { key in Self.list(fromKey: key, interner: strings) }
    }

    /// A string of a run `EntryShapes` remembered, found again in the bytes at `start`.
    @inline(__always) func plainString(_ span: EntryShapes.Span, from start: Int) -> PlainString {
        (
            UnsafeBufferPointer(rebasing: b[(start &+ Int(span.start))..<(start &+ Int(span.start) &+ Int(span.count))]), span.ascii,
            span.slashes
        )
    }

    /// Where a string of a remembered run lies from the run's start.
    @inline(__always) func span(_ s: PlainString, from start: Int) -> EntryShapes.Span {
        let offset = s.bytes.baseAddress.map { $0 - b.baseAddress! } ?? start
        return EntryShapes.Span(start: Int32(offset &- start), count: Int32(s.bytes.count), ascii: s.ascii, slashes: s.slashes)
    }

    /// One entry read as `entry()` reads it (the same members required, the same repeats refused), its
    /// lean form written to the interner's key: the verdict, module and item, and for a failing entry its
    /// message and hint. The entry's head and middle are first looked for among those remembered at its
    /// `position` (`EntryShapes`), and remembered when read in the usual order.
    mutating func leanEntry(position: Int) throws(GiveUp) {
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw GiveUp() }
        let entryStart = i
        if wholeEntry(position: position) { return }
        var module: PlainString?
        var item: PlainString?
        var status: EntryValue?
        var message: PlainString?
        var result: EntryValue?
        var hint: PlainString?
        var hintSeen = false
        var evidenceSeen = false
        var durationSeen = false
        var duration: JSONValue?
        var durationText: UnsafeBufferPointer<UInt8>?
        // The part of a plain duration's text that the fleet JSON prints (`pastDuration`).
        var durationPrinted: UnsafeBufferPointer<UInt8>?
        let wantsDuration = wantsDurations
        var expected = 0
        // Where the message's string ended, when it was read as the fourth member in order (the middle's start).
        var middleStart = -1
        // A remembered head: positioned at the message's value, as after reading the first four members in order.
        var fromHead = false
        // The number of the head remembered for this entry's module and item (0: none).
        var headID: UInt64 = 0
        if let head = shapes.heads.find(at: position, in: b, from: entryStart) {
            headID = head.id
            module = plainString(head.module, from: entryStart)
            item = plainString(head.item, from: entryStart)
            status = .bool(head.status)
            i = entryStart &+ head.count
            expected = 4
            fromHead = true
        } else {
            i += 1
            skipSpace()
            guard i < b.count, b[i] != UInt8(ascii: "}") else { throw GiveUp() }
        }
        // Where the message's value starts, and where the `duration_ms` value starts when it is the ninth
        // member in bkdiag's order and the last (the whole entry is then remembered, see `wholeEntry`).
        var messageStart = -1
        var durationStart = -1
        var more = true
        while more {
            let before = expected
            durationStart = -1
            let name: MemberName = fromHead ? .message : try entryMemberName(expected: &expected)
            switch name {
            case .module:
                guard module == nil else { throw GiveUp() }
                module = try checkedString()
            case .item:
                guard item == nil else { throw GiveUp() }
                item = try checkedString()
            case .status:
                guard status == nil else { throw GiveUp() }
                status = try statusMember(depth: 3)
            case .message:
                guard message == nil else { throw GiveUp() }
                let inOrder = expected == 4
                if inOrder, !fromHead, let module, let item, case .bool(let ok)? = status {
                    headID = EntryShapes.newHeadID()
                    shapes.heads.remember(
                        EntryShapes.Head(
                            module: span(module, from: entryStart), item: span(item, from: entryStart), status: ok, id: headID),
                        run: UnsafeBufferPointer(rebasing: b[entryStart..<i]), at: position)
                }
                fromHead = false
                messageStart = i
                message = try entryMessage(position: position)
                if inOrder {
                    middleStart = i
                    if let middle = shapes.middles.find(at: position, in: b, from: i) {
                        result = .verdict(middle.result)
                        hintSeen = true
                        hint = plainString(middle.hint, from: middleStart)
                        i = middleStart &+ middle.count
                        expected = 8
                        evidenceSeen = true
                        try skipEvidence(position: position)
                    }
                }
            case .result:
                guard result == nil else { throw GiveUp() }
                result = try resultMember(depth: 3)
            case .hint:
                guard !hintSeen else { throw GiveUp() }
                hintSeen = true
                if atQuote() { hint = try checkedString() } else { try skipValue(depth: 3) }
            case .evidence:
                guard !evidenceSeen else { throw GiveUp() }
                evidenceSeen = true
                if expected == 8, middleStart >= 0, let hint, let verdict = result?.verdictName {
                    shapes.middles.remember(
                        EntryShapes.Middle(result: verdict, hint: span(hint, from: middleStart)),
                        run: UnsafeBufferPointer(rebasing: b[middleStart..<i]), at: position)
                }
                try skipEvidence(position: position)
            case .durationMs:
                guard !durationSeen else { throw GiveUp() }
                durationSeen = true
                // Handed on when a writer prints it: a plain number as its text (not parsed), anything else read
                // as `entry()` reads it. Else only checked.
                let start = i
                if wantsDuration {
                    if let base = b.baseAddress, let printed = Self.pastDuration(base, &i, b.count) {
                        durationPrinted = printed.isEmpty ? nil : UnsafeBufferPointer(rebasing: b[printed])
                        durationText = UnsafeBufferPointer(rebasing: b[start..<i])
                        if before == 8 && expected == 9 { durationStart = start }
                    } else {
                        try readOnce(into: &duration, depth: 3)
                    }
                } else if skipPlainNumber() {
                    if before == 8 && expected == 9 { durationStart = start }
                } else {
                    try skipValue(depth: 3)
                }
            default: try skipValue(depth: 3)
            }
            more = try next(close: UInt8(ascii: "}"))
        }
        guard let module, let item, let status, let message else { throw GiveUp() }
        let verdict = EntryValue.verdict(status: status, result: result)
        // Read in bkdiag's order to its last member, a plain duration: remembered whole when its head (to the
        // message's value) holds no digit, so that one equal to it but for digits has the same module and item.
        if durationStart >= 0, messageStart > entryStart, shapes.wholes.remembers(at: position), let hint, case .bool = status,
            case .verdict? = result, let base = b.baseAddress,
            !UnsafeBufferPointer(start: base + entryStart, count: messageStart &- entryStart).contains(where: { $0 &- 0x30 < 10 })
        {
            shapes.wholes.remember(
                EntryShapes.Whole(
                    module: span(module, from: entryStart), item: span(item, from: entryStart), message: span(message, from: entryStart),
                    hint: span(hint, from: entryStart), verdict: verdict, head: headID),
                run: UnsafeBufferPointer(rebasing: b[entryStart..<durationStart]), at: position)
        }
        finishEntry(
            module: module, item: item, verdict: verdict, message: message, hint: hint,
            duration: durationPrinted.map(ReportDuration.printed) ?? durationText.map(ReportDuration.text)
                ?? duration?.doubleValue.map(ReportDuration.value), head: headID)
    }

    /// An entry equal to the whole entry remembered at `position` but for digits (`EntryShapes.Whole`), its plain
    /// `duration_ms` and its `}`: read in one comparison, its texts taken where the remembered entry had them.
    /// False, nothing read, for any other (read member by member).
    @inline(__always) mutating func wholeEntry(position: Int) -> Bool {
        guard let e = shapes.wholes.findAllowingDigitsBefore(at: position, in: b, from: i), let base = b.baseAddress else {
            return false
        }
        let entryStart = i
        let n = b.count
        var k = entryStart &+ e.count
        let start = k
        var printed: Range<Int>?
        if wantsDurations {
            guard let p = Self.pastDuration(base, &k, n) else { return false }
            printed = p
        } else {
            guard Self.pastPlainNumber(base, &k, n) else { return false }
        }
        let end = k
        while k < n && base[k] == 0x20 { k &+= 1 }
        guard k < n, base[k] == UInt8(ascii: "}") else { return false }
        i = k &+ 1
        let duration: ReportDuration? =
            !wantsDurations
            ? nil
            : printed.map {
                $0.isEmpty ? .text(UnsafeBufferPointer(rebasing: b[start..<end])) : .printed(UnsafeBufferPointer(rebasing: b[$0]))
            }
        finishEntry(
            module: plainString(e.module, from: entryStart), item: plainString(e.item, from: entryStart), verdict: e.verdict,
            message: plainString(e.message, from: entryStart), hint: plainString(e.hint, from: entryStart), duration: duration,
            head: e.head)
        return true
    }

    /// What an entry read gives: its line to the writer, and its lean form to the interner's key.
    @inline(__always) func finishEntry(
        module: PlainString, item: PlainString, verdict: Verdict, message: PlainString, hint: PlainString?, duration: ReportDuration?,
        head headID: UInt64
    ) {
        if let entryLines {
            entryLines.entry(
                module: ReportText(bytes: module.bytes, escapedSlashes: module.slashes, ascii: module.ascii),
                item: ReportText(bytes: item.bytes, escapedSlashes: item.slashes, ascii: item.ascii), verdict: verdict,
                message: ReportText(bytes: message.bytes, escapedSlashes: message.slashes, ascii: message.ascii),
                hint: hint.map { ReportText(bytes: $0.bytes, escapedSlashes: $0.slashes, ascii: $0.ascii) }, duration: duration,
                head: headID)
        }
        internerHandle._withUnsafeGuaranteedRef { strings in
            strings.appendKey(Self.keyCode(verdict))
            strings.appendKey(text: module.bytes, slashes: module.slashes)
            strings.appendKey(text: item.bytes, slashes: item.slashes)
            if !verdict.compatStatus {
                strings.appendKey(text: message.bytes, slashes: message.slashes)
                if let hint {
                    strings.appendKey(text: hint.bytes, slashes: hint.slashes)
                } else {
                    strings.appendKey(text: UnsafeBufferPointer(start: nil, count: 0), slashes: false)
                }
            }
        }
    }

    /// An entry's message (at `i`), as `checkedString` reads it. Hosts print the same messages but for their
    /// numbers: a message equal to the one read before at this entry position but for digits is that one's
    /// kind of string (its digits are plain characters), found in one comparison; any other is read and
    /// remembered.
    @inline(__always) mutating func entryMessage(position: Int) throws(GiveUp) -> PlainString {
        if let m = shapes.messages.findString(at: position, in: b, from: i) {
            let text = UnsafeBufferPointer(rebasing: b[(i &+ 2)..<(i &+ m.count &- 2)])
            i &+= m.count
            return (text, m.ascii, m.slashes)
        }
        let start = i
        let s = try checkedString()
        shapes.messages.remember(
            EntryShapes.Text(ascii: s.ascii, slashes: s.slashes), run: UnsafeBufferPointer(rebasing: b[start..<i]), at: position)
        return s
    }

    /// Moves past an entry's evidence (at `i`), as `skipValue` does. Hosts print the same evidence but for its
    /// numbers: an evidence equal to one skipped before at this entry position but for digits (`EntryShapes
    /// .sameButDigits`) reads as that one did and is passed over in one comparison; any other is skipped
    /// and remembered.
    @inline(__always) mutating func skipEvidence(position: Int) throws(GiveUp) {
        try skipRemembered(shapes.evidence, at: position, depth: 3)
    }

    /// A verdict's byte in a lean key (and in the fleet's entry templates' keys).
    public static func keyCode(_ v: Verdict) -> UInt8 {
        switch v {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        case .unknown: 3
        }
    }

    /// The lean entries a key written by `leanEntry()` holds.
    static func list(fromKey key: UnsafeBufferPointer<UInt8>, interner: StringInterner) -> [CheckResult] {
        var out: [CheckResult] = []
        var k = 0
        func text() -> String {
            let n = Int(UInt32(littleEndian: UnsafeRawPointer(key.baseAddress! + k).loadUnaligned(as: UInt32.self)))
            k += 4
            defer { k += n }
            return interner.string(UnsafeBufferPointer(rebasing: key[k..<(k + n)]))
        }
        while k < key.count {
            let verdict: Verdict
            switch key[k] {
            case 0: verdict = .pass
            case 1: verdict = .warn
            case 2: verdict = .fail
            default: verdict = .unknown
            }
            k += 1
            let module = text()
            let item = text()
            var message = ""
            var hint = ""
            if !verdict.compatStatus {
                message = text()
                hint = text()
            }
            out.append(CheckResult(module: module, item: item, verdict: verdict, message: message, hint: hint))
        }
        return out
    }

    mutating func entry() throws(GiveUp) -> CheckResult {
        try expect(UInt8(ascii: "{"))
        var f = EntryFields()
        skipSpace()
        guard i < b.count, b[i] != UInt8(ascii: "}") else { throw GiveUp() }
        var expected = 0
        // Without `fullEntries`: the message and hint, made into strings only for a failing entry.
        var message: PlainString?
        var hint: PlainString?
        var durationSeen = false
        repeat {
            switch try entryMemberName(expected: &expected) {
            case .module:
                guard f.module == nil else { throw GiveUp() }
                f.module = try text()
            case .item:
                guard f.item == nil else { throw GiveUp() }
                f.item = try text()
            case .status:
                guard f.status == nil else { throw GiveUp() }
                f.status = try statusValue(depth: 3)
            case .message:
                // Anything but a string is printed with Python's str(): left to the usual reader.
                guard f.message == nil else { throw GiveUp() }
                if fullEntries {
                    f.message = try text()
                } else {
                    message = try checkedString()
                    f.message = ""
                }
            case .result:
                guard f.result == nil else { throw GiveUp() }
                f.result = try resultValue(depth: 3)
            case .hint:
                guard !f.hintSeen else { throw GiveUp() }
                f.hintSeen = true
                // A hint that is not a string reads as "" (`CheckResult(json:)`).
                if !atQuote() {
                    try skipValue(depth: 3)
                } else if fullEntries {
                    f.hint = try text()
                } else {
                    hint = try checkedString()
                }
            case .evidence: try readOnce(into: &f.evidence, seen: &f.evidenceSeen, depth: 3)
            case .durationMs:
                if fullEntries {
                    try readOnce(into: &f.duration, depth: 3)
                } else {
                    // Left out, but a repeated one still leaves the output to the usual reader.
                    guard !durationSeen else { throw GiveUp() }
                    durationSeen = true
                    try skipValue(depth: 3)
                }
            default: try skipValue(depth: 3)
            }
        } while try next(close: UInt8(ascii: "}"))
        guard var entry = f.checkResult(keepEvidence: keepEvidence) else { throw GiveUp() }
        if fullEntries { return entry }
        entry.durationMs = nil
        if !entry.status {
            if let message { entry.message = string(of: message) }
            if let hint { entry.hint = string(of: hint) }
        }
        return entry
    }
}
