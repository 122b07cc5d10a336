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
