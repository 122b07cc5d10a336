import Foundation
import HostProbe
import TestSupport
import Testing

/// The bolt reader against files written by TestSupport's independent writer.
@Suite("Bolt file reader")
struct BoltFileTests {
    typealias Bucket = BoltTestWriter.Bucket

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A root bucket `kv` of `count` keys with values of many sizes (one far larger than a page), an inline
    /// bucket and a page-rooted bucket among them.
    func bigTree(count: Int, pageSize: Int) -> (file: BoltTestWriter, expected: [BoltEntry]) {
        var items: [(key: [UInt8], item: BoltTestWriter.Item)] = []
        var expected: [BoltEntry] = []
        for i in 0..<count {
            let key = bytes("state:\(String(i * 7919 % 100_003))-\(i)")
            let value = [UInt8]((0..<(i % 97)).map { UInt8(($0 &* 31 &+ i) & 0xFF) })
            items.append((key, .value(value)))
            expected.append(BoltEntry(key: key, value: value))
        }
        let huge = [UInt8]((0..<(pageSize * 5 + 123)).map { UInt8($0 % 251) })
        items.append((bytes("registrar"), .value(huge)))
        expected.append(BoltEntry(key: bytes("registrar"), value: huge))
        items.append((bytes("inline-sub"), .bucket(Bucket([(bytes("a"), .value(bytes("1")))], inline: true))))
        expected.append(BoltEntry(key: bytes("inline-sub"), value: nil))
        let deepItems: [(key: [UInt8], item: BoltTestWriter.Item)] = (0..<40).map {
            (bytes("k\($0)"), .value(bytes(String(repeating: "v", count: $0))))
        }
        items.append((bytes("paged-sub"), .bucket(Bucket(deepItems))))
        expected.append(BoltEntry(key: bytes("paged-sub"), value: nil))
        var w = BoltTestWriter(pageSize: pageSize)
        let root = w.writeTree(Bucket([(bytes("kv"), .bucket(Bucket(items))), (bytes("other"), .value(bytes("x")))]))
        w.setMeta(txid: 8, root: root)
        w.setMeta(txid: 9, root: root)
        expected.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return (w, expected)
    }

    func temporaryFile(_ content: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "bkdiag-bolt-\(getpid())-\(UUID().uuidString.prefix(8)).db"
        try Data(content).write(to: URL(fileURLWithPath: path))
        return path
    }

    func readKV(_ b: [UInt8], _ path: [String] = ["kv"], limits: BoltLimits = BoltLimits()) throws(BoltError) -> BoltBucketSnapshot {
        try BoltFile.readBucket(from: BoltMemorySource(b), path: "test.db", bucketPath: path.map { Array($0.utf8) }, limits: limits)
    }

    @Test("reads back every key the writer wrote, through branch, overflow, inline and nested pages", arguments: [512, 4096])
    func roundTrip(pageSize: Int) throws {
        let (w, expected) = bigTree(count: 1500, pageSize: pageSize)
        #expect(!w.branchPages.isEmpty)
        #expect(!w.overflowPages.isEmpty)
        let path = try temporaryFile(w.bytes)
        defer { unlink(path) }
        let snap = try BoltFile.readBucket(path: path, bucketPath: [bytes("kv")])
        #expect(snap.meta.txid == 9)
        #expect(snap.meta.pageSize == pageSize)
        #expect(snap.attempts == 1)
        #expect(snap.entries.count == expected.count)
        #expect(snap.entries == expected)

        let inline = try readKV(w.bytes, ["kv", "inline-sub"])
        #expect(inline.entries == [BoltEntry(key: bytes("a"), value: bytes("1"))])
        let paged = try readKV(w.bytes, ["kv", "paged-sub"])
        #expect(paged.entries.count == 40)
        #expect(paged.entries.first(where: { $0.key == bytes("k39") })?.value == bytes(String(repeating: "v", count: 39)))
    }

    @Test("a missing bucket, or a value named as a bucket, is missingBucket")
    func missingBucket() throws {
        let (w, _) = bigTree(count: 10, pageSize: 4096)
        #expect(throws: BoltError.self) { try readKV(w.bytes, ["nope"]) }
        do {
            _ = try readKV(w.bytes, ["other"])
            Issue.record("a value read as a bucket")
        } catch {
            #expect(error.code == .missingBucket)
            #expect(error.description.contains("test.db"))
        }
        do {
            _ = try readKV(w.bytes, ["kv", "registrar"])
            Issue.record("a value read as a bucket")
        } catch {
            #expect(error.code == .missingBucket)
        }
    }

    /// Two trees in one file: txid 2 and txid 3 with different contents.
    func twoGenerations(damageNewer: Bool = false, damageOlder: Bool = false) -> [UInt8] {
        var w = BoltTestWriter(pageSize: 512)
        let a = w.writeTree(Bucket([(bytes("kv"), .bucket(Bucket([(bytes("gen"), .value(bytes("old")))], inline: true)))]))
        let b = w.writeTree(Bucket([(bytes("kv"), .bucket(Bucket([(bytes("gen"), .value(bytes("new")))])))]))
        w.setMeta(txid: 2, root: a, damage: damageOlder)
        w.setMeta(txid: 3, root: b, damage: damageNewer)
        return w.bytes
    }

