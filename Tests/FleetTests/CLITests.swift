import Foundation
import Report
import TestSupport
import Testing

@testable import Fleet

/// The built `bkdiag-fleet` binary end to end: files in, outputs and exit codes out.
/// No `.timeLimit`: its timer waits on the pool the suite's blocking tests hold (see the README's tests section).
@Suite(.ownThreads) struct CLITests {
    static func binary() -> String? {
        var candidates: [URL] = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<3 { dir = dir.deletingLastPathComponent() }
        candidates.append(dir.appendingPathComponent(".build/debug"))
        for c in candidates {
            let p = c.appendingPathComponent("bkdiag-fleet").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// A new directory under the temporary directory.
    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func run(_ args: [String], env: [String: String] = [:]) async throws -> (Int32, String, String) {
        let bin = try #require(Self.binary(), "bkdiag-fleet is built by swift test")
        let r = try await ProgramRun.run(bin, args, environment: env, timeout: 50)
        #expect(!r.timedOut, "bkdiag-fleet \(args) was still running after 50 s")
        return (r.status, r.stdout, r.stderr)
    }

    @Test func parseFilesToEveryFormatAndHistory() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = [
            ("s.json", Fixtures.wrap(Fixtures.mixedStatus)), ("l1.json", Fixtures.wrap(Fixtures.mixedLogsPage1)),
            ("l2.json", Fixtures.mixedLogsPage2),
        ]
        for (name, doc) in files { try doc.serialized().write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        let paths = files.map { "\(dir)/\($0.0)" }

        let (code, out, _) = try await run(["parse"] + paths + ["--format", "agent", "--strict-agent"])
        #expect(code == 0)
        #expect(out == ParseGoldenTests.agentCheckerGolden)

        let (strict, table, _) = try await run(["parse"] + paths + ["--strict", "--html", "\(dir)/f.html", "--json", "\(dir)/f.json"])
        #expect(strict == 1)
        #expect(table.contains("FAILURE GROUPS (7)"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/f.html"))
        let side = try JSONValue.parse(String(contentsOfFile: "\(dir)/f.json", encoding: .utf8))["hosts"]
        #expect(side?.arrayValue?.count == 10)
        // The JSON written beside the table holds every entry's text, as the JSON format does (the table
        // alone reads outputs without the passing entries' texts).
        #expect(try await run(["parse"] + paths + ["--format", "json", "-o", "\(dir)/g.json"]).0 == 0)
        let whole = try JSONValue.parse(String(contentsOfFile: "\(dir)/g.json", encoding: .utf8))["hosts"]
        #expect(side == whole)
        #expect(side?.serialized().contains("pid 77 up 3d") == true)
        // Without evidence (as on a large input) the JSON format writes each report's results while it reads the
        // answers; the same text as the JSON written whole beside the platform's lines.
        #expect(try await run(["parse"] + paths + ["--format", "json", "--evidence", "never", "-o", "\(dir)/r.json"]).0 == 0)
        #expect(
            try await run(["parse"] + paths + ["--format", "agent", "--evidence", "never", "--json", "\(dir)/w.json", "-o", "/dev/null"]).0
                == 0)
        func withoutTime(_ path: String) throws -> String {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.contains("\"generated_at\"") }.joined(
                separator: "\n")
        }
        #expect(try withoutTime("\(dir)/r.json") == withoutTime("\(dir)/w.json"))
        #expect(try withoutTime("\(dir)/r.json").contains("pid 77 up 3d"))

        let db = "\(dir)/h.sqlite"
        #expect(try await run(["parse", paths[0], paths[1], "--store", "--db", db]).0 == 0)
        #expect(try await run(["parse"] + paths + ["--store", "--db", db]).0 == 0)
        let (dcode, diff, _) = try await run(["diff", "--db", db])
        #expect(dcode == 0)
        // Page 2's hosts were missing from the first run.
        #expect(diff.contains("0:10.0.0.7") && diff.contains("missing_log -> fail"))
    }

