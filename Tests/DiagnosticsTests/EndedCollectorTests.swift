import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Progress samples of collectors that ended")
struct EndedCollectorSampleTests {
    @Test("a collector gone or a zombie by the time of the sample is not measured; a live one is")
    func endedCollectors() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let zombie = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        let gone = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        let live = try host.spawn(FakeHost.fakeBinary, ["agent"], cwd: host.dir)
        // Killed and not reaped: a zombie until the test stops it. Killed and reaped: no /proc entry at all.
        #expect(kill(zombie.pid, SIGKILL) == 0)
        gone.stop()
        var waited = 0
        while waited < 100, (try? String(contentsOfFile: "/proc/\(zombie.pid)/stat", encoding: .utf8))?.contains(") Z") != true {
            usleep(20_000)
            waited += 1
        }
        let t = ProgressTargets(
            files: [], collectorPIDs: [zombie.pid, gone.pid, live.pid], agentPIDs: [], registryPath: nil,
            ipcPath: host.dir + "/none.sock", dataPorts: [])
        let s = ProgressProbe.sample(t)
        #expect(s.collectors.map(\.pid) == [live.pid])
        live.stop()
        zombie.stop()
    }

    @Test("bytes the collector wrote are compared per pid: a restarted collector's counter is not subtracted")
    func wcharDeltaPerPID() {
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        var last = ProgressFixture.healthy()
        first.collectors = [ProgressFixture.collector(pid: 100, open: [], wchar: 500_000)]
        last.collectors = [ProgressFixture.collector(pid: 200, open: [], wchar: 1_000)]
        let f = ProgressFixture.run(PipelineStallCheck(), ProgressInput(first: first, last: last, settings: ProgressFixture.settings))
        let ipc = f.evidence.first { $0.0 == "ipc" }?.1
        #expect(ipc?["collector_wchar_delta"] == .int(0), "\(f.evidence)")
    }

    @Test("a collector bkdiag may not place (not root) is named as unreadable, not as not running")
    func unplacedCollector() {
        var last = ProgressFixture.healthy()
        last.collectors = []
        last.unplacedCollectorPIDs = [4242]
        for check in [LogPathProgressCheck() as any Check, PipelineStallCheck(), LossRiskCheck(), CollectorResourcesCheck()] {
            let f = ProgressFixture.run(check, ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
            #expect(f.verdict == .unknown && f.message.contains("pid 4242") && f.hint.contains("root"), "\(f.message)")
        }
        last.unplacedCollectorPIDs = []
        let f = ProgressFixture.run(LogPathProgressCheck(), ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
        #expect(f.message.hasPrefix("bkunifylogbeat is not running"))
    }

    @Test("a collector the process scan found that exited before the progress sample is named as exiting, not as never running")
    func exitedDuringTheCheck() {
        var last = ProgressFixture.healthy()
        last.collectors = []
        last.endedCollectorPIDs = [4242]
        for check in [LogPathProgressCheck() as any Check, PipelineStallCheck(), LossRiskCheck(), CollectorResourcesCheck()] {
            let f = ProgressFixture.run(check, ProgressInput(first: nil, last: last, settings: ProgressFixture.settings))
            #expect(
                f.verdict == .unknown && f.message.hasPrefix("bkunifylogbeat pid 4242, found by this check's process scan, had exited"),
                "\(f.message)")
        }
        // The live probe: a pid with no /proc entry (above any pid_max) is ended, not sampled.
        let gone: Int32 = 2_000_000_000
        let sample = ProgressProbe.sample(
            ProgressTargets(files: [], collectorPIDs: [gone], agentPIDs: [], registryPath: nil, ipcPath: "/nonexistent.sock", dataPorts: [])
        )
        #expect(sample.collectors.isEmpty && sample.endedCollectorPIDs == [gone])
    }
}
