import ArgumentParser
import Diagnostics
import Report

/// `bkdiag [--once] [check.py flags]`: one run of the catalogue.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Run the checks once and print the report.")

    func run() async throws {
        let report = await DiagnosticRunner(options: CheckOptions()).run()
        print(report.richLine())
    }
}
