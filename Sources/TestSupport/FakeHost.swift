import CSpawn
import Foundation
import HostProbe

/// A failure while building a fake host; the message says what and where.
public struct FakeHostError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A spawned fake process (collector, agent or dataserver), started and reaped by the test itself
/// (`TestSpawn`, not Foundation's `Process`).
public final class FakeProcess: @unchecked Sendable {
    // @unchecked: the state below is only touched by the owning test.
    public let pid: Int32
    /// The read end of the fake's stdout, where it says "ready".
    private let output: Int32
    private var reaped = false
    /// What the process printed before "ready" (e.g. "port N").
    public private(set) var banner: [String] = []

    init(pid: Int32, output: Int32) {
        self.pid = pid
        self.output = output
    }

    deinit {
        stop()
        close(output)
    }

    /// Starts `binary` with `arguments` from `cwd` (stdout piped, for "ready"; stderr the test
    /// runner's; stdin /dev/null) and waits until it is ready. It leads a process group of its own, as
    /// Foundation's children did: in the runner's group, a fake a test stops (SIGSTOP) would be killed
    /// by the SIGHUP the kernel sends to the stopped members of a group that becomes orphaned (seen when
    /// the runner was started from a detached script). `argv0` is what it is called (default: `binary`).
    public static func launch(_ binary: String, _ arguments: [String], cwd: String, argv0: String? = nil) throws -> FakeProcess {
        var fds: [Int32] = [0, 0]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { throw FakeHostError("pipe: errno \(errno)") }
        let pid: Int32
        do {
            pid = try TestSpawn.spawn(
                binary, ([argv0 ?? binary] + arguments).map { Array($0.utf8) },
                environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, stdin: .file("/dev/null"),
                stdout: .descriptor(fds[1]), stderr: .inherit, directory: cwd, ownGroup: true)
        } catch {
            close(fds[0])
            close(fds[1])
            throw FakeHostError("\(error)")
        }
        close(fds[1])
        let fp = FakeProcess(pid: pid, output: fds[0])
        do {
            try fp.waitReady(binary: binary, arguments: arguments)
        } catch {
            fp.stop()
            throw error
        }
        return fp
    }

    /// Whether the process has not exited (reaping it if it has).
    private var isRunning: Bool {
        if reaped { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
        return !reaped
    }

    /// Waits until the process prints "ready" (or dies, or `timeout` passes).
    func waitReady(binary: String, arguments: [String], timeout: Double = 10) throws {
        var buffer = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pfd = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) > 0 {
                var bytes = [UInt8](repeating: 0, count: 4096)
                let n = read(output, &bytes, 4096)
                if n <= 0 { break }
                buffer += String(decoding: bytes[0..<n], as: UTF8.self)
                let lines = buffer.split(separator: "\n").map(String.init)
                if lines.contains("ready") {
                    banner = lines
                    return
                }
            }
            if !isRunning { break }
        }
        throw FakeHostError("fake process \(binary) \(arguments) not ready: \(buffer)")
    }

    /// Kills the process and reaps it.
    public func stop() {
        if reaped { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
    }
}

/// A BlueKing host in a temp dir: the GSE tree with configs, and real fake processes and sockets.
public final class FakeHost: @unchecked Sendable {
    // @unchecked: owned by one test at a time; the processes array is only mutated by that test.
    public enum Generation: String, Sendable { case gse1, gse2 }

    public let dir: String
    public let gseRoot: String
    public let generation: Generation
    public let ipcPath: String
    public let restartLog: String
    public let logDir: String
    private var processes: [FakeProcess] = []

    public var subConfigDir: String { gseRoot + "/plugins/etc/bkunifylogbeat" }
    public var mainConfigPath: String { gseRoot + "/plugins/etc/bkunifylogbeat.conf" }
    public var collectorBinary: String { gseRoot + "/plugins/bin/bkunifylogbeat" }
    public var agentBinary: String {
        gseRoot + (generation == .gse1 ? "/agent/bin/gseMaster" : "/agent/bin/gse_agent")
    }

