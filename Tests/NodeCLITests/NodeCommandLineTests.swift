import Diagnostics
import Report
import Testing

@testable import NodeCLI

/// bkdiag's command line, word by word: check.py's forms, bkdiag's own flags, and garbage.
@Suite("bkdiag command line")
struct NodeCommandLineTests {
    func check(_ argv: [String]) throws -> CheckInvocation {
        guard case .check(let c) = try NodeCommandLine.parse(argv) else {
            Issue.record("\(argv) is not a check run")
            throw UsageError("not a check run")
        }
        return c
    }

    func usageError(_ argv: [String]) -> String? {
        do {
            _ = try NodeCommandLine.parse(argv)
            return nil
        } catch {
            return error.message
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var argv: [String]
        var gsePath: String?
        var subscription: Int64 = 0
        var ipc: String?
        var configID: Int64?
        var logPaths: [String]?
        var testDescription: String { argv.joined(separator: " ") }
    }

    @Test(
        "check.py's flags in every form JOB sends them",
        arguments: [
            Case(argv: []),
            Case(argv: ["--once"]),
            Case(argv: ["--gse_path=/usr/local/gse/", "--subscription_id=33561"], gsePath: "/usr/local/gse/", subscription: 33561),
            Case(argv: ["--gse_path", "/opt/gse", "--subscription_id", "7"], gsePath: "/opt/gse", subscription: 7),
            Case(
                argv: ["-p", "/opt/gse", "-s", "7", "-i", "/run/ipc", "-c", "45", "-l", "/a/*.log"],
                gsePath: "/opt/gse", subscription: 7, ipc: "/run/ipc", configID: 45, logPaths: ["/a/*.log"]),
            Case(argv: ["-p/opt/gse", "-s7", "-c=45"], gsePath: "/opt/gse", subscription: 7, configID: 45),
            // The central side's bug: a value glued to the next option.
            Case(
                argv: ["--gse_path=/usr/local/gse/--collector_config_id=45", "--subscription_id=1"],
                gsePath: "/usr/local/gse/", subscription: 1, configID: 45),
            // The whole argument string as one word.
            Case(
                argv: ["--subscription_id=12 --gse_path=/x --log_paths=/var/log/a b.log,/c/*.log"],
                gsePath: "/x", subscription: 12, logPaths: ["/var/log/a b.log", "/c/*.log"]),
            // A repeated option keeps the last value, as argparse does.
            Case(argv: ["-s", "1", "--subscription_id=2"], subscription: 2),
            // Negative numbers are values, not options.
            Case(argv: ["--subscription_id", "-5"], subscription: -5),
            // Empty values are values.
            Case(argv: ["--gse_path="], gsePath: ""),
            Case(argv: ["--log_paths", "/日志/空 格/*.log,/tmp/$(reboot)/*"], logPaths: ["/日志/空 格/*.log", "/tmp/$(reboot)/*"]),
            // An empty or blank log path list is none, as in check.py: the log_path checks do not run. Only
            // commas is a list given that names no path ("日志采集路径为空").
            Case(argv: ["--log_paths="]),
            Case(argv: ["-l", "  "]),
            Case(argv: ["--log_paths=,,"], logPaths: []),
            Case(argv: ["check", "-s", "3", "--"], subscription: 3),
            // Read as check.py's optparse reads them: unique prefixes of long options, words after `--` and
            // stray words skipped, and a word after a value continuing it (JOB split it at a space).
            Case(argv: ["--sub=123", "--gse=/opt/gse"], gsePath: "/opt/gse", subscription: 123),
            Case(argv: ["-s", "1", "--", "more"], subscription: 1),
            Case(argv: ["stray", "-"]),
            Case(argv: ["--gse_path=/usr/local/my", "gse", "-s", "3"], gsePath: "/usr/local/my gse", subscription: 3),
            Case(argv: ["-p", "/opt/a", "b", "c", "--log_paths=/data/x y/*.log"], gsePath: "/opt/a b c", logPaths: ["/data/x y/*.log"]),
            // `-l /data/app/*.log` expanded by the host's shell (JOB's words are unquoted): a word that is itself an
            // absolute path is a further path, not the rest of one split at a space.
            Case(
                argv: ["-s", "1", "-l", "/data/app/a.log", "/data/app/b.log", "/data/my", "logs/c.log"], subscription: 1,
                logPaths: ["/data/app/a.log", "/data/app/b.log", "/data/my logs/c.log"]),
            Case(argv: ["--log_paths=/x/a.log,/y/*.log", "/x/b.log"], logPaths: ["/x/a.log", "/y/*.log", "/x/b.log"]),
            // An option where the value should be: the glued-value recovery reads it as an empty value.
            Case(argv: ["--gse_path", "--subscription_id=1"], gsePath: "", subscription: 1),
        ])
    func checkPyForms(c: Case) throws {
        let run = try check(c.argv)
        #expect(run.options.gsePath == c.gsePath)
        #expect(run.options.subscriptionID == c.subscription)
        #expect(run.options.ipcSocketFile == c.ipc)
        #expect(run.options.collectorConfigID == c.configID)
        #expect(run.options.logPaths == (c.logPaths ?? []))
        #expect(run.options.logPathsGiven == (c.logPaths != nil))
    }

    @Test("what reading the words as optparse does joins or skips is said, for stderr")
    func optparseNotes() throws {
        #expect(try check(["-s", "1"]).notes.isEmpty)
        let c = try check(["--gse_path=/usr/local/my", "gse", "-s", "3", "stray", "--", "x"])
        #expect(
            c.notes == ["joined words split at a space: gse_path: /usr/local/my gse", "ignored argument 'stray'", "ignored argument 'x'"])
    }

