/// The verdict of one catalogue item on one host.
public struct CheckResult: Sendable, Equatable {
    /// Wire name of the module: `log_path`, `bkunifylogbeat` or `gse_agent` (other values are kept as read).
    public var module: String
    /// Wire name of the item, e.g. `process`, `socket_queue_status`.
    public var item: String
    public var verdict: Verdict
    /// One sentence for people; check.py's wording where it had one.
    public var message: String
    /// What to do about it; empty when there is nothing to do.
    public var hint: String
    /// Facts that support the verdict (pids, paths, numbers), in a stable order.
    public var evidence: [(String, JSONValue)]
    /// Wall time the check took, in milliseconds; nil for reports read from old check.py output.
    public var durationMs: Double?

    public init(
        module: String, item: String, verdict: Verdict, message: String, hint: String = "",
        evidence: [(String, JSONValue)] = [], durationMs: Double? = nil
    ) {
        self.module = module
        self.item = item
        self.verdict = verdict
        self.message = message
        self.hint = hint
        self.evidence = evidence
        self.durationMs = durationMs
    }

    /// The boolean `status` of the check.py contract.
    public var status: Bool { verdict.compatStatus }

    /// The item's central label, for people (bkdiag's own items included).
    public var label: String { CheckLabels.label(forItem: item) }

    /// The label BlueKing's AgentChecker prints for this item in its record lines.
    public var platformLabel: String { CheckLabels.platformLabel(forItem: item) }

    /// Evidence member lookup.
    public func evidence(_ key: String) -> JSONValue? { evidence.first(where: { $0.0 == key })?.1 }

    public static func == (lhs: CheckResult, rhs: CheckResult) -> Bool {
        lhs.module == rhs.module && lhs.item == rhs.item && lhs.verdict == rhs.verdict
            && lhs.message == rhs.message && lhs.hint == rhs.hint
            && JSONValue.object(lhs.evidence) == JSONValue.object(rhs.evidence) && lhs.durationMs == rhs.durationMs
    }
}

/// The item labels of BlueKing's central AgentChecker, from `CheckID`.
public enum CheckLabels {
    /// Item name → label for every catalogue item.
    public static var labels: [String: String] {
        var out: [String: String] = [:]
        for id in CheckID.allCases where out[id.item] == nil { out[id.item] = id.label }
        return out
    }

    /// The label AgentChecker shows when it does not know the item (another version's item).
    public static let fallback = "gse agent检查"

    /// The central label, or `gse agent检查` for an item the catalogue does not have.
    public static func label(forItem item: String) -> String { CheckID.label(forItem: item) ?? fallback }

    /// The items AgentChecker's own table labels (`CHECK_AGENT_STEP` in `bklog/apps/log_databus/constants.py`):
    /// on bk-monitor's feat/collector_check branch, whose check.py reports log_path's items, check.py's nine and
    /// `logpath_match`/`logpath_held` (the labels `shared/spec/checks.md` lists); master's table has only the
    /// nine, and master's check.py no log_path items. No table labels log_progress's items (bkdiag's own), so
    /// the record lines show `gse agent检查` for them.
    public static let platformItems: Set<String> = [
        "bin_file", "process", "main_config", "config", "hosted", "socket", "healthz", "socket_queue_status",
        "dataserver_port", "logpath_match", "logpath_held",
    ]

    /// The label AgentChecker prints for the item: its table's, else `gse agent检查`.
    public static func platformLabel(forItem item: String) -> String {
        platformItems.contains(item) ? label(forItem: item) : fallback
    }
}