    /// The built `fake-bluek` executable beside the test bundle.
    public static var fakeBinary: String { BuildProducts.path("fake-bluek") }

    /// Makes the tree: binaries, main config, registry. Nothing runs yet.
    public init(generation: Generation = .gse1, hosted: Bool = true, installCollector: Bool = true) throws {
        let base = NSTemporaryDirectory() + "bkdiag-host-" + UUID().uuidString.prefix(8)
        dir = base
        gseRoot = base + (generation == .gse1 ? "/usr/local/gse" : "/usr/local/gse2")
        self.generation = generation
        // A short IPC path keeps within sun_path's 108 bytes.
        ipcPath = generation == .gse1 ? base + "/run/ipc.state.report" : gseRoot + "/agent/data/ipc.state.report"
        restartLog = base + "/tmp/bkc.log"
        logDir = base + "/data/logs"
        let fm = FileManager.default
        for d in [
            "/plugins/bin", "/plugins/etc/bkunifylogbeat", "/plugins/etc/bkunifylogbeat/bcs", "/plugins/logs", "/plugins/data",
            "/agent/bin", "/agent/etc", "/agent/data",
        ] {
            try fm.createDirectory(atPath: gseRoot + d, withIntermediateDirectories: true)
        }
        for d in ["/run", "/tmp", "/data/logs", "/etc"] {
            try fm.createDirectory(atPath: base + d, withIntermediateDirectories: true)
        }
        if installCollector { try ExecutableFiles.copy(Self.fakeBinary, to: collectorBinary) }
        try ExecutableFiles.copy(Self.fakeBinary, to: agentBinary)
        if generation == .gse1 {
            try ExecutableFiles.copy(Self.fakeBinary, to: gseRoot + "/agent/bin/agentWorker")
        } else {
            try "{\"healthy\": true}\n".write(toFile: gseRoot + "/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        }
        try writeMainConfig()
        try writeRegistry(hosted: hosted)
        try "".write(toFile: restartLog, atomically: true, encoding: .utf8)
    }

    deinit { shutdown() }

    /// Kills every fake process and removes the tree.
    public func shutdown() {
        stopProcesses()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Kills every fake process; the tree stays.
    public func stopProcesses() {
        for p in processes { p.stop() }
        processes.removeAll()
    }

    // MARK: Files

    /// The main config as NodeMan renders bkunifylogbeat's `bkunifylogbeat_main.conf.tpl` (linux
    /// x86_64): logging, `max_procs`, `output.bkpipe_multi`, `path.*`, the queue, monitoring, the
    /// processors, the registry flush, both `multi_config` entries (`<subconfig_path>` and
    /// `<subconfig_path>/bcs`), the file identifier, `resource_limit` when `resourceLimit` (the template
    /// renders it only for a host with cpu and mem in CMDB) and seccomp. `quoted` quotes the values (valid YAML check.py rejected); `multiConfigPath`
    /// replaces the first entry's path; `filePattern` nil leaves `file_pattern` out of it; `fileIdentifier` is
    /// what NodeMan's `extra_vars.file_identifier` sets (the template's default `inode`).
    public func writeMainConfig(
        quoted: Bool = false, multiConfigPath: String? = nil, endpoint: String? = nil,
        filePattern: String? = "*.conf", resourceLimit: Bool = false,
        registryFlush: String = "10s", fileIdentifier: String = "inode"
    ) throws {
        let q = quoted ? "\"" : ""
        let pattern = filePattern.map { "\n    file_pattern: \"\($0)\"" } ?? ""
        let text = """
            logging.level: error
            max_procs: 1
            output.bkpipe_multi:
              endpoint: \(q)\(endpoint ?? ipcPath)\(q)
              hostip: 127.0.0.1
              cloudid: 0

            path.logs: \(q)\(gseRoot)/plugins/logs\(q)
            path.data: \(q)\(gseRoot)/plugins/data\(q)
            path.pid: \(q)\(gseRoot)/plugins/run\(q)

            # Internal queue configuration for buffering events to be published.
            queue:
              mem:
                events: 1024
                flush.min_events: 0
                flush.timeout: "1s"

            # monitoring reporter.
            xpack.monitoring.enabled: true
            xpack.monitoring.bkpipe:
              bk_biz_id: 2
              dataid: 1100006
              task_dataid: 1100007
              period: "30s"

            processors:
              - drop_event:
                  when:
                    not:
                      has_fields: ["dataid"]

            bkunifylogbeat.eventdataid: -1
            bkunifylogbeat.registry.flush: "\(registryFlush)"
            bkunifylogbeat.host_id_path: \(q)\(dir)/var/lib/gse/host/hostid\(q)
            bkunifylogbeat.multi_config:
              - path: \(q)\(multiConfigPath ?? subConfigDir)\(q)\(pattern)
              - path: \(q)\(subConfigDir)/bcs\(q)
                file_pattern: "*.conf"
            bkunifylogbeat.file_identifier: "\(fileIdentifier)"
            \(resourceLimit ? "\nresource_limit:\n  enabled: true\n  cpu: 0.4\n  mem: 819\n" : "")
            seccomp:
              enabled: false

            """
        try text.write(toFile: mainConfigPath, atomically: true, encoding: .utf8)
    }

    public func writeRawMainConfig(_ text: String) throws {
        try text.write(toFile: mainConfigPath, atomically: true, encoding: .utf8)
    }

    /// One more `local` item of a sub config (`writeSubConfig(moreItems:)`), with the first item's data id,
    /// as NodeMan's template renders every item of a subscription's config.
    public struct SubItem {
        public var paths: [String]
        public var excludeFiles: [String]?
        public var extra: [String]

        public init(paths: [String], excludeFiles: [String]? = nil, extra: [String] = []) {
            self.paths = paths
            self.excludeFiles = excludeFiles
            self.extra = extra
        }
    }

    /// A subscription config with one `local` item (and `moreItems` after it), as NodeMan renders the log templates of every stem
    /// (`bkunifylogbeat.conf.tpl` and its siblings): the item's keys with the template's defaults, paths
    /// and exclude_files as quoted block lists. `excludeFiles` nil or empty leaves the key out, as the
    /// template does (the collector's defaults apply); `excludeFilesEmpty` writes `exclude_files: []`
    /// the way a hand-edited config turns them off. `extra` lines go into the item as written; `subdir`
    /// puts the file in a directory under the subscription directory (`bcs`). `encoding` is written as the
    /// template writes it (quoted, lower-cased).
    @discardableResult
    public func writeSubConfig(
        subscription: Int64, instance: Int64 = 2000058532, stem: String = "bkunifylogbeat",
        dataid: Int64 = 1_500_123, paths: [String], excludeFiles: [String]? = nil,
        excludeFilesEmpty: Bool = false, encoding: String = "utf-8", extra: [String] = [], subdir: String? = nil,
        moreItems: [SubItem] = []
    ) throws -> String {
        let name = "\(stem)_sub_\(subscription)_host_\(instance).conf"
        func quoted(_ s: String) -> String { "'\(s.replacingOccurrences(of: "'", with: "''"))'" }
        func item(_ paths: [String], _ excludeFiles: [String]?, _ extra: [String]) -> [String] {
            var lines = ["    - dataid: \(dataid)", "      paths:"] + paths.map { "        - " + quoted($0) }
            if let excludeFiles, !excludeFiles.isEmpty {
                lines += ["      exclude_files:"] + excludeFiles.map { "        - " + quoted($0) }
            } else if excludeFilesEmpty {
                lines.append("      exclude_files: []")
            }
            return lines
                + [
                    "      tail_files: true", "      encoding: \(quoted(encoding.lowercased()))", "      delimiter: ''",
                    "      package: true",
                    "      package_count: 10", "      output_format: 'v2'", "      scan_frequency: '10s'",
                    "      close_inactive: '86400s'", "      clean_removed: 'true'",
                ] + extra.map { "      " + $0 }
        }
        var lines = ["local:"] + item(paths, excludeFiles, extra)
        for more in moreItems { lines += item(more.paths, more.excludeFiles, more.extra) }
        let text = lines.joined(separator: "\n") + "\n\n"
        let dir = subdir.map { subConfigDir + "/" + $0 } ?? subConfigDir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The plugin registry (GSE 1 procinfo.json, GSE 2 .proc).
    public func writeRegistry(hosted: Bool) throws {
        let path = gseRoot + (generation == .gse1 ? "/agent/etc/procinfo.json" : "/agent/etc/.proc")
        var procs = [#"{"procName": "bkmonitorbeat", "setupPath": "\#(gseRoot)/plugins/bin", "cpulmt": 10, "memlmt": 10}"#]
        if hosted {
            procs.append(
                #"{"procName": "bkunifylogbeat", "setupPath": "\#(gseRoot)/plugins/bin", "pidPath": "\#(gseRoot)/plugins/run/bkunifylogbeat.pid", "cpulmt": 30, "memlmt": 10, "valuekey": "nodeman:bkunifylogbeat"}"#
            )
        }
        try "{\"proc\": [\(procs.joined(separator: ", "))]}".write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Appends NodeMan restart-log entries for today (`perLine: false` glues them like the old script).
    public func logRestarts(_ actions: [String], plugin: String = "bkunifylogbeat", perLine: Bool = true) throws {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = .current
        let stamp = f.string(from: Date())
        let entries = actions.enumerated().map { "\(stamp) INFO|\($0.offset + 10)|log-main \($0.element) \(plugin) ok" }
        let text = perLine ? entries.joined(separator: "\n") + "\n" : entries.joined()
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: restartLog))
        h.seekToEndOfFile()
        h.write(text.data(using: .utf8)!)
        try h.close()
    }

    /// Creates a log file (parents too) and returns its path.
    @discardableResult
    public func makeLogFile(_ relative: String, content: String = "line\n") throws -> String {
        let path = logDir + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Creates a log file whose path under the log directory is `relative`, bytes in any encoding (a
    /// GBK name), with its parent directories; returns its path as the probes carry it (`PathBytes`).
    @discardableResult
    public func makeLogFile(bytes relative: [UInt8], content: String = "line\n") throws -> String {
        var path = Array(logDir.utf8)
        let parts = relative.split(separator: 0x2F)
        for (i, part) in parts.enumerated() {
            path += [0x2F] + part
            let text = PathBytes.string(path)
            if i < parts.count - 1 {
                let rc = PathBytes.withCString(text) { mkdir($0, 0o755) }
                if rc != 0 && errno != EEXIST { throw FakeHostError("mkdir \(PathBytes.display(text)): errno \(errno)") }
            } else {
                let fd = PathBytes.withCString(text) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
                guard fd >= 0 else { throw FakeHostError("create \(PathBytes.display(text)): errno \(errno)") }
                _ = content.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
        }
        return PathBytes.string(path)
    }

    // MARK: Processes

    /// Spawns `binary` with `arguments`, from `cwd`, and waits for it to be ready.
    public func spawn(_ binary: String, _ arguments: [String], cwd: String, argv0: String? = nil) throws -> FakeProcess {
        let fp = try FakeProcess.launch(binary, arguments, cwd: cwd, argv0: argv0)
        processes.append(fp)
        return fp
    }

    /// A local "dataserver" on 127.0.0.1 with an ephemeral port; with `closeAccepted`, one that closes every
    /// connection as soon as it accepts it.
    public func startDataserver(closeAccepted: Bool = false) throws -> (FakeProcess, UInt16) {
        let p = try spawn(Self.fakeBinary, ["dataserver", "--port", "0"] + (closeAccepted ? ["--close-accepted"] : []), cwd: dir)
        guard let line = p.banner.first(where: { $0.hasPrefix("port ") }), let port = UInt16(line.dropFirst(5)) else {
            throw FakeHostError("dataserver printed no port: \(p.banner)")
        }
        return (p, port)
    }

    /// The agent: listens on the IPC socket (unless `listen` is false), accepts (unless `accept` is false: its
    /// accept loop hung; only the first `acceptMax` connections when given: out of file descriptors, it accepts
    /// no more and still reads those) and reads what collectors send (unless `read` is false), connected to
    /// `dataPort` when given.
    @discardableResult
    public func startAgent(
        listen: Bool = true, accept: Bool = true, acceptMax: Int? = nil, read: Bool = true, dataPort: UInt16? = nil
    ) throws -> FakeProcess {
        var args = ["agent"]
        if listen { args += ["--listen", ipcPath] }
        if !accept { args.append("--no-accept") }
        if let acceptMax { args += ["--accept-max", String(acceptMax)] }
        if !read { args.append("--no-read") }
        if let dataPort { args += ["--connect", String(dataPort)] }
        let master = try spawn(agentBinary, args, cwd: gseRoot + "/agent/bin")
        if generation == .gse1 {
            // GSE 1 runs a worker beside the master.
            _ = try spawn(gseRoot + "/agent/bin/agentWorker", ["agent"], cwd: gseRoot + "/agent/bin")
        }
        return master
    }

    /// The collector, run from plugins/bin like NodeMan does, connected to the IPC socket. `argv0` is what
    /// it is called: NodeMan's start.sh runs `./bkunifylogbeat` (default: its path).
    @discardableResult
    public func startCollector(
        connect: Bool = true, hold: [String] = [], writeBytes: Int = 0, syslogUDP: UInt16? = nil, argv0: String? = nil
    ) throws -> FakeProcess {
        var args = ["collector"]
        if connect { args += ["--ipc", ipcPath] }
        if let syslogUDP { args += ["--syslog-udp", String(syslogUDP)] }
        // A name that is not UTF-8 cannot pass through Foundation's String arguments: give its bytes in hex.
        for h in hold {
            if PathBytes.carriesRawBytes(h) {
                args += ["--hold-hex", PathBytes.bytes(of: h).map { String($0, radix: 16).leftPadded(2) }.joined()]
            } else {
                args += ["--hold", h]
            }
        }
        if writeBytes > 0 { args += ["--write-bytes", String(writeBytes)] }
        let before = acceptedIPCConnections()
        let collector = try spawn(collectorBinary, args, cwd: gseRoot + "/plugins/bin", argv0: argv0)
        // The collector is ready once connect() returns; the agent accepts in its own time. A test
        // that reads the queues right away must see the accepted connection, so wait for it.
        if connect, let before {
            let deadline = Date().addingTimeInterval(3)
            while (acceptedIPCConnections() ?? 0) <= before && Date() < deadline { usleep(5000) }
        }
        return collector
    }

    /// The collector's progress registry under the main config's `path.data`.
    public var registryPath: String { gseRoot + "/plugins/data/bkunifylogbeat.bkpipe.db" }

    /// How a progress collector stops making progress (fake-bluek's `--stall`).
    public enum Stall: String, Sendable {
        /// Stops reading its files after the first round.
        case read
        /// Reads, but its registry offsets never move past where they were at start (the output never acknowledges).
        case ack
        /// Writes its registry once, then never again.
        case registry
        /// After the first round reads one 16 KiB buffer past the acknowledged offset, then nothing more: a
        /// harvester blocked on its output (it sends each line before reading on).
        case output
    }

    /// A collector that makes progress: follows `files` through fds it keeps open, sends what it reads
    /// over the IPC socket, and rewrites the bolt registry every `flushMs` (see fake-bluek's header).
    /// Returns once the registry has been written. `asNobody` (the test running as root) runs it as uid and
    /// gid 65534 without groups or capabilities, through setpriv, the registry's directory and the IPC
    /// socket opened to it. `closeAfterMs`: that long after its start it closes its files (a harvester at
    /// close_inactive) and keeps writing their states.
    @discardableResult
    public func startProgressCollector(
        follow files: [String], stall: Stall? = nil, flushMs: Int = 100, dataid: Int64 = 1_500_123, asNobody: Bool = false,
        closeAfterMs: Int? = nil
    ) throws -> FakeProcess {
        var args = ["collector", "--ipc", ipcPath, "--registry", registryPath, "--flush-ms", String(flushMs), "--dataid", String(dataid)]
        for f in files { args += ["--follow", f] }
        if let closeAfterMs { args += ["--close-after-ms", String(closeAfterMs)] }
        if let stall { args += ["--stall", stall.rawValue] }
        var binary = collectorBinary
        if asNobody {
            try FileManager.default.createDirectory(atPath: Sys.dirname(registryPath), withIntermediateDirectories: true)
            guard chmod(Sys.dirname(registryPath), 0o777) == 0, chmod(ipcPath, 0o777) == 0 else {
                throw FakeHostError("cannot open the registry directory or \(ipcPath) to uid 65534: errno \(errno)")
            }
            args = ["--reuid=65534", "--regid=65534", "--clear-groups", collectorBinary] + args
            binary = "/usr/bin/setpriv"
        }
        let collector = try spawn(binary, args, cwd: gseRoot + "/plugins/bin")
        let deadline = Date().addingTimeInterval(5)
        while (try? CollectorRegistry.read(path: registryPath)) == nil {
            guard Date() < deadline else { throw FakeHostError("the progress collector wrote no registry at \(registryPath)") }
            usleep(10_000)
        }
        return collector
    }

    /// Appends `bytes` bytes of log lines to `path`.
    public func append(_ path: String, bytes: Int) throws {
        guard let h = FileHandle(forWritingAtPath: path) else { throw FakeHostError("cannot append to \(path)") }
        defer { try? h.close() }
        h.seekToEndOfFile()
        let line = Array("2026-12-01 10:00:00 INFO request served in 3 ms\n".utf8)
        var data = [UInt8]()
        while data.count < bytes { data += line }
        h.write(Data(data.prefix(bytes)))
    }

    /// Sets a file's modification time `seconds` into the past.
    public func backdate(_ path: String, seconds: Int) throws {
        var times = [timespec(tv_sec: time(nil) - seconds, tv_nsec: 0), timespec(tv_sec: time(nil) - seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw FakeHostError("cannot backdate \(path): errno \(errno)") }
    }

    /// Established connections on the IPC path that the agent has accepted; nil when nothing
    /// listens there (then there is nothing to wait for).
    public func acceptedIPCConnections() -> Int? {
        guard let entries = try? UnixSockDiag.dump(),
            entries.contains(where: { $0.name == ipcPath && $0.isListening })
        else { return nil }
        return entries.filter { $0.name == ipcPath && $0.isEstablished }.count
    }

    /// A healthy host: dataserver, agent, collector, one subscription config for `subscription`.
    public static func healthy(_ generation: Generation = .gse1, subscription: Int64 = 33561) throws -> (FakeHost, UInt16) {
        let host = try FakeHost(generation: generation)
        try host.writeSubConfig(subscription: subscription, paths: [host.logDir + "/app/*.log"])
        try host.makeLogFile("app/a.log")
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        try host.startProgressCollector(follow: [host.logDir + "/app/a.log"])
        return (host, port)
    }
}

/// Locates the package's built executables from the running test bundle.
public enum BuildProducts {
    /// `.build/<config>/` — the directory holding the test bundle and the built executables.
    public static var directory: String {
        let exe = (try? Sys.readlink("/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // The xctest bundle on Linux is a plain executable in .build/<config>/; walk up if nested.
        while !dir.isEmpty && dir != "/" && !FileManager.default.fileExists(atPath: dir + "/fake-bluek") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The repository top, from this source file's location.
    public static func repoRoot(file: String = #filePath) -> String {
        var dir = (file as NSString).deletingLastPathComponent
        while dir != "/" && !FileManager.default.fileExists(atPath: dir + "/Package.swift") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
