import Synchronization

/// The checks of a long-running process's runs that have started and not returned, shared by its runs (the
/// daemon's cycles). A check blocked on the host (a read of a hung NFS mount, of a stuck `/proc` entry) holds
/// its thread until the read returns, perhaps never, and a run past its deadline reports without it; cycle
/// after cycle such threads would pile up to the process's or the service's task limit. Past `limit` of them a
/// run starts no more checks: they are `unknown`, saying why.
public final class UnreturnedChecks: Sendable {
    /// One run has at most a few dozen checks: the default leaves room for several runs' worth to hang.
    public static let defaultLimit = 128

    public let limit: Int
    private let count = Atomic<Int>(0)

    public init(limit: Int = UnreturnedChecks.defaultLimit) { self.limit = max(0, limit) }

    /// How many have started and not returned now.
    public var current: Int { count.load(ordering: .relaxed) }

    /// Takes a place for a check; false, taking nothing, when `limit` have not returned.
    func take() -> Bool {
        var seen = count.load(ordering: .relaxed)
        while seen < limit {
            let (exchanged, original) = count.compareExchange(expected: seen, desired: seen + 1, ordering: .relaxed)
            if exchanged { return true }
            seen = original
        }
        return false
    }

    /// Gives back the place of a check that has returned.
    func give() { count.subtract(1, ordering: .relaxed) }
}
