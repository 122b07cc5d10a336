import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Report

/// Calls JOB's three endpoints through the BlueKing API gateway. Errors name the endpoint, never the secret.
public struct JobClient: Sendable {
    public let config: JobConfig
    public var requestTimeout: Double
    /// Largest answer read (a 500-host log page of rich reports is a few MiB).
    public var maxAnswerBytes = 256 << 20
    let http: HTTPClient
    let logger: Logger

    /// The client JOB is called with: it follows no redirect. A redirect to another server would carry the
    /// `X-Bkapi-Authorization` header, the app secret in it, along (AsyncHTTPClient strips only the
    /// standard credential headers on a cross-origin redirect); JOB's gateway does not redirect its API.
    public static let noRedirects = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    public init(config: JobConfig, requestTimeout: Double = 30, http: HTTPClient = JobClient.noRedirects, logger: Logger) {
        self.config = config
        self.requestTimeout = requestTimeout
        self.http = http
        self.logger = logger
    }

    /// The raw answer text and its parsed `data`.
    public struct Answer: Sendable {
        public var text: String
        public var data: JSONValue
    }

    /// `fast_execute_script/` (POST).
    public func fastExecuteScript(_ body: JSONValue) async throws(FleetError) -> Answer {
        try await call("fast_execute_script/", method: .POST, query: [], body: body)
    }

    /// `get_job_instance_status/` (GET) with host results; `timeout` (seconds) shortens the request timeout.
    public func jobInstanceStatus(jobInstanceID: Int64, timeout: Double? = nil) async throws(FleetError) -> Answer {
        try await call(
            "get_job_instance_status/", method: .GET,
            query: scope + [("job_instance_id", String(jobInstanceID)), ("return_ip_result", "true")], body: nil,
            timeout: timeout)
    }

    /// `batch_get_job_instance_ip_log/` (POST).
    public func batchIPLog(_ body: JSONValue) async throws(FleetError) -> Answer {
        try await call("batch_get_job_instance_ip_log/", method: .POST, query: [], body: body)
    }

    /// `bk_scope_type`, `bk_scope_id` and the older `bk_biz_id`, for query strings.
    var scope: [(String, String)] {
        [("bk_scope_type", config.scopeType), ("bk_scope_id", String(config.bizID)), ("bk_biz_id", String(config.bizID))]
    }

    /// The same as JSON members, for bodies.
    public var scopeMembers: [(String, JSONValue)] {
        [("bk_scope_type", .string(config.scopeType)), ("bk_scope_id", .string(String(config.bizID))), ("bk_biz_id", .int(config.bizID))]
    }

