import Logging
import Report

/// Runs the catalogue once and returns the report.
public struct DiagnosticRunner: Sendable {
    public var options: CheckOptions
    public var logger: Logger

    public init(options: CheckOptions, logger: Logger = Logger(label: "bkdiag")) {
        self.options = options
        self.logger = logger
    }

    /// One run: every check under the global deadline; never throws.
    public func run() async -> DiagnosticReport {
        DiagnosticReport(results: [], generatedAtMs: Timestamp.nowMilliseconds())
    }
}
