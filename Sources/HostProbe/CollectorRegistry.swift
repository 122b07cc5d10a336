// The fuzz target (Tests/Fuzz/BoltFuzz) compiles this file with the JSON parser's files into one module.
#if canImport(Report)
    import Report
#endif

/// What bkunifylogbeat's progress registry holds: libgse's key-value store, a bolt file
/// `<path.data>/bkunifylogbeat.bkpipe.db` whose bucket `kv` maps keys to gob-encoded strings
/// (docs/progress.md gives the sources). Read with `BoltFile`: never locked, never written.
public struct CollectorRegistry: Sendable, Equatable {
    /// The file name under the main config's `path.data`.
    public static let fileName = "bkunifylogbeat.bkpipe.db"
    /// libgse's only bucket.
    public static let bucket = "kv"

    public var path: String
    /// The bolt transaction read.
    public var txid: UInt64
    /// `localtime`: the collector's clock at its last registry flush, Go's `time.UnixDate` layout.
    public var localtime: String?
    /// `state:<id>` keys, in key order (those `keepState` accepted, when the read was given one).
    public var states: [CollectorFileState]
    /// How many `state:<id>` keys decoded, kept or not.
    public var stateCount = 0
    /// `gseindex_<dataid>`: events handed to the output per data id, in key order.
    public var gseIndexes: [(dataID: String, index: UInt64)]
    /// The legacy `registrar` key (every state in one JSON array). A collector of the per-key generation
    /// (7.6.1-rc.7 on) migrates it to `state:` keys at its start and deletes it in the same step, so
    /// the key is there only while a collector of 7.5 or before runs, which rewrites it at every flush
    /// and ignores the `state:` keys (after a downgrade they are left over, stale).
    public var legacyRegistrar: String?
    /// The states in `legacyRegistrar`.
    public var legacyStates: [CollectorFileState] = []
    /// The file states the collector recorded: the legacy `registrar` value's where it exists (the
    /// running collector's, see above), else the `state:` keys.
    public var fileStates: [CollectorFileState] { legacyRegistrar != nil ? legacyStates : states }
    /// Keys none of the above (nested buckets are listed with a trailing `/`).
    public var otherKeys: [String]
    /// Values that could not be decoded, each naming its key: reported, never silently dropped.
    public var problems: [String]

    public init(
        path: String, txid: UInt64, localtime: String? = nil, states: [CollectorFileState] = [],
        gseIndexes: [(dataID: String, index: UInt64)] = [],
        legacyRegistrar: String? = nil, otherKeys: [String] = [], problems: [String] = []
    ) {
        self.path = path
        self.txid = txid
        self.localtime = localtime
        self.states = states
        self.gseIndexes = gseIndexes
        self.legacyRegistrar = legacyRegistrar
        self.otherKeys = otherKeys
        self.problems = problems
    }

    public static func == (a: CollectorRegistry, b: CollectorRegistry) -> Bool {
        a.path == b.path && a.txid == b.txid && a.localtime == b.localtime && a.states == b.states && a.stateCount == b.stateCount
            && a.gseIndexes.elementsEqual(b.gseIndexes, by: { $0.dataID == $1.dataID && $0.index == $1.index })
            && a.legacyRegistrar == b.legacyRegistrar && a.legacyStates == b.legacyStates && a.otherKeys == b.otherKeys
            && a.problems == b.problems
    }

    /// Reads the registry at `path`. A file that cannot be read as bolt, or has no bucket `kv`, is an error;
    /// a key whose value cannot be decoded is a `problem` beside the keys that can. With `keepState`, only
    /// the file states it accepts are kept (every one is still decoded and checked): a collector keeps a
    /// state per file for half a year (clean_inactive), hundreds of thousands on a host that rotates
    /// hourly, and a check needs those of its own files only. `stateCount` counts them all.
    public static func read(
        path: String, limits: BoltLimits = BoltLimits(), keepState: ((CollectorFileState) -> Bool)? = nil
    ) throws(BoltError) -> CollectorRegistry {
        let snapshot = try BoltFile.readBucket(path: path, bucketPath: [Array(bucket.utf8)], limits: limits)
        return decode(snapshot, path: path, keepState: keepState)
    }

