#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Report

/// Reads one host's `log_content` the way AgentChecker does: every non-empty line is one JSON report.
public enum HostOutputReader {
    /// Lines longer than this are not parsed (a report is a few KiB); the line is an error for the host.
    public static let maxLineBytes = 4 << 20

    /// The reports and the per-line outcome of one host's output.
    /// With `keepEvidence` false, each report's evidence and context are dropped after reading
    /// (they are most of its memory; a 100,000-host fleet does not need them in the aggregate).
    public static func read(_ content: String, keepEvidence: Bool = true) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        var text = content
        return text.withUTF8 { readLines($0, keepEvidence: keepEvidence) }
    }

    /// Reads output given as bytes. Invalid UTF-8 is first repaired as `String` repairs it (U+FFFD), so
    /// the result is the same as reading the text a JSON parser would have made of the bytes.
    public static func read(bytes: UnsafeBufferPointer<UInt8>, keepEvidence: Bool = true) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        if isValidUTF8(bytes) { return readLines(bytes, keepEvidence: keepEvidence) }
        return read(String(decoding: bytes, as: UTF8.self), keepEvidence: keepEvidence)
    }

    static func readLines(_ buf: UnsafeBufferPointer<UInt8>, keepEvidence: Bool) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        var reports: [DiagnosticReport] = []
        var lines: [HostLine] = []
        guard let base = buf.baseAddress else { return (reports, lines) }
        var start = 0
        let n = buf.count
        while start <= n {
            var end = n
            if start < n, let p = memchr(base + start, 0x0A, n - start) {
                end = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
            }
            if end > start {
                readLine(UnsafeBufferPointer(rebasing: buf[start..<end]), keepEvidence: keepEvidence, reports: &reports, lines: &lines)
            }
            start = end + 1
        }
        return (reports, lines)
    }

    /// Whether `b` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF), the
    /// check `String(decoding:as:)` makes before it repairs. ASCII is skipped eight bytes at a time.
    static func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let n = b.count
        var i = 0
        while true {
            while i &+ 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i &+= 8 }
            guard i < n else { return true }
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            @inline(__always) func cont(_ k: Int) -> UInt8? {
                guard i + k < n, b[i + k] & 0xC0 == 0x80 else { return nil }
                return b[i + k]
            }
            switch c {
            case 0xC2...0xDF:
                guard cont(1) != nil else { return false }
                i += 2
            case 0xE0...0xEF:
                guard let c1 = cont(1), cont(2) != nil else { return false }
                if c == 0xE0 && c1 < 0xA0 { return false }  // overlong
                if c == 0xED && c1 >= 0xA0 { return false }  // UTF-16 surrogate
                i += 3
            case 0xF0...0xF4:
                guard let c1 = cont(1), cont(2) != nil, cont(3) != nil else { return false }
                if c == 0xF0 && c1 < 0x90 { return false }  // overlong
                if c == 0xF4 && c1 >= 0x90 { return false }  // past U+10FFFF
                i += 4
            default:
                return false
            }
        }
    }

    static func readLine(
        _ bytes: UnsafeBufferPointer<UInt8>, keepEvidence: Bool, reports: inout [DiagnosticReport], lines: inout [HostLine]
    ) {
        if bytes.count > maxLineBytes {
            lines.append(.failed(HostLineFailure(
                emitted: [], error: "line of \(bytes.count) bytes is longer than the \(maxLineBytes)-byte limit")))
            return
        }
        if let report = ReportLineDecoder.decode(bytes, keepEvidence: keepEvidence) {
            lines.append(.report(reports.count))
            reports.append(report)
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: bytes)
        } catch {
            lines.append(.failed(HostLineFailure(emitted: [], error: pythonJSONError(error, bytes: bytes))))
            return
        }
        do {
            var report = try DiagnosticReport(json: json)
            if !keepEvidence {
                report.context = []
                for k in report.results.indices where !report.results[k].evidence.isEmpty { report.results[k].evidence = [] }
            }
            lines.append(.report(reports.count))
            reports.append(report)
        } catch {
            var failure = AgentCheckerEmulation.walk(json)
            if failure.error.isEmpty {
                failure.error = error.description
                failure.checkerFails = false
            }
            lines.append(.failed(failure))
        }
    }

    /// Python's `json.loads` wording for our parser's errors (position as line 1, column, char).
    static func pythonJSONError(_ e: JSONParseError, bytes: UnsafeBufferPointer<UInt8>) -> String {
        let at = "line 1 column \(e.offset + 1) (char \(e.offset))"
        switch e.reason {
        case "unexpected character", "invalid literal", "unexpected end of input", "invalid number":
            return "Expecting value: \(at)"
        case "unexpected trailing data": return "Extra data: \(at)"
        case "expected ',' or '}'", "expected ',' or ']'": return "Expecting ',' delimiter: \(at)"
        case "expected a string key": return "Expecting property name enclosed in double quotes: \(at)"
        case "expected ':'": return "Expecting ':' delimiter: \(at)"
        default: return "\(e.reason): \(at)"
        }
    }
}

