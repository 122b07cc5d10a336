import HostProbe
import Report
import Synchronization

/// The daemon's previous progress sample, carried from one cycle to the next so the progress items
/// compare two samples a whole interval apart without waiting inside a run.
public final class ProgressBaseline: Sendable {
    private let last = Mutex<ProgressSample?>(nil)
    /// A sample older than this is not a baseline (the daemon was paused, or the interval is huge).
    static let maxAgeSeconds = 900.0

    public init() {}

    func previous(now monotonic: Double) -> ProgressSample? {
        last.withLock { s in
            guard let s, monotonic - s.monotonicSeconds <= Self.maxAgeSeconds, monotonic > s.monotonicSeconds else { return nil }
            return s
        }
    }

    func store(_ sample: ProgressSample) { last.withLock { $0 = sample } }
}

extension ProgressInput {
    /// Two samples of the live host: the baseline's (the daemon's previous cycle) and one now, or, with
    /// no baseline, one now and one after `options.sampleGapSeconds` (at most half the run's deadline).
    static func gather(_ facts: any HostFacts, baseline: ProgressBaseline?) -> ProgressInput {
        let (targets, settings) = ProgressTargets.from(facts)
        let gap = min(facts.options.sampleGapSeconds, facts.options.deadlineSeconds / 2)
        var first = baseline?.previous(now: Timestamp.monotonicSeconds())
        if let b = first, !targets.collectorPIDs.isEmpty {
            // A baseline younger than the gap (a POST /run right after a cycle) waits out the rest: two
            // samples milliseconds apart would take "no ack yet" for "no ack".
            let age = Timestamp.monotonicSeconds() - b.monotonicSeconds
            if age < gap { Sys.sleep(seconds: gap - age) }
        } else if first == nil && !targets.collectorPIDs.isEmpty && gap > 0 {
            // Nothing runs that could make progress: one sample says all there is, without waiting.
            first = ProgressProbe.sample(targets, isLast: false)
            Sys.sleep(seconds: gap)
        }
        let last = ProgressProbe.sample(targets)
        baseline?.store(last)
        // The oldest collector sampled: the one whose flushes the registry shows (a copy started since cannot take
        // bolt's lock while it runs).
        let sampled = Set(targets.collectorPIDs)
        let started = ((try? facts.collectors().get())?.under ?? []).filter { sampled.contains($0.pid) && $0.isCollector }
            .compactMap { facts.startedAt($0) }.min()
        var input = ProgressInput(
            first: first, last: last, settings: settings, uptimeSeconds: facts.uptimeSeconds, collectorStartedAt: started)
        if baseline == nil, gap < facts.options.sampleGapSeconds {
            input.gapCut = (facts.options.sampleGapSeconds, facts.options.deadlineSeconds)
        }
        input.scope = targets.patterns
        input.unexpanded = targets.unexpanded
        input.deliveredMatchNothing = targets.deliveredMatchNothing
        input.literalUnmatched = targets.literalUnmatched
        input.unreadConfigs = targets.unreadConfigs
        input.refusedConfigs = targets.refusedConfigs
        input.loadedConfigs = targets.loadedConfigs
        input.missingConfig = targets.missingConfig
        input.acceptedItems = targets.acceptedItems
        input.unmeasuredInputs = targets.unmeasuredInputs
        input.refusedPathlessItems = targets.refusedPathlessItems
        input.refusedItems = targets.refusedItems
        input.sampledOf = targets.sampledOf
        input.otherPatterns = targets.otherPatterns
        input.ownPatterns = targets.ownPatterns
        if !targets.collectorPIDs.isEmpty {
            input.oomKills = Result { () throws(ProbeError) in try KernelLog.oomKills(comm: ProcessNames.collector) }
        }
        input.dataPortUnknown = facts.layout.dataPortUnknown
        if facts.layout.generation == .gse2, facts.options.runAgentHealthz {
            input.healthzData = healthzData(facts.agentHealthz)
        }
        return input
    }

