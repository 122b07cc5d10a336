import ArgumentParser
import Fleet
import Foundation
import Logging
import Report
import SystemLayer

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

    /// Whether every entry shown whole is shown only in the fleet JSON (`--format json`, or `--json` beside a
    /// format that shows failing entries alone): then each report's results are written while the answers
    /// are read, and entries are read lean.
    var showsEntriesOnlyInJSON: Bool { format != .agent && (format == .json || json != nil) }

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
            try OutputSink.stream(to: output) { sink in report.writeAgentCheckerText(extended: !strictAgent, sink) }
        } else {
            let main = render(report, format: format)
            try OutputSink.write(main, to: output)
        }
        if let html { try OutputSink.write(report.html(), to: html) }
        if let json { try writeJSON(report, to: json) }
        if (storeByDefault || store) && !noStore {
            if report.jobFailure != nil && report.hosts.isEmpty {
                // A run that knows no host would read, in `diff`, as every host gone and then back as new.
                FileHandle.standardError.write(Data("bkdiag-fleet: not stored: JOB failed before any host was known\n".utf8))
            } else {
                let path = db ?? FleetRunStore.defaultPath()
                let store = try FleetRunStore(path: path)
                let id = try store.store(report)
                FileHandle.standardError.write(Data("bkdiag-fleet: stored as run \(id) in \(path)\n".utf8))
            }
        }
        return strict ? report.exitCode == 0 ? 0 : 1 : 0
    }

    /// Streams the JSON report to a file (or stdout) in pieces.
    func writeJSON(_ report: FleetReport, to path: String?) throws {
        try OutputSink.stream(to: path) { sink in report.writeJSON(sink) }
    }

    /// Reads the GSE answers named by `--gse`.
    func gseAnswers() throws(FleetError) -> [ReadAnswer] {
        var out: [ReadAnswer] = []
        for p in gse {
            let answers = try AnswerReader.recognise(bytes: try AnswerReader.load(p), source: p, parallel: false)
            for a in answers {
                guard case .answer(.gse) = a else {
                    if case .answer(.failure(_, let m, _)) = a {
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

/// Where an output goes: stdout, or the file at a path opened as the shell's `>` opens it: created (0644) or
/// truncated, a symlink followed, a device or FIFO written into. Never a file renamed over the path, which
/// would replace `/dev/null` or a link's target's name. Every write is checked: the first that fails (a full
/// disk; a closed pipe where SIGPIPE is ignored, as in `run`, whose HTTP client ignores it — elsewhere SIGPIPE
/// ends the process as it ends other tools in a pipe) is kept, nothing more is written, and `finish` throws
/// `output.write` (exit 2).
struct OutputSink {
    let fd: Int32
    let name: String
    private let owned: Bool
    private var failure: Int32 = 0

    static func open(_ path: String?) throws(FleetError) -> OutputSink {
        guard let path else { return OutputSink(fd: 1, name: "stdout", owned: false) }
        do {
            return OutputSink(fd: try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644), name: path, owned: true)
        } catch {
            throw FleetError(
                "output.write",
                "cannot write \(path): \(String(cString: strerror(error.errno))); check that its directory exists and is writable")
        }
    }

    private init(fd: Int32, name: String, owned: Bool) {
        self.fd = fd
        self.name = name
        self.owned = owned
    }

    /// Hands `body` a sink into the output at `path` (stdout when nil), then closes it, checked.
    static func stream(to path: String?, _ body: ((UnsafeBufferPointer<UInt8>) -> Void) -> Void) throws(FleetError) {
        var out = try open(path)
        body { out.write($0) }
        try out.finish()
    }

    /// Writes `text` to the output at `path` (stdout when nil), checked.
    static func write(_ text: String, to path: String?) throws(FleetError) {
        try stream(to: path) { sink in Array(text.utf8).withUnsafeBufferPointer(sink) }
    }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard failure == 0, !bytes.isEmpty else { return }
        failure = Sys.writeStandardStream(fd, UnsafeRawBufferPointer(bytes))
    }

    /// Closes a file it opened; throws when a write (or the close, which reports a deferred write error) failed.
    mutating func finish() throws(FleetError) {
        if owned && Glibc.close(fd) != 0 && failure == 0 && errno != EINTR { failure = errno }
        guard failure == 0 else {
            throw FleetError("output.write", "cannot write \(name): \(String(cString: strerror(failure))); the output is incomplete")
        }
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
