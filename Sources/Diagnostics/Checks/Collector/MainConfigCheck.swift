import HostProbe
import Report

/// bkunifylogbeat/main_config: the main config parses as YAML and its `multi_config` loads the
/// subscription directory; the output endpoint and data/log paths are reported.
struct MainConfigCheck: Check {
    let id = CheckID.collectorMainConfig

    func run(_ facts: any HostFacts) -> Finding {
        let layout = facts.layout
        let main = layout.mainConfig
        var evidence: [(String, JSONValue)] = [("path", .string(main.path))]
        // libbeat checks the owner and mode before it reads the file (`StrictPerms`): refused, the collector does
        // not start, whatever the file holds.
        if let why = facts.strictPermsRefusal(main.path) {
            evidence.append(("strict_perms", .string(why)))
            return .fail(
                "the collector cannot start with this main config: \(main.path): \(why) (libgse exits at start: Init filed with error)"
                    + Self.startedBefore(facts),
                hint:
                    "采集器（libbeat strict.perms，默认开启）拒绝加载属主不是 root（或采集器运行用户）、或组/其他用户可写的配置文件，无法启动：执行 chown root:root 与 chmod go-w 修正该文件的属主与权限（或在节点管理中重新下发插件配置），再在节点管理中重启 bkunifylogbeat",
                evidence: evidence)
        }
        switch main.state {
        case .missing:
            return .fail("main config file is not exists: \(main.path)", hint: "在节点管理中重新下发 bkunifylogbeat 插件配置", evidence: evidence)
        case .unreadable(let why):
            return .unknown("cannot read \(main.path): \(why)", hint: "检查文件权限与大小", evidence: evidence)
        case .invalid(let e) where e.isReaderLimit:
            // Valid for the collector's YAML parser, perhaps (go-yaml reads far deeper): not a broken config.
            evidence.append(("yaml_error", .string(e.description)))
            return .unknown(
                "main config \(main.path) not judged: \(e.description) (bkdiag's reader stops there; the collector's may not)",
                hint: "主配置的嵌套层级或节点数超出 bkdiag 的读取上限：NodeMan 渲染的主配置不会这样，检查是否被手工改动，必要时在节点管理中重新下发插件配置",
                evidence: evidence)
        case .invalid(let e) where e.isKeyClash:
            evidence.append(("key_clash", .string(e.problem)))
            return .fail(
                "the collector cannot start with this main config: \(main.path): \(e.problem)",
                hint: "主配置中含点号的键与同一层的键冲突（采集器的配置加载 go-ucfg 把点号当作层级），采集器无法启动：去掉手工加入的冲突键，或在节点管理中重新下发插件配置",
                evidence: evidence)
        case .invalid(let e):
            evidence.append(("yaml_error", .string(e.description)))
            if let marker = main.unrendered {
                evidence.append(("unrendered", .string(marker)))
                return .fail(
                    "main config is the plugin's config template, not rendered: Jinja markers left at \(marker); the collector cannot parse it (\(e.description))",
                    hint:
                        "不是手工改坏：节点管理渲染主配置模板出错时会把模板原样下发（节点管理日志 render config equal to template），重新下发仍是同样的文件：检查该主机在 CMDB 中的信息（内网 IP、云区域、bk_cpu/bk_mem）及插件的 extra_vars 等下发参数，修正后在节点管理中重新下发插件配置",
                    evidence: evidence)
            }
            if let defect = main.templateDefect {
                evidence.append(("template_defect", .string(defect)))
                return .fail(
                    "main config is not valid YAML: \(e.description) (\(defect))",
                    hint: "不是手工改坏：该插件包的主配置模板在主机有 CPU/内存信息时会渲染出无效 YAML，重新下发同一版本仍会复现：在节点管理中升级 bkunifylogbeat 插件包（含模板修复 0feb7c4）后重新下发",
                    evidence: evidence)
            }
            return .fail(
                e.line == 0 ? "main config \(main.path) \(e.problem)" : "main config is not valid YAML: \(e.description)",
                hint: e == .symlinkLoop
                    ? "主配置路径是循环的符号链接（指向自身或互相指向），采集器无法读取、无法启动：删除该链接后在节点管理中重新下发插件配置"
                    : "主配置被手工改坏：在节点管理中重新下发插件配置", evidence: evidence)
        case .parsed:
            break
        }
        let expected = layout.subConfigDir
        // Emptied (a push cut short by a full disk, a truncation by hand): check.py's message, and what the file
        // holds instead of the settings.
        if let blank = main.blank {
            evidence.append(("blank", .string(blank)))
            return .fail(
                "multi_config not have path [\(expected)]: main config \(main.path) \(blank); the collector loads no subscription config and has no output, so it does not start with it (libbeat: No outputs are defined)",
                hint:
                    "主配置文件为空或只剩注释（下发时磁盘已满、下发中断或被手工清空）：确认磁盘空间后，在节点管理中重新下发 bkunifylogbeat 插件配置；仍为空则在节点管理中重新安装插件",
                evidence: evidence)
        }
        let paths = main.multiConfigPaths
        evidence.append(("multi_config", JSONValue(paths)))
        evidence.append(("expected", .string(expected)))
        if let e = main.endpoint {
            evidence.append(("endpoint", .string(e.path)))
            evidence.append(("output", .string(e.output)))
        }
        for key in ["path.data", "path.logs", "path.pid"] {
            if let v = main.value(key) { evidence.append((key, .string(v))) }
        }
        // libgse takes the pid lock and opens the registry before anything else: a path it cannot use there
        // ends the start, whatever multi_config and the output say.
        let refusals = CollectorStartPaths.refusals(main, facts: facts)
        if !refusals.isEmpty {
            evidence.append(("start_refused", .array(refusals.map { .object([("key", .string($0.key)), ("why", .string($0.why))]) })))
            return .fail(
                "the collector cannot start with this main config: " + refusals.map(\.why).joined(separator: "; ")
                    + " (libgse exits at start: Init filed with error)" + Self.startedBefore(facts),
                hint: refusals.allSatisfy(\.readOnly)
                    ? "采集器启动时先在 path.pid 下建立 pid 锁文件、在 path.data 下以读写方式打开 bkunifylogbeat.bkpipe.db，所在文件系统为只读挂载时直接退出：先查明只读原因（磁盘错误时 ext4/xfs 会自动重新挂载为只读，见 dmesg），修复后重新以读写方式挂载，再在节点管理中重启 bkunifylogbeat"
                    : "采集器启动时先在 path.pid 下建立 pid 锁文件、在 path.data 下打开 bkunifylogbeat.bkpipe.db，路径不可用时直接退出：删除占住该路径的文件或目录（或改正主配置中的 path.pid/path.data 为可创建的绝对目录，可在节点管理中重新下发插件配置），然后在节点管理中重启 bkunifylogbeat",
                evidence: evidence)
        }
        guard let entry = layout.subscriptionEntry else {
            return .fail(
                "multi_config not have path [\(expected)]",
                hint: "主配置的 bkunifylogbeat.multi_config 没有加载订阅配置目录，采集配置不会生效：在节点管理中重新下发插件配置",
                evidence: evidence)
        }
        evidence.append(("file_pattern", entry.filePattern.map { .string($0) } ?? .null))
        // The collector globs `<path>/<file_pattern>`: without a pattern it reads the directory as a
        // file and loads no subscription at all; a malformed one matches nothing.
        guard let pattern = entry.filePattern, !pattern.isEmpty else {
            return .fail(
                "multi_config entry for \(expected) has no file_pattern: the collector loads no subscription config",
                hint: "主配置 multi_config 的该项缺少 file_pattern（应为 \"*.conf\"）：在节点管理中重新下发插件配置", evidence: evidence)
        }
        do throws(GlobPatternError) {
            try Glob.validate(pattern)
        } catch {
            return .fail(
                "multi_config file_pattern \(pattern) is not a valid pattern: \(error.description)",
                hint: "主配置 multi_config 的 file_pattern 无效（应为 \"*.conf\"）：在节点管理中重新下发插件配置", evidence: evidence)
        }
        guard main.hasOutput else {
            return .fail(
                "main config has no output: the collector does not start without one (libbeat: No outputs are defined)",
                hint: "主配置缺少 output 段（NodeMan 的模板总会渲染 output.bkpipe/bkpipe_multi）：在节点管理中重新下发插件配置",
                evidence: evidence)
        }
        let outputs = main.enabledOutputs
        guard outputs.count < 2 else {
            return .fail(
                "main config enables \(outputs.count) outputs (\(outputs.map { "output.\($0)" }.joined(separator: ", "))): the collector does not start with more than one (libbeat: more than one namespace configured accessing 'output')",
                hint: "主配置中启用了多个 output，采集器无法启动：保留 NodeMan 渲染的 output.bkpipe/bkpipe_multi，其余删除或设为 enabled: false，或在节点管理中重新下发插件配置",
                evidence: evidence)
        }
        guard let endpoint = main.endpoint else {
            return .warn(
                "main config has no output endpoint (output.bkpipe_multi/bkpipe/gse.endpoint)",
                hint: "采集器不知道向哪个 IPC socket 发送数据：重新下发插件配置", evidence: evidence)
        }
        // The collector sends to its endpoint, the agent listens where its own config says. When they differ
        // and only the agent's path has a listener, the collector's data goes nowhere: the main config is
        // the fault, not the agent (NodeMan renders /var/run/ipc.state.report when it cannot tell). This
        // holds whatever path the check was asked about (JOB always passes one).
        if let agentIPC = facts.agentListensElsewhere(than: endpoint.path) {
            evidence.append(("agent_ipc", .string(agentIPC)))
            return .fail(
                "collector sends to \(endpoint.path), where nothing listens; gse_agent listens on \(agentIPC) (its own config)"
                    + Self.stillConnected(to: agentIPC, facts),
                hint: "采集器主配置的 endpoint 与 gse_agent 配置的 IPC 路径不一致，数据无法上报：在节点管理中重新下发插件配置（或核对 gse_agent 的 ipc 配置）",
                evidence: evidence)
        }
        // Something listens where the collector sends, but not gse_agent, which listens on its own path.
        if let agentIPC = facts.agentIPCWhereAForeignProcessListens(on: endpoint.path) {
            evidence.append(("agent_ipc", .string(agentIPC)))
            return .fail(
                "collector sends to \(endpoint.path), where a process other than gse_agent listens; gse_agent listens on \(agentIPC) (its own config)",
                hint:
                    "采集器主配置的 endpoint 与 gse_agent 配置的 IPC 路径不一致，数据被发往其他进程（如旧版本残留的 Agent）：在节点管理中重新下发插件配置，并停止占用该路径的进程",
                evidence: evidence)
        }
        if layout.ipcSource == "flag", !facts.sameFile(layout.ipcPath, endpoint.path) {
            // Nothing listens where the collector sends, and the socket the check was asked about listens.
            if let asked = facts.listensElsewhere(than: endpoint.path, at: [layout.ipcPath]) {
                evidence.append(("asked_ipc", .string(asked)))
                return .fail(
                    "collector sends to \(endpoint.path), where nothing listens; the socket the check was asked about (\(asked)) listens"
                        + Self.stillConnected(to: asked, facts),
                    hint: "采集器主配置的 endpoint 与 gse_agent 的 IPC socket 不一致，数据无法上报：在节点管理中重新下发插件配置（或核对 gse_agent 的 ipc 配置）",
                    evidence: evidence)
            }
            return .warn(
                "collector writes to \(endpoint.path), but the check was asked about \(layout.ipcPath)",
                hint: "采集器配置的 endpoint 与 gse_agent 的 IPC socket 不一致时数据无法上报：核对 gse_agent 配置的 ipc 路径",
                evidence: evidence)
        }
        // A collector of this root started by hand with another -c runs by that file, not by this one: what this
        // check found in the file on disk says nothing about it.
        let others = Self.startedWithOtherConfig(main, facts)
        if !others.isEmpty {
            evidence.append(
                ("started_with", .array(others.map { .object([("pid", .int(Int64($0.pid))), ("config", JSONValue($0.configs))]) })))
            return .warn(
                "main config ok, but the running collector does not read it: "
                    + others.map { "pid \($0.pid) was started with -c \($0.configs.joined(separator: ", "))" }.joined(separator: "; "),
                hint:
                    "采集器不是按 NodeMan 的方式（在 plugins/bin 下执行 ./bkunifylogbeat -c ../etc/bkunifylogbeat.conf）启动的，运行中的采集器使用的是另一份主配置，下发的配置对它不生效：停止该进程，在节点管理中启动 bkunifylogbeat",
                evidence: evidence)
        }
        return .pass("main config ok: multi_config has \(expected), endpoint \(endpoint.path)", evidence: evidence)
    }

