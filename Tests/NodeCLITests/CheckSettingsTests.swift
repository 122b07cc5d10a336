import Daemon
import Diagnostics
import Testing

@testable import NodeCLI

/// The check options are one table: the command line of `check`, `status` and `daemon` and the
/// daemon's config file all read `CheckSettings`. An option on one side only fails here.
@Suite struct CheckSettingsTests {
    @Test(
        "every check setting is a flag of check, status and daemon and a key of the daemon config", arguments: CheckSettings.all.map(\.key))
    func everySettingIsOnEverySide(key: String) throws {
        let s = try #require(CheckSettings.setting(key: key))
        #expect(DaemonConfig.keys.contains(s.key))
        for spec in [NodeCommandLine.checkSpec, NodeCommandLine.statusSpec, NodeCommandLine.daemonSpec] {
            #expect(spec.options.contains { $0.long == s.flag && $0.short == s.short }, "\(spec.name) lacks --\(s.flag)")
        }
    }

    @Test("the check command has no run option the daemon config lacks")
    func noCheckFlagOnOneSideOnly() {
        // Flags about printing one report, not about the run.
        let output: Set<String> = ["once", "format", "exit-code", "color"]
        let flags = Set(CheckSettings.all.map(\.flag))
        for o in NodeCommandLine.checkSpec.options where !output.contains(o.long) {
            #expect(flags.contains(o.long), "--\(o.long) is a check flag that the daemon config cannot set")
        }
        let daemonOnly: Set<String> = ["config", "interval", "socket", "state-dir", "request-timeout", "test-report-file", "verbose"]
        for o in NodeCommandLine.daemonSpec.options where !daemonOnly.contains(o.long) {
            #expect(flags.contains(o.long), "--\(o.long) is a daemon flag outside the table")
        }
        for key in DaemonConfig.keys where !DaemonConfig.daemonKeys.contains(key) {
            #expect(CheckSettings.setting(key: key) != nil, "\(key) is a config key outside the table")
        }
    }

    /// The same value through the flag of `bkdiag --once`, the daemon's flag and the daemon's config
    /// file gives the same options.
    @Test("flag and config key give the same options", arguments: CheckSettings.all.map(\.key))
    func flagAndConfigAgree(key: String) throws {
        let s = try #require(CheckSettings.setting(key: key))
        let argv: [String]
        switch s.form {
        case .value: argv = ["--\(s.flag)", s.example]
        case .switchFor: argv = ["--\(s.flag)"]
        }
        guard case .check(let once) = try NodeCommandLine.parse(argv) else { Issue.record("not a check"); return }
        #expect(once.options != CheckOptions(), "--\(s.flag) changed nothing")
        let value: String
        switch s.form {
        case .value: value = s.example
        case .switchFor(let v): value = v
        }
        let fromFile = try DaemonConfig.load(
            file: "/nonexistent/bkdiag.yaml", required: false,
            overrides: [
                .init(key: s.key, value: value, origin: "test")
            ])
        #expect(fromFile.checkOptions == once.options, "\(s.key): \(value)")
        guard case .daemon(let d) = try NodeCommandLine.parse(["daemon"] + argv) else { Issue.record("not a daemon"); return }
        let fromFlag = try DaemonConfig.load(file: "/nonexistent/bkdiag.yaml", required: false, overrides: d.overrides)
        #expect(fromFlag.checkOptions == once.options)
        // An empty config value restores the default.
        let reset = try DaemonConfig.load(
            file: "/nonexistent/bkdiag.yaml", required: false,
            overrides: [
                .init(key: s.key, value: value, origin: "test"), .init(key: s.key, value: "", origin: "test"),
            ])
        #expect(reset.checkOptions == CheckOptions())
    }

    /// check.py reads `--subscription_id` and `--collector_config_id` with optparse's `type="int"`; JOB sends
    /// bkdiag the same words, so both must check the same subscription. Values recorded from CPython 3.11's
    /// optparse (nil: "invalid integer value", exit 2). Past Int64 (Python has no bound) and underscores (Python
    /// 3 only; CentOS 7's Python 2 refuses them) bkdiag refuses.
    @Test(
        "integers are read as optparse reads them",
        arguments: [
            ("123", 123), ("0123", 83), ("08", nil), ("0", 0), ("00", 0), ("0x1F", 31), ("0X1f", 31), (" 12 ", 12), ("+7", 7),
            ("-5", -5), ("-0x10", nil), ("0b101", 5), ("0B11", 3), ("0b", 0), ("0o17", 15), ("0x", nil), ("12a", nil), ("", nil),
            (" 0x10", nil), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("0x+1", nil), ("0b-1", -1),
            ("--5", nil), ("1e3", nil),
        ] as [(String, Int64?)])
    func optparseIntegers(text: String, value: Int64?) throws {
        #expect(CheckSettings.optparseInteger(text) == value, "\(text.debugDescription)")
        if let value {
            guard case .check(let check) = try NodeCommandLine.parse(["--subscription_id=\(text)"]) else {
                Issue.record("not a one-shot run")
                return
            }
            #expect(check.options.subscriptionID == value)
        }
    }

    @Test("an integer past 64 bits is refused as such, not as no integer")
    func integerPast64Bits() {
        for text in ["99999999999999999999999", "9223372036854775808", "-9223372036854775809", "0x10000000000000000"] {
            #expect(CheckSettings.optparseInteger(text) == nil)
            let error = #expect(throws: (any Error).self) { try NodeCommandLine.parse(["--subscription_id=\(text)"]) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("an integer within 64 bits"), "\(String(describing: error))")
        }
        let error = #expect(throws: (any Error).self) { try NodeCommandLine.parse(["--subscription_id=12a"]) }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("expected an integer") && !text.contains("64 bits"), "\(text)")
    }

    @Test("a bad value is refused on both sides with the same expectation")
    func badValues() throws {
        for (key, bad) in [("data_port", "0"), ("deadline", "601"), ("agent_healthz", "maybe"), ("subscription_id", "x")] {
            let s = try #require(CheckSettings.setting(key: key))
            let error = #expect(throws: DaemonError.self) {
                _ = try DaemonConfig.load(
                    file: "/nonexistent/bkdiag.yaml", required: false, overrides: [.init(key: key, value: bad, origin: "f:1")])
            }
            #expect(error?.message.hasPrefix("f:1: bad \(key) \"\(bad)\": give ") == true, "\(error?.message ?? "")")
            if case .value = s.form {
                #expect(throws: UsageError.self) { _ = try NodeCommandLine.parse(["--\(s.flag)", bad]) }
            }
        }
    }
}