    /// An output that cannot be written (a full disk: /dev/full) ends the command with `output.write` and
    /// exit 2 in every format: before, three formats crashed (FileHandle's `try!`) and two exited 0 having
    /// written nothing.
    @Test(arguments: ["table", "json", "agent", "markdown", "html"])
    func aFailedWriteExitsTwo(format: String) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Fixtures.wrap(Fixtures.mixedStatus).serialized().write(toFile: "\(dir)/s.json", atomically: true, encoding: .utf8)
        try Fixtures.wrap(Fixtures.mixedLogsPage1).serialized().write(toFile: "\(dir)/l.json", atomically: true, encoding: .utf8)
        let bin = try #require(Self.binary())
        let files = ["\(dir)/s.json", "\(dir)/l.json"]
        let toStdout = try await ProgramRun.run(
            "/bin/sh", ["-c", "exec \"$0\" \"$@\" > /dev/full", bin, "parse"] + files + ["-f", format], timeout: 50)
        #expect(toStdout.status == 2 && toStdout.stderr.contains("[output.write]"), "\(format): \(toStdout.status) \(toStdout.stderr)")
        let (status, _, err) = try await run(["parse"] + files + ["-f", format, "-o", "/dev/full"])
        #expect(status == 2 && err.contains("cannot write /dev/full") && err.contains("[output.write]"), "\(format): \(err)")
    }

    /// A run where JOB failed before any host was known is not stored: in `diff` it would read as every host
    /// gone, and the next run's as all new. `history` of a database never made is an error, not an empty list.
    @Test func aJobFailureWithNoHostIsNotStored() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let answer = "{\"result\": false, \"code\": 1240002, \"message\": \"job instance not found\", \"data\": null}"
        try answer.write(toFile: "\(dir)/s.json", atomically: true, encoding: .utf8)
        let (status, out, err) = try await run(["parse", "\(dir)/s.json", "--store", "--db", "\(dir)/h.sqlite"])
        #expect(status == 0 && out.contains("JOB failed before any host verdict"), "\(out)")
        #expect(err.contains("not stored: JOB failed before any host was known"), "\(err)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/h.sqlite"))
        let (hstatus, _, herr) = try await run(["history", "--db", "\(dir)/h.sqlite"])
        #expect(hstatus == 2 && herr.contains("[history.missing]"), "\(herr)")
    }

    /// `-o`, `--json` and `--html` open the path as the shell's `>` does: a symlink's target is written, a FIFO
    /// is written into, and neither is replaced by a new file (which, as root, turned `-o /dev/null` into a file).
    @Test func outputPathsAreWrittenIntoNotReplaced() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/s.json"
        try Fixtures.wrap(Fixtures.mixedStatus).serialized().write(toFile: input, atomically: true, encoding: .utf8)
        try "old".write(toFile: "\(dir)/target.txt", atomically: true, encoding: .utf8)
        try #require(symlink("target.txt", "\(dir)/link.txt") == 0)
        #expect(try await run(["parse", input, "-o", "\(dir)/link.txt", "--json", "\(dir)/link.txt"]).0 == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/link.txt")) == "target.txt")
        let written = try String(contentsOfFile: "\(dir)/target.txt", encoding: .utf8)
        #expect(written.hasPrefix("{") && written.contains("\"schema\": \"bkdiag.fleet/1\""), "\(written.prefix(80))")
        // A FIFO with a reader already waiting: the HTML page arrives through it, and it is still a FIFO.
        try #require(mkfifo("\(dir)/pipe", 0o600) == 0)
        let reader = open("\(dir)/pipe", O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        let (status, _, err) = try await run(["parse", input, "--html", "\(dir)/pipe"])
        #expect(status == 0, "\(err)")
        var page: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(reader, &buf, buf.count)
            if n <= 0 { break }
            page += buf[0..<n]
        }
        #expect(String(decoding: page, as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
        var st = stat()
        #expect(lstat("\(dir)/pipe", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
    }

    @Test(arguments: [
        ("garbage", "input.not-json"), ("", "input.empty"), ("{\"data\": {\"script_task_logs\": 3}, \"code\": 0}", "input.type"),
    ])
    func badInputExitsTwo(text: String, code: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, out, err) = try await run(["parse", path])
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err.contains("[\(code)]") && err.contains(path))
    }

    @Test func runWithoutSettingsExitsTwoAndNamesTheVariables() async throws {
        let (status, _, err) = try await run(
            ["run", "--hosts", "10.0.0.1"], env: ["BKDIAG_JOB_APP_SECRET": "", "BKDIAG_JOB_BASE_URL": ""])
        #expect(status == 2)
        #expect(err.contains("BKDIAG_JOB_BASE_URL"))
    }

    @Test(arguments: [
        "--request-timeout=nan", "--request-timeout=1e300", "--request-timeout=-1", "--deadline=-1e300", "--deadline=nan",
        "--poll=1e300", "--max-poll=inf",
    ])
    func runRejectsDurationsThatAreNotSeconds(flag: String) async throws {
        // Settings that would reach JOB (a refused port): the bad flag must stop the run first, as a usage error.
        let env = [
            "BKDIAG_JOB_BASE_URL": "http://127.0.0.1:9/", "BKDIAG_JOB_APP_CODE": "bkdiag", "BKDIAG_JOB_APP_SECRET": "s",
            "BKDIAG_JOB_BIZ_ID": "2", "BKDIAG_JOB_USERNAME": "admin",
        ]
        let (status, _, err) = try await run(["run", "--hosts", "10.0.0.1", "--script", "/dev/null", "--no-store", flag], env: env)
        #expect(status == 2, "\(flag): \(err)")
        #expect(err.contains(String(flag.prefix { $0 != "=" })), "\(err)")
    }

    @Test func runAgainstTheFakeJobServer() async throws {
        let server = try await FakeJobServer { req, _ in
            switch req.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 31), ("step_instance_id", 32)]))
            case "get_job_instance_status":
                return .ok(
                    Fixtures.status(
                        [Fixtures.host(0, "10.0.9.1", status: 9, id: 1), Fixtures.host(0, "10.0.9.2", status: 9, id: 2)], job: 31, step: 32)
                )
            default:
                return .ok(
                    Fixtures.logs(
                        [
                            Fixtures.log(0, "10.0.9.1", Fixtures.healthyRich, id: 1),
                            Fixtures.log(0, "10.0.9.2", Fixtures.checkPyLine(processOK: false), id: 2),
                        ], job: 31, step: 32))
            }
        }
        defer { Task { try? await server.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cli-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "#!/bin/sh\nexec bkdiag check \"$@\"\n".write(toFile: "\(dir)/job-check.sh", atomically: true, encoding: .utf8)
        let secret = "cli-secret-value"
        let env = [
            "BKDIAG_JOB_BASE_URL": server.baseURL, "BKDIAG_JOB_APP_CODE": "bkdiag", "BKDIAG_JOB_APP_SECRET": secret,
            "BKDIAG_JOB_BIZ_ID": "2", "BKDIAG_JOB_USERNAME": "admin",
        ]
        let (code, out, err) = try await run(
            [
                "run", "--hosts", "10.0.9.1,0:10.0.9.2", "--script", "\(dir)/job-check.sh", "--poll", "0.05", "--format", "agent",
                "--params", "--subscription_id=123 --gse_path=/usr/local/gse/", "--db", "\(dir)/h.sqlite", "--verbose",
                // A file where the answers' directory should be: nothing can be kept, and the agent lines have no
                // place to say so, so stderr does.
                "--save-answers", "\(dir)/job-check.sh",
            ], env: env)
        #expect(code == 0)
        #expect(err.contains("bkdiag-fleet: warning: cannot keep \(dir)/job-check.sh/"), "\(err)")
        #expect(out.contains("[info] [agent checker] [获取作业执行状态] 作业: 31, 执行次数: 1"))
        #expect(out.contains("[error] [agent checker] [0:10.0.9.2] 失败, 查看详情"))
        #expect(err.contains("stored as run 1"))
        #expect(!out.contains(secret) && !err.contains(secret))
        let exec = try #require(server.requests.first { $0.endpoint == "fast_execute_script" })
        let script = try #require(exec.json["script_content"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(String(decoding: script, as: UTF8.self).contains("exec bkdiag check"))
        // The argument string that starts with dashes is taken whole, as docs/fleet.md shows it.
        let params = try #require(exec.json["script_param"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(String(decoding: params, as: UTF8.self) == "--subscription_id=123 --gse_path=/usr/local/gse/")
    }

    @Test(arguments: [["run", "--no-such-flag"], ["parse", "--format", "yaml"], ["run", "--params"]])
    func usageErrorsExitTwo(args: [String]) async throws {
        let (status, out, err) = try await run(args)
        #expect(status == 2, "\(args): \(err)")
        #expect(out.isEmpty)
        #expect(err.contains("Error:") || err.contains("error:"), "\(err)")
    }
}
