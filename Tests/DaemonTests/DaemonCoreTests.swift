import Daemon
import Diagnostics
import Logging
import Report
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Collects state changes instead of journalling them.
final class RecordingSink: StateChangeSink {
    let changes = Mutex<[StateChange]>([])
    func record(_ change: StateChange) { changes.withLock { $0.append(change) } }
    var all: [StateChange] { changes.withLock { $0 } }
}

/// A producer whose next verdict for gse_agent/socket the test flips.
final class ScriptedProducer: Sendable {
    let socketVerdict = Mutex<Verdict>(.fail)
    let runs = Atomic<Int>(0)

    var producer: ReportProducer {
        { _ in
            self.runs.wrappingAdd(1, ordering: .relaxed)
            return Reports.make([("gse_agent", "process", .pass), ("gse_agent", "socket", self.socketVerdict.withLock { $0 })])
        }
    }
}

/// What the core sent to systemd.
final class Notes: Sendable {
    let list = Mutex<[String]>([])
    func add(_ s: String) { list.withLock { $0.append(s) } }
    var all: [String] { list.withLock { $0 } }
}

func makeCore(_ dir: TempDir, producer: ScriptedProducer, sink: RecordingSink, notes: Notes? = nil, previous: DiagnosticReport? = nil)
    throws -> DaemonCore
{
    try makeCore(dir, run: producer.producer, sink: sink, notes: notes, previous: previous)
}

/// A core whose runs are `producer`'s (a closure of the test's own: gated, counting).
func makeCore(
    _ dir: TempDir, run producer: @escaping ReportProducer, sink: RecordingSink = RecordingSink(), notes: Notes? = nil,
    previous: DiagnosticReport? = nil
) throws -> DaemonCore {
    var config = DaemonConfig()
    config.stateDir = dir.sub("state")
    config.interval = 0.05
    let history = try ReportHistory(directory: config.stateDir, limits: config.historyLimits)
    return DaemonCore(
        config: config, history: history, previous: previous, producer: producer, sink: sink, logger: Logger(label: "test"),
        notify: { s in notes?.add(s) }, executor: OwnThreadsExecutor.shared)
}