    @Test("bkdiag's own flags for a run")
    func ownFlags() throws {
        let d = try check([])
        #expect(d.format == nil && !d.exitCode && d.colour == nil)
        #expect(d.options.deadlineSeconds == 5 && d.options.restartLog == "/tmp/bkc.log" && d.options.hostRoot == "/")
        #expect(d.options.runAgentHealthz && d.options.dataPort == nil)
        let r = try check([
            "--format", "nagios", "--exit-code", "--no-color", "--timeout=2.5", "--restart-log", "/x/bkc.log",
            "--no-agent-healthz", "--data-port", "28625", "--host-root", "/h",
        ])
        #expect(r.format == .nagios && r.exitCode && r.colour == false)
        #expect(r.options.deadlineSeconds == 2.5 && r.options.restartLog == "/x/bkc.log" && r.options.hostRoot == "/h")
        #expect(!r.options.runAgentHealthz && r.options.dataPort == 28625)
        #expect(try check(["--color"]).colour == true)
        for f in ReportFormat.allCases { #expect(try check(["--format=\(f.rawValue)"]).format == f) }
    }

    @Test(
        "bad command lines are usage errors that name the word",
        arguments: [
            (["--bogus"], "unknown option '--bogus'"),
            (["--subscription-id", "1"], "did you mean '--subscription_id'?"),
            (["-x"], "unknown option '-x'"),
            (["-s", "abc"], "invalid value 'abc' for --subscription_id"),
            (["-s", "1e3"], "invalid value '1e3' for --subscription_id"),
            (["-s", "99999999999999999999"], "invalid value"),
            (["-s"], "missing value for -s"),
            (["--gse_path"], "missing value for --gse_path"),
            (["--gse_path", "--once"], "missing value for --gse_path"),
            (["--once=yes"], "--once takes no value"),
            (["--no-color=1"], "--no-color takes no value"),
            (["--no-once"], "unknown option '--no-once'"),
            (["--format", "xml"], "invalid value 'xml' for --format"),
            (["--timeout", "0"], "invalid value '0' for --timeout: expected seconds between 0 and 600"),
            (["--timeout", "601"], "invalid value '601' for --timeout: expected seconds between 0 and 600"),
            (["--timeout", "nan"], "invalid value 'nan' for --timeout"),
            (["--data-port", "70000"], "invalid value '70000' for --data-port"),
            (["--data-port", "0"], "invalid value '0' for --data-port"),
            (["help", "bogus"], "unknown subcommand 'bogus'"),
            (["--s", "1"], "ambiguous option '--s'"),
            (["status", "stray"], "unexpected argument 'stray'"),
            (["daemon", "--", "more"], "unexpected argument 'more'"),
            (["daemon", "--format", "json"], "unknown option '--format'"),
            (["daemon", "--request-timeout", "-3"], "--request-timeout must be between"),
            (["status", "--raw-request", "GET"], "--raw-request takes"),
            (["status", "--as-uid", "-1"], "invalid value '-1' for --as-uid"),
            (["status", "--format", "yaml"], "invalid value 'yaml' for --format"),
        ] as [([String], String)])
    func badFlags(argv: [String], message: String) {
        let got = usageError(argv)
        #expect(got?.contains(message) == true, "\(argv) → \(got ?? "accepted")")
    }

    @Test("help and version, for the root and each subcommand")
    func helpAndVersion() throws {
        func help(_ argv: [String]) throws -> String {
            guard case .help(let text) = try NodeCommandLine.parse(argv) else { throw UsageError("no help for \(argv)") }
            return text
        }
        for argv in [["--help"], ["-h"], ["help"]] {
            let text = try help(argv)
            #expect(text.contains("SUBCOMMANDS:") && text.contains("check (default)") && text.contains("daemon"))
        }
        for (argv, marker) in [
            (["check", "--help"], "--subscription_id"), (["-s", "1", "--help"], "--subscription_id"), (["help", "check"], "--exit-code"),
            (["help", "daemon"], "--interval"), (["daemon", "-h"], "--state-dir"), (["status", "--help"], "--no-fallback"),
            (["--help", "status"], "--no-fallback"),
        ] {
            #expect(try help(argv).contains(marker), "\(argv)")
        }
        for argv in [["--version"], ["check", "--version"], ["daemon", "--version"]] {
            guard case .version(let v) = try NodeCommandLine.parse(argv) else { Issue.record("\(argv)"); continue }
            #expect(v == "\(BuildInfo.version) (\(BuildInfo.commit))")
        }
    }

    @Test("help pages list every visible option, no hidden one, within 80 columns")
    func helpPages() {
        for spec in [NodeCommandLine.checkSpec, NodeCommandLine.daemonSpec, NodeCommandLine.statusSpec] {
            let text = spec.help(usage: "bkdiag \(spec.name)")
            for o in spec.options {
                #expect(text.contains("--\(o.long)") == !o.hidden, "\(spec.name) --\(o.long)")
                #expect(!o.help.isEmpty, "\(spec.name) --\(o.long) has no help")
            }
            for line in text.split(separator: "\n") where !line.hasPrefix("USAGE") {
                #expect(line.count <= 80, "\(spec.name): \(line)")
            }
        }
    }

    @Test("daemon flags become config overrides that name their flag")
    func daemon() throws {
        guard
            case .daemon(let d) = try NodeCommandLine.parse([
                "daemon", "--config", "/etc/x.yaml", "--interval", "5m", "-s", "3", "--socket=/run/b.sock", "--state-dir", "/var/lib/b",
                "--verbose", "--request-timeout", "0.5", "--log_paths", "/a/*.log",
            ])
        else { Issue.record("not a daemon"); return }
        #expect(d.configPath == "/etc/x.yaml" && d.verbose && d.requestTimeoutSeconds == 0.5)
        let settings = d.overrides.map { "\($0.key)=\($0.value) (\($0.origin))" }
        #expect(
            settings == [
                "subscription_id=3 (--subscription_id)", "log_paths=/a/*.log (--log_paths)", "interval=5m (--interval)",
                "socket=/run/b.sock (--socket)", "state_dir=/var/lib/b (--state-dir)",
            ])
        guard case .daemon(let bare) = try NodeCommandLine.parse(["daemon"]) else { Issue.record("not a daemon"); return }
        #expect(bare.configPath == nil && bare.overrides.isEmpty && !bare.verbose)
    }

