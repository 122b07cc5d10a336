import Foundation
import Report
import TestSupport
import Testing

@testable import Fleet

/// The byte-level paths (skipping, unescaping into buffers, the one-pass page scanner, UTF-8 checking)
/// must accept, reject and produce exactly what the tree parser and the `String` paths do.
@Suite struct ScannerTests {
    static let texts: [String] =
        JSONCorpus.valid + JSONCorpus.invalid + [
            "{\"a\": [1, 2.5, -0.0, 1e400, 1E-400, 123456789012345678901234567890, -9223372036854775808]}",
            "[1., 2]", "[.5]", "[1e]", "[1e+]", "[1.5e3.2]", "[01.5]", "[-]", "[--1]", "[1.2.3]", "\"\\ud83d\\u12\"",
            "\"\\ud83d\\uzzzz\"", "\"\\ud83d\"", "\"\\", "\"abc\\", "\"\\u00\"", "\"ctl \u{7f} del is fine\"", "\"\u{00}\"",
            "{\"k\\u0065y\": 1, \"key\": 2}", "{\"a\" : 1 , \"b\":[ ] , \"c\":{ }}", "[tru]", "[nulll]", "[true false]",
            "{\"a\":1,,}", "{,}", "[,]", "{\"a\"}", "{1: 2}",
            // Numbers, which `skipValue` passes over without making their value.
            "[-Infinity, Infinity, NaN]", "[-I]", "[-Inf]", "-0", "0123", "[1E+5, 2e-0, 3.25E5]", "-", "[-a]",
            String(repeating: "7", count: 4300), "-" + String(repeating: "7", count: 4300),
            "[" + String(repeating: "7", count: 4301) + "]", "[-" + String(repeating: "7", count: 4301) + "]",
            String(repeating: "7", count: 4301) + ".5", String(repeating: "7", count: 4301) + "e2",
            "[0." + String(repeating: "0", count: 5000) + "1]", "[1e99999999999999999999]",
        ]

    /// `skipValue` moves exactly as far as `value` and fails on exactly the same texts, with the same error.
    @Test(arguments: texts)
    func skipAgreesWithValue(text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { mbuf in
            let buf = UnsafeBufferPointer(mbuf)
            var a = JSONByteParser(b: buf)
            var b = JSONByteParser(b: buf)
            a.skipSpace()
            b.skipSpace()
            let built = Result { () throws(JSONParseError) in try a.value(depth: 0) }
            let skipped = Result { () throws(JSONParseError) in try b.skipValue(depth: 0) }
            switch (built, skipped) {
            case (.success, .success): #expect(a.i == b.i, "\(text)")
            case (.failure(let e1), .failure(let e2)):
                #expect(e1.offset == e2.offset && e1.reason == e2.reason, "\(text.prefix(80)): \(e1) vs \(e2)")
            default: Issue.record("value and skipValue disagree on \(text.prefix(80))")
            }
        }
    }

    /// Unescaping into a buffer gives the bytes of the `String` the tree parser makes, for every escape,
    /// whether the word loop or the byte loop sees it (runs of every length before it).
    @Test func unescapeIntoBufferMatchesString() throws {
        let pieces = [
            "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u4e2d", "\\ud83d\\ude00", "\\ud800", "\\udc00x",
            "中文", "é", "plain",
        ]
        for piece in pieces {
            for pad in 0..<17 {
                let body = String(repeating: "a", count: pad) + piece + String(repeating: "b", count: 16 - pad) + piece
                let text = "\"" + body + "\""
                let expected = try #require(try JSONValue.parse(text).stringValue)
                var bytes = Array(text.utf8)
                let out = bytes.withUnsafeMutableBufferPointer { mbuf -> [UInt8]? in
                    var p = JSONByteParser(b: UnsafeBufferPointer(mbuf))
                    // Exactly the escaped length, so the word loop must stop short of the end.
                    return try? [UInt8](unsafeUninitializedCapacity: text.utf8.count) { o, n in
                        n = try p.string(into: o.baseAddress!, capacity: o.count)
                        #expect(p.i == text.utf8.count)
                    }
                }
                #expect(out.map { String(decoding: $0, as: UTF8.self) } == expected, "\(text)")
            }
        }
    }