@Suite struct DaemonCoreTests {
    @Test func aStateChangeProducesExactlyOneEvent() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let producer = ScriptedProducer()
        let sink = RecordingSink()
        let notes = Notes()
        let core = try makeCore(dir, producer: producer, sink: sink, notes: notes)
        for _ in 0..<3 { await core.runCycle() }
        #expect(sink.all.map(\.sentence) == ["gse_agent/socket: none -> fail: socket is fail"])
        producer.socketVerdict.withLock { $0 = .pass }
        for _ in 0..<5 { await core.runCycle() }
        #expect(sink.all.count == 2)
        #expect(
            sink.all.last == StateChange(module: "gse_agent", item: "socket", previous: .fail, verdict: .pass, message: "socket is pass"))
        #expect(core.counters.stateChanges == 2)
        #expect(core.counters.cycles == 8)
        #expect(core.history.count == 8)
        #expect(notes.all.last == "STATUS=2 checks: 2 pass")
        #expect(notes.all.first == "STATUS=2 checks: 1 pass, 1 fail")
    }

    @Test func aRestartDoesNotRepeatEventsOfTheStoredReport() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let producer = ScriptedProducer()
        let previous = Reports.make([("gse_agent", "process", .pass), ("gse_agent", "socket", .fail)])
        let sink = RecordingSink()
        let core = try makeCore(dir, producer: producer, sink: sink, previous: previous)
        #expect(core.latest == nil)
        await core.runCycle()
        #expect(sink.all.isEmpty)
        #expect(core.latest != nil)
    }

    @Test func runsAskedForDuringARunShareTheNextOneAndNoneOverlap() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let inFlight = Atomic<Int>(0)
        let maxInFlight = Atomic<Int>(0)
        let starts = Atomic<Int>(0)
        let open = Atomic<Bool>(false)
        let core = try makeCore(dir) { _ in
            let n = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
            maxInFlight.max(n, ordering: .relaxed)
            let cycle = starts.wrappingAdd(1, ordering: .relaxed).newValue
            // The first run lasts until the test opens the gate.
            while !open.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(2)) }
            inFlight.wrappingSubtract(1, ordering: .relaxed)
            var r = Reports.make([("gse_agent", "socket", .pass)])
            r.generatedAtMs = Int64(cycle)
            return r
        }
        // The waits are long: in the full suite every hop of these tasks queues behind the other tests' jobs
        // on the task pool (two threads on CI), and the cycle's own task cannot be moved off it; a wait
        // that holds returns as soon as it holds.
        let first = Task { await core.runCycle()?.generatedAtMs }
        #expect(await eventually(timeoutMs: 300_000) { starts.load(ordering: .relaxed) == 1 })
        // Twenty clients ask while the first run is under way: they wait for one run after it.
        let later = (0..<20).map { _ in Task { await core.runCycle()?.generatedAtMs } }
        #expect(await eventually(timeoutMs: 300_000) { core.waiting == 21 })
        open.store(true, ordering: .relaxed)
        #expect(await first.value == 1)
        for t in later { #expect(await t.value == 2) }
        #expect(maxInFlight.load(ordering: .relaxed) == 1)
        #expect(core.counters.cycles == 2)
        #expect(core.waiting == 0)
    }

    @Test func aCancelledWaitEndsAtOnceAndAStopEndsEveryWait() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let open = Atomic<Bool>(false)
        let entered = Atomic<Bool>(false)
        let returned = Atomic<Bool>(false)
        let core = try makeCore(dir) { _ in
            entered.store(true, ordering: .relaxed)
            while !open.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(2)) }
            returned.store(true, ordering: .relaxed)
            return Reports.make([("gse_agent", "socket", .pass)])
        }
        // Clients waiting for the first report (a socket-activated start) that go away stop waiting.
        let gone = (0..<50).map { _ in Task { await core.firstReport() } }
        #expect(await eventually(timeoutMs: 300_000) { core.waiting == 50 })
        for t in gone { t.cancel() }
        for t in gone { #expect(await t.value == nil) }
        #expect(core.waiting == 0)
        // A stop answers every waiter (nil: the daemon is stopping), runs nothing more and records nothing.
        let run = Task { await core.runCycle() }
        let report = Task { await core.firstReport() }
        #expect(await eventually(timeoutMs: 300_000) { core.waiting == 2 && entered.load(ordering: .relaxed) })
        core.stop()
        #expect(await run.value == nil)
        #expect(await report.value == nil)
        open.store(true, ordering: .relaxed)
        #expect(await core.runCycle() == nil)
        // The run under way at the stop ends, and records nothing.
        #expect(await eventually(timeoutMs: 300_000) { returned.load(ordering: .relaxed) })
        try? await Task.sleep(for: .milliseconds(50))
        #expect(core.counters.cycles == 0)
        #expect(core.latest == nil)
        #expect(core.history.count == 0)
    }

    @Test func reloadKeepsSocketSettingsAndAppliesTheRest() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let core = try makeCore(dir, producer: ScriptedProducer(), sink: RecordingSink())
        var new = core.config
        new.interval = 7
        new.socketPath = "/elsewhere.sock"
        new.checkOptions.subscriptionID = 9
        core.replaceConfig(new)
        #expect(core.config.interval == 7)
        #expect(core.config.checkOptions.subscriptionID == 9)
        #expect(core.config.socketPath == DaemonConfig.defaultSocketPath)
        #expect(core.counters.reloads == 1)
    }
}

@Suite struct DaemonRouterTests {
    @Test func endpointsAnswerWithTheLatestReport() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let core = try makeCore(dir, producer: ScriptedProducer(), sink: RecordingSink())
        let router = DaemonRouter(core: core, policy: PeerPolicy(socketGroup: 4242, ownUID: 0))
        let root = PeerCredentials(pid: getpid(), uid: 0, gid: 0)

