import Foundation
import Testing

/// The JOB entry points keep the JOB contract (one JSON line, exit 0, nothing on stderr, done well inside
/// the platform checker's 100 s) in every case: `Scripts/job-check.sh` under dash and bash (CentOS's
/// /bin/sh), and the Python drop-in `packaging/job/check.py` under python3 and, where one is installed,
/// python2.7.
@Suite struct JobCheckTests {
    /// One way JOB runs the checker: an interpreter and the script.
    struct Entry: CustomTestStringConvertible, Sendable {
        let interpreter: String
        let script: String
        let source: String
        var testDescription: String {
            "\(URL(fileURLWithPath: interpreter).lastPathComponent) \(URL(fileURLWithPath: script).lastPathComponent)"
        }

        static let shell = Entry(interpreter: "/bin/sh", script: Paths.script("job-check.sh"), source: "job-check.sh")
        static let all: [Entry] = {
            var entries = [shell]
            if toolExists("bash") {
                entries.append(Entry(interpreter: "/bin/bash", script: Paths.script("job-check.sh"), source: "job-check.sh"))
            }
            let checkPy = Paths.repoTop.appendingPathComponent("packaging/job/check.py").path
            for python in [pythonInterpreter(major: 3), pythonInterpreter(major: 2)].compactMap({ $0 }) {
                entries.append(Entry(interpreter: python, script: checkPy, source: "check.py"))
            }
            return entries
        }()
    }

    let script = Paths.script("job-check.sh")

    /// Runs an entry point with no bkdiag anywhere but where the test puts it.
    func jobCheck(_ arguments: [String], bin: String? = nil, extra: [String: String] = [:], entry: Entry = .shell, in directory: URL? = nil)
        throws -> RunResult
    {
        var env = ["BKDIAG_SEARCH_PATHS": "/nonexistent/bkdiag", "BKDIAG_GSE_GLOB": "/nonexistent/gse*"]
        if let bin { env["BKDIAG_BIN"] = bin }
        return try run(entry.interpreter, [entry.script] + arguments, environment: env.merging(extra) { $1 }, in: directory)
    }