    /// The quick decimal path gives what `Double(String)` (strtod) gives.
    @Test func fastDoublesMatchStrtod() throws {
        var texts = [
            "0.0", "-0.0", "1.25", "0.1", "0.3", "2.5e-3", "1e22", "1e23", "9007199254740993.0", "9007199254740992.5",
            "1.7976931348623157e308", "5e-324", "123456789012345678.9", "0.0000000000000000000001", "-1.5E+10", "4.35", "1e-22",
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let mantissa = UInt64.random(in: 0...(1 << 54), using: &rng)
            let digits = String(mantissa)
            let cut = Int.random(in: 0...digits.count, using: &rng)
            var t = String(digits.prefix(cut)).isEmpty ? "0" : String(digits.prefix(cut))
            t += "." + (cut == digits.count ? "0" : String(digits.dropFirst(cut)))
            if Bool.random(using: &rng) { t += "e" + String(Int.random(in: -30...30, using: &rng)) }
            texts.append(Bool.random(using: &rng) ? "-" + t : t)
        }
        for t in texts {
            let v = try JSONValue.parse(t)
            let d = try #require(Double(t))
            guard case .double(let got) = v else {
                Issue.record("\(t) read as \(v)")
                continue
            }
            #expect(got.bitPattern == d.bitPattern, "\(t): \(got) vs \(d)")
        }
    }

    @Test func escapedMemberNamesAreDecoded() throws {
        let line =
            "{\"st\\u0061tus\": false, \"d\\u0061ta\": [{\"module\": \"m\", \"it\\u0065m\": \"i\", \"status\": true, \"message\": \"x\"}]}"
        var copy = line
        let fast = try #require(copy.withUTF8 { ReportLineDecoder.decode($0, keepEvidence: true) })
        #expect(fast == (try DiagnosticReport(line: line)))
        #expect(fast.declaredStatus == false)
    }

    static let invalidUTF8: [[UInt8]] = [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
        [0xE4, 0xB8], [0xC3], [0x80], [0xF0, 0x9F, 0x98],
    ]
    static let validUTF8: [[UInt8]] = [
        [], Array("plain ascii text of some length".utf8), Array("中文 é 😀 \u{10FFFF}".utf8), [0xEF, 0xBF, 0xBD],
    ]

    @Test func utf8CheckAgreesWithString() {
        for bad in Self.invalidUTF8 {
            for pad in [0, 3, 8, 13] {
                let bytes = Array(repeating: UInt8(ascii: "a"), count: pad) + bad + Array("tail".utf8)
                let asString = String(decoding: bytes, as: UTF8.self)
                #expect(bytes.withUnsafeBufferPointer { HostOutputReader.isValidUTF8($0) } == (Array(asString.utf8) == bytes))
            }
        }
        for good in Self.validUTF8 {
            #expect(good.withUnsafeBufferPointer { HostOutputReader.isValidUTF8($0) })
        }
    }

    /// Output bytes that are not UTF-8 read as the repaired text would (error offsets and messages included).
    @Test func invalidUTF8OutputReadsAsRepairedText() {
        let line: [UInt8] =
            Array("{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"process\", \"status\": false, \"message\": \"bad ".utf8)
            + [0xFF, 0xFE] + Array(" here\"}]}\n{\"m\": \"".utf8) + [0xE4, 0xB8] + Array("\"} x\n".utf8)
        let fromBytes = line.withUnsafeBufferPointer { HostOutputReader.read(bytes: $0) }
        let fromText = HostOutputReader.read(String(decoding: line, as: UTF8.self))
        #expect(fromBytes.reports == fromText.reports)
        #expect(fromBytes.lines == fromText.lines)
        #expect(fromBytes.reports.first?.results.first?.message == "bad \u{FFFD}\u{FFFD} here")
    }

