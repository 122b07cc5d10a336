/// The outcome of one check.
///
/// `pass` and `warn` map to `status: true` in the check.py contract; `fail` and `unknown` to `false`.
public enum Verdict: String, Codable, Sendable, CaseIterable, Comparable {
    case pass
    case warn
    case fail
    case unknown

    /// The boolean the central parser reads.
    public var compatStatus: Bool { self == .pass || self == .warn }

    /// Severity for ordering and aggregation: pass < warn < unknown < fail.
    public var severity: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .unknown: 2
        case .fail: 3
        }
    }

    /// Nagios plugin exit code: 0 ok, 1 warning, 2 critical, 3 unknown.
    public var nagiosCode: Int32 {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        case .unknown: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
}
