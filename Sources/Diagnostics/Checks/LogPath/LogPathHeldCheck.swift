import HostProbe
import Report

/// log_path/logpath_held: is a matched file already open in a collector process? Read from
/// `/proc/<pid>/fd` (lsof's last-field parsing broke on spaces), and attributed to the
/// subscription whose config lists it.
struct LogPathHeldCheck: Check {
    let id = CheckID.logpathHeld
    /// Held files listed in the evidence, at most.
    static let heldListed = 50

    func run(_ facts: any HostFacts) -> Finding {
        // An fd link names its file by the real path; a match may reach it through a symlink or `.`/`..`.
        var files: [String: String] = [:]  // real path → the path as matched
        // Patterns whose expansion was cut short: a collector's file past the cut is found by matching
        // its path against the pattern itself.
        var cutShort: [String] = []
        for case .success(let e) in facts.logExpansions {
            for m in e.matches {
                let real = facts.realPath(m) ?? m
                if files[real] == nil { files[real] = m }
            }
            if e.truncated { cutShort.append(facts.askedPattern(e.pattern)) }
        }
        // Past the cut, the fd's real path is matched by the pattern, and through a symlinked directory of it.
        let cutPaths = SubscriptionFiles.CollectorPaths(cutShort, facts: facts)
        func matched(_ target: String) -> Bool {
            if files[target] != nil { return true }
            guard let name = cutPaths.openedName(target) else { return false }
            files[target] = name
            return true
        }
        if facts.options.logPaths.isEmpty {
            return .fail("日志采集路径为空", hint: "采集项未配置日志路径")
        }
        let collectors: [ProcessRecord]
        switch facts.processes {
        case .failure(let e): return .unreadable("/proc", e)
        case .success(let all): collectors = all.filter(\.isCollector)
        }
        if files.isEmpty {
            // No file seen is not no file where a directory could not be listed.
            var unlisted: [String] = []
            for case .success(let e) in facts.logExpansions { unlisted += e.unreadable }
            if !unlisted.isEmpty {
                return .unknown(
                    "无法判断文件占用：部分目录无权限读取（\(Fmt.list(Array(Set(unlisted)).sorted(), max: 3))）",
                    hint: "以 root 运行 bkdiag，或检查目录权限", evidence: [("collectors", Fmt.pids(collectors))])
            }
            return .pass("无文件占用冲突（没有匹配的文件）", evidence: [("collectors", Fmt.pids(collectors))])
        }
        var held: [(file: String, pid: Int32)] = []
        var unreadable: [(Int32, ProbeError)] = []
        for p in collectors {
            switch facts.fds(of: p.pid) {
            case .success(let links):
                // A file once per process, however many of its fds hold it (several harvesters of one file).
                var seen = Set<String>()
                for l in links where matched(l.target) && seen.insert(l.target).inserted { held.append((l.target, p.pid)) }
            case .failure(let e):
                if !e.isMissing { unreadable.append((p.pid, e)) }
            }
        }
        var evidence: [(String, JSONValue)] = [("collectors", Fmt.pids(collectors)), ("files_checked", .int(Int64(files.count)))]
        if !cutShort.isEmpty { evidence.append(("matched_by_pattern", JSONValue(cutShort))) }
        if held.isEmpty {
            if let (pid, e) = unreadable.first {
                evidence.append(("unreadable_pid", .int(Int64(pid))))
                return .unknown(
                    "cannot read /proc/\(pid)/fd: \(e.description)", hint: "以 root 运行 bkdiag 才能读取采集器打开的文件", evidence: evidence)
            }
            // Past the cut, a held file is found by the pattern, not through a symlink among the paths not listed.
            let cut =
                cutShort.isEmpty
                ? "" : "（路径匹配超过 \(Glob.defaultLimit) 个，之后的匹配未列出：经其中软链接打开的文件未核对）"
            return .pass("无文件占用冲突" + cut, evidence: evidence)
        }
        let owners = SubscriptionFiles.owners(of: held.flatMap { [$0.file, files[$0.file]!] }, facts: facts)
        // Collectors of another GSE root on the host: what they hold is never this root's subscriptions'.
        let foreign = Set(((try? facts.collectors().get())?.elsewhere ?? []).map(\.pid))
        let me = facts.options.subscriptionID
        var conflicts: [String] = []
        var own: [String] = []
        var shared: [String] = []
        /// Held by a task no config on the host names: a config removed (or its paths changed) and the
        /// collector not reloaded since. Whose it was cannot be told; nobody's config collides with it.
        var stale: [String] = []
        var detail: [JSONValue] = []
        for h in held.sorted(by: { $0.file < $1.file }) {
            // Under both its names (real and as matched): the subscriptions whose accepted items read it, else
            // (a config written and not reloaded yet) every one whose paths name it. This subscription's paths naming
            // it while its item excludes it, or is refused, do not make it a reader beside the one that reads it.
            let names = [h.file, files[h.file]!]
            let accepted = Set(names.flatMap { owners.accepted[$0] ?? [] })
            let named = Set(names.flatMap { owners.named[$0] ?? [] })
            let subs = (accepted.isEmpty ? named : accepted).sorted()
            // Configs the collector loads that NodeMan did not write (no subscription in their names).
            let byHand = Array(Set(names.flatMap { owners.unnamed[$0] ?? [] })).sorted()
            var entry: [(String, JSONValue)] = [
                ("file", .string(h.file)), ("pid", .int(Int64(h.pid))), ("subscriptions", .array(subs.map { .int($0) })),
            ]
            if !byHand.isEmpty { entry.append(("configs_not_from_nodeman", JSONValue(byHand))) }
            detail.append(.object(entry))
            if foreign.contains(h.pid) {
                conflicts.append("\(PathText.shown(h.file)) (pid \(h.pid), a collector of another GSE root)")
                continue
            }
            var whose = subs.isEmpty ? [] : ["subscription \(subs.map(String.init).joined(separator: "/"))"]
            if !byHand.isEmpty { whose.append("config \(Fmt.list(byHand.map(PathText.shown), max: 2)), not from NodeMan") }
            let by = (["pid \(h.pid)"] + whose).joined(separator: ", ")
            if subs.isEmpty && byHand.isEmpty {
                stale.append("\(PathText.shown(h.file)) (\(by))")
            } else if me != 0 && subs == [me] && byHand.isEmpty {
                own.append("\(PathText.shown(h.file)) (\(by))")
            } else if me != 0 && subs.contains(me) {
                // This subscription names it too: not a new config colliding with an old one. The collector
                // (7.5.1 and later) reads a file that several items name once and hands the lines to each.
                shared.append("\(PathText.shown(h.file)) (\(by))")
            } else {
                conflicts.append("\(PathText.shown(h.file)) (\(by))")
            }
        }
        // The report is one line the platform reads whole: a collector holding thousands of matching files
        // lists the first 50 here, and counts them all.
        evidence.append(("held", .array(Array(detail.prefix(Self.heldListed)))))
        if detail.count > Self.heldListed { evidence.append(("held_total", .int(Int64(detail.count)))) }
        // A config bkdiag could not read (too big, nested too deep, not permitted) may be the one naming them;
        // only a name the collector loads (`<path>/*.conf`) is a config (not NodeMan's `bcs` directory).
        let unread = facts.subscriptionConfigs.files.filter { $0.dir.loads($0.name) && facts.subscriptionConfig($0).unreadReason != nil }
            .map(\.shown)
        if conflicts.isEmpty, !stale.isEmpty, !unread.isEmpty {
            evidence.append(("configs_not_read", JSONValue(unread)))
            return .unknown(
                "文件被采集任务占用，但部分订阅配置无法读取，无法判断归属: \(Fmt.list(stale, max: 5))（未读取: \(Fmt.list(unread.map(PathText.shown), max: 3))）",
                hint: "以 root 运行 bkdiag，或人工核对这些订阅配置（超出 bkdiag 读取上限的配置见 bkunifylogbeat/config 检查）", evidence: evidence)
        }
        if conflicts.isEmpty, !stale.isEmpty, owners.cutShort {
            return .unknown(
                "文件被采集任务占用，但配置的路径匹配过多，未能逐一确认是否经软链接指向它: \(Fmt.list(stale, max: 5))",
                hint: "订阅配置的路径匹配了超过 \(SubscriptionFiles.globResolveBudget) 个文件：人工核对哪个采集项经软链接采集这些文件", evidence: evidence)
        }
        if conflicts.isEmpty, !stale.isEmpty {
            return .warn(
                "文件被没有任何配置的采集任务占用: \(Fmt.list(stale, max: 5))（配置已删除或修改，采集器尚未重载）",
                hint: "采集器仍在运行本机已无配置的采集任务：重载或在节点管理中重启 bkunifylogbeat，使其按当前配置采集；若本订阅的配置缺失，先重新下发",
                evidence: evidence)
        }
        if conflicts.isEmpty, !shared.isEmpty {
            return .warn(
                "文件同时被其他订阅采集: \(Fmt.list(shared, max: 5))",
                hint: "本订阅与其他采集项采集同一文件（采集器 7.5.1 起复用同一读取，数据分别上报到各自的 dataid）：确认确实需要重复采集，否则删除重复的采集配置",
                evidence: evidence)
        }
        if conflicts.isEmpty {
            return .pass("无文件占用冲突（文件由本订阅 \(facts.options.subscriptionID) 采集: \(Fmt.list(own, max: 3))）", evidence: evidence)
        }
        return .fail(
            "文件被占用: \(Fmt.list(conflicts, max: 5))",
            hint: "这些文件已被其他采集项采集；同一文件被多个采集项采集会冲突，请删除重复的采集配置或调整路径",
            evidence: evidence)
    }
}

