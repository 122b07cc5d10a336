import Daemon
import Diagnostics
import Report
import Testing

@testable import NodeCLI

/// The options of a run are one table, `CheckSettings`, read by the command line (`bkdiag`,
/// `bkdiag daemon`, `bkdiag status`) and by the daemon's config file. These tests fail when an option
/// is added to one side only: a `CheckOptions` field without a setting, a flag the command line
/// handles itself, or a daemon key that writes the check options around the table.
@Suite("One settings table for the command line and the daemon config")
struct SettingsDriftTests {
    /// `CheckOptions` fields that are not settings: tuned by the engine and its tests, not by operators.
    /// A new field belongs in `CheckSettings` (and so on both sides), or here with its reason.
    static let engineOnly: Set<String> = [
        "restartThreshold",  // check.py's fixed 10 restarts a day
        "queueSamples", "queueSampleIntervalMs",  // socket_queue_status's resampling
    ]

    /// The command lines' options that are not check settings, each handled by that command alone.
    static let checkOwn: Set<String> = ["once", "format", "exit-code", "color"]
    static let daemonOwn: Set<String> = ["config", "interval", "socket", "state-dir", "request-timeout", "test-report-file", "verbose"]
    static let statusOwn: Set<String> = ["socket", "format", "run", "no-fallback", "exit-code", "raw-request", "as-uid", "as-gid"]

    static func fields(_ o: CheckOptions) -> [String: String] {
        var out: [String: String] = [:]
        for child in Mirror(reflecting: o).children { if let label = child.label { out[label] = "\(child.value)" } }
        return out
    }

    @Test("every CheckOptions field is set by a setting of the table, or is listed as engine-only")
    func everyFieldHasASetting() throws {
        let defaults = Self.fields(CheckOptions())
        var covered: Set<String> = []
        for s in CheckSettings.all {
            var o = CheckOptions()
            try s.apply(s.example, to: &o)
            let changed = Self.fields(o).filter { defaults[$0.key] != $0.value }.map(\.key)
            #expect(!changed.isEmpty, "setting \(s.key)'s example \(s.example) changes no option")
            covered.formUnion(changed)
            // And an empty config value puts it back.
            s.reset(&o)
            #expect(Self.fields(o) == defaults, "setting \(s.key) does not reset")
        }
        let missing = Set(defaults.keys).subtracting(covered).subtracting(Self.engineOnly)
        #expect(missing.isEmpty, "CheckOptions fields no setting writes: \(missing.sorted())")
        #expect(Self.engineOnly.isSubset(of: Set(defaults.keys)), "engine-only fields that no longer exist")
    }

    @Test("keys and flags are unique")
    func unique() {
        #expect(Set(CheckSettings.all.map(\.key)).count == CheckSettings.all.count)
        #expect(Set(CheckSettings.all.map(\.flag)).count == CheckSettings.all.count)
    }

    @Test("each command line lists exactly the table's flags besides its own options")
    func commandLinesUseTheTable() {
        let table = Set(CheckSettings.all.map(\.flag))
        for (spec, own) in [
            (NodeCommandLine.checkSpec, Self.checkOwn), (NodeCommandLine.daemonSpec, Self.daemonOwn),
            (NodeCommandLine.statusSpec, Self.statusOwn),
        ] {
            let names = spec.options.map(\.long)
            #expect(
                Set(names).subtracting(own) == table, "\(spec.name): \(Set(names).subtracting(own).symmetricDifference(table).sorted())")
        }
    }

    @Test("the daemon's config keys are the table's keys and its own; its own keys leave the check options alone")
    func daemonConfigUsesTheTable() throws {
        let own = DaemonConfig.keys.filter { CheckSettings.setting(key: $0) == nil }
        #expect(Set(own) == Set(DaemonConfig.daemonKeys))
        #expect(Set(DaemonConfig.keys).isSuperset(of: CheckSettings.all.map(\.key)))
        let samples = [
            "interval": "30", "socket": "/run/x.sock", "socket_mode": "0600", "state_dir": "/var/lib/x",
            "history_max_reports": "5", "history_max_bytes": "1M",
        ]
        for key in own where key != "socket_group" {
            var c = DaemonConfig()
            let value = try #require(samples[key], "no sample value for daemon key \(key)")
            try c.apply(.init(key: key, value: value, origin: "test"))
            #expect(Self.fields(c.checkOptions) == Self.fields(CheckOptions()), "daemon key \(key) changed the check options")
        }
    }

    @Test("a setting given as a flag (bkdiag, bkdiag daemon, bkdiag status) or as a config line gives the same options")
    func sameOptionsEitherWay() throws {
        for s in CheckSettings.all {
            var config = DaemonConfig()
            try config.apply(.init(key: s.key, value: s.example, origin: "test"))
            let expected = Self.fields(config.checkOptions)

            let argv: [String]
            switch s.form {
            case .value: argv = ["--\(s.flag)", s.example]
            case .switchFor(let v):
                #expect(v == s.example, "\(s.key): the switch's value is its example")
                argv = ["--\(s.flag)"]
            }
            guard case .check(let c) = try NodeCommandLine.parse(argv) else {
                Issue.record("\(argv) is not a check run")
                continue
            }
            #expect(Self.fields(c.options) == expected, "bkdiag \(argv)")

            guard case .daemon(let d) = try NodeCommandLine.parse(["daemon"] + argv) else {
                Issue.record("daemon \(argv) is not a daemon run")
                continue
            }
            var viaDaemon = DaemonConfig()
            for o in d.overrides { try viaDaemon.apply(o) }
            #expect(Self.fields(viaDaemon.checkOptions) == expected, "bkdiag daemon \(argv)")

            guard case .status(let st) = try NodeCommandLine.parse(["status"] + argv) else {
                Issue.record("status \(argv) is not a status run")
                continue
            }
            #expect(Self.fields(st.checkOptions) == expected, "bkdiag status \(argv)")
        }
    }
}