/// AgentChecker's walk over one parsed line, with Python's errors, for lines the report model rejects.
enum AgentCheckerEmulation {
    /// The lines AgentChecker prints for `json` (without the host-status line's host), and the error it hits.
    /// The status line text holds `{host}` to be filled in by the renderer.
    static func walk(_ json: JSONValue) -> HostLineFailure {
        var emitted: [AgentInfo] = []
        guard case .object = json else {
            return HostLineFailure(emitted: emitted, error: subscriptError(json))
        }
        guard let status = json["status"] else { return HostLineFailure(emitted: emitted, error: "'status'") }
        emitted.append(JSONValue.isTruthy(status) ? AgentInfo(.info, "[{host}] 成功") : AgentInfo(.error, "[{host}] 失败, 查看详情"))
        guard let data = json["data"] else { return HostLineFailure(emitted: emitted, error: "'data'") }
        let steps: [JSONValue]
        switch data {
        case .array(let a): steps = a
        case .object(let o): steps = o.map { .string($0.0) }
        case .string(let s): steps = s.map { .string(String($0)) }
        default: return HostLineFailure(emitted: emitted, error: "'\(pythonType(data))' object is not iterable")
        }
        for step in steps {
            guard case .object = step else { return HostLineFailure(emitted: emitted, error: subscriptError(step)) }
            guard let module = step["module"] else { return HostLineFailure(emitted: emitted, error: "'module'") }
            guard let item = step["item"] else { return HostLineFailure(emitted: emitted, error: "'item'") }
            guard let message = step["message"] else { return HostLineFailure(emitted: emitted, error: "'message'") }
            guard let st = step["status"] else { return HostLineFailure(emitted: emitted, error: "'status'") }
            let label = item.stringValue.map { CheckLabels.label(forItem: $0) } ?? "gse agent检查"
            let text = "[\(pythonStr(module))] [\(label)] [\(JSONValue.isTruthy(st) ? "成功" : "失败")] \(pythonStr(message))"
            emitted.append(AgentInfo(JSONValue.isTruthy(st) ? .info : .error, text))
        }
        return HostLineFailure(emitted: emitted, error: "")
    }

    static func subscriptError(_ v: JSONValue) -> String {
        switch v {
        case .array: "list indices must be integers or slices, not str"
        case .string: "string indices must be integers"
        default: "'\(pythonType(v))' object is not subscriptable"
        }
    }

    static func pythonType(_ v: JSONValue) -> String {
        switch v {
        case .null: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .object: "dict"
        }
    }

    static func pythonStr(_ v: JSONValue) -> String {
        switch v {
        case .null: "None"
        case .bool(let b): b ? "True" : "False"
        case .string(let s): s
        default: v.serialized()
        }
    }
}
