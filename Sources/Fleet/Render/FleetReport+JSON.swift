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
            ("job_failure", jobFailure.map { .object([("message", .string($0.summary)), ("platform_line", .string($0.line.line))]) } ?? .null),
            ("summary", .object([
                ("hosts", .int(Int64(s.hostCount))),
                ("healthy", .int(Int64(s.healthy))),
                ("states", .object(s.states.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                ("diagnoses", .object(s.diagnoses.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                ("producers", .object(s.producers.map { ($0.0, .int(Int64($0.1))) })),
            ])),
            ("items", .array(s.itemCounts.map { c in
                .object([
                    ("module", .string(c.item.module)), ("item", .string(c.item.item)), ("label", .string(c.item.label)),
                    ("pass", .int(Int64(c.counts.pass))), ("warn", .int(Int64(c.counts.warn))),
                    ("fail", .int(Int64(c.counts.fail))), ("unknown", .int(Int64(c.counts.unknown))),
                ])
            })),
            ("groups", .array(s.groups.map { g in
                .object([
                    ("id", .string(g.id)),
                    ("host_count", .int(Int64(g.hosts.count))),
                    ("signature", .array(g.entries.map { .object([("item", .string($0.item)), ("message", .string($0.message))]) })),
                    ("top_hints", .array(g.topHints.map { .object([("hint", .string($0.hint)), ("hosts", .int(Int64($0.hosts)))]) })),
                    ("diagnoses", .object(g.diagnoses.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                    ("hosts", JSONValue(g.hosts)),
                ])
            })),
            ("no_usable_output", JSONValue(s.noUsableOutput)),
            ("issues", .array(issues.map { i in
                .object([
                    ("level", .string(i.level.rawValue)), ("step", .string(i.step)), ("message", .string(i.message)),
                    ("hosts", JSONValue(i.hosts)),
                ])
            })),
        ]
        if includeHosts {
            members.append(("hosts", .array(hosts.indices.map { hostJSON($0) })))
        }
        return .object(members)
    }

    /// One host as JSON.
    public func hostJSON(_ index: Int) -> JSONValue {
        let h = hosts[index]
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
        m.append(("results", .array(h.results.map(\.richJSON))))
        return .object(m)
    }

    /// Pretty enough JSON: one member per line at the top level, groups and hosts one per line.
    public func jsonText() -> String {
        var text: [UInt8] = []
        writeJSON { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The same JSON handed to `sink` in pieces of about 1 MiB, so a 100,000-host report is never held
    /// whole in memory; hosts are serialised one at a time.
    public func writeJSON(_ sink: ([UInt8]) -> Void) {
        guard case .object(let members) = json(includeHosts: false) else { return }
        var w = JSONByteWriter(capacity: 1 << 20)
        func spill() {
            if w.bytes.count >= 1 << 20 {
                sink(w.bytes)
                w.bytes.removeAll(keepingCapacity: true)
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
        array(hosts.count) { hostJSON($0) }
        w.raw("\n}\n")
        sink(w.bytes)
    }
}
