/// Reads one line of host output straight into a `DiagnosticReport`, without building the JSON tree of
/// the whole line first. It takes only the well-formed common shape and gives up (nil) on anything else —
/// a wrong type, a repeated key, a syntax error — so the caller falls back to `DiagnosticReport(json:)`,
/// which owns the semantics and the error texts. For the lines it accepts, the result equals what
/// `DiagnosticReport(json:)` builds (a differential test holds it to that).
public enum ReportLineDecoder {
    ///
    /// With an `interner`, the entries' strings (module, item, message, hint) are shared with earlier lines
    /// read through it: equal values, less memory and no allocation for a repeated text.
    public static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, keepEvidence: Bool, interner: StringInterner? = nil
    ) -> DiagnosticReport? {
        var p = JSONByteParser(b: bytes, maxDepth: 256)
        do throws(JSONParseError) {
            return try p.report(keepEvidence: keepEvidence, interner: interner)
        } catch {
            return nil
        }
    }
}

extension JSONByteParser {
    /// Reads a member's value into `slot`; false when the key was seen before (a repeated key is left
    /// to the full reader).
    @inline(__always) mutating func readOnce(into slot: inout JSONValue?, depth: Int) throws(JSONParseError) -> Bool {
        guard slot == nil else { return false }
        slot = try value(depth: depth)
        return true
    }

    /// Like `readOnce`, but only checks the value when it is not wanted (evidence and context without
    /// `keepEvidence`); `seen` still catches a repeated key.
    @inline(__always) mutating func readOnce(into slot: inout JSONValue?, seen: inout Bool, keep: Bool, depth: Int) throws(JSONParseError)
        -> Bool
    {
        guard !seen else { return false }
        seen = true
        if keep { slot = try value(depth: depth) } else { try skipValue(depth: depth) }
        return true
    }

    /// The string value at `i` (through `interner` when given); nil when the value is not a string.
    @inline(__always) mutating func text(_ interner: StringInterner?) throws(JSONParseError) -> String? {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        if let interner { return try string(interning: interner) }
        return try string()
    }

    mutating func report(keepEvidence: Bool, interner: StringInterner?) throws(JSONParseError) -> DiagnosticReport? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var f = ReportFields()
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return nil }
        var more = true
        while more {
            guard let k = try memberName() else { return nil }
            switch k {
            case "status":
                guard try readOnce(into: &f.status, depth: 1) else { return nil }
            case "data":
                guard f.results == nil, let r = try entries(keepEvidence: keepEvidence, interner: interner) else { return nil }
                f.results = r
            case "schema":
                guard try readOnce(into: &f.schema, depth: 1) else { return nil }
            case "version":
                guard try readOnce(into: &f.version, depth: 1) else { return nil }
            case "host":
                guard try readOnce(into: &f.host, seen: &f.hostSeen, keep: keepEvidence, depth: 1) else { return nil }
            case "generated_at_ms":
                guard try readOnce(into: &f.generated, seen: &f.generatedSeen, keep: keepEvidence, depth: 1) else { return nil }
            case "duration_ms":
                guard try readOnce(into: &f.duration, seen: &f.durationSeen, keep: keepEvidence, depth: 1) else { return nil }
            case "context":
                guard try readOnce(into: &f.context, seen: &f.contextSeen, keep: keepEvidence, depth: 1) else { return nil }
            default:
                try skipValue(depth: 1)
            }
            guard let m = next(close: UInt8(ascii: "}")) else { return nil }
            more = m
        }
        skipSpace()
        guard i == b.count else { return nil }
        return f.report(keepEvidence: keepEvidence)
    }

    mutating func entries(keepEvidence: Bool, interner: StringInterner?) throws(JSONParseError) -> [CheckResult]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var out: [CheckResult] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") {
            i += 1
            return out
        }
        out.reserveCapacity(12)
        var more = true
        while more {
            guard let e = try entry(keepEvidence: keepEvidence, interner: interner) else { return nil }
            out.append(e)
            guard let m = next(close: UInt8(ascii: "]")) else { return nil }
            more = m
        }
        return out
    }

    mutating func entry(keepEvidence: Bool, interner: StringInterner?) throws(JSONParseError) -> CheckResult? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var f = EntryFields()
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return nil }
        var more = true
        while more {
            guard let k = try memberName() else { return nil }
            switch k {
            case "module":
                // Anything but a string is left to the full reader (the value is not even read).
                guard f.module == nil, let s = try text(interner) else { return nil }
                f.module = s
            case "item":
                guard f.item == nil, let s = try text(interner) else { return nil }
                f.item = s
            case "status":
                guard try readOnce(into: &f.status, depth: 3) else { return nil }
            case "message":
                guard f.message == nil else { return nil }
                // Anything but a string (even null, which the model holds as "") is left to the full reader:
                // the platform prints such a message with Python's str().
                guard let s = try text(interner) else { return nil }
                f.message = s
            case "result":
                guard try readOnce(into: &f.result, depth: 3) else { return nil }
            case "hint":
                guard !f.hintSeen else { return nil }
                f.hintSeen = true
                // A hint that is not a string reads as "" (`stringValue`), as in `CheckResult(json:)`.
                if let s = try text(interner) { f.hint = s } else { try skipValue(depth: 3) }
            case "evidence":
                guard try readOnce(into: &f.evidence, seen: &f.evidenceSeen, keep: keepEvidence, depth: 3) else { return nil }
            case "duration_ms":
                guard try readOnce(into: &f.duration, depth: 3) else { return nil }
            default:
                try skipValue(depth: 3)
            }
            guard let m = next(close: UInt8(ascii: "}")) else { return nil }
            more = m
        }
        return f.checkResult(keepEvidence: keepEvidence)
    }
}

