import HostProbe
import Report

#if canImport(Glibc)
    import Glibc
#endif

/// bkunifylogbeat/bin_file: the collector binary exists, is a regular executable file, and is an
/// ELF binary for this host's machine (read from its header, never run).
struct CollectorBinaryCheck: Check {
    let id = CheckID.collectorBinFile

    func run(_ facts: any HostFacts) -> Finding {
        BinaryFacts.judge(facts.collectorBinary, hostMachine: facts.hostMachine)
    }
}

enum BinaryFacts {
    static func judge(_ binary: BinaryFile, hostMachine: String) -> Finding {
        let path = binary.path
        let st: FileStat
        switch binary.stat {
        case .success(let s): st = s
        case .failure(let error):
            var evidence: [(String, JSONValue)] = [("path", .string(path))]
            if let target = binary.linkTarget { evidence.append(("link_target", .string(target))) }
            if error.isMissing {
                return .fail(
                    "bin file is not exists: \(path)" + (binary.linkTarget.map { " (a symlink to \($0), which does not exist)" } ?? ""),
                    hint: "在节点管理中重新安装 bkunifylogbeat 插件", evidence: evidence)
            }
            // A symlink loop or a name too long is no file at all: the kernel cannot exec it (ELOOP,
            // ENAMETOOLONG) and NodeMan's start.sh, whose `[ -f ]` is false, says it does not exist.
            if error.isSymlinkLoop || error.errno == ENAMETOOLONG {
                return .fail(
                    "bin file is not exists: \(path) cannot be opened (\(error.reason))"
                        + (binary.linkTarget.map { ": a symlink to \($0)" } ?? ""),
                    hint: "插件二进制是坏的符号链接：删除它后在节点管理中重新安装 bkunifylogbeat 插件", evidence: evidence)
            }
            return .unreadable(path, error)
        }
        var evidence: [(String, JSONValue)] = [
            ("path", .string(path)), ("size", .int(st.size)), ("mtime", .string(Timestamp.iso8601(milliseconds: st.mtime * 1000))),
            ("mode", .string(String(st.permissions, radix: 8))),
        ]
        guard st.isRegular else {
            return .fail("\(path) is not a regular file", hint: "在节点管理中重新安装 bkunifylogbeat 插件", evidence: evidence)
        }
        // A file system mounted noexec: execve fails with EACCES whatever the mode, and start.sh's chmod does
        // not help. A collector running from it was started before the mount changed.
        if binary.noExec {
            return .fail(
                "\(path) is on a file system mounted noexec: the kernel refuses to run it (Permission denied), whatever its mode",
                hint: "插件目录所在的文件系统以 noexec 挂载，采集器无法启动：去掉该挂载点的 noexec 选项（mount -o remount,exec <挂载点>，并修改 /etc/fstab），或将 GSE 安装到允许执行的文件系统",
                evidence: evidence + [("noexec", .bool(true))])
        }
        // NodeMan's start.sh, which every start through the plugin's control commands runs, makes the binary
        // executable before it starts it: without an execute bit it is judged as start.sh leaves it.
        guard st.isExecutable || binary.startScript else {
            return .fail(
                "\(path) is not executable (mode \(String(st.permissions, radix: 8)))", hint: "chmod +x \(path)，或重新安装插件", evidence: evidence
            )
        }
        guard st.size > 0 else {
            return .fail("\(path) is empty", hint: "文件可能在下发时被截断，请在节点管理中重新安装插件", evidence: evidence)
        }
        let header: ELFHeader?
        switch binary.elf {
        case .success(let h)?: header = h
        case .failure(let error)?: return .unreadable(path, error)
        case nil: return .unknown("\(path): ELF header not read", hint: "检查该文件是否可读后重试", evidence: evidence)
        }
        guard let header else { return notELF(binary, evidence: evidence) }
        evidence.append(("elf_machine", .string(header.machineName)))
        evidence.append(("host_machine", .string(hostMachine)))
        if let cut = header.truncation {
            evidence.append(("truncated", .string(cut)))
            return .fail(
                "\(path) is truncated: \(cut)", hint: "文件在下发时被截断（磁盘满或传输中断），无法运行：清理磁盘后在节点管理中重新安装插件",
                evidence: evidence)
        }
        if let why = header.notAProgram {
            evidence.append(("elf_type", .int(Int64(header.type))))
            return .fail(
                "\(path) is \(why): the kernel does not run it", hint: "插件文件已损坏或被替换为非可执行文件：在节点管理中重新安装插件", evidence: evidence)
        }
        guard header.runs(on: hostMachine) else {
            return .fail(
                "\(path) is built for \(header.machineName), host is \(hostMachine)",
                hint: "下发了错误架构的插件包：在节点管理中按主机架构重新安装", evidence: evidence)
        }
        if header.interpreter == "" {
            return .fail(
                "\(path) names a program interpreter (PT_INTERP) the kernel refuses: it does not run it (Exec format error)",
                hint: "插件文件已损坏或被替换：在节点管理中重新安装插件", evidence: evidence)
        }
        if let name = header.interpreter, let loader = binary.interpreter {
            evidence.append(("interpreter", .string(name)))
            if let finding = interpreterProblem(
                loader, named: name, of: path, what: "is dynamically linked and its loader", evidence: evidence)
            {
                return finding
            }
        }
        // Another Go program in the collector's place (another plugin's binary copied there): started as the
        // collector, it does not collect.
        if let mainPath = binary.go?.mainPath {
            evidence.append(("main_path", .string(mainPath)))
            if Self.isAnotherProgram(mainPath) {
                return .fail(
                    "\(path) is another Go program (\(mainPath)), not bkunifylogbeat: started in its place it collects nothing",
                    hint: "插件目录里的 bkunifylogbeat 被换成了其他程序（如其他插件的二进制被复制到此处）：在节点管理中重新安装 bkunifylogbeat 插件",
                    evidence: evidence)
            }
        }
        // The build it records, for the operator and for the rules that differ between collector versions.
        var build: [String] = []
        if let v = binary.go?.mainVersion {
            evidence.append(("version", .string(v)))
            build.append("version \(v)")
        }
        if let v = binary.go?.goVersion {
            evidence.append(("go_version", .string(v)))
            build.append(v)
        }
        let described = "\(path) (\(([String(st.size) + " bytes", header.machineName] + build).joined(separator: ", ")))"
        // An ELF program with no trace of Go at all: another program in the collector's place (a C or system
        // binary copied there). Every build of the collector (Go, CGO_ENABLED=0) carries the Go linker's sections
        // whatever the release and however stripped; a warn, not a fail, as a build bkdiag misreads is not ruled out.
        if binary.go == nil, let marks = binary.goMarks, marks.isEmpty {
            evidence.append(("go_marks", .array([])))
            let mode =
                st.isExecutable
                ? "" : "; it is not executable either (mode \(String(st.permissions, radix: 8)); NodeMan's start.sh makes it executable)"
            return .warn(
                "bin file exists: \(described), but it is not a Go program (none of the Go linker's .go.buildinfo, .note.go.buildid, .gopclntab sections is in it): not the Go collector NodeMan ships"
                    + mode,
                hint: "插件目录里的 bkunifylogbeat 不是节点管理下发的采集器（官方采集器是 Go 程序，此文件没有任何 Go 构建的痕迹，可能被替换成了其他程序）：在节点管理中重新安装 bkunifylogbeat 插件",
                evidence: evidence)
        }
        guard st.isExecutable else {
            return .warn(
                "bin file exists: \(described), but is not executable (mode \(String(st.permissions, radix: 8))): NodeMan's start.sh makes it executable before it starts it; started any other way the kernel refuses it (Permission denied)",
                hint: "chmod +x \(path)（节点管理的 start.sh 启动前会执行 chmod +x；手工直接启动会失败）", evidence: evidence)
        }
        return .pass("bin file exists: \(described)", evidence: evidence)
    }

