import Dispatch
import Report
import Synchronization
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one input file held, already recognised (log pages already read into reports).
public enum ReadAnswer: Sendable {
    case answer(JobAnswer)
    case logs(DecodedLogPage)
}

/// Reads JOB answers from files or stdin: one JSON document per file, or several, one per line.
public enum AnswerReader {
    /// How deeply a JOB answer may nest: as deeply as the platform's `json.loads` reads it (CPython's
    /// recursion limit), not an arbitrary bound of ours; a member nested that deep is ignored, not an error.
    public static let answerMaxDepth = HostOutputReader.pythonMaxDepth

    /// Largest input file read (a 500-host log page of rich reports is a few MiB).
    public static let maxFileBytes = 2 << 30

    /// Reads and recognises every file; files are read in parallel, results keep the argument order.
    /// `-` is stdin. Throws the first unreadable or unrecognisable input, naming it.
    /// Inputs larger than this in total are read without per-check evidence (see `EvidencePolicy.auto`).
    public static let evidenceLimitBytes: Int64 = 64 << 20

    /// Whether reports keep their evidence and context (and their host identity and run timing, which no
    /// fleet output shows: without evidence they are only checked).
    public enum EvidencePolicy: String, Sendable, CaseIterable {
        case always, never
        /// Keep it while the inputs total at most `evidenceLimitBytes`.
        case auto
    }

    /// Reads and recognises the answer files. With `fullEntries` false, reports read on the fast path
    /// (`EscapedOutputDecoder`) leave out the message and hint of entries whose `status` is true and the
    /// entries' durations, for outputs that show entries' texts only for failing ones (table, markdown,
    /// HTML, the history). With `agentLines`, for an output that shows every entry only as the platform's
    /// line (`--format agent`), the reports read on the fast path without evidence are read lean and their
    /// entry lines written as they are read (`HostLine.reportRendered`). With `jsonResults`, for outputs that
    /// show whole entries only in the fleet JSON, the same is done with each report's entries written as the
    /// JSON's results (`AgentEntryLines.json`); a host printing more than one report is read whole instead
    /// (its results merge its reports' entries).
    public static func read(
        paths: [String], evidence: EvidencePolicy = .auto, fullEntries: Bool = true, agentLines: Bool = false, jsonResults: Bool = false
    ) throws(FleetError) -> [ReadAnswer] {
        // Each file's size, stat(2) alone (Foundation's attributes also look the owner and group up in
        // /etc/passwd and /etc/group); stdin and what cannot be stated count 0.
        let sizes = paths.map { $0 == "-" ? 0 : Sys.statIfPresent($0)?.size ?? 0 }
        var keep = evidence != .never
        if evidence == .auto {
            var total: Int64 = 0
            // Stops once over the limit, so sizes up to Int64.max (sparse files) cannot overflow the sum.
            for size in sizes where total <= evidenceLimitBytes { total += size }
            keep = total <= evidenceLimitBytes
        }
        let keepEvidence = keep
        let t0 = Timing.now()
        defer { Timing.add("read", since: t0) }
        if paths.count <= 1 {
            let p = paths.first ?? "-"
            return try recognise(bytes: try load(p), source: p == "-" ? "stdin" : p, parallel: true, keepEvidence: keepEvidence)
        }
        // Largest files first: the status answer is one file many times a log page's size, and read last (a
        // glob puts `status.json` after `logs-*.json`) it would leave the other threads idle while one reads it.
        let order = paths.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        let results = Mutex<[Int: Result<[ReadAnswer], FleetError>]>([:])
        // Handed from file to file: the buffer a file is read into (a fresh array for each file was faulted in and
        // zeroed page by page by the kernel's copy: half the page faults of a 100,000-host parse), and the arena
        // its pages' entry lines are held in to the end (see `ByteArena`).
        let lanes = Mutex<[(buffer: [UInt8], arena: ByteArena)]>([])
        DispatchQueue.concurrentPerform(iterations: paths.count) { k in
            let i = order[k]
            let r: Result<[ReadAnswer], FleetError>
            var (buffer, arena) = lanes.withLock { $0.popLast() } ?? ([], ByteArena())
            do throws(FleetError) {
                let count = try load(paths[i], reusing: &buffer)
                r = .success(
                    try buffer.withUnsafeBufferPointer { all throws(FleetError) in
                        try recognise(
                            buffer: UnsafeBufferPointer(rebasing: all[0..<count]), source: paths[i], parallel: false,
                            keepEvidence: keepEvidence, fullEntries: fullEntries, agentLines: agentLines, jsonResults: jsonResults,
                            arena: arena)
                    })
            } catch {
                r = .failure(error)
            }
            lanes.withLock { $0.append((buffer, arena)) }
            results.withLock { $0[i] = r }
        }
        let all = results.withLock { $0 }
        var out: [ReadAnswer] = []
        for i in paths.indices { out.append(contentsOf: try all[i]!.get()) }
        return out
    }