    /// The single fallback entry of a one-line report, checked against check.py's shape.
    func fallbackEntry(_ result: RunResult, source: String = "job-check.sh") throws -> [String: Any] {
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["status"] as? Bool == false)
        let data = try #require(report["data"] as? [[String: Any]])
        #expect(data.count == 1)
        let entry = try #require(data.first)
        #expect(entry["module"] as? String == "gse_agent")
        #expect(entry["item"] as? String == "bkdiag")
        #expect(entry["status"] as? Bool == false)
        #expect(entry["result"] as? String == "unknown")
        #expect(entry["source"] as? String == source)
        return entry
    }

    @Test(arguments: Entry.all)
    func everyEntryPointKeepsTheContract(entry: Entry) throws {
        let tmp = try TempDir()
        // Absent: one honest line naming where it looked, the --gse_path plugins dir included.
        let absent = try fallbackEntry(
            try jobCheck(["--subscription_id=1 --gse_path=/opt/gse_test/ -l /var/log/*.log"], entry: entry), source: entry.source)
        #expect((absent["message"] as? String)?.hasPrefix("bkdiag is not installed on this host (searched: ") == true)
        #expect((absent["message"] as? String)?.contains("/opt/gse_test/plugins/bin/bkdiag") == true)

        // Present and fine: bkdiag's line, arguments as argv (the one-string form split, nothing run by a shell).
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let fine = try jobCheck(["-s 12 -l /var/log/*.log $(touch MARK)"], bin: tmp.path("bkdiag"), entry: entry, in: tmp.url)
        #expect(fine.status == 0 && fine.lines.count == 1 && fine.stderr.isEmpty)
        // Words that are no option are joined back onto --log_paths' value (JOB splits a path at its spaces).
        #expect(jsonObject(fine.lines.first ?? "")?["args"] as? [String] == ["-s", "12", "-l", "/var/log/*.log $(touch MARK)"])
        #expect(!exists(tmp.path("MARK")), "an argument was run by a shell")

        // Garbage around the report, a broken JSON line after it: only the report is passed on.
        try write(
            "#!/bin/sh\necho 'warning: noise'\necho '{\"status\": true, \"data\": [], \"n\": 1}'\necho '{\"status\": tru'\necho '[1]'\n",
            to: tmp.path("noisy"), executable: true)
        let noisy = try jobCheck([], bin: tmp.path("noisy"), entry: entry)
        #expect(noisy.status == 0 && noisy.lines == [#"{"status": true, "data": [], "n": 1}"#])

        // Only garbage: the fallback line.
        try write("#!/bin/sh\necho 'not json'\necho '{\"status\": \"x\"}'\n", to: tmp.path("garbage"), executable: true)
        let garbage = try fallbackEntry(try jobCheck([], bin: tmp.path("garbage"), entry: entry), source: entry.source)
        #expect((garbage["message"] as? String)?.contains("printed no one-line JSON report") == true)
    }

    /// bkdiag killed by a signal: no shell message on stderr, no core file (core dumps are off for bkdiag
    /// and it runs in a directory that is removed), the fallback line names the signal.
    @Test(arguments: Entry.all)
    func bkdiagKilledByASignalLeavesNoTrace(entry: Entry) throws {
        let tmp = try TempDir()
        try FileManager.default.createDirectory(atPath: tmp.path("cwd"), withIntermediateDirectories: true)
        // Records the core limit it was given and its cwd, then dies by SIGSEGV (a core-dumping signal).
        try write(
            "#!/bin/sh\ngrep '^Max core' /proc/self/limits > \(tmp.path("limits"))\npwd > \(tmp.path("cwd.txt"))\necho partial\nkill -SEGV $$\nsleep 5\n",
            to: tmp.path("segv"), executable: true)
        // Core dumps on (as far as the hard limit allows) for the entry point itself.
        let result = try run(
            "/bin/sh",
            [
                "-c", "ulimit -c unlimited 2>/dev/null || ulimit -c \"$(ulimit -H -c)\"; exec \"$0\" \"$@\"", entry.interpreter,
                entry.script,
            ],
            environment: ["BKDIAG_BIN": tmp.path("segv"), "BKDIAG_SEARCH_PATHS": "", "BKDIAG_GSE_GLOB": ""],
            in: tmp.url.appendingPathComponent("cwd"))
        let fallback = try fallbackEntry(result, source: entry.source)
        #expect((fallback["message"] as? String)?.contains("killed by signal 11") == true)
        let limits = readText(tmp.path("limits")).split(separator: " ").filter { !$0.isEmpty }
        // "Max core file size <soft> <hard> bytes"
        #expect(limits.count >= 6 && limits[4] == "0" && limits[5] == "0", "core limit: \(limits)")
        let cwd = readText(tmp.path("cwd.txt")).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!cwd.isEmpty && cwd != tmp.path("cwd"))
        #expect(!exists(cwd), "bkdiag's working directory \(cwd) was left behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("cwd")).isEmpty)
    }

    /// Killed by SIGKILL long before the limit (the OOM killer): said so, not "did not finish within 20s".
    @Test func anEarlySIGKILLIsNotCalledATimeout() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\nkill -KILL $$\n", to: tmp.path("oom"), executable: true)
        let result = try run(
            "/bin/sh", [Paths.script("job-check.sh")],
            environment: ["BKDIAG_BIN": tmp.path("oom"), "BKDIAG_SEARCH_PATHS": "", "BKDIAG_GSE_GLOB": ""],
            in: tmp.url)
        let fallback = try fallbackEntry(result, source: "job-check.sh")
        let message = fallback["message"] as? String ?? ""
        #expect(message.contains("killed by signal 9") && !message.contains("did not finish"), "\(message)")
    }

    /// A bkdiag that ignores SIGTERM is killed: the entry point ends within the 30 s bound.
    @Test(arguments: Entry.all)
    func hangingBkdiagIsStoppedWithinTheBound(entry: Entry) throws {
        let tmp = try TempDir()
        try write(
            "#!/bin/sh\ntrap '' TERM\necho $$ > \(tmp.path("pid"))\nwhile :; do sleep 1; done\n", to: tmp.path("slow"), executable: true)
        let started = Date()
        let entryValue = try fallbackEntry(
            try jobCheck([], bin: tmp.path("slow"), extra: ["BKDIAG_TIMEOUT": "1"], entry: entry), source: entry.source)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect((entryValue["message"] as? String)?.contains("did not finish within 1s") == true)
        let pid = try #require(Int32(readText(tmp.path("pid")).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(eventually { !isAlive(pid) }, "the hung bkdiag \(pid) is still running")
    }

    @Test(arguments: [
        // JOB's one-string form, split on blanks; globs and shell syntax stay literal (the words after -l's
        // value that are no option are joined back onto it, as check.py joins them).
        (
            ["--gse_path=/x;touch MARK -l /var/log/*.log $(touch MARK) `touch MARK`"],
            ["--gse_path=/x;touch", "MARK", "-l", "/var/log/*.log $(touch MARK) `touch MARK`"]
        ),
        (["-l"], ["-l"]), (["-l", "-s", "1"], ["-l", "-s 1"]), (["-l/a", "b", "-s", "1", "x"], ["-l/a b", "-s", "1", "x"]),
        // Separate parameters pass through unchanged, blanks inside included.
        (
            ["-s", "12", "-l", "/data/my logs/*.log", "--gse_path=/usr/local/gse/--collector_config_id=45"],
            ["-s", "12", "-l", "/data/my logs/*.log", "--gse_path=/usr/local/gse/--collector_config_id=45"]
        ),
        ([], []),
    ])
    func argumentsReachBkdiagUnchanged(arguments: [String], expected: [String]) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let result = try run(
            "/bin/sh", [script] + arguments,
            environment: [
                "BKDIAG_BIN": tmp.path("bkdiag"), "BKDIAG_SEARCH_PATHS": "", "BKDIAG_GSE_GLOB": "/nonexistent",
            ], in: tmp.url)
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["args"] as? [String] == expected)
        #expect(!exists(tmp.path("MARK")), "an argument was run by a shell")
    }

    /// JOB appends the platform's argument string to the command unquoted: a log path with a space
    /// reaches the entry point as several words, which both join back onto --log_paths' value.
    @Test(arguments: Entry.all)
    func aLogPathSplitAtItsSpaceIsJoinedBack(entry: Entry) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let split = try jobCheck(
            ["-s", "1", "--log_paths=/data/my", "logs/*.log,/b", "c.log", "--gse_path=/x", "-l", "/d", "e/*.log"], bin: tmp.path("bkdiag"),
            entry: entry)
        #expect(
            jsonObject(split.lines.first ?? "")?["args"] as? [String] == [
                "-s", "1", "--log_paths=/data/my logs/*.log,/b c.log", "--gse_path=/x", "-l", "/d e/*.log",
            ], "\(split.stdout)")
    }

    /// JOB's words are unquoted, so the host's shell expands `-l /data/app/*.log` into the files it matches: each
    /// word that is itself an absolute path is a further path (joined with a comma), not the rest of one.
    @Test(arguments: Entry.all)
    func aShellExpandedGlobGivesOnePathPerFile(entry: Entry) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let expanded = try jobCheck(
            ["-s", "1", "-l", "/data/app/a.log", "/data/app/b.log", "/data/my", "logs/c.log", "--log_paths=/x/a.log", "/x/b.log"],
            bin: tmp.path("bkdiag"), entry: entry)
        #expect(
            jsonObject(expanded.lines.first ?? "")?["args"] as? [String] == [
                "-s", "1", "-l", "/data/app/a.log,/data/app/b.log,/data/my logs/c.log", "--log_paths=/x/a.log,/x/b.log",
            ], "\(expanded.stdout)")
    }

    @Test(arguments: Entry.all)
    func aBkdiagThatMayNotBeExecutedIsNamedAsSuch(entry: Entry) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: false)
        let fallback = try fallbackEntry(try jobCheck(["-s", "1"], bin: tmp.path("bkdiag"), entry: entry), source: entry.source)
        let message = try #require(fallback["message"] as? String)
        #expect(message.contains("is at \(tmp.path("bkdiag")) but may not be executed"), "\(message)")
    }

    /// JOB runs the script file itself: check.py's first line finds a Python, and it still keeps the contract.
    @Test func checkPyRunsAsAFileThroughItsOwnFirstLine() throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("bkdiag"), executable: true)
        let checkPy = Paths.repoTop.appendingPathComponent("packaging/job/check.py").path
        #expect(FileManager.default.isExecutableFile(atPath: checkPy))
        let result = try run(
            checkPy, ["-s", "1"],
            environment: ["BKDIAG_BIN": tmp.path("bkdiag"), "BKDIAG_SEARCH_PATHS": "", "BKDIAG_GSE_GLOB": "/nonexistent"], in: tmp.url)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.lines.count == 1)
        #expect(jsonObject(result.lines.first ?? "")?["args"] as? [String] == ["-s", "1"])
        // ASCII only: Python 2 refuses a source file with other bytes and no coding line.
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkPy)).allSatisfy { $0 < 0x80 })
        // Pythons that start but cannot run the script (here: a PYTHONHOME with no standard library) exit 1: the
        // next is tried, and with none left one line says so, where before the header ended with nothing printed.
        let broken = try run(
            checkPy, ["-s", "1"],
            environment: ["BKDIAG_BIN": tmp.path("bkdiag"), "PYTHONHOME": tmp.path("no-python-home")], in: tmp.url)
        #expect(broken.status == 0 && broken.lines.count == 1, "\(broken.stdout) \(broken.stderr)")
        let report = jsonObject(broken.lines.first ?? "")
        #expect(report?["status"] as? Bool == false)
        let message = (report?["data"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        #expect(message.hasPrefix("check.py ran no Python that could run it"), "\(message)")
    }

    @Test(arguments: Entry.all)
    func findsBkdiagBesideTheGSEPlugins(entry: Entry) throws {
        let tmp = try TempDir()
        try write(fakeBkdiag, to: tmp.path("gse/plugins/bin/bkdiag"), executable: true)
        let viaFlag = try jobCheck(["-p", tmp.path("gse"), "-s", "1"], entry: entry)
        #expect(jsonObject(viaFlag.lines.first ?? "")?["args"] as? [String] == ["-p", tmp.path("gse"), "-s", "1"])
        let glued = try jobCheck(["--gse_path=\(tmp.path("gse"))/--collector_config_id=45"], entry: entry)
        #expect(jsonObject(glued.lines.first ?? "")?["args"] as? [String] == ["--gse_path=\(tmp.path("gse"))/--collector_config_id=45"])
        let viaGlob = try jobCheck(["-s", "1"], extra: ["BKDIAG_GSE_GLOB": tmp.path("gs*")], entry: entry)
        #expect(jsonObject(viaGlob.lines.first ?? "")?["args"] as? [String] == ["-s", "1"])
    }

    /// JOB stopping the script (SIGTERM to its process group) while bkdiag runs still gets check.py's one line
    /// through its sh header: the header does not capture Python's output (the shell dies with the group).
    @Test func checkPyStoppedByJOBStillPrintsItsLine() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\necho $$ > \(tmp.path("pid"))\nwhile :; do sleep 1; done\n", to: tmp.path("slow"), executable: true)
        let checkPy = Paths.repoTop.appendingPathComponent("packaging/job/check.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        p.arguments = [checkPy, "-s", "1"]
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "BKDIAG_BIN": tmp.path("slow")]
        p.currentDirectoryURL = tmp.url
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        #expect(eventually { exists(tmp.path("pid")) }, "bkdiag never started")
        kill(-p.processIdentifier, SIGTERM)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "\(text)")
        #expect(jsonObject(String(lines.first ?? ""))?["status"] as? Bool == false, "\(text)")
    }

    /// Without coreutils' timeout (busybox hosts) job-check.sh bounds bkdiag with its own watchdog.
    @Test func shellWithoutTimeoutStillStopsAHangingBkdiag() throws {
        let tmp = try TempDir()
        try FileManager.default.createDirectory(atPath: tmp.path("bin"), withIntermediateDirectories: true)
        for tool in ["mktemp", "rm", "grep", "tail", "tr", "cut", "sed", "sleep"] {
            let path = try #require(["/usr/bin/\(tool)", "/bin/\(tool)"].first { FileManager.default.isExecutableFile(atPath: $0) })
            try FileManager.default.createSymbolicLink(atPath: tmp.path("bin/\(tool)"), withDestinationPath: path)
        }
        try write(
            "#!/bin/sh\ntrap '' TERM\necho $$ > \(tmp.path("pid"))\nwhile :; do sleep 1; done\n", to: tmp.path("slow"), executable: true)
        let started = Date()
        let entry = try fallbackEntry(try jobCheck([], bin: tmp.path("slow"), extra: ["BKDIAG_TIMEOUT": "1", "PATH": tmp.path("bin")]))
        #expect(Date().timeIntervalSince(started) < 30)
        #expect((entry["message"] as? String)?.contains("did not finish within 1s") == true)
        let pid = try #require(Int32(readText(tmp.path("pid")).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(eventually { !isAlive(pid) })
    }

    @Test(arguments: Entry.all)
    func failingBkdiagGivesAFallbackLine(entry: Entry) throws {
        let tmp = try TempDir()
        try write(
            "#!/bin/sh\necho 'fatal: \"broken\" \\ here' >&2\necho \"Run 'bkdiag --help' for the options.\" >&2\nexit 3\n",
            to: tmp.path("bad"), executable: true)
        let fallback = try fallbackEntry(try jobCheck([], bin: tmp.path("bad"), entry: entry), source: entry.source)
        let message = try #require(fallback["message"] as? String)
        #expect(message.contains("exited with status 3"))
        #expect(message.contains("fatal: \"broken\" \\ here"))
    }

    /// A line that starts as bkdiag's report but whose `data` is no list is no report: the platform's checker
    /// would log the host as 成功 and then fail on `for step in data`.
    @Test(arguments: Entry.all)
    func aLineWhoseDataIsNoListGivesAFallbackLine(entry: Entry) throws {
        let tmp = try TempDir()
        try write(
            "#!/bin/sh\necho '{\"status\": true, \"data\": 5}'\necho '{\"status\": true, \"result\": []}'\n",
            to: tmp.path("odd"), executable: true)
        let fallback = try fallbackEntry(try jobCheck([], bin: tmp.path("odd"), entry: entry), source: entry.source)
        #expect((fallback["message"] as? String)?.contains("printed no one-line JSON report") == true, "\(fallback)")
    }

    @Test func silentOrPrettyPrintingBkdiagGivesAFallbackLine() throws {
        let tmp = try TempDir()
        try write("#!/bin/sh\nprintf '{\\n  \"status\": true\\n}\\n'\n", to: tmp.path("pretty"), executable: true)
        let entry = try fallbackEntry(try jobCheck([], bin: tmp.path("pretty")))
        #expect((entry["message"] as? String)?.contains("printed no one-line JSON report") == true)
    }

    @Test(.enabled(if: Paths.hasDebugBinary), arguments: Entry.all)
    func runsTheBuiltBkdiag(entry: Entry) throws {
        let tmp = try TempDir()
        // In the C locale, as JOB's agent may run it: Python 2 and 3.6 then write ASCII unless told otherwise.
        let result = try jobCheck(
            ["--gse_path=\(tmp.path("gse"))/ --subscription_id=0"], bin: Paths.binDir.appendingPathComponent("bkdiag").path,
            extra: ["LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": ""], entry: entry)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.lines.count == 1)
        let report = try #require(jsonObject(result.lines.first ?? ""))
        #expect(report["status"] is Bool)
        let data = try #require(report["data"] as? [[String: Any]])
        // bkdiag's own report, its Chinese labels intact, not the wrapper's fallback entry.
        #expect(data.count > 1 && data.allSatisfy { $0["item"] as? String != "bkdiag" }, "\(result.stdout.prefix(300))")
        #expect(data.contains { ($0["label"] as? String)?.contains("检查") == true })
    }
}
