import Foundation
import HostProbe
import TestSupport
import Testing

/// The readers behind the progress checks: /proc io and fdinfo, cgroups, tcp_info, statvfs, the kernel log.
@Suite("Progress readers")
struct ProgressReaderTests {
    @Test(
        "/proc/<pid>/io parses rchar/wchar and refuses text without them",
        arguments: [
            (
                "rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n",
                ProcIO(readChars: 10, writtenChars: 20, readCalls: 3, writeCalls: 4, storageReadBytes: 4096)
            ),
            ("wchar: 5\nrchar: 7\n", ProcIO(readChars: 7, writtenChars: 5)),
            ("rchar: 10\n", nil),
            ("rchar: x\nwchar: 1\n", nil),
            ("", nil),
            ("rchar 10 wchar 20", nil),
        ] as [(String, ProcIO?)])
    func procIOParse(_ text: String, _ expected: ProcIO?) {
        #expect(ProcIO.parse(text) == expected)
    }

    @Test("this process's wchar grows by what it writes")
    func procIOLive() throws {
        let path = NSTemporaryDirectory() + "bkdiag-io-\(getpid())-\(UUID().uuidString.prefix(6))"
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        let before = try ProcIO.read(pid: getpid())
        let chunk = [UInt8](repeating: 0x61, count: 100_000)
        #expect(chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == 100_000)
        let after = try ProcIO.read(pid: getpid())
        #expect(after.writtenChars >= before.writtenChars + 100_000)
        #expect(throws: ProbeError.self) { try ProcIO.read(pid: 0) }
    }

    @Test(
        "fdinfo's pos field",
        arguments: [
            ("pos:\t4096\nflags:\t0100000\nmnt_id:\t25\n", Int64(4096)),
            ("flags:\t02\npos:\t0\n", 0),
            ("pos:\t\n", nil),
            ("flags:\t02\n", nil),
            ("", nil),
        ] as [(String, Int64?)])
    func fdinfoParse(_ text: String, _ expected: Int64?) {
        #expect(FDInfo.position(text) == expected)
    }