    /// The bytes of a file, or of stdin for `-`, read with plain `read(2)` into one array.
    public static func load(_ path: String) throws(FleetError) -> [UInt8] {
        if path == "-" {
            guard let bytes = readAll(fd: 0, sizeHint: 0) else {
                throw FleetError("input.unreadable", "stdin cannot be read")
            }
            // The read stops a little past the limit: more than it means input was left unread.
            guard bytes.count <= maxFileBytes else {
                throw FleetError(
                    "input.too-large", "stdin holds more than \(maxFileBytes >> 20) MiB; save the JOB answers to files and pass those")
            }
            return bytes
        }
        guard let st = Sys.statIfPresent(path) else {
            throw FleetError("input.missing", "\(path) does not exist; pass the path of a saved JOB answer or - for stdin")
        }
        if st.isDirectory {
            throw FleetError("input.directory", "\(path) is a directory; pass the answer files in it (\(path)/*.json)")
        }
        let tooLarge = FleetError("input.too-large", "\(path) is larger than \(maxFileBytes >> 20) MiB; split it into log pages")
        guard Int(st.size) <= maxFileBytes else { throw tooLarge }
        guard let fd = try? Sys.open(path, O_RDONLY) else {
            throw FleetError("input.unreadable", "\(path) cannot be read; check its permissions")
        }
        defer { Sys.close(fd) }
        guard let bytes = readAll(fd: fd, sizeHint: Int(st.size)) else {
            throw FleetError("input.unreadable", "\(path) cannot be read; check its permissions")
        }
        guard bytes.count <= maxFileBytes else { throw tooLarge }
        return bytes
    }

    /// Reads regular file `path` into the start of `buffer`, growing it when the file is larger than the
    /// buffer, and gives the number of bytes read: `load(path)` without a new array for every file. The
    /// bytes past that count are left from earlier files. Anything else (stdin, a pipe, a missing path) is
    /// read by `load` into a new buffer. Errors are `load`'s.
    static func load(_ path: String, reusing buffer: inout [UInt8]) throws(FleetError) -> Int {
        // Only a regular file: a pipe or device (`<(…)`, /dev/stdin) reports no size and cannot be read again.
        guard path != "-", let st = Sys.statIfPresent(path), st.isRegular, Int(st.size) <= maxFileBytes else {
            buffer = try load(path)
            return buffer.count
        }
        guard let fd = try? Sys.open(path, O_RDONLY) else {
            throw FleetError("input.unreadable", "\(path) cannot be read; check its permissions")
        }
        defer { Sys.close(fd) }
        // One byte more than the size: a full buffer means the file grew since stat(2).
        let room = Int(st.size) + 1
        // Grown with an eighth to spare: log pages differ in size by a few percent, and a buffer grown to each new
        // largest page exactly was made anew (zeroed and faulted in) several times per lane.
        if buffer.count < room { buffer = readBuffer(count: room + room / 8) }
        var failed = false
        let n = buffer.withUnsafeMutableBytes { fillBuffer(fd: fd, UnsafeMutableRawBufferPointer(rebasing: $0[0..<room]), failed: &failed) }
        if failed { throw FleetError("input.unreadable", "\(path) cannot be read; check its permissions") }
        guard n < room else {
            // Growing while read: read on to its end, as `load` does.
            buffer = try load(path)
            return buffer.count
        }
        return n
    }

    /// A buffer for `load(_:reusing:)`, left as the allocator gives it: the file's read fills what is used,
    /// and zeroing it first only faulted every page in one pass earlier. One of 4 MiB or more (the status
    /// answer, 17 MB at 100,000 hosts) asks for huge pages (`MADV_HUGEPAGE`, where the kernel grants them
    /// on request): a fault per 2 MiB instead of one per 4 KiB as the read fills it.
    static func readBuffer(count: Int) -> [UInt8] {
        HugePages.bytes(capacity: count, count: count)
    }

