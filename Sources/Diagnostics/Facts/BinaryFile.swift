import HostProbe

/// A binary as the checks see it: its `stat` and, for a non-empty regular executable file, its ELF
/// header and what it records of its Go build. Read from the file, never run.
public struct BinaryFile: Sendable {
    public var path: String
    public var stat: Result<FileStat, ProbeError>
    /// nil when the header was not read (the stat failed, or it is not a non-empty regular
    /// executable file); `.success(nil)` for a file that is not ELF.
    public var elf: Result<ELFHeader?, ProbeError>?
    /// What the binary records about its Go build (the Go release, `main.version`); nil when it is not a
    /// whole ELF file, records neither, or could not be read.
    public var go: GoBinaryInfo?

    public init(
        path: String, stat: Result<FileStat, ProbeError>, elf: Result<ELFHeader?, ProbeError>? = nil, go: GoBinaryInfo? = nil
    ) {
        self.path = path
        self.stat = stat
        self.elf = elf
        self.go = go
    }

    /// Reads `path`: stat, then the ELF header when the binary could run at all.
    static func read(_ path: String) -> BinaryFile {
        let st = Result { () throws(ProbeError) in try Sys.stat(path) }
        guard case .success(let s) = st, s.isRegular, s.isExecutable, s.size > 0 else { return BinaryFile(path: path, stat: st) }
        let elf = Result { () throws(ProbeError) in try ELFHeader.read(path) }
        guard case .success(let header?) = elf, header.truncation == nil else { return BinaryFile(path: path, stat: st, elf: elf) }
        return BinaryFile(path: path, stat: st, elf: elf, go: try? GoBinaryInfo.read(path))
    }
}
