import HostProbe
import Report

/// Which GSE agent generation a root holds.
public enum GSEGeneration: String, Sendable {
    case gse1
    case gse2

    /// The dataserver port the agent connects to.
    public var dataPort: UInt16 { self == .gse1 ? 58625 : 28625 }

    /// The plugin registry under the root: GSE 1 `procinfo.json`, GSE 2 `.proc`.
    public var registryFile: String { registryFile(agentDir: "/agent") }

    /// The plugin registry under the agent's directory (`/agent`, or `/proxy` on a proxy).
    public func registryFile(agentDir: String) -> String { agentDir + (self == .gse1 ? "/etc/procinfo.json" : "/etc/.proc") }

    /// The other generation (an upgrade leaves one's files beside the other's).
    public var other: GSEGeneration { self == .gse1 ? .gse2 : .gse1 }

    /// `GSE 1` / `GSE 2`, for messages.
    public var displayName: String { self == .gse1 ? "GSE 1" : "GSE 2" }
}

/// The collector's main config, parsed.
public struct MainConfig: Sendable {
    public enum State: Sendable {
        case missing
        case unreadable(String)
        case invalid(YAMLError)
        case parsed(YAMLNode)
    }

    public var path: String
    public var state: State
    /// Where an invalid file has the shape a known template defect renders, what it is.
    public var templateDefect: String?
    /// Where an invalid file still holds the template's Jinja markers, the first line with one
    /// (`unrenderedTemplate`).
    public var unrendered: String?

    public init(path: String, state: State, templateDefect: String? = nil) {
        self.path = path
        self.state = state
        self.templateDefect = templateDefect
    }

    /// bkunifylogbeat's main config template from 15236ad (March 2025) to 0feb7c4 (April 2025) strips the
    /// newline before `resource_limit:` (`{%- if cmdb_instance.host.bk_cpu ...`) when CMDB has the host's cpu
    /// and memory: `file_pattern: "*.conf"resource_limit:` is not YAML, for every host it renders.
    static func templateDefect(_ bytes: [UInt8]) -> String? {
        guard bytes.firstRange(of: Array("\"resource_limit:".utf8)) != nil else { return nil }
        return
            "resource_limit glued to the line before it, as the plugin package's main config template renders it between 15236ad and 0feb7c4 when CMDB has the host's cpu and memory"
    }

