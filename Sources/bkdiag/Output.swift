import SystemLayer

/// Unbuffered writes to stdout/stderr (no shared C FILE state, safe under strict concurrency).
enum Output {
    /// Writes all of `text` to `fd`, retrying on EINTR and short writes. A closed pipe is ignored.
    static func write(_ text: String, fd: Int32 = 1) {
        var text = text
        text.withUTF8 { Sys.writeAllIgnoringErrors(fd, UnsafeRawBufferPointer($0)) }
    }
}

/// stderr as a TextOutputStream.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { Output.write(string, fd: 2) }
}
