import Foundation
import Logging
import Report
import TestSupport
import Testing

@testable import Fleet

/// `run` against a real local HTTP server speaking JOB's three endpoints: slow, failing and partial answers.
/// One test at a time: their timers (request timeouts of a few tenths of a second, deadlines of seconds) do not
/// hold on a 2-core machine running the rest of the suite when they also run against each other.
/// No `.timeLimit`: its timer waits on the pool the suite's blocking tests hold (see the README's tests section).
@Suite(.serialized, .ownThreads) struct RunTests {
    static let secret = "s3cr3t-never-printed"

    static func hosts(_ n: Int) -> [JSONValue] {
        (1...n).map { Fixtures.host(0, "10.0.1.\($0)", status: $0 == 5 ? 11 : 9, error: $0 == 5 ? 104 : 0, id: 1000 + $0) }
    }

    func client(_ server: FakeJobServer, timeout: Double = 2) -> JobClient {
        let cfg = JobConfig(baseURL: server.baseURL, appCode: "bkdiag", appSecret: Self.secret, username: "admin", bizID: 2)
        return JobClient(config: cfg, requestTimeout: timeout, logger: Logger(label: "test"))
    }

    /// The deadline only bounds a run whose job never finishes; it is generous because a loaded CI
    /// machine can hold a poll's reply back for seconds while other tests block the thread pool.
    func options(batch: Int = 2, deadline: Double = 30) -> RunOptions {
        var o = RunOptions(
            target: .hosts([JobTarget.HostAddress(cloudID: 0, ip: "10.0.1.1")]), script: "#!/bin/sh\necho hi\n",
            scriptParam: "--subscription_id=12 --gse_path=/usr/local/gse/")
        o.initialPoll = 0.05
        o.maxPoll = 0.2
        o.deadline = deadline
        o.batchSize = batch
        o.concurrency = 2
        o.retries = 1
        return o
    }

    /// 6 hosts, batches of 2: batch 1 is slow, batch 2 always fails, batch 3 leaves a host out.
    @Test func slowFailingAndPartialAnswers() async throws {
        let server = try await FakeJobServer { req, n in
            switch req.endpoint {
            case "fast_execute_script":
                return .ok(.object([("job_instance_name", "check"), ("job_instance_id", 777), ("step_instance_id", 778)]))
            case "get_job_instance_status":
                if n == 1 { return FakeReply(status: 503, body: "<html>gateway busy</html>") }
                if n == 2 { return FakeReply(body: "{\"result\": false, \"code\": 1240001, \"message\": \"job busy\", \"data\": null}") }
                if n == 3 { return .ok(Fixtures.status(Array(RunTests.hosts(6).prefix(2)), finished: false, job: 777, step: 778)) }
                return .ok(Fixtures.status(RunTests.hosts(6), job: 777, step: 778))
            case "batch_get_job_instance_ip_log":
                let ids = req.json["host_id_list"]?.arrayValue?.compactMap(\.intValue) ?? []
                if ids.contains(1003) { return FakeReply(status: 500, body: "{\"result\": false}") }
                let logs = ids.filter { $0 != 1006 }.map { id in
                    Fixtures.log(
                        0, "10.0.1.\(id - 1000)", id == 1002 ? Fixtures.checkPyLine(processOK: false) : Fixtures.healthyRich, id: Int(id))
                }
                return FakeReply(body: FakeReply.ok(Fixtures.logs(logs, job: 777, step: 778)).body, delayMs: ids.contains(1001) ? 300 : 0)
            default:
                return FakeReply(status: 404, body: "{}")
            }
        }
        defer { Task { try? await server.stop() } }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = options()
        o.saveAnswers = dir
        let report = await FleetRunner(client: client(server), options: o, logger: Logger(label: "test")).run()

        #expect(report.jobInstanceID == 777 && report.stepInstanceID == 778)
        #expect(
            report.hosts.map { "\($0.key)=\($0.state.rawValue)" } == [
                "0:10.0.1.1=pass", "0:10.0.1.2=fail", "0:10.0.1.3=fetch_failed", "0:10.0.1.4=fetch_failed",
                "0:10.0.1.5=job_failed", "0:10.0.1.6=missing_log",
            ])
        // Errors per step, with the hosts they concern.
        let statusIssues = report.issues.filter { $0.step == "get_job_instance_status" }.map(\.message)
        #expect(statusIssues.contains { $0.contains("HTTP 503") })
        #expect(statusIssues.contains { $0.contains("result=false") && $0.contains("job busy") })
        let batchIssue = try #require(report.issues.first { $0.step == "batch_get_job_instance_ip_log" && $0.level == .error })
        #expect(batchIssue.hosts == ["0:10.0.1.3", "0:10.0.1.4"])
        #expect(report.issues.contains { $0.hosts == ["0:10.0.1.6"] })

