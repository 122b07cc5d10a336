import Foundation
import HostProbe
import Report
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Log paths on real trees: names that are not UTF-8, files that are not regular, errors that are not
/// permission problems.
@Suite("Log paths: bytes, file types and errors")
struct LogPathBytesScenarioTests {
    /// 中文 and 测试 in GBK: none of their bytes happen to form UTF-8 (日志's `D6 BE` would, and is then
    /// shown as that character).
    static let zhongwen: [UInt8] = [0xD6, 0xD0, 0xCE, 0xC4]
    static let ceshi: [UInt8] = [0xB2, 0xE2, 0xCA, 0xD4]

    @Test("GBK-named directories and files are found, held files are matched to their collector, and messages show the bytes escaped")
    func gbkNames() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let file = try host.makeLogFile(bytes: Self.zhongwen + [0x2F] + Self.ceshi + Array(".log".utf8))
        let shown = host.logDir + #"/\xd6\xd0\xce\xc4/\xb2\xe2\xca\xd4.log"#
        // A UTF-8 pattern whose wildcards meet the GBK names.
        let pattern = host.logDir + "/*/*.log"
        let report = await runChecks(host, subscription: 0, logPaths: [pattern])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.message.contains(shown), "\(match.message)")
        #expect(match.evidence("first_matches") == JSONValue([host.logDir + "/app/a.log", shown]))
        // The JSON line stays valid UTF-8 and says the bytes.
        let line = report.richLine()
        #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil)
        let reread = try DiagnosticReport(line: line)
        #expect(reread.result(module: "log_path", item: "logpath_match")?.message.contains(shown) == true)
        // A pattern that itself carries the GBK bytes (as argv gives them).
        let raw = PathBytes.string(Array(host.logDir.utf8) + [0x2F] + Self.zhongwen + Array("/*.log".utf8))
        let direct = await runChecks(host, subscription: 0, logPaths: [raw])
        #expect(direct.verdict("log_path", "logpath_match") == .pass, "\(direct.message("log_path", "logpath_match"))")
        // Another subscription collects it: a collector holds it open through its GBK name.
        try host.writeSubConfig(subscription: 777, instance: 1, paths: [host.logDir + "/*/*.log"])
        let holder = try host.startCollector(connect: false, hold: [file])
        let held = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        let h = try #require(held.result(module: "log_path", item: "logpath_held"))
        #expect(h.verdict == .fail, "\(h.message)")
        #expect(h.message.contains(shown) && h.message.contains("pid \(holder.pid), subscription 777"), "\(h.message)")
    }

    @Test("the built binary takes a -l argument in GBK bytes from argv")
    func gbkArgv() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.makeLogFile(bytes: Self.zhongwen + Array("/a.log".utf8))
        let pattern = Array(host.logDir.utf8) + [0x2F] + Self.zhongwen + Array("/*.log".utf8)
        let run = try ProgramRun.run(
            BuildProducts.path("bkdiag"),
            rawArguments: [
                Array("--gse_path".utf8), Array(host.gseRoot.utf8), Array("-l".utf8), pattern,
                Array("--host-root".utf8), Array(host.dir.utf8), Array("--no-agent-healthz".utf8),
            ])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let report = try DiagnosticReport(line: String(lines.first ?? ""))
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.message.contains(host.logDir + #"/\xd6\xd0\xce\xc4/a.log"#), "\(match.message)")
        #expect(JSONValue.object(report.context)["log_paths"] == JSONValue([host.logDir + #"/\xd6\xd0\xce\xc4/*.log"#]))
    }

    @Test("a FIFO, a socket or a directory matched by a log path is not a log file, and the FIFO is never opened")
    func onlyRegularFiles() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let dir = host.logDir + "/special"
        try FileManager.default.createDirectory(atPath: dir + "/d.log", withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/pipe.log", 0o644) == 0)
        let sock = try UnixListener(path: dir + "/sock.log")
        defer { sock.close() }
        let pattern = dir + "/*.log"
        // A FIFO nobody writes to: opening it would block the check until its deadline.
        let report = await runChecks(host, subscription: 0, logPaths: [pattern], deadline: 30)
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .fail, "\(match.message)")
        #expect(match.message == "以下路径无匹配文件: \(pattern)（\(pattern) 只匹配到目录、失效的软链接或非普通文件）")
        #expect(match.hint.contains("FIFO"), "\(match.hint)")
        #expect(match.evidence("not_regular_files") == JSONValue([dir + "/pipe.log (FIFO)", dir + "/sock.log (socket)"]))
        #expect(match.evidence("timed_out") == nil)
        // One regular file beside them: it alone is the match.
        try "x\n".write(toFile: dir + "/real.log", atomically: true, encoding: .utf8)
        let ok = await runChecks(host, subscription: 0, logPaths: [pattern], deadline: 30)
        let m = try #require(ok.result(module: "log_path", item: "logpath_match"))
        #expect(m.verdict == .pass, "\(m.message)")
        #expect(m.evidence("matched") == .int(1))
        #expect(m.evidence("first_matches") == JSONValue([dir + "/real.log"]))
    }

    @Test("a symlink loop or a name over 255 bytes fails with that reason; it is not 'no permission'")
    func errorsNamedTruly() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: host.logDir + "/loops", withIntermediateDirectories: true)
        // Files that are links to each other, and a directory that is a link to itself.
        try fm.createSymbolicLink(atPath: host.logDir + "/loops/a.log", withDestinationPath: "b.log")
        try fm.createSymbolicLink(atPath: host.logDir + "/loops/b.log", withDestinationPath: "a.log")
        try fm.createSymbolicLink(atPath: host.logDir + "/self", withDestinationPath: host.logDir + "/self")
        let loopText = String(cString: strerror(ELOOP))
        for pattern in [host.logDir + "/loops/*.log", host.logDir + "/self/*.log"] {
            let r = await runChecks(host, subscription: 0, logPaths: [pattern])
            let m = try #require(r.result(module: "log_path", item: "logpath_match"))
            #expect(m.verdict == .fail, "\(pattern): \(m.message)")
            #expect(m.message.contains(loopText), "\(m.message)")
            #expect(m.evidence("unreadable_dirs") == nil)
        }
        let long = host.logDir + "/" + String(repeating: "l", count: 252) + ".log"  // 256 bytes
        let r = await runChecks(host, subscription: 0, logPaths: [long])
        let m = try #require(r.result(module: "log_path", item: "logpath_match"))
        #expect(m.verdict == .fail, "\(m.message)")
        #expect(m.message.contains(String(cString: strerror(ENAMETOOLONG))), "\(m.message)")
        // A plain missing file is still a plain miss, with no reason attached.
        let missing = await runChecks(host, subscription: 0, logPaths: [host.logDir + "/none/*.log"])
        #expect(missing.message("log_path", "logpath_match") == "以下路径无匹配文件: \(host.logDir)/none/*.log")
    }
}

/// A bound unix socket in the file system (a log path may match one).
final class UnixListener {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard fd >= 0, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw FakeHostError("socket \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, listen(fd, 1) == 0 else { throw FakeHostError("bind \(path): errno \(errno)") }
    }

    func close() { _ = Glibc.close(fd) }
}
