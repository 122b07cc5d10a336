import Testing

@testable import Report

/// `EntryShapes.Runs` stops looking at a position where its runs keep missing (hosts whose outputs do not
/// repeat paid a comparison and a copy per entry), and looks again now and then.
struct EntryShapesTests {
    @Test func missesInARowLetAPositionGoUntilItIsTriedAgain() {
        let runs = EntryShapes.Runs<EntryShapes.Skipped>(runBytes: 16)
        defer { runs.deallocate() }
        let text: [UInt8] = Array("{\"a\":1}{\"b\":2}".utf8)
        text.withUnsafeBufferPointer { b in
            var looked = 0
            // The slot whose run the bytes at `at` begin with.
            func find(_ at: Int) -> Int? {
                runs.search(at: 3) { slot in
                    looked += 1
                    let n = runs.entries[slot].count
                    return n > 0 && n <= b.count - at
                        && UnsafeBufferPointer(start: runs.bytes + slot * runs.runBytes, count: n).elementsEqual(b[at..<(at + n)])
                }
            }
            // Remembered, and found.
            #expect(runs.remembers(at: 3))
            runs.remember(EntryShapes.Skipped(), run: UnsafeBufferPointer(rebasing: b[0..<7]), at: 3)
            #expect(find(0) != nil)
            // Misses in a row (the other run): the position is let go, nothing looked at or remembered there.
            for _ in 0..<Int(EntryShapes.tries) { #expect(find(7) == nil) }
            #expect(!runs.remembers(at: 3))
            looked = 0
            for _ in 0..<100 { #expect(find(0) == nil) }
            #expect(looked == 0)
            // Runs offered meanwhile are not kept (they would have taken both ways).
            for _ in 0..<EntryShapes.ways { runs.remember(EntryShapes.Skipped(), run: UnsafeBufferPointer(rebasing: b[7..<14]), at: 3) }
            // Other positions are not let go.
            #expect(runs.remembers(at: 4))
            // Once 255 have been let go in all, a few are tried again: the remembered run is found, and the
            // position is looked at and remembered at again.
            var found = 0
            for _ in 0..<(255 - Int(EntryShapes.tries) - 100 + 1) where find(0) != nil { found += 1 }
            #expect(found == 1 && looked > 0)
            #expect(runs.remembers(at: 3))
            #expect(runs.hits.pointee == 2)
        }
    }
}
