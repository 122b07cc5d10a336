#if canImport(Glibc)
    import Glibc
#endif

/// An OOM kill the kernel logged: `Killed process <pid> (<comm>)`, from the global OOM killer or a
/// memory cgroup's.
public struct OOMKill: Sendable, Equatable {
    /// Seconds since boot when the kernel logged it.
    public var secondsSinceBoot: Double
    public var pid: Int32
    public var comm: String
    /// Logged by a memory cgroup's OOM killer (`Memory cgroup out of memory`), not the global one.
    public var inCgroup: Bool

    public init(secondsSinceBoot: Double, pid: Int32, comm: String, inCgroup: Bool) {
        self.secondsSinceBoot = secondsSinceBoot
        self.pid = pid
        self.comm = comm
        self.inCgroup = inCgroup
    }
}

/// The kernel's log ring, read from `/dev/kmsg` without blocking and without moving anyone's position
/// (each open has its own). Needs CAP_SYSLOG where `kernel.dmesg_restrict` is 1.
public enum KernelLog {
    /// Parses one `/dev/kmsg` record (`prio,seq,usec,flags[,...];text`) into its time and text.
    public static func parseRecord(_ record: String) -> (secondsSinceBoot: Double, text: Substring)? {
        guard let semi = record.firstIndex(of: ";") else { return nil }
        let header = record[..<semi].split(separator: ",")
        guard header.count >= 3, let usec = UInt64(header[2]) else { return nil }
        var text = record[record.index(after: semi)...]
        if let nl = text.firstIndex(of: "\n") { text = text[..<nl] }
        return (Double(usec) / 1e6, text)
    }

    /// The OOM kill named in a kernel log line, if any. Kernels word it `Killed process N (comm)`
    /// (3.x: `Out of memory: Kill process N (comm) score …` precedes it) or, since 4.19, with
    /// `Out of memory: Killed process N (comm)`.
    public static func oomKill(in text: Substring, at seconds: Double) -> OOMKill? {
        guard let r = text.firstRange(of: "Killed process ") else { return nil }
        let rest = text[r.upperBound...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard let pid = Int32(digits) else { return nil }
        let after = rest.dropFirst(digits.count)
        guard after.hasPrefix(" ("), let close = after.firstIndex(of: ")") else { return nil }
        let comm = String(after[after.index(after.startIndex, offsetBy: 2)..<close])
        return OOMKill(secondsSinceBoot: seconds, pid: pid, comm: comm, inCgroup: text.contains("Memory cgroup"))
    }

    /// Every OOM kill still in the ring whose comm is `comm` (a comm is at most 15 bytes; longer
    /// names are compared by their first 15). Reads at most `maxRecords` records.
    public static func oomKills(comm: String, path: String = "/dev/kmsg", maxRecords: Int = 200_000) throws(ProbeError) -> [OOMKill] {
        let fd = try Sys.openRead(path, nonBlocking: true)
        defer { Sys.closeQuietly(fd) }
        let wanted = String(decoding: comm.utf8.prefix(15), as: UTF8.self)
        var out: [OOMKill] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
        defer { buffer.deallocate() }
        var records = 0
        var lastOOMLine: Double = -1
        var lastOOMWasCgroup = false
        while records < maxRecords {
            let n = Sys.readOnce(fd, into: buffer)
            if n < 0 {
                let e = errno
                if e == EPIPE { continue }  // the ring overwrote the record we were at: go on from the next
                if e == EAGAIN || e == EWOULDBLOCK { break }
                throw ProbeError(call: "read", path: path, errno: e)
            }
            if n == 0 { break }
            records += 1
            let record = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
            guard let (t, text) = parseRecord(record) else { continue }
            if text.contains("Memory cgroup out of memory") {
                lastOOMLine = t
                lastOOMWasCgroup = true
            } else if text.contains("Out of memory") {
                lastOOMLine = t
                lastOOMWasCgroup = false
            }
            if var kill = oomKill(in: text, at: t), kill.comm == wanted {
                // A cgroup's OOM kill is announced by "Memory cgroup out of memory" just before it.
                if !kill.inCgroup, lastOOMLine >= 0, t - lastOOMLine < 1 { kill.inCgroup = lastOOMWasCgroup }
                out.append(kill)
            }
        }
        return out
    }
}
