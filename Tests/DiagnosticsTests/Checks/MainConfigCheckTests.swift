import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

@Suite("bkunifylogbeat/main_config on in-memory facts")
struct MainConfigCheckTests {
    static let dir = Fixture.root + "/plugins/etc/bkunifylogbeat"
    static let mainPath = Fixture.root + "/plugins/etc/bkunifylogbeat.conf"

    static func main(multiConfig: String = "  - path: \(dir)\n    file_pattern: \"*.conf\"\n", endpoint: String? = Fixture.ipc) -> String {
        var text = "bkunifylogbeat.multi_config:\n" + multiConfig + "path.data: /var/lib/gse/bkunifylogbeat\n"
        if let endpoint { text += "output.bkpipe:\n  endpoint: \(endpoint)\n" }
        return text
    }

    func run(_ main: String?, ipcSource: String = "default") -> Finding {
        let facts = Fixture.facts(subscription: 7)
        facts.layout = Fixture.layout(main: main, ipcSource: ipcSource)
        return MainConfigCheck().run(facts)
    }

    @Test("a main config that loads the subscription directory and writes to the IPC socket passes")
    func pass() {
        let f = run(Self.main())
        #expect(f.verdict == .pass)
        #expect(f.message == "main config ok: multi_config has \(Self.dir), endpoint \(Fixture.ipc)")
        #expect(Fixture.evidence(f, "file_pattern") == .string("*.conf"))
        #expect(Fixture.evidence(f, "path.data") == .string("/var/lib/gse/bkunifylogbeat"))
        #expect(Fixture.evidence(f, "output") == .string("output.bkpipe"))
    }

    @Test("missing, unreadable and invalid main configs")
    func states() throws {
        let missing = run(nil)
        #expect(missing.verdict == .fail && missing.message == "main config file is not exists: \(Self.mainPath)")

        let facts = Fixture.facts(subscription: 7)
        facts.layout = GSELayout(
            root: Fixture.root, generation: .gse2, mainConfig: MainConfig(path: Self.mainPath, state: .unreadable("Permission denied")))
        let unreadable = MainConfigCheck().run(facts)
        #expect(unreadable.verdict == .unknown && unreadable.message == "cannot read \(Self.mainPath): Permission denied")

        let error = try #require(Self.yamlError("a: [1, 2\n"))
        facts.layout = GSELayout(root: Fixture.root, generation: .gse2, mainConfig: MainConfig(path: Self.mainPath, state: .invalid(error)))
        let invalid = MainConfigCheck().run(facts)
        #expect(invalid.verdict == .fail && invalid.message == "main config is not valid YAML: \(error.description)")
        #expect(Fixture.evidence(invalid, "yaml_error") == .string(error.description))

        // Nested past bkdiag's reader limit (go-yaml, the collector's parser, reads 10,000 levels): not judged.
        let deep = String(repeating: "{a: ", count: 70) + "1" + String(repeating: "}", count: 70) + "\n"
        let limit = try #require(Self.yamlError("x: " + deep))
        #expect(limit.isReaderLimit)
        facts.layout = GSELayout(root: Fixture.root, generation: .gse2, mainConfig: MainConfig(path: Self.mainPath, state: .invalid(limit)))
        let tooDeep = MainConfigCheck().run(facts)
        #expect(tooDeep.verdict == .unknown, "\(tooDeep.message)")
        #expect(tooDeep.message.hasPrefix("main config \(Self.mainPath) not judged: ") && tooDeep.message.contains("nesting deeper than"))
    }

