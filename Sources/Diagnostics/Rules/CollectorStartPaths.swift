import HostProbe
import Report

/// What the collector's start does with the main config's `path` section before it reads anything else
/// (bkmonitor-datalink `pkg/libgse/beat/init.go`, `baseInit`, called from bkunifylogbeat's `main.go`):
///
/// 1. `path` is unpacked as `{pid: string, data: string}` (data defaults to `./data`): a `path` that is not a
///    mapping, or a `pid`/`data` that is a list or a mapping, fails the unpack.
/// 2. The pid lock: `<path.pid>/bkunifylogbeat.pid` (`pid.file` beside the binary when `path.pid` is empty),
///    taken by `pidfile.TryLock`: `os.MkdirAll` of its directory, then nightlyone/lockfile, which takes only
///    absolute paths (`ErrNeedAbsPath`), writes a temporary file in that directory and links it to the lock
///    name. A lock file naming a live process makes it refuse (`ErrBusy`); one naming a dead process or no
///    number is removed and taken over.
/// 3. The registry: `<path.data>/bkunifylogbeat.bkpipe.db`, opened read-write by bolt (`storage/skv.go`)
///    after a `MkdirAll` of `path.data` whose error is ignored.
///
/// Any of these failing ends the start: `main.go` prints `Init filed with error` and exits 1, before the
/// collector loads a subscription or connects to the agent.
enum CollectorStartPaths {
    static let pidFileName = ProcessNames.collector + ".pid"
    static let registryFileName = ProcessNames.collector + ".bkpipe.db"

    /// One reason the collector's start is refused: the main config's key, why, and whether it is a read-only
    /// file system (whose fix is the mount, not the config).
    struct Refusal: Sendable, Equatable {
        var key: String
        var why: String
        var readOnly = false
    }

    /// Why the collector cannot start with `main`'s path section on this host: the key (`path`, `path.pid`,
    /// `path.data`) and the reason. Empty when bkdiag finds nothing in the way (which does not say the start
    /// succeeds: permissions are not judged, they depend on who starts it; a read-only file system refuses everyone).
    static func refusals(_ main: MainConfig, facts: any HostFacts) -> [Refusal] {
        guard case .parsed(let y) = main.state else { return [] }
        if let path = y["path"], !path.isNull, !path.isMapping {
            return [Refusal(key: "path", why: "path is \(path.kindText), not a mapping: libgse cannot read path.pid and path.data from it")]
        }
        var out: [Refusal] = []
        for key in ["path.pid", "path.data"] {
            if let v = y.lookup(key), v.isMapping || v.array != nil {
                out.append(Refusal(key: key, why: "\(key) is \(v.kindText), not a path: libgse's unpack of the path section fails"))
            }
        }
        guard out.isEmpty else { return out }
        let pid = y.lookup("path.pid")?.string ?? ""
        if !pid.isEmpty {
            if !pid.hasPrefix("/") {
                out.append(
                    Refusal(
                        key: "path.pid",
                        why:
                            "path.pid \(pid) is relative: the pid lock (nightlyone/lockfile) takes only an absolute path (Lockfiles must be given as absolute path names)"
                    ))
            } else if let why = blocked(dir: pid, file: pid + "/" + pidFileName, what: "pid lock", facts: facts) {
                out.append(Refusal(key: "path.pid", why: why))
            } else if let why = readOnly(dir: pid, file: pid + "/" + pidFileName, what: "pid lock", facts: facts) {
                out.append(Refusal(key: "path.pid", why: why, readOnly: true))
            }
        } else {
            // No path.pid: the lock is pid.file beside the binary, in the directory NodeMan starts it from.
            let bin = facts.layout.pluginBin
            if let why = readOnly(dir: bin, file: bin + "/pid.file", what: "pid lock", facts: facts) {
                out.append(Refusal(key: "path.pid", why: why, readOnly: true))
            }
        }
        let data = y.lookup("path.data")?.string ?? "./data"
        let dataDir = PathText.resolve(data.isEmpty ? "." : data, from: facts.collectorWorkingDirectory)
        let registry = PathText.join(dataDir, registryFileName)
        func named(_ why: String) -> String {
            data == dataDir ? why : "path.data \(data) (\(dataDir) from the collector's directory): " + why
        }
        if let why = blocked(dir: dataDir, file: registry, what: "registry", facts: facts) {
            out.append(Refusal(key: "path.data", why: named(why)))
        } else if let why = readOnly(dir: dataDir, file: registry, what: "registry", facts: facts) {
            out.append(Refusal(key: "path.data", why: named(why), readOnly: true))
        }
        return out
    }