    /// Documents the scanner must read like the tree reader: unwrapped pages, repeated members, an escaped
    /// `log_content` name, a non-string `log_content`, a list holding a non-object, status answers, failures.
    static let documents: [String] = {
        let good = Fixtures.healthyRich + "\n"
        let bad = Fixtures.brokenRich(pid: 7) + "\njunk\n"
        func log(_ ip: String, _ content: JSONValue) -> JSONValue {
            .object([("bk_host_id", 1), ("bk_cloud_id", 0), ("ip", .string(ip)), ("log_content", content)])
        }
        let list = JSONValue.array([
            log("10.0.0.1", .string(good)), log("10.0.0.2", .string(bad)), log("10.0.0.3", .null), log("10.0.0.4", 42),
            .object([("ipv6", "fd00::1"), ("log_content", .string(Fixtures.checkPyLine()))]), .object([]),
        ])
        let page = JSONValue.object([("job_instance_id", 5), ("step_instance_id", 6), ("script_task_logs", list)])
        let plain = page.serialized()
        return [
            Fixtures.wrap(page).serialized(), plain, "\n  " + plain + "  \n",
            "{\"code\": 0, \"data\": " + plain + ", \"data\": null}",
            "{\"code\": 0, \"data\": {\"script_task_logs\": [], \"script_task_logs\": " + list.serialized() + "}}",
            "{\"code\": 0, \"data\": {\"script_task_logs\": " + list.serialized() + ", \"script_task_logs\": []}}",
            "{\"code\": 0, \"data\": {\"script_task_logs\": 5}, \"script_task_logs\": " + list.serialized() + "}",
            "{\"script_task_logs\": " + list.serialized() + ", \"data\": {\"script_task_logs\": []}}",
            "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"a\\n\", \"log\\u005fcontent\": \"b\\n\", \"log_content\": 5}]}",
            "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log\\u005fcontent\": \""
                + Fixtures.checkPyLine().replacingOccurrences(of: "\"", with: "\\\"") + "\"}]}",
            "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"x\"}, 7]}",
            "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"x\"}, 7, {\"ip\": \"2.2.2.2\"}]}",
            "{\"result\": false, \"code\": 1, \"message\": \"no\", \"data\": {\"script_task_logs\": " + list.serialized() + "}}",
            Fixtures.wrap(Fixtures.mixedStatus).serialized(), repeatedPage,
            "{\"code\": 0, \"data\": {\"script_task_logs\": " + list.serialized() + "}, \"data\": [1]}",
            "{\"code\": 0, \"data\": {\"script_task_logs\": " + list.serialized() + "}, \"data\": {\"x\": 1}}",
        ] + statusDocuments
    }()

