import Foundation
import Report
import SystemLayer
import Testing

@testable import Fleet

/// Input robustness: garbage, truncated, wrong types, empty → a clear error with a code, never a crash.
@Suite struct AnswerReaderTests {
    @Test(arguments: [
        ("", "input.empty"),
        ("   \n", "input.empty"),
        ("not json at all", "input.not-json"),
        ("{\"result\": true, \"data\": {\"finished\": true, \"step_instance_list\": [", "input.not-json"),
        ("[1, 2, 3]", "input.shape"),
        ("{\"foo\": 1}", "input.shape"),
        ("{\"result\": true, \"code\": 0, \"data\": {\"finished\": true, \"step_instance_list\": 5}}", "input.type"),
        ("{\"data\": {\"finished\": true, \"step_instance_list\": [7]}, \"code\": 0}", "input.type"),
        ("{\"data\": {\"script_task_logs\": {\"a\": 1}}, \"code\": 0}", "input.type"),
        ("{\"finished\": true, \"step_instance_list\": [{\"step_ip_result_list\": \"x\"}]}", "input.type"),
    ])
    func badInputs(text: String, code: String) {
        do {
            _ = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f.json", parallel: false)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains("f.json"))
        }
    }

    /// Sparse files whose sizes add up past Int64.max (tmpfs allows a size of Int64.max): the evidence
    /// policy's total must not overflow before the size check names the file.
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm")))
    func filesWhoseSizesOverflowInt64AreTooLarge() throws {
        let path = "/dev/shm/bkdiag-answer-\(UUID().uuidString).json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(truncate(path, off_t.max) == 0)
        do {
            _ = try AnswerReader.read(paths: [path, path], evidence: .auto)
            Issue.record("a file of \(off_t.max) bytes was read")
        } catch {
            #expect(error.code == "input.too-large")
            #expect(error.message.contains(path))
        }
    }

