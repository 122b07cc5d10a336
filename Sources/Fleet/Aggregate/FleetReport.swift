import Dispatch
import Report

/// The fleet's answer: per-host results in a deterministic order, run-level issues, and the aggregation.
public struct FleetReport: Sendable {
    public var generatedAtMs: Int64
    /// `parse` or `run`.
    public var source: String
    public var jobInstanceID: Int64?
    public var stepInstanceID: Int64?
    /// JOB's `finished` at the time the status was taken.
    public var finished: Bool
    /// Hosts in `step_ip_result_list` order, then hosts seen only in the logs, by key.
    public var hosts: [HostResult]
    public var issues: [FleetIssue]
    /// Run-level lines of the platform's record (status and log gaps), before the per-host lines.
    public var preamble: [AgentInfo]
    /// Whether a GSE agent-state answer was given.
    public var gseGiven: Bool
    /// Set when JOB itself failed before any host verdict (AgentChecker then prints one line, no host).
    public var jobFailure: JobFailure?
    public let summary: FleetSummary

    public init(
        generatedAtMs: Int64, source: String, jobInstanceID: Int64?, stepInstanceID: Int64?, finished: Bool,
        hosts: [HostResult], issues: [FleetIssue], preamble: [AgentInfo], gseGiven: Bool, jobFailure: JobFailure? = nil
    ) {
        self.jobFailure = jobFailure
        self.generatedAtMs = generatedAtMs
        self.source = source
        self.jobInstanceID = jobInstanceID
        self.stepInstanceID = stepInstanceID
        self.finished = finished
        self.hosts = hosts
        self.issues = issues
        self.preamble = preamble
        self.gseGiven = gseGiven
        let t = Timing.now()
        self.summary = FleetSummary(hosts: hosts)
        Timing.add("aggregate", since: t)
    }

    /// Exit status for scripts: 0 all healthy, 1 some host not healthy, 3 no host at all.
    public var exitCode: Int32 {
        if hosts.isEmpty { return 3 }
        return hosts.allSatisfy { $0.state.isHealthy } ? 0 : 1
    }
}

/// JOB failed before any host verdict: its status answer was `result: false`, listed no step, or no host
/// under the step that ran, or the job had not finished. AgentChecker then prints one line and judges no host.
public struct JobFailure: Sendable, Equatable {
    /// The platform's line.
    public var line: AgentInfo
    /// What happened, in words, for the other formats.
    public var summary: String

    public init(line: AgentInfo, summary: String) {
        self.line = line
        self.summary = summary
    }
}

/// A catalogue item as a column: `module/item`.
public struct ItemKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var module: String
    public var item: String

    public init(module: String, item: String) {
        self.module = module
        self.item = item
    }

    public var description: String { "\(module)/\(item)" }
    public var label: String { CheckLabels.label(forItem: item) }

    /// check.py's order of the catalogue (`CheckID`'s); items it does not know sort after, by name.
    static let catalogue: [String] = CheckID.allCases.map(\.key)

    var rank: Int { Self.catalogue.firstIndex(of: description) ?? Self.catalogue.count }

    public static func < (a: ItemKey, b: ItemKey) -> Bool {
        (a.rank, a.description) < (b.rank, b.description)
    }
}

/// Verdict counts of one item across the fleet.
public struct ItemCount: Sendable, Equatable {
    public var item: ItemKey
    public var counts: VerdictSummary
}

/// Hosts that share a failure signature.
public struct SignatureGroup: Sendable {
    /// Short stable id (FNV-1a of the signature text).
    public var id: String
    public var entries: [SignatureEntry]
    public var hosts: [String]
    /// Most common hints of the group's failing items, with how many hosts carry each.
    public var topHints: [(hint: String, hosts: Int)]
    /// Hosts of the group by diagnosis (agent offline vs collector broken ...).
    public var diagnoses: [(HostDiagnosis, Int)]

    /// One-line title: the entries joined.
    public var title: String { entries.map(\.description).joined(separator: "; ") }
}

/// The fleet-wide aggregation.
public struct FleetSummary: Sendable {
    public var hostCount: Int
    public var states: [(HostState, Int)]
    public var diagnoses: [(HostDiagnosis, Int)]
    public var producers: [(String, Int)]
    public var items: [ItemKey]
    public var itemCounts: [ItemCount]
    public var groups: [SignatureGroup]
    /// Hosts with no readable report (job failed, no output, missing, unparseable, fetch failed).
    public var noUsableOutput: [String]
    /// Index of each host's signature group in `groups`, parallel to the report's hosts; -1 for none.
    public var groupOfHost: [Int]

