/// Why a line of host output could not be read as a report, in AgentChecker's terms.
public struct ReportDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension CheckResult {
    /// The four keys the central parser reads.
    public var compatJSON: JSONValue {
        .object([
            ("module", .string(module)), ("item", .string(item)), ("status", .bool(status)), ("message", .string(message)),
        ])
    }

    /// The compat keys plus `result`, `label`, `hint`, `evidence` and `duration_ms`.
    public var richJSON: JSONValue {
        guard case .object(var members) = compatJSON else { return compatJSON }
        members.append(("result", .string(verdict.rawValue)))
        members.append(("label", .string(label)))
        members.append(("hint", .string(hint)))
        members.append(("evidence", .object(evidence)))
        if let d = durationMs { members.append(("duration_ms", .double((d * 1000).rounded() / 1000))) }
        return .object(members)
    }

    /// Reads one `data` entry. `module`, `item`, `status` and `message` are required, as in AgentChecker;
    /// `result` (bkdiag) refines the boolean when present.
    public init(json: JSONValue) throws(ReportDecodingError) {
        guard case .object = json else { throw ReportDecodingError("data entry is not an object") }
        guard let module = json["module"]?.stringValue else { throw ReportDecodingError("KeyError: 'module'") }
        guard let item = json["item"]?.stringValue else { throw ReportDecodingError("KeyError: 'item'") }
        guard let statusValue = json["status"] else { throw ReportDecodingError("KeyError: 'status'") }
        guard let message = json["message"] else { throw ReportDecodingError("KeyError: 'message'") }
        let verdict = Verdict.read(status: statusValue, result: json["result"])
        let messageText: String
        switch message {
        case .string(let s): messageText = s
        case .null: messageText = ""
        default: messageText = message.serialized()
        }
        self.init(
            module: module, item: item, verdict: verdict, message: messageText,
            hint: json["hint"]?.stringValue ?? "",
            evidence: json["evidence"]?.objectValue ?? [],
            durationMs: json["duration_ms"]?.doubleValue)
    }
}

extension JSONValue {
    /// Python truthiness of a JSON value, as AgentChecker's `if entry["status"]` judges it.
    public static func isTruthy(_ v: JSONValue) -> Bool {
        switch v {
        case .null: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .bigInt: true
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        }
    }
}

extension Verdict {
    /// The verdict of a read entry: the boolean `status` decides, and bkdiag's `result` refines it
    /// when it agrees with that boolean.
    static func read(status: JSONValue, result: JSONValue?) -> Verdict {
        let ok = JSONValue.isTruthy(status)
        if let r = result?.stringValue, let v = named(r), v.compatStatus == ok { return v }
        return ok ? .pass : .fail
    }

    /// `Verdict(rawValue:)`, by comparing with each name: the four are small strings, each compared in a
    /// word or two, where the synthesised initialiser searches a table (once per entry of every report read).
    @inline(__always) static func named(_ r: String) -> Verdict? {
        if r == "pass" { return .pass }
        if r == "fail" { return .fail }
        if r == "warn" { return .warn }
        if r == "unknown" { return .unknown }
        return nil
    }
}

extension HostIdentity {
    /// Reads the rich `host` object; missing fields are empty.
    init(json: JSONValue?) {
        self.init(
            hostname: json?["hostname"]?.stringValue ?? "", machineID: json?["machine_id"]?.stringValue ?? "",
            kernel: json?["kernel"]?.stringValue ?? "")
    }
}

extension DiagnosticReport {
    /// Whether a `schema` value marks bkdiag's rich output.
    static func isRichSchema(_ schema: JSONValue?) -> Bool {
        schema?.stringValue?.hasPrefix("bkdiag.report/") ?? false
    }

    /// `{"status": ..., "data": [...]}` and nothing else: what check.py printed.
    public var compatJSON: JSONValue {
        .object([("status", .bool(status)), ("data", .array(results.map(\.compatJSON)))])
    }

    /// The compat object with the rich fields added; the central parser ignores the extra keys.
    public var richJSON: JSONValue {
        let s = summary
        var members: [(String, JSONValue)] = [
            ("status", .bool(status)),
            ("data", .array(results.map(\.richJSON))),
            ("schema", .string(Self.schema)),
            ("result", .string(overall.rawValue)),
            (
                "summary",
                .object([
                    ("pass", .int(Int64(s.pass))), ("warn", .int(Int64(s.warn))),
                    ("fail", .int(Int64(s.fail))), ("unknown", .int(Int64(s.unknown))),
                ])
            ),
            ("version", .string(version)),
            (
                "host",
                .object([
                    ("hostname", .string(host.hostname)), ("machine_id", .string(host.machineID)),
                    ("kernel", .string(host.kernel)),
                ])
            ),
            ("generated_at", .string(Timestamp.iso8601(milliseconds: generatedAtMs))),
            ("generated_at_ms", .int(generatedAtMs)),
        ]
        if let d = durationMs { members.append(("duration_ms", .double((d * 1000).rounded() / 1000))) }
        members.append(("context", .object(context)))
        return .object(members)
    }

    /// One line of compat JSON (no trailing newline).
    public func compatLine() -> String { compatJSON.serialized() }

    /// One line of rich JSON (no trailing newline).
    public func richLine() -> String { richJSON.serialized() }

    /// Reads a report from one line of host output, the way AgentChecker does (`json.loads`, then
    /// `status` and every `data` entry), accepting check.py's and bkdiag's output alike.
    public init(line: String) throws(ReportDecodingError) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw ReportDecodingError(error.description)
        }
        try self.init(json: json)
    }

    /// Reads a report from parsed JSON.
    public init(json: JSONValue) throws(ReportDecodingError) {
        guard case .object = json else { throw ReportDecodingError("report is not a JSON object") }
        guard json["status"] != nil else { throw ReportDecodingError("KeyError: 'status'") }
        guard let data = json["data"] else { throw ReportDecodingError("KeyError: 'data'") }
        guard let entries = data.arrayValue else { throw ReportDecodingError("'data' is not a list") }
        var results: [CheckResult] = []
        results.reserveCapacity(entries.count)
        for e in entries { results.append(try CheckResult(json: e)) }
        let rich = Self.isRichSchema(json["schema"])
        self.init(
            results: results,
            host: HostIdentity(json: json["host"]),
            version: json["version"]?.stringValue ?? "",
            generatedAtMs: json["generated_at_ms"]?.intValue ?? 0,
            durationMs: json["duration_ms"]?.doubleValue,
            context: json["context"]?.objectValue ?? [],
            isRich: rich)
        self.declaredStatus = JSONValue.isTruthy(json["status"]!)
    }
}
