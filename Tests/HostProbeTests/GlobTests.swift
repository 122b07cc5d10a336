import Foundation
import HostProbe
import Testing

@Suite("Glob")
struct GlobTests {
    @Test(
        "match follows the collector's Go filepath.Match",
        arguments: [
            ("*.log", "a.log", true), ("*.log", ".hidden.log", true), ("*.log", "a.log.1", false),
            ("a?c", "abc", true), ("a?c", "ac", false), ("[a-c]x", "bx", true), ("[^a-c]x", "bx", false),
            ("[^a-c]x", "dx", true), ("\\*", "*", true), ("\\*", "a", false), ("日志*", "日志 1.log", true),
            ("$(id);`x`", "$(id);`x`", true), ("*", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
            ("[]a]", "]", true), ("*x*y*z*", String(repeating: "a", count: 300), false),
        ])
    func match(pattern: String, name: String, expected: Bool) throws {
        #expect(try Glob.match(pattern, name) == expected)
    }

    @Test("bad patterns are errors", arguments: ["[abc", "abc\\", "[a-"])
    func badPattern(pattern: String) {
        #expect(throws: GlobPatternError.self) { try Glob.match(pattern, "abc") }
        #expect(throws: GlobPatternError.self) { try Glob.expand("/tmp/" + pattern) }
    }

    @Test("expand walks directories: spaces, CJK, hidden, symlinks, 255-byte names, limits")
    func expand() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-glob-\(UUID().uuidString.prefix(6))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/a b/日志", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        let long = String(repeating: "x", count: 251) + ".log"  // 255 bytes
        for f in ["a b/日志/1.log", "a b/日志/.2.log", "c/3.log", "c/" + long, "c/;rm -rf x.log"] {
            try "x".write(toFile: dir + "/" + f, atomically: true, encoding: .utf8)
        }
        try fm.createSymbolicLink(atPath: dir + "/c/link.log", withDestinationPath: dir + "/c/3.log")
        let e = try Glob.expand(dir + "/*/日志/*.log")
        #expect(e.matches == [dir + "/a b/日志/.2.log", dir + "/a b/日志/1.log"])
        let c = try Glob.expand(dir + "/c/*.log")
        #expect(c.matches.count == 4)
        #expect(c.matches.contains(dir + "/c/" + long))
        #expect(c.matches.contains(dir + "/c/;rm -rf x.log"))
        #expect(c.matches.contains(dir + "/c/link.log"))
        let limited = try Glob.expand(dir + "/c/*", limit: 2)
        #expect(limited.truncated && limited.matches.count == 2)
        #expect(try Glob.expand(dir + "/c/3.log").matches == [dir + "/c/3.log"])
        #expect(try Glob.expand(dir + "/nope/*.log").matches.isEmpty)
        #expect(try Glob.expand(dir + "/c/3.log/x").matches.isEmpty)
        // A symlink loop is neither a match nor a hang.
        try fm.createSymbolicLink(atPath: dir + "/loop1", withDestinationPath: dir + "/loop2")
        try fm.createSymbolicLink(atPath: dir + "/loop2", withDestinationPath: dir + "/loop1")
        #expect(try Glob.expand(dir + "/loop1/*.log").matches.isEmpty)
    }
}
