import Report

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one host's `log_content` the way AgentChecker does: every non-empty line is one JSON report.
public enum HostOutputReader {
    /// The reports and the per-line outcome of one host's output.
    /// With `keepEvidence` false, each report's evidence, context and host identity are dropped after
    /// reading (they are most of its memory; a 100,000-host fleet does not need them in the aggregate, and
    /// no fleet output shows the identity a report gives itself: hosts are named by JOB's key).
    public static func read(_ content: String, keepEvidence: Bool = true) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        var text = content
        return text.withUTF8 { readLines($0, keepEvidence: keepEvidence) }
    }

    /// A `log_content` that is not a string, as AgentChecker takes it: one Python finds false (`0`, `[]`,
    /// `{}`, `false`, `null`) is no output (`if not format_ip_log.get(host, "")`); any other fails at
    /// `.split("\n")` with Python's AttributeError, a line error here rather than a report read from JSON.
    public static func read(logContent v: JSONValue?, keepEvidence: Bool = true) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        switch v {
        case .string(let s)?: return read(s, keepEvidence: keepEvidence)
        case let v? where JSONValue.isTruthy(v):
            return (
                [],
                [.failed(HostLineFailure(emitted: [], error: "'\(AgentCheckerEmulation.pythonType(v))' object has no attribute 'split'"))]
            )
        default: return ([], [])
        }
    }

    /// Reads output given as bytes. Invalid UTF-8 is first repaired as `String` repairs it (U+FFFD), so
    /// the result is the same as reading the text a JSON parser would have made of the bytes.
    /// With an `interner`, reports share their repeated strings with other hosts read through it.
    public static func read(
        bytes: UnsafeBufferPointer<UInt8>, keepEvidence: Bool = true, interner: StringInterner? = nil
    ) -> (reports: [DiagnosticReport], lines: [HostLine]) {
        if isValidUTF8(bytes) { return readLines(bytes, keepEvidence: keepEvidence, interner: interner) }
        return read(String(decoding: bytes, as: UTF8.self), keepEvidence: keepEvidence)
    }

    static func readLines(
        _ buf: UnsafeBufferPointer<UInt8>, keepEvidence: Bool, interner: StringInterner? = nil
    ) -> (reports: [DiagnosticReport], lines: [HostLine]) {
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
                readLine(
                    UnsafeBufferPointer(rebasing: buf[start..<end]), keepEvidence: keepEvidence, interner: interner,
                    reports: &reports, lines: &lines)
            }
            start = end + 1
        }
        // The usual single report line: the shared list (no allocation kept per host).
        if lines.count == 1, case .report(0) = lines[0] { return (reports, HostLine.oneReport) }
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
        _ bytes: UnsafeBufferPointer<UInt8>, keepEvidence: Bool, interner: StringInterner? = nil,
        reports: inout [DiagnosticReport], lines: inout [HostLine]
    ) {
        if let report = ReportLineDecoder.decode(bytes, keepEvidence: keepEvidence, interner: interner) {
            lines.append(.report(reports.count))
            reports.append(report)
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: bytes, maxDepth: pythonMaxDepth)
        } catch {
            lines.append(.failed(HostLineFailure(emitted: [], error: pythonJSONError(error, bytes: bytes))))
            return
        }
        do {
            var report = try DiagnosticReport(json: json)
            if !keepEvidence {
                report.context = []
                report.host = HostIdentity()
                for k in report.results.indices where !report.results[k].evidence.isEmpty { report.results[k].evidence = [] }
            }
            // A message that is not a string: the model holds its JSON, the platform prints Python's str().
            let walked = walk(json, bytes)
            let printed =
                walked.error.isEmpty && walked.emitted.count == report.results.count
                && !zip(walked.emitted, report.results).allSatisfy { $0.text.hasSuffix("] " + $1.message) }
            lines.append(printed ? .reportPrinted(reports.count, walked.emitted) : .report(reports.count))
            reports.append(report)
        } catch {
            var failure = walk(json, bytes)
            if failure.error.isEmpty {
                failure.error = error.description
                failure.checkerFails = false
            }
            lines.append(.failed(failure))
        }
    }

    /// AgentChecker's walk over line `bytes`, read as `json`: read again with `LoneSurrogate` markers when it
    /// holds a surrogate escape, so that Python's `repr` of a value keeps a lone surrogate (`{'x': '\ud800'}`)
    /// and two keys differing only in one stay two.
    static func walk(_ json: JSONValue, _ bytes: UnsafeBufferPointer<UInt8>) -> HostLineFailure {
        if let base = LoneSurrogate.markerBase(for: bytes),
            let marked = try? JSONValue.parse(bytes: bytes, maxDepth: pythonMaxDepth, loneSurrogateMarkers: base)
        {
            return AgentCheckerEmulation.walk(marked, surrogateMarkers: base)
        }
        return AgentCheckerEmulation.walk(json)
    }

    /// How deeply `json.loads` nests arrays and objects before CPython 3.11 stops with a RecursionError:
    /// its default recursion limit (1000) less the frames of `json.loads` itself, called from a script's
    /// top level (the platform's own deeper call stack leaves it a few dozen levels less).
    public static let pythonMaxDepth = 995

    /// Python's `json.loads` wording for our parser's errors: CPython 3.11's messages, positions counted in
    /// characters (code points), not bytes.
    static func pythonJSONError(_ e: JSONParseError, bytes: UnsafeBufferPointer<UInt8>) -> String {
        func at(_ byteOffset: Int) -> String {
            // Lines never hold a newline (the output was split on them): line 1, column = char + 1.
            var chars = 0
            for k in 0..<min(byteOffset, bytes.count) where bytes[k] & 0xC0 != 0x80 { chars += 1 }
            return "line 1 column \(chars + 1) (char \(chars))"
        }
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            return "Unexpected UTF-8 BOM (decode using utf-8-sig): \(at(0))"
        }
        // A value that starts with a minus and is no number (`-`, `-I`, `-Infinit`): Python points at the minus.
        let afterMinus = e.offset > 0 && e.offset <= bytes.count && bytes[e.offset - 1] == UInt8(ascii: "-")
        switch e.reason {
        case "invalid number" where afterMinus, "invalid literal" where afterMinus, "unexpected end of input" where afterMinus:
            return "Expecting value: \(at(e.offset - 1))"
        case "unexpected character", "invalid literal", "unexpected end of input", "invalid number":
            return "Expecting value: \(at(e.offset))"
        case "unexpected trailing data": return "Extra data: \(at(e.offset))"
        case "expected ',' or '}'", "expected ',' or ']'": return "Expecting ',' delimiter: \(at(e.offset))"
        case "expected a string key": return "Expecting property name enclosed in double quotes: \(at(e.offset))"
        case "expected ':'": return "Expecting ':' delimiter: \(at(e.offset))"
        case "control character in string": return "Invalid control character at: \(at(e.offset))"
        case "unterminated string":
            // CPython reads the string's escapes before it finds no closing quote: the first bad one is its error.
            let start = stringStart(before: e.offset, bytes)
            let (reason, offset) = scanUnterminated(from: start, bytes)
            return "\(reason): \(at(offset))"
        case "invalid escape": return "Invalid \\escape: \(at(max(0, e.offset - 2)))"
        case "invalid \\u escape", "truncated \\u escape": return "Invalid \\uXXXX escape: \(at(escapeStart(before: e.offset, bytes)))"
        default:
            // Not a JSONDecodeError: the ValueError's text alone, with no position.
            if e.reason.hasPrefix("Exceeds the limit (") { return e.reason }
            if e.reason.hasPrefix("nesting deeper") {
                let kind = e.offset < bytes.count && bytes[e.offset] == UInt8(ascii: "{") ? "object" : "array"
                return "maximum recursion depth exceeded while decoding a JSON \(kind) from a unicode string"
            }
            return "\(e.reason): \(at(e.offset))"
        }
    }

    /// What CPython 3.11's `scanstring` reports for a string that opens at `quote` and has no closing quote,
    /// and where (a byte offset): walking it as CPython does, a control character, an unknown escape, or a
    /// `\u` escape whose four digits are not hex or reach the end of the line (CPython wants a character
    /// after them) comes first; a high surrogate takes a following `\u` escape with it only when a
    /// character follows that one too. Else the string is unterminated, at its quote. Lengths and positions
    /// are in characters, as CPython counts them.
    static func scanUnterminated(from quote: Int, _ b: UnsafeBufferPointer<UInt8>) -> (String, Int) {
        // Character starts after the quote (a continuation byte is part of the character before it).
        var starts: [Int] = []
        for k in (quote + 1)..<b.count where b[k] & 0xC0 != 0x80 { starts.append(k) }
        let len = starts.count
        func c(_ k: Int) -> UInt8 { b[starts[k]] }
        func hex4(_ from: Int) -> UInt32? {
            var v: UInt32 = 0
            for k in from..<(from + 4) {
                guard k < len, let d = JSONByteParser.hexDigit(c(k)), starts[k] + 1 == (k + 1 < len ? starts[k + 1] : b.count) else {
                    return nil
                }
                v = v << 4 | d
            }
            return v
        }
        let unterminated = ("Unterminated string starting at", quote)
        var k = 0
        while k < len {
            let ch = c(k)
            if ch < 0x20 { return ("Invalid control character at", starts[k]) }
            guard ch == UInt8(ascii: "\\") else {
                k += 1
                continue
            }
            guard k + 1 < len else { return unterminated }
            let e = c(k + 1)
            if e != UInt8(ascii: "u") {
                guard
                    [
                        UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                        UInt8(ascii: "r"), UInt8(ascii: "t"),
                    ].contains(e), starts[k + 1] + 1 == (k + 2 < len ? starts[k + 2] : b.count)
                else { return ("Invalid \\escape", starts[k]) }
                k += 2
                continue
            }
            let digits = k + 2
            guard digits + 4 < len, let v = hex4(digits) else { return ("Invalid \\uXXXX escape", starts[k + 1]) }
            var end = digits + 4
            if v >= 0xD800 && v <= 0xDBFF && end + 6 < len && c(end) == UInt8(ascii: "\\") && c(end + 1) == UInt8(ascii: "u") {
                guard let low = hex4(end + 2) else { return ("Invalid \\uXXXX escape", starts[end + 1]) }
                if low >= 0xDC00 && low <= 0xDFFF { end += 6 }
            }
            k = end
        }
        return unterminated
    }

    /// The opening quote of the string that runs to `offset` (the last quote before it that is not escaped
    /// and starts a string: found by scanning the line from its start).
    static func stringStart(before offset: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var inString = false
        var start = 0
        var k = 0
        while k < min(offset, b.count) {
            let c = b[k]
            if inString {
                if c == UInt8(ascii: "\\") { k += 1 } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                start = k
            }
            k += 1
        }
        return start
    }

    /// The `u` of the `\u` escape the parser stopped in (where Python points).
    static func escapeStart(before offset: Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var k = min(offset, b.count - 1)
        while k > 0 && !(b[k] == UInt8(ascii: "\\") && k + 1 < b.count && b[k + 1] == UInt8(ascii: "u")) { k -= 1 }
        return k + 1
    }
}

