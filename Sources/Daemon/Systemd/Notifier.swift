import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Sends systemd notifications without ever stalling the daemon.
///
/// `sd_notify` blocks while the receiver's datagram queue is full (`net.unix.max_dgram_qlen`, often 10):
/// a busy or stalled reader would otherwise freeze the check loop and graceful shutdown with it. Messages
/// go out in order from one serial queue; while it is blocked, a newer `STATUS=` or `WATCHDOG=1`
/// replaces a queued one of the same kind, so the backlog stays bounded and the latest state wins.
public final class Notifier: Sendable {
    /// The process-wide notifier over libsystemd's `sd_notify`.
    public static let shared = Notifier(send: { Systemd.notify($0) })

    private struct State {
        var pending: [String] = []
        var draining = false
    }

    private let send: @Sendable (String) -> Void
    private let queue = DispatchQueue(label: "bkdiag.notify")
    private let state = Mutex(State())

    public init(send: @escaping @Sendable (String) -> Void) {
        self.send = send
    }

    /// Queues `message` (`READY=1`, `STATUS=...`, ...) and returns at once.
    public func notify(_ message: String) {
        let kind = Self.kind(of: message)
        let start = state.withLock { s -> Bool in
            if kind == "STATUS" || kind == "WATCHDOG" { s.pending.removeAll { Self.kind(of: $0) == kind } }
            s.pending.append(message)
            if s.draining { return false }
            s.draining = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let next = state.withLock { s -> String? in
                if s.pending.isEmpty {
                    s.draining = false
                    return nil
                }
                return s.pending.removeFirst()
            }
            guard let next else { return }
            send(next)
        }
    }

    /// Waits up to `timeoutMs` for queued messages to go out (at exit); false when they did not.
    @discardableResult
    public func flush(timeoutMs: Int) -> Bool {
        var waited = 0
        while waited < timeoutMs {
            if state.withLock({ $0.pending.isEmpty && !$0.draining }) { return true }
            usleep(5000)
            waited += 5
        }
        return false
    }

    /// `STATUS` for `STATUS=...`; a multi-line message is of the kind of its first line.
    static func kind(of message: String) -> String {
        String(message.prefix { $0 != "=" && $0 != "\n" })
    }
}