        // The requests: auth header, base64 script and params, host ids in batches of ≤ 2.
        let reqs = server.requests
        let exec = try #require(reqs.first { $0.endpoint == "fast_execute_script" })
        #expect(exec.method == "POST")
        let auth = try JSONValue.parse(try #require(exec.header("X-Bkapi-Authorization")))
        #expect(auth["bk_app_code"]?.stringValue == "bkdiag" && auth["bk_app_secret"]?.stringValue == Self.secret)
        let param = try #require(exec.json["script_param"]?.stringValue)
        #expect(
            String(decoding: try #require(Data(base64Encoded: param)), as: UTF8.self) == "--subscription_id=12 --gse_path=/usr/local/gse/")
        #expect(exec.json["script_language"]?.intValue == 1)
        #expect(exec.json["target_server"]?["ip_list"]?.arrayValue?.count == 1)
        let status = try #require(reqs.first { $0.endpoint == "get_job_instance_status" })
        #expect(status.method == "GET" && status.uri.contains("job_instance_id=777") && status.uri.contains("return_ip_result=true"))
        let batches = reqs.filter { $0.endpoint == "batch_get_job_instance_ip_log" }
        #expect(batches.allSatisfy { ($0.json["host_id_list"]?.arrayValue?.count ?? 99) <= 2 })
        // The failing batch was retried once.
        #expect(batches.filter { $0.body.contains("1003") }.count == 2)

        // Nothing printed carries the secret.
        for text in [report.textTable(), report.jsonText(), report.markdown(), report.agentCheckerText(), report.html()] {
            #expect(!text.contains(Self.secret))
        }
        #expect(!report.issues.contains { $0.message.contains(Self.secret) })

        // What was fetched is kept, and parse reads it back to the same hosts (less the failed batch).
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(saved.contains("execute.json") && saved.contains("status.json"))
        let answers = try AnswerReader.read(paths: saved.map { "\(dir)/\($0)" })
        var asm = FleetAssembler()
        for a in answers {
            switch a {
            case .answer(let x): asm.add(x, source: "input")
            case .logs(let p): asm.add(p)
            }
        }
        let again = asm.finish(source: "parse")
        #expect(again.hosts.map(\.state) == [.pass, .fail, .missingLog, .missingLog, .jobFailed, .missingLog])
    }

    @Test func deadlinePassesWhileJobRuns() async throws {
        let server = try await FakeJobServer { req, n in
            switch req.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 9), ("step_instance_id", 10)]))
            case "get_job_instance_status":
                // Every other poll is far slower than the request timeout and the deadline: however starved
                // the process is, its answer never beats the 0.4 s timer (a 1.5 s delay once did, on a loaded run).
                if n % 2 == 0 { return FakeReply(body: "{}", delayMs: 60_000) }
                return .ok(
                    Fixtures.status(
                        [Fixtures.host(0, "10.0.2.1", status: 9, id: 1), Fixtures.host(0, "10.0.2.2", status: 7, id: 2)], finished: false,
                        job: 9, step: 10))
            case "batch_get_job_instance_ip_log":
                return .ok(Fixtures.logs([Fixtures.log(0, "10.0.2.1", Fixtures.healthyRich, id: 1)], job: 9, step: 10))
            default: return FakeReply(status: 404, body: "{}")
            }
        }
        defer { Task { try? await server.stop() } }
        let started = Date()
        // 10 s leaves room for the first (fast) poll and the slow second one even when the whole suite
        // starves the process on 2 cores (a CI run once took 51 s over a 3 s deadline and got no poll in).
        let report = await FleetRunner(client: client(server, timeout: 0.4), options: options(deadline: 10), logger: Logger(label: "test"))
            .run()
        // Without the deadline the run would poll the unfinished job for ever; any finite bound shows it (a
        // loaded CI run once stretched these 3 s to 46 s, so the bound is loose).
        #expect(Date().timeIntervalSince(started) < 120)
        #expect(report.hosts.map(\.state) == [.pass, .notFinished])
        #expect(report.issues.contains { $0.level == .error && $0.message.contains("had not finished") })
        // A third poll shows that the slow second one ended before the deadline, which only its request
        // timeout can have done: it is reported. On a loaded machine the deadline may come first, so there is
        // no third poll; requestTimeoutIsReported covers the timeout itself.
        if server.requests.filter({ $0.endpoint == "get_job_instance_status" }).count >= 3 {
            #expect(report.issues.contains { $0.message.contains("did not answer within") }, "\(report.issues.map(\.message))")
        }
        // Only the finished host's log was asked for.
        let batch = try #require(server.requests.first { $0.endpoint == "batch_get_job_instance_ip_log" })
        #expect(batch.json["host_id_list"] == JSONValue.array([1]))
    }

    /// A JOB whose job 9 (step 10) starts and never finishes: one host, still running, at every poll.
    static func neverFinishingJob() async throws -> FakeJobServer {
        try await FakeJobServer { req, _ in
            switch req.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 9), ("step_instance_id", 10)]))
            case "get_job_instance_status":
                return .ok(Fixtures.status([Fixtures.host(0, "10.0.2.1", status: 7, id: 1)], finished: false, job: 9, step: 10))
            default: return .ok(Fixtures.logs([], job: 9, step: 10))
            }
        }
    }

    /// Polling goes on to the deadline (its last request a second before it), not one backoff step short of
    /// it, and the last status answer of a job that never finishes is kept under `--save-answers`, so `parse`
    /// replays the run. A `--save-answers` that is not a directory is an issue, not silence.
    @Test func pollingReachesTheDeadlineAndTheLastStatusIsKept() async throws {
        let server = try await Self.neverFinishingJob()
        defer { Task { try? await server.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = options(deadline: 4)
        o.initialPoll = 0.5
        o.maxPoll = 2.5
        o.saveAnswers = dir
        let started = Date()
        _ = await FleetRunner(client: client(server, timeout: 2), options: o, logger: Logger(label: "test")).run()
        // Polls at about 0.5, 1.25 and 2.4 s, then one more at the deadline less the last request's second (3 s):
        // polling ends only within that second of the deadline (before, at 2.4 s, since the next step, 3.4 s,
        // passed the deadline). A loaded machine only makes it later.
        let polls = server.requests.filter { $0.endpoint == "get_job_instance_status" }.count
        #expect(Date().timeIntervalSince(started) >= 3, "\(polls) polls in \(Date().timeIntervalSince(started)) s")
        let saved = try JSONValue.parse(String(contentsOfFile: dir + "/status.json", encoding: .utf8))
        #expect(saved["data"]?["finished"] == .bool(false))

        try "a file".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        o.saveAnswers = dir + "/file"
        o.deadline = 1.5
        let report = await FleetRunner(client: client(server, timeout: 1), options: o, logger: Logger(label: "test")).run()
        #expect(report.issues.contains { $0.step == "save-answers" && $0.message.contains(dir + "/file/") }, "\(report.issues)")
    }

    /// The run's timers (poll backoff, retry pauses, the exchange bound) are its event loop's: a run keeps its
    /// deadline while Dispatch's global queue is held, where a `Task.sleep` would wake only once it is let go.
    @Test func timersDoNotWaitOnDispatchsQueue() async throws {
        let server = try await Self.neverFinishingJob()
        defer { Task { try? await server.stop() } }
        var o = options(deadline: 2)
        o.initialPoll = 0.2
        o.maxPoll = 0.4
        let held = HeldDispatchQueue(atMost: 20)
        let started = Date()
        _ = await FleetRunner(client: client(server, timeout: 0.5), options: o, logger: Logger(label: "test")).run()
        let took = Date().timeIntervalSince(started)
        held.letGo()
        let polls = server.requests.filter { $0.endpoint == "get_job_instance_status" }.count
        // Held, a Task.sleep timer would never wake (the queue is let go only after the run): any bound
        // tells the two apart, and a wide one leaves a loaded machine room.
        #expect(took < 30, "\(polls) polls in \(took) s")
        #expect(polls >= 2, "\(polls) polls in \(took) s")
    }

    /// A status call that hangs is cut at the deadline, not at the (longer) request timeout.
    @Test func deadlineBoundsTheStatusCallInFlight() async throws {
        let server = try await FakeJobServer { req, _ in
            switch req.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 9), ("step_instance_id", 10)]))
            case "get_job_instance_status": return FakeReply(body: "{}", delayMs: 600_000)
            default: return FakeReply(status: 404, body: "{}")
            }
        }
        defer { Task { try? await server.stop() } }
        var o = options(deadline: 1)
        o.initialPoll = 0.05
        let started = Date()
        let report = await FleetRunner(client: client(server, timeout: 300), options: o, logger: Logger(label: "test")).run()
        // Bounded by the request timeout it would take 300 s; by the deadline, about 1 s (a loaded CI run can
        // stretch seconds into tens of seconds, hence the loose bound).
        #expect(Date().timeIntervalSince(started) < 120)
        #expect(report.issues.contains { $0.message.contains("did not answer within") }, "\(report.issues.map(\.message))")
        #expect(report.hosts.isEmpty)
    }

    @Test func requestTimeoutIsReported() async throws {
        // 60 s late: on a CI machine whose test run starves every event loop for many seconds the timeout
        // and a reply 3 s late could fire in one go (the reply won once); 60 s keeps them apart.
        let server = try await FakeJobServer { _, _ in FakeReply(body: "{}", delayMs: 60_000) }
        defer { Task { try? await server.stop() } }
        // Without a working timeout the reply would arrive, parse, and be taken.
        do {
            _ = try await client(server, timeout: 0.3).jobInstanceStatus(jobInstanceID: 9)
            Issue.record("a reply 60 s late was taken with a 0.3 s request timeout")
        } catch {
            #expect(error.code == "job.timeout")
            #expect(error.message.contains("did not answer within 0.3 s"), "\(error.message)")
        }
    }

    /// A gateway that sends its head at once and its body a minute later: the request timeout bounds
    /// the whole exchange, not only until the head.
    @Test func aBodyThatNeverComesIsBoundedByTheRequestTimeout() async throws {
        let server = try await FakeJobServer { _, _ in
            var reply = FakeReply.ok(Fixtures.status(RunTests.hosts(2), job: 9, step: 10))
            reply.bodyDelayMs = 60_000
            return reply
        }
        defer { Task { try? await server.stop() } }
        let started = Date()
        do {
            _ = try await client(server, timeout: 0.5).jobInstanceStatus(jobInstanceID: 9)
            Issue.record("a body a minute late was taken with a 0.5 s request timeout")
        } catch {
            #expect(error.code == "job.timeout", "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 20)
    }

    /// A redirect is not followed: the app secret travels in a header of its own, which a redirect to
    /// another server would carry along.
    @Test func redirectsAreNotFollowedAndTheSecretStaysHome() async throws {
        let elsewhere = try await FakeJobServer { _, _ in .ok(.object([("job_instance_id", 1), ("step_instance_id", 2)])) }
        defer { Task { try? await elsewhere.stop() } }
        let target = elsewhere.baseURL + "fast_execute_script/"
        let server = try await FakeJobServer { _, _ in FakeReply(status: 302, body: "", headers: [("Location", target)]) }
        defer { Task { try? await server.stop() } }
        do {
            _ = try await client(server).fastExecuteScript(.object([("bk_biz_id", 2)]))
            Issue.record("the redirect was followed")
        } catch {
            #expect(error.code == "job.http-client" && error.message.contains("HTTP 302"), "\(error)")
        }
        #expect(elsewhere.requests.isEmpty)
    }

    /// JOB's own refusals and HTTP client errors on a log batch are asked once: the same request gets the
    /// same answer. A server error is asked again. An ip_list names every host that has an id by it.
    @Test func logBatchesRetryOnlyWhatMayPass() async throws {
        for (reply, calls) in [
            (FakeReply(status: 400, body: "{\"result\": false}"), 1),
            (FakeReply(body: "{\"result\": false, \"code\": 1240002, \"message\": \"bad param\", \"data\": null}"), 1),
            (FakeReply(status: 502, body: "<html>bad gateway</html>"), 2),
        ] {
            let server = try await FakeJobServer { req, _ in
                switch req.endpoint {
                case "fast_execute_script": return .ok(.object([("job_instance_id", 777), ("step_instance_id", 778)]))
                case "get_job_instance_status":
                    // One host without an id: the batch falls back to ip_list.
                    var hosts = RunTests.hosts(2)
                    hosts.append(Fixtures.host(0, "fe80::1", status: 9))
                    return .ok(Fixtures.status(hosts, job: 777, step: 778))
                default: return reply
                }
            }
            let report = await FleetRunner(client: client(server), options: options(batch: 10), logger: Logger(label: "test")).run()
            let batches = server.requests.filter { $0.endpoint == "batch_get_job_instance_ip_log" }
            #expect(batches.count == calls, "\(reply.status) \(reply.body): \(batches.count) calls")
            let list = batches.first?.json["ip_list"]?.arrayValue ?? []
            #expect(
                list.count == 3 && list.prefix(2).allSatisfy { $0["bk_host_id"]?.intValue != nil } && list[2]["ip"] == .string("fe80::1"))
            #expect(!report.issues.isEmpty)
            try? await server.stop()
        }
    }

    @Test func executeFailureIsReportedAndNothingElseIsCalled() async throws {
        let server = try await FakeJobServer { _, _ in
            FakeReply(body: "{\"result\": false, \"code\": 1244006, \"message\": \"User has no permission\", \"data\": null}")
        }
        defer { Task { try? await server.stop() } }
        let report = await FleetRunner(client: client(server), options: options(), logger: Logger(label: "test")).run()
        #expect(report.hosts.isEmpty)
        #expect(report.issues.first?.step == "fast_execute_script")
        #expect(report.issues.first?.message.contains("User has no permission") == true)
        #expect(
            report.agentCheckerText(extended: false)
                == "[error] [agent checker] [快速执行脚本], 报错为: [1244006] [JOB作业平台-API]User has no permission path => /api/c/compapi/v2/jobv3/fast_execute_script/\n"
        )
        #expect(report.jobFailure?.summary.hasPrefix("JOB failed before any host verdict: fast_execute_script failed") == true)
        #expect(!report.issues.contains { $0.message.contains("no get_job_instance_status answer") })
        #expect(report.textTable(colour: false).contains("JOB failed before any host verdict"))
        #expect(server.requests.count == 1)
    }

    /// JOB failing before any host is known gives `run` the same job-level verdict `parse` gives the same
    /// answers: the platform's one error line after its polls, and `job_failure` in the other outputs. An API
    /// gateway's refusal without `result` (`{code, message, data: null}`) is a refusal too, not a job that
    /// has not finished.
    @Test(arguments: [
        (
            "{\"result\": false, \"code\": 1240002, \"message\": \"job instance not found\", \"data\": null}",
            "[1240002] [JOB作业平台-API]job instance not found"
        ),
        ("{\"code\": 1306000, \"message\": \"app auth failed\", \"data\": null}", "[1306000] [JOB作业平台-API]app auth failed"),
        // A message that is not a string is printed with Python's str(), an absent one as None: as `parse` prints them.
        ("{\"result\": false, \"code\": 1240002, \"message\": 1.0, \"data\": null}", "[1240002] [JOB作业平台-API]1.0"),
        ("{\"result\": false, \"code\": 1240002, \"message\": {\"a\": [true]}}", "[1240002] [JOB作业平台-API]{'a': [True]}"),
        ("{\"result\": false, \"code\": 1240002, \"data\": null}", "[1240002] [JOB作业平台-API]None"),
    ])
    func statusRefusedIsTheJobLevelFailure(answer: String, platform: String) async throws {
        let server = try await FakeJobServer { r, _ in
            switch r.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 9), ("step_instance_id", 10)]))
            default: return FakeReply(body: answer)
            }
        }
        defer { Task { try? await server.stop() } }
        let report = await FleetRunner(client: client(server), options: options(deadline: 1.5), logger: Logger(label: "test")).run()
        let lines = report.agentCheckerText(extended: false).split(separator: "\n")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("[info] [agent checker] [获取作业执行状态] 作业: 9, 执行次数: ") }, "\(lines)")
        #expect(
            lines.last
                == "[error] [agent checker] [获取作业执行状态] 作业: 9] 报错为: \(platform) path => /api/c/compapi/v2/jobv3/get_job_instance_status/"[
                    ...])
        // `parse` of the same answer ends its line the same way.
        var asm = FleetAssembler()
        for case .answer(let a) in try AnswerReader.recognise(bytes: Array(answer.utf8), source: "status.json", parallel: false) {
            asm.add(a, source: "status.json")
        }
        let parsed = asm.finish(source: "parse").agentCheckerText(extended: false).split(separator: "\n").last
        #expect(
            parsed.flatMap { $0.components(separatedBy: "报错为: ").last } == lines.last.flatMap { $0.components(separatedBy: "报错为: ").last })
        #expect(report.jobFailure != nil)
        #expect(report.jsonText().contains("\"job_failure\": {\"message\":\"JOB failed before any host verdict"))
        #expect(
            !report.issues.contains { $0.message.contains("no get_job_instance_status answer") || $0.message.contains("had not finished") })
    }

    /// The deadline is the polling's: a fast_execute_script answer that takes longer than it leaves the
    /// status requests their time. Requests ask for no content coding. A gateway quoting the credentials
    /// header back has the secret masked in everything kept.
    @Test func slowExecuteEchoedSecretAndNoContentCoding() async throws {
        let server = try await FakeJobServer { r, _ in
            switch r.endpoint {
            case "fast_execute_script":
                return FakeReply(body: FakeReply.ok(.object([("job_instance_id", 9), ("step_instance_id", 10)])).body, delayMs: 1500)
            case "get_job_instance_status":
                return .ok(Fixtures.status([Fixtures.host(0, "10.0.1.1", status: 9, id: 1)], job: 9, step: 10))
            default:
                let echoed = "app auth failed for " + (r.header("X-Bkapi-Authorization") ?? "")
                return FakeReply(status: 401, body: JSONValue.object([("code", 16), ("message", .string(echoed))]).serialized())
            }
        }
        defer { Task { try? await server.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = options(deadline: 1)
        o.saveAnswers = dir
        let report = await FleetRunner(client: client(server, timeout: 5), options: o, logger: Logger(label: "test")).run()
        #expect(report.jobFailure == nil, "\(report.jobFailure?.summary ?? "")")
        #expect(report.hosts.first?.state == .fetchFailed, "\(report.hosts.map(\.state))")
        #expect(server.seen.withLock { $0 }.allSatisfy { $0.header("Accept-Encoding") == "identity" })
        // The echoed header reached the answer; nothing kept or shown holds the secret.
        #expect(report.issues.contains { $0.message.contains("app auth failed for") && $0.message.contains("***") }, "\(report.issues)")
        var shown = [report.jsonText(), report.agentCheckerText(), report.textTable(colour: false)]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            shown.append((try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "")
        }
        for text in shown { #expect(!text.contains(Self.secret)) }
    }

    /// A log answer past the size the client reads is not asked for again (it would be as large each
    /// time): its hosts are fetch_failed with a message that says to ask for fewer hosts per page.
    @Test func anAnswerTooLargeIsNotAskedAgain() async throws {
        let server = try await FakeJobServer { r, _ in
            switch r.endpoint {
            case "fast_execute_script": return .ok(.object([("job_instance_id", 9), ("step_instance_id", 10)]))
            case "get_job_instance_status":
                return .ok(Fixtures.status([Fixtures.host(0, "10.0.1.1", status: 9, id: 1)], job: 9, step: 10))
            default:
                let big = String(repeating: "x", count: 64 * 1024)
                return .ok(Fixtures.logs([Fixtures.log(0, "10.0.1.1", big, id: 1)], job: 9, step: 10))
            }
        }
        defer { Task { try? await server.stop() } }
        var c = client(server)
        c.maxAnswerBytes = 16 * 1024
        let report = await FleetRunner(client: c, options: options(), logger: Logger(label: "test")).run()
        #expect(report.hosts.first?.state == .fetchFailed, "\(report.hosts.map(\.state))")
        #expect(report.hosts.first?.fetchError?.contains("--batch-size") == true, "\(report.hosts.first?.fetchError ?? "")")
        #expect(server.requests.filter { $0.endpoint == "batch_get_job_instance_ip_log" }.count == 1)
    }

    @Test func connectionRefusedIsATransportError() async throws {
        let cfg = JobConfig(baseURL: "http://127.0.0.1:1/", appCode: "a", appSecret: Self.secret, username: "u", bizID: 1)
        let c = JobClient(config: cfg, requestTimeout: 2, logger: Logger(label: "test"))
        let report = await FleetRunner(client: c, options: options(), logger: Logger(label: "test")).run()
        #expect(report.issues.first?.message.contains("127.0.0.1:1") == true)
        #expect(report.issues.first.map { !$0.message.contains(Self.secret) } == true)
    }

    @Test func configFromEnvironmentAndFileNeverShowsTheSecret() throws {
        let env = [
            "BKDIAG_JOB_BASE_URL": "http://bkapi.example/api/bk-job/prod/api/v3", "BKDIAG_JOB_APP_CODE": "c",
            "BKDIAG_JOB_APP_SECRET": Self.secret, "BKDIAG_JOB_BIZ_ID": "2",
        ]
        let cfg = try JobConfig.load(path: nil, environment: env)
        #expect(cfg.baseURL.hasSuffix("/v3/"))
        #expect(!"\(cfg)".contains(Self.secret))
        do {
            _ = try JobConfig.load(path: nil, environment: [:])
            Issue.record("empty config accepted")
        } catch {
            #expect(error.code == "config.missing")
            #expect(error.message.contains("BKDIAG_JOB_APP_SECRET"))
        }
    }

    @Test(arguments: [
        ("10.0.0.1", 0, "10.0.0.1"), ("3:10.0.0.1", 3, "10.0.0.1"), ("fe80::1", 0, "fe80::1"), ("2:[fe80::1]", 2, "fe80::1"),
    ])
    func hostTargets(text: String, cloud: Int64, ip: String) throws {
        let h = try JobTarget.parseHost(text)
        #expect(h.cloudID == cloud && h.ip == ip)
    }

    /// An entry that is no address is refused before JOB is called, naming it, instead of being sent as is.
    @Test(arguments: ["300.1.1.1", "hello world", "0:fe80::zz", "1:[10.0.0.1]", "2:fe80::1x", "0:", "10.0.0"])
    func badHostTargetsAreRefused(text: String) {
        do {
            let h = try JobTarget.parseHost(text)
            Issue.record("\(text) taken as cloud \(h.cloudID), \(h.ip)")
        } catch {
            #expect(error.code == "target.host" && error.message.hasPrefix(text), "\(error)")
        }
    }

    @Test func targetShapes() throws {
        #expect(
            JobTarget.hosts([.init(cloudID: 0, ip: "fe80::1")]).json.serialized()
                == "{\"ip_list\":[{\"bk_cloud_id\":0,\"ipv6\":\"fe80::1\"}]}")
        #expect(
            JobTarget.topoNodes([try JobTarget.parseTopoNode("set:3")]).json.serialized()
                == "{\"topo_node_list\":[{\"id\":3,\"node_type\":\"set\"}]}")
        #expect(JobTarget.dynamicGroups(["dg1"]).json.serialized() == "{\"dynamic_group_list\":[{\"id\":\"dg1\"}]}")
    }
}
