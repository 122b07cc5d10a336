import Foundation
import TestSupport

/// Runs `exe` with `args` and the test's environment plus `environment`, and returns its exit status
/// and what it wrote (stdout, then stderr). For the differential tests' Go tools, whose first build
/// on a fresh machine takes minutes: awaited, so the build does not hold a thread the other tests need.
func runCapturing(_ exe: String, _ args: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    let r = try await ProgramRun.run(exe, args, environment: environment, timeout: 600)
    return (r.status, r.stdout + r.stderr + (r.timedOut ? "\n(killed after 600 s)" : ""))
}
