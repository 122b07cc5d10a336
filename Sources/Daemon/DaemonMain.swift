import Diagnostics
import Dispatch
import Logging
import Report
import ServiceLifecycle
import SystemLayer
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Wires the daemon together: config, history, socket, HTTP server, scheduler, watchdog, signals.
public struct DaemonMain: Sendable {
    /// Config file to read, and whether it must exist (given with `--config`).
    public var configPath: String
    public var configRequired: Bool
    /// Command-line settings, applied over the file on start and on every reload.
    public var overrides: [DaemonConfig.Setting]
    public var httpLimits: HTTPLimits
    public var logger: Logger
    public var producer: ReportProducer

    public init(
        configPath: String, configRequired: Bool, overrides: [DaemonConfig.Setting], httpLimits: HTTPLimits = HTTPLimits(),
        logger: Logger, producer: ReportProducer? = nil
    ) {
        self.configPath = configPath
        self.configRequired = configRequired
        self.overrides = overrides
        self.httpLimits = httpLimits
        self.logger = logger
        let log = logger
        // One baseline for the daemon's life: each cycle's progress items compare with the previous cycle.
        let baseline = ProgressBaseline()
        // And one count of the checks that have not returned (blocked on the host), bounding the threads they hold.
        let unreturned = UnreturnedChecks()
        self.producer =
            producer ?? { options in
                await DiagnosticRunner(options: options, logger: log, progressBaseline: baseline, unreturned: unreturned).run()
            }
    }

    /// A producer that reads each report from a file holding one JSON line (tests drive state changes
    /// through it); an unreadable file gives an empty report. The read runs on a thread of its own, off
    /// the task pool: a FIFO nobody writes stands in for a run that takes long (a hung NFS mount).
    public static func fileProducer(path: String) -> ReportProducer {
        { _ in
            let bytes = await withCheckedContinuation { (c: CheckedContinuation<[UInt8]?, Never>) in
                DispatchQueue.global().async { c.resume(returning: try? Sys.readFile(path, limit: 1 << 20)) }
            }
            let now = Timestamp.nowMilliseconds()
            guard let bytes, var report = try? DiagnosticReport(line: String(decoding: bytes, as: UTF8.self).trimmingNewlines()),
                !report.results.isEmpty
            else {
                // Never an empty report, which would read as a pass.
                let unread = CheckResult(
                    module: "bkdiag", item: "test_report_file", verdict: .unknown,
                    message: "the test report file \(path) holds no report with results")
                return DiagnosticReport(results: [unread], generatedAtMs: now)
            }
            report.generatedAtMs = now
            return report
        }
    }

    func loadConfig() throws(DaemonError) -> DaemonConfig {
        try DaemonConfig.load(file: configPath, required: configRequired, overrides: overrides)
    }

    static func warnAboutWatchdog(period: Duration, config: DaemonConfig, logger: Logger) {
        let schedule = WatchdogSchedule(period: period, interval: config.interval, deadline: config.checkOptions.deadlineSeconds)
        if let warning = schedule.warning {
            logger.warning("\(warning)", metadata: ["ping_check_every": "\(schedule.wake)"])
        }
    }

