import HostProbe
import Report

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Which of the files a log path matches the collector actually reads. bkunifylogbeat's log input
/// fills in two rules an item does not set itself: `exclude_files` (Go regular expressions searched
/// in the full path; by default compressed, backup and swap files) and `ignore_older` (files not
/// modified for that long are not opened; by default 168h). An item that sets a key replaces the
/// default, so `exclude_files: []` excludes nothing (`ignore_older: 0` would ignore nothing, but the
/// collector refuses such an item: see `refusals`).
struct CollectorFileRules {
    /// The collector's defaults exactly as written in its `config/input/log.go`: the dot is not
    /// escaped, so `.backup$` also excludes `mysql_backup` and `.bak$` excludes `app_bak`.
    static let defaultExcludes = [".gz$", ".bz2$", ".tgz$", ".tbz$", ".zip$", ".7z$", ".bak$", ".backup$", ".swp$"]
    static let defaultIgnoreOlder: Int64 = 168 * 3600

    /// The exclude expressions as written.
    var excludes: [String]
    /// Seconds; nil when off (0) or unreadable.
    var ignoreOlder: Int64?
    /// Where the rules come from, for the evidence.
    var source: String
    /// Whether `excludes` are the collector's defaults (the item sets no `exclude_files` of its own).
    var defaultExcludesApply = false
    /// Settings not judged here (an expression or a duration), with the reason, for the evidence.
    var unusable: [String] = []
    /// Exclude expressions Go's `regexp` refuses, with its reason: the collector cannot use the item.
    var invalidExcludes: [String] = []
    /// Why the collector's log input refuses the item: it logs the error and starts no task for it, so
    /// nothing under its paths is collected. Empty when it takes the item. `invalidExcludes` are among them,
    /// and so is an `encoding` the collector does not know (the task runs, but each of its harvesters fails
    /// before it opens its file: nothing is collected either).
    var refusals: [String] = []
    /// The item filters its lines (a `delimiter` and `filters`: bk-log's 过滤内容). The collector's filter
    /// node drops a line that does not match together with its state update (bkunifylogbeat
    /// `task/filter/filter.go`), so the registry stays at the last line sent until a later one or the
    /// harvester's close: bytes read and not acknowledged are not bytes waiting.
    var filtersLines = false
    private var matchers: [Matcher] = []
    /// Whether some exclude expression could not be judged: no file is then known to be collected.
    private var undecidable = false

    private enum Matcher {
        /// `\.ext$`: the path ends with `.ext`.
        case suffix(String)
        /// `.ext$`: the path ends with `ext` after at least one character that is not a newline.
        case anyThenSuffix(String)
        case regex(GoRegex)
    }

    static var defaults: CollectorFileRules {
        var rules = CollectorFileRules(excludes: defaultExcludes, ignoreOlder: defaultIgnoreOlder, source: "collector defaults")
        rules.defaultExcludesApply = true
        return rules
    }

    init(excludes: [String], ignoreOlder: Int64?, source: String, unusable: [String] = [], build: CollectorBuild = .unknown) {
        self.excludes = excludes
        self.ignoreOlder = ignoreOlder
        self.source = source
        self.unusable = unusable
        for e in excludes {
            switch Self.matcher(e, build: build) {
            case .success(let m): matchers.append(m)
            case .failure(.invalid(let why)):
                invalidExcludes.append("\(e) (\(why))")
                refusals.append("exclude_files \(e) is not a Go regular expression (\(why))")
                self.unusable.append("exclude_files: \(e): Go's regexp refuses it (\(why))")
                undecidable = true
            case .failure(.unsupported(let why)):
                self.unusable.append("exclude_files: \(e): not judged here (\(why))")
                undecidable = true
            }
        }
    }

    /// The rules of one `local:` item of a subscription config, for the collector `build` (the rules that
    /// differ between versions stay unjudged where it does not tell).
    init(item: YAMLNode, source: String, build: CollectorBuild) {
        var unusable: [String] = []
        var excludes = Self.defaultExcludes
        var own = false
        if let node = item["exclude_files"], !node.isNull {
            if let list = node.array {
                excludes = list.compactMap(\.string)
                own = true
            } else if let one = node.string {
                excludes = [one]
                own = true
            }
        }
        // Not written: what bkunifylogbeat fills in, 24h on the builds from 7.7.2-rc.76 to rc.109 (where the build
        // does not tell, 168h: every other build's).
        var ignoreOlder: Int64? = build.ignoreOlderDefaults.map { Int64($0.filled) } ?? Self.defaultIgnoreOlder
        if let node = item.lookup("ignore_older"), !node.isNull {
            // What the collector holds, as go-ucfg converts it: a number is seconds (past ±2^63 ns its
            // multiplication wraps), text needs a unit. A negative value makes every file too old (filebeat
            // skips a file when its age exceeds ignore_older, whatever its sign).
            if let seconds = GoConfigValue(node).asHeldDuration {
                ignoreOlder = seconds == 0 ? nil : Int64(seconds.rounded(.towardZero))
            } else {
                unusable.append("ignore_older: \(GoConfigValue(node).shown)")
            }
        }
        self.init(excludes: excludes, ignoreOlder: ignoreOlder, source: source, unusable: unusable, build: build)
        defaultExcludesApply = !own
        if let delimiter = item["delimiter"]?.string, !delimiter.isEmpty,
            (item["filters"]?.array ?? []).contains(where: { !($0["conditions"]?.array ?? []).isEmpty })
        {
            filtersLines = true
        }
        refusals +=
            Self.taskRefusals(item) + Self.typeRefusals(item) + Self.filterRefusals(item, build: build)
            + Self.logInputRefusals(item, build: build) + Self.networkInputRefusals(item, build: build)
    }

    /// A field of the collector's config structs and the Go type go-ucfg converts its value to.
    enum FieldType {
        case bool, int, uint32, duration, text
    }