/// AgentChecker's walk over one parsed line, with Python's errors, for lines the report model rejects.
enum AgentCheckerEmulation {
    /// The host line and entry lines AgentChecker prints for `json`, and the error it hits ("" when none).
    /// `surrogateMarkers`: `json` was read with `LoneSurrogate` markers past this base (see `PythonText.str`).
    static func walk(_ json: JSONValue, surrogateMarkers: UInt32? = nil) -> HostLineFailure {
        var emitted: [AgentInfo] = []
        guard case .object = json else {
            return HostLineFailure(emitted: emitted, error: subscriptError(json))
        }
        guard let status = json["status"] else { return HostLineFailure(emitted: emitted, error: "'status'") }
        let hostStatus = JSONValue.isTruthy(status)
        func stop(_ error: String) -> HostLineFailure { HostLineFailure(hostStatus: hostStatus, emitted: emitted, error: error) }
        guard let data = json["data"] else { return stop("'data'") }
        let steps: [JSONValue]
        switch data {
        case .array(let a): steps = a
        case .object(let o): steps = o.map { .string($0.0) }
        case .string(let s): steps = s.unicodeScalars.map { .string(String($0)) }
        default: return stop("'\(pythonType(data))' object is not iterable")
        }
        for step in steps {
            guard case .object = step else { return stop(subscriptError(step)) }
            guard let module = step["module"] else { return stop("'module'") }
            guard let item = step["item"] else { return stop("'item'") }
            let label: String
            switch item {
            case .string(let s): label = CheckLabels.platformLabel(forItem: s)
            case .array, .object: return stop("unhashable type: '\(pythonType(item))'")
            default: label = "gse agent检查"
            }
            guard let message = step["message"] else { return stop("'message'") }
            guard let st = step["status"] else { return stop("'status'") }
            let ok = JSONValue.isTruthy(st)
            let text =
                "[\(PythonText.str(module, surrogateMarkers: surrogateMarkers))] [\(label)] [\(ok ? "成功" : "失败")] "
                + PythonText.str(message, surrogateMarkers: surrogateMarkers)
            emitted.append(AgentInfo(ok ? .info : .error, text))
        }
        return stop("")
    }

    static func subscriptError(_ v: JSONValue) -> String {
        switch v {
        case .array: "list indices must be integers or slices, not str"
        case .string: "string indices must be integers, not 'str'"
        default: "'\(pythonType(v))' object is not subscriptable"
        }
    }

    static func pythonType(_ v: JSONValue) -> String {
        switch v {
        case .null: "NoneType"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .object: "dict"
        }
    }
}