    /// Runs until SIGTERM/SIGINT. Throws only before READY (bad config, unusable socket or state directory).
    public func run() async throws {
        let config = try loadConfig()
        let logger = self.logger

        // Nothing in the state directory is read or written before it is ours.
        let lock = try StateDirectoryLock.acquire(directory: config.stateDir)
        defer { withExtendedLifetime(lock) {} }
        // The socket: systemd's (socket activation) or our own.
        var fd: Int32
        // The socket file this daemon bound, removed at the end only while it is still that file.
        var socketToRemove: (path: String, file: FileStat)? = nil
        let passed = Systemd.listenedUnixSockets()
        if let first = passed.first {
            fd = first
            for extra in passed.dropFirst() { Sys.close(extra) }
            logger.info("using the socket passed by systemd", metadata: ["fd": "\(fd)"])
        } else {
            let gid: gid_t? = config.socketGroup.flatMap { Sys.groupID(named: $0) }
            do {
                try Sys.mkdirs(Sys.dirname(config.socketPath), mode: 0o755)
                fd = try Sys.listenUnix(path: config.socketPath, mode: mode_t(config.socketMode), gid: gid)
            } catch {
                let fix =
                    error.errno == EADDRINUSE
                    ? "another bkdiag daemon is serving it; stop it or pass --socket" : "pass --socket with a writable location"
                throw DaemonError(.socket, "cannot listen on \(config.socketPath) (\(ProbeError.brief(error))): \(fix)")
            }
            socketToRemove = Sys.lstatIfPresent(config.socketPath).map { (config.socketPath, $0) }
        }
        // The history is opened (and repaired) only once the socket is ours: a start that fails for want
        // of the socket (another daemon serves it) leaves the state directory as it found it.
        let history: ReportHistory
        do {
            history = try ReportHistory(
                directory: config.stateDir, limits: config.historyLimits,
                ownership: { () throws(DaemonError) -> Bool in
                    let retaken = try lock.reassert()
                    if retaken {
                        logger.warning(
                            "the state directory was removed or its lock replaced under the daemon: taken again, the history restarts there",
                            metadata: ["state_dir": "\(config.stateDir)"])
                    }
                    return retaken
                })
        } catch {
            if let s = socketToRemove { try? Sys.unlinkIfSame(s.path, as: s.file) }
            Sys.close(fd)
            throw error
        }
        let r = history.recovery
        for sentence in r.movedAside {
            logger.warning("history file moved aside", metadata: ["detail": "\(sentence)"])
        }
        if r.truncatedBytes > 0 || r.skippedBytes > 0 {
            logger.warning(
                "history repaired on open",
                metadata: ["records": "\(r.records)", "truncated_bytes": "\(r.truncatedBytes)", "skipped_bytes": "\(r.skippedBytes)"])
        }
        let previous = history.latest().flatMap { try? DiagnosticReport(line: $0.line) }

        let socketGID = Sys.statIfPresent(config.socketPath).map { $0.gid } ?? config.socketGroup.flatMap { Sys.groupID(named: $0) }

        let sink: any StateChangeSink = Systemd.journalAvailable ? JournalSink() : LoggerSink(logger: logger)
        let core = DaemonCore(config: config, history: history, previous: previous, producer: producer, sink: sink, logger: logger)
        let router = DaemonRouter(core: core, policy: PeerPolicy(socketGroup: socketGID))
        let server = HTTPServer(router: router, limits: httpLimits, logger: logger)
        do {
            try await server.start(listeningSocket: fd)
        } catch {
            if let s = socketToRemove { try? Sys.unlinkIfSame(s.path, as: s.file) }
            throw DaemonError(
                .socket, "cannot serve on \(config.socketPath) (\(ProbeError.brief(error))): check the socket unit or pass --socket")
        }

        let scheduler = Scheduler(core: core)
        var services: [any Service] = [scheduler, HTTPServerService(server: server, socketToRemove: socketToRemove)]
        let watchdog = Systemd.watchdogPeriod()
        if let period = watchdog {
            Self.warnAboutWatchdog(period: period, config: config, logger: logger)
            services.append(WatchdogService(core: core, period: period))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: logger
            ))
        let main = self
        // SIGTERM/SIGINT stop, SIGHUP reloads. The signals are ours, not the group's: their handlers must
        // be in place before READY=1, and `UnixSignalsSequence` returns only once Dispatch has registered
        // them. An early SIGHUP (before its source is registered) is dropped rather than fatal (`bkdiag daemon`
        // ignores it from the start; this covers a DaemonMain run in another process).
        signal(SIGHUP, SIG_IGN)
        let stopSignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let reloadSignals = await UnixSignalsSequence(trapping: .sighup)
        // A reload runs on a queue of its own: one that blocks (a config file on a hung NFS mount) must
        // never keep a stop from being handled, and stopping never waits for a reload.
        let reloadQueue = DispatchQueue(label: "bkdiag.reload")
        let reload: @Sendable () -> Void = {
            Notifier.shared.notify("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.microseconds())")
            do {
                let new = try main.loadConfig()
                let old = core.config
                if new.socketPath != old.socketPath || new.socketGroup != old.socketGroup || new.socketMode != old.socketMode
                    || new.stateDir != old.stateDir
                {
                    logger.warning("socket and state_dir changes take effect at the next restart")
                }
                core.replaceConfig(new)
                if let period = watchdog { Self.warnAboutWatchdog(period: period, config: new, logger: logger) }
                scheduler.poke()
                logger.info("configuration reloaded", metadata: ["interval": "\(new.interval)"])
                Notifier.shared.notify("READY=1")
            } catch {
                core.countReloadError()
                logger.error("reload rejected, keeping the running configuration", metadata: ["error": "\(ProbeError.brief(error))"])
                Notifier.shared.notify("READY=1\nSTATUS=reload rejected: \(ProbeError.brief(error))")
            }
        }

        Notifier.shared.notify("READY=1\nSTATUS=listening on \(config.socketPath), first run pending\nMAINPID=\(getpid())")
        logger.info(
            "daemon ready",
            metadata: ["socket": "\(config.socketPath)", "interval": "\(config.interval)", "state_dir": "\(config.stateDir)"])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await signal in stopSignals {
                    logger.info("stopping", metadata: ["signal": "\(signal.rawValue)"])
                    // A run in progress is not waited for: its waiters are answered 503 now, and it records nothing.
                    core.stop()
                    await group.triggerGracefulShutdown()
                }
            }
            tasks.addTask {
                for await _ in reloadSignals { reloadQueue.async { reload() } }
            }
            try await group.run()
            // The services are done: stop listening for signals.
            tasks.cancelAll()
        }
        Notifier.shared.flush(timeoutMs: 1000)
        logger.info("daemon stopped")
    }
}
