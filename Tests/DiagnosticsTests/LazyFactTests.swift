import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Diagnostics

@Suite("Shared facts")
struct LazyFactTests {
    /// CPU time of the calling thread, in milliseconds.
    static func threadCPUms() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    static func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    @Test("one computation for concurrent callers, who sleep while it runs instead of spinning")
    func computedOnceWaitersSleep() {
        let computations = Atomic<Int>(0)
        let started = Atomic<Bool>(false)
        let fact = LazyFact<Int> {
            computations.add(1, ordering: .relaxed)
            started.store(true, ordering: .releasing)
            // A slow /proc walk keeps its thread on a CPU (the kernel spins rt_mutex waiters only then).
            let start = Self.threadCPUms()
            while Self.threadCPUms() - start < 200 {}
            return 42
        }
        let done = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () -> Void) {
            done.enter()
            Thread.detachNewThread {
                body()
                done.leave()
            }
        }
        // One thread computes; the others call while it does, on their own threads.
        spawn { _ = fact.value }
        while !started.load(ordering: .acquiring) { usleep(1000) }
        let waits = Mutex<[(value: Int, cpuMs: Double, wallMs: Double)]>([])
        for _ in 0..<3 {
            spawn {
                let cpu0 = Self.threadCPUms()
                let t0 = Self.nowMs()
                let v = fact.value
                let wall = Self.nowMs() - t0
                let cpu = Self.threadCPUms() - cpu0
                waits.withLock { $0.append((v, cpu, wall)) }
            }
        }
        done.wait()
        #expect(computations.load(ordering: .relaxed) == 1)
        let all = waits.withLock { $0 }
        #expect(all.count == 3 && all.allSatisfy { $0.value == 42 })
        for w in all where w.wallMs > 50 {
            #expect(w.cpuMs < 20, "a waiter burned \(w.cpuMs) ms of CPU in \(w.wallMs) ms")
        }
        // Later callers get the cached value at once.
        #expect(fact.value == 42 && computations.load(ordering: .relaxed) == 1)
    }
}
