#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Diagnostics
import Logging

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = .warning
    return h
}

// check.py's command line, with the central side's glued options recovered.
let arguments = CheckPyArguments.normalize(Array(CommandLine.arguments.dropFirst()))

do {
    let command = try BKDiag.parseAsRoot(arguments)
    // `execute()` rather than `run()`: on an existential or a concrete type the compiler may pick
    // ParsableCommand's synchronous default `run()`, which only prints help.
    switch command {
    case let c as CheckCommand: try await c.execute()
    case let c as DaemonCommand: try await c.execute()
    case let c as StatusCommand: try await c.execute()
    default: throw CleanExit.helpRequest(command)
    }
    exit(0)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = BKDiag.exitCode(for: error)
    if code == .success {
        // --help, --version
        Output.write(BKDiag.fullMessage(for: error) + "\n")
        exit(0)
    }
    // Bad flags (and any other error) exit 2 with a clear message; ArgumentParser's own code would be 64.
    var err = StandardError()
    print("bkdiag: \(BKDiag.fullMessage(for: error))", to: &err)
    exit(2)
}