    /// Everything `fd` yields until end of file; nil on a read error. `sizeHint` (a regular file's size)
    /// sizes the array so that such a file is read in place; pipes and growing files are read on in chunks.
    static func readAll(fd: Int32, sizeHint: Int) -> [UInt8]? {
        readToEnd(fd: fd, sizeHint: sizeHint, limit: maxFileBytes)
    }

    /// Recognises the documents in `bytes`.
    public static func recognise(
        bytes: [UInt8], source: String, parallel: Bool, keepEvidence: Bool = true, fullEntries: Bool = true,
        agentLines: Bool = false
    ) throws(FleetError) -> [ReadAnswer] {
        try bytes.withUnsafeBufferPointer { buffer throws(FleetError) in
            try recognise(
                buffer: buffer, source: source, parallel: parallel, keepEvidence: keepEvidence, fullEntries: fullEntries,
                agentLines: agentLines)
        }
    }

    /// Recognises the documents in `bytes`, which are only read during the call.
    static func recognise(
        buffer bytes: UnsafeBufferPointer<UInt8>, source: String, parallel: Bool, keepEvidence: Bool = true, fullEntries: Bool = true,
        agentLines: Bool = false, jsonResults: Bool = false, arena: ByteArena? = nil
    ) throws(FleetError) -> [ReadAnswer] {
        let t0 = Timing.now()
        defer { Timing.add("read files (cpu, all threads)", since: t0) }
        // One document (the usual case): read in one pass, log outputs kept as bytes. Outputs are read
        // where they lie while scanning, unless the hosts of this one file are to be spread over the cores.
        // The platform's entry lines are written while reading only where entries can be read lean.
        let lines = agentLines && !keepEvidence
        let results = jsonResults && !keepEvidence && !lines
        let inline =
            parallel
            ? nil
            : ScannedDocument.InlineReading(
                keepEvidence: keepEvidence, fullEntries: fullEntries && !lines && !results, interner: StringInterner(),
                // A page's lines are about 40 % of its bytes (a report's evidence and JSON syntax are not printed),
                // its JSON results about 70 %.
                entryLines: lines
                    ? AgentEntryLines(capacity: bytes.count / 2, arena: arena)
                    : results ? AgentEntryLines(capacity: bytes.count * 3 / 4, json: true, arena: arena) : nil)
        // The page's lines are all written once it is read (see `ByteArena`).
        defer { if let arena { inline?.entryLines?.seal(in: arena) } }
        guard let doc = ScannedDocument.scan(bytes, inline: inline) else {
            return try recogniseTrees(bytes: Array(bytes), source: source, parallel: parallel, keepEvidence: keepEvidence)
        }
        let answer = try JobAnswer.recognise(doc.skeleton, source: source, captured: doc.capturedRows)
        guard case .logs(let page) = answer else { return [.answer(answer)] }
        let t1 = Timing.now()
        defer { Timing.add("decode outputs (cpu, all threads)", since: t1) }
        if let raw = doc.capturedLogs() {
            return [.logs(DecodedLogPage.decode(raw, text: doc.text, page: page, parallel: parallel, keepEvidence: keepEvidence))]
        }
        return [.logs(DecodedLogPage.decode(page, parallel: parallel, keepEvidence: keepEvidence))]
    }

