import Synchronization

/// A fact read from the host at most once per run, shared by the checks that need it.
/// The first caller computes it; concurrent callers wait for that result.
final class LazyFact<Value: Sendable>: Sendable {
    private let state = Mutex<Value?>(nil)
    private let compute: @Sendable () -> Value

    init(_ compute: @escaping @Sendable () -> Value) { self.compute = compute }

    var value: Value {
        state.withLock { cached in
            if let v = cached { return v }
            let v = compute()
            cached = v
            return v
        }
    }
}
