import Foundation
import Report
import Synchronization

/// Phase timings for `BKDIAG_FLEET_TIMING=1` (stderr), to see where parse time goes.
public enum Timing {
    static let enabled = ProcessInfo.processInfo.environment["BKDIAG_FLEET_TIMING"] == "1"
    static let totals = Mutex<[String: Double]>([:])

    public static func now() -> Double { enabled ? Timestamp.monotonicSeconds() : 0 }

    public static func add(_ phase: String, since start: Double) {
        guard enabled else { return }
        let d = Timestamp.monotonicSeconds() - start
        totals.withLock { $0[phase, default: 0] += d }
    }

    /// Prints the totals to stderr when enabled.
    public static func report() {
        guard enabled else { return }
        let t = totals.withLock { $0 }
        let line = t.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value * 1000)) ms" }.joined(separator: ", ")
        FileHandle.standardError.write(Data("timing: \(line)\n".utf8))
    }
}
