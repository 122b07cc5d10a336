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
            guard rest.count == 1, let text = help(for: sub) else { throw UsageError("unknown subcommand '\(rest.joined(separator: " "))'") }
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

    /// check.py's flags and bkdiag's own for one run; shared by `check` and `status`'s local fallback.
    static let checkPyOptions: [OptionSpec] = checkPyFlags(help: [
        "gse_path": "GSE root (default: detected; /usr/local/gse/ as check.py).",
        "subscription_id": "Subscription id; the bkunifylogbeat checks run when it is not 0. (default: 0)",
        "ipc_socket_file": "IPC socket (default: the main config's endpoint, else the layout's default).",
        "collector_config_id": "Collector config id (recorded in the report).",
        "log_paths": "Comma-separated log path globs; the log_path checks run when given.",
    ]) + [
        .value("timeout", "seconds", help: "Global deadline for the run, in seconds. (default: 5)"),
        .value("restart-log", "path", help: "NodeMan's restart log. (default: /tmp/bkc.log)"),
        .flag("no-agent-healthz", help: "Do not run the GSE 2 agent's `--healthz 1` probe."),
        .value("data-port", "port", help: "Dataserver port (default: 58625 for GSE 1, 28625 for GSE 2)."),
        .value("host-root", "dir", help: "Root of the host's file system (tests).", hidden: true),
    ]

    /// check.py's five flags, with this command's help for each. Their names and letters come from
    /// `CheckPyArguments.options`, the table the normalizer undoes check.py's quirks with, so the two
    /// cannot disagree.
    static func checkPyFlags(help: [String: String]) -> [OptionSpec] {
        CheckPyArguments.options.map { .value($0.long, short: $0.short.first, $0.long, help: help[$0.long] ?? "") }
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
        let p = try checkSpec.parse(args)
        if p.helpRequested { return .help(checkHelp) }
        if p.versionRequested { return .version(version) }
        return .check(
            CheckInvocation(
                options: try checkOptions(p), format: try format(p.value("format")), exitCode: p.isSet("exit-code"),
                colour: p.flag("color")))
    }

    /// The check.py flags of `p` as the engine's options.
    static func checkOptions(_ p: ParsedOptions) throws(UsageError) -> CheckOptions {
        let timeout = try number(p, "timeout", as: Double.self) ?? 5
        guard timeout > 0 && timeout <= 600 else { throw UsageError("--timeout must be between 0 and 600 seconds, got \(p.value("timeout") ?? "")") }
        return CheckOptions(
            gsePath: p.value("gse_path"), subscriptionID: try number(p, "subscription_id", as: Int64.self) ?? 0,
            ipcSocketFile: p.value("ipc_socket_file"), collectorConfigID: try number(p, "collector_config_id", as: Int64.self),
            logPaths: p.value("log_paths").map(CheckPyArguments.splitLogPaths) ?? [], logPathsGiven: p.value("log_paths") != nil,
            hostRoot: p.value("host-root") ?? "/", restartLog: p.value("restart-log") ?? "/tmp/bkc.log", deadlineSeconds: timeout,
            runAgentHealthz: !p.isSet("no-agent-healthz"), dataPort: try port(p, "data-port"))
    }

    static func port(_ p: ParsedOptions, _ name: String) throws(UsageError) -> UInt16? {
        guard let v = try number(p, name, as: UInt16.self) else { return nil }
        guard v > 0 else { throw UsageError("invalid value '0' for --\(name): expected a port number (1-65535)") }
        return v
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
        guard let v = T(String(text.trimmingSpaces())) else { throw UsageError("invalid value '\(text)' for --\(name): expected \(kind(of: T.self))") }
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
        discussion: "Settings come from the config file (default \(DaemonConfig.defaultConfigPath), reloaded on SIGHUP); flags override it.",
        options: checkPyFlags(help: [
            "gse_path": "GSE root (default: auto-detect).",
            "subscription_id": "Subscription id; 0 skips the bkunifylogbeat checks.",
            "ipc_socket_file": "IPC socket of the agent.",
            "collector_config_id": "Collector config id.",
            "log_paths": "Comma-separated log paths (globs).",
        ]) + [
            .value("config", "path", help: "Config file (flat `key: value` lines, valid YAML)."),
            .value("interval", "duration", help: "Seconds between runs (60, 90s, 5m)."),
            .value("socket", "path", help: "Unix socket to serve HTTP on. (default: \(DaemonConfig.defaultSocketPath))"),
            .value("state-dir", "dir", help: "Directory of the report history."),
            .value("host-root", "dir", help: "Root of the host's file system (tests).", hidden: true),
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
        for (flag, key) in [
            ("gse_path", "gse_path"), ("subscription_id", "subscription_id"), ("ipc_socket_file", "ipc_socket_file"),
            ("collector_config_id", "collector_config_id"), ("log_paths", "log_paths"), ("interval", "interval"),
            ("socket", "socket"), ("state-dir", "state_dir"), ("host-root", "host_root"),
        ] {
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
                freshRun: p.isSet("run"), fallback: !p.isSet("no-fallback"), checkOptions: try checkOptions(p),
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