    @Test("the valid meta with the higher txid wins; a damaged one falls back; two damaged are an error")
    func metaChoice() throws {
        #expect(try readKV(twoGenerations()).entries.first?.value == bytes("new"))
        let fallback = try readKV(twoGenerations(damageNewer: true))
        #expect(fallback.entries.first?.value == bytes("old"))
        #expect(fallback.meta.txid == 2)
        // Page 0 damaged: page 1 is found by trying each page size.
        let viaPage1 = try readKV(twoGenerations(damageOlder: true))
        #expect(viaPage1.entries.first?.value == bytes("new"))
        #expect(viaPage1.meta.txid == 3)
        do {
            _ = try readKV(twoGenerations(damageNewer: true, damageOlder: true))
            Issue.record("read a file without a valid meta")
        } catch {
            #expect(error.code == .noValidMeta)
        }
    }

    func expectError(_ b: [UInt8], _ codes: Set<BoltError.Code>, limits: BoltLimits = BoltLimits(), _ comment: String) {
        do {
            let s = try readKV(b, limits: limits)
            Issue.record("read \(s.entries.count) entries: \(comment)")
        } catch {
            #expect(codes.contains(error.code), "\(comment): \(error)")
            #expect(error.description.contains("test.db"))
        }
    }

    /// Every element of a leaf whose value runs to the end of the node: each within its page, keys
    /// ascending, yet the values overlap, and copying each made a 4 MiB file cost gigabytes. Copies are
    /// counted against the read budget.
    @Test("overlapping values cannot make a small file copy without bound")
    func overlappingValuesAreBounded() throws {
        var w = BoltTestWriter(pageSize: 4096)
        // One leaf for the whole bucket (no split at half a page), spanning overflow pages.
        w.fill = 1 << 20
        var items: [(key: [UInt8], item: BoltTestWriter.Item)] = (0..<200).map { i in (bytes(String(format: "k%04d", i)), .value([1])) }
        items.append((bytes("zz"), .value([UInt8](repeating: 7, count: 60_000))))
        let root = w.writeTree(BoltTestWriter.Bucket([(bytes("kv"), .bucket(BoltTestWriter.Bucket(items)))]))
        w.setMeta(txid: 3, root: root)
        var file = w.bytes
        let leaf = try #require(w.overflowPages.last)
        let at = w.offset(ofPage: leaf)
        func u32(_ o: Int) -> Int { Int(file[o]) | Int(file[o + 1]) << 8 | Int(file[o + 2]) << 16 | Int(file[o + 3]) << 24 }
        let nodeSize = (u32(at + 12) + 1) * 4096
        let count = Int(file[at + 10]) | Int(file[at + 11]) << 8
        #expect(count == 201)
        for i in 0..<count {
            let e = at + 16 + 16 * i
            let valueStart = 16 + 16 * i + u32(e + 4) + u32(e + 8)
            let v = nodeSize - valueStart
            for k in 0..<4 { file[e + 12 + k] = UInt8((v >> (8 * k)) & 0xFF) }
        }
        // Reading the pages is cheap (well under the budget); copying 201 overlapping values of ~60 KB is not.
        var limits = BoltLimits()
        limits.maxBytesRead = 2 << 20
        expectError(file, [.limit], limits: limits, "overlapping values")
        // The same file unpatched reads within that budget.
        #expect(try readKV(w.bytes, limits: limits).entries.count == 201)
    }