    /// A file that is not ELF: the kernel runs it only as a `#!` script (binfmt_script), whose interpreter
    /// must exist; anything else it refuses with ENOEXEC (a download error page, an archive in the
    /// binary's place), and NodeMan's start.sh, a bash script, gets no collector from it either.
    static func notELF(_ binary: BinaryFile, evidence: [(String, JSONValue)]) -> Finding {
        let path = binary.path
        var evidence = evidence
        let reinstall = "插件包可能不完整或被替换（下载失败的页面、压缩包等）：在节点管理中重新安装插件"
        guard let script = binary.script else {
            return .fail(
                "\(path) is not a program: neither an ELF binary nor a #! script, the kernel refuses to run it (Exec format error)",
                hint: reinstall, evidence: evidence)
        }
        evidence.append(("script_interpreter", .string(script.interpreter)))
        guard !script.interpreter.isEmpty, let interpreter = binary.interpreter else {
            return .fail(
                "\(path) is a #! script naming no interpreter the kernel can use: it refuses to run it (Exec format error)",
                hint: reinstall, evidence: evidence)
        }
        if let finding = interpreterProblem(
            interpreter, named: script.interpreter, of: path, what: "is a #! script and its interpreter", evidence: evidence)
        {
            return finding
        }
        return .warn(
            "\(path) is a #! script (\(script.interpreter)), not the collector's ELF binary",
            hint: "插件包可能不完整或不是本平台的包，请重新安装", evidence: evidence)
    }

    /// Why the kernel cannot open the loader or interpreter `name` it must start `path` with (`open_exec`: a
    /// regular file with an execute bit); nil when it can. A stat refused for another reason is `unknown`.
    static func interpreterProblem(
        _ interpreter: BinaryFile.Interpreter, named name: String, of path: String, what: String, evidence: [(String, JSONValue)]
    ) -> Finding? {
        let shown = name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? $0.escaped(asASCII: true) : String($0) }.joined()
        let why: String
        switch interpreter.stat {
        case .failure(let e) where e.isMissing: why = "does not exist (No such file or directory)"
        case .failure(let e): return .unreadable(interpreter.path, e)
        case .success(let st) where st.isDirectory: why = "is a directory (Permission denied)"
        case .success(let st) where !st.isRegular || !st.isExecutable: why = "is not an executable file (Permission denied)"
        case .success: return nil
        }
        return .fail(
            "\(path) \(what) \(shown) \(why): the kernel cannot start it",
            hint: what.contains("loader")
                ? "bkunifylogbeat 应是静态链接的程序（官方以 CGO_ENABLED=0 构建），这不是插件包里的二进制：在节点管理中重新安装插件"
                : "插件目录里的文件被替换成了脚本，且解释器不可用：在节点管理中重新安装插件",
            evidence: evidence)
    }

    /// Whether a Go binary's main package path names another program than the collector: its last element
    /// (a major version suffix such as `/v2` aside) does not contain `unifylogbeat` (the collector's is
    /// `github.com/TencentBlueKing/bkunifylogbeat`; a fork under another host keeps the name). A build of
    /// named files (`command-line-arguments`) says nothing.
    static func isAnotherProgram(_ mainPath: String) -> Bool {
        guard mainPath != "command-line-arguments" else { return false }
        var parts = mainPath.split(separator: "/")
        if parts.count > 1, let last = parts.last, last.count >= 2, last.first == "v", last.dropFirst().allSatisfy(\.isNumber) {
            parts.removeLast()
        }
        guard let name = parts.last else { return false }
        return !name.lowercased().contains("unifylogbeat")
    }
}
