#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Limits of the history store; the oldest segment is dropped when either is exceeded.
public struct HistoryLimits: Sendable, Equatable {
    public var maxReports: Int
    public var maxBytes: Int

    public init(maxReports: Int = 10_000, maxBytes: Int = 64 << 20) {
        self.maxReports = max(1, maxReports)
        self.maxBytes = max(4096, maxBytes)
    }

    /// A segment is closed when it holds this many records or bytes, so whole-segment drops keep
    /// the store within 1/8 of its limits.
    var segmentReports: Int { max(1, maxReports / 8) }
    var segmentBytes: Int { max(2048, maxBytes / 8) }
}

/// What opening the store found.
public struct HistoryRecovery: Sendable, Equatable {
    /// Records that verified.
    public var records = 0
    /// Bytes cut from the end of the newest segment (a record torn by a crash).
    public var truncatedBytes = 0
    /// Bytes skipped inside older segments because they did not verify.
    public var skippedBytes = 0

    public init(records: Int = 0, truncatedBytes: Int = 0, skippedBytes: Int = 0) {
        self.records = records
        self.truncatedBytes = truncatedBytes
        self.skippedBytes = skippedBytes
    }
}

/// One stored report: its time and the rich JSON line.
public struct HistoryEntry: Sendable, Equatable {
    public var generatedAtMs: Int64
    public var line: String
}

/// Every report, appended to a checksummed log of zlib-compressed records under a state directory.
///
/// Layout: `history-<8-digit sequence>.log` segments. Each starts with the 8-byte magic `BKDHIST1`;
/// each record is a 24-byte little-endian header (`BKR1` magic, compressed length, inflated length,
/// generatedAt ms, CRC-32 of everything after the CRC field's position except itself: the inflated
/// length, the time and the compressed bytes) and the zlib stream of the report's rich JSON line.
///
/// Durability: one `write(2)` per record then `fsync(2)`; a record is either complete and verifies, or
/// is a torn tail that opening cuts off. Older records are never rewritten, so `kill -9` loses at most
/// the record being written. Segments are created and removed with a directory fsync.
public final class HistoryStore: Sendable {
    static let fileMagic: [UInt8] = Array("BKDHIST1".utf8)
    static let recordMagic: UInt32 = 0x3152_4B42  // "BKR1" little-endian
    static let headerSize = 24

    struct Segment {
        var sequence: Int
        var path: String
        var bytes: Int
        var records: [(offset: Int, generatedAtMs: Int64)]
    }

    struct State {
        var limits: HistoryLimits
        var segments: [Segment]
        var fd: Int32  // write descriptor of the last segment, -1 when none is open
    }

    public let directory: String
    public let recovery: HistoryRecovery
    private let state: Mutex<State>

