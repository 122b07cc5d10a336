import Foundation
import Report
import TestSupport
import Testing

/// bkdiag-fleet on seeded random fleets (`differential-fleet.py`): bkdiag reports of every shape, check.py lines,
/// values only Python's json.loads reads, cut lines and junk, hosts in other JOB states, without a log or logged
/// twice, across pages. The recorded tables (`PythonRenderingTests`) hold single lines; these hold whole fleets.
/// Outputs are compared as bytes: a `String` comparison would take two spellings of one character as equal.
@Suite(.ownThreads) struct AgentCheckerDifferentialTests {
    static let seeds = [11, 23, 37, 41, 59, 73]

    /// A fleet written by `differential-fleet.py` into a new directory (its status answer failing as a whole in
    /// the way `variant` names), with the built binary.
    struct Fleet {
        let dir: String
        let files: [String]
        let bin: String

        static func make(seed: Int, hosts: Int = 300, job variant: String? = nil) async throws -> Fleet {
            let python = try #require(ExecutableFiles.onPath(["python3"]), "python3 is installed by Scripts/deps.sh test")
            let bin = try #require(CLITests.binary(), "bkdiag-fleet is built by swift test")
            let dir = try CLITests.scratch()
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("differential-fleet.py").path
            let made = try await ProgramRun.run(
                python, [script, dir, String(seed), String(hosts)] + (variant.map { [$0] } ?? []), timeout: 120)
            try #require(made.status == 0 && !made.timedOut, "differential-fleet.py: \(made.stderr)")
            let files = try String(contentsOfFile: "\(dir)/files.txt", encoding: .utf8).split(separator: "\n").map(String.init)
            return Fleet(dir: dir, files: files, bin: bin)
        }

        /// What `parse` prints with `arguments` before the files.
        func parse(_ arguments: [String]) async throws -> [UInt8] {
            let r = try await ProgramRun.run(bin, ["parse", "--no-store"] + arguments + files, timeout: 120)
            #expect(r.status == 0 && !r.timedOut, "parse \(arguments): \(r.stderr)")
            return r.stdoutBytes
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    /// The first line at which `a` and `b` differ, with both lines; nil when they are the same.
    static func firstDifferentLine(_ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>]) -> (Int, String, String)? {
        guard a != b else { return nil }
        let k = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        func line(_ l: [ArraySlice<UInt8>]) -> String { k < l.count ? String(decoding: l[k], as: UTF8.self) : "(no line)" }
        return (k + 1, line(a), line(b))
    }

    /// `--format agent --strict-agent` against the platform's loop itself (`Scripts/agentchecker.py` under
    /// python3, whose lines the generator writes to `expected.txt`), with reports read fast (`--evidence never`:
    /// read where they lie, entry lines written while reading) and whole.
    @Test(arguments: seeds)
    func everyLineAsThePlatformsLoopPrintsIt(seed: Int) async throws {
        let fleet = try await Fleet.make(seed: seed)
        defer { fleet.remove() }
        let expected = Self.lines(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fleet.dir)/expected.txt"))))
        // A fleet of this size prints hundreds of lines of every kind; fewer means the generator went wrong.
        #expect(expected.count > 600, "\(expected.count) lines expected")
        // Without --strict-agent the platform's lines are the same, with bkdiag-fleet's own (each naming itself and a
        // host) among them and nothing else.
        let own = Array("] [agent checker] [bkdiag-fleet] [".utf8)
        for (evidence, strict) in [("never", true), ("always", true), ("never", false)] {
            var got = Self.lines(try await fleet.parse(["--evidence", evidence, "--format", "agent"] + (strict ? ["--strict-agent"] : [])))
            if !strict {
                let before = got.count
                got.removeAll { $0.firstRange(of: own) != nil }
                #expect(got.count < before, "no line of bkdiag-fleet's own in seed \(seed)")
            }
            if let (at, mine, loop) = Self.firstDifferentLine(got, expected) {
                Issue.record(
                    """
                    seed \(seed), evidence \(evidence)\(strict ? "" : ", bkdiag-fleet's own lines left out"): line \(at) differs \
                    (\(got.count) lines, the loop \(expected.count))
                      bkdiag-fleet: \(mine)
                      the loop:     \(loop)
                    """)
            }
        }
    }

