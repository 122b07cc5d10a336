#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Synchronization

/// The daemon's signal handling: SIGTERM/SIGINT stop it, SIGHUP reloads it.
///
/// Dispatch installs a signal source's handler asynchronously when the source is resumed; `install`
/// returns only after every source reports its registration, so a signal sent right after READY=1 is
/// never met by the default action (terminate for all three).
///
/// SIGHUP is handled on a queue of its own: a reload that blocks (a config file on a hung NFS mount)
/// must never keep SIGTERM's handler from running, and stopping never waits for a reload.
public final class SignalSources: Sendable {
    // DispatchSourceSignal is a thread-safe Dispatch object that is not annotated Sendable; it is only
    // created in `install` and cancelled in `cancel`.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    private init(sources: [any DispatchSourceSignal]) { self.sources = sources }

    /// Installs the handlers and waits (at most 2 s per source) until Dispatch has registered them.
    public static func install(
        stop: [Int32], onStop: @escaping @Sendable (Int32) -> Void, onReload: @escaping @Sendable () -> Void
    ) async -> SignalSources {
        let queue = DispatchQueue(label: "bkdiag.signals")
        let reloadQueue = DispatchQueue(label: "bkdiag.reload")
        // An early SIGHUP (before its source is registered) is dropped rather than fatal.
        signal(SIGHUP, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for sig in stop + [SIGHUP] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: sig == SIGHUP ? reloadQueue : queue)
            if sig == SIGHUP {
                source.setEventHandler { onReload() }
            } else {
                source.setEventHandler { onStop(sig) }
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let once = ResumeOnce(c)
                source.setRegistrationHandler { once.resume() }
                queue.asyncAfter(deadline: .now() + 2) { once.resume() }
                source.resume()
            }
            sources.append(source)
        }
        return SignalSources(sources: sources)
    }

    public func cancel() {
        for s in sources { s.cancel() }
    }
}

/// Resumes a continuation once, whichever of its callers comes first.
private final class ResumeOnce: Sendable {
    private let continuation: CheckedContinuation<Void, Never>
    private let done = Atomic<Bool>(false)

    init(_ c: CheckedContinuation<Void, Never>) { continuation = c }

    func resume() {
        if !done.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume() }
    }
}
