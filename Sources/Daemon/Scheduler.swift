import Logging
import ServiceLifecycle
import Synchronization

/// A one-waiter wake-up: `signal()` ends the current `wait()`; a signal with nobody waiting is dropped.
final class Wakeup: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns on `signal()` or when the task is cancelled.
    func wait() async {
        state.withLock { $0.cancelled = false }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.cancelled || Task.isCancelled { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.cancelled = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}

/// Runs the catalogue every `interval` until graceful shutdown; a reload restarts the wait with the new interval.
public struct Scheduler: Service {
    let core: DaemonCore
    let wakeup = Wakeup()

    public init(core: DaemonCore) { self.core = core }

    /// Ends the current wait early (after a reload).
    public func poke() { wakeup.signal() }

    public func run() async throws {
        let core = self.core
        let wakeup = self.wakeup
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                await core.runCycle()
                let interval = Duration.milliseconds(Int64(core.config.interval * 1000))
                let deadline = started + interval
                if deadline <= .now { await Task.yield(); continue }
                // Sleep until the next run, or until a reload pokes us.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
                    group.addTask { await wakeup.wait() }
                    _ = await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}

/// Pings systemd's watchdog at half the period it asked for, but only when a cycle completed since the
/// last ping: a hung check engine stops the pings and systemd restarts the daemon.
public struct WatchdogService: Service {
    let core: DaemonCore
    let period: Duration
    let notify: @Sendable (String) -> Void

    public init(core: DaemonCore, period: Duration, notify: @escaping @Sendable (String) -> Void = { Systemd.notify($0) }) {
        self.core = core
        self.period = period
        self.notify = notify
    }

    public func run() async throws {
        let core = self.core
        let half = period / 2
        let notify = self.notify
        await cancelWhenGracefulShutdown {
            var pingedAt = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: half)
                if Task.isCancelled { break }
                let cycles = core.counters.cycles
                if cycles > pingedAt {
                    notify("WATCHDOG=1")
                    pingedAt = cycles
                }
            }
        }
    }
}
