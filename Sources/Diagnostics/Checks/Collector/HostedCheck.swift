import HostProbe
import Report

/// bkunifylogbeat/hosted: the running generation's plugin registry (GSE 1 `procinfo.json`, GSE 2
/// `.proc`) lists the collector, so gse_agent starts and watches it. The other generation's file,
/// left by an upgrade, is never read by the running agent: a collector listed only there is not hosted.
struct HostedCheck: Check {
    let id = CheckID.collectorHosted
    static let sizeLimit = 4 << 20
    static let notHostedHint = "插件未被 gse_agent 托管，进程退出后不会被拉起：在节点管理中对该主机执行插件托管/重装"

    func run(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        let own = layout.registryPath
        // The other generation's registry, left by an upgrade in place or a side-by-side install. Only
        // the running generation's file tells what its agent hosts; the other one is read as a clue.
        let other = layout.root + layout.generation.other.registryFile(agentDir: layout.agentDir)
        let searched: [(String, JSONValue)] = [("searched", JSONValue([own, other]))]
        var ownEntries: [JSONValue] = []
        var ownMissing = false
        switch read(own, facts) {
        case .problem(let finding): return finding
        case .found(let json):
            guard let entries = RegistryShape.entries(json) else { return RegistryShape.unknownShape(own, json) }
            let verdict = judge(entries, path: own, layout: layout, facts: facts)
            guard verdict.verdict == .fail else { return verdict }
            ownEntries = entries
        case .missing:
            ownMissing = true
        }
        let ownState = ownMissing ? "is missing" : "does not list it"
        // Not hosted by the running agent. The leftover only says how it came to be so.
        if let leftover = listing(other, facts) {
            let running = layout.generation.displayName
            return .fail(
                "bkunifylogbeat is not hosted: it is listed only in \(other), the \(layout.generation.other.displayName) registry left over from before an upgrade; the running \(running) agent reads \(own), which \(ownState)",
                hint: "当前运行的 \(running) Agent 不读取旧版本的注册文件，采集器退出后不会被拉起、也没有资源限制：在节点管理中对该主机重新下发 bkunifylogbeat 插件（注册到 \(running) Agent）",
                evidence: searched + [("registry", .string(own)), ("leftover_registry", .string(other))] + leftover)
        }
        if ownMissing {
            guard (try? facts.stat(other).get()) != nil else {
                return .fail(
                    "plugin registry not found (\(own))",
                    hint: "未找到 gse_agent 的插件注册文件：确认 GSE 安装目录（--gse_path）是否正确，或在节点管理中重装 Agent",
                    evidence: searched)
            }
            return .fail(
                "bkunifylogbeat is not hosted by gse_agent (\(own) is missing; \(other) does not list it either)",
                hint: Self.notHostedHint, evidence: searched)
        }
        return judge(ownEntries, path: own, layout: layout, facts: facts)
    }

    private enum Read {
        case found(JSONValue)
        case missing
        case problem(Finding)
    }

    private func read(_ path: String, _ facts: any HostFacts) -> Read {
        // A FIFO, a directory or a device in the registry's place is no registry the agent can read: said as what
        // it is (reading a FIFO would give nothing, which would look like bad JSON).
        if case .success(let st) = facts.stat(path), !st.isRegular {
            return .problem(
                .fail(
                    "plugin registry \(path) is a \(st.kind), not a regular file",
                    hint: "gse_agent 的插件注册文件不是普通文件：删除它后在节点管理中重装 Agent 或重新托管插件", evidence: [("path", .string(path))]))
        }
        let text: String
        switch facts.readFile(path, limit: Self.sizeLimit) {
        case .success(let c):
            if c.truncated { return .problem(.unknown("\(path) is larger than \(Self.sizeLimit) bytes", hint: "检查该文件是否异常")) }
            text = c.text
        case .failure(let error):
            return error.isMissing ? .missing : .problem(.unreadable(path, error))
        }
        do {
            return .found(try JSONValue.parse(text))
        } catch {
            return .problem(
                .fail(
                    "plugin registry \(path) is not valid JSON: \(error.description)",
                    hint: "gse_agent 的插件注册文件损坏：在节点管理中重装 Agent 或重新托管插件", evidence: [("path", .string(path))]))
        }
    }

    /// The collector's entry in `path` as evidence, when that registry lists it.
    private func listing(_ path: String, _ facts: any HostFacts) -> [(String, JSONValue)]? {
        guard case .found(let json) = read(path, facts), let entries = RegistryShape.entries(json),
            let entry = entries.first(where: { RegistryShape.name($0) == ProcessNames.collector })
        else { return nil }
        return RegistryShape.fields(entry).map { ("leftover_" + $0.0, $0.1) }
    }

