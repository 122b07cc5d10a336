import HostProbe
import Report

/// A subscription config file name: `<stem>_sub_<subscription>_(host|service)_<instance>.conf`.
public struct SubscriptionConfigName: Sendable, Equatable {
    public static let stems = [
        "bkunifylogbeat", "bkunifylogbeat_syslog", "bkunifylogbeat_kafka", "bkunifylogbeat_redis_slowlog",
        "bkunifylogbeat_winlog",
    ]
    public var stem: String
    public var subscriptionID: Int64
    public var scope: String
    /// The instance id as written (digits; NodeMan's ids are database ids, but any length is a valid name).
    public var instance: String

    /// Exact parse; `bkunifylogbeat_sub_123_host_1.conf` is subscription 123, never 12.
    public static func parse(_ name: String) -> SubscriptionConfigName? {
        guard name.hasSuffix(".conf") else { return nil }
        let body = name.dropLast(5)
        guard let subRange = body.firstByteRange(of: "_sub_") else { return nil }
        let stem = String(body[..<subRange.lowerBound])
        guard stems.contains(stem) else { return nil }
        let parts = body[subRange.upperBound...].split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, let sub = Int64(parts[0]), parts[0].allSatisfy(\.isASCII), parts[1] == "host" || parts[1] == "service",
            !parts[2].isEmpty, parts[2].allSatisfy({ $0.isASCII && $0.isNumber }), !parts[0].hasPrefix("+")
        else { return nil }
        return SubscriptionConfigName(stem: stem, subscriptionID: sub, scope: String(parts[1]), instance: String(parts[2]))
    }
}

/// bkunifylogbeat/config: the subscription's config files exist (exact name match), parse, and
/// have a non-zero dataid in every item.
struct SubscriptionConfigCheck: Check {
    let id = CheckID.collectorConfig
    static let sizeLimit = SubscriptionConfigRead.sizeLimit

    struct Item {
        var dataid: Int64?
        var paths: [String]
        /// The whole item, for the settings other checks read (`exclude_files`, `ignore_older`).
        var node: YAMLNode
    }

    /// The `local:` items of a subscription config.
    static func items(_ yaml: YAMLNode) -> [Item] {
        guard let list = yaml["local"]?.array else { return [] }
        return list.map { node in
            Item(
                // As go-ucfg converts it: `1500203.0` and `"0x16E3AB"` are data ids too.
                dataid: node["dataid"].flatMap { GoConfigValue($0).asInt },
                paths: node["paths"]?.array?.compactMap(\.string) ?? [], node: node)
        }
    }

    /// The subscription configs the collector loads from every `multi_config` directory whose names
    /// `keep` accepts, read and parsed, in directory then name order. Files that cannot be read whole
    /// or parsed are left out: `run` reports them.
    static func parsedConfigs(
        _ facts: any HostFacts, where keep: (SubscriptionConfigName) -> Bool
    ) -> [(name: String, parsed: SubscriptionConfigName, yaml: YAMLNode)] {
        facts.subscriptionConfigs.files.compactMap { f in
            guard f.dir.loads(f.name), let parsed = SubscriptionConfigName.parse(f.name), keep(parsed),
                let yaml = facts.subscriptionConfig(f).yaml
            else { return nil }
            return (f.shown, parsed, yaml)
        }
    }

    /// Whether go-ucfg's variable expansion (libbeat loads configs with `VarExp`) rewrites `text`: a `${`
    /// reference, or the `$$` and `$}` escapes its lexer turns into `$` and `}`.
    static func hasUcfgExpansion(_ text: String) -> Bool {
        text.contains("${") || text.contains("$$") || text.contains("$}")
    }