    @Test("a held file's read position, inode and size; unlinked, it is marked deleted")
    func fdinfoLive() throws {
        let path = NSTemporaryDirectory() + "bkdiag-pos-\(getpid())-\(UUID().uuidString.prefix(6)).log"
        try Data(repeating: 0x62, count: 10_000).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1234)
        #expect(read(fd, &buf, 1234) == 1234)
        let st = try Sys.stat(path)
        let mine = try #require(try FDInfo.regularFiles(pid: getpid()).first { $0.fd == fd })
        #expect(mine.path == path && !mine.deleted)
        #expect(mine.position == 1234 && mine.size == 10_000)
        #expect(mine.inode == st.inode && mine.device == st.device)
        unlink(path)
        let gone = try #require(try FDInfo.regularFiles(pid: getpid()).first { $0.fd == fd })
        #expect(gone.deleted && gone.path == path && gone.size == 10_000 && gone.position == 1234)
    }

    @Test("/proc/<pid>/cgroup lines, v1 and v2, garbage skipped")
    func cgroupMemberships() {
        let text =
            "12:cpu,cpuacct:/system.slice/gse.service\n11:memory:/collector-bkunifylogbeat-0a1b\n1:name=systemd:/x\n0::/user.slice\nbad line\n3:blkio\n"
        let m = Cgroup.parseMemberships(text)
        #expect(m.count == 4)
        #expect(m[0] == CgroupMembership(hierarchyID: 12, controllers: ["cpu", "cpuacct"], path: "/system.slice/gse.service"))
        #expect(m[3] == CgroupMembership(hierarchyID: 0, controllers: [], path: "/user.slice"))
    }

    @Test("cgroup mounts from mountinfo: v1 controllers from the super options, v2, escaped paths, a container's sub-tree")
    func cgroupMounts() {
        let text = """
            25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
            26 20 0:23 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            27 20 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
            28 20 0:25 / /mnt/cg\\0402 rw - cgroup2 cgroup2 rw,nsdelegate
            29 20 0:26 / /proc rw - proc proc rw
            truncated line -
            """
        let m = Cgroup.parseMounts(text)
        #expect(m.count == 4)
        #expect(m[0].version == 1 && m[0].controllers == ["cpu", "cpuacct"] && m[0].mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(m[1].root == "/docker/abc")
        #expect(m[3].version == 2 && m[3].mountPoint == "/mnt/cg 2")
    }

    /// A cgroup tree under a temp dir with the files the kernel shows.
    func cgroupTree(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "bkdiag-cg-\(UUID().uuidString.prefix(8))"
        for (path, text) in files {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("v1: the cpu quota, throttling and memory limit of libgse's collector cgroup; an unlimited memory cgroup has no limit")
    func cgroupV1State() throws {
        let group = "collector-bkunifylogbeat-9f86d081884c7d659a2feaa0c55ad015"
        let dir = try cgroupTree([
            "cpu/\(group)/cpu.cfs_quota_us": "40000\n", "cpu/\(group)/cpu.cfs_period_us": "100000\n",
            "cpu/\(group)/cpu.stat": "nr_periods 200\nnr_throttled 50\nthrottled_time 7000000000\n",
            "memory/\(group)/memory.limit_in_bytes": "858783744\n", "memory/\(group)/memory.usage_in_bytes": "1000\n",
            "memory/\(group)/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
            "memory/other/memory.limit_in_bytes": "9223372036854771712\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mounts = "30 1 0:30 / \(dir)/cpu rw - cgroup cgroup rw,cpu,cpuacct\n31 1 0:31 / \(dir)/memory rw - cgroup cgroup rw,memory\n"
        let s = try Cgroup.state(cgroupText: "4:cpu,cpuacct:/\(group)\n5:memory:/\(group)\n", mountinfoText: mounts)
        #expect(s.version == 1 && s.cpuPath == "/\(group)")
        #expect(s.cpuCores == 0.4)
        #expect(s.periods == 200 && s.throttledPeriods == 50 && s.throttledMicros == 7_000_000)
        #expect(s.memoryLimitBytes == 858_783_744 && s.memoryUsageBytes == 1000 && s.oomKills == 2)
        let other = try Cgroup.state(cgroupText: "4:cpu,cpuacct:/missing\n5:memory:/other\n", mountinfoText: mounts)
        #expect(other.memoryLimitBytes == nil && other.cpuQuotaMicros == nil && other.oomKills == nil)
    }

    @Test("v2: cpu.max, cpu.stat, memory.max and memory.events; no cgroup mounted throws")
    func cgroupV2State() throws {
        let dir = try cgroupTree([
            "system.slice/gse.service/cpu.max": "max 100000\n",
            "system.slice/gse.service/cpu.stat": "usage_usec 5\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
            "system.slice/gse.service/memory.max": "max\n",
            "system.slice/gse.service/memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Cgroup.state(
            cgroupText: "0::/system.slice/gse.service\n", mountinfoText: "40 1 0:40 / \(dir) rw - cgroup2 cgroup2 rw\n")
        #expect(s.version == 2 && s.cpuQuotaMicros == nil && s.cpuPeriodMicros == 100_000 && s.cpuCores == nil)
        #expect(s.memoryLimitBytes == nil && s.oomKills == 1 && s.periods == 0)
        #expect(throws: ProbeError.self) { try Cgroup.state(cgroupText: "0::/x\n", mountinfoText: "") }
    }

    @Test("this process's live cgroup state names the hierarchy /proc/self/cgroup says it is in")
    func cgroupLive() throws {
        let text = try FileReader.read("/proc/self/cgroup").text
        let s = try Cgroup.state(pid: getpid())
        let onlyV2 = Cgroup.parseMemberships(text).allSatisfy { $0.hierarchyID == 0 }
        #expect(s.version == (onlyV2 ? 2 : 1))
    }

    @Test("tcp_info: the 3.10 struct has no bytes_acked; newer ones give bytes_acked, notsent and bytes_retrans")
    func tcpInfoParse() {
        var b = [UInt8](repeating: 0, count: 232)
        b[2] = 3
        b[4] = 5
        func put32(_ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        func put64(_ at: Int, _ v: UInt64) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
        put32(24, 7)
        put32(44, 1500)
        put32(68, 250)
        put32(100, 9)
        put64(120, 1 << 40)
        put32(144, 65536)
        put64(208, 12)
        let full = TCPInfo.parse(b)
        #expect(
            full
                == TCPInfo(
                    retransmits: 3, backoff: 5, unackedSegments: 7, lastDataSentMs: 1500, rttMicros: 250, totalRetransmits: 9,
                    bytesAcked: 1 << 40, notSentBytes: 65536, bytesRetransmitted: 12))
        let old = TCPInfo.parse(Array(b[0..<104]))
        #expect(old?.bytesAcked == nil && old?.notSentBytes == nil && old?.backoff == 5)
        #expect(TCPInfo.parse(Array(b[0..<103])) == nil)
    }

    @Test("inet_diag with tcp_info: a connection the test makes, its bytes acknowledged and its send queue")
    func tcpFlowLive() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } } == 0)
        try #require(listen(listener, 4) == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        let port = UInt16(bigEndian: addr.sin_port)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        try #require(
            withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, len) } } == 0)
        let server = accept(listener, nil, nil)
        defer { close(server) }
        let data = [UInt8](repeating: 0x63, count: 50_000)
        #expect(data.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) } == 50_000)
        usleep(50_000)
        let flows = try InetSockDiag.dumpFlows(remotePort: port)
        let mine = try #require(flows.first { $0.socket.remotePort == port && $0.socket.state == .established })
        #expect(flows.allSatisfy { $0.socket.remotePort == port })
        let info = try #require(mine.info)
        // Unread by the server, the bytes are still acknowledged by its kernel.
        #expect(info.bytesAcked.map { $0 >= 50_000 } ?? true)
        #expect(mine.sendQueue == 0)
        #expect(info.backoff == 0)
    }

    @Test("statvfs of a temp dir; a missing path is an error that says so")
    func fileSystemSpace() throws {
        let s = try FileSystemSpace.of(NSTemporaryDirectory())
        #expect(s.totalBytes > 0 && s.availableBytes <= s.totalBytes && s.availableBytes >= 0)
        #expect(throws: ProbeError.self) { try FileSystemSpace.of("/nonexistent-\(getpid())/x") }
        do { _ = try FileSystemSpace.of("/nonexistent-\(getpid())/x") } catch { #expect(error.isMissing) }
    }

    @Test("kernel log records and the OOM kill lines of each kernel generation")
    func kernelLogParse() throws {
        let r = try #require(
            KernelLog.parseRecord("6,1234,5678901234,-;Out of memory: Killed process 4321 (bkunifylogbeat) total-vm:1kB\n SUBSYSTEM=x"))
        #expect(r.secondsSinceBoot == 5678.901234)
        let kill = try #require(KernelLog.oomKill(in: r.text, at: r.secondsSinceBoot))
        #expect(kill == OOMKill(secondsSinceBoot: 5678.901234, pid: 4321, comm: "bkunifylogbeat", inCgroup: false))
        let cg = KernelLog.oomKill(in: "Memory cgroup out of memory: Killed process 77 (bkunifylogbeat) total-vm:5kB", at: 1)
        #expect(cg?.inCgroup == true && cg?.pid == 77)
        #expect(KernelLog.oomKill(in: "Killed process 5 (gse_agent)", at: 1)?.comm == "gse_agent")
        #expect(KernelLog.oomKill(in: "Killed process x (a)", at: 1) == nil)
        #expect(KernelLog.oomKill(in: "Killed process 5 (unclosed", at: 1) == nil)
        #expect(KernelLog.parseRecord("no header") == nil)
        #expect(KernelLog.parseRecord("6,1,notanumber,-;x") == nil)
    }

    @Test("reading /dev/kmsg never blocks: it ends at the ring's end, or says it may not read it")
    func kernelLogLive() {
        let start = Date()
        do {
            _ = try KernelLog.oomKills(comm: "bkunifylogbeat")
        } catch {
            #expect(error.isPermission || error.isMissing, "\(error)")
        }
        // A blocking read would never return; any bound shows it, a loose one survives a loaded machine.
        #expect(Date().timeIntervalSince(start) < 60)
    }
}