    /// bkunifylogbeat's `TaskConfig` (every input type): `dataid`, the sender's and the container flags.
    static let taskFields: [(String, FieldType)] = [
        ("dataid", .int), ("package", .bool), ("package_count", .int), ("is_container_std", .bool), ("is_cri_container_std", .bool),
    ]
    /// The `log` input: bkunifylogbeat's `LogConfig` durations, its filebeat fork's log input config and
    /// the multiline reader's config.
    static let logFields: [(String, FieldType)] = [
        ("scan_frequency", .duration), ("close_inactive", .duration), ("ignore_older", .duration), ("clean_inactive", .duration),
        ("backoff", .duration), ("max_backoff", .duration), ("close_timeout", .duration), ("multiline.timeout", .duration),
        ("enabled", .bool), ("clean_removed", .bool), ("symlinks", .bool), ("tail_files", .bool), ("recursive_glob.enabled", .bool),
        ("reuse_harvester", .bool), ("ludicrous_mode", .bool), ("close_removed", .bool), ("close_renamed", .bool), ("close_eof", .bool),
        ("multiline.negate", .bool), ("harvester_limit", .uint32), ("reuse_max_bytes", .int), ("harvester_buffer_size", .int),
        ("max_bytes", .int), ("backoff_factor", .int), ("multiline.max_lines", .int), ("encoding", .text),
    ]

    /// What bkunifylogbeat's `config/task.go` refuses in any item: a data id of 0 ("DataID cannot be
    /// empty"), which is what a missing or null `dataid` leaves (and what bk-log's `{{ dataid | int }}`
    /// renders for an empty one). A data id that is not a number is `typeRefusals`'.
    static func taskRefusals(_ item: YAMLNode) -> [String] {
        guard let node = item["dataid"] else { return ["dataid missing (the collector starts no task without a data id)"] }
        guard GoConfigValue(node).asInt == 0 else { return [] }
        return ["dataid \(GoConfigValue(node).shown) (the collector starts no task without a data id)"]
    }

    /// Values go-ucfg cannot convert to their field's type (`tail_files: 'yes'`, a duration without a
    /// unit such as `scan_frequency: '10'`, `package_count: ten`): unpacking the item fails and no task
    /// runs for it. What converts is judged by `GoConfigValue`, as go-yaml v2 and go-ucfg read it.
    static func typeRefusals(_ item: YAMLNode) -> [String] {
        let isLog = (item["type"]?.string ?? "log") == "log"
        var out: [String] = []
        for (key, type) in taskFields + (isLog ? logFields : []) {
            guard let node = item.lookup(key) else { continue }
            let v = GoConfigValue(node)
            let ok: Bool
            switch type {
            case .bool: ok = v.asBool != nil
            case .int: ok = v.asInt != nil
            case .uint32: ok = v.asUInt.map { $0 <= UInt64(UInt32.max) } ?? false
            case .duration: ok = v.asDuration != nil
            case .text: ok = v.asText != nil
            }
            if !ok { out.append("\(key) \(v.shown) is not \(Self.typeName(type)) the collector can read") }
        }
        for filter in item["filters"]?.array ?? [] {
            for condition in filter["conditions"]?.array ?? [] {
                if let index = condition["index"], GoConfigValue(index).asInt == nil {
                    out.append("filter index \(GoConfigValue(index).shown) is not an integer the collector can read")
                }
            }
        }
        return out
    }

    static func typeName(_ type: FieldType) -> String {
        switch type {
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .uint32: return "an unsigned 32-bit integer"
        case .duration: return "a duration (a number of seconds, or text with a unit such as 10s)"
        case .text: return "text"
        }
    }

    /// The operators the line filters and the syslog input's filters know (bkunifylogbeat `config/task.go`,
    /// the beats fork's `filebeat/input/syslog/operator.go`).
    static let filterOperators: Set<String> = ["=", "!=", "eq", "neq", "include", "exclude", "regex", "nregex"]

    /// The line filters' operators the collector refuses (bkunifylogbeat `config/task.go`, read only when
    /// `delimiter` is one byte): an operator outside `=`, `!=`, `eq`, `neq`, `include`, `exclude`, `regex`,
    /// `nregex`, or a `regex`/`nregex` value Go's regexp refuses. Versions before 7.7.1-rc.18 take only `=`
    /// and `!=`: the others are refused where `build` says the collector is older, and not judged where
    /// it does not tell.
    static func filterRefusals(_ item: YAMLNode, build: CollectorBuild) -> [String] {
        guard let delimiter = item["delimiter"]?.string, delimiter.utf8.count == 1, let filters = item["filters"]?.array else { return [] }
        var out: [String] = []
        for filter in filters {
            // Before July 2024 the conditions of one filter, sorted by index, may not share one.
            if build.duplicateFilterIndexRefused == true {
                let indexes = (filter["conditions"]?.array ?? []).map { $0["index"].flatMap { GoConfigValue($0).asInt } ?? 0 }
                if let twice = Dictionary(grouping: indexes, by: { $0 }).filter({ $0.value.count > 1 }).keys.min() {
                    out.append(
                        "filter has two conditions on index \(twice): bkunifylogbeat before July 2024 (this collector is \(build.version ?? "older"); fixed in 7.7.2-rc.29) refuses it (\"filter has duplicate index\")"
                    )
                }
            }
            for condition in filter["conditions"]?.array ?? [] {
                let op = condition["op"]?.string ?? ""
                if !Self.filterOperators.contains(op) {
                    out.append("filter operator '\(op)' is not one the collector knows")
                } else if op != "=" && op != "!=", build.extendedFilterOperators == false {
                    out.append(
                        "filter operator '\(op)' needs bkunifylogbeat 7.7 or later; this collector is \(build.version ?? "older") and takes only = and !="
                    )
                } else if op == "regex" || op == "nregex", let key = condition["key"]?.string,
                    case .invalid(let why) = GoRegex.compile(key, angleNamedGroups: build.angleNamedGroups)
                {
                    out.append("filter \(op) \(key) is not a Go regular expression (\(why))")
                }
            }
        }
        return out
    }

