import Report
import Testing

@testable import Fleet

/// `--format agent` against what CPython 3.11 printed for the same host output lines through the platform's
/// loop (`PythonRecorded.swift`, recorded by `record-python.py` with `Scripts/agentchecker.py`).
@Suite struct PythonRenderingTests {
    static let rows = PythonRecorded.lines.indices.map { $0 }

    @Test(arguments: rows)
    func recordedLinePrintsAsCPythonPrintedIt(row: Int) throws {
        let (line, printed) = PythonRecorded.lines[row]
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", line)])])
        #expect(PythonRecorded.host == "0:10.0.0.1")
        // The recorded lines are the host's; before them the platform writes its one status poll.
        let poll = "[info] [agent checker] [获取作业执行状态] 作业: 10000, 执行次数: 1\n"
        #expect(r.agentCheckerText(extended: false) == poll + printed, "line \(row): \(line.prefix(120))")
    }

    @Test(arguments: [
        (1.0, "1.0"), (-0.0, "-0.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-5, "1e-05"),
        (0.0001, "0.0001"), (123.456, "123.456"), (1.5e-7, "1.5e-07"), (2.5e22, "2.5e+22"), (Double.infinity, "inf"),
        (-Double.infinity, "-inf"), (Double.nan, "nan"), (9007199254740993.0, "9007199254740992.0"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func floatRepr(value: Double, python: String) {
        #expect(PythonText.float(value) == python)
    }

    @Test func reprPicksPythonsQuotes() {
        #expect(PythonText.repr(.string("a'b")) == "\"a'b\"")
        #expect(PythonText.repr(.string("a'b\"c")) == "'a\\'b\"c'")
        #expect(PythonText.repr(.array([.null, .bool(true), .string("x")])) == "[None, True, 'x']")
        #expect(PythonText.str(.string("{host}")) == "{host}")
    }

    /// Markers for lone surrogates start at the first block of planes 15 and 16 that the text does not
    /// touch, raw or as an escaped pair; a text without a surrogate escape is not marked at all.
    @Test func loneSurrogateMarkersAvoidTheTextsOwnScalars() throws {
        func base(_ text: String) -> UInt32? {
            var t = text
            return t.withUTF8 { LoneSurrogate.markerBase(for: $0) }
        }
        #expect(base(#"["a", "\\ud800x", "\U000f0000"]"#) == nil)
        #expect(base(#"["\\\\ud800"]"#) == nil)
        #expect(base(#"["\ud83d\ude00"]"#) == 0xF0000)
        #expect(base(#"["\uD800"]"#) == 0xF0000)
        #expect(base("[\"\\ud800\", \"\u{F0000}\"]") == 0xF0800)
        #expect(base(#"["\ud800", "\udb80\udc00", "\uDB82\uDC00"]"#) == 0xF1000)
        #expect(base(#"["\ud800", "\udb80\udc00", "\udb81\udc00"]"#) == 0xF0800)
        #expect(base("[\"\\ud800\", \"\u{F0000}\u{F0801}\u{10FFFF}\"]") == 0xF1000)
        // Every block touched: not marked (the surrogate reads as U+FFFD).
        let all = (0..<64).map { String(Unicode.Scalar(0xF0000 + UInt32($0) * 0x800)!) }.joined()
        #expect(base("[\"\\ud800\", \"\(all)\"]") == nil)

        // Read with markers, the surrogate's repr is its escape; the text's own scalars keep theirs.
        let line = "[\"\\ud800\", \"\u{F0000}\", \"\\udfff\"]"
        let bytes = Array(line.utf8)
        let marked = try bytes.withUnsafeBufferPointer { b in
            try JSONValue.parse(bytes: b, loneSurrogateMarkers: LoneSurrogate.markerBase(for: b))
        }
        #expect(PythonText.repr(marked, surrogateMarkers: 0xF0800) == #"['\ud800', '\U000f0000', '\udfff']"#)
        #expect(PythonText.repr(marked) == #"['\U000f0800', '\U000f0000', '\U000f0fff']"#)
        #expect(PythonText.str(.string("a\u{F0800}b"), surrogateMarkers: 0xF0800) == "a\u{FFFD}b")
        #expect(try JSONValue.parse(line) == .array([.string("\u{FFFD}"), .string("\u{F0000}"), .string("\u{FFFD}")]))
    }

    /// A message with a literal `{host}` stays as it is, in the report path and in the emulated path.
    @Test func literalHostPlaceholderIsNotReplaced() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
        let rich =
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"process\", \"status\": false, \"message\": \"{host} down\"}]}"
        let odd = "{\"status\": true, \"data\": [{\"module\": 7, \"item\": \"process\", \"status\": true, \"message\": \"see {host}\"}]}"
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", rich + "\n" + odd)])])
        let text = r.agentCheckerText(extended: false)
        #expect(text.contains("[m] [检查进程是否存在] [失败] {host} down"))
        #expect(text.contains("[7] [检查进程是否存在] [成功] see {host}"))
        #expect(!text.contains("0:10.0.0.1 down") && !text.contains("see 0:10.0.0.1"))
    }

    /// A 5 MiB line and a report nested deep inside are read as json.loads reads them.
    @Test func bigAndDeepLinesAreReports() throws {
        let pad = String(repeating: "x", count: 5 << 20)
        let big =
            "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"process\", \"status\": true, \"message\": \"ok\"}], \"pad\": \"\(pad)\"}"
        let deep =
            "{\"status\": false, \"data\": [], \"evidence\": " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
            + "}"
        let (reports, lines) = HostOutputReader.read(big + "\n" + deep)
        #expect(reports.count == 2)
        #expect(lines.count == 2)
        #expect(reports.first?.results.first?.message == "ok")
        #expect(reports.last?.hostStatus == false)
    }

    /// Integers beyond 64 bits stay exact through parsing, the agent lines and the JSON writers, as
    /// Python's int does; past CPython's 4,300 digits `json.loads` fails with its ValueError.
    @Test func integersBeyond64BitsStayExact() throws {
        let text = "[18446744073709551616, -123456789012345678901234567890, 9223372036854775807, 1e20]"
        let v = try JSONValue.parse(text)
        let items = try #require(v.arrayValue)
        #expect(items[0] == .bigInt("18446744073709551616"))
        #expect(items[1] == .bigInt("-123456789012345678901234567890"))
        #expect(items[2] == .int(Int64.max))
        #expect(items[3] == .double(1e20))
        #expect(JSONValue.bigInt("100000000000000000000") == .double(1e20))
        #expect(items[0].intValue == nil)
        #expect(items[0].doubleValue == 18446744073709551616.0)
        #expect(v.serialized() == "[18446744073709551616,-123456789012345678901234567890,9223372036854775807,1e+20]")
        #expect(PythonText.repr(v) == "[18446744073709551616, -123456789012345678901234567890, 9223372036854775807, 1e+20]")
        #expect(JSONValue.isTruthy(items[0]))
        let limit = String(repeating: "9", count: JSONValue.maxIntegerDigits)
        #expect(try JSONValue.parse(limit) == .bigInt(limit))
        #expect(throws: JSONParseError.self) { try JSONValue.parse("-" + limit + "9") }
        do {
            _ = try JSONValue.parse("[" + limit + "9]")
        } catch {
            #expect(error.reason == JSONValue.integerDigitsReason(4301))
            #expect(error.offset == 1)
        }
    }
}
