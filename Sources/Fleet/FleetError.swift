import Report

/// An error of the fleet side: a stable code and one sentence that names what failed and how to fix it.
public struct FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifier, e.g. `input.not-json`, `job.http`, `config.missing`.
    public var code: String
    /// One sentence naming the path or endpoint and the fix.
    public var message: String

    /// JOB's own refusal behind the error (a `result: false` answer, or a gateway's error code), as the
    /// platform's API error names it: JOB's code and message.
    public var refusal: JobRefusal?

    public init(_ code: String, _ message: String, refusal: JobRefusal? = nil) {
        self.code = code
        self.message = message
        self.refusal = refusal
    }

    public var description: String { "\(code): \(message)" }
}

/// A run-level note about the answers (not about one host's checks): a JOB error, a gap, a mismatch.
public struct FleetIssue: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable {
        case info, warning, error
        var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    public var level: Level
    /// The JOB step the issue belongs to: `fast_execute_script`, `get_job_instance_status`,
    /// `batch_get_job_instance_ip_log`, `input`, `gse`.
    public var step: String
    public var message: String
    /// Host keys the issue concerns (empty when it is about the whole run).
    public var hosts: [String]

    public init(_ level: Level, step: String, _ message: String, hosts: [String] = []) {
        self.level = level
        self.step = step
        self.message = message
        self.hosts = hosts
    }
}

/// JOB's code and message of an answer that refused a request.
public struct JobRefusal: Sendable, Equatable {
    public var code: Int64?
    public var message: String
    /// The code as bk-log's ApiResultError prints it: Python's `str()` of a code it finds true (`1306000`,
    /// `"1234"`, `True`, `1.5`); nil for none or a false one (`0`, `""`, `null`), where it prints its own.
    public var codeText: String?

    public init(code: Int64?, message: String, codeText: String? = nil) {
        self.code = code
        self.message = message
        self.codeText = codeText ?? code.flatMap { $0 == 0 ? nil : String($0) }
    }

    /// The refusal of a JOB answer: its `code` and its `message` as the platform prints them.
    public init(answer json: JSONValue) {
        let code = json["code"]
        self.init(
            code: code?.intValue, message: json["message"].map { PythonText.str($0) } ?? "None",
            codeText: code.flatMap { JSONValue.isTruthy($0) ? PythonText.str($0) : nil })
    }
}
