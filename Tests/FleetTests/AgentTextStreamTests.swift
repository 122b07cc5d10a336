import Report
import Testing

@testable import Fleet

/// `writeAgentCheckerText` writes the common lines as bytes; `forEachAgentCheckerInfo` builds every line as an
/// `AgentInfo`. The two must give the same text for every shape of host.
@Suite struct AgentTextStreamTests {
    static func reference(_ r: FleetReport, extended: Bool) -> String {
        var text = ""
        r.forEachAgentCheckerInfo(extended: extended) { text += $0.line + "\n" }
        return text
    }

    static func entry(_ module: String, _ item: String, _ status: Bool, _ message: String) -> String {
        "{\"module\": \"\(module)\", \"item\": \"\(item)\", \"status\": \(status), \"message\": \"\(message)\"}"
    }

    /// Items that move between positions, unknown and empty items, a non-string message, broken lines,
    /// two reports from one host, job failures, no output and missing hosts.
    static func varied() throws -> FleetReport {
        let outputs = [
            "{\"status\": true, \"data\": [\(entry("bkunifylogbeat", "process", true, "pid 1")), \(entry("gse_agent", "socket", true, ""))]}",
            "{\"status\": false, \"data\": [\(entry("gse_agent", "socket", false, "gone")), \(entry("bkunifylogbeat", "process", true, "pid 2"))]}",
            "{\"status\": true, \"data\": [\(entry("x", "", true, "empty item")), \(entry("y", "no_such_item", false, "unknown item \\u00e9\\ud83d\\ude00"))]}",
            "{\"status\": true, \"data\": [\(entry("gse_agent", "socket_queue_status", true, "q 0"))]}\n{\"status\": 1, \"data\": [{\"module\": \"m\", \"item\": \"config\", \"status\": true, \"message\": null}]}",
            "not json\n{\"status\": true}",
            "",
            "{\"status\": true, \"data\": [\(entry("log_path", "logpath_match", true, "a\\tb \\\"q\\\" 中文"))]}",
        ]
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for (n, o) in outputs.enumerated() {
            hosts.append(Fixtures.host(0, "10.0.0.\(n + 1)", status: 9))
            logs.append(Fixtures.log(0, "10.0.0.\(n + 1)", o))
        }
        hosts.append(Fixtures.host(0, "10.0.1.1", status: 11))
        hosts.append(Fixtures.host(0, "10.0.1.2", status: 310))
        hosts.append(Fixtures.host(0, "10.0.1.3", status: 9))
        return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
    }

    @Test(arguments: [false, true])
    func streamedTextEqualsTheRecordLines(extended: Bool) throws {
        for r in [try Self.varied(), try ParseGoldenTests().mixed()] {
            #expect(r.agentCheckerText(extended: extended) == Self.reference(r, extended: extended))
        }
    }

    @Test func piecesJoinToTheSameText() throws {
        let r = try Self.varied()
        var pieces = 0
        var bytes: [UInt8] = []
        r.writeAgentCheckerText(extended: true) {
            pieces += 1; bytes += $0
        }
        #expect(pieces >= 1)
        #expect(String(decoding: bytes, as: UTF8.self) == Self.reference(r, extended: true))
    }

    @Test func recordedPythonLinesStreamTheSame() throws {
        for (line, _) in PythonRecorded.lines {
            let status = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)])
            let r = try Fixtures.assemble([status, Fixtures.logs([Fixtures.log(0, "10.0.0.1", line)])])
            #expect(r.agentCheckerText(extended: true) == Self.reference(r, extended: true), "\(line.prefix(120))")
        }
    }

    /// Every kind of host bkdiag-fleet adds a line for after the platform's (its batch not fetched, its log
    /// matched by host id only, missing from the logs, no output), among hosts it adds none for: the streamed
    /// text tells them apart as the record lines do.
    @Test func extendedLinesOfEveryKindStreamTheSame() throws {
        let ok = "{\"status\": true, \"data\": [\(Self.entry("gse_agent", "socket", true, "up"))]}"
        var asm = FleetAssembler()
        let status = Fixtures.status([
            Fixtures.host(0, "10.0.2.1", status: 9, id: 1), Fixtures.host(0, "10.0.2.2", status: 9, id: 2),
            Fixtures.host(0, "10.0.2.3", status: 9, id: 3), Fixtures.host(0, "10.0.2.4", status: 9, id: 4),
            Fixtures.host(0, "10.0.2.5", status: 9, id: 5), Fixtures.host(0, "10.0.2.6", status: 11, id: 6),
        ])
        // Host 2's log names another address with its id; host 3 printed nothing; host 4 has no log.
        let logs = Fixtures.logs([
            Fixtures.log(0, "10.0.2.1", ok, id: 1), Fixtures.log(0, "10.9.9.9", ok, id: 2), Fixtures.log(0, "10.0.2.3", "", id: 3),
        ])
        for (i, d) in [status, logs].enumerated() {
            for a in try AnswerReader.recognise(bytes: Array(d.serialized().utf8), source: "doc\(i)", parallel: false) {
                switch a {
                case .answer(let x): asm.add(x, source: "input")
                case .logs(let p): asm.add(p)
                }
            }
        }
        asm.markFetchFailed(["0:10.0.2.5"], error: "HTTP 502")
        let r = asm.finish(source: "parse", generatedAtMs: 1_700_000_000_000)
        #expect(r.hosts.map(\.state) == [.pass, .pass, .noOutput, .missingLog, .fetchFailed, .jobFailed], "\(r.hosts.map(\.state))")
        #expect(r.hosts.map(\.logByHostID) == [false, true, false, false, false, false])
        let text = r.agentCheckerText(extended: true)
        #expect(text == Self.reference(r, extended: true))
        let added = text.split(separator: "\n").filter { $0.contains("[bkdiag-fleet]") }
        #expect(added.count == 4, "\(added)")
        for (key, what) in [("0:10.0.2.2", "按主机 ID"), ("0:10.0.2.3", "没有输出"), ("0:10.0.2.4", "日志中没有该主机"), ("0:10.0.2.5", "HTTP 502")] {
            #expect(added.contains { $0.contains("[\(key)]") && $0.contains(what) }, "\(key): \(added)")
        }
    }

    @Test func jobFailureStreamsItsOneLine() throws {
        let r = try Fixtures.assemble([Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9)], finished: false)])
        #expect(r.agentCheckerText(extended: true) == Self.reference(r, extended: true))
    }

    /// More hosts than one chunk of `ChunkedRender`: the chunks rendered on several cores come out in order.
    static func many(_ n: Int) throws -> FleetReport {
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        for k in 0..<n {
            let ip = "10.1.\(k / 256).\(k % 256)"
            hosts.append(Fixtures.host(0, ip, status: k % 97 == 0 ? 11 : 9))
            let out = k % 5 == 0 ? Fixtures.brokenRich(pid: k) : k % 7 == 0 ? "junk \(k)" : k % 11 == 0 ? "" : Fixtures.healthyRich
            logs.append(Fixtures.log(0, ip, out + "\n"))
        }
        return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)])
    }

    @Test func chunksOverTheCoresComeOutInOrder() throws {
        let r = try Self.many(2 * 2048 + 333)
        #expect(r.agentCheckerText(extended: true) == Self.reference(r, extended: true))
        let json = try JSONValue.parse(r.jsonText())
        #expect(json["hosts"] == .array(r.hosts.indices.map { r.hostJSON($0) }.map { try! JSONValue.parse($0.serialized()) }))
    }

    @Test func chunkedRenderKeepsTheOrder() {
        for lanes in [1, 2, 3] {
            for (count, chunk) in [(0, 4), (1, 4), (4, 4), (5, 4), (1000, 7), (1000, 2048)] {
                // Each lane's buffer is kept from wave to wave: what a lane emitted must not come out again.
                var buffers = [[UInt8]](repeating: [], count: lanes)
                var out: [UInt8] = []
                buffers.withUnsafeMutableBufferPointer { buffers in
                    nonisolated(unsafe) let buffers = buffers
                    ChunkedRender.run(
                        count: count, chunk: chunk, lanes: lanes,
                        { range, lane in
                            for i in range { buffers[lane] += Array("\(i),".utf8) }
                        },
                        emit: { lane in
                            out += buffers[lane]
                            buffers[lane].removeAll(keepingCapacity: true)
                        })
                }
                #expect(String(decoding: out, as: UTF8.self) == (0..<count).map { "\($0)," }.joined(), "\(lanes) \(count) \(chunk)")
            }
        }
    }
}
