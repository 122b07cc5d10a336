import Diagnostics
import Logging
import NodeCLI
import Report

#if canImport(Glibc)
    import Glibc
#endif

/// `bkdiag [check]`: one run of the catalogue, printed; what JOB runs.
enum CheckCommand {
    /// Runs the checks and prints the report. The exit status is 0 under the JOB contract, the
    /// Nagios code with `--exit-code`.
    static func run(_ c: CheckInvocation) -> Int32 {
        for note in c.notes { Output.write("bkdiag: \(note)\n", fd: 2) }
        let tty = isatty(1) == 1
        let report = DiagnosticRunner(options: c.options, logger: Logger(label: "bkdiag")).runBlocking()
        let chosen = c.format ?? (tty ? .text : .json)
        if let why = Output.writeReport(report.rendered(chosen, colour: c.colour ?? (tty && getenv("NO_COLOR") == nil))) {
            // 0 promises a printed report (the JOB contract): here none reached the caller.
            Output.write("bkdiag: the report could not be written to stdout: \(why)\n", fd: 2)
            return Output.ioErrorStatus
        }
        return c.exitCode ? report.overall.nagiosCode : 0
    }
}
