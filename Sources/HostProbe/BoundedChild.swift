#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs one program directly (posix_spawn, no shell) with a hard timeout: the only kind of child
/// process bkdiag ever starts. The child leads a session of its own, and nothing of it outlives the
/// run: its process group is killed once it has exited (or at the timeout), before it is reaped.
public enum BoundedChild {
    public struct Outcome: Sendable, Equatable {
        /// Exit status, or nil when killed (by us at the timeout, or by a signal).
        public var exitCode: Int32?
        public var output: String
        public var timedOut: Bool
    }

    /// Runs `path` with `arguments` (argv[1...]), stdin from /dev/null, stdout+stderr captured up to
    /// `outputLimit` bytes, killed with SIGKILL after `timeoutMs`.
    public static func run(_ path: String, _ arguments: [String], timeoutMs: Int, outputLimit: Int = 64 * 1024) throws(ProbeError)
        -> Outcome
    {
        let (readEnd, writeEnd) = try Sys.pipe(path: path)
        defer { Sys.close(readEnd) }
        // Own session, and so own process group (both ids are the child's pid): the kill reaches
        // anything it forks, and what leaves the group is still found in the session.
        let pid: pid_t
        do throws(ProbeError) {
            pid = try Sys.spawn(
                path, arguments: arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"], output: writeEnd,
                newSession: true)
        } catch {
            Sys.close(writeEnd)
            throw error
        }
        Sys.close(writeEnd)

        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMs)
        var output: [UInt8] = []
        var timedOut = false
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - MonotonicClock.milliseconds()
            if left <= 0 { timedOut = true; break }
            guard let readable = try? Sys.pollReadable(readEnd, timeoutMs: Int32(min(left, 1000)), path: path) else { break }
            if !readable { continue }
            let n = buf.withUnsafeMutableBytes { Sys.readOnce(readEnd, into: $0) }
            if n < 0 { if errno == EAGAIN { continue }; break }
            if n == 0 { break }
            if output.count < outputLimit { output += buf[0..<min(n, outputLimit - output.count)] }
        }
        if timedOut { kill(pid, SIGKILL) }
        // The pipe closed: the child is exiting; still bound the wait. It is not reaped yet: while it
        // is a zombie its pid, which names its group and session, cannot be reused.
        var exited = exitedUnreaped(pid)
        while !exited {
            let now = MonotonicClock.milliseconds()
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
        let status = Sys.reap(pid, noHang: !exited)
        let normal = (status & 0x7f) == 0
        return Outcome(
            exitCode: exited && normal && !timedOut ? (status >> 8) & 0xff : nil, output: String(decoding: output, as: UTF8.self),
            timedOut: timedOut)
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
        defer { Sys.close(procFD) }
        var pids: [Int32] = []
        try? Sys.forEachNumericEntry("/proc") { pids.append($0) }
        let relative = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 32)
        defer { relative.deallocate() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { buffer.deallocate() }
        var members: [pid_t] = []
        for p in pids {
            ProcessScanner.writeRelativePath(pid: p, leaf: "stat", into: relative)
            let fd = Sys.openAt(procFD, relative.baseAddress!)
            if fd < 0 { continue }
            let n = Sys.readOnce(fd, into: buffer)
            Sys.close(fd)
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
                if b == UInt8(ascii: "-") {
                    negative = true
                } else if b >= 0x30 && b <= 0x39 {
                    value = value * 10 + Int64(b - 0x30)
                } else {
                    return nil
                }
            }
            i += 1
        }
        return nil
    }
}