    func run(_ facts: any HostFacts) -> Finding {
        let dir = facts.layout.subConfigDir
        let sub = facts.options.subscriptionID
        let listing = facts.subscriptionConfigs
        let (configDirs, files, errors) = (listing.dirs, listing.files, listing.errors)
        let mineFiles = files.filter { SubscriptionConfigName.parse($0.name)?.subscriptionID == sub }
        let mine = mineFiles.map(\.shown)
        if mine.isEmpty, let (d, error) = errors.first(where: { !$0.1.isMissing }) {
            return .unreadable(d.path, error)
        }
        if mine.isEmpty, errors.count == configDirs.count {
            return .fail("subscription config dir is not exists: \(dir)", hint: "在节点管理中重新下发该订阅", evidence: [("dir", .string(dir))])
        }
        let nearMiss = files.filter { $0.name.containsBytes("_sub_\(sub)") && !mine.contains($0.shown) }.map(\.shown)
        let dirs = configDirs.map(\.path)
        var evidence: [(String, JSONValue)] = [("dir", .string(dir)), ("files", JSONValue(mine))]
        if dirs.count > 1 { evidence.append(("multi_config_dirs", JSONValue(dirs))) }
        if !nearMiss.isEmpty { evidence.append(("other_files_with_prefix", JSONValue(Array(nearMiss.prefix(10))))) }
        guard !mine.isEmpty else {
            if let unloaded = listing.unlistedBCS.first(where: { SubscriptionConfigName.parse($0)?.subscriptionID == sub }) {
                evidence.append(("not_loaded", .string("bcs/" + unloaded)))
                return .fail(
                    "no config file for subscription \(sub) in \(Fmt.list(dirs, max: 3)): bcs/\(unloaded) is on disk, but the main config's multi_config does not list \(dir)/bcs, so the collector never loads it",
                    hint: "主配置 multi_config 缺少 bcs 目录（旧版插件包的主配置模板）：在节点管理中升级并重新下发 bkunifylogbeat 插件配置",
                    evidence: evidence)
            }
            return .fail(
                "no config file for subscription \(sub) in \(Fmt.list(dirs, max: 3))",
                hint: "订阅配置未下发到本机：在节点管理/日志平台重新下发采集配置"
                    + (nearMiss.isEmpty ? "" : "（\(Fmt.list(nearMiss.map(PathText.shown), max: 3)) 属于其他订阅）"),
                evidence: evidence)
        }
        var problems: [String] = []
        var unreadable: [(String, ProbeError)] = []
        // Configs past a bound of bkdiag's reader (size, nesting): the collector may take them; not judged.
        var unjudged: [String] = []
        var dataids: [JSONValue] = []
        var paths: [String] = []
        var newestMtime: Int64 = 0
        // Configs deployed as the unrendered template: a re-push renders the same failure again.
        var unrendered: [String] = []
        // Configs broken by a value with a `'` the template put inside single quotes: the keys, per config.
        var quoted: [String] = []
        /// The same for values the templates write between double quotes (ext_meta, labels, a syslog host).
        var doubleQuoted: [String] = []
        // Configs the collector refuses for their owner or mode (`StrictPerms`).
        var permissions: [String] = []
        // Configs whose dotted keys clash (`UcfgDottedKeys`).
        var clashes: [String] = []
        // Paths the collector's loader rewrites (go-ucfg's variables and `$` escapes), as `item N: path`.
        var expanded: [String] = []
        // The collector loads only names that match the main config's file_pattern for their directory.
        for file in mineFiles {
            let name = file.shown
            if !file.dir.loads(file.name) {
                problems.append("\(name): not loaded, the name does not match multi_config file_pattern \(file.dir.filePattern ?? "")")
            }
            let read = facts.subscriptionConfig(file)
            if let mtime = read.mtime { newestMtime = max(newestMtime, mtime) }
            let yaml: YAMLNode
            switch read.content {
            case .tooLarge:
                unjudged.append("\(name): larger than the \(Self.sizeLimit) bytes bkdiag reads")
                continue
            case .invalid(let error) where error.isReaderLimit:
                unjudged.append("\(name): \(error.problem) (bkdiag's reader stops there; the collector's may not)")
                continue
            case .unreadable(let error):
                // Not allowed to read it says nothing about its content.
                if error.isPermission { unreadable.append((name, error)) } else { problems.append("\(name): \(error.description)") }
                continue
            case .invalid(let error) where error.isKeyClash:
                clashes.append(name)
                problems.append("\(name): \(error.problem)")
                continue
            case .invalid(let error) where error.isPermissionRefusal:
                permissions.append(name)
                problems.append("\(name): \(error.problem); the collector skips it")
                continue
            case .invalid(let error):
                if let defect = read.quoteDefect, let what = defect.doubleQuoted {
                    doubleQuoted.append(defect.key)
                    problems.append(
                        "\(name): line \(defect.line): the value of \(defect.key) holds \(what) that the plugin's config template does not escape: it writes the value between double quotes, where a \" or a \\ must be escaped (\\\" and \\\\), so the file is not YAML and the collector skips it (\(error.description))"
                    )
                } else if let defect = read.quoteDefect {
                    quoted.append(defect.key)
                    problems.append(
                        "\(name): line \(defect.line): the value of \(defect.key) holds a ' (single quote) that the plugin's config template does not escape: it writes the value between single quotes, where a ' must be doubled (''), so the file is not YAML and the collector skips it (\(error.description))"
                    )
                } else if let marker = read.unrendered {
                    unrendered.append(name)
                    problems.append(
                        "\(name): the plugin's config template, not rendered: Jinja markers left at \(marker) (\(error.description))")
                } else {
                    problems.append("\(name): \(error.description)")
                }
                continue
            case .parsed(let y):
                yaml = y
            }
            let items = Self.items(yaml)
            if items.isEmpty { problems.append("\(name): no `local` items") }
            for (i, it) in items.enumerated() {
                dataids.append(it.dataid.map { .int($0) } ?? .null)
                paths += it.paths
                // A path the collector's glob rejects: two `**` elements refuse the item, a malformed
                // pattern matches nothing.
                for path in it.paths {
                    if Self.hasUcfgExpansion(path) { expanded.append("\(name): item \(i): \(path)") }
                    do throws(GlobPatternError) {
                        try Glob.validateLikeCollector(path)
                    } catch {
                        problems.append("\(name): item \(i): \(error.description)")
                    }
                }
                // What the collector's log input refuses (an exclude or multiline expression Go's regexp
                // refuses, no paths, ignore_older 0 ...): the item's task is never started.
                let onHost = CollectorFileRules.hostRefusals(
                    it.node, facts: facts, cwd: facts.collectorWorkingDirectory, services: CollectorFileRules.services(for: it.node, facts))
                for why in CollectorFileRules(item: it.node, source: name, build: CollectorBuild(facts.collectorBuild)).refusals + onHost {
                    problems.append("\(name): item \(i): \(why)")
                }
            }
        }
        // Syslog items the collector takes on one protocol and port with overlapping addresses: only one binds.
        let shared = Self.sharedSyslogServers(facts, subscription: sub)
        problems += shared
        evidence.append(("dataids", .array(dataids)))
        evidence.append(("paths", JSONValue(Array(paths.prefix(50)))))
        let realNames = "real_config_name: \(mine.map(PathText.shown).joined(separator: ", "))"
        if !problems.isEmpty {
            evidence.append(("problems", JSONValue(problems)))
            // Every kind of problem fails with the same message; the first kind found gives the hint, and the
            // configs or keys of that kind go to the evidence under `key`.
            func failing(_ hint: String, key: String? = nil, _ names: [String] = []) -> Finding {
                if let key { evidence.append((key, JSONValue(names))) }
                return .fail("\(realNames); \(Fmt.list(problems, max: 3))", hint: hint, evidence: evidence)
            }
            if problems.count == shared.count {
                return failing(
                    "多个 syslog 采集项使用同一协议、同一端口且监听地址重叠：只有先启动的输入能绑定端口，另一个启动失败（Error starting the server）收不到任何数据：在日志平台为其中一个采集项改用其他端口（或不重叠的地址）并重新下发"
                )
            }
            if !permissions.isEmpty {
                return failing(
                    "采集器（libbeat strict.perms，默认开启）跳过属主不是 root（或采集器运行用户）、或组/其他用户可写的订阅配置：执行 chown root:root 与 chmod go-w 修正 \(Fmt.list(permissions.map(PathText.shown), max: 3)) 的属主与权限（或在日志平台重新下发），再在节点管理中 reload 或重启 bkunifylogbeat",
                    key: "strict_perms", permissions)
            }
            if !clashes.isEmpty {
                return failing(
                    "采集器的配置加载（go-ucfg）把键中的点号当作层级：同一层里 app 与 app.kubernetes.io/name 这样的键（常见于 ext_meta/labels 中的 Kubernetes 标签）无法同时设置，整个配置文件被跳过，重新下发仍会复现：在日志平台修改该采集项的附加标签（ext_meta/labels），去掉或改名冲突的键，然后重新下发",
                    key: "key_clash", clashes)
            }
            // A value the template quotes without escaping: the same failure for either quote, told apart by the hint.
            let unescaped = [
                (
                    quoted,
                    "的值含有单引号 '：插件的配置模板把该值放在单引号中且不做转义，渲染出的配置不是合法 YAML，采集器跳过整个配置文件，重新下发仍会复现：在日志平台（或节点管理）修改该值，去掉其中的单引号（或把每个 ' 写成两个 ''，YAML 单引号内的转义），然后重新下发"
                ),
                (
                    doubleQuoted,
                    "的值含有双引号 \" 或反斜杠 \\：插件的配置模板（ext_meta/labels、syslog 的 host）把该值放在双引号中且不做转义，渲染出的配置不是合法 YAML，采集器跳过整个配置文件，重新下发仍会复现：在日志平台（或节点管理）修改该值，去掉其中的双引号与反斜杠（如 Windows 路径写成 D:/data），然后重新下发"
                ),
            ]
            if let (names, why) = unescaped.first(where: { !$0.0.isEmpty }) {
                return failing("采集项中 \(Fmt.list(Fmt.unique(names), max: 3)) \(why)", key: "unescaped_quote_in", names)
            }
            let network = ["kafka:", "redis:", "syslog:"].filter { p in problems.contains { $0.contains(p) } }
            if !network.isEmpty {
                return failing(
                    "采集器不会启动该采集项（\(network.map { String($0.dropLast()) }.joined(separator: "/")) 输入在解析配置时拒绝）：在日志平台核对该采集项的必填字段（kafka 的 hosts、topics、用户名与密码、initial_offset、ssl 证书与私钥文件（须在本机存在且可读）；redis 的 hosts、maxconn；syslog 的 protocol 与过滤条件）并重新下发"
                )
            }
            if !unrendered.isEmpty {
                return failing(
                    "采集器跳过该配置：节点管理渲染插件的配置模板出错时会把模板原样下发（节点管理日志 render config equal to template），重新下发仍是同样的文件：检查日志平台下发的采集项参数（路径、ext_meta/labels 等含特殊字符的值）及该主机的 CMDB 信息，修正后重新下发",
                    key: "unrendered", unrendered)
            }
            return failing(
                "采集器会跳过 YAML 错误、dataid 为 0、没有或无效的采集路径（如含两个 **）、exclude_files 或行首正则（multiline.pattern）不是合法 Go 正则（如 *.gz、(?!...)）、ignore_older 为 0、字符集（encoding）不被识别等不被接受的配置项，也不加载文件名不匹配主配置 file_pattern 的文件：检查日志平台的采集项（数据源 dataid、采集路径、字符集、过滤与行首正则、时间参数）或插件主配置并重新下发"
            )
        }
        if let (name, error) = unreadable.first {
            evidence.append(("unreadable", JSONValue(unreadable.map(\.0))))
            return .unknown(
                "\(realNames); cannot read \(name): \(error.description)",
                hint: "以 root 运行 bkdiag 才能读取订阅配置", evidence: evidence)
        }
        if let first = unjudged.first {
            evidence.append(("not_judged", JSONValue(unjudged)))
            return .unknown(
                "\(realNames); cannot judge \(first)", hint: "该订阅配置超出 bkdiag 的读取上限（大小或嵌套层数），未做判断：请人工核对该配置，或在日志平台精简采集项后重新下发",
                evidence: evidence)
        }
        // A path the collector's loader rewrites before its glob sees it: not the files bkdiag matched.
        if let first = expanded.first {
            evidence.append(("expanded_by_loader", JSONValue(expanded)))
            return .warn(
                "\(realNames); \(first) holds ${…} or $$, which the collector's config loader (go-ucfg) rewrites before it reads the path: ${NAME} becomes a field of this config or the collector's environment variable NAME (unset and without a :default, the collector refuses the whole item: missing field), $$ becomes $; bkdiag matched the path as written",
                hint:
                    "采集路径中含有 ${…} 或 $$：采集器加载配置时会做变量替换（${NAME} 取同一配置中的字段或采集器进程的环境变量，未定义且无默认值时整个采集项被拒绝；$$ 变为 $），实际采集的路径与所写不同：在日志平台把路径改为不含 ${ 与 $$ 的实际路径（如日期目录用通配符 *）后重新下发",
                evidence: evidence)
        }
        // The paths the log platform asks about (-l) are its current collection item; the host's config
        // is what was last delivered. A path missing here was changed on the platform and not delivered.
        // As written, or as the collector reads it (a relative path from its working directory).
        let written = paths.map { $0.trimmingASCIIWhitespace() }
        let cwd = facts.collectorWorkingDirectory
        let read = written.map { PathText.resolve($0, from: cwd) }
        // Spelt another way (`//`, `/./`), a path is the same path: compared normalised too.
        let delivered = Set(written).union(read).union(read.map(PathText.normalize))
        // A file -l names that one of the config's patterns matches is collected by it: delivered too.
        let matchers = read.map(Glob.CollectorMatcher.init)
        let undelivered = facts.options.logPaths.filter { l in
            let resolved = facts.askedPattern(l)
            if delivered.contains(l) || delivered.contains(resolved) || delivered.contains(PathText.normalize(resolved)) { return false }
            return !(Glob.isLiteral(l) && matchers.contains { $0.matches(resolved) })
        }
        if !paths.isEmpty && !undelivered.isEmpty {
            evidence.append(("not_in_config", JSONValue(undelivered)))
            return .warn(
                "\(realNames); does not list \(Fmt.list(undelivered, max: 3))",
                hint: "本机订阅配置的采集路径与日志平台的采集项不一致（修改后未下发到本机）：在日志平台重新下发该采集项", evidence: evidence)
        }
        // Sub-configs are not watched: a config newer than the running collector is not loaded yet.
        if case .success(let found) = facts.collectors(), let p = found.under.first, var startedAt = facts.startedAt(p) {
            // A time ahead of the clock (set back, or the file stamped elsewhere) is newer than any start and
            // any reload: it cannot tell whether the collector loaded the file.
            if facts.isInFuture(newestMtime) {
                let mtimeMs = newestMtime.multipliedReportingOverflow(by: 1000)
                let stamp = Timestamp.iso8601(milliseconds: mtimeMs.overflow ? .max : mtimeMs.partialValue)
                evidence.append(("config_mtime", .string(stamp)))
                evidence.append(("now", .string(Timestamp.iso8601(milliseconds: facts.nowMilliseconds))))
                return .warn(
                    "\(realNames); modified at \(stamp), after this host's current time (clock skew): whether the running collector (pid \(p.pid)) loaded it cannot be told from its time",
                    hint: "订阅配置的修改时间晚于本机当前时间（系统时间被调回或文件时间戳异常）：校准系统时间（NTP），在节点管理中 reload 或重启 bkunifylogbeat 以确保加载最新配置",
                    evidence: evidence)
            }
            // A reload since it started, by NodeMan's reload.sh: only a collector the script finds is signalled.
            var unreached: Double?
            if case .success(let log) = facts.collectorRestarts(), let last = log.lastReloadAt, Double(last) > startedAt {
                if Self.reloadReaches(p, facts.layout) { startedAt = Double(last) } else { unreached = Double(last) }
            }
            if Double(newestMtime) > startedAt + 2 {
                // tmpfs keeps any 64-bit mtime; one past Int64 milliseconds is shown as the latest time there is.
                let mtimeMs = newestMtime.multipliedReportingOverflow(by: 1000)
                evidence.append(("config_mtime", .string(Timestamp.iso8601(milliseconds: mtimeMs.overflow ? .max : mtimeMs.partialValue))))
                evidence.append(("collector_started", .string(Timestamp.iso8601(milliseconds: Int64(startedAt * 1000)))))
                if let unreached, Double(newestMtime) <= unreached + 2 {
                    evidence.append(("reload_logged", .string(Timestamp.iso8601(milliseconds: Int64(unreached * 1000)))))
                    evidence.append(("argv0", .string(p.arguments.first ?? "")))
                    if let exe = p.exe { evidence.append(("exe", .string(exe))) }
                    return .warn(
                        "\(realNames); changed after the collector started and not reloaded (pid \(p.pid)): NodeMan's reload at \(Timestamp.iso8601(milliseconds: Int64(unreached * 1000))) cannot reach it, reload.sh signals only a collector started as ./bkunifylogbeat from \(facts.layout.pluginBin) (this one: \(p.arguments.first ?? "?"), \(p.exe ?? "exe unknown"))",
                        hint: "该采集器不是由节点管理的 start.sh 启动（手工启动或从其他目录启动），节点管理的 reload 找不到它：在节点管理中重启 bkunifylogbeat，使其由插件脚本启动",
                        evidence: evidence)
                }
                return .warn(
                    "\(realNames); changed after the collector started and not reloaded (pid \(p.pid))",
                    hint: "订阅配置不会被自动加载：在节点管理中 reload 或重启 bkunifylogbeat", evidence: evidence)
            }
        }
        return .pass(realNames, evidence: evidence)
    }

