import HostProbe
import Report

/// What a check concluded, before the runner stamps module, item and time on it.
public struct Finding: Sendable {
    public var verdict: Verdict
    public var message: String
    public var hint: String
    public var evidence: [(String, JSONValue)]

    public init(_ verdict: Verdict, _ message: String, hint: String = "", evidence: [(String, JSONValue)] = []) {
        self.verdict = verdict
        self.message = message
        self.hint = hint
        self.evidence = evidence
    }

    static func pass(_ m: String, evidence: [(String, JSONValue)] = []) -> Finding { Finding(.pass, m, evidence: evidence) }
    static func warn(_ m: String, hint: String, evidence: [(String, JSONValue)] = []) -> Finding {
        Finding(.warn, m, hint: hint, evidence: evidence)
    }
    static func fail(_ m: String, hint: String, evidence: [(String, JSONValue)] = []) -> Finding {
        Finding(.fail, m, hint: hint, evidence: evidence)
    }
    /// "Could not check": never a pass.
    static func unknown(_ m: String, hint: String, evidence: [(String, JSONValue)] = []) -> Finding {
        Finding(.unknown, m, hint: hint, evidence: evidence)
    }

    /// `unknown` for a collector or agent seen only by comm: bkdiag may not read where it runs from.
    static func unplaced(
        _ p: ProcessRecord, hint: String = "以 root 运行 bkdiag（读取其他进程的 /proc/<pid>/exe 需要 root 或 CAP_SYS_PTRACE）",
        evidence: [(String, JSONValue)]
    ) -> Finding {
        .unknown("\(p.unplacedSummary): \(p.exeError ?? "")", hint: hint, evidence: evidence)
    }

    /// `unknown` for a failed read, with the error as evidence and a hint that fits its errno.
    static func unreadable(_ what: String, _ error: ProbeError) -> Finding {
        // Other processes' /proc entries need ptrace access; a file or directory, read permission.
        let hint =
            !error.isPermission
            ? "检查该路径是否可读后重试"
            : PathText.isUnder(what, "/proc")
                ? "以 root 运行 bkdiag（读取其他进程的 /proc 需要 root 或 CAP_SYS_PTRACE/CAP_DAC_READ_SEARCH）"
                : "以 root 运行 bkdiag（或用有读取权限的用户）：\(what) 对当前用户不可读"
        return Finding(.unknown, "cannot read \(what): \(error.description)", hint: hint, evidence: [("error", .string(error.description))])
    }
}

extension Finding {
    /// The finding for people and the report: paths that are not UTF-8 (carried as `PathBytes`)
    /// shown with their raw bytes as `\xNN`, so the JSON line stays valid UTF-8 and says what is on disk.
    var displayed: Finding {
        Finding(verdict, PathBytes.display(message), hint: PathBytes.display(hint), evidence: Self.displayed(evidence))
    }

    static func displayed(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        members.map { (PathBytes.display($0.0), displayed($0.1)) }
    }

    static func displayed(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): .string(PathBytes.display(s))
        case .array(let a): .array(a.map(displayed))
        case .object(let o): .object(displayed(o))
        default: value
        }
    }
}

/// One catalogue item: facts in, finding out. Checks read the host only through `HostFacts`,
/// never directly, and never run a shell.
public protocol Check: Sendable {
    /// Which item this is: its module, wire name, label and place in the report (`CheckID`).
    var id: CheckID { get }
    func run(_ facts: any HostFacts) -> Finding
}

/// The whole catalogue in report order (`CheckID.allCases`'s; a test holds them to each other).
public let catalogue: [any Check] = [
    LogPathMatchCheck(),
    LogPathHeldCheck(),
    CollectorBinaryCheck(),
    CollectorProcessCheck(),
    MainConfigCheck(),
    SubscriptionConfigCheck(),
    HostedCheck(),
    CollectorHealthCheck(),
    AgentProcessCheck(),
    IPCSocketCheck(),
    SocketQueueCheck(),
    DataserverPortCheck(),
    LogPathProgressCheck(),
    PipelineStallCheck(),
    LossRiskCheck(),
    CollectorResourcesCheck(),
]

extension CheckOptions {
    /// check.py's rule for which modules run: bkunifylogbeat only for a non-zero subscription,
    /// log_path only when log paths were given, gse_agent always; log_progress with the bkunifylogbeat checks.
    public func runs(_ module: CheckModule) -> Bool {
        switch module {
        case .logPath: logPathsGiven
        case .collector, .progress: subscriptionID != 0
        case .agent: true
        }
    }
}

/// Formatting helpers shared by checks.
enum Fmt {
    /// What a message about an agent not running under `root` adds when agents run from other places
    /// (`elsewhere`, their executables): where, and to check --gse_path. The platform shows only the message.
    static func runsElsewhere(root: String, _ elsewhere: [String]) -> String {
        elsewhere.isEmpty ? "" : " under \(root) (one runs from \(list(elsewhere, max: 3)): check --gse_path)"
    }

    /// The executables of agents found running from other places (`HostFacts.agents().elsewhere`), each once.
    static func executables(_ elsewhere: [ProcessRecord]) -> [String] { unique(elsewhere.compactMap(\.exe)) }

    /// The hint when no agent runs under the root but agents run from `elsewhere` (their executables).
    static func runsElsewhereHint(_ elsewhere: [String]) -> String {
        "gse_agent 在其他 GSE 目录运行（\(list(elsewhere, max: 5))）：确认 --gse_path 是否正确"
    }

    static func percent(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e15 else { return "\(v)%" }
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? "\(Int64(r)).0%" : "\(r)%"
    }

    static func list(_ items: [String], max: Int = 10) -> String {
        let shown = items.prefix(max).joined(separator: ", ")
        return items.count > max ? shown + " ... (+\(items.count - max))" : shown
    }

    /// `items` without repeats, in first-seen order.
    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    static func pids(_ ps: [ProcessRecord]) -> JSONValue { .array(ps.map { .int(Int64($0.pid)) }) }
}

extension Finding {
    /// A fail judged against an IPC path that is only a guess (`GSELayout.ipcGuess`) says nothing
    /// certain: the collector's endpoint may be elsewhere. It becomes `unknown`, saying why.
    func judgedAgainst(_ layout: GSELayout) -> Finding {
        guard verdict == .fail, let guess = layout.ipcGuess else { return self }
        return Finding(
            .unknown, "\(message) — but \(guess), so \(layout.ipcPath) is only the default IPC path",
            hint: "修复主配置的权限或内容后重试（非 root 运行时请以 root 运行 bkdiag）：采集器实际的 endpoint 只写在主配置中",
            evidence: evidence + [("ipc_path_guessed", .string(guess))])
    }
}
