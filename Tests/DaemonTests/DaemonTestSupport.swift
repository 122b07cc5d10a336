import Daemon
import Report
import Synchronization
import SystemLayer
import TestSupport

#if canImport(Glibc)
    import CSpawn
    import Glibc
#endif

/// A fresh temp directory, removed by `remove()`; short so unix socket paths fit in 108 bytes.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/bkd-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) {
        let fd = open(sub(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        var t = text
        t.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func remove() { _ = try? ProgramRun.run("/bin/rm", ["-rf", path], timeout: 60) }
}

/// Sleeps the calling task.
func sleepMs(_ ms: Int) async {
    // On a thread of its own: a `Task.sleep` wakes through a Dispatch thread, and tests that hold Dispatch's
    // queue (`HeldDispatchQueue`) or block its threads stretched a short sleep by seconds on a loaded run.
    _ = try? await onOwnThread { usleep(UInt32(max(0, ms)) * 1000) }
}

/// Polls `condition` every 20 ms until it holds or `timeoutMs` passes.
func eventually(timeoutMs: Int = 10_000, _ condition: () async -> Bool) async -> Bool {
    let end = Timestamp.monotonicSeconds() + Double(timeoutMs) / 1000
    while Timestamp.monotonicSeconds() < end {
        if await condition() { return true }
        await sleepMs(20)
    }
    return await condition()
}

/// The `bkdiag` executable built beside the test bundle.
enum BuiltBinary {
    static var path: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var dir = Sys.dirname(exe)
        // The test bundle may be inside `<name>.xctest/` or beside the products.
        for _ in 0..<3 {
            if access(dir + "/bkdiag", X_OK) == 0 { return dir + "/bkdiag" }
            dir = Sys.dirname(dir)
        }
        return Sys.dirname(exe) + "/bkdiag"
    }

    static var exists: Bool { access(path, X_OK) == 0 }
}

/// A child process started with posix_spawn, stdout and stderr in files.
final class ChildProcess: Sendable {
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    private let reaped = Mutex<Int32?>(nil)

    /// - Parameter passFD: a descriptor the child gets as fd 3 (a listening socket, as systemd passes it).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], outputDir: String, name: String,
        passFD: Int32? = nil
    ) {
        stdoutPath = outputDir + "/\(name).out"
        stderrPath = outputDir + "/\(name).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else of the test runner's: a daemon that lives for seconds must not hold other tests'
        // descriptors (a binary being copied, Foundation's watch on another child's exit).
        if let fd = passFD {
            posix_spawn_file_actions_adddup2(&actions, fd, 3)
            posix_spawn_file_actions_addclosefrom_np(&actions, 4)
        } else {
            posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        var env: [String: String] = [:]
        var e = environ
        while let p = e.pointee {
            let s = String(cString: p)
            if let eq = s.firstIndex(of: "=") {
                let k = String(s[..<eq])
                // Never let the test runner's own systemd context leak into the daemon under test.
                if !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"].contains(k) {
                    env[k] = String(s[s.index(after: eq)...])
                }
            }
            e += 1
        }
        for (k, v) in environment { env[k] = v }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for a in argv { free(a) }
            for a in envp { free(a) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, &argv, &envp)
        precondition(rc == 0, "posix_spawn \(executable) failed: \(rc)")
        pid = child
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for exit; returns the raw wait status, nil on timeout.
    func wait(timeoutMs: Int = 10_000) async -> Int32? {
        if let s = reaped.withLock({ $0 }) { return s }
        let end = Timestamp.monotonicSeconds() + Double(timeoutMs) / 1000
        while Timestamp.monotonicSeconds() < end {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                reaped.withLock { $0 = status }
                return status
            }
            await sleepMs(10)
        }
        // A last look: on a loaded run the sleep above can end past the deadline, long after the child did.
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped.withLock { $0 = status }
            return status
        }
        return nil
    }

    /// Exit code when it exited normally.
    static func exitCode(_ status: Int32) -> Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }

    func stop() async {
        if reaped.withLock({ $0 }) != nil { return }
        signal(SIGTERM)
        if await wait(timeoutMs: 5000) == nil {
            signal(SIGKILL)
            _ = await wait(timeoutMs: 5000)
        }
    }

    var stdout: String { (try? Sys.readFile(stdoutPath)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
    var stderr: String { (try? Sys.readFile(stderrPath)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET; collects the messages.
final class NotifyListener: Sendable {
    let path: String
    let fd: Int32

    init(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(path.utf8)
            raw.copyBytes(from: b)
            raw[b.count] = 0
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(r == 0, "bind \(path) failed")
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Messages that arrive within `timeoutMs`, until `until` holds for the list so far (off the cooperative pool).
    func collect(timeoutMs: Int, until: @escaping @Sendable ([String]) -> Bool) async -> [String] {
        (try? await blocking { self.collectBlocking(timeoutMs: timeoutMs, until: until) }) ?? []
    }

    func collectBlocking(timeoutMs: Int, until: ([String]) -> Bool) -> [String] {
        var out: [String] = []
        let end = Timestamp.monotonicSeconds() + Double(timeoutMs) / 1000
        var buf = [UInt8](repeating: 0, count: 8192)
        while Timestamp.monotonicSeconds() < end && !until(out) {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out.append(String(decoding: buf[0..<n], as: UTF8.self)) }
        }
        return out
    }

    deinit { close(fd) }
}

/// Reports made by hand for the tests that inject a producer.
enum Reports {
    static func make(_ verdicts: [(String, String, Verdict)], at ms: Int64 = Timestamp.nowMilliseconds()) -> DiagnosticReport {
        DiagnosticReport(
            results: verdicts.map { CheckResult(module: $0.0, item: $0.1, verdict: $0.2, message: "\($0.1) is \($0.2.rawValue)") },
            version: "test", generatedAtMs: ms, durationMs: 1)
    }
}

/// Runs a blocking call (socket I/O, waitpid) on a thread of its own (see `onOwnThread`).
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await onOwnThread(body)
}

/// `UnixHTTPClient.request` off the cooperative pool.
func httpRequest(socket: String, method: String = "GET", target: String, timeoutMs: Int = 30000) async throws -> UnixHTTPClient.Response {
    try await blocking { try UnixHTTPClient.request(socket: socket, method: method, target: target, timeoutMs: timeoutMs) }
}

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`), nil when the process or the field is gone.
func procStatusKB(_ pid: pid_t, _ field: String) -> Int? {
    guard let bytes = try? Sys.readFile("/proc/\(pid)/status", limit: 64 * 1024) else { return nil }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }
    return nil
}

/// Names, types and bytes of every file in a directory, to compare before and after.
func snapshot(_ dir: String) -> [String] {
    ((try? Sys.listDirectory(dir)) ?? []).sorted().map { name in
        let path = dir + "/" + name
        let st = Sys.lstatIfPresent(path)
        let kind = st.map { $0.isRegular ? "file" : "other" } ?? "gone"
        let bytes = kind == "file" ? ((try? Sys.readFile(path, limit: 64 << 20)) ?? []) : []
        return "\(name) \(kind) \(st?.size ?? -1) crc=\(Zlib.crc32(bytes[...]))"
    }
}
