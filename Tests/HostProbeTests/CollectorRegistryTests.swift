import Foundation
import HostProbe
import SystemLayer
import TestSupport
import Testing

/// The collector's registry: gob framing, file.State JSON, and whole files written by the test writer.
@Suite("Collector registry")
struct CollectorRegistryTests {
    func temporaryFile(_ content: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "bkdiag-registry-\(getpid())-\(UUID().uuidString.prefix(8)).db"
        try Data(content).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Bytes Go 1.19's `gob.NewEncoder(&b).Encode(s)` produced for these strings.
    @Test(
        "gob: Go's own encodings of strings decode",
        arguments: [
            ([0x08, 0x0C, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F], "hello"),
            ([0x03, 0x0C, 0x00, 0x00], ""),
            ([0xFF, 0xCC, 0x0C, 0x00, 0xFF, 0xC8] + [UInt8](repeating: 0x78, count: 200), String(repeating: "x", count: 200)),
        ] as [([UInt8], String)])
    func gobFromGo(bytes: [UInt8], text: String) throws {
        #expect(try GobString.decode(bytes).get() == text)
        #expect(BoltTestWriter.gobString(text) == bytes)
    }

    @Test("gob: long and multi-byte strings round-trip through the writer's framing", arguments: [127, 128, 255, 256, 70_000])
    func gobLengths(count: Int) throws {
        let s = String(repeating: "日志", count: count / 2) + String(repeating: "a", count: count % 2)
        #expect(try GobString.decode(BoltTestWriter.gobString(s)).get() == s)
    }

    @Test(
        "gob: broken framing is an error with a reason",
        arguments: [
            [], [0x05], [0x03, 0x0C, 0x00], [0x04, 0x0C, 0x00, 0x00], [0x03, 0x0A, 0x00, 0x00], [0x03, 0x0C, 0x01, 0x00],
            [0x04, 0x0C, 0x00, 0x05, 0x61], [0xF7, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0xFE, 0x00], [0x02, 0x0C, 0x00],
        ] as [[UInt8]])
    func gobErrors(bytes: [UInt8]) {
        switch GobString.decode(bytes) {
        case .success(let s): Issue.record("decoded \(s.debugDescription)")
        case .failure(let e): #expect(e.reason.hasPrefix("gob: "))
        }
    }

    /// Unix time of a UTC civil time, by the C library.
    func utc(_ y: Int32, _ mo: Int32, _ d: Int32, _ h: Int32, _ mi: Int32, _ s: Int32) -> Int64 {
        var t = tm()
        t.tm_year = y - 1900
        t.tm_mon = mo - 1
        t.tm_mday = d
        t.tm_hour = h
        t.tm_min = mi
        t.tm_sec = s
        return Int64(timegm(&t))
    }

    @Test("RFC 3339 as Go writes time.Time: zones, fractions, leap days; bad fields are nil")
    func rfc3339() {
        #expect(RFC3339.parse("2026-12-01T03:00:00.5+08:00")! == (utc(2026, 11, 30, 19, 0, 0), 500_000_000))
        #expect(RFC3339.parse("2024-02-29T23:59:59.123456789Z")! == (utc(2024, 2, 29, 23, 59, 59), 123_456_789))
        #expect(RFC3339.parse("1970-01-01T00:00:00-05:30")! == (19_800, 0))
        #expect(RFC3339.parse("0001-01-01T00:00:00Z")! == (utc(1, 1, 1, 0, 0, 0), 0))
        for bad in [
            "", "2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T00:00:00",
            "2026-12-01T00:00:00.Z", "2026-12-01T00:00:00.1234567890Z", "2026-12-01 00:00:00Z", "2026-12-01T00:00:00+0800",
            "2026-12-01T00:00:00Zjunk", "２026-12-01T00:00:00Z",
        ] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("file.State JSON: every field, escapes, 64-bit inode and device, unknown members skipped")
    func stateJSON() throws {
        let source = "/data/日志/a \"b\" <c> & d\\e\n.log"
        let json = BoltTestWriter.stateJSON(
            source: source, offset: 9_007_199_254_740_993, timestamp: "2026-12-01T03:00:00.25Z", ttl: -2,
            meta: [("path", "/x"), ("k", "<v>")], inode: UInt64.max - 5, device: 0x1_0000_0803)
        #expect(json.contains("\\u003c"))
        let s = try CollectorFileState.parse(Array(json.utf8))
        #expect(s.source == source)
        #expect(s.offset == 9_007_199_254_740_993)
        #expect(s.timestampSeconds == utc(2026, 12, 1, 3, 0, 0) && s.timestampNanoseconds == 250_000_000)
        #expect(s.ttl == -2)
        #expect(s.type == "log")
        #expect(s.meta == ["path": "/x", "k": "<v>"])
        #expect(s.inode == UInt64.max - 5 && s.device == 0x1_0000_0803)
        let extra = try CollectorFileState.parse(
            Array(#" {"future":[1,{"a":null}],"source":"s","meta":null,"FileStateOS":{"inode":7,"idxhi":1}} "#.utf8))
        #expect(extra.source == "s" && extra.meta == nil && extra.inode == 7 && extra.device == 0 && extra.timestampSeconds == nil)
    }

    @Test(
        "file.State JSON: wrong types, overflow and broken text are errors",
        arguments: [
            "", "[]", "{", #"{"source":1}"#, #"{"offset":"1"}"#, #"{"offset":1.5}"#, #"{"offset":9223372036854775808}"#,
            #"{"FileStateOS":{"inode":-1}}"#, #"{"FileStateOS":{"inode":18446744073709551616}}"#, #"{"FileStateOS":[]}"#,
            #"{"meta":{"a":1}}"#, #"{"meta":[]}"#, #"{"source":"a"} x"#, #"{"source":"a",}"#,
            #"{"x":[[[[[[[[[[[[1]]]]]]]]]]]]}"#,
        ])
    func stateErrors(text: String) {
        #expect(throws: RegistryValueError.self) { try CollectorFileState.parse(Array(text.utf8)) }
    }

    @Test("a read keeps only the states its filter accepts, and counts them all")
    func keptStates() throws {
        let a = BoltTestWriter.stateJSON(
            source: "/var/log/app/a.log", offset: 1, timestamp: "2026-12-01T02:00:00Z", inode: 11, device: 2049)
        let b = BoltTestWriter.stateJSON(
            source: "/var/log/app/b.log", offset: 2, timestamp: "2026-12-01T02:00:00Z", inode: 12, device: 2049)
        let c = BoltTestWriter.stateJSON(
            source: "/var/log/old/c.log", offset: 3, timestamp: "2026-12-01T02:00:00Z", inode: 13, device: 2049)
        let path = try temporaryFile(BoltTestWriter.registry([("state:11-2049", a), ("state:12-2049", b), ("state:13-2049", c)]))
        defer { unlink(path) }
        let kept = try CollectorRegistry.read(path: path) { $0.inode == 11 || $0.source == "/var/log/app/b.log" }
        #expect(kept.states.map(\.offset) == [1, 2] && kept.stateCount == 3)
        let all = try CollectorRegistry.read(path: path)
        #expect(all.states.count == 3 && all.stateCount == 3)
        // The legacy value is filtered alike.
        let legacy = try temporaryFile(BoltTestWriter.registry([("registrar", "[\(a), \(c)]")]))
        defer { unlink(legacy) }
        #expect(try CollectorRegistry.read(path: legacy) { $0.inode == 13 }.fileStates.map(\.offset) == [3])
    }

    /// A collector of 7.5 and before writes every state into one `registrar` value (a JSON array of the
    /// same state objects); its states count as the file states until a newer collector migrates them.
    @Test("a registry of the older generation: the states in its registrar value are the file states")
    func legacyRegistrar() throws {
        let a = BoltTestWriter.stateJSON(
            source: "/var/log/app/a.log", offset: 1000, timestamp: "2026-12-01T02:00:00Z", inode: 11, device: 2049)
        let b = BoltTestWriter.stateJSON(
            source: "/var/log/app/b.log", offset: 5, timestamp: "2026-12-01T02:00:01Z", inode: 12, device: 2049)
        let old = try temporaryFile(
            BoltTestWriter.registry([("localtime", "Tue Dec  1 03:00:00 CST 2026"), ("registrar", "[\(a), \(b)]")]))
        defer { unlink(old) }
        let r = try CollectorRegistry.read(path: old)
        #expect(r.states.isEmpty && r.problems.isEmpty)
        #expect(r.fileStates.map(\.source) == ["/var/log/app/a.log", "/var/log/app/b.log"])
        #expect(r.fileStates.map(\.offset) == [1000, 5] && r.fileStates.map(\.inode) == [11, 12])
        // A collector with state: keys deletes the value when it migrates it (registrar.go Init), so beside
        // state: keys the value is a downgraded collector's, rewritten every flush: its states are the live
        // ones, the state: keys are left over.
        let downgraded = try temporaryFile(
            BoltTestWriter.registry([("registrar", "[\(a)]"), ("state:12-2049", b)]))
        defer { unlink(downgraded) }
        let m = try CollectorRegistry.read(path: downgraded)
        #expect(m.fileStates.map(\.source) == ["/var/log/app/a.log"] && m.states.map(\.source) == ["/var/log/app/b.log"])
        // Without the value, the state: keys.
        let migrated = try temporaryFile(BoltTestWriter.registry([("state:12-2049", b)]))
        defer { unlink(migrated) }
        #expect(try CollectorRegistry.read(path: migrated).fileStates.map(\.source) == ["/var/log/app/b.log"])
        // null is no state; a broken value is a problem, named, not a silent empty list.
        for (text, problem) in [("null", false), ("[]", false), ("[{\"offset\":\"x\"}]", true), ("[\(a),", true), ("{}", true)] {
            let path = try temporaryFile(BoltTestWriter.registry([("registrar", text)]))
            defer { unlink(path) }
            let x = try CollectorRegistry.read(path: path)
            #expect(x.fileStates.isEmpty, "\(text)")
            #expect(x.problems.contains { $0.hasPrefix("registrar states: ") } == problem, "\(text): \(x.problems)")
        }
    }

    @Test("a registry file: states, gseindex, localtime, legacy key, other keys and undecodable values")
    func registryFile() throws {
        var values: [(key: String, value: String)] = [
            ("localtime", "Tue Dec  1 03:00:00 CST 2026"), ("gseindex_1500001", "42"), ("gseindex_-3", "18446744073709551615"),
            ("registrar", "[]"), ("somethingelse", "v"), ("gseindex_9", "many"), ("state:broken", "{\"offset\":"),
        ]
        for i in 0..<300 {
            values.append(
                (
                    "state:\(100 + i)-2049",
                    BoltTestWriter.stateJSON(
                        source: "/var/log/app/\(i).log", offset: Int64(i) * 4096,
                        timestamp: "2026-12-01T02:00:\(String(format: "%02d", i % 60))Z",
                        inode: UInt64(100 + i), device: 2049)
                ))
        }
        var bytes = BoltTestWriter.registry(values, txid: 41)
        // One value whose gob framing is cut: the key is named in problems, the rest is read.
        let cut = BoltTestWriter.gobString("lost")
        let marker = Array("somethingelse".utf8)
        let at = try #require((0..<(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
        bytes[at + marker.count] = UInt8(cut.count + 5)
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        let r = try CollectorRegistry.read(path: path)
        #expect(r.txid == 41)
        #expect(r.path == path)
        #expect(r.localtime == "Tue Dec  1 03:00:00 CST 2026")
        #expect(r.legacyRegistrar == "[]")
        #expect(r.gseIndexes.map { $0.dataID } == ["-3", "1500001"])
        #expect(r.gseIndexes.map { $0.index } == [UInt64.max, 42])
        #expect(r.states.count == 300)
        let s = try #require(r.states.first { $0.key == "117-2049" })
        #expect(s.source == "/var/log/app/17.log" && s.offset == 17 * 4096 && s.inode == 117 && s.device == 2049)
        #expect(s.timestampSeconds == utc(2026, 12, 1, 2, 0, 17))
        #expect(r.otherKeys == [])
        #expect(r.problems.count == 3)
        #expect(r.problems.contains { $0.hasPrefix("gseindex_9: ") })
        #expect(r.problems.contains { $0.hasPrefix("somethingelse: gob: ") })
        #expect(r.problems.contains { $0.hasPrefix("state:broken: state JSON") })
    }

    @Test("a file without the kv bucket is missingBucket; an empty kv is an empty registry")
    func emptyAndForeign() throws {
        var w = BoltTestWriter(pageSize: 4096)
        let root = w.writeTree(.init([(Array("other".utf8), .bucket(.init([], inline: true)))]))
        w.setMeta(txid: 2, root: root)
        let foreign = try temporaryFile(w.bytes)
        defer { unlink(foreign) }
        do {
            _ = try CollectorRegistry.read(path: foreign)
            Issue.record("read a registry without kv")
        } catch {
            #expect(error.code == .missingBucket)
            #expect(error.description.contains(foreign) && error.description.contains("kv"))
        }
        let empty = try temporaryFile(BoltTestWriter.registry([], kvInline: true))
        defer { unlink(empty) }
        let r = try CollectorRegistry.read(path: empty)
        #expect(r.states.isEmpty && r.localtime == nil && r.gseIndexes.isEmpty && r.problems.isEmpty)
    }

    /// Lines of /proc/locks for the file with `inode` (`N: FLOCK ADVISORY WRITE <pid> <maj:min:inode> 0 EOF`).
    func locks(onInode inode: UInt64) throws -> [[Substring]] {
        // Read to its end: Foundation's String(contentsOfFile:) stops at 4 KiB of a /proc file.
        let text = String(decoding: try Sys.readFile("/proc/locks"), as: UTF8.self)
        return text.split(separator: "\n").map { $0.split(separator: " ") }.filter { $0.count > 5 && $0[5].hasSuffix(":\(inode)") }
    }

    @Test("a registry flock-ed by a running collector is read, and no lock of ours ever appears")
    func readsUnderTheCollectorsLock() throws {
        let dir = NSTemporaryDirectory() + "bkdiag-lock-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + CollectorRegistry.fileName
        let state = BoltTestWriter.stateJSON(source: "/var/log/x.log", offset: 5, timestamp: "2026-12-01T00:00:00Z", inode: 9, device: 8)
        try Data(BoltTestWriter.registry([("localtime", "now"), ("state:9-8", state)], txid: 12)).write(to: URL(fileURLWithPath: path))
        var st = stat()
        try #require(stat(path, &st) == 0)
        let collector = try FakeProcess.launch(FakeHost.fakeBinary, ["collector", "--lock", path], cwd: dir)
        defer { collector.stop() }
        let held = try locks(onInode: UInt64(st.st_ino))
        #expect(held.contains { $0[1] == "FLOCK" && $0[3] == "WRITE" && $0[4] == "\(collector.pid)" })
        for _ in 0..<3 {
            let r = try CollectorRegistry.read(path: path)
            #expect(r.localtime == "now" && r.states.map(\.offset) == [5] && r.txid == 12)
        }
        let after = try locks(onInode: UInt64(st.st_ino))
        #expect(!after.contains { $0[4] == "\(getpid())" })
        #expect(after.contains { $0[4] == "\(collector.pid)" && $0[3] == "WRITE" })
    }
}
