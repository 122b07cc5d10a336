import Dispatch
import Synchronization

/// A fact read from the host at most once per run, shared by the checks that need it.
/// The first caller computes it; concurrent callers wait for that result.
///
/// The lock is held only to read or change the state, never while the fact is computed: Swift's
/// `Mutex` is a priority-inheritance futex on Linux, and the kernel spins a waiter on an rt_mutex for
/// as long as its owner runs. Holding it through a /proc walk made every check that needed the same
/// fact burn a CPU (perf on a busy host: 7% of the run in `rt_mutex_slowlock_block`), on hosts where
/// there are often only two. Waiters now sleep on a dispatch group until the value is there.
final class LazyFact<Value: Sendable>: Sendable {
    private enum State: Sendable {
        case idle
        case computing(DispatchGroup)
        case done(Value)
    }

    private enum Next {
        case have(Value)
        case wait(DispatchGroup)
        case compute(DispatchGroup)
    }

    private let state = Mutex<State>(.idle)
    private let compute: @Sendable () -> Value

    init(_ compute: @escaping @Sendable () -> Value) { self.compute = compute }

    var value: Value {
        while true {
            let next: Next = state.withLock { s in
                switch s {
                case .done(let v): return .have(v)
                case .computing(let g): return .wait(g)
                case .idle:
                    let g = DispatchGroup()
                    g.enter()
                    s = .computing(g)
                    return .compute(g)
                }
            }
            switch next {
            case .have(let v):
                return v
            case .wait(let g):
                g.wait()
            case .compute(let g):
                let v = compute()
                state.withLock { $0 = .done(v) }
                g.leave()
                return v
            }
        }
    }
}