    /// The code and message of the one answer `text` holds, which must be JOB's refusal.
    func refusal(_ text: String) throws -> (code: Int64?, message: String) {
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        guard case .answer(.failure(let code, let message, _)) = try #require(answers.first) else {
            Issue.record("not a failure: \(answers)")
            return (nil, "")
        }
        return (code, message)
    }

    @Test func resultFalseIsAnIssueNotAnError() throws {
        let (code, message) = try refusal("{\"result\": false, \"code\": 1244013, \"message\": \"Job instance not exist\", \"data\": null}")
        #expect(code == 1_244_013 && message == "Job instance not exist")
        var asm = FleetAssembler()
        asm.add(.failure(code: code, message: message), source: "f")
        #expect(asm.finish(source: "parse").issues.contains { $0.level == .error && $0.message.contains("Job instance not exist") })
    }

    /// An API gateway that refuses the call itself answers without `result`: a non-zero code with a message is
    /// a refusal, as the platform reads it, not an answer of unknown shape (exit 2); a zero code is not.
    @Test func aGatewayRefusalWithoutResultIsAFailure() throws {
        let (code, message) = try refusal("{\"code\": 1306000, \"message\": \"app auth failed\", \"data\": null}")
        #expect(code == 1_306_000 && message == "app auth failed")
        // The same rules as `run` applies to an answer it receives (JobAnswer.envelope): without `data` too, and a
        // `result` Python finds false (0, "") is a refusal, one it finds true is not.
        for text in ["{\"code\": 1306000, \"message\": \"x\"}", "{\"result\": 0, \"code\": 5, \"message\": \"m\", \"data\": null}"] {
            #expect(JobAnswer.envelope(try JSONValue.parse(text)).refused, "\(text)")
        }
        #expect(!JobAnswer.envelope(try JSONValue.parse("{\"result\": 1, \"code\": 0, \"data\": {}}")).refused)
        let ok = "{\"code\": 0, \"message\": \"success\", \"data\": {\"finished\": true, \"step_instance_list\": []}}"
        guard case .answer(.status) = try #require(try AnswerReader.recognise(bytes: Array(ok.utf8), source: "f", parallel: false).first)
        else {
            Issue.record("a code-0 answer without result is not read as its data")
            return
        }
    }

    /// A whole document, then a damaged one: the error names the second and where it breaks, not the first's
    /// "trailing data" at the byte where the second begins.
    @Test func aDamagedDocumentAfterAWholeOneIsNamed() throws {
        let first = Fixtures.mixedLogsPage1.serialized() + "\n"
        for (second, why) in [
            ("{\"data\": {\"script_task_logs\": [{\"ip\": \"10.0.0", "inside a string"), ("{\"a\": 1,}", "invalid JSON at byte"),
        ] {
            do {
                _ = try AnswerReader.recognise(bytes: Array((first + second).utf8), source: "f", parallel: false)
                Issue.record("read \(second)")
            } catch {
                #expect(error.code == "input.not-json")
                #expect(error.message.hasPrefix("f: document 2 (from byte \(first.utf8.count)) is not JSON ("), "\(error.message)")
                #expect(error.message.contains(why), "\(error.message)")
            }
        }
    }

    @Test func severalDocumentsOnePerLine() throws {
        let text = Fixtures.wrap(Fixtures.mixedStatus).serialized() + "\n" + Fixtures.mixedLogsPage1.serialized() + "\n\n"
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        #expect(answers.count == 2)
        // Concatenated without a newline (cat a.json b.json), and pretty-printed.
        let glued = Fixtures.mixedLogsPage1.serialized() + Fixtures.mixedLogsPage2.serialized() + "\n{\n  \"finished\": true\n}\n"
        #expect(try AnswerReader.recognise(bytes: Array(glued.utf8), source: "f", parallel: false).count == 3)
    }

    /// A quoted status or step id is text, as AgentChecker's comparisons take it (`"9" == 9` is false): no
    /// success, no step that ran. Missing members are tolerated.
    @Test func quotedNumbersAreTextAndMissingMembersAreTolerated() throws {
        let text = """
            {"finished": true, "step_instance_list": [{"step_instance_id": "5", "step_ip_result_list": [
              {"ip": "10.0.0.1", "bk_cloud_id": "0", "status": "9"}, {"ip": "10.0.0.2"}, {}]}]}
            """
        let answers = try AnswerReader.recognise(bytes: Array(text.utf8), source: "f", parallel: false)
        guard case .answer(.status(let s)) = try #require(answers.first) else {
            Issue.record("not a status")
            return
        }
        #expect(s.steps[0].hosts.map(\.status) == [0, 0, 0])
        #expect(s.steps[0].hosts.map(\.statusText) == ["9", nil, nil])
        #expect(s.steps[0].hosts.map(\.key) == ["0:10.0.0.1", "0:10.0.0.2", "0:?"])
        #expect(s.steps[0].stepInstanceID == nil)
    }

    @Test func filesAreReadInParallelInArgumentOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-reader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = [Fixtures.wrap(Fixtures.mixedStatus), Fixtures.mixedLogsPage1, Fixtures.wrap(Fixtures.mixedLogsPage2)]
        var paths: [String] = []
        for (i, d) in docs.enumerated() {
            let p = "\(dir)/\(i).json"
            FileManager.default.createFile(atPath: p, contents: Data(d.serialized().utf8))
            paths.append(p)
        }
        let answers = try AnswerReader.read(paths: paths)
        #expect(answers.count == 3)
        if case .answer(.status) = answers[0] {} else { Issue.record("first is not the status") }
        // Files are started largest first; what they held still comes back in the order they were named.
        let sizes = paths.map { Sys.statIfPresent($0)?.size ?? 0 }
        #expect(Set(sizes).count == 3, "\(sizes)")
        for named in [Array(paths.reversed()), [paths[1], paths[0], paths[2]]] {
            let kinds = try AnswerReader.read(paths: named).map { a -> String in
                if case .answer(.status) = a { return "status" }
                if case .logs(let page) = a { return "logs " + (page.logs.first?.ip ?? "") }
                return "other"
            }
            let expected = named.map { p -> String in
                p == paths[0] ? "status" : p == paths[1] ? "logs 10.0.0.1" : "logs 10.0.0.5"
            }
            #expect(kinds == expected)
        }
        do {
            _ = try AnswerReader.read(paths: paths + ["\(dir)/missing.json"])
            Issue.record("missing file accepted")
        } catch {
            #expect(error.code == "input.missing")
        }
        do {
            _ = try AnswerReader.read(paths: [dir])
            Issue.record("directory accepted")
        } catch {
            #expect(error.code == "input.directory")
        }
    }

    /// Reading entries without the passing ones' texts and without durations (what `parse` does for the
    /// table, markdown and HTML formats) leaves those formats exactly as they are with entries read whole.
    @Test func leanEntriesChangeNoFormatThatHidesWhatTheyLeaveOut() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-lean-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outputs = [
            Fixtures.healthyRich + "\n", Fixtures.brokenRich(pid: 3) + "\n", Fixtures.checkPyLine(processOK: false) + "\n",
            Fixtures.richLine([
                ("log_path", "logpath_match", .pass, "ok: /data/app/a.log", "nothing to do"),
                ("log_path", "logpath_held", .warn, "held by a task no config names", "reload the collector"),
                ("gse_agent", "socket", .unknown, "cannot read /proc/net/unix", "run as root"),
                ("gse_agent", "dataserver_port", .fail, "dataserver 10.0.0.9:58625 not connected", "check the network"),
            ]) + "\n",
            Fixtures.healthyRich + "\nnoise\n", "", Fixtures.brokenRich(pid: 4) + "\n\n" + Fixtures.healthyRich + "\n",
        ]
        var hosts: [JSONValue] = []
        var pages: [[JSONValue]] = [[], []]
        for n in 0..<40 {
            let ip = "10.1.0.\(n)"
            hosts.append(Fixtures.host(0, ip, status: 9, id: n + 1))
            pages[n % 2].append(Fixtures.log(0, ip, outputs[n % outputs.count], id: n + 1))
        }
        let docs = [Fixtures.wrap(Fixtures.status(hosts)), Fixtures.logs(pages[0]), Fixtures.wrap(Fixtures.logs(pages[1]))]
        var paths: [String] = []
        for (i, d) in docs.enumerated() {
            let p = "\(dir)/\(i).json"
            #expect(FileManager.default.createFile(atPath: p, contents: Data(d.serialized().utf8)))
            paths.append(p)
        }
        func report(fullEntries: Bool, agentLines: Bool = false, evidence: AnswerReader.EvidencePolicy = .auto) throws -> FleetReport {
            var asm = FleetAssembler()
            for a in try AnswerReader.read(paths: paths, evidence: evidence, fullEntries: fullEntries, agentLines: agentLines) {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
            return asm.finish(source: "parse", generatedAtMs: 1_700_000_000_000)
        }
        let full = try report(fullEntries: true)
        let lean = try report(fullEntries: false)
        // The passing entries' texts were left out where the fast path read the output (else this compares
        // a report with itself; outputs it leaves, such as one with a noise line, keep them) ...
        let blank = { (r: FleetReport) in r.hosts.flatMap(\.results).filter { $0.status && $0.message.isEmpty }.count }
        #expect(blank(lean) >= blank(full) + 20)
        #expect(lean.hosts.flatMap(\.results).count == full.hosts.flatMap(\.results).count)
        // ... and a failing entry's are kept.
        #expect(lean.hosts.flatMap(\.results).contains { !$0.status && $0.hint == "check the network" })
        #expect(lean.textTable(colour: false) == full.textTable(colour: false))
        #expect(lean.markdown() == full.markdown())
        #expect(lean.html() == full.html())
        #expect(lean.textTable(colour: false).contains("dataserver N.N.N.N:N not connected"))

        // The platform's lines written while reading (`--format agent`): lean entries, the same text. With
        // evidence kept (a small input, `--evidence auto`) entries cannot be read lean and are read whole.
        let rendered = try report(fullEntries: true, agentLines: true, evidence: .never)
        let renderedLines = rendered.hosts.flatMap(\.lines).filter { if case .reportRendered = $0 { true } else { false } }
        #expect(renderedLines.count >= 20)
        #expect(blank(rendered) >= blank(full) + 20)
        #expect(rendered.agentCheckerText() == full.agentCheckerText())
        var streamed: [UInt8] = []
        rendered.writeAgentCheckerText { streamed += $0 }
        #expect(String(decoding: streamed, as: UTF8.self) == full.agentCheckerText())
        let kept = try report(fullEntries: true, agentLines: true)
        #expect(!kept.hosts.flatMap(\.lines).contains { if case .reportRendered = $0 { true } else { false } })
        #expect(blank(kept) == blank(full) && kept.agentCheckerText() == full.agentCheckerText())
    }

    /// The JSON's results written while reading (`--format json` on a large input: entries read lean, each
    /// report's results written from the bytes where they lie) are byte for byte those written from entries
    /// read whole: every verdict, durations of every kind, hints absent or not strings, labels known and
    /// not, items in changing orders, texts holding what JSON escapes (U+2028, DEL) or a slash the page
    /// escaped; hosts printing two reports (read whole: their results merge), noise, escapes of a report's
    /// own (left to the usual reader).
    @Test func jsonResultsWrittenWhileReadingAreThoseOfWholeEntries() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-jsonres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func entry(_ module: String, _ item: String, _ status: String, _ message: String, _ rest: String) -> String {
            "{\"module\": \"\(module)\", \"item\": \"\(item)\", \"status\": \(status), \"message\": \"\(message)\"\(rest)}"
        }
        func line(_ status: String, _ entries: [String]) -> String {
            "{\"status\": \(status), \"data\": [" + entries.joined(separator: ", ")
                + "], \"schema\": \"bkdiag.report/1\", \"version\": \"0.1.0\"}"
        }
        let a = [
            entry(
                "log_path", "logpath_match", "true", "ok: /data/app/a/b.log",
                ", \"result\": \"pass\", \"label\": \"x\", \"hint\": \"\", \"evidence\": {\"k\": [1, {\"v\": null}]}, \"duration_ms\": 1.25"
            ),
            entry(
                "bkunifylogbeat", "process", "false", "pid 7 gone 中文",
                ", \"result\": \"fail\", \"hint\": \"restart it\", \"duration_ms\": 0"),
            entry(
                "gse_agent", "socket", "true", "line\u{2028}sep and del \u{7f}",
                ", \"result\": \"warn\", \"hint\": 5, \"duration_ms\": -0.0"),
            entry("gse_agent", "dataserver_port", "true", "", ", \"result\": \"unknown\", \"hint\": null, \"duration_ms\": 1e-7"),
            // ASCII texts with DEL (written `\u007f` in the JSON) only in a whole word of eight, only in the last
            // bytes, and in a text of fewer than eight bytes; a short text with U+2028 (written `\u2028`).
            entry(
                "gse_agent", "socket_queue_status", "true", "ascii \u{7f} in the middle, not at the end",
                ", \"result\": \"pass\", \"hint\": \"d\u{7f}\", \"duration_ms\": 2"),
            entry(
                "gse_agent", "process", "true", "sixteen bytes ok and then \u{7f}",
                ", \"result\": \"pass\", \"hint\": \"\u{2028}\", \"duration_ms\": 3"),
            entry("custom", "not_a_known_item", "true", "m", ", \"duration_ms\": 12345.6789"),
            entry("bkunifylogbeat", "healthz", "true", "h", ", \"result\": \"pass\", \"duration_ms\": 1e300"),
            entry("bkunifylogbeat", "config", "true", "c", ", \"duration_ms\": null"),
            entry("bkunifylogbeat", "main_config", "1", "one", ", \"duration_ms\": \"3\""),
            entry("bkunifylogbeat", "hosted", "false", "f", ", \"result\": \"pass\", \"duration_ms\": 7"),
        ]
        let outputs = [
            line("true", a), line("false", Array(a.reversed())), line("true", Array(a.prefix(3))), line("true", [a[4], a[0], a[2]]),
            line("true", a) + "\n" + line("false", [a[1]]), line("true", a) + "\nnoise",
            line("true", [entry("m", "process", "true", "with \\\"quote\\\"", ""), a[0]]),
            line("true", [entry("m", "a/b", "false", "slash a/b", ", \"hint\": \"see a/b\"")]),
            Fixtures.checkPyLine(processOK: false), Fixtures.healthyRich, Fixtures.brokenRich(pid: 9), "",
        ]
        var hosts: [JSONValue] = []
        var pages: [[JSONValue]] = [[], []]
        for n in 0..<60 {
            let ip = "10.2.0.\(n)"
            hosts.append(Fixtures.host(0, ip, status: 9, id: n + 1))
            pages[n % 2].append(Fixtures.log(0, ip, outputs[n % outputs.count] + "\n", id: n + 1))
        }
        let docs = [Fixtures.wrap(Fixtures.status(hosts)), Fixtures.logs(pages[0]), Fixtures.wrap(Fixtures.logs(pages[1]))]
        var paths: [String] = []
        for (i, d) in docs.enumerated() {
            let p = "\(dir)/\(i).json"
            // The page escapes the slashes of `a/b` (`\/`, valid JSON), as some JSON writers do, and holds U+2028
            // and DEL raw, as Python's json.dumps(ensure_ascii=False) writes them.
            let text = d.serialized().replacingOccurrences(of: "a/b", with: "a\\/b").replacingOccurrences(of: "\\u2028", with: "\u{2028}")
                .replacingOccurrences(of: "\\u007f", with: "\u{7f}")
            #expect(i == 0 || (text.contains("\u{2028}") && text.contains("\u{7f}")))
            #expect(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)))
            paths.append(p)
        }
        func report(fullEntries: Bool, jsonResults: Bool) throws -> FleetReport {
            var asm = FleetAssembler()
            for a in try AnswerReader.read(paths: paths, evidence: .never, fullEntries: fullEntries, jsonResults: jsonResults) {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
            return asm.finish(source: "parse", generatedAtMs: 1_700_000_000_000)
        }
        func json(_ r: FleetReport) -> [UInt8] {
            var out: [UInt8] = []
            r.writeJSON { out += $0 }
            return out
        }
        let full = try report(fullEntries: true, jsonResults: false)
        let written = try report(fullEntries: false, jsonResults: true)
        let rendered = written.hosts.filter { FleetReport.renderedResults($0) != nil }.count
        // Most hosts went the new way (else this compares the usual path with itself); two-report hosts did not.
        #expect(
            rendered >= 30,
            "\(rendered) hosts with results written while reading: \((0..<outputs.count).map { k in written.hosts.filter { FleetReport.renderedResults($0) != nil && Int($0.ip.split(separator: ".").last!)! % outputs.count == k }.count })"
        )
        let twoReports = written.hosts.filter { $0.reports.count > 1 }
        #expect(twoReports.count >= 5)
        #expect(!twoReports.contains { $0.lines.contains { if case .reportRendered = $0 { true } else { false } } })
        let expected = json(full)
        let got = json(written)
        #expect(got == expected, "\(String(decoding: got.prefix(3000), as: UTF8.self))")
        #expect(written.json() == full.json())
        #expect(String(decoding: expected, as: UTF8.self).contains("\"message\":\"line\\u2028sep and del \\u007f\""))
        #expect(String(decoding: expected, as: UTF8.self).contains("\"hint\":\"see a/b\""))
        // The other formats read the lean model and are unchanged by it.
        #expect(written.textTable(colour: false) == full.textTable(colour: false))
        #expect(written.markdown() == full.markdown())
    }

    /// The lines and JSON results written while reading are held small (a template per module, item and
    /// verdict; each entry its own texts) and written out whole: the same bytes as from entries read whole,
    /// for a message larger than the agent format's room for one report (64 KiB), a report with no entries,
    /// a hundred items in one report, one of 1,100 entries and items moving between positions; and on a page
    /// of common reports the held bytes are under half of what they print.
    @Test func linesHeldWhileReadingAreSmallAndPrintWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-held-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let huge = String(repeating: "0123456789abcdef", count: 4_400) + " 中文"
        let many = (0..<100).map { k in
            ("m\(k % 3)", "item_\(k)", k % 7 == 0 ? Verdict.fail : .pass, "message \(k)", k % 7 == 0 ? "hint \(k)" : "")
        }
        let odd = [
            Fixtures.richLine([("bkunifylogbeat", "process", .fail, huge, "restart"), ("gse_agent", "socket", .pass, huge, "")]),
            Fixtures.richLine([]),
            Fixtures.richLine(many),
            Fixtures.richLine(Array(many.reversed().prefix(10))),
            // Past the positions whose recent templates are kept.
            Fixtures.richLine((0..<1_100).map { k in ("m", "i\(k % 7)", k % 5 == 0 ? Verdict.fail : .pass, "t\(k)", "") }),
        ]
        var hosts: [JSONValue] = []
        var pages: [[JSONValue]] = [[], []]
        for n in 0..<200 {
            let ip = "10.3.0.\(n)"
            hosts.append(Fixtures.host(0, ip, status: 9, id: n + 1))
            // Page 0: common reports only; page 1: every odd one between them.
            let output = n % 2 == 0 ? (n % 4 == 0 ? Fixtures.healthyRich : Fixtures.brokenRich(pid: n)) : odd[(n / 2) % odd.count]
            pages[n % 2].append(Fixtures.log(0, ip, output + "\n", id: n + 1))
        }
        var paths: [String] = []
        for (i, d) in [Fixtures.status(hosts), Fixtures.logs(pages[0]), Fixtures.logs(pages[1])].enumerated() {
            let p = "\(dir)/\(i).json"
            #expect(FileManager.default.createFile(atPath: p, contents: Data(d.serialized().utf8)))
            paths.append(p)
        }
        func report(fullEntries: Bool, agentLines: Bool = false, jsonResults: Bool = false) throws -> FleetReport {
            var asm = FleetAssembler()
            let answers = try AnswerReader.read(
                paths: paths, evidence: .never, fullEntries: fullEntries, agentLines: agentLines, jsonResults: jsonResults)
            for a in answers {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
            return asm.finish(source: "parse", generatedAtMs: 1_700_000_000_000)
        }
        func held(_ r: FleetReport) -> [RenderedReportLines] {
            r.hosts.flatMap(\.lines).compactMap { if case .reportRendered(_, let l) = $0 { l } else { nil } }
        }
        let full = try report(fullEntries: true)
        let lines = try report(fullEntries: true, agentLines: true)
        let results = try report(fullEntries: false, jsonResults: true)
        for r in [lines, results] {
            let rendered = held(r)
            // Every host went the held way, the odd ones too (else they compare the usual path with itself).
            #expect(rendered.count == 200)
            #expect(rendered.contains { $0.writtenCount > 65_536 })
            #expect(rendered.contains { $0.writtenCount == 0 })
            for l in rendered { #expect(l.withBytes { $0.count } == l.writtenCount) }
            let common = rendered.first!.page
            #expect(common.heldCount * 2 < common.bytes.count, "held \(common.heldCount) of \(common.bytes.count) bytes printed")
        }
        #expect(lines.agentCheckerText() == full.agentCheckerText())
        var streamed: [UInt8] = []
        lines.writeAgentCheckerText { streamed += $0 }
        #expect(String(decoding: streamed, as: UTF8.self) == full.agentCheckerText())
        #expect(String(decoding: streamed, as: UTF8.self).contains("[失败] " + huge + "\n"))
        var expected: [UInt8] = []
        full.writeJSON { expected += $0 }
        var got: [UInt8] = []
        results.writeJSON { got += $0 }
        #expect(got == expected)
    }
}
