import HostProbe
import Report

/// bkunifylogbeat/hosted: the GSE plugin registry (GSE 1 `procinfo.json`, GSE 2 `.proc`) lists the
/// collector, so gse_agent starts and watches it.
struct HostedCheck: Check {
    let module = CheckModule.collector
    let item = "hosted"
    static let sizeLimit = 4 << 20

    func run(_ facts: HostFacts) -> Finding {
        let layout = facts.layout
        // The layout's own registry first, then the other generation's (side-by-side installs).
        let candidates = [layout.registryPath, layout.generation == .gse1 ? layout.root + "/agent/etc/.proc" : layout.root + "/agent/etc/procinfo.json"]
        var lastProblem: Finding?
        for path in candidates {
            let text: String
            do {
                let c = try FileReader.read(path, limit: Self.sizeLimit)
                if c.truncated { lastProblem = .unknown("\(path) is larger than \(Self.sizeLimit) bytes", hint: "检查该文件是否异常"); continue }
                text = c.text
            } catch {
                if error.isMissing { continue }
                lastProblem = .unreadable(path, error)
                continue
            }
            let json: JSONValue
            do {
                json = try JSONValue.parse(text)
            } catch {
                return .fail(
                    "plugin registry \(path) is not valid JSON: \(error.description)",
                    hint: "gse_agent 的插件注册文件损坏：在节点管理中重装 Agent 或重新托管插件", evidence: [("path", .string(path))])
            }
            let procs = json["proc"]?.arrayValue ?? json.arrayValue ?? []
            let names = procs.compactMap { $0["procName"]?.stringValue }
            var evidence: [(String, JSONValue)] = [("path", .string(path)), ("registered", JSONValue(names))]
            guard let entry = procs.first(where: { $0["procName"]?.stringValue == HostFacts.collectorName }) else {
                return .fail(
                    "bkunifylogbeat is not hosted by gse_agent (\(path))",
                    hint: "插件未被 gse_agent 托管，进程退出后不会被拉起：在节点管理中对该主机执行插件托管/重装", evidence: evidence)
            }
            let setup = entry["setupPath"]?.stringValue ?? ""
            for key in ["setupPath", "pidPath", "cpulmt", "memlmt", "valuekey"] {
                if let v = entry[key] { evidence.append((key, v)) }
            }
            if !setup.isEmpty && !layout.holds(setup) {
                return .warn(
                    "bkunifylogbeat is hosted from \(setup), outside \(layout.root)",
                    hint: "托管路径与当前 GSE 目录不一致（新旧 GSE 并存？）：确认实际运行的 Agent", evidence: evidence)
            }
            return .pass("bkunifylogbeat is hosted by gse_agent (setupPath \(setup))", evidence: evidence)
        }
        return lastProblem ?? .fail(
            "plugin registry not found (\(candidates.joined(separator: ", ")))",
            hint: "未找到 gse_agent 的插件注册文件：确认 GSE 安装目录（--gse_path）是否正确",
            evidence: [("searched", JSONValue(candidates))])
    }
}