    /// The syslog servers of `subscription`'s items the collector takes whose protocol and port another item the
    /// collector takes (of this subscription or another) binds on the same addresses, one sentence each naming
    /// both items and the address (`NetworkListen.sharedServers`, which log_progress reads too).
    static func sharedSyslogServers(_ facts: any HostFacts, subscription: Int64) -> [String] {
        let mine = CollectorFileRules.items(subscription: subscription, facts: facts).filter(\.accepted).compactMap(\.listen)
        guard !mine.isEmpty else { return [] }
        let others = CollectorFileRules.items(facts: facts, where: { $0 != subscription }).map(\.item).filter(\.accepted)
            .compactMap(\.listen)
        return NetworkListen.sharedServers(mine, others: others).map(\.why)
    }

    /// Whether NodeMan's reload.sh (run in `<root>/plugins/bin`) signals `p`. bk-nodeman's
    /// `script_tools/plugin_scripts/reload.sh` (`_status_linux_proc`) does `cd ${BASH_SOURCE%/*}`, takes the
    /// processes whose command's first word is `./bkunifylogbeat` (as start.sh starts it), and keeps those whose
    /// `readlink -f /proc/<pid>/exe`, cut before `/bkunifylogbeat`, equals `$PWD`. Only the exe is resolved, not
    /// `$PWD`. GSE's agent runs the plugin's `reload_cmd` (`./reload.sh bkunifylogbeat`) in its setup path, so the
    /// `cd` goes to `.`; a shell started in a directory takes `$PWD` from getcwd(), the real path, unless the
    /// environment it inherits already names that directory. So the exe's directory is `<root>/plugins/bin` named
    /// by its real path: with the root's symlinks resolved, and the real directory a symlinked `plugins/bin` or
    /// `plugins` leads to, out of the root too (`GSELayout.resolvedPluginBin`). The script run by hand from a shell
    /// that went through such a link keeps the link's name in `$PWD` and finds no collector: not judged here.
    static func reloadReaches(_ p: ProcessRecord, _ layout: GSELayout) -> Bool {
        guard p.arguments.first == "./" + ProcessNames.collector, let exe = p.exe, let slash = exe.lastIndex(of: "/") else {
            return false
        }
        let dir = PathText.normalize(String(exe[..<slash]))
        let bins = [layout.pluginBin, layout.resolvedRoot + "/plugins/bin"] + (layout.resolvedPluginBin.map { [$0] } ?? [])
        return bins.contains { PathText.normalize($0) == dir }
    }
}