    public init(hosts: [HostResult]) {
        hostCount = hosts.count
        var stateCount: [HostState: Int] = [:]
        var diagCount: [HostDiagnosis: Int] = [:]
        var producerCount: [String: Int] = [:]
        var itemIndex: [ItemKey: Int] = [:]
        var counts: [VerdictSummary] = []
        var keys: [ItemKey] = []
        var noOutput: [String] = []
        var sigIndex: [String: Int] = [:]
        var sigEntries: [[SignatureEntry]] = []
        var sigHosts: [[Int]] = []
        var groupOfHost = [Int](repeating: -1, count: hosts.count)
        var prevColumns: [Int] = []

        // The per-host work (diagnosis, producer, signature, merged results) runs in parallel; merging is
        // serial, and reads hosts and facts in place (copying a host's results would retain every string).
        var t = Timing.now()
        let facts = Self.facts(hosts)
        Timing.add("aggregate: host digests (parallel)", since: t)
        t = Timing.now()
        for hi in hosts.indices {
            let state = hosts[hi].state
            stateCount[state, default: 0] += 1
            diagCount[facts[hi].diagnosis, default: 0] += 1
            producerCount[facts[hi].producer, default: 0] += 1
            if !state.hasReport { noOutput.append(hosts[hi].key) }
            facts[hi].results.withUnsafeBufferPointer { results in
                // Most hosts list the same items in the same order: reuse the previous host's columns.
                var same = results.count == prevColumns.count
                if same {
                    for k in results.indices
                    where keys[prevColumns[k]].item != results[k].item || keys[prevColumns[k]].module != results[k].module {
                        same = false
                        break
                    }
                }
                if !same {
                    prevColumns = results.map { r in
                        let k = ItemKey(module: r.module, item: r.item)
                        if let x = itemIndex[k] { return x }
                        itemIndex[k] = counts.count
                        counts.append(VerdictSummary())
                        keys.append(k)
                        return counts.count - 1
                    }
                }
                for k in results.indices { counts[prevColumns[k]][results[k].verdict] += 1 }
            }
            if facts[hi].entries.isEmpty { continue }
            let gi: Int
            if let x = sigIndex[facts[hi].signature] {
                gi = x
            } else {
                gi = sigEntries.count
                sigIndex[facts[hi].signature] = gi
                sigEntries.append(facts[hi].entries)
                sigHosts.append([])
            }
            sigHosts[gi].append(hi)
            groupOfHost[hi] = gi
        }

        Timing.add("aggregate: merge", since: t)
        t = Timing.now()
        var groups: [SignatureGroup] = []
        for gi in sigEntries.indices {
            let members = sigHosts[gi]
            var hintCount: [String: Int] = [:]
            var diag: [HostDiagnosis: Int] = [:]
            for hi in members {
                diag[facts[hi].diagnosis, default: 0] += 1
                var seen = Set<String>()
                // In place: copying each result (or the host) would retain all of its strings.
                facts[hi].results.withUnsafeBufferPointer { rs in
                    for k in rs.indices where !rs[k].verdict.compatStatus && !rs[k].hint.isEmpty && seen.insert(rs[k].hint).inserted {
                        hintCount[rs[k].hint, default: 0] += 1
                    }
                }
                if let fallback = Signature.fallbackHint(for: hosts[hi]), seen.insert(fallback).inserted {
                    hintCount[fallback, default: 0] += 1
                }
            }
            let hints = hintCount.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { (hint: $0.key, hosts: $0.value) }
            let entries = sigEntries[gi]
            groups.append(
                SignatureGroup(
                    id: Signature.id(entries), entries: entries, hosts: members.map { hosts[$0].key }, topHints: Array(hints),
                    diagnoses: HostDiagnosis.allCases.compactMap { d in diag[d].map { (d, $0) } }))
        }
        // Biggest groups first; ties by title so the order is stable.
        let order = groups.indices.sorted {
            (groups[$0].hosts.count, groups[$1].title) > (groups[$1].hosts.count, groups[$0].title)
        }
        var remap = [Int](repeating: -1, count: groups.count)
        for (newIndex, old) in order.enumerated() { remap[old] = newIndex }
        self.groups = order.map { groups[$0] }
        self.groupOfHost = groupOfHost.map { $0 < 0 ? -1 : remap[$0] }

        Timing.add("aggregate: groups", since: t)
        let sortedKeys = keys.sorted()
        items = sortedKeys
        itemCounts = sortedKeys.map { ItemCount(item: $0, counts: counts[itemIndex[$0]!]) }
        states = HostState.allCases.compactMap { s in stateCount[s].map { (s, $0) } }
        diagnoses = HostDiagnosis.allCases.compactMap { d in diagCount[d].map { (d, $0) } }
        producers = producerCount.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        noUsableOutput = noOutput
    }

    /// What the aggregation needs of one host, computed off the merge loop.
    struct HostDigest: Sendable {
        /// `HostResult.results`, computed once.
        var results: [CheckResult]
        var diagnosis: HostDiagnosis
        var producer: String
        var entries: [SignatureEntry]
        var signature: String
    }

    static func facts(_ hosts: [HostResult]) -> [HostDigest] {
        @Sendable func one(_ h: HostResult) -> HostDigest {
            let results = h.results
            let entries =
                h.state.isHealthy && h.lines.allSatisfy({ if case .report = $0 { true } else { false } })
                    && h.declaredStatus != false && results.allSatisfy { $0.verdict.compatStatus }
                ? [] : Signature.entries(for: h, results: results)
            return HostDigest(
                results: results, diagnosis: h.diagnosis, producer: h.producer.isEmpty ? "none" : h.producer, entries: entries,
                signature: entries.isEmpty ? "" : entries.map(\.description).joined(separator: "\n"))
        }
        var out = [HostDigest?](repeating: nil, count: hosts.count)
        let chunk = 2048
        let chunks = (hosts.count + chunk - 1) / chunk
        out.withUnsafeMutableBufferPointer { buf in
            // Each iteration writes a disjoint range of slots.
            nonisolated(unsafe) let slots = buf
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * chunk)..<min(hosts.count, (c + 1) * chunk) { slots[i] = one(hosts[i]) }
            }
        }
        return takeAll(&out)
    }

    public func count(_ state: HostState) -> Int { states.first(where: { $0.0 == state })?.1 ?? 0 }
    public func count(_ d: HostDiagnosis) -> Int { diagnoses.first(where: { $0.0 == d })?.1 ?? 0 }
    public var healthy: Int { count(.pass) + count(.warn) }
}
