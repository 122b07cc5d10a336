/// Fields of `/proc/<pid>/stat` the checks use.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var comm: String
    public var state: Character
    public var ppid: Int32
    /// Process group and session ids (fields 5 and 6).
    public var pgrp: Int32
    public var session: Int32
    public var utimeTicks: Int64
    public var stimeTicks: Int64
    public var numThreads: Int64
    /// Start time after boot, in clock ticks.
    public var startTimeTicks: Int64
    public var rssPages: Int64
}

/// Reading `/proc`: pure parsers for its text formats and small readers on top.
public enum ProcFS {
    /// Parses `/proc/<pid>/stat`. The comm field may hold spaces and parentheses, so fields are
    /// counted from the last `)`. Returns nil for truncated or garbage text.
    public static func parseStat(_ text: String) -> ProcStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        guard let pid = Int32(text[..<open].trimmingCharacters(in: " ")) else { return nil }
        let comm = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field n is rest[n - 3].
        guard rest.count >= 22, let state = rest[0].first else { return nil }
        func field(_ n: Int) -> Int64? { Int64(rest[n - 3]) }
        guard let ppid = field(4), let pgrp = field(5), let session = field(6), let utime = field(14), let stime = field(15),
            let threads = field(20),
            let start = field(22), let rss = field(24)
        else { return nil }
        return ProcStat(
            pid: pid, comm: comm, state: state, ppid: Int32(truncatingIfNeeded: ppid),
            pgrp: Int32(truncatingIfNeeded: pgrp), session: Int32(truncatingIfNeeded: session), utimeTicks: utime,
            stimeTicks: stime, numThreads: threads, startTimeTicks: start, rssPages: rss)
    }

    /// The soft and hard "Max open files" of `/proc/<pid>/limits`; nil when absent. "unlimited" is Int64.max.
    public static func parseOpenFilesLimit(_ text: String) -> (soft: Int64, hard: Int64)? {
        for line in text.split(separator: "\n") where line.hasPrefix("Max open files") {
            let parts = line.dropFirst("Max open files".count).split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2 else { return nil }
            func value(_ s: Substring) -> Int64? { s == "unlimited" ? Int64.max : Int64(s) }
            guard let soft = value(parts[0]), let hard = value(parts[1]) else { return nil }
            return (soft, hard)
        }
        return nil
    }

    /// A `Key:\tvalue` field of `/proc/<pid>/status` or `/proc/meminfo`, first word only.
    public static func statusField(_ text: String, _ key: String) -> String? {
        statusValues(text, key)?.first.map(String.init)
    }

    /// Every word of a `Key:\tvalue …` field (`Uid:` has four); nil when there is no such line.
    public static func statusValues(_ text: String, _ key: String) -> [Substring]? {
        for line in text.split(separator: "\n") where line.hasPrefix(key) && line.dropFirst(key.count).first == ":" {
            return line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
        }
        return nil
    }

    /// Parses a `socket:[12345]` fd link target into its inode.
    public static func socketInode(fromLink target: String) -> UInt64? {
        guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
        return UInt64(target.dropFirst(8).dropLast())
    }

    /// What the kernel appends to a link target whose file was removed or replaced.
    public static let deletedSuffix = " (deleted)"

    /// Strips the kernel's ` (deleted)` marker from an exe link.
    public static func stripDeleted(_ path: String) -> (path: String, deleted: Bool) {
        if path.hasSuffix(deletedSuffix) { return (String(path.dropLast(deletedSuffix.utf8.count)), true) }
        return (path, false)
    }

    // MARK: Readers

    public static func stat(pid: Int32, proc: String = "/proc") -> ProcStat? {
        FileReader.procText("\(proc)/\(pid)/stat").flatMap(parseStat)
    }

    /// Seconds since boot, from `/proc/uptime`.
    public static func uptimeSeconds(proc: String = "/proc") -> Double? {
        // Double("inf") and Double("nan") parse; an uptime must be a finite number of seconds.
        FileReader.procText("\(proc)/uptime")?.split(separator: " ").first.flatMap { Double($0) }.flatMap {
            $0.isFinite && $0 >= 0 && $0 < 1e12 ? $0 : nil
        }
    }

    /// MemTotal in kB.
    public static func memTotalKB(proc: String = "/proc") -> Int64? {
        FileReader.procText("\(proc)/meminfo").flatMap { statusField($0, "MemTotal") }.flatMap { Int64($0) }
    }

    /// The fd numbers and link targets of a process. Throws when the fd directory cannot be read.
    public static func fdTargets(pid: Int32, proc: String = "/proc", limit: Int = 1_000_000) throws(ProbeError) -> [(
        fd: Int32, target: String
    )] {
        let dir = "\(proc)/\(pid)/fd"
        var fds: [Int32] = []
        try Sys.forEachNumericEntry(dir) { fds.append($0) }
        var out: [(Int32, String)] = []
        out.reserveCapacity(min(fds.count, limit))
        for fd in fds.prefix(limit) {
            // A fd closed between readdir and readlink is simply gone.
            if let t = try? Sys.readlink("\(dir)/\(fd)") { out.append((fd, t)) }
        }
        return out
    }

    /// `/proc/<pid>/cmdline` split at its NULs (a trailing NUL ends the last argument, it does not
    /// add an empty one). A kernel thread or a zombie has an empty cmdline.
    public static func parseCmdline(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if bytes.last == 0 { parts.removeLast() }
        return parts
    }

    /// The arguments of a process (argv as it stands now), or nil when unreadable.
    public static func arguments(pid: Int32, proc: String = "/proc", limit: Int = 64 * 1024) -> [String]? {
        guard let c = try? FileReader.read("\(proc)/\(pid)/cmdline", limit: limit) else { return nil }
        return parseCmdline(c.bytes)
    }

    /// Socket inodes held by a process.
    public static func socketInodes(pid: Int32, proc: String = "/proc") throws(ProbeError) -> Set<UInt64> {
        var s = Set<UInt64>()
        for (_, t) in try fdTargets(pid: pid, proc: proc) {
            if let ino = socketInode(fromLink: t) { s.insert(ino) }
        }
        return s
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
