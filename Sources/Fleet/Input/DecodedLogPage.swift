import Dispatch
import Report

/// One host's log, already read into reports (the raw text is dropped to keep memory flat).
public struct DecodedLog: Sendable {
    public var hostID: Int64?
    public var cloudID: Int64
    public var ip: String
    public let key: String
    /// `key.hashValue`, made with the log on the thread that reads its page: the assembler indexes every log
    /// by its key on one thread.
    let keyHash: Int
    public var reports: [DiagnosticReport]
    public var lines: [HostLine]

    public init(hostID: Int64?, cloudID: Int64, ip: String, key: String, reports: [DiagnosticReport], lines: [HostLine]) {
        self.init(hostID: hostID, cloudID: cloudID, ip: ip, key: key, keyHash: key.hashValue, reports: reports, lines: lines)
    }

    private init(
        hostID: Int64?, cloudID: Int64, ip: String, key: String, keyHash: Int, reports: [DiagnosticReport], lines: [HostLine]
    ) {
        self.hostID = hostID
        self.cloudID = cloudID
        self.ip = ip
        self.key = key
        self.keyHash = keyHash
        self.reports = reports
        self.lines = lines
    }

    /// A log of nothing, left where a log was moved out: made from literals each time (a copy of one kept
    /// aside retained its strings and lists), its key's hash made once.
    static var empty: DecodedLog {
        DecodedLog(hostID: nil, cloudID: 0, ip: "", key: "", keyHash: emptyKeyHash, reports: [], lines: [])
    }
    private static let emptyKeyHash = "".hashValue
}

/// A `batch_get_job_instance_ip_log` page whose outputs have been read.
public struct DecodedLogPage: Sendable {
    public var jobInstanceID: Int64?
    public var stepInstanceID: Int64?
    public var logs: [DecodedLog]
    /// As `JobLogPage.stepIDMatchesNoStep`.
    public var stepIDMatchesNoStep = false

    /// Reads every host's output; with `parallel`, spreads the hosts over the machine's cores.
    public static func decode(_ page: JobLogPage, parallel: Bool, keepEvidence: Bool = true) -> DecodedLogPage {
        let logs = page.logs
        let decoded = map(logs.count, parallel: parallel) { i, _ in
            let l = logs[i]
            let (reports, lines) =
                l.nonText.map { HostOutputReader.read(logContent: $0, keepEvidence: keepEvidence) }
                ?? HostOutputReader.read(l.content, keepEvidence: keepEvidence)
            return DecodedLog(hostID: l.hostID, cloudID: l.cloudID, ip: l.ip, key: l.key, reports: reports, lines: lines)
        }
        return DecodedLogPage(
            jobInstanceID: page.jobInstanceID, stepInstanceID: page.stepInstanceID, logs: decoded,
            stepIDMatchesNoStep: page.stepIDMatchesNoStep)
    }

    /// Reads the hosts of a scanned page (`page` is what `JobAnswer.recognise` made of the document, its
    /// own list left empty): the outputs are read from the scan's buffer without becoming strings.
    static func decode(
        _ raw: [RawHostLog], text: [UInt8], page: JobLogPage, parallel: Bool, keepEvidence: Bool
    ) -> DecodedLogPage {
        let decoded = text.withUnsafeBufferPointer { buf in
            raw.withUnsafeBufferPointer { rawBuf in
                // Only read, by every iteration.
                nonisolated(unsafe) let buf = buf
                nonisolated(unsafe) let raw = rawBuf
                return map(raw.count, parallel: parallel) { i, interner in
                    // Through the pointer: `raw[i]` copied the host (retaining and releasing its strings).
                    let l = raw.baseAddress! + i
                    let (hostID, cloudID, ip) = (l.pointee.hostID, l.pointee.cloudID, l.pointee.ip)
                    let read: (reports: [DiagnosticReport], lines: [HostLine])
                    switch l.pointee.content {
                    case .text(let r):
                        read = HostOutputReader.read(
                            bytes: UnsafeBufferPointer(rebasing: buf[r]), keepEvidence: keepEvidence, interner: interner)
                    case .value(let v): read = HostOutputReader.read(logContent: v, keepEvidence: keepEvidence)
                    case .reports(let reports): read = (reports, HostLine.reports(reports.count))
                    case .rendered(let reports, let lines, let first):
                        read = (reports, reports.indices.map { .reportRendered($0, lines.report(first + $0)) })
                    }
                    return DecodedLog(
                        hostID: hostID, cloudID: cloudID, ip: ip,
                        key: JobHostKey.make(cloudID: cloudID, ip: ip, hostID: hostID, cloudText: l.pointee.cloudText),
                        reports: read.reports, lines: read.lines)
                }
            }
        }
        return DecodedLogPage(
            jobInstanceID: page.jobInstanceID, stepInstanceID: page.stepInstanceID, logs: decoded,
            stepIDMatchesNoStep: page.stepIDMatchesNoStep)
    }

    /// `(0..<count).map(one)`, in chunks over the machine's cores when `parallel`. Each run of hosts
    /// read on one thread (all of them, or a chunk) shares one `StringInterner`.
    static func map(_ count: Int, parallel: Bool, _ one: (Int, StringInterner) -> DecodedLog) -> [DecodedLog] {
        guard parallel && count >= 64 else {
            let interner = StringInterner()
            return (0..<count).map { one($0, interner) }
        }
        var out = [DecodedLog?](repeating: nil, count: count)
        let chunk = 256
        out.withUnsafeMutableBufferPointer { buf in
            // Each iteration writes a disjoint range of slots.
            nonisolated(unsafe) let slots = buf
            withoutActuallyEscaping(one) { one in
                nonisolated(unsafe) let one = one
                DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
                    let interner = StringInterner()
                    for i in (c * chunk)..<min(count, (c + 1) * chunk) { slots[i] = one(i, interner) }
                }
            }
        }
        return takeAll(&out)
    }
}

/// The values of `slots`, all set, moved out instead of copied (`map { $0! }` would retain and release
/// every reference each value holds: a host's strings and arrays). The slots are left nil.
func takeAll<Value>(_ slots: inout [Value?]) -> [Value] {
    slots.withUnsafeMutableBufferPointer { src in
        [Value](unsafeUninitializedCapacity: src.count) { out, used in
            guard let base = src.baseAddress else { return }
            for i in src.indices {
                let value = (base + i).move()
                (base + i).initialize(to: nil)
                out.initializeElement(at: i, to: value!)
                used = i + 1
            }
        }
    }
}
