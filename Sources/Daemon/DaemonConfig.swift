import Diagnostics
import HostProbe
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Everything the daemon runs with: the check options plus its own schedule, socket and history.
///
/// Built from defaults, then the config file (`/etc/bkdiag/bkdiag.yaml`), then command-line flags,
/// each layer a list of `key: value` settings validated by the same code. The check options are the
/// ones `CheckSettings` defines, the same table `bkdiag --once` reads its flags with.
public struct DaemonConfig: Sendable, Equatable {
    public static let defaultConfigPath = "/etc/bkdiag/bkdiag.yaml"
    public static let defaultSocketPath = "/run/bkdiag/bkdiag.sock"
    public static let defaultStateDir = "/var/lib/bkdiag"

    /// Seconds between runs of the catalogue.
    public var interval: Double = 60
    /// The options one run of the catalogue gets (`CheckSettings` keys).
    public var checkOptions = CheckOptions()
    public var socketPath: String = DaemonConfig.defaultSocketPath
    /// Group that owns the socket and may `POST /run`; nil keeps the daemon's own group.
    public var socketGroup: String? = nil
    public var socketMode: UInt32 = 0o660
    public var stateDir: String = DaemonConfig.defaultStateDir
    public var historyMaxReports: Int = 10_000
    public var historyMaxBytes: Int = 64 << 20

    /// The daemon's own keys, in documentation order.
    public static let daemonKeys = [
        "interval", "socket", "socket_group", "socket_mode", "state_dir", "history_max_reports", "history_max_bytes",
    ]

    /// The config file keys: the interval, the check options, then the daemon's socket and history.
    public static let keys = ["interval"] + CheckSettings.all.map(\.key) + daemonKeys.dropFirst()

    public init() {}

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
        if Sys.statIfPresent(file) != nil || required {
            let bytes: [UInt8]
            do {
                // A FIFO or a device in its place is refused, not waited on: a reload must not hang.
                bytes = try Sys.readRegularFile(file, limit: 1 << 20)
            } catch {
                throw DaemonError(
                    .configFile,
                    "cannot read the config file \(file) (\(ProbeError.brief(error))): create it or pass --config with a readable file")
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
                throw DaemonError(
                    .configFile, "\(origin): indented line; the daemon config is flat `key: value` lines: remove the indentation")
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
            if let quote = value.first, quote == "\"" || quote == "'" {
                // The closing quote: in double quotes a backslash escapes the next character, in single quotes
                // `''` is a quote.
                var i = value.index(after: value.startIndex)
                var end: Substring.Index?
                while i < value.endIndex {
                    if quote == "\"" && value[i] == "\\" {
                        i = value.index(after: i)
                        if i < value.endIndex { i = value.index(after: i) }
                        continue
                    }
                    if value[i] == quote {
                        let next = value.index(after: i)
                        if quote == "'" && next < value.endIndex && value[next] == "'" {
                            i = value.index(after: next)
                            continue
                        }
                        end = i
                        break
                    }
                    i = value.index(after: i)
                }
                guard let end else {
                    throw DaemonError(.configFile, "\(origin): unterminated quoted value for \(key)")
                }
                let after = value[value.index(after: end)...].trimmingSpacesSub()
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw DaemonError(.configFile, "\(origin): text after the quoted value of \(key)")
                }
                // Decoded as YAML decodes it (`\u65e5`, `\"`, `''`): NodeMan's template writes log_paths with
                // Jinja2's tojson, which escapes every non-ASCII character and ' & < >.
                do {
                    parsedValue = try YAMLNode.parse("v: " + value[...end])["v"]?.string ?? ""
                } catch {
                    throw DaemonError(.configFile, "\(origin): bad quoted value for \(key): \(error.problem)")
                }
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
        if let setting = CheckSettings.setting(key: s.key) {
            if v.isEmpty {
                setting.reset(&checkOptions)
                return
            }
            do throws(CheckSettingError) {
                try setting.apply(v, to: &checkOptions)
            } catch {
                throw bad("give \(error.expected)")
            }
            return
        }
        switch s.key {
        case "interval":
            if v.isEmpty { interval = defaults.interval; return }
            guard let d = CheckSettings.parseSeconds(v), d >= 0.01, d <= 86_400 else {
                throw bad("give seconds between 0.01 and 86400, e.g. 60, 90s, 5m")
            }
            interval = d
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
        default:
            throw DaemonError(.configFile, "\(s.origin): unknown key \"\(s.key)\"; known keys: \(Self.keys.joined(separator: ", "))")
        }
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
