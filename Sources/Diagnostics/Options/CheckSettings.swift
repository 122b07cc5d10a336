import HostProbe

/// The options of a run of the checks, defined once for both places that set them: the command line
/// (`bkdiag --data-port 28625`, `bkdiag daemon --data-port 28625`) and the daemon's config file
/// (`data_port: 28625`). Each setting names its config key and its flag, parses its value and writes it
/// into `CheckOptions`; neither side has a list of its own.
public struct CheckSetting: Sendable {
    /// How the command line gives it.
    public enum Form: Sendable, Equatable {
        /// `--flag value`, shown as `<placeholder>` in help.
        case value(placeholder: String)
        /// A switch: `--flag` stands for the config value given here (`--no-agent-healthz` is `agent_healthz: no`).
        case switchFor(String)
    }

    /// The config file key, e.g. `data_port`.
    public let key: String
    /// The long flag without dashes, e.g. `data-port` (check.py's five keep their underscores).
    public let flag: String
    public let short: Character?
    public let form: Form
    public let help: String
    public let hidden: Bool
    /// A valid value, for the help of the config file and the tests.
    public let example: String
    private let write: @Sendable (inout CheckOptions, String) throws(CheckSettingError) -> Void
    private let restore: @Sendable (inout CheckOptions) -> Void

    init(
        key: String, flag: String, short: Character? = nil, form: Form, help: String, hidden: Bool = false, example: String,
        write: @escaping @Sendable (inout CheckOptions, String) throws(CheckSettingError) -> Void,
        restore: @escaping @Sendable (inout CheckOptions) -> Void
    ) {
        self.key = key
        self.flag = flag
        self.short = short
        self.form = form
        self.help = help
        self.hidden = hidden
        self.example = example
        self.write = write
        self.restore = restore
    }

    /// Sets the option from its text; throws what a valid value looks like.
    public func apply(_ value: String, to options: inout CheckOptions) throws(CheckSettingError) {
        try write(&options, value)
    }

    /// Puts the option back to its default (a config line with an empty value).
    public func reset(_ options: inout CheckOptions) {
        restore(&options)
    }
}

/// A value a setting does not accept; `expected` says what it takes ("a port number (1-65535)").
public struct CheckSettingError: Error, Sendable, Equatable {
    public let expected: String
    public init(expected: String) { self.expected = expected }
}

public enum CheckSettings {
    /// Every option of a run, in help order: check.py's five first (the ones with a short letter).
    public static let all: [CheckSetting] = [
        text(
            "gse_path", short: "p", placeholder: "gse_path", help: "GSE root (default: detected; /usr/local/gse/ as check.py).",
            example: "/usr/local/gse", write: { $0.gsePath = $1 }, restore: { $0.gsePath = nil }),
        CheckSetting(
            key: "subscription_id", flag: "subscription_id", short: "s", form: .value(placeholder: "subscription_id"),
            help: "Subscription id; the bkunifylogbeat checks run when it is not 0. (default: 0)", example: "33561",
            write: { o, v throws(CheckSettingError) in o.subscriptionID = try integer(v) },
            restore: { $0.subscriptionID = CheckOptions().subscriptionID }),
        text(
            "ipc_socket_file", short: "i", placeholder: "ipc_socket_file",
            help: "IPC socket (default: the main config's endpoint, else the layout's default).", example: "/var/run/ipc.state.report",
            write: { $0.ipcSocketFile = $1 }, restore: { $0.ipcSocketFile = nil }),
        CheckSetting(
            key: "collector_config_id", flag: "collector_config_id", short: "c", form: .value(placeholder: "collector_config_id"),
            help: "Collector config id (recorded in the report).", example: "45",
            // Only recorded: an empty value (the platform's `--collector_config_id=` when it has none) is none.
            write: { o, v throws(CheckSettingError) in
                o.collectorConfigID = v.trimmingASCIIWhitespace().isEmpty ? nil : try integer(v)
            },
            restore: { $0.collectorConfigID = CheckOptions().collectorConfigID }),
        CheckSetting(
            key: "log_paths", flag: "log_paths", short: "l", form: .value(placeholder: "log_paths"),
            help: "Comma-separated log path globs; the log_path checks run when given.", example: "/data/logs/*.log,/var/log/app.log",
            // An empty or blank value is none, as in check.py (`if options.log_paths and options.log_paths.strip()`):
            // the log_path checks do not run. A value of only commas is given, and names no path.
            write: { o, v in
                o.logPaths = CheckPyArguments.splitLogPaths(v)
                o.logPathsGiven = !v.trimmingASCIIWhitespace().isEmpty
            },
            restore: { o in
                o.logPaths = []
                o.logPathsGiven = false
            }),
        CheckSetting(
            key: "deadline", flag: "timeout", form: .value(placeholder: "seconds"),
            help: "Global deadline for the run, in seconds. (default: 5)", example: "2.5",
            write: { o, v throws(CheckSettingError) in
                guard let s = parseSeconds(v), s > 0, s <= 600 else {
                    throw CheckSettingError(expected: "seconds between 0 and 600, e.g. 5, 2.5, 500ms")
                }
                o.deadlineSeconds = s
            },
            restore: { $0.deadlineSeconds = CheckOptions().deadlineSeconds }),
        CheckSetting(
            key: "sample_gap", flag: "sample-gap", form: .value(placeholder: "seconds"),
            help: "Seconds between the two progress samples of a one-shot run (0: one sample; at most half the deadline). (default: 1)",
            example: "0.5",
            write: { o, v throws(CheckSettingError) in
                guard let s = parseSeconds(v), s >= 0, s <= 300 else {
                    throw CheckSettingError(expected: "seconds between 0 and 300, e.g. 1, 0.5, 500ms")
                }
                o.sampleGapSeconds = s
            },
            restore: { $0.sampleGapSeconds = CheckOptions().sampleGapSeconds }),
        CheckSetting(
            key: "restart_log", flag: "restart-log", form: .value(placeholder: "path"),
            help: "NodeMan's restart log. (default: /tmp/bkc.log)",
            example: "/var/log/gse/bkc.log",
            write: { o, v throws(CheckSettingError) in
                guard !v.isEmpty else { throw CheckSettingError(expected: "a path") }
                o.restartLog = v
            },
            restore: { $0.restartLog = CheckOptions().restartLog }),
        CheckSetting(
            key: "agent_healthz", flag: "no-agent-healthz", form: .switchFor("no"),
            help: "Do not run the GSE 2 agent's `--healthz 1` probe.", example: "no",
            write: { o, v throws(CheckSettingError) in
                switch v.lowercased() {
                case "yes", "true", "on", "1": o.runAgentHealthz = true
                case "no", "false", "off", "0": o.runAgentHealthz = false
                default: throw CheckSettingError(expected: "yes or no")
                }
            },
            restore: { $0.runAgentHealthz = CheckOptions().runAgentHealthz }),
        CheckSetting(
            key: "data_port", flag: "data-port", form: .value(placeholder: "port"),
            help: "Dataserver port (default: 58625 for GSE 1, 28625 for GSE 2).", example: "28625",
            write: { o, v throws(CheckSettingError) in
                guard let p = UInt16(v.trimmingASCIIWhitespace()), p > 0 else {
                    throw CheckSettingError(expected: "a port number (1-65535)")
                }
                o.dataPort = p
            },
            restore: { $0.dataPort = CheckOptions().dataPort }),
        CheckSetting(
            key: "host_root", flag: "host-root", form: .value(placeholder: "dir"), help: "Root of the host's file system (tests).",
            hidden: true, example: "/host",
            write: { o, v throws(CheckSettingError) in
                guard v.hasPrefix("/") else { throw CheckSettingError(expected: "an absolute path") }
                o.hostRoot = v
            },
            restore: { $0.hostRoot = CheckOptions().hostRoot }),
    ]

