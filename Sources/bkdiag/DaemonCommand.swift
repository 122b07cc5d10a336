import ArgumentParser
import Daemon
import Logging

/// `bkdiag daemon`: the long-running form — the catalogue every interval, a local HTTP socket, history, systemd.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the checks periodically and serve the latest report.",
        discussion: "Settings come from the config file (default /etc/bkdiag/bkdiag.yaml, reloaded on SIGHUP); flags override it."
    )

    @Option(name: [.customLong("gse_path"), .customShort("p")], help: "GSE root (default: auto-detect).")
    var gsePath: String?
    @Option(name: [.customLong("subscription_id"), .customShort("s")], help: "Subscription id; 0 skips the bkunifylogbeat checks.")
    var subscriptionID: String?
    @Option(name: [.customLong("ipc_socket_file"), .customShort("i")], help: "IPC socket of the agent.")
    var ipcSocketFile: String?
    @Option(name: [.customLong("collector_config_id"), .customShort("c")], help: "Collector config id.")
    var collectorConfigID: String?
    @Option(name: [.customLong("log_paths"), .customShort("l")], help: "Comma-separated log paths (globs).")
    var logPaths: String?

    @Option(help: "Config file (flat `key: value` lines, valid YAML).")
    var config: String?
    @Option(help: "Seconds between runs (60, 90s, 5m).")
    var interval: String?
    @Option(help: "Unix socket to serve HTTP on.")
    var socket: String?
    @Option(name: .customLong("state-dir"), help: "Directory of the report history.")
    var stateDir: String?
    @Option(name: .customLong("host-root"), help: .hidden)
    var hostRoot: String?
    @Option(name: .customLong("request-timeout"), help: .hidden)
    var requestTimeout: Double?
    /// Tests: each run reads its report from this file (one JSON line) instead of running the checks.
    @Option(name: .customLong("test-report-file"), help: .hidden)
    var testReportFile: String?
    @Flag(help: "Log debug messages.")
    var verbose = false

    func run() async throws { try await execute() }

    func execute() async throws {
        var overrides: [DaemonConfig.Setting] = []
        func add(_ key: String, _ value: String?, _ flag: String) {
            if let value { overrides.append(.init(key: key, value: value, origin: flag)) }
        }
        add("gse_path", gsePath, "--gse_path")
        add("subscription_id", subscriptionID, "--subscription_id")
        add("ipc_socket_file", ipcSocketFile, "--ipc_socket_file")
        add("collector_config_id", collectorConfigID, "--collector_config_id")
        add("log_paths", logPaths, "--log_paths")
        add("interval", interval, "--interval")
        add("socket", socket, "--socket")
        add("state_dir", stateDir, "--state-dir")
        add("host_root", hostRoot, "--host-root")

        // main.swift has bootstrapped the logging system for the one-shot check (warnings only);
        // the daemon logs at info to stderr with its own handler.
        var logger = Logger(label: "bkdiag", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .debug : .info
        var limits = HTTPLimits()
        if let t = requestTimeout { limits.requestTimeout = .milliseconds(Int64(t * 1000)) }
        let main = DaemonMain(
            configPath: config ?? DaemonConfig.defaultConfigPath, configRequired: config != nil,
            overrides: overrides, httpLimits: limits, logger: logger,
            producer: testReportFile.map { DaemonMain.fileProducer(path: $0) })
        do {
            try await main.run()
        } catch let error as DaemonError {
            logger.critical("cannot start", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            Notifier.shared.notify("STATUS=cannot start: \(error.message)")
            Notifier.shared.flush(timeoutMs: 1000)
            throw ExitCode(1)
        }
    }
}
