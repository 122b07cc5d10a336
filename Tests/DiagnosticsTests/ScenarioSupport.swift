import Diagnostics
import Foundation
import Report
import TestSupport

/// Runs the catalogue against a fake host.
func runChecks(
    _ host: FakeHost, subscription: Int64 = 33561, logPaths: [String]? = nil, ipc: String? = nil,
    dataPort: UInt16? = nil, deadline: Double = 10, samples: Int = 3, sampleGap: Double = 0.2, baseline: ProgressBaseline? = nil
) async -> DiagnosticReport {
    let options = scenarioOptions(
        host, subscription: subscription, logPaths: logPaths, ipc: ipc, dataPort: dataPort, deadline: deadline, samples: samples,
        sampleGap: sampleGap)
    return await DiagnosticRunner(options: options, progressBaseline: baseline).run()
}

/// The options `runChecks` runs the catalogue with, for tests that build the runner themselves.
func scenarioOptions(
    _ host: FakeHost, subscription: Int64 = 33561, logPaths: [String]? = nil, ipc: String? = nil,
    dataPort: UInt16? = nil, deadline: Double = 10, samples: Int = 3, sampleGap: Double = 0.2
) -> CheckOptions {
    CheckOptions(
        gsePath: host.gseRoot + "/", subscriptionID: subscription, ipcSocketFile: ipc, logPaths: logPaths ?? [],
        logPathsGiven: logPaths != nil, hostRoot: host.dir, restartLog: host.restartLog, deadlineSeconds: deadline,
        queueSamples: samples, queueSampleIntervalMs: 30, dataPort: dataPort, sampleGapSeconds: sampleGap)
}

extension DiagnosticReport {
    func verdict(_ module: String, _ item: String) -> Verdict? { result(module: module, item: item)?.verdict }
    func message(_ module: String, _ item: String) -> String { result(module: module, item: item)?.message ?? "<missing>" }
    /// "module/item=verdict" for every entry, for readable failure output.
    var digest: String { results.map { "\($0.module)/\($0.item)=\($0.verdict.rawValue): \($0.message)" }.joined(separator: "\n") }
}

/// Runs the built bkdiag as nobody (uid 65534) and reads its report.
func bkdiagAsNobody(_ args: [String]) throws -> DiagnosticReport {
    let r = try ProgramRun.run(
        "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", BuildProducts.path("bkdiag")] + args)
    return try DiagnosticReport(line: r.stdout.trimmingCharacters(in: .newlines))
}
