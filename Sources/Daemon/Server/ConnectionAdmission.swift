import Synchronization

/// Which connections the server takes: at most `total` at once, and no peer more than its share, so
/// one client (one process, or one user's processes) cannot hold every slot while others wait.
/// Peers are told apart by `SO_PEERCRED`; a connection without credentials counts as one unknown peer.
final class ConnectionAdmission: Sendable {
    struct Key: Sendable, Hashable {
        var pid: Int32
        var uid: UInt32
    }

    private struct State {
        var total = 0
        var byProcess: [Int32: Int] = [:]
        var byUser: [UInt32: Int] = [:]
    }

    let limits: HTTPLimits
    private let state = Mutex(State())

    init(limits: HTTPLimits) { self.limits = limits }

    static func key(_ peer: PeerCredentials?) -> Key {
        peer.map { Key(pid: $0.pid, uid: $0.uid) } ?? Key(pid: -1, uid: .max)
    }

    /// Counts the connection in and returns nil, or, counting nothing, the limit it is over, as the 503 says it.
    func refusal(_ key: Key) -> String? {
        state.withLock { s in
            if s.total >= limits.maxConnections { return "at most \(limits.maxConnections) connections at once" }
            if s.byProcess[key.pid, default: 0] >= limits.maxConnectionsPerProcess {
                return "at most \(limits.maxConnectionsPerProcess) per process (pid \(key.pid) holds them)"
            }
            if s.byUser[key.uid, default: 0] >= limits.maxConnectionsPerUser {
                return "at most \(limits.maxConnectionsPerUser) per user (uid \(key.uid) holds them)"
            }
            s.total += 1
            s.byProcess[key.pid, default: 0] += 1
            s.byUser[key.uid, default: 0] += 1
            return nil
        }
    }

    /// An admitted connection closed.
    func release(_ key: Key) {
        state.withLock { s in
            s.total -= 1
            s.byProcess[key.pid, default: 1] -= 1
            if s.byProcess[key.pid] == 0 { s.byProcess[key.pid] = nil }
            s.byUser[key.uid, default: 1] -= 1
            if s.byUser[key.uid] == 0 { s.byUser[key.uid] = nil }
        }
    }

    var open: Int { state.withLock { $0.total } }
}