    /// A status answer that fails as a whole (not finished, `result: false`, a gateway's refusal without
    /// `result`, no steps, another step, no hosts): the platform's job-level lines and no host line.
    @Test(arguments: ["unfinished", "refused", "gateway", "no_steps", "other_step", "no_hosts"])
    func aJobThatFailsAsAWholePrintsThePlatformsLines(variant: String) async throws {
        let fleet = try await Fleet.make(seed: 5, hosts: 40, job: variant)
        defer { fleet.remove() }
        let expected = Self.lines(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fleet.dir)/expected.txt"))))
        #expect(expected.count >= 2 && expected.allSatisfy { !$0.starts(with: Array("[info] [agent checker] [0:".utf8)) })
        let got = Self.lines(try await fleet.parse(["--format", "agent", "--strict-agent"]))
        if let (at, mine, loop) = Self.firstDifferentLine(got, expected) {
            Issue.record("\(variant): line \(at) differs\n  bkdiag-fleet: \(mine)\n  the loop:     \(loop)")
        }
    }

    /// The same value without its members named `names`, at any depth.
    static func without(_ names: Set<String>, _ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let members): .object(members.filter { !names.contains($0.0) }.map { ($0.0, without(names, $0.1)) })
        case .array(let items): .array(items.map { without(names, $0) })
        default: v
        }
    }

    /// Where two values first differ (a path of member names and indexes) and each one's text there, cut short.
    static func firstDifference(_ a: JSONValue, _ b: JSONValue, at place: String = "$") -> (String, String, String)? {
        guard a != b else { return nil }
        switch (a, b) {
        case (.object(let x), .object(let y)) where x.map(\.0) == y.map(\.0):
            for (m, n) in zip(x, y) where m.1 != n.1 { return firstDifference(m.1, n.1, at: "\(place).\(m.0)") }
        case (.array(let x), .array(let y)) where x.count == y.count:
            for (k, (m, n)) in zip(x, y).enumerated() where m != n { return firstDifference(m, n, at: "\(place)[\(k)]") }
        default: break
        }
        return (place, String(a.serialized().prefix(300)), String(b.serialized().prefix(300)))
    }

    /// The other formats on the same fleets: read fast (`--evidence never`: lean entries, results written while
    /// reading) and whole (`--evidence always`), they print the same table and markdown, and the same JSON but
    /// for the evidence and context only the whole reading keeps (and the time of the run).
    @Test(arguments: seeds.prefix(3))
    func fastAndWholeReadingsPrintTheSame(seed: Int) async throws {
        let fleet = try await Fleet.make(seed: seed)
        defer { fleet.remove() }
        for format in ["table", "markdown"] {
            // The run's own time is the one line that may differ.
            let printed = try await ["never", "always"].asyncMap { evidence in
                Self.lines(try await fleet.parse(["--evidence", evidence, "--format", format])).filter {
                    !$0.starts(with: Array("- generated: ".utf8))
                }
            }
            #expect(printed[0].count > 20)
            if let (at, fast, whole) = Self.firstDifferentLine(printed[0], printed[1]) {
                Issue.record("seed \(seed): the \(format) differs at line \(at)\n  fast:  \(fast)\n  whole: \(whole)")
            }
        }
        let json = try await ["never", "always"].asyncMap { evidence in
            String(decoding: try await fleet.parse(["--evidence", evidence, "--format", "json"]), as: UTF8.self)
        }
        // Evidence is there to be left out: the whole reading keeps some.
        #expect(json[1].contains("\"evidence\":{\"") && !json[0].contains("\"evidence\":{\""))
        let kept: Set = ["evidence", "context", "generated_at"]
        let fast = Self.without(kept, try JSONValue.parse(json[0]))
        let whole = Self.without(kept, try JSONValue.parse(json[1]))
        #expect((fast["hosts"]?.arrayValue?.count ?? 0) == 300)
        if let (place, a, b) = Self.firstDifference(fast, whole) {
            Issue.record("seed \(seed): the JSON differs beyond evidence at \(place)\n  fast:  \(a)\n  whole: \(b)")
        }
    }
}

extension Array {
    /// `map` with an async transform, in order.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
