import Report

/// One part of a failure signature: a failing item (or `job`/`output`) and its normalised message.
public struct SignatureEntry: Sendable, Hashable, CustomStringConvertible {
    public var item: String
    public var message: String
    /// `item: message`, made in one buffer (`Signature.joined`; interpolated, the string was grown three times).
    public var description: String { message.isEmpty ? item : Signature.joined(item, ": ", message) }
}

/// Failure signatures: which items fail and how, with the host-specific parts of messages removed.
public enum Signature {
    /// The signature entries of a host; empty for a healthy host.
    public static func entries(for h: HostResult, results: [CheckResult]) -> [SignatureEntry] {
        keyed(for: h, results: results).entries
    }

    /// The signature entries of a host, in order, with the key hosts of one signature share: the entries'
    /// descriptions, one per line (each made once: the sort needs them, and the count looks its group up by
    /// them).
    static func keyed(for h: HostResult, results: [CheckResult]) -> (entries: [SignatureEntry], key: String) {
        let out = unsorted(for: h, results: results)
        switch out.count {
        case 0: return ([], "")
        case 1: return (out, out[0].description)
        default:
            let described = out.map { ($0.description, $0) }.sorted { $0.0 < $1.0 }
            return (described.map(\.1), described.map(\.0).joined(separator: "\n"))
        }
    }

    /// The signature entries of a host, in the order found.
    private static func unsorted(for h: HostResult, results: [CheckResult]) -> [SignatureEntry] {
        var out: [SignatureEntry] = []
        switch h.state {
        case .jobFailed:
            // A state that equals no number (`"9"`, `null`) is kept as 0: shown as JOB gave it.
            let shown = h.jobStatus == 0 ? h.jobStatusText : nil
            var m = "host status " + (shown ?? h.jobStatus.map(JobStatusLabels.describeHost) ?? "?")
            if let e = h.errorCode, e != 0 { m += ", error_code " + JobStatusLabels.describeError(e) }
            return [SignatureEntry(item: "job", message: m)]
        case .notFinished:
            return [SignatureEntry(item: "job", message: "not finished (" + (h.jobStatus.map(JobStatusLabels.describeHost) ?? "?") + ")")]
        case .noOutput:
            return [SignatureEntry(item: "output", message: "empty")]
        case .missingLog:
            return [SignatureEntry(item: "output", message: "host missing from the logs")]
        case .fetchFailed:
            return [SignatureEntry(item: "output", message: "log fetch failed: " + normalise(h.fetchError ?? ""))]
        case .unparseable:
            return [SignatureEntry(item: "output", message: "not a report: " + normalise(h.lineErrors.first ?? ""))]
        case .pass, .warn, .fail, .unknown:
            // Through pointers: an entry taken by subscript or handed to a closure is copied (every string of
            // it retained and released).
            let anyFailing = results.withUnsafeBufferPointer { rs in
                guard let base = rs.baseAddress else { return false }
                for k in 0..<rs.count where !(base + k).pointee.verdict.compatStatus {
                    out.append(
                        SignatureEntry(
                            item: itemName((base + k).pointee.module, (base + k).pointee.item),
                            message: normalise((base + k).pointee.message)))
                }
                return !out.isEmpty
            }
            if !anyFailing, h.declaredStatus == false {
                out.append(SignatureEntry(item: "status", message: "declared false"))
            }
            if let e = h.lineErrors.first {
                out.append(SignatureEntry(item: "output", message: "unreadable line: " + normalise(e)))
            }
        }
        return out
    }

    /// `module/item`, made in one buffer (`joined`; two concatenations made and grew a string twice).
    static func itemName(_ module: String, _ item: String) -> String { joined(module, "/", item) }

    /// `first`, `separator` and `second` made in one buffer: every failing entry of every failing host names its
    /// item and describes itself this way.
    static func joined(_ first: String, _ separator: StaticString, _ second: String) -> String {
        var first = first
        var second = second
        let gap = separator.utf8CodeUnitCount
        return first.withUTF8 { a in
            second.withUTF8 { b in
                String(unsafeUninitializedCapacity: a.count + gap + b.count) { out in
                    _ = out.initialize(fromContentsOf: a)
                    _ = UnsafeMutableBufferPointer(rebasing: out[a.count...])
                        .initialize(fromContentsOf: UnsafeBufferPointer(start: separator.utf8Start, count: gap))
                    _ = UnsafeMutableBufferPointer(rebasing: out[(a.count + gap)...]).initialize(fromContentsOf: b)
                    return a.count + gap + b.count
                }
            }
        }
    }

    /// Removes what differs from host to host: digit runs become `N`, hex ids of 8+ characters `#`,
    /// so `pid 1234 on 10.0.0.1` and `pid 77 on 10.0.0.2` share one signature. Long messages are cut.
    ///
    /// A run of ASCII letters and digits is judged as a whole and written once, into one scratch buffer
    /// (every failing entry of every failing host is normalised: tens of thousands per large fleet).
    public static func normalise(_ message: String) -> String {
        var message = message
        let text = message.withUTF8 { u in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, u.count)) { out -> String in
                let n = u.count
                var o = 0
                var k = 0
                while k < n {
                    let c = u[k]
                    guard isAlnum(c) else {
                        out[o] = c
                        o &+= 1
                        k &+= 1
                        continue
                    }
                    var e = k
                    var digits = 0
                    var hex = true
                    while e < n, isAlnum(u[e]) {
                        let d = u[e]
                        if d &- 0x30 < 10 {
                            digits &+= 1
                        } else if (d | 0x20) &- 0x61 >= 6 {
                            hex = false
                        }
                        e &+= 1
                    }
                    let length = e &- k
                    if digits == length {
                        out[o] = UInt8(ascii: "N")
                        o &+= 1
                    } else if length >= 8, digits > 0, hex {
                        out[o] = UInt8(ascii: "#")
                        o &+= 1
                    } else {
                        for j in k..<e {
                            out[o] = u[j]
                            o &+= 1
                        }
                    }
                    k = e
                }
                return String(decoding: UnsafeBufferPointer(rebasing: out[0..<o]), as: UTF8.self)
            }
        }
        // Cut at 160 characters: a text of at most 160 UTF-8 bytes has no more, and is not counted (counting
        // characters walks the grapheme clusters).
        return text.utf8.count > 160 && text.count > 160 ? String(text.prefix(157)) + "..." : text
    }

    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 26 }

    /// A hint for the states that carry none from the host.
    static func fallbackHint(for h: HostResult) -> String? {
        switch h.state {
        case .jobFailed:
            if h.agent == .offline { return "GSE reports the agent offline: restart gse_agent on the host" }
            return "JOB could not run the script: check the GSE agent, the execution account and that the script exits 0"
        case .notFinished: return "raise the deadline (--deadline) or look at the job in JOB"
        case .noOutput: return "the script printed nothing: check that bkdiag is installed on the host (job-check.sh)"
        case .missingLog: return "JOB returned no log for the host: run again or fetch the logs by host id"
        case .fetchFailed: return "fetching the logs failed: run again; the other batches were kept"
        case .unparseable: return "the output is not a report: run bkdiag (or check.py) by hand on the host and read its stdout"
        default: return nil
        }
    }

    /// FNV-1a 64 of the entries, as 8 hex digits.
    static func id(_ entries: [SignatureEntry]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for e in entries {
            for b in e.description.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            h ^= 0x0A
            h = h &* 0x0000_0100_0000_01b3
        }
        let s = String(h >> 32, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