    func call(
        _ endpoint: String, method: HTTPMethod, query: [(String, String)], body: JSONValue?, timeout: Double? = nil
    ) async throws(FleetError) -> Answer {
        let seconds = min(requestTimeout, max(0.001, timeout ?? requestTimeout))
        var url = config.baseURL + endpoint
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.percent($0.0))=\(Self.percent($0.1))" }.joined(separator: "&")
        }
        let what = "\(method.rawValue) \(config.baseURL)\(endpoint)"
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        // No content coding is decoded here: say so, or a gateway may gzip the answer (RFC 9110 12.5.3).
        request.headers.add(name: "Accept-Encoding", value: "identity")
        request.headers.add(name: "X-Bkapi-Authorization", value: config.authorization)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        logger.debug("job request", metadata: ["job.endpoint": "\(endpoint)"])
        let status: UInt
        var text: String
        do {
            // The whole exchange is bounded, the body too: a gateway that sends its headers and then drips
            // the body would otherwise hold the run past every timeout (the client's covers the head only).
            let http = self.http
            let limit = maxAnswerBytes
            (status, text) = try await Self.bounded(seconds: seconds, on: http.eventLoopGroup.any()) { [request] in
                let response = try await http.execute(request, timeout: .milliseconds(Int64(seconds * 1000)))
                let buffer = try await response.body.collect(upTo: limit)
                return (response.status.code, String(buffer: buffer))
            }
        } catch is CancellationError {
            // The run itself is being stopped: not a transport failure to retry.
            throw FleetError("job.cancelled", "\(what) was cancelled: the run is stopping")
        } catch {
            // The exchange's own bound, or the HTTP client's timeouts: the same answer that did not come in time.
            let timedOut =
                error is ExchangeTimedOut
                || (error as? HTTPClientError).map { $0 == .deadlineExceeded || $0 == .readTimeout || $0 == .connectTimeout } == true
            if error is NIOTooManyBytesError {
                // The same request brings the same answer: not retried, and the way out is smaller pages.
                throw FleetError(
                    "job.too-large",
                    "\(what) answered more than \(maxAnswerBytes >> 20) MiB: ask for fewer hosts per log page (--batch-size)")
            }
            guard timedOut else {
                throw FleetError("job.transport", "\(what) failed (\(error)); check the base URL and that the gateway is reachable")
            }
            throw FleetError(
                "job.timeout",
                "\(what) did not answer within \(Self.shown(seconds)) s; JOB may be overloaded: raise --request-timeout (or --deadline) or run again"
            )
        }
        // A gateway may quote the request's credentials back (`app auth failed for <header>`): the secret is
        // never shown, kept in saved answers or stored, whatever the answer holds.
        let secret = config.appSecret
        if secret.count >= 4, text.contains(secret) { text = text.replacingAll(secret, with: "***") }
        guard status == 200 else {
            // A client error (bad parameters, permissions, a redirect not followed) is the same on every try.
            throw FleetError(
                (300..<500).contains(status) && status != 408 && status != 429 ? "job.http-client" : "job.http",
                (300..<400).contains(status)
                    ? "\(what) answered HTTP \(status), a redirect, which is not followed (it would carry the app secret along): set the base URL to the gateway's own address"
                    : status >= 500
                        ? "\(what) answered HTTP \(status): \(Self.snippet(text)); JOB or its API gateway failed: run again later, or ask the JOB administrators"
                        : "\(what) answered HTTP \(status): \(Self.snippet(text)); check the app code/secret, the user's JOB permissions and the base URL"
            )
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(text, maxDepth: AnswerReader.answerMaxDepth)
        } catch {
            throw FleetError(
                "job.not-json", "\(what) answered with something that is not JSON (\(error.description)): \(Self.snippet(text))")
        }
        // JOB's envelope, read as `parse` reads a saved answer (an API gateway's own refusal has no `result`).
        let (refused, data) = JobAnswer.envelope(json)
        if refused { throw Self.refused(what, json, json["result"] != nil ? "result=false" : "an error") }
        return Answer(text: text, data: data)
    }

    /// The error of an answer that refuses the request, with JOB's code and message.
    static func refused(_ what: String, _ json: JSONValue, _ how: String) -> FleetError {
        let code = json["code"].map { $0.serialized() } ?? "none"
        let message = json["message"]?.stringValue ?? "(no message)"
        return FleetError(
            "job.result", "\(what) answered \(how), code \(code): \(message)",
            // The message as `parse` reads it from a saved answer and the platform prints it: Python's str() of
            // any value, None when absent.
            refusal: JobRefusal(answer: json))
    }

    struct ExchangeTimedOut: Error {}

    /// `work`, or `ExchangeTimedOut` once `seconds` have passed on `loop`'s timer (`work` is then cancelled).
    static func bounded<T: Sendable>(
        seconds: Double, on loop: any EventLoop, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await sleep(seconds: seconds, on: loop)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw ExchangeTimedOut() }
            return value
        }
    }

    /// Waits `seconds` on the HTTP client's event loop (throws `CancellationError` when the task is cancelled).
    public func sleep(seconds: Double) async throws { try await Self.sleep(seconds: seconds, on: http.eventLoopGroup.any()) }

    /// The fleet's timers (poll backoff, retry pauses, the exchange bound) are the event loop's, not `Task.sleep`:
    /// on Linux a sleeping task wakes through a thread of Dispatch's global pool, which grows by about one a
    /// second past the core count. Blocking work elsewhere in the process (in a test run, the other tests)
    /// held such a wake-up back for minutes, and a 0.3 s timeout measured that wait.
    static func sleep(seconds: Double, on loop: any EventLoop) async throws {
        let scheduled = loop.scheduleTask(in: .nanoseconds(Int64(max(0, min(seconds, 1e9)) * 1e9))) {}
        try await withTaskCancellationHandler {
            do { try await scheduled.futureResult.get() } catch { throw CancellationError() }
        } onCancel: {
            scheduled.cancel()
        }
    }

    /// Whether asking again may help: not for JOB's own refusals (`result: false`: parameters,
    /// permissions) or an HTTP client error, which the same request meets every time.
    public static func retryable(_ error: FleetError) -> Bool {
        error.code != "job.result" && error.code != "job.http-client" && error.code != "job.cancelled" && error.code != "job.too-large"
    }

    /// Seconds for a message, to hundredths: `30`, `2.5`, `0.03`.
    static func shown(_ seconds: Double) -> String {
        var text = String(format: "%.2f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func snippet(_ s: String) -> String {
        let one = s.replacingOccurrences(of: "\n", with: " ")
        return one.count > 200 ? String(one.prefix(200)) + "…" : one
    }

    static func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}
