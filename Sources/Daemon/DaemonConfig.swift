#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

/// Everything the daemon runs with: the check options plus its own schedule, socket and history.
///
/// Built from defaults, then the config file (`/etc/bkdiag/bkdiag.yaml`), then command-line flags,
/// each layer a list of `key: value` settings validated by the same code.
public struct DaemonConfig: Sendable, Equatable {
    public static let defaultConfigPath = "/etc/bkdiag/bkdiag.yaml"
    public static let defaultSocketPath = "/run/bkdiag/bkdiag.sock"
    public static let defaultStateDir = "/var/lib/bkdiag"

    /// Seconds between runs of the catalogue.
    public var interval: Double = 60
    public var gsePath: String? = nil
    public var subscriptionID: Int64 = 0
    public var ipcSocketFile: String? = nil
    public var collectorConfigID: Int64? = nil
    public var logPaths: [String] = []
    /// Global deadline of one run, seconds.
    public var deadline: Double = 5
    public var socketPath: String = DaemonConfig.defaultSocketPath
    /// Group that owns the socket and may `POST /run`; nil keeps the daemon's own group.
    public var socketGroup: String? = nil
    public var socketMode: UInt32 = 0o660
    public var stateDir: String = DaemonConfig.defaultStateDir
    public var historyMaxReports: Int = 10_000
    public var historyMaxBytes: Int = 64 << 20
    /// Where the host's file system is (tests); `/` in production.
    public var hostRoot: String = "/"

    /// The config file keys, in documentation order.
    public static let keys = [
        "interval", "gse_path", "subscription_id", "ipc_socket_file", "collector_config_id", "log_paths",
        "deadline", "socket", "socket_group", "socket_mode", "state_dir", "history_max_reports",
        "history_max_bytes", "host_root",
    ]

    public init() {}

    /// The options one run of the catalogue gets.
    public var checkOptions: CheckOptions {
        CheckOptions(
            gsePath: gsePath, subscriptionID: subscriptionID, ipcSocketFile: ipcSocketFile,
            collectorConfigID: collectorConfigID, logPaths: logPaths, hostRoot: hostRoot,
            deadlineSeconds: deadline
        )
    }

    public var historyLimits: HistoryLimits { HistoryLimits(maxReports: historyMaxReports, maxBytes: historyMaxBytes) }

    /// One `key: value` setting and where it came from (`/etc/bkdiag/bkdiag.yaml:7`, `--interval`).
    public struct Setting: Sendable, Equatable {
        public var key: String
        public var value: String
        public var origin: String

        public init(key: String, value: String, origin: String) {
            self.key = key
            self.value = value
            self.origin = origin
        }
    }

    /// Defaults, then the file (when it exists, or always when `required`), then `overrides`.
    public static func load(file: String, required: Bool, overrides: [Setting]) throws(DaemonError) -> DaemonConfig {
        var config = DaemonConfig()
        if Sys.stat(file) != nil || required {
            let bytes: [UInt8]
            do {
                bytes = try Sys.readFile(file, limit: 1 << 20)
            } catch {
                throw DaemonError(.configFile, "cannot read the config file \(file) (\(error)): create it or pass --config with a readable file")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw DaemonError(.configFile, "\(file) is not UTF-8 text: rewrite it as plain `key: value` lines")
            }
            for setting in try parse(text, file: file) { try config.apply(setting) }
        }
        for setting in overrides { try config.apply(setting) }
        return config
    }

