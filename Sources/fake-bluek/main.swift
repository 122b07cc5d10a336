import BoltWriter

// A stand-in for bkunifylogbeat, gse_agent and a GSE dataserver, spawned by the tests to play a
// BlueKing host with real processes and sockets. Copied to `plugins/bin/bkunifylogbeat` or
// `agent/bin/gse_agent` so that /proc/<pid>/exe carries the real name.
//
//   collector --ipc PATH [--hold FILE]... [--hold-hex HEX]... [--write-bytes N] [--lock FILE] [--syslog-udp PORT]
//                                     (--hold-hex: a path given as the hex of its bytes, for names
//                                      that are not UTF-8 and cannot pass through a Swift String;
//                                      --lock: flock(LOCK_EX) on FILE, as bolt.Open does to the registry;
//                                      --syslog-udp: a UDP socket bound to 127.0.0.1:PORT, as a syslog input's
//                                      server binds its address)
//   agent --listen PATH [--no-read] [--no-accept] [--connect PORT]
//                                     (--no-accept: listens, and never accepts: an agent whose accept loop hung)
//   dataserver --port PORT            (0: pick one; prints "port N")
//   <any> -f CONF --healthz 1         (GSE 2 agent probe: healthy unless CONF contains "unhealthy";
//                                      "noisy" in CONF prints ~1 KB of log lines before the result;
//                                      "linger" starts a child that outlives the probe in its process
//                                      group, "escape" one in a group of its own, both appending their
//                                      pids to linger.pids beside CONF; "hang" prints "ready" and never
//                                      answers (60 s at most); a CONF
//                                      it cannot read fails, as the real agent's does)
//   linger                            (sleeps 60 s; what a lingering probe child runs)
//   respawn [--pause-ms N] -- BIN ARGS...  (N at most 60,000)
//                                     (runs BIN again each time it exits, N ms later, until its own parent
//                                      is gone: a supervisor restarting a collector that keeps exiting)
//   zombie-parent --child BIN         (starts BIN, which exits at once, and leaves it unreaped until
//                                      SIGUSR1 or until its own parent is gone; prints "child N")
//   collector --follow FILE... --registry DB [--dataid N] [--flush-ms N] [--stall read|ack|registry]
//                                     (a collector that makes progress: every flush it reads what was
//                                      appended to each FILE through an fd it keeps open, sends it over
//                                      --ipc, and rewrites DB, a bolt registry held under flock(LOCK_EX)
//                                      as libgse does: localtime, state:<inode>-<device> with the offset
//                                      read, gseindex_<dataid> counting lines. --stall read: reads once,
//                                      then never again; ack: reads, but the registry offsets stay where
//                                      they were at start; registry: writes DB once, then never again;
//                                      output: after the first round reads one 16 KiB buffer and never
//                                      reads, sends or acknowledges again (a harvester behind a blocked output).
//                                      --close-after-ms N: N ms after start it closes every FILE, as a
//                                      harvester does at close_inactive, and keeps writing their states.
//                                      --states-from LIST: LIST names a file per line that a harvester
//                                      read to its end and closed before the start: its state is written
//                                      at every flush, at the size it had at start, and it is not held;
//                                      Scripts/bench.sh's registry of 100,000 files)
//   collector|agent --exit-after-ms N ...
//                                     (exits with status 1 N ms (at most 60,000) after it is ready: a process
//                                      that crashes)
//   collector --vfork-hang ...        (once ready, the collector waits in a vfork, state D, behind a
//                                      child that never execs, until it is killed)
//   scan-floor                        (benchmark floor: list /proc and readlinkat every <pid>/exe, nothing
//                                      else; prints the pid count. Scripts/bench.sh times it like bkdiag)
//   clients --socket PATH [--idle N] [--readers N] [--target T]
//                                     (Scripts/bench-daemon.sh: N connections to bkdiag's socket that send
//                                      nothing, N that send `GET T` and never read the answer)
// Every long-running mode prints "ready" on stdout once set up, then runs until SIGTERM/SIGKILL or
// until its parent is gone.
#if canImport(Glibc)
    import Glibc
#endif

