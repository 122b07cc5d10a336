import Dispatch
import Report
import Synchronization

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
    /// No status answer at all (`parse` of log pages alone): hosts are judged by their output, and AgentChecker,
    /// which has no host list then, would print nothing of them (`--strict-agent` prints nothing).
    public var statusMissing = false
    /// The aggregation of `hosts` as they were at `init`, made on first use: the platform's lines
    /// (`--format agent`) never need it, and for 100,000 hosts it is a tenth of a second of work.
    public var summary: FleetSummary { aggregation.value }
    private let aggregation: LazyAggregation

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
        self.aggregation = LazyAggregation(hosts: hosts)
    }

    /// Exit status for scripts: 0 all healthy, 1 some host not healthy, 3 no host at all.
    public var exitCode: Int32 {
        if hosts.isEmpty { return 3 }
        // Read in place: a copy of each host would retain and release every string and list it holds.
        return hosts.withUnsafeBufferPointer { hosts in hosts.indices.allSatisfy { hosts[$0].state.isHealthy } } ? 0 : 1
    }
}

/// `FleetSummary(hosts:)` computed once, by the first reader (later and concurrent readers wait for it),
/// shared by the copies of a `FleetReport`.
final class LazyAggregation: Sendable {
    private let state: Mutex<(hosts: [HostResult], summary: FleetSummary?)>

    init(hosts: [HostResult]) { state = Mutex((hosts, nil)) }

    var value: FleetSummary {
        state.withLock { s in
            if let done = s.summary { return done }
            let t = Timing.now()
            let made = FleetSummary(hosts: s.hosts)
            Timing.add("aggregate", since: t)
            // The hosts are not needed once aggregated (the report keeps its own reference to them).
            s = ([], made)
            return made
        }
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
        // Every host is digested and counted in parallel chunks (`Tally`); the chunks' tallies are then
        // added up in chunk order, so first-seen orders (item columns, groups, each group's hosts) are
        // those of one pass over the hosts.
        var t = Timing.now()
        let tallies = Self.tallies(hosts)
        Timing.add("aggregate: hosts (parallel)", since: t)
        t = Timing.now()
        var total = Tally()
        var groupIndex: [String: Int] = [:]
        for part in tallies {
            for (s, n) in part.states { total.states[s, default: 0] += n }
            for (d, n) in part.diagnoses { total.diagnoses[d, default: 0] += n }
            for (p, n) in part.producers { total.producers[p, default: 0] += n }
            for (k, key) in part.keys.enumerated() {
                let x = total.column(key)
                for v in Verdict.allCases { total.counts[x][v] += part.counts[k][v] }
            }
            total.noOutput += part.noOutput
            for g in part.groups {
                guard let x = groupIndex[g.signature] else {
                    groupIndex[g.signature] = total.groups.count
                    total.groups.append(g)
                    continue
                }
                total.groups[x].hosts += g.hosts
                for (h, n) in g.hints { total.groups[x].hints[h, default: 0] += n }
                for (d, n) in g.diagnoses { total.groups[x].diagnoses[d, default: 0] += n }
            }
        }
        Timing.add("aggregate: merge", since: t)
        t = Timing.now()
        let groups = total.groups.map { g in
            let hints = g.hints.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { (hint: $0.key, hosts: $0.value) }
            return SignatureGroup(
                id: Signature.id(g.entries), entries: g.entries, hosts: g.hosts.map { hosts[$0].key }, topHints: Array(hints),
                diagnoses: HostDiagnosis.allCases.compactMap { d in g.diagnoses[d].map { (d, $0) } })
        }
        // Biggest groups first; ties by title so the order is stable. Each title is made once (a comparison
        // would make two).
        let titles = groups.map(\.title)
        let order = groups.indices.sorted {
            (groups[$0].hosts.count, titles[$1]) > (groups[$1].hosts.count, titles[$0])
        }
        var groupOfHost = [Int](repeating: -1, count: hosts.count)
        for (newIndex, old) in order.enumerated() {
            for hi in total.groups[old].hosts { groupOfHost[hi] = newIndex }
        }
        // Ids are 32 bits of a hash: two groups may share one (at 100,000 groups, likely). The later (smaller)
        // group then takes a suffix, so that an id names one group in every output and filter.
        var usedIDs = Set<String>()
        self.groups = order.map { k in
            var g = groups[k]
            var id = g.id
            var n = 2
            while !usedIDs.insert(id).inserted {
                id = "\(g.id)-\(n)"
                n += 1
            }
            g.id = id
            return g
        }
        self.groupOfHost = groupOfHost
        Timing.add("aggregate: groups", since: t)
        // Ordered as `ItemKey <` orders them, each key's rank and description made once (the comparisons made
        // them over and over: 200,000 distinct items took seconds).
        let sortKeys = total.keys.map { ($0.rank, $0.description) }
        let columns = total.keys.indices.sorted { sortKeys[$0] < sortKeys[$1] }
        items = columns.map { total.keys[$0] }
        itemCounts = columns.map { ItemCount(item: total.keys[$0], counts: total.counts[$0]) }
        states = HostState.allCases.compactMap { s in total.states[s].map { (s, $0) } }
        diagnoses = HostDiagnosis.allCases.compactMap { d in total.diagnoses[d].map { (d, $0) } }
        producers = total.producers.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        noUsableOutput = total.noOutput
    }

