import Foundation
import HostProbe
import Report
import TestSupport
import Testing

/// The fuzz target's seed corpus (written by the test writer), the committed crash regressions, and
/// deterministic mutations of the seeds: every read returns or throws a `BoltError`.
@Suite("Bolt seed corpus")
struct BoltCorpusTests {
    /// What the fuzz target does with one input.
    func readAll(_ b: [UInt8]) -> Result<CollectorRegistry, BoltError> {
        do throws(BoltError) {
            let snap = try BoltFile.readBucket(from: BoltMemorySource(b), path: "corpus", bucketPath: [Array("kv".utf8)])
            return .success(CollectorRegistry.decode(snap, path: "corpus"))
        } catch {
            return .failure(error)
        }
    }

    @Test("every seed reads as the registry it was written to be")
    func seeds() throws {
        let seeds = Dictionary(uniqueKeysWithValues: BoltTestWriter.seedCorpus().map { ($0.name, $0.bytes) })
        #expect(seeds.count == 5)
        let empty = try readAll(try #require(seeds["empty-kv"])).get()
        #expect(empty.states.isEmpty && empty.problems.isEmpty)
        let few = try readAll(try #require(seeds["few-inline"])).get()
        #expect(few.states.map(\.inode) == [123] && few.gseIndexes.map { $0.index } == [42] && few.localtime?.hasPrefix("Tue Dec") == true)
        let many = try readAll(try #require(seeds["many-branches"])).get()
        #expect(many.states.count == 61 && many.problems.isEmpty)
        let legacy = try readAll(try #require(seeds["legacy-overflow"])).get()
        #expect(try JSONValue.parse(try #require(legacy.legacyRegistrar)).arrayValue?.count == 12)
        #expect(legacy.states.isEmpty && legacy.fileStates.count == 12, "\(legacy.problems)")
        let nested = try readAll(try #require(seeds["nested-damaged-newer-meta"])).get()
        #expect(nested.txid == 2 && nested.otherKeys == ["sub/"] && nested.gseIndexes.map { $0.index } == [7])
    }

    /// The crash inputs the fuzzer found, kept after their fix (Tests/Fuzz/BoltFuzz/regressions).
    @Test("committed fuzz regressions read without a crash")
    func regressions() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/BoltFuzz/regressions").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for name in names where !name.hasPrefix(".") {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            if case .failure(let e) = readAll([UInt8](data)) { #expect(!e.description.isEmpty) }
        }
    }

    @Test("thousands of byte-level mutations of the seeds: errors or registries, never a crash")
    func mutations() {
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            rng ^= rng << 13
            rng ^= rng >> 7
            rng ^= rng << 17
            return rng
        }
        var read = 0, failed = 0
        for (_, seed) in BoltTestWriter.seedCorpus() {
            for _ in 0..<400 {
                var b = seed
                for _ in 0..<(1 + Int(next() % 4)) {
                    let at = Int(next() % UInt64(b.count))
                    switch next() % 4 {
                    case 0: b[at] ^= UInt8(1 << (next() % 8))
                    case 1: b[at] = [0x00, 0xFF, 0x7F, 0x80][Int(next() % 4)]
                    case 2: b.removeSubrange(at...)
                    default: b[at] = UInt8(truncatingIfNeeded: next())
                    }
                    if b.isEmpty { break }
                }
                switch readAll(b) {
                case .success: read += 1
                case .failure(let e):
                    failed += 1
                    #expect(e.description.contains("corpus"))
                }
            }
        }
        // Most single-byte changes land in padding or values; checksums and bounds catch the rest.
        #expect(read > 0 && failed > 0)
    }
}
