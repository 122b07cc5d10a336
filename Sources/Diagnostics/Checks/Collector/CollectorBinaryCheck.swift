import HostProbe
import Report

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
            if error.isMissing {
                return .fail(
                    "bin file is not exists: \(path)", hint: "在节点管理中重新安装 bkunifylogbeat 插件",
                    evidence: [("path", .string(path))])
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
        guard st.isExecutable else {
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
        guard let header else {
            return .warn("\(path) is not an ELF binary", hint: "插件包可能不完整或不是本平台的包，请重新安装", evidence: evidence)
        }
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
        return .pass(
            "bin file exists: \(path) (\(([String(st.size) + " bytes", header.machineName] + build).joined(separator: ", ")))",
            evidence: evidence)
    }
}
