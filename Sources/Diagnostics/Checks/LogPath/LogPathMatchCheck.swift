import HostProbe
import Report

/// log_path/logpath_match: every comma-separated pattern matches at least one file the collector
/// reads (no shell): a regular file (not a directory, FIFO, socket or device), not excluded by
/// `exclude_files`; and some of them are recent enough for `ignore_older`. Only a permission error
/// makes a pattern `unknown`; a symlink loop or an over-long name fails it with that reason.
struct LogPathMatchCheck: Check {
    let id = CheckID.logpathMatch

    /// Why the subscription's item rules cannot be known: a config directory or one of its files that
    /// bkdiag may not read (not running as root). Nil when everything could be read.
    static func unreadableRules(_ facts: any HostFacts) -> String? {
        let listing = facts.subscriptionConfigs
        if let (dir, error) = listing.errors.first(where: { $0.1.isPermission }) { return "\(dir.path): \(error.description)" }
        let sub = facts.options.subscriptionID
        for f in listing.files where SubscriptionConfigName.parse(f.name)?.subscriptionID == sub {
            if case .unreadable(let error) = facts.subscriptionConfig(f).content, error.isPermission {
                return "\(f.shown): \(error.description)"
            }
        }
        return nil
    }

    func run(_ facts: any HostFacts) -> Finding {
        let patterns = facts.options.logPaths
        if patterns.isEmpty {
            return .fail("日志采集路径为空", hint: "采集项未配置日志路径：在日志平台的采集配置中填写至少一个路径")
        }
        let items = CollectorFileRules.items(subscription: facts.options.subscriptionID, facts: facts)
        // The subscription's configs all refused by the collector (not YAML it loads): no path is collected for it.
        let unloaded = CollectorFileRules.configStates(subscription: facts.options.subscriptionID, facts: facts).unloadedRules
        // A subscription config bkdiag may not read could set the rules of any path: its files are not judged.
        let rulesUnreadable = Self.unreadableRules(facts)
        var unjudged: [String] = []
        let now = facts.nowMilliseconds / 1000
        var unmatched: [String] = []
        var onlyExcluded: [String] = []
        /// Per pattern whose every file the collector would read it may not open: why, for the first.
        var deniedAll: [(pattern: String, why: String)] = []
        /// Per pattern whose every file the rules exclude: how many, and by whose rules.
        var excludedAll: [(pattern: String, files: Int, rules: CollectorFileRules)] = []
        var excludedFiles: [String] = []
        var undecidedFiles: [String] = []
        var undecided: [String] = []
        /// Per pattern cut short at the expansion's limit whose files seen are none the collector reads: why.
        var truncatedUnmatched: [(pattern: String, why: String)] = []
        var stale: [String] = []
        var rulesUsed: [(String, JSONValue)] = []
        var unusable: [String] = []
        var bad: [String] = []
        var multipleDoubleStar = false
        var matches: [String] = []
        // Files a pattern matches beside others that the running collector may not open: left out of the matches.
        var deniedSome: [String] = []
        var deniedSeen = Set<String>()
        var perPattern: [(String, JSONValue)] = []
        var unreadable: [String] = []
        var unreadableUnmatched: [String] = []
        var noFiles: [String] = []
        var notRegular: [String] = []
        var reasons: [String] = []
        var refused: [String] = []
        var refusals: [String] = []
        var truncated = false
        /// Per pattern with glob metacharacters whose own text names a regular file its glob does not match
        /// (`app[1].log`: Go's `[1]` is a class that matches `app1.log`): that file, which the collector never reads.
        var literalMissed: [(pattern: String, file: String)] = []
        for (pattern, result) in zip(patterns, facts.logExpansions) {
            switch result {
            case .success(let e):
                // The rules of the subscription item that names this path (one the collector takes, when
                // several do), else the collector's defaults.
                let item = CollectorFileRules.item(naming: facts.askedPattern(pattern), in: items)
                let rules = item?.rules ?? unloaded ?? .defaults
                rulesUsed.append((pattern, .string(rules.source)))
                if !rules.refusals.isEmpty {
                    // The collector starts no task for the item: nothing under the path is read.
                    refused.append(pattern)
                    refusals += rules.refusals.map { "\(rules.source): \($0)" }
                    perPattern.append((pattern, .string("not collected: the collector refuses \(rules.source)")))
                    continue
                }
                unusable += rules.unusable
                // A `[`, `]` or `\` meant literally: the glob reads it as a class or an escape, so the file the
                // text names is not among its matches (a `*` or `?` matches its own character, so no other does this).
                let asked = facts.askedPattern(pattern)
                if !Glob.isLiteral(asked), !e.matches.contains(asked), case .success(let st) = facts.stat(asked), st.isRegular {
                    literalMissed.append((pattern, asked))
                }
                // The collector follows a symlink and reads only regular files: it skips directories
                // (it does not recurse), FIFOs, sockets and devices (stat'ed, never opened: a FIFO
                // would block), dangling links (rotated away) and links that loop. A match that cannot
                // be stat'ed for want of permission is kept: it may well be a file, of unknown age.
                var files = 0
                let undecidedBefore = undecidedFiles.count
                let rulesUnknown = item == nil && rulesUnreadable != nil
                var collected: [String] = []
                var fresh: [String] = []
                var failures = e.failures
                for m in e.matches {
                    var mtime: Int64?
                    switch facts.stat(m) {
                    case .success(let st):
                        guard st.isRegular else {
                            if !st.isDirectory { notRegular.append("\(m) (\(st.kind))") }
                            continue
                        }
                        mtime = st.mtime
                    case .failure(let error):
                        if error.isMissing { continue }
                        if !error.isPermission {
                            if !failures.contains(error) { failures.append(error) }
                            continue
                        }
                    }
                    files += 1
                    if rulesUnknown { continue }
                    switch rules.isExcluded(m) {
                    case true?:
                        excludedFiles.append(m)
                        continue
                    case nil:
                        // An exclude expression not judged here might skip it: neither counted nor ruled out.
                        undecidedFiles.append(m)
                        continue
                    case false?:
                        break
                    }
                    collected.append(m)
                    if let t = mtime, rules.isIgnored(mtime: t, now: now) { continue }
                    fresh.append(m)
                }
                // Files the running collector may not open (not root, the mode bits refuse it) are not read either.
                // (Found by the config's patterns, which the collector globs, not by -l's.)
                let denied = facts.collectorDenied(collected, patterns: (item?.paths ?? []).map(facts.collectorPattern))
                if !denied.isEmpty {
                    // Cut short at the expansion's limit, the paths past it were never looked at: one of them may
                    // be a file the collector opens.
                    if denied.count == collected.count && e.truncated {
                        truncatedUnmatched.append((pattern, "采集器无权打开"))
                        perPattern.append(
                            (pattern, .string("not judged: every file looked at may not be opened, the rest were not looked at")))
                        truncated = true
                        continue
                    }
                    if denied.count == collected.count, let first = collected.first, let why = denied[first] {
                        deniedAll.append((pattern, why))
                        perPattern.append((pattern, .string("not collected: \(why)")))
                        continue
                    }
                    deniedSome += collected.filter { denied[$0] != nil && deniedSeen.insert($0).inserted }
                    collected.removeAll { denied[$0] != nil }
                    fresh.removeAll { denied[$0] != nil }
                }
                if rulesUnknown && files > 0 {
                    // Which of them the collector reads is the unreadable item's to say.
                    unjudged.append(pattern)
                    perPattern.append((pattern, .string("not judged: the subscription config cannot be read")))
                    continue
                }
                if collected.isEmpty && undecidedFiles.count > undecidedBefore {
                    // What it matched may or may not be collected: not "no match", not a pass.
                    undecided.append(pattern)
                } else if collected.isEmpty && e.truncated {
                    // Cut short at the expansion's limit: the paths past it were never looked at.
                    truncatedUnmatched.append((pattern, excludedFiles.isEmpty ? "目录或非普通文件" : "被 exclude_files 排除"))
                } else if fresh.isEmpty && e.truncated {
                    // Every file looked at is past ignore_older; one past the limit may not be.
                    truncatedUnmatched.append((pattern, "超过 ignore_older 未更新"))
                } else if collected.isEmpty {
                    unmatched.append(pattern)
                    // Only "could not look" makes a missing match unknown; a real error is the answer.
                    if failures.isEmpty && !e.unreadable.isEmpty { unreadableUnmatched.append(pattern) }
                    reasons += failures.map { "\(pattern): \($0.reason) (\($0.call) \($0.path))" }
                }
                if files == 0 && !e.matches.isEmpty { noFiles.append(pattern) }
                if collected.isEmpty && files > 0 {
                    onlyExcluded.append(pattern)
                    if !e.truncated && undecidedFiles.count == undecidedBefore { excludedAll.append((pattern, files, rules)) }
                }
                if !collected.isEmpty && fresh.isEmpty && !e.truncated { stale.append(pattern) }
                matches += collected
                truncated = truncated || e.truncated
                unreadable += e.unreadable
                perPattern.append((pattern, .int(Int64(collected.count))))
            case .failure(let err):
                bad.append(pattern)
                multipleDoubleStar = multipleDoubleStar || err.reason == .multipleDoubleStar
                perPattern.append((pattern, .string(err.description)))
            }
        }
        var evidence: [(String, JSONValue)] = [
            ("patterns", .object(perPattern)),
            ("matched", .int(Int64(matches.count))),
            ("first_matches", JSONValue(Array(matches.prefix(10)))),
        ]
        if truncated { evidence.append(("truncated", .bool(true))) }
        if !unreadable.isEmpty { evidence.append(("unreadable_dirs", JSONValue(Array(Set(unreadable)).sorted()))) }
        if !noFiles.isEmpty { evidence.append(("matched_no_files", JSONValue(noFiles))) }
        if !notRegular.isEmpty { evidence.append(("not_regular_files", JSONValue(Array(notRegular.prefix(10))))) }
        if !reasons.isEmpty { evidence.append(("errors", JSONValue(reasons))) }
        evidence.append(("rules", .object(rulesUsed)))
        if !excludedFiles.isEmpty {
            evidence.append(("excluded", .int(Int64(excludedFiles.count))))
            evidence.append(("first_excluded", JSONValue(Array(excludedFiles.prefix(10)))))
        }
        if !undecidedFiles.isEmpty {
            evidence.append(("not_judged", .int(Int64(undecidedFiles.count))))
            evidence.append(("first_not_judged", JSONValue(Array(undecidedFiles.prefix(10)))))
        }
        if !stale.isEmpty { evidence.append(("all_older_than_ignore_older", JSONValue(stale))) }
        if !unusable.isEmpty { evidence.append(("unusable_settings", JSONValue(Array(Set(unusable)).sorted()))) }
        // Another of the paths may collect the file the text names (`app[1].log` beside `*.log`): then it is read.
        literalMissed.removeAll { matches.contains($0.file) }
        if !literalMissed.isEmpty {
            evidence.append(("literal_not_matched", .object(literalMissed.map { ($0.pattern, .string($0.file)) })))
        }
        /// For people: the file a pattern's text names is not what its glob matches, and how to name it.
        func literalNote(_ x: (pattern: String, file: String)) -> String {
            "\(x.pattern) 中的 [ ]、\\ 是通配符，不按字面匹配：文件 \(x.file) 不会被采集"
        }
        let literalHint =
            "采集器按 Go 的 filepath.Glob 解释路径：[1] 是字符类，只匹配字符 1（app[1].log 匹配 app1.log），\\ 转义下一个字符；"
            + "要按字面采集这些文件，在日志平台把路径中的 [ ] \\ * ? 用 \\ 转义：\(Fmt.list(literalMissed.map { Glob.escaped($0.file) }, max: 3))"
        if !bad.isEmpty {
            return .fail(
                "路径通配符无效: \(Fmt.list(bad))",
                hint: multipleDoubleStar
                    ? "采集器只允许路径中出现一个 ** 层级（最多代表 \(Glob.recursiveDepth) 层目录），含多个 ** 的路径会被采集器拒绝：请只保留一个"
                    : "修正采集路径中的通配符（未闭合的 [ 或结尾的 \\）",
                evidence: evidence)
        }
        if !refused.isEmpty {
            evidence.append(("refused_items", JSONValue(refusals)))
            return .fail(
                "以下路径所在的采集项被采集器拒绝，不会采集: \(Fmt.list(refused))（\(Fmt.list(refusals, max: 2))）",
                hint: "采集器不启动该采集项（见 bkunifylogbeat/config 检查）：在日志平台修正采集项（路径、行首正则、exclude_files、ignore_older 等）并重新下发",
                evidence: evidence)
        }
        if !unmatched.isEmpty {
            if !reasons.isEmpty {
                return .fail(
                    "以下路径无匹配文件: \(Fmt.list(unmatched))（\(Fmt.list(reasons, max: 3))）",
                    hint: "路径上的错误（循环的软链接、超过 255 字节的文件或目录名、I/O 错误）使采集器同样打不开这些文件：按错误原因修正软链接或路径",
                    evidence: evidence)
            }
            if unreadableUnmatched.count == unmatched.count {
                return .unknown(
                    "无法确认以下路径是否有匹配文件（部分目录无权限读取: \(Fmt.list(Array(Set(unreadable)).sorted(), max: 3))）: \(Fmt.list(unmatched))",
                    hint: "以 root 运行 bkdiag，或检查目录权限", evidence: evidence)
            }
            // The reason, where one is known: what the paths matched is no file the collector reads. Paths
            // whose files are all excluded do match: said so, with whose exclude_files skip them (the
            // platform shows the message, not the hint).
            let excluded = excludedAll.filter { unmatched.contains($0.pattern) }
            let literal = literalMissed.filter { unmatched.contains($0.pattern) }
            let none = unmatched.filter { p in !excluded.contains { $0.pattern == p } && !literal.contains { $0.pattern == p } }
            let onlyOthers = noFiles.filter(none.contains)
            var parts: [String] = []
            if !none.isEmpty {
                parts.append(
                    "以下路径无匹配文件: \(Fmt.list(none))"
                        + (onlyOthers.isEmpty ? "" : "（\(Fmt.list(onlyOthers, max: 3)) 只匹配到目录、失效的软链接或非普通文件）"))
            }
            for x in excluded.prefix(3) {
                let whose = x.rules.defaultExcludesApply ? "采集器默认的 exclude_files" : " \(x.rules.source) 的 exclude_files"
                parts.append(
                    "\(x.pattern) 匹配到的 \(x.files) 个文件全部被\(whose) 排除，不会采集（\(Fmt.list(x.rules.excludes, max: 3))）")
            }
            if excluded.count > 3 { parts.append("另有 \(excluded.count - 3) 个路径同样全部被排除") }
            parts += literal.map(literalNote)
            let ownExcludes = excluded.contains { !$0.rules.defaultExcludesApply }
            return .fail(
                parts.joined(separator: "；"),
                hint: !literal.isEmpty
                    ? literalHint
                    : ownExcludes
                        ? "采集项自己的 exclude_files 排除了路径匹配到的全部文件：在日志平台检查该采集项的排除规则是否写得过宽（exclude_files 是对完整路径的正则匹配）"
                        : !noFiles.isEmpty
                            ? "路径只匹配到目录、失效的软链接或非普通文件（FIFO、socket、设备）（\(Fmt.list(noFiles, max: 3))），采集器只读普通文件、不会递归目录：请写到文件，如 <目录>/*.log"
                            : !onlyExcluded.isEmpty
                                ? "路径只匹配到被 exclude_files 排除的文件（\(Fmt.list(onlyExcluded, max: 3))；默认排除以 gz/bz2/tgz/tbz/zip/7z/bak/backup/swp 结尾的文件，如 a.log.gz、mysql_backup），采集器不会读取：请指向未压缩的日志文件"
                                : "确认日志文件确实存在于该路径下；路径区分大小写，* 只匹配单层目录，** 最多匹配 \(Glob.recursiveDepth) 层",
                evidence: evidence)
        }
        if !deniedAll.isEmpty {
            evidence.append(("collector_may_not_open", .object(deniedAll.map { ($0.pattern, .string($0.why)) })))
            return .fail(
                "以下路径的文件采集器无权打开，不会采集: \(Fmt.list(deniedAll.map(\.pattern)))（\(deniedAll[0].why)）",
                hint: "采集器进程的用户没有读取这些日志文件（或进入其所在目录）的权限：放开文件与目录的权限（如 chmod o+r、目录 o+x，或把采集器用户加入文件属组），或以 root 运行采集器",
                evidence: evidence)
        }
        if !unjudged.isEmpty, let why = rulesUnreadable {
            evidence.append(("config_unreadable", .string(why)))
            return .unknown(
                "无法判断以下路径的文件是否被采集（读不到订阅配置 \(why)，其中的 exclude_files、ignore_older 等决定采集哪些文件）: \(Fmt.list(unjudged))",
                hint: "以 root 运行 bkdiag，才能读取订阅配置并判断采集路径", evidence: evidence)
        }
        if !truncatedUnmatched.isEmpty {
            return .unknown(
                "以下路径匹配超过 \(Glob.defaultLimit) 个路径，已检查的都不会被采集（\(Fmt.unique(truncatedUnmatched.map(\.why)).joined(separator: "、"))），其余未检查: \(Fmt.list(truncatedUnmatched.map(\.pattern)))",
                hint: "路径匹配的文件过多（多为轮转后的压缩文件）：把采集路径写得更具体（如 app.log 而不是 *），并清理旧的轮转文件",
                evidence: evidence)
        }
        if !undecided.isEmpty {
            let why = Array(Set(unusable)).sorted()
            return .unknown(
                "无法判断以下路径的文件是否被 exclude_files 排除: \(Fmt.list(undecided))（\(Fmt.list(why, max: 2))）",
                hint: "采集项的 exclude_files 含本工具无法按 Go 正则精确判断的表达式（或 Go 不接受的表达式，采集器会拒绝该采集项）：改写为普通正则，如 \\.gz$",
                evidence: evidence)
        }
        if !literalMissed.isEmpty {
            // What the glob matched is collected; the file the path's text names is not.
            let collected = literalMissed.map { x in
                let got = matches.filter { Glob.matchesLikeCollector(facts.askedPattern(x.pattern), path: $0) }
                return literalNote(x) + (got.isEmpty ? "" : "（采集的是 \(Fmt.list(got.map(PathText.shown), max: 3))）")
            }
            let older = stale.isEmpty ? [] : ["以下路径的文件都超过 ignore_older 未更新，采集器不会打开: \(Fmt.list(stale))"]
            return .warn((collected + older).joined(separator: "；"), hint: literalHint, evidence: evidence)
        }
        if !stale.isEmpty {
            return .warn(
                "以下路径的文件都超过 ignore_older 未更新，采集器不会打开: \(Fmt.list(stale))",
                hint: "采集器忽略长时间未修改的文件（默认 168h）：确认应用仍在写这些文件，或在采集配置中调大 ignore_older",
                evidence: evidence)
        }
        // A pattern cut short at the expansion's limit matched more than the list counts.
        let cut = truncated ? "（匹配超过 \(Glob.defaultLimit) 个路径，只检查了前 \(Glob.defaultLimit) 个）" : ""
        // Names from the host, shown as logpath_held shows them: a newline in a file's name is `\n`, not a line
        // break (the evidence keeps the names as they are).
        // Said, not dropped silently: the collector never reads them (logpath_progress and loss_risk count them).
        var denied = ""
        if !deniedSome.isEmpty {
            denied = "（另有 \(deniedSome.count) 个匹配的文件采集器无权打开，不会被采集: \(Fmt.list(deniedSome.map(PathText.shown), max: 3))）"
            evidence.append(("denied_files", JSONValue(Array(deniedSome.prefix(50)))))
        }
        return .pass("所有路径检查通过: \(Fmt.list(matches.map(PathText.shown)))\(cut)\(denied)", evidence: evidence)
    }
}
