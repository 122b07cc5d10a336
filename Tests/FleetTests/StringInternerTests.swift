import Report
import TestSupport
import Testing

@testable import Fleet

/// The interning paths must give exactly what the plain ones give: `StringInterner.string` is
/// `String(decoding:as:)`, `string(interning:)` is `string()` (value or error), and a report decoded
/// through an interner equals one decoded without.
@Suite struct StringInternerTests {
    /// String bodies (between the quotes, as JSON text) around every escape, surrogates (paired, lone,
    /// reversed), raw non-ASCII and ill-formed UTF-8, at lengths around the interner's limits.
    static let bodies: [[UInt8]] = {
        var out: [[UInt8]] = []
        let pieces = [
            "plain", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u4e2d", "\\ud83d\\ude00", "\\ud800",
            "\\udc00", "\\ud800\\u0041", "\\ude00\\ud83d", "中文", "é", "\\u0000",
        ]
        for p in pieces {
            for pad in [0, 1, 7, 8, 14, 15, 16, 17, 250, 256, 257, 300] {
                out.append(Array((String(repeating: "x", count: pad) + p).utf8))
                out.append(Array((p + String(repeating: "y", count: pad)).utf8))
            }
        }
        // Ill-formed UTF-8 (repaired to U+FFFD the same way) and raw bytes near the limits.
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]] {
            for pad in [0, 15, 16, 255, 256] { out.append(Array(repeating: 0x61, count: pad) + bad) }
        }
        return out
    }()

    /// Bodies the parser rejects: both paths must throw.
    static let broken: [[UInt8]] = ["\\x", "\\u12", "\\u12g4", "a\u{01}b", "abc", "abc\\", "\\ud83d\\u"].map { Array($0.utf8) }

    @Test func internedBytesAreStringDecoding() {
        let interner = StringInterner()
        for round in 0..<2 {
            for b in Self.bodies {
                b.withUnsafeBufferPointer { p in
                    #expect(interner.string(p) == String(decoding: p, as: UTF8.self), "round \(round): \(b)")
                }
            }
        }
    }

    @Test func stringInterningIsString() {
        let interner = StringInterner()
        for round in 0..<2 {
            for body in Self.bodies {
                let text = [0x22] + body + [0x22, 0x2C]
                text.withUnsafeBufferPointer { p in
                    var a = JSONByteParser(b: p)
                    var b = JSONByteParser(b: p)
                    let plain = Result { () throws(JSONParseError) in try a.string() }
                    let interned = Result { () throws(JSONParseError) in try b.string(interning: interner) }
                    switch (plain, interned) {
                    case (.success(let x), .success(let y)):
                        #expect(x == y, "round \(round): \(body)")
                        #expect(a.i == b.i)
                    case (.failure, .failure): break
                    default: Issue.record("round \(round): \(body): \(plain) vs \(interned)")
                    }
                }
            }
        }
    }

    @Test func brokenStringsThrowBothWays() {
        let interner = StringInterner()
        for body in Self.broken {
            let text = [0x22] + body + (body == Array("abc".utf8) ? [] : [0x22])
            text.withUnsafeBufferPointer { p in
                var a = JSONByteParser(b: p)
                var b = JSONByteParser(b: p)
                let plain = Result { () throws(JSONParseError) in try a.string() }
                let interned = Result { () throws(JSONParseError) in try b.string(interning: interner) }
                if case .failure(let x) = plain, case .failure(let y) = interned {
                    #expect(x.reason == y.reason && x.offset == y.offset, "\(body)")
                } else {
                    Issue.record("\(body): \(plain) vs \(interned)")
                }
            }
        }
    }

    /// Past `maxEntries` distinct texts nothing new is remembered, and every answer is still right.
    @Test func aFullInternerStillAnswers() {
        let interner = StringInterner()
        for round in 0..<2 {
            for k in 0..<(StringInterner.maxEntries + 500) {
                let s = "message number \(k) of the fleet"
                var copy = s
                #expect(copy.withUTF8 { interner.string($0) } == s, "round \(round)")
            }
        }
    }

    /// Report lines (the decoder's differential corpus and lines with escaped, repeated and long texts)
    /// decode to the same report through an interner, on first sight and on repeats.
    @Test func reportsDecodeTheSameThroughAnInterner() {
        let entry = { (m: String, i: String, msg: String, hint: String) in
            "{\"module\": \"\(m)\", \"item\": \"\(i)\", \"status\": true, \"message\": \"\(msg)\", \"hint\": \(hint)}"
        }
        let long = String(repeating: "long message ", count: 30)
        var lines = ReportLineDecoderTests.lines
        lines += [
            "{\"status\": true, \"data\": [\(entry("gse_agent", "socket_queue_status", "q \\\"0\\\" \\u4e2d\\ud83d\\ude00", "\"do \\n it\""))]}",
            "{\"status\": true, \"data\": [\(entry("gse_agent", "socket_queue_status", long, "5"))]}",
            "{\"status\": true, \"data\": [\(entry("m", "i", "x", "null")), \(entry("m", "i", "lone \\ud800 surrogate", "[1, {\\\"a\\\": 2}]"))]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"x\", \"hint\": \"a\", \"hint\": \"b\"}]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"x\", \"hint\": [1,}]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"bad \\x escape\"}]}",
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"i\", \"status\": true, \"message\": \"unterminated}]}",
        ]
        let interner = StringInterner()
        for round in 0..<2 {
            for line in lines {
                var copy = line
                let plain = copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: true) }
                let interned = copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: true, interner: interner) }
                #expect(plain == interned, "round \(round): \(line.prefix(160))")
                let slow = try? DiagnosticReport(line: line)
                if let interned { #expect(interned == slow, "round \(round): \(line.prefix(160))") }
            }
        }
    }

    /// A whole page read with interning equals the same page read host by host without it.
    @Test func hostOutputsReadTheSameThroughAnInterner() {
        let outputs = ReportLineDecoderTests.lines + [Fixtures.healthyRich + "\n" + Fixtures.brokenRich(pid: 3) + "\nnot json\n"]
        let interner = StringInterner()
        for output in outputs + outputs {
            var copy = output
            let plain = copy.withUTF8 { HostOutputReader.read(bytes: $0, keepEvidence: false) }
            let interned = copy.withUTF8 { HostOutputReader.read(bytes: $0, keepEvidence: false, interner: interner) }
            #expect(plain.reports == interned.reports)
            #expect(plain.lines == interned.lines)
        }
    }
}
