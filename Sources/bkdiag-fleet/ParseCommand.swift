import ArgumentParser
import Fleet
import Foundation
import Report

/// `bkdiag-fleet parse`: JOB answers from files or stdin → per-host results → outputs.
struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Read saved JOB answers (get_job_instance_status, batch_get_job_instance_ip_log pages) and judge every host.",
        discussion:
            "Files may hold the answers with or without the {result, code, message, data} wrapper, one document per file or several in a row. Use - for stdin."
    )

    @Argument(help: "Answer files (default: stdin).")
    var files: [String] = []

    @Option(help: "Step instance to read from the status answer (default: the first step listing hosts).")
    var step: Int64?

    @OptionGroup var out: OutputOptions

    func run() async throws {
        try await exitOnFleetError {
            var answers = try AnswerReader.read(
                paths: files.isEmpty ? ["-"] : files, evidence: out.evidence, fullEntries: out.showsFullEntries,
                agentLines: out.showsEntriesOnlyAsAgentLines, jsonResults: out.showsEntriesOnlyInJSON)
            var t = Timing.now()
            var asm = FleetAssembler(stepInstanceID: step)
            asm.reserveLogs(answers.reduce(0) { n, a in if case .logs(let p) = a { n + p.logs.count } else { n } })
            answers += try out.gseAnswers()
            for k in answers.indices {
                // Taken out of the list, so that the assembler holds the page's only reference and moves its hosts.
                let a = answers[k]
                answers[k] = .answer(.gse([]))
                switch consume a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let page): asm.add(page)
                }
            }
            Timing.add("add", since: t)
            t = Timing.now()
            let report = asm.finish(source: "parse")
            Timing.add("finish (join+aggregate)", since: t)
            t = Timing.now()
            let code = try out.emit(report, storeByDefault: false)
            Timing.add("render", since: t)
            Timing.report()
            // Skip tearing down millions of small objects: the process ends here anyway.
            Foundation.exit(code)
        }
    }
}
