import Report

@testable import Fleet

/// JOB answers in the documented shapes, built for the tests.
enum Fixtures {
    static func entry(_ module: String, _ item: String, _ status: Bool, _ message: String) -> JSONValue {
        .object([("module", .string(module)), ("item", .string(item)), ("status", .bool(status)), ("message", .string(message))])
    }

    /// check.py's one line: status and four-key entries.
    static func checkPyLine(processOK: Bool = true, pid: Int = 1234) -> String {
        JSONValue.object([
            ("status", .bool(processOK)),
            (
                "data",
                .array([
                    entry("bkunifylogbeat", "bin_file", true, ""),
                    entry(
                        "bkunifylogbeat", "process", processOK,
                        processOK ? "cpu_usage: 0.1%, mem_usage: 0.2%" : "bkunifylogbeat is not running (pid \(pid) gone)"),
                    entry("gse_agent", "socket", true, ""),
                ])
            ),
        ]).serialized()
    }

    /// bkdiag's rich line.
    static func richLine(_ verdicts: [(String, String, Verdict, String, String)], version: String = "0.1.0") -> String {
        let results = verdicts.map { CheckResult(module: $0.0, item: $0.1, verdict: $0.2, message: $0.3, hint: $0.4) }
        return DiagnosticReport(results: results, host: HostIdentity(hostname: "h"), version: version, generatedAtMs: 1).richLine()
    }

    static let healthyRich = richLine([
        ("bkunifylogbeat", "process", .pass, "pid 77 up 3d", ""),
        ("gse_agent", "socket", .pass, "/var/run/ipc.state.report", ""),
    ])

    static func brokenRich(pid: Int) -> String {
        richLine([
            ("bkunifylogbeat", "process", .fail, "bkunifylogbeat is not running (pid \(pid) gone)", "systemctl restart gse_agent"),
            ("gse_agent", "socket", .warn, "socket queue 12 bytes", ""),
        ])
    }

    static func host(_ cloud: Int, _ ip: String, status: Int, error: Int = 0, id: Int? = nil, v6: Bool = false) -> JSONValue {
        var m: [(String, JSONValue)] = []
        if let id { m.append(("bk_host_id", .int(Int64(id)))) }
        m.append((v6 ? "ipv6" : "ip", .string(ip)))
        m += [
            ("bk_cloud_id", .int(Int64(cloud))), ("status", .int(Int64(status))), ("tag", ""),
            ("exit_code", .int(error == 104 ? 1 : 0)), ("error_code", .int(Int64(error))),
            ("start_time", 1_605_064_271_000), ("end_time", 1_605_064_272_000), ("total_time", 1000),
        ]
        return .object(m)
    }

    static func log(_ cloud: Int, _ ip: String, _ content: String, id: Int? = nil, v6: Bool = false) -> JSONValue {
        var m: [(String, JSONValue)] = []
        if let id { m += [("host_id", .int(Int64(id))), ("bk_host_id", .int(Int64(id)))] }
        m += [("bk_cloud_id", .int(Int64(cloud))), (v6 ? "ipv6" : "ip", .string(ip)), ("log_content", .string(content))]
        return .object(m)
    }

    static func wrap(_ data: JSONValue) -> JSONValue {
        .object([("result", true), ("code", 0), ("message", "success"), ("data", data), ("job_request_id", "abc")])
    }

    static func status(_ hosts: [JSONValue], finished: Bool = true, job: Int = 10000, step: Int = 10001) -> JSONValue {
        .object([
            ("finished", .bool(finished)),
            ("job_instance", .object([("job_instance_id", .int(Int64(job))), ("status", finished ? 3 : 2)])),
            (
                "step_instance_list",
                .array([
                    .object([
                        ("step_instance_id", .int(Int64(step))), ("status", finished ? 3 : 2), ("step_ip_result_list", .array(hosts)),
                    ])
                ])
            ),
        ])
    }

    static func logs(_ entries: [JSONValue], job: Int = 10000, step: Int = 10001) -> JSONValue {
        .object([
            ("log_type", 1), ("job_instance_id", .int(Int64(job))), ("step_instance_id", .int(Int64(step))),
            ("script_task_logs", .array(entries)),
        ])
    }

    /// The mixed fleet of the golden test.
    static let mixedStatus = status([
        host(0, "10.0.0.1", status: 9, id: 101),
        host(0, "10.0.0.2", status: 9, id: 102),
        host(0, "10.0.0.3", status: 11, error: 104, id: 103),
        host(0, "10.0.0.4", status: 9, id: 104),
        host(0, "10.0.0.5", status: 9, id: 105),
        host(0, "10.0.0.6", status: 9, id: 106),
        host(1, "fe80::6", status: 9, id: 107, v6: true),
        host(0, "10.0.0.7", status: 9, id: 108),
        host(0, "10.0.0.8", status: 310, id: 109),
        host(0, "10.0.0.9", status: 9, id: 110),
    ])

    static let mixedLogsPage1 = logs([
        log(0, "10.0.0.1", healthyRich + "\n", id: 101),
        log(0, "10.0.0.2", checkPyLine(processOK: false) + "\n", id: 102),
        log(0, "10.0.0.3", "Traceback (most recent call last):\n", id: 103),
        log(0, "10.0.0.4", "", id: 104),
    ])

    static let mixedLogsPage2 = logs([
        log(0, "10.0.0.5", "bash: python: command not found\n", id: 105),
        log(1, "fe80::6", checkPyLine() + "\n", id: 107, v6: true),
        log(0, "10.0.0.7", healthyRich + "\n" + brokenRich(pid: 4242) + "\n", id: 108),
        log(0, "10.0.0.9", "{\"status\": true}\n", id: 110),
    ])

    static func assemble(_ docs: [JSONValue], gse: JSONValue? = nil) throws -> FleetReport {
        var asm = FleetAssembler()
        for (i, d) in (docs + (gse.map { [$0] } ?? [])).enumerated() {
            for a in try AnswerReader.recognise(bytes: Array(d.serialized().utf8), source: "doc\(i)", parallel: i % 2 == 0) {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
        }
        return asm.finish(source: "parse", generatedAtMs: 1_700_000_000_000)
    }

    /// Answers read from their text as written, in order on one thread. `streamed`: read as `--format agent`
    /// reads them (no evidence, lean entries, the platform's lines written while reading).
    static func assemble(texts: [String], streamed: Bool = false) throws -> FleetReport {
        var asm = FleetAssembler()
        for (i, text) in texts.enumerated() {
            let read = try AnswerReader.recognise(
                bytes: Array(text.utf8), source: "doc\(i)", parallel: false, keepEvidence: !streamed, fullEntries: !streamed,
                agentLines: streamed)
            for a in read {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
        }
        return asm.finish(source: "parse", generatedAtMs: 1)
    }
}
