import Report
import Synchronization
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

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
    /// Segment names that held something else (a FIFO, a directory, a symlink, a file larger than any
    /// segment): each was renamed aside, unread; one sentence per file for the log.
    public var movedAside: [String] = []

    public init(records: Int = 0, truncatedBytes: Int = 0, skippedBytes: Int = 0, movedAside: [String] = []) {
        self.records = records
        self.truncatedBytes = truncatedBytes
        self.skippedBytes = skippedBytes
        self.movedAside = movedAside
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
public final class ReportHistory: Sendable {
    static let fileMagic: [UInt8] = Array("BKDHIST1".utf8)
    static let recordMagic: UInt32 = 0x3152_4B42  // "BKR1" little-endian
    /// `recordMagic` as it lies in a file.
    static let recordMagicBytes: [UInt8] = {
        var b: [UInt8] = []
        put32(&b, recordMagic)
        return b
    }()
    static let headerSize = 24
    /// Largest compressed record read back; a report is a few kilobytes.
    static let maxRecordBytes = 16 << 20
    /// Opening and reading segments: never block on a FIFO, never follow a planted symlink.
    static let safeFlags = O_NOFOLLOW | O_NONBLOCK

    struct Record {
        var offset: Int
        var generatedAtMs: Int64
        /// Bytes of the JSON line (the header's inflated length).
        var inflated: Int
    }

    struct Segment {
        var sequence: Int
        var path: String
        var bytes: Int
        var records: [Record]
        /// False for a last segment whose end is not the end of its last good record (damage that is not a torn
        /// tail, a cut that failed): appends go to a new segment, so every acknowledged record stays readable.
        var appendable = true
    }

    /// The index: what readers see. Its lock is held only to look and to publish, never across a
    /// write or an fsync.
    struct State {
        var limits: HistoryLimits
        var segments: [Segment]
    }

    /// The appender's own state. Its lock orders appends (one at a time) and is held across their
    /// writes and fsyncs; readers never take it.
    struct Writer {
        var fd: Int32  // write descriptor of the last segment, -1 when none is open
        /// Above every sequence seen at open, including names moved aside.
        var nextSequence: Int
    }

    /// A segment file larger than this is not one the store wrote: it is moved aside unread.
    static func maxSegmentFileBytes(_ limits: HistoryLimits) -> Int { max(limits.maxBytes, 64 << 20) }

    public let directory: String
    public let recovery: HistoryRecovery
    private let state: Mutex<State>
    private let writer: Mutex<Writer>
    /// Asked before every append whether the directory is still the daemon's (`StateDirectoryLock.reassert`):
    /// throws when another daemon took it, returns true when it had to be taken again (the directory was
    /// removed or its lock replaced), and the segments gone with it are then dropped from the index.
    private let ownership: (@Sendable () throws(DaemonError) -> Bool)?

    /// Opens (creating) the store in `directory`, verifying every record and cutting a torn tail.
    public init(
        directory: String, limits: HistoryLimits, ownership: (@Sendable () throws(DaemonError) -> Bool)? = nil
    ) throws(DaemonError) {
        self.directory = directory
        self.ownership = ownership
        do {
            try Sys.mkdirs(directory, mode: 0o750)
        } catch {
            throw DaemonError(
                .stateDirectory,
                "cannot create the history directory \(directory) (\(ProbeError.brief(error))): create it or set state_dir to a writable directory"
            )
        }
        var recovery = HistoryRecovery()
        var segments: [Segment] = []
        let names: [String]
        do { names = try Sys.listDirectory(directory) } catch {
            throw DaemonError(
                .stateDirectory, "cannot list the history directory \(directory) (\(ProbeError.brief(error))): check its permissions")
        }
        let sequences = names.compactMap(Self.sequence(ofFileName:)).sorted()
        // Each name must be a regular file of a sane size: opened without blocking or following, checked
        // with fstat, read record by record. Anything else is renamed aside and logged by the caller.
        var files: [(sequence: Int, path: String, fd: Int32, size: Int)] = []
        for seq in sequences {
            let path = Self.path(directory, seq)
            do {
                let (fd, size) = try Sys.openRegular(path, limit: Self.maxSegmentFileBytes(limits), followLinks: false)
                files.append((seq, path, fd, size))
            } catch let refusal as FileRefusal {
                // Not a file the store wrote (a link, a directory, a FIFO, an impossible size).
                recovery.movedAside.append(Self.moveAside(path, because: refusal.reason))
            } catch let e as ProbeError where e.errno == ENOENT {
                // Removed since the listing: nothing to read.
            } catch {
                // A segment this process may not read (another user's), or no descriptor left: the file may
                // be a good segment, so it is neither moved aside nor skipped, and the daemon does not start.
                for f in files { Sys.close(f.fd) }
                let who = getuid() == 0 ? "" : " (the daemon runs as uid \(getuid()))"
                throw DaemonError(
                    .history,
                    "cannot open the history file \(path) (\(ProbeError.brief(error)))\(who): run the daemon as the state directory's owner or fix the file's permissions"
                )
            }
        }
        for (i, file) in files.enumerated() {
            defer { Sys.close(file.fd) }
            let scan = Self.scan(fd: file.fd, size: file.size)
            recovery.records += scan.records.count
            let isLast = i == files.count - 1
            var appendable = true
            if scan.damaged > 0 {
                // Damage between records: skipped, the records after it read; the file is kept as it is and
                // appends go to a new segment.
                recovery.skippedBytes += scan.damaged
                appendable = false
            }
            if scan.validBytes < file.size {
                // Only a torn tail — one record (or the file's magic) cut short by a crash mid-write — is cut off.
                // Anything else after the last record that verifies (bytes that are no record) is kept as it is,
                // and appends go to a new segment.
                if isLast && scan.torn {
                    recovery.truncatedBytes += file.size - scan.validBytes
                    appendable = Self.cutTornTail(file.path, to: scan.validBytes) && appendable
                } else {
                    recovery.skippedBytes += file.size - scan.validBytes
                    appendable = false
                }
            }
            segments.append(
                Segment(
                    sequence: file.sequence, path: file.path, bytes: max(scan.validBytes, Self.fileMagic.count), records: scan.records,
                    appendable: appendable))
        }
        if !recovery.movedAside.isEmpty { Sys.fsyncDirectory(directory) }
        self.recovery = recovery
        self.state = Mutex(State(limits: limits, segments: segments))
        self.writer = Mutex(Writer(fd: -1, nextSequence: (sequences.last ?? 0) + 1))
    }

    deinit {
        writer.withLock { if $0.fd >= 0 { Sys.close($0.fd) } }
    }

    /// Changes the limits (on reload); they apply at the next append.
    public func setLimits(_ limits: HistoryLimits) {
        state.withLock { $0.limits = limits }
    }

    /// Appends one report line; returns once it is written and fsynced.
    public func append(line: String, generatedAtMs: Int64) throws(DaemonError) {
        if let ownership, try ownership() { forgetRemovedSegments() }
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
        let result: Result<Void, DaemonError> = writer.withLock { w in
            do {
                // Look under the index lock, write and fsync outside it, publish under it again.
                let (tail, limits) = state.withLock { s in (s.segments.last, s.limits) }
                let needsNewSegment: Bool
                if let last = tail {
                    needsNewSegment =
                        !last.appendable || last.records.count >= limits.segmentReports
                        || (!last.records.isEmpty && last.bytes + record.count > limits.segmentBytes)
                } else {
                    needsNewSegment = true
                }
                var segment: Segment
                if needsNewSegment {
                    segment = try Self.startSegment(&w, directory: dir)
                    state.withLock { $0.segments.append(segment) }
                } else {
                    segment = tail!
                    if w.fd < 0 {
                        let path = segment.path
                        switch Result(catching: { () throws(ProbeError) in try Sys.open(path, O_WRONLY | O_APPEND | Self.safeFlags) }) {
                        case .success(let fd): w.fd = fd
                        case .failure(let e) where e.errno == EACCES || e.errno == EPERM:
                            // A segment this process may read but not write (left by a root daemon for one that
                            // is not root): kept as it is, and the reports go to a new segment of its own.
                            break
                        case .failure(let e): throw e
                        }
                    }
                    // Written with O_APPEND, the record lands at the file's end: if that is not where the index
                    // expects it (something else appended or truncated), or the segment's name no longer leads
                    // to this file (removed, or replaced: records written to it would be lost to the next
                    // start), it goes to a new segment instead.
                    let open = w.fd < 0 ? nil : try? Sys.fstat(w.fd, path: segment.path)
                    let named = Sys.lstatIfPresent(segment.path)
                    if open == nil || open?.size != Int64(segment.bytes) || named?.inode != open?.inode || named?.device != open?.device {
                        state.withLock { s in s.segments[s.segments.count - 1].appendable = false }
                        segment = try Self.startSegment(&w, directory: dir)
                        state.withLock { $0.segments.append(segment) }
                    }
                }
                let offset = segment.bytes
                do {
                    try Sys.writeAll(w.fd, record, path: segment.path)
                    try Sys.fsync(w.fd, path: segment.path)
                } catch {
                    // Cut a partial record (ENOSPC, EIO) so later appends stay reachable by the scan.
                    _ = try? Sys.ftruncate(w.fd, offset, path: segment.path)
                    throw error
                }
                let entry = Record(offset: offset, generatedAtMs: generatedAtMs, inflated: raw)
                let dropped: [String] = state.withLock { s in
                    // Only appends change the last segment, and they are ours: it is still `segment`.
                    let last = s.segments.count - 1
                    s.segments[last].bytes += record.count
                    s.segments[last].records.append(entry)
                    return Self.enforceLimits(&s)
                }
                Self.remove(dropped)
                return .success(())
            } catch {
                return .failure(
                    DaemonError(
                        .history,
                        "cannot append to the history in \(dir) (\(ProbeError.brief(error))): check free space and permissions of state_dir"
                    ))
            }
        }
        try result.get()
    }

    /// Drops from the index the segments whose files are gone (the directory removed under the daemon), and
    /// the write descriptor with them: readers and the counts then say what is on disk.
    private func forgetRemovedSegments() {
        writer.withLock { w in
            if w.fd >= 0 {
                Sys.close(w.fd)
                w.fd = -1
            }
            state.withLock { s in s.segments.removeAll { Sys.lstatIfPresent($0.path) == nil } }
        }
    }

    /// Number of stored reports.
    public var count: Int { state.withLock { $0.segments.reduce(0) { $0 + $1.records.count } } }

    /// Bytes on disk over all segments.
    public var totalBytes: Int { state.withLock { $0.segments.reduce(0) { $0 + $1.bytes } } }

    /// The newest stored report, if any.
    public func latest() -> HistoryEntry? {
        let loc: (String, Record)? = state.withLock { s in
            for seg in s.segments.reversed() { if let r = seg.records.last { return (seg.path, r) } }
            return nil
        }
        guard let loc, let fd = try? Sys.open(loc.0, O_RDONLY | Self.safeFlags) else { return nil }
        defer { Sys.close(fd) }
        return Self.readRecordBytes(fd, at: loc.1.offset).map {
            HistoryEntry(generatedAtMs: loc.1.generatedAtMs, line: String(decoding: $0, as: UTF8.self))
        }
    }

    /// Reports generated at or after `sinceMs`, oldest first, at most `limit` (the newest ones when more match).
    public func entries(sinceMs: Int64, limit: Int) throws(DaemonError) -> [HistoryEntry] {
        let selection = try select(sinceMs: sinceMs, limit: limit)
        return (0..<selection.count).compactMap { i in
            selection.line(i).map { HistoryEntry(generatedAtMs: selection.generatedAtMs(i), line: String(decoding: $0, as: UTF8.self)) }
        }
    }

    /// The records `entries` would return, not read yet: their segments are opened under the store's lock
    /// (a segment rotated away later stays readable through its descriptor), their bytes read on demand.
    /// A segment that cannot be opened (no descriptor left, its permissions changed) fails the selection
    /// rather than leaving its records out of an answer that would look whole; one removed since it was
    /// listed (rotated away) holds nothing to answer.
    public func select(sinceMs: Int64, limit: Int) throws(DaemonError) -> HistorySelection {
        let picked: Result<HistorySelection, DaemonError> = state.withLock { s in
            var picked: [(segment: Int, record: Record)] = []
            for (i, seg) in s.segments.enumerated() {
                for r in seg.records where r.generatedAtMs >= sinceMs { picked.append((i, r)) }
            }
            if picked.count > limit { picked.removeFirst(picked.count - limit) }
            var fds: [Int32] = []
            var fileOf: [Int: Int] = [:]
            var picks: [HistorySelection.Pick] = []
            var gone: Set<Int> = []
            for (segment, r) in picked where !gone.contains(segment) {
                if fileOf[segment] == nil {
                    let path = s.segments[segment].path
                    let fd: Int32
                    do throws(ProbeError) {
                        fd = try Sys.open(path, O_RDONLY | Self.safeFlags)
                    } catch {
                        if error.errno == ENOENT {
                            gone.insert(segment)
                            continue
                        }
                        for fd in fds { Sys.close(fd) }
                        return .failure(
                            DaemonError(.history, "cannot open the history file \(path) (\(ProbeError.brief(error)))"))
                    }
                    fileOf[segment] = fds.count
                    fds.append(fd)
                }
                guard let file = fileOf[segment] else { continue }
                picks.append(HistorySelection.Pick(file: file, offset: r.offset, inflated: r.inflated, generatedAtMs: r.generatedAtMs))
            }
            return .success(HistorySelection(fds: fds, picks: picks))
        }
        return try picked.get()
    }

    /// The JSON line of the record at `offset` of an open segment, nil when it does not inflate to its recorded length.
    static func readRecordBytes(_ fd: Int32, at offset: Int) -> [UInt8]? {
        guard let header = try? Sys.pread(fd, count: headerSize, at: offset), header.count == headerSize,
            get32(header, 0) == recordMagic
        else { return nil }
        let length = Int(get32(header, 4))
        guard length <= maxRecordBytes, let payload = try? Sys.pread(fd, count: length, at: offset + headerSize), payload.count == length
        else {
            return nil
        }
        return Zlib.decompress(payload[...], expectedSize: Int(get32(header, 8)))
    }

    // MARK: Internals

    /// Creates the next segment file (durably: written, fsynced, renamed into place, directory
    /// fsynced) and opens it for appending; the caller publishes it.
    private static func startSegment(_ w: inout Writer, directory: String) throws -> Segment {
        if w.fd >= 0 { Sys.close(w.fd); w.fd = -1 }
        let seq = w.nextSequence
        let path = Self.path(directory, seq)
        let tmp = path + ".tmp"
        // A leftover of a crash (or anything else) in the temporary name is replaced, never opened.
        _ = try? Sys.unlink(tmp)
        let fd = try Sys.open(tmp, O_WRONLY | O_CREAT | O_EXCL | Self.safeFlags, 0o640)
        do {
            try Sys.writeAll(fd, fileMagic, path: tmp)
            try Sys.fsync(fd, path: tmp)
        } catch {
            Sys.close(fd)
            throw error
        }
        Sys.close(fd)
        // Linked, not renamed, into place: a name already taken (a segment written by another process since the
        // listing) is never replaced, the next free sequence is taken instead.
        var (sequence, target) = (seq, path)
        while true {
            if Glibc.link(tmp, target) == 0 { break }
            let e = errno
            if e == EEXIST && sequence < seq + 1000 {
                sequence += 1
                target = Self.path(directory, sequence)
                continue
            }
            // A file system without hard links: renamed, once nothing holds the name.
            if (e == EPERM || e == EOPNOTSUPP) && Sys.lstatIfPresent(target) == nil {
                try Sys.rename(tmp, target)
                break
            }
            _ = try? Sys.unlink(tmp)
            throw ProbeError("link", path: target, errno: e)
        }
        _ = try? Sys.unlink(tmp)
        Sys.fsyncDirectory(directory)
        w.fd = try Sys.open(target, O_WRONLY | O_APPEND | Self.safeFlags)
        w.nextSequence = sequence + 1
        return Segment(sequence: sequence, path: target, bytes: fileMagic.count, records: [])
    }

    /// Drops the oldest segments from the index while the limits are exceeded; returns their paths,
    /// which the caller removes outside the lock (`remove`).
    private static func enforceLimits(_ s: inout State) -> [String] {
        var dropped: [String] = []
        while s.segments.count > 1 {
            let count = s.segments.reduce(0) { $0 + $1.records.count }
            let bytes = s.segments.reduce(0) { $0 + $1.bytes }
            guard count > s.limits.maxReports || bytes > s.limits.maxBytes else { break }
            dropped.append(s.segments.removeFirst().path)
        }
        return dropped
    }

    /// Unlinks dropped segments, then fsyncs their directory once. A reader that opened one keeps
    /// reading it through its descriptor.
    private static func remove(_ paths: [String]) {
        for path in paths { _ = try? Sys.unlink(path) }
        if let first = paths.first { Sys.fsyncDirectory(Sys.dirname(first)) }
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

    /// Renames a file that is not a segment out of the store's names; returns the sentence to log.
    static func moveAside(_ path: String, because reason: String) -> String {
        let target = path + ".bad-\(Timestamp.nowMilliseconds())"
        do {
            try Sys.rename(path, target)
            return "moved \(path) aside to \(target): \(reason)"
        } catch {
            return "ignored \(path), which could not be moved aside (\(ProbeError.brief(error))): \(reason)"
        }
    }

    /// Reads a segment's records. Damage that is not a torn tail (a record that fails its check, bytes that are
    /// no record) costs only what it covers: the scan looks past it for the next record that verifies (its magic,
    /// sane lengths, its CRC) and goes on from there. `validBytes` is the end of the last record found, `torn`
    /// whether what follows it is the start of a record cut short (a crash mid-write), `damaged` the bytes
    /// skipped between records.
    static func scan(fd: Int32, size: Int) -> (records: [Record], validBytes: Int, torn: Bool, damaged: Int) {
        guard let magic = try? Sys.pread(fd, count: fileMagic.count, at: 0), magic == fileMagic else {
            let prefix = (try? Sys.pread(fd, count: min(size, fileMagic.count), at: 0)) ?? []
            return ([], 0, size < fileMagic.count && prefix == Array(fileMagic.prefix(prefix.count)), 0)
        }
        var records: [Record] = []
        var at = fileMagic.count
        var damaged = 0
        /// The record at `offset`, verified, or why not: `.torn` when the file ends inside it.
        enum Read {
            case record(Record, next: Int)
            case torn
            case bad
        }
        func read(_ offset: Int) -> Read {
            guard offset + headerSize <= size else {
                // A header cut short: torn if what is there is the start of a record.
                let rest = (try? Sys.pread(fd, count: size - offset, at: offset)) ?? []
                return Array(rest.prefix(4)) == Array(recordMagicBytes.prefix(min(4, rest.count))) ? .torn : .bad
            }
            guard let header = try? Sys.pread(fd, count: headerSize, at: offset), header.count == headerSize,
                get32(header, 0) == recordMagic
            else { return .bad }
            let length = Int(get32(header, 4))
            guard length <= maxRecordBytes, get32(header, 8) <= UInt32(maxInflatedBytes) else { return .bad }
            // The payload cut short by the end of the file: the record being written when the process died.
            guard offset + headerSize + length <= size else { return .torn }
            guard let payload = try? Sys.pread(fd, count: length, at: offset + headerSize), payload.count == length,
                Zlib.crc32(payload[...], crc: Zlib.crc32(header[8..<20])) == get32(header, 20)
            else { return .bad }
            return .record(
                Record(offset: offset, generatedAtMs: Int64(bitPattern: get64(header, 12)), inflated: Int(get32(header, 8))),
                next: offset + headerSize + length)
        }
        /// The next offset after `from` where a record verifies, looked for in the bytes that follow.
        func resync(after from: Int) -> Int? {
            guard from + 1 < size, let rest = try? Sys.pread(fd, count: size - from - 1, at: from + 1) else { return nil }
            let m = recordMagicBytes
            var k = 0
            while k + m.count <= rest.count {
                if rest[k] == m[0] && rest[k + 1] == m[1] && rest[k + 2] == m[2] && rest[k + 3] == m[3] {
                    if case .record = read(from + 1 + k) { return from + 1 + k }
                }
                k += 1
            }
            return nil
        }
        var end = at
        while at < size {
            switch read(at) {
            case .record(let r, let next):
                records.append(r)
                at = next
                end = next
            case .torn:
                return (records, end, true, damaged)
            case .bad:
                guard let next = resync(after: at) else { return (records, end, false, damaged) }
                damaged += next - at
                at = next
            }
        }
        return (records, end, false, damaged)
    }

    /// Largest report line a record may claim to inflate to: a report is tens of kilobytes; a header claiming
    /// more is not one the store wrote, and reading it back would allocate what it claims.
    static let maxInflatedBytes = 64 << 20

    /// Cuts the torn tail of the last segment off at `validBytes` (rewriting the magic of a file cut inside it);
    /// false when the cut did not take (the file then keeps its tail, and appends go to a new segment).
    static func cutTornTail(_ path: String, to validBytes: Int) -> Bool {
        guard let fd = try? Sys.open(path, O_WRONLY | safeFlags) else { return false }
        defer { Sys.close(fd) }
        do {
            if validBytes < fileMagic.count {
                try Sys.ftruncate(fd, 0, path: path)
                try Sys.writeAll(fd, fileMagic, path: path)
            } else {
                try Sys.ftruncate(fd, validBytes, path: path)
            }
            try Sys.fsync(fd, path: path)
            return (try? Sys.fstat(fd, path: path))?.size == Int64(max(validBytes, fileMagic.count))
        } catch {
            return false
        }
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