    /// What the filebeat fork's `kafka`, `redis` and `syslog` inputs refuse when they unpack an item
    /// (bkunifylogbeat hands them the item as written; an input that fails to build runs no task): go-ucfg's
    /// `required` (missing, null or empty) and `min` tags, and each input's own checks — kafka's `Validate`
    /// (a username without a password) and its `initial_offset`, `isolation_level` and `rebalance.strategy`
    /// names; syslog's one `protocol` namespace of `tcp` or `udp` and its filters' operators and regular
    /// expressions (the filters came in March 2024: not judged for a build known to be older).
    static func networkInputRefusals(_ item: YAMLNode, build: CollectorBuild) -> [String] {
        let type = item["type"]?.string ?? "log"
        var out: [String] = []
        func required(_ key: String) {
            guard let node = item.lookup(key), !node.isNull else {
                out.append("\(type): \(key) missing (required)")
                return
            }
            if node.array?.isEmpty == true || (node.string != nil && GoConfigValue(node).asText == "") {
                out.append("\(type): \(key) empty (required)")
            } else if let entries = node.array,
                let k = entries.firstIndex(where: { $0.isNull || ($0.string != nil && GoConfigValue($0).asText == "") })
            {
                // go-ucfg checks `required` on every entry of a list (`reifyDoArray`): one empty row of the form refuses it.
                out.append("\(type): \(key) entry \(k) is empty (required: each entry must be set)")
            }
        }
        func text(_ key: String) -> String? { item.lookup(key).flatMap { $0.isNull ? nil : GoConfigValue($0).asText } }
        func oneOf(_ key: String, _ names: [String]) {
            if let v = text(key), !names.contains(v) {
                out.append("\(type): \(key) '\(v)' is not one of \(names.joined(separator: ", "))")
            }
        }
        func atLeast(_ key: String, _ least: Int64) {
            if let node = item.lookup(key), !node.isNull, let v = GoConfigValue(node).asInt, v < least {
                out.append("\(type): \(key) \(v) is below \(least)")
            }
        }
        switch type {
        case "kafka":
            required("hosts")
            required("topics")
            required("group_id")
            if let user = text("username"), !user.isEmpty, (text("password") ?? "").isEmpty {
                out.append("kafka: password must be set when username is configured")
            }
            oneOf("initial_offset", ["oldest", "newest"])
            oneOf("isolation_level", ["read_uncommitted", "read_committed"])
            oneOf("rebalance.strategy", ["range", "roundrobin"])
            atLeast("fetch.min", 1)
            atLeast("fetch.default", 1)
            atLeast("fetch.max", 0)
            out += Self.tlsSettingRefusals(item)
        case "redis":
            required("hosts")
            atLeast("maxconn", 1)
        case "syslog":
            // `protocol.udp:` written with its dot, or `protocol:` holding `udp:`: one namespace, tcp or udp.
            var names: [String] = []
            guard case .mapping(let members) = item else { break }
            for (key, value) in members {
                if key == "protocol" {
                    if case .mapping(let inner) = value { names += inner.map(\.0) }
                } else if key.hasPrefix("protocol.") {
                    names.append(String(key.dropFirst("protocol.".count).prefix { $0 != "." }))
                }
            }
            let unique = Array(Set(names)).sorted()
            if unique.count != 1 || !["tcp", "udp"].contains(unique[0]) {
                out.append(
                    "syslog: protocol \(unique.isEmpty ? "missing" : unique.joined(separator: ", ")): the input takes one of tcp or udp (\"you must choose between TCP or UDP\")"
                )
            } else if unique == ["tcp"], (text("protocol.tcp.host") ?? "").isEmpty {
                // filebeat's TCP server config refuses an empty host (NodeMan's template writes `host: ""` when the
                // platform gives none); a UDP one binds whatever it is given.
                out.append("syslog: protocol.tcp.host empty (\"need to specify the host using the `host:port` syntax\")")
            }
            guard build.extendedFilterOperators != false else { break }
            for filter in item["syslog_filters"]?.array ?? [] {
                for condition in filter["conditions"]?.array ?? [] {
                    func field(_ key: String) -> String { condition[key].flatMap { GoConfigValue($0).asText } ?? "" }
                    let op = field("op")
                    // Go's strings.TrimSpace, as the input trims the value before compiling it.
                    let value = String(field("value").drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                    if !Self.filterOperators.contains(op) {
                        out.append("syslog: filter operator '\(op)' is not supported (\"op:[\(op)] is not supported\")")
                    } else if op == "regex" || op == "nregex",
                        case .invalid(let why) = GoRegex.compile(value, angleNamedGroups: build.angleNamedGroups)
                    {
                        out.append("syslog: filter \(op) \(value) is not a Go regular expression (\(why))")
                    }
                }
            }
        default: break
        }
        return out
    }

    /// A value that is set and neither a mapping nor empty text: a list, or a plain value.
    static func isPlainOrList(_ node: YAMLNode) -> Bool {
        switch node {
        case .mapping, .null: false
        case .sequence: true
        case .scalar(let s, _): !s.isEmpty
        }
    }

    /// The kafka input's `ssl` settings that tlscommon refuses when the item is unpacked (TencentBlueKing/beats
    /// `libbeat/common/transport/tlscommon`: `Config` in `config.go`, the `Unpack` methods in `types.go`), so no
    /// task runs for it: an `enabled` go-ucfg cannot read as a boolean (NodeMan's kafka template writes the
    /// platform's `ssl` dict as Python prints it, so a `None` there is the text `None`); a `verification_mode`
    /// other than `full` or `none` (that fork knows no other; empty or null is `full`), or not text; a
    /// `supported_protocols` entry it does not name; and an `ssl` that is no mapping at all.
    static func tlsSettingRefusals(_ item: YAMLNode) -> [String] {
        var out: [String] = []
        // `ssl` is tlscommon's config (a mapping): a plain value or a list there (`{{ item.ssl }}` rendering the
        // platform's `True`) is not convertible, and the input is never built.
        if let node = item["ssl"], Self.isPlainOrList(node) {
            out.append(
                "kafka: ssl \(GoConfigValue(node).shown) is not a mapping of TLS settings (go-ucfg cannot unpack it into the input's ssl config)"
            )
        }
        if let node = item.lookup("ssl.enabled"), GoConfigValue(node).asBool == nil {
            out.append("kafka: ssl.enabled \(GoConfigValue(node).shown) is not a boolean the collector can read")
        }
        if let node = item.lookup("ssl.verification_mode"), !node.isNull {
            switch GoConfigValue(node) {
            case .string(let mode) where ["", "full", "none"].contains(mode): break
            case .string(let mode): out.append("kafka: ssl.verification_mode '\(mode)' is not full or none (\"unknown verification mode\")")
            case let v: out.append("kafka: ssl.verification_mode \(v.shown) is not text (\"verification mode must be an identifier\")")
            }
        }
        if let node = item.lookup("ssl.supported_protocols"), !node.isNull {
            let known = ["SSLv3", "SSLv3.0", "TLSv1", "TLSv1.0", "TLSv1.1", "TLSv1.2"]
            for entry in node.array ?? [node] where !entry.isNull {
                let v = GoConfigValue(entry)
                if let name = v.asText, known.contains(name) { continue }
                out.append(
                    "kafka: ssl.supported_protocols entry \(v.shown) is not one of \(known.joined(separator: ", ")) (\"invalid tls version\")"
                )
            }
        }
        return out
    }

    /// What a kafka item's `ssl` files make its input refuse. The input loads them when it is built (libbeat's
    /// tlscommon, with `ioutil.ReadFile`: a relative path from the collector's working directory `cwd`), and an
    /// error fails the input, so no task runs: a `certificate_authorities` entry, or the `certificate` and `key`
    /// (read only as a pair), that does not exist, is a symlink loop or no regular file, holds no PEM block, or
    /// that the running collector may not read; and a certificate without its key or a key without its
    /// certificate. A `base64://` value is the PEM itself, `ssl.enabled: false` loads nothing, and a file bkdiag
    /// may not look at is not judged. Each refusal names the setting and the file.
    ///
    /// An empty `ssl.enabled:` (a YAML null) leaves TLS on. tlscommon's `Config.Enabled` is a `*bool` and
    /// `IsEnabled()` holds while it is nil (TencentBlueKing/beats `libbeat/common/transport/tlscommon/config.go`).
    /// The sub config is read by libbeat's `common.LoadFile` through go-ucfg's `yaml.NewConfig` (go-yaml v2 gives a
    /// nil value), and go-ucfg v0.7.0, the version bkunifylogbeat's go.mod pins, normalizes a nil to a `cfgNil`
    /// (`merge.go`, `normalizeValue`); unpacking, `reifyGetField` (`reify.go`) returns before touching a field whose
    /// value `isNil`, with no error when the field has no `required` validator. So the kafka input's
    /// `LoadTLSConfig` (its `filebeat/input/kafka/config.go` through `outputs.LoadTLSConfig`) loads the files.
    static func tlsFileRefusals(_ item: YAMLNode, facts: any HostFacts, cwd: String) -> [String] {
        guard item["type"]?.string == "kafka" else { return [] }
        func text(_ node: YAMLNode?) -> String? { node.flatMap { $0.isNull ? nil : GoConfigValue($0).asText } }
        if let node = item.lookup("ssl.enabled"), !node.isNull, GoConfigValue(node).asBool == false { return [] }
        var out: [String] = []
        let certificate = text(item.lookup("ssl.certificate")) ?? ""
        let key = text(item.lookup("ssl.key")) ?? ""
        if certificate.isEmpty != key.isEmpty {
            out.append(
                certificate.isEmpty
                    ? "kafka: ssl.key \(key) without ssl.certificate (the input loads no key without its certificate)"
                    : "kafka: ssl.certificate \(certificate) without ssl.key (the input loads no certificate without its key)")
        }
        // A list, or one value (go-ucfg unpacks a scalar as a list of one).
        let authorities =
            item.lookup("ssl.certificate_authorities").map { node in node.array?.compactMap(text) ?? text(node).map { [$0] } ?? [] } ?? []
        var files = authorities.filter { !$0.isEmpty }.map { ("ssl.certificate_authorities", $0) }
        if !certificate.isEmpty && !key.isEmpty { files += [("ssl.certificate", certificate), ("ssl.key", key)] }
        for (setting, path) in files where !path.hasPrefix("base64://") {
            let certificates = setting == "ssl.certificate_authorities"
            if let why = tlsFileProblem(PathText.resolve(path, from: cwd), certificates: certificates, facts: facts) {
                out.append("kafka: \(setting) \(path) \(why) (the input cannot load it)")
            }
        }
        return out
    }

    /// Why the kafka input cannot load the PEM file at `path`; nil when it can, or bkdiag cannot tell. A CA file
    /// (`certificates`) must hold a CERTIFICATE block: `x509.CertPool.AppendCertsFromPEM` takes no other.
    private static func tlsFileProblem(_ path: String, certificates: Bool, facts: any HostFacts) -> String? {
        let st: FileStat
        switch facts.stat(path) {
        case .success(let s): st = s
        case .failure(let e):
            if e.isMissing { return "does not exist" }
            if e.isSymlinkLoop { return "is a symlink loop" }
            return nil
        }
        guard st.isRegular else { return "is a \(st.kind), not a regular file" }
        if let why = facts.collectorDenied([path], patterns: [])[path] { return "may not be read by the collector (\(why))" }
        // ReadPEMFile takes PEM blocks only: a file without one ("no pem file", "no PEM blocks") loads nothing.
        // Go's pem.Decode finds a block only where `-----BEGIN ` starts the file or a line (after spaces it is none).
        guard case .success(let f) = facts.readFile(path, limit: 1 << 20), !f.truncated else { return nil }
        func startsLine(_ text: String) -> Bool {
            f.bytes.starts(with: Array(text.utf8)) || f.bytes.firstRange(of: Array(("\n" + text).utf8)) != nil
        }
        if !startsLine("-----BEGIN ") { return f.bytes.isEmpty ? "is empty (no PEM block)" : "holds no PEM block" }
        if certificates && !startsLine("-----BEGIN CERTIFICATE-----") { return "holds no CERTIFICATE PEM block (not a CA certificate)" }
        return nil
    }

    /// A duration in seconds as Go prints a whole number of hours or seconds (`168h0m0s` shortened to `168h`).
    static func durationText(_ seconds: Double) -> String {
        seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int64(seconds / 3600))h" : "\(Int64(seconds))s"
    }

