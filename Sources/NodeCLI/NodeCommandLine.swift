import Daemon
import Diagnostics
import Report

/// `bkdiag`'s command line: `check` (the default, what JOB runs), `daemon`, `status`, `help`.
public enum NodeCommandLine {
    /// What a command line asks for, with every value checked.
    public enum Invocation: Sendable {
        case check(CheckInvocation)
        case daemon(DaemonInvocation)
        case status(StatusInvocation)
        /// Print this text and exit 0.
        case help(String)
        case version(String)
    }

    public static let version = "\(BuildInfo.version) (\(BuildInfo.commit))"

    /// Parses argv (without the program name). check.py's quirks (glued options, a whole argument
    /// string in one word, `-pVALUE`) are undone first by `CheckPyArguments.normalize`.
    public static func parse(_ argv: [String]) throws(UsageError) -> Invocation {
        let args = CheckPyArguments.normalize(argv)
        switch args.first {
        case "check": return try check(args.dropFirst())
        case "daemon": return try daemon(args.dropFirst())
        case "status": return try status(args.dropFirst())
        case "help":
            let rest = args.dropFirst()
            guard let sub = rest.first else { return .help(rootHelp) }
            guard rest.count == 1, let text = help(for: sub) else {
                throw UsageError("unknown subcommand '\(rest.joined(separator: " "))'")
            }
            return .help(text)
        case "-h", "--help":
            if args.count == 1 { return .help(rootHelp) }
            if args.count == 2, let text = help(for: args[1]) { return .help(text) }
        case "--version": if args.count == 1 { return .version(version) }
        default: break
        }
        // No subcommand: check, as a bare `bkdiag` or `bkdiag --once` under JOB.
        return try check(args[...])
    }

    static func help(for sub: String) -> String? {
        switch sub {
        case "check": checkHelp
        case "daemon": daemonHelp
        case "status": statusHelp
        default: nil
        }
    }

    // MARK: check

    /// The options of a run, one flag per `CheckSettings` entry (check.py's five and bkdiag's own):
    /// shared by `check`, `status`'s local fallback and `daemon`, whose config file reads the same table.
    static let checkPyOptions: [OptionSpec] = CheckSettings.all.map { s in
        switch s.form {
        case .value(let placeholder): .value(s.flag, short: s.short, placeholder, help: s.help, hidden: s.hidden)
        case .switchFor: .flag(s.flag, help: s.help, hidden: s.hidden)
        }
    }

    /// The value `p` gives a setting: its text, or the config value its switch stands for; nil when not given.
    static func given(_ s: CheckSetting, in p: ParsedOptions) -> String? {
        switch s.form {
        case .value: p.value(s.flag)
        case .switchFor(let value): p.isSet(s.flag) ? value : nil
        }
    }

    static let checkSpec = CommandSpec(
        name: "check",
        abstract: "Run the checks once and print the report (the default; what JOB runs).",
        discussion: "Under JOB (stdout not a terminal) prints one line of JSON that BlueKing's central parser accepts, "
            + "and exits 0 whenever a report was printed. On a terminal prints a table.",
        options: checkPyOptions + [
            .flag("once", help: "Run the checks once (the default; accepted for clarity)."),
            .value("format", "format", help: "compat | json | text | prometheus | nagios (default: json when piped, text on a terminal)."),
            .flag("exit-code", help: "Exit with Nagios codes: 0 ok, 1 warn, 2 fail, 3 unknown (not for JOB)."),
            OptionSpec("color", .invertible, help: "Colour the text table (default: when stdout is a terminal)."),
        ])

    static var checkHelp: String { checkSpec.help(usage: "bkdiag [check] [options]") }

    static func check(_ args: ArraySlice<String>) throws(UsageError) -> Invocation {
        // Read as check.py's optparse reads its arguments: JOB sends the same words to both.
        let p = try checkSpec.parse(
            args, tolerant: true, joinable: ["gse_path", "ipc_socket_file", "log_paths", "restart-log"], listed: ["log_paths"])
        if p.helpRequested { return .help(checkHelp) }
        if p.versionRequested { return .version(version) }
        return .check(
            CheckInvocation(
                options: try checkOptions(p), format: try format(p.value("format")), exitCode: p.isSet("exit-code"),
                colour: p.flag("color"),
                notes: p.joined.map { "joined words split at a space: \($0)" } + p.ignored.map { "ignored argument '\($0)'" }))
    }

