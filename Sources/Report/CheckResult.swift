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

    /// The label BlueKing's log platform shows for this item.
    public var label: String { CheckLabels.label(forItem: item) }

    /// Evidence member lookup.
    public func evidence(_ key: String) -> JSONValue? { evidence.first(where: { $0.0 == key })?.1 }

    public static func == (lhs: CheckResult, rhs: CheckResult) -> Bool {
        lhs.module == rhs.module && lhs.item == rhs.item && lhs.verdict == rhs.verdict
            && lhs.message == rhs.message && lhs.hint == rhs.hint
            && JSONValue.object(lhs.evidence) == JSONValue.object(rhs.evidence) && lhs.durationMs == rhs.durationMs
    }
}

/// The item labels of BlueKing's central AgentChecker.
public enum CheckLabels {
    public static let labels: [String: String] = [
        "bin_file": "检查二进制文件是否存在",
        "process": "检查进程是否存在",
        "main_config": "检查主配置是否存在及正确",
        "config": "检查配置是否正确",
        "hosted": "检查采集插件是否被gse_agent托管",
        "socket": "检查socket文件是否存在",
        "healthz": "执行healthz自检查查看结果",
        "socket_queue_status": "检查socket队列状态",
        "dataserver_port": "检查data server端口是否存在",
        "logpath_match": "检查日志采集路径是否存在",
        "logpath_held": "检查日志采集路径是否持有句柄",
    ]

    /// The central label, or `gse agent检查` for an unknown item, as AgentChecker does.
    public static func label(forItem item: String) -> String { labels[item] ?? "gse agent检查" }
}