    /// The setting with this config key.
    public static func setting(key: String) -> CheckSetting? { all.first { $0.key == key } }

    /// A path setting: any text, as given (check.py's central side passes an empty `--gse_path` on a glued line).
    private static func text(
        _ name: String, short: Character, placeholder: String, help: String, example: String,
        write: @escaping @Sendable (inout CheckOptions, String) -> Void, restore: @escaping @Sendable (inout CheckOptions) -> Void
    ) -> CheckSetting {
        CheckSetting(
            key: name, flag: name, short: short, form: .value(placeholder: placeholder), help: help, example: example,
            write: { o, v in write(&o, v) }, restore: restore)
    }

    private static func integer(_ v: String) throws(CheckSettingError) -> Int64 {
        guard let n = optparseInteger(v) else {
            // Python's int has no bound, so check.py would read it; said as what it is, not as no integer at all.
            if optparseDigits(v) != nil {
                throw CheckSettingError(expected: "an integer within 64 bits (-9223372036854775808 to 9223372036854775807)")
            }
            throw CheckSettingError(expected: "an integer")
        }
        return n
    }

    /// An integer as check.py's optparse reads a `type="int"` value (`_parse_num`): `0x…` hexadecimal, `0b…`
    /// binary, any other leading `0` octal (`0123` is 83, `08` no number), else decimal; then Python's
    /// `int(text, radix)`: surrounding whitespace and a sign allowed, `0x`/`0o` again after the sign in base 16/8.
    /// JOB sends check.py and bkdiag the same words, so both must read the same subscription. Underscores
    /// (Python 3 only) are refused: CentOS 7's Python 2 refuses them too.
    public static func optparseInteger(_ raw: String) -> Int64? {
        guard let (negative, digits, radix) = optparseDigits(raw), let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// What `optparseInteger` reads of `raw`: its sign, its digits (valid in the radix, however many) and the
    /// radix; nil when it is no integer at all for optparse.
    static func optparseDigits(_ raw: String) -> (negative: Bool, digits: Substring, radix: Int)? {
        let head = raw.prefix(2).lowercased()
        let radix = head == "0x" ? 16 : head == "0b" ? 2 : raw.hasPrefix("0") ? 8 : 10
        var text = Substring(raw)
        if radix == 2 {
            text = text.dropFirst(2)
            if text.isEmpty { text = "0" }
        }
        text = Substring(String(text).trimmingASCIIWhitespace())
        var negative = false
        if let sign = text.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        let prefix = text.prefix(2).lowercased()
        if (radix == 16 && prefix == "0x") || (radix == 8 && prefix == "0o") || (radix == 2 && prefix == "0b") {
            text = text.dropFirst(2)
        }
        // Digits only from here: UInt64(_:radix:) would take a second sign.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
        return (negative, text, radix)
    }

    /// `60`, `1.5`, `90s`, `250ms`, `5m`, `1h` in seconds; nil for anything else (and for NaN or infinity).
    public static func parseSeconds(_ s: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            guard let d = Double(s.dropLast(suffix.count)), d.isFinite else { return nil }
            return d * factor
        }
        guard let d = Double(s), d.isFinite else { return nil }
        return d
    }
}
