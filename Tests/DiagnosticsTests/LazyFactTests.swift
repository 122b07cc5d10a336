import Dispatch
@testable import Diagnostics
import Glibc
import Synchronization
import Testing

@Suite("Shared facts")
struct LazyFactTests {
    /// CPU time of the calling thread, in milliseconds.
    static func threadCPUms() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    @Test("one computation for many concurrent callers, who sleep while it runs instead of spinning")
    func computedOnceWaitersSleep() {
        let computations = Atomic<Int>(0)
        let computer = Atomic<UInt>(0)
        let fact = LazyFact<Int> {
            computations.add(1, ordering: .relaxed)
            computer.store(UInt(pthread_self()), ordering: .relaxed)
            // A slow /proc walk keeps its thread on a CPU (the kernel spins rt_mutex waiters only then).
            let start = Self.threadCPUms()
            while Self.threadCPUms() - start < 150 {}
            return 42
        }
        let waiters = 6
        let results = Mutex<[(value: Int, cpuMs: Double, wallMs: Double, tid: UInt)]>([])
        DispatchQueue.concurrentPerform(iterations: waiters) { _ in
            let cpu0 = Self.threadCPUms()
            var t0 = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t0)
            let v = fact.value
            var t1 = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t1)
            let wall = Double(t1.tv_sec - t0.tv_sec) * 1000 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6
            let cpu = Self.threadCPUms() - cpu0
            results.withLock { $0.append((v, cpu, wall, UInt(pthread_self()))) }
        }
        #expect(computations.load(ordering: .relaxed) == 1)
        let all = results.withLock { $0 }
        #expect(all.count == waiters && all.allSatisfy { $0.value == 42 })
        // Every caller that waited (long wall time, not the one computing) used almost no CPU meanwhile.
        let waited = all.filter { $0.wallMs > 100 && $0.tid != computer.load(ordering: .relaxed) }
        #expect(!waited.isEmpty)
        for r in waited {
            #expect(r.cpuMs < 30, "a waiter burned \(r.cpuMs) ms of CPU in \(r.wallMs) ms")
        }
        // Later callers get the cached value at once.
        #expect(fact.value == 42 && computations.load(ordering: .relaxed) == 1)
    }
}
