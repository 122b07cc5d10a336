import CMalloc
import Diagnostics
import Dispatch
import Logging
import NodeCLI

#if canImport(Glibc)
    import Glibc
#endif

// One malloc arena for every thread. glibc gives each new thread its own arena (a 64 MiB reservation,
// then trimmed with munmap, which interrupts the other CPUs to flush TLBs); bkdiag's threads allocate
// little and rarely at the same time, so sharing the main arena costs little and saves that work.
_ = mallopt(M_ARENA_MAX, 1)

// Started with stdin, stdout or stderr closed (`bkdiag >&-`): /dev/null takes the number, so no file bkdiag
// opens later gets it (the report would be written into it). A closed stdout is remembered: no report can
// reach the caller, and the exit status says so.
Output.stdoutWasClosed = Output.reopenClosedStandardDescriptors()

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = .warning
    return h
}

let invocation: NodeCommandLine.Invocation
do {
    invocation = try NodeCommandLine.parse(CheckPyArguments.processArguments())
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
    exit(CheckCommand.run(c))
case .status(let s):
    exit(StatusCommand.run(s))
case .daemon(let d):
    // A reload asked for while the daemon starts (a control script's `reload` right after `start`) must not
    // kill it: SIGHUP is ignored from here until the daemon's own handler takes it.
    signal(SIGHUP, SIG_IGN)
    // Only the daemon is async. Nothing at the top level awaits, so a one-shot check never starts
    // the Swift concurrency runtime (an async main would park this thread and run on a pool thread).
    Task { exit(await DaemonCommand.run(d)) }
    dispatchMain()
}
