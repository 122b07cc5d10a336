import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How the tests start a child process: posix_spawn, and nothing of the test runner's but the
/// streams asked for reaches the child.
///
/// Not Foundation's `Process`: on Linux it learns that a child ended when a socket the child inherits
/// is closed, and then waits for it on one thread shared by every `Process`. A child that passes that
/// socket to a longer-lived one is never seen to end; one that closes it and lives on holds up every
/// other `Process` of the test run until it exits (seen here: `/bin/true` waited 4.5 s behind such a
/// child). The tests reap their children themselves.
enum TestSpawn {
    enum Stream {
        /// The test runner's own descriptor of that number.
        case inherit
        /// A file, opened for reading (stdin) or created and truncated for writing.
        case file(String)
        /// An open descriptor of the runner's (a pipe's write end), duplicated onto the stream.
        case descriptor(Int32)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// posix_spawn's error: the exec's errno when the kernel refused the program.
        var errno: Int32? = nil
    }

    /// Starts `executable` with `argv` (argv[0] included) and exactly `environment`, from `directory`,
    /// with default signal dispositions and an empty signal mask whatever thread spawns it (dispatch's
    /// threads block signals), in a process group of its own when `ownGroup`.
    ///
    /// ETXTBSY is retried for up to 5 s: tests copy `fake-bluek` into fake GSE trees and write scripts,
    /// then exec them; while one test thread has such a file open for writing, another may fork, and
    /// the child holds that descriptor until its own exec closes it. The window is microseconds.
    static func spawn(
        _ executable: String, _ argv: [[UInt8]], environment: [String], stdin: Stream, stdout: Stream, stderr: Stream,
        directory: String?, ownGroup: Bool
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit: break
            case .file(let path):
                let flags = fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC
                posix_spawn_file_actions_addopen(&actions, fd, path, flags, 0o600)
            case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, fd)
            }
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        if let directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if ownGroup {
            posix_spawnattr_setpgroup(&attr, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))

        func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
            p[bytes.count] = 0
            return p
        }
        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map(cString) + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { cString(Array($0.utf8)) } + [nil]
        defer {
            for p in cArgv { p?.deallocate() }
            for p in cEnv { p?.deallocate() }
        }
        let end = Date().addingTimeInterval(5)
        while true {
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, executable, &actions, &attr, cArgv, cEnv)
            if rc == 0 { return pid }
            guard rc == ETXTBSY && Date() < end else { throw Failure(description: "posix_spawn \(executable): errno \(rc)", errno: rc) }
            usleep(10_000)
        }
    }
}
