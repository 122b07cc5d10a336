import Foundation
import HostProbe
import TestSupport
import Testing

/// Probes that must read the live kernel, against processes and sockets the test makes.
@Suite("Live kernel probes")
struct LiveKernelTests {
    /// Binds and listens on a unix socket; returns its fd.
    func listenUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(rc == 0)
        try #require(listen(fd, 5) == 0)
        return fd
    }

    @Test("sock_diag and /proc/net/unix both see a socket the test listens on, with its fd owner")
    func sockDiagLive() throws {
        let path = NSTemporaryDirectory() + "bkdiag-live-\(getpid()).sock"
        unlink(path)
        let fd = try listenUnix(path)
        defer { close(fd); unlink(path) }
        let entries = try UnixSockDiag.dump()
        // The socket bound to the file: another process (in another mount namespace, say) may have bound a
        // socket under the same name.
        let st = try Sys.stat(path)
        let mine = try #require(entries.first { $0.name == path && $0.vfsInode == st.inode })
        #expect(mine.isListening)
        #expect(mine.hasQueues)
        let rows = try SocketTables.readUnix()
        #expect(rows.contains { $0.inode == mine.inode && $0.isListening && $0.path == path })
        let inodes = try ProcFS.socketInodes(pid: getpid())
        #expect(inodes.contains(mine.inode))
    }

    /// A TCP listener on the loopback address of `family` (port chosen by the kernel), a client
    /// connected to it, and the accepted socket. Returns the fds and the listener's port.
    func loopbackPair(family: Int32) throws -> (listener: Int32, client: Int32, server: Int32, port: UInt16) {
        let l = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        try #require(l >= 0)
        var port: UInt16 = 0
        if family == AF_INET {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            try #require(
                withUnsafePointer(to: &a) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(l, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                } == 0)
            try #require(listen(l, 4) == 0)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(l, $0, &len) } }
            port = UInt16(bigEndian: a.sin_port)
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(
                withUnsafePointer(to: &a) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                } == 0)
            return (l, c, accept(l, nil, nil), port)
        }
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_addr = in6addr_loopback
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(l, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        if rc != 0 { close(l); throw IPv6Unavailable() }
        try #require(listen(l, 4) == 0)
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(l, $0, &len) } }
        port = UInt16(bigEndian: a.sin6_port)
        let c = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        try #require(
            withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            } == 0)
        return (l, c, accept(l, nil, nil), port)
    }
    struct IPv6Unavailable: Error {}

    /// The local port a socket is bound to (v4 or v6), nil when it cannot be read.
    static func localPort(of fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return nil }
        return withUnsafePointer(to: &storage) { p in
            switch Int32(p.pointee.ss_family) {
            case AF_INET: p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6: p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default: nil
            }
        }
    }

    @Test("inet_diag sees the test's own TCP connection and listener, v4 and v6, filtered by remote port and state, as /proc/net/tcp does")
    func inetDiagLive() throws {
        for family in [AF_INET, AF_INET6] {
            let pair: (listener: Int32, client: Int32, server: Int32, port: UInt16)
            do { pair = try loopbackPair(family: family) } catch is IPv6Unavailable { continue }
            defer { close(pair.listener); close(pair.client); close(pair.server) }
            let host = family == AF_INET ? "127.0.0.1" : "::1"
            let myInodes = Set(try ProcFS.socketInodes(pid: getpid()))

            let clientPort = try #require(Self.localPort(of: pair.client))
            let toPort = try InetSockDiag.dumpTCP(states: [.established, .synSent], remotePort: pair.port)
            // The kernel's filter: every socket dumped has the listener's port as its remote port. Another test
            // or process may hold a connection to the same port number of another address (a v4 and a v6
            // listener can share a number): the client is the one from its own port to this address, and the
            // server's side (whose remote port is the client's) is not dumped.
            #expect(toPort.allSatisfy { $0.remotePort == pair.port }, "family \(family): \(toPort)")
            let ours = toPort.filter { $0.localPort == clientPort && $0.remoteAddress == host }
            #expect(ours.count == 1, "family \(family): \(toPort)")
            #expect(!toPort.contains { $0.localPort == pair.port && $0.remotePort == clientPort })
            let client = try #require(ours.first)
            #expect(client.state == .established && client.remotePort == pair.port && client.remoteAddress == host)
            #expect(client.isIPv6 == (family == AF_INET6))
            #expect(myInodes.contains(client.inode))

            // Another port: the kernel filters it out; a listen-only dump holds the listener, not the client.
            #expect(try InetSockDiag.dumpTCP(states: [.established], remotePort: pair.port &+ 1).allSatisfy { $0.inode != client.inode })
            let listening = try InetSockDiag.dumpTCP(states: [.listen])
            #expect(listening.contains { $0.localPort == pair.port && $0.localAddress == host && myInodes.contains($0.inode) })
            #expect(!listening.contains { $0.inode == client.inode })

            // The same socket, read the old way.
            let fromFiles = try SocketTables.readTCP().filter {
                $0.remotePort == pair.port && $0.localPort == clientPort && $0.state == .established && $0.remoteAddress == host
            }
            #expect(fromFiles.map(\.inode) == [client.inode])
            #expect(fromFiles.first?.localEndpoint == client.localEndpoint)
            // The public reader takes the netlink path on /proc and the files elsewhere; both agree.
            let read = try SocketTables.tcpSockets(states: [.established], remotePort: pair.port)
            #expect(read.allSatisfy { $0.remotePort == pair.port })
            #expect(read.filter { $0.localPort == clientPort && $0.remoteAddress == host }.map(\.inode) == [client.inode])
        }
    }

    @Test("inet_diag's UDP dump holds the test's own bound socket (state CLOSE) with its port and inode, and not its TCP ones")
    func udpDiagLive() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0)
        try #require(
            withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } } == 0)
        let port = UInt16(bigEndian: a.sin_port)
        var st = stat()
        try #require(fstat(fd, &st) == 0)
        let udp = try InetSockDiag.dumpUDP()
        let mine = try #require(udp.first { $0.inode == UInt64(st.st_ino) }, "\(udp.count) UDP sockets")
        #expect(mine.localPort == port && mine.localAddress == "127.0.0.1" && mine.state == .close)
        #expect(try !InetSockDiag.dumpTCP().contains { $0.inode == UInt64(st.st_ino) })
    }

    @Test("a split scan over a /proc tree with fewer pids than threads", arguments: [1, 2, 5, 9, 13])
    func splitScanFewPids(count: Int) throws {
        // A fake /proc: numbered directories with an exe link, comm and stat, like the kernel's.
        let root = NSTemporaryDirectory() + "bkdiag-fakeproc-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for pid in 100..<(100 + count) {
            let dir = "\(root)/\(pid)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let name = pid % 2 == 0 ? "bkunifylogbeat" : "sshd"
            try FileManager.default.createSymbolicLink(atPath: dir + "/exe", withDestinationPath: "/usr/local/gse/plugins/bin/\(name)")
            try FileManager.default.createSymbolicLink(atPath: dir + "/cwd", withDestinationPath: "/usr/local/gse/plugins/bin")
            try "\(name)\n".write(toFile: dir + "/comm", atomically: true, encoding: .utf8)
            let stat = "\(pid) (\(name)) S 1 \(pid) \(pid) 0 -1 4194560 0 0 0 0 5 3 0 0 20 0 1 0 1000 1000000 250 0 0 0"
            try stat.write(toFile: dir + "/stat", atomically: true, encoding: .utf8)
        }
        let scanner = ProcessScanner(proc: root)
        let serial = try scanner.find(names: ["bkunifylogbeat"], maxThreads: 1)
        #expect(serial.map(\.pid) == (100..<(100 + count)).filter { $0 % 2 == 0 }.map(Int32.init))
        for threads in [2, 4, 8] {
            let split = try scanner.find(names: ["bkunifylogbeat"], maxThreads: threads, parallelAbove: 0)
            #expect(split == serial, "\(threads) threads")
        }
    }

    @Test("the benchmark's scan floor (fake-bluek scan-floor) walks every pid the scanner walks and reads their exe links")
    func scanFloorHelper() throws {
        let p = try ProgramRun.run(BuildProducts.path("fake-bluek"), ["scan-floor"])
        let text = p.stdout
        #expect(p.status == 0)
        let scannerPids = try ProcessScanner().pids().count
        let words = text.split(whereSeparator: \.isWhitespace)
        try #require(words.count == 4 && words[0] == "pids" && words[2] == "exe_readable", "\(text)")
        let pids = try #require(Int(words[1]))
        let readable = try #require(Int(words[3]))
        // Other processes may start or exit between the two walks; the counts stay close.
        #expect(abs(pids - scannerPids) <= 25, "scan-floor \(pids) pids, scanner \(scannerPids)")
        // At least the test runner's own exe is readable; kernel threads have none.
        #expect(readable >= 1 && readable <= pids)
    }

    @Test("a fake BlueKing process whose parent is gone exits, so a killed test run leaves nothing behind")
    func fakeExitsWithItsParent() throws {
        // The shell starts the fake, prints its pid, gives it a second to start, and exits: the fake
        // is orphaned. (Not through Foundation's Process: the fake would inherit the descriptor
        // Process watches for the shell's exit, and waitUntilExit would wait for the fake.)
        let run = try BoundedChild.run(
            "/bin/sh", ["-c", "\"$0\" dataserver --port 0 >/dev/null 2>&1 & echo $!; sleep 1", BuildProducts.path("fake-bluek")],
            timeoutMs: 20_000)
        #expect(run.exitCode == 0)
        let pid = try #require(Int32(run.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run.output)")
        defer { kill(pid, SIGKILL) }
        var gone = false
        for _ in 0..<100 where !gone {
            usleep(50_000)
            // Gone, or a zombie waiting for its new parent to reap it: its exe link is gone either way.
            gone = (try? Sys.readlink("/proc/\(pid)/exe")) == nil
        }
        #expect(gone)
    }

    @Test("the scanner still finds a collector whose binary was deleted after it started, and says so")
    func scannerDeletedExe() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-del-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = dir + "/bin/bkunifylogbeat"
        try ExecutableFiles.copy(BuildProducts.path("fake-bluek"), to: exe)
        let p = try FakeProcess.launch(exe, ["collector"], cwd: dir + "/bin")
        defer { p.stop() }
        try FileManager.default.removeItem(atPath: exe)
        let found = try ProcessScanner().find(names: ["bkunifylogbeat"])
        let me = try #require(found.first { $0.pid == p.pid })
        #expect(me.exe == exe && me.exeDeleted)
        #expect(me.name == "bkunifylogbeat")
        // Names are whole base names: a prefix or a longer name does not match.
        #expect(try ProcessScanner().find(names: ["bkunifylog", "bkunifylogbeat2"]).allSatisfy { $0.pid != p.pid })
    }

    @Test("the scanner finds a process by its exe name and reads cwd, stat and fds; vanished ones are skipped")
    func scanner() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-scan-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = dir + "/bin/bkunifylogbeat"
        try ExecutableFiles.copy(BuildProducts.path("fake-bluek"), to: exe)
        let held = dir + "/held file.log"
        try "x".write(toFile: held, atomically: true, encoding: .utf8)
        let p = try FakeProcess.launch(exe, ["collector", "--hold", held], cwd: dir + "/bin")
        defer { p.stop() }

        // Short-lived processes racing the scan must never crash it.
        var racers: [Process] = []
        for _ in 0..<10 {
            let r = Process()
            r.executableURL = URL(fileURLWithPath: "/bin/true")
            try r.run()
            racers.append(r)
        }
        let found = try ProcessScanner().find(names: ["bkunifylogbeat"])
        // The same scan split across threads finds the same processes, in the same order.
        let split = try ProcessScanner().find(names: ["bkunifylogbeat"], maxThreads: 4, parallelAbove: 0)
        for r in racers { r.waitUntilExit() }
        #expect(split.map(\.pid).contains(p.pid))
        #expect(split.filter { $0.pid == p.pid } == found.filter { $0.pid == p.pid })
        #expect(split.map(\.pid) == split.map(\.pid).sorted())
        let me = try #require(found.first { $0.pid == p.pid })
        #expect(me.exe == exe)
        #expect(me.name == "bkunifylogbeat")
        #expect(me.comm == "bkunifylogbeat")
        #expect(me.cwd == dir + "/bin")
        #expect(me.stat?.numThreads ?? 0 >= 1)
        let fds = try ProcFS.fdTargets(pid: p.pid)
        #expect(fds.contains { $0.target == held })

        // After the process is gone it is not reported.
        p.stop()
        #expect(try ProcessScanner().find(names: ["bkunifylogbeat"]).allSatisfy { $0.pid != p.pid })
        #expect(throws: ProbeError.self) { try ProcFS.fdTargets(pid: p.pid) }
    }

    @Test("bounded child: output, exit code, and a hard kill at the timeout")
    func boundedChild() throws {
        let ok = try BoundedChild.run("/bin/echo", ["hello", "$(id)"], timeoutMs: 2000)
        #expect(ok.exitCode == 0 && ok.output == "hello $(id)\n" && !ok.timedOut)
        let slow = try BoundedChild.run("/bin/sleep", ["30"], timeoutMs: 200)
        #expect(slow.timedOut && slow.exitCode == nil)
        #expect(throws: ProbeError.self) { try BoundedChild.run("/nonexistent/bin", [], timeoutMs: 100) }
        // A descriptor opened without O_CLOEXEC stays ours: the child sees only 0, 1, 2 (and ls its own).
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked > 3)
        defer { close(leaked) }
        let fds = try BoundedChild.run("/bin/ls", ["/proc/self/fd"], timeoutMs: 2000)
        let listed = Set(fds.output.split(separator: "\n").map(String.init))
        #expect(!listed.contains(String(leaked)), "\(listed)")
        #expect(listed.isSuperset(of: ["0", "1", "2"]) && listed.count <= 4, "\(listed)")
    }

    /// bkdiag killed with SIGKILL mid-probe (a daemon killed by an operator, or by the OOM killer) cannot kill its
    /// probe: the kernel does, as PR_SET_PDEATHSIG asks when the thread that started it ends. A hung
    /// `gse_agent --healthz` was left running once per crash before (reparented to init).
    @Test("a child started in a session of its own dies with the thread that started it")
    func boundedChildDiesWithItsStarter() throws {
        let (readEnd, writeEnd) = try Sys.pipe(path: "test")
        defer { Sys.close(readEnd) }
        final class Box: @unchecked Sendable { var pid: pid_t = 0 }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let starter = Thread {
            box.pid = (try? Sys.spawn("/bin/sleep", arguments: ["30"], environment: [], output: writeEnd, newSession: true)) ?? -1
            done.signal()
        }
        starter.start()
        #expect(done.wait(timeout: .now() + 10) == .success)
        Sys.close(writeEnd)
        let pid = box.pid
        try #require(pid > 0)
        // The starting thread has returned and ended: the kernel kills the child (it would sleep 30 s).
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, let st = ProcFS.stat(pid: pid), st.state != "Z" { usleep(10_000) }
        let status = Sys.reap(pid, noHang: true)
        #expect(status & 0x7f == SIGKILL, "wait status \(status)")
    }

    @Test("a binary held open for writing: bounded child says ETXTBSY, and the tests' launcher waits it out")
    func textBusy() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-txt-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = dir + "/gse_agent"
        try ExecutableFiles.copy("/bin/true", to: exe)
        // An upgrade that keeps the binary open for writing: the spawn fails, and says why.
        let writer = open(exe, O_WRONLY | O_CLOEXEC)
        try #require(writer >= 0)
        #expect(throws: ProbeError(call: "execve", path: exe, errno: ETXTBSY)) {
            try BoundedChild.run(exe, [], timeoutMs: 1000)
        }
        // The tests' launcher (TestSpawn, under ProgramRun) retries until the writer is gone, and only while it is.
        let closer = Thread {
            usleep(150_000); close(writer)
        }
        closer.start()
        let started = Date()
        let p = try ProgramRun.run(exe, timeout: 10)
        #expect(p.status == 0 && !p.timedOut)
        #expect(Date().timeIntervalSince(started) >= 0.1, "it ran before the writer was gone")
        let ok = try BoundedChild.run(exe, [], timeoutMs: 1000)
        #expect(ok.exitCode == 0)
        // Other failures are not retried.
        let missing = Date()
        #expect(throws: (any Error).self) { try ProgramRun.run(dir + "/missing") }
        #expect(Date().timeIntervalSince(missing) < 1)
    }

    @Test("bounded reads: limit, tail, and /proc files of size 0")
    func boundedReads() throws {
        let path = NSTemporaryDirectory() + "bkdiag-read-\(UUID().uuidString.prefix(6))"
        try String(repeating: "abcdefghij", count: 1000).write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let head = try FileReader.read(path, limit: 25)
        #expect(head.truncated && head.bytes.count == 25 && head.text.hasPrefix("abcdefghijabc"))
        let tail = try FileReader.tail(path, limit: 15)
        #expect(tail.truncated && tail.text == "fghijabcdefghij")
        let all = try FileReader.read(path, limit: 1 << 20)
        #expect(!all.truncated && all.bytes.count == 10_000)
        #expect(try FileReader.read("/proc/self/stat", limit: 4096).bytes.count > 10)
        #expect(throws: ProbeError.self) { try FileReader.read("/nonexistent/file") }
        // A FIFO with no writer must not hang: opened non-blocking, read returns EOF.
        let fifo = path + ".fifo"
        mkfifo(fifo, 0o600)
        defer { unlink(fifo) }
        #expect(try FileReader.read(fifo, limit: 10).bytes.isEmpty)
        // It has no end to read back from: a tail read refuses it, not read as empty.
        #expect(throws: ProbeError(call: "read", path: fifo, errno: EINVAL)) { try FileReader.tail(fifo, limit: 15) }
    }

    @Test("a file's birth time comes from statx where the file system keeps one, and is not its mtime")
    func birthTime() throws {
        let path = NSTemporaryDirectory() + "bkdiag-birth-\(UUID().uuidString.prefix(6))"
        let before = Int64(Date().timeIntervalSince1970) - 1
        try "x".write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        #expect(Sys.birthTime(path + ".missing") == nil)
        // Where the temp directory's file system keeps no birth time (tmpfs before Linux 5.x, NFS), nil is
        // the honest answer; the rules then judge by mtime alone.
        guard let born = Sys.birthTime(path) else { return }
        #expect(born >= before && born <= Int64(Date().timeIntervalSince1970) + 1)
        // A later write moves the mtime, not the birth time.
        var times = [timespec(tv_sec: Int(born) + 3600, tv_nsec: 0), timespec(tv_sec: Int(born) + 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(try Sys.stat(path).mtime == born + 3600)
        #expect(Sys.birthTime(path) == born)
    }
}