// The Go build ID note every build of the real collector carries (`.note.go.buildid`: name size 4, descriptor
// size 8, type 4, owner "Go\0\0", then the ID), so that bkdiag's bin_file takes this stand-in, copied to
// plugins/bin/bkunifylogbeat, for a Go program as it does the real one. It holds no Go build information.
// `@section`/`@used` came in Swift 6.3: an older compiler builds the stand-in without the note (and bin_file
// then warns on fake hosts that it is no Go program).
#if compiler(>=6.3)
    @section(".note.go.buildid") @used
    let goBuildIDNote: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (4, 8, 4, 0x0000_6f47, 0x6b2d_6b62, 0x0065_6b61)
#endif

let args = Array(CommandLine.arguments.dropFirst())

func value(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func values(_ flag: String) -> [String] {
    var out: [String] = []
    var i = 0
    while i < args.count {
        if args[i] == flag, i + 1 < args.count { out.append(args[i + 1]); i += 2 } else { i += 1 }
    }
    return out
}

func say(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

func die(_ s: String) -> Never {
    let line = "fake-bluek: " + s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

func unixAddress(_ path: String) -> (sockaddr_un, socklen_t) {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { die("socket path too long: \(path)") }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        for (i, b) in bytes.enumerated() { raw[i] = b }
        raw[bytes.count] = 0
    }
    return (addr, socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1))
}

func connectUnix(_ path: String, waitMs: Int = 5000) -> Int32 {
    var waited = 0
    while true {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (addr, len) = unixAddress(path)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        if rc == 0 { return fd }
        close(fd)
        if waited >= waitMs { die("cannot connect to \(path): errno \(errno)") }
        usleep(20_000)
        waited += 20
    }
}

func tcpSocket(port: UInt16, listen doListen: Bool) -> (Int32, UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    if doListen {
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { die("bind 127.0.0.1:\(port): errno \(errno)") }
        guard listen(fd, 64) == 0 else { die("listen: errno \(errno)") }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: bound.sin_port))
    }
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { die("connect 127.0.0.1:\(port): errno \(errno)") }
    return (fd, port)
}

/// Accepts on `listener` and either drains clients or leaves their data unread, forever.
/// Accepts on `listener` (at most `acceptMax` connections, then no more: an agent whose accept fails, out of
/// file descriptors, while it still reads what it has) and reads the clients unless `read` is false.
func serve(_ listener: Int32, read: Bool, acceptMax: Int = .max) -> Never {
    var clients: [Int32] = []
    var accepted = 0
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        // The listener is polled first, while it still accepts; the readable clients follow.
        let accepting = accepted < acceptMax
        var pfds = accepting ? [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)] : []
        if read { pfds += clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
        if pfds.isEmpty {
            pause()
            continue
        }
        let n = poll(&pfds, nfds_t(pfds.count), 1000)
        if n <= 0 { continue }
        if accepting && pfds[0].revents & Int16(POLLIN) != 0 {
            let c = accept(listener, nil, nil)
            if c >= 0 {
                clients.append(c)
                accepted += 1
            }
        }
        if read {
            for p in pfds.dropFirst(accepting ? 1 : 0) where p.revents != 0 {
                let r = buf.withUnsafeMutableBytes { Glibc.read(p.fd, $0.baseAddress, $0.count) }
                if r <= 0 {
                    close(p.fd)
                    clients.removeAll { $0 == p.fd }
                }
            }
        }
    }
}

signal(SIGPIPE, SIG_IGN)

/// Starts this binary as `linger`, stdio on /dev/null, in its own process group when `ownGroup`;
/// appends its pid to `pidFile`.
func spawnLinger(pidFile: String, ownGroup: Bool) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    if ownGroup {
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(CommandLine.arguments[0]), strdup("linger"), nil]
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, environ) == 0 else { die("cannot spawn linger") }
    guard let f = fopen(pidFile, "a") else { die("cannot open \(pidFile)") }
    fputs("\(pid)\n", f)
    fclose(f)
}

