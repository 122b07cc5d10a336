#if canImport(Glibc)
    import Glibc
#endif

/// A process's I/O counters from `/proc/<pid>/io` (bytes through read/write calls, and bytes that
/// reached or came from the block layer). Reading another user's needs root or CAP_SYS_PTRACE.
public struct ProcIO: Sendable, Equatable {
    /// Bytes passed to read-like calls (`rchar`), from any file, pipe or socket.
    public var readChars: UInt64
    /// Bytes passed to write-like calls (`wchar`): for the collector, mostly what it sends to the agent.
    public var writtenChars: UInt64
    /// Read and write system calls (`syscr`, `syscw`).
    public var readCalls: UInt64
    public var writeCalls: UInt64
    /// Bytes fetched from storage (`read_bytes`).
    public var storageReadBytes: UInt64

    public init(
        readChars: UInt64 = 0, writtenChars: UInt64 = 0, readCalls: UInt64 = 0, writeCalls: UInt64 = 0, storageReadBytes: UInt64 = 0
    ) {
        self.readChars = readChars
        self.writtenChars = writtenChars
        self.readCalls = readCalls
        self.writeCalls = writeCalls
        self.storageReadBytes = storageReadBytes
    }

    /// Parses the `key: value` lines; nil unless both `rchar` and `wchar` are there.
    public static func parse(_ text: String) -> ProcIO? {
        var fields: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            if let v = UInt64(String(line[line.index(after: colon)...]).trimmingASCIIWhitespace()) { fields[key] = v }
        }
        guard let r = fields["rchar"], let w = fields["wchar"] else { return nil }
        return ProcIO(
            readChars: r, writtenChars: w, readCalls: fields["syscr"] ?? 0, writeCalls: fields["syscw"] ?? 0,
            storageReadBytes: fields["read_bytes"] ?? 0)
    }

    /// Reads `/proc/<pid>/io`.
    public static func read(pid: Int32, proc: String = "/proc") throws(ProbeError) -> ProcIO {
        let path = "\(proc)/\(pid)/io"
        let text = try FileReader.read(path, limit: 4096).text
        guard let io = parse(text) else { throw ProbeError(call: "parse", path: path, errno: EINVAL) }
        return io
    }
}
