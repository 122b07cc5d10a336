import Report

extension FleetReport {
    /// The log platform's record lines, as AgentChecker would have written them for these answers.
    ///
    /// With `extended`, lines AgentChecker stays silent about are added after its own (hosts with no
    /// output, missing from the logs, or whose logs could not be fetched), each marked `[bkdiag-fleet]`.
    public func agentCheckerInfos(extended: Bool = true) -> [AgentInfo] {
        var out: [AgentInfo] = []
        forEachAgentCheckerInfo(extended: extended) { out.append($0) }
        return out
    }

    /// Calls `body` with each record line in order, without collecting them (100,000 hosts make millions).
    public func forEachAgentCheckerInfo(extended: Bool = true, _ body: (AgentInfo) -> Void) {
        // Without a status answer AgentChecker has no host list, and prints nothing of the logs.
        if statusMissing && !extended { return }
        for p in preamble { body(p) }
        if let jobFailure {
            // AgentChecker has no host list then: one line, and nothing per host.
            body(jobFailure.line)
            if extended && !hosts.isEmpty {
                body(AgentInfo(.warning, "[bkdiag-fleet] \(hosts.count) hosts not judged: \(jobFailure.summary)"))
            }
            return
        }
        let haveStatus = hostsHaveStatus
        for h in hosts {
            guard let status = h.jobStatus ?? (haveStatus ? nil : JobStatusLabels.hostSuccess) else { continue }
            if status != JobStatusLabels.hostSuccess {
                let label = h.jobStatusText ?? JobStatusLabels.agentChecker[status] ?? String(status)
                body(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 脚本执行结果, 执行状态为: \(label)"))
                continue
            }
            // The platform finds logs by "{bk_cloud_id}:{ip}" only: one matched by host id it never sees.
            if h.logByHostID { continue }
            for line in h.lines {
                switch line {
                case .report(let i):
                    let r = h.reports[i]
                    body(Self.hostLine(h.key, r.hostStatus))
                    for c in r.results {
                        body(
                            AgentInfo(
                                c.status ? .info : .error,
                                "[\(c.module)] [\(c.platformLabel)] [\(c.status ? "成功" : "失败")] \(c.message)"))
                    }
                case .reportPrinted(let i, let entries):
                    body(Self.hostLine(h.key, h.reports[i].hostStatus))
                    for e in entries { body(e) }
                case .reportRendered(let i, let lines):
                    assert(!lines.isJSON, "a report read for the JSON's results has no platform lines")
                    body(Self.hostLine(h.key, h.reports[i].hostStatus))
                    for e in lines.infos { body(e) }
                case .failed(let f):
                    if let s = f.hostStatus { body(Self.hostLine(h.key, s)) }
                    for e in f.emitted { body(e) }
                    if f.checkerFails {
                        body(AgentInfo(.error, "[获取作业执行结果] [\(h.key)] 获取脚本执行结果失败, 报错为: \(f.error)"))
                    }
                }
            }
        }
        if extended { forEachExtendedLine(body) }
    }

    /// Calls `body` with the line bkdiag-fleet adds after the platform's for each host the platform is
    /// silent about, in host order.
    func forEachExtendedLine(_ body: (AgentInfo) -> Void) {
        hosts.withUnsafeBufferPointer { hosts in
            guard let base = hosts.baseAddress else { return }
            for j in hosts.indices { if let line = Self.extendedLine(base + j) { body(line) } }
        }
    }

    /// The line bkdiag-fleet adds after the platform's for the host at `h`, if any. Read through a pointer,
    /// stored members only: most hosts have none, and a host passed from the array's memory is copied
    /// (retaining every string and list it holds) even to a `borrowing` parameter.
    static func extendedLine(_ h: UnsafePointer<HostResult>) -> AgentInfo? {
        switch h.pointee.state {
        case .noOutput: return AgentInfo(.warning, "[bkdiag-fleet] [\(h.pointee.key)] 脚本执行成功但没有输出")
        case .missingLog: return AgentInfo(.warning, "[bkdiag-fleet] [\(h.pointee.key)] 日志中没有该主机")
        case .fetchFailed: return AgentInfo(.error, "[bkdiag-fleet] [\(h.pointee.key)] 获取日志失败: \(h.pointee.fetchError ?? "")")
        default:
            guard h.pointee.logByHostID && h.pointee.jobStatus == JobStatusLabels.hostSuccess else { return nil }
            return AgentInfo(
                h.pointee.state == .pass ? .info : .warning,
                "[bkdiag-fleet] [\(h.pointee.key)] 日志中的 IP 与作业状态不同，按主机 ID \(h.pointee.hostID.map(String.init) ?? "")匹配（平台不显示该主机）: \(h.pointee.state.rawValue)"
            )
        }
    }

    /// The lines of the hosts in `range` (not the extended ones).
    func writeHostLines(_ range: Range<Int>, haveStatus: Bool, to out: inout AgentTextBuffer) {
        hosts.withUnsafeBufferPointer { hosts in
            guard let base = hosts.baseAddress else { return }
            for j in range { Self.writeHostLines(base + j, haveStatus: haveStatus, to: &out) }
        }
    }

    /// One host's lines, read in place through a pointer: a host passed from the array's memory is copied
    /// even to a `borrowing` parameter (the memory could change during the call), and a copy retains and
    /// releases every string and list it holds.
    static func writeHostLines(_ h: UnsafePointer<HostResult>, haveStatus: Bool, to out: inout AgentTextBuffer) {
        guard let status = h.pointee.jobStatus ?? (haveStatus ? nil : JobStatusLabels.hostSuccess) else { return }
        if status != JobStatusLabels.hostSuccess {
            let label = h.pointee.jobStatusText ?? JobStatusLabels.agentChecker[status] ?? String(status)
            out.line(AgentInfo(.error, "[获取作业执行结果] [\(h.pointee.key)] 脚本执行结果, 执行状态为: \(label)"))
            return
        }
        if h.pointee.logByHostID { return }
        for line in h.pointee.lines {
            switch line {
            case .report(let i):
                h.pointee.reports.withUnsafeBufferPointer { reports in
                    out.hostLine(h.pointee.key, reports[i].hostStatus)
                    reports[i].results.withUnsafeBufferPointer { results in
                        for k in results.indices { out.entry(results[k], at: k) }
                    }
                }
            case .reportPrinted(let i, let entries):
                out.hostLine(h.pointee.key, h.pointee.reports[i].hostStatus)
                for e in entries { out.line(e) }
            case .reportRendered(let i, let lines):
                assert(!lines.isJSON, "a report read for the JSON's results has no platform lines")
                out.hostLine(h.pointee.key, h.pointee.reports[i].hostStatus)
                out.lines(lines)
            case .failed(let f):
                if let s = f.hostStatus { out.hostLine(h.pointee.key, s) }
                for e in f.emitted { out.line(e) }
                if f.checkerFails {
                    out.line(AgentInfo(.error, "[获取作业执行结果] [\(h.pointee.key)] 获取脚本执行结果失败, 报错为: \(f.error)"))
                }
            }
        }
    }

    /// Whether some host has JOB's state, read in place (a copy of each host would retain every string and
    /// list it holds: a whole pass of retains and releases over 100,000 hosts before the first line).
    var hostsHaveStatus: Bool {
        hosts.withUnsafeBufferPointer { hosts in hosts.indices.contains { hosts[$0].jobStatus != nil } }
    }

    /// `[<host>] 成功` or `[<host>] 失败, 查看详情`.
    static func hostLine(_ key: String, _ ok: Bool) -> AgentInfo {
        ok ? AgentInfo(.info, "[\(key)] 成功") : AgentInfo(.error, "[\(key)] 失败, 查看详情")
    }

    /// The record lines joined with newlines (and a final newline).
    public func agentCheckerText(extended: Bool = true) -> String {
        var text: [UInt8] = []
        writeAgentCheckerText(extended: extended) { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The same text handed to `sink` in pieces (about 1 MiB, or one chunk of 2,048 hosts), never held whole.
    ///
    /// The same lines as `forEachAgentCheckerInfo`, but the common ones (a report's host line and its
    /// entries) are written straight into the buffer as bytes, with each item's label encoded once,
    /// instead of being built as `String`s first (100,000 hosts make over a million such lines).
    public func writeAgentCheckerText(extended: Bool = true, _ sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        withoutActuallyEscaping(sink) { sink in
            var out = AgentTextBuffer(sink: sink)
            writeAgentCheckerText(extended: extended, to: &out)
            out.finish()
        }
    }

    func writeAgentCheckerText(extended: Bool, to out: inout AgentTextBuffer) {
        guard jobFailure == nil && !statusMissing else {
            forEachAgentCheckerInfo(extended: extended) { out.line($0) }
            return
        }
        for p in preamble { out.line(p) }
        // The hosts' lines, in chunks over the cores, handed on in order after what is buffered.
        let haveStatus = hostsHaveStatus
        out.flush()
        let sink = out.sink
        // One buffer per lane, kept from chunk to chunk (see `ChunkedRender`).
        let lanes = ChunkedRender.lanes
        // A chunk's lines are about 1.5 KB a host.
        var buffers = (0..<lanes).map { _ in hosts.count > 2048 ? ChunkedRender.laneBuffer(capacity: 4 << 20) : [] }
        buffers.withUnsafeMutableBufferPointer { buffers in
            nonisolated(unsafe) let buffers = buffers
            ChunkedRender.run(
                count: hosts.count, lanes: lanes,
                { range, lane in
                    var chunk = AgentTextBuffer(sink: { _ in }, flushAt: Int.max, buffer: [])
                    swap(&chunk.buf, &buffers[lane])
                    writeHostLines(range, haveStatus: haveStatus, to: &chunk)
                    swap(&chunk.buf, &buffers[lane])
                },
                emit: { lane in
                    if !buffers[lane].isEmpty { buffers[lane].withUnsafeBufferPointer(sink) }
                    buffers[lane].removeAll(keepingCapacity: true)
                })
        }
        if extended { forEachExtendedLine { out.line($0) } }
    }
}

/// The agent format's output buffer: whole lines are appended as bytes and handed to the sink once the
/// buffer holds `flushAt` bytes (1 MiB unless told).
struct AgentTextBuffer {
    let sink: (UnsafeBufferPointer<UInt8>) -> Void
    var buf: [UInt8] = []
    /// The label bytes of the item last seen at each entry position (hosts mostly list the same items in
    /// the same order), so that a label is looked up and encoded once, not once per line.
    var labelItems: [String] = []
    var labelBytes: [[UInt8]] = []

    /// The buffer is handed to the sink at the end of the line that fills it to this size.
    let flushAt: Int

    /// `buffer`: the buffer to write into, given by a caller that reuses one (reserved here when nil).
    init(sink: @escaping (UnsafeBufferPointer<UInt8>) -> Void, flushAt: Int = 1 << 20, buffer: [UInt8]? = nil) {
        self.sink = sink
        self.flushAt = flushAt
        if let buffer {
            buf = buffer
        } else {
            buf.reserveCapacity(flushAt == Int.max ? 1 << 16 : flushAt + 4096)
        }
    }

    /// Hands what is buffered to the sink.
    mutating func flush() {
        if !buf.isEmpty { buf.withUnsafeBufferPointer(sink) }
        buf.removeAll(keepingCapacity: true)
    }

    @inline(__always) mutating func put(_ s: StaticString) {
        buf.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) mutating func put(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ buf.append(contentsOf: $0) }) == nil {
            buf.append(contentsOf: s.utf8)
        }
    }

    @inline(__always) mutating func endLine() {
        buf.append(0x0A)
        if buf.count >= flushAt { flush() }
    }

    /// Any line, as `AgentInfo.write` writes it.
    mutating func line(_ info: AgentInfo) {
        info.write(to: &buf)
        buf.removeLast()
        endLine()
    }

    /// A report's entry lines as held while its page was read (`AgentEntryLines`).
    mutating func lines(_ r: RenderedReportLines) {
        // Room made first (zeros copied in, cheaper than a call per piece), then the lines written into it.
        let n = r.writtenCount
        let at = buf.count
        if n == 0 {
            return
        } else if n <= Self.zeros.count {
            Self.zeros.withUnsafeBufferPointer { buf.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
            buf.withUnsafeMutableBufferPointer { r.write(at: $0.baseAddress! + at) }
        } else {
            r.write(into: &buf)
        }
        if buf.count >= flushAt { flush() }
    }

    /// Room for a report's lines is made of these.
    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    /// `FleetReport.hostLine`: `[<host>] 成功` or `[<host>] 失败, 查看详情`.
    mutating func hostLine(_ key: String, _ ok: Bool) {
        put(ok ? "[info] [agent checker] [" : "[error] [agent checker] [")
        put(key)
        put(ok ? "] 成功" : "] 失败, 查看详情")
        endLine()
    }

    /// One entry of a report: `[<module>] [<label>] [成功|失败] <message>`.
    mutating func entry(_ c: borrowing CheckResult, at k: Int) {
        let ok = c.status
        put(ok ? "[info] [agent checker] [" : "[error] [agent checker] [")
        put(c.module)
        put("] [")
        if k >= labelItems.count {
            labelItems.append(contentsOf: repeatElement("", count: k + 1 - labelItems.count))
            labelBytes.append(contentsOf: repeatElement([], count: k + 1 - labelBytes.count))
        }
        if labelItems[k] != c.item || labelBytes[k].isEmpty {
            labelItems[k] = c.item
            labelBytes[k] = Array(c.platformLabel.utf8)
        }
        labelBytes[k].withUnsafeBufferPointer { buf.append(contentsOf: $0) }
        put(ok ? "] [成功] " : "] [失败] ")
        put(c.message)
        endLine()
    }

    mutating func finish() {
        if !buf.isEmpty { buf.withUnsafeBufferPointer(sink) }
        buf.removeAll()
    }
}
