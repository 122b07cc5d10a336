import Foundation
import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

#if canImport(Glibc)
    import Glibc
#endif

@Suite("bkunifylogbeat/bin_file on in-memory facts")
struct CollectorBinaryCheckTests {
    let path = Fixture.collectorExe

    func run(_ stat: Result<FileStat, ProbeError>, elf: Result<ELFHeader?, ProbeError>? = nil, machine: String = "x86_64") -> Finding {
        let facts = Fixture.facts(subscription: 7)
        facts.collectorBinaryOverride = BinaryFile(path: path, stat: stat, elf: elf)
        facts.hostMachine = machine
        return CollectorBinaryCheck().run(facts)
    }

    @Test("an executable ELF file for this machine passes, with size and machine as evidence")
    func pass() {
        let f = run(.success(Fixture.executable), elf: .success(Fixture.elfX86))
        #expect(f.verdict == .pass)
        #expect(f.message == "bin file exists: \(path) (4096 bytes, x86_64)")
        #expect(Fixture.evidence(f, "elf_machine") == .string("x86_64"))
        #expect(Fixture.evidence(f, "mode") == .string("755"))
    }

    @Test("a missing binary fails with check.py's message")
    func missing() {
        let f = run(.failure(Fixture.error(ENOENT, "stat", path)))
        #expect(f.verdict == .fail)
        #expect(f.message == "bin file is not exists: \(path)")
        #expect(Fixture.evidence(f, "path") == .string(path))
    }

    @Test("not executable, empty, or built for another machine fail")
    func unusable() {
        let notExec = run(.success(FileStat(mode: 0o100644, size: 10)))
        #expect(notExec.verdict == .fail && notExec.message == "\(path) is not executable (mode 644)")
        let empty = run(.success(FileStat(mode: 0o100755, size: 0)))
        #expect(empty.verdict == .fail && empty.message == "\(path) is empty")
        let dir = run(.success(Fixture.directory))
        #expect(dir.verdict == .fail && dir.message == "\(path) is not a regular file")
        let arch = run(.success(Fixture.executable), elf: .success(Fixture.elfX86), machine: "aarch64")
        #expect(arch.verdict == .fail && arch.message == "\(path) is built for x86_64, host is aarch64")
        #expect(Fixture.evidence(arch, "host_machine") == .string("aarch64"))
        // An ELF file the kernel will not run on any host: a relocatable object, or i386 in a 64-bit header.
        let object = run(.success(Fixture.executable), elf: .success(ELFHeader(is64Bit: true, littleEndian: true, machine: 62, type: 1)))
        #expect(
            object.verdict == .fail
                && object.message == "\(path) is a relocatable object (ELF type 1), not a program: the kernel does not run it")
        let mixed = run(.success(Fixture.executable), elf: .success(ELFHeader(is64Bit: true, littleEndian: true, machine: 3, type: 2)))
        #expect(mixed.verdict == .fail && mixed.message.contains("64-bit ELF file for i386"), "\(mixed.message)")
        #expect(
            run(.success(Fixture.executable), elf: .success(ELFHeader(is64Bit: false, littleEndian: true, machine: 3, type: 2))).verdict
                == .pass)
    }

    @Test("a file that is not ELF fails unless it is a #! script whose interpreter is there, which warns")
    func notELF() {
        let f = run(.success(Fixture.executable), elf: .success(nil))
        #expect(f.verdict == .fail)
        #expect(
            f.message == "\(path) is not a program: neither an ELF binary nor a #! script, the kernel refuses to run it (Exec format error)"
        )
        let facts = Fixture.facts(subscription: 7)
        facts.collectorBinaryOverride = BinaryFile(
            path: path, stat: .success(Fixture.executable), elf: .success(nil), script: .init(interpreter: "/bin/sh"),
            interpreter: .init(path: "/bin/sh", stat: .success(Fixture.executable)))
        let script = CollectorBinaryCheck().run(facts)
        #expect(script.verdict == .warn && script.message == "\(path) is a #! script (/bin/sh), not the collector's ELF binary")
    }

    @Test("an ELF program whose section table holds no mark of Go warns; nothing told (no section table) passes")
    func notGo() {
        let facts = Fixture.facts(subscription: 7)
        facts.collectorBinaryOverride = BinaryFile(path: path, stat: .success(Fixture.executable), elf: .success(Fixture.elfX86))
        facts.collectorBinaryOverride?.goMarks = []
        let f = CollectorBinaryCheck().run(facts)
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(
            f.message
                == "bin file exists: \(path) (4096 bytes, x86_64), but it is not a Go program (none of the Go linker's .go.buildinfo, .note.go.buildid, .gopclntab sections is in it): not the Go collector NodeMan ships"
        )
        #expect(f.hint.contains("重新安装 bkunifylogbeat 插件"), "\(f.hint)")
        #expect(Fixture.evidence(f, "go_marks") == .array([]))
        facts.collectorBinaryOverride?.goMarks = [".gopclntab"]
        #expect(CollectorBinaryCheck().run(facts).verdict == .pass)
        facts.collectorBinaryOverride?.goMarks = nil
        #expect(CollectorBinaryCheck().run(facts).verdict == .pass)
        // Go build information read (a runtime.buildVersion through the symbol table) is Go whatever the sections say.
        facts.collectorBinaryOverride?.goMarks = []
        facts.collectorBinaryOverride?.go = GoBinaryInfo(goVersion: "go1.11.13", mainVersion: "7.1.0")
        #expect(CollectorBinaryCheck().run(facts).verdict == .pass)
    }

    @Test("a stat or header read refused is unknown, with the hint to run as root")
    func unreadable() {
        let f = run(.failure(Fixture.error(EACCES, "stat", path)))
        #expect(f.verdict == .unknown)
        #expect(f.message.hasPrefix("cannot read \(path): stat \(path): Permission denied"))
        #expect(f.hint.contains("root"))
        let header = run(.success(Fixture.executable), elf: .failure(Fixture.error(EIO, "read", path)))
        #expect(header.verdict == .unknown)
    }
}

