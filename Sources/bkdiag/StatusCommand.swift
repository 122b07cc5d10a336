import Daemon
import Diagnostics
import NodeCLI
import Report
import SystemLayer

#if canImport(Glibc)
    import Glibc
#endif

/// `bkdiag status`: the daemon's latest report over its socket; without a daemon, a local run that says so.
enum StatusCommand {
    static func run(_ s: StatusInvocation) -> Int32 {
        let code = ask(s)
        // With --exit-code (an NRPE check: Nagios reads the state from the status, not from the text) the
        // report's code, and UNKNOWN when no report could be had: 1 would read as WARNING.
        guard s.exitCode, s.rawRequest == nil else { return code.status }
        // A stale report (the daemon's runs are not finishing) says nothing of the host now, whatever its verdict.
        if code.stale { return Verdict.unknown.nagiosCode }
        return code.report?.overall.nagiosCode ?? Verdict.unknown.nagiosCode
    }

    /// The exit status of the plain command, the report printed (nil when none was), and whether it was the
    /// daemon's and older than the daemon's schedule allows.
    private static func ask(_ s: StatusInvocation) -> (status: Int32, report: DiagnosticReport?, stale: Bool) {
        // A daemon that answers early and closes must not kill us with SIGPIPE mid-request.
        signal(SIGPIPE, SIG_IGN)
        if let uid = s.asUID {
            do {
                try Sys.dropPrivileges(uid: uid, gid: s.asGID ?? uid)
            } catch {
                printError("bkdiag status: \(ProbeError.brief(error))")
                return (2, nil, false)
            }
        }
        if let raw = s.rawRequest {
            do {
                let r = try UnixHTTPClient.request(socket: s.socket, method: raw.method, target: raw.target)
                Output.write("HTTP \(r.status)\n" + r.body)
                return (0, nil, false)
            } catch {
                Output.write("ERROR \(ProbeError.brief(error))\n")
                return (2, nil, false)
            }
        }
        do {
            let budgetMs = s.freshRun ? 60_000 : 5000
            let started = MonotonicClock.milliseconds()
            func ask(timeoutMs: Int) throws(DaemonError) -> UnixHTTPClient.Response {
                try UnixHTTPClient.request(
                    socket: s.socket, method: s.freshRun ? "POST" : "GET", target: s.freshRun ? "/run?format=json" : "/report?format=json",
                    timeoutMs: timeoutMs)
            }
            var r = try ask(timeoutMs: budgetMs)
            // Busy (every connection slot taken): asked again after the Retry-After it gives, while the budget lasts.
            while r.status == 503, let wait = r.headers["retry-after"].flatMap({ Int($0) }), wait <= 2 {
                let left = budgetMs - Int(MonotonicClock.milliseconds() - started) - wait * 1000
                guard left > 500 else { break }
                usleep(UInt32(wait) * 1_000_000)
                r = try ask(timeoutMs: left)
            }
            if r.status == 503 && s.fallback && r.body.contains("too many connections") {
                return runLocally(
                    s, because: "the daemon at \(s.socket) is busy (\(r.body.trimmingNewlines())): ran the checks locally instead")
            }
            guard r.status == 200 else {
                printError("bkdiag status: the daemon at \(s.socket) answered \(r.status): \(r.body)")
                return (1, nil, false)
            }
            let report = try DiagnosticReport(line: r.body.trimmingNewlines())
            let age = ReportAge(report: report, headers: r.headers)
            Output.write(rendered(report, s.format, age: age))
            if age.isStale && s.format != .text { printError("bkdiag status: " + age.line) }
            return (0, report, age.isStale)
        } catch let error as DaemonError where (error.code == .noDaemon || error.code == .permission) && s.fallback {
            printError("bkdiag status: \(error.message)")
            return runLocally(s, because: "ran the checks locally instead")
        } catch let error as DaemonError {
            printError("bkdiag status: \(error.message)")
            return (1, nil, false)
        } catch {
            printError("bkdiag status: \(ProbeError.brief(error))")
            return (1, nil, false)
        }
    }

    /// The fallback: says `why` on stderr, runs the checks here with the flags given, prints that report.
    private static func runLocally(_ s: StatusInvocation, because why: String) -> (
        status: Int32, report: DiagnosticReport?, stale: Bool
    ) {
        printError("bkdiag status: " + why)
        let report = DiagnosticRunner(options: s.checkOptions).runBlocking()
        Output.write(report.rendered(s.format))
        return (0, report, false)
    }

    /// The daemon's report in `format`, with its time and age: a line above the text table, fields added to
    /// the JSON line (none renamed), gauges added to the Prometheus text, and a stale report's Nagios line made
    /// UNKNOWN. check.py's compat line stays exactly check.py's (a stale report is said on stderr).
    static func rendered(_ report: DiagnosticReport, _ format: ReportFormat, age: ReportAge) -> String {
        switch format {
        case .text: return age.line + "\n" + report.rendered(.text)
        case .json:
            guard case .object(let members) = report.richJSON else { return report.rendered(.json) }
            return JSONValue.object(members + age.jsonMembers).serialized() + "\n"
        case .prometheus: return report.rendered(.prometheus) + age.prometheusText
        case .nagios: return age.nagiosText(report)
        case .compat: return report.rendered(.compat)
        }
    }

    private static func printError(_ s: String) { Output.write(s + "\n", fd: 2) }
}

extension String {
    func trimmingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
