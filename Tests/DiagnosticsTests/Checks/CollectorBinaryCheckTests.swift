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

    @Test("a file that is not ELF warns")
    func notELF() {
        let f = run(.success(Fixture.executable), elf: .success(nil))
        #expect(f.verdict == .warn)
        #expect(f.message == "\(path) is not an ELF binary")
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