    /// What bkunifylogbeat's `log` input refuses in an item, beyond `exclude_files`: its own check of the
    /// durations (`config/input/log.go`, which always sets `clean_inactive`), then the fork of filebeat's
    /// log input config (`filebeat/input/log/config.go`: `Validate` and the fields' `validate` tags) and
    /// the multiline reader's. Only values written in the item are judged; items of another `type`
    /// (syslog, kafka, redis_slowlog, winlog) are not log inputs.
    static func logInputRefusals(_ item: YAMLNode, build: CollectorBuild) -> [String] {
        guard (item["type"]?.string ?? "log") == "log" else { return [] }
        var out: [String] = []
        let paths = item["paths"]
        if paths == nil || paths?.isNull == true || paths?.array?.isEmpty == true {
            out.append("no paths (the log input refuses an item without paths)")
        }
        /// A duration written in the item, in seconds, as go-ucfg converts it (nil inside when it cannot:
        /// `typeRefusals` names those).
        func written(_ key: String) -> Double?? {
            guard let node = item.lookup(key) else { return .none }
            let v = GoConfigValue(node)
            // A null keeps the field's default: go-ucfg sets nothing. The item's key is present, so
            // bkunifylogbeat adds none of its own, and filebeat's default ignore_older is 0.
            if v == .null { return key == "ignore_older" ? .some(0) : .none }
            // The value the field holds (an integer past 2^63 ns wraps, a float rounds to whole nanoseconds).
            return .some(v.asHeldDuration)
        }
        let scan = written("scan_frequency")
        if case .some(.some(let v)) = scan, v <= 0 {
            out.append("scan_frequency \(item.lookup("scan_frequency").map { GoConfigValue($0).shown } ?? "") is not above zero")
        }
        let ignore = written("ignore_older")
        if case .some(.some(let v)) = ignore, v == 0 {
            out.append("ignore_older is 0, but the collector always sets clean_inactive, which needs ignore_older")
        }
        if case .some(.some(let clean)) = written("clean_inactive") {
            // bkunifylogbeat raises a clean_inactive below ignore_older + scan_frequency to that plus an hour
            // by itself (its scan_frequency 0 when unset); filebeat then refuses one not above ignore_older + its
            // own scan_frequency (10s when unset): `clean_inactive must be > ignore_older + scan_frequency`. With
            // ignore_older unset, bkunifylogbeat fills in its default, and its check assumes one that is not
            // always the same (`CollectorBuild.ignoreOlderDefaults`): not judged where the build does not tell.
            let scanWritten: Double?
            if case .some(.some(let v)) = scan { scanWritten = v } else { scanWritten = nil }
            let older: (check: Double, filled: Double)?
            if case .some(.some(let v)) = ignore {
                older = (v, v)
            } else if case .none = ignore, let d = build.ignoreOlderDefaults {
                older = (d.check, d.filled)
            } else {
                older = nil
            }
            if clean < 0 {
                out.append("clean_inactive is negative")
            } else if let older, clean > 0 {
                let floor = older.check + (scanWritten ?? 0)
                let held = clean < floor ? floor + 3600 : clean
                if held <= older.filled + (scanWritten ?? 10) {
                    if case .none = ignore {
                        let how =
                            older.check == older.filled
                            ? "its default \(Self.durationText(older.filled)) applies"
                            : "this collector fills in \(Self.durationText(older.filled)) but checks clean_inactive against \(Self.durationText(older.check))"
                                + (held == clean ? "" : " (raising it to \(Self.durationText(held)))")
                        out.append(
                            "clean_inactive is not above ignore_older + scan_frequency: the item writes no ignore_older, and \(how) (bkunifylogbeat \(build.version ?? "")); write an ignore_older below clean_inactive - scan_frequency"
                        )
                    } else {
                        out.append("clean_inactive is not above ignore_older + scan_frequency")
                    }
                }
            }
        }
        /// An integer written in the item as go-ucfg converts it; nil when absent, unconvertible (`typeRefusals`
        /// names those) or null (the field keeps its default, which no validator then sees).
        func writtenInt(_ key: String) -> Int64? {
            guard let node = item.lookup(key) else { return nil }
            let v = GoConfigValue(node)
            return v == .null ? nil : v.asInt
        }
        if let v = writtenInt("max_bytes"), v <= 0 {
            out.append("max_bytes \(v) is not above zero")
        }
        // The fields' other `validate` tags (filebeat's LogConfig, the multiline reader's `positive` timeout).
        for (key, zeroRefused) in [("backoff", true), ("max_backoff", true), ("close_timeout", false), ("multiline.timeout", false)] {
            if case .some(.some(let v)) = written(key), v < 0 || (zeroRefused && v == 0) {
                out.append(
                    "\(key) \(item.lookup(key).map { GoConfigValue($0).shown } ?? "") is \(zeroRefused ? "not above zero" : "negative")")
            }
        }
        if let v = writtenInt("backoff_factor"), v < 1 {
            out.append("backoff_factor \(v) is below 1")
        }
        // Multiline, written nested or as flat `multiline.*` keys (the template's form).
        let keys: [String]
        if case .mapping(let m) = item { keys = m.map(\.0) } else { keys = [] }
        if keys.contains(where: { $0 == "multiline" || $0.hasPrefix("multiline.") }), item.lookup("multiline")?.isNull != true {
            if let p = item.lookup("multiline.pattern"), let text = p.string {
                if case .invalid(let why) = GoRegex.compile(text, angleNamedGroups: build.angleNamedGroups) {
                    out.append("multiline.pattern \(text) is not a Go regular expression (\(why))")
                }
            } else {
                out.append("multiline.pattern is missing")
            }
            let match = item.lookup("multiline.match")?.string
            if match != "after" && match != "before" {
                out.append(match.map { "multiline.match \($0) is neither after nor before" } ?? "multiline.match is missing")
            }
        }
        // bk-log offers only names the collector knows; a hand-written or API-given one (`cp936`, `latin-1`,
        // `utf8mb4`, an unquoted `yes` that YAML makes `true`) is looked up only when a harvester starts.
        if let node = item.lookup("encoding"), let name = GoConfigValue(node).asText, !CollectorEncoding.isKnown(name) {
            out.append(
                "encoding \(GoConfigValue(node).shown) is not one the collector knows (each of its files fails to open: unknown encoding)")
        }
        for key in ["include_lines", "exclude_lines"] {
            guard let node = item.lookup(key), !node.isNull else { continue }
            for e in node.array?.compactMap(\.string) ?? node.string.map({ [$0] }) ?? [] {
                if case .invalid(let why) = GoRegex.compile(e, angleNamedGroups: build.angleNamedGroups) {
                    out.append("\(key) \(e) is not a Go regular expression (\(why))")
                }
            }
        }
        return out
    }

