import Testing

@testable import HostProbe

@Suite("POSIX regular expressions for exclude_files")
struct PosixRegexTests {
    @Test(
        "searched anywhere in the path, as Go's MatchString",
        arguments: [
            (#"\.gz$"#, "/l/a.log.gz", true), (#"\.gz$"#, "/l/a.gz.log", false), ("access", "/data/access_log/x", true),
            ("^/tmp/", "/tmp/a.log", true), ("^/tmp/", "/data/tmp/a.log", false), (#"\.log\.\d+$"#, "/l/a.log.12", true),
            (#"\.log\.\d+$"#, "/l/a.log.x", false), (#"\D$"#, "/l/a.log.1", false), ("日志", "/data/日志/a.log", true),
            (#"(debug|trace)\.log$"#, "/l/trace.log", true), (#"\w+_bak"#, "/l/x_bak/a", true),
        ] as [(String, String, Bool)])
    func matching(pattern: String, text: String, expected: Bool) throws {
        let r = try #require(PosixRegex(pattern))
        #expect(r.matches(text) == expected)
    }

    @Test("expressions glibc cannot take are refused, not guessed", arguments: ["(?i)access", "[unclosed", "trailing\\", "a{2,1}"])
    func refused(pattern: String) {
        #expect(PosixRegex(pattern) == nil)
    }

    @Test(
        "Go escapes in POSIX terms, inside and outside brackets",
        arguments: [
            (#"\d+\.log"#, "[0-9]+\\.log"), (#"[\d]+"#, "[0-9]+"), (#"[^\d]x"#, "[^0-9]x"), (#"[\.]log$"#, "[.]log$"),
            ("[[:digit:]]+", "[[:digit:]]+"), ("[]a]\\.gz", "[]a]\\.gz"), ("[^]a]", "[^]a]"), (#"a\Db"#, "a[^0-9]b"),
        ] as [(String, String)])
    func translate(go: String, posix: String) {
        #expect(PosixRegex.translate(go) == posix)
    }

    @Test("a bracket escape POSIX cannot spell is refused", arguments: [#"[\w]"#, #"[\]]"#, #"[\-a]"#, "x\\", "[[:alpha"])
    func untranslatable(go: String) {
        #expect(PosixRegex.translate(go) == nil)
    }

    @Test("translated brackets match as Go's do")
    func bracketMatching() throws {
        #expect(try #require(PosixRegex(#"[\d]{8}\.log$"#)).matches("/l/20261123.log"))
        #expect(try #require(PosixRegex(#"[\.]gz$"#)).matches("/l/a.gz"))
        #expect(!(try #require(PosixRegex(#"[\.]gz$"#)).matches("/l/a\\gz")))
    }
}
