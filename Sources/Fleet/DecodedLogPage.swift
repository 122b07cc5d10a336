import Dispatch
import Report

/// One host's log, already read into reports (the raw text is dropped to keep memory flat).
public struct DecodedLog: Sendable {
    public var hostID: Int64?
    public var cloudID: Int64
    public var ip: String
    public var key: String
    public var reports: [DiagnosticReport]
    public var lines: [HostLine]
}

/// A `batch_get_job_instance_ip_log` page whose outputs have been read.
public struct DecodedLogPage: Sendable {
    public var jobInstanceID: Int64?
    public var stepInstanceID: Int64?
    public var logs: [DecodedLog]

    /// Reads every host's output; with `parallel`, spreads the hosts over the machine's cores.
    public static func decode(_ page: JobLogPage, parallel: Bool, keepEvidence: Bool = true) -> DecodedLogPage {
        let logs = page.logs
        var out = [DecodedLog?](repeating: nil, count: logs.count)
        @Sendable func one(_ l: JobHostLog) -> DecodedLog {
            let (reports, lines) = HostOutputReader.read(l.content, keepEvidence: keepEvidence)
            return DecodedLog(hostID: l.hostID, cloudID: l.cloudID, ip: l.ip, key: l.key, reports: reports, lines: lines)
        }
        if parallel && logs.count >= 64 {
            let chunk = 64
            let chunks = (logs.count + chunk - 1) / chunk
            out.withUnsafeMutableBufferPointer { buf in
                // Each iteration writes a disjoint range of slots.
                nonisolated(unsafe) let slots = buf
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = c * chunk
                    let hi = min(lo + chunk, logs.count)
                    for i in lo..<hi { slots[i] = one(logs[i]) }
                }
            }
        } else {
            for i in logs.indices { out[i] = one(logs[i]) }
        }
        return DecodedLogPage(jobInstanceID: page.jobInstanceID, stepInstanceID: page.stepInstanceID, logs: out.map { $0! })
    }
}