    /// The collector's `harvester_limit` when an item does not set one (bkunifylogbeat `config/input/log.go`).
    static let defaultHarvesterLimit = 1000

    /// One `local:` item: its data id, the paths it names, its file rules and its harvester limit.
    struct Item {
        var dataid: Int64?
        var paths: [String]
        var rules: CollectorFileRules
        var harvesterLimit: Int
        /// `tail_files`: a new input's first scan starts a file it has no state for at its end (the
        /// collector's default and NodeMan's template: true; written null, filebeat's false). False too where
        /// the build's first scan passes nothing over (`CollectorBuild.tailFilesPassesOver`).
        var tailFiles: Bool = true
        /// A syslog item's server: the protocol and address its input binds.
        var listen: NetworkListen?
        /// `scan_frequency` in seconds when the item sets it above zero, and `close_inactive` as the collector
        /// holds it when the item sets it (`heldCloseInactive`: never above 5 minutes). NodeMan's template
        /// writes both: 10 s and 120 s unless the platform gives others.
        var scanSeconds: Double? = nil
        var closeInactiveSeconds: Double? = nil
        /// How long after its last update the collector keeps a file's registry state (`heldCleanInactive`);
        /// nil for an item of another type.
        var cleanInactiveSeconds: Double? = nil
        /// The input's `type` (`log` when none is written: kafka, redis and syslog items name theirs).
        var inputType = "log"