    /// `data.data` of the probe's answer.
    static func healthzData(_ result: AgentHealthz.Result) -> String? { result.answer?["data"]?["data"]?.stringValue }
}

extension ProgressTargets {
    /// At most this many files are sampled per run: the most recently modified of those matched.
    static let maxFiles = 10_000
    /// At most this many matching files are looked at (stat) to choose them.
    static let maxCandidates = 40_000

    /// What to sample, from the run's facts: the files of the subscription's items (or of `-l`), with
    /// the collector's rules; the collector and agent processes under the GSE root; the registry under
    /// the main config's `path.data`; and the settings the rules judge by.
    static func from(_ facts: any HostFacts) -> (ProgressTargets, ProgressSettings) {
        let options = facts.options
        let layout = facts.layout
        let collectors = (try? facts.collectors().get())?.under.filter { !$0.isZombie } ?? []
        let agents = (try? facts.agents().get())?.under.filter { !$0.isZombie } ?? []
        let now = facts.nowMilliseconds / 1000

        var files: [File] = []
        /// Each file's mtime, for keeping the most recently modified when more than `maxFiles` match.
        var mtimes: [Int64] = []
        /// Where each file found is in `files`.
        var claimed: [String: Int] = [:]
        var listingCut = false
        /// Where each file found is in `files`, by inode and device: a path to a file already found (through a
        /// symlink, or a hard link) is the same file, which the collector reads once.
        var claimedFile: [ProgressSample.FileKey: Int] = [:]
        /// `patterns`: the collector's own patterns that find these files (for the directories its glob lists).
        func add(
            _ matches: [String], patterns: [String], dataid: Int64?, rules: CollectorFileRules, limit: Int, tailFiles: Bool,
            item: CollectorFileRules.Item? = nil, notListed: Bool = false
        ) {
            let globs = patterns.map { ($0, Glob.CollectorMatcher($0)) }
            for m in matches {
                // Each item is an input of its own: its exclude_files, ignore_older and refusal skip a file for
                // that item alone. A file one item skips and another reads is read, by the other.
                let earlierPath = claimed[m]
                if let k = earlierPath, files[k].skipped == nil { continue }
                guard earlierPath != nil || files.count < maxCandidates else { continue }
                guard case .success(let st) = facts.stat(m), st.isRegular else { continue }
                // The same file under another name (filebeat's `getFiles` skips a path `os.SameFile` as one found
                // before: "Same file found as symlink and original"): counted once, under the name found first.
                let fileKey = ProgressSample.FileKey(inode: st.inode, device: st.device)
                // (An inode of 0 is no file's: a file system that gives none is not deduplicated.)
                let earlier = earlierPath ?? (st.inode == 0 ? nil : claimedFile[fileKey])
                if earlierPath == nil, let k = earlier, files[k].skipped == nil { continue }
                var skipped: String?
                var refused = false
                var agedOut = false
                // Skipped only when surely excluded: a path the rules cannot judge is not claimed.
                // A file no item reads, which the collector's own exclude_files would skip anyway (a logrotate
                // `.gz`), is not one the missing item leaves uncollected.
                if notListed && rules.isExcluded(m) != true {
                    skipped = FileProgress.notListedPrefix + " (see bkunifylogbeat/config)"
                } else if rules.isExcluded(m) == true {
                    skipped = "exclude_files (\(rules.source))"
                } else if rules.isIgnored(mtime: st.mtime, now: now) {
                    skipped = "ignore_older \(rules.ignoreOlder ?? 0)s (\(rules.source))"
                    agedOut = true
                } else if let why = rules.refusals.first {
                    // A file the item would read, but no task runs for the item: nothing of it is read.
                    skipped = "item refused by the collector (\(rules.source): \(why))"
                    refused = true
                }
                var file = File(
                    path: m, dataid: dataid, skipped: skipped, harvesterLimit: limit, refused: refused, tailFiles: tailFiles,
                    filtered: rules.filtersLines)
                file.listed = FileAccess.listedDirectories(patterns: globs, match: m)
                file.item = rules.source
                file.agedOut = agedOut
                file.scanSeconds = item?.scanSeconds
                file.closeInactiveSeconds = item?.closeInactiveSeconds
                file.cleanInactiveSeconds = item?.cleanInactiveSeconds
                if let k = earlier {
                    // Skipped by the items before: this one's claim counts only when it reads the file.
                    if skipped == nil {
                        files[k] = file
                        claimed[m] = k
                    }
                    continue
                }
                claimed[m] = files.count
                if st.inode != 0 { claimedFile[fileKey] = files.count }
                files.append(file)
                mtimes.append(st.mtime)
            }
        }
        let items = CollectorFileRules.items(subscription: options.subscriptionID, facts: facts)
        // Patterns whose files cannot all be listed: where none matched, that is not "no file".
        var unexpanded: [String] = []
        func noteUnreadable(_ e: Glob.Expansion) {
            if e.truncated { listingCut = true }
            if let dir = e.unreadable.first { unexpanded.append("\(e.pattern): \(dir) is not readable") }
            if let f = e.failures.first { unexpanded.append("\(e.pattern): \(f.description)") }
        }
        // How the collector takes the subscription's configs: which give it tasks, which it skips whole.
        let configs = CollectorFileRules.configStates(subscription: options.subscriptionID, facts: facts)
        if options.logPathsGiven {
            // A path no item names, while a config of the subscription is skipped whole: not collected.
            let unloaded = configs.unloadedRules
            // The items' pattern matchers, for -l paths no item names (made once, for every such path).
            lazy var finders = (items.filter(\.accepted) + items.filter { !$0.accepted }).map { item in
                (item, item.paths.map { Glob.CollectorMatcher(facts.collectorPattern($0)) })
            }
            // One the collector takes, when several items name the pattern; and the patterns whose item it
            // takes claim their files first, so a file another -l pattern names is not lost to a refused item.
            let chosen = zip(options.logPaths, facts.logExpansions).map {
                ($1, CollectorFileRules.item(naming: facts.askedPattern($0), in: items))
            }
            for (result, item) in chosen.filter({ $0.1?.accepted ?? true }) + chosen.filter({ !($0.1?.accepted ?? true) }) {
                guard case .success(let e) = result else {
                    if case .failure(let error) = result { unexpanded.append(error.description) }
                    continue
                }
                noteUnreadable(e)
                var matches = e.matches
                // (Not while a config of the subscription could not be read: its items may name the path.)
                if item == nil, unloaded == nil, !items.isEmpty, configs.unread.isEmpty {
                    // A path -l asks about that no item names: each file is judged by the item whose pattern finds
                    // it (`a.log` asked, `*.log` configured), and one no item finds is not the subscription's to
                    // read at all (the config delivered here does not list it: bkunifylogbeat/config says so), not
                    // one the collector's defaults would skip or start at its end.
                    // Grouped by the item that finds them (one `add` per item: each builds its patterns' matchers).
                    var found = Array(repeating: [String](), count: finders.count)
                    var unread: [String] = []
                    // Every item that finds a file is tried, in the order taken: one item's exclude_files or
                    // ignore_older skips it for that item alone, and another that reads it claims it.
                    for m in matches {
                        var anyFinds = false
                        for (k, finder) in finders.enumerated() where finder.1.contains(where: { $0.matches(m) }) {
                            found[k].append(m)
                            anyFinds = true
                        }
                        if !anyFinds { unread.append(m) }
                    }
                    for (k, (owner, _)) in finders.enumerated() where !found[k].isEmpty {
                        add(
                            found[k], patterns: owner.paths.map(facts.collectorPattern), dataid: owner.dataid, rules: owner.rules,
                            limit: owner.harvesterLimit, tailFiles: owner.tailFiles, item: owner)
                    }
                    add(
                        unread, patterns: [], dataid: nil, rules: .defaults, limit: CollectorFileRules.defaultHarvesterLimit,
                        tailFiles: true, notListed: true)
                    matches = []
                }
                add(
                    // The collector finds them by its config's patterns, not by -l's.
                    matches, patterns: (item?.paths ?? []).map(facts.collectorPattern), dataid: item?.dataid,
                    rules: item?.rules ?? unloaded ?? .defaults,
                    limit: item?.harvesterLimit ?? CollectorFileRules.defaultHarvesterLimit, tailFiles: item?.tailFiles ?? true, item: item)
            }
        } else {
            // The items the collector takes first: a file one of them reads is not claimed by a refused one.
            for item in items.filter(\.accepted) + items.filter({ !$0.accepted }) {
                for pattern in item.paths {
                    let e: Glob.Expansion
                    do throws(GlobPatternError) {
                        e = try Glob.expandLikeCollector(pattern)
                    } catch {
                        unexpanded.append("\(pattern): \(error.description)")
                        continue
                    }
                    noteUnreadable(e)
                    add(
                        e.matches, patterns: [facts.collectorPattern(pattern)], dataid: item.dataid, rules: item.rules,
                        limit: item.harvesterLimit,
                        tailFiles: item.tailFiles, item: item)
                }
            }
        }

        // More files than are sampled: the most recently modified, which a stuck or unread one is among
        // (the others were last written before all of them), in the order found.
        var sampledOf: (sampled: Int, matched: Int, listingCut: Bool)?
        if files.count > maxFiles || listingCut {
            let matched = files.count
            if files.count > maxFiles {
                let keep = Set(files.indices.sorted { (mtimes[$0], $1) > (mtimes[$1], $0) }.prefix(maxFiles))
                files = files.indices.filter { keep.contains($0) }.map { files[$0] }
            }
            sampledOf = (files.count, matched, listingCut || matched >= maxCandidates)
        }
        // The subscription's configs that give no paths: unknown paths, or none the collector loads.
        let unreadConfigs = configs.unread
        let refusedConfigs = configs.refused.map { "\($0.config): \($0.why)" }
        let loadedConfigs = configs.loaded

        var settings = ProgressSettings()
        var registryPath: String?
        if case .parsed(let yaml) = layout.mainConfig.state {
            if let text = yaml.lookup("bkunifylogbeat.registry.flush")?.string, let s = CollectorFileRules.duration(goDuration: text), s > 0
            {
                settings.flushSeconds = s
            }
            if let rl = yaml.lookup("resource_limit") {
                let enabled = rl["enabled"]?.string.map { ["true", "yes", "on", "1"].contains($0.lowercased()) } ?? false
                settings.resourceLimit = .init(
                    enabled: enabled, cpu: rl["cpu"]?.string.flatMap(Double.init), memoryMB: rl["mem"]?.string.flatMap(Double.init))
            }
            // Given to every task; the collector's own default is the inode.
            settings.fileIdentifier = FileIdentifier(configValue: yaml.lookup("bkunifylogbeat.file_identifier")?.string)
            // libgse: path.data, default ./data, relative to the collector's working directory.
            let data = yaml.lookup("path.data")?.string ?? "./data"
            let base = collectors.first?.cwd ?? layout.pluginBin
            registryPath = PathText.normalize(PathText.join(base, data)) + "/" + CollectorRegistry.fileName
        }
        var targets = ProgressTargets(
            files: files, collectorPIDs: collectors.map(\.pid), agentPIDs: agents.map(\.pid), registryPath: registryPath,
            ipcPath: layout.ipcPath,
            dataPorts: layout.dataPorts)
        targets.fileIdentifier = settings.fileIdentifier
        targets.unexpanded = unexpanded
        targets.sampledOf = sampledOf
        targets.unreadConfigs = unreadConfigs
        targets.refusedConfigs = refusedConfigs
        targets.loadedConfigs = loadedConfigs
        let listing = facts.subscriptionConfigs
        if options.subscriptionID != 0, !configs.any, listing.errors.isEmpty {
            targets.missingConfig =
                "no *_sub_\(options.subscriptionID)_*.conf in \(Fmt.list(listing.dirs.map(\.path), max: 3))"
        }
        targets.listens = items.filter(\.accepted).compactMap(\.listen)
        targets.acceptedItems = items.filter(\.accepted).count
        targets.unmeasuredInputs = Array(Set(items.filter(\.accepted).map(\.inputType)).intersection(["kafka", "redis"])).sorted()
        func why(_ item: CollectorFileRules.Item) -> String { "\(item.rules.source): \(item.rules.refusals.first ?? "refused")" }
        targets.refusedPathlessItems = items.filter { !$0.accepted && $0.paths.isEmpty }.map(why)
        targets.refusedItems = items.filter { !$0.accepted }.map(why)
        targets.agentDown = facts.agentDown ?? false
        // As gse_agent/process judges it.
        let agentStates = ProcessStates(agents)
        targets.agentWorkerDown = agentStates.gse1WorkerMissing(layout.generation)
        targets.agentWorkerStopped = agentStates.gse1StoppedWorker(layout.generation)
        targets.agentWorkerStoppedPIDs = agentStates.gse1StoppedWorkerPIDs(layout.generation)
        if !targets.agentDown { targets.agentStoppedPIDs = agentStates.allStoppedPIDs }
        let asked = options.logPaths.map(facts.askedPattern)
        // With -l the files judged are -l's; the collector reads the delivered config's. When none of its paths
        // matches a file (a path changed on the platform, the host's config naming one that does not exist),
        // nothing of the subscription is collected, whatever -l matches.
        // (When every -l path is one of the config's, -l's own "no file matches" says it, with the app's hint.)
        if options.logPathsGiven, !Set(asked).isSubset(of: Set(items.flatMap(\.paths))) {
            let delivered = Array(Set(items.filter(\.accepted).flatMap(\.paths))).sorted()
            let expansions = delivered.map { try? Glob.expandLikeCollector($0) }
            if !delivered.isEmpty,
                expansions.allSatisfy({ e in e.map { $0.matches.isEmpty && $0.unreadable.isEmpty && $0.failures.isEmpty } ?? false })
            {
                targets.deliveredMatchNothing = delivered
            }
        }
        targets.patterns = options.logPathsGiven ? asked : items.flatMap(\.paths)
        // A pattern's own text naming a regular file its glob does not match: `[1]` meant literally.
        targets.literalUnmatched = targets.patterns.filter { p in
            let path = facts.collectorPattern(p)
            guard !Glob.isLiteral(path), case .success(let st) = facts.stat(path), st.isRegular else { return false }
            return (try? Glob.expandLikeCollector(path))?.matches.contains(path) == false
        }
        // The items that can hold a file: the other subscriptions' the collector takes, and with -l this
        // subscription's own items that -l does not name.
        let build = CollectorBuild(facts.collectorBuild)
        func claiming(_ items: [CollectorFileRules.Item], _ keep: (String) -> Bool = { _ in true }) -> [OtherPattern] {
            items.filter(\.accepted).flatMap { item in
                item.paths.filter(keep).map {
                    var p = OtherPattern($0, excludes: item.rules.excludes)
                    p.build = build
                    return p
                }
            }
        }
        let others = CollectorFileRules.items(facts: facts, where: { $0 != options.subscriptionID }).map(\.item)
        targets.otherListens = others.filter(\.accepted).compactMap(\.listen)
        let ownUnnamed = options.logPathsGiven ? claiming(items) { !asked.contains($0) } : []
        targets.otherPatterns = claiming(others) + ownUnnamed
        targets.ownPatterns = options.logPathsGiven ? nil : claiming(items)
        // Files this subscription's exclude_files skips that no other item reads: a harvester holding one is its own.
        let otherReaders = targets.otherPatterns.map(ProgressRules.PatternReader.init)
        for i in targets.files.indices where targets.files[i].skipped?.hasPrefix("exclude_files") == true {
            let path = targets.files[i].path
            targets.files[i].excludedOnlyHere = !otherReaders.contains { $0.reads(path) }
        }
        if collectors.isEmpty {
            targets.unplacedCollectorPIDs = (try? facts.collectors().get())?.elsewhere.filter(\.unplaced).map(\.pid) ?? []
        }
        return (targets, settings)
    }
}