if args.contains("--healthz") {
    var healthy = true
    var noisy = false
    var hang = false
    if let conf = value("-f") {
        guard let f = fopen(conf, "r") else {
            say("healthz: cannot open \(conf): errno \(errno)")
            exit(2)
        }
        var line = [CChar](repeating: 0, count: 4096)
        let pidFile = String(conf[..<(conf.lastIndex(of: "/") ?? conf.startIndex)]) + "/linger.pids"
        while fgets(&line, 4096, f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.contains("unhealthy") { healthy = false }
            if text.contains("noisy") { noisy = true }
            if text.contains("hang") { hang = true }
            if text.contains("linger") { spawnLinger(pidFile: pidFile, ownGroup: false) }
            if text.contains("escape") { spawnLinger(pidFile: pidFile, ownGroup: true) }
        }
        fclose(f)
    }
    if hang {
        say("ready")  // for a test that starts a probe of its own as a stand-in for another bkdiag's
        alarm(60)  // never outlives a test run for long, even when nothing kills it
        while true { pause() }
    }
    if noisy {
        for i in 0..<16 { say("[2026-01-01 00:00:0\(i % 10)] INFO healthz: loading module \(i) of the agent configuration ...") }
    }
    if healthy {
        say(#"healthz:{"ok":true,"data":{"base":"ok","cluster":"ok","data":"ok","file":"ok"}}"#)
        exit(0)
    }
    say(#"healthz:{"ok":false,"data":{"base":"ok","cluster":"failed","data":"failed","file":"ok"}}"#)
    exit(1)
}

/// Exits once the process that spawned this one is gone (a test run killed part-way), so no fake
/// collector or agent outlives its test and is taken for a real one by the next run or the benchmark.
func exitWithParent() {
    let parent = getppid()
    // Orphaned before it got here (no test runner is pid 1).
    if parent == 1 { _exit(0) }
    var thread = pthread_t()
    _ = pthread_create(
        &thread, nil,
        { arg in
            let parent = pid_t(truncatingIfNeeded: Int(bitPattern: arg))
            while true {
                usleep(300_000)
                if getppid() != parent { _exit(0) }
            }
        }, UnsafeMutableRawPointer(bitPattern: Int(parent)))
}

if ["collector", "agent", "dataserver", "clients"].contains(args.first ?? "") { exitWithParent() }

/// Blocks the calling thread in vfork (the kernel shows the process in state D, a killable wait)
/// behind a child that never execs; the child exits when this process is gone. vfork is looked up at
/// run time: Swift does not import it.
func vforkHang() {
    typealias VFork = @convention(c) () -> pid_t
    guard let symbol = dlsym(nil, "vfork") else { die("no vfork") }
    let vfork = unsafeBitCast(symbol, to: VFork.self)
    let parent = getpid()
    if vfork() == 0 {
        // The child: only async-signal-safe calls, never a return from here.
        while getppid() == parent { usleep(100_000) }
        _exit(0)
    }
}

/// UTC time as Go's RFC 3339 with nanoseconds (how filebeat's state timestamps reach the registry).
func rfc3339(_ ts: timespec) -> String {
    var t = ts.tv_sec
    var tm = Glibc.tm()
    gmtime_r(&t, &tm)
    var buf = [CChar](repeating: 0, count: 64)
    strftime(&buf, 64, "%Y-%m-%dT%H:%M:%S", &tm)
    let frac = String(ts.tv_nsec + 1_000_000_000).dropFirst()
    return String(cString: buf) + "." + frac + "Z"
}

/// Local time as Go's `time.UnixDate` (the registry's `localtime` heartbeat).
func unixDate(_ ts: timespec) -> String {
    var t = ts.tv_sec
    var tm = Glibc.tm()
    localtime_r(&t, &tm)
    var buf = [CChar](repeating: 0, count: 64)
    strftime(&buf, 64, "%a %b %e %H:%M:%S %Z %Y", &tm)
    return String(cString: buf)
}

/// The lines of a file (a list of paths), empty lines left out.
func readLines(_ path: String) -> [String] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { die("cannot open \(path): errno \(errno)") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
}

/// The progress collector's loop (see the header): never returns.
func progressLoop(registry: String, follow: [String], ipc: Int32) -> Never {
    let stall = value("--stall") ?? ""
    let dataid = value("--dataid") ?? "1500123"
    let flushMs = UInt32(value("--flush-ms") ?? "200") ?? 200
    let closeAfterMs = value("--close-after-ms").flatMap { Int64($0) }
    // Held like libgse's bolt.Open: an exclusive lock for the collector's whole life.
    let db = open(registry, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
    guard db >= 0 else { die("cannot open \(registry): errno \(errno)") }
    guard flock(db, LOCK_EX | LOCK_NB) == 0 else { die("cannot lock \(registry): errno \(errno)") }
    if ipc >= 0 { _ = fcntl(ipc, F_SETFL, fcntl(ipc, F_GETFL) | O_NONBLOCK) }
    struct Followed {
        var fd: Int32
        var inode: UInt64
        var device: UInt64
        var source: String
        var acked: Int64
        var ackedAt: timespec
        /// `--stall output`: read one buffer past the acknowledged offset and now waits on the output.
        var blocked = false
    }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let started = now
    var files: [Followed] = follow.map { path in
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { die("cannot open \(path): errno \(errno)") }
        var st = stat()
        fstat(fd, &st)
        return Followed(fd: fd, inode: UInt64(st.st_ino), device: UInt64(st.st_dev), source: path, acked: 0, ackedAt: now)
    }
    // Files read to their end and closed before the start (`--states-from`): a state each, never held.
    var closedStates: [(key: String, value: String)] = []
    if let list = value("--states-from") {
        for path in readLines(list) {
            var st = stat()
            guard stat(path, &st) == 0 else { die("cannot stat \(path): errno \(errno)") }
            let state = BoltTestWriter.stateJSON(
                source: path, offset: Int64(st.st_size), timestamp: rfc3339(now), inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
            closedStates.append(("state:\(st.st_ino)-\(st.st_dev)", state))
        }
        // A followed file's state is its harvester's.
        let followed = Set(files.map { "state:\($0.inode)-\($0.device)" })
        closedStates.removeAll { followed.contains($0.key) }
    }
    var lines: UInt64 = 0
    var txid: UInt64 = 2
    var buffer = [UInt8](repeating: 0, count: 65536)
    var round = 0
    while true {
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds: Int64 = Int64(now.tv_sec) - Int64(started.tv_sec)
        let nanoseconds: Int64 = Int64(now.tv_nsec) - Int64(started.tv_nsec)
        if let ms = closeAfterMs, seconds * 1000 + nanoseconds / 1_000_000 >= ms {
            for i in files.indices where files[i].fd >= 0 {
                close(files[i].fd)
                files[i].fd = -1
            }
        }
        if stall == "output" && round > 0 {
            // A harvester behind a blocked output: it reads one buffer (the fork's 16 KiB), hands its first line to
            // the output and waits there; nothing more is read, sent or acknowledged.
            for i in files.indices where files[i].fd >= 0 && !files[i].blocked {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(files[i].fd, $0.baseAddress, 16384) }
                if n > 0 { files[i].blocked = true }
            }
        } else if !(stall == "read" && round > 0) {
            for i in files.indices where files[i].fd >= 0 {
                while true {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(files[i].fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    lines += UInt64(buffer[0..<n].filter { $0 == 0x0A }.count)
                    // write(2), as Go's net package does: it counts in /proc/<pid>/io wchar (send(2) would not).
                    if ipc >= 0 { _ = buffer.withUnsafeBytes { Glibc.write(ipc, $0.baseAddress, n) } }
                }
                if !(stall == "ack" && round > 0) {
                    let pos = Int64(lseek(files[i].fd, 0, SEEK_CUR))
                    if pos != files[i].acked {
                        files[i].acked = pos
                        files[i].ackedAt = now
                    }
                }
            }
        }
        if !(stall == "registry" && round > 0) {
            var values: [(key: String, value: String)] = [("localtime", unixDate(now)), ("gseindex_\(dataid)", String(lines))]
            values += closedStates
            for f in files {
                let state = BoltTestWriter.stateJSON(
                    source: f.source, offset: f.acked, timestamp: rfc3339(f.ackedAt), inode: f.inode, device: f.device)
                values.append(("state:\(f.inode)-\(f.device)", state))
            }
            values.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            txid += 1
            // Pages first, then the meta page, as a bolt commit does; the reader retries a meta that moved.
            let bytes = BoltTestWriter.registry(values, txid: txid)
            let page = 4096
            _ = bytes.withUnsafeBytes { pwrite(db, $0.baseAddress! + 2 * page, bytes.count - 2 * page, off_t(2 * page)) }
            fdatasync(db)
            _ = bytes.withUnsafeBytes { pwrite(db, $0.baseAddress!, 2 * page, 0) }
            fdatasync(db)
        }
        round += 1
        usleep(flushMs * 1000)
    }
}

/// `--exit-after-ms N`: exits with status 1 N ms after it is ready (a collector or agent that crashes).
func exitAfterIfAsked() {
    guard let ms = value("--exit-after-ms").flatMap({ UInt32($0) }) else { return }
    usleep(min(ms, 60_000) * 1000)
    exit(1)
}

/// Set by SIGUSR1: the test is done with a zombie.
nonisolated(unsafe) var released: sig_atomic_t = 0

switch args.first {
case "linger":
    alarm(60)  // never outlives a test run for long, even when nothing kills it
    while true { pause() }
case "zombie-parent":
    guard let child = value("--child") else { die("zombie-parent needs --child") }
    signal(SIGUSR1) { _ in released = 1 }
    // The spawning thread's mask is inherited: a test runner may block SIGUSR1 for its own handling.
    var usr1 = sigset_t()
    sigemptyset(&usr1)
    sigaddset(&usr1, SIGUSR1)
    sigprocmask(SIG_UNBLOCK, &usr1, nil)
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(child), strdup("exit-now"), nil]
    var pid: pid_t = 0
    guard posix_spawn(&pid, child, nil, nil, argv, environ) == 0 else { die("cannot spawn \(child)") }
    say("child \(pid)")
    say("ready")
    let parent = getppid()
    // Never reaped until released or orphaned; then reaped, so no zombie outlives the test.
    while released == 0 && getppid() == parent { usleep(50_000) }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    say("reaped")
    while getppid() == parent { usleep(100_000) }
    exit(0)
case "exit-now":
    exit(0)
case "respawn":
    // A supervisor of its own: runs the command after `--` again each time it exits (as gse_agent starts a
    // plugin it hosts again), its stdout thrown away. Ends, with the last child left to exit on its own,
    // once its parent is gone.
    guard let dash = args.firstIndex(of: "--"), dash + 1 < args.count else { die("respawn needs -- BIN ARGS...") }
    let command = Array(args[(dash + 1)...])
    // Its own flags only: those after `--` are the child's.
    let own = args[..<dash]
    let pause = own.firstIndex(of: "--pause-ms").flatMap { $0 + 1 < dash ? own[$0 + 1] : nil }
    let pauseMs = min(UInt32(pause ?? "0") ?? 0, 60_000)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    let parent = getppid()
    var first = true
    while getppid() == parent {
        var pid: pid_t = 0
        guard posix_spawn(&pid, command[0], &actions, nil, argv, environ) == 0 else { die("cannot spawn \(command[0])") }
        if first {
            say("ready")
            first = false
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        usleep(pauseMs * 1000)
    }
    exit(0)
case "collector":
    var held: [Int32] = []
    for path in values("--hold") {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { die("cannot open \(path): errno \(errno)") }
        held.append(fd)
    }
    for hex in values("--hold-hex") {
        let digits = Array(hex.utf8)
        var bytes: [CChar] = stride(from: 0, to: digits.count - 1, by: 2).compactMap { i in
            UInt8(String(decoding: digits[i...(i + 1)], as: UTF8.self), radix: 16).map { CChar(bitPattern: $0) }
        }
        bytes.append(0)
        let fd = open(bytes, O_RDONLY)
        guard fd >= 0 else { die("cannot open hex path \(hex): errno \(errno)") }
        held.append(fd)
    }
    if let path = value("--lock") {
        let fd = open(path, O_RDWR | O_CREAT, 0o640)
        guard fd >= 0 else { die("cannot open \(path): errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { die("cannot lock \(path): errno \(errno)") }
        held.append(fd)
    }
    if let p = value("--syslog-udp"), let port = UInt16(p) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, rc == 0 else { die("bind udp 127.0.0.1:\(port): errno \(errno)") }
        held.append(fd)
    }
    var conn: Int32 = -1
    if let ipc = value("--ipc") {
        conn = connectUnix(ipc)
        let n = Int(value("--write-bytes") ?? "0") ?? 0
        if n > 0 {
            // Non-blocking, so a full queue never stalls the fake.
            _ = fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK)
            let chunk = [UInt8](repeating: 0x61, count: n)
            _ = chunk.withUnsafeBytes { send(conn, $0.baseAddress, n, 0) }
        }
    }
    say("ready")
    exitAfterIfAsked()
    if args.contains("--vfork-hang") { vforkHang() }
    if let registry = value("--registry") { progressLoop(registry: registry, follow: values("--follow"), ipc: conn) }
    while true { pause() }
case "agent":
    var listener: Int32 = -1
    if let path = value("--listen") {
        unlink(path)
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (addr, len) = unixAddress(path)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        guard rc == 0 else { die("bind \(path): errno \(errno)") }
        guard listen(listener, 128) == 0 else { die("listen: errno \(errno)") }
    }
    var data: Int32 = -1
    if let p = value("--connect"), let port = UInt16(p) {
        data = tcpSocket(port: port, listen: false).0
    }
    _ = data
    say("ready")
    exitAfterIfAsked()
    if listener >= 0 && !args.contains("--no-accept") {
        serve(listener, read: !args.contains("--no-read"), acceptMax: value("--accept-max").flatMap { Int($0) } ?? .max)
    }
    while true { pause() }
case "dataserver":
    let (fd, port) = tcpSocket(port: UInt16(value("--port") ?? "0") ?? 0, listen: true)
    say("port \(port)")
    say("ready")
    if args.contains("--close-accepted") {
        // A dataserver that ends every connection at once (restarting, or an idle timeout on the way).
        while true {
            let c = accept(fd, nil, nil)
            if c >= 0 { close(c) }
        }
    }
    serve(fd, read: true)
case "clients":
    guard let path = value("--socket") else { die("clients needs --socket PATH") }
    let target = value("--target") ?? "/history?since=0&limit=1000"
    var held: [Int32] = []
    for _ in 0..<(Int(value("--readers") ?? "0") ?? 0) {
        let fd = connectUnix(path)
        let request = "GET \(target) HTTP/1.1\r\nHost: bkdiag\r\nConnection: close\r\n\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        held.append(fd)
    }
    for _ in 0..<(Int(value("--idle") ?? "0") ?? 0) { held.append(connectUnix(path)) }
    say("ready")
    while true { pause() }
case "scan-floor":
    // The least kernel work any complete process scan does: one getdents walk of /proc and one
    // readlinkat of /proc/<pid>/exe per pid (what bkdiag's ProcessScanner does before matching).
    guard let dir = opendir("/proc") else { die("opendir /proc: errno \(errno)") }
    let procFD = dirfd(dir)
    var link = [CChar](repeating: 0, count: Int(PATH_MAX))
    var path = [CChar](repeating: 0, count: 64)
    let leaf = Array("/exe".utf8CString)
    var pids = 0
    var readable = 0
    while let entry = readdir(dir) {
        // Copy "<pid>" then "/exe\0" into one reused buffer: nothing is allocated per pid.
        var i = 0
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            while i < 40, raw[i] != 0 { path[i] = CChar(bitPattern: raw[i]); i += 1 }
        }
        guard i > 0, path[0] >= 0x30, path[0] <= 0x39 else { continue }
        for b in leaf { path[i] = b; i += 1 }
        pids += 1
        if readlinkat(procFD, path, &link, link.count) > 0 { readable += 1 }
    }
    closedir(dir)
    say("pids \(pids) exe_readable \(readable)")
default:
    die("usage: fake-bluek collector|agent|dataserver|scan-floor ... (see the source)")
}
