import Foundation
import Testing

/// Runs a test's async code on threads of its own, not on Swift's cooperative thread pool nor on Dispatch's.
///
/// The cooperative pool is as wide as the machine has cores (two on CI). Most of the suite's tests are
/// synchronous and block a pool thread while they spawn processes and wait on files; a test waiting on a
/// timer or a socket resumes only when a pool thread is free, which on a busy run took many seconds (a 0.5 s
/// request timeout measured 4–8 s, once 52 s). Dispatch's global concurrent queues are no way out: on Linux
/// their threads grow by about one a second past the core count, and blocking calls of other tests fill them
/// (forty blocked jobs held a forty-first back 13 s here; a CI run had every test of a suite time out at 60 s
/// that way). Tests that judge how long the code took (request timeouts, deadlines) would measure that wait.
/// With this trait the test's task prefers `OwnThreadsExecutor`, so the test body, the code it awaits and its
/// child tasks run on threads started for them (an unstructured `Task` it starts does not inherit the
/// preference: give it `Task(executorPreference: OwnThreadsExecutor.shared)`).
public struct OwnThreads: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(OwnThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreads {
    /// See `OwnThreads`.
    public static var ownThreads: Self { OwnThreads() }
}

/// A task executor on threads of its own: a job that finds no idle thread starts one, so a job never waits
/// behind others that block. Threads that have run a job wait for the next; they are as many as the most
/// jobs that ever ran at once.
public final class OwnThreadsExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = OwnThreadsExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0
    private var idle = 0

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // Pending jobs beyond the idle threads (a woken thread counts as idle until it takes its job).
        let start = jobs.count - next > idle
        if !start { condition.signal() }
        condition.unlock()
        if start {
            Thread { [self] in work() }.start()
        }
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        condition.lock()
        while true {
            while next == jobs.count {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = jobs[next]
            next += 1
            if next == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
            condition.lock()
        }
    }
}

/// Runs a blocking call (socket I/O, waitpid) on a thread started for it, so that it holds neither one of
/// the few cooperative-pool threads the code under test needs nor a Dispatch thread another test waits for.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}

/// Dispatch's global queue held: more blocking jobs than its pool ever has threads (at most 255 on Linux),
/// so any job queued after them waits until they are let go, by `letGo()` or after `atMost` seconds
/// whatever happens (so that code waiting on the queue ends, and fails its test, instead of hanging it).
/// For tests that show some code does not depend on that queue; other tests of the run slow down meanwhile.
public final class HeldDispatchQueue: Sendable {
    private let ended = DispatchSemaphore(value: 0)

    public init(jobs: Int = 300, atMost seconds: Int = 15) {
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<jobs { DispatchQueue.global().async { release.wait() } }
        let ended = self.ended
        Thread {
            _ = ended.wait(timeout: .now() + .seconds(seconds))
            for _ in 0..<jobs { release.signal() }
        }.start()
    }

    /// Lets the jobs go (once).
    public func letGo() { ended.signal() }
}
