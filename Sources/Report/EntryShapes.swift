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
    }

    /// A middle: after the message, `result` (a verdict's name), `label` and a string `hint`, in that
    /// order, up to the evidence's value.
    struct Middle: Remembered {
        var count = 0
        var result = Verdict.pass
        var hint = Span()
    }

    /// The heads and the middles remembered.
    let heads = Runs<Head>(runBytes: 192)
    let middles = Runs<Middle>(runBytes: 256)

    /// How many heads and middles were found again (for the tests: that equal runs are taken as remembered).
    public var headHits: Int { heads.hits.pointee }
    public var middleHits: Int { middles.hits.pointee }

    public init() {}

    deinit {
        heads.deallocate()
        middles.deallocate()
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
        let hits: UnsafeMutablePointer<Int>

        init(runBytes: Int) {
            let slots = EntryShapes.positions * EntryShapes.ways
            self.runBytes = runBytes
            entries = .allocate(capacity: slots)
            entries.initialize(repeating: Entry(), count: slots)
            bytes = .allocate(capacity: slots * runBytes)
            next = .allocate(capacity: EntryShapes.positions)
            next.initialize(repeating: 0, count: EntryShapes.positions)
            hits = .allocate(capacity: 1)
            hits.initialize(to: 0)
        }

        func deallocate() {
            entries.deallocate()
            bytes.deallocate()
            next.deallocate()
            hits.deallocate()
        }

        /// The run remembered at `position` that the bytes at `at` of `b` begin with.
        @inline(__always) func find(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Entry? {
            guard position < EntryShapes.positions, let base = b.baseAddress else { return nil }
            let room = b.count &- at
            for way in 0..<EntryShapes.ways {
                let slot = position &* EntryShapes.ways &+ way
                let e = entries[slot]
                if e.count > 0 && e.count <= room && memcmp(base + at, bytes + slot &* runBytes, e.count) == 0 {
                    hits.pointee &+= 1
                    return e
                }
            }
            return nil
        }

        /// Remembers `run` at `position`, with what reading it gave (a run too long for a slot is not remembered).
        func remember(_ entry: Entry, run: UnsafeBufferPointer<UInt8>, at position: Int) {
            guard position < EntryShapes.positions, run.count > 0, run.count <= runBytes, let base = run.baseAddress else { return }
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
