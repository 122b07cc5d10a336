import Logging
import ServiceLifecycle

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
                // Nil once the daemon is stopping: no more runs, and the service ends when the group
                // ends it (a service that returns first is one that failed, to ServiceGroup).
                guard await core.runCycle() != nil else {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    break
                }
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
