import Diagnostics
import Foundation
import HostProbe
import Report
import TestSupport
import Testing

@testable import Diagnostics

/// What libgse's start does with the main config's `path` section (bkmonitor-datalink
/// `pkg/libgse/beat/init.go` `baseInit`): the pid lock under `path.pid` (nightlyone/lockfile) and the
/// registry under `path.data` (bolt, `storage/skv.go`) come before everything else, and the collector exits
/// when either cannot be had. Hosts are NodeMan-rendered (`FakeHost.writeMainConfig`), broken one way at a time.
@Suite("Collector start: path.pid and path.data")
struct CollectorStartScenarioTests {
    /// A host with the agent and the dataserver up, one subscription config, and no collector running.
    static func host() throws -> (FakeHost, UInt16) {
        let host = try FakeHost()
        try host.writeSubConfig(subscription: 33561, paths: [host.logDir + "/app/*.log"])
        try host.makeLogFile("app/a.log")
        let (_, port) = try host.startDataserver()
        try host.startAgent(dataPort: port)
        return (host, port)
    }

    /// NodeMan's main config with the line for `key` (`path.data`, `path.pid`) replaced by `line`.
    static func mainConfig(_ host: FakeHost, replacing key: String, with line: String) throws {
        try host.writeMainConfig()
        let text = try String(contentsOfFile: host.mainConfigPath, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix(key + ":") ? Substring(line) : $0 }
        #expect(lines.contains(Substring(line)))
        try host.writeRawMainConfig(lines.joined(separator: "\n"))
    }

    @Test("a path.data or path.pid the collector cannot make fails main_config: the collector exits at start")
    func blockedPaths() async throws {
        let (host, port) = try Self.host()
        defer { host.shutdown() }
        let fm = FileManager.default

        // NodeMan's config as rendered: path.data exists, path.pid does not yet (MkdirAll makes it).
        var report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")

        // path.data is a regular file: bolt cannot create the registry in it.
        let file = host.gseRoot + "/plugins/datafile"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        try Self.mainConfig(host, replacing: "path.data", with: "path.data: \(file)")
        report = await runChecks(host, dataPort: port)
        var r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.hasPrefix(
                "the collector cannot start with this main config: \(file) is a regular file, not a directory: the collector cannot make its registry \(file)/bkunifylogbeat.bkpipe.db there"
            ), "\(r.message)")
        #expect(!r.message.contains("the running collector"), "\(r.message)")
        #expect(r.evidence("start_refused")?.arrayValue?.first?["key"] == .string("path.data"))

