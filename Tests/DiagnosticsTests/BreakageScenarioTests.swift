import Diagnostics
import Foundation
import HostProbe
import Report
import TestSupport
import Testing

/// Single breakages of a healthy host that a sweep of `bkdiag --once` found passed silently or named wrongly:
/// each is named by the item an operator looks at, with a message that says what is broken.
@Suite("Single breakages")
struct BreakageScenarioTests {
    @Test("GSE 1: an agentWorker left without its gseMaster fails gse_agent/process; with both it passes")
    func workerWithoutMaster() async throws {
        let host = try FakeHost(generation: .gse1)
        defer { host.shutdown() }
        let (_, port) = try host.startDataserver()
        let master = try host.startAgent(dataPort: port)
        let before = await runChecks(host, subscription: 0, dataPort: port)
        #expect(before.verdict("gse_agent", "process") == .pass, "\(before.message("gse_agent", "process"))")
        master.stop()
        let report = await runChecks(host, subscription: 0, dataPort: port)
        let r = try #require(report.result(module: "gse_agent", item: "process"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.hasPrefix("agentWorker is running but no gseMaster"), "\(r.message)")
        #expect(r.hint.contains("gsectl restart"), "\(r.hint)")
    }
}
