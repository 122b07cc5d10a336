#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Daemon
import Diagnostics
import Report

/// `bkdiag status`: the daemon's latest report over its socket; without a daemon, a local run that says so.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print the daemon's latest report.")

    @Option(help: "The daemon's socket.")
    var socket: String = DaemonConfig.defaultSocketPath
    @Option(help: "Output format: text, json, compat, prometheus, nagios.")
    var format: String = "text"
    @Flag(help: "Ask the daemon for a fresh run (POST /run; root or the socket's group).")
    var run = false
    @Flag(help: "Fail instead of running the checks locally when no daemon answers.")
    var noFallback = false

    /// check.py's flags, for the local run when no daemon answers.
    @OptionGroup var checkPy: CheckPyOptions

    /// Tests: send this raw request ("POST /run") and print `HTTP <status>` and the body.
    @Option(name: .customLong("raw-request"), help: .hidden)
    var rawRequest: String?
    /// Tests: become this uid (and gid) before connecting, to act as a foreign peer.
    @Option(name: .customLong("as-uid"), help: .hidden)
    var asUID: UInt32?
    @Option(name: .customLong("as-gid"), help: .hidden)
    var asGID: UInt32?

    func run() async throws { try await execute() }

    func execute() async throws {
        // A daemon that answers early and closes must not kill us with SIGPIPE mid-request.
        signal(SIGPIPE, SIG_IGN)
        if let uid = asUID {
            try Sys.dropPrivileges(uid: uid, gid: asGID ?? uid)
        }
        if let raw = rawRequest {
            let parts = raw.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--raw-request takes \"METHOD /target\"") }
            do {
                let r = try UnixHTTPClient.request(socket: socket, method: String(parts[0]), target: String(parts[1]))
                print("HTTP \(r.status)")
                print(r.body, terminator: "")
            } catch {
                print("ERROR \(error)")
                throw ExitCode(2)
            }
            return
        }
        guard let reportFormat = ReportFormat(rawValue: format) else {
            throw ValidationError("unknown --format \(format): use text, json, compat, prometheus or nagios")
        }
        do {
            let r = try UnixHTTPClient.request(socket: socket, method: run ? "POST" : "GET", target: "/report?format=json", timeoutMs: run ? 60_000 : 5000)
            guard r.status == 200 else {
                printError("bkdiag status: the daemon at \(socket) answered \(r.status): \(r.body)")
                throw ExitCode(1)
            }
            let report = try DiagnosticReport(line: r.body.trimmingNewlines())
            print(report.rendered(reportFormat), terminator: "")
        } catch let error as DaemonError where error.code == .noDaemon && !noFallback {
            printError("bkdiag status: \(error.message)")
            printError("bkdiag status: ran the checks locally instead")
            let report = await DiagnosticRunner(options: checkPy.checkOptions).run()
            print(report.rendered(reportFormat), terminator: "")
        } catch let error as DaemonError {
            printError("bkdiag status: \(error.message)")
            throw ExitCode(1)
        }
    }

    private func printError(_ s: String) {
        var err = StandardError()
        print(s, to: &err)
    }
}

extension String {
    func trimmingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