    /// Running collectors of the root whose `-c` names files none of which is the main config judged.
    static func startedWithOtherConfig(_ main: MainConfig, _ facts: any HostFacts) -> [(pid: Int32, configs: [String])] {
        guard case .success(let found) = facts.collectors() else { return [] }
        return ProcessStates(found.under).running.compactMap { p in
            guard let configs = CollectorStartPaths.startedWith(p),
                !configs.contains(where: { facts.sameFile(CollectorStartPaths.onHost($0, facts), main.path) })
            else { return nil }
            return (p.pid, configs)
        }
    }

    /// When a collector runs under the root: it started before the config or the paths changed, and the fault
    /// stops it at its next start. Empty otherwise.
    static func startedBefore(_ facts: any HostFacts) -> String {
        guard case .success(let found) = facts.collectors() else { return "" }
        let pids = ProcessStates(found.under).running.map { String($0.pid) }
        guard !pids.isEmpty else { return "" }
        return "; the running collector (pid \(pids.joined(separator: ","))) started before this: it cannot start again once it stops"
    }

    /// When the running collector still holds a connection to `path` (made before its config changed): the
    /// fault is the config's on disk, and takes effect when it next starts. Empty otherwise.
    static func stillConnected(to path: String, _ facts: any HostFacts) -> String {
        guard case .success(let entries) = facts.unixDiag, case .success(let found) = facts.collectors() else { return "" }
        let pids = found.under.filter(\.isCollector).map(\.pid)
        let view = IPCView.build(path: path, stat: facts.stat(path), entries: entries)
        guard !pids.isEmpty, !view.connections(from: facts.socketInodes(of: pids).inodes.keys).isEmpty else { return "" }
        return "; the running collector, started before this config, is still connected to \(path): it breaks when the collector restarts"
    }
}