    /// The counts of a run of hosts (a chunk, or the whole fleet once chunks are added up).
    struct Tally {
        var states: [HostState: Int] = [:]
        var diagnoses: [HostDiagnosis: Int] = [:]
        var producers: [String: Int] = [:]
        /// Item columns in first-seen order, with their verdict counts.
        var keys: [ItemKey] = []
        var counts: [VerdictSummary] = []
        var columnOf: [ItemKey: Int] = [:]
        /// Keys of the hosts without a readable report, in host order.
        var noOutput: [String] = []
        /// Failure signatures in first-seen order.
        var groups: [Group] = []

        struct Group {
            var signature: String
            var entries: [SignatureEntry]
            /// Indices of the member hosts, ascending.
            var hosts: [Int]
            /// Per hint of the members' failing items (and fallback hints): how many members carry it.
            var hints: [String: Int]
            var diagnoses: [HostDiagnosis: Int]
        }

        /// The column of `key`, added when new.
        mutating func column(_ key: ItemKey) -> Int {
            if let x = columnOf[key] { return x }
            columnOf[key] = keys.count
            keys.append(key)
            counts.append(VerdictSummary())
            return keys.count - 1
        }
    }

    /// One `Tally` per chunk of hosts, computed in parallel, in chunk order.
    static func tallies(_ hosts: [HostResult]) -> [Tally] {
        let chunk = 2048
        let chunks = (hosts.count + chunk - 1) / chunk
        var out = [Tally?](repeating: nil, count: chunks)
        out.withUnsafeMutableBufferPointer { buf in
            // Each iteration writes its own slot; the hosts are only read, in place (through the array, each
            // host was copied for the count: every string and list it holds retained and released).
            nonisolated(unsafe) let slots = buf
            hosts.withUnsafeBufferPointer { hostsBuf in
                nonisolated(unsafe) let hosts = hostsBuf
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    var tally = Tally()
                    var counters = Counters()
                    var memo = ChunkMemo()
                    for hi in (c * chunk)..<min(hosts.count, (c + 1) * chunk) {
                        tally.add(hosts[hi], index: hi, counters: &counters, memo: &memo)
                    }
                    counters.flush(into: &tally)
                    memo.flushShared(into: &tally)
                    slots[c] = tally
                }
            }
        }
        return takeAll(&out)
    }

    /// What a chunk's count has learnt of the lists it has seen.
    struct ChunkMemo {
        /// Signature text to its group in the chunk's tally.
        var groupOf: [String: Int] = [:]
        /// The previous host's item columns.
        var prevColumns: [Int] = []
        /// The columns of the list before that one (bkdiag's hosts and check.py's alternate in a fleet).
        var olderColumns: [Int] = []
        /// Each list that hosts share (read lean: `StringInterner.sharedList`), known by its storage, which
        /// the hosts keep alive for the whole count: what counting a host of it needs, and how many hosts
        /// used it. Its verdicts are added to the item columns once per list (`flushShared`), not once per
        /// host; most hosts of a fleet are healthy and share a few lists.
        var sharedIndex: [UnsafeRawPointer: Int] = [:]
        var shared: [SharedCounts] = []
        /// The list the previous host of a shared list used, and its place in `shared`.
        var lastShared: UnsafeRawPointer?
        var lastSharedSlot = 0

        struct SharedCounts {
            var columns: [Int]
            var verdicts: [Verdict]
            var uses = 0
            /// `HostResult.failingEntries` of the list (every entry's status is true when none fails).
            var failing: Bool
            var agentOnly: Bool
            /// For a host whose one report line holds the list, by its declared status: the group (-1: none)
            /// and the distinct hints of its failing entries. Nothing else of such a host goes into its
            /// signature (`Signature.entries`), and it has no fallback hint.
            var declaredGroup: (group: Int, hints: [String])?
            var undeclaredGroup: (group: Int, hints: [String])?

            /// The group known for a host of the list that declared `status: true` or not.
            func group(declared: Bool) -> (group: Int, hints: [String])? { declared ? declaredGroup : undeclaredGroup }

            mutating func setGroup(_ g: (group: Int, hints: [String]), declared: Bool) {
                if declared { declaredGroup = g } else { undeclaredGroup = g }
            }
        }

        /// Adds each shared list's verdicts to the columns, once per host that used it.
        mutating func flushShared(into tally: inout FleetSummary.Tally) {
            for s in shared where s.uses > 0 {
                for k in s.columns.indices { tally.counts[s.columns[k]][s.verdicts[k]] += s.uses }
            }
            for k in shared.indices { shared[k].uses = 0 }
        }

        /// For a host without a report whose signature is told by its state (`Signature.entries`: JOB did
        /// not run the script, did not finish, or it printed nothing) and hints by whether GSE reports its
        /// agent offline (`Signature.fallbackHint`): the group and hints of the hosts seen with the same.
        var stateGroup: [StateKey: (group: Int, hints: [String])] = [:]

        struct StateKey: Hashable {
            var state: HostState
            var jobStatus: Int64?
            var jobStatusText: String?
            var errorCode: Int64?
            var offline: Bool
        }
    }

    /// A chunk's per-host counts before they become the tally's: states and diagnoses by position in
    /// their `allCases`, producers as the few distinct (kind, version) pairs seen (no string is built or
    /// hashed per host).
    struct Counters {
        var states = [Int](repeating: 0, count: HostState.allCases.count)
        var diagnoses = [Int](repeating: 0, count: HostDiagnosis.allCases.count)
        var producers: [(rich: Bool?, version: String, count: Int)] = []

        /// Counts the producer of a host: `HostResult.producer`, told by its last report.
        mutating func countProducer(_ h: borrowing HostResult) {
            let n = h.reports.count
            let rich: Bool? = n == 0 ? nil : h.reports[n - 1].isRich
            let version = rich == true ? h.reports[n - 1].version : ""
            for k in producers.indices where producers[k].rich == rich && producers[k].version == version {
                producers[k].count += 1
                return
            }
            producers.append((rich, version, 1))
        }

        func flush(into tally: inout Tally) {
            for (k, s) in HostState.allCases.enumerated() where states[k] > 0 { tally.states[s, default: 0] += states[k] }
            for (k, d) in HostDiagnosis.allCases.enumerated() where diagnoses[k] > 0 { tally.diagnoses[d, default: 0] += diagnoses[k] }
            for p in producers {
                // `HostResult.producer`'s names; "none" for no report.
                let name: String
                switch p.rich {
                case nil: name = "none"
                case true?: name = p.version.isEmpty ? "bkdiag" : "bkdiag \(p.version)"
                case false?: name = "check.py"
                }
                tally.producers[name, default: 0] += p.count
            }
        }
    }
}