    static func yamlError(_ text: String) -> YAMLError? {
        do {
            _ = try YAMLNode.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("multi_config without the subscription directory, or without a usable file_pattern, fails")
    func multiConfig() {
        let other = run(Self.main(multiConfig: "  - path: /elsewhere\n    file_pattern: \"*.conf\"\n"))
        #expect(other.verdict == .fail && other.message == "multi_config not have path [\(Self.dir)]")
        #expect(Fixture.evidence(other, "multi_config") == .array([.string("/elsewhere")]))

        let noPattern = run(Self.main(multiConfig: "  - path: \(Self.dir)\n"))
        #expect(noPattern.verdict == .fail)
        #expect(noPattern.message == "multi_config entry for \(Self.dir) has no file_pattern: the collector loads no subscription config")

        let bad = run(Self.main(multiConfig: "  - path: \(Self.dir)\n    file_pattern: \"[*.conf\"\n"))
        #expect(bad.verdict == .fail && bad.message.hasPrefix("multi_config file_pattern [*.conf is not a valid pattern"))
    }

    /// The collector globs a relative `multi_config` path from its working directory (plugins/bin, where
    /// NodeMan starts it), never from wherever JOB runs bkdiag: the verdict is the same from any directory.
    @Test("a relative multi_config path is read from plugins/bin")
    func relativeMultiConfigPath() {
        let up = run(Self.main(multiConfig: "  - path: ../etc/bkunifylogbeat\n    file_pattern: \"*.conf\"\n"))
        #expect(up.verdict == .pass, "\(up.message)")
        #expect(Fixture.evidence(up, "multi_config") == .array([.string("../etc/bkunifylogbeat")]))
        let here = run(Self.main(multiConfig: "  - path: etc/bkunifylogbeat\n    file_pattern: \"*.conf\"\n"))
        #expect(here.verdict == .fail && here.message == "multi_config not have path [\(Self.dir)]")
    }

    @Test("no output at all (or only a disabled one) fails: libbeat does not start the collector without one")
    func noOutput() {
        let none = run(Self.main(endpoint: nil))
        #expect(none.verdict == .fail, "\(none.message)")
        #expect(none.message.hasPrefix("main config has no output: the collector does not start"))
        let disabled = run(Self.main(endpoint: nil) + "output.bkpipe:\n  enabled: false\n  endpoint: \(Fixture.ipc)\n")
        #expect(disabled.verdict == .fail, "\(disabled.message)")
        let console = run(Self.main(endpoint: nil) + "output.console:\n  pretty: true\n")
        #expect(console.verdict == .warn, "\(console.message)")
        // A disabled output before the real one is skipped, as libbeat's namespace skips it: the real one counts,
        // dotted or nested. Before, only the first output named was looked at ("no output").
        for before in [
            "output.console:\n  enabled: false\n", "output:\n  console:\n    enabled: false\n", "output.console:\n  enabled: off\n",
        ] {
            let skipped = run(before + Self.main())
            #expect(skipped.verdict == .pass, "\(skipped.message)")
        }
        // A disabled bkpipe's endpoint is not where the collector sends.
        let off = run(
            Self.main(endpoint: nil) + "output.bkpipe:\n  enabled: false\n  endpoint: /run/old.sock\n"
                + "output.gse:\n  endpoint: \(Fixture.ipc)\n")
        #expect(off.verdict == .pass && off.message.hasSuffix("endpoint \(Fixture.ipc)"), "\(off.message)")
        // Two enabled: libbeat refuses to start.
        let two = run(Self.main() + "output.console:\n  pretty: true\n")
        #expect(
            two.verdict == .fail && two.message.hasPrefix("main config enables 2 outputs (output.bkpipe, output.console)"),
            "\(two.message)")
    }

    @Test("an output without an endpoint bkdiag knows, or one other than the IPC path asked about, warns")
    func endpoint() {
        let none = run(Self.main(endpoint: nil) + "output.bkpipe:\n  bulk_max_size: 10\n")
        #expect(none.verdict == .warn && none.message == "main config has no output endpoint (output.bkpipe_multi/bkpipe/gse.endpoint)")

        let other = run(Self.main(endpoint: "/run/other.sock"), ipcSource: "flag")
        #expect(other.verdict == .warn)
        #expect(other.message == "collector writes to /run/other.sock, but the check was asked about \(Fixture.ipc)")
        // The same path not asked about by flag (taken from the main config) is no finding.
        #expect(run(Self.main(endpoint: "/run/other.sock")).verdict == .pass)
    }
}
