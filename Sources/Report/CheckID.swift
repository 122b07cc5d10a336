/// The module names of the wire contract. Report order follows `CheckID`, not this enum.
public enum CheckModule: String, Sendable, CaseIterable {
    case logPath = "log_path"
    case collector = "bkunifylogbeat"
    case agent = "gse_agent"
    /// Collection progress (issue 15): after check.py's modules, so the one-line contract keeps its order.
    case progress = "log_progress"
}

/// Every catalogue item, in report order (check.py's: log_path, bkunifylogbeat, gse_agent): the one
/// place an item's module, wire name, central label and position are written. The node's catalogue,
/// the report's labels, the fleet's columns and the README's check table derive from it.
///
/// The raw value is the item's `module/item` key (as the fleet names its columns): the wire item name
/// alone is not unique (`bkunifylogbeat/process` and `gse_agent/process`). `module` and `item` are what
/// code reads; a raw value without a slash is taken as the item name.
public enum CheckID: String, Sendable, CaseIterable {
    case logpathMatch = "log_path/logpath_match"
    case logpathHeld = "log_path/logpath_held"
    case collectorBinFile = "bkunifylogbeat/bin_file"
    case collectorProcess = "bkunifylogbeat/process"
    case collectorMainConfig = "bkunifylogbeat/main_config"
    case collectorConfig = "bkunifylogbeat/config"
    case collectorHosted = "bkunifylogbeat/hosted"
    case collectorHealthz = "bkunifylogbeat/healthz"
    case agentProcess = "gse_agent/process"
    case agentSocket = "gse_agent/socket"
    case agentSocketQueue = "gse_agent/socket_queue_status"
    case agentDataserverPort = "gse_agent/dataserver_port"
    case progressLogpath = "log_progress/logpath_progress"
    case progressPipelineStall = "log_progress/pipeline_stall"
    case progressLossRisk = "log_progress/loss_risk"
    case progressCollectorResources = "log_progress/collector_resources"

    public var module: CheckModule {
        switch self {
        case .logpathMatch, .logpathHeld: .logPath
        case .collectorBinFile, .collectorProcess, .collectorMainConfig, .collectorConfig, .collectorHosted, .collectorHealthz:
            .collector
        case .agentProcess, .agentSocket, .agentSocketQueue, .agentDataserverPort: .agent
        case .progressLogpath, .progressPipelineStall, .progressLossRisk, .progressCollectorResources: .progress
        }
    }

    /// The wire item name (`process`, `socket_queue_status`, ...).
    public var item: String {
        let key = rawValue
        guard let slash = key.firstIndex(of: "/") else { return key }
        return String(key[key.index(after: slash)...])
    }

    /// The label BlueKing's central AgentChecker shows for the item (keyed by item name there, so both
    /// `process` items share one).
    public var label: String {
        switch self {
        case .logpathMatch: "检查日志采集路径是否存在"
        case .logpathHeld: "检查日志采集路径是否持有句柄"
        case .collectorBinFile: "检查二进制文件是否存在"
        case .collectorProcess, .agentProcess: "检查进程是否存在"
        case .collectorMainConfig: "检查主配置是否存在及正确"
        case .collectorConfig: "检查配置是否正确"
        case .collectorHosted: "检查采集插件是否被gse_agent托管"
        case .collectorHealthz: "执行healthz自检查查看结果"
        case .agentSocket: "检查socket文件是否存在"
        case .agentSocketQueue: "检查socket队列状态"
        case .agentDataserverPort: "检查data server端口是否存在"
        // Items the platform does not know: it shows its generic label; bkdiag's own outputs show these.
        case .progressLogpath: "检查日志文件采集进度"
        case .progressPipelineStall: "检查采集链路卡在哪一环"
        case .progressLossRisk: "检查有丢失风险的日志数据"
        case .progressCollectorResources: "检查采集器资源限制与压力"
        }
    }

    /// Position in the report: the index in `allCases`.
    public var order: Int { Self.orderIndex[self]! }

    private static let orderIndex: [CheckID: Int] = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// The item with this module and wire item name, if the catalogue has one.
    public init?(module: String, item: String) {
        guard let id = Self.allCases.first(where: { $0.module.rawValue == module && $0.item == item }) else { return nil }
        self = id
    }

    /// The item's column key, `module/item`.
    public var key: String { module.rawValue + "/" + item }

    /// The label of the first item with this wire name, nil for an item the catalogue does not have.
    public static func label(forItem item: String) -> String? { labelsByItem[item] }

    private static let labelsByItem: [String: String] = {
        var out: [String: String] = [:]
        for id in allCases where out[id.item] == nil { out[id.item] = id.label }
        return out
    }()
}
