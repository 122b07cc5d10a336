import Report

/// What the fleet side concludes about one host, in one word.
public enum HostState: String, Sendable, CaseIterable, Codable {
    case pass, warn, fail, unknown
    /// JOB's host state is not 9 (success): AgentChecker ignores the output.
    case jobFailed = "job_failed"
    /// State 9 but the script printed nothing.
    case noOutput = "no_output"
    /// State 9, output present, but no line could be read as a report.
    case unparseable
    /// State 9 but the host is absent from every log page.
    case missingLog = "missing_log"
    /// The log batch holding the host could not be fetched.
    case fetchFailed = "fetch_failed"
    /// JOB had not finished the host when the deadline passed.
    case notFinished = "not_finished"

    /// True when the host produced at least one readable report.
    public var hasReport: Bool { self == .pass || self == .warn || self == .fail || self == .unknown }

    /// True for the healthy states.
    public var isHealthy: Bool { self == .pass || self == .warn }

    /// Severity for ordering: healthy first, broken last.
    public var severity: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .unknown: 2
        case .fail: 3
        case .notFinished: 4
        case .noOutput, .missingLog, .fetchFailed: 5
        case .unparseable: 6
        case .jobFailed: 7
        }
    }
}

/// Why a host looks the way it does, once GSE's view of the agent is known.
public enum HostDiagnosis: String, Sendable, CaseIterable {
    case healthy
    /// GSE says the agent is offline: nothing on the host can be judged.
    case agentOffline = "agent_offline"
    /// The agent is fine or unknown, the collector (bkunifylogbeat, log paths) is not.
    case collectorBroken = "collector_broken"
    /// The host's own gse_agent checks fail.
    case agentBroken = "agent_broken"
    /// JOB could not run the script or did not return usable output.
    case noUsableOutput = "no_usable_output"
}

/// One line of a host's output that did not read as a report: AgentChecker's lines for it and the error.
public struct HostLineFailure: Sendable, Equatable {
    /// The host line AgentChecker printed first: `[<host>] 成功` (true) or `[<host>] 失败, 查看详情` (false);
    /// nil when it failed before reading `status`.
    public var hostStatus: Bool? = nil
    /// The entry lines AgentChecker would have printed after the host line, before it hit the error.
    public var emitted: [AgentInfo]
    /// The error, in AgentChecker's words where they are Python's (`'status'`, `Expecting value`).
    public var error: String
    /// False when AgentChecker itself would read the line without error (bkdiag's model is stricter,
    /// e.g. a non-string `module`); then no error line is printed in the platform's format.
    public var checkerFails: Bool = true
}

/// One non-empty line of a host's output, in order.
public enum HostLine: Sendable, Equatable {
    /// Index into `HostResult.reports`.
    case report(Int)
    /// A report whose entries AgentChecker prints otherwise than the model holds them (a message that is
    /// not a string is printed with Python's `str()`: `None`, `1.0`, `{'a': 1}`): index and those entry lines.
    case reportPrinted(Int, [AgentInfo])
    /// A report read lean for `--format agent` (its passing entries' messages not kept): index and the
    /// entry lines written while it was read.
    case reportRendered(Int, RenderedReportLines)
    case failed(HostLineFailure)
}

extension HostLine {
    /// One report line, shared: most hosts print exactly one report, and their line lists need not each
    /// be an allocation of their own.
    static let oneReport: [HostLine] = [.report(0)]

    /// `count` lines, each a report, in order.
    static func reports(_ count: Int) -> [HostLine] {
        count == 1 ? oneReport : (0..<count).map { .report($0) }
    }
}