    /// Where the file still holds Jinja markers (`{{ … }}`, `{% … %}`) outside comments: the first such line, as
    /// `line N: <text>`. NodeMan renders a plugin's config templates with `nested_render_data` (bk-nodeman
    /// `apps/backend/utils/data_renderer.py`), which returns the template text as it is when rendering raises,
    /// and deploys that (`render_config_files_by_config_templates` only logs "render config equal to template").
    static func unrenderedTemplate(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix(1 << 20), as: UTF8.self)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (n, raw) in lines.enumerated() {
            let line = String(raw).trimmingASCIIWhitespace()
            guard !line.hasPrefix("#"), line.contains("{{") || line.contains("{%") else { continue }
            return "line \(n + 1): \(line.count > 80 ? String(line.prefix(80)) + "…" : line)"
        }
        return nil
    }

    /// For a file that parses to no settings at all, what it holds instead: nothing (`is empty (0 bytes)`),
    /// only whitespace, or only comments (an empty document, `---`, `~` or `{}` alike). Nil otherwise.
    public var blank: String?

    static func blank(_ bytes: [UInt8], _ root: YAMLNode) -> String? {
        switch root {
        case .null: break
        case .mapping(let m) where m.isEmpty: break
        case .scalar(let s, quoted: false) where ["", "~", "null", "Null", "NULL"].contains(s): break
        default: return nil
        }
        if bytes.isEmpty { return "is empty (0 bytes)" }
        let space: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
        if bytes.allSatisfy({ space.contains($0) }) { return "is empty (\(bytes.count) bytes of whitespace only)" }
        // Lines that are neither blank nor comments: an empty document written out (`{}`, `~`, `null`, `---`).
        let written = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map {
            String($0).trimmingASCIIWhitespace()
        }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if let first = written.first {
            return "holds no settings (an empty YAML document: \(TerminalText.visible(String(first.prefix(40)))))"
        }
        return "holds no settings (\(bytes.count) bytes of comments and blank lines only)"
    }

    /// Sizes above this are not read.
    public static let sizeLimit = 4 << 20

    /// Where the collector reads a relative `multi_config` path from: it globs `<path>/<file_pattern>` as
    /// written, so from its working directory, plugins/bin where NodeMan starts it (set by `GSELayout`).
    /// Nil: relative paths are taken as written.
    public var workingDirectory: String?

    /// `bkunifylogbeat.multi_config[].path` values, as written.
    public var multiConfigPaths: [String] { writtenMultiConfigEntries.map(\.path) }

    /// `bkunifylogbeat.multi_config` entries: the collector loads `<path>/<file_pattern>` (Go glob);
    /// an entry without `file_pattern` loads nothing. A relative path is read from `workingDirectory`.
    public var multiConfigEntries: [(path: String, filePattern: String?)] {
        writtenMultiConfigEntries.map { e in (workingDirectory.map { PathText.resolve(e.path, from: $0) } ?? e.path, e.filePattern) }
    }

    private var writtenMultiConfigEntries: [(path: String, filePattern: String?)] {
        guard case .parsed(let y) = state, let list = y.lookup("bkunifylogbeat.multi_config")?.array else { return [] }
        return list.compactMap { e in e["path"]?.string.map { ($0, e["file_pattern"]?.string) } }
    }

    /// The output section's `endpoint` (the IPC socket the collector writes to) and the output's name.
    public var endpoint: (output: String, path: String)? {
        guard case .parsed(let y) = state else { return nil }
        for out in ["output.bkpipe_multi", "output.bkpipe", "output.gse"] where Self.enabled(y, out) {
            if let e = y.lookup(out + ".endpoint")?.string, !e.isEmpty { return (out, e) }
        }
        return nil
    }

    /// Whether the config names an output (`output.<type>`, not `enabled: false`): without one libbeat
    /// refuses to start the collector ("No outputs are defined", `libbeat/cmd/instance/beat.go`).
    public var hasOutput: Bool { !enabledOutputs.isEmpty }

    /// Whether the section at `dotted` is not disabled: its `enabled` read as go-ucfg reads a bool (go-yaml v2 also
    /// takes `no`, `off`); absent or not a bool, enabled, as libbeat's `Config.Enabled` defaults.
    static func enabled(_ y: YAMLNode, _ dotted: String) -> Bool {
        y.lookup(dotted + ".enabled").map { GoConfigValue($0).asBool ?? true } ?? true
    }

    /// The outputs the config names, in order, less those with `enabled: false`: libbeat's output namespace skips a
    /// disabled one (so `output.console: {enabled: false}` before the real output is no output of its own), and
    /// refuses to start with two enabled ("more than one namespace configured accessing 'output'").
    /// Keys may be nested (`output:` / `bkpipe:`) or dotted (`output.bkpipe:`, `output.bkpipe.endpoint:`).
    public var enabledOutputs: [String] {
        guard case .parsed(let y) = state, case .mapping(let root) = y else { return [] }
        var names: [String] = []
        for (key, value) in root {
            var found: [Substring] = []
            if key == "output", case .mapping(let outputs) = value {
                found = outputs.compactMap { $0.0.split(separator: ".").first }
            } else if key.hasPrefix("output.") {
                found = [key.dropFirst("output.".count).split(separator: ".").first].compactMap { $0 }
            }
            for name in found where !names.contains(String(name)) { names.append(String(name)) }
        }
        return names.filter { Self.enabled(y, "output.\($0)") }
    }

    /// The multi_config entry that loads `dir`: the same directory lexically or once symlinks are
    /// resolved (a root given through a link).
    public func subscriptionEntry(for dir: String) -> (path: String, filePattern: String?)? {
        let real = Sys.realPath(dir)
        return multiConfigEntries.first { e in
            PathText.normalize(e.path) == PathText.normalize(dir) || (real != nil && Sys.realPath(e.path) == real)
        }
    }

    public func value(_ dotted: String) -> String? {
        guard case .parsed(let y) = state else { return nil }
        return y.lookup(dotted)?.string
    }

    static func read(_ path: String) -> MainConfig {
        if let st = try? Sys.stat(path), !st.isRegular {
            return MainConfig(path: path, state: .invalid(.notRegular(st.kind)))
        }
        do {
            let c = try FileReader.read(path, limit: sizeLimit)
            if c.truncated {
                return MainConfig(path: path, state: .unreadable("larger than \(sizeLimit) bytes; not read"))
            }
            do {
                let root = try YAMLNode.parse(bytes: c.bytes, textKeysOnly: true)
                // YAML, but not a config the collector's loader can build (`UcfgDottedKeys`): it does not start.
                if let clash = UcfgDottedKeys.conflict(root) { return MainConfig(path: path, state: .invalid(.keyClash(clash))) }
                var main = MainConfig(path: path, state: .parsed(root))
                main.blank = blank(c.bytes, root)
                return main
            } catch {
                var main = MainConfig(path: path, state: .invalid(error), templateDefect: templateDefect(c.bytes))
                main.unrendered = unrenderedTemplate(c.bytes)
                return main
            }
        } catch {
            if error.isMissing { return MainConfig(path: path, state: .missing) }
            if error.isSymlinkLoop { return MainConfig(path: path, state: .invalid(.symlinkLoop)) }
            return MainConfig(path: path, state: .unreadable(error.description))
        }
    }
}

