import Foundation
import TestSupport
import Testing

/// `bkdiag-fleet parse --format agent --strict-agent` against the platform's loop itself (Scripts/agentchecker.py
/// under python3) on seeded random fleets (`differential-fleet.py`): bkdiag reports of every shape, check.py
/// lines, values only Python's json.loads reads, cut lines and junk, hosts in other JOB states, without a log or
/// logged twice, across pages. The recorded tables (`PythonRenderingTests`) hold single lines; this holds whole
/// fleets, through the fast readers (`--evidence never`: reports read where they lie) and the whole ones.
@Suite(.ownThreads) struct AgentCheckerDifferentialTests {
    static let seeds = [11, 23, 37, 41, 59, 73]

    static func python() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/python3") {
            return "\(dir)/python3"
        }
        return nil
    }

    @Test(arguments: seeds)
    func everyLineAsThePlatformsLoopPrintsIt(seed: Int) async throws {
        let python = try #require(Self.python(), "python3 is installed by Scripts/deps.sh test")
        let bin = try #require(CLITests.binary(), "bkdiag-fleet is built by swift test")
        let dir = try CLITests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("differential-fleet.py").path
        let made = try await ProgramRun.run(python, [script, dir, String(seed), "300"], timeout: 120)
        try #require(made.status == 0 && !made.timedOut, "differential-fleet.py: \(made.stderr)")
        let files = try String(contentsOfFile: "\(dir)/files.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(dir)/expected.txt")))
        let expectedLines = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // A fleet of this size prints a few hundred lines of every kind; fewer means the generator went wrong.
        #expect(expectedLines.count > 600, "\(expectedLines.count) lines expected")
        for evidence in ["never", "always"] {
            let r = try await ProgramRun.run(
                bin, ["parse", "--no-store", "--evidence", evidence, "--format", "agent", "--strict-agent"] + files, timeout: 120)
            #expect(r.status == 0 && !r.timedOut, "seed \(seed), evidence \(evidence): \(r.stderr)")
            guard r.stdoutBytes != expected else { continue }
            let got = r.stdoutBytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let at =
                zip(got, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expectedLines.count)
            func line(_ lines: [ArraySlice<UInt8>], _ k: Int) -> String {
                k < lines.count ? String(decoding: lines[k], as: UTF8.self) : "(no line)"
            }
            Issue.record(
                """
                seed \(seed), evidence \(evidence): line \(at + 1) differs (\(got.count) lines, the loop \(expectedLines.count))
                  bkdiag-fleet: \(line(got, at))
                  the loop:     \(line(expectedLines, at))
                """)
        }
    }
}
