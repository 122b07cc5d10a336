import HostProbe

/// A binary as the checks see it: its `stat` and, for a non-empty regular executable file, its ELF
/// header. Read from the file, never run.
public struct BinaryFile: Sendable {
    public var path: String
    public var stat: Result<FileStat, ProbeError>
    /// nil when the header was not read (the stat failed, or it is not a non-empty regular
    /// executable file); `.success(nil)` for a file that is not ELF.
    public var elf: Result<ELFHeader?, ProbeError>?

    public init(path: String, stat: Result<FileStat, ProbeError>, elf: Result<ELFHeader?, ProbeError>? = nil) {
        self.path = path
        self.stat = stat
        self.elf = elf
    }

    /// Reads `path`: stat, then the ELF header when the binary could run at all.
    static func read(_ path: String) -> BinaryFile {
        let st = Result { () throws(ProbeError) in try Sys.stat(path) }
        guard case .success(let s) = st, s.isRegular, s.isExecutable, s.size > 0 else { return BinaryFile(path: path, stat: st) }
        return BinaryFile(path: path, stat: st, elf: Result { () throws(ProbeError) in try ELFHeader.read(path) })
    }
}