        /// Whether the collector runs a task for it that reads its files.
        var accepted: Bool { rules.refusals.isEmpty }
    }

    /// The server a syslog item's input runs: `protocol.<tcp|udp>.host` (one namespace, or none known), its port
    /// names looked up in `services`.
    static func listen(
        _ item: YAMLNode, dataid: Int64?, source: String? = nil, services: GoListenAddress.Services = .builtin
    ) -> NetworkListen? {
        guard item["type"]?.string == "syslog" else { return nil }
        for proto in ["udp", "tcp"] {
            guard let host = item.lookup("protocol.\(proto).host").flatMap({ GoConfigValue($0).asText }) else { continue }
            return NetworkListen(proto: proto, host: host, dataid: dataid, source: source, services: services)
        }
        return nil
    }

    /// Go's port names on the host: its `/etc/services` (under the host root) over Go's built-in table.
    static func goServices(_ facts: any HostFacts) -> GoListenAddress.Services {
        let read = facts.readFile(PathText.onHost(facts.options.hostRoot, "/etc/services"), limit: 4 << 20)
        return GoListenAddress.Services(servicesFile: (try? read.get()).map(\.bytes))
    }

    /// The port names a server of `item` is resolved with: the host's (`goServices`) for a syslog item, which
    /// alone has a server; Go's built-in table, nothing read, for any other.
    static func services(for item: YAMLNode, _ facts: any HostFacts) -> GoListenAddress.Services {
        item["type"]?.string == "syslog" ? goServices(facts) : .builtin
    }

    /// What `item`'s input refuses once the host is looked at, beyond what its text alone says: a kafka item's
    /// `ssl` files (`tlsFileRefusals`, relative to `cwd`) and a syslog item's server address (`listenRefusals`,
    /// its port names from `services`).
    static func hostRefusals(_ item: YAMLNode, facts: any HostFacts, cwd: String, services: GoListenAddress.Services) -> [String] {
        tlsFileRefusals(item, facts: facts, cwd: cwd) + listenRefusals(item, services: services)
    }

    /// What Go refuses in a syslog item's server address (`GoListenAddress`): its server's `Start` fails at every
    /// run of the input (filebeat's runner calls it again each `scan_frequency`, logging "Error starting the
    /// server"), so nothing is ever received. Port names are looked up in `services`.
    static func listenRefusals(_ item: YAMLNode, services: GoListenAddress.Services) -> [String] {
        guard let l = listen(item, dataid: nil, services: services), case .refused(let why) = l.resolution else { return [] }
        let cause =
            why.hasSuffix("unknown port")
            ? "no such service for \(l.proto) in /etc/services or Go's own table"
            : why.hasSuffix("invalid port") ? "a port is 0 to 65535" : "Go takes `host:port`, an IPv6 host in brackets"
        return [
            "syslog: protocol.\(l.proto).host '\(l.host)' is refused by Go's net package (\"\(why)\": \(cause)): the input never listens"
        ]
    }

    /// The item whose rules apply to a log path: of the items naming `pattern`, one the collector takes,
    /// else the first; nil when none names it (the collector's defaults then).
    static func item(naming pattern: String, in items: [Item]) -> Item? {
        // As written, or the same path spelt another way (`//`, `/./`): Go's glob finds the same files.
        let normal = PathText.normalize(pattern)
        let naming = items.filter { $0.paths.contains(pattern) || $0.paths.contains { PathText.normalize($0) == normal } }
        return naming.first(where: \.accepted) ?? naming.first
    }

    /// The rules of every item of `subscription`'s config files in every `multi_config` directory, with
    /// the paths each names. Files that cannot be read or parsed give nothing here; the config check
    /// reports them.
    static func items(subscription: Int64, facts: any HostFacts) -> [Item] {
        items(facts: facts, where: { $0 == subscription }).map(\.item)
    }

    /// The same for the subscriptions `keep` accepts, each item with its subscription id.
    static func items(facts: any HostFacts, where keep: (Int64) -> Bool) -> [(subscription: Int64, item: Item)] {
        allItems(facts).filter { keep($0.subscription) }
    }

