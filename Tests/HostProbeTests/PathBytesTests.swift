import Foundation
import HostProbe
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bytes a test writes to disk as a file name, whatever their encoding.
func makeFile(bytes path: [UInt8], content: String = "line\n") throws {
    let fd = PathBytes.withCString(PathBytes.string(path)) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
    guard fd >= 0 else { throw ProbeError(call: "open", path: PathBytes.string(path), errno: errno) }
    _ = content.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

func makeDirectory(bytes path: [UInt8]) throws {
    let rc = PathBytes.withCString(PathBytes.string(path)) { mkdir($0, 0o755) }
    guard rc == 0 else { throw ProbeError(call: "mkdir", path: PathBytes.string(path), errno: errno) }
}

@Suite("Paths as bytes")
struct PathBytesTests {
    /// 中文 in GBK, a name common on Chinese hosts and not UTF-8.
    static let gbk: [UInt8] = [0xD6, 0xD0, 0xCE, 0xC4]

    @Test(
        "any byte string survives the trip through a String, and only raw bytes are escaped for display",
        arguments: [
            ([UInt8]("plain/日志.log".utf8), "plain/日志.log"),
            (gbk, #"\xd6\xd0\xce\xc4"#),
            ([0x61, 0xE4, 0xB8], #"a\xe4\xb8"#),  // a UTF-8 sequence cut short
            ([0xC0, 0xAF], #"\xc0\xaf"#),  // overlong
            ([0xED, 0xA0, 0x80], #"\xed\xa0\x80"#),  // an encoded surrogate
            ([0xF4, 0x8F, 0xBE, 0x80], #"\xf4\x8f\xbe\x80"#),  // valid UTF-8 of the reserved range
            ([0xFF, 0x2F, 0x80], #"\xff/\x80"#),
            ([0x61, 0x00, 0x62], #"a\x00b"#),  // a NUL (a config's "\0"), shown, never cut off
        ])
    func roundTrip(bytes: [UInt8], shown: String) {
        let s = PathBytes.string(bytes)
        #expect(PathBytes.bytes(of: s) == bytes)
        #expect(PathBytes.display(s) == shown)
        #expect(PathBytes.carriesRawBytes(s) == (String(validating: bytes, as: UTF8.self) == nil || bytes.first == 0xF4))
    }

    @Test(
        "a path holding a NUL names no file: the system calls are refused it (EINVAL), never given the part before the NUL, and glob finds nothing"
    )
    func nul() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-nul-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x\n".write(toFile: dir + "/a.log", atomically: true, encoding: .utf8)
        let cut = dir + "/a.log\u{0}tail"
        #expect(PathBytes.hasNUL(cut) && !PathBytes.hasNUL(dir + "/a.log"))
        #expect(throws: ProbeError(call: "stat", path: cut, errno: EINVAL)) { try Sys.stat(cut) }
        #expect(throws: ProbeError(call: "lstat", path: cut, errno: EINVAL)) { try Sys.stat(cut, follow: false) }
        #expect(throws: ProbeError(call: "open", path: cut, errno: EINVAL)) { try Sys.openRead(cut) }
        #expect(throws: ProbeError(call: "opendir", path: dir + "\u{0}x", errno: EINVAL)) { try Sys.listDirectory(dir + "\u{0}x") }
        #expect(throws: ProbeError(call: "readlink", path: cut, errno: EINVAL)) { try Sys.readlink(cut) }
        #expect((try? FileSystemSpace.of(cut)) == nil)
        #expect(Sys.realPath(cut) == nil && Sys.birthTime(cut) == nil && Sys.hasAccessACL(cut) == nil)
        #expect(throws: ProbeError.self) { try Sys.unixAddress(dir + "/s\u{0}ock") }
        // The part before the NUL is there; the pattern still matches nothing, and says no error (Go's glob).
        for pattern in [cut, dir + "/*.log\u{0}", dir + "\u{0}/a.log"] {
            let e = try Glob.expand(pattern)
            #expect(e.matches.isEmpty && e.failures.isEmpty && e.unreadable.isEmpty && !e.truncated, "\(PathBytes.display(pattern))")
        }
        #expect(try Glob.expand(dir + "/a.log").matches == [dir + "/a.log"])
    }

    @Test("glob lists, matches and stats names that are not UTF-8, with patterns in either encoding")
    func globBytes() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-bytes-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sub = Array(dir.utf8) + [0x2F] + Self.gbk
        try makeDirectory(bytes: sub)
        try makeFile(bytes: sub + Array("/a.log".utf8))
        try makeFile(bytes: sub + [0x2F] + Self.gbk + Array(".log".utf8))
        let gbkDir = PathBytes.string(sub)
        // A UTF-8 pattern whose `*` meets the GBK directory.
        let e = try Glob.expand(dir + "/*/*.log")
        #expect(e.matches == [gbkDir + "/a.log", PathBytes.string(sub + [0x2F] + Self.gbk + Array(".log".utf8))])
        #expect(e.failures.isEmpty && e.unreadable.isEmpty)
        // A pattern that carries the GBK bytes itself (as `-l` does from argv).
        #expect(try Glob.expand(gbkDir + "/a.log").matches == [gbkDir + "/a.log"])
        // `?` is one invalid byte, as Go decodes it (RuneError, width 1); a class reads it as U+FFFD.
        #expect(try Glob.match("????", PathBytes.string(Self.gbk)))
        #expect(try !Glob.match("??", PathBytes.string(Self.gbk)))
        #expect(try Glob.match("[^a]*", PathBytes.string(Self.gbk)))
        #expect(throws: GlobPatternError.self) { try Glob.match("[" + PathBytes.string([0xD6]) + "]", "x") }
        // The real path and stat work on the bytes too.
        #expect(Sys.realPath(gbkDir + "/./a.log") == (Sys.realPath(dir) ?? dir) + "/" + PathBytes.string(Self.gbk) + "/a.log")
        #expect(try Sys.stat(gbkDir + "/a.log").isRegular)
        #expect(try Sys.listDirectory(gbkDir).sorted() == ["a.log", PathBytes.string(Self.gbk + Array(".log".utf8))])
    }

    @Test("a symlink loop or an over-long name is an error of the expansion, not a permission problem")
    func errorsNamed() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-errs-\(UUID().uuidString.prefix(6))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        try fm.createSymbolicLink(atPath: dir + "/loop", withDestinationPath: dir + "/loop")
        let loop = try Glob.expand(dir + "/loop/*.log")
        #expect(loop.matches.isEmpty && loop.unreadable.isEmpty)
        #expect(loop.failures.map(\.errno) == [ELOOP])
        let long = try Glob.expand(dir + "/" + String(repeating: "n", count: 256) + "/a.log")
        #expect(long.matches.isEmpty && long.unreadable.isEmpty)
        #expect(long.failures.map(\.errno) == [ENAMETOOLONG])
        #expect(long.failures.first?.reason == String(cString: strerror(ENAMETOOLONG)))
    }
}