    private func judge(_ procs: [JSONValue], path: String, layout: GSELayout, facts: any HostFacts) -> Finding {
        let names = procs.compactMap(RegistryShape.name)
        var evidence: [(String, JSONValue)] = [("path", .string(path)), ("registered", JSONValue(names))]
        guard let entry = procs.first(where: { RegistryShape.name($0) == ProcessNames.collector }) else {
            return .fail("bkunifylogbeat is not hosted by gse_agent (\(path))", hint: Self.notHostedHint, evidence: evidence)
        }
        let fields = RegistryShape.fields(entry)
        evidence += fields
        let setup = fields.first { $0.0 == "setupPath" }?.1.stringValue ?? ""
        // setupPath is the agent's view of the host: under --host-root, where that host is mounted.
        let onHost = PathText.onHost(facts.options.hostRoot, setup)
        // A setupPath through a symlink to the root (`/usr/local/gse` → `/data/gse`, the root given by its
        // real path) is the root itself.
        let resolved = setup.isEmpty ? nil : facts.realPath(onHost)
        if !setup.isEmpty && !layout.holds(setup) && !layout.holds(onHost) && !(resolved.map(layout.holds) ?? false) {
            // The agent starts and restarts the binary at setupPath: with none there, the running collector
            // is not the one it manages, and nothing restarts it when it stops.
            let binary = PathText.join(setup, ProcessNames.collector)
            if case .failure(let error) = facts.stat(PathText.onHost(facts.options.hostRoot, binary)), error.isMissing {
                evidence.append(("setup_binary", .string(binary)))
                return .fail(
                    "bkunifylogbeat is hosted from \(setup), outside \(layout.root), and \(binary) does not exist",
                    hint: "gse_agent 托管的是另一个目录下不存在的采集器，实际运行的采集器停止后不会被拉起：在节点管理中重新安装 bkunifylogbeat 插件以更新托管信息",
                    evidence: evidence)
            }
            return .warn(
                "bkunifylogbeat is hosted from \(setup), outside \(layout.root)",
                hint: "托管路径与当前 GSE 目录不一致（新旧 GSE 并存？）：确认实际运行的 Agent", evidence: evidence)
        }
        // Inside the root but not where NodeMan installs the collector (plugins/bin, whose binary bin_file judges),
        // with no collector there: the agent would start and restart a binary that does not exist.
        // (The path as this host sees it: the registry's own where the root holds it, as under --host-root.)
        let here = [setup, onHost].first(where: layout.holds) ?? resolved ?? onHost
        if !setup.isEmpty, !facts.sameFile(here, layout.pluginBin) {
            let binary = PathText.join(here, ProcessNames.collector)
            if case .failure(let error) = facts.stat(binary), error.isMissing {
                evidence.append(("setup_binary", .string(binary)))
                return .fail(
                    "bkunifylogbeat is hosted from \(setup), where no bkunifylogbeat is installed (\(binary) does not exist; NodeMan installs it in \(layout.pluginBin))",
                    hint: "gse_agent 托管信息中的采集器目录下没有 bkunifylogbeat，采集器停止后不会被正确拉起：在节点管理中重新安装 bkunifylogbeat 插件以更新托管信息",
                    evidence: evidence)
            }
        }
        return .pass("bkunifylogbeat is hosted by gse_agent (setupPath \(setup))", evidence: evidence)
    }
}

/// The shapes a GSE plugin registry is found in. The usual one is `{"proc": [entry, ...]}` with flat
/// entries (`procName`, `setupPath`, `pidPath`, `cpulmt`, `memlmt`, `valuekey`); the list also
/// appears under `value` (or `value.proc`) or as the whole file, and an entry may carry the GSE
/// process API's form (`meta.name`, `spec.identity.{proc_name,setup_path,pid_path}`,
/// `spec.resource.{cpu,mem}`). Anything else is a shape bkdiag cannot read: `unknown`, never
/// "not hosted".
enum RegistryShape {
    /// The entries, or nil for a shape not known. `{}` is an empty registry.
    static func entries(_ json: JSONValue) -> [JSONValue]? {
        let list: [JSONValue]
        if let top = json.arrayValue {
            list = top
        } else if let members = json.objectValue {
            if members.isEmpty { return [] }
            guard let found = json["proc"]?.arrayValue ?? json["value"]?.arrayValue ?? json["value"]?["proc"]?.arrayValue
            else { return nil }
            list = found
        } else {
            return nil
        }
        // A list whose entries carry no name in any known form is not a registry bkdiag can read.
        if !list.isEmpty && !list.contains(where: { name($0) != nil }) { return nil }
        return list
    }

    /// The plugin's name: `procName`, else the process API's `meta.name` / `spec.identity.proc_name`.
    static func name(_ entry: JSONValue) -> String? {
        entry["procName"]?.stringValue ?? entry["meta"]?["name"]?.stringValue
            ?? entry["spec"]?["identity"]?["proc_name"]?.stringValue
    }

    /// The entry's setup path, pid file and limits under their flat names, whichever form it has.
    static func fields(_ entry: JSONValue) -> [(String, JSONValue)] {
        let identity = entry["spec"]?["identity"]
        let resource = entry["spec"]?["resource"]
        let pairs: [(String, JSONValue?)] = [
            ("setupPath", entry["setupPath"] ?? identity?["setup_path"]),
            ("pidPath", entry["pidPath"] ?? identity?["pid_path"]),
            ("cpulmt", entry["cpulmt"] ?? resource?["cpu"]),
            ("memlmt", entry["memlmt"] ?? resource?["mem"]),
            ("valuekey", entry["valuekey"]),
        ]
        return pairs.compactMap { k, v in v.map { (k, $0) } }
    }

    /// `unknown` for a registry that parses as JSON but in a shape not known.
    static func unknownShape(_ path: String, _ json: JSONValue) -> Finding {
        let keys = json.objectValue?.map(\.0) ?? []
        let described =
            keys.isEmpty ? "a JSON \(json.arrayValue != nil ? "list without named entries" : "scalar")" : "keys \(Fmt.list(keys, max: 8))"
        return .unknown(
            "cannot read the plugin registry \(path): unrecognised shape (\(described))",
            hint: "注册文件格式未知（不是 {\"proc\": [...]} 等已知格式）：请人工查看该文件是否列出 bkunifylogbeat，并反馈该格式",
            evidence: [("path", .string(path)), ("top_level_keys", JSONValue(keys))])
    }
}
