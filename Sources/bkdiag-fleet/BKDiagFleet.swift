import ArgumentParser
import Fleet
import Foundation
import Logging
import Report

/// `bkdiag-fleet`: the central side. Reads JOB answers or drives JOB, aggregates, renders, keeps history.
@main
struct BKDiagFleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bkdiag-fleet",
        abstract: "Aggregate bkdiag / check.py results from BlueKing JOB across a fleet.",
        version: "\(BuildInfo.version) (\(BuildInfo.commit))",
        subcommands: [ParseCommand.self, RunCommand.self, DiffCommand.self, HistoryCommand.self]
    )

    /// As ArgumentParser's own entry point, except that a usage error exits 2 (as documented), not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Output choices shared by `parse` and `run`.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, markdown, agent, html
    }

    @Option(name: .shortAndLong, help: "Output format: table, json, markdown, agent (the log platform's lines), html.")
    var format: Format = .table

    @Option(name: .shortAndLong, help: "Write the output to this file instead of stdout.")
    var output: String?

    @Option(help: "Also write the HTML page to this file.")
    var html: String?

    @Option(help: "Also write the JSON report to this file.")
    var json: String?

    @Flag(help: "In the agent format, print only what AgentChecker itself would print.")
    var strictAgent = false

    @Flag(help: "Colour the table (default: when stdout is a terminal).")
    var colour = false

    @Option(
        help:
            "GSE agent state answer (GSE 1 get_agent_status or GSE 2 list_agent_state JSON), to tell an offline agent from a broken collector."
    )
    var gse: [String] = []

    @Flag(help: "Store the run in the history database (run stores by default).")
    var store = false

    @Flag(help: "Do not store the run in the history database.")
    var noStore = false

    @Option(help: "History database (default: $BKDIAG_FLEET_DB or ~/.local/share/bkdiag-fleet/history.sqlite).")
    var db: String?

    @Option(help: "Keep per-check evidence in the per-host results: always, never, or auto (only while the inputs total at most 64 MiB).")
    var evidence: AnswerReader.EvidencePolicy = .auto

    @Flag(help: "Exit 1 when any host is not healthy.")
    var strict = false

    /// Whether an output asked for shows an entry's duration or a passing entry's message or hint: the
    /// JSON report and the platform's lines show every entry whole; the table, markdown and HTML formats
    /// (and the history) show entries' texts only in failure groups.
    var showsFullEntries: Bool { format == .json || format == .agent || json != nil }

    /// Whether every entry shown is shown only as the platform's line (`--format agent` alone): then the
    /// lines are written while the answers are read, and entries are read lean.
    var showsEntriesOnlyAsAgentLines: Bool { format == .agent && json == nil }

    func render(_ report: FleetReport, format: Format) -> String {
        switch format {
        case .table: report.textTable(colour: colour || (output == nil && isatty(1) == 1))
        case .json: report.jsonText()
        case .markdown: report.markdown()
        case .agent: report.agentCheckerText(extended: !strictAgent)
        case .html: report.html()
        }
    }

    /// Writes the outputs, stores history when asked, and returns the exit code.
    func emit(_ report: FleetReport, storeByDefault: Bool) throws -> Int32 {
        if format == .json {
            try writeJSON(report, to: output)
        } else if format == .agent {
            // Millions of lines for a large fleet: streamed in pieces, never held whole.
            try stream(to: output) { sink in report.writeAgentCheckerText(extended: !strictAgent, sink) }
        } else {
            let main = render(report, format: format)
            if let output { try write(main, to: output) } else { FileHandle.standardOutput.write(Data(main.utf8)) }
        }
        if let html { try write(report.html(), to: html) }
        if let json { try writeJSON(report, to: json) }
        if (storeByDefault || store) && !noStore {
            let path = db ?? FleetRunStore.defaultPath()
            let store = try FleetRunStore(path: path)
            let id = try store.store(report)
            FileHandle.standardError.write(Data("bkdiag-fleet: stored as run \(id) in \(path)\n".utf8))
        }
        return strict ? report.exitCode == 0 ? 0 : 1 : 0
    }

    /// Streams the JSON report to a file (or stdout) in pieces.
    func writeJSON(_ report: FleetReport, to path: String?) throws {
        try stream(to: path) { sink in report.writeJSON(sink) }
    }

    /// Hands `body` a sink that writes to the file at `path` (or stdout).
    func stream(to path: String?, _ body: (([UInt8]) -> Void) -> Void) throws {
        let handle: FileHandle
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw FleetError("output.write", "cannot write \(path); check that its directory exists and is writable")
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        // An array is one contiguous region: written as it is, not copied into a Data first.
        body { try? handle.write(contentsOf: $0) }
        if path != nil { try? handle.close() }
    }

    func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw FleetError("output.write", "cannot write \(path); check that its directory exists and is writable")
        }
    }

    /// Reads the GSE answers named by `--gse`.
    func gseAnswers() throws(FleetError) -> [ReadAnswer] {
        var out: [ReadAnswer] = []
        for p in gse {
            let answers = try AnswerReader.recognise(bytes: try AnswerReader.load(p), source: p, parallel: false)
            for a in answers {
                guard case .answer(.gse) = a else {
                    if case .answer(.failure(_, let m)) = a {
                        throw FleetError("gse.failure", "\(p): GSE answered result=false: \(m); query GSE again")
                    }
                    throw FleetError("gse.shape", "\(p) is not a GSE get_agent_status or list_agent_state answer")
                }
                out.append(a)
            }
        }
        return out
    }
}

/// Runs `body`, printing a `FleetError` as one line on stderr and exiting 2.
func exitOnFleetError(_ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
    } catch let e as FleetError {
        FileHandle.standardError.write(Data("bkdiag-fleet: error: \(e.message) [\(e.code)]\n".utf8))
        throw ExitCode(2)
    }
    if code != 0 { throw ExitCode(code) }
}

/// A logger on stderr at the given level.
func makeLogger(verbose: Bool) -> Logger {
    var logger = Logger(label: "bkdiag-fleet") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = verbose ? .debug : .warning
    return logger
}

extension AnswerReader.EvidencePolicy: ExpressibleByArgument {}
