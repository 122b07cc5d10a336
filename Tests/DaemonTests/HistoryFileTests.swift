import Daemon
import Report
import SystemLayer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the history store does with files that are not what it wrote, and how it hands out answers.
@Suite struct HistoryFileTests {
    func line(_ i: Int) -> String {
        Reports.make([("gse_agent", "socket", i % 2 == 0 ? .pass : .fail)], at: 1_700_000_000_000 + Int64(i) * 1000).richLine()
    }

    @Test func aSymlinkInPlaceOfASegmentIsMovedAsideAndItsTargetUntouched() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
            for i in 0..<3 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        }
        dir.write("victim", "not a history file\n")
        #expect(symlink(dir.sub("victim"), dir.sub("h/history-00000002.log")) == 0)
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
        #expect(store.recovery.movedAside.count == 1)
        #expect(store.recovery.movedAside.first?.contains("symbolic link") == true, "\(store.recovery.movedAside)")
        #expect(store.count == 3)
        try store.append(line: line(3), generatedAtMs: 3)
        #expect(try store.entries(sinceMs: 0, limit: 10).map(\.line) == (0..<4).map(line))
        #expect(String(decoding: try Sys.readFile(dir.sub("victim")), as: UTF8.self) == "not a history file\n")
        // The link itself was renamed aside; nothing took its name.
        let names = try Sys.listDirectory(dir.sub("h"))
        #expect(!names.contains("history-00000002.log") && names.contains { $0.hasPrefix("history-00000002.log.bad-") }, "\(names)")
    }

    @Test func reportsAfterTheLiveSegmentIsRemovedOrReplacedGoToANewSegmentAndSurviveARestart() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
        for i in 0..<2 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        let first = try #require(try Sys.listDirectory(dir.sub("h")).first { $0.hasPrefix("history-") })
        // Removed under the running daemon (a careless cleanup): the next reports must not go to the unlinked file.
        try Sys.unlink(dir.sub("h/" + first))
        try store.append(line: line(2), generatedAtMs: 2)
        // Replaced by a copy of itself (an editor, a restore): the copy is left as it is.
        let second = try #require(try Sys.listDirectory(dir.sub("h")).first { $0.hasPrefix("history-") })
        let copy = try Sys.readFile(dir.sub("h/" + second))
        let fd = try Sys.open(dir.sub("h/" + second + ".new"), O_WRONLY | O_CREAT | O_EXCL, 0o640)
        try Sys.writeAll(fd, copy)
        Sys.close(fd)
        try Sys.rename(dir.sub("h/" + second + ".new"), dir.sub("h/" + second))
        try store.append(line: line(3), generatedAtMs: 3)
        #expect(try Sys.readFile(dir.sub("h/" + second)) == copy)
        let reopened = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits())
        #expect(try reopened.entries(sinceMs: 0, limit: 10).map(\.line) == [line(2), line(3)])
    }

    @Test func aFileLargerThanAnySegmentIsMovedAsideUnread() throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try? Sys.mkdirs(dir.sub("h"))
        let fd = open(dir.sub("h/history-00000001.log"), O_WRONLY | O_CREAT, 0o640)
        try Sys.writeAll(fd, Array("BKDHIST1".utf8))
        try Sys.ftruncate(fd, 200 << 20)
        Sys.close(fd)
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits(maxReports: 100, maxBytes: 1 << 20))
        #expect(store.recovery.movedAside.count == 1)
        #expect(store.recovery.truncatedBytes == 0, "moved aside, not cut")
        let aside = try #require(try Sys.listDirectory(dir.sub("h")).first { $0.hasPrefix("history-00000001.log.bad-") })
        #expect(Sys.statIfPresent(dir.sub("h/" + aside))?.size == 200 << 20)
    }

    @Test func aSelectionStreamsExactlyItsLengthAndOutlivesARotation() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits(maxReports: 16, maxBytes: 1 << 20))
        for i in 0..<16 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        let selection = try store.select(sinceMs: 0, limit: 10)
        #expect(selection.count == 10)
        // Rotation drops the oldest segments while the answer is being written.
        for i in 16..<40 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        var chunks: [[UInt8]] = []
        let unreadable = try await selection.body(chunkBytes: 512) { chunks.append($0) }
        #expect(unreadable == 0)
        #expect(chunks.count > 2, "produced in pieces")
        let body = chunks.flatMap { $0 }
        #expect(body.count == selection.bodyLength)
        let expected = "{\"count\":10,\"reports\":[" + (6..<16).map(line).joined(separator: ",") + "]}\n"
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func aRecordDamagedWhileTheStoreIsOpenIsAnsweredAsNullOfItsLength() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try ReportHistory(directory: dir.sub("h"), limits: HistoryLimits(maxReports: 16, maxBytes: 1 << 20))
        for i in 0..<3 { try store.append(line: line(i), generatedAtMs: Int64(i)) }
        // The last record's last byte (its zlib checksum) flipped behind the store's back.
        let segment = try #require(try Sys.listDirectory(dir.sub("h")).filter { $0.hasSuffix(".log") }.sorted().last)
        let path = dir.sub("h/" + segment)
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        let size = lseek(fd, 0, SEEK_END)
        var byte: UInt8 = 0
        #expect(pread(fd, &byte, 1, size - 1) == 1)
        byte ^= 0xFF
        #expect(pwrite(fd, &byte, 1, size - 1) == 1)
        close(fd)
        let selection = try store.select(sinceMs: 0, limit: 10)
        var body: [UInt8] = []
        let unreadable = try await selection.body(chunkBytes: 100) { body += $0 }
        #expect(unreadable == 1)
        // Still exactly the length announced, still JSON: the damaged record is null, the others intact.
        #expect(body.count == selection.bodyLength)
        let json = try JSONValue.parse(bytes: body)
        #expect(json["count"] == .int(3))
        let reports = try #require(json["reports"]?.arrayValue)
        #expect(reports.count == 3 && reports[2] == .null)
        let first = try JSONValue.parse(line(0))
        let second = try JSONValue.parse(line(1))
        #expect(reports[0] == first && reports[1] == second)
    }
}
