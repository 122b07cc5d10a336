import Foundation
import HostProbe
import TestSupport
import Testing

@Suite("What a Go binary records of its build, read from its ELF sections")
struct GoBinaryInfoTests {
    @Test(
        "main.version set with -X and the Go release are read from a real Go binary; -s drops the version, not the release",
        .enabled(if: GoPrograms.go != nil, "go is not installed (Scripts/deps.sh test installs it)"))
    func realBinaries() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-gobin-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let release = try GoPrograms.goVersion()
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/plain", ldflags: "-X main.version=7.6.1a2b3c4")
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/stripped", ldflags: "-s -w -X main.version=7.6.1a2b3c4")
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/default", ldflags: "")
        #expect(try GoBinaryInfo.read(dir + "/plain")?.goVersion == release)
        #expect(try GoBinaryInfo.read(dir + "/plain")?.mainVersion == "7.6.1a2b3c4")
        #expect(try GoBinaryInfo.read(dir + "/stripped")?.goVersion == release)
        #expect(try GoBinaryInfo.read(dir + "/stripped")?.mainVersion == nil)
        // Built as a named file: its main package is `command-line-arguments`; as a module's main package, the
        // module's path (as the collector's Makefile builds github.com/TencentBlueKing/bkunifylogbeat).
        #expect(try GoBinaryInfo.read(dir + "/plain")?.mainPath == "command-line-arguments")
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/module", ldflags: "-s -w", module: "example.com/tools/sleeper/v2")
        #expect(
            try GoBinaryInfo.read(dir + "/module")
                == GoBinaryInfo(goVersion: release, mainVersion: nil, mainPath: "example.com/tools/sleeper/v2"))
        #expect(try GoBinaryInfo.read(dir + "/default")?.mainVersion == "0.0.0")
        #expect(try GoBinaryInfo.read(dir + "/plain")?.goRelease?.first == 1)

        // A file cut anywhere, or with its tables overwritten, gives what is still whole or nothing: never a
        // crash, never a version read from the wrong bytes.
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/plain")))
        var cuts = Array(stride(from: 0, to: whole.count, by: max(1, whole.count / 97)))
        cuts += [0, 1, 16, 52, 63, 64, whole.count - 1]
        for cut in cuts {
            let path = dir + "/cut"
            try Data(whole.prefix(cut)).write(to: URL(fileURLWithPath: path))
            let info = try GoBinaryInfo.read(path)
            #expect(info?.mainVersion == nil || info?.mainVersion == "7.6.1a2b3c4", "cut at \(cut)")
            #expect(info?.goVersion == nil || info?.goVersion == release, "cut at \(cut)")
            #expect(info?.mainPath == nil || info?.mainPath == "command-line-arguments", "cut at \(cut)")
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            var bytes = whole
            let at = Int.random(in: 0..<min(bytes.count, 4096), using: &rng)
            for k in at..<min(bytes.count, at + 64) { bytes[k] = UInt8.random(in: 0...255, using: &rng) }
            let end = Int.random(in: (bytes.count - 65536)..<bytes.count, using: &rng)
            for k in end..<min(bytes.count, end + 64) { bytes[k] = UInt8.random(in: 0...255, using: &rng) }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/noisy"))
            _ = try GoBinaryInfo.read(dir + "/noisy")
        }
    }

    @Test("a binary that is not Go, or not ELF, records nothing")
    func notGo() throws {
        // The fake processes' binary is Swift: ELF with a symbol table, but no Go build information.
        #expect(try GoBinaryInfo.read(FakeHost.fakeBinary) == nil)
        let dir = NSTemporaryDirectory() + "bkdiag-gobin-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "#!/bin/sh\necho 7.7\n".write(toFile: dir + "/script", atomically: true, encoding: .utf8)
        #expect(try GoBinaryInfo.read(dir + "/script") == nil)
        try Data().write(to: URL(fileURLWithPath: dir + "/empty"))
        #expect(try GoBinaryInfo.read(dir + "/empty") == nil)
        #expect(throws: ProbeError.self) { try GoBinaryInfo.read(dir + "/missing") }
    }

    /// ELF headers whose offsets and sizes are set to overflow the sums the reader makes: each is refused,
    /// none traps.
    @Test("crafted section tables with offsets near 2^64 are refused without a trap")
    func craftedOffsets() throws {
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        func header(shoff: UInt64, shnum: UInt16, shstrndx: UInt16) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 64)
            h[0...3] = [0x7f, 0x45, 0x4c, 0x46]
            h[4] = 2
            h[5] = 1
            h[40..<48] = le(shoff, 8)[...]
            h[58..<60] = le(64, 2)[...]
            h[60..<62] = le(UInt64(shnum), 2)[...]
            h[62..<64] = le(UInt64(shstrndx), 2)[...]
            return h
        }
        func section(type: UInt32, offset: UInt64, size: UInt64, link: UInt32 = 0, address: UInt64 = 0) -> [UInt8] {
            var s = [UInt8](repeating: 0, count: 64)
            s[4..<8] = le(UInt64(type), 4)[...]
            s[16..<24] = le(address, 8)[...]
            s[24..<32] = le(offset, 8)[...]
            s[32..<40] = le(size, 8)[...]
            s[40..<44] = le(UInt64(link), 4)[...]
            return s
        }
        let huge = UInt64.max - 8
        var files: [[UInt8]] = [
            header(shoff: huge, shnum: 2, shstrndx: 1),
            header(shoff: 64, shnum: 2, shstrndx: 1) + section(type: 2, offset: huge, size: 32, link: 1)
                + section(type: 3, offset: huge, size: 32),
            header(shoff: 64, shnum: 2, shstrndx: 1) + section(type: 2, offset: 64, size: huge, link: 1)
                + section(type: 3, offset: 64, size: UInt64(Int64.max)),
            header(shoff: 64, shnum: 1, shstrndx: 0) + section(type: 1, offset: huge, size: 16, address: huge),
        ]
        // A `.go.buildinfo` of the pointer form (before Go 1.18) whose pointer falls in a section placed at the
        // top of the address space and of the file offsets: following it must not overflow either sum.
        let names = Array("\0.shstrtab\0.go.buildinfo\0.data\0".utf8)
        let buildinfo = [0xff] + Array(" Go buildinf:".utf8) + [8, 0] + le(0xFFFF_FFFF_FFFF_FFF0, 8) + [UInt8](repeating: 0, count: 8)
        let namesAt = UInt64(64), buildinfoAt = UInt64(64 + names.count), tableAt = UInt64(64 + names.count + buildinfo.count)
        func named(_ name: Int, _ type: UInt32, address: UInt64, offset: UInt64, size: UInt64) -> [UInt8] {
            var s = section(type: type, offset: offset, size: size, address: address)
            s[0..<4] = le(UInt64(name), 4)[...]
            return s
        }
        for data in [
            named(25, 1, address: 1, offset: 0, size: UInt64.max),
            named(25, 1, address: 0xFFFF_FFFF_FFFF_FF00, offset: 0xFFFF_FFFF_FFFF_FFF8, size: 0x100),
        ] {
            let table =
                named(0, 0, address: 0, offset: 0, size: 0) + named(1, 3, address: 0, offset: namesAt, size: UInt64(names.count))
                + named(11, 1, address: 0x1000, offset: buildinfoAt, size: UInt64(buildinfo.count)) + data
            files.append(header(shoff: tableAt, shnum: 4, shstrndx: 1) + names + buildinfo + table)
        }
        let dir = NSTemporaryDirectory() + "bkdiag-gobin-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, bytes) in files.enumerated() {
            let path = dir + "/crafted-\(i)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(try GoBinaryInfo.read(path) == nil, "file \(i)")
        }
    }

    @Test(
        "the Go linker's marks are in a Go binary however stripped (-s -w, binutils strip); a C program has none",
        .enabled(if: GoPrograms.go != nil, "go is not installed (Scripts/deps.sh test installs it)"))
    func marksOfRealBinaries() async throws {
        let dir = NSTemporaryDirectory() + "bkdiag-gomarks-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/plain", ldflags: "")
        try await GoPrograms.build(GoPrograms.sleeper, into: dir + "/linker-stripped", ldflags: "-s -w")
        var names = ["plain", "linker-stripped"]
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/strip") {
            let r = try await ProgramRun.run("/usr/bin/strip", ["--strip-all", "-o", dir + "/strip-all", dir + "/linker-stripped"])
            #expect(r.status == 0, "\(r.stderr)")
            names.append("strip-all")
        }
        for name in names {
            let marks = try #require(try GoBinaryInfo.marks(dir + "/" + name), "\(name)")
            #expect(marks.contains(".gopclntab") && marks.contains(".note.go.buildid"), "\(name): \(marks)")
        }
        // A C program (the system's /bin/true): its section table read, no mark in it.
        #expect(try GoBinaryInfo.marks("/bin/true") == [])
        // The fake collector carries the Go build ID note, and nothing else of Go.
        #expect(try GoBinaryInfo.marks(FakeHost.fakeBinary) == [".note.go.buildid"])
        try "#!/bin/sh\nexit 0\n".write(toFile: dir + "/script", atomically: true, encoding: .utf8)
        #expect(try GoBinaryInfo.marks(dir + "/script") == nil)
    }

    @Test("without a section table, a Go note in a PT_NOTE segment is a mark; none says nothing")
    func marksWithoutSections() throws {
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        func file(owner: String) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 64)
            h[0...3] = [0x7f, 0x45, 0x4c, 0x46]
            h[4] = 2
            h[5] = 1
            h[16..<18] = le(2, 2)[...]
            h[32..<40] = le(64, 8)[...]  // e_phoff
            h[54..<56] = le(56, 2)[...]  // e_phentsize
            h[56..<58] = le(1, 2)[...]  // e_phnum
            let name = Array(owner.utf8) + [UInt8](repeating: 0, count: 4 - owner.utf8.count % 4)
            let note = le(UInt64(owner.utf8.count + 1), 4) + le(8, 4) + le(4, 4) + name + Array("abcdefgh".utf8)
            var ph = [UInt8](repeating: 0, count: 56)
            ph[0..<4] = le(4, 4)[...]  // PT_NOTE
            ph[8..<16] = le(120, 8)[...]
            ph[32..<40] = le(UInt64(note.count), 8)[...]
            return h + ph + note
        }
        let dir = NSTemporaryDirectory() + "bkdiag-gomarks-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(file(owner: "Go")).write(to: URL(fileURLWithPath: dir + "/go"))
        #expect(try GoBinaryInfo.marks(dir + "/go") == ["a Go note (PT_NOTE)"])
        try Data(file(owner: "GNU")).write(to: URL(fileURLWithPath: dir + "/gnu"))
        #expect(try GoBinaryInfo.marks(dir + "/gnu") == nil)
    }

    @Test("the Go release reads as numbers")
    func releases() {
        #expect(GoBinaryInfo(goVersion: "go1.24.11", mainVersion: nil).goRelease == [1, 24, 11])
        #expect(GoBinaryInfo(goVersion: "go1.22rc1", mainVersion: nil).goRelease == [1, 22])
        #expect(GoBinaryInfo(goVersion: "go1.9", mainVersion: nil).goRelease == [1, 9])
        #expect(GoBinaryInfo(goVersion: "devel +abc", mainVersion: nil).goRelease == nil)
        #expect(GoBinaryInfo(goVersion: nil, mainVersion: "7.7").goRelease == nil)
    }
}
