import HostProbe
import Report

/// Which of the files a log path matches the collector actually reads. bkunifylogbeat's log input
/// fills in two rules an item does not set itself: `exclude_files` (Go regular expressions searched
/// in the full path; by default compressed, backup and swap files) and `ignore_older` (files not
/// modified for that long are not opened; by default 168h). An item that sets a key replaces the
/// default, so `exclude_files: []` excludes nothing and `ignore_older: 0` ignores nothing.
struct CollectorFileRules {
    static let defaultExcludes = [
        #"\.gz$"#, #"\.bz2$"#, #"\.tgz$"#, #"\.tbz$"#, #"\.zip$"#, #"\.7z$"#, #"\.bak$"#, #"\.backup$"#, #"\.swp$"#,
    ]
    static let defaultIgnoreOlder: Int64 = 168 * 3600

    /// The exclude expressions as written.
    var excludes: [String]
    /// Seconds; nil when off (0) or unreadable.
    var ignoreOlder: Int64?
    /// Where the rules come from, for the evidence.
    var source: String
    /// Settings the collector would not accept as written (an expression or a duration), for the evidence.
    var unusable: [String] = []
    private var matchers: [Matcher] = []

    private enum Matcher {
        case suffix(String)
        case regex(PosixRegex)
    }

    static var defaults: CollectorFileRules {
        CollectorFileRules(excludes: defaultExcludes, ignoreOlder: defaultIgnoreOlder, source: "collector defaults")
    }

    init(excludes: [String], ignoreOlder: Int64?, source: String, unusable: [String] = []) {
        self.excludes = excludes
        self.ignoreOlder = ignoreOlder
        self.source = source
        self.unusable = unusable
        for e in excludes {
            if let m = Self.matcher(e) { matchers.append(m) } else { self.unusable.append("exclude_files: \(e)") }
        }
    }

    /// The rules of one `local:` item of a subscription config.
    init(item: YAMLNode, source: String) {
        var unusable: [String] = []
        var excludes = Self.defaultExcludes
        if let node = item["exclude_files"], !node.isNull {
            if let list = node.array {
                excludes = list.compactMap(\.string)
            } else if let one = node.string {
                excludes = [one]
            }
        }
        var ignoreOlder: Int64? = Self.defaultIgnoreOlder
        if let node = item["ignore_older"], !node.isNull, let text = node.string {
            if let seconds = Self.seconds(goDuration: text) {
                ignoreOlder = seconds > 0 ? seconds : nil
            } else {
                unusable.append("ignore_older: \(text)")
            }
        }
        self.init(excludes: excludes, ignoreOlder: ignoreOlder, source: source, unusable: unusable)
    }

    /// The collector's `harvester_limit` when an item does not set one (bkunifylogbeat `config/input/log.go`).
    static let defaultHarvesterLimit = 1000

    /// One `local:` item: its data id, the paths it names, its file rules and its harvester limit.
    struct Item {
        var dataid: Int64?
        var paths: [String]
        var rules: CollectorFileRules
        var harvesterLimit: Int
    }

    /// The rules of every item of `subscription`'s config files in every `multi_config` directory, with
    /// the paths each names. Files that cannot be read or parsed give nothing here; the config check
    /// reports them.
    static func items(subscription: Int64, facts: any HostFacts) -> [Item] {
        var out: [Item] = []
        for (name, _, yaml) in SubscriptionConfigCheck.parsedConfigs(facts, where: { $0.subscriptionID == subscription }) {
            for (i, item) in SubscriptionConfigCheck.items(yaml).enumerated() {
                out.append(
                    Item(
                        dataid: item.dataid, paths: item.paths, rules: CollectorFileRules(item: item.node, source: "\(name) item \(i)"),
                        harvesterLimit: item.node["harvester_limit"]?.int.map { Int(clamping: $0) } ?? defaultHarvesterLimit))
            }
        }
        return out
    }

    func isExcluded(_ path: String) -> Bool {
        matchers.contains { m in
            switch m {
            case .suffix(let s): path.hasSuffix(s)
            case .regex(let r): r.matches(path)
            }
        }
    }

    /// Whether a file last modified at `mtime` (seconds) is too old to be opened at `now`.
    func isIgnored(mtime: Int64, now: Int64) -> Bool {
        guard let limit = ignoreOlder else { return false }
        let (age, overflow) = now.subtractingReportingOverflow(mtime)
        return !overflow && age > limit
    }

    /// `\.ext$` is a plain suffix test; anything else is compiled as a POSIX extended expression,
    /// which covers what people write here. Go's `(?i)`-style flags are refused (listed as unusable);
    /// its lazy repeats match the same paths as greedy ones, which is all that counts here.
    private static func matcher(_ expr: String) -> Matcher? {
        let scalars = Array(expr.unicodeScalars)
        if scalars.count > 3, scalars[0] == "\\", scalars[1] == ".", scalars.last == "$",
            scalars[2..<(scalars.count - 1)].allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        {
            return .suffix("." + String(String.UnicodeScalarView(scalars[2..<(scalars.count - 1)])))
        }
        return PosixRegex(expr).map { .regex($0) }
    }

    /// A Go duration (`168h`, `1h30m`, `90s`, `500ms`, `0`) or a bare number of seconds, in whole
    /// seconds; nil when malformed or out of range.
    static func seconds(goDuration text: String) -> Int64? {
        duration(goDuration: text).map { Int64($0) }
    }

    /// A Go duration or a bare number of seconds, in seconds with their fraction (`100ms` is 0.1).
    static func duration(goDuration text: String) -> Double? {
        let s = text.trimmingASCIIWhitespace()
        if let n = Int64(s) { return n >= 0 ? Double(n) : nil }
        if s.isEmpty { return nil }
        // Two-letter units first, so "ms" is not read as "m".
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(s)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        guard total.isFinite, total < 1e15 else { return nil }
        return total
    }
}