    /// The registry in a bucket snapshot.
    public static func decode(
        _ snapshot: BoltBucketSnapshot, path: String, keepState: ((CollectorFileState) -> Bool)? = nil
    ) -> CollectorRegistry {
        var r = CollectorRegistry(
            path: path, txid: snapshot.meta.txid, localtime: nil, states: [], gseIndexes: [], legacyRegistrar: nil,
            otherKeys: [], problems: [])
        for entry in snapshot.entries {
            let key = String(decoding: entry.key, as: UTF8.self)
            guard let raw = entry.value else {
                r.otherKeys.append(key + "/")
                continue
            }
            let text: String
            switch GobString.decode(raw) {
            case .success(let s): text = s
            case .failure(let e):
                r.problems.append("\(key): \(e.reason)")
                continue
            }
            if key.utf8.starts(with: "state:".utf8) {
                do throws(RegistryValueError) {
                    var s = try CollectorFileState.parse(Array(text.utf8))
                    r.stateCount += 1
                    if let keepState, !keepState(s) { continue }
                    s.key = String(decoding: entry.key.dropFirst(6), as: UTF8.self)
                    r.states.append(s)
                } catch {
                    r.problems.append("\(key): \(error.reason)")
                }
            } else if key.utf8.starts(with: "gseindex_".utf8) {
                if let n = UInt64(text) {
                    r.gseIndexes.append((String(decoding: entry.key.dropFirst(9), as: UTF8.self), n))
                } else {
                    r.problems.append("\(key): \"\(text.prefix(40))\" is not a decimal count")
                }
            } else if key == "localtime" {
                r.localtime = text
            } else if key == "registrar" {
                r.legacyRegistrar = text
            } else {
                r.otherKeys.append(key)
            }
        }
        // A collector of the older generation (7.5 and before) keeps every state in the one `registrar`
        // value; a newer one migrates it to `state:` keys at its first start.
        if let legacy = r.legacyRegistrar {
            switch legacyStates(legacy) {
            case .success(let states): r.legacyStates = keepState.map { states.filter($0) } ?? states
            case .failure(let e): r.problems.append("registrar states: \(e.reason)")
            }
        }
        return r
    }

    /// The states of a legacy `registrar` value: a JSON array (or null) of the same state objects.
    static func legacyStates(_ text: String) -> Result<[CollectorFileState], RegistryValueError> {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf -> Result<[CollectorFileState], RegistryValueError> in
            var p = JSONByteParser(b: buf, maxDepth: 8)
            var out: [CollectorFileState] = []
            do throws(JSONParseError) {
                p.skipSpace()
                if buf.count - p.i >= 4, buf[p.i] == UInt8(ascii: "n") {
                    try p.skipValue(depth: 0)
                    p.skipSpace()
                    return p.i == buf.count ? .success([]) : .failure(RegistryValueError("registrar JSON: trailing data"))
                }
                guard p.take(UInt8(ascii: "[")) else { return .failure(RegistryValueError("registrar JSON: not a list")) }
                if p.take(UInt8(ascii: "]")) { return .success([]) }
                while true {
                    p.skipSpace()
                    let start = p.i
                    try p.skipValue(depth: 1)
                    switch Result(catching: { () throws(RegistryValueError) in try CollectorFileState.parse(Array(buf[start..<p.i])) }) {
                    case .success(let s): out.append(s)
                    case .failure(let e): return .failure(e)
                    }
                    switch p.next(close: UInt8(ascii: "]")) {
                    case true?: continue
                    case false?:
                        p.skipSpace()
                        return p.i == buf.count ? .success(out) : .failure(RegistryValueError("registrar JSON: trailing data"))
                    case nil: return .failure(RegistryValueError("registrar JSON: expected ',' or ']'"))
                    }
                }
            } catch {
                return .failure(RegistryValueError("registrar JSON: \(error.description)"))
            }
        }
    }
}

/// Why a registry value could not be decoded.
public struct RegistryValueError: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Decodes the one gob message libgse stores per key: `gob.NewEncoder(&buf).Encode(value)` of a Go string.
/// A top-level string needs no type definition (string is gob's predefined type 6), so the stream is one
/// message: its byte count (gob uint), the type id (gob int 6, byte 0x0C), the singleton field delta 0,
/// the string's byte count (gob uint) and its bytes. A gob uint below 128 is one byte; otherwise a byte
/// holding minus the count of big-endian bytes that follow (at most 8).
public enum GobString {
    public static func decode(_ b: [UInt8]) -> Result<String, RegistryValueError> {
        do throws(RegistryValueError) {
            return .success(try decodeThrowing(b))
        } catch {
            return .failure(error)
        }
    }