    @Test("truncated, empty and garbage files are errors, never a crash")
    func truncatedAndGarbage() throws {
        let (w, _) = bigTree(count: 300, pageSize: 512)
        let full = w.bytes
        for cut in [0, 1, 100, 511, 512, 1023, 1024, 1500, full.count / 2, full.count - 1] {
            expectError(Array(full.prefix(cut)), [.tooSmall, .corrupt, .noValidMeta], "cut at \(cut)")
        }
        var rng = SystemRandomNumberGenerator()
        let garbage = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &rng) }
        expectError(garbage, [.noValidMeta], "random bytes")
        expectError([UInt8](repeating: 0, count: 16384), [.noValidMeta], "zeros")
    }

    /// Writes a little-endian integer into a copy of `b`.
    func patched(_ b: [UInt8], at: Int, _ v: UInt64, width: Int) -> [UInt8] {
        var out = b
        for k in 0..<width { out[at + k] = UInt8((v >> (8 * UInt64(k))) & 0xFF) }
        return out
    }

    @Test("a cycle, an out-of-range page id, absurd counts and overflow are errors")
    func hostilePages() throws {
        let (w, _) = bigTree(count: 600, pageSize: 512)
        let b = w.bytes
        let branch = try #require(w.branchPages.last)
        let at = w.offset(ofPage: branch)
        // The root branch's first child made the branch itself.
        expectError(patched(b, at: at + 16 + 8, branch, width: 8), [.cycle], "self-referencing branch")
        // Two elements sharing a child: the second visit is a cycle.
        let second = patched(b, at: at + 16 + 16 + 8, UInt64(b[at + 24]) | UInt64(b[at + 25]) << 8, width: 8)
        expectError(second, [.cycle, .corrupt], "shared child")
        for huge: UInt64 in [1 << 60, UInt64.max, 0, 1] {
            expectError(patched(b, at: at + 16 + 8, huge, width: 8), [.corrupt], "child page \(huge)")
        }
        expectError(patched(b, at: at + 10, 0xFFFF, width: 2), [.corrupt], "element count past the page")
        expectError(patched(b, at: at + 8, 0x10, width: 2), [.corrupt], "freelist flags on a tree page")
        expectError(patched(b, at: at + 12, 0xFFFF_FFFF, width: 4), [.limit, .corrupt], "overflow past the file")
        expectError(patched(b, at: at + 16, 0xFFFF_FFF0, width: 4), [.corrupt], "key position past the page")
        // A leaf of `kv` with two elements at least (the last leaf written is the root bucket's).
        let leaf = try #require(w.leafPages.dropLast().last(where: { b[w.offset(ofPage: $0) + 10] >= 2 }))
        let la = w.offset(ofPage: leaf)
        expectError(patched(b, at: la + 16 + 12, 0x7FFF_FFFF, width: 4), [.corrupt], "value size past the page")
        expectError(patched(b, at: la, 12345, width: 8), [.corrupt], "page header with another id")
        // The first key made greater than the second.
        var swapped = b
        swapped[la + 16 + Int(b[la + 16 + 4]) + Int(b[la + 16 + 5]) << 8] = 0xFF
        expectError(swapped, [.corrupt], "keys out of order")
        // A meta whose root is past the high-water mark.
        var m = w
        m.setMeta(txid: 10, root: 1 << 40)
        m.setMeta(txid: 11, root: 1 << 40)
        expectError(m.bytes, [.corrupt], "root page past the tree")
    }

    @Test("depth, byte, span and entry bounds are enforced")
    func limits() throws {
        let (w, expected) = bigTree(count: 600, pageSize: 512)
        var l = BoltLimits()
        l.maxDepth = 2
        expectError(w.bytes, [.limit], limits: l, "depth 2")
        l = BoltLimits()
        l.maxBytesRead = 8192
        expectError(w.bytes, [.limit], limits: l, "8 KiB read")
        l = BoltLimits()
        l.maxEntries = expected.count - 1
        expectError(w.bytes, [.limit], limits: l, "one entry too many")
        l = BoltLimits()
        l.maxPageSpan = 1024
        expectError(w.bytes, [.limit], limits: l, "overflow span")
        l.maxPageSpan = 1 << 20
        l.maxEntries = expected.count
        #expect(try readKV(w.bytes, limits: l).entries == expected)
    }

    /// A source that shows the next file image each time its size is asked (once before and once after a walk).
    final class MovingSource: BoltByteSource {
        let images: [[UInt8]]
        var index = -1
        init(_ images: [[UInt8]]) { self.images = images }
        func size() throws(BoltError) -> Int64 {
            index = min(index + 1, images.count - 1)
            return Int64(images[index].count)
        }
        func read(at offset: Int64, count: Int) throws(BoltError) -> [UInt8] {
            try BoltMemorySource(images[index]).read(at: offset, count: count)
        }
    }

    @Test("a walk is kept only when no transaction committed during it; a file that never settles is unstable")
    func retries() throws {
        func image(_ txid: UInt64) -> [UInt8] { BoltTestWriter.registry([("localtime", "t\(txid)")], txid: txid) }
        let kv = [Array("kv".utf8)]
        let still = try BoltFile.readBucket(from: MovingSource([image(5)]), path: "m.db", bucketPath: kv)
        #expect(still.attempts == 1 && still.meta.txid == 5)
        // 5 -> 6 during the first walk (7 may already be rewriting 5's pages), then 6 holds still.
        let settled = try BoltFile.readBucket(from: MovingSource([image(5), image(6)]), path: "m.db", bucketPath: kv)
        #expect(settled.attempts == 2 && settled.meta.txid == 6)
        #expect(settled.entries.first?.value == BoltTestWriter.gobString("t6"))
        var l = BoltLimits()
        l.maxAttempts = 3
        do {
            _ = try BoltFile.readBucket(from: MovingSource((0..<10).map { image(5 + UInt64($0)) }), path: "m.db", bucketPath: kv, limits: l)
            Issue.record("a file that never settles was read")
        } catch {
            #expect(error.code == .unstable)
            #expect(error.description.contains("m.db") && error.description.contains("3 reads"))
        }
    }

    @Test("not a regular file, or not there, is an error naming the path")
    func notAFile() {
        for path in [NSTemporaryDirectory(), "/nonexistent/bkdiag/registry.db"] {
            do {
                _ = try BoltFile.readBucket(path: path, bucketPath: [Array("kv".utf8)])
                Issue.record("read \(path)")
            } catch {
                #expect(error.code == .notRegularFile || error.code == .unreadable)
                #expect(error.description.contains(path))
            }
        }
    }
}
