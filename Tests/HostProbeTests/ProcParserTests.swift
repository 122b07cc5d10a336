import Glibc
import Testing

@testable import HostProbe

@Suite("/proc and socket table parsers")
struct ProcParserTests {
    static let stat =
        "4242 (bk unify) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 123456 1000000 512 18446744073709551615"

    @Test("stat: comm with spaces and parens")
    func statParse() throws {
        let s = try #require(ProcFS.parseStat(Self.stat))
        #expect(s.pid == 4242)
        #expect(s.comm == "bk unify) (x)")
        #expect(s.state == "S")
        #expect(s.ppid == 1)
        #expect(s.utimeTicks == 250 && s.stimeTicks == 50)
        #expect(s.numThreads == 7)
        #expect(s.startTimeTicks == 123456)
        #expect(s.rssPages == 512)
    }

    @Test(
        "stat: garbage and truncated input",
        arguments: [
            "", "garbage", "12 (x", "12 (x) S 1 2", ")(", "x (y) S a b c d e f g h i j k l m n o p q r s t u v", String(stat.prefix(40)),
        ])
    func statGarbage(text: String) {
        #expect(ProcFS.parseStat(text) == nil)
    }

    @Test(
        "uptime: a finite number of seconds, else nil",
        arguments: [
            ("1234.56 999.0\n", 1234.56), ("0.00 0.00\n", 0), ("inf 0\n", nil), ("nan 0\n", nil), ("-5 0\n", nil),
            ("1e300 0\n", nil), ("junk\n", nil), ("", nil),
        ] as [(String, Double?)])
    func uptime(text: String, expected: Double?) throws {
        let dir = "/tmp/bkdiag-uptime-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        defer { unlink(dir + "/uptime"); rmdir(dir) }
        let fd = open(dir + "/uptime", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        #expect(ProcFS.uptimeSeconds(proc: dir) == expected)
    }

    @Test("limits")
    func limits() {
        let text =
            "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n"
        #expect(ProcFS.parseOpenFilesLimit(text)! == (1024, 524288))
        #expect(ProcFS.parseOpenFilesLimit("Max open files            unlimited            unlimited            files")!.soft == Int64.max)
        #expect(ProcFS.parseOpenFilesLimit("junk") == nil)
        #expect(ProcFS.parseOpenFilesLimit("Max open files  x") == nil)
    }

    @Test("socket links and deleted exes")
    func links() {
        #expect(ProcFS.socketInode(fromLink: "socket:[12345]") == 12345)
        #expect(ProcFS.socketInode(fromLink: "socket:[]") == nil)
        #expect(ProcFS.socketInode(fromLink: "/var/log/socket:[1]") == nil)
        #expect(
            ProcFS.stripDeleted("/usr/local/gse/plugins/bin/bkunifylogbeat (deleted)") == (
                "/usr/local/gse/plugins/bin/bkunifylogbeat", true
            ))
        #expect(ProcFS.stripDeleted("/bin/x") == ("/bin/x", false))
    }