/// Where the GSE install is and what it uses: root, generation, IPC socket, data port.
public struct GSELayout: Sendable {
    public var root: String
    /// `flag`, `detected`, `running` (side by side: the root where the agent or collector runs),
    /// `subscription_config` (side by side, nothing seen running: the root holding the subscription's config)
    /// or `default`.
    public var rootSource: String
    public var generation: GSEGeneration
    /// Why the generation was chosen (for evidence).
    public var generationReason: String
    public var ipcPath: String
    /// `flag`, `main_config`, `agent_config`, `environ` or `default`.
    public var ipcSource: String
    /// Why `ipcPath` is only a guess: the collector's main config exists but could not be read or
    /// parsed, so its `endpoint` is not known, and the path is the generation's default. Nil when the
    /// path is known (given, configured, from environ.sh, or there is no main config to say otherwise).
    public var ipcGuess: String? {
        guard ipcSource == "default" else { return nil }
        switch mainConfig.state {
        case .unreadable(let why): return "the collector's main config \(mainConfig.path) cannot be read (\(why))"
        case .invalid(let error): return "the collector's main config \(mainConfig.path) cannot be parsed (\(error.description))"
        case .missing, .parsed: return nil
        }
    }
    /// Other GSE roots found on the host.
    public var otherRoots: [String]
    public var mainConfig: MainConfig
    /// Where the agent's own files are under the root: `/agent`, or `/proxy` on a proxy, whose agent runs
    /// from `proxy/bin` with its config and plugin registry in `proxy/etc` (GSE 1 `agent.conf` and
    /// `procinfo.json`, GSE 2 `gse_agent.conf` and `.proc`: NodeMan's setup_proxy.sh installs the GSE 2
    /// proxy under `<root>/proxy`).
    public var agentDir = "/agent"
    /// The IPC path the agent's own config names (GSE 1 `dataipc`, GSE 2 `data.ipc`): where it listens.
    public var agentIPCPath: String?
    /// The dataserver port: the `--data-port` override, else the first the agent's config names,
    /// else the generation's default.
    public var dataPort: UInt16 { dataPorts[0] }
    /// Every dataserver port the agent may connect to (never empty).
    public var dataPorts: [UInt16]
    /// Where `dataPorts` came from: `flag`, the agent config's path, or `default (<why>)`.
    public var dataPortSource: String
    /// Set when `dataPorts` are the default only because the agent's config is there but could not be read or
    /// parsed (why): the port the agent uses is then not known.
    public var dataPortUnknown: String?
    /// The root with symlinks resolved: /proc shows a process's exe and cwd by their real paths.
    public var resolvedRoot: String
    /// The root's agent and plugin directories (`agent`, `agent/bin`, `plugins`, `plugins/bin`) whose real paths
    /// lie outside `resolvedRoot`: a symlink in the root that puts them elsewhere.
    public var resolvedProgramDirs: [String] = []
    /// The real path of `plugins/bin` (nil when it does not resolve): what /proc names the directory of a collector
    /// started there, also when a symlink (`plugins/bin`, `plugins`) leads elsewhere, in the root or out of it.
    public var resolvedPluginBin: String?
    /// The main config's `multi_config` entry that loads `subConfigDir` (lexically or once symlinks
    /// are resolved), nil when none does.
    public var subscriptionEntry: (path: String, filePattern: String?)?