/// Which subscription configs, in every `multi_config` directory, list which files.
enum SubscriptionFiles {
    /// For each file, the subscription ids with an item whose `paths` match it and that can be reading it:
    /// an item the collector refuses runs no task, and one whose `exclude_files` skips the file never
    /// opens it.
    /// `named` gives every subscription whose paths match each file, for a file no accepted item names
    /// (a config changed and not reloaded yet: the collector still runs the old task).
    /// `unnamed` gives, for each file, the configs the collector loads that are not NodeMan's (their names are
    /// not `<stem>_sub_<id>_<scope>_<n>.conf`) and whose accepted items read it.
    /// `cutShort` is true when some file stays without an owner after the budget of resolving globbed paths ran
    /// out: which config reaches it was not fully looked for.
    static func owners(of files: [String], facts: any HostFacts) -> (
        accepted: [String: [Int64]], named: [String: [Int64]], unnamed: [String: [String]], cutShort: Bool
    ) {
        var out: [String: [Int64]] = [:]
        var named: [String: [Int64]] = [:]
        var unnamed: [String: [String]] = [:]
        func add<T: Equatable>(_ f: String, _ id: T, to map: inout [String: [T]]) {
            if !(map[f]?.contains(id) ?? false) { map[f, default: []].append(id) }
        }
        /// A subscription's items, then the configs not from NodeMan (by their names).
        let items: [(subscription: Int64?, config: String, item: CollectorFileRules.Item)] =
            CollectorFileRules.items(facts: facts, where: { _ in true }).map { ($0.subscription, "", $0.item) }
            + CollectorFileRules.unnamedItems(facts: facts).map { (nil, $0.config, $0.item) }
        /// `item` reaches `f` by `name`: every subscription naming it is named; one that reads it (accepted, and
        /// its exclude_files, matched against the path the collector globbed, keeps it) owns it.
        func record(_ f: String, name: String, _ owner: (subscription: Int64?, config: String, item: CollectorFileRules.Item)) {
            let reads = owner.item.accepted && owner.item.rules.isExcluded(name) != true
            if let id = owner.subscription {
                add(f, id, to: &named)
                if reads { add(f, id, to: &out) }
            } else if reads {
                add(f, owner.config, to: &unnamed)
            }
        }
        // Each item's patterns are tried only on the files they may match (`Glob.PathIndex`): thousands of
        // subscriptions' items against the thousand files a collector holds were millions of matches, past the
        // run's deadline.
        let index = Glob.PathIndex(files)
        for owner in items {
            let paths = CollectorPaths(owner.item.paths, facts: facts)
            for i in paths.candidates(in: index) {
                if let name = paths.openedName(files[i]) { record(files[i], name: name, owner) }
            }
        }
        // A file no pattern names by its real path or through its literal directory may still be reached through
        // a symlink further down (a directory a wildcard matched, or the matched file itself): the collector opens
        // what its glob finds. The patterns are globbed and their matches resolved, within a budget.
        var unowned = Set(files.filter { named[$0] == nil && unnamed[$0] == nil })
        var budget = globResolveBudget
        var globbed: [String: [String]] = [:]
        if !unowned.isEmpty {
            for owner in items {
                for p in owner.item.paths {
                    if globbed[p] == nil { globbed[p] = (try? facts.collectorGlob(facts.collectorPattern(p)).get())?.matches ?? [] }
                    for m in globbed[p]! where budget > 0 {
                        budget -= 1
                        if let r = facts.realPath(m), r != m, unowned.contains(r) { record(r, name: m, owner) }
                    }
                }
            }
            unowned.subtract(named.keys)
            unowned.subtract(unnamed.keys)
        }
        return (
            out.mapValues { $0.sorted() }, named.mapValues { $0.sorted() }, unnamed, budget <= 0 && !unowned.isEmpty
        )
    }

