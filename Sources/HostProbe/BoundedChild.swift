#if canImport(Glibc)
import CSpawn
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs one program directly (posix_spawn, no shell) with a hard timeout: the only kind of child
/// process bkdiag ever starts. The child leads a session of its own, and nothing of it outlives the
/// run: its process group is killed once it has exited (or at the timeout), before it is reaped.
public enum BoundedChild {
    /// glibc's `POSIX_SPAWN_SETSID` (<spawn.h>, under _GNU_SOURCE, so Swift's Glibc does not export it).
    static let spawnSetSID: Int16 = 0x80

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
        // Own session, and so own process group (both ids are the child's pid): the kill reaches
        // anything it forks, and what leaves the group is still found in the session.
        posix_spawnattr_setflags(&attr, spawnSetSID)

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
        if timedOut { kill(pid, SIGKILL) }
        // The pipe closed: the child is exiting; still bound the wait. It is not reaped yet: while it
        // is a zombie its pid, which names its group and session, cannot be reused.
        var exited = exitedUnreaped(pid)
        while !exited {
            let now = Timestamp.monotonicMs()
            if now >= deadline && !timedOut {
                kill(pid, SIGKILL)
                timedOut = true
            }
            // A killed child stuck in the kernel (D) is given a second, then left unreaped: the
            // caller's deadline matters more than a tidy process table.
            if timedOut && now >= deadline + 1000 { break }
            usleep(2000)
            exited = exitedUnreaped(pid)
        }
        killLeftovers(of: pid)
        var status: Int32 = 0
        while waitpid(pid, &status, exited ? 0 : WNOHANG) < 0 && errno == EINTR {}
        let normal = (status & 0x7f) == 0
        return Outcome(exitCode: exited && normal && !timedOut ? (status >> 8) & 0xff : nil, output: String(decoding: output, as: UTF8.self), timedOut: timedOut)
    }
}

extension BoundedChild {
    /// Whether our child `pid` has exited (a zombie, not yet waited for) or is gone.
    static func exitedUnreaped(_ pid: pid_t) -> Bool {
        guard let st = ProcFS.stat(pid: pid) else { return true }
        return st.state == "Z" || st.state == "X"
    }

    /// Kills everything the child left behind: its process group at once, then every live process
    /// still in its session (one that left the group by setpgid), until none is left. Only a process
    /// that starts a session of its own escapes, as a daemon means to.
    static func killLeftovers(of pid: pid_t) {
        kill(-pid, SIGKILL)
        for _ in 0..<20 {
            let left = sessionMembers(pid).filter { $0 != pid }
            if left.isEmpty { return }
            for member in left { kill(member, SIGKILL) }
            usleep(1000)
        }
    }

    /// Live processes (not zombies) whose session id is `sid`: one walk of /proc reading each
    /// `<pid>/stat` into one buffer, nothing allocated per process.
    static func sessionMembers(_ sid: pid_t) -> [pid_t] {
        guard let procFD = try? Sys.openDirectory("/proc") else { return [] }
        defer { Sys.closeQuietly(procFD) }
        var pids: [Int32] = []
        try? Sys.forEachNumericEntry("/proc") { pids.append($0) }
        let relative = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 32)
        defer { relative.deallocate() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { buffer.deallocate() }
        var members: [pid_t] = []
        for p in pids {
            ProcessScanner.writeRelativePath(pid: p, leaf: "stat", into: relative)
            let fd = openat(procFD, relative.baseAddress!, O_RDONLY | O_CLOEXEC)
            if fd < 0 { continue }
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            close(fd)
            if n > 0, case let (state, session)? = statStateAndSession(UnsafeRawBufferPointer(rebasing: buffer[0..<n])),
                session == sid, state != UInt8(ascii: "Z"), state != UInt8(ascii: "X")
            {
                members.append(p)
            }
        }
        return members
    }

    /// Fields 3 (state) and 6 (session) of a `/proc/<pid>/stat` line, counted from the last `)`.
    static func statStateAndSession(_ bytes: UnsafeRawBufferPointer) -> (UInt8, Int32)? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        var i = close + 1
        var field = 2
        var state: UInt8 = 0
        var value: Int64 = 0
        var negative = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: " ") {
                if field == 6 { return (state, Int32(truncatingIfNeeded: negative ? -value : value)) }
                field += 1
                value = 0
                negative = false
            } else if field == 3 {
                state = b
            } else if field == 6 {
                if b == UInt8(ascii: "-") { negative = true } else if b >= 0x30 && b <= 0x39 { value = value * 10 + Int64(b - 0x30) } else { return nil }
            }
            i += 1
        }
        return nil
    }
}

enum Timestamp {
    static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
