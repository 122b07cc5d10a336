#if canImport(Glibc)
import Glibc
#endif
import Logging
import NodeCLI

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = .warning
    return h
}

let invocation: NodeCommandLine.Invocation
do {
    invocation = try NodeCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    // Bad flags exit 2 with a clear message and print no report.
    Output.write("bkdiag: \(error.message)\nRun 'bkdiag --help' for the options.\n", fd: 2)
    exit(2)
}

switch invocation {
case .help(let text):
    Output.write(text)
    exit(0)
case .version(let text):
    Output.write(text + "\n")
    exit(0)
case .check(let c):
    exit(await CheckCommand.run(c))
case .daemon(let d):
    exit(await DaemonCommand.run(d))
case .status(let s):
    exit(await StatusCommand.run(s))
}
