#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Diagnostics
import Logging
import Report

/// check.py's flags, shared by `check` and `daemon`.
struct CheckPyOptions: ParsableArguments {
    @Option(name: [.customLong("gse_path"), .customShort("p")], help: "GSE root (default: detected; /usr/local/gse/ as check.py).")
    var gsePath: String?

    @Option(name: [.customLong("subscription_id"), .customShort("s")], help: "Subscription id; the bkunifylogbeat checks run when it is not 0.")
    var subscriptionID: Int64 = 0

    @Option(name: [.customLong("ipc_socket_file"), .customShort("i")], help: "IPC socket (default: the main config's endpoint, else the layout's default).")
    var ipcSocketFile: String?

    @Option(name: [.customLong("collector_config_id"), .customShort("c")], help: "Collector config id (recorded in the report).")
    var collectorConfigID: Int64?

    @Option(name: [.customLong("log_paths"), .customShort("l")], help: "Comma-separated log path globs; the log_path checks run when given.")
    var logPaths: String?

    @Option(name: .customLong("timeout"), help: "Global deadline for the run, in seconds.")
    var timeout: Double = 5

    @Option(name: .customLong("restart-log"), help: "NodeMan's restart log.")
    var restartLog: String = "/tmp/bkc.log"

    @Flag(name: .customLong("no-agent-healthz"), help: "Do not run the GSE 2 agent's `--healthz 1` probe.")
    var noAgentHealthz = false

    @Option(name: .customLong("data-port"), help: "Dataserver port (default: 58625 for GSE 1, 28625 for GSE 2).")
    var dataPort: UInt16?

    @Option(name: .customLong("host-root"), help: .hidden)
    var hostRoot: String = "/"

    func validate() throws {
        guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds, got \(timeout)") }
        if let p = gsePath, p.contains("\0") { throw ValidationError("--gse_path holds a NUL byte") }
    }

    var checkOptions: CheckOptions {
        CheckOptions(
            gsePath: gsePath, subscriptionID: subscriptionID, ipcSocketFile: ipcSocketFile,
            collectorConfigID: collectorConfigID, logPaths: logPaths.map(CheckPyArguments.splitLogPaths) ?? [],
            logPathsGiven: logPaths != nil, hostRoot: hostRoot, restartLog: restartLog, deadlineSeconds: timeout,
            runAgentHealthz: !noAgentHealthz, dataPort: dataPort)
    }
}

extension ReportFormat: ExpressibleByArgument {}

/// `bkdiag [--once] [check.py flags]`: one run of the catalogue.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the checks once and print the report (the default; what JOB runs).",
        discussion: """
            Under JOB (stdout not a terminal) prints one line of JSON that BlueKing's central parser \
            accepts, and exits 0 whenever a report was printed. On a terminal prints a table.
            """)

    @OptionGroup var checkPy: CheckPyOptions

    @Flag(name: .customLong("once"), help: "Run the checks once (the default; accepted for clarity).")
    var once = false

    @Option(name: .customLong("format"), help: "compat | json | text | prometheus | nagios (default: json when piped, text on a terminal).")
    var format: ReportFormat?

    @Flag(name: .customLong("exit-code"), help: "Exit with Nagios codes: 0 ok, 1 warn, 2 fail, 3 unknown (not for JOB).")
    var exitCode = false

    @Flag(inversion: .prefixedNo, help: "Colour the text table (default: when stdout is a terminal).")
    var color: Bool?

    func run() async throws { try await execute() }

    /// The body of `run()`, under a name `main.swift` can call without ArgumentParser's sync
    /// default `run()` being picked instead.
    func execute() async throws {
        let tty = isatty(1) == 1
        let report = await DiagnosticRunner(options: checkPy.checkOptions, logger: Logger(label: "bkdiag")).run()
        let chosen = format ?? (tty ? .text : .json)
        let text = report.rendered(chosen, colour: color ?? (tty && getenv("NO_COLOR") == nil))
        Output.write(text)
        if exitCode { throw ExitCode(report.overall.nagiosCode) }
    }
}