    /// A layout as given. `ipcPath` defaults to the generation's usual path under the root, the data
    /// ports to the generation's, `resolvedRoot` to `root`, the main config to a missing file, and
    /// `subscriptionEntry` to the main config's entry for `subConfigDir` compared lexically.
    public init(
        root: String, rootSource: String = "flag", generation: GSEGeneration, generationReason: String = "given",
        ipcPath: String? = nil, ipcSource: String = "default", otherRoots: [String] = [], mainConfig: MainConfig? = nil,
        dataPorts: [UInt16]? = nil, dataPortSource: String = "default", resolvedRoot: String? = nil,
        subscriptionEntry: (path: String, filePattern: String?)?? = nil
    ) {
        self.root = root
        self.rootSource = rootSource
        self.generation = generation
        self.generationReason = generationReason
        self.ipcPath = ipcPath ?? (generation == .gse1 ? "/var/run/ipc.state.report" : root + "/agent/data/ipc.state.report")
        self.ipcSource = ipcSource
        self.otherRoots = otherRoots
        var main = mainConfig ?? MainConfig(path: root + "/plugins/etc/bkunifylogbeat.conf", state: .missing)
        if main.workingDirectory == nil { main.workingDirectory = root + "/plugins/bin" }
        self.mainConfig = main
        self.dataPorts = dataPorts ?? [generation.dataPort]
        self.dataPortSource = dataPortSource
        self.resolvedRoot = resolvedRoot ?? root
        let dir = PathText.normalize(root + "/plugins/etc/bkunifylogbeat")
        self.subscriptionEntry = subscriptionEntry ?? main.multiConfigEntries.first { PathText.normalize($0.path) == dir }
    }

    /// Whether `path` is under the root, named either way (`/usr/local/gse` → `/data/gse`), or under one of its
    /// program directories that a symlink puts elsewhere (`agent/bin` → `/opt/gse_agent/bin`: /proc names the
    /// agent's exe and cwd by the real path).
    public func holds(_ path: String) -> Bool {
        Self.path(path, isUnder: root, resolved: resolvedRoot) || resolvedProgramDirs.contains { PathText.isUnder(path, $0) }
    }

    /// Whether `path` is under `root` named as given or with its symlinks resolved.
    static func path(_ path: String, isUnder root: String, resolved: String) -> Bool {
        PathText.isUnder(path, root) || PathText.isUnder(path, resolved)
    }

    public var pluginBin: String { root + "/plugins/bin" }
    public var pluginEtc: String { root + "/plugins/etc" }
    public var collectorBinary: String { pluginBin + "/bkunifylogbeat" }
    public var subConfigDir: String { pluginEtc + "/bkunifylogbeat" }
    /// The plugin registry: GSE 1 `procinfo.json`, GSE 2 `.proc`.
    public var registryPath: String { root + generation.registryFile(agentDir: agentDir) }
    public var agentConfig: String { root + agentDir + "/etc/gse_agent.conf" }
    public var agentBinary: String { root + agentDir + "/bin/gse_agent" }

    /// Candidate roots, in preference order, relative to the host root.
    static func candidateRoots(hostRoot: String) -> [String] {
        var out = ["/usr/local/gse", "/usr/local/gse2"]
        if let names = try? Sys.listDirectory(PathText.onHost(hostRoot, "/usr/local"), limit: 10_000) {
            for n in names.sorted() where (n.hasPrefix("gse_") || n.hasPrefix("gse2_")) {
                out.append("/usr/local/" + n)
            }
        }
        return out
    }

    /// The generation a root's files say, if they say one.
    static func generation(at root: String) -> (GSEGeneration, String)? {
        func exists(_ rel: String) -> Bool { (try? Sys.stat(root + rel)) != nil }
        // The config names the generation, the binary does not: GSE 1's is agent/bin/gse_agent too
        // (its processes rename themselves gseMaster and agentWorker).
        if exists("/agent/etc/gse_agent.conf") { return (.gse2, "agent/etc/gse_agent.conf present") }
        if exists("/agent/etc/agent.conf") { return (.gse1, "agent/etc/agent.conf present") }
        if exists("/agent/bin/gseMaster") || exists("/agent/bin/agentWorker") {
            return (.gse1, "agent/bin/gseMaster present")
        }
        if exists("/agent/etc/procinfo.json") { return (.gse1, "agent/etc/procinfo.json present") }
        if exists("/agent/etc/.proc") { return (.gse2, "agent/etc/.proc present") }
        if exists("/agent/bin/gse_agent") { return (.gse2, "agent/bin/gse_agent present") }
        if exists("/proxy/etc/gse_agent.conf") { return (.gse2, "proxy/etc/gse_agent.conf present without agent/ (a GSE 2 proxy)") }
        if exists("/proxy/etc/agent.conf") || exists("/proxy/etc/procinfo.json") {
            return (.gse1, "proxy/etc present without agent/ (a GSE 1 proxy)")
        }
        if exists("/proxy/etc/.proc") { return (.gse2, "proxy/etc/.proc present without agent/ (a GSE 2 proxy)") }
        return nil
    }