    /// Opens (creating) the store in `directory`, verifying every record and cutting a torn tail.
    public init(directory: String, limits: HistoryLimits) throws(DaemonError) {
        self.directory = directory
        do {
            try Sys.mkdirs(directory, mode: 0o750)
        } catch {
            throw DaemonError(.stateDirectory, "cannot create the history directory \(directory) (\(error)): create it or set state_dir to a writable directory")
        }
        var recovery = HistoryRecovery()
        var segments: [Segment] = []
        let names: [String]
        do { names = try Sys.listDirectory(directory) } catch {
            throw DaemonError(.stateDirectory, "cannot list the history directory \(directory) (\(error)): check its permissions")
        }
        let sequences = names.compactMap(Self.sequence(ofFileName:)).sorted()
        for (i, seq) in sequences.enumerated() {
            let path = Self.path(directory, seq)
            let bytes = (try? Sys.readFile(path, limit: 1 << 30)) ?? []
            let scan = Self.scan(bytes)
            recovery.records += scan.records.count
            let isLast = i == sequences.count - 1
            if scan.validBytes < bytes.count {
                if isLast {
                    recovery.truncatedBytes += bytes.count - scan.validBytes
                    if let fd = try? Sys.open(path, O_WRONLY) {
                        if scan.validBytes < Self.fileMagic.count {
                            _ = try? Sys.ftruncate(fd, 0, path: path)
                            _ = try? Sys.writeAll(fd, Self.fileMagic, path: path)
                        } else {
                            _ = try? Sys.ftruncate(fd, scan.validBytes, path: path)
                        }
                        _ = try? Sys.fsync(fd, path: path)
                        Sys.close(fd)
                    }
                } else {
                    recovery.skippedBytes += bytes.count - scan.validBytes
                }
            }
            segments.append(Segment(sequence: seq, path: path, bytes: max(scan.validBytes, Self.fileMagic.count), records: scan.records))
        }
        self.recovery = recovery
        self.state = Mutex(State(limits: limits, segments: segments, fd: -1))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { Sys.close($0.fd) } }
    }

    /// Changes the limits (on reload); they apply at the next append.
    public func setLimits(_ limits: HistoryLimits) {
        state.withLock { $0.limits = limits }
    }

    /// Appends one report line; returns once it is written and fsynced.
    public func append(line: String, generatedAtMs: Int64) throws(DaemonError) {
        let payload = Zlib.compress(Array(line.utf8))
        let raw = Array(line.utf8).count
        var record = [UInt8]()
        record.reserveCapacity(Self.headerSize + payload.count)
        Self.put32(&record, Self.recordMagic)
        Self.put32(&record, UInt32(payload.count))
        var checked = [UInt8]()
        Self.put32(&checked, UInt32(raw))
        Self.put64(&checked, UInt64(bitPattern: generatedAtMs))
        checked.append(contentsOf: payload)
        let crc = Zlib.crc32(checked[...])
        Self.put32(&record, UInt32(raw))
        Self.put64(&record, UInt64(bitPattern: generatedAtMs))
        Self.put32(&record, crc)
        record.append(contentsOf: payload)

        let dir = directory
        let result: Result<Void, DaemonError> = state.withLock { s in
            do {
                let needsNewSegment: Bool
                if let last = s.segments.last {
                    needsNewSegment = last.records.count >= s.limits.segmentReports
                        || (!last.records.isEmpty && last.bytes + record.count > s.limits.segmentBytes)
                } else {
                    needsNewSegment = true
                }
                if needsNewSegment {
                    try Self.startSegment(&s, directory: dir)
                } else if s.fd < 0 {
                    let path = s.segments.last!.path
                    s.fd = try Sys.open(path, O_WRONLY | O_APPEND)
                }
                let last = s.segments.count - 1
                let offset = s.segments[last].bytes
                do {
                    try Sys.writeAll(s.fd, record, path: s.segments[last].path)
                    try Sys.fsync(s.fd, path: s.segments[last].path)
                } catch {
                    // Cut a partial record (ENOSPC, EIO) so later appends stay reachable by the scan.
                    _ = try? Sys.ftruncate(s.fd, offset, path: s.segments[last].path)
                    throw error
                }
                s.segments[last].bytes += record.count
                s.segments[last].records.append((offset, generatedAtMs))
                Self.enforceLimits(&s)
                return .success(())
            } catch {
                return .failure(DaemonError(.history, "cannot append to the history in \(dir) (\(error)): check free space and permissions of state_dir"))
            }
        }
        try result.get()
    }

    /// Number of stored reports.
    public var count: Int { state.withLock { $0.segments.reduce(0) { $0 + $1.records.count } } }

    /// Bytes on disk over all segments.
    public var totalBytes: Int { state.withLock { $0.segments.reduce(0) { $0 + $1.bytes } } }

    /// The newest stored report, if any.
    public func latest() -> HistoryEntry? {
        let loc: (String, Int, Int64)? = state.withLock { s in
            for seg in s.segments.reversed() { if let r = seg.records.last { return (seg.path, r.offset, r.generatedAtMs) } }
            return nil
        }
        guard let loc, let fd = try? Sys.open(loc.0, O_RDONLY) else { return nil }
        defer { Sys.close(fd) }
        return Self.readRecord(fd, at: loc.1).map { HistoryEntry(generatedAtMs: loc.2, line: $0) }
    }

    /// Reports generated at or after `sinceMs`, oldest first, at most `limit` (the newest ones when more match).
    /// Reads only the records returned, each with one pread(2) of its header and one of its payload.
    public func entries(sinceMs: Int64, limit: Int) -> [HistoryEntry] {
        let segments: [(String, [(offset: Int, generatedAtMs: Int64)])] = state.withLock { s in
            s.segments.map { ($0.path, $0.records.filter { $0.generatedAtMs >= sinceMs }) }.filter { !$0.1.isEmpty }
        }
        var picked: [(String, Int, Int64)] = []
        for (path, recs) in segments { for r in recs { picked.append((path, r.offset, r.generatedAtMs)) } }
        if picked.count > limit { picked.removeFirst(picked.count - limit) }
        var out: [HistoryEntry] = []
        var open: (path: String, fd: Int32)? = nil
        defer { if let o = open { Sys.close(o.fd) } }
        for (path, offset, at) in picked {
            if open?.path != path {
                if let o = open { Sys.close(o.fd) }
                open = (try? Sys.open(path, O_RDONLY)).map { (path, $0) }
            }
            // A segment dropped by rotation since the index was copied is skipped.
            guard let fd = open?.fd else { continue }
            if let line = Self.readRecord(fd, at: offset) { out.append(HistoryEntry(generatedAtMs: at, line: line)) }
        }
        return out
    }

    /// The JSON line of the record at `offset` of an open segment, nil when it does not verify.
    static func readRecord(_ fd: Int32, at offset: Int) -> String? {
        guard let header = try? Sys.pread(fd, count: headerSize, at: offset), header.count == headerSize else { return nil }
        let length = Int(get32(header, 4))
        guard length <= 256 << 20, let payload = try? Sys.pread(fd, count: length, at: offset + headerSize), payload.count == length else {
            return nil
        }
        return decode(header + payload, at: 0)
    }

    // MARK: Internals

    private static func startSegment(_ s: inout State, directory: String) throws {
        if s.fd >= 0 { Sys.close(s.fd); s.fd = -1 }
        let seq = (s.segments.last?.sequence ?? 0) + 1
        let path = Self.path(directory, seq)
        let tmp = path + ".tmp"
        let fd = try Sys.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
        do {
            try Sys.writeAll(fd, fileMagic, path: tmp)
            try Sys.fsync(fd, path: tmp)
        } catch {
            Sys.close(fd)
            throw error
        }
        Sys.close(fd)
        try Sys.rename(tmp, path)
        Sys.fsyncDirectory(directory)
        s.fd = try Sys.open(path, O_WRONLY | O_APPEND)
        s.segments.append(Segment(sequence: seq, path: path, bytes: fileMagic.count, records: []))
    }

    private static func enforceLimits(_ s: inout State) {
        var dropped = false
        while s.segments.count > 1 {
            let count = s.segments.reduce(0) { $0 + $1.records.count }
            let bytes = s.segments.reduce(0) { $0 + $1.bytes }
            guard count > s.limits.maxReports || bytes > s.limits.maxBytes else { break }
            let old = s.segments.removeFirst()
            _ = try? Sys.unlink(old.path)
            dropped = true
        }
        if dropped, let first = s.segments.first { Sys.fsyncDirectory(Sys.dirname(first.path)) }
    }

    static func path(_ directory: String, _ seq: Int) -> String {
        var digits = String(seq)
        if digits.count < 8 { digits = String(repeating: "0", count: 8 - digits.count) + digits }
        return directory + "/history-" + digits + ".log"
    }

    static func sequence(ofFileName name: String) -> Int? {
        guard name.hasPrefix("history-"), name.hasSuffix(".log") else { return nil }
        let mid = name.dropFirst("history-".count).dropLast(".log".count)
        guard mid.count == 8, mid.allSatisfy(\.isNumber) else { return nil }
        return Int(mid)
    }

    /// The verified prefix of a segment: record offsets and where verification stopped.
    static func scan(_ bytes: [UInt8]) -> (records: [(offset: Int, generatedAtMs: Int64)], validBytes: Int) {
        guard bytes.count >= fileMagic.count, Array(bytes[0..<fileMagic.count]) == fileMagic else { return ([], 0) }
        var records: [(offset: Int, generatedAtMs: Int64)] = []
        var at = fileMagic.count
        while at + headerSize <= bytes.count {
            guard get32(bytes, at) == recordMagic else { break }
            let length = Int(get32(bytes, at + 4))
            let end = at + headerSize + length
            guard end <= bytes.count else { break }
            var checked = Array(bytes[(at + 8)..<(at + 20)])
            checked.append(contentsOf: bytes[(at + headerSize)..<end])
            guard Zlib.crc32(checked[...]) == get32(bytes, at + 20) else { break }
            records.append((at, Int64(bitPattern: get64(bytes, at + 12))))
            at = end
        }
        return (records, at)
    }

    /// The JSON line of the record at `offset`, nil when it does not verify.
    static func decode(_ bytes: [UInt8], at offset: Int) -> String? {
        guard offset + headerSize <= bytes.count, get32(bytes, offset) == recordMagic else { return nil }
        let length = Int(get32(bytes, offset + 4))
        let raw = Int(get32(bytes, offset + 8))
        let end = offset + headerSize + length
        guard end <= bytes.count else { return nil }
        guard let inflated = Zlib.decompress(bytes[(offset + headerSize)..<end], expectedSize: raw) else { return nil }
        return String(decoding: inflated, as: UTF8.self)
    }

    static func put32(_ out: inout [UInt8], _ v: UInt32) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    static func put64(_ out: inout [UInt8], _ v: UInt64) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[at + i]) << (8 * UInt32(i)) }
        return v
    }

    static func get64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
