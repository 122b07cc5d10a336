import HostProbe
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("YAML and ELF readers")
struct YAMLAndELFTests {
    @Test("YAML: nested and dotted keys, quotes, lists, anchors")
    func yaml() throws {
        let text = """
            output.bkpipe_multi:
              endpoint: "/var/run/ipc.state.report"
            path:
              data: /usr/local/gse/plugins/data
            base: &b
              x: 1
            derived:
              <<: *b
              y: 2
            bkunifylogbeat:
              multi_config:
                - path: '/usr/local/gse/plugins/etc/bkunifylogbeat'
                  file_pattern: "*.conf"
            empty:
            """
        let y = try YAMLNode.parse(text)
        #expect(y.lookup("output.bkpipe_multi.endpoint")?.string == "/var/run/ipc.state.report")
        #expect(y.lookup("path.data")?.string == "/usr/local/gse/plugins/data")
        #expect(y.lookup("bkunifylogbeat.multi_config")?.array?.first?["path"]?.string == "/usr/local/gse/plugins/etc/bkunifylogbeat")
        #expect(y.lookup("derived.x")?.int == 1)
        #expect(y["empty"]?.isNull == true)
        #expect(y.lookup("nope.nothing") == nil)
    }

    @Test(
        "YAML: broken, binary and hostile input is an error with a position, never a crash",
        arguments: ["key: \"unterminated", "a:\n\t- tab", "- [1, 2", "a: b: c", "\u{0}\u{1}\u{2}", "*alias", "a: &x [*x]"])
    func yamlErrors(text: String) {
        #expect(throws: YAMLError.self) { try YAMLNode.parse(text) }
    }

    @Test("YAML: nesting depth is bounded")
    func yamlDepth() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: YAMLError.self) { try YAMLNode.parse(deep) }
        #expect((try? YAMLNode.parse("")) == .null)
    }

    @Test("YAML: merge keys that double a mapping per line are bounded like nodes")
    func mergeKeysAreBounded() throws {
        // Each level merges the one before twice: 2^n members from n short lines.
        var text = "l0: &l0 {a: 1, b: 2}\n"
        for k in 1...40 { text += "l\(k): &l\(k) {<<: *l\(k - 1), x\(k): *l\(k - 1), <<: *l\(k - 1)}\n" }
        #expect(throws: YAMLError.self) { try YAMLNode.parse(text, maxNodes: 100_000) }
        // A small fan-out still merges.
        let few = try YAMLNode.parse("base: &b {a: 1}\nuse: {<<: *b, c: 2}\n")
        #expect(few["use"]?["a"]?.int == 1 && few["use"]?["c"]?.int == 2)
    }

    @Test("ELF header: machine and class; non-ELF and truncated are nil")
    func elf() throws {
        var h = [UInt8](repeating: 0, count: 64)
        h[0] = 0x7f; h[1] = 0x45; h[2] = 0x4c; h[3] = 0x46; h[4] = 2; h[5] = 1; h[16] = 2; h[18] = 62
        let e = try #require(ELFHeader.parse(h))
        #expect(e.is64Bit && e.machineName == "x86_64" && e.runs(on: "x86_64") && !e.runs(on: "aarch64"))
        h[18] = 183
        #expect(ELFHeader.parse(h)?.runs(on: "aarch64") == true)
        #expect(ELFHeader.parse(Array("#!/bin/sh\necho hi\n".utf8)) == nil)
        #expect(ELFHeader.parse(Array(h.prefix(10))) == nil)
        #expect(ELFHeader.parse([]) == nil)
        let me = try #require(try ELFHeader.read("/proc/self/exe"))
        #expect(me.runs(on: Sys.machine()))
        #expect(me.truncation == nil)
    }

    @Test("ELF: a binary cut short (an interrupted or disk-full delivery) is named truncated; whole, it is not")
    func truncatedELF() throws {
        let source = try Sys.readFile("/bin/true", limit: 64 << 20)
        let file = try ScratchExecutable("elf")
        defer { file.remove() }
        func header(of bytes: [UInt8]) throws -> ELFHeader? {
            try file.write(bytes)
            return try ELFHeader.read(file.path)
        }
        #expect(try header(of: source)?.truncation == nil)
        for length in [30, 63] {
            let cut = try #require(try header(of: Array(source.prefix(length))))
            #expect(cut.truncation?.contains("do not hold the 64-byte ELF header") == true, "\(length)")
        }
        // Cut inside the loadable segments: the header and program headers are whole, the code is not.
        let half = try #require(try header(of: Array(source.prefix(source.count / 4))))
        #expect(half.truncation?.contains("loadable segments end at byte") == true, "\(half.truncation ?? "whole")")
    }

    @Test(
        "ELF: a file the kernel will not run (not a program, or a class its machine has no binaries of) is named so, and the kernel agrees")
    func notAProgram() throws {
        let source = try Sys.readFile("/bin/true", limit: 64 << 20)
        let file = try ScratchExecutable("elfx")
        defer { file.remove() }
        /// The header bkdiag reads, and the errno posix_spawn reports for the file (0: it ran).
        func probe(_ patch: (inout [UInt8]) -> Void) throws -> (ELFHeader, Int32) {
            var bytes = source
            patch(&bytes)
            try file.write(bytes)
            let path = file.path
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
            defer { for a in argv { free(a) } }
            let rc = posix_spawn(&pid, path, nil, nil, argv, nil)
            if rc == 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            return (try #require(try ELFHeader.read(path)), rc)
        }
        let (whole, ran) = try probe { _ in }
        #expect(whole.notAProgram == nil && ran == 0)
        // e_type (bytes 16-17, little-endian here) set to relocatable and to core: the kernel refuses both.
        for (type, word) in [(1, "relocatable"), (4, "core dump")] {
            let (h, rc) = try probe {
                $0[16] = UInt8(type); $0[17] = 0
            }
            #expect(h.notAProgram?.contains(word) == true, "\(type): \(h.notAProgram ?? "nil")")
            #expect(rc == ENOEXEC, "type \(type): posix_spawn \(rc)")
        }
        // This host's 64-bit class with the other width's machine (x86-64 → i386, aarch64 → arm).
        let other: UInt16 = whole.machine == 62 ? 3 : whole.machine == 183 ? 40 : 0
        if other != 0 {
            let (h, rc) = try probe {
                $0[18] = UInt8(other); $0[19] = 0
            }
            #expect(h.notAProgram?.contains("has no such binaries") == true, "\(h.notAProgram ?? "nil")")
            #expect(rc == ENOEXEC, "posix_spawn \(rc)")
        }
    }
}

/// An executable file of the test's in a directory of its own under /tmp: `write` replaces its bytes,
/// `remove` takes both away.
struct ScratchExecutable {
    let dir: String
    let path: String

    init(_ tag: String) throws {
        dir = "/tmp/bkdiag-\(tag)-\(getpid())"
        path = dir + "/x"
        try Sys.mkdirs(dir)
    }

    func write(_ bytes: [UInt8]) throws {
        _ = try? Sys.unlink(path)
        let fd = try Sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        defer { Sys.close(fd) }
        try Sys.writeAll(fd, bytes, path: path)
    }

    func remove() {
        _ = try? Sys.unlink(path)
        _ = rmdir(dir)
    }
}
