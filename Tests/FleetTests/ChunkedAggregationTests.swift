import Report
import Testing

@testable import Fleet

/// `FleetSummary` counts chunks of 2,048 hosts on their own cores and adds the chunks up. Across several
/// chunks it must equal one pass over the hosts in order, written out plainly here.
@Suite struct ChunkedAggregationTests {
    /// 7,000 hosts (four chunks): signatures that first appear in a late chunk, groups spread over every
    /// chunk, equal-sized groups, hints that differ per host, check.py and rich producers, job failures,
    /// empty and unreadable output, and a host only in the logs. `lean`: read as the table format reads them
    /// (entries read lean, hosts reporting equal entries sharing one list).
    static func fleet(lean: Bool = false) throws -> FleetReport {
        var hosts: [JSONValue] = []
        var logs: [JSONValue] = []
        var agents: [(ip: String, alive: Bool)] = []
        for i in 0..<7000 {
            let ip = "10.1.\(i / 256).\(i % 256)"
            // Job failures of two states and two error codes (a group each), some on hosts GSE reports offline
            // (another hint); some hosts missing from the logs.
            let failed = i % 97 == 0
            hosts.append(
                Fixtures.host(0, ip, status: failed ? (i % 2 == 0 ? 11 : 12) : 9, error: failed ? (i % 3 == 0 ? 104 : 105) : 0, id: i + 1))
            if failed { agents.append((ip, i % 5 != 0)) }
            if i % 101 == 0 { continue }
            let output: String
            switch i {
            case _ where i % 97 == 0: output = "Traceback"
            case _ where i % 89 == 0: output = ""
            case _ where i % 83 == 0: output = "not json"
            case _ where i >= 5000 && i % 17 == 0:
                output = Fixtures.richLine([
                    ("bkunifylogbeat", "bin_file", .fail, "missing /usr/local/gse/plugins/bin/bkunifylogbeat", "reinstall \(i % 3)"),
                    ("gse_agent", "socket", .pass, "ok", ""),
                ])
            case _ where i % 5 == 0: output = Fixtures.brokenRich(pid: i)
            case _ where i % 7 == 0: output = Fixtures.checkPyLine(processOK: false, pid: i)
            case _ where i % 11 == 0:
                output = Fixtures.richLine([
                    ("gse_agent", "dataserver_port", .fail, "dataserver 10.0.\(i % 4).1:58625 not connected", "check gse_data \(i % 2)"),
                    ("log_path", "logpath_match", .warn, "no file yet", "wait"),
                ])
            case _ where i % 13 == 0: output = Fixtures.checkPyLine(processOK: true) + "\nnoise"
            case _ where i % 23 == 0: output = Self.declaredFalse
            case _ where i % 19 == 0:
                output = Fixtures.richLine([("gse_agent", "socket", .pass, "ok", "")], version: i % 38 == 0 ? "" : "0.2.0")
            default: output = i % 2 == 0 ? Fixtures.healthyRich : Fixtures.checkPyLine()
            }
            logs.append(Fixtures.log(0, ip, output, id: i + 1))
        }
        logs.append(Fixtures.log(0, "10.9.9.9", Fixtures.brokenRich(pid: 1)))
        guard lean else { return try Fixtures.assemble([Fixtures.status(hosts), Fixtures.logs(logs)], gse: AggregationTests.gse1(agents)) }
        return try Fixtures.assemble(texts: [Fixtures.status(hosts).serialized(), Fixtures.logs(logs).serialized()], streamed: true)
    }

    /// A healthy report whose line declares `status: false`: the same entries as its healthy twins, but a
    /// group of its own.
    static let declaredFalse: String = {
        guard case .object(var members)? = try? JSONValue.parse(Fixtures.healthyRich), members.first?.0 == "status" else {
            return "not a report"
        }
        members[0].1 = .bool(false)
        return JSONValue.object(members).serialized()
    }()

    /// Read whole, and read lean, where the count knows a list that hosts share by its storage.
    @Test(arguments: [false, true])
    func chunksAddUpToOnePass(lean: Bool) throws {
        let r = try Self.fleet(lean: lean)
        let s = r.summary
        #expect(r.hosts.count == 7001)
        if lean {
            // Hosts of one report share few lists, two of them taking turns (rich and check.py), or the
            // lean reading proves nothing here.
            let single = r.hosts.filter { $0.reports.count == 1 && !$0.results.isEmpty }
            let lists = Set(single.map { $0.results.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } })
            #expect(single.count > 5000 && lists.count < single.count / 2)
        }

