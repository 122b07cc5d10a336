import Foundation
import HostProbe
import Report
import SystemLayer
import TestSupport
import Testing

@testable import Diagnostics

/// LiveHostFacts on a fake tree (no processes needed): each fact is read once and kept for the run.
@Suite("LiveHostFacts reads each fact once")
struct LiveHostFactsTests {
    func facts(_ host: FakeHost, subscription: Int64 = 33561) -> LiveHostFacts {
        LiveHostFacts(
            options: CheckOptions(
                gsePath: host.gseRoot + "/", subscriptionID: subscription, hostRoot: host.dir, restartLog: host.restartLog))
    }

    @Test("real paths through a symlinked directory and a symlinked file, each directory resolved once")
    func realPaths() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let facts = facts(host)
        let real = try #require(Sys.realPath(host.dir)) + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: real + "/a.log", contents: Data("x\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: host.dir + "/dirlink", withDestinationPath: real)
        try FileManager.default.createSymbolicLink(atPath: real + "/l.log", withDestinationPath: "a.log")
        try FileManager.default.createSymbolicLink(atPath: real + "/dangling.log", withDestinationPath: "nowhere.log")
        #expect(facts.realPath(host.dir + "/dirlink/a.log") == real + "/a.log")
        #expect(facts.realPath(host.dir + "/dirlink/../real/a.log") == real + "/a.log")
        #expect(facts.realPath(host.dir + "/dirlink/l.log") == real + "/a.log")
        #expect(facts.realPath(host.dir + "/dirlink/dangling.log") == nil)
        #expect(facts.realPath(host.dir + "/dirlink/missing.log") == nil)
        #expect(facts.realPath(host.dir + "/dirlink/.") == real)
        // Each answer is glibc's.
        for p in ["/dirlink/a.log", "/dirlink/l.log", "/dirlink/dangling.log", "/real/a.log"] {
            #expect(facts.realPath(host.dir + p) == Sys.realPath(host.dir + p), "\(p)")
        }
    }

    @Test("the subscription configs are listed and each is read and parsed once, though three checks read them")
    func subscriptionConfigsOnce() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let path = try host.writeSubConfig(subscription: 33561, paths: ["/data/logs/*.log"])
        let facts = facts(host)
        let listing = facts.subscriptionConfigs
        #expect(listing.dirs.map(\.path) == [host.subConfigDir, host.subConfigDir + "/bcs"])
        let file = try #require(listing.files.first { $0.path == path })
        #expect(facts.subscriptionConfig(file).yaml?["local"]?.array?.first?["dataid"]?.int == 1_500_123)

        // Changed on disk during the run: the run keeps what it read (one view of the host per run).
        try "local: [\n".write(toFile: path, atomically: true, encoding: .utf8)
        try "x".write(toFile: host.subConfigDir + "/bkunifylogbeat_sub_1_host_1.conf", atomically: true, encoding: .utf8)
        #expect(facts.subscriptionConfig(file).yaml != nil)
        #expect(facts.subscriptionConfigs.files.count == listing.files.count)
        // A new run reads it again.
        let again = self.facts(host)
        let reread = try #require(again.subscriptionConfigs.files.first { $0.path == path })
        guard case .invalid = again.subscriptionConfig(reread).content else {
            Issue.record("a new run did not read the changed config")
            return
        }
    }

    @Test("the collector binary: stat and ELF header, read once for bin_file and healthz")
    func collectorBinaryOnce() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        let facts = facts(host)
        let first = facts.collectorBinary
        #expect(first.path == host.collectorBinary)
        #expect((try? first.stat.get())?.isExecutable == true)
        #expect((try? first.elf?.get())??.machineName == Sys.machine())
        try FileManager.default.removeItem(atPath: host.collectorBinary)
        #expect((try? facts.collectorBinary.stat.get()) != nil)
        #expect((try? self.facts(host).collectorBinary.stat.get()) == nil)
    }

    /// A run's facts are released when the run ends (the daemon makes new ones every interval, and they hold all
    /// the run read): every subscription's items, kept for the run, must not keep them.
    @Test("every subscription's items are kept for the run, and the run's facts are still released after it")
    func subscriptionItemsReleased() throws {
        let host = try FakeHost()
        defer { host.shutdown() }
        try host.writeSubConfig(subscription: 33561, paths: ["/data/logs/*.log"])
        try host.writeSubConfig(subscription: 40001, paths: ["/data/svc/*.log"])
        weak var released: LiveHostFacts?
        do {
            let facts = facts(host)
            released = facts
            #expect(Set(CollectorFileRules.allItems(facts).map(\.subscription)) == [33561, 40001])
            #expect(CollectorFileRules.items(subscription: 40001, facts: facts).map(\.paths) == [["/data/svc/*.log"]])
        }
        #expect(released == nil, "the run's facts outlive it")
    }
}
