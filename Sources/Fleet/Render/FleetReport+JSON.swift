import Report

extension FleetReport {
    /// Schema tag of the fleet JSON.
    public static let schema = "bkdiag.fleet/1"

    /// The whole report as JSON: summary, items, groups, issues and every host with its results.
    public func json(includeHosts: Bool = true) -> JSONValue {
        let s = summary
        var members: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("generated_at", .string(Timestamp.iso8601(milliseconds: generatedAtMs))),
            ("source", .string(source)),
            ("job_instance_id", jobInstanceID.map(JSONValue.int) ?? .null),
            ("step_instance_id", stepInstanceID.map(JSONValue.int) ?? .null),
            ("finished", .bool(finished)),
            (
                "job_failure",
                jobFailure.map { .object([("message", .string($0.summary)), ("platform_line", .string($0.line.line))]) } ?? .null
            ),
            (
                "summary",
                .object([
                    ("hosts", .int(Int64(s.hostCount))),
                    ("healthy", .int(Int64(s.healthy))),
                    ("states", .object(s.states.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                    ("diagnoses", .object(s.diagnoses.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                    ("producers", .object(s.producers.map { ($0.0, .int(Int64($0.1))) })),
                ])
            ),
            (
                "items",
                .array(
                    s.itemCounts.map { c in
                        .object([
                            ("module", .string(c.item.module)), ("item", .string(c.item.item)), ("label", .string(c.item.label)),
                            ("pass", .int(Int64(c.counts.pass))), ("warn", .int(Int64(c.counts.warn))),
                            ("fail", .int(Int64(c.counts.fail))), ("unknown", .int(Int64(c.counts.unknown))),
                        ])
                    })
            ),
            (
                "groups",
                .array(
                    s.groups.map { g in
                        .object([
                            ("id", .string(g.id)),
                            ("host_count", .int(Int64(g.hosts.count))),
                            (
                                "signature",
                                .array(g.entries.map { .object([("item", .string($0.item)), ("message", .string($0.message))]) })
                            ),
                            (
                                "top_hints",
                                .array(g.topHints.map { .object([("hint", .string($0.hint)), ("hosts", .int(Int64($0.hosts)))]) })
                            ),
                            ("diagnoses", .object(g.diagnoses.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                            ("hosts", JSONValue(g.hosts)),
                        ])
                    })
            ),
            ("no_usable_output", JSONValue(s.noUsableOutput)),
            (
                "issues",
                .array(
                    issues.map { i in
                        .object([
                            ("level", .string(i.level.rawValue)), ("step", .string(i.step)), ("message", .string(i.message)),
                            ("hosts", JSONValue(i.hosts)),
                        ])
                    })
            ),
        ]
        if includeHosts {
            members.append(("hosts", .array(hosts.indices.map { hostJSON($0) })))
        }
        return .object(members)
    }

    /// One host as JSON.
    public func hostJSON(_ index: Int) -> JSONValue {
        let h = hosts[index]
        let summary = self.summary
        let g = summary.groupOfHost[index]
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        var m: [(String, JSONValue)] = []
        m.reserveCapacity(16)
        m.append(("key", .string(h.key)))
        m.append(("host_id", opt(h.hostID)))
        m.append(("cloud_id", .int(h.cloudID)))
        m.append(("ip", .string(h.ip)))
        m.append(("job_status", opt(h.jobStatus)))
        m.append(("error_code", opt(h.errorCode)))
        m.append(("exit_code", opt(h.exitCode)))
        m.append(("state", .string(h.state.rawValue)))
        m.append(("diagnosis", .string(h.diagnosis.rawValue)))
        m.append(("agent", .string(h.agent.rawValue)))
        m.append(("producer", .string(h.producer)))
        m.append(("declared_status", h.declaredStatus.map(JSONValue.bool) ?? .null))
        m.append(("group", g >= 0 ? .string(summary.groups[g].id) : .null))
        m.append(("fetch_error", h.fetchError.map(JSONValue.string) ?? .null))
        m.append(("line_errors", JSONValue(h.lineErrors)))
        if let rendered = Self.renderedResults(h),
            let results = rendered.withBytes({ bytes in try? JSONValue.parse(bytes: [0x5B] + Array(bytes) + [0x5D]) })
        {
            m.append(("results", results))
        } else {
            m.append(("results", .array(h.results.map(\.richJSON))))
        }
        return .object(m)
    }

    /// Pretty enough JSON: one member per line at the top level, groups and hosts one per line.
    public func jsonText() -> String {
        var text: [UInt8] = []
        writeJSON { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The same JSON handed to `sink` in pieces (about 1 MiB, or one chunk of 2,048 hosts), so a 100,000-host report is never held
    /// whole in memory; hosts are written in chunks over the cores, in order.
    public func writeJSON(_ sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard case .object(let members) = json(includeHosts: false) else { return }
        var w = JSONByteWriter(capacity: 1 << 20)
        func spill() {
            if w.count >= 1 << 20 {
                w.withBytes(sink)
                w.removeAll()
            }
        }
        func array(_ count: Int, _ item: (Int) -> JSONValue) {
            w.raw("[\n")
            for j in 0..<count {
                w.raw("    ")
                w.write(item(j))
                w.raw(j + 1 < count ? ",\n" : "\n")
                spill()
            }
            w.raw("  ]")
        }
        w.raw("{\n")
        for (k, v) in members {
            w.raw("  ")
            w.string(k)
            w.raw(": ")
            if k == "groups", case .array(let items) = v {
                array(items.count) { items[$0] }
            } else {
                w.write(v)
            }
            w.raw(",\n")
        }
        w.raw("  \"hosts\": ")
        // Hosts are written straight as bytes (the same text as `hostJSON`, without building its tree),
        // in chunks over the cores, in order, each lane into a writer it keeps from chunk to chunk.
        w.raw("[\n")
        w.withBytes(sink)
        w.removeAll()
        let count = hosts.count
        // The summary once: each use of the property copies it.
        let summary = self.summary
        let lanes = ChunkedRender.lanes
        let writers = UnsafeMutablePointer<JSONByteWriter>.allocate(capacity: lanes)
        for l in 0..<lanes { (writers + l).initialize(to: JSONByteWriter(capacity: 3072 * 2048)) }
        defer {
            writers.deinitialize(count: lanes)
            writers.deallocate()
        }
        ChunkedRender.run(
            count: count, lanes: lanes,
            { range, lane in
                // Held in a local while it writes (through the pointer, every append would go to memory).
                var w = (writers + lane).move()
                var cache = HostJSONCache()
                // The hosts and the summary's lists read in place, once per chunk (taking either per host
                // retained and released every list the summary holds, or copied the host).
                withHostsInPlace(summary) { hosts, groupOf, groups in
                    for j in range {
                        w.raw("    ")
                        Self.writeHost(j, hosts, groupOf, groups, to: &w, cache: &cache)
                        w.raw(j + 1 < count ? ",\n" : "\n")
                    }
                }
                (writers + lane).initialize(to: w)
            },
            emit: { lane in
                if writers[lane].count > 0 { writers[lane].withBytes(sink) }
                writers[lane].removeAll()
            })
        w.raw("  ]")
        w.raw("\n}\n")
        w.withBytes(sink)
    }

    /// Writes `hostJSON(index)` as `JSONByteWriter.write` would, member by member.
    func writeHostJSON(_ index: Int, to w: inout JSONByteWriter, cache: inout HostJSONCache) {
        withHostsInPlace(summary) { hosts, groupOf, groups in Self.writeHost(index, hosts, groupOf, groups, to: &w, cache: &cache) }
    }

    /// `body` with the hosts and `summary`'s lists read in place: taking either per host retained and released
    /// every list the summary holds, or copied the host.
    func withHostsInPlace(
        _ summary: FleetSummary,
        _ body: (UnsafeBufferPointer<HostResult>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<SignatureGroup>) -> Void
    ) {
        hosts.withUnsafeBufferPointer { hosts in
            summary.groupOfHost.withUnsafeBufferPointer { groupOf in
                summary.groups.withUnsafeBufferPointer { groups in body(hosts, groupOf, groups) }
            }
        }
    }

    /// Host `j` of `hosts`, with the id of its failure group (`groupOf`, -1 for none) from `groups`.
    static func writeHost(
        _ j: Int, _ hosts: UnsafeBufferPointer<HostResult>, _ groupOf: UnsafeBufferPointer<Int>,
        _ groups: UnsafeBufferPointer<SignatureGroup>, to w: inout JSONByteWriter, cache: inout HostJSONCache
    ) {
        let g = groupOf[j]
        writeHost(hosts.baseAddress! + j, group: g >= 0 ? groups[g].id : nil, to: &w, cache: &cache)
    }

    /// One host's members, read in place (a copy of the host would retain every string and list it holds).
    static func writeHost(_ h: UnsafePointer<HostResult>, group: String?, to w: inout JSONByteWriter, cache: inout HostJSONCache) {
        func int(_ v: Int64?) {
            if let v { w.int(v) } else { w.raw("null") }
        }
        func string(_ v: String?) {
            if let v { w.string(v) } else { w.raw("null") }
        }
        w.raw("{\"key\":")
        w.string(h.pointee.key)
        w.raw(",\"host_id\":")
        int(h.pointee.hostID)
        w.raw(",\"cloud_id\":")
        int(h.pointee.cloudID)
        w.raw(",\"ip\":")
        w.string(h.pointee.ip)
        w.raw(",\"job_status\":")
        int(h.pointee.jobStatus)
        w.raw(",\"error_code\":")
        int(h.pointee.errorCode)
        w.raw(",\"exit_code\":")
        int(h.pointee.exitCode)
        w.raw(",\"state\":")
        w.raw(h.pointee.state.jsonString)
        w.raw(",\"diagnosis\":")
        w.raw(HostResult.diagnosis(at: h).jsonString)
        w.raw(",\"agent\":")
        w.raw(h.pointee.agent.jsonString)
        w.raw(",\"producer\":")
        // `HostResult.producer`, written without making its string.
        h.pointee.reports.withUnsafeBufferPointer { reports in
            // The last report read in place (taking it out of the list copied it).
            guard !reports.isEmpty, let base = reports.baseAddress else {
                w.raw("\"\"")
                return
            }
            let last = base + (reports.count - 1)
            if !last.pointee.isRich {
                w.raw("\"check.py\"")
            } else if last.pointee.version.isEmpty {
                w.raw("\"bkdiag\"")
            } else {
                w.raw("\"bkdiag ")
                w.escaped(last.pointee.version)
                w.append(0x22)
            }
        }
        w.raw(",\"declared_status\":")
        switch HostResult.declaredStatus(h.pointee.reports) {
        case true?: w.raw("true")
        case false?: w.raw("false")
        case nil: w.raw("null")
        }
        w.raw(",\"group\":")
        string(group)
        w.raw(",\"fetch_error\":")
        string(h.pointee.fetchError)
        w.raw(",\"line_errors\":[")
        // `HostResult.lineErrors`, read in place.
        var firstError = true
        for line in h.pointee.lines {
            guard case .failed(let f) = line else { continue }
            if !firstError { w.append(UInt8(ascii: ",")) }
            firstError = false
            w.string(f.error)
        }
        w.raw("],\"results\":[")
        if let rendered = renderedResults(reportCount: h.pointee.reports.count, lines: h.pointee.lines) {
            w.append(rendered)
        } else {
            let results = h.pointee.results
            results.withUnsafeBufferPointer { results in
                for k in results.indices {
                    if k > 0 { w.append(UInt8(ascii: ",")) }
                    writeResult(results[k], at: k, to: &w, cache: &cache)
                }
            }
        }
        w.raw("]}")
    }

    /// A host's results as written while its one report was read lean (`AnswerReader.read`'s `jsonResults`):
    /// its lean model holds no passing entry's message.
    static func renderedResults(_ h: borrowing HostResult) -> RenderedReportLines? {
        renderedResults(reportCount: h.reports.count, lines: h.lines)
    }

    /// `renderedResults` of a host with `reportCount` reports and these lines.
    static func renderedResults(reportCount: Int, lines: [HostLine]) -> RenderedReportLines? {
        guard reportCount == 1, lines.count == 1, case .reportRendered(0, let r) = lines[0], r.isJSON else { return nil }
        return r
    }

    /// `CheckResult.richJSON`, written.
    static func writeResult(_ c: borrowing CheckResult, at k: Int, to w: inout JSONByteWriter, cache: inout HostJSONCache) {
        w.raw("{\"module\":")
        w.string(c.module)
        w.raw(",\"item\":")
        w.string(c.item)
        w.raw(c.status ? ",\"status\":true,\"message\":" : ",\"status\":false,\"message\":")
        w.string(c.message)
        w.raw(",\"result\":")
        w.string(c.verdict.rawValue)
        w.raw(",\"label\":")
        cache.label(c.item, at: k) { w.append($0) }
        w.raw(",\"hint\":")
        w.string(c.hint)
        w.raw(",\"evidence\":")
        w.write(.object(c.evidence))
        if let d = c.durationMs {
            w.raw(",\"duration_ms\":")
            cache.duration(d) { w.append($0) }
        }
        w.append(UInt8(ascii: "}"))
    }
}

/// What `writeHostJSON` would otherwise encode for every entry of every host: the JSON string of each
/// item's label (per entry position: hosts mostly list the same items in the same order) and the text of
/// the last duration.
struct HostJSONCache {
    var labelItems: [String] = []
    var labelJSON: [[UInt8]] = []
    var lastDuration: Double?
    var durationJSON: [UInt8] = []

    mutating func label(_ item: String, at k: Int, _ body: ([UInt8]) -> Void) {
        if k >= labelItems.count {
            labelItems.append(contentsOf: repeatElement("", count: k + 1 - labelItems.count))
            labelJSON.append(contentsOf: repeatElement([], count: k + 1 - labelJSON.count))
        }
        if labelJSON[k].isEmpty || labelItems[k] != item {
            var w = JSONByteWriter(capacity: 64)
            w.string(CheckLabels.label(forItem: item))
            labelItems[k] = item
            labelJSON[k] = w.bytes
        }
        body(labelJSON[k])
    }

    /// A duration the escaped-output decoder handed on, as `duration(_:_:)` writes the value the model reads
    /// from it; false, nothing written, when the model reads none. A plain number's text in the form most
    /// reports print (`plainDuration`) is written without being parsed.
    mutating func duration(_ r: ReportDuration, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        if case .printed(let t) = r {
            body(t)
            return true
        }
        if case .text(let t) = r, let written = Self.plainDuration(t) {
            body(UnsafeBufferPointer(rebasing: t[written]))
            return true
        }
        guard let d = r.milliseconds else { return false }
        duration(d) { $0.withUnsafeBufferPointer(body) }
        return true
    }

    /// What `duration(_:_:)` writes for the number spelt `t`, without parsing it, when `t` is a decimal of
    /// at most 12 integer digits and 3 fraction digits, without exponent: rounding to microseconds keeps
    /// such a number as it is, and its double's shortest text is its own digits (at most 15 of them, which
    /// a double tells apart) without the fraction's trailing zeros; an integral value loses its point
    /// (written as an integer) and a negative zero its sign. That text is always a run of `t`'s bytes: the
    /// range of it is given. nil for any other spelling.
    static func plainDuration(_ t: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        // Read through the pointer, the longest plain form (17 bytes) checked first: a million entries'
        // durations go through here.
        let n = t.count
        guard n > 0, n <= 17, let p = t.baseAddress else { return nil }
        var k = p[0] == UInt8(ascii: "-") ? 1 : 0
        let integer = k
        while k < n, p[k] &- 0x30 < 10 { k &+= 1 }
        let integerEnd = k
        let digits = integerEnd &- integer
        guard digits >= 1, digits <= 12, digits == 1 || p[integer] != UInt8(ascii: "0") else { return nil }
        var end = integerEnd
        if k < n {
            guard p[k] == UInt8(ascii: ".") else { return nil }
            k &+= 1
            let fraction = k
            while k < n, p[k] &- 0x30 < 10 { k &+= 1 }
            guard k == n, k &- fraction >= 1, k &- fraction <= 3 else { return nil }
            end = k
            while end > fraction && p[end &- 1] == UInt8(ascii: "0") { end &-= 1 }
            // No fraction digit left: the point goes too.
            if end == fraction { end = integerEnd }
        }
        // `-0`, `-0.0`: written `0`, as the integer it is.
        let zero = end == integerEnd && digits == 1 && p[integer] == UInt8(ascii: "0")
        return (integer == 1 && zero ? integer : 0)..<end
    }

    /// `richJSON`'s `duration_ms`: rounded to microseconds, serialised as a double.
    mutating func duration(_ d: Double, _ body: ([UInt8]) -> Void) {
        // Compared by bits: -0.0 and 0.0 print differently, and NaN is never equal to itself.
        if lastDuration?.bitPattern != d.bitPattern {
            var w = JSONByteWriter(capacity: 32)
            w.write(.double((d * 1000).rounded() / 1000))
            lastDuration = d
            durationJSON = w.bytes
        }
        body(durationJSON)
    }
}

// The words a host's JSON names its state, diagnosis and agent state with, written as the JSON strings they
// are (their raw values need no escape): written for every host, where making and escaping each string
// cost more than the rest of its members.
extension HostState {
    var jsonString: StaticString {
        switch self {
        case .pass: "\"pass\""
        case .warn: "\"warn\""
        case .fail: "\"fail\""
        case .unknown: "\"unknown\""
        case .jobFailed: "\"job_failed\""
        case .noOutput: "\"no_output\""
        case .unparseable: "\"unparseable\""
        case .missingLog: "\"missing_log\""
        case .fetchFailed: "\"fetch_failed\""
        case .notFinished: "\"not_finished\""
        }
    }
}

extension HostDiagnosis {
    var jsonString: StaticString {
        switch self {
        case .healthy: "\"healthy\""
        case .agentOffline: "\"agent_offline\""
        case .collectorBroken: "\"collector_broken\""
        case .agentBroken: "\"agent_broken\""
        case .noUsableOutput: "\"no_usable_output\""
        }
    }
}

extension AgentState {
    var jsonString: StaticString {
        switch self {
        case .alive: "\"alive\""
        case .offline: "\"offline\""
        case .unknown: "\"unknown\""
        }
    }
}