    /// The run's flags of `p` as the engine's options.
    static func checkOptions(_ p: ParsedOptions) throws(UsageError) -> CheckOptions {
        var options = CheckOptions()
        for s in CheckSettings.all {
            guard let v = given(s, in: p) else { continue }
            do throws(CheckSettingError) {
                try s.apply(v, to: &options)
            } catch {
                throw UsageError("invalid value '\(v)' for --\(s.flag): expected \(error.expected)")
            }
        }
        return options
    }

    static func format(_ text: String?) throws(UsageError) -> ReportFormat? {
        guard let text else { return nil }
        guard let f = ReportFormat(rawValue: text) else {
            throw UsageError("invalid value '\(text)' for --format: use \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return f
    }

    /// The value of `--name` as a number of type `T`; nil when not given.
    static func number<T: LosslessStringConvertible>(_ p: ParsedOptions, _ name: String, as: T.Type) throws(UsageError) -> T? {
        guard let text = p.value(name) else { return nil }
        guard let v = T(String(text.trimmingSpaces())) else {
            throw UsageError("invalid value '\(text)' for --\(name): expected \(kind(of: T.self))")
        }
        return v
    }

    private static func kind(of t: Any.Type) -> String {
        switch t {
        case is Double.Type: "a number"
        case is UInt16.Type: "a port number (1-65535)"
        case is UInt32.Type: "a non-negative integer"
        default: "an integer"
        }
    }

    // MARK: daemon

    static let daemonSpec = CommandSpec(
        name: "daemon",
        abstract: "Run the checks periodically and serve the latest report.",
        discussion:
            "Settings come from the config file (default \(DaemonConfig.defaultConfigPath), reloaded on SIGHUP); flags override it.",
        options: checkPyOptions + [
            .value("config", "path", help: "Config file (flat `key: value` lines, valid YAML)."),
            .value("interval", "duration", help: "Seconds between runs (60, 90s, 5m)."),
            .value("socket", "path", help: "Unix socket to serve HTTP on. (default: \(DaemonConfig.defaultSocketPath))"),
            .value("state-dir", "dir", help: "Directory of the report history."),
            .value("request-timeout", "seconds", help: "HTTP request timeout (tests).", hidden: true),
            .value("test-report-file", "path", help: "Each run reads its report from this file (tests).", hidden: true),
            .flag("verbose", help: "Log debug messages."),
        ])

    static var daemonHelp: String { daemonSpec.help(usage: "bkdiag daemon [options]") }

    static func daemon(_ args: ArraySlice<String>) throws(UsageError) -> Invocation {
        let p = try daemonSpec.parse(args)
        if p.helpRequested { return .help(daemonHelp) }
        if p.versionRequested { return .version(version) }
        // Settings keep their text: the daemon checks them with the config file's, naming the flag.
        var overrides: [DaemonConfig.Setting] = []
        for s in CheckSettings.all {
            if let v = given(s, in: p) { overrides.append(.init(key: s.key, value: v, origin: "--\(s.flag)")) }
        }
        for (flag, key) in [("interval", "interval"), ("socket", "socket"), ("state-dir", "state_dir")] {
            if let v = p.value(flag) { overrides.append(.init(key: key, value: v, origin: "--\(flag)")) }
        }
        let requestTimeout = try number(p, "request-timeout", as: Double.self)
        if let t = requestTimeout, !(t > 0 && t <= 3600) { throw UsageError("--request-timeout must be between 0 and 3600 seconds") }
        return .daemon(
            DaemonInvocation(
                configPath: p.value("config"), overrides: overrides, requestTimeoutSeconds: requestTimeout,
                testReportFile: p.value("test-report-file"), verbose: p.isSet("verbose")))
    }

    // MARK: status

    static let statusSpec = CommandSpec(
        name: "status",
        abstract: "Print the daemon's latest report.",
        discussion: "Without a daemon answering on its socket, runs the checks here (with the check.py flags below) and says so.",
        options: [
            .value("socket", "path", help: "The daemon's socket. (default: \(DaemonConfig.defaultSocketPath))"),
            .value("format", "format", help: "text | json | compat | prometheus | nagios (default: text)."),
            .flag("run", help: "Ask the daemon for a fresh run (POST /run; root or the socket's group)."),
            .flag("no-fallback", help: "Fail instead of running the checks locally when no daemon answers."),
            .flag(
                "exit-code",
                help: "Exit with Nagios codes: 0 ok, 1 warn, 2 fail, 3 unknown (also when no report could be had)."),
            .value("raw-request", "request", help: "Send this raw request and print the status and body (tests).", hidden: true),
            .value("as-uid", "uid", help: "Become this uid before connecting (tests).", hidden: true),
            .value("as-gid", "gid", help: "Become this gid before connecting (tests).", hidden: true),
        ] + checkPyOptions)

    static var statusHelp: String { statusSpec.help(usage: "bkdiag status [options]") }

    static func status(_ args: ArraySlice<String>) throws(UsageError) -> Invocation {
        let p = try statusSpec.parse(args)
        if p.helpRequested { return .help(statusHelp) }
        if p.versionRequested { return .version(version) }
        var raw: (method: String, target: String)?
        if let r = p.value("raw-request") {
            let parts = r.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { throw UsageError("--raw-request takes \"METHOD /target\"") }
            raw = (String(parts[0]), String(parts[1]))
        }
        return .status(
            StatusInvocation(
                socket: p.value("socket") ?? DaemonConfig.defaultSocketPath, format: try format(p.value("format")) ?? .text,
                freshRun: p.isSet("run"), fallback: !p.isSet("no-fallback"), exitCode: p.isSet("exit-code"),
                checkOptions: try checkOptions(p),
                rawRequest: raw, asUID: try number(p, "as-uid", as: UInt32.self), asGID: try number(p, "as-gid", as: UInt32.self)))
    }

    // MARK: root

    static var rootHelp: String {
        var out = "OVERVIEW: Tells why BlueKing log collection is broken on this host.\n\n"
        out += "USAGE: bkdiag [<subcommand>] [options]\n\n"
        out += "OPTIONS:\n" + CommandSpec.table([("--version", "Show the version."), ("-h, --help", "Show help information.")])
        out += "\nSUBCOMMANDS:\n"
        out += CommandSpec.table([
            ("check (default)", checkSpec.abstract), ("daemon", daemonSpec.abstract), ("status", statusSpec.abstract),
        ])
        out += "\n  See 'bkdiag help <subcommand>' for detailed help.\n"
        return out
    }
}

/// `bkdiag [check]`: one run.
public struct CheckInvocation: Sendable {
    public var options: CheckOptions
    /// nil: json when piped, text on a terminal.
    public var format: ReportFormat?
    /// Nagios exit codes instead of the JOB contract's 0.
    public var exitCode: Bool
    /// nil: colour when stdout is a terminal and NO_COLOR is unset.
    public var colour: Bool?
    /// What reading the words as check.py's optparse does changed or skipped, for stderr.
    public var notes: [String] = []
}

/// `bkdiag daemon`.
public struct DaemonInvocation: Sendable {
    public var configPath: String?
    /// Flag settings, applied over the config file's.
    public var overrides: [DaemonConfig.Setting]
    public var requestTimeoutSeconds: Double?
    public var testReportFile: String?
    public var verbose: Bool
}

/// `bkdiag status`.
public struct StatusInvocation: Sendable {
    public var socket: String
    public var format: ReportFormat
    public var freshRun: Bool
    public var fallback: Bool
    /// Nagios exit codes (the report's, 3 when none could be had) instead of 0 / 1.
    public var exitCode: Bool = false
    public var checkOptions: CheckOptions
    public var rawRequest: (method: String, target: String)?
    public var asUID: UInt32?
    public var asGID: UInt32?
}

extension String {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self[...]
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
