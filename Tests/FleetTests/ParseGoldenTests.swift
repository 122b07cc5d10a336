import Report
import Testing

@testable import Fleet

/// The documented answer shapes, joined as AgentChecker joins them; expected lines written out in full.
@Suite struct ParseGoldenTests {
    /// AgentChecker's lines for its status polls: one before each, at most 5.
    static func polls(_ n: Int, job: Int = 10000) -> String {
        (1...n).map { "[info] [agent checker] [获取作业执行状态] 作业: \(job), 执行次数: \($0)\n" }.joined()
    }

    static let agentCheckerGolden = """
        [info] [agent checker] [获取作业执行状态] 作业: 10000, 执行次数: 1
        [warning] [agent checker] [获取作业执行结果] 作业: 10000, 数据不完整
        [info] [agent checker] [0:10.0.0.1] 成功
        [info] [agent checker] [bkunifylogbeat] [检查进程是否存在] [成功] pid 77 up 3d
        [info] [agent checker] [gse_agent] [检查socket文件是否存在] [成功] /var/run/ipc.state.report
        [error] [agent checker] [0:10.0.0.2] 失败, 查看详情
        [info] [agent checker] [bkunifylogbeat] [检查二进制文件是否存在] [成功] 
        [error] [agent checker] [bkunifylogbeat] [检查进程是否存在] [失败] bkunifylogbeat is not running (pid 1234 gone)
        [info] [agent checker] [gse_agent] [检查socket文件是否存在] [成功] 
        [error] [agent checker] [获取作业执行结果] [0:10.0.0.3] 脚本执行结果, 执行状态为: 11
        [error] [agent checker] [获取作业执行结果] [0:10.0.0.5] 获取脚本执行结果失败, 报错为: Expecting value: line 1 column 1 (char 0)
        [info] [agent checker] [1:fe80::6] 成功
        [info] [agent checker] [bkunifylogbeat] [检查二进制文件是否存在] [成功] 
        [info] [agent checker] [bkunifylogbeat] [检查进程是否存在] [成功] cpu_usage: 0.1%, mem_usage: 0.2%
        [info] [agent checker] [gse_agent] [检查socket文件是否存在] [成功] 
        [info] [agent checker] [0:10.0.0.7] 成功
        [info] [agent checker] [bkunifylogbeat] [检查进程是否存在] [成功] pid 77 up 3d
        [info] [agent checker] [gse_agent] [检查socket文件是否存在] [成功] /var/run/ipc.state.report
        [error] [agent checker] [0:10.0.0.7] 失败, 查看详情
        [error] [agent checker] [bkunifylogbeat] [检查进程是否存在] [失败] bkunifylogbeat is not running (pid 4242 gone)
        [info] [agent checker] [gse_agent] [检查socket文件是否存在] [成功] socket queue 12 bytes
        [error] [agent checker] [获取作业执行结果] [0:10.0.0.8] 脚本执行结果, 执行状态为: Agent异常
        [info] [agent checker] [0:10.0.0.9] 成功
        [error] [agent checker] [获取作业执行结果] [0:10.0.0.9] 获取脚本执行结果失败, 报错为: 'data'

        """

    func mixed() throws -> FleetReport {
        try Fixtures.assemble([
            Fixtures.wrap(Fixtures.mixedStatus), Fixtures.wrap(Fixtures.mixedLogsPage1), Fixtures.mixedLogsPage2,
        ])
    }

    @Test func agentCheckerLinesMatchGolden() throws {
        let r = try mixed()
        #expect(r.agentCheckerText(extended: false) == Self.agentCheckerGolden)
    }

