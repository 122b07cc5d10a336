import Foundation
import Report
import Testing

@testable import Fleet

/// A status answer read as AgentChecker reads it, value by value: a host's `status` is compared with 9 and
/// looked up among its labels as Python compares values (`"9"` is no 9, `9.0` is), `finished` is Python's
/// truth of the value, a step is the step that ran when its id equals it, and of two such steps the last
/// counts. The expected lines are what bk-monitor's own `get_job_ip_status`/`format_ip_logs` printed for
/// the same answers under CPython 3.11.
@Suite struct StatusValueTypesTests {
    static let row = #"{"ip": "10.0.0.1", "bk_cloud_id": 0, "status": 9}"#
    static let poll = "[info] [agent checker] [获取作业执行状态] 作业: 100, 执行次数: "
    static let ok = "[info] [agent checker] [0:10.0.0.1] 成功"
    static func failed(_ shown: String) -> String {
        "[error] [agent checker] [获取作业执行结果] [0:10.0.0.1] 脚本执行结果, 执行状态为: \(shown)"
    }
    static let timeout = "[error] [agent checker] [获取作业执行状态] 作业: 100, 超时: 100s"

    static func lines(finished: String? = "true", steps: String) throws -> [String] {
        let status =
            #"{"result": true, "code": 0, "message": "", "data": {"# + (finished.map { #""finished": \#($0), "# } ?? "")
            + #""job_instance": {"job_instance_id": 100}, "step_instance_list": \#(steps)}}"#
        let logs =
            #"{"result": true, "code": 0, "message": "", "data": {"job_instance_id": 100, "step_instance_id": 75, "script_task_logs": [{"bk_cloud_id": 0, "ip": "10.0.0.1", "log_content": "{\"status\": true, \"data\": []}"}]}}"#
        return try assemble([status, logs]).agentCheckerText(extended: false).split(separator: "\n").map(String.init)
    }

    /// The answers read from their text as written (a tree serialised again would write `11.0` as `11`).
    static func assemble(_ texts: [String]) throws -> FleetReport {
        var asm = FleetAssembler()
        for (i, text) in texts.enumerated() {
            for a in try AnswerReader.recognise(bytes: Array(text.utf8), source: "doc\(i)", parallel: i % 2 == 0) {
                switch a {
                case .answer(let x): asm.add(x, source: "doc\(i)")
                case .logs(let p): asm.add(p)
                }
            }
        }
        return asm.finish(source: "parse")
    }

    static func step(_ status: String) -> String {
        #"[{"step_instance_id": 75, "step_ip_result_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0, "status": \#(status)}]}]"#
    }

