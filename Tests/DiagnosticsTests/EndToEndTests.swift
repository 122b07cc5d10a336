import Foundation
import Report
import TestSupport
import Testing

/// Runs the built `bkdiag` binary on a fake host, as JOB would.
@Suite("bkdiag binary end to end")
struct EndToEndTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func bkdiag(_ args: [String]) async throws -> Run {
        let r = try await ProgramRun.run(BuildProducts.path("bkdiag"), args)
        #expect(!r.timedOut, "bkdiag \(args) was still running after 120 s")
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    @Test("healthy host: one JSON line the central parser accepts, exit 0, glued flags recovered")
    func healthy() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let r = try await bkdiag([
            "--subscription_id=33561", "--ipc_socket_file", host.ipcPath, "--gse_path=\(host.gseRoot)/--collector_config_id=45",
            "--log_paths=\(host.logDir)/app/*.log", "--data-port", String(port), "--host-root", host.dir,
            "--restart-log", host.restartLog,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let report = try DiagnosticReport(line: String(lines[0]))
        #expect(report.results.count == CheckID.allCases.count)
        #expect(report.status, "\(r.stdout)")
        let ctx = JSONValue.object(report.context)
        #expect(ctx["collector_config_id"] == .int(45))
        #expect(ctx["gse_root"] == .string(host.gseRoot))
    }

    @Test("broken host: still exit 0 under the JOB contract; --exit-code gives the Nagios code")
    func broken() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let args = ["-s", "9", "-p", host.gseRoot, "--host-root", host.dir, "--restart-log", host.restartLog]
        let r = try await bkdiag(args)
        #expect(r.status == 0)
        let report = try DiagnosticReport(line: r.stdout.trimmingCharacters(in: .newlines))
        #expect(!report.status)
        #expect(report.result(module: "bkunifylogbeat", item: "process")?.message == "bkunifylogbeat is not running")
        let n = try await bkdiag(args + ["--exit-code", "--format", "nagios"])
        #expect(n.status == 2)
        #expect(n.stdout.hasPrefix("BKDIAG CRITICAL"))
        let c = try await bkdiag(args + ["--format", "compat"])
        let compat = try JSONValue.parse(c.stdout.trimmingCharacters(in: .newlines))
        #expect(compat.objectValue?.map(\.0) == ["status", "data"])
    }

    @Test("a report that cannot be written (stdout closed, a full disk) exits 74 saying so, never 0")
    func reportNotWritten() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let bin = BuildProducts.path("bkdiag")
        for (redirect, why) in [(">/dev/full", "No space left on device"), (">&-", "stdout is closed")] {
            let r = try await ProgramRun.run("/bin/sh", ["-c", "exec \"$0\" -s 9 -p \"$1\" \(redirect)", bin, host.gseRoot])
            #expect(r.status == 74, "\(redirect): \(r.stderr)")
            #expect(r.stderr.contains("the report could not be written to stdout: \(why)"), "\(redirect): \(r.stderr)")
        }
        // A reader that stops early (| head) is no failure.
        let piped = try await ProgramRun.run(
            "/bin/sh", ["-c", "\"$0\" -s 9 -p \"$1\" --format text | head -c 1 >/dev/null", bin, host.gseRoot])
        #expect(piped.stderr.isEmpty, "\(piped.stderr)")
    }

    @Test(
        "bad flags exit 2 with a clear message and print no report",
        arguments: [["--bogus"], ["-s", "abc"], ["--format", "xml"], ["--timeout", "-1"]])
    func badFlags(args: [String]) async throws {
        let r = try await bkdiag(args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("bkdiag: "))
    }

    @Test("--help shows the command's own help", arguments: [["--help"], ["check", "--help"], ["help", "check"]])
    func help(args: [String]) async throws {
        let r = try await bkdiag(args)
        #expect(r.status == 0)
        if args == ["--help"] {
            #expect(r.stdout.contains("check (default)") && r.stdout.contains("daemon"), "\(r.stdout)")
        } else {
            #expect(r.stdout.contains("--subscription_id"), "\(r.stdout)")
        }
        #expect(!r.stdout.contains("Show subcommand help information"))
    }

    @Test("--version prints version and commit")
    func version() async throws {
        let r = try await bkdiag(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix(BuildInfo.version + " ("))
    }
}
