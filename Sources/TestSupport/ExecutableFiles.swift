import Foundation

/// File writes for files the tests will exec, through descriptors opened with O_CLOEXEC.
///
/// FileManager's copy and String's atomic write keep their write descriptor inheritable. A child
/// spawned meanwhile by a spawner that does not close descriptors keeps it open for its whole life
/// (a daemon under test lives for seconds), and every exec of the file fails with ETXTBSY until it
/// exits: longer than `TestSpawn` retries. With O_CLOEXEC a child holds it only until its exec.
public enum ExecutableFiles {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The first of `names` found as an executable in a directory of PATH, then of `extraDirectories`; nil when
    /// none is installed.
    public static func onPath(_ names: [String], extraDirectories: [String] = []) -> String? {
        let dirs =
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + extraDirectories
        for name in names {
            for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        return nil
    }

    /// Copies `source` to `destination` (replaced if present), with the source's permission bits.
    public static func copy(_ source: String, to destination: String) throws {
        var st = stat()
        guard stat(source, &st) == 0 else { throw Failure(description: "stat \(source): errno \(errno)") }
        guard let data = FileManager.default.contents(atPath: source) else { throw Failure(description: "cannot read \(source)") }
        try write(data, to: destination, mode: st.st_mode & 0o7777)
    }

    /// Writes `data` to `path` (replaced if present) with `mode`.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o755) throws {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "write \(path): errno \(errno)") }
                done += n
            }
        }
        // The umask may have narrowed `mode`.
        guard fchmod(fd, mode) == 0 else { throw Failure(description: "chmod \(path): errno \(errno)") }
    }

    /// Copies the directory tree `source` to `destination` (which must not exist), files through `copy`.
    public static func copyTree(_ source: String, to destination: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source) {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: source + "/" + name, isDirectory: &isDir)
            if isDir.boolValue {
                try copyTree(source + "/" + name, to: destination + "/" + name)
            } else {
                try copy(source + "/" + name, to: destination + "/" + name)
            }
        }
    }

    /// What the kernel answers when `path` is executed: 0 when the exec succeeded (the child, given no
    /// arguments and all streams on /dev/null, is waited for, and killed after 5 s), else the exec's errno
    /// (ENOENT for a missing loader or interpreter, ENOEXEC for a file the kernel does not know how to run).
    public static func execErrno(_ path: String) throws -> Int32 {
        do {
            let pid = try TestSpawn.spawn(
                path, [Array(path.utf8)], environment: [], stdin: .file("/dev/null"), stdout: .file("/dev/null"),
                stderr: .file("/dev/null"), directory: nil, ownGroup: false)
            let end = Date().addingTimeInterval(5)
            var status: Int32 = 0
            while waitpid(pid, &status, WNOHANG) == 0 {
                if Date() > end {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    break
                }
                usleep(5_000)
            }
            return 0
        } catch let failure as TestSpawn.Failure {
            guard let code = failure.errno else { throw failure }
            return code
        }
    }
}