    @Test func extendedLinesAddTheSilentHosts() throws {
        let text = try mixed().agentCheckerText(extended: true)
        #expect(text.hasPrefix(Self.agentCheckerGolden))
        #expect(
            text.hasSuffix(
                """
                [warning] [agent checker] [bkdiag-fleet] [0:10.0.0.4] 脚本执行成功但没有输出
                [warning] [agent checker] [bkdiag-fleet] [0:10.0.0.6] 日志中没有该主机

                """))
    }

    @Test func hostStatesInStatusOrder() throws {
        let r = try mixed()
        let got = r.hosts.map { "\($0.key)=\($0.state.rawValue)" }
        #expect(
            got == [
                "0:10.0.0.1=pass", "0:10.0.0.2=fail", "0:10.0.0.3=job_failed", "0:10.0.0.4=no_output",
                "0:10.0.0.5=unparseable", "0:10.0.0.6=missing_log", "1:fe80::6=pass", "0:10.0.0.7=fail",
                "0:10.0.0.8=job_failed", "0:10.0.0.9=unparseable",
            ])
        #expect(r.hosts[0].producer == "bkdiag 0.1.0")
        #expect(r.hosts[1].producer == "check.py")
        #expect(r.hosts[7].reports.count == 2)
        #expect(r.summary.noUsableOutput == ["0:10.0.0.3", "0:10.0.0.4", "0:10.0.0.5", "0:10.0.0.6", "0:10.0.0.8", "0:10.0.0.9"])
        #expect(r.issues.contains { $0.message.contains("1 of 10 hosts are missing") && $0.hosts == ["0:10.0.0.6"] })
    }

    @Test func failureSignaturesGroupAcrossProducers() throws {
        let s = try mixed().summary
        let first = try #require(s.groups.first)
        #expect(first.hosts == ["0:10.0.0.2", "0:10.0.0.7"])
        #expect(first.title == "bkunifylogbeat/process: bkunifylogbeat is not running (pid N gone)")
        #expect(first.topHints.first?.hint == "systemctl restart gse_agent")
        #expect(s.groups.count == 7)
        let titles = s.groups.map(\.title)
        #expect(titles.contains("job: host status 11 failed, error_code 104 non-zero exit"))
        #expect(titles.contains("job: host status 310"))
        #expect(titles.contains("output: not a report: 'data'"))
        let process = try #require(s.itemCounts.first { $0.item.description == "bkunifylogbeat/process" })
        #expect(process.counts.pass == 2 && process.counts.fail == 2)
        // check.py's order of the catalogue.
        #expect(s.items.map(\.description) == ["bkunifylogbeat/bin_file", "bkunifylogbeat/process", "gse_agent/socket"])
    }

    @Test func logsMatchedByHostIDWhenTheyCarryNoAddress() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.1.1.1", status: 9, id: 555)])
        let page = Fixtures.logs([.object([("bk_host_id", 555), ("bk_cloud_id", 0), ("log_content", .string(Fixtures.checkPyLine()))])])
        let r = try Fixtures.assemble([status, page])
        #expect(r.hosts.count == 1)
        #expect(r.hosts[0].state == .pass)
    }

    @Test func hostsOnlyInLogsAreKeptAfterTheOthersSorted() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
        let page = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine()), Fixtures.log(0, "10.9.0.2", Fixtures.checkPyLine()),
            Fixtures.log(0, "10.9.0.1", Fixtures.checkPyLine()),
        ])
        let r = try Fixtures.assemble([page, status])
        #expect(r.hosts.map(\.key) == ["0:10.0.0.1", "0:10.9.0.1", "0:10.9.0.2"])
        #expect(r.hosts[1].jobStatus == nil)
        // AgentChecker ignores them.
        #expect(!r.agentCheckerText(extended: false).contains("10.9.0"))
    }

    @Test func repeatedHostKeepsFirstPlaceAndLastState() throws {
        let status = Fixtures.status([
            Fixtures.host(0, "10.0.0.1", status: 11), Fixtures.host(0, "10.0.0.2", status: 9), Fixtures.host(0, "10.0.0.1", status: 9),
        ])
        let page = Fixtures.logs([Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine()), Fixtures.log(0, "10.0.0.2", Fixtures.checkPyLine())])
        let r = try Fixtures.assemble([status, page])
        #expect(r.hosts.map(\.key) == ["0:10.0.0.1", "0:10.0.0.2"])
        #expect(r.hosts[0].state == .pass)
    }

    @Test func repeatedLogKeepsItsPlaceAndTheLastOutputWins() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9, id: 1), Fixtures.host(0, "10.0.0.3", status: 9, id: 3)])
        let first = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(), id: 1), Fixtures.log(0, "10.9.0.2", Fixtures.checkPyLine(), id: 2),
            // Known to the status answer only by its host id: matched through it, with the log that is last for its key.
            Fixtures.log(0, "10.9.0.3", Fixtures.checkPyLine(), id: 3),
        ])
        let second = Fixtures.logs([
            Fixtures.log(0, "10.9.0.2", Fixtures.checkPyLine(processOK: false)),
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(processOK: false)),
            Fixtures.log(0, "10.9.0.3", "junk"),
        ])
        let r = try Fixtures.assemble([status, first, second])
        #expect(r.hosts.map(\.key) == ["0:10.0.0.1", "0:10.0.0.3", "0:10.9.0.2"])
        #expect(r.hosts.map(\.state) == [.fail, .unparseable, .fail])
        #expect(r.issues.contains { $0.message == "3 host logs appeared more than once; the last one is used" })
        #expect(
            r.issues.contains { $0.message.hasPrefix("1 hosts have logs but are not in the status answer") && $0.hosts == ["0:10.9.0.2"] })
    }

    /// A log found only by its host id (its address differs from the status row's): the platform matches
    /// `"{bk_cloud_id}:{ip}"` alone and is silent about the host; bkdiag-fleet judges it and says so after.
    @Test func logMatchedByHostIDIsNotAPlatformLine() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9, id: 1), Fixtures.host(0, "10.0.0.3", status: 9, id: 3)])
        let page = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(), id: 1),
            Fixtures.log(0, "10.9.9.9", Fixtures.checkPyLine(processOK: false), id: 3),
        ])
        let r = try Fixtures.assemble([status, page])
        #expect(r.hosts.map(\.state) == [.pass, .fail])
        #expect(r.hosts[1].logByHostID && !r.hosts[0].logByHostID)
        let strict = r.agentCheckerText(extended: false)
        #expect(strict.contains("[0:10.0.0.1] 成功") && !strict.contains("10.0.0.3"), "\(strict)")
        let extended = r.agentCheckerText(extended: true)
        #expect(extended.hasPrefix(strict))
        #expect(
            extended.hasSuffix("[warning] [agent checker] [bkdiag-fleet] [0:10.0.0.3] 日志中的 IP 与作业状态不同，按主机 ID 3匹配（平台不显示该主机）: fail\n"),
            "\(extended)")
        // The line-by-line path says the same as the byte writer.
        #expect(r.agentCheckerInfos(extended: true).map { $0.line + "\n" }.joined() == extended)
    }

    @Test func noLogsAtAll() throws {
        let r = try Fixtures.assemble([Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])])
        #expect(
            r.agentCheckerText(extended: false) == """
                [info] [agent checker] [获取作业执行状态] 作业: 10000, 执行次数: 1
                [warning] [agent checker] [获取作业执行结果] 作业: 10000, 数据不完整
                [error] [agent checker] [获取作业执行结果] 作业: 10000, 数据为空

                """)
        #expect(r.hosts[0].state == .missingLog)
    }

    @Test func logsWithoutStatusAreJudgedByOutput() throws {
        let r = try Fixtures.assemble([Fixtures.logs([Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(processOK: false))])])
        #expect(r.hosts.map(\.state) == [.fail])
        #expect(r.issues.contains { $0.step == "get_job_instance_status" })
        // AgentChecker has no host list without a status answer and prints nothing of the logs (as
        // Scripts/agentchecker.py); bkdiag-fleet's own lines say so and judge the hosts by their output.
        #expect(r.agentCheckerText(extended: false) == "")
        let extended = r.agentCheckerText()
        #expect(extended.hasPrefix("[warning] [agent checker] [bkdiag-fleet] no get_job_instance_status answer"), "\(extended)")
        #expect(extended.contains("[0:10.0.0.1] 失败, 查看详情"))
        #expect(!extended.contains("执行状态为空"))
    }

    @Test func unfinishedJobMarksRunningHosts() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 7), Fixtures.host(0, "10.0.0.2", status: 9)], finished: false)
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.2", Fixtures.healthyRich)])])
        #expect(r.hosts.map(\.state) == [.notFinished, .pass])
        #expect(!r.finished)
        // The platform gives up after its five polls: their lines, one timeout line, no host line.
        #expect(r.agentCheckerText(extended: false) == Self.polls(5) + "[error] [agent checker] [获取作业执行状态] 作业: 10000, 超时: 100s\n")
        #expect(r.headline.contains("JOB failed before any host verdict"))
    }

    /// JOB's status answer gives no host list: AgentChecker prints one job-level line and no host line.
    @Test(arguments: [
        (
            "failure",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [1240002] [JOB作业平台-API]job busy path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        (
            "failure-no-code",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [3600002] [JOB作业平台-API]denied path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        // bk-log's ApiResultError keeps JOB's code when Python finds it true, printed with str().
        (
            "failure-code-true",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [True] [JOB作业平台-API]None path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        (
            "failure-code-text",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [E1.5] [JOB作业平台-API][1, 'x'] path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        (
            "failure-code-float",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [1.5] [JOB作业平台-API]1e+16 path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        (
            "failure-code-empty",
            "[error] [agent checker] [获取作业执行状态] 作业: 10000] 报错为: [3600002] [JOB作业平台-API]x path => /api/c/compapi/v2/jobv3/get_job_instance_status/\n"
        ),
        ("no-steps", "[error] [agent checker] [获取作业执行状态] 作业: 10000, 执行状态为空\n"),
        ("no-hosts", "[error] [agent checker] [获取作业执行状态] 作业: 10000, 超时: 100s\n"),
        ("other-step", "[error] [agent checker] [获取作业执行状态] 作业: 10000, 超时: 100s\n"),
    ])
    func jobLevelFailurePrintsOneLine(kind: String, expected: String) throws {
        let logs = Fixtures.logs([Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine(processOK: false))])
        let status: JSONValue
        switch kind {
        case "failure": status = .object([("result", false), ("code", 1_240_002), ("message", "job busy"), ("data", .null)])
        case "failure-no-code": status = .object([("result", false), ("code", 0), ("message", "denied"), ("data", .null)])
        case "failure-code-true": status = .object([("result", false), ("code", true), ("data", .null)])
        case "failure-code-text":
            status = .object([("result", false), ("code", "E1.5"), ("message", .array([1, "x"])), ("data", .null)])
        case "failure-code-float": status = .object([("result", false), ("code", 1.5), ("message", .double(1e16)), ("data", .null)])
        case "failure-code-empty": status = .object([("result", false), ("code", ""), ("message", "x"), ("data", .null)])
        case "no-steps": status = .object([("finished", true), ("step_instance_list", .array([]))])
        case "no-hosts": status = Fixtures.status([])
        default: status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)], step: 555)
        }
        let r = try Fixtures.assemble([status, logs])
        // An API error is asked all 5 times; a finished answer ends the polling at once.
        let polled = Self.polls(kind.hasPrefix("failure") ? 5 : 1)
        #expect(r.agentCheckerText(extended: false) == polled + expected)
        let failure = try #require(r.jobFailure)
        #expect(failure.line.line + "\n" == expected)
        // The other formats say it first.
        #expect(r.headline.contains("JOB failed before any host verdict"))
        #expect(r.textTable().contains("JOB failed before any host verdict"))
        let json = try JSONValue.parse(r.jsonText())
        #expect(json["job_failure"]?["message"]?.stringValue == failure.summary)
        #expect(json["job_failure"]?["platform_line"]?.stringValue == failure.line.line)
        #expect(r.markdown().contains("JOB failed before any host verdict"))
        // Extended lines add a note, never host lines.
        let extended = r.agentCheckerText(extended: true)
        #expect(!extended.contains("[0:10.0.0.1] 失败"))
        #expect(extended.hasPrefix(polled + expected))
    }

    /// Lines AgentChecker reads with Python's errors; the table is the Python error text.
    @Test(arguments: [
        ("[1, 2]", "list indices must be integers or slices, not str"),
        ("\"text\"", "string indices must be integers, not 'str'"),
        ("42", "'int' object is not subscriptable"),
        ("null", "'NoneType' object is not subscriptable"),
        ("{\"data\": []}", "'status'"),
        ("{\"status\": true, \"data\": 5}", "'int' object is not iterable"),
        ("{\"status\": true, \"data\": [{\"item\": \"x\"}]}", "'module'"),
        ("{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"x\", \"status\": true}]}", "'message'"),
        ("{\"status\": true, \"data\": [\"s\"]}", "string indices must be integers, not 'str'"),
        ("{\"status\": tru", "Expecting value: line 1 column 12 (char 11)"),
        ("{\"status\": true, \"data\": []} x", "Extra data: line 1 column 30 (char 29)"),
        ("   ", "Expecting value: line 1 column 4 (char 3)"),
    ])
    func brokenLines(line: String, error: String) throws {
        let (reports, lines) = HostOutputReader.read(line)
        #expect(reports.isEmpty)
        guard case .failed(let f) = try #require(lines.first) else {
            Issue.record("line read as a report")
            return
        }
        #expect(f.error == error)
    }

    @Test func wrongTypesInsideEntriesStillReadLikeAgentChecker() throws {
        // A numeric module is fine for AgentChecker (it formats it), not for the report model.
        let (reports, lines) = HostOutputReader.read(
            "{\"status\": 0, \"data\": [{\"module\": 7, \"item\": \"process\", \"status\": 1, \"message\": null}]}")
        #expect(reports.isEmpty)
        guard case .failed(let f) = try #require(lines.first) else { return }
        #expect(!f.checkerFails)
        #expect(f.hostStatus == false)
        #expect(f.emitted.map(\.text) == ["[7] [检查进程是否存在] [成功] None"])
    }

    @Test func nestingPastPythonsLimitIsItsRecursionError() throws {
        let n = HostOutputReader.pythonMaxDepth + 1
        let (reports, lines) = HostOutputReader.read(
            "{\"status\": true, \"data\": " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}")
        #expect(reports.isEmpty)
        guard case .failed(let f) = try #require(lines.first) else { return }
        #expect(f.error == "maximum recursion depth exceeded while decoding a JSON array from a unicode string")
    }

    @Test func statusFalseWithPassingEntriesIsAFailure() throws {
        let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
        let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", "{\"status\": false, \"data\": []}")])])
        #expect(r.hosts[0].state == .fail)
        #expect(r.summary.groups.first?.title == "status: declared false")
    }

    /// AgentChecker labels only the items of its own table (`CHECK_AGENT_STEP`, feat/collector_check's: check.py's
    /// nine and log_path's two): log_progress's items print its fallback `gse agent检查`, in the report model's
    /// lines, the lines written while reading, and a line the model refuses.
    @Test func itemsTheTableDoesNotLabelPrintTheFallback() throws {
        let rich = Fixtures.richLine([
            ("log_path", "logpath_match", .pass, "ok", ""), ("log_path", "logpath_held", .fail, "held", "h"),
            ("log_progress", "logpath_progress", .pass, "p", ""), ("log_progress", "loss_risk", .warn, "r", ""),
            ("bkunifylogbeat", "main_config", .pass, "m", ""), ("gse_agent", "dataserver_port", .pass, "d", ""),
        ])
        let odd =
            "{\"status\": true, \"data\": [{\"module\": 7, \"item\": \"logpath_match\", \"status\": 1, \"message\": 1}, {\"module\": 7, \"item\": \"pipeline_stall\", \"status\": 1, \"message\": 2}]}"
        let expected =
            Self.polls(1) + """
                [error] [agent checker] [0:10.0.0.1] 失败, 查看详情
                [info] [agent checker] [log_path] [检查日志采集路径是否存在] [成功] ok
                [error] [agent checker] [log_path] [检查日志采集路径是否持有句柄] [失败] held
                [info] [agent checker] [log_progress] [gse agent检查] [成功] p
                [info] [agent checker] [log_progress] [gse agent检查] [成功] r
                [info] [agent checker] [bkunifylogbeat] [检查主配置是否存在及正确] [成功] m
                [info] [agent checker] [gse_agent] [检查data server端口是否存在] [成功] d
                [info] [agent checker] [0:10.0.0.2] 成功
                [info] [agent checker] [7] [检查日志采集路径是否存在] [成功] 1
                [info] [agent checker] [7] [gse agent检查] [成功] 2

                """
        let docs = [
            Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9), Fixtures.host(0, "10.0.0.2", status: 9)]),
            Fixtures.logs([Fixtures.log(0, "10.0.0.1", rich + "\n"), Fixtures.log(0, "10.0.0.2", odd + "\n")]),
        ]
        #expect(try Fixtures.assemble(docs).agentCheckerText(extended: false) == expected)
        let streamed = try Fixtures.assemble(texts: docs.map { $0.serialized() }, streamed: true)
        #expect(streamed.hosts.flatMap(\.lines).contains { if case .reportRendered = $0 { true } else { false } })
        #expect(streamed.agentCheckerText(extended: false) == expected)
        #expect(CheckResult(module: "log_path", item: "logpath_match", verdict: .pass, message: "").label == "检查日志采集路径是否存在")
    }

    /// AgentChecker's key is `"{}:{}".format(bk_cloud_id, ip)`: a cloud id that is not a 64-bit integer prints
    /// as Python's `str()` of it (`0.0`, a 20-digit integer, `True`), and a log under cloud `0` is not the log
    /// of a host listed under cloud `0.0`; through the tree and through the scanner that writes lines as it reads.
    @Test func cloudIDsKeyHostsAsPythonPrintsThem() throws {
        let status =
            #"{"finished": true, "job_instance": {"job_instance_id": 10000}, "step_instance_list": [{"step_instance_id": 75, "step_ip_result_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0.0, "status": 9}, {"ip": "10.0.0.2", "bk_cloud_id": 99999999999999999999, "status": 11}, {"ip": "10.0.0.3", "bk_cloud_id": true, "status": 9}, {"ip": "10.0.0.4", "bk_cloud_id": "2", "status": 310}, {"ip": "10.0.0.5", "bk_cloud_id": 0.0, "status": 9}]}]}"#
        let logs =
            #"{"job_instance_id": 10000, "step_instance_id": 75, "script_task_logs": [{"bk_cloud_id": 0.0, "ip": "10.0.0.1", "log_content": "{\"status\": true, \"data\": [{\"module\": \"m\", \"item\": \"process\", \"status\": true, \"message\": \"up\"}]}\n"}, {"bk_cloud_id": 1, "ip": "10.0.0.3", "log_content": "{\"status\": true, \"data\": []}"}, {"bk_cloud_id": 0, "ip": "10.0.0.5", "log_content": "{\"status\": false, \"data\": []}"}]}"#
        let expected =
            Self.polls(1) + """
                [warning] [agent checker] [获取作业执行结果] 作业: 10000, 数据不完整
                [info] [agent checker] [0.0:10.0.0.1] 成功
                [info] [agent checker] [m] [检查进程是否存在] [成功] up
                [error] [agent checker] [获取作业执行结果] [99999999999999999999:10.0.0.2] 脚本执行结果, 执行状态为: 11
                [error] [agent checker] [获取作业执行结果] [2:10.0.0.4] 脚本执行结果, 执行状态为: Agent异常

                """
        for streamed in [false, true] {
            let r = try Fixtures.assemble(texts: [status, logs], streamed: streamed)
            #expect(r.agentCheckerText(extended: false) == expected, "streamed: \(streamed)")
        }
        let tree = try JobAnswer.recognise(try JSONValue.parse(status), source: "s")
        guard case .status(let answer) = tree else { return }
        #expect(
            answer.steps[0].hosts.map(\.key) == [
                "0.0:10.0.0.1", "99999999999999999999:10.0.0.2", "True:10.0.0.3", "2:10.0.0.4", "0.0:10.0.0.5",
            ])
    }

    /// The step a log page names is compared with the status answer's steps as a Python value: `"75"` is no
    /// step (the timeout), `75.0` is step 75, `true` is step 1, and a null id leaves the next page to name it.
    @Test(arguments: [
        ("\"75\"", "[error] [agent checker] [获取作业执行状态] 作业: 10000, 超时: 100s\n"),
        ("75.0", "[error] [agent checker] [获取作业执行结果] [0:10.0.0.1] 脚本执行结果, 执行状态为: 11\n"),
        ("true", "[error] [agent checker] [获取作业执行结果] [0:10.0.0.2] 脚本执行结果, 执行状态为: Agent异常\n"),
        ("null", "[error] [agent checker] [获取作业执行结果] [0:10.0.0.2] 脚本执行结果, 执行状态为: Agent异常\n"),
    ])
    func logPageStepIDIsComparedAsPythonCompares(stepID: String, last: String) throws {
        let status = #"""
            {"finished": true, "job_instance": {"job_instance_id": 10000}, "step_instance_list": [{"step_instance_id": 75, "step_ip_result_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0, "status": 11}]}, {"step_instance_id": 1, "step_ip_result_list": [{"ip": "10.0.0.2", "bk_cloud_id": 0, "status": 310}]}]}
            """#
        let pages = [
            #"{"job_instance_id": 10000, "step_instance_id": "# + stepID + #", "script_task_logs": []}"#,
            #"{"job_instance_id": 10000, "step_instance_id": 1, "script_task_logs": []}"#,
        ]
        let r = try Fixtures.assemble(texts: [status] + pages)
        let gaps =
            last.contains("超时")
            ? "" : "[warning] [agent checker] [获取作业执行结果] 作业: 10000, 数据不完整\n[error] [agent checker] [获取作业执行结果] 作业: 10000, 数据为空\n"
        #expect(r.agentCheckerText(extended: false) == Self.polls(1) + gaps + last)
    }
}