        // One pass, in host order.
        var states: [HostState: Int] = [:]
        var producers: [String: Int] = [:]
        var columns: [ItemKey] = []
        var counts: [ItemKey: VerdictSummary] = [:]
        var noOutput: [String] = []
        var signatures: [String] = []
        var members: [String: [Int]] = [:]
        var hints: [String: [String: Int]] = [:]
        for (hi, h) in r.hosts.enumerated() {
            states[h.state, default: 0] += 1
            producers[h.producer.isEmpty ? "none" : h.producer, default: 0] += 1
            if !h.state.hasReport { noOutput.append(h.key) }
            for c in h.results {
                let k = ItemKey(module: c.module, item: c.item)
                if counts[k] == nil { columns.append(k) }
                counts[k, default: VerdictSummary()][c.verdict] += 1
            }
            let entries = Signature.entries(for: h, results: h.results)
            let clean =
                h.state.isHealthy && h.lines.allSatisfy({ if case .report = $0 { true } else { false } })
                && h.declaredStatus != false && h.results.allSatisfy { $0.verdict.compatStatus }
            if clean || entries.isEmpty { continue }
            let sig = entries.map(\.description).joined(separator: "\n")
            if members[sig] == nil { signatures.append(sig) }
            members[sig, default: []].append(hi)
            var own = Set(h.results.filter { !$0.verdict.compatStatus && !$0.hint.isEmpty }.map(\.hint))
            if let f = Signature.fallbackHint(for: h) { own.insert(f) }
            for hint in own { hints[sig, default: [:]][hint, default: 0] += 1 }
        }

        #expect(s.states.map(\.0) == HostState.allCases.filter { states[$0] != nil })
        #expect(s.states.map(\.1) == HostState.allCases.compactMap { states[$0] })
        #expect(s.producers.map(\.0) == producers.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key))
        #expect(s.producers.map(\.1) == producers.values.sorted(by: >))
        #expect(Set(producers.keys) == ["bkdiag 0.1.0", "bkdiag 0.2.0", "bkdiag", "check.py", "none"])
        #expect(s.items == columns.sorted())
        #expect(s.itemCounts.map(\.counts) == columns.sorted().map { counts[$0]! })
        #expect(s.noUsableOutput == noOutput)
        // Several groups and several chunks, or the test proves nothing.
        #expect(signatures.count >= 5)
        #expect(signatures.contains { $0.contains("declared false") })
        #expect(signatures.filter { $0.hasPrefix("job: host status") }.count == 4)
        #expect(signatures.contains { $0.contains("host missing from the logs") })
        if !lean {
            #expect(r.hosts.contains { $0.agent == .offline } && r.hosts.contains { $0.state == .jobFailed && $0.agent != .offline })
        }
        #expect(Set(members.values.map { Set($0.map { $0 / 2048 }) }.flatMap { $0 }).count == 4)

        let expectedOrder = signatures.sorted {
            let a = (members[$0]!.count, $1.replacingOccurrences(of: "\n", with: "; "))
            let b = (members[$1]!.count, $0.replacingOccurrences(of: "\n", with: "; "))
            return a > b
        }
        #expect(s.groups.map { $0.entries.map(\.description).joined(separator: "\n") } == expectedOrder)
        for (gi, g) in s.groups.enumerated() {
            let sig = expectedOrder[gi]
            #expect(g.hosts == members[sig]!.map { r.hosts[$0].key })
            let top = hints[sig, default: [:]].sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
            #expect(g.topHints.map(\.hint) == top.map(\.key))
            #expect(g.topHints.map(\.hosts) == top.map(\.value))
            #expect(g.diagnoses.map(\.1).reduce(0, +) == g.hosts.count)
            for hi in members[sig]! { #expect(s.groupOfHost[hi] == gi) }
        }
        let grouped = Set(members.values.flatMap { $0 })
        for hi in r.hosts.indices where !grouped.contains(hi) { #expect(s.groupOfHost[hi] == -1) }
    }

    @Test func ordinalsFollowAllCases() {
        #expect(HostState.allCases.map(\.ordinal) == Array(HostState.allCases.indices))
        #expect(HostDiagnosis.allCases.map(\.ordinal) == Array(HostDiagnosis.allCases.indices))
    }

    @Test func copiesShareOneAggregation() throws {
        let r = try Self.fleet()
        var copy = r
        copy.hosts = []
        // The summary is of the hosts the report was made with, whichever copy asks first.
        #expect(copy.summary.hostCount == 7001)
        #expect(r.summary.groups.map(\.id) == copy.summary.groups.map(\.id))
    }
}