    /// Status answers whose host rows the scanner reads itself: every shape of row and member it must
    /// read as the tree does (repeats, other types, escaped names, rows that are not objects).
    static let statusDocuments: [String] = {
        let rows = [
            "{\"bk_host_id\": 1, \"ip\": \"10.0.0.1\", \"bk_cloud_id\": 0, \"status\": 9, \"tag\": \"\", \"exit_code\": 0, \"error_code\": 0, \"start_time\": 1, \"end_time\": 2, \"total_time\": 1000}",
            "{\"ip\": \"10.0.0.2\", \"status\": \"11\", \"status\": 9.0, \"error_code\": \" 104 \", \"extra\": {\"a\": [1, {\"b\": null}]}}",
            "{\"ipv6\": \"fd00::3\", \"ip\": \"\", \"bk_cloud_id\": \"2\", \"host_id\": 33, \"status\": true}",
            "{\"i\\u0070\": \"10.0.0.4\", \"st\\u0061tus\": 9, \"bk_host_id\": null, \"host_id\": 44, \"exit_code\": 1e2, \"total_time\": -5}",
            "{}", "7", "null", "[1, 2]", "\"10.0.0.5\"",
            "{\"ip\": 5, \"ipv6\": [\"x\"], \"bk_cloud_id\": 1.5, \"status\": 123456789012345678901234567890}",
            // Names one byte off the kept ones, after them: each would overwrite a kept value if taken for it.
            "{\"ip\": \"10.0.0.6\", \"ipv6\": \"fd00::6\", \"status\": 9, \"host_id\": 6, \"exit_code\": 0, \"bk_host_id\": 60, "
                + "\"error_code\": 0, \"total_time\": 6, \"bk_cloud_id\": 0, \"iq\": \"10.0.0.9\", \"ipv7\": \"x\", \"statuz\": 1, "
                + "\"host_ix\": 5, \"exit_codf\": 3, \"bk_host_ie\": 7, \"tk_host_id\": 8, \"error_codx\": 2, \"errorxcode\": 2, "
                + "\"total_timf\": 9, \"bk_cloud_ix\": 4, \"IP\": \"10.0.0.10\"}",
            // Whitespace everywhere, -0, negative values, 18 and 19 digits, non-ASCII, escapes, DEL, fractions,
            // exponents, big integers, nesting.
            "{ \"ip\" :\"10.0.0.7\" ,\r\n\t\"status\"\t:\n9 , \"exit_code\" : -0 , \"error_code\":-104,\"total_time\":999999999999999999 ,\"bk_cloud_id\": -3}",
            "{\"ip\": \"10.0.0.8\", \"status\": 9, \"total_time\": 9223372036854775807, \"exit_code\": -9223372036854775808, \"tag\": \"中\"}",
            "{\"ip\": \"10.0.0.9\", \"status\": 9, \"tag\": \"a\\\"b\", \"ip\": \"10.0.0.\\u0039\", \"error_code\": 1.0, \"exit_code\": 2E0}",
            "{\"ip\": \"10.0.0.11\", \"status\": false, \"bk_cloud_id\": null, \"tag\": \"\u{7f}\", \"end_time\": [], \"start_time\": {}}",
            "{\"ip\": \"10.0.0.12\", \"status\": 9, \"total_time\": 12345678901234567890123, \"bk_cloud_id\": -1, \"status\": 11}",
            "{ }",
        ]
        let list = "[" + rows.joined(separator: ", ") + "]"
        let step = "{\"step_instance_id\": 2, \"status\": 3, \"step_ip_result_list\": " + list + "}"
        return [
            "{\"result\": true, \"code\": 0, \"data\": {\"finished\": true, \"job_instance\": {\"job_instance_id\": 1}, \"step_instance_list\": ["
                + step + "]}}",
            "{\"finished\": true, \"step_instance_list\": [" + step + ", 5, {\"step_instance_id\": 3, \"step_ip_result_list\": []}]}",
            "{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": " + list + ", \"step_ip_result_list\": [" + rows[0]
                + "]}]}",
            "{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": [" + rows[0] + "], \"step_ip_result_list\": null}]}",
            "{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": 5}]}",
            "{\"finished\": true, \"step_instance_list\": [" + step + "], \"step_instance_list\": [{\"step_ip_result_list\": [" + rows[1]
                + "]}]}",
            "{\"code\": 0, \"data\": {\"finished\": 1, \"step_instance_list\": {\"step_ip_result_list\": " + list + "}}}",
        ]
    }()

    /// Host rows that are not JSON, each within a byte of a plain row: the scan fails on each, as the tree
    /// parser does, rather than taking a row.
    @Test(arguments: [
        "{\"ip\": \"1.1.1.1\", \"status\": 09}", "{\"status\": 1.}", "{\"status\": -}", "{\"status\": --1}", "{\"status\": tru}",
        "{\"status\": truex}", "{\"status\": nul}", "{\"status\": 9,}", "{\"status\" 9}", "{\"status\": 9 \"ip\": \"x\"}",
        "{\"ip\": \"1.1.1.1}", "{\"ip\": \"a\u{01}b\"}", "{\"i\u{09}p\": 1}", "{status: 9}", "{\"status\": 9", "{\"status\": 1e}",
        "{\"status\": +1}", "{\"status\": 9}}",
        // A literal cut short, where the bytes after what the whole literal would take are a separator.
        "{\"tag\": tru}}", "{\"tag\": fals,}", "{\"status\": nul}}",
    ])
    func brokenHostRowsFailTheScan(row: String) {
        let text = "{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": [" + row + "]}]}"
        #expect((try? JSONValue.parse(text)) == nil, "the corpus row must be broken JSON: \(row)")
        #expect(Array(text.utf8).withUnsafeBufferPointer { ScannedDocument.scan($0) } == nil, "\(row)")
    }

    /// Status answers of many rows in a few shapes that differ in their digits (ids, addresses, codes), in
    /// their literals and strings, in members that are not plain, and in repeated names: the scan, which
    /// takes a row equal to one before but for digits as that row's shape (`RowShapes`), reads every answer
    /// as the tree reader does, and took rows so.
    @Test func rowsEqualButForDigitsReadLikeTheTreeReader() throws {
        var rng = EscapedOutputDecoderTests.SplitMix(state: 0x5EED_0101)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
        // Mostly one digit, so that rows come back in the same shape; now and then two.
        func number() -> String { Int.random(in: 0..<12, using: &rng) == 0 ? "1" + digits(1) : digits(1) }
        func pick(_ xs: [String]) -> String { xs.randomElement(using: &rng)! }
        var hits = 0
        for _ in 0..<40 {
            let rows = (0..<Int.random(in: 1...60, using: &rng)).map { _ in
                var members = [
                    "\"bk_host_id\": " + number(), "\"ip\": \"10.0." + number() + "." + number() + "\"", "\"bk_cloud_id\": " + number(),
                    "\"status\": "
                        + (Int.random(in: 0..<4, using: &rng) > 0 ? number() : pick(["\"9\"", "true", "false", "null", "9.5", "-1"])),
                    "\"tag\": " + (Int.random(in: 0..<4, using: &rng) > 0 ? "\"t" + digits(1) + "\"" : pick(["\"\"", "\"\\u0031\""])),
                    "\"exit_code\": " + number(), "\"error_code\": " + number(),
                    "\"total_time\": " + (Int.random(in: 0..<8, using: &rng) > 0 ? number() : "1e3"),
                ]
                if Int.random(in: 0..<12, using: &rng) == 0 { members.append("\"status\": " + number()) }
                if Int.random(in: 0..<12, using: &rng) == 0 { members.swapAt(0, members.count - 1) }
                return "{" + members.joined(separator: Int.random(in: 0..<12, using: &rng) > 0 ? ", " : ",") + "}"
            }
            let text =
                "{\"result\": true, \"code\": 0, \"data\": {\"finished\": true, \"step_instance_list\": [{\"step_instance_id\": 2, "
                + "\"step_ip_result_list\": [" + rows.joined(separator: ", ") + "]}]}}"
            let bytes = Array(text.utf8)
            let scanned = try #require(bytes.withUnsafeBufferPointer { ScannedDocument.scan($0) })
            hits += scanned.rowShapeHits
            try Self.expectSame(
                try AnswerReader.recognise(bytes: bytes, source: "f", parallel: false),
                try AnswerReader.recogniseTrees(bytes: bytes, source: "f", parallel: false, keepEvidence: true))
        }
        #expect(hits > 50)
        // A zero put where a number of the row before started: no JSON number, so no row, as in the tree.
        for (before, after) in [("19", "09"), ("10", "00"), ("5", "05")] {
            let row = "{\"bk_host_id\": 7, \"ip\": \"10.0.0.1\", \"status\": "
            let text =
                "{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": [" + row + before + "}, " + row + after + "}]}]}"
            #expect((try? JSONValue.parse(text)) == nil)
            #expect(Array(text.utf8).withUnsafeBufferPointer { ScannedDocument.scan($0) } == nil, "\(after)")
        }
    }

    /// The kept members of a host row are told by their length and two words: each name is found, and a
    /// name differing from one in any single byte, or one byte longer or shorter, is none of them.
    @Test func hostMemberNamesAreToldApartByEveryByte() {
        let names: [(String, HostMembers.Field)] = [
            ("ip", .ip), ("ipv6", .ipv6), ("status", .status), ("host_id", .hostID), ("exit_code", .exitCode),
            ("bk_host_id", .bkHostID), ("error_code", .errorCode), ("total_time", .totalTime), ("bk_cloud_id", .cloudID),
        ]
        func field(_ bytes: [UInt8]) -> HostMembers.Field? { bytes.withUnsafeBufferPointer { HostMembers.Field($0) } }
        func isLogContent(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { HostMembers.Field.isLogContent($0) } }
        var variants: [[UInt8]] = []
        for name in names.map(\.0) + ["log_content"] {
            let bytes = Array(name.utf8)
            for k in bytes.indices {
                var changed = bytes
                changed[k] ^= 0x01
                variants.append(changed)
            }
            variants += [Array(bytes.dropLast()), Array(bytes.dropFirst()), bytes + [0x5F], [0x5F] + bytes]
        }
        for (name, f) in names {
            #expect(field(Array(name.utf8)) == f, "\(name)")
            #expect(!isLogContent(Array(name.utf8)))
        }
        #expect(isLogContent(Array("log_content".utf8)) && field(Array("log_content".utf8)) == nil)
        for v in variants where !names.contains(where: { Array($0.0.utf8) == v }) {
            #expect(field(v) == nil, "\(String(decoding: v, as: UTF8.self))")
            #expect(!isLogContent(v), "\(String(decoding: v, as: UTF8.self))")
        }
        #expect(field([]) == nil && field([0x69]) == nil)
    }

    @Test(arguments: documents)
    func scannerReadsLikeTheTreeReader(text: String) throws {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { ScannedDocument.scan($0) } != nil)
        for (keep, parallel) in [(true, false), (false, false), (true, true)] {
            let fast = Result { () throws(FleetError) in
                try AnswerReader.recognise(bytes: bytes, source: "f", parallel: parallel, keepEvidence: keep)
            }
            let slow = Result { () throws(FleetError) in
                try AnswerReader.recogniseTrees(bytes: bytes, source: "f", parallel: false, keepEvidence: keep)
            }
            switch (fast, slow) {
            case (.success(let a), .success(let b)): try Self.expectSame(a, b)
            case (.failure(let a), .failure(let b)): #expect(a.code == b.code && a.message == b.message)
            default: Issue.record("one reader failed: \(fast) vs \(slow)")
            }
        }
    }

    /// A page whose members repeat: the last `script_task_logs`, `data` and `log_content` count, in the
    /// scanner as in the tree reader (and as in Python's json, which the central parser uses).
    static let repeatedPage: String = {
        let checkPy = JSONValue.string(Fixtures.checkPyLine() + "\n").serialized()
        let first = "[{\"ip\": \"1.1.1.1\", \"log_content\": \"x\\n\"}]"
        let last = "[{\"ip\": \"2.2.2.2\", \"ip\": \"3.3.3.3\", \"log_content\": \"junk\\n\", \"log_content\": " + checkPy + "}]"
        return "{\"code\": 0, \"result\": true, \"data\": {\"script_task_logs\": 5}, \"data\": {\"script_task_logs\": " + first
            + ", \"script_task_logs\": " + last + "}}"
    }()

    @Test func repeatedMembersOfAPageCountWithTheirLastValue() throws {
        for text in [
            Self.repeatedPage,
            Self.repeatedPage.replacingOccurrences(of: "\"result\": true, ", with: "\"result\": true, \"script_task_logs\": [], "),
        ] {
            let bytes = Array(text.utf8)
            for answers in [
                try AnswerReader.recognise(bytes: bytes, source: "f", parallel: false),
                try AnswerReader.recogniseTrees(bytes: bytes, source: "f", parallel: false, keepEvidence: true),
            ] {
                guard case .logs(let page)? = answers.first else {
                    Issue.record("not a log page: \(answers)")
                    continue
                }
                #expect(page.logs.map(\.ip) == ["3.3.3.3"])
                #expect(page.logs.first?.reports.count == 1, "the last log_content, check.py's line, is the host's output")
            }
        }
        // And a later non-list, or a later non-object data, replaces a captured list.
        let later = "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"x\"}], \"script_task_logs\": [7]}"
        let fast = try AnswerReader.recognise(bytes: Array(later.utf8), source: "f", parallel: false)
        let slow = try AnswerReader.recogniseTrees(bytes: Array(later.utf8), source: "f", parallel: false, keepEvidence: true)
        try Self.expectSame(fast, slow)
    }

    /// Not one JSON text: the scanner gives up, and the tree reader explains or splits.
    @Test(arguments: [
        "", "  ", "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"a\tb\"}]}",
        "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"a\\qb\"}]}",
        "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"a\\ud800\\u12g4\"}]}",
        "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"abc",
        "{\"script_task_logs\": [{\"ip\": \"1.1.1.1\", \"log_content\": \"abc\\",
        "{\"script_task_logs\": []} {\"script_task_logs\": []}", "{\"script_task_logs\": [{\"log_content\": \"x\"}]}]",
    ])
    func scannerRejectsWhatIsNotOneDocument(text: String) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { ScannedDocument.scan($0) } == nil)
    }

    static func expectSame(_ a: [ReadAnswer], _ b: [ReadAnswer]) throws {
        try #require(a.count == b.count)
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.answer(let p), .answer(let q)): #expect(p == q)
            case (.logs(let p), .logs(let q)):
                #expect(p.jobInstanceID == q.jobInstanceID && p.stepInstanceID == q.stepInstanceID)
                try #require(p.logs.count == q.logs.count)
                for (l, m) in zip(p.logs, q.logs) {
                    #expect(l.hostID == m.hostID && l.cloudID == m.cloudID && l.ip == m.ip && l.key == m.key)
                    #expect(l.reports == m.reports)
                    #expect(l.lines == m.lines)
                }
            default: Issue.record("different answers: \(x) vs \(y)")
            }
        }
    }

    @Test func loadReadsFilesAndPipesWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-load-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for size in [0, 1, 65_535, 65_536, 300_001] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let path = "\(dir)/\(size)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            #expect(try AnswerReader.load(path) == bytes)
            // A pipe reports no size: read on to its end.
            let pipe = Pipe()
            let writer = Thread {
                pipe.fileHandleForWriting.write(Data(bytes)); try? pipe.fileHandleForWriting.close()
            }
            writer.start()
            #expect(AnswerReader.readAll(fd: pipe.fileHandleForReading.fileDescriptor, sizeHint: 0) == bytes)
        }
    }

    /// Files read into one buffer handed from file to file: each read gives exactly that file's bytes,
    /// whether the buffer grows or holds a longer file's bytes past them; a named pipe (no size, cannot be
    /// read twice) is read whole; a missing path and a directory fail as `load` fails.
    @Test func loadReusingABufferReadsEachFileWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-reuse-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var buffer: [UInt8] = []
        for (k, size) in [300_001, 5, 0, 65_536, 1, 700_000].enumerated() {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ k) }
            let path = "\(dir)/\(k)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let count = try AnswerReader.load(path, reusing: &buffer)
            #expect(count == size)
            #expect(Array(buffer.prefix(count)) == bytes, "file \(k) of \(size) bytes")
        }
        // Grown with room to spare: a page a few percent larger than the largest read so far is read into the
        // same buffer, not into a new one (zeroed and faulted in again).
        var grown: [UInt8] = []
        for (k, size) in [100_000, 104_000, 112_000].enumerated() {
            let path = "\(dir)/grow-\(k)"
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ k) }
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let count = try AnswerReader.load(path, reusing: &grown)
            #expect(count == size && Array(grown.prefix(count)) == bytes)
            #expect(grown.count >= 112_000, "after \(size) bytes the buffer holds \(grown.count)")
        }
        let fifo = "\(dir)/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let writer = Thread {
            if let h = FileHandle(forWritingAtPath: fifo) {
                h.write(Data(bytes))
                try? h.close()
            }
        }
        writer.start()
        let count = try AnswerReader.load(fifo, reusing: &buffer)
        #expect(count == bytes.count && Array(buffer.prefix(count)) == bytes, "a named pipe loses no byte")
        for (path, code) in [("\(dir)/absent", "input.missing"), (dir, "input.directory")] {
            #expect(throws: FleetError.self) { _ = try AnswerReader.load(path, reusing: &buffer) }
            do {
                _ = try AnswerReader.load(path, reusing: &buffer)
            } catch {
                #expect(error.code == code)
            }
        }
    }
}
