import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A program a test runs to its end: its exit status and what it wrote, each stream through a file.
///
/// Files, not pipes: a child of the program that keeps its output open (a daemon it starts, a
/// browser's helpers) cannot make the test wait for an end of file, and a program that fills one
/// stream while the test reads the other cannot stall both. The program leads a process group of its
/// own, starts with default signal dispositions and an empty signal mask (whatever thread of the test
/// runner spawned it), and no descriptor of the runner's but its stdio reaches it. The run is bounded:
/// past `timeout` the whole group is killed and `timedOut` says so, so a program that hangs fails its
/// test instead of holding the test run.
public struct ProgramRun: Sendable {
    /// The exit code; 128 + N when signal N ended the program.
    public var status: Int32
    public var stdoutBytes: [UInt8]
    public var stderrBytes: [UInt8]
    /// The program was still running at the timeout and was killed.
    public var timedOut: Bool

    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `executable` with `arguments`, the test runner's environment with `environment` laid over
    /// it, from `directory`, stdin from /dev/null, for at most `timeout` seconds. It blocks the calling
    /// thread: a test that runs a program for long should await the async form, which leaves the thread
    /// to others.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        directory: String? = nil, timeout: Double = 120
    ) throws -> ProgramRun {
        try run(
            executable, rawArguments: arguments.map { Array($0.utf8) }, environment: environment, directory: directory,
            timeout: timeout)
    }

    /// The same, with each argument given as raw bytes (a GBK path, bytes that are not UTF-8).
    public static func run(
        _ executable: String, rawArguments: [[UInt8]], environment: [String: String] = [:],
        directory: String? = nil, timeout: Double = 120
    ) throws -> ProgramRun {
        let running = try Running(executable, rawArguments, environment: environment, directory: directory, timeout: timeout)
        while try !running.ended() { usleep(running.nextPause()) }
        return running.result()
    }

    /// `run`, waiting on a thread started for it (`onOwnThread`), so it holds no thread of the caller's executor and
    /// needs none of Swift's timers: on Linux a `Task.sleep` wakes through a Dispatch thread, which the suite's
    /// blocking work held for minutes once.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        directory: String? = nil, timeout: Double = 120
    ) async throws -> ProgramRun {
        try await onOwnThread {
            try run(
                executable, rawArguments: arguments.map { Array($0.utf8) }, environment: environment, directory: directory, timeout: timeout
            )
        }
    }

    /// A started program: its scratch directory, and its status once reaped.
    private final class Running {
        let pid: pid_t
        let scratch: String
        let end: Date
        var status: Int32 = 0
        var timedOut = false
        var pause: useconds_t = 1_000

        init(_ executable: String, _ arguments: [[UInt8]], environment: [String: String], directory: String?, timeout: Double) throws {
            var template = Array("/tmp/bkdiag-run-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw Failure(description: "mkdtemp: errno \(errno)")
            }
            scratch = String(cString: made)
            do {
                var env = ProcessInfo.processInfo.environment
                for (k, v) in environment { env[k] = v }
                pid = try TestSpawn.spawn(
                    executable, [Array(executable.utf8)] + arguments, environment: env.map { "\($0.key)=\($0.value)" },
                    stdin: .file("/dev/null"), stdout: .file(scratch + "/stdout"), stderr: .file(scratch + "/stderr"),
                    directory: directory, ownGroup: true)
            } catch {
                Self.remove(scratch)
                throw error
            }
            end = Date().addingTimeInterval(timeout)
        }

        deinit { Self.remove(scratch) }

        static func remove(_ scratch: String) {
            for name in ["stdout", "stderr"] { unlink(scratch + "/" + name) }
            rmdir(scratch)
        }

        /// Whether the program has ended (reaped, or killed with its group at the timeout).
        func ended() throws -> Bool {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return true }
            if r < 0 && errno != EINTR { throw Failure(description: "waitpid \(pid): errno \(errno)") }
            guard Date() >= end else { return false }
            timedOut = true
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return true
        }

        /// 1 ms, doubling up to 20 ms: short programs are seen to end at once, long ones cost little.
        func nextPause() -> useconds_t {
            defer { pause = min(pause * 2, 20_000) }
            return pause
        }

        func result() -> ProgramRun {
            let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return ProgramRun(
                status: code, stdoutBytes: ProgramRun.read(scratch + "/stdout"), stderrBytes: ProgramRun.read(scratch + "/stderr"),
                timedOut: timedOut)
        }
    }

    private static func read(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
    }
}