    /// check.py's defaults. bk-log's AgentChecker passes them to every host unless configured
    /// otherwise, so given explicitly they say nothing about this host's layout.
    static let checkPyGSEPath = "/usr/local/gse"
    static let checkPyIPCPath = "/var/run/ipc.state.report"

    /// `running` gives the exe and cwd paths of the collector and agent processes found on the host; it
    /// is asked only when no root was named (or only check.py's default was), to prefer the root that is
    /// actually in use where several are installed side by side.
    static func detect(
        options: CheckOptions, hostRoot: String, proc: String,
        running: () -> (collectors: [String], agents: [String], agentNames: [(path: String, name: String)]) = { ([], [], []) }
    ) -> GSELayout {
        var root: String
        var source: String
        // NodeMan's usual roots, then the one its environ.sh names (an access point may install elsewhere,
        // e.g. /data/gse).
        var candidates = candidateRoots(hostRoot: hostRoot).map { PathText.onHost(hostRoot, $0) }
        for r in environRoots(hostRoot: hostRoot) where !candidates.contains(r) { candidates.append(r) }
        var present = candidates.filter { (try? Sys.stat($0))?.isDirectory ?? false }
        let flagged =
            options.gsePath.map { !$0.isEmpty && (PathText.normalize($0) != checkPyGSEPath || (try? Sys.stat($0))?.isDirectory == true) }
            ?? false
        // No root where NodeMan puts one and none named: the running agent's or collector's own root.
        if present.isEmpty && !flagged {
            let paths = running()
            for exe in paths.collectors + paths.agents {
                if let r = processRoot(exe), !present.contains(r), (try? Sys.stat(r))?.isDirectory == true { present.append(r) }
            }
        }
        // The default root is taken at its word only where it exists (a GSE 2 host may have only /usr/local/gse2).
        if flagged, let flag = options.gsePath {
            root = PathText.normalize(flag)
            source = "flag"
        } else if let first = present.first(where: { (try? Sys.stat($0 + "/plugins"))?.isDirectory ?? false }) ?? present.first {
            root = first
            source = "detected"
        } else {
            root = PathText.onHost(hostRoot, "/usr/local/gse")
            source = "default"
        }
        // Side by side (an upgrade from GSE 1 to GSE 2 leaves the old tree, or two BlueKing environments):
        // unless the root was named, the install in use for this subscription is the one to check. Among
        // the roots where something runs: one holding the subscription's config first (its collector may be
        // the one that is down), then where the agent and the collector both run, then the agent, then a
        // collector (a collector left running in an old tree does not outweigh the live agent). A tie keeps
        // the root detection chose. With one root installed there is no choice, and the layout need not
        // wait for the process scan.
        if present.count > 1, source != "flag" || PathText.normalize(options.gsePath ?? "") == checkPyGSEPath {
            let paths = running()
            // Where nothing is seen running (nothing runs, or bkdiag, not root, cannot read the processes' exe
            // links), the subscription's config alone says which root it was delivered to: below any root seen
            // running, above none (a host whose new tree runs without the subscription is that tree's finding).
            func score(_ candidate: String) -> Int {
                let real = Sys.realPath(candidate) ?? candidate
                let agent = paths.agents.contains { path($0, isUnder: candidate, resolved: real) }
                let collector = paths.collectors.contains { path($0, isUnder: candidate, resolved: real) }
                let config = hasSubscriptionConfig(root: candidate, subscription: options.subscriptionID)
                guard agent || collector else { return config ? 2 : 0 }
                return (config ? 32 : 0) + (agent && collector ? 16 : 0) + (agent ? 8 : 0) + (collector ? 4 : 0)
            }
            let scores = present.map(score)
            let current = present.firstIndex(of: root).map { scores[$0] } ?? 0
            if let best = scores.max(), best > 0, best > current, let i = scores.firstIndex(of: best), present[i] != root {
                root = present[i]
                source = best > 2 ? "running" : "subscription_config"
            }
        }
        var generation = GSEGeneration.gse1
        var reason = "no GSE files found; assuming GSE 1 as check.py does"
        if let (g, r) = GSELayout.generation(at: root) {
            generation = g
            reason = r
        } else if root.containsBytes("gse2") {
            generation = .gse2
            reason = "root name contains gse2"
        }
        // Both generations' configs under one root (an upgrade, or a downgrade, leaves the other's
        // behind): the running agent says which one is in use. GSE 1's processes rename themselves
        // gseMaster and agentWorker; GSE 2's stays gse_agent.
        func exists(_ rel: String) -> Bool { (try? Sys.stat(root + rel)) != nil }
        if generation == .gse2, exists("/agent/etc/agent.conf") || exists("/agent/etc/procinfo.json") {
            let real = Sys.realPath(root) ?? root
            let agents = running().agentNames.filter { path($0.path, isUnder: root, resolved: real) }
            if agents.contains(where: { $0.name == "gseMaster" || $0.name == "agentWorker" }),
                !agents.contains(where: { $0.name == "gse_agent" })
            {
                generation = .gse1
                reason = "GSE 1 agent processes (gseMaster/agentWorker) run from the root; agent/etc/gse_agent.conf is left over"
            }
        }
        // A proxy keeps its agent under proxy/. NodeMan's proxy installer removes only agent/bin of an agent
        // installed before, so agent/etc may be left over: the running agent, else where an agent binary
        // is, says which directory is in use.
        var agentDir = !exists("/agent/etc") && exists("/proxy/etc") ? "/proxy" : "/agent"
        if exists("/agent/etc") && exists("/proxy/etc") {
            let real = Sys.realPath(root) ?? root
            let agentPaths = running().agentNames.map(\.path).filter { path($0, isUnder: root, resolved: real) }
            if agentPaths.contains(where: { path($0, isUnder: root + "/proxy", resolved: real + "/proxy") }) {
                agentDir = "/proxy"
            } else if agentPaths.isEmpty, !exists("/agent/bin"), exists("/proxy/bin") {
                agentDir = "/proxy"
            }
        }
        // The generation is the proxy's own when its directory is the one in use.
        if agentDir == "/proxy" {
            if exists("/proxy/etc/gse_agent.conf") {
                generation = .gse2
                reason = "proxy/etc/gse_agent.conf (a GSE 2 proxy)" + (exists("/agent/etc") ? "; agent/etc is left over" : "")
            } else if exists("/proxy/etc/agent.conf") || exists("/proxy/etc/procinfo.json") {
                generation = .gse1
                reason = "proxy/etc/agent.conf (a GSE 1 proxy)" + (exists("/agent/etc") ? "; agent/etc is left over" : "")
            }
        }
        let agentConfig = AgentDataPorts.config(root: root, generation: generation, agentDir: agentDir)
        var main = MainConfig.read(root + "/plugins/etc/bkunifylogbeat.conf")
        main.workingDirectory = root + "/plugins/bin"
        var ipc: String
        var ipcSource: String
        // The default IPC path yields to the collector's own endpoint, then to the agent's own IPC path
        // (GSE 1 `dataipc`, GSE 2 `data.ipc`; NodeMan renders /var/run/ipc.state.report for both), then to
        // environ.sh (GSE 2 default: <root>/agent/data/ipc.state.report).
        if let flag = options.ipcSocketFile, !flag.isEmpty, PathText.normalize(flag) != checkPyIPCPath {
            ipc = flag
            ipcSource = "flag"
        } else if let e = main.endpoint {
            ipc = e.path
            ipcSource = "main_config"
        } else if let json = agentConfig.json, let own = AgentDataPorts.ipc(in: json, generation: generation) {
            ipc = own
            ipcSource = "agent_config"
        } else if let env = environIPC(hostRoot: hostRoot) {
            ipc = env
            ipcSource = "environ"
        } else {
            ipc =
                generation == .gse1
                ? PathText.onHost(hostRoot, "/var/run/ipc.state.report") : root + agentDir + "/data/ipc.state.report"
            ipcSource = "default"
        }
        let data = options.dataPort.map { ([$0], "flag") } ?? AgentDataPorts.ports(of: agentConfig, generation: generation)
        var layout = GSELayout(
            root: root, rootSource: source, generation: generation, generationReason: reason, ipcPath: ipc,
            ipcSource: ipcSource, otherRoots: present.filter { $0 != root }, mainConfig: main,
            dataPorts: data.0, dataPortSource: data.1, resolvedRoot: Sys.realPath(root) ?? root,
            subscriptionEntry: .some(main.subscriptionEntry(for: root + "/plugins/etc/bkunifylogbeat")))
        layout.agentDir = agentDir
        layout.resolvedProgramDirs = [root + agentDir, root + agentDir + "/bin", root + "/plugins", root + "/plugins/bin"].compactMap {
            Sys.realPath($0)
        }.filter { $0 != "/" && !PathText.isUnder($0, layout.resolvedRoot) }
        layout.resolvedPluginBin = Sys.realPath(root + "/plugins/bin")
        layout.agentIPCPath = agentConfig.json.flatMap { AgentDataPorts.ipc(in: $0, generation: generation) }
        if options.dataPort == nil && agentConfig.unreadable { layout.dataPortUnknown = agentConfig.why }
        return layout
    }