    /// Recognises `bytes` through `JSONValue` trees: the path for several documents in a row, and the one
    /// that words the error when the bytes are not JSON.
    static func recogniseTrees(
        bytes: [UInt8], source: String, parallel: Bool, keepEvidence: Bool
    ) throws(FleetError) -> [ReadAnswer] {
        let docs: [JSONValue]
        do {
            docs = [try JSONValue.parse(bytes: bytes, maxDepth: answerMaxDepth)]
        } catch {
            // Several documents, one per line (answers appended to one file, or piped in a row)?
            guard let many = parseLines(bytes), !many.isEmpty else {
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                    throw FleetError("input.empty", "\(source) is empty; pass a saved JOB answer")
                }
                // Whole documents in a row, then one that is not: that one is named, not the first's "trailing data".
                let (docs, failure) = splitDocuments(bytes)
                if let failure, !docs.isEmpty {
                    throw FleetError(
                        "input.not-json",
                        "\(source): document \(failure.index) (from byte \(failure.start)) is not JSON (\(failure.why)); the file is truncated or not a JOB answer"
                    )
                }
                if error.reason.hasPrefix("nesting deeper") {
                    // Well-formed, maybe, but deeper than the platform's json.loads reads: not "truncated".
                    throw FleetError(
                        "input.too-deep",
                        "\(source) nests lists and objects deeper than \(answerMaxDepth) levels (at byte \(error.offset)), deeper than the platform's json.loads reads; it is not a JOB answer"
                    )
                }
                throw FleetError(
                    "input.not-json", "\(source) is not JSON (\(error.description)); the file is truncated or not a JOB answer")
            }
            docs = many
        }
        var out: [ReadAnswer] = []
        for (i, d) in docs.enumerated() {
            let name = docs.count > 1 ? "\(source) document \(i + 1)" : source
            let a = try JobAnswer.recognise(d, source: name)
            if case .logs(let page) = a {
                let t1 = Timing.now()
                out.append(.logs(DecodedLogPage.decode(page, parallel: parallel, keepEvidence: keepEvidence)))
                Timing.add("decode outputs (cpu, all threads)", since: t1)
            } else {
                out.append(.answer(a))
            }
        }
        return out
    }

    /// Splits concatenated JSON documents (`{...}{...}`, `{...}\n{...}`, pretty-printed or not) at the points
    /// where the nesting depth returns to zero outside strings; nil if any piece is not JSON.
    static func parseLines(_ bytes: [UInt8]) -> [JSONValue]? {
        let (docs, failure) = splitDocuments(bytes)
        return failure == nil && docs.count > 1 ? docs : nil
    }

    /// The documents in a row in `bytes`, up to the first that is not whole JSON: then which one it is
    /// (counted from 1), where it starts, and why (a parse error's offset counted in the whole file).
    static func splitDocuments(_ bytes: [UInt8]) -> (docs: [JSONValue], failure: (index: Int, start: Int, why: String)?) {
        var docs: [JSONValue] = []
        var failure: (index: Int, start: Int, why: String)?
        bytes.withUnsafeBufferPointer { buf in
            var i = 0
            let n = buf.count
            while i < n && failure == nil {
                while i < n, buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09 { i += 1 }
                if i >= n { break }
                let start = i
                guard buf[i] == UInt8(ascii: "{") || buf[i] == UInt8(ascii: "[") else {
                    failure = (docs.count + 1, start, "invalid JSON at byte \(start): a document starts with { or [")
                    break
                }
                var depth = 0
                var inString = false
                while i < n {
                    let c = buf[i]
                    if inString {
                        if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { inString = false }
                    } else if c == UInt8(ascii: "\"") {
                        inString = true
                    } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                        depth += 1
                    } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { i += 1; break }
                    }
                    i += 1
                }
                if depth != 0 {
                    failure = (
                        docs.count + 1, start, "it ends at byte \(n) \(inString ? "inside a string" : "before its last bracket closes")"
                    )
                    break
                }
                do throws(JSONParseError) {
                    docs.append(try JSONValue.parse(bytes: UnsafeBufferPointer(rebasing: buf[start..<i]), maxDepth: answerMaxDepth))
                } catch {
                    failure = (docs.count + 1, start, "invalid JSON at byte \(start + error.offset): \(error.reason)")
                }
            }
        }
        return (docs, failure)
    }
}

/// `AnswerReader.readAll`: fills arrays in place with `Sys.readOnce` (EINTR retried there).
private func readToEnd(fd: Int32, sizeHint: Int, limit: Int) -> [UInt8]? {
    var failed = false
    func fill(_ p: UnsafeMutablePointer<UInt8>, _ capacity: Int) -> Int {
        fillBuffer(fd: fd, UnsafeMutableRawBufferPointer(start: p, count: capacity), failed: &failed)
    }
    let first = sizeHint + 1
    var bytes = [UInt8](unsafeUninitializedCapacity: first) { buf, n in n = fill(buf.baseAddress!, buf.count) }
    // A full array means the end was not reached yet.
    var chunk = bytes.count == first ? 1 << 16 : 0
    while chunk > 0 && !failed && bytes.count <= limit {
        let more = [UInt8](unsafeUninitializedCapacity: chunk) { buf, n in n = fill(buf.baseAddress!, buf.count) }
        bytes.append(contentsOf: more)
        chunk = more.count == chunk ? min(chunk * 2, 64 << 20) : 0
    }
    return failed ? nil : bytes
}

/// Reads `fd` into `buffer` until it is full or the file ends (`Sys.readOnce` retries EINTR) and gives the
/// bytes read; a read error sets `failed` and ends it.
private func fillBuffer(fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, failed: inout Bool) -> Int {
    var n = 0
    while n < buffer.count {
        let r = Sys.readOnce(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[n...]))
        if r > 0 {
            n += r
        } else {
            if r < 0 { failed = true }
            break
        }
    }
    return n
}
