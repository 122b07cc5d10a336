import Foundation
import Testing

/// `Scripts/job-check.sh`: the JOB entry point keeps the JOB contract (one JSON line, exit 0) in every case.
@Suite struct JobCheckTests {
    let script = Paths.script("job-check.sh")

    /// Runs job-check.sh with no bkdiag anywhere but where the test puts it.
    func jobCheck(_ arguments: [String], bin: String? = nil, extra: [String: String] = [:]) throws -> RunResult {
        var env = ["BKDIAG_SEARCH_PATHS": "/nonexistent/bkdiag", "BKDIAG_GSE_GLOB": "/nonexistent/gse*"]
        if let bin { env["BKDIAG_BIN"] = bin }
        return try run("/bin/sh", [script] + arguments, environment: env.merging(extra) { $1 })
    }

    /// The single fallback entry of a one-line report, checked against check.py's shape.
    func fallbackEntry(_ result: RunResult) throws -> [String: Any] {
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["status"] as? Bool == false)
        let data = try #require(report["data"] as? [[String: Any]])
        #expect(data.count == 1)
        let entry = try #require(data.first)
        #expect(entry["module"] as? String == "gse_agent")
        #expect(entry["item"] as? String == "bkdiag")
        #expect(entry["status"] as? Bool == false)
        #expect(entry["result"] as? String == "unknown")
        return entry
    }

    @Test func missingBkdiagPrintsOneLineReportAndExitsZero() throws {
        let result = try jobCheck(["--subscription_id=1 --gse_path=/opt/gse_test/ -l /var/log/*.log"])
        let entry = try fallbackEntry(result)
        let message = try #require(entry["message"] as? String)
        #expect(message.hasPrefix("bkdiag is not installed on this host (searched: "))
        #expect(message.contains("/opt/gse_test/plugins/bin/bkdiag"))
    }

    @Test(arguments: [
        // JOB's one-string form, split on blanks; globs and shell syntax stay literal.
        (["--gse_path=/x;touch MARK -l /var/log/*.log $(touch MARK) `touch MARK`"],
         ["--gse_path=/x;touch", "MARK", "-l", "/var/log/*.log", "$(touch", "MARK)", "`touch", "MARK`"]),
        // Separate parameters pass through unchanged, blanks inside included.
        (["-s", "12", "-l", "/data/my logs/*.log", "--gse_path=/usr/local/gse/--collector_config_id=45"],
         ["-s", "12", "-l", "/data/my logs/*.log", "--gse_path=/usr/local/gse/--collector_config_id=45"]),
        ([], []),
    ])
    func argumentsReachBkdiagUnchanged(arguments: [String], expected: [String]) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let result = try run("/bin/sh", [script] + arguments, environment: [
            "BKDIAG_BIN": tmp.path("bkdiag"), "BKDIAG_SEARCH_PATHS": "", "BKDIAG_GSE_GLOB": "/nonexistent",
        ], in: tmp.url)
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["args"] as? [String] == expected)
        #expect(!exists(tmp.path("MARK")), "an argument was run by a shell")
    }

    @Test func findsBkdiagBesideTheGSEPlugins() throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("gse/plugins/bin/bkdiag"), executable: true)
        let viaFlag = try jobCheck(["-p", tmp.path("gse"), "-s", "1"])
        #expect(jsonObject(viaFlag.lines.first ?? "")?["args"] as? [String] == ["-p", tmp.path("gse"), "-s", "1"])
        let viaGlob = try jobCheck(["-s", "1"], extra: ["BKDIAG_GSE_GLOB": tmp.path("gs*")])
        #expect(jsonObject(viaGlob.lines.first ?? "")?["args"] as? [String] == ["-s", "1"])
    }

    @Test func failingBkdiagGivesAFallbackLine() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\necho 'fatal: \"broken\" \\ here' >&2\nexit 3\n", to: tmp.path("bad"), executable: true)
        let entry = try fallbackEntry(try jobCheck([], bin: tmp.path("bad")))
        let message = try #require(entry["message"] as? String)
        #expect(message.contains("exited with status 3"))
        #expect(message.contains("fatal: \"broken\" \\ here"))
    }

    @Test func silentOrPrettyPrintingBkdiagGivesAFallbackLine() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\nprintf '{\\n  \"status\": true\\n}\\n'\n", to: tmp.path("pretty"), executable: true)
        let entry = try fallbackEntry(try jobCheck([], bin: tmp.path("pretty")))
        #expect((entry["message"] as? String)?.contains("printed no one-line JSON report") == true)
    }

    @Test(.enabled(if: toolExists("timeout")))
    func hangingBkdiagIsStopped() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\nexec sleep 60\n", to: tmp.path("slow"), executable: true)
        let started = Date()
        let entry = try fallbackEntry(try jobCheck([], bin: tmp.path("slow"), extra: ["BKDIAG_TIMEOUT": "1"]))
        #expect(Date().timeIntervalSince(started) < 30)
        #expect((entry["message"] as? String)?.contains("did not finish within 1s") == true)
    }

    @Test(.enabled(if: Paths.hasDebugBinary))
    func runsTheBuiltBkdiag() throws {
        let tmp = try TempDir()
        let result = try jobCheck(
            ["--gse_path=\(tmp.path("gse"))/ --subscription_id=0"], bin: Paths.binDir.appendingPathComponent("bkdiag").path)
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["status"] is Bool)
        #expect(report["data"] is [Any])
    }
}
