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
            ("[\\]a]", "]", true), ("*x*y*z*", String(repeating: "a", count: 300), false),
        ])
    func match(pattern: String, name: String, expected: Bool) throws {
        #expect(try Glob.match(pattern, name) == expected)
    }

    @Test("bad patterns are errors", arguments: ["[abc", "abc\\", "[a-", "[]a]", "[a-]", "[-a]", "[^]]", "[]"])
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

    @Test("`..` is applied to the pattern's text, as the collector's filepath.Abs does, not walked through a symlink")
    func dotDotIsLexical() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-glob-dots-\(UUID().uuidString.prefix(6))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/real/sub", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        try "x".write(toFile: dir + "/real/b.log", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/a.log", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real/sub")
        // link/.. is dir itself to the collector (the kernel would say real/): dir/b.log does not exist.
        #expect(try Glob.expandLikeCollector(dir + "/link/../b.log").matches.isEmpty)
        #expect(try Glob.expandLikeCollector(dir + "/link/../*.log").matches == [dir + "/a.log"])
        // A directory that does not exist is no obstacle to `..` either.
        #expect(try Glob.expandLikeCollector(dir + "/nonexist/../a.log").matches == [dir + "/a.log"])
        #expect(try Glob.collectorPatterns("/data//logs/./x/../*.log") == ["/data/logs/*.log"])
        #expect(Glob.matchesLikeCollector("/data/x/../logs/*.log", path: "/data/logs/a.log"))
    }

    /// `prefix`, then 0 to 8 `*` levels, then `suffix`, joined (absolute when `absolute`).
    static func levels(_ prefix: [String], _ suffix: [String], absolute: Bool = true, from: Int = 0) -> [String] {
        (from...8).map { depth in
            let parts: [String] = prefix + Array(repeating: "*", count: depth) + suffix
            return (absolute ? "/" : "") + parts.joined(separator: "/")
        }
    }

    static let recursiveCases: [(String, [String])] = [
        ("/a/**", levels(["a"], [])),
        ("/a/**/*.log", levels(["a"], ["*.log"])),
        ("/a//./b/../**/c.log", levels(["a"], ["c.log"])),
        ("/**", levels([], [])),
        ("**", levels([], [], absolute: false, from: 1)),
        ("/a/x**y/*.log", ["/a/x**y/*.log"]),
        ("/a/b/*.log", ["/a/b/*.log"]),
    ]

    @Test(
        "** is rewritten as the collector's recursive glob does: one element, 0 to 8 levels, over the cleaned path",
        arguments: recursiveCases)
    func collectorPatterns(pattern: String, expected: [String]) throws {
        #expect(try Glob.collectorPatterns(pattern) == expected)
    }

    @Test("a second ** element is refused, as the collector refuses the path", arguments: ["/a/**/b/**", "/**/**/x.log"])
    func multipleDoubleStar(pattern: String) {
        #expect(throws: GlobPatternError(pattern: pattern, reason: .multipleDoubleStar)) { try Glob.collectorPatterns(pattern) }
        #expect(throws: GlobPatternError(pattern: pattern, reason: .multipleDoubleStar)) { try Glob.expandLikeCollector(pattern) }
        #expect(!Glob.matchesLikeCollector(pattern, path: "/a/x/b/y"))
    }

    @Test("expanding ** finds files 0 to 8 levels down and not 9, each once")
    func recursiveExpand() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-rglob-\(UUID().uuidString.prefix(6))"
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: dir) }
        var expected: [String] = []
        for depth in 0...9 {
            let sub = (0..<depth).map { "d\($0)" }.joined(separator: "/")
            let where_ = sub.isEmpty ? dir : dir + "/" + sub
            try fm.createDirectory(atPath: where_, withIntermediateDirectories: true)
            try "x".write(toFile: where_ + "/app \(depth).log", atomically: true, encoding: .utf8)
            try "x".write(toFile: where_ + "/skip.txt", atomically: true, encoding: .utf8)
            if depth <= 8 { expected.append(where_ + "/app \(depth).log") }
        }
        let e = try Glob.expandLikeCollector(dir + "/**/*.log")
        #expect(e.matches == expected.sorted())
        #expect(!e.truncated)
        // Without ** the plain expansion is unchanged.
        #expect(try Glob.expandLikeCollector(dir + "/*.log").matches == [dir + "/app 0.log"])
        #expect(Glob.matchesLikeCollector(dir + "/**/*.log", path: dir + "/d0/d1/app 2.log"))
        #expect(!Glob.matchesLikeCollector(dir + "/**/*.log", path: expected.last!.replacingOccurrences(of: "8.log", with: "8.txt")))
        let nine = (0..<9).map { "d\($0)" }.joined(separator: "/")
        #expect(!Glob.matchesLikeCollector(dir + "/**/*.log", path: dir + "/" + nine + "/app 9.log"))
    }

    /// The paths a `PathIndex` offers a matcher must hold every path it matches (a literal component matches only
    /// itself, a wildcard any), and leave out those of other directories and depths, which it is not tried on.
    @Test("a path index offers a matcher every path it matches, and not the paths of other directories or depths")
    func pathIndex() {
        let decomposed = "/data/logs/e\u{301}/a.log"
        var paths = [
            "/data/logs/svc1/a.log", "/data/logs/svc1/a.log.gz", "/data/logs/svc1/sub/b.log", "/data/logs/svc2/a.log",
            "/data/logs/svc10/a.log", "/data/logs/[x]/a.log", "/data/logs/x/a.log", "/data/logs/\u{e9}/a.log", decomposed,
            "/var/log/x.log", "/data//logs/svc1/c.log", "logs/a.log", "/data/logs/a b/c d.log", "/data/logs/日志/应用.log",
        ]
        // A thousand directories beside them, two files each.
        for i in 0..<1000 { paths += ["/data/more/d\(i)/a.log", "/data/more/d\(i)/b.log"] }
        let index = Glob.PathIndex(paths)
        let patterns = [
            "/data/logs/svc1/*.log", "/data/logs/svc?/*.log", "/data/logs/**/*.log", "/data/logs/svc[12]/a.log", "logs/*.log",
            "/data/logs/\\[x\\]/a.log", "/data/logs/[x]/a.log", "/data/logs/\u{e9}/a.log", decomposed, "/*/logs/svc1/a.log",
            "/data/logs/svc1/a.log", "/data/logs/a b/*", "/data/logs/日志/*.log", "/data/more/d7/*.log", "/data/more/*/a.log",
            "/data/../data/logs/svc2/a.log", "/**/x.log", "/data/logs/svc1/*.gz",
        ]
        for pattern in patterns {
            let matcher = Glob.CollectorMatcher(pattern)
            let matched = paths.indices.filter { matcher.matches(paths[$0]) }
            let offered = index.candidates(matcher)
            #expect(Set(matched).isSubset(of: Set(offered)), "\(pattern): matched \(matched.map { paths[$0] }), offered \(offered.count)")
            #expect(offered == offered.sorted() && Set(offered).count == offered.count)
        }
        #expect(!index.candidates(Glob.CollectorMatcher("/data/logs/svc2/a.log")).isEmpty)
        // The pattern of one directory of the thousand is tried on its two files, not on the 2,000.
        #expect(
            index.candidates(Glob.CollectorMatcher("/data/more/d7/*.log")).map { paths[$0] } == [
                "/data/more/d7/a.log", "/data/more/d7/b.log",
            ])
        // A wildcard directory: every path of that depth under /data/more, none elsewhere.
        #expect(index.candidates(Glob.CollectorMatcher("/data/more/*/a.log")).count == 2000)
        // Two spellings of é are different components to Go's match, one string to Swift: the index may offer both
        // (the matcher then decides), never neither.
        #expect(index.candidates(Glob.CollectorMatcher(decomposed)).contains(paths.firstIndex(of: decomposed)!))
        // A refused pattern (two ** elements) matches nothing and is offered nothing.
        #expect(index.candidates(Glob.CollectorMatcher("/data/**/logs/**/a.log")).isEmpty)
    }

    /// Go's glob reads the pattern byte by byte: a `*`, `?`, `[` or `\` is a wildcard even when a combining mark
    /// follows it (one Swift Character with it, `*\u{301}`). Such a component is not literal: it is expanded, not
    /// looked up as a name, and a path index offers the matcher every path it matches through it.
    @Test("a wildcard a combining mark follows is still a wildcard, for expand and the path index")
    func wildcardBeforeCombiningMark() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-glob-mark-\(UUID().uuidString.prefix(6))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        let file = dir + "/logs/cafe\u{301}.log"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(
            try fm.contentsOfDirectory(atPath: dir + "/logs").map { Array($0.unicodeScalars) } == [Array("cafe\u{301}.log".unicodeScalars)])
        for pattern in [dir + "/logs/*\u{301}.log", dir + "/logs/caf?\u{301}.log"] {
            #expect(Glob.matchesLikeCollector(pattern, path: file), "\(pattern)")
            #expect(Glob.PathIndex([dir + "/logs/a.log", file]).candidates(Glob.CollectorMatcher(pattern)).contains(1), "\(pattern)")
        }
        #expect(try Glob.expand(dir + "/logs/*\u{301}.log").matches == [file])
        #expect(try Glob.expand(dir + "/logs/caf?\u{301}.log").matches == [file])
        // An unclosed `[` before a combining mark is as malformed as any other.
        #expect(throws: GlobPatternError.self) { try Glob.expand(dir + "/logs/[\u{301}.log") }
    }
}