    /// Whether the root's subscription config directory (or its `bcs/`) holds a config of `subscription`.
    static func hasSubscriptionConfig(root: String, subscription: Int64) -> Bool {
        guard subscription != 0 else { return false }
        for dir in [root + "/plugins/etc/bkunifylogbeat", root + "/plugins/etc/bkunifylogbeat/bcs"] {
            guard let names = try? Sys.listDirectory(dir, limit: 10_000) else { continue }
            if names.contains(where: { SubscriptionConfigName.parse($0)?.subscriptionID == subscription }) { return true }
        }
        return false
    }

    /// The GSE root a process runs from: its exe under `<root>/agent/bin`, `<root>/proxy/bin` or
    /// `<root>/plugins/bin`.
    static func processRoot(_ exe: String) -> String? {
        let parts = exe.split(separator: "/", omittingEmptySubsequences: true)
        guard exe.hasPrefix("/"), parts.count >= 4, parts[parts.count - 2] == "bin",
            ["agent", "proxy", "plugins"].contains(parts[parts.count - 3])
        else { return nil }
        return "/" + parts.dropLast(3).joined(separator: "/")
    }

    /// Roots named by NodeMan's `/etc/sysconfig/gse/<ENV>/environ.sh`: `BK_GSE_AGENT_SETUP_PATH` (the
    /// agent's install path: the root, or its `agent` directory) and the parent of
    /// `BK_NODEMAN_PLUGIN_SETUP_PATH` (`<root>/plugins`), on the host.
    static func environRoots(hostRoot: String) -> [String] {
        let base = PathText.onHost(hostRoot, "/etc/sysconfig/gse")
        guard let envs = try? Sys.listDirectory(base, limit: 1000) else { return [] }
        var out: [String] = []
        for env in envs.sorted() {
            guard let text = try? FileReader.read(base + "/" + env + "/environ.sh", limit: 256 * 1024).text else { continue }
            var found: [String] = []
            if var setup = shellAssignment(text, "BK_GSE_AGENT_SETUP_PATH").map(PathText.normalize) {
                if setup.hasSuffix("/agent") || setup.hasSuffix("/proxy") { setup = String(setup.dropLast(6)) }
                found.append(setup)
            }
            if let plugins = shellAssignment(text, "BK_NODEMAN_PLUGIN_SETUP_PATH").map(PathText.normalize), plugins.hasSuffix("/plugins") {
                found.append(String(plugins.dropLast(8)))
            }
            for r in found where r.hasPrefix("/") && r.count > 1 {
                let onHost = PathText.onHost(hostRoot, r)
                if !out.contains(onHost) { out.append(onHost) }
            }
        }
        return out
    }