/// The members of a report line that a decoder keeps while it walks the line (`ReportLineDecoder` on its
/// text, `EscapedOutputDecoder` on its escaped bytes), and the report made of them, as
/// `DiagnosticReport(json:)` makes it.
struct ReportFields {
    var status: JSONValue?
    var results: [CheckResult]?
    var schema: JSONValue?
    var version: JSONValue?
    var host: JSONValue?
    var hostSeen = false
    /// The host identity when the decoder read the `host` object itself.
    var identity: HostIdentity?
    var generated: JSONValue?
    var generatedSeen = false
    var duration: JSONValue?
    var durationSeen = false
    var context: JSONValue?
    var contextSeen = false

    /// The report; nil without `status` or `data`. Without `keepEvidence`, no context, host identity or
    /// timing (`generated_at_ms`, `duration_ms`): those members are checked and skipped, not read, as no
    /// fleet output shows them (a hundred thousand reports' numbers were parsed for nothing).
    func report(keepEvidence: Bool) -> DiagnosticReport? {
        guard let status, let results else { return nil }
        var r = DiagnosticReport(
            results: results,
            host: identity ?? HostIdentity(json: host),
            version: version?.stringValue ?? "",
            generatedAtMs: generated?.intValue ?? 0,
            durationMs: duration?.doubleValue,
            context: keepEvidence ? (context?.objectValue ?? []) : [],
            isRich: DiagnosticReport.isRichSchema(schema))
        r.declaredStatus = JSONValue.isTruthy(status)
        return r
    }
}

/// The members of one entry that a decoder keeps, and the entry made of them, as `CheckResult(json:)`
/// makes it.
struct EntryFields {
    var module: String?
    var item: String?
    var status: JSONValue?
    var message: String?
    var result: JSONValue?
    var hint: String?
    var hintSeen = false
    var evidence: JSONValue?
    var evidenceSeen = false
    var duration: JSONValue?

    /// The entry; nil without `module`, `item`, `status` or `message`. Without `keepEvidence`, no evidence.
    func checkResult(keepEvidence: Bool) -> CheckResult? {
        guard let module, let item, let status, let message else { return nil }
        return CheckResult(
            module: module, item: item, verdict: Verdict.read(status: status, result: result), message: message, hint: hint ?? "",
            evidence: keepEvidence ? (evidence?.objectValue ?? []) : [], durationMs: duration?.doubleValue)
    }
}
