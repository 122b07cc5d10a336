/// Names of JOB's numeric states, from the public bk-job API docs.
public enum JobStatusLabels {
    /// Host state in `step_ip_result_list[].status`.
    public static let host: [Int64: String] = [
        1: "agent error", 5: "waiting", 7: "running", 9: "success", 11: "failed",
        12: "dispatch failed", 403: "force-stopped", 404: "force-stop failed",
    ]
    /// Job and step state.
    public static let step: [Int64: String] = [
        1: "not run", 2: "running", 3: "success", 4: "failed", 5: "skipped", 6: "error ignored",
        7: "waiting for user", 8: "manually ended", 9: "abnormal", 10: "force-stopping",
        11: "force-stopped", 12: "force-stop failed",
    ]
    /// `step_ip_result_list[].error_code`.
    public static let errorCode: [Int64: String] = [
        1: "agent error", 13: "timeout", 101: "script failed", 102: "script timeout",
        103: "script terminated", 104: "non-zero exit", 310: "agent error", 311: "no such account",
    ]
    /// The only labels AgentChecker knows for a host state; other codes are printed as numbers.
    public static let agentChecker: [Int64: String] = [9: "成功", 310: "Agent异常"]

    /// The JOB host state that means the script ran and exited 0.
    public static let hostSuccess: Int64 = 9

    /// "11 failed" or "77" for an unknown code.
    public static func describeHost(_ status: Int64) -> String {
        host[status].map { "\(status) \($0)" } ?? String(status)
    }

    public static func describeError(_ code: Int64) -> String {
        errorCode[code].map { "\(code) \($0)" } ?? String(code)
    }

    /// Whether a job or step state is final (JOB will not change it any more).
    public static func isFinal(stepStatus: Int64) -> Bool { ![1, 2, 7, 10].contains(stepStatus) }
}