    /// How many matched paths `owners` resolves when looking for a symlink that leads to a held file.
    static let globResolveBudget = 20_000

    /// Patterns as matchers, each with its form resolved through a symlinked directory (made once: resolving is
    /// a system call per path component).
    struct CollectorPaths {
        let paths: [(matcher: Glob.CollectorMatcher, resolved: (matcher: Glob.CollectorMatcher, directory: String, real: String)?)]

        init(_ patterns: [String], facts: any HostFacts) {
            paths = patterns.map { (Glob.CollectorMatcher($0), SubscriptionFiles.resolvedThroughSymlinks($0, facts: facts)) }
        }

        /// The indexes in `index` of the files `openedName` may name (by a pattern, or its form resolved through
        /// a symlinked directory), in increasing order; for any other it is nil.
        func candidates(in index: Glob.PathIndex) -> [Int] {
            var out = Set<Int>()
            for p in paths {
                out.formUnion(index.candidates(p.matcher))
                if let r = p.resolved { out.formUnion(index.candidates(r.matcher)) }
            }
            return out.sorted()
        }

        /// The name the patterns reach the held file `f` by: `f` itself, or, when only a pattern resolved
        /// through a symlinked directory matches it (the fd link names the real path), its name under the
        /// symlink; nil when no pattern names it.
        func openedName(_ f: String) -> String? {
            var opened: String?
            for p in paths {
                if p.matcher.matches(f) { return f }
                if opened == nil, let r = p.resolved, r.matcher.matches(f) { opened = r.directory + f.dropFirst(r.real.count) }
            }
            return opened
        }
    }

    /// `pattern` (as the collector reads it) with the directory before its first wildcard resolved through
    /// symlinks (/data/logs → /data1/logs), where that changes it, with both forms of that directory; nil
    /// otherwise.
    static func resolvedThroughSymlinks(_ pattern: String, facts: any HostFacts) -> (
        matcher: Glob.CollectorMatcher, directory: String, real: String
    )? {
        guard let (dir, rest) = Glob.literalDirectory(of: facts.collectorPattern(pattern)),
            let real = facts.realPath(dir), real != dir, real != "/"
        else { return nil }
        return (Glob.CollectorMatcher(real + "/" + rest), dir, real)
    }
}