/// bin_file on files written in a temp dir, each also executed: the verdict follows what the kernel answers.
@Suite("bkunifylogbeat/bin_file on real files, against what execve answers")
final class CollectorBinaryFileTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "bkdiag-binfile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ bytes: [UInt8], _ name: String = "bkunifylogbeat") throws -> String {
        let path = dir + "/" + name
        try ExecutableFiles.write(Data(bytes), to: path, mode: 0o755)
        return path
    }

    func judge(_ path: String) -> Finding {
        BinaryFacts.judge(BinaryFile.read(path), hostMachine: Sys.machine())
    }

    @Test("a dynamically linked program whose loader is missing fails; with its loader it passes")
    func missingLoader() throws {
        // The fake collector is dynamically linked (its PT_INTERP names the host's loader) and carries the Go
        // build ID note the real collector does.
        let original = try #require(FileManager.default.contents(atPath: FakeHost.fakeBinary))
        let loader = try #require(try ELFHeader.read(FakeHost.fakeBinary)?.interpreter)
        let present = try write(Array(original), "present")
        #expect(try ExecutableFiles.execErrno(present) == 0)
        let ok = judge(present)
        #expect(ok.verdict == .pass, "\(ok.message)")
        #expect(Fixture.evidence(ok, "interpreter") == .string(loader))

        // The same program, its loader renamed to one no host has (NUL-padded to the entry's size).
        let gone = "/lib/ld-bkdiag-gone.so"
        #expect(gone.utf8.count <= loader.utf8.count)
        var bytes = Array(original)
        let needle = Array(loader.utf8) + [0]
        let at = try #require((0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        bytes.replaceSubrange(
            at..<(at + needle.count), with: Array(gone.utf8) + [UInt8](repeating: 0, count: needle.count - gone.utf8.count))
        let path = try write(bytes)
        #expect(try ExecutableFiles.execErrno(path) == ENOENT)
        guard case .success(let header?)? = BinaryFile.read(path).elf else {
            Issue.record("no ELF header read from \(path)")
            return
        }
        #expect(header.interpreter == gone)
        let f = judge(path)
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(
            f.message
                == "\(path) is dynamically linked and its loader \(gone) does not exist (No such file or directory): the kernel cannot start it"
        )
        #expect(f.hint.contains("CGO_ENABLED=0"), "\(f.hint)")
    }

    @Test(
        "a file that is neither ELF nor a #! script fails: the kernel refuses it",
        arguments: [
            ("html", Array("<html><body>404 Not Found</body></html>\n".utf8)),
            ("gzip", [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03] + [UInt8](repeating: 0x41, count: 100)),
            ("text", Array("exec ./bkunifylogbeat.real \"$@\"\n".utf8)),
        ])
    func notAProgram(_ kind: String, _ bytes: [UInt8]) throws {
        let path = try write(bytes, kind)
        #expect(try ExecutableFiles.execErrno(path) == ENOEXEC)
        let f = judge(path)
        #expect(f.verdict == .fail, "\(kind): \(f.message)")
        #expect(
            f.message == "\(path) is not a program: neither an ELF binary nor a #! script, the kernel refuses to run it (Exec format error)"
        )
    }

    @Test("a #! script runs when its interpreter is there (a warn: not the collector); a missing or CRLF interpreter fails")
    func scripts() throws {
        let wrapper = try write(Array("#!/bin/sh\nexit 0\n".utf8), "wrapper")
        #expect(try ExecutableFiles.execErrno(wrapper) == 0)
        let w = judge(wrapper)
        #expect(w.verdict == .warn && w.message == "\(wrapper) is a #! script (/bin/sh), not the collector's ELF binary", "\(w.message)")

        let crlf = try write(Array("#!/bin/sh\r\nexit 0\r\n".utf8), "crlf")
        #expect(try ExecutableFiles.execErrno(crlf) == ENOENT)
        let c = judge(crlf)
        #expect(c.verdict == .fail, "\(c.message)")
        #expect(
            c.message
                == "\(crlf) is a #! script and its interpreter /bin/sh\\r does not exist (No such file or directory): the kernel cannot start it"
        )

        let missing = try write(Array("#! /opt/bkdiag-gone/python -u\n".utf8), "missing")
        #expect(try ExecutableFiles.execErrno(missing) == ENOENT)
        #expect(judge(missing).verdict == .fail)

        let empty = try write(Array("#!   \nexit 0\n".utf8), "empty")
        #expect(try ExecutableFiles.execErrno(empty) == ENOEXEC)
        let e = judge(empty)
        #expect(e.verdict == .fail && e.message.contains("naming no interpreter"), "\(e.message)")

        let directory = try write(Array("#!\(dir)\n".utf8), "directory")
        #expect(try ExecutableFiles.execErrno(directory) == EACCES)
        #expect(judge(directory).verdict == .fail)
    }

    @Test("a binary without an execute bit: NodeMan's start.sh beside it makes it executable (a warn); without it, a fail")
    func notExecutable() throws {
        let path = try write(Array(try #require(FileManager.default.contents(atPath: FakeHost.fakeBinary))))
        #expect(chmod(path, 0o644) == 0)
        #expect(try ExecutableFiles.execErrno(path) == EACCES)
        let alone = judge(path)
        #expect(alone.verdict == .fail && alone.message == "\(path) is not executable (mode 644)", "\(alone.message)")
        try ExecutableFiles.write(Data("#!/bin/bash\n".utf8), to: dir + "/start.sh")
        let started = judge(path)
        #expect(started.verdict == .warn, "\(started.message)")
        #expect(started.message.hasPrefix("bin file exists: \(path) ("), "\(started.message)")
        #expect(
            started.message.hasSuffix(
                "but is not executable (mode 644): NodeMan's start.sh makes it executable before it starts it; started any other way the kernel refuses it (Permission denied)"
            ))
        // What start.sh leaves is still judged: not a program fails whatever its mode.
        let html = try write(Array("<html></html>\n".utf8), "html")
        #expect(chmod(html, 0o644) == 0)
        #expect(judge(html).verdict == .fail)
    }

    @Test(
        "another Go program in the collector's place (another plugin's binary) fails; the collector's module and a build of named files pass",
        .enabled(if: GoPrograms.go != nil, "go is not installed (Scripts/deps.sh test installs it)"))
    func anotherProgram() async throws {
        let collector = dir + "/collector"
        try await GoPrograms.build(
            GoPrograms.sleeper, into: collector, ldflags: "-X main.version=7.7.11148c4", module: "github.com/TencentBlueKing/bkunifylogbeat"
        )
        let ok = judge(collector)
        #expect(ok.verdict == .pass, "\(ok.message)")
        #expect(Fixture.evidence(ok, "main_path") == .string("github.com/TencentBlueKing/bkunifylogbeat"))
        let files = dir + "/files"
        try await GoPrograms.build(GoPrograms.sleeper, into: files, ldflags: "")
        #expect(judge(files).verdict == .pass, "\(judge(files).message)")

        let other = dir + "/bkunifylogbeat"
        try await GoPrograms.build(GoPrograms.sleeper, into: other, ldflags: "-s -w", module: "github.com/TencentBlueKing/bkmonitorbeat")
        let f = judge(other)
        #expect(f.verdict == .fail, "\(f.message)")
        #expect(
            f.message
                == "\(other) is another Go program (github.com/TencentBlueKing/bkmonitorbeat), not bkunifylogbeat: started in its place it collects nothing"
        )
        #expect(BinaryFacts.isAnotherProgram("git.example.com/bk/bkunifylogbeat/v2") == false)
        #expect(BinaryFacts.isAnotherProgram("github.com/TencentBlueKing/bkmonitor-datalink/pkg/bkmonitorbeat/v3") == true)
    }

    @Test("an ELF program with no trace of Go in the collector's place (a copy of /bin/true) warns, naming it; without its execute bit too")
    func notAGoProgram() throws {
        let program = Array(try #require(FileManager.default.contents(atPath: "/bin/true")))
        let path = try write(program)
        #expect(try ExecutableFiles.execErrno(path) == 0)
        let f = judge(path)
        #expect(f.verdict == .warn, "\(f.message)")
        #expect(f.message.hasPrefix("bin file exists: \(path) (\(program.count) bytes, "), "\(f.message)")
        #expect(
            f.message.hasSuffix(
                "but it is not a Go program (none of the Go linker's .go.buildinfo, .note.go.buildid, .gopclntab sections is in it): not the Go collector NodeMan ships"
            ), "\(f.message)")
        #expect(f.hint.contains("在节点管理中重新安装 bkunifylogbeat 插件"), "\(f.hint)")
        #expect(Fixture.evidence(f, "go_marks") == .array([]))
        // Without its execute bit, NodeMan's start.sh beside it: still the program that is not the collector, and said so.
        #expect(chmod(path, 0o644) == 0)
        try ExecutableFiles.write(Data("#!/bin/bash\n".utf8), to: dir + "/start.sh")
        let g = judge(path)
        #expect(g.verdict == .warn, "\(g.message)")
        #expect(
            g.message.contains(
                "not the Go collector NodeMan ships; it is not executable either (mode 644; NodeMan's start.sh makes it executable)"),
            "\(g.message)")
        // The fake collector, a Swift program carrying the Go build ID note, passes.
        let fake = try write(Array(try #require(FileManager.default.contents(atPath: FakeHost.fakeBinary))), "fake")
        #expect(judge(fake).verdict == .pass, "\(judge(fake).message)")
    }

    @Test(
        "a Go program passes however it was stripped: -s -w, binutils strip, both",
        .enabled(if: GoPrograms.go != nil, "go is not installed (Scripts/deps.sh test installs it)"))
    func strippedGoPrograms() async throws {
        let plain = dir + "/plain", linkerStripped = dir + "/linker-stripped"
        try await GoPrograms.build(GoPrograms.sleeper, into: plain, ldflags: "-X main.version=7.7.11148c4")
        try await GoPrograms.build(GoPrograms.sleeper, into: linkerStripped, ldflags: "-s -w")
        var paths = [plain, linkerStripped]
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/strip") {
            for (source, name) in [(plain, "strip-all"), (linkerStripped, "both")] {
                let out = dir + "/" + name
                let r = try await ProgramRun.run("/usr/bin/strip", ["--strip-all", "-o", out, source])
                #expect(r.status == 0, "\(r.stderr)")
                paths.append(out)
            }
        }
        for path in paths {
            let f = judge(path)
            #expect(f.verdict == .pass, "\(path): \(f.message)")
            #expect(Fixture.evidence(f, "go_marks") == nil, "\(path)")
        }
    }

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as on the machines the suite runs on).
    static let canMount: Bool = {
        let point = NSTemporaryDirectory() + "bkdiag-mount-probe-\(getpid())"
        guard mkdir(point, 0o700) == 0 else { return false }
        defer { rmdir(point) }
        guard mount("tmpfs", point, "tmpfs", UInt(MS_NOEXEC), "size=64k") == 0 else { return false }
        umount(point)
        return true
    }()

    @Test(
        "a binary on a file system mounted noexec fails whatever its mode, as execve refuses it; the same file elsewhere passes",
        .enabled(if: canMount, "this process may not mount a tmpfs"))
    func noexecMount() throws {
        let program = Array(try #require(FileManager.default.contents(atPath: FakeHost.fakeBinary)))
        let elsewhere = try write(program)
        #expect(judge(elsewhere).verdict == .pass, "\(judge(elsewhere).message)")

        let point = dir + "/noexec"
        #expect(mkdir(point, 0o755) == 0)
        #expect(mount("tmpfs", point, "tmpfs", UInt(MS_NOEXEC), "size=4m") == 0)
        defer { umount(point) }
        let path = point + "/bkunifylogbeat"
        try ExecutableFiles.write(Data(program), to: path, mode: 0o755)
        // The kernel's own answer first: the mode allows it, the mount does not.
        #expect(try ExecutableFiles.execErrno(path) == EACCES)
        let f = judge(path)
        #expect(f.verdict == .fail)
        #expect(
            f.message == "\(path) is on a file system mounted noexec: the kernel refuses to run it (Permission denied), whatever its mode",
            "\(f.message)")
        #expect(Fixture.evidence(f, "noexec") == .bool(true))
        // NodeMan's start.sh beside it does not help: its chmod leaves the mount as it is.
        try ExecutableFiles.write(Data("#!/bin/bash\n".utf8), to: point + "/start.sh")
        #expect(judge(path).verdict == .fail)
    }

    @Test("a dangling symlink is named as one; a symlink loop fails as missing (the kernel cannot open it), not unknown")
    func brokenLinks() throws {
        let dangling = dir + "/dangling"
        #expect(symlink(dir + "/nowhere", dangling) == 0)
        #expect(try ExecutableFiles.execErrno(dangling) == ENOENT)
        let d = judge(dangling)
        #expect(d.verdict == .fail)
        #expect(d.message == "bin file is not exists: \(dangling) (a symlink to \(dir)/nowhere, which does not exist)", "\(d.message)")

        let loop = dir + "/bkunifylogbeat"
        #expect(symlink(dir + "/other", loop) == 0 && symlink(loop, dir + "/other") == 0)
        #expect(try ExecutableFiles.execErrno(loop) == ELOOP)
        let l = judge(loop)
        #expect(l.verdict == .fail, "\(l.message)")
        #expect(
            l.message == "bin file is not exists: \(loop) cannot be opened (Too many levels of symbolic links): a symlink to \(dir)/other",
            "\(l.message)")
        #expect(Fixture.evidence(l, "link_target") == .string(dir + "/other"))
    }
}