/// The fleet side's view of one host: JOB's state, the reports read from its output, and the verdict.
public struct HostResult: Sendable {
    /// `"{bk_cloud_id}:{ip}"`, AgentChecker's key.
    public var key: String
    public var hostID: Int64?
    public var cloudID: Int64
    public var ip: String
    /// JOB's host state; nil for a host that appears only in the logs.
    public var jobStatus: Int64?
    /// What AgentChecker prints for a state that is not a plain integer (`JobHostStatus.statusText`).
    public var jobStatusText: String?
    public var errorCode: Int64?
    public var exitCode: Int64?
    /// Reports read from the output, one per readable line.
    public var reports: [DiagnosticReport]
    /// Every non-empty output line in order.
    public var lines: [HostLine]
    public var state: HostState
    /// Why logs are missing or could not be fetched, when they are.
    public var fetchError: String?
    public var agent: AgentState
    /// Its log was found only by its host id: the log's address differs from the status row's, so the
    /// platform, which matches `"{bk_cloud_id}:{ip}"` alone, shows nothing for this host.
    public var logByHostID = false

    public init(
        key: String, hostID: Int64? = nil, cloudID: Int64 = 0, ip: String, jobStatus: Int64?, errorCode: Int64? = nil,
        exitCode: Int64? = nil, reports: [DiagnosticReport] = [], lines: [HostLine] = [], state: HostState,
        fetchError: String? = nil, agent: AgentState = .unknown, jobStatusText: String? = nil, logByHostID: Bool = false
    ) {
        self.key = key
        self.hostID = hostID
        self.cloudID = cloudID
        self.ip = ip
        self.jobStatus = jobStatus
        self.errorCode = errorCode
        self.exitCode = exitCode
        self.reports = reports
        self.lines = lines
        self.state = state
        self.fetchError = fetchError
        self.agent = agent
        self.jobStatusText = jobStatusText
        self.logByHostID = logByHostID
    }

    /// One entry per (module, item): the worst seen across the host's reports, in first-seen order.
    public var results: [CheckResult] {
        if reports.count == 1 { return reports[0].results }
        var out: [CheckResult] = []
        var index: [String: Int] = [:]
        for r in reports {
            for c in r.results {
                let k = c.module + "/" + c.item
                if let i = index[k] {
                    if c.verdict > out[i].verdict { out[i] = c }
                } else {
                    index[k] = out.count
                    out.append(c)
                }
            }
        }
        return out
    }

    /// Errors of the output lines that did not read as reports.
    public var lineErrors: [String] {
        lines.compactMap { if case .failed(let f) = $0 { f.error } else { nil } }
    }

    /// `bkdiag <version>`, `check.py`, or empty when no report was read.
    public var producer: String {
        guard let r = reports.last else { return "" }
        if r.isRich { return r.version.isEmpty ? "bkdiag" : "bkdiag \(r.version)" }
        return "check.py"
    }

    /// The host state AgentChecker prints: true when every report line declared `status: true`.
    public var declaredStatus: Bool? { Self.declaredStatus(reports) }

    /// `declaredStatus` of a host with these reports.
    static func declaredStatus(_ reports: [DiagnosticReport]) -> Bool? {
        reports.isEmpty ? nil : reports.allSatisfy { $0.hostStatus }
    }

    /// `diagnosis` of the host at `h`, from its stored members and its one report's results read in place: a
    /// getter called on `pointee` copies the whole host first (retaining every string and list it holds), as
    /// the memory could change during the call.
    static func diagnosis(at h: UnsafePointer<HostResult>) -> HostDiagnosis {
        if healthy(h.pointee.state, h.pointee.lines) { return .healthy }
        let f =
            h.pointee.reports.count == 1
            ? h.pointee.reports.withUnsafeBufferPointer { $0.baseAddress!.pointee.results.withUnsafeBufferPointer(failingEntries) }
            : h.pointee.results.withUnsafeBufferPointer(failingEntries)
        return diagnosis(
            state: h.pointee.state, lines: h.pointee.lines, agent: h.pointee.agent, failing: f.failing, agentOnly: f.agentOnly)
    }

    /// A healthy state and no line that failed to read.
    static func healthy(_ state: HostState, _ lines: [HostLine]) -> Bool {
        state.isHealthy && !lines.contains { if case .failed = $0 { true } else { false } }
    }