    @Test("inet_diag messages: v4, v6 and v4-mapped addresses, done and error, truncation never traps")
    func inetDiagMessages() {
        func message(family: UInt8, state: UInt8, sport: UInt16, dport: UInt16, src: [UInt8], dst: [UInt8], inode: UInt32) -> [UInt8] {
            var m: [UInt8] = []
            func le32(_ v: UInt32) { m += withUnsafeBytes(of: v.littleEndian, Array.init) }
            func le16(_ v: UInt16) { m += withUnsafeBytes(of: v.littleEndian, Array.init) }
            le32(16 + 72); le16(20); le16(2); le32(1); le32(0)
            m += [family, state, 0, 0]
            m += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)]
            m += src + [UInt8](repeating: 0, count: 16 - src.count)
            m += dst + [UInt8](repeating: 0, count: 16 - dst.count)
            m += [UInt8](repeating: 0, count: 12)  // if, cookie
            le32(0); le32(0); le32(0); le32(0)  // expires, rqueue, wqueue, uid
            le32(inode)
            return m
        }
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7]
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        var buf = message(family: 2, state: 1, sport: 40000, dport: 58625, src: [10, 0, 0, 5], dst: [10, 0, 0, 9], inode: 777)
        buf += message(family: 10, state: 2, sport: 40001, dport: 28625, src: mapped, dst: v6, inode: 778)
        let (rows, done, err) = InetSockDiag.parseMessages(buf[...])
        #expect(!done && err == nil)
        #expect(rows.count == 2)
        #expect(rows.first?.localEndpoint == "10.0.0.5:40000" && rows.first?.remoteEndpoint == "10.0.0.9:58625")
        #expect(rows.first?.state == .established && rows.first?.inode == 777 && rows.first?.isIPv6 == false)
        #expect(rows.last?.localAddress == "10.0.0.7" && rows.last?.remoteEndpoint == "[2001:db8::1]:28625")
        #expect(rows.last?.state == .synSent && rows.last?.isIPv6 == true)
        // NLMSG_ERROR carries a negative errno; NLMSG_DONE ends the dump.
        var error: [UInt8] = withUnsafeBytes(of: UInt32(36).littleEndian, Array.init) + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        error += withUnsafeBytes(of: Int32(-EPERM).littleEndian, Array.init) + [UInt8](repeating: 0, count: 16)
        #expect(InetSockDiag.parseMessages(error[...]).2 == EPERM)
        let doneMsg: [UInt8] = withUnsafeBytes(of: UInt32(20).littleEndian, Array.init) + [3, 0, 2, 0] + [UInt8](repeating: 0, count: 12)
        #expect(InetSockDiag.parseMessages((buf + doneMsg)[...]).1)
        #expect(InetSockDiag.parseMessages((buf + doneMsg)[...]).2 == nil)
        // A dump that failed part-way ends with NLMSG_DONE carrying -errno (no tcp_diag: -ENOENT).
        let failed: [UInt8] =
            withUnsafeBytes(of: UInt32(20).littleEndian, Array.init) + [3, 0, 2, 0] + [UInt8](repeating: 0, count: 8)
            + withUnsafeBytes(of: Int32(-ENOENT).littleEndian, Array.init)
        let (partial, ended, failure) = InetSockDiag.parseMessages((buf + failed)[...])
        #expect(partial.count == 2 && ended && failure == ENOENT)
        #expect(UnixSockDiag.parseMessages(failed[...]).2 == ENOENT)
        // An unknown state byte or family drops the row; cut buffers never trap.
        let junk = message(family: 2, state: 99, sport: 1, dport: 2, src: [1, 2, 3, 4], dst: [5, 6, 7, 8], inode: 1)
        #expect(InetSockDiag.parseMessages(junk[...]).0.isEmpty)
        for cut in 0..<buf.count { _ = InetSockDiag.parseMessages(buf[0..<cut]) }
        #expect(InetSockDiag.parseMessages(buf[0..<100]).0.count == 1)
    }

    @Test("an errno of Int32.min in NLMSG_ERROR or NLMSG_DONE is an error, not a trap")
    func netlinkErrnoInt32Min() {
        let code = withUnsafeBytes(of: Int32.min.littleEndian, Array.init)
        let error: [UInt8] =
            withUnsafeBytes(of: UInt32(20).littleEndian, Array.init) + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + code
        let done: [UInt8] =
            withUnsafeBytes(of: UInt32(20).littleEndian, Array.init) + [3, 0, 2, 0] + [UInt8](repeating: 0, count: 8) + code
        for msg in [error, done] {
            let (rows, ended, err) = InetSockDiag.parseMessages(msg[...])
            #expect(rows.isEmpty && ended)
            #expect(err != nil && err != 0)
            #expect(UnixSockDiag.parseMessages(msg[...]).2 != nil)
        }
    }

    @Test("the inet_diag port filter is the kernel's accept/reject layout")
    func inetDiagPortFilter() {
        let p = InetSockDiag.portFilter(0x7181)
        // D_GE yes 8 no 20 | port | D_LE yes 8 no 12 | port
        #expect(p == [4, 8, 20, 0, 0, 0, 0x81, 0x71, 5, 8, 12, 0, 0, 0, 0x81, 0x71])
        let body = InetSockDiag.requestBody(family: 2, states: [.established, .listen], remotePort: 0x7181)
        #expect(body.count == 56 + 4 + 16)
        #expect(Array(body[4..<8]) == [0x02, 0x04, 0, 0])  // 1 << 1 | 1 << 10
        #expect(InetSockDiag.requestBody(family: 10, states: [.listen], remotePort: nil).count == 56)
    }

    @Test(
        "relative /proc paths are written without allocating",
        arguments: [
            (Int32(0), "0/exe"), (1, "1/exe"), (9, "9/exe"), (10, "10/exe"), (4_194_304, "4194304/exe"), (Int32.max, "2147483647/exe"),
        ])
    func relativePath(pid: Int32, expected: String) {
        let buf = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 32)
        defer { buf.deallocate() }
        buf.initialize(repeating: 0x7f)
        ProcessScanner.writeRelativePath(pid: pid, leaf: "exe", into: buf)
        #expect(String(cString: buf.baseAddress!) == expected)
    }

    @Test(
        "byte search finds what firstRange(of:) finds",
        arguments: [
            ("aaab", "aab"), ("/usr/local/gse/--collector_config_id=45", "--collector_config_id"), ("abc", "abcd"), ("", "a"),
            ("x", ""), ("日志 healthz:{} 日志", "healthz:"), ("bkunifylogbeat_sub_123_host_1.conf", "_sub_"), ("ab", "b"), ("ab", "c"),
        ])
    func byteSearch(haystack: String, needle: String) {
        let mine = haystack.firstByteRange(of: needle)
        let stdlib = needle.isEmpty ? haystack.startIndex..<haystack.startIndex : haystack.firstRange(of: needle)
        #expect(mine == stdlib)
        #expect(haystack.containsBytes(needle) == (stdlib != nil))
        #expect(haystack.dropFirst(0).firstByteRange(of: needle) == stdlib)
    }

    @Test("tcp and tcp6 tables")
    func tcp() {
        let v4 = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:EB47 0A00000A:E501 01 00000000:00000000 00:00000000 00000000     0        0 91234 1 0000000000000000 20 4 30 10 -1
               1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0
               2: garbage row
            """
        let rows = SocketTables.parseTCP(v4, ipv6: false)
        #expect(rows.count == 2)
        #expect(rows[0].localAddress == "127.0.0.1")
        #expect(rows[0].remoteAddress == "10.0.0.10" && rows[0].remotePort == 58625)
        #expect(rows[0].state == .established && rows[0].inode == 91234)
        #expect(rows[1].state == .listen && rows[1].localPort == 8080)
        let v6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000001000000:9C40 B80D0120000000000000000001000000:6F91 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0
               1: 0000000000000000FFFF00000100007F:9C41 0000000000000000FFFF00000A00000A:E501 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0
            """
        let r6 = SocketTables.parseTCP(v6, ipv6: true)
        #expect(r6.count == 2)
        #expect(r6[0].localAddress == "::1")
        #expect(r6[0].remoteAddress == "2001:db8::1" && r6[0].remotePort == 28561)
        #expect(r6[0].remoteEndpoint == "[2001:db8::1]:28561")
        #expect(r6[1].remoteAddress == "10.0.0.10")
        #expect(SocketTables.parseTCP("", ipv6: false).isEmpty)
        #expect(SocketTables.parseTCP("header\n0: zz:zz zz:zz 01 a b c d e 1", ipv6: false).isEmpty)
    }

    @Test("unix table: listening flag, paths with spaces, abstract and unbound")
    func unix() {
        let text = """
            Num       RefCount Protocol Flags    Type St Inode Path
            0000000000000000: 00000002 00000000 00010000 0001 01 31337 /var/run/ipc.state.report
            0000000000000000: 00000003 00000000 00000000 0001 03 31338 /tmp/with space/s.sock
            0000000000000000: 00000003 00000000 00000000 0001 03 31339
            0000000000000000: 00000002 00000000 00010000 0001 01 31340 @abstract
            junk
            """
        let rows = SocketTables.parseUnix(text)
        #expect(rows.count == 4)
        #expect(rows[0].isListening && rows[0].path == "/var/run/ipc.state.report" && rows[0].inode == 31337)
        #expect(!rows[1].isListening && rows[1].path == "/tmp/with space/s.sock" && rows[1].state == 3)
        #expect(rows[2].path == "")
        #expect(rows[3].path == "@abstract")
    }

    @Test("sock_diag messages: a real layout, truncation and garbage never trap")
    func sockDiag() {
        // nlmsghdr(16) + unix_diag_msg(16) + NAME(4+5 → pad 12) + PEER(8) + RQLEN(12)
        var msg: [UInt8] = []
        func u32(_ v: UInt32) { msg += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func u16(_ v: UInt16) { msg += withUnsafeBytes(of: v.littleEndian, Array.init) }
        let total = 16 + 16 + 12 + 8 + 12
        u32(UInt32(total)); u16(20); u16(2); u32(1); u32(0)
        msg += [1, 1, 1, 0]; u32(999); u32(0); u32(0)
        u16(9); u16(0); msg += Array("/ipc".utf8) + [0, 0, 0, 0]
        u16(8); u16(2); u32(1000)
        u16(12); u16(4); u32(4096); u32(0)
        #expect(msg.count == total)
        let (entries, done, err) = UnixSockDiag.parseMessages(msg[...])
        #expect(entries.count == 1 && !done && err == nil)
        #expect(entries[0].inode == 999 && entries[0].name == "/ipc" && entries[0].peerInode == 1000)
        #expect(entries[0].receiveQueue == 4096 && entries[0].isEstablished && entries[0].hasQueues)
        for cut in stride(from: 0, to: msg.count, by: 3) {
            _ = UnixSockDiag.parseMessages(msg[0..<cut])
        }
        var done3: [UInt8] = []
        done3 += withUnsafeBytes(of: UInt32(20).littleEndian, Array.init) + [3, 0, 2, 0] + Array(repeating: 0, count: 12)
        #expect(UnixSockDiag.parseMessages(done3[...]).1)
        #expect(UnixSockDiag.parseMessages([UInt8](repeating: 0xff, count: 64)[...]).0.isEmpty)
    }

}
