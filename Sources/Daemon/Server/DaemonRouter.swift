import Logging
import Report
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Who is on the other end of a unix socket connection (`SO_PEERCRED`); laid out as the kernel's `struct ucred`.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Who may ask for a fresh run: root, the daemon's own user, and members of the socket's group.
public struct PeerPolicy: Sendable, Equatable {
    /// The socket file's group; nil when unknown (then only root and the daemon's user).
    public var socketGroup: UInt32?
    public var ownUID: UInt32

    public init(socketGroup: UInt32?, ownUID: UInt32 = geteuid()) {
        self.socketGroup = socketGroup
        self.ownUID = ownUID
    }

    /// - Parameter supplementaryGroups: looked up only when the primary ids do not decide.
    public func mayRun(_ peer: PeerCredentials?, supplementaryGroups: (Int32) -> [UInt32] = { Sys.supplementaryGroups(pid: $0) }) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 || peer.uid == ownUID { return true }
        guard let g = socketGroup else { return false }
        return peer.gid == g || supplementaryGroups(peer.pid).contains(g)
    }
}

/// A request as the router sees it: method, target and peer; the transport has already enforced size limits.
public struct DaemonRequest: Sendable, Equatable {
    public var method: String
    public var target: String
    public var peer: PeerCredentials?

    public init(method: String, target: String, peer: PeerCredentials?) {
        self.method = method
        self.target = target
        self.peer = peer
    }

    /// The path without the query.
    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }

    /// Query parameters, percent-decoded; nil for malformed escapes.
    public var query: [String: String]? {
        guard let q = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = Self.percentDecode(kv[0]) else { return nil }
            guard let v = Self.percentDecode(kv.count > 1 ? kv[1] : "") else { return nil }
            out[k] = v
        }
        return out
    }

    static func percentDecode(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") { bytes.append(UInt8(ascii: " ")); continue }
            guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
            guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(v)
            it = it.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// A response: status, content type, body; the transport adds length and `Connection: close`.
public struct DaemonResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String
    public var headers: [(String, String)]

    public init(status: Int, contentType: String = "application/json", body: String, headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func == (a: DaemonResponse, b: DaemonResponse) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body
            && a.headers.map { $0.0 + ":" + $0.1 } == b.headers.map { $0.0 + ":" + $0.1 }
    }

    static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> DaemonResponse {
        DaemonResponse(status: status, body: JSONValue.object([("error", .string(message))]).serialized() + "\n", headers: headers)
    }

    static let reasons: [Int: String] = [
        200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long", 431: "Request Header Fields Too Large",
        500: "Internal Server Error", 503: "Service Unavailable",
    ]

    public static func reason(_ status: Int) -> String { reasons[status] ?? "Status" }
}

/// The endpoints of the local socket, independent of the transport.
public struct DaemonRouter: Sendable {
    public let core: DaemonCore
    public let policy: PeerPolicy

    public init(core: DaemonCore, policy: PeerPolicy) {
        self.core = core
        self.policy = policy
    }

    static let routes: [String: [String]] = [
        "/report": ["GET", "HEAD"], "/metrics": ["GET", "HEAD"], "/history": ["GET", "HEAD"], "/run": ["POST"],
    ]

    /// Answers every request whole: at once where no run is needed, after the first run for `/report`
    /// before it, after a fresh run for `POST /run`. (The HTTP server streams `/history` instead.)
    public func handle(_ request: DaemonRequest) async -> DaemonResponse {
        if let answer = immediate(request) { return answer }
        let format = request.query?["format"] ?? "json"
        if let (since, limit) = historyQuery(request) {
            var body: [UInt8] = []
            let selection: HistorySelection
            do {
                selection = try core.history.select(sinceMs: since, limit: limit)
            } catch {
                return Self.historyUnavailable(error, logger: core.logger)
            }
            guard let unreadable = try? await selection.body(chunkBytes: 1 << 16, emit: { body += $0 }) else {
                return .error(500, "the stored reports cannot be read: see the daemon's log")
            }
            if unreadable > 0 {
                core.logger.error("stored reports no longer read back; answered as null", metadata: ["count": "\(unreadable)"])
            }
            return DaemonResponse(status: 200, body: String(decoding: body, as: UTF8.self))
        }
        let report = request.path == "/report" ? await core.firstReport() : await core.runCycle()
        // Nil when the wait was cancelled (the client hung up: nobody reads this) or the daemon is stopping.
        guard let report else { return .error(503, "the daemon is stopping; ask again once it is back") }
        return scheduled(Self.render(report, format: format))
    }

    /// `since` and `limit` of a valid `/history` request, nil for any other request.
    public func historyQuery(_ request: DaemonRequest) -> (sinceMs: Int64, limit: Int)? {
        guard request.path == "/history", Self.routes["/history"]?.contains(request.method) == true, let query = request.query,
            case .valid(let since, let limit) = Self.parseHistoryQuery(query, nowMs: Timestamp.nowMilliseconds())
        else { return nil }
        return (since, limit)
    }

    /// A `/history` query: its bounds, or the 400 that says what is wrong with it.
    enum HistoryQuery {
        case valid(sinceMs: Int64, limit: Int)
        case invalid(DaemonResponse)
    }

