import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The daemon's exclusive claim on its state directory: `flock(2)` on `<state_dir>/lock`, taken before
/// anything in the directory is read or written and held until the process exits. A second daemon
/// pointed at the same directory (on another socket, or refused on the same one) stops at the lock
/// and changes nothing.
public final class StateDirectoryLock: Sendable {
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { Sys.close(fd) }

    /// Creates the directory when missing, then takes the lock or throws naming the daemon that holds it.
    public static func acquire(directory: String) throws(DaemonError) -> StateDirectoryLock {
        do {
            try Sys.mkdirs(directory, mode: 0o750)
        } catch {
            throw DaemonError(
                .stateDirectory,
                "cannot create the state directory \(directory) (\(ProbeError.brief(error))): create it or set state_dir to a writable directory"
            )
        }
        let path = directory + "/lock"
        let fd: Int32
        do {
            // Not a FIFO or a symlink planted in its place: never block, never follow.
            fd = try Sys.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o640)
        } catch {
            throw DaemonError(
                .stateDirectory, "cannot open the lock file \(path) (\(ProbeError.brief(error))): check the state directory's permissions")
        }
        guard (try? Sys.fstat(fd, path: path))?.isRegular == true else {
            Sys.close(fd)
            throw DaemonError(.stateDirectory, "\(path) is not a regular file: remove it")
        }
        do {
            try Sys.lockExclusive(fd, path: path)
        } catch {
            let holder = (try? Sys.pread(fd, count: 32, at: 0)).map { String(decoding: $0, as: UTF8.self).trimmingNewlines() } ?? ""
            Sys.close(fd)
            if error.errno == EWOULDBLOCK {
                let who = Int32(holder).map { "another bkdiag daemon (pid \($0))" } ?? "another bkdiag daemon"
                throw DaemonError(
                    .stateDirectory, "\(who) is using the state directory \(directory): stop it, or give this one its own --state-dir")
            }
            throw DaemonError(.stateDirectory, "cannot lock \(path) (\(error.brief)): check the state directory")
        }
        // Ours now: say who holds it, for the message of the next one.
        _ = try? Sys.ftruncate(fd, 0, path: path)
        _ = try? Sys.pwriteAll(fd, Array("\(getpid())\n".utf8), at: 0, path: path)
        return StateDirectoryLock(path: path, fd: fd)
    }
}
