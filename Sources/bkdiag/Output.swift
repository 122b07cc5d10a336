import SystemLayer

#if canImport(Glibc)
    import Glibc
#endif

/// Unbuffered writes to stdout/stderr (no shared C FILE state, safe under strict concurrency).
enum Output {
    /// Set at start when stdout was closed (then /dev/null stands in for it).
    nonisolated(unsafe) static var stdoutWasClosed = false

    /// Exit status of a run whose report could not be written (sysexits' EX_IOERR).
    static let ioErrorStatus: Int32 = 74

    /// Writes all of `text` to `fd`, retrying on EINTR and short writes. A closed pipe is ignored.
    static func write(_ text: String, fd: Int32 = 1) {
        var text = text
        text.withUTF8 { Sys.writeStandardStream(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes a report to stdout; nil when it went out (or the reader closed the pipe, as `| head` does),
    /// else why it did not (stdout closed, a full disk, an I/O error), for stderr and a non-zero exit.
    static func writeReport(_ text: String) -> String? {
        if stdoutWasClosed { return "stdout is closed" }
        var text = text
        let failure = text.withUTF8 { Sys.writeStandardStream(1, UnsafeRawBufferPointer($0)) }
        return failure == 0 || failure == EPIPE ? nil : String(cString: strerror(failure)) + " (errno \(failure))"
    }

    /// Opens /dev/null on each of fds 0–2 that is closed; returns whether fd 1 was.
    static func reopenClosedStandardDescriptors() -> Bool {
        var stdoutClosed = false
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            if fd == 1 { stdoutClosed = true }
            let null = open("/dev/null", O_RDWR)
            if null >= 0 && null != fd {
                _ = dup2(null, fd)
                close(null)
            }
        }
        return stdoutClosed
    }
}

/// stderr as a TextOutputStream.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { Output.write(string, fd: 2) }
}