    /// Every subscription's items, in the configs' order: built once per run on the live host (logpath_match,
    /// logpath_held, bkunifylogbeat/config and the progress targets all ask, and on a host of 3,000 subscription
    /// configs each build was YAML lookups and `exclude_files` compiled 3,000 times); built at each call on facts a
    /// test sets.
    static func allItems(_ facts: any HostFacts) -> [(subscription: Int64, item: Item)] {
        guard let live = facts as? LiveHostFacts else { return buildItems(facts) }
        return live.subscriptionItems { buildItems($0) }
    }

    private static func buildItems(_ facts: any HostFacts) -> [(subscription: Int64, item: Item)] {
        let build = CollectorBuild(facts.collectorBuild)
        // The collector makes a relative pattern absolute against its working directory.
        let cwd = facts.collectorWorkingDirectory
        return SubscriptionConfigCheck.parsedConfigs(facts, where: { _ in true }).flatMap { name, parsed, yaml in
            SubscriptionConfigCheck.items(yaml).enumerated().map { i, item in
                (parsed.subscriptionID, Item(item, source: "\(name) item \(i)", build: build, cwd: cwd, facts: facts))
            }
        }
    }

    /// How the collector takes a subscription's config files (`configStates`).
    struct ConfigStates {
        /// Whether the subscription has a config file at all.
        var any = false
        /// Whether one gives the collector tasks.
        var loaded = false
        /// The ones whose items bkdiag cannot read (unreadable, or past its reader's bounds), with why.
        var unread: [String] = []
        /// The ones the collector skips whole, with why.
        var refused: [(config: String, why: String)] = []

        /// Rules for a path no item the collector takes names, while a config of the subscription is one the
        /// collector skips whole: the path is not collected for the subscription (it was most likely that
        /// config's), so the rules refuse it. Nil when no config is skipped, or one cannot be read (its items,
        /// which may name the path, are not known).
        var unloadedRules: CollectorFileRules? {
            guard unread.isEmpty, let first = refused.first else { return nil }
            var rules = CollectorFileRules.defaults
            rules.source = first.config
            rules.refusals = ["\(first.why): the collector skips it, and no config it loads names the path"]
            return rules
        }
    }

    /// How the collector takes `subscription`'s config files; one is skipped whole for a name `multi_config`'s
    /// file_pattern does not load, YAML go-yaml refuses, or no `local` list (`GetTasks` logs "Error reading
    /// config file" and goes on).
    static func configStates(subscription: Int64, facts: any HostFacts) -> ConfigStates {
        var states = ConfigStates()
        guard subscription != 0 else { return states }
        for f in facts.subscriptionConfigs.files where SubscriptionConfigName.parse(f.name)?.subscriptionID == subscription {
            states.any = true
            guard f.dir.loads(f.name) else {
                states.refused.append((f.shown, "its name does not match multi_config's file_pattern \(f.dir.filePattern ?? "")"))
                continue
            }
            let read = facts.subscriptionConfig(f)
            if case .unreadable(let e) = read.content, e.isMissing || e.errno == EISDIR || e.errno == ELOOP {
                // A dangling symlink, a directory or a symlink loop under a config's name: the collector's load of it
                // fails as bkdiag's read did (it is root), so it runs nothing of it: refused, not "not read".
                states.refused.append((f.shown, "the collector cannot load it (\(e.description))"))
            } else if let why = read.unreadReason {
                states.unread.append("\(f.shown): \(why)")
            } else if case .invalid(let e) = read.content, e.isUnloadableFile {
                // No file to load YAML from (a symlink loop, a FIFO or device): said so, not "not YAML".
                states.refused.append((f.shown, "the collector cannot load it (\(e.problem))"))
            } else if case .invalid(let e) = read.content, e.isKeyClash {
                states.refused.append((f.shown, "the collector's config loader refuses it (\(e.problem))"))
            } else if case .invalid(let e) = read.content {
                states.refused.append((f.shown, "not YAML the collector loads (\(e.description))"))
            } else if let yaml = read.yaml, SubscriptionConfigCheck.items(yaml).isEmpty {
                states.refused.append((f.shown, "no `local` items"))
            } else {
                states.loaded = true
            }
        }
        return states
    }

    /// The items of configs the collector loads (their names match `multi_config`'s file_pattern) whose names
    /// are not NodeMan's `<stem>_sub_<id>_<scope>_<n>.conf` (a config written by hand, `custom.conf`): the
    /// collector runs their tasks as any other, for no subscription. Each with its config's name.
    static func unnamedItems(facts: any HostFacts) -> [(config: String, item: Item)] {
        let build = CollectorBuild(facts.collectorBuild)
        let cwd = facts.collectorWorkingDirectory
        return facts.subscriptionConfigs.files.flatMap { f -> [(config: String, item: Item)] in
            guard f.dir.loads(f.name), SubscriptionConfigName.parse(f.name) == nil, let yaml = facts.subscriptionConfig(f).yaml
            else { return [] }
            return SubscriptionConfigCheck.items(yaml).enumerated().map { i, item in
                (f.shown, Item(item, source: "\(PathText.shown(f.shown)) item \(i)", build: build, cwd: cwd, facts: facts))
            }
        }
    }

    /// Whether the collector skips `path`: nil when that cannot be told (an expression not judged
    /// here, or one glibc cannot judge on this path), unless another expression surely excludes it.
    func isExcluded(_ path: String) -> Bool? {
        var unsure = undecidable
        for m in matchers {
            switch m {
            case .suffix(let s):
                if path.hasSuffixBytes(s) { return true }
            case .anyThenSuffix(let s):
                if path.hasSuffixBytes(s), let before = path.utf8.dropLast(s.utf8.count).last, before != 0x0A { return true }
            case .regex(let r):
                switch r.matches(path) {
                case true?: return true
                case nil: unsure = true
                case false?: break
                }
            }
        }
        return unsure ? nil : false
    }

    /// Whether a file last modified at `mtime` (seconds) is too old to be opened at `now`.
    func isIgnored(mtime: Int64, now: Int64) -> Bool {
        guard let limit = ignoreOlder else { return false }
        let (age, overflow) = now.subtractingReportingOverflow(mtime)
        return !overflow && age > limit
    }

    enum Refusal: Error {
        case invalid(String)
        case unsupported(String)
    }

