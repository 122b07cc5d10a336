#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed system call: which call, on what, and the errno captured at once. The one error type of
/// `Sys`, for the probes and the daemon alike.
public struct ProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    /// The path (or other object, e.g. `NETLINK_SOCK_DIAG`) the call was made on; empty when none.
    public var path: String
    public var errno: Int32

    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// The same, in the short form the daemon's calls use: `ProbeError("flock", path: p, errno: e)`.
    public init(_ call: String, path: String = "", errno: Int32) {
        self.init(call: call, path: path, errno: errno)
    }

    /// True for "no such file" style errors (ENOENT, ENOTDIR, ESRCH): the thing is not there.
    public var isMissing: Bool { errno == ENOENT || errno == ENOTDIR || errno == ESRCH }
    /// True for permission errors (EACCES, EPERM): we could not look.
    public var isPermission: Bool { errno == EACCES || errno == EPERM }
    /// True for a symlink loop (ELOOP): the path is broken, not hidden; looking again will not help.
    public var isSymlinkLoop: Bool { errno == ELOOP }

    /// The system's sentence for the errno, e.g. `Too many levels of symbolic links`.
    public var reason: String { String(cString: strerror(errno)) }

    /// `open /x/\xd6\xd0.log: No such file or directory (errno 2)`: the form in reports, where the
    /// path's raw bytes are shown escaped and the number is kept for people who search for it.
    public var description: String {
        "\(call) \(PathBytes.display(path)): \(reason) (errno \(errno))"
    }

    /// `open /x: No such file or directory` (or `setgid: Operation not permitted` without a path): the
    /// shorter form of the daemon's messages and logs.
    public var brief: String {
        path.isEmpty ? "\(call): \(reason)" : "\(call) \(path): \(reason)"
    }

    /// The text of any error in a daemon message: `brief` for a `ProbeError`, else its description.
    public static func brief(_ error: any Error) -> String {
        if let e = error as? ProbeError { return e.brief }
        return "\(error)"
    }
}
