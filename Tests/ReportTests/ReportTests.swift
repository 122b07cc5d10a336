import Report
import Testing

@Suite("Report model and encoders")
struct ReportTests {
    static let sample = DiagnosticReport(
        results: [
            CheckResult(
                module: "log_path", item: "logpath_match", verdict: .pass, message: "所有路径检查通过: /a b/\"q\".log\nx", durationMs: 1.25),
            CheckResult(
                module: "bkunifylogbeat", item: "process", verdict: .warn, message: "2 processes", hint: "停止多余进程",
                evidence: [("pids", [1, 2])], durationMs: 0.5),
            CheckResult(
                module: "gse_agent", item: "socket", verdict: .fail, message: "socket file is not exists: /x", hint: "重启 gse_agent"),
            CheckResult(module: "gse_agent", item: "dataserver_port", verdict: .unknown, message: "cannot read", hint: "以 root 运行"),
        ],
        host: HostIdentity(hostname: "h1", machineID: "m", kernel: "6.1"), version: "0.1.0", generatedAtMs: 1_795_432_870_730,
        durationMs: 12.5, context: [("gse_root", "/usr/local/gse")])

    @Test("compat line: one line, exactly the four keys, status false for fail and unknown")
    func compat() throws {
        let line = Self.sample.compatLine()
        #expect(!line.contains("\n"))
        let json = try JSONValue.parse(line)
        #expect(json["status"] == false)
        let data = try #require(json["data"]?.arrayValue)
        #expect(data.count == 4)
        #expect(data.map { $0["status"] } == [true, true, false, false])
        for d in data { #expect(d.objectValue?.map(\.0) == ["module", "item", "status", "message"]) }
        #expect(data[0]["message"] == .string("所有路径检查通过: /a b/\"q\".log\nx"))
    }

    @Test("rich line round-trips through the reader")
    func roundTrip() throws {
        let line = Self.sample.richLine()
        #expect(!line.contains("\n"))
        let back = try DiagnosticReport(line: line)
        #expect(back.results == Self.sample.results)
        #expect(back.isRich)
        #expect(back.host == Self.sample.host)
        #expect(back.generatedAtMs == Self.sample.generatedAtMs)
        #expect(back.declaredStatus == false)
        #expect(try JSONValue.parse(line)["generated_at"] == "2026-11-23T11:21:10.730Z")
    }

    @Test("old check.py output is read the way AgentChecker reads it")
    func checkPyOutput() throws {
        let line =
            #"{"status": true, "data": [{"module": "gse_agent", "item": "socket", "status": true, "message": ""}, {"module": "bkunifylogbeat", "item": "healthz", "status": 1, "message": {"x": 1}}]}"#
        let r = try DiagnosticReport(line: line)
        #expect(!r.isRich)
        #expect(r.hostStatus)
        #expect(r.results.map(\.verdict) == [.pass, .pass])
        #expect(r.results[1].message == #"{"x":1}"#)
        #expect(r.results[0].label == "检查socket文件是否存在")
        #expect(CheckLabels.label(forItem: "whatever") == "gse agent检查")
    }

    @Test("an entry's result is read as a verdict's name exactly as the enum's raw value reads it")
    func resultNames() throws {
        let names =
            Verdict.allCases.map(\.rawValue) + ["Pass", "PASS", "pass ", " pass", "", "unknow", "unknownn", "fai", "warning", "p\u{0}ss"]
        for name in names {
            for ok in [true, false] {
                let line =
                    #"{"status": true, "data": [{"module": "m", "item": "i", "status": "# + (ok ? "true" : "false")
                    + #", "message": "", "result": "# + JSONValue.string(name).serialized() + "}]}"
                let expected = Verdict(rawValue: name).flatMap { $0.compatStatus == ok ? $0 : nil } ?? (ok ? .pass : .fail)
                #expect(try DiagnosticReport(line: line).results[0].verdict == expected, "\(name) \(ok)")
            }
        }
    }

    @Test(
        "lines that are not reports are errors, never crashes",
        arguments: [
            "", "not json", "[]", "{}", #"{"status": true}"#, #"{"status": true, "data": {}}"#,
            #"{"status": true, "data": [{"module": "m"}]}"#, #"{"status": true, "data": [1]}"#, "{\"a\":", "\u{0}",
            String(repeating: "[", count: 600),
        ])
    func garbage(line: String) {
        #expect(throws: ReportDecodingError.self) { try DiagnosticReport(line: line) }
    }

    @Test("JSON parser: escapes, unicode, numbers, depth")
    func jsonParser() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5e3, true, null, "\u65e5\ud83d\ude00\n\"x\""], "b": {}} "#)
        #expect(v["a"]?.arrayValue?[0] == .int(1))
        #expect(v["a"]?.arrayValue?[1] == .double(-2500))
        #expect(v["a"]?.arrayValue?[4] == .string("日😀\n\"x\""))
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[1,]") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\x""#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("1 2") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("\"a\u{1}\"") }
        let s = JSONValue.string("a\u{0}\u{7f}\u{2028}\"\\").serialized()
        #expect(s == #""a\u0000\u007f\u2028\"\\""#)
        #expect(try JSONValue.parse(s) == .string("a\u{0}\u{7f}\u{2028}\"\\"))
    }

    @Test("durations print with one decimal; values beyond Int64 or not finite print as they are, never trap")
    func durationText() {
        #expect(DisplayWidth.formatMs(12.34) == "12.3ms")
        #expect(DisplayWidth.formatMs(-0.25, unit: "s") == "-0.3s" && DisplayWidth.formatMs(-12.0) == "-12.0ms")
        #expect(DisplayWidth.formatMs(0.04) == "0.0ms" && DisplayWidth.formatMs(9.96) == "10.0ms")
        #expect(DisplayWidth.formatMs(1e300) == "1e+300ms")
        #expect(DisplayWidth.formatMs(.infinity) == "infms")
        #expect(DisplayWidth.formatMs(-.nan).hasSuffix("nanms"))
    }

    @Test("Prometheus text: a gauge per check with labels, run timestamp and duration")
    func prometheus() {
        let text = Self.sample.prometheusText()
        #expect(text.contains(#"bkdiag_check_ok{module="gse_agent",item="socket"} 0"#))
        #expect(text.contains(#"bkdiag_check_ok{module="bkunifylogbeat",item="process"} 1"#))
        #expect(text.contains(#"bkdiag_check_verdict{module="gse_agent",item="dataserver_port",verdict="unknown"} 1"#))
        #expect(text.contains("bkdiag_last_run_timestamp_seconds 1795432870.73"))
        #expect(text.contains("bkdiag_last_run_duration_seconds 0.0125"))
        #expect(text.contains(#"bkdiag_checks{verdict="fail"} 1"#))
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }

    @Test("Nagios line and exit code follow the worst verdict")
    func nagios() {
        let text = Self.sample.nagiosText()
        #expect(text.hasPrefix("BKDIAG CRITICAL - 4 checks: 1 pass, 1 warn, 1 fail, 1 unknown | pass=1 warn=1 fail=1 unknown=1"))
        #expect(Self.sample.overall.nagiosCode == 2)
        var ok = Self.sample
        ok.results = [ok.results[0]]
        #expect(ok.nagiosText().hasPrefix("BKDIAG OK"))
        #expect(ok.overall.nagiosCode == 0)
        ok.results.append(Self.sample.results[3])
        #expect(ok.overall == .unknown && ok.overall.nagiosCode == 3)
    }

    @Test("text table: Chinese labels, hints for non-passing checks, CJK-aware widths, colour only when asked")
    func text() {
        let plain = Self.sample.textTable(colour: false)
        #expect(plain.contains("检查日志采集路径是否存在"))
        #expect(plain.contains("→ 重启 gse_agent"))
        // The root checked is said under the title, with why, and the other installs.
        #expect(plain.split(separator: "\n")[1] == "GSE root /usr/local/gse", "\(plain)")
        var sideBySide = Self.sample
        sideBySide.context = [
            ("gse_root", "/usr/local/gse2"), ("gse_root_source", "subscription_config"), ("gse_generation", "gse2"),
            ("other_gse_roots", JSONValue(["/usr/local/gse", "/usr/local/gse_\u{1B}x"])),
        ]
        #expect(
            sideBySide.textTable(colour: false).split(separator: "\n")[1]
                == "GSE root /usr/local/gse2 (gse2, subscription_config); also installed: /usr/local/gse, /usr/local/gse_\\x1bx")
        #expect(!plain.contains("→ 所有"))
        #expect(!plain.contains("\u{1B}["))
        #expect(Self.sample.textTable(colour: true).contains("\u{1B}[31m"))
        #expect(DisplayWidth.of("检查abc") == 7)
        #expect(DisplayWidth.pad("日志", 6) == "日志  ")
        #expect(VerdictSummary(Self.sample.results).sentence == "4 checks: 1 pass, 1 warn, 1 fail, 1 unknown")
    }
}