    /// Why `file` cannot be made in `dir` when the deepest directory of `dir` that exists lies on a file system
    /// that is itself read-only: the lock's temporary file and bolt's read-write open both fail there (EROFS),
    /// whoever starts the collector (an ext4 or xfs that met a disk error is remounted read-only under it). A
    /// read-only view of a read-write file system is not judged: bkdiag's own unit (`ProtectSystem=strict`) or a
    /// container's `:ro` volume shows one, while the collector, in the host's mount namespace, still writes
    /// there. A component that cannot be looked at (not missing) is not judged either. Nil otherwise.
    private static func readOnly(dir: String, file: String, what: String, facts: any HostFacts) -> String? {
        var existing = PathText.normalize(dir)
        guard existing.hasPrefix("/") else { return nil }
        var device: UInt64 = 0
        while true {
            switch facts.stat(onHost(existing, facts)) {
            case .success(let st) where st.isDirectory:
                device = st.device
            case .success:
                return nil
            case .failure(let e) where e.isMissing:
                guard existing != "/", let slash = existing.lastIndex(of: "/") else { return nil }
                existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
                continue
            case .failure:
                return nil
            }
            break
        }
        guard let fs = try? FileSystemSpace.of(onHost(existing, facts)), fs.readOnly,
            FileSystemSpace.superblockReadOnly(device: device) == true
        else { return nil }
        let place = existing == PathText.normalize(dir) ? existing : "\(existing) (on the way to \(PathText.normalize(dir)))"
        return
            "\(place) is on a file system mounted read-only: the collector cannot write its \(what) \(file) there (Read-only file system), whoever starts it"
    }

    /// The pid lock file the collector takes at start, as a host path: `<path.pid>/bkunifylogbeat.pid`, or
    /// `pid.file` in plugins/bin (the directory of `./bkunifylogbeat`, which NodeMan starts from there) when
    /// `path.pid` is empty. Nil when the main config is not parsed, or `path.pid` is not a usable absolute path.
    static func pidFile(_ main: MainConfig, facts: any HostFacts) -> String? {
        guard case .parsed(let y) = main.state else { return nil }
        let node = y.lookup("path.pid")
        if let node, !node.isNull, node.string == nil { return nil }
        let pid = node?.string ?? ""
        if pid.isEmpty { return facts.layout.pluginBin + "/pid.file" }
        guard pid.hasPrefix("/") else { return nil }
        return onHost(PathText.normalize(pid + "/" + pidFileName), facts)
    }

    /// The pid a lock file names, read as the lock reads it (`fmt.Sscanln` of one integer): nil for no number,
    /// which the lock removes and takes over.
    static func lockedPID(_ text: String) -> Int32? {
        var bytes = Array(text.utf8)[...]
        func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        bytes = bytes.drop(while: isBlank)
        let digits = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        guard !digits.isEmpty, digits.count <= 10, let pid = Int32(String(decoding: digits, as: UTF8.self)), pid > 0 else { return nil }
        let rest = bytes.dropFirst(digits.count).drop(while: { isBlank($0) || $0 == UInt8(ascii: "\r") })
        guard rest.isEmpty || rest.first == UInt8(ascii: "\n") else { return nil }
        return pid
    }

    /// The config files a collector was started with, as libbeat's `cfgfile.Load` finds them: every `-c`
    /// (`-c x`, `-c=x`, `--c …`; given ones replace the default), relative ones joined to `-path.config`, else
    /// `-path.home`, else taken from its working directory. Nil when its argv names no `-c` (the default
    /// `bkunifylogbeat.yml` is not judged) or its working directory is not known.
    static func startedWith(_ p: ProcessRecord) -> [String]? {
        guard let cwd = p.cwd else { return nil }
        var configs: [String] = []
        var flags: [String: String] = [:]
        let args = Array(p.arguments.dropFirst())
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { break }
            guard a.hasPrefix("-") else { continue }
            var name = String(a.drop(while: { $0 == "-" }))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard ["c", "path.config", "path.home"].contains(name) else { continue }
            if value == nil, i < args.count {
                value = args[i]
                i += 1
            }
            guard let value, !value.isEmpty else { continue }
            if name == "c" { configs.append(value) } else { flags[name] = value }
        }
        guard !configs.isEmpty else { return nil }
        let base = PathText.resolve(flags["path.config"] ?? flags["path.home"] ?? ".", from: cwd)
        return configs.map { PathText.resolve($0, from: base) }
    }

    /// A config path as bkdiag finds it: under `--host-root` unless it already names a path there.
    static func onHost(_ path: String, _ facts: any HostFacts) -> String {
        let root = facts.options.hostRoot
        guard path.hasPrefix("/"), PathText.normalize(root) != "/", !PathText.isUnder(path, root) else { return path }
        return PathText.onHost(root, path)
    }

    /// Why `dir` cannot be made (a component exists and is not a directory) or `file` in it cannot be opened
    /// as a file (it is a directory); nil when neither is found.
    private static func blocked(dir: String, file: String, what: String, facts: any HostFacts) -> String? {
        let dir = PathText.normalize(dir)
        guard dir.hasPrefix("/") else { return nil }
        var prefix = ""
        for part in dir.split(separator: "/") {
            prefix += "/" + part
            switch facts.stat(onHost(prefix, facts)) {
            case .success(let st) where st.isDirectory:
                continue
            case .success(let st):
                let tail = prefix == dir ? "" : " (on the way to \(dir))"
                return "\(prefix)\(tail) is a \(st.kind), not a directory: the collector cannot make its \(what) \(file) there"
            case .failure:
                // Missing: MkdirAll makes it. Unreadable: not judged.
                return nil
            }
        }
        if case .success(let st) = facts.stat(onHost(file, facts)), st.isDirectory {
            return "its \(what) \(file) is a directory: the collector cannot open it as a file"
        }
        return nil
    }
}

extension YAMLNode {
    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }

    /// `a list`, `a mapping`, `the scalar x`, `null`, for messages.
    var kindText: String {
        switch self {
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .scalar(let s, _): "the scalar \(s)"
        case .null: "null"
        }
    }
}
