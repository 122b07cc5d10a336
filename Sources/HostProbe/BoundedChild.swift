#if canImport(Glibc)
import CSpawn
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs one program directly (posix_spawn, no shell) with a hard timeout: the only kind of child
/// process bkdiag ever starts.
public enum BoundedChild {
    public struct Outcome: Sendable, Equatable {
        /// Exit status, or nil when killed (by us at the timeout, or by a signal).
        public var exitCode: Int32?
        public var output: String
        public var timedOut: Bool
    }

    /// Runs `path` with `arguments` (argv[1...]), stdin from /dev/null, stdout+stderr captured up to
    /// `outputLimit` bytes, killed with SIGKILL after `timeoutMs`.
    public static func run(_ path: String, _ arguments: [String], timeoutMs: Int, outputLimit: Int = 64 * 1024) throws(ProbeError) -> Outcome {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProbeError(call: "pipe", path: path, errno: errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let readEnd = fds[0]
        let writeEnd = fds[1]
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        // Nothing else of ours reaches the child: a descriptor without O_CLOEXEC (a socket handed
        // over by systemd, one opened by a library) must not stay open in a probe we may kill.
        bkdiag_spawn_addclosefrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group, so the kill reaches anything it forks.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), strdup("LANG=C"), nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        var rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        // ETXTBSY: some process holds the binary open for writing. A fork elsewhere that has not yet
        // exec'd holds it for microseconds; an upgrade rewriting it holds it far longer. Two short
        // retries ride out the first without hiding the second.
        for _ in 0..<2 where rc == ETXTBSY {
            usleep(5_000)
            rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        }
        close(writeEnd)
        if rc != 0 { throw ProbeError(call: "posix_spawn", path: path, errno: rc) }

        let deadline = Timestamp.monotonicMs() + Int64(timeoutMs)
        var output: [UInt8] = []
        var timedOut = false
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - Timestamp.monotonicMs()
            if left <= 0 { timedOut = true; break }
            var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let pr = poll(&pfd, 1, Int32(min(left, 1000)))
            if pr < 0 { if errno == EINTR { continue }; break }
            if pr == 0 { continue }
            let n = buf.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; break }
            if n == 0 { break }
            if output.count < outputLimit { output += buf[0..<min(n, outputLimit - output.count)] }
        }
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        var status: Int32 = 0
        // The pipe closed: the child is exiting; still bound the wait.
        while true {
            let w = waitpid(pid, &status, timedOut ? 0 : WNOHANG)
            if w == pid { break }
            if w < 0 && errno != EINTR { break }
            if w == 0 {
                if Timestamp.monotonicMs() >= deadline {
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                    timedOut = true
                    continue
                }
                usleep(2000)
            }
        }
        let exited = (status & 0x7f) == 0
        return Outcome(exitCode: exited && !timedOut ? (status >> 8) & 0xff : nil, output: String(decoding: output, as: UTF8.self), timedOut: timedOut)
    }
}

enum Timestamp {
    static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