        // Under a regular file (a component on the way), relative from plugins/bin.
        try Self.mainConfig(host, replacing: "path.data", with: "path.data: ../datafile/sub")
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.contains(
                "path.data ../datafile/sub (\(file)/sub from the collector's directory): \(file) (on the way to \(file)/sub) is a regular file"
            ),
            "\(r.message)")

        // The registry's name is taken by a directory.
        try Self.mainConfig(host, replacing: "path.data", with: "path.data: \(host.gseRoot)/plugins/data")
        try fm.createDirectory(atPath: host.registryPath, withIntermediateDirectories: true)
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail && r.message.contains("its registry \(host.registryPath) is a directory"), "\(r.message)")
        try fm.removeItem(atPath: host.registryPath)

        // A missing path.data is made by the collector: no finding.
        try Self.mainConfig(host, replacing: "path.data", with: "path.data: \(host.gseRoot)/plugins/newdata/x")
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")

        // path.pid relative: the lock takes only absolute paths.
        try Self.mainConfig(host, replacing: "path.pid", with: "path.pid: ../run")
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.contains("path.pid ../run is relative"), "\(r.message)")
        #expect(r.evidence("start_refused")?.arrayValue?.first?["key"] == .string("path.pid"))

        // path.pid's directory is a regular file.
        try Self.mainConfig(host, replacing: "path.pid", with: "path.pid: \(file)")
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail && r.message.contains("cannot make its pid lock \(file)/bkunifylogbeat.pid"), "\(r.message)")

        // A path section that is not a mapping, and a path.data that is a list: libgse's unpack fails.
        try Self.mainConfig(host, replacing: "path.pid", with: "path.pid: [\(host.gseRoot)/plugins/run]")
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail && r.message.contains("path.pid is a list, not a path"), "\(r.message)")
    }

    @Test(
        "path.data or path.pid on a file system mounted read-only fails main_config with the mount's fix; the same mount read-write passes",
        .enabled(if: CollectorBinaryFileTests.canMount, "this process may not mount a tmpfs"))
    func readOnlyMounts() async throws {
        let (host, port) = try Self.host()
        defer { host.shutdown() }
        let point = host.gseRoot + "/plugins/ro"
        #expect(mkdir(point, 0o755) == 0)
        #expect(mount("tmpfs", point, "tmpfs", UInt(MS_RDONLY), "size=64k") == 0)
        defer { umount(point) }
        // The kernel's own answer first: nothing can be created there, even by root.
        #expect(open(point + "/probe", O_CREAT | O_WRONLY, 0o600) == -1 && errno == EROFS)

        // path.data under it (missing: MkdirAll cannot make it either).
        try Self.mainConfig(host, replacing: "path.data", with: "path.data: \(point)/data")
        var report = await runChecks(host, dataPort: port)
        var r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.hasPrefix(
                "the collector cannot start with this main config: \(point) (on the way to \(point)/data) is on a file system mounted read-only: the collector cannot write its registry \(point)/data/bkunifylogbeat.bkpipe.db there (Read-only file system), whoever starts it"
            ), "\(r.message)")
        #expect(r.hint.contains("只读") && r.hint.contains("dmesg"), "\(r.hint)")
        #expect(r.evidence("start_refused")?.arrayValue?.first?["key"] == .string("path.data"))

        // path.pid on it, path.data back where NodeMan puts it.
        try Self.mainConfig(host, replacing: "path.pid", with: "path.pid: \(point)")
        report = await runChecks(host, dataPort: port)
        r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(
            r.message.contains(
                "\(point) is on a file system mounted read-only: the collector cannot write its pid lock \(point)/bkunifylogbeat.pid there"),
            "\(r.message)")
        #expect(r.evidence("start_refused")?.arrayValue?.map { $0["key"] } == [.string("path.pid")])

        // Remounted read-write: nothing in the way.
        #expect(mount("tmpfs", point, "tmpfs", UInt(MS_REMOUNT), "size=64k") == 0)
        report = await runChecks(host, dataPort: port)
        #expect(report.verdict("bkunifylogbeat", "main_config") == .pass, "\(report.digest)")
    }

    @Test(
        "a read-only view of a read-write file system (bkdiag's own ProtectSystem=strict, a container's :ro volume) is no refusal: the collector writes through its own view",
        .enabled(if: CollectorBinaryFileTests.canMount, "this process may not mount a tmpfs"))
    func readOnlyViewOfAWritableFileSystem() async throws {
        let (host, port) = try Self.host()
        defer { host.shutdown() }
        let plugins = host.gseRoot + "/plugins"
        // A second, writable view of the same directory, as the collector's mount namespace would keep.
        let outside = NSTemporaryDirectory() + "bkdiag-rwview-\(getpid())-\(UUID().uuidString.prefix(6))"
        #expect(mkdir(outside, 0o755) == 0)
        defer { rmdir(outside) }
        #expect(mount(plugins, outside, nil, UInt(MS_BIND), nil) == 0)
        defer { umount(outside) }
        // plugins itself made a read-only bind of itself, as ProtectSystem=strict makes /usr and /var for bkdiag.
        #expect(mount(plugins, plugins, nil, UInt(MS_BIND), nil) == 0)
        #expect(mount(nil, plugins, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil) == 0)
        defer { umount(plugins) }
        // The kernel's answers: read-only through this view, writable through the other.
        #expect(open(plugins + "/data/probe", O_CREAT | O_WRONLY, 0o600) == -1 && errno == EROFS)
        let fd = open(outside + "/data/probe", O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        close(fd)
        unlink(outside + "/data/probe")
        #expect((try? FileSystemSpace.of(plugins + "/data"))?.readOnly == true, "statvfs sees the view read-only")
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .pass, "\(r.message)")
    }

    @Test("a file system's own read-only flag is read from mountinfo's super options, by device")
    func superblockOptions() {
        let text = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
            30 22 8:2 / /data ro,relatime shared:2 - xfs /dev/sda2 ro,attr2
            31 22 8:1 /var/lib /srv/view ro,relatime - ext4 /dev/sda1 rw,errors=remount-ro
            40 22 259:65536 / /big rw - ext4 /dev/nvme0n1p1 ro
            """
        func dev(_ major: UInt64, _ minor: UInt64) -> UInt64 {
            ((major & 0xfff) << 8) | ((major & ~0xfff) << 32) | (minor & 0xff) | ((minor & ~0xff) << 12)
        }
        #expect(FileSystemSpace.superblockReadOnly(device: dev(8, 1), mountinfo: text) == false)
        #expect(FileSystemSpace.superblockReadOnly(device: dev(8, 2), mountinfo: text) == true)
        #expect(FileSystemSpace.superblockReadOnly(device: dev(259, 65536), mountinfo: text) == true)
        #expect(FileSystemSpace.superblockReadOnly(device: dev(9, 9), mountinfo: text) == nil)
    }

    @Test("a collector still running from before the paths broke: the fail says it cannot start again")
    func runningBefore() async throws {
        let (host, port) = try FakeHost.healthy()
        defer { host.shutdown() }
        try Self.mainConfig(host, replacing: "path.pid", with: "path.pid: run")
        let report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
        #expect(r.verdict == .fail, "\(r.message)")
        #expect(r.message.contains("; the running collector (pid "), "\(r.message)")
        #expect(r.message.hasSuffix("started before this: it cannot start again once it stops"), "\(r.message)")
        #expect(report.verdict("bkunifylogbeat", "process") == .pass, "\(report.digest)")
    }

    @Test("a pid lock naming a live process that is not the collector: process says it cannot start")
    func heldPidLock() async throws {
        let (host, port) = try Self.host()
        defer { host.shutdown() }
        let runDir = host.gseRoot + "/plugins/run"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        let lock = runDir + "/bkunifylogbeat.pid"

        // The pid left in the lock now belongs to another live process (reused after a reboot).
        let other = try host.spawn(FakeHost.fakeBinary, ["dataserver", "--port", "0"], cwd: host.dir)
        try "\(other.pid)\n".write(toFile: lock, atomically: true, encoding: .utf8)
        var report = await runChecks(host, dataPort: port)
        let r = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(r.verdict == .fail)
        #expect(
            r.message
                == "bkunifylogbeat is not running, and cannot start: its pid lock \(lock) names pid \(other.pid), a live process (fake-bluek), and libgse's lock refuses every start while it lives (Locked by other process)",
            "\(r.message)")
        #expect(r.hint.contains("删除 \(lock)"), "\(r.hint)")
        #expect(r.evidence("pid_file_holder")?["pid"] == .int(Int64(other.pid)))

        // The lock is shared with another root's collector (GSE 1 and GSE 2 side by side, both rendered with
        // NodeMan's default run path): that one holds it, this one cannot start.
        let (side, _) = try FakeHost.healthy(.gse2)
        defer { side.shutdown() }
        let theirs = try side.startCollector(connect: false, argv0: "./bkunifylogbeat")
        try "\(theirs.pid)\n".write(toFile: lock, atomically: true, encoding: .utf8)
        report = await runChecks(host, dataPort: port)
        let shared = try #require(report.result(module: "bkunifylogbeat", item: "process"))
        #expect(
            shared.verdict == .fail
                && shared.message.contains(
                    "names pid \(theirs.pid), a live process (bkunifylogbeat of another root at \(side.collectorBinary))"),
            "\(shared.message)")
        #expect(shared.hint.contains("path.pid 相同"), "\(shared.hint)")

        // A lock naming a pid no process has, or no number at all, is removed and taken over at start.
        let pidMax = try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for stale in ["\(pidMax)\n", "garbage\n", "\(other.pid) \(other.pid)\n", ""] {
            try stale.write(toFile: lock, atomically: true, encoding: .utf8)
            report = await runChecks(host, dataPort: port)
            #expect(report.message("bkunifylogbeat", "process") == "bkunifylogbeat is not running", "\(stale): \(report.digest)")
        }
    }

    @Test("a collector of this root started with another -c: main_config warns that it judged a file the collector does not read")
    func otherConfig() async throws {
        let (host, port) = try Self.host()
        defer { host.shutdown() }
        let bin = host.gseRoot + "/plugins/bin"
        let copy = host.gseRoot + "/plugins/etc/bkunifylogbeat.conf.bak"
        try FileManager.default.copyItem(atPath: host.mainConfigPath, toPath: copy)
        // (argv after the fake's mode word; the libbeat flags as NodeMan's start.sh or a hand start gives them)
        let cases: [([String], String?)] = [
            (["-c", "../etc/bkunifylogbeat.conf"], nil),
            (["-c", "bkunifylogbeat.conf", "-path.config", "../etc"], nil),
            (["-c=\(host.mainConfigPath)"], nil),
            (["-c", "../etc/bkunifylogbeat.conf.bak"], copy),
            (["-path.home", host.gseRoot + "/plugins/etc", "--c=bkunifylogbeat.conf.bak"], copy),
        ]
        for (flags, other) in cases {
            let p = try host.spawn(
                host.collectorBinary, ["collector", "--ipc", host.ipcPath] + flags, cwd: bin, argv0: "./bkunifylogbeat")
            let report = await runChecks(host, dataPort: port)
            let r = try #require(report.result(module: "bkunifylogbeat", item: "main_config"))
            if let other {
                #expect(r.verdict == .warn, "\(flags): \(r.message)")
                #expect(
                    r.message == "main config ok, but the running collector does not read it: pid \(p.pid) was started with -c \(other)",
                    "\(r.message)")
                #expect(r.evidence("started_with")?.arrayValue?.first?["pid"] == .int(Int64(p.pid)))
            } else {
                #expect(r.verdict == .pass, "\(flags): \(r.message)")
            }
            p.stop()
        }
    }

    @Test("the lock's pid is read as fmt.Sscanln reads one integer")
    func lockedPID() {
        #expect(CollectorStartPaths.lockedPID("123\n") == 123)
        #expect(CollectorStartPaths.lockedPID("  123  \r\n") == 123)
        #expect(CollectorStartPaths.lockedPID("123") == 123)
        #expect(CollectorStartPaths.lockedPID("123 456\n") == nil)
        #expect(CollectorStartPaths.lockedPID("0\n") == nil)
        #expect(CollectorStartPaths.lockedPID("-5\n") == nil)
        #expect(CollectorStartPaths.lockedPID("\n123\n") == nil)
        #expect(CollectorStartPaths.lockedPID("") == nil)
    }
}