extension HostState {
    /// The position in `allCases`.
    var ordinal: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        case .unknown: 3
        case .jobFailed: 4
        case .noOutput: 5
        case .unparseable: 6
        case .missingLog: 7
        case .fetchFailed: 8
        case .notFinished: 9
        }
    }
}

extension HostDiagnosis {
    /// The position in `allCases`.
    var ordinal: Int {
        switch self {
        case .healthy: 0
        case .agentOffline: 1
        case .collectorBroken: 2
        case .agentBroken: 3
        case .noUsableOutput: 4
        }
    }
}

extension FleetSummary.Tally {
    /// Counts one host: its state, diagnosis, producer and item verdicts, and its signature group.
    mutating func add(_ h: borrowing HostResult, index hi: Int, counters: inout FleetSummary.Counters, memo: inout FleetSummary.ChunkMemo) {
        let results = h.results
        counters.countProducer(h)
        if !h.state.hasReport { noOutput.append(h.key) }
        // The storage of a list hosts may share: the host's one report's, kept alive by the host.
        let shared =
            h.reports.count == 1 && !results.isEmpty ? results.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } : nil
        let failing: (failing: Bool, agentOnly: Bool)
        var sharedSlot: Int?
        if let shared {
            // A list seen before: its columns, verdicts and what the diagnosis reads of it are known, and
            // its verdicts are counted once per list.
            let slot: Int
            if shared == memo.lastShared {
                slot = memo.lastSharedSlot
            } else if let known = memo.sharedIndex[shared] {
                slot = known
            } else {
                slot = memo.shared.count
                memo.sharedIndex[shared] = slot
                let found = results.withUnsafeBufferPointer { rs in
                    (columns: columns(rs, memo: &memo), verdicts: rs.map(\.verdict), failing: HostResult.failingEntries(rs))
                }
                memo.shared.append(
                    .init(
                        columns: found.columns, verdicts: found.verdicts, failing: found.failing.failing, agentOnly: found.failing.agentOnly
                    ))
            }
            memo.lastShared = shared
            memo.lastSharedSlot = slot
            sharedSlot = slot
            memo.shared[slot].uses += 1
            failing = (memo.shared[slot].failing, memo.shared[slot].agentOnly)
        } else {
            failing = results.withUnsafeBufferPointer { results in
                let columns = columns(results, memo: &memo)
                for k in results.indices { counts[columns[k]][results[k].verdict] += 1 }
                return HostResult.failingEntries(results)
            }
        }
        let diagnosis = HostResult.diagnosis(
            state: h.state, lines: h.lines, agent: h.agent, failing: failing.failing, agentOnly: failing.agentOnly)
        counters.states[h.state.ordinal] += 1
        counters.diagnoses[diagnosis.ordinal] += 1
        let clean =
            h.state.isHealthy && h.lines.allSatisfy({ if case .report = $0 { true } else { false } })
            && h.declaredStatus != false && !failing.failing
        if clean { return }
        // A host whose only line is its report, of a shared list: its group is that of the list.
        var sharedKey: (slot: Int, declared: Bool)?
        if let slot = sharedSlot, h.state.hasReport, h.lines.count == 1, h.lineErrors.isEmpty {
            let declared = h.declaredStatus == true
            if let known = memo.shared[slot].group(declared: declared) {
                if known.group >= 0 { join(hi, diagnosis, group: known.group, hints: known.hints) }
                return
            }
            sharedKey = (slot, declared)
        }
        // A host JOB did not run, or that printed nothing: its signature and hints are those of its state
        // and JOB's codes, found once per chunk.
        var stateKey: FleetSummary.ChunkMemo.StateKey?
        switch h.state {
        case .jobFailed, .notFinished, .noOutput, .missingLog:
            let key = FleetSummary.ChunkMemo.StateKey(
                state: h.state, jobStatus: h.jobStatus, jobStatusText: h.jobStatusText, errorCode: h.errorCode,
                offline: h.agent == .offline)
            if let known = memo.stateGroup[key] {
                join(hi, diagnosis, group: known.group, hints: known.hints)
                return
            }
            stateKey = key
        default: break
        }
        let (entries, signature) = Signature.keyed(for: h, results: results)
        if entries.isEmpty {
            if let sharedKey { memo.shared[sharedKey.slot].setGroup((-1, []), declared: sharedKey.declared) }
            return
        }
        let gi: Int
        if let x = memo.groupOf[signature] {
            gi = x
        } else {
            gi = groups.count
            memo.groupOf[signature] = gi
            groups.append(Group(signature: signature, entries: entries, hosts: [], hints: [:], diagnoses: [:]))
        }
        var distinct = DistinctStrings()
        // Through pointers: an entry taken by subscript was copied (every string of it retained and released).
        results.withUnsafeBufferPointer { rs in
            guard let base = rs.baseAddress else { return }
            for k in 0..<rs.count where !(base + k).pointee.verdict.compatStatus && !(base + k).pointee.hint.isEmpty {
                distinct.insert((base + k).pointee.hint)
            }
        }
        if let fallback = Signature.fallbackHint(for: h) { distinct.insert(fallback) }
        let hints = distinct.strings
        if let sharedKey { memo.shared[sharedKey.slot].setGroup((gi, hints), declared: sharedKey.declared) }
        if let stateKey { memo.stateGroup[stateKey] = (gi, hints) }
        join(hi, diagnosis, group: gi, hints: hints)
    }

    /// The item column of each of `results`. Most hosts list the same items in the same order: the previous
    /// such list's columns are taken when the names match, without looking them up.
    private mutating func columns(_ results: UnsafeBufferPointer<CheckResult>, memo: inout FleetSummary.ChunkMemo) -> [Int] {
        if matches(results, memo.prevColumns) { return memo.prevColumns }
        if matches(results, memo.olderColumns) {
            swap(&memo.prevColumns, &memo.olderColumns)
            return memo.prevColumns
        }
        memo.olderColumns = results.map { column(ItemKey(module: $0.module, item: $0.item)) }
        swap(&memo.prevColumns, &memo.olderColumns)
        return memo.prevColumns
    }

    /// Whether `columns` are those of `results`' items, in order. Through pointers: an entry or key taken by
    /// subscript was copied (every string of it retained and released).
    private func matches(_ results: UnsafeBufferPointer<CheckResult>, _ columns: [Int]) -> Bool {
        guard results.count == columns.count, let base = results.baseAddress else { return results.isEmpty && columns.isEmpty }
        return keys.withUnsafeBufferPointer { keys in
            columns.withUnsafeBufferPointer { columns in
                for k in 0..<results.count {
                    let key = keys.baseAddress! + columns[k]
                    if key.pointee.item != (base + k).pointee.item || key.pointee.module != (base + k).pointee.module { return false }
                }
                return true
            }
        }
    }

    /// Adds host `hi` to group `gi`, with its diagnosis and its distinct hints.
    private mutating func join(_ hi: Int, _ diagnosis: HostDiagnosis, group gi: Int, hints: [String]) {
        groups[gi].hosts.append(hi)
        groups[gi].diagnoses[diagnosis, default: 0] += 1
        for hint in hints { groups[gi].hints[hint, default: 0] += 1 }
    }
}

/// Strings in first-seen order, each once: a host's hints (one or two, mostly), compared in a list while
/// they are few (a set made and hashed per host cost more than the count of the rest of the host).
struct DistinctStrings {
    private(set) var strings: [String] = []
    private var set: Set<String>?
    private static let listed = 8

    mutating func insert(_ s: String) {
        if set == nil {
            if strings.contains(s) { return }
            strings.append(s)
            if strings.count > Self.listed { set = Set(strings) }
        } else if set!.insert(s).inserted {
            strings.append(s)
        }
    }
}

extension FleetSummary {
    public func count(_ state: HostState) -> Int { states.first(where: { $0.0 == state })?.1 ?? 0 }
    public func count(_ d: HostDiagnosis) -> Int { diagnoses.first(where: { $0.0 == d })?.1 ?? 0 }
    public var healthy: Int { count(.pass) + count(.warn) }
}
