import Synchronization
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The records one `/history` answer returns, picked under the store's lock with their segments held
/// open, so a rotation during the answer cannot take them away. The answer is produced record by
/// record (`body(chunkBytes:emit:)`): its size is known up front (each record's header keeps its
/// inflated length), its memory is one chunk.
public final class HistorySelection: Sendable {
    struct Pick: Sendable {
        var file: Int
        var offset: Int
        var inflated: Int
        var generatedAtMs: Int64
    }

    private let fds: [Int32]
    private let picks: [Pick]

    init(fds: [Int32], picks: [Pick]) {
        self.fds = fds
        self.picks = picks
    }

    deinit { for fd in fds { Sys.close(fd) } }

    public var count: Int { picks.count }

    /// The JSON line of the `i`th record, nil when it no longer reads back as it verified.
    func line(_ i: Int) -> [UInt8]? {
        let p = picks[i]
        guard let line = ReportHistory.readRecordBytes(fds[p.file], at: p.offset), line.count == p.inflated else { return nil }
        return line
    }

    func generatedAtMs(_ i: Int) -> Int64 { picks[i].generatedAtMs }

    private var prefix: [UInt8] { Array("{\"count\":\(picks.count),\"reports\":[".utf8) }
    private static let suffix = Array("]}\n".utf8)

    /// Bytes of the whole answer: `{"count":n,"reports":[line,line]}` and a newline.
    public var bodyLength: Int {
        prefix.count + picks.reduce(0) { $0 + $1.inflated } + max(0, picks.count - 1) + Self.suffix.count
    }

    /// Produces the answer in pieces of about `chunkBytes` (a piece may exceed it by one report), each
    /// handed to `emit` and awaited before the next is read. A record that no longer reads back as it
    /// verified (its bytes damaged since the store was opened) is answered as `null`, padded with spaces
    /// to the length it had: the answer stays valid JSON of exactly `bodyLength` bytes, and one damaged
    /// record costs only itself. Returns how many records were answered so.
    public func body(chunkBytes: Int, emit: ([UInt8]) async throws -> Void) async throws -> Int {
        var chunk = prefix
        var unreadable = 0
        for i in picks.indices {
            if i > 0 { chunk.append(UInt8(ascii: ",")) }
            if let line = line(i) {
                chunk += line
            } else {
                unreadable += 1
                chunk += Self.placeholder(length: picks[i].inflated)
            }
            if chunk.count >= chunkBytes {
                try await emit(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        chunk += Self.suffix
        try await emit(chunk)
        return unreadable
    }

    /// A JSON value of exactly `length` bytes (at least 1) standing for a record that no longer reads back.
    static func placeholder(length: Int) -> [UInt8] {
        let word: [UInt8] = length >= 4 ? Array("null".utf8) : [UInt8(ascii: "0")]
        return word + [UInt8](repeating: UInt8(ascii: " "), count: max(0, length - word.count))
    }
}

/// At most `slots` holders at once; the others wait in order. Waiting costs no memory beyond the waiter.
final class AsyncGate: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(slots: Int) { state = Mutex(State(free: max(1, slots))) }

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.free > 0 {
                    s.free -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.free += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
