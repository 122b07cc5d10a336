import Daemon
import Logging
import NodeCLI
import SystemLayer

/// `bkdiag daemon`: the long-running form — the catalogue every interval, a local HTTP socket, history, systemd.
enum DaemonCommand {
    static func run(_ d: DaemonInvocation) async -> Int32 {
        // main.swift has bootstrapped the logging system for the one-shot check (warnings only);
        // the daemon logs at info to stderr with its own handler.
        var logger = Logger(label: "bkdiag", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = d.verbose ? .debug : .info
        var limits = HTTPLimits()
        if let t = d.requestTimeoutSeconds { limits.requestTimeout = .milliseconds(Int64(t * 1000)) }
        let main = DaemonMain(
            configPath: d.configPath ?? DaemonConfig.defaultConfigPath, configRequired: d.configPath != nil,
            overrides: d.overrides, httpLimits: limits, logger: logger,
            producer: d.testReportFile.map { DaemonMain.fileProducer(path: $0) })
        do {
            try await main.run()
            return 0
        } catch let error as DaemonError {
            logger.critical("cannot start", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            Notifier.shared.notify("STATUS=cannot start: \(error.message)")
            Notifier.shared.flush(timeoutMs: 1000)
            return error.exitStatus
        } catch {
            logger.critical("stopped", metadata: ["error": "\(ProbeError.brief(error))"])
            return 1
        }
    }
}