        // Before the first run a /report waits for it (the client that socket-activated the daemon).
        #expect(router.immediate(DaemonRequest(method: "GET", target: "/report", peer: root)) == nil)
        let early = Task { await router.handle(DaemonRequest(method: "GET", target: "/report", peer: root)) }
        await core.runCycle()
        let first = await early.value
        #expect(first.status == 200)
        #expect(first.body == core.latest!.richLine() + "\n")
        let rich = await router.handle(DaemonRequest(method: "GET", target: "/report", peer: root))
        #expect(rich.status == 200)
        #expect(rich.body == core.latest!.richLine() + "\n")
        let compat = await router.handle(DaemonRequest(method: "GET", target: "/report?format=compat", peer: root))
        #expect(compat.body == core.latest!.compatLine() + "\n")
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/report?format=yaml", peer: root)).status == 400)
        let metrics = await router.handle(DaemonRequest(method: "GET", target: "/metrics", peer: nil))
        #expect(metrics.body.contains("bkdiag_check_ok{module=\"gse_agent\",item=\"socket\"} 0"))
        #expect(metrics.body.contains("bkdiag_last_run_timestamp_seconds"))
        #expect(metrics.body.contains("bkdiag_daemon_cycles_total 1"))
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/nope", peer: root)).status == 404)
        let wrong = await router.handle(DaemonRequest(method: "DELETE", target: "/report", peer: root))
        #expect(wrong.status == 405)
        #expect(wrong.headers.first?.1 == "GET, HEAD")
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/run", peer: root)).status == 405)
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/report?format=%zz", peer: root)).status == 400)
    }

    @Test func runIsForRootAndTheSocketGroupOnly() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let producer = ScriptedProducer()
        let core = try makeCore(dir, producer: producer, sink: RecordingSink())
        let router = DaemonRouter(core: core, policy: PeerPolicy(socketGroup: 4242, ownUID: 0))
        let cases: [(PeerCredentials?, Int)] = [
            (PeerCredentials(pid: 1, uid: 0, gid: 0), 200),
            (PeerCredentials(pid: 1, uid: 1000, gid: 4242), 200),
            (PeerCredentials(pid: 1, uid: 65534, gid: 65534), 403),
            (nil, 403),
        ]
        for (peer, status) in cases {
            let r = await router.handle(DaemonRequest(method: "POST", target: "/run", peer: peer))
            #expect(r.status == status, "\(String(describing: peer))")
        }
        #expect(producer.runs.load(ordering: .relaxed) == 2)
        let policy = PeerPolicy(socketGroup: 4242, ownUID: 0)
        #expect(policy.mayRun(PeerCredentials(pid: 7, uid: 1000, gid: 1000), supplementaryGroups: { _ in [10, 4242] }))
        #expect(!policy.mayRun(PeerCredentials(pid: 7, uid: 1000, gid: 1000), supplementaryGroups: { _ in [10] }))
    }

    @Test func historySinceAndLimit() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let core = try makeCore(dir, producer: ScriptedProducer(), sink: RecordingSink())
        for _ in 0..<5 { await core.runCycle() }
        let router = DaemonRouter(core: core, policy: PeerPolicy(socketGroup: nil))
        let all = await router.handle(DaemonRequest(method: "GET", target: "/history?since=0", peer: nil))
        #expect(all.body.hasPrefix("{\"count\":5,"))
        let parsed = try JSONValue.parse(all.body)
        #expect(parsed["reports"]?.arrayValue?.count == 5)
        let two = await router.handle(DaemonRequest(method: "GET", target: "/history?since=-600&limit=2", peer: nil))
        #expect(two.body.hasPrefix("{\"count\":2,"))
        let future = await router.handle(DaemonRequest(method: "GET", target: "/history?since=2999-01-01T00:00:00Z", peer: nil))
        #expect(future.body.hasPrefix("{\"count\":0,"))
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/history?since=yesterday", peer: nil)).status == 400)
        #expect(await router.handle(DaemonRequest(method: "GET", target: "/history?limit=0", peer: nil)).status == 400)
    }

    @Test func historySinceOutOfRangeIsABadRequest() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let core = try makeCore(dir, producer: ScriptedProducer(), sink: RecordingSink())
        await core.runCycle()
        let router = DaemonRouter(core: core, policy: PeerPolicy(socketGroup: nil))
        // Seconds whose milliseconds do not fit in Int64.
        for since in ["-9223372036854775808", "-9223372036854776", "-10000000000000000"] {
            let r = await router.handle(DaemonRequest(method: "GET", target: "/history?since=\(since)", peer: nil))
            #expect(r.status == 400, "since=\(since)")
        }
        let edge = await router.handle(DaemonRequest(method: "GET", target: "/history?since=-9223372036854775", peer: nil))
        #expect(edge.status == 200 && edge.body.hasPrefix("{\"count\":1,"))
    }
}
