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
        let own = layout.registryPath
        // The other generation's registry, left by an upgrade in place or a side-by-side install. Only
        // the running generation's file tells what its agent hosts; the other one is read as a clue.
        let other = layout.root + layout.generation.other.registryFile
        switch read(own) {
        case .found(let json):
            return judge(json, path: own, layout: layout)
        case .problem(let finding):
            return finding
        case .missing:
            break
        }
        let searched: [(String, JSONValue)] = [("searched", JSONValue([own, other]))]
        guard case .found(let json) = read(other) else {
            return .fail(
                "plugin registry not found (\(own))",
                hint: "未找到 gse_agent 的插件注册文件：确认 GSE 安装目录（--gse_path）是否正确，或在节点管理中重装 Agent",
                evidence: searched)
        }
        let otherVerdict = judge(json, path: other, layout: layout)
        guard otherVerdict.verdict != .fail else {
            return .fail(
                "bkunifylogbeat is not hosted by gse_agent (\(own) is missing; \(other) does not list it either)",
                hint: "插件未被 gse_agent 托管，进程退出后不会被拉起：在节点管理中对该主机执行插件托管/重装",
                evidence: searched + otherVerdict.evidence)
        }
        return .warn(
            "bkunifylogbeat is listed only in \(other), the other generation's registry; this \(layout.generation.displayName) agent's \(own) is missing",
            hint: "注册文件与当前 Agent 版本不一致（升级后残留？）：在节点管理中对该主机重新托管插件",
            evidence: searched + otherVerdict.evidence)
    }

    private enum Read {
        case found(JSONValue)
        case missing
        case problem(Finding)
    }

    private func read(_ path: String) -> Read {
        let text: String
        do {
            let c = try FileReader.read(path, limit: Self.sizeLimit)
            if c.truncated { return .problem(.unknown("\(path) is larger than \(Self.sizeLimit) bytes", hint: "检查该文件是否异常")) }
            text = c.text
        } catch {
            return error.isMissing ? .missing : .problem(.unreadable(path, error))
        }
        do {
            return .found(try JSONValue.parse(text))
        } catch {
            return .problem(.fail(
                "plugin registry \(path) is not valid JSON: \(error.description)",
                hint: "gse_agent 的插件注册文件损坏：在节点管理中重装 Agent 或重新托管插件", evidence: [("path", .string(path))]))
        }
    }

    private func judge(_ json: JSONValue, path: String, layout: GSELayout) -> Finding {
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
}
