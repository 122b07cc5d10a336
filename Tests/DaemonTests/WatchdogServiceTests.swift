import Daemon
import Logging
import Report
import Synchronization
import TestSupport
import Testing

/// On threads of its own: its service loop and its waits are timed, and must not wait for the global executor's
/// threads that synchronous tests hold.
@Suite(.ownThreads) struct WatchdogServiceTests {
    /// No completed cycle, no ping: a hung check engine lets systemd's watchdog fire.
    @Test func pingsOnlyAfterCompletedCycles() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let core = try makeCore(dir, producer: ScriptedProducer(), sink: RecordingSink())
        let pings = Notes()
        let watchdog = WatchdogService(core: core, period: .milliseconds(100), notify: { pings.add($0) })
        let task = Task(executorPreference: OwnThreadsExecutor.shared) { try await watchdog.run() }
        await sleepMs(400)
        #expect(pings.all.isEmpty)
        await core.runCycle()
        #expect(await eventually(timeoutMs: 10_000) { pings.all == ["WATCHDOG=1"] })
        await sleepMs(300)
        #expect(pings.all == ["WATCHDOG=1"], "one cycle, one ping")
        for _ in 0..<3 {
            await core.runCycle()
            await sleepMs(120)
        }
        // Waited for, not slept for: on a loaded machine the watchdog's timer may wake well after the cycles.
        #expect(await eventually(timeoutMs: 10_000) { pings.all.count >= 2 })
        task.cancel()
        _ = try? await task.value
    }
}