    /// `BK_GSE_DATA_IPC` from `/etc/sysconfig/gse/<ENV>/environ.sh`, when exactly one value is found.
    static func environIPC(hostRoot: String) -> String? {
        let base = PathText.onHost(hostRoot, "/etc/sysconfig/gse")
        guard let envs = try? Sys.listDirectory(base, limit: 1000) else { return nil }
        var values = Set<String>()
        for env in envs {
            guard let text = try? FileReader.read(base + "/" + env + "/environ.sh", limit: 256 * 1024).text else { continue }
            if let v = shellAssignment(text, "BK_GSE_DATA_IPC") { values.insert(v) }
        }
        return values.count == 1 ? values.first : nil
    }

    /// The value of `[export ]NAME=value` in a shell file, unquoted. Never evaluated.
    static func shellAssignment(_ text: String, _ name: String) -> String? {
        var found: String?
        for raw in text.split(separator: "\n") {
            var line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop(while: { $0 == " " }) }
            guard line.hasPrefix(name + "=") else { continue }
            var v = String(line.dropFirst(name.count + 1)).trimmingASCIIWhitespace()
            if v.count >= 2, (v.hasPrefix("\"") && v.hasSuffix("\"")) || (v.hasPrefix("'") && v.hasSuffix("'")) {
                v = String(v.dropFirst().dropLast())
            }
            if !v.isEmpty && !v.contains("$") && !v.contains("`") { found = v }
        }
        return found
    }
}

