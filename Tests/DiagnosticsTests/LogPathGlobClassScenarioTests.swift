import Foundation
import Report
import TestSupport
import Testing

/// A log path whose brackets were meant literally (`app[1].log`): the collector globs it (Go's
/// `filepath.Match`: `[1]` is a class of one character), so it collects `app1.log` and never a file
/// literally named `app[1].log`.
@Suite("Log paths: glob metacharacters meant literally")
struct LogPathGlobClassScenarioTests {
    @Test("only app[1].log exists: no file is collected, and the message says the brackets are a wildcard and how to escape them")
    func onlyLiteral() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let literal = try host.makeLogFile("brk/app[1].log")
        let pattern = host.logDir + "/brk/app[1].log"
        let report = await runChecks(host, subscription: 0, logPaths: [pattern])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .fail, "\(match.message)")
        #expect(match.message.contains(literal) && match.message.contains("通配符"), "\(match.message)")
        #expect(match.hint.contains(host.logDir + #"/brk/app\[1\].log"#), "\(match.hint)")
        #expect(match.evidence("literal_not_matched") == .object([(pattern, .string(literal))]))
    }

    @Test("only app1.log exists: it is what the collector collects, a pass with no word of brackets")
    func onlyClassMatch() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let file = try host.makeLogFile("brk/app1.log")
        let pattern = host.logDir + "/brk/app[1].log"
        let report = await runChecks(host, subscription: 0, logPaths: [pattern])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.evidence("first_matches") == JSONValue([file]))
        #expect(match.evidence("literal_not_matched") == nil)
    }

    @Test("both exist: app1.log is collected, app[1].log is not, and the check warns so with the escaped path")
    func both() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let literal = try host.makeLogFile("brk/app[1].log")
        let file = try host.makeLogFile("brk/app1.log")
        let pattern = host.logDir + "/brk/app[1].log"
        let report = await runChecks(host, subscription: 0, logPaths: [pattern])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .warn, "\(match.message)")
        #expect(match.message.contains(literal) && match.message.contains(file), "\(match.message)")
        #expect(match.hint.contains(host.logDir + #"/brk/app\[1\].log"#), "\(match.hint)")
        #expect(match.evidence("first_matches") == JSONValue([file]))
        // The escaped pattern names the literal file alone.
        let escaped = await runChecks(host, subscription: 0, logPaths: [host.logDir + #"/brk/app\[1\].log"#])
        let m = try #require(escaped.result(module: "log_path", item: "logpath_match"))
        #expect(m.verdict == .pass, "\(m.message)")
        #expect(m.evidence("first_matches") == JSONValue([literal]))
    }

    @Test("app[1].log collected by another of the paths (*.log): no word that it is not collected")
    func literalCollectedByAnotherPath() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let literal = try host.makeLogFile("brk/app[1].log")
        let file = try host.makeLogFile("brk/app1.log")
        let report = await runChecks(host, subscription: 0, logPaths: [host.logDir + "/brk/app[1].log", host.logDir + "/brk/*.log"])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.evidence("literal_not_matched") == nil)
        #expect(match.message.contains(literal) && match.message.contains(file), "\(match.message)")
    }

    @Test("the subscription's own config names app[1].log: logpath_progress fails no match and names the literal file too")
    func progressOfSubscription() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        let pattern = host.logDir + "/brk/app[1].log"
        try host.writeSubConfig(subscription: 33561, paths: [pattern])
        let literal = try host.makeLogFile("brk/app[1].log")
        let report = await runChecks(host, subscription: 33561, logPaths: [pattern], dataPort: port)
        #expect(report.verdict("log_path", "logpath_match") == .fail, "\(report.message("log_path", "logpath_match"))")
        #expect(report.message("log_path", "logpath_match").contains(literal))
        let p = try #require(report.result(module: "log_progress", item: "logpath_progress"))
        #expect(p.verdict == .fail, "\(p.message)")
        #expect(p.message.contains("\(pattern) exists as a file, but the collector reads [ ]"), "\(p.message)")
        #expect(p.hint.contains(host.logDir + #"/brk/app\[1\].log"#), "\(p.hint)")
        #expect(p.evidence("literal_not_matched") == JSONValue([pattern]))
        // Without -l: the config's own path, as the collector reads it.
        let own = await runChecks(host, subscription: 33561, dataPort: port)
        let q = try #require(own.result(module: "log_progress", item: "logpath_progress"))
        #expect(q.verdict == .fail && q.message.contains("exists as a file"), "\(q.message)")
    }

    @Test("a * or ? meant literally matches its own name too: no note")
    func starMatchesItself() async throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let file = try host.makeLogFile("brk/app?.log")
        let report = await runChecks(host, subscription: 0, logPaths: [host.logDir + "/brk/app?.log"])
        let match = try #require(report.result(module: "log_path", item: "logpath_match"))
        #expect(match.verdict == .pass, "\(match.message)")
        #expect(match.evidence("first_matches") == JSONValue([file]))
        #expect(match.evidence("literal_not_matched") == nil)
    }
}
