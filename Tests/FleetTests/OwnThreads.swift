import Dispatch
import Testing

/// Runs a test's async code on threads of its own, not on Swift's cooperative thread pool.
///
/// The pool is as wide as the machine has cores (two on CI). Most of the suite's tests are synchronous and
/// block a pool thread while they spawn processes and wait on files; a test waiting on a timer or a socket
/// resumes only when a pool thread is free, which on a busy run took many seconds (a 0.5 s request timeout
/// measured 4–8 s, once 52 s). Tests that judge how long the code took (request timeouts, deadlines) would
/// measure that wait. With this trait the test's task prefers `OwnThreadsExecutor`, so the test body, the
/// code it awaits and its child tasks run on threads that are not the pool's.
struct OwnThreads: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(OwnThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreads {
    /// See `OwnThreads`.
    static var ownThreads: Self { OwnThreads() }
}

/// A task executor on a concurrent dispatch queue: dispatch gives such a queue threads beyond the
/// cooperative pool's width when the pool's threads are all blocked.
final class OwnThreadsExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = OwnThreadsExecutor()
    private let queue = DispatchQueue(label: "bkdiag.tests.own-threads", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
