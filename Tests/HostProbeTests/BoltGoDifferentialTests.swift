import Foundation
import HostProbe
import TestSupport
import Testing

/// bkdiag's reader against files written by the real boltdb/bolt v1.3.1 and Go's encoding/gob and
/// encoding/json (Tests/BoltGo/boltwriter.go), while that writer holds bolt's flock and keeps committing.
/// Needs Debian's golang-go and golang-github-boltdb-bolt-dev (`Scripts/deps.sh test` installs them).
@Suite("Bolt reader against Go's bolt")
struct BoltGoDifferentialTests {
    static let gopath = "/usr/share/gocode"

    /// The `go` command, when it and the bolt sources are installed.
    static let goCommand: String? = {
        guard FileManager.default.fileExists(atPath: gopath + "/src/github.com/boltdb/bolt/db.go") else { return nil }
        return GoPrograms.go
    }()

    static func hex(_ s: Substring) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            func v(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x57 }
            out.append(v(a) << 4 | v(b))
        }
        return out
    }

    @Test(
        "a registry written and held by real bolt reads back exactly, while bolt keeps committing",
        .enabled(if: goCommand != nil, "needs golang-go and golang-github-boltdb-bolt-dev (Scripts/deps.sh test)"))
    func differential() async throws {
        let go = try #require(Self.goCommand)
        let dir = NSTemporaryDirectory() + "bkdiag-boltgo-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("BoltGo/boltwriter.go").path
        let env = ["GO111MODULE": "off", "GOPATH": Self.gopath, "GOCACHE": NSTemporaryDirectory() + "bkdiag-gocache", "GOFLAGS": ""]
        let (status, log) = try await runCapturing(go, ["build", "-o", dir + "/boltwriter", source], environment: env)
        try #require(status == 0, "go build: \(log)")

        let path = dir + "/" + CollectorRegistry.fileName
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: dir + "/boltwriter")
        writer.arguments = [path, "700"]
        let out = Pipe(), input = Pipe()
        writer.standardOutput = out
        writer.standardInput = input
        try writer.run()
        defer {
            // It ends at the end of its input; bounded all the same, so a stuck writer fails the test only.
            try? input.fileHandleForWriting.close()
            let end = Date().addingTimeInterval(30)
            while writer.isRunning && Date() < end { usleep(20_000) }
            if writer.isRunning { kill(writer.processIdentifier, SIGKILL) }
        }
        // The listing, up to "ready" (a minute at most).
        var text = ""
        let fd = out.fileHandleForReading.fileDescriptor
        let readyBy = Date().addingTimeInterval(60)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !text.hasSuffix("ready\n") {
            try #require(Date() < readyBy, "boltwriter not ready after 60 s: \(text.suffix(500))")
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let n = read(fd, &chunk, chunk.count)
            try #require(n > 0, "boltwriter ended early: \(text.suffix(500))")
            text += String(decoding: chunk[0..<n], as: UTF8.self)
        }
        var expected: [String: String] = [:]
        for line in text.split(separator: "\n") where line != "ready" {
            let parts = line.split(separator: " ")
            expected[String(decoding: Self.hex(parts[0]), as: UTF8.self)] = String(decoding: Self.hex(parts[1]), as: UTF8.self)
        }
        let churning: Set<String> = ["localtime", "gseindex_7"]
        let steady = expected.filter { !churning.contains($0.key) }
        #expect(steady.count > 600)

        var succeeded = 0
        var txids: Set<UInt64> = []
        for _ in 0..<12 {
            let snap: BoltBucketSnapshot
            do {
                snap = try BoltFile.readBucket(path: path, bucketPath: [Array("kv".utf8)])
            } catch {
                // Only a writer that committed during every attempt may stop a read.
                #expect(error.code == .unstable, "\(error)")
                continue
            }
            succeeded += 1
            txids.insert(snap.meta.txid)
            var got: [String: String] = [:]
            for e in snap.entries {
                got[String(decoding: e.key, as: UTF8.self)] = try GobString.decode(try #require(e.value)).get()
            }
            #expect(got.filter { !churning.contains($0.key) } == steady)
            let tick = try #require(got["localtime"])
            #expect(tick == expected["localtime"] || tick.hasPrefix("tick "))

            let r = CollectorRegistry.decode(snap, path: path)
            #expect(r.problems.isEmpty)
            #expect(r.states.count == steady.keys.filter { $0.hasPrefix("state:") }.count)
            let s = try #require(r.states.first { $0.inode == (1 << 40) + 3 })
            #expect(s.key == "\((1 << 40) + 3)-2049")
            #expect(s.source == "/data/logs/日志-3/<app>.log" && s.offset == 3_000_009 && s.device == 2049 && s.ttl == -1)
            // 2026-12-01T03:00:03.123456789+08:00
            #expect(s.timestampSeconds == 1_796_065_203 && s.timestampNanoseconds == 123_456_789)
            #expect(r.states.first { $0.inode == (1 << 40) + 5 }?.meta == ["dataid": "5"])
            #expect(r.legacyRegistrar.map { $0.hasPrefix("[{\"source\":\"\"") } == true)
            try? await Task.sleep(for: .milliseconds(100))
        }
        #expect(succeeded > 0)
        // bolt's writer never waited for us: its transactions went on between our reads.
        #expect(txids.count > 1)
    }
}
