#if canImport(Glibc)
    import Glibc
#endif

/// Space on the file system holding a path (statvfs), as an unprivileged writer sees it.
public struct FileSystemSpace: Sendable, Equatable {
    public var totalBytes: Int64
    /// Bytes an unprivileged process can still write (`f_bavail`).
    public var availableBytes: Int64
    /// Inodes still free for an unprivileged process (`f_favail`).
    public var availableInodes: Int64
    /// Mounted `noexec` (`ST_NOEXEC`): the kernel runs no program from it (execve fails with EACCES).
    public var noExec: Bool
    /// Mounted read-only (`ST_RDONLY`): nothing on it can be created or opened for writing (EROFS), even by root.
    public var readOnly: Bool

    public init(totalBytes: Int64, availableBytes: Int64, availableInodes: Int64, noExec: Bool = false, readOnly: Bool = false) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.availableInodes = availableInodes
        self.noExec = noExec
        self.readOnly = readOnly
    }

    /// `ST_NOEXEC` of `f_flag` (glibc's bits/statvfs.h, Linux's MS_NOEXEC), which Swift's Glibc module does not
    /// export (it is defined only under _GNU_SOURCE).
    static let stNoExec: UInt = 8
    /// `ST_RDONLY` of `f_flag`.
    static let stReadOnly: UInt = 1

    /// Whether the file system on device `device` (a `stat` `st_dev`) is itself read-only: its super options in
    /// `mountinfo` (`/proc/self/mountinfo`'s form: `id parent major:minor root point options [tags] - type source
    /// superoptions`) hold `ro`. That is what a disk error's remount (`errors=remount-ro`) or `mount -o
    /// remount,ro` sets, for every process. A read-only bind or a read-only view of a rw file system (systemd's
    /// `ProtectSystem=strict`, a container's `:ro` volume) sets only the mount's own options, which `readOnly`
    /// (statvfs) reports: the collector, in another mount namespace, may still write there. Nil when no mount
    /// lists the device (a btrfs subvolume reports a device of its own).
    public static func superblockReadOnly(device: UInt64, mountinfo: String) -> Bool? {
        // glibc's major()/minor() of a dev_t.
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        let wanted = "\(major):\(minor)"
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 2, fields[2] == wanted, let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count else { continue }
            return fields[dash + 3].split(separator: ",").contains("ro")
        }
        return nil
    }

    /// `superblockReadOnly(device:mountinfo:)` against this process's `/proc/self/mountinfo`; nil when it cannot be read.
    public static func superblockReadOnly(device: UInt64) -> Bool? {
        guard let text = try? Sys.readFile("/proc/self/mountinfo", limit: 8 << 20) else { return nil }
        return superblockReadOnly(device: device, mountinfo: PathBytes.string(text))
    }

    /// statvfs(2) of `path`, retried on EINTR.
    public static func of(_ path: String) throws(ProbeError) -> FileSystemSpace {
        if PathBytes.hasNUL(path) { throw ProbeError(call: "statvfs", path: path, errno: EINVAL) }
        var s = statvfs()
        while true {
            let rc = PathBytes.withCString(path) { statvfs($0, &s) }
            if rc == 0 { break }
            let e = errno
            if e == EINTR { continue }
            throw ProbeError(call: "statvfs", path: path, errno: e)
        }
        let unit = Int64(s.f_frsize > 0 ? s.f_frsize : s.f_bsize)
        func bytes(_ blocks: fsblkcnt_t) -> Int64 {
            let (v, overflow) = Int64(clamping: blocks).multipliedReportingOverflow(by: unit)
            return overflow ? .max : v
        }
        return FileSystemSpace(
            totalBytes: bytes(s.f_blocks), availableBytes: bytes(s.f_bavail), availableInodes: Int64(clamping: s.f_favail),
            noExec: s.f_flag & Self.stNoExec != 0, readOnly: s.f_flag & Self.stReadOnly != 0)
    }
}
