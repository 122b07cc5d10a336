import Synchronization
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
    public let directory: String
    private let fd: Mutex<Int32>

    private init(directory: String, path: String, fd: Int32) {
        self.directory = directory
        self.path = path
        self.fd = Mutex(fd)
    }

    deinit { fd.withLock { Sys.close($0) } }

    /// Creates the directory when missing, then takes the lock or throws naming the daemon that holds it.
    public static func acquire(directory: String) throws(DaemonError) -> StateDirectoryLock {
        let (path, fd) = try take(directory: directory)
        return StateDirectoryLock(directory: directory, path: path, fd: fd)
    }

    /// Whether the lock file the daemon holds is still the one at `path`; when it is not (the state directory
    /// was removed, or the file replaced: a second daemon would find the name unlocked and share the
    /// directory), the directory and the lock are taken again and true is returned. Throws when another
    /// daemon has taken them meanwhile.
    public func reassert() throws(DaemonError) -> Bool {
        try fd.withLock { (held: inout Int32) throws(DaemonError) -> Bool in
            if let named = Sys.lstatIfPresent(path), let open = try? Sys.fstat(held, path: path),
                named.inode == open.inode && named.device == open.device
            {
                return false
            }
            let (_, fresh) = try Self.take(directory: directory)
            Sys.close(held)
            held = fresh
            return true
        }
    }

    private static func take(directory: String) throws(DaemonError) -> (String, Int32) {
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
        return (path, fd)
    }
}
