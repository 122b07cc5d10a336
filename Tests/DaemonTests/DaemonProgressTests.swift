import Daemon
import Diagnostics
import Report
import TestSupport
import Testing

/// The daemon's progress items: each cycle compares with the previous cycle's sample (its baseline)
/// instead of waiting a sample gap inside the run.
@Suite(.serialized) struct DaemonProgressTests {
    @Test func progressItemsCompareWithThePreviousCycle() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let dir = TempDir()
        defer { dir.remove() }
        // The first cycle takes its two samples 1 s apart; later cycles, 4 s apart, compare with the
        // previous cycle's sample: about 3 s between the samples, which no in-run gap of 1 s gives.
        let d = try await DaemonProcess.start(
            dir,
            args: [
                "--gse_path", host.gseRoot + "/", "--subscription_id", "33561", "--data-port", String(port),
                "--restart-log", host.restartLog, "--sample-gap", "1", "--timeout", "5",
            ], interval: "4")
        #expect(await d.waitReady(timeoutMs: 30_000))
        var gaps: [Double] = []
        let compared = await eventually(timeoutMs: 30_000) {
            guard let body = try? await httpRequest(socket: d.socket, target: "/report").body,
                let report = try? DiagnosticReport(line: body),
                let stall = report.result(module: "log_progress", item: "pipeline_stall"),
                let gap = stall.evidence("sample_gap_s")?.doubleValue
            else { return false }
            gaps.append(gap)
            return gap >= 2.5
        }
        #expect(compared, "sample gaps seen: \(gaps)")
        let report = try DiagnosticReport(line: try await httpRequest(socket: d.socket, target: "/report").body)
        #expect(report.result(module: "log_progress", item: "logpath_progress")?.verdict == .pass)
        await d.process.stop()
    }
}
