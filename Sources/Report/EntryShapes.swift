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
    /// Entry positions remembered (entries past them are read as usual), ways per position (a position sees
    /// few shapes: a check passing or failing, check.py's four entries beside bkdiag's), and the longest head
    /// and middle remembered.
    static let positions = 64
    static let ways = 2
    static let headBytes = 192
    static let middleBytes = 256

    /// A string inside a remembered run: its place from the run's start, and what `plainString` said of it.
    struct Span {
        var start: Int32 = 0
        var count: Int32 = 0
        var ascii = false
        var slashes = false
    }

    /// A head: `{`, module, item and status, in that order, up to the message's value.
    struct Head {
        var count = 0
        var module = Span()
        var item = Span()
        var status = false
    }

    /// A middle: after the message, `result` (a verdict's name), `label` and a string `hint`, in that
    /// order, up to the evidence's value.
    struct Middle {
        var count = 0
        var result: UInt8 = 0
        var hint = Span()
    }

    private let heads: UnsafeMutablePointer<Head>
    private let middles: UnsafeMutablePointer<Middle>
    private let headRuns: UnsafeMutablePointer<UInt8>
    private let middleRuns: UnsafeMutablePointer<UInt8>
    /// How many heads and middles were found again (for the tests: that equal runs are taken as remembered).
    @exclusivity(unchecked) public private(set) var headHits = 0
    @exclusivity(unchecked) public private(set) var middleHits = 0
    /// Per position, the way the next head and the next middle remembered there take.
    @exclusivity(unchecked) private var nextHead = [UInt8](repeating: 0, count: EntryShapes.positions)
    @exclusivity(unchecked) private var nextMiddle = [UInt8](repeating: 0, count: EntryShapes.positions)

    public init() {
        let slots = Self.positions * Self.ways
        heads = .allocate(capacity: slots)
        heads.initialize(repeating: Head(), count: slots)
        middles = .allocate(capacity: slots)
        middles.initialize(repeating: Middle(), count: slots)
        headRuns = .allocate(capacity: slots * Self.headBytes)
        middleRuns = .allocate(capacity: slots * Self.middleBytes)
    }

    deinit {
        heads.deallocate()
        middles.deallocate()
        headRuns.deallocate()
        middleRuns.deallocate()
    }

    /// The head remembered at `position` that the bytes at `at` of `b` begin with.
    @inline(__always) func head(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Head? {
        guard position < Self.positions, let base = b.baseAddress else { return nil }
        let room = b.count &- at
        for way in 0..<Self.ways {
            let slot = position &* Self.ways &+ way
            let h = heads[slot]
            if h.count > 0 && h.count <= room && memcmp(base + at, headRuns + slot &* Self.headBytes, h.count) == 0 {
                headHits &+= 1
                return h
            }
        }
        return nil
    }

    /// The middle remembered at `position` that the bytes at `at` of `b` begin with.
    @inline(__always) func middle(at position: Int, in b: UnsafeBufferPointer<UInt8>, from at: Int) -> Middle? {
        guard position < Self.positions, let base = b.baseAddress else { return nil }
        let room = b.count &- at
        for way in 0..<Self.ways {
            let slot = position &* Self.ways &+ way
            let m = middles[slot]
            if m.count > 0 && m.count <= room && memcmp(base + at, middleRuns + slot &* Self.middleBytes, m.count) == 0 {
                middleHits &+= 1
                return m
            }
        }
        return nil
    }

    /// Remembers `run` as the head at `position` (a run too long for a slot is not remembered).
    func remember(head: Head, run: UnsafeBufferPointer<UInt8>, at position: Int) {
        guard position < Self.positions, run.count > 0, run.count <= Self.headBytes, let base = run.baseAddress else { return }
        let way = Int(nextHead[position])
        nextHead[position] = UInt8((way + 1) % Self.ways)
        let slot = position * Self.ways + way
        (headRuns + slot * Self.headBytes).update(from: base, count: run.count)
        var h = head
        h.count = run.count
        heads[slot] = h
    }

    /// Remembers `run` as the middle at `position`.
    func remember(middle: Middle, run: UnsafeBufferPointer<UInt8>, at position: Int) {
        guard position < Self.positions, run.count > 0, run.count <= Self.middleBytes, let base = run.baseAddress else { return }
        let way = Int(nextMiddle[position])
        nextMiddle[position] = UInt8((way + 1) % Self.ways)
        let slot = position * Self.ways + way
        (middleRuns + slot * Self.middleBytes).update(from: base, count: run.count)
        var m = middle
        m.count = run.count
        middles[slot] = m
    }
}
