import CBytes
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes that entries at the same position of a report began with on earlier hosts, and what reading
/// them gave (`EscapedOutputDecoder.leanEntry`).
///
/// A fleet's hosts print the same checks in the same order, and an entry differs from the same entry of
/// another host mostly in its message, evidence and duration: `{"module":"gse_agent","item":"socket",
/// "status":true,"message":"` and `","result":"pass","label":"socket","hint":"","evidence":` (escaped as
/// they lie in a log page) repeat byte for byte. Reading is a function of the bytes read and the state
/// before them, so bytes equal to a run read before, from the same state, read the same way: the head (from
/// the entry's `{` to its message's value) and the middle (from the end of the message to the evidence's
/// value) are compared with the bytes remembered at that position and, when equal, their members are
/// taken from what was remembered instead of read one by one. Anything else is read as usual, and a head or
/// middle read in the usual order is remembered for the next host.
///
/// Per thread, like the `StringInterner` that holds it: not thread-safe, and its state skips the runtime's
/// exclusivity checks.
public final class EntryShapes {
    /// Entry positions remembered (entries past them are read as usual), and ways per position (a position sees
    /// few shapes: a check passing or failing, check.py's four entries beside bkdiag's).
    static let positions = 64
    static let ways = 2
    /// The misses, less `hitCredit` per hit, at which runs at a position are let go (`Runs.misses`), and how
    /// many are tried again after each 255 let go. A hit saves what three misses cost, so a position is let go
    /// where fewer than one run in four is found.
    public static let tries: UInt8 = 16
    public static let retries: UInt8 = 4
    public static let hitCredit = 3

    /// A string inside a remembered run: its place from the run's start, and what `plainString` said of it.
    struct Span {
        var start: Int32 = 0
        var count: Int32 = 0
        var ascii = false
        var slashes = false
    }

    /// A head: `{`, module, item and status, in that order, up to the message's value.
    struct Head: Remembered {
        var count = 0
        var module = Span()
        var item = Span()
        var status = false
        /// The head's number (`newHeadID`): entries of heads of equal numbers have equal module and item bytes.
        var id: UInt64 = 0
    }

    /// Head numbers, unique in the process (a writer may see entries read through several interners).
    private static let headIDs = Atomic<UInt64>(0)

    /// A number no head has had: given to each head remembered.
    static func newHeadID() -> UInt64 { headIDs.add(1, ordering: .relaxed).newValue }

    /// A middle: after the message, `result` (a verdict's name), `label` and a string `hint`, in that
    /// order, up to the evidence's value.
    struct Middle: Remembered {
        var count = 0
        var result = Verdict.pass
        var hint = Span()
    }

    /// A value skipped whole (an entry's evidence): only its length is remembered.
    struct Skipped: Remembered {
        var count = 0
    }

    /// A whole entry in bkdiag's order, from its `{` to the value of its `duration_ms` (the last member): what
    /// reading it gave. Its head (up to the message's value) holds no digit, so an entry equal to it but for
    /// digits has the same module, item and status byte for byte, and the same result.
    struct Whole: Remembered {
        var count = 0
        var module = Span()
        var item = Span()
        var message = Span()
        var hint = Span()
        var verdict = Verdict.pass
        var head: UInt64 = 0
    }

    /// A plain string: its length with its quotes, and whether it is ASCII and holds a slash the page escaped.
    struct Text: Remembered {
        var count = 0
        var ascii = false
        var slashes = false
    }

