import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

@Suite("log_progress/collector_resources on in-memory facts")
struct CollectorResourcesCheckTests {
    func input(_ last: ProgressSample, first: ProgressSample? = nil, settings: ProgressSettings = ProgressFixture.settings) -> ProgressInput
    {
        ProgressInput(first: first, last: last, settings: settings)
    }

    func run(_ input: ProgressInput) -> Finding { ProgressFixture.run(CollectorResourcesCheck(), input) }

    @Test("resource_limit enabled on cgroup v2 warns that nothing is applied; on v1 with limits it passes")
    func limitsApplied() {
        var s = ProgressFixture.healthy()
        let enabled = ProgressSettings(flushSeconds: 10, resourceLimit: .init(enabled: true, cpu: 0.4, memoryMB: 819))
        s.collectors = [ProgressFixture.collector(cgroup: .success(CgroupState(version: 2)))]
        let v2 = run(input(s, settings: enabled))
        #expect(v2.verdict == .warn && v2.message.contains("cgroup v2"), "\(v2.message)")
        // Not applied is said as such, not as the collector being held back.
        #expect(v2.hint.contains("未生效") && !v2.hint.contains("资源受限"), "\(v2.hint)")
        var v1 = CgroupState(version: 1)
        v1.cpuQuotaMicros = 40_000
        v1.cpuPeriodMicros = 100_000
        v1.memoryLimitBytes = 819 << 20
        v1.memoryUsageBytes = 100 << 20
        s.collectors = [ProgressFixture.collector(cgroup: .success(v1))]
        let ok = run(input(s, settings: enabled))
        #expect(ok.verdict == .pass, "\(ok.message)")
        #expect(ok.evidence.first { $0.0 == "pid_4242" }?.1["applied"]?["cpu_cores"] == .double(0.4))
        // Applied, but not what the main config asks for (the cgroup was set by an older config, or by hand).
        v1.cpuQuotaMicros = 100_000
        s.collectors = [ProgressFixture.collector(cgroup: .success(v1))]
        let drift = run(input(s, settings: enabled))
        #expect(drift.verdict == .warn && drift.message.contains("cpu limit of 1.0 cores, resource_limit says 0.4"), "\(drift.message)")
        #expect(drift.hint.contains("资源受限"))
    }

    @Test("throttling over the samples, memory near its limit, OOM kills and fds at the limit")
    func pressure() {
        var a = CgroupState(version: 1)
        a.periods = 1000
        a.throttledPeriods = 10
        var b = a
        b.periods = 1100
        b.throttledPeriods = 60
        var first = ProgressFixture.healthy(at: ProgressFixture.now - 1)
        first.collectors = [ProgressFixture.collector(cgroup: .success(a))]
        var last = ProgressFixture.healthy()
        last.collectors = [ProgressFixture.collector(cgroup: .success(b))]
        let throttled = run(input(last, first: first))
        #expect(throttled.verdict == .warn && throttled.message.contains("50.0%"), "\(throttled.message)")
        // Over the cgroup's life alone (one sample) the ratio is 6%: no warning.
        #expect(run(input(last)).verdict == .pass)

        b.oomKills = 2
        last.collectors = [ProgressFixture.collector(cgroup: .success(b))]
        #expect(run(input(last)).message.contains("2 OOM kill(s)"))

        var withKernel = input(ProgressFixture.healthy())
        withKernel.oomKills = .success([OOMKill(secondsSinceBoot: 100, pid: 99, comm: "bkunifylogbeat", inCgroup: true)])
        withKernel.uptimeSeconds = 1000
        let kernel = run(withKernel)
        #expect(kernel.verdict == .warn && kernel.message.contains("OOM-killed bkunifylogbeat 1 time(s)"))

        last.collectors = [ProgressFixture.collector(fds: 1024, limit: 1024)]
        #expect(run(input(last)).verdict == .fail)
        last.collectors = [ProgressFixture.collector(fds: 900, limit: 1024)]
        #expect(run(input(last)).verdict == .warn)
        last.collectors = [ProgressFixture.collector(cgroup: .failure(ProbeError(call: "open", path: "/proc/1/cgroup", errno: 13)))]
        #expect(run(input(last)).verdict == .unknown)
    }
}
