/// One open file of a process as the kernel describes it in `/proc/<pid>/fdinfo/<fd>` plus what the
/// fd points at: how far the process has read (`pos`) in which file (inode, device, size).
public struct OpenFilePosition: Sendable, Equatable {
    public var fd: Int32
    /// The link text of `/proc/<pid>/fd/<fd>` without the ` (deleted)` suffix.
    public var path: String
    /// The file was unlinked while held open (the link ended in ` (deleted)`).
    public var deleted: Bool
    /// The file offset: for a harvester, the next byte it will read.
    public var position: Int64
    public var inode: UInt64
    public var device: UInt64
    /// The file's size now (fstat through the fd link, which works for deleted files too).
    public var size: Int64
    public var mtime: Int64

    public init(fd: Int32, path: String, deleted: Bool, position: Int64, inode: UInt64, device: UInt64, size: Int64, mtime: Int64 = 0) {
        self.fd = fd
        self.path = path
        self.deleted = deleted
        self.position = position
        self.inode = inode
        self.device = device
        self.size = size
        self.mtime = mtime
    }
}

public enum FDInfo {
    /// The `pos:` field of an fdinfo text (decimal), nil when missing or malformed.
    public static func position(_ text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix("pos:") {
            let v = line.dropFirst(4).drop { $0 == " " || $0 == "\t" }
            return Int64(v)
        }
        return nil
    }

    /// The regular files a process holds open, each with its position. Sockets, pipes, anon inodes
    /// and files that vanish between the listing and the reads are left out; a process that cannot
    /// be read at all throws (gone: `isMissing`; not ours: `isPermission`).
    public static func regularFiles(pid: Int32, proc: String = "/proc", limit: Int = 100_000) throws(ProbeError) -> [OpenFilePosition] {
        regularFiles(pid: pid, links: try ProcFS.fdTargets(pid: pid, proc: proc, limit: limit), proc: proc)
    }

    /// The same, from the fd links the caller has already listed (`ProcFS.fdTargets`).
    public static func regularFiles(pid: Int32, links: [(fd: Int32, target: String)], proc: String = "/proc") -> [OpenFilePosition] {
        var out: [OpenFilePosition] = []
        for (fd, target) in links {
            guard target.hasPrefix("/") else { continue }
            let (path, deleted) = ProcFS.stripDeleted(target)
            guard let st = try? Sys.stat("\(proc)/\(pid)/fd/\(fd)"), st.mode & 0o170000 == 0o100000 else { continue }
            guard let text = FileReader.procText("\(proc)/\(pid)/fdinfo/\(fd)", limit: 4096), let pos = position(text) else { continue }
            out.append(
                OpenFilePosition(
                    fd: fd, path: path, deleted: deleted, position: pos, inode: st.inode, device: st.device, size: st.size, mtime: st.mtime)
            )
        }
        return out
    }
}