    /// The heads and the middles remembered.
    let heads = Runs<Head>(runBytes: 192)
    let middles = Runs<Middle>(runBytes: 256)
    /// The evidence values skipped, found again by `findAllowingDigits`: hosts print the same evidence but for
    /// its numbers (a pid, a size, an inode), which are most often as long as the last host's.
    let evidence = Runs<Skipped>(runBytes: 256)
    /// An entry's message: a plain string (escaped quotes included) that hosts print alike but for numbers
    /// (a pid, a count, a host's name), remembered with what `plainString` said of it.
    let messages = Runs<Text>(runBytes: 256)
    /// Whole entries (`Whole`), found again by `findAllowingDigitsBefore`: most entries of a fleet are bkdiag's, in its order,
    /// differing from the same entry of the host before only in numbers.
    let wholes = Runs<Whole>(runBytes: 512)
    /// The same for a report's members that are skipped (its host, context, summary and times, without
    /// evidence), by the member's place in the report.
    let reportValues = Runs<Skipped>(runBytes: 256)

    /// How many heads and middles were found again (for the tests: that equal runs are taken as remembered).
    public var headHits: Int { heads.hits.pointee }
    public var middleHits: Int { middles.hits.pointee }
    public var evidenceHits: Int { evidence.hits.pointee }
    public var reportValueHits: Int { reportValues.hits.pointee }
    public var messageHits: Int { messages.hits.pointee }
    public var wholeHits: Int { wholes.hits.pointee }

    public init() {}

    deinit {
        heads.deallocate()
        middles.deallocate()
        evidence.deallocate()
        reportValues.deallocate()
        messages.deallocate()
        wholes.deallocate()
    }

    /// Whether the `count` bytes at `c` are a JSON text that reads as the text `r` (read whole, without giving
    /// up) reads, to the same end: they equal `r`'s bytes but where both hold a digit, and no digit put in
    /// place of another could make a number start with a zero. A digit in a string (or a `\u` escape's hex)
    /// is any character like another, and in a number any digit may take another's place except a leading
    /// zero: `01` is no JSON number. A zero that may be one (a digit follows it, and what precedes it is no
    /// digit, point, `e`, `E` or `+`) is refused, which also refuses some valid texts (a string's `a05`):
    /// those are read as usual.
    ///
    /// With `numbers` false, for a run that is one plain string of the report (`EscapedOutputDecoder.plainString`:
    /// no escape but `\/` and its closing quote), any digit may take another's place: a zero too.
    @inline(__always) public static func sameButDigits(
        _ c: UnsafePointer<UInt8>, _ r: UnsafePointer<UInt8>, _ count: Int, numbers: Bool = true
    ) -> Bool {
        @inline(__always) func isDigit(_ x: UInt8) -> Bool { x &- 0x30 < 10 }
        // A zero put at `j` in place of another digit, where it may start a number's integer part: a digit
        // follows, and neither a digit nor what comes before a fraction's or an exponent's digits precedes.
        @inline(__always) func leadingZero(_ j: Int) -> Bool {
            guard numbers && j &+ 1 < count && isDigit(c[j &+ 1]) else { return false }
            guard j > 0 else { return true }
            let before = c[j &- 1]
            return !isDigit(before) && before != UInt8(ascii: ".") && before | 0x20 != UInt8(ascii: "e") && before != UInt8(ascii: "+")
        }
        guard count >= 8 else {
            for j in 0..<count where c[j] != r[j] {
                guard isDigit(c[j]), isDigit(r[j]), c[j] != UInt8(ascii: "0") || !leadingZero(j) else { return false }
            }
            return true
        }
        // The bytes that differ (a host's numbers, few) looked at one by one, given as a mask from `at`.
        @inline(__always) func digitsApart(_ at: Int, _ mask: UInt32) -> Bool {
            var differs = mask
            while differs != 0 {
                let j = at &+ differs.trailingZeroBitCount
                guard isDigit(c[j]), isDigit(r[j]), c[j] != UInt8(ascii: "0") || !leadingZero(j) else { return false }
                differs &= differs &- 1
            }
            return true
        }
        if count >= 32 {
            // Thirty-two bytes at a time (`bkdiag_diff32`: two SSE2 compares), the last run overlapping the one
            // before it.
            var k = 0
            while true {
                let at = min(k, count &- 32)
                let differs = bkdiag_diff32(c + at, r + at)
                if differs != 0 && !digitsApart(at, differs) { return false }
                k &+= 32
                if k >= count { return true }
            }
        }
        if count >= 16 {
            // Two runs of sixteen, the second overlapping the first.
            let last = count &- 16
            return digitsApart(0, bkdiag_diff16(c, r)) && digitsApart(last, bkdiag_diff16(c + last, r + last))
        }
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let high: UInt64 = 0x8080_8080_8080_8080
        let zeros: UInt64 = 0x3030_3030_3030_3030
        let cw = UnsafeRawPointer(c)
        let rw = UnsafeRawPointer(r)
        // Eight to fifteen bytes: two words, the second overlapping the first. In a word that differs, every
        // byte that differs must be a digit on both sides (a byte `x ^ 0x30` below 10), and a zero put in is
        // looked at on its own.
        var k = 0
        while true {
            let at = min(k, count &- 8)
            let cv = cw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let rv = rw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let d = cv ^ rv
            if d != 0 {
                let differs = (((d & low) &+ low) | d) & high
                let xc = cv ^ zeros
                let xr = rv ^ zeros
                let notDigit = (((xc & low) &+ 0x7676_7676_7676_7676) | xc | ((xr & low) &+ 0x7676_7676_7676_7676) | xr) & high
                guard differs & notDigit == 0 else { return false }
                var zeroPut = numbers ? differs & ~((((xc & low) &+ low) | xc) | low) : 0
                while zeroPut != 0 {
                    guard !leadingZero(at &+ (zeroPut.trailingZeroBitCount &>> 3)) else { return false }
                    zeroPut &= zeroPut &- 1
                }
            }
            k &+= 8
            if k >= count { return true }
        }
    }

