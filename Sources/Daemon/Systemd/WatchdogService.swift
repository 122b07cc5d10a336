import ServiceLifecycle

/// Pings systemd's watchdog on the `WatchdogSchedule` of the running configuration, but only when a
/// cycle completed since the last ping: a hung check engine stops the pings and systemd restarts the daemon.
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
        let period = self.period
        let notify = self.notify
        await cancelWhenGracefulShutdown {
            var pingedAt = 0
            while !Task.isCancelled {
                // Read each time: a reload may change the interval or the deadline.
                let config = core.config
                let wake = WatchdogSchedule(period: period, interval: config.interval, deadline: config.checkOptions.deadlineSeconds).wake
                try? await Task.sleep(for: wake)
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
