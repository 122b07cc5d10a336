#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to stdout/stderr (no shared C FILE state, safe under strict concurrency).
enum Output {
    /// Writes all of `text` to `fd`, retrying on EINTR and short writes. A closed pipe is ignored.
    static func write(_ text: String, fd: Int32 = 1) {
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            off += n
        }
        bytes.removeAll()
    }
}

/// stderr as a TextOutputStream.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { Output.write(string, fd: 2) }
}