    /// Whether `c` may go on with a number: a digit, a point, an exponent's letter or sign.
    @inline(__always) static func continuesNumber(_ c: UInt8) -> Bool {
        c &- 0x30 < 10 || c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }

    /// What a remembered run gave, with the run's length.
    protocol Remembered {
        init()
        var count: Int { get set }
    }

    /// Runs of one kind, `ways` per position, each up to `runBytes` long, with what reading them gave. Raw storage
    /// only (held in a `let`, it costs no reference counting on the decoder's path).
    struct Runs<Entry: Remembered> {
        let runBytes: Int
        let entries: UnsafeMutablePointer<Entry>
        let bytes: UnsafeMutablePointer<UInt8>
        /// Per position, the way the next run remembered there takes.
        let next: UnsafeMutablePointer<UInt8>
        /// Per position, how looking has fared: below `tries`, the misses less `hitCredit` per hit; from `tries`
        /// on, the runs let go by without a look or a copy remembered, counted up to 255, after which a few
        /// are tried again. Where hosts' outputs do not repeat, a miss costs a comparison and a copy per entry.
        let misses: UnsafeMutablePointer<UInt8>
        let hits: UnsafeMutablePointer<Int>

        init(runBytes: Int) {
            let slots = EntryShapes.positions * EntryShapes.ways
            self.runBytes = runBytes
            entries = .allocate(capacity: slots)
            entries.initialize(repeating: Entry(), count: slots)
            bytes = .allocate(capacity: slots * runBytes)
            next = .allocate(capacity: EntryShapes.positions)
            next.initialize(repeating: 0, count: EntryShapes.positions)
            misses = .allocate(capacity: EntryShapes.positions)
            misses.initialize(repeating: 0, count: EntryShapes.positions)
            hits = .allocate(capacity: 1)
            hits.initialize(to: 0)
        }

        func deallocate() {
            entries.deallocate()
            bytes.deallocate()
            next.deallocate()
            misses.deallocate()
            hits.deallocate()
        }

