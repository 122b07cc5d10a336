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
    /// handed to `emit` and awaited before the next is read. Returns false, having stopped, when a record
    /// no longer reads back as it verified (the answer would otherwise be shorter than `bodyLength`).
    public func body(chunkBytes: Int, emit: ([UInt8]) async throws -> Void) async throws -> Bool {
        var chunk = prefix
        for i in picks.indices {
            guard let line = line(i) else { return false }
            if i > 0 { chunk.append(UInt8(ascii: ",")) }
            chunk += line
            if chunk.count >= chunkBytes {
                try await emit(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        chunk += Self.suffix
        try await emit(chunk)
        return true
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
