import Foundation
import Testing

/// `Scripts/unfinished-tests.py`, which `Scripts/test.sh` runs on the log of a run that hangs: it must
/// name exactly the tests that started and never ended, whatever words their names hold.
@Suite struct UnfinishedTestsScriptTests {
    @Test func namesOnlyTheTestsThatNeverEnded() throws {
        let python = try #require(pythonInterpreter(major: 3), "python3 is installed by Scripts/deps.sh test")
        let tmp = try TempDir()
        let log = """
            ◇ Test run started.
            ◇ Suite Things started.
            ◇ Test "a passed test whose name says skipped" started.
            ◇ Test "still running: passed after nothing" started.
            ◇ Test parameterised(value:) started.
            ◇ Test case passing 1 argument value → 1 to parameterised(value:) started.
            ◇ Test "failing" started.
            ◇ Test "skipped on purpose" started.
            ◇ Test twice() started.
            ◇ Test twice() started.
            ✔ Test "a passed test whose name says skipped" passed after 0.100 seconds.
            ✔ Test parameterised(value:) with 3 test cases passed after 0.200 seconds.
            ✘ Test "failing" recorded an issue at X.swift:1:1: Expectation failed
            ✘ Test "failing" failed after 0.300 seconds with 1 issue.
            ➜ Test "skipped on purpose" skipped: "no chromium"
            ✔ Test twice() passed after 0.400 seconds.
            ✔ Test run with 6 tests in 1 suite passed after 1.000 seconds.

            """
        try log.write(toFile: tmp.path("log"), atomically: true, encoding: .utf8)
        let result = try run(python, [Paths.script("unfinished-tests.py"), tmp.path("log")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == [#""still running: passed after nothing""#, "twice()"])

        // A log where everything ended names nothing.
        try log.split(separator: "\n").filter { !$0.contains("still running") && !$0.contains("◇ Test twice()") }
            .joined(separator: "\n").write(toFile: tmp.path("done"), atomically: true, encoding: .utf8)
        let done = try run(python, [Paths.script("unfinished-tests.py"), tmp.path("done")])
        #expect(done.status == 0 && done.stdout.isEmpty, "\(done.stdout)")
    }
}
