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

    /// `sameButDigits` against its rule spelt byte by byte, on texts of every length up to 80 (the short form,
    /// the words, and the runs of sixteen with the last one overlapping): a byte that differs must be a digit on
    /// both sides, and with `numbers` no zero put in may start a number of several digits.
    @Test func equalButForDigitsAsTheRuleSpellsIt() {
        func isDigit(_ x: UInt8) -> Bool { x >= 0x30 && x <= 0x39 }
        func rule(_ c: [UInt8], _ r: [UInt8], numbers: Bool) -> Bool {
            for j in c.indices where c[j] != r[j] {
                guard isDigit(c[j]), isDigit(r[j]) else { return false }
                guard numbers, c[j] == 0x30, j + 1 < c.count, isDigit(c[j + 1]) else { continue }
                if j == 0 { return false }
                let before = c[j - 1]
                if !isDigit(before) && before != UInt8(ascii: ".") && before != UInt8(ascii: "e") && before != UInt8(ascii: "E")
                    && before != UInt8(ascii: "+")
                {
                    return false
                }
            }
            return true
        }
        // A fixed sequence (the test's cases are the same on every run).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array("0123456789012345678900000.eE+-:,\"{}[] ax".utf8)
        var agreed = (same: 0, differ: 0)
        for _ in 0..<20_000 {
            let count = next(81)
            let r = (0..<count).map { _ in alphabet[next(alphabet.count)] }
            var c = r
            // A few bytes changed, most of them for a digit, anywhere (the first and the last byte too).
            for _ in 0..<(count == 0 ? 0 : 1 + next(3)) {
                let j = [0, count - 1, next(count)][next(3)]
                c[j] = next(6) == 0 ? alphabet[next(alphabet.count)] : UInt8(0x30 + next(10))
            }
            for numbers in [true, false] {
                let got = c.withUnsafeBufferPointer { cp in
                    r.withUnsafeBufferPointer { rp in
                        EntryShapes.sameButDigits(cp.baseAddress!, rp.baseAddress!, count, numbers: numbers)
                    }
                }
                let expected = rule(c, r, numbers: numbers)
                #expect(got == expected, "\(String(decoding: c, as: UTF8.self)) \(String(decoding: r, as: UTF8.self)) \(numbers)")
                if expected { agreed.same += 1 } else { agreed.differ += 1 }
            }
        }
        // Both answers were asked for often enough to count.
        #expect(agreed.same > 5_000 && agreed.differ > 5_000)
    }
}