    /// The settings of a config file: flat `key: value` lines (a subset of YAML), `#` comments, blank lines.
    public static func parse(_ text: String, file: String) throws(DaemonError) -> [Setting] {
        var out: [Setting] = []
        var seen: [String: Int] = [:]
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if lineNo == 1 && trimmed == "---" { continue }
            let origin = "\(file):\(lineNo)"
            guard trimmed.count == line.count else {
                throw DaemonError(.configFile, "\(origin): indented line; the daemon config is flat `key: value` lines: remove the indentation")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw DaemonError(.configFile, "\(origin): expected `key: value`, found \"\(line)\"")
            }
            let key = String(line[..<colon]).trimmingSpaces()
            var value = line[line.index(after: colon)...]
            if let first = value.first, first != " " && first != "\t" {
                throw DaemonError(.configFile, "\(origin): put a space after the colon of \(key)")
            }
            value = value.drop(while: { $0 == " " || $0 == "\t" })
            let parsedValue: String
            if value.first == "\"" || value.first == "'" {
                let quote = value.first!
                let rest = value.dropFirst()
                guard let end = rest.firstIndex(of: quote) else {
                    throw DaemonError(.configFile, "\(origin): unterminated quoted value for \(key)")
                }
                let after = rest[rest.index(after: end)...].trimmingSpacesSub()
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw DaemonError(.configFile, "\(origin): text after the quoted value of \(key)")
                }
                parsedValue = String(rest[..<end])
            } else {
                // YAML: a comment starts at a `#` that follows whitespace.
                var v = value
                var prev: Character = " "
                for i in value.indices {
                    if value[i] == "#" && (prev == " " || prev == "\t") { v = value[..<i]; break }
                    prev = value[i]
                }
                parsedValue = String(v).trimmingSpaces()
            }
            guard keys.contains(key) else {
                throw DaemonError(.configFile, "\(origin): unknown key \"\(key)\"; known keys: \(keys.joined(separator: ", "))")
            }
            if let earlier = seen[key] {
                throw DaemonError(.configFile, "\(origin): \(key) is set again (first on line \(earlier)): keep one")
            }
            seen[key] = lineNo
            out.append(Setting(key: key, value: parsedValue, origin: origin))
        }
        return out
    }

    /// Validates and applies one setting; an empty value restores the default.
    public mutating func apply(_ s: Setting) throws(DaemonError) {
        func bad(_ why: String) -> DaemonError {
            DaemonError(.configValue, "\(s.origin): bad \(s.key) \"\(s.value)\": \(why)")
        }
        let v = s.value
        let defaults = DaemonConfig()
        switch s.key {
        case "interval":
            if v.isEmpty { interval = defaults.interval; return }
            guard let d = Self.parseSeconds(v), d >= 0.01, d <= 86_400 else { throw bad("give seconds between 0.01 and 86400, e.g. 60, 90s, 5m") }
            interval = d
        case "deadline":
            if v.isEmpty { deadline = defaults.deadline; return }
            guard let d = Self.parseSeconds(v), d > 0, d <= 3600 else { throw bad("give seconds between 0 and 3600, e.g. 5") }
            deadline = d
        case "gse_path": gsePath = v.isEmpty ? nil : v
        case "ipc_socket_file": ipcSocketFile = v.isEmpty ? nil : v
        case "subscription_id":
            if v.isEmpty { subscriptionID = 0; return }
            guard let n = Int64(v), n >= 0 else { throw bad("give a non-negative integer") }
            subscriptionID = n
        case "collector_config_id":
            if v.isEmpty { collectorConfigID = nil; return }
            guard let n = Int64(v), n >= 0 else { throw bad("give a non-negative integer") }
            collectorConfigID = n
        case "log_paths":
            logPaths = v.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        case "socket":
            if v.isEmpty { socketPath = defaults.socketPath; return }
            guard v.hasPrefix("/") else { throw bad("give an absolute path") }
            guard v.utf8.count < 108 else { throw bad("a unix socket path must be shorter than 108 bytes") }
            socketPath = v
        case "socket_group":
            if v.isEmpty { socketGroup = nil; return }
            guard Sys.groupID(named: v) != nil else { throw bad("no such group on this host: create it or name an existing group") }
            socketGroup = v
        case "socket_mode":
            if v.isEmpty { socketMode = defaults.socketMode; return }
            guard let m = UInt32(v.hasPrefix("0o") ? String(v.dropFirst(2)) : v, radix: 8), m <= 0o777, m & 0o600 == 0o600 else {
                throw bad("give an octal mode such as 0660 that lets the owner read and write")
            }
            socketMode = m
        case "state_dir":
            if v.isEmpty { stateDir = defaults.stateDir; return }
            guard v.hasPrefix("/") else { throw bad("give an absolute path") }
            stateDir = v
        case "history_max_reports":
            if v.isEmpty { historyMaxReports = defaults.historyMaxReports; return }
            guard let n = Int(v), n >= 1, n <= 10_000_000 else { throw bad("give an integer from 1 to 10000000") }
            historyMaxReports = n
        case "history_max_bytes":
            if v.isEmpty { historyMaxBytes = defaults.historyMaxBytes; return }
            guard let n = Self.parseBytes(v), n >= 4096 else { throw bad("give a size of at least 4096 bytes, e.g. 64M, 1G, 500000") }
            historyMaxBytes = n
        case "host_root":
            if v.isEmpty { hostRoot = "/"; return }
            guard v.hasPrefix("/") else { throw bad("give an absolute path") }
            hostRoot = v
        default:
            throw DaemonError(.configFile, "\(s.origin): unknown key \"\(s.key)\"; known keys: \(Self.keys.joined(separator: ", "))")
        }
    }

    /// `60`, `1.5`, `90s`, `250ms`, `5m`, `1h` in seconds.
    static func parseSeconds(_ s: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            guard let d = Double(s.dropLast(suffix.count)), d.isFinite else { return nil }
            return d * factor
        }
        guard let d = Double(s), d.isFinite else { return nil }
        return d
    }

    /// `500000`, `64K`, `64M`, `1G` (binary multiples) in bytes.
    static func parseBytes(_ s: String) -> Int? {
        var t = s.uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        let factors: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = t.last, let f = factors[last] {
            guard let n = Int(t.dropLast()), n >= 0, n <= Int.max / f else { return nil }
            return n * f
        }
        return Int(t)
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(Substring(self).trimmingSpacesSub())
    }
}

extension Substring {
    func trimmingSpacesSub() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

extension String {
    func trimmingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
