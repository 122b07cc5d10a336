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
        var status: JSONValue?
        var results: [CheckResult]?
        var schema: JSONValue?
        var version: JSONValue?
        var host: JSONValue?
        var generated: JSONValue?
        var duration: JSONValue?
        var context: JSONValue?
        var contextSeen = false
        var hostSeen = false
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return nil }
        var more = true
        while more {
            guard let k = try memberName() else { return nil }
            switch k {
            case "status":
                guard try readOnce(into: &status, depth: 1) else { return nil }
            case "data":
                guard results == nil, let r = try entries(keepEvidence: keepEvidence, interner: interner) else { return nil }
                results = r
            case "schema":
                guard try readOnce(into: &schema, depth: 1) else { return nil }
            case "version":
                guard try readOnce(into: &version, depth: 1) else { return nil }
            case "host":
                guard try readOnce(into: &host, seen: &hostSeen, keep: keepEvidence, depth: 1) else { return nil }
            case "generated_at_ms":
                guard try readOnce(into: &generated, depth: 1) else { return nil }
            case "duration_ms":
                guard try readOnce(into: &duration, depth: 1) else { return nil }
            case "context":
                guard try readOnce(into: &context, seen: &contextSeen, keep: keepEvidence, depth: 1) else { return nil }
            default:
                try skipValue(depth: 1)
            }
            guard let m = next(close: UInt8(ascii: "}")) else { return nil }
            more = m
        }
        skipSpace()
        guard i == b.count, let status, let results else { return nil }
        var r = DiagnosticReport(
            results: results,
            host: HostIdentity(json: host),
            version: version?.stringValue ?? "",
            generatedAtMs: generated?.intValue ?? 0,
            durationMs: duration?.doubleValue,
            context: keepEvidence ? (context?.objectValue ?? []) : [],
            isRich: DiagnosticReport.isRichSchema(schema))
        r.declaredStatus = JSONValue.isTruthy(status)
        return r
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
        var module: String?
        var item: String?
        var status: JSONValue?
        var message: String?
        var result: JSONValue?
        var hint: String?
        var hintSeen = false
        var evidence: JSONValue?
        var duration: JSONValue?
        var evidenceSeen = false
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return nil }
        var more = true
        while more {
            guard let k = try memberName() else { return nil }
            switch k {
            case "module":
                // Anything but a string is left to the full reader (the value is not even read).
                guard module == nil, let s = try text(interner) else { return nil }
                module = s
            case "item":
                guard item == nil, let s = try text(interner) else { return nil }
                item = s
            case "status":
                guard try readOnce(into: &status, depth: 3) else { return nil }
            case "message":
                guard message == nil else { return nil }
                // Anything but a string (even null, which the model holds as "") is left to the full reader:
                // the platform prints such a message with Python's str().
                guard let s = try text(interner) else { return nil }
                message = s
            case "result":
                guard try readOnce(into: &result, depth: 3) else { return nil }
            case "hint":
                guard !hintSeen else { return nil }
                hintSeen = true
                // A hint that is not a string reads as "" (`stringValue`), as in `CheckResult(json:)`.
                if let s = try text(interner) { hint = s } else { try skipValue(depth: 3) }
            case "evidence":
                guard try readOnce(into: &evidence, seen: &evidenceSeen, keep: keepEvidence, depth: 3) else { return nil }
            case "duration_ms":
                guard try readOnce(into: &duration, depth: 3) else { return nil }
            default:
                try skipValue(depth: 3)
            }
            guard let m = next(close: UInt8(ascii: "}")) else { return nil }
            more = m
        }
        guard let module, let item, let status, let message else { return nil }
        return CheckResult(
            module: module, item: item, verdict: Verdict.read(status: status, result: result), message: message, hint: hint ?? "",
            evidence: keepEvidence ? (evidence?.objectValue ?? []) : [], durationMs: duration?.doubleValue)
    }
}
