import Daemon
import Report
import SystemLayer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ReportHistoryTests {
    func line(_ i: Int) -> String {
        Reports.make([("gse_agent", "socket", i % 2 == 0 ? .pass : .fail)], at: 1_700_000_000_000 + Int64(i) * 1000).richLine()
    }

    /// A store in `h` holding reports 0..<n, closed again; the path of its one segment.
    func stored(_ n: Int, in h: String) throws -> String {
        let store = try ReportHistory(directory: h, limits: HistoryLimits())
        for i in 0..<n { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        return h + "/history-00000001.log"
    }

    /// Bytes report `i` takes in a segment: its 24-byte header and compressed line. The second record of a
    /// segment starts at `8 + recordBytes(0)` (after the file's magic and the first).
    func recordBytes(_ i: Int) -> Int { 24 + Zlib.compress(Array(line(i).utf8)).count }

    /// Replaces the content of `file` with `bytes`, in place.
    func overwrite(_ file: String, with bytes: some Collection<UInt8>) {
        let fd = open(file, O_WRONLY | O_TRUNC)
        _ = Array(bytes).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test func appendsAndReopensEveryReport() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
            for i in 0..<50 { try store.append(line: line(i), generatedAtMs: 1_700_000_000_000 + Int64(i) * 1000) }
            #expect(store.count == 50)
        }
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
        #expect(store.recovery == HistoryRecovery(records: 50, truncatedBytes: 0, skippedBytes: 0))
        #expect(store.latest()?.line == line(49))
        let since = try store.entries(sinceMs: 1_700_000_000_000 + 45_000, limit: 100)
        #expect(since.map(\.line) == (45..<50).map(line))
        #expect(try store.entries(sinceMs: 0, limit: 3).map(\.line) == (47..<50).map(line))
        #expect(try DiagnosticReport(line: store.latest()!.line) == DiagnosticReport(line: line(49)))
    }

    @Test func staysWithinItsLimitsDroppingTheOldest() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let limits = HistoryLimits(maxReports: 80, maxBytes: 1 << 20)
        let store = try ReportHistory(directory: dir.sub("h"), limits: limits)
        for i in 0..<1000 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        #expect(store.count <= 80)
        #expect(store.count >= 70)
        #expect(store.latest()?.line == line(999))
        let files = try Sys.listDirectory(dir.sub("h"))
        #expect(files.count <= 9)

        let small = try ReportHistory(directory: dir.sub("b"), limits: HistoryLimits(maxReports: 100_000, maxBytes: 8192))
        for i in 0..<1000 { try small.append(line: line(i), generatedAtMs: Int64(i)) }
        #expect(small.totalBytes <= 8192)
        #expect(try small.entries(sinceMs: 0, limit: 10_000).last?.line == line(999))
    }

    @Test func cutsATornTailAtEveryOffsetAndKeepsEarlierReports() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        let file = try stored(3, in: h)
        let full = try Sys.readFile(file)
        // Every truncation inside the last record must leave exactly the first two.
        let third = line(2)
        let thirdRecord = 24 + Zlib.compress(Array(third.utf8)).count
        let start = full.count - thirdRecord
        for cut in stride(from: start, to: full.count, by: max(1, thirdRecord / 25)) {
            overwrite(file, with: full[0..<cut])
            let store = try ReportHistory(directory: h, limits: HistoryLimits())
            #expect(store.count == 2, "cut at \(cut)")
            #expect(store.recovery.truncatedBytes == cut - start)
            #expect(store.latest()?.line == line(1))
            // And it appends cleanly after the cut.
            try store.append(line: line(7), generatedAtMs: 7)
            let again = try ReportHistory(directory: h, limits: HistoryLimits())
            #expect(again.count == 3)
            #expect(again.latest()?.line == line(7))
        }
    }

    @Test func aFlippedByteInTheLastRecordCostsThatRecord() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        let file = try stored(4, in: h)
        var bytes = try Sys.readFile(file)
        bytes[bytes.count - 5] ^= 0xff
        overwrite(file, with: bytes)
        let store = try ReportHistory(directory: h, limits: HistoryLimits())
        #expect(store.count == 3)
        #expect(store.latest()?.line == line(2))
    }

    /// A few damaged bytes early in a segment hide that record only: the scan finds the next record that
    /// verifies and reads on, so the reports after it stay readable (and their baseline is not lost).
    @Test func damageEarlyInASegmentCostsOnlyTheRecordsItCovers() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        let file = try stored(40, in: h)
        var bytes = try Sys.readFile(file)
        let second = 8 + recordBytes(0)
        for k in 0..<4 { bytes[second + 4 + k] = 0 }  // the second record's length zeroed
        overwrite(file, with: bytes)
        let store = try ReportHistory(directory: h, limits: HistoryLimits())
        #expect(store.count == 39)
        #expect(try store.entries(sinceMs: 0, limit: 100).map(\.line) == ([0] + Array(2..<40)).map(line))
        #expect(store.recovery.skippedBytes == recordBytes(1) && store.recovery.truncatedBytes == 0)
        #expect(try Sys.readFile(file) == bytes, "the damaged segment was rewritten")
        // Garbage that happens to hold the record magic but no record that verifies is skipped as well.
        var planted = bytes
        planted.replaceSubrange((second + 8)..<(second + 12), with: Array("BKR1".utf8))
        overwrite(file, with: planted)
        #expect(try ReportHistory(directory: h, limits: HistoryLimits()).count == 39)
    }

    /// Damage that is not a torn tail (a whole record that fails its check, early in the newest segment) is
    /// not cut off with every good record after it: the file is kept, and appends go to a new segment.
    @Test func damageInsideTheNewestSegmentIsKeptNotCutAndAppendsGoOnInANewSegment() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        let file = try stored(5, in: h)
        var bytes = try Sys.readFile(file)
        let second = 8 + recordBytes(0)
        bytes[second + 30] ^= 0xff  // inside the second record's payload
        overwrite(file, with: bytes)
        let store = try ReportHistory(directory: h, limits: HistoryLimits())
        // The damaged record is skipped; the three after it are read.
        #expect(store.count == 4)
        #expect(store.recovery.truncatedBytes == 0 && store.recovery.skippedBytes == recordBytes(1))
        #expect(try Sys.readFile(file) == bytes, "the damaged segment was rewritten")
        try store.append(line: line(9), generatedAtMs: 9)
        #expect(try Sys.listDirectory(h).filter { $0.hasPrefix("history-") }.count == 2)
        let again = try ReportHistory(directory: h, limits: HistoryLimits())
        #expect(again.count == 5 && again.latest()?.line == line(9))
        #expect(try Sys.readFile(file) == bytes)
    }

    /// Bytes appended to the live segment behind the store's back: the next record goes to a new segment, where
    /// it can be read back and survives a reopen (written after them, it would be unreachable and cut).
    @Test func bytesAppendedBehindTheStoresBackDoNotHideTheNextRecord() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        let store = try ReportHistory(directory: h, limits: HistoryLimits())
        for i in 0..<3 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        let fd = open(h + "/history-00000001.log", O_WRONLY | O_APPEND)
        _ = [UInt8]([1, 2, 3, 4]).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try store.append(line: line(3), generatedAtMs: 3)
        try store.append(line: line(4), generatedAtMs: 4)
        #expect(try store.entries(sinceMs: 0, limit: 10).map(\.line) == (0..<5).map(line))
        let again = try ReportHistory(directory: h, limits: HistoryLimits())
        #expect(again.count == 5 && again.latest()?.line == line(4))
    }

    @Test func aStateDirectoryRemovedUnderTheDaemonIsTakenAgainAndASecondDaemonStillStopsAtItsLock() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("state")
        let lock = try StateDirectoryLock.acquire(directory: h)
        let store = try ReportHistory(
            directory: h, limits: HistoryLimits(), ownership: { () throws(DaemonError) -> Bool in try lock.reassert() })
        for i in 0..<3 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        #expect(store.count == 3)
        // `rm -rf state_dir` while the daemon runs.
        for name in try Sys.listDirectory(h) { try Sys.unlink(h + "/" + name) }
        #expect(rmdir(h) == 0)
        try store.append(line: line(3), generatedAtMs: 3)
        // The directory and its lock are back; the index says what is on disk (the removed reports are gone).
        #expect(store.count == 1)
        #expect(try store.entries(sinceMs: 0, limit: 10).map(\.line) == [line(3)])
        #expect(Sys.lstatIfPresent(h + "/lock") != nil)
        #expect(try lock.reassert() == false)
        // A second daemon pointed at the directory stops at the lock, as at any other time.
        #expect(throws: DaemonError.self) { try StateDirectoryLock.acquire(directory: h) }
        // Reopened, the store finds what was appended after the removal.
        let again = try ReportHistory(directory: h, limits: HistoryLimits())
        #expect(again.count == 1)
    }

    @Test func aNewSegmentNeverReplacesAFileAlreadyUnderItsName() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let h = dir.sub("h")
        // One report per segment: every append starts a segment.
        let store = try ReportHistory(directory: h, limits: HistoryLimits(maxReports: 8, maxBytes: 1 << 20))
        try store.append(line: line(0), generatedAtMs: 0)
        // Another writer puts a file under the next segment's name meanwhile.
        let planted = h + "/history-00000002.log"
        let bytes = Array("BKDHIST1 another writer's".utf8)
        let fd = open(planted, O_WRONLY | O_CREAT | O_EXCL, 0o640)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try store.append(line: line(1), generatedAtMs: 1)
        #expect(try Sys.readFile(planted) == bytes)
        #expect(Sys.lstatIfPresent(h + "/history-00000003.log") != nil)
        #expect(try store.entries(sinceMs: 0, limit: 10).map(\.line) == [line(0), line(1)])
    }

    @Test func zlibAndCRCRoundTrip() {
        let data = Array("hello hello hello hello".utf8)
        let z = Zlib.compress(data)
        #expect(Zlib.decompress(z[...], expectedSize: data.count) == data)
        #expect(Zlib.decompress(z[...], expectedSize: data.count + 1) == nil)
        #expect(Zlib.decompress(z.dropLast(3), expectedSize: data.count) == nil)
        #expect(Zlib.crc32(Array("123456789".utf8)[...]) == 0xCBF4_3926)
    }
}
