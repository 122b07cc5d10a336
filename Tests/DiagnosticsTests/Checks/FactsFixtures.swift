import Report
import TestSupport

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

/// Building blocks for unit tests of one check on `InMemoryHostFacts`.
enum Fixture {
    static let root = "/usr/local/gse"
    static let ipc = root + "/agent/data/ipc.state.report"
    /// The layout's subscription config directory, loading `*.conf` as NodeMan's template says.
    static let subConfigDir = SubscriptionConfigDir(path: root + "/plugins/etc/bkunifylogbeat", filePattern: "*.conf")

    /// Makes `files` (name → what reading it gives) the subscription configs of `h`, all in `dir`.
    static func subscriptionConfigs(
        _ h: InMemoryHostFacts, _ files: [(String, SubscriptionConfigRead)], dir: SubscriptionConfigDir = subConfigDir
    ) {
        h.subscriptionConfigsOverride = SubscriptionConfigListing(
            dirs: [dir], files: files.map { SubscriptionConfigFile(dir: dir, name: $0.0) })
        for (name, read) in files { h.subscriptionConfigContents[dir.path + "/" + name] = read }
    }

    /// The same with each config given as its YAML text, parsed.
    static func subscriptionConfigs(_ h: InMemoryHostFacts, yaml files: [(String, String)]) {
        subscriptionConfigs(h, files.map { ($0.0, SubscriptionConfigRead(content: .parsed(try! YAMLNode.parse($0.1)))) })
    }

    static func layout(generation: GSEGeneration = .gse2, main: String? = nil, ipcSource: String = "default") -> GSELayout {
        let mainConfig = main.map { text in
            MainConfig(path: root + "/plugins/etc/bkunifylogbeat.conf", state: .parsed(try! YAMLNode.parse(text)))
        }
        return GSELayout(root: root, generation: generation, ipcPath: ipc, ipcSource: ipcSource, mainConfig: mainConfig)
    }

    static func facts(
        subscription: Int64 = 0, logPaths: [String] = [], generation: GSEGeneration = .gse2, main: String? = nil
    ) -> InMemoryHostFacts {
        var o = CheckOptions(subscriptionID: subscription, logPaths: logPaths)
        o.queueSampleIntervalMs = 0
        return InMemoryHostFacts(options: o, layout: layout(generation: generation, main: main))
    }

    static func stat(pid: Int32, state: Character = "S", ppid: Int32 = 1, startTicks: Int64 = 5_000_000, rssPages: Int64 = 25_000)
        -> ProcStat
    {
        ProcStat(
            pid: pid, comm: "x", state: state, ppid: ppid, pgrp: pid, session: pid, utimeTicks: 60_000, stimeTicks: 40_000,
            numThreads: 12, startTimeTicks: startTicks, rssPages: rssPages)
    }

    /// A process running `exe` (its comm is the base name), from `cwd`.
    static func process(
        _ pid: Int32, exe: String?, comm: String? = nil, state: Character = "S", arguments: [String] = [], cwd: String? = nil,
        deleted: Bool = false
    ) -> ProcessRecord {
        let base = exe.map { String($0.split(separator: "/").last ?? "") } ?? ""
        return ProcessRecord(
            pid: pid, comm: comm ?? base, exe: exe, exeDeleted: deleted,
            exeError: exe == nil ? "open /proc/\(pid)/exe: Permission denied" : nil,
            cwd: cwd ?? exe.map { String($0[..<$0.lastIndex(of: "/")!]) }, stat: stat(pid: pid, state: state),
            arguments: arguments.isEmpty ? [exe ?? base] : arguments)
    }

    static var collectorExe: String { root + "/plugins/bin/bkunifylogbeat" }
    static var agentExe: String { root + "/agent/bin/gse_agent" }

    static func collector(_ pid: Int32 = 100, state: Character = "S") -> ProcessRecord { process(pid, exe: collectorExe, state: state) }
    static func agent(_ pid: Int32 = 200, state: Character = "S") -> ProcessRecord { process(pid, exe: agentExe, state: state) }

    static func socketLink(_ inode: UInt64, fd: Int32 = 3) -> FDLink { FDLink(fd: fd, target: "socket:[\(inode)]") }

    static func unix(_ inode: UInt64, name: String = ipc, state: UInt8 = 1, peer: UInt64 = 0, rq: UInt32 = 0) -> UnixDiagEntry {
        UnixDiagEntry(inode: inode, type: 1, state: state, name: name, peerInode: peer, receiveQueue: rq, sendQueue: 0, hasQueues: true)
    }

    static func tcp(inode: UInt64, remote: String = "10.0.0.9", port: UInt16 = 28625, state: TCPState = .established) -> TCPSocketEntry {
        TCPSocketEntry(
            localAddress: "10.0.0.1", localPort: 40000, remoteAddress: remote, remotePort: port, state: state, inode: inode, isIPv6: false)
    }

    static func error(_ errno: Int32, _ call: String = "open", _ path: String = "/x") -> ProbeError {
        ProbeError(call: call, path: path, errno: errno)
    }

    static let regular = FileStat(mode: 0o100644, size: 10)
    static let executable = FileStat(mode: 0o100755, size: 4096)
    static let socket = FileStat(mode: 0o140777, inode: 77)
    static let directory = FileStat(mode: 0o040755)

    /// An x86-64 ELF header.
    static let elfX86 = ELFHeader(is64Bit: true, littleEndian: true, machine: 62, type: 2)

    static func expansion(
        _ pattern: String, _ matches: [String], unreadable: [String] = [], failures: [ProbeError] = [], truncated: Bool = false
    )
        -> Result<Glob.Expansion, GlobPatternError>
    {
        .success(Glob.Expansion(pattern: pattern, matches: matches, truncated: truncated, unreadable: unreadable, failures: failures))
    }

    static func evidence(_ f: Finding, _ key: String) -> JSONValue? { f.evidence.first { $0.0 == key }?.1 }
}
