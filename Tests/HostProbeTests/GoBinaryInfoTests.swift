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
        #expect(try GoBinaryInfo.read(dir + "/plain") == GoBinaryInfo(goVersion: release, mainVersion: "7.6.1a2b3c4"))
        #expect(try GoBinaryInfo.read(dir + "/stripped") == GoBinaryInfo(goVersion: release, mainVersion: nil))
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

    @Test("the Go release reads as numbers")
    func releases() {
        #expect(GoBinaryInfo(goVersion: "go1.24.11", mainVersion: nil).goRelease == [1, 24, 11])
        #expect(GoBinaryInfo(goVersion: "go1.22rc1", mainVersion: nil).goRelease == [1, 22])
        #expect(GoBinaryInfo(goVersion: "go1.9", mainVersion: nil).goRelease == [1, 9])
        #expect(GoBinaryInfo(goVersion: "devel +abc", mainVersion: nil).goRelease == nil)
        #expect(GoBinaryInfo(goVersion: nil, mainVersion: "7.7").goRelease == nil)
    }
}
