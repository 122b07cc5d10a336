import ServiceLifecycle

/// Pings systemd's watchdog at half the period it asked for, but only when a cycle completed since the
/// last ping: a hung check engine stops the pings and systemd restarts the daemon.
public struct WatchdogService: Service {
    let core: DaemonCore
    let period: Duration
    let notify: @Sendable (String) -> Void

    public init(core: DaemonCore, period: Duration, notify: @escaping @Sendable (String) -> Void = { Notifier.shared.notify($0) }) {
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
