import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

@Suite("bkunifylogbeat/hosted on in-memory facts")
struct HostedCheckTests {
    static let proc2 = Fixture.root + "/agent/etc/.proc"
    static let proc1 = Fixture.root + "/agent/etc/procinfo.json"

    func run(_ files: [String: String], generation: GSEGeneration = .gse2, stats: [String: FileStat] = [:]) -> Finding {
        let h = Fixture.facts(subscription: 7, generation: generation)
        for (path, text) in files { h.files[path] = Array(text.utf8) }
        for (path, st) in stats { h.stats[path] = st }
        return HostedCheck().run(h)
    }

    static func registry(_ name: String = "bkunifylogbeat", setup: String = Fixture.root + "/plugins/bin") -> String {
        #"{"proc": [{"procName": "\#(name)", "setupPath": "\#(setup)", "pidPath": "/var/run/gse/bkunifylogbeat.pid"}]}"#
    }

    @Test("listed in the running generation's registry under the root: pass, with the entry as evidence")
    func pass() {
        let f = run([Self.proc2: Self.registry()])
        #expect(f.verdict == .pass)
        #expect(f.message == "bkunifylogbeat is hosted by gse_agent (setupPath \(Fixture.root)/plugins/bin)")
        #expect(Fixture.evidence(f, "registered") == .array([.string("bkunifylogbeat")]))
        #expect(Fixture.evidence(f, "pidPath") == .string("/var/run/gse/bkunifylogbeat.pid"))
        // GSE 1 reads procinfo.json.
        #expect(run([Self.proc1: Self.registry()], generation: .gse1).verdict == .pass)
    }

    @Test("hosted from outside the root warns; fails when there is no collector binary there for the agent to restart")
    func outside() {
        let f = run(
            [Self.proc2: Self.registry(setup: "/opt/gse/plugins/bin")], stats: ["/opt/gse/plugins/bin/bkunifylogbeat": Fixture.regular])
        #expect(f.verdict == .warn && f.message == "bkunifylogbeat is hosted from /opt/gse/plugins/bin, outside \(Fixture.root)")
        // A stale entry from an old root (a trailing slash as some registries write it): no binary there.
        let stale = run([Self.proc2: Self.registry(setup: "/usr/local/gse_old/plugins/bin/")])
        #expect(stale.verdict == .fail, "\(stale.message)")
        #expect(stale.message.hasSuffix("/usr/local/gse_old/plugins/bin/bkunifylogbeat does not exist"), "\(stale.message)")
        #expect(Fixture.evidence(stale, "setup_binary") == .string("/usr/local/gse_old/plugins/bin/bkunifylogbeat"))
        // The registry names the root through a symlink (`/opt/gse` → the root given by its real path): inside.
        let h = Fixture.facts(subscription: 7)
        h.files[Self.proc2] = Array(Self.registry(setup: "/opt/gse/plugins/bin").utf8)
        h.realPaths["/opt/gse/plugins/bin"] = Fixture.root + "/plugins/bin"
        let linked = HostedCheck().run(h)
        #expect(linked.verdict == .pass, "\(linked.message)")
    }

    /// NodeMan registers an official plugin with `<setup_path>/plugins/bin` (bk-nodeman `get_plugins_paths`), and
    /// the agent runs its start script there. Another directory of the root with no collector in it is a stale entry
    /// as one outside the root is: before, any path inside the root passed.
    @Test("hosted from a directory of the root with no collector in it fails; with one there it passes")
    func insideWithoutBinary() {
        for setup in [Fixture.root + "/plugins", Fixture.root + "/external_plugins/sub_1_host_1/bkunifylogbeat/"] {
            let f = run([Self.proc2: Self.registry(setup: setup)])
            #expect(f.verdict == .fail, "\(setup): \(f.message)")
            #expect(f.message.hasPrefix("bkunifylogbeat is hosted from \(setup), where no bkunifylogbeat is installed"), "\(f.message)")
            let binary = (setup.hasSuffix("/") ? String(setup.dropLast()) : setup) + "/bkunifylogbeat"
            #expect(Fixture.evidence(f, "setup_binary") == .string(binary))
            #expect(run([Self.proc2: Self.registry(setup: setup)], stats: [binary: Fixture.regular]).verdict == .pass)
        }
        // plugins/bin itself is bin_file's to judge: its binary missing does not fail this item too.
        #expect(run([Self.proc2: Self.registry(setup: Fixture.root + "/plugins/bin/")]).verdict == .pass)
    }

    @Test("not listed, listed only in the other generation's leftover, or no registry at all: fail")
    func notHosted() {
        let other = run([Self.proc2: Self.registry("bkmonitorbeat")])
        #expect(other.verdict == .fail && other.message == "bkunifylogbeat is not hosted by gse_agent (\(Self.proc2))")
        #expect(Fixture.evidence(other, "registered") == .array([.string("bkmonitorbeat")]))

        let leftover = run([Self.proc1: Self.registry()])
        #expect(leftover.verdict == .fail)
        #expect(leftover.message.hasPrefix("bkunifylogbeat is not hosted: it is listed only in \(Self.proc1), the GSE 1 registry"))
        #expect(leftover.message.hasSuffix("the running GSE 2 agent reads \(Self.proc2), which is missing"))
        #expect(Fixture.evidence(leftover, "leftover_registry") == .string(Self.proc1))

        let none = run([:])
        #expect(none.verdict == .fail && none.message == "plugin registry not found (\(Self.proc2))")
    }

    @Test("a registry that is not JSON fails; one in a shape not known is unknown, never 'not hosted'")
    func shapes() {
        let broken = run([Self.proc2: "{\"proc\": ["])
        #expect(broken.verdict == .fail && broken.message.hasPrefix("plugin registry \(Self.proc2) is not valid JSON: "))
        // A FIFO in its place is said as what it is, not as bad JSON.
        let fifo = run([Self.proc2: ""], stats: [Self.proc2: FileStat(mode: 0o010644)])
        #expect(fifo.verdict == .fail && fifo.message == "plugin registry \(Self.proc2) is a FIFO, not a regular file", "\(fifo.message)")

        let odd = run([Self.proc2: #"{"plugins": 1, "x": 2}"#])
        #expect(odd.verdict == .unknown)
        #expect(odd.message == "cannot read the plugin registry \(Self.proc2): unrecognised shape (keys plugins, x)")

        let api = run([
            Self.proc2:
                #"{"value": [{"meta": {"name": "bkunifylogbeat"}, "spec": {"identity": {"setup_path": "/usr/local/gse/plugins/bin"}}}]}"#
        ])
        #expect(api.verdict == .pass)
    }
}