        /// The slot at `position` whose run `matches`, unless looking there has been let go (`misses`: then nil
        /// without a look, but for `retries` looks after each 255 runs let go).
        @inline(__always) func search(at position: Int, _ matches: (Int) -> Bool) -> Int? {
            guard position < EntryShapes.positions else { return nil }
            var m = misses[position]
            if m >= EntryShapes.tries {
                if m < 255 {
                    misses[position] = m &+ 1
                    return nil
                }
                m = EntryShapes.tries &- EntryShapes.retries
            }
            for way in 0..<EntryShapes.ways {
                let slot = position &* EntryShapes.ways &+ way
                if matches(slot) {
                    misses[position] = m > UInt8(EntryShapes.hitCredit) ? m &- UInt8(EntryShapes.hitCredit) : 0
                    hits.pointee &+= 1
                    return slot
                }
            }
            misses[position] = m &+ 1
            return nil
        }

        /// The run remembered at `position` that the bytes at `at` of `b` begin with.
        @inline(__always) func find(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Entry? {
            guard let base = b.baseAddress else { return nil }
            let room = b.count &- at
            return search(at: position) { slot in
                let n = entries[slot].count
                return n > 0 && n <= room && memcmp(base + at, bytes + slot &* runBytes, n) == 0
            }.map { entries[$0] }
        }

        /// The slot at `position` whose run the bytes at `at` of `b` begin with but for digits (`sameButDigits`,
        /// with `numbers` as given); with `whole`, only where the bytes after the run cannot go on with it.
        @inline(__always) private func slotAllowingDigits(
            at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int, numbers: Bool, whole: Bool
        ) -> Int? {
            guard let base = b.baseAddress else { return nil }
            let room = b.count &- at
            return search(at: position) { slot in
                let n = entries[slot].count
                return n > 0 && n <= room && EntryShapes.sameButDigits(base + at, bytes + slot &* runBytes, n, numbers: numbers)
                    && (!whole || n == room || !EntryShapes.continuesNumber(base[at &+ n]))
            }
        }

        /// The length of the run remembered at `position` that the bytes at `at` of `b` equal but for digits
        /// (`sameButDigits`), which then read as that run did. A run is a whole value only where the bytes after
        /// it cannot go on with it: a value that is a number (`5`) is also the start of a longer one (`5.25`).
        @inline(__always) func findAllowingDigits(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Int? {
            slotAllowingDigits(at: position, in: b, from: at, numbers: true, whole: true).map { entries[$0].count }
        }

        /// The run remembered at `position` that the bytes at `at` of `b` begin with but for digits, each run
        /// one plain string from its opening quote to its closing one (`sameButDigits` with `numbers` false).
        @inline(__always) func findString(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Entry? {
            slotAllowingDigits(at: position, in: b, from: at, numbers: false, whole: false).map { entries[$0] }
        }

        /// The run remembered at `position` that the bytes at `at` of `b` begin with but for digits, read as a
        /// run of JSON text (`sameButDigits` with `numbers`): a run that ends in the middle of the text, before
        /// a value the caller reads itself.
        @inline(__always) func findAllowingDigitsBefore(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Entry? {
            slotAllowingDigits(at: position, in: b, from: at, numbers: true, whole: false).map { entries[$0] }
        }

        /// Whether a run would be remembered at `position` (looking there has not been let go): checked before
        /// working out what to remember.
        @inline(__always) func remembers(at position: Int) -> Bool {
            position < EntryShapes.positions && misses[position] < EntryShapes.tries
        }

        /// Remembers `run` at `position`, with what reading it gave (a run too long for a slot is not remembered,
        /// nor one where looking has been let go).
        func remember(_ entry: Entry, run: UnsafeBufferPointer<UInt8>, at position: Int) {
            guard position < EntryShapes.positions, misses[position] < EntryShapes.tries, run.count > 0, run.count <= runBytes,
                let base = run.baseAddress
            else { return }
            let way = Int(next[position])
            next[position] = UInt8((way + 1) % EntryShapes.ways)
            let slot = position * EntryShapes.ways + way
            (bytes + slot * runBytes).update(from: base, count: run.count)
            var e = entry
            e.count = run.count
            entries[slot] = e
        }
    }
}
