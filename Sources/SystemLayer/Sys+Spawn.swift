#if canImport(Glibc)
    import CSpawn
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Starting and reaping child processes: posix_spawn, or fork and exec for a bounded probe; never a shell.
extension Sys {
    /// Starts `path` with `arguments` (argv[1...]) and exactly `environment`, stdin from /dev/null and
    /// stdout and stderr on `output`; no other descriptor of ours reaches the child. With `newSession`
    /// the child leads a session (and process group) of its own. Returns its pid.
    ///
    /// A child in a session of its own is a probe bkdiag bounds: it is started with fork and exec
    /// (`bkdiag_spawn_bound`), with `PR_SET_PDEATHSIG` set to SIGKILL, so that it does not outlive the
    /// thread that started it when bkdiag itself is killed mid-probe (posix_spawn cannot set it). Any
    /// other child is started with posix_spawn.
    public static func spawn(
        _ path: String, arguments: [String], environment: [String], output: Int32, newSession: Bool
    ) throws(ProbeError) -> pid_t {
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc: Int32
        if newSession {
            rc = retryingTextBusy { bkdiag_spawn_bound(path, argv, envp, output, &pid) }
        } else {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, output, 2)
            // Nothing else of ours reaches the child: a descriptor without O_CLOEXEC (a socket handed
            // over by systemd, one opened by a library) must not stay open in a probe we may kill.
            bkdiag_spawn_addclosefrom(&actions, 3)
            rc = retryingTextBusy { posix_spawn(&pid, path, &actions, nil, argv, envp) }
        }
        if rc != 0 { throw ProbeError(call: newSession ? "execve" : "posix_spawn", path: path, errno: rc) }
        return pid
    }

    /// `start()`'s result, after up to two short retries of ETXTBSY: some process holds the binary open for
    /// writing. A fork elsewhere that has not yet exec'd holds it for microseconds; an upgrade rewriting it
    /// holds it far longer. Two short retries ride out the first without hiding the second.
    private static func retryingTextBusy(_ start: () -> Int32) -> Int32 {
        var rc = start()
        for _ in 0..<2 where rc == ETXTBSY {
            usleep(5_000)
            rc = start()
        }
        return rc
    }

    /// Reaps `pid` (waitpid(2), retried on EINTR) and returns its wait status; with `noHang` it does
    /// not wait for a child that has not exited. The status is 0 when there was nothing to reap.
    @discardableResult
    public static func reap(_ pid: pid_t, noHang: Bool) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, noHang ? WNOHANG : 0) < 0 && errno == EINTR {}
        return status
    }
}