    static func decodeThrowing(_ b: [UInt8]) throws(RegistryValueError) -> String {
        var i = 0
        /// A gob uint at `i`, which must be followed by exactly that many bytes.
        func count(_ what: String) throws(RegistryValueError) -> Int {
            guard i < b.count else { throw RegistryValueError("gob: \(what) missing") }
            let first = b[i]
            i += 1
            var v = UInt64(first)
            if first >= 0x80 {
                let n = -Int(Int8(bitPattern: first))
                guard n <= 8 else { throw RegistryValueError("gob: \(what) has a bad length byte 0x\(String(first, radix: 16))") }
                guard b.count - i >= n else { throw RegistryValueError("gob: \(what) is cut short") }
                v = 0
                for k in 0..<n { v = v << 8 | UInt64(b[i + k]) }
                i += n
            }
            guard v == UInt64(b.count - i) else {
                throw RegistryValueError("gob: \(what) \(v) but \(b.count - i) bytes follow")
            }
            return Int(v)
        }
        _ = try count("message length")
        // Type id 6 as a gob int is 12; a negative id would start a type definition (not a string).
        guard i < b.count, b[i] == 0x0C else {
            throw RegistryValueError(
                "gob: the value is not a string (type byte \(i < b.count ? "0x" + String(b[i], radix: 16) : "missing"))")
        }
        i += 1
        guard i < b.count, b[i] == 0 else { throw RegistryValueError("gob: no singleton field marker") }
        i += 1
        _ = try count("string length")
        return String(decoding: b[i...], as: UTF8.self)
    }
}

/// One `state:<id>` value: filebeat's `file.State` as JSON (TencentBlueKing/beats
/// filebeat/input/file/state.go; `FileStateOS` from libbeat/common/file/file_other.go).
public struct CollectorFileState: Sendable, Equatable {
    /// The key without `state:`: the state's id (inode-device, with a meta hash or the path when configured).
    public var key: String = ""
    public var source: String = ""
    /// Bytes of the file acknowledged by the output.
    public var offset: Int64 = 0
    /// Go `time.Time` as RFC 3339 with nanoseconds, as written.
    public var timestamp: String = ""
    /// `timestamp` as Unix seconds and nanoseconds, when it parses.
    public var timestampSeconds: Int64?
    public var timestampNanoseconds: Int32?
    /// Nanoseconds (Go `time.Duration`); -1 keeps forever, -2 marks a state no input manages since a restart.
    public var ttl: Int64 = 0
    public var type: String = ""
    /// The input's extra fields (`meta` in the sub-config); nil for JSON null.
    public var meta: [String: String]?
    public var inode: UInt64 = 0
    public var device: UInt64 = 0

    public init() {}

    /// Parses the JSON of a state. Members it does not know are skipped; a known member of the wrong type,
    /// or a number that is not an integer in range, is an error.
    public static func parse(_ json: [UInt8]) throws(RegistryValueError) -> CollectorFileState {
        let r: Result<CollectorFileState, RegistryValueError> = json.withUnsafeBufferPointer { buf in
            var p = JSONByteParser(b: buf, maxDepth: 8)
            do throws(JSONParseError) {
                return try parseObject(&p)
            } catch {
                return .failure(RegistryValueError("state JSON: \(error.description)"))
            }
        }
        return try r.get()
    }

    private static func parseObject(_ p: inout JSONByteParser) throws(JSONParseError) -> Result<CollectorFileState, RegistryValueError> {
        var s = CollectorFileState()
        try members(&p, "a state") { (name, p) throws(JSONParseError) in
            switch name {
            case "source": s.source = try string(&p, "source")
            case "offset": s.offset = try integer(&p, "offset")
            case "timestamp": s.timestamp = try string(&p, "timestamp")
            case "ttl": s.ttl = try integer(&p, "ttl")
            case "type": s.type = try string(&p, "type")
            case "meta": s.meta = try stringMap(&p)
            case "FileStateOS":
                try members(&p, "FileStateOS") { (inner, p) throws(JSONParseError) in
                    switch inner {
                    case "inode": s.inode = try unsigned(&p, "inode")
                    case "device": s.device = try unsigned(&p, "device")
                    default: try p.skipValue(depth: 2)
                    }
                }
            default: try p.skipValue(depth: 1)
            }
        }
        p.skipSpace()
        guard p.i == p.b.count else { throw p.error("unexpected trailing data") }
        if let t = RFC3339.parse(s.timestamp) {
            s.timestampSeconds = t.seconds
            s.timestampNanoseconds = t.nanoseconds
        }
        return .success(s)
    }

