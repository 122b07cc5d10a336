import ArgumentParser
import Fleet
import Foundation
import Report

/// `bkdiag-fleet diff`: hosts whose verdict changed since the previous run.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show hosts that changed verdict between two stored runs (default: the last two).")

    @Option(help: "History database (default: $BKDIAG_FLEET_DB or ~/.local/share/bkdiag-fleet/history.sqlite).")
    var db: String?

    @Option(help: "The newer run id (default: the latest).")
    var run: Int64?

    @Option(help: "The older run id (default: the run before --run).")
    var against: Int64?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await exitOnFleetError {
            let store = try FleetRunStore(path: db ?? FleetRunStore.defaultPath(), create: false)
            let d = try store.diff(newer: run, older: against)
            let text = json ? d.json().serialized() + "\n" : d.text()
            try OutputSink.write(text, to: nil)
            return 0
        }
    }
}

/// `bkdiag-fleet history`: list stored runs.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List stored runs, newest first.")

    @Option(help: "History database (default: $BKDIAG_FLEET_DB or ~/.local/share/bkdiag-fleet/history.sqlite).")
    var db: String?

    @Option(help: "How many runs to list.")
    var limit = 20

    func run() async throws {
        try await exitOnFleetError {
            let store = try FleetRunStore(path: db ?? FleetRunStore.defaultPath(), create: false)
            var text = ""
            for r in try store.runs(limit: limit) {
                text +=
                    "\(r.id)  \(Timestamp.iso8601(milliseconds: r.createdAtMs))  \(r.source)  job \(r.jobInstanceID.map(String.init) ?? "-")  \(r.healthy)/\(r.hostCount) healthy\n"
            }
            try OutputSink.write(text, to: nil)
            return 0
        }
    }
}