    static func parseHistoryQuery(_ query: [String: String], nowMs: Int64) -> HistoryQuery {
        guard let since = parseSince(query["since"] ?? "0", nowMs: nowMs) else {
            return .invalid(.error(400, "bad since: give unix seconds or milliseconds, -<seconds> for relative, or 2026-11-23T10:00:00Z"))
        }
        var limit = 100
        if let l = query["limit"] {
            guard let n = Int(l), n >= 1, n <= 1000 else { return .invalid(.error(400, "bad limit: give 1..1000")) }
            limit = n
        }
        return .valid(sinceMs: since, limit: limit)
    }

    /// The answer when it is at hand, so the event loop can write it without a hop through the task
    /// pool; nil when it must be awaited or streamed: `/report` before the first run has finished, a
    /// valid `/history`, an authorised `POST /run`.
    public func immediate(_ request: DaemonRequest) -> DaemonResponse? {
        let path = request.path
        guard let methods = Self.routes[path] else {
            return .error(404, "no such endpoint \(path): use /report, /report?format=compat, /metrics, /history?since=..., POST /run")
        }
        guard methods.contains(request.method) else {
            return .error(405, "\(request.method) is not allowed on \(path)", headers: [("Allow", methods.joined(separator: ", "))])
        }
        guard let query = request.query else { return .error(400, "malformed query string") }
        switch path {
        case "/report":
            // Before the first run (a socket-activated start) the answer waits for it.
            guard let report = core.latest else { return nil }
            return scheduled(Self.render(report, format: query["format"] ?? "json"))
        case "/metrics":
            var body = core.latest?.prometheusText() ?? ""
            body += core.daemonMetrics()
            return DaemonResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
        case "/history":
            if case .invalid(let bad) = Self.parseHistoryQuery(query, nowMs: Timestamp.nowMilliseconds()) { return bad }
            return nil
        case "/run":
            guard policy.mayRun(request.peer) else {
                let who = request.peer.map { "uid \($0.uid)" } ?? "an unknown peer"
                return .error(403, "\(who) may not start a run: only root and the socket's group may POST /run")
            }
            if let f = query["format"], f != "rich", ReportFormat(rawValue: f) == nil {
                return .error(400, "unknown format \(f): use json, compat, text, prometheus or nagios")
            }
            return nil
        default:
            return .error(404, "no such endpoint \(path)")
        }
    }

    /// The answer when the stored reports cannot be opened: 503, since it is mostly passing (descriptors
    /// run out under load); the reason goes to the daemon's log, not to the peer.
    static func historyUnavailable(_ error: DaemonError, logger: Logger) -> DaemonResponse {
        logger.error("history answer refused", metadata: ["error": "\(error.message)"])
        return .error(503, "the stored reports cannot be opened right now: try again, or see the daemon's log")
    }

    /// A report's answer with the daemon's interval and deadline as headers, from which `bkdiag status`
    /// tells a report the schedule still explains from a stale one (`ReportAge`).
    func scheduled(_ response: DaemonResponse) -> DaemonResponse {
        guard response.status == 200 else { return response }
        var r = response
        r.headers += ReportAge.headers(for: core.reportSchedule)
        return r
    }

    static func render(_ report: DiagnosticReport, format: String) -> DaemonResponse {
        let f: ReportFormat? = format == "rich" ? .json : ReportFormat(rawValue: format)
        guard let f else {
            return .error(400, "unknown format \(format): use json, compat, text, prometheus or nagios")
        }
        let type = (f == .json || f == .compat) ? "application/json" : "text/plain; charset=utf-8"
        return DaemonResponse(status: 200, contentType: type, body: report.rendered(f))
    }

    /// `since` as Unix milliseconds: seconds or ms (by magnitude), `-N` seconds ago, or an ISO 8601 UTC time.
    static func parseSince(_ s: String, nowMs: Int64) -> Int64? {
        if let n = Int64(s) {
            if n >= 100_000_000_000 { return n }
            // Seconds whose milliseconds do not fit in Int64 are no time at all.
            let (ms, overflow) = n.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            return n < 0 ? nowMs + ms : ms
        }
        // YYYY-MM-DDTHH:MM:SS[.fff]Z
        let u = Array(s.utf8)
        guard u.count >= 20, u.last == UInt8(ascii: "Z"), u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":")
        else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            guard r.allSatisfy({ u[$0] >= 48 && u[$0] <= 57 }) else { return nil }
            return Int32(String(decoding: u[r], as: UTF8.self))
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16),
            let sec = num(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        var ms: Int64 = 0
        if u.count > 20 {
            guard u[19] == UInt8(ascii: "."), u.count - 21 >= 1, u.count - 21 <= 9, let frac = num(20..<(u.count - 1)) else { return nil }
            var f = Int64(frac)
            var digits = u.count - 21
            while digits > 3 { f /= 10; digits -= 1 }
            while digits < 3 { f *= 10; digits += 1 }
            ms = f
        }
        guard let secs = Timestamp.utcEpoch(year: y, month: mo, day: d, hour: h, minute: mi, second: sec) else { return nil }
        return secs * 1000 + ms
    }
}
