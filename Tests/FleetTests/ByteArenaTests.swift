import Testing

@testable import Fleet
@testable import Report

/// `ByteArena`: runs written back to back in shared regions keep their bytes while later runs are written,
/// whatever happens to the runs around them.
struct ByteArenaTests {
    /// Bytes `0, 1, 2, …` offset by `seed`, `count` of them.
    static func pattern(_ seed: Int, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed) }
    }

    static func append(_ bytes: [UInt8], to out: inout OwnedBytes) {
        // In pieces of a few sizes, as the writers append names, texts and lengths.
        var k = 0
        var piece = 1
        while k < bytes.count {
            let n = min(piece, bytes.count - k)
            bytes.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(rebasing: $0[k..<(k + n)])) }
            k += n
            piece = piece % 37 + 5
        }
    }

    /// A run kept for later (runs cannot be copied into a list).
    final class Run {
        var out: OwnedBytes
        let bytes: [UInt8]
        init(_ out: consuming OwnedBytes, _ bytes: [UInt8]) {
            self.out = out
            self.bytes = bytes
        }
    }

    @Test func sealedRunsKeepTheirBytesAsLaterRunsAreWritten() {
        let arena = ByteArena(regionSize: 4 << 20)
        var runs: [Run] = []
        for r in 0..<40 {
            // Sizes from a few bytes to more than a region holds, so that regions fill and new ones start.
            let size = r == 17 ? arena.regionSize + 4096 : (r * 7919) % 300_000 + 1
            var out = OwnedBytes(arena: arena, capacity: 1024)
            let bytes = Self.pattern(r, size)
            Self.append(bytes, to: &out)
            out.seal(in: arena)
            runs.append(Run(out, bytes))
        }
        for run in runs {
            let same = run.out.withBytes(0..<run.out.count) { $0.elementsEqual(run.bytes) }
            #expect(run.out.count == run.bytes.count && same)
        }
    }

    @Test func appendingAfterTheSealMovesTheRunInsteadOfWritingOverTheNext() {
        let arena = ByteArena()
        var first = OwnedBytes(arena: arena, capacity: 64)
        Self.append(Self.pattern(1, 100), to: &first)
        first.seal(in: arena)
        var second = OwnedBytes(arena: arena, capacity: 64)
        Self.append(Self.pattern(2, 100), to: &second)
        second.seal(in: arena)
        // The first run grows after its seal: the second's bytes, right behind it, stay as written.
        Self.append(Self.pattern(3, 5000), to: &first)
        #expect(first.withBytes(0..<first.count) { $0.elementsEqual(Self.pattern(1, 100) + Self.pattern(3, 5000)) })
        #expect(second.withBytes(0..<second.count) { $0.elementsEqual(Self.pattern(2, 100)) })
    }

    @Test func aRunNeverSealedIsNotWrittenOverByTheNext() {
        let arena = ByteArena()
        // A page that failed: its run is never sealed, and may still be written.
        var open = OwnedBytes(arena: arena, capacity: 64)
        Self.append(Self.pattern(4, 1000), to: &open)
        var next = OwnedBytes(arena: arena, capacity: 64)
        Self.append(Self.pattern(5, 1000), to: &next)
        next.seal(in: arena)
        Self.append(Self.pattern(6, 1000), to: &open)
        #expect(open.withBytes(0..<open.count) { $0.elementsEqual(Self.pattern(4, 1000) + Self.pattern(6, 1000)) })
        #expect(next.withBytes(0..<next.count) { $0.elementsEqual(Self.pattern(5, 1000)) })
    }

    @Test func entryLinesHeldInAnArenaPrintAsInTheirOwnBuffer() {
        // Two pages' lines through one arena, against the same lines in buffers of their own.
        let arena = ByteArena()
        func lines(_ page: Int, arena: ByteArena?) -> AgentEntryLines {
            let w = AgentEntryLines(capacity: 16, arena: arena)
            for r in 0..<300 {
                for k in 0..<12 {
                    let message = Array("host \(page)-\(r) check \(k): \(String(repeating: "x", count: (r * k) % 90))".utf8)
                    let module = Array("module\(k % 3)".utf8)
                    let item = Array("item\(k)".utf8)
                    message.withUnsafeBufferPointer { m in
                        module.withUnsafeBufferPointer { mo in
                            item.withUnsafeBufferPointer { it in
                                w.entry(
                                    module: ReportText(bytes: mo, escapedSlashes: false),
                                    item: ReportText(bytes: it, escapedSlashes: false),
                                    verdict: (r + k) % 5 == 0 ? .fail : .pass, message: ReportText(bytes: m, escapedSlashes: false),
                                    hint: nil,
                                    duration: nil)
                            }
                        }
                    }
                }
                w.endReport()
            }
            if let arena { w.seal(in: arena) }
            return w
        }
        let held = [lines(1, arena: arena), lines(2, arena: arena)]
        let own = [lines(1, arena: nil), lines(2, arena: nil)]
        for p in 0..<2 {
            #expect(held[p].bytes == own[p].bytes)
            for r in 0..<held[p].reportCount {
                #expect(held[p].report(r).writtenCount == own[p].report(r).withBytes { $0.count })
            }
        }
    }

    /// `ByteCopy.copy`: every length from 0 to past `memmove`'s threshold, from and to every alignment of a
    /// word, writes exactly those bytes: the bytes around the copy, before and after, are left as they were.
    @Test func shortCopiesWriteExactlyTheirBytes() {
        let source = Self.pattern(3, 160)
        for n in 0...80 {
            for from in 0..<8 {
                for to in 0..<8 {
                    var target = [UInt8](repeating: 0xEE, count: 112)
                    source.withUnsafeBufferPointer { s in
                        target.withUnsafeMutableBufferPointer { t in
                            ByteCopy.copy(to: t.baseAddress! + 16 + to, from: s.baseAddress! + from, count: n)
                        }
                    }
                    let expected =
                        [UInt8](repeating: 0xEE, count: 16 + to) + source[from..<(from + n)]
                        + [UInt8](repeating: 0xEE, count: 112 - 16 - to - n)
                    #expect(target == expected, "\(n) bytes from +\(from) to +\(to)")
                }
            }
        }
    }
}
