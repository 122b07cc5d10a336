import HostProbe

/// A binary as the checks see it: its `stat` and, for a non-empty regular file, its ELF header and
/// what it records of its Go build, or its `#!` line, and the loader or interpreter the kernel would
/// open to run it. Read from the files, never run.
public struct BinaryFile: Sendable {
    public var path: String
    public var stat: Result<FileStat, ProbeError>
    /// nil when the header was not read (the stat failed, or it is not a non-empty regular file);
    /// `.success(nil)` for a file that is not ELF.
    public var elf: Result<ELFHeader?, ProbeError>?
    /// What the binary records about its Go build (the Go release, `main.version`); nil when it is not a
    /// whole ELF file, records neither, or could not be read.
    public var go: GoBinaryInfo?
    /// For a whole ELF file, the marks of the Go toolchain's linker it carries (`GoBinaryInfo.marks`: its
    /// `.go.buildinfo`, `.note.go.buildid`, `.gopclntab` ... sections); empty when its section table holds
    /// none; nil when not looked for or nothing could be told (no section table, unreadable).
    public var goMarks: [String]?
    /// For a file that is not ELF, its `#!` line as the kernel reads it (nil when it has none).
    public var script: Script?
    /// The other file the kernel opens to run this one: an ELF program's loader (`PT_INTERP`) or a
    /// script's interpreter, as found on the host; nil when there is none or the file was not read.
    public var interpreter: Interpreter?
    /// Whether NodeMan's `start.sh` (a regular file) is in the binary's directory: every start through the
    /// plugin's control commands (NodeMan's, and gse_agent's restart of its plugins) runs it, and it runs
    /// `chmod +x` on the binary before it starts it.
    public var startScript = false
    /// Where the path leads when it is a symlink whose target cannot be stat'ed (dangling, a loop).
    public var linkTarget: String?
    /// The file system holding it is mounted `noexec`: execve refuses it (EACCES) whatever its mode.
    public var noExec = false

    /// A `#!` line: the interpreter it names ("" when the kernel finds none: ENOEXEC).
    public struct Script: Sendable, Equatable {
        public var interpreter: String
        public init(interpreter: String) { self.interpreter = interpreter }
    }

    /// The loader or interpreter the kernel opens (`open_exec`) before it runs the file: where it was looked
    /// for on the host and its `stat`.
    public struct Interpreter: Sendable {
        public var path: String
        public var stat: Result<FileStat, ProbeError>
        public init(path: String, stat: Result<FileStat, ProbeError>) {
            self.path = path
            self.stat = stat
        }
    }

    public init(
        path: String, stat: Result<FileStat, ProbeError>, elf: Result<ELFHeader?, ProbeError>? = nil, go: GoBinaryInfo? = nil,
        script: Script? = nil, interpreter: Interpreter? = nil
    ) {
        self.path = path
        self.stat = stat
        self.elf = elf
        self.go = go
        self.script = script
        self.interpreter = interpreter
    }

    /// Reads `path`: stat, then the ELF header (or the `#!` line) of a non-empty regular file, and the
    /// loader or interpreter it names under `hostRoot`.
    static func read(_ path: String, hostRoot: String = "/") -> BinaryFile {
        var file = readContents(path, hostRoot: hostRoot)
        if case .failure = file.stat, Sys.lstatIfPresent(path)?.isSymlink == true { file.linkTarget = try? Sys.readlink(path) }
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        file.startScript = Sys.statIfPresent((dir.isEmpty ? "" : dir) + "/start.sh")?.isRegular ?? false
        if case .success(let st) = file.stat, st.isRegular { file.noExec = (try? FileSystemSpace.of(path))?.noExec ?? false }
        return file
    }

    static func readContents(_ path: String, hostRoot: String) -> BinaryFile {
        let st = Result { () throws(ProbeError) in try Sys.stat(path) }
        guard case .success(let s) = st, s.isRegular, s.size > 0 else { return BinaryFile(path: path, stat: st) }
        let elf = Result { () throws(ProbeError) in try ELFHeader.read(path) }
        switch elf {
        case .success(nil):
            // Not ELF: the kernel runs it only as a script (binfmt_script reads its first 256 bytes).
            guard let head = try? FileReader.read(path, limit: 256).bytes, let script = Self.script(head) else {
                return BinaryFile(path: path, stat: st, elf: elf)
            }
            let interpreter = script.interpreter.isEmpty ? nil : Self.interpreter(script.interpreter, of: path, hostRoot: hostRoot)
            return BinaryFile(path: path, stat: st, elf: elf, script: script, interpreter: interpreter)
        case .success(let header?) where header.truncation == nil:
            let interpreter = header.interpreter.flatMap { $0.isEmpty ? nil : Self.interpreter($0, of: path, hostRoot: hostRoot) }
            var file = BinaryFile(path: path, stat: st, elf: elf, go: try? GoBinaryInfo.read(path), interpreter: interpreter)
            file.goMarks = (try? GoBinaryInfo.marks(path)) ?? nil
            return file
        default:
            return BinaryFile(path: path, stat: st, elf: elf)
        }
    }

    /// The `#!` line of a file starting with `head`, read as the kernel's binfmt_script reads it: the
    /// interpreter runs from the first character after `#!` that is not a space or tab to the next space,
    /// tab, NUL or newline (a `\r` of a file saved with CRLF endings is part of the name); nil when the file
    /// does not start with `#!`.
    static func script(_ head: [UInt8]) -> Script? {
        guard head.count >= 2, head[0] == UInt8(ascii: "#"), head[1] == UInt8(ascii: "!") else { return nil }
        let line = head.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }
        let name = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            .prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != 0 }
        // A name that runs to the end of the 256 bytes read may be cut short: the kernel refuses it.
        if line.count == head.count - 2, head.count == 256, name.endIndex == head.endIndex { return Script(interpreter: "") }
        return Script(interpreter: String(decoding: name, as: UTF8.self))
    }

    /// Where the kernel finds `name`: an absolute path on the host (under `hostRoot`; a tree under a host root
    /// whose programs this kernel runs where they lie, as a test's fake host, reaches it at the live root
    /// too), a relative one from the binary's directory (NodeMan's start.sh runs it from there).
    static func interpreter(_ name: String, of binary: String, hostRoot: String) -> Interpreter {
        if !name.hasPrefix("/") {
            let dir = binary.lastIndex(of: "/").map { String(binary[..<$0]) } ?? "."
            let p = PathText.join(dir.isEmpty ? "/" : dir, name)
            return Interpreter(path: p, stat: Result { () throws(ProbeError) in try Sys.stat(p) })
        }
        let onHost = PathText.onHost(hostRoot, name)
        let st = Result { () throws(ProbeError) in try Sys.stat(onHost) }
        if case .failure(let e) = st, e.isMissing, onHost != name, let live = Sys.statIfPresent(name) {
            return Interpreter(path: name, stat: .success(live))
        }
        return Interpreter(path: onHost, stat: st)
    }
}