/// The dataserver port(s) the agent is configured with. GSE 1 `agent/etc/agent.conf` (JSON, as NodeMan
/// renders it): the `dataserver` list's `port`s when the upstream servers are named, else `dataport`.
/// GSE 2 `agent/etc/gse_agent.conf` (JSON): `access.data_endpoints`, `ip:port` items separated by
/// commas. 58625/28625 are only the defaults, used when the file names none.
enum AgentDataPorts {
    static let sizeLimit = 1 << 20

    /// The agent config of a generation, relative to the root (`agentDir` `/proxy` on a proxy).
    static func configFile(_ generation: GSEGeneration, agentDir: String = "/agent") -> String {
        agentDir + (generation == .gse1 ? "/etc/agent.conf" : "/etc/gse_agent.conf")
    }

    /// An agent config as read: its path, and its JSON or why there is none.
    struct Config {
        var path: String
        var json: JSONValue?
        var why: String
        /// The file is there but bkdiag could not read it as a config (too large, not JSON, not a regular file,
        /// a read error): what it names is not known, which a missing file's defaults do not say.
        var unreadable = false
    }

    static func config(root: String, generation: GSEGeneration, agentDir: String = "/agent") -> Config {
        let path = root + configFile(generation, agentDir: agentDir)
        if let st = Sys.statIfPresent(path), !st.isRegular {
            return Config(path: path, json: nil, why: "\(path) is not a regular file (\(st.kind))", unreadable: true)
        }
        do {
            let c = try FileReader.read(path, limit: sizeLimit)
            if c.truncated {
                return Config(path: path, json: nil, why: "\(path) is larger than \(sizeLimit) bytes", unreadable: true)
            }
            guard let json = try? JSONValue.parse(c.text) else {
                return Config(path: path, json: nil, why: "\(path) is not valid JSON", unreadable: true)
            }
            return Config(path: path, json: json, why: "")
        } catch {
            if error.isMissing { return Config(path: path, json: nil, why: "no \(path)") }
            return Config(path: path, json: nil, why: "\(path): \(error.description)", unreadable: true)
        }
    }

    /// The ports and where they came from; the generation's default with the reason when the config
    /// is missing, unreadable, not JSON or names no port.
    static func ports(of config: Config, generation: GSEGeneration) -> ([UInt16], String) {
        guard let json = config.json else { return ([generation.dataPort], "default (\(config.why))") }
        let ports = self.ports(in: json, generation: generation)
        if !ports.isEmpty { return (ports, config.path) }
        return ([generation.dataPort], "default (\(config.path) names no data port)")
    }

    /// The IPC socket path the agent's own config names: GSE 1 `dataipc`, GSE 2 `data.ipc` (absolute paths only).
    static func ipc(in json: JSONValue, generation: GSEGeneration) -> String? {
        let value = generation == .gse1 ? json["dataipc"]?.stringValue : json["data"]?["ipc"]?.stringValue
        guard let v = value?.trimmingASCIIWhitespace(), v.hasPrefix("/") else { return nil }
        return v
    }

    /// The distinct ports a parsed agent config names, in order.
    static func ports(in json: JSONValue, generation: GSEGeneration) -> [UInt16] {
        var found: [UInt16] = []
        func add(_ v: Int64?) {
            if let v, v > 0, v <= 65535, !found.contains(UInt16(v)) { found.append(UInt16(v)) }
        }
        if generation == .gse1 {
            for server in json["dataserver"]?.arrayValue ?? [] { add(server["port"]?.intValue) }
            if found.isEmpty { add(json["dataport"]?.intValue) }
        } else {
            for item in endpoints(json["access"]?["data_endpoints"]) { add(item) }
        }
        return found
    }

    /// `ip:port` items (`[v6]:port` too) from a comma-separated string or a list of strings.
    static func endpoints(_ value: JSONValue?) -> [Int64] {
        let items: [String]
        if let s = value?.stringValue {
            items = s.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        } else {
            items = value?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return items.compactMap { item in
            guard let colon = item.lastIndex(of: ":") else { return nil }
            return Int64(item[item.index(after: colon)...])
        }
    }
}
