import Diagnostics
import Foundation
import Report
import TestSupport
import Testing

/// bkunifylogbeat/hosted on real trees: the registry shapes found in the wild, and the other
/// generation's leftover registry, which the running agent never reads.
@Suite("Plugin registry")
struct RegistryScenarioTests {
    @Test("GSE 1 without its procinfo.json: a GSE 2 .proc that lists the collector is not hosting (fail, leftover named)")
    func gse1WithLeftoverGSE2Registry() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let own = host.gseRoot + "/agent/etc/procinfo.json"
        let leftover = host.gseRoot + "/agent/etc/.proc"
        #expect(await runChecks(host).verdict("bkunifylogbeat", "hosted") == .pass)
        try FileManager.default.moveItem(atPath: own, toPath: leftover)
        let r = try #require(await runChecks(host).result(module: "bkunifylogbeat", item: "hosted"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.hasPrefix("bkunifylogbeat is not hosted: it is listed only in \(leftover), the GSE 2 registry"), "\(r.message)")
        #expect(r.message.hasSuffix("the running GSE 1 agent reads \(own), which is missing"), "\(r.message)")
        #expect(r.evidence("leftover_registry") == .string(leftover))
        #expect(r.evidence("leftover_setupPath") == .string(host.gseRoot + "/plugins/bin"))
        #expect(r.hint.contains("重新下发 bkunifylogbeat 插件") && r.hint.contains("GSE 1"), "\(r.hint)")
    }

    @Test("GSE 2 whose .proc does not list the collector while a leftover GSE 1 procinfo.json does: not hosted, leftover named")
    func gse2OwnRegistryWithoutTheCollector() async throws {
        let host = try FakeHost(generation: .gse2)
        defer { host.shutdown() }
        let own = host.gseRoot + "/agent/etc/.proc"
        let leftover = host.gseRoot + "/agent/etc/procinfo.json"
        try FileManager.default.copyItem(atPath: own, toPath: leftover)
        try host.writeRegistry(hosted: false)
        let r = try #require(await runChecks(host).result(module: "bkunifylogbeat", item: "hosted"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.hasSuffix("the running GSE 2 agent reads \(own), which does not list it"), "\(r.message)")
        #expect(r.evidence("leftover_registry") == .string(leftover))
        #expect(r.hint.contains("GSE 2 Agent"), "\(r.hint)")
    }

    /// An entry for the collector in the flat form and in the GSE process API's form.
    static func flat(_ root: String) -> String {
        #"{"procName": "bkunifylogbeat", "setupPath": "\#(root)/plugins/bin", "pidPath": "/var/run/gse/bkunifylogbeat.pid", "cpulmt": 30, "memlmt": 10}"#
    }
    static func apiForm(_ root: String) -> String {
        #"{"meta": {"namespace": "nodeman", "name": "bkunifylogbeat", "labels": {"proc_name": "bkunifylogbeat"}}, "spec": {"identity": {"proc_name": "bkunifylogbeat", "setup_path": "\#(root)/plugins/bin", "pid_path": "/var/run/gse/bkunifylogbeat.pid"}, "resource": {"cpu": 30, "mem": 10}}}"#
    }
    static let other = #"{"procName": "bkmonitorbeat", "setupPath": "/x"}"#

    @Test("every registry shape with evidence is read; one bkdiag cannot read is unknown, never 'not hosted'")
    func registryShapes() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let path = host.gseRoot + "/agent/etc/procinfo.json"
        let root = host.gseRoot
        let cases: [(String, Verdict, String)] = [
            (#"{"proc": [\#(Self.other), \#(Self.flat(root))]}"#, .pass, "a list under proc"),
            (#"{"value": [\#(Self.other), \#(Self.flat(root))]}"#, .pass, "a list under value"),
            (#"{"value": {"proc": [\#(Self.flat(root))]}}"#, .pass, "a list under value.proc"),
            (#"[\#(Self.flat(root))]"#, .pass, "the list as the whole file"),
            (#"{"proc": [\#(Self.apiForm(root))]}"#, .pass, "entries in the process API's form"),
            (#"{"value": [\#(Self.other)]}"#, .fail, "a known shape without the collector"),
            ("{}", .fail, "an empty registry"),
            (#"{"plugins": {"bkunifylogbeat": {"path": "/x"}}}"#, .unknown, "an object keyed by plugin"),
            (#"{"proc": [{"name": "bkunifylogbeat"}]}"#, .unknown, "entries without any known name field"),
            (#""bkunifylogbeat""#, .unknown, "a JSON string"),
        ]
        for (text, expected, what) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try #require(await runChecks(host).result(module: "bkunifylogbeat", item: "hosted"))
            #expect(r.verdict == expected, "\(what): \(r.message)")
            switch expected {
            case .pass:
                #expect(r.evidence("setupPath") == .string(root + "/plugins/bin"), "\(what)")
                #expect(r.evidence("cpulmt") == .int(30), "\(what)")
            case .unknown:
                #expect(r.message.hasPrefix("cannot read the plugin registry \(path): unrecognised shape"), "\(what): \(r.message)")
                #expect(!r.message.contains("not hosted"))
            default:
                #expect(r.message.contains("not hosted"), "\(what): \(r.message)")
            }
        }
    }
}