    @Test(arguments: [
        ("9", ok), (#""9""#, failed("9")), (#""310""#, failed("310")), ("310", failed("Agent异常")), ("null", failed("None")),
        ("true", failed("True")), ("11.0", failed("11.0")), ("11.5", failed("11.5")), ("12.0", failed("12.0")), ("9.0", ok),
        ("310.0", failed("Agent异常")),
    ])
    func hostStatusValues(status: String, expected: String) throws {
        #expect(try Self.lines(steps: Self.step(status)) == [Self.poll + "1", expected], "\(status)")
    }

    /// A host whose status is a string of digits is no success in the other outputs either.
    @Test func digitsAsTextAreNoSuccess() throws {
        let status = #"{"finished": true, "job_instance": {"job_instance_id": 100}, "step_instance_list": \#(Self.step(#""9""#))}"#
        let logs = Fixtures.logs([Fixtures.log(0, "10.0.0.1", Fixtures.healthyRich)], job: 100, step: 75)
        let r = try Self.assemble([status, logs.serialized()])
        #expect(r.hosts.first?.state == .jobFailed)
        #expect(r.summary.healthy == 0)
        // Its failure group shows the state as JOB gave it, not the 0 it is kept as.
        #expect(r.summary.groups.first?.entries.first?.message == "host status 9", "\(r.summary.groups.map(\.entries))")
    }

    @Test(arguments: [
        ("\"true\"", true), ("\"false\"", true), ("0.5", true), ("[1]", true), ("1", true), ("0", false), ("\"\"", false), ("[]", false),
        ("null", false),
    ])
    func finishedIsPythonTruth(value: String, finished: Bool) throws {
        let lines = try Self.lines(finished: value, steps: Self.step("9"))
        if finished {
            #expect(lines == [Self.poll + "1", Self.ok], "\(value)")
        } else {
            #expect(lines == (1...5).map { Self.poll + "\($0)" } + [Self.timeout], "\(value)")
        }
    }

    /// JOB answers `finished`; AgentChecker reads nothing else, so an answer without it never finishes.
    @Test func withoutFinishedTheJobNeverFinishes() throws {
        let lines = try Self.lines(finished: nil, steps: Self.step("9"))
        #expect(lines == (1...5).map { Self.poll + "\($0)" } + [Self.timeout])
    }

    /// A `log_content` that is not a string: one Python finds false is no output (AgentChecker is silent);
    /// any other is no report (AgentChecker's `.split` fails on it), never read as JSON that could pass.
    @Test(arguments: [
        ("0", nil), ("[]", nil), ("{}", nil), ("false", nil), ("null", nil),
        (#"{"status": true, "data": []}"#, "'dict' object has no attribute 'split'"), ("1", "'int' object has no attribute 'split'"),
        (#"["x"]"#, "'list' object has no attribute 'split'"), ("true", "'bool' object has no attribute 'split'"),
    ])
    func logContentThatIsNotText(content: String, error: String?) throws {
        let status = #"{"finished": true, "job_instance": {"job_instance_id": 100}, "step_instance_list": \#(Self.step("9"))}"#
        let logs =
            #"{"job_instance_id": 100, "step_instance_id": 75, "script_task_logs": [{"bk_cloud_id": 0, "ip": "10.0.0.1", "log_content": \#(content)}]}"#
        // Read on both paths: the page scanner (a page alone in its file) and the tree (documents in a row).
        for r in [try Self.assemble([status, logs]), try Self.assemble([status + "\n" + logs])] {
            let h = try #require(r.hosts.first)
            let lines = r.agentCheckerText(extended: false).split(separator: "\n").map(String.init)
            if let error {
                #expect(h.state == .unparseable && h.lineErrors == [error], "\(content): \(h.state)")
                #expect(lines.last == "[error] [agent checker] [获取作业执行结果] [0:10.0.0.1] 获取脚本执行结果失败, 报错为: \(error)", "\(lines)")
            } else {
                #expect(h.state == .noOutput, "\(content): \(h.state)")
                #expect(lines == [Self.poll + "1"], "\(lines)")
            }
        }
    }

    /// An answer nested as deeply as the platform's json.loads reads (an ignored member 990 deep, inside a
    /// host row too) is read, on the page scanner and the tree reader, files in parallel; deeper is named
    /// as too deep, not as a truncated file.
    @Test func answersNestedAsDeeplyAsPythonReadsThem() throws {
        func deep(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        let status =
            #"{"result": true, "code": 0, "message": "", "data": {"x": \#(deep(985)), "finished": true, "job_instance": {"job_instance_id": 100}, "step_instance_list": [{"step_instance_id": 75, "step_ip_result_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0, "status": 9, "y": \#(deep(980))}]}]}}"#
        let logs =
            #"{"result": true, "code": 0, "message": "", "data": {"w": \#(deep(985)), "job_instance_id": 100, "step_instance_id": 75, "script_task_logs": [{"bk_cloud_id": 0, "ip": "10.0.0.1", "z": \#(deep(980)), "log_content": "{\"status\": true, \"data\": []}"}]}}"#
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-deep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        try write("status.json", status)
        try write("logs.json", logs)
        try write("both.json", status + "\n" + logs)
        for paths in [[dir + "/status.json", dir + "/logs.json"], [dir + "/both.json"]] {
            var asm = FleetAssembler()
            for a in try AnswerReader.read(paths: paths) {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
            let lines = asm.finish(source: "parse").agentCheckerText(extended: false).split(separator: "\n").map(String.init)
            #expect(lines == [Self.poll + "1", Self.ok], "\(paths)")
        }
        try write("deeper.json", status.replacingOccurrences(of: deep(985), with: deep(AnswerReader.answerMaxDepth + 5)))
        do throws(FleetError) {
            _ = try AnswerReader.read(paths: [dir + "/deeper.json"])
            Issue.record("an answer deeper than json.loads reads was read")
        } catch {
            #expect(error.code == "input.too-deep" && !error.message.contains("truncated"), "\(error.message)")
        }
    }

    @Test func stepIdsCompareAsPythonValues() throws {
        let row = Self.row
        #expect(
            try Self.lines(steps: #"[{"step_instance_id": "75", "step_ip_result_list": [\#(row)]}]"#) == [Self.poll + "1", Self.timeout])
        #expect(try Self.lines(steps: #"[{"step_instance_id": 75.0, "step_ip_result_list": [\#(row)]}]"#) == [Self.poll + "1", Self.ok])
        // Two steps with the id: the loop does not stop at the first, the last one's hosts count.
        let failed = row.replacingOccurrences(of: "\"status\": 9", with: "\"status\": 11")
        #expect(
            try Self.lines(
                steps:
                    #"[{"step_instance_id": 75, "step_ip_result_list": [\#(row)]}, {"step_instance_id": 75, "step_ip_result_list": [\#(failed)]}]"#
            ) == [Self.poll + "1", Self.failed("11")])
    }

    /// A host's key is its cloud id as Python prints an integer, a colon and its address, for every id an
    /// answer can carry (negative, the extremes) and any address (IPv6, non-ASCII, longer than a small string).
    @Test func hostKeysPrintTheCloudIdAndAddress() {
        for cloud: Int64 in [0, 7, 10, -3, 1_000_000, .max, .min, .min + 1] {
            for ip in ["10.0.0.1", "fd00::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "主机", "x"] {
                #expect(JobHostKey.make(cloudID: cloud, ip: ip, hostID: 5) == String(cloud) + ":" + ip)
            }
            #expect(JobHostKey.make(cloudID: cloud, ip: "", hostID: 5) == String(cloud) + ":host-5")
        }
        #expect(JobHostKey.make(cloudID: 0, ip: "10.0.0.1", hostID: nil, cloudText: "0.0") == "0.0:10.0.0.1")
    }
}