    private static func string(_ p: inout JSONByteParser, _ name: String) throws(JSONParseError) -> String {
        guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "\"") else { throw p.error("\(name) is not a string") }
        return try p.string()
    }

    /// The digits of an integer member, checked by the JSON parser and then read exactly (a Double would
    /// round inode and device numbers above 2^53).
    private static func digits(_ p: inout JSONByteParser, _ name: String) throws(JSONParseError) -> (
        negative: Bool, UnsafeBufferPointer<UInt8>
    ) {
        let start = p.i
        try p.skipValue(depth: 1)
        var raw = UnsafeBufferPointer(rebasing: p.b[start..<p.i])
        let negative = raw.first == UInt8(ascii: "-")
        if negative { raw = UnsafeBufferPointer(rebasing: raw.dropFirst()) }
        guard !raw.isEmpty, raw.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            p.i = start
            throw p.error("\(name) is not an integer")
        }
        return (negative, raw)
    }

    private static func unsigned(_ p: inout JSONByteParser, _ name: String) throws(JSONParseError) -> UInt64 {
        let start = p.i
        let (negative, raw) = try digits(&p, name)
        var v: UInt64 = 0
        for d in raw {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - 0x30))
            guard !o1, !o2 else { p.i = start; throw p.error("\(name) does not fit in 64 bits") }
            v = a
        }
        guard !negative || v == 0 else { p.i = start; throw p.error("\(name) is negative") }
        return v
    }

    private static func integer(_ p: inout JSONByteParser, _ name: String) throws(JSONParseError) -> Int64 {
        let start = p.i
        let (negative, raw) = try digits(&p, name)
        var v: Int64 = 0
        for d in raw {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d - 0x30)) : m.addingReportingOverflow(Int64(d - 0x30))
            guard !o1, !o2 else { p.i = start; throw p.error("\(name) does not fit in 64 bits") }
            v = a
        }
        return v
    }

    private static func stringMap(_ p: inout JSONByteParser) throws(JSONParseError) -> [String: String]? {
        if p.i < p.b.count, p.b[p.i] == UInt8(ascii: "n") {
            try p.skipValue(depth: 1)
            return nil
        }
        var out: [String: String] = [:]
        try members(&p, "meta") { (name, p) throws(JSONParseError) in
            switch name {
            case .bytes(let raw): out[String(decoding: raw, as: UTF8.self)] = try string(&p, "a meta value")
            case .text(let text): out[text] = try string(&p, "a meta value")
            }
        }
        return out
    }

    /// Calls `body` positioned at each member's value of the object at `p`, which must start with `{`.
    private static func members(
        _ p: inout JSONByteParser, _ what: String, _ body: (JSONKey, inout JSONByteParser) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        guard p.take(UInt8(ascii: "{")) else { throw p.error("\(what) is not an object") }
        if p.take(UInt8(ascii: "}")) { return }
        while true {
            guard let name = try p.memberName() else { throw p.error("expected a member name") }
            try body(name, &p)
            guard let more = p.next(close: UInt8(ascii: "}")) else { throw p.error("expected ',' or '}'") }
            if !more { return }
        }
    }
}

/// RFC 3339 as Go's `time.Time.MarshalJSON` writes it: `2006-01-02T15:04:05.999999999Z07:00`.
public enum RFC3339 {
    /// Unix seconds and nanoseconds, or nil when `text` is not in that layout or a field is out of range.
    public static func parse(_ text: String) -> (seconds: Int64, nanoseconds: Int32)? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<(at + n) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2), b[7] == UInt8(ascii: "-"),
            let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let hour = num(11, 2),
            b[13] == UInt8(ascii: ":"), let minute = num(14, 2), b[16] == UInt8(ascii: ":"), let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60 else {
            return nil
        }
        var i = 19
        var nanos = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                guard digits < 9 else { return nil }
                nanos = nanos * 10 + Int(b[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2), oh < 24, om < 60 else {
                return nil
            }
            offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return (seconds, Int32(nanos))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