    /// `\.ext$` and `.ext$` (the defaults' form) are suffix tests; anything else is a Go regular
    /// expression judged through `GoRegex`, exactly or not at all.
    private static func matcher(_ expr: String, build: CollectorBuild) -> Result<Matcher, Refusal> {
        let scalars = Array(expr.unicodeScalars)
        func ext(from k: Int) -> String? {
            guard scalars.count > k + 1, scalars.last == "$" else { return nil }
            let body = scalars[k..<(scalars.count - 1)]
            guard body.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else { return nil }
            return String(String.UnicodeScalarView(body))
        }
        if scalars.count > 2, scalars[0] == "\\", scalars[1] == ".", let e = ext(from: 2) { return .success(.suffix("." + e)) }
        if scalars.count > 1, scalars[0] == ".", let e = ext(from: 1) { return .success(.anyThenSuffix(e)) }
        switch GoRegex.compile(expr, angleNamedGroups: build.angleNamedGroups) {
        case .usable(let r): return .success(.regex(r))
        case .invalid(let why): return .failure(.invalid(why))
        case .unsupported(let why): return .failure(.unsupported(why))
        }
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

extension String {
    /// Whether the UTF-8 bytes end with `suffix`'s (byte equality, as Go compares paths; `hasSuffix`
    /// compares characters, so an accent combining with the byte before would fail it).
    fileprivate func hasSuffixBytes(_ suffix: String) -> Bool {
        let a = utf8, b = suffix.utf8
        guard a.count >= b.count else { return false }
        return a.suffix(b.count).elementsEqual(b)
    }
}

extension CollectorFileRules.Item {
    /// A config item as the collector runs it: relative paths made absolute against its working directory
    /// `cwd`, its rules read for `build`, with what the files it loads (a kafka item's `ssl`) on `facts`' host refuse.
    init(_ item: SubscriptionConfigCheck.Item, source: String, build: CollectorBuild, cwd: String, facts: any HostFacts) {
        var rules = CollectorFileRules(item: item.node, source: source, build: build)
        let services = CollectorFileRules.services(for: item.node, facts)
        rules.refusals += CollectorFileRules.hostRefusals(item.node, facts: facts, cwd: cwd, services: services)
        self.init(
            dataid: item.dataid, paths: item.paths.map { PathText.resolve($0, from: cwd) },
            rules: rules,
            harvesterLimit: item.node.lookup("harvester_limit").flatMap { GoConfigValue($0).asUInt }.map { Int(clamping: $0) }
                ?? CollectorFileRules.defaultHarvesterLimit,
            tailFiles: (item.node.lookup("tail_files").map { GoConfigValue($0).asBool ?? true } ?? true)
                && build.tailFilesPassesOver != false,
            listen: CollectorFileRules.listen(item.node, dataid: item.dataid, source: source, services: services),
            scanSeconds: Self.positiveDuration(item.node, "scan_frequency"),
            closeInactiveSeconds: Self.heldCloseInactive(item.node))
        inputType = item.node["type"]?.string ?? "log"
        if inputType == "log" { cleanInactiveSeconds = Self.heldCleanInactive(item.node, build: build) }
    }

    /// The `clean_inactive` bkunifylogbeat gives a log item (`config/input/log.go`), from which the fork's
    /// harvester sets its file's state's TTL (`reader.go` `AddForwarder`); the registrar drops a finished state
    /// that long after its last update (`States.Cleanup`, bkunifylogbeat `registrar.go` `gcStates`). Computed
    /// with the item's `ignore_older` and `scan_frequency` (0 when none): a written value above 0 but below their
    /// sum is raised to it plus an hour; none (or 0) is their sum plus 180 days. With no `ignore_older` written,
    /// that function's own default, which `build` tells (`CollectorBuild.ignoreOlderDefaults`: 168h before
    /// 7.7.2-rc.76, 24h since); where it does not, the shortest, 24h (every build keeps a state at least that
    /// long, so one missing past it is not taken for a file never collected). Nil when a value it needs is not a
    /// duration the collector holds.
    static func heldCleanInactive(_ node: YAMLNode, build: CollectorBuild = .unknown) -> Double? {
        func written(_ key: String) -> Double?? {
            guard let n = node.lookup(key) else { return .some(nil) }
            let v = GoConfigValue(n)
            if v == .null { return .some(nil) }
            guard let d = v.asHeldDuration else { return nil }
            return .some(d)
        }
        guard case .some(let ignore) = written("ignore_older"), case .some(let scan) = written("scan_frequency"),
            case .some(let clean) = written("clean_inactive")
        else { return nil }
        let floor = (ignore ?? build.ignoreOlderDefaults?.check ?? 24 * 3600) + (scan ?? 0)
        if let clean, clean > 0 { return clean < floor ? floor + 3600 : clean }
        return floor + 180 * 86400
    }

    /// The longest `close_inactive` bkunifylogbeat lets a log item keep (`config/input/log.go`: a longer one
    /// is set back to 5 minutes before filebeat sees it; bk-log's field has no maximum and NodeMan's template
    /// renders it as given).
    static let closeInactiveCap: Double = 300

    /// The `close_inactive` a log item's harvesters close by, when the item writes one: what it writes, set
    /// back to `closeInactiveCap` above it (bkunifylogbeat's `config/input/log.go`), and 0 at most below zero
    /// (the harvester then closes at its first end of file: filebeat's `age > CloseInactive`). A null keeps
    /// the filebeat fork's default, 5 minutes. Nil when not written (bkunifylogbeat's default applies) or not
    /// a duration the collector holds.
    static func heldCloseInactive(_ node: YAMLNode) -> Double? {
        guard let n = node.lookup("close_inactive") else { return nil }
        let v = GoConfigValue(n)
        if v == .null { return closeInactiveCap }
        guard let seconds = v.asHeldDuration else { return nil }
        return max(0, min(seconds, closeInactiveCap))
    }

    /// An item's duration setting as the collector holds it, when it is above zero.
    static func positiveDuration(_ node: YAMLNode, _ key: String) -> Double? {
        guard let n = node.lookup(key), let v = GoConfigValue(n).asHeldDuration, v > 0 else { return nil }
        return v
    }
}