    @Test("status: socket, format, fresh run, fallback and check.py flags for the local run")
    func status() throws {
        guard case .status(let s) = try NodeCommandLine.parse(["status"]) else { Issue.record("not status"); return }
        #expect(s.socket == "/run/bkdiag/bkdiag.sock" && s.format == .text && !s.freshRun && s.fallback && s.rawRequest == nil)
        guard
            case .status(let t) = try NodeCommandLine.parse([
                "status", "--socket", "/s", "--format", "json", "--run", "--no-fallback", "-s", "9",
                "--gse_path=/g/--collector_config_id=4",
                "--raw-request", "POST /run", "--as-uid", "65534",
            ])
        else { Issue.record("not status"); return }
        #expect(t.socket == "/s" && t.format == .json && t.freshRun && !t.fallback)
        #expect(t.checkOptions.subscriptionID == 9 && t.checkOptions.gsePath == "/g/" && t.checkOptions.collectorConfigID == 4)
        #expect(t.rawRequest?.method == "POST" && t.rawRequest?.target == "/run")
        #expect(t.asUID == 65534 && t.asGID == nil)
    }
}

/// The generic parser on its own table.
@Suite("Option table parser")
struct CommandSpecTests {
    let spec = CommandSpec(
        name: "t", abstract: "test",
        options: [
            .value("name", short: "n", "name", help: "A name."),
            .flag("on", help: "A switch."),
            OptionSpec("tint", .invertible, help: "Colour."),
            .value("secret", "s", help: "Hidden.", hidden: true),
        ])

    @Test(
        "every accepted form of a value option gives the same value",
        arguments: [
            ["--name", "v"], ["--name=v"], ["-n", "v"], ["-nv"], ["-n=v"], ["--name", "x", "--name", "v"],
        ])
    func valueForms(argv: [String]) throws {
        #expect(try spec.parse(argv).value("name") == "v")
    }

    @Test("flags and invertible flags")
    func flags() throws {
        let p = try spec.parse(["--on", "--no-tint"])
        #expect(p.isSet("on") && p.flag("tint") == false)
        #expect(try spec.parse(["--tint"]).flag("tint") == true)
        #expect(try spec.parse([]).flag("tint") == nil)
        #expect(try spec.parse(["--secret", "x"]).value("secret") == "x")
    }

    @Test("help wraps long text under its column and puts long option names on their own line")
    func helpLayout() {
        let long = CommandSpec(
            name: "w", abstract: "x",
            options: [
                .value("a-very-long-option-name", "placeholder", help: String(repeating: "word ", count: 40)),
                .flag("b", help: "Short."),
            ])
        let lines = long.help(usage: "w").split(separator: "\n", omittingEmptySubsequences: false)
        let i = lines.firstIndex { $0.hasPrefix("  --a-very-long-option-name <placeholder>") }!
        #expect(lines[i].count == "  --a-very-long-option-name <placeholder>".count)
        #expect(lines[i + 1].hasPrefix(String(repeating: " ", count: 26) + "word"))
        #expect(lines.contains { $0 == "  --b" + String(repeating: " ", count: 26 - 5) + "Short." })
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(!spec.help(usage: "t").contains("--secret"))
    }
}
