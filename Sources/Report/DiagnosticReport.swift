/// Who produced a report.
public struct HostIdentity: Sendable, Equatable {
    public var hostname: String
    public var machineID: String
    public var kernel: String

    public init(hostname: String = "", machineID: String = "", kernel: String = "") {
        self.hostname = hostname
        self.machineID = machineID
        self.kernel = kernel
    }
}

/// Counts of verdicts in a report.
public struct VerdictSummary: Sendable, Equatable {
    public var pass = 0
    public var warn = 0
    public var fail = 0
    public var unknown = 0

    public init() {}

    public init(_ results: [CheckResult]) {
        for r in results { self[r.verdict] += 1 }
    }

    public subscript(v: Verdict) -> Int {
        get {
            switch v {
            case .pass: pass
            case .warn: warn
            case .fail: fail
            case .unknown: unknown
            }
        }
        set {
            switch v {
            case .pass: pass = newValue
            case .warn: warn = newValue
            case .fail: fail = newValue
            case .unknown: unknown = newValue
            }
        }
    }

    public var total: Int { pass + warn + fail + unknown }

    /// The worst verdict present, `pass` for an empty summary.
    public var worst: Verdict {
        if fail > 0 { return .fail }
        if unknown > 0 { return .unknown }
        if warn > 0 { return .warn }
        return .pass
    }

    /// "12 checks: 10 pass, 1 warn, 1 fail" — zero counts other than pass are left out.
    public var sentence: String {
        var parts = ["\(pass) pass"]
        if warn > 0 { parts.append("\(warn) warn") }
        if fail > 0 { parts.append("\(fail) fail") }
        if unknown > 0 { parts.append("\(unknown) unknown") }
        return "\(total) checks: " + parts.joined(separator: ", ")
    }
}

/// One run of the catalogue on one host: the model every encoder and the fleet side share.
public struct DiagnosticReport: Sendable, Equatable {
    /// Schema tag of the rich fields.
    public static let schema = "bkdiag.report/1"

    /// Entries in check.py's order: log_path, bkunifylogbeat, gse_agent.
    public var results: [CheckResult]
    public var host: HostIdentity
    /// bkdiag version that produced the report; empty for check.py output.
    public var version: String
    /// Unix time in milliseconds when the run started.
    public var generatedAtMs: Int64
    /// Wall time of the whole run, in milliseconds.
    public var durationMs: Double?
    /// What the run looked at (gse root, layout, ipc path, subscription ...), in a stable order.
    public var context: [(String, JSONValue)]
    /// False when the report was read from a producer that gave only the compat fields (old check.py).
    public var isRich: Bool
    /// The top-level `status` as a producer printed it, when read from output; nil for reports made here.
    /// AgentChecker judges a host by this value, not by the entries.
    public var declaredStatus: Bool?

    public init(
        results: [CheckResult], host: HostIdentity = HostIdentity(), version: String = "",
        generatedAtMs: Int64 = 0, durationMs: Double? = nil, context: [(String, JSONValue)] = [], isRich: Bool = true
    ) {
        self.results = results
        self.host = host
        self.version = version
        self.generatedAtMs = generatedAtMs
        self.durationMs = durationMs
        self.context = context
        self.isRich = isRich
    }

    /// The top-level `status` of the check.py contract: every entry passed (pass or warn).
    public var status: Bool { results.allSatisfy(\.status) }

    /// The status AgentChecker would print for this host: the declared one when read from output.
    public var hostStatus: Bool { declaredStatus ?? status }

    public var summary: VerdictSummary { VerdictSummary(results) }

    /// The worst verdict of all entries.
    public var overall: Verdict { summary.worst }

    public func result(module: String, item: String) -> CheckResult? {
        results.first { $0.module == module && $0.item == item }
    }

    public static func == (lhs: DiagnosticReport, rhs: DiagnosticReport) -> Bool {
        lhs.results == rhs.results && lhs.host == rhs.host && lhs.version == rhs.version
            && lhs.generatedAtMs == rhs.generatedAtMs && lhs.durationMs == rhs.durationMs
            && JSONValue.object(lhs.context) == JSONValue.object(rhs.context) && lhs.isRich == rhs.isRich
            && lhs.declaredStatus == rhs.declaredStatus
    }
}
