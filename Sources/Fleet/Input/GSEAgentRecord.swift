import Report

/// Whether the GSE agent of a host is alive, as GSE itself reports it.
public enum AgentState: String, Sendable, Equatable, CaseIterable {
    case alive
    case offline
    /// No GSE answer named the host.
    case unknown
}

/// One host's agent state from GSE 1 `get_agent_status` or GSE 2 `list_agent_state`.
public struct GSEAgentRecord: Sendable, Equatable {
    /// `cloud:ip` when the answer gives an address (GSE 1, GSE 2 ids of the `cloud:ip` form).
    public var hostKey: String?
    /// GSE 2 agent id when it is not of the `cloud:ip` form.
    public var agentID: String?
    public var state: AgentState

    public init(hostKey: String?, agentID: String? = nil, state: AgentState) {
        self.hostKey = hostKey
        self.agentID = agentID
        self.state = state
    }

    /// Reads either answer shape (the `data` member); nil when `data` is neither.
    ///
    /// GSE 1: `{"0:10.0.0.1": {"ip", "bk_cloud_id", "bk_agent_alive": 1|0}}`.
    /// GSE 2: `[{"bk_agent_id", "bk_cloud_id", "status_code"}]`, `status_code` 2 = running.
    public static func parse(_ data: JSONValue) -> [GSEAgentRecord]? {
        if let members = data.objectValue, !members.isEmpty,
            members.allSatisfy({ $0.1["bk_agent_alive"] != nil })
        {
            return members.map { key, v in
                let ip = v["ip"]?.stringValue ?? ""
                let cloud = v["bk_cloud_id"]?.intValue
                let hostKey = (!ip.isEmpty && cloud != nil) ? "\(cloud!):\(ip)" : key
                return GSEAgentRecord(hostKey: hostKey, state: v["bk_agent_alive"]?.intValue == 1 ? .alive : .offline)
            }
        }
        if let list = data.arrayValue, !list.isEmpty, list.allSatisfy({ $0["status_code"] != nil && $0["bk_agent_id"] != nil }) {
            return list.map { v in
                let id = v["bk_agent_id"]?.stringValue ?? ""
                let state: AgentState = v["status_code"]?.intValue == 2 ? .alive : .offline
                if let ip = v["ip"]?.stringValue ?? v["inner_ip"]?.stringValue, !ip.isEmpty {
                    return GSEAgentRecord(hostKey: "\(v["bk_cloud_id"]?.intValue ?? 0):\(ip)", agentID: id, state: state)
                }
                if id.contains(":") { return GSEAgentRecord(hostKey: id, agentID: nil, state: state) }
                return GSEAgentRecord(hostKey: nil, agentID: id, state: state)
            }
        }
        return nil
    }
}