    /// What GSE's agent state adds to the host state.
    public var diagnosis: HostDiagnosis {
        if Self.healthy(state, lines) { return .healthy }
        if agent == .offline { return .agentOffline }
        if !state.hasReport { return .noUsableOutput }
        let f = results.withUnsafeBufferPointer { Self.failingEntries($0) }
        return Self.diagnosis(state: state, lines: lines, agent: agent, failing: f.failing, agentOnly: f.agentOnly)
    }

    /// `diagnosis` of a host whose results' failing entries are as `failingEntries` tells.
    static func diagnosis(state: HostState, lines: [HostLine], agent: AgentState, failing: Bool, agentOnly: Bool) -> HostDiagnosis {
        if healthy(state, lines) { return .healthy }
        if agent == .offline { return .agentOffline }
        if !state.hasReport { return .noUsableOutput }
        if !failing { return state.isHealthy ? .healthy : .noUsableOutput }
        return agentOnly ? .agentBroken : .collectorBroken
    }

    /// Whether any entry's status is false, and whether every such entry is the GSE agent's. Read through
    /// pointers: an entry taken by subscript was copied (every string of it retained and released).
    static func failingEntries(_ rs: UnsafeBufferPointer<CheckResult>) -> (failing: Bool, agentOnly: Bool) {
        guard let base = rs.baseAddress else { return (false, true) }
        var failing = false
        var agentOnly = true
        for k in 0..<rs.count where !(base + k).pointee.verdict.compatStatus {
            failing = true
            if (base + k).pointee.module != "gse_agent" { agentOnly = false }
        }
        return (failing, agentOnly)
    }

    /// The worst `overall` of `reports`, and whether every one's `hostStatus` is true, read in place: a report
    /// or an entry taken out of its list (a `for` over it, a getter of the report) is copied, every string of
    /// it retained and released.
    static func verdicts(_ reports: [DiagnosticReport]) -> (worst: Verdict, declaredTrue: Bool) {
        var worst = Verdict.pass
        var declaredTrue = true
        reports.withUnsafeBufferPointer { rs in
            guard let base = rs.baseAddress else { return }
            for k in 0..<rs.count {
                var summary = VerdictSummary()
                var allPass = true
                (base + k).pointee.results.withUnsafeBufferPointer { es in
                    guard let e = es.baseAddress else { return }
                    for j in 0..<es.count {
                        let v = (e + j).pointee.verdict
                        summary[v] += 1
                        if !v.compatStatus { allPass = false }
                    }
                }
                worst = max(worst, summary.worst)
                if !((base + k).pointee.declaredStatus ?? allPass) { declaredTrue = false }
            }
        }
        return (worst, declaredTrue)
    }

    /// Computes the state from JOB's status and what was read.
    static func judge(
        jobStatus: Int64?, hadLog: Bool, fetchFailed: Bool, reports: [DiagnosticReport],
        lines: [HostLine]
    ) -> HostState {
        if let s = jobStatus, s != JobStatusLabels.hostSuccess {
            return s == 5 || s == 7 ? .notFinished : .jobFailed
        }
        if fetchFailed && !hadLog { return .fetchFailed }
        if !hadLog { return .missingLog }
        if lines.isEmpty { return .noOutput }
        if reports.isEmpty { return .unparseable }
        let (worst, declaredTrue) = verdicts(reports)
        let base: HostState
        switch worst {
        case .pass: base = .pass
        case .warn: base = .warn
        case .fail: base = .fail
        case .unknown: base = .unknown
        }
        // A line that declared `status: false` is a failure for AgentChecker even with no failing entry.
        if base.isHealthy && !declaredTrue { return .fail }
        // Noise lines beside a readable report: AgentChecker reports them as errors, so the host is not clean.
        if base == .pass && lines.count > reports.count { return .warn }
        return base
    }
}
