import HostProbe
import Report

/// Everything the four progress items judge: two samples (the first nil when only one could be
/// taken), the settings, and the kernel's OOM kills of the collector.
public struct ProgressInput: Sendable {
    public let first: ProgressSample?
    public let last: ProgressSample
    public let settings: ProgressSettings
    /// OOM kills of `bkunifylogbeat` still in the kernel's ring (nil: not read).
    public var oomKills: Result<[OOMKill], ProbeError>?
    /// Seconds since boot, to place kernel log times on the wall clock.
    public var uptimeSeconds: Double?
    /// The one-shot run's `--sample-gap` when it was cut to half of `--timeout` (the samples are taken within the
    /// run's deadline), with that deadline; nil when the gap asked for was kept.
    public var gapCut: (asked: Double, deadline: Double)?

    /// How a message that advises a wider gap says that the one asked for was cut, else "".
    var gapCutNote: String {
        guard let cut = gapCut else { return "" }
        // The gap is at most half the deadline: twice the gap asked for is the deadline that keeps it (never past
        // --timeout's own bound of 600, as --sample-gap is at most 300).
        let timeout = Int(min(600, (2 * cut.asked).rounded(.up)))
        return
            " (the --sample-gap of \(ProgressRules.seconds(cut.asked)) asked for was cut to half of the \(ProgressRules.seconds(cut.deadline)) --timeout: give --timeout \(timeout) or more with it)"
    }

    /// When the oldest collector sampled started (wall-clock Unix seconds); nil when not known.
    public let collectorStartedAt: Double?
    /// GSE 2: the `data` entry of the agent's own `--healthz` answer (`ok` when its data channel is
    /// healthy, as bk-nodeman's setup scripts judge every entry); nil where the probe did not run.
    public var healthzData: String?
    /// Why the agent's data port is not known (its config is there but cannot be read): the dataserver hop
    /// is then not judged by the default port's connections.
    public var dataPortUnknown: String?
    /// The log path patterns the checked subscription (or `-l`) names. A deleted or renamed file the
    /// collector holds counts for this subscription only where they match it, or where it is a rotation of
    /// one of its files that no other subscription's pattern (`otherPatterns`) matches; nil: every held
    /// file counts, and renamed ones are not followed.
    public var scope: [String]?
    /// The patterns of the host's other subscriptions.
    public var otherPatterns: [OtherPattern] = []
    /// See `ProgressTargets.ownPatterns`: where known, a held file is the subscription's by an item that reads it
    /// (its pattern matches and its exclude_files does not skip it), not by `scope`'s patterns alone.
    public var ownPatterns: [OtherPattern]?
    /// See `ProgressTargets.unexpanded`.
    public var unexpanded: [String] = []
    /// See `ProgressTargets.deliveredMatchNothing`.
    public var deliveredMatchNothing: [String] = []
    /// See `ProgressTargets.literalUnmatched`.
    public var literalUnmatched: [String] = []
    /// See `ProgressTargets.unreadConfigs`, `refusedConfigs` and `sampledOf`.
    public var unreadConfigs: [String] = []
    public var refusedConfigs: [String] = []
    /// See `ProgressTargets.loadedConfigs` and `missingConfig`.
    public var loadedConfigs = false
    public var missingConfig: String?
    public var sampledOf: (sampled: Int, matched: Int, listingCut: Bool)?
    /// See `ProgressTargets.acceptedItems`, `unmeasuredInputs` and `refusedPathlessItems`.
    public var acceptedItems = 0
    public var unmeasuredInputs: [String] = []
    public var refusedPathlessItems: [String] = []
    /// See `ProgressTargets.refusedItems`.
    public var refusedItems: [String] = []

    /// What is not measured of a subscription whose items the collector takes are kafka or redis inputs: nil
    /// when it has none. Their data comes over a connection the input keeps retrying (it only logs a broker or
    /// server it cannot reach), which bkdiag does not follow: no file, no registry, nothing to pass.
    var unmeasured: String? {
        guard !unmeasuredInputs.isEmpty else { return nil }
        return
            "the subscription's \(unmeasuredInputs.joined(separator: " and ")) input reads no file: bkdiag does not follow its connection to the broker or server (the input only logs one it cannot reach and retries), so its progress is not measured"
    }

    static let unmeasuredHint =
        "kafka/redis 采集项的数据来自与 broker 或 redis 服务的连接，不经过日志文件：在日志平台查看该采集项的数据上报，或在采集器日志（path.logs）中查看 kafka/redis 输入的连接报错"

    /// The subscription's items are all refused, some of them items with no log path (syslog, kafka, redis), or,
    /// with paths asked about (-l), whatever they name: no task runs for it, so nothing of it is collected,
    /// whatever -l matches (a task the collector has not dropped since it last loaded its configs may still read
    /// those files, until it reloads). Nil otherwise.
    var everyItemRefused: String? {
        guard acceptedItems == 0, loadedConfigs, unreadConfigs.isEmpty else { return nil }
        let refused = scope?.isEmpty == false ? refusedItems : refusedPathlessItems
        guard let why = refused.first else { return nil }
        return refused.count == 1 ? why : "\(why), and \(refused.count - 1) more"
    }

    /// The note a message carries when not every matching file was sampled.
    var sampledNote: String? {
        guard let s = sampledOf else { return nil }
        return "judged the \(s.sampled) most recently modified of \(s.listingCut ? "more than " : "")\(s.matched) matching files"
    }

    public init(
        first: ProgressSample?, last: ProgressSample, settings: ProgressSettings, oomKills: Result<[OOMKill], ProbeError>? = nil,
        uptimeSeconds: Double? = nil, collectorStartedAt: Double? = nil
    ) {
        self.first = first
        self.last = last
        self.settings = settings
        self.oomKills = oomKills
        self.uptimeSeconds = uptimeSeconds
        self.collectorStartedAt = collectorStartedAt
        files = FileProgress.analyse(first, last, settings, collectorAge: Self.age(collectorStartedAt, at: last))
    }

    /// How long the oldest collector sampled had run at the last sample; nil when its start is not known.
    var collectorAge: Double? { Self.age(collectorStartedAt, at: last) }

    private static func age(_ started: Double?, at last: ProgressSample) -> Double? {
        started.map { max(0, last.wallSeconds - $0) }
    }

    var gap: Double? { first.map { last.monotonicSeconds - $0.monotonicSeconds } }

    /// How long the registry has been silent that the collector is to answer for: its age `h` on disk, but
    /// no longer than the collector has run. A collector started since the last write has not flushed yet
    /// (the registrar's first flush comes one `registry.flush` after its start, libgse's storage may hold it
    /// longer): the file on disk is its predecessor's, however old.
    func registrySilence(_ h: Double) -> Double {
        guard let age = collectorAge else { return h }
        return min(h, age)
    }

    /// Said by a pass while the collector is too young for a stall to be told (a file judged `pending` for that,
    /// or a registry older than it, not yet three flushes into its run); nil otherwise.
    var youngCollectorNote: String? {
        guard let age = collectorAge else { return nil }
        let registryOlder = last.heartbeatAge().map { $0 > settings.staleSeconds && registrySilence($0) <= settings.staleSeconds } ?? false
        guard files.contains(where: \.youngCollector) || registryOlder else { return nil }
        return "the collector started \(ProgressRules.seconds(age)) ago, too recently to tell a stall"
    }

    /// The note for a registry older than the collector (see `registrySilence`), else "".
    func registryOlderNote(_ h: Double) -> String {
        let silence = registrySilence(h)
        return silence < h ? " (the collector started \(ProgressRules.seconds(silence)) ago, after its last write)" : ""
    }

    /// The file collector `pid` held on descriptor `f.fd` at the first sample, when it was the same file.
    func atFirstSample(_ f: OpenFilePosition, pid: Int32) -> OpenFilePosition? {
        (try? first?.collectors.first { $0.pid == pid }?.open.get())??.first { $0.fd == f.fd && $0.inode == f.inode }
    }

    /// Every target file judged, once for the four items (the samples and settings are fixed at init).
    let files: [FileProgress]
}

/// The four progress items as pure functions of `ProgressInput`.
enum ProgressRules {
    static let notRunningHint = "采集器未运行：先处理 bkunifylogbeat 进程检查的结论"
    static let rootHint = "以 root 运行 bkdiag（读取采集器的 /proc/<pid>/fdinfo、io 与进度库需要 root 或 CAP_SYS_PTRACE）"

    /// No collector to measure: not running, or running where bkdiag may not look (not root).
    static func noCollector(_ last: ProgressSample, _ what: String, evidence: [(String, JSONValue)] = []) -> Finding {
        if let pid = last.unplacedCollectorPIDs.first {
            return .unknown(
                "bkunifylogbeat runs (pid \(pid)) but its exe, cwd and files cannot be read: \(what) here",
                hint: rootHint, evidence: evidence)
        }
        if !last.endedCollectorPIDs.isEmpty {
            let pids = last.endedCollectorPIDs.map(String.init).joined(separator: ", ")
            return .unknown(
                "bkunifylogbeat pid \(pids), found by this check's process scan, had exited by its progress sample: it is being restarted or keeps crashing (\(what))",
                hint: "采集器在检查期间退出：查看 bkunifylogbeat 日志与重启记录，确认是否反复崩溃或被频繁重启",
                evidence: evidence + [("ended_pids", .array(last.endedCollectorPIDs.map { .int(Int64($0)) }))])
        }
        return .unknown("bkunifylogbeat is not running: \(what)", hint: notRunningHint, evidence: evidence)
    }

    /// Every collector stopped (SIGSTOP or a debugger): it reads and sends nothing, and its positions say
    /// nothing about a pipeline; the process check names it.
    static func stoppedCollector(_ last: ProgressSample, _ what: String) -> Finding? {
        guard !last.collectors.isEmpty, last.collectors.allSatisfy(\.stopped) else { return nil }
        return .unknown(
            "bkunifylogbeat is stopped (pid \(last.collectors.map { String($0.pid) }.joined(separator: ", ")), state T: SIGSTOP or a debugger) and collects nothing: \(what)",
            hint: notRunningHint, evidence: [("stopped_pids", .array(last.collectors.map { .int(Int64($0.pid)) }))])
    }

    /// The hint for files -l asks about that no item of the subscription's config here reads.
    static let notInConfigHint = "本机的订阅配置没有采集这些路径（平台上修改后的采集配置未下发到本机？）：见 bkunifylogbeat/config，在日志平台/节点管理重新下发采集配置"

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : "\((v * 10).rounded() / 10) \(units[u])"
    }

    /// Whole seconds, or tenths below ten seconds when that is not whole (a flush of 200ms is not "0 s").
    static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded()
        if s < 10, tenths.truncatingRemainder(dividingBy: 10) != 0 { return "\(tenths / 10) s" }
        return "\(Int64(s.rounded())) s"
    }

    static let clockHint = "主机时钟比文件时间早（时钟被回拨，或文件时间被改动）：校正时钟（NTP）后重试；在此之前无法判断数据等待了多久"

    /// Seconds a file's mtime is ahead of the sample's clock, beyond two seconds of slack; nil when it is not. The
    /// clock is read where the sample ends: a registry flushed while a slow sample (a loaded host) was being taken
    /// is not ahead of it.
    static func clockAhead(_ mtime: Int64, _ last: ProgressSample) -> Double? {
        let ahead = Double(mtime) - max(last.wallSeconds, last.wallEndSeconds ?? last.wallSeconds)
        return ahead > 2 ? ahead : nil
    }

    /// Files with data on its way whose last write is ahead of the clock: how long that data has waited cannot be told.
    static func writtenAhead(_ files: [FileProgress], _ last: ProgressSample) -> [FileProgress] {
        files.filter { $0.inFlightBytes > 0 && clockAhead($0.mtime, last) != nil }
    }

    /// Values in a registry that was read which the collector's registrar cannot load at its next start
    /// (bkunifylogbeat `registrar/registrar.go` `Init`): a `localtime` that is not Go's `time.UnixDate` or a
    /// legacy `registrar` value that is not a state list stop it from starting at all ("parse time error",
    /// "error decoding states"); a `state:` value it cannot decode is skipped, and that file's progress lost.
    static func registryUnloadable(_ last: ProgressSample) -> (message: String, hint: String, problems: [String])? {
        guard case .success(let r)? = last.registry?.read else { return nil }
        var blockers: [String] = []
        if let t = r.localtime, !looksLikeUnixDate(t) {
            blockers.append("localtime \"\(t.prefix(40))\" is not a date the registrar parses")
        }
        blockers += r.problems.filter { $0.hasPrefix("registrar states:") }
        let skipped = r.problems.filter { $0.hasPrefix("state:") }
        guard !blockers.isEmpty || !skipped.isEmpty else { return nil }
        if !blockers.isEmpty {
            return (
                "the registry holds what the collector cannot load at its next start, which then fails: \(Fmt.list(blockers, max: 3)); it runs now, but will not start again",
                "进度库的 localtime 或旧版 registrar 值无法解析，采集器下次启动会失败（registrar Init 报错）：备份后删除进度库文件（会丢失采集进度），或修复该键值",
                blockers + skipped
            )
        }
        return (
            "the registry holds \(skipped.count) state(s) the collector cannot decode and skips at its next start (those files' progress is lost: read again, or from their end with tail_files): \(Fmt.list(skipped, max: 3))",
            "进度库中有无法解析的文件进度（被改动或损坏）：采集器重启时跳过它们，相应文件会重新采集或从末尾开始；确认进度库未被其他程序改写",
            skipped
        )
    }

    /// Whether `t` has the shape of Go's `time.UnixDate` ("Mon Jan _2 15:04:05 MST 2006"), leniently: only
    /// text that cannot be one is refused.
    static func looksLikeUnixDate(_ t: String) -> Bool {
        let parts = t.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].count == 3, parts[1].count == 3, let day = Int(parts[2]), (1...31).contains(day),
            parts[5].count == 4, Int(parts[5]) != nil
        else { return false }
        let clock = parts[3].split(separator: ":")
        return clock.count == 3 && clock.allSatisfy { $0.count == 2 && Int($0) != nil }
    }

    /// The registry's read error as a finding, or nil when it was read.
    static func registryProblem(_ last: ProgressSample) -> Finding? {
        guard let reg = last.registry else {
            return .unknown(
                "the collector's main config could not be read, so where its registry is (path.data) is unknown",
                hint: "先处理 bkunifylogbeat/main_config 检查的结论")
        }
        guard case .failure(let e) = reg.read else {
            // Written "in the future": the clock was set back since (or the file's time changed), and the age of
            // the last flush, which is all that tells a live registrar from a stopped one, cannot be told.
            if case .success(let st) = reg.stat, let ahead = clockAhead(st.mtime, last) {
                return .unknown(
                    "the registry \(reg.path) was last written \(seconds(ahead)) ahead of this host's clock: how long ago the collector last flushed it cannot be told",
                    hint: clockHint, evidence: [("registry", .string(reg.path)), ("mtime_ahead_s", .double(ahead.rounded()))])
            }
            return nil
        }
        if e.isPermission { return .unknown("cannot read the registry \(reg.path): \(e.description)", hint: rootHint) }
        if e.isMissing,
            let holder = last.collectors.first(where: { c in
                ((try? c.open.get()) ?? []).contains { $0.deleted && PathText.normalize($0.path) == PathText.normalize(reg.path) }
            })
        {
            // Removed under a running collector: bolt keeps writing the deleted inode, and the next start finds no
            // progress at all (files it knew are new again: with tail_files it starts them at their end).
            return .fail(
                "the registry \(reg.path) was deleted while the collector (pid \(holder.pid)) still holds it: its progress is lost when it restarts",
                hint: "进度库文件被删除，采集器仍在写已删除的文件：重启后进度丢失（已采集的文件被当作新文件，tail_files 时从末尾开始）。确认删除原因（清理脚本等），择机重启采集器",
                evidence: [("registry", .string(reg.path)), ("held_deleted_by", .int(Int64(holder.pid)))])
        }
        if e.isMissing {
            // libgse creates the file when the collector starts (and stops the collector when it cannot), so a
            // running collector without it means bkdiag looked in the wrong place (path.data resolved against
            // another working directory) or the collector is not libgse's: progress cannot be measured, which
            // is not a collection failure.
            return .warn(
                "no registry at \(reg.path) (path.data of the main config; a relative one is taken from the collector's working directory): the collector's progress cannot be measured",
                hint: "确认采集器主配置的 path.data；采集器运行时应在该目录下生成 bkunifylogbeat.bkpipe.db",
                evidence: [("registry", .string(reg.path))])
        }
        return .unknown("cannot read the registry \(reg.path): \(e.description)", hint: "检查进度库文件是否损坏（只读，bkdiag 不加锁）")
    }

    // MARK: logpath_progress

    static func logpathProgress(_ input: ProgressInput) -> Finding {
        let last = input.last
        let settings = input.settings
        guard !last.collectors.isEmpty else {
            return noCollector(last, "no collection progress to measure")
        }
        if let stopped = stoppedCollector(last, "no collection progress to measure") { return stopped }
        // A syslog item's server: its input binds the address when the task starts, and logs (only) when it cannot.
        let servers = syslogServers(last)
        if !servers.down.isEmpty {
            return .fail(
                "syslog input not listening: \(Fmt.list(servers.down))", hint: "syslog 采集端口未被采集器监听：检查端口是否被其他进程占用、地址是否本机可绑定，并查看采集器日志",
                evidence: [("listens", JSONValue(last.listens.map(\.label)))])
        }
        if !servers.unreachable.isEmpty {
            return .fail(
                "syslog input listening where no sender can reach it: \(Fmt.list(servers.unreachable))",
                hint:
                    "syslog 采集项的监听地址没有端口（模板在日志平台未填写 host 时渲染 host: \"\"）或端口为 0：采集器监听内核随机分配的端口，每次启动都不同，发送端无法指向它：在日志平台为该采集项填写监听地址与端口（如 0.0.0.0:514）后重新下发",
                evidence: [("listens", JSONValue(last.listens.map(\.label)))])
        }
        if !input.deliveredMatchNothing.isEmpty {
            return .fail(
                "the subscription's config on this host names \(Fmt.list(input.deliveredMatchNothing, max: 5)), which match no file: nothing of it is collected, whatever the paths asked about (-l) match",
                hint: "本机的订阅配置（已下发的版本）里的采集路径没有匹配的文件：平台上修改后的路径未下发，或路径写错：在日志平台/节点管理重新下发采集配置",
                evidence: [("delivered_paths", JSONValue(input.deliveredMatchNothing))])
        }
        // Paths asked about (-l) for a subscription whose every config the collector refuses: nothing is
        // collected for it, whatever the paths match (as without -l, `unknownPaths`).
        if input.scope?.isEmpty == false, !input.loadedConfigs, input.unreadConfigs.isEmpty, let why = input.refusedConfigs.first {
            return notLoaded(why)
        }
        if input.scope?.isEmpty == false, let why = input.missingConfig { return noConfig(why) }
        // Every item refused, with paths asked about (-l): none of -l's files is the subscription's, whatever reads
        // them. Files a refused item names, when all the others are skipped, are named below with their item.
        if input.scope?.isEmpty == false, let why = input.everyItemRefused,
            !input.files.contains(where: \.refused) || input.files.contains(where: { $0.error == nil && $0.skipped == nil })
        {
            return everyItemRefused(why)
        }
        // The registry holds file states only: a subscription that names no log path (syslog, kafka, redis, or no
        // config here) has nothing in it to measure, so its registry's absence or error is not this item's finding.
        if let problem = registryProblem(last), input.scope?.isEmpty != true { return problem }
        let files = input.files
        var evidence: [(String, JSONValue)] = [("registry", .string(last.registry?.path ?? ""))]
        if case .success(let r)? = last.registry?.read {
            evidence.append(("registry_txid", .int(Int64(clamping: r.txid))))
            if let t = r.localtime { evidence.append(("registry_localtime", .string(t))) }
        }
        let heartbeat = last.heartbeatAge()
        if let h = heartbeat {
            evidence.append(("heartbeat_age_s", .double((h * 10).rounded() / 10)))
            if input.registrySilence(h) < h {
                evidence.append(("collector_age_s", .double((input.registrySilence(h) * 10).rounded() / 10)))
            }
        }
        evidence.append(("flush_s", .double(settings.flushSeconds)))
        if let gap = input.gap { evidence.append(("sample_gap_s", .double((gap * 1000).rounded() / 1000))) }
        if let cut = input.gapCut { evidence.append(("sample_gap_asked_s", .double(cut.asked))) }
        evidence.append(("by_dataid", rollUp(files, now: last.wallSeconds)))
        evidence.append(("files", .array(files.prefix(50).map(\.evidence))))

        if files.isEmpty {
            evidence.append(("note", .string("no file matches the log paths")))
            if let scope = input.scope {
                // The subscription's (or -l's) log paths match nothing: nothing of it is collected on this host.
                evidence.append(("log_paths", JSONValue(scope)))
                if scope.isEmpty, !servers.up.isEmpty {
                    return .pass("syslog input listening on \(Fmt.list(servers.up)) (no log path to measure)", evidence: evidence)
                }
                if scope.isEmpty, let unknown = servers.unknown {
                    return .unknown("cannot tell whether the syslog input listens: \(unknown)", hint: rootHint, evidence: evidence)
                }
                if scope.isEmpty, let unknown = unknownPaths(input) {
                    return Finding(unknown.verdict, unknown.message, hint: unknown.hint, evidence: evidence)
                }
                if scope.isEmpty, let why = input.everyItemRefused {
                    var refused = everyItemRefused(why)
                    refused.evidence = evidence
                    return refused
                }
                if scope.isEmpty, let unmeasured = input.unmeasured {
                    return .unknown(unmeasured, hint: ProgressInput.unmeasuredHint, evidence: evidence)
                }
                if scope.isEmpty {
                    return .pass(
                        "no log path to measure: no config of the subscription here names one (syslog, kafka and redis inputs have none; a missing config is bkunifylogbeat/config's)",
                        evidence: evidence)
                }
                if !input.unexpanded.isEmpty {
                    evidence.append(("unexpanded", JSONValue(input.unexpanded)))
                    return .unknown(
                        "no file found for the log paths, but they could not all be listed: \(Fmt.list(input.unexpanded, max: 3))",
                        hint: "以 root 运行 bkdiag，或检查日志目录的权限", evidence: evidence)
                }
                // Nothing matches because the files were removed under the collector, which still holds them with
                // data it has not read: that data, not the paths, is what to act on.
                let removed = deletedHeld(input)
                // Or renamed away by a rotation that created no file in their place, still held and not read to the end.
                let renamedAway = renamedHeld(input)
                if !renamedAway.isEmpty {
                    let held =
                        renamedAway.map { "\($0.path) (\(bytes($0.unread)) unread, renamed)" }
                        + removed.map { "\($0.path) (\(bytes($0.unread)) unread, deleted)" }
                    return .fail(
                        "no file matches the log paths \(Fmt.list(scope, max: 5)) now, but the collector still holds \(held.count) file(s) of them, renamed or deleted since, with data it has not read: \(Fmt.list(held, max: 3)); what it has not read is lost when it closes them (they match the paths no more)",
                        hint:
                            "日志文件被轮转改名（或删除）后路径下没有新文件，采集器仍持有旧文件且未读完：确认应用是否在写新文件、轮转配置（create/nocreate），见 pipeline_stall 与 loss_risk；之后核对采集路径",
                        evidence: evidence)
                }
                if !removed.isEmpty {
                    return .fail(
                        "no file matches the log paths \(Fmt.list(scope, max: 5)) now, but the collector still holds \(removed.count) deleted file(s) of them with data it has not read: \(Fmt.list(removed.map { "\($0.path) (\(bytes($0.unread)) unread)" }, max: 3)); what it has not read is lost when it closes them",
                        hint: "日志文件已被删除，采集器仍持有且未读完：确认删除原因（清理脚本、轮转配置），见 pipeline_stall 与 loss_risk；之后核对采集路径",
                        evidence: evidence)
                }
                // A file named by a path's own text, which its `[ ]` or `\` keeps the glob from matching.
                let literal = input.literalUnmatched.filter(scope.contains)
                if !literal.isEmpty { evidence.append(("literal_not_matched", JSONValue(literal))) }
                return .fail(
                    "no file matches the log paths \(Fmt.list(scope, max: 5)): nothing is collected"
                        + (literal.isEmpty
                            ? ""
                            : " (\(Fmt.list(literal, max: 3)) exists as a file, but the collector reads [ ] and \\ in a path as a glob, so it does not match it)"),
                    hint: literal.isEmpty
                        ? "采集路径在本机没有匹配的文件：核对采集项的日志路径（目录、通配符、大小写）与应用实际写日志的位置"
                        : "路径中的 [ ] 是通配符（[1] 只匹配字符 1），\\ 转义下一个字符：要按字面采集该文件，在日志平台把路径写为 \(Fmt.list(literal.map(Glob.escaped), max: 3))",
                    evidence: evidence)
            }
        }
        // The collector runs no task for a refused item: none of its files is this subscription's progress,
        // whatever another subscription acknowledged for them.
        // Fails when no file is left that an item the collector takes reads (the others skipped anyway).
        let refused = files.filter { $0.refused && $0.error == nil }
        if !refused.isEmpty, files.allSatisfy({ $0.error != nil || $0.skipped != nil }) {
            let others = files.count - refused.count
            return .fail(
                "no file is collected: \(refused.count) named by an item the collector refuses (\(refused[0].skipped ?? ""))"
                    + (others > 0 ? ", \(others) skipped by exclude_files/ignore_older or unreadable" : ""),
                hint: "采集器不启动该采集项（见 bkunifylogbeat/config 检查）：在日志平台修正采集项并重新下发", evidence: evidence)
        }
        // Files the collector may not open: it never collects them, however long it runs.
        let denied = files.filter { $0.status == .denied }
        if !denied.isEmpty {
            return .fail(
                "\(denied.count) file(s) the collector may not open, \(bytes(denied.reduce(0) { $0 + $1.deniedBytes })) not collected: \(Fmt.list(Fmt.unique(denied.map { $0.denied ?? $0.path }), max: 3))",
                hint: "采集器进程的用户没有读取这些日志文件（或进入其所在目录）的权限，采集器打不开它们：放开文件与目录的权限（如 chmod o+r、目录 o+x，或把采集器用户加入文件属组），或以 root 运行采集器",
                evidence: evidence)
        }
        if let h = heartbeat, input.registrySilence(h) > settings.staleSeconds {
            return .fail(
                "the collector's registry has not been written for \(seconds(h))\(input.registryOlderNote(h)) (more than 3 flushes of \(seconds(settings.flushSeconds))): its registrar or storage has stopped",
                hint: "采集器进度库超过 3 个刷新周期未更新：查看采集器日志中的 registrar/storage 错误与磁盘空间，必要时重启采集器", evidence: evidence)
        }
        let renamed = renamedHeld(input)
        if !renamed.isEmpty {
            evidence.append(
                (
                    "renamed_held",
                    .array(renamed.map { .object([("path", .string($0.path)), ("unread", .int($0.unread)), ("stuck", .bool($0.stuck))]) })
                ))
        }
        let renamedStuck = renamed.filter(\.stuck)
        let stalled = files.filter { $0.status == .ackStalled || $0.status == .readStalled }
        if stalled.isEmpty, !renamedStuck.isEmpty {
            return .fail(
                "\(renamedStuck.count) rotated file(s) still held and not read for longer than the harvester's \(seconds(settings.readBackoffSeconds)) backoff: \(Fmt.list(renamedStuck.map { "\($0.path) (\(bytes($0.unread)) unread)" }))",
                hint: "轮转后的旧文件仍被采集器持有但读取进度不动：查看 pipeline_stall 指出的卡点", evidence: evidence)
        }
        if !stalled.isEmpty {
            let lag = stalled.reduce(Int64(0)) { $0 + $1.lagBytes }
            let ackStalled = stalled.filter { $0.status == .ackStalled }.map(\.path)
            // A harvester still past the end of a file cut below its acknowledged offset has not noticed the cut.
            let readStalled = stalled.filter { $0.status == .readStalled }.map(\.stalledName)
            var parts: [String] = []
            if !ackStalled.isEmpty { parts.append("not acknowledged for more than 3 flushes: \(Fmt.list(ackStalled))") }
            if !readStalled.isEmpty {
                parts.append(
                    "not read for longer than the harvester's \(seconds(settings.readBackoffSeconds)) backoff: \(Fmt.list(readStalled))")
            }
            return .fail(
                "\(stalled.count) file(s) stuck (\(bytes(lag)) behind): " + parts.joined(separator: "; "),
                hint: "文件在增长但采集进度不动：查看 pipeline_stall 指出的卡点", evidence: evidence)
        }
        var notes: [String] = []
        let lagging = files.filter { $0.status == .lagging }
        if !lagging.isEmpty {
            notes.append("\(lagging.count) file(s) more than \(bytes(settings.lagWarnBytes)) behind: \(Fmt.list(lagging.map(\.path)))")
        }
        if !refused.isEmpty { notes.append("not collected, their item refused by the collector: \(Fmt.list(refused.map(\.path)))") }
        let truncated = files.filter { $0.status == .truncated }
        if !truncated.isEmpty { notes.append("truncated below the acknowledged offset: \(Fmt.list(truncated.map(\.path)))") }
        let never = files.filter { $0.status == .neverCollected }
        // A file a full harvester_limit keeps waiting is not one the collector never found: the running input
        // starts it once a harvester is free. Said as that, with the limit, per limit (each item has its own).
        let unfound = never.filter { !$0.waitsForHarvester }
        if !unfound.isEmpty {
            let tail = unfound.reduce(Int64(0)) { $0 + $1.tailSkippedBytes }
            notes.append(
                "never collected: \(Fmt.list(unfound.map(\.path)))"
                    + (tail > 0
                        ? " (with tail_files, a collector that starts or reloads before reading them begins at their end: \(bytes(tail)) would not be collected)"
                        : ""))
        }
        // A fresh file (not yet past a scan and two flushes) waits as well: the limit, not the next scan, is what
        // keeps it unread, however new it is.
        let waitingFiles = files.filter { $0.waitsForHarvester && ($0.status == .neverCollected || $0.status == .pending) }
        let waiting = Dictionary(grouping: waitingFiles) { $0.waitsForHarvesterLimit ?? 0 }
        for (limit, group) in waiting.sorted(by: { $0.key < $1.key }) {
            notes.append(
                "not yet collected, waiting for a harvester because harvester_limit (\(limit)) is reached: \(Fmt.list(group.map(\.path)))")
        }
        let reused = files.filter(\.inodeReused)
        let reusedInode = reused.filter { !$0.stateOfOtherFile }
        if !reusedInode.isEmpty {
            notes.append(
                "inode reused (its registry state was acknowledged before the file was created; the collector resumes at that offset): \(Fmt.list(reusedInode.map { "\($0.path) (first \(bytes($0.reuseSkippedBytes)) never read)" }))"
            )
        }
        let reusedPath = reused.filter(\.stateOfOtherFile)
        if !reusedPath.isEmpty {
            notes.append(
                "path reused (file_identifier: path; the registry state of the path is an earlier file's, and the collector resumes this one at its offset): \(Fmt.list(reusedPath.map { "\($0.path) (first \(bytes($0.reuseSkippedBytes)) never read)" }))"
            )
        }
        let rotated = files.filter { !$0.rotatedFrom.isEmpty }
        if !rotated.isEmpty { notes.append("rotated (an older inode is still in the registry): \(Fmt.list(rotated.map(\.path)))") }
        if let note = input.sampledNote { evidence.append(("sampled", .string(note))) }
        if !lagging.isEmpty || !truncated.isEmpty || !never.isEmpty || !waiting.isEmpty || !refused.isEmpty || !reused.isEmpty {
            return .warn(
                (notes + [input.sampledNote].compactMap { $0 }).joined(separator: "; "),
                hint: "采集落后或有文件未被采集：结合 loss_risk 与 pipeline_stall 查看原因"
                    + (waiting.isEmpty ? "" : "；等待 harvester 的文件：调大采集项的 harvester_limit，或缩短 close_inactive 让空闲文件让出 harvester"),
                evidence: evidence)
        }
        let pending = files.reduce(Int64(0)) { $0 + $1.inFlightBytes }
        let counted = files.filter { $0.error == nil && $0.skipped == nil }.count
        // Every file the paths match is skipped by the item's own rules (all `.gz`, all too old): nothing is
        // collected, though nothing is stuck (without -l, logpath_match does not run to say so).
        let skippedAll = files.filter { $0.error == nil && $0.skipped != nil }
        if counted == 0, !skippedAll.isEmpty {
            return .warn(
                "no file is collected: the \(skippedAll.count) file(s) the paths match are all skipped (\(skippedAll[0].skipped ?? ""))"
                    + (input.sampledNote.map { " (\($0))" } ?? ""),
                hint: (skippedAll[0].skipped ?? "").hasPrefix(FileProgress.notListedPrefix)
                    ? notInConfigHint
                    : "采集路径匹配到的文件全部被 exclude_files 或 ignore_older 跳过：检查采集路径与采集项的过滤设置", evidence: evidence)
        }
        let ahead = writtenAhead(files, last)
        if !ahead.isEmpty {
            return .unknown(
                "\(Fmt.list(ahead.map(\.path))) was last written ahead of this host's clock, with \(bytes(pending)) not acknowledged: how long that has waited cannot be told",
                hint: clockHint, evidence: evidence)
        }
        if let unloadable = registryUnloadable(last) {
            evidence.append(("registry_problems", JSONValue(unloadable.problems)))
            return .warn(unloadable.message, hint: unloadable.hint, evidence: evidence)
        }
        var message =
            pending == 0
            ? "\(counted) file(s) acknowledged up to their size"
            : "\(counted) file(s) being collected, \(bytes(pending)) in flight"
        if let note = input.sampledNote { message += " (\(note))" }
        // A registry older than 3 flushes, written last by the collector's predecessor: whether this one's
        // registrar works is told at its first flush, not yet (a collector that keeps exiting before it lands here
        // at every run: the process check and the restart log tell that).
        if let h = heartbeat, h > settings.staleSeconds, let age = input.collectorAge {
            return .warn(
                "the registry was last written \(seconds(h)) ago, before the collector started \(seconds(age)) ago: its registrar writes it first one registry.flush (\(seconds(settings.flushSeconds))) after the start, so whether it works cannot be told yet; "
                    + message,
                hint:
                    "采集器刚启动或刚被重新拉起，进度库还是上一个进程写的：\(seconds(settings.staleSeconds)) 后再运行 bkdiag 确认进度库按时更新；若采集器一再重启，看 bkunifylogbeat/process 的结论与重启记录",
                evidence: evidence)
        }
        if !rotated.isEmpty { message += "; " + notes.joined(separator: "; ") }
        if !servers.up.isEmpty { message += "; syslog input listening on \(Fmt.list(servers.up))" }
        if !renamed.isEmpty {
            message += "; rotated away and still being read: \(Fmt.list(renamed.map { "\($0.path) (\(bytes($0.unread)) unread)" }))"
        }
        if let young = input.youngCollectorNote { message += "; " + young }
        return .pass(message, evidence: evidence)
    }

    /// When the subscription names no log path here because its configs give none bkdiag can read: the
    /// collector loads none of them (a YAML error: nothing of it is collected), or bkdiag cannot read them
    /// (their paths are not known). Nil when every config was read.
    static func unknownPaths(_ input: ProgressInput) -> Finding? {
        guard input.scope?.isEmpty ?? false else { return nil }
        if let why = input.unreadConfigs.first {
            return .unknown(
                "the log paths are not known: the subscription's config could not be read (\(why))",
                hint: "见 bkunifylogbeat/config 检查：以 root 运行 bkdiag，或人工核对该订阅配置")
        }
        if let why = input.refusedConfigs.first { return notLoaded(why) }
        if let why = input.missingConfig { return noConfig(why) }
        return nil
    }

    /// The subscription has no config on the host (`why`): nothing of it is collected, whatever the paths asked
    /// about match (another subscription may collect them).
    static func noConfig(_ why: String) -> Finding {
        .fail(
            "no file is collected for the subscription: it has no config on this host (\(why))",
            hint: "本机没有该订阅的采集配置（见 bkunifylogbeat/config 检查）：确认订阅 ID，在日志平台/节点管理重新下发采集配置")
    }

    /// The collector refuses every item of the subscription (`why`): no task runs for it.
    static func everyItemRefused(_ why: String) -> Finding {
        .fail(
            "nothing is collected for the subscription: the collector refuses its item(s), so no task runs (\(why))",
            hint: "采集器不启动该订阅的采集项（见 bkunifylogbeat/config 检查）：在日志平台修正采集项并重新下发")
    }

    /// The subscription's config the collector does not load (`why`): nothing of it is collected.
    static func notLoaded(_ why: String) -> Finding {
        .fail(
            "no file is collected: the collector does not load the subscription's config (\(why))",
            hint: "采集器不加载该订阅配置（见 bkunifylogbeat/config 检查）：在日志平台修正采集项并重新下发")
    }

    static func rollUp(_ files: [FileProgress], now: Double) -> JSONValue {
        var order: [String] = []
        var groups: [String: [FileProgress]] = [:]
        for f in files where f.error == nil && f.skipped == nil {
            let key = f.dataid.map(String.init) ?? "-"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(f)
        }
        return .object(
            order.map { key in
                let fs = groups[key]!
                let lagSeconds = fs.compactMap { $0.lagSeconds(now: now) }.max()
                var o: [(String, JSONValue)] = [
                    ("files", .int(Int64(fs.count))), ("lag_bytes", .int(fs.reduce(0) { $0 + $1.lagBytes - $1.tailSkippedBytes })),
                ]
                if let lagSeconds { o.append(("lag_seconds", .double(lagSeconds.rounded()))) }
                o.append(("stalled", .int(Int64(fs.filter { $0.status == .ackStalled || $0.status == .readStalled }.count))))
                return (key, .object(o))
            })
    }

    // MARK: pipeline_stall

    struct Hop {
        var name: String
        var stuck: String?
        var numbers: [(String, JSONValue)]
        /// Why the hop is not judged: it lies behind a stopped one, or what it is judged by could not be read.
        var unjudged: String? = nil
    }

    static func pipelineStall(_ input: ProgressInput) -> Finding {
        let last = input.last
        let first = input.first
        let settings = input.settings
        guard !last.collectors.isEmpty else {
            return noCollector(last, "no pipeline to follow")
        }
        if let stopped = stoppedCollector(last, "no pipeline to follow") { return stopped }
        // No config of the subscription the collector loads: no data of it enters the pipeline at all.
        if input.unreadConfigs.isEmpty, !input.loadedConfigs || input.everyItemRefused != nil,
            let why = input.missingConfig.map({ "it has no config on this host (\($0))" })
                ?? input.refusedConfigs.first.map({ "the collector does not load its config (\($0))" })
                ?? input.everyItemRefused.map({ "the collector refuses its item(s), so no task runs (\($0))" })
        {
            return .unknown(
                "no pipeline to follow for the subscription: \(why)",
                hint: "见 bkunifylogbeat/config 检查：在日志平台/节点管理重新下发采集配置")
        }
        let files = input.files
        var hops: [Hop] = []

        // 1. files: what is written and not yet acknowledged (a file the collector never found is not on its way).
        let pending = files.reduce(Int64(0)) { $0 + $1.inFlightBytes }
        let grew = files.filter { $0.grew == true }.count
        hops.append(
            Hop(
                name: "files", stuck: nil,
                numbers: [("pending_bytes", .int(pending)), ("files", .int(Int64(files.count))), ("files_grown", .int(Int64(grew)))]))

        // 2. read positions.
        let open = files.filter { $0.read != nil }
        // Deleted files still held with bytes after their position are open at this hop too, and what they hold
        // unread is pending here (none of them is a target: no path matches a removed file; one still linked
        // under a matched path, a hard link, is counted there).
        let targetKeys = Set(files.map { ProgressSample.FileKey(inode: $0.inode, device: $0.device) })
        let deleted = deletedHeld(input).filter { $0.key.map { !targetKeys.contains($0) } ?? true }
        // Files a rotation renamed away from a target, still held with bytes after their position, are open at
        // this hop too (none of them is a target either), and what they hold unread is pending here.
        let renamed = renamedHeld(input)
        let deletedUnread = deleted.reduce(Int64(0)) { $0 + $1.unread }
        let renamedUnread = renamed.reduce(Int64(0)) { $0 + $1.unread }
        // A cut file whose harvester is still past its new end has all of it unread.
        let unread =
            open.reduce(Int64(0)) { $0 + $1.unreadBytes } + deletedUnread
            + renamedUnread
        let readStalled = files.filter { $0.status == .readStalled }
        let renamedStuck = renamed.filter(\.stuck)
        var readStuck: [String] = []
        // A file cut below its position, the harvester still past its end, has not been looked at since: whatever
        // it holds now (nothing, after a cut to zero) is not what says it is stuck.
        let (cutStalled, dataStalled) = (readStalled.filter(\.cutUnnoticed), readStalled.filter { !$0.cutUnnoticed })
        if !dataStalled.isEmpty {
            readStuck.append(
                "\(Fmt.list(dataStalled.map(\.path))) has data older than the harvester's \(seconds(settings.readBackoffSeconds)) backoff that the collector has not read"
            )
        }
        if !cutStalled.isEmpty {
            readStuck.append(
                "\(Fmt.list(cutStalled.map { "\($0.path) (\(bytes($0.size)) now)" })) was cut below the collector's position, and the collector has not noticed the cut for longer than the harvester's \(seconds(settings.readBackoffSeconds)) backoff: it is not reading"
            )
        }
        if !renamedStuck.isEmpty {
            readStuck.append(
                "\(Fmt.list(renamedStuck.map { "\($0.path) (\(bytes($0.unread)) unread)" })), renamed by a rotation and still held, is not being read"
            )
        }
        let deletedStuck = deleted.filter(\.stuck)
        if !deletedStuck.isEmpty {
            readStuck.append(
                "\(Fmt.list(deletedStuck.map { "\($0.path) (\(bytes($0.unread)) unread)" })), deleted and still held, is not being read (what is unread is lost when the collector closes it)"
            )
        }
        let denied = files.filter { $0.status == .denied }
        if !denied.isEmpty {
            readStuck.append(
                "\(Fmt.list(denied.map(\.path))) (\(bytes(denied.reduce(0) { $0 + $1.deniedBytes }))) cannot be opened by the collector: \(denied[0].denied ?? "")"
            )
        }
        var readNumbers: [(String, JSONValue)] = [
            ("files_open", .int(Int64(open.count + deleted.count + renamed.count))), ("unread_bytes", .int(unread)),
        ]
        if !renamed.isEmpty {
            readNumbers.append(
                (
                    "renamed_held",
                    .array(renamed.map { .object([("path", .string($0.path)), ("unread", .int($0.unread)), ("stuck", .bool($0.stuck))]) })
                ))
        }
        if !deleted.isEmpty {
            readNumbers.append(
                (
                    "deleted_held",
                    .array(deleted.map { .object([("path", .string($0.path)), ("unread", .int($0.unread)), ("stuck", .bool($0.stuck))]) })
                ))
        }
        hops.append(Hop(name: "read", stuck: readStuck.isEmpty ? nil : readStuck.joined(separator: "; "), numbers: readNumbers))

        // 3. the registry: heartbeat and acknowledged offsets.
        var registryNumbers: [(String, JSONValue)] = []
        var registryStuck: String?
        let registryUnread = registryProblem(last)
        if let problem = registryUnread {
            registryNumbers.append(("error", .string(problem.message)))
        } else {
            let h = last.heartbeatAge()
            if let h { registryNumbers.append(("heartbeat_age_s", .double((h * 10).rounded() / 10))) }
            let unacked = files.reduce(Int64(0)) { acc, f in acc + max(0, (f.read ?? f.acked ?? 0) - (f.acked ?? 0)) }
            registryNumbers.append(("read_not_acknowledged_bytes", .int(unacked)))
            let ackStalled = files.filter { $0.status == .ackStalled }
            if let h, input.registrySilence(h) < h {
                registryNumbers.append(("collector_age_s", .double((input.registrySilence(h) * 10).rounded() / 10)))
            }
            if let h, input.registrySilence(h) > settings.staleSeconds {
                registryStuck =
                    "the registry has not been written for \(seconds(h))\(input.registryOlderNote(h)) (3 flushes = \(seconds(settings.staleSeconds)))"
            } else if !ackStalled.isEmpty {
                // A file no harvester holds has no read position: what it holds past its acknowledged offset is read
                // again from that offset when the collector next opens it, not "read".
                let (read, unheld) = (ackStalled.filter { $0.read != nil }, ackStalled.filter { $0.read == nil })
                var parts: [String] = []
                if !read.isEmpty { parts.append("\(Fmt.list(read.map(\.path))) is read but not acknowledged for more than 3 flushes") }
                if !unheld.isEmpty {
                    parts.append(
                        "\(Fmt.list(unheld.map(\.path))) is not acknowledged past its registry offset for more than 3 flushes, and no harvester holds it (the collector reads it again from that offset when it next opens it)"
                    )
                }
                registryStuck = parts.joined(separator: "; ") + ": the output is not confirming events"
            }
        }
        hops.append(
            Hop(
                name: "registry", stuck: registryStuck, numbers: registryNumbers,
                unjudged: registryUnread.map { _ in "the registry could not be read" }))

        // 4. gseindex: events handed to the output, per data id.
        var indexNumbers: [(String, JSONValue)] = []
        // Events the collector handed to its GSE output between the samples (a gseindex that moved).
        var published = false
        if case .success(let r)? = last.registry?.read {
            var before: [String: UInt64] = [:]
            if case .success(let r0)? = first?.registry?.read { for g in r0.gseIndexes { before[g.dataID] = g.index } }
            for g in r.gseIndexes {
                var o: [(String, JSONValue)] = [("index", .int(Int64(clamping: g.index)))]
                if let b = before[g.dataID] {
                    o.append(("delta", .int(Int64(clamping: g.index) - Int64(clamping: b))))
                    if g.index != b { published = true }
                }
                indexNumbers.append((g.dataID, .object(o)))
            }
        }
        hops.append(Hop(name: "gseindex", stuck: nil, numbers: indexNumbers))

        // 5. the IPC socket: what the agent has not read, and what the collector writes.
        var ipcNumbers: [(String, JSONValue)] = []
        var ipcStuck: String?
        let wchar = last.collectors.compactMap { try? $0.io.get().writtenChars }.reduce(UInt64(0), &+)
        ipcNumbers.append(("collector_wchar", .int(Int64(clamping: wchar))))
        let wcharDelta = first.map { Self.collectorWritten($0, last) }
        if let wcharDelta { ipcNumbers.append(("collector_wchar_delta", .int(wcharDelta))) }
        if let q = last.ipcUnread {
            ipcNumbers.append(("unread_by_agent_bytes", .int(Int64(q))))
            let threshold: UInt32 = 64 * 1024
            let q0 = first?.ipcUnread
            if let q0 { ipcNumbers.append(("unread_by_agent_bytes_first", .int(Int64(q0)))) }
            let drained = Self.agentReadIPC(first, last, wcharDelta: wcharDelta)
            if drained { ipcNumbers.append(("agent_read_between_samples", .bool(true))) }
            if q >= threshold, first == nil || (q0 ?? threshold) >= threshold, !drained {
                ipcStuck = "\(bytes(Int64(q))) the collector sent over the IPC socket wait unread by gse_agent"
            }
        }
        if let n = last.ipcConnections { ipcNumbers.append(("collector_connections", .int(Int64(n)))) }
        if let b = last.ipcBacklog { ipcNumbers.append(("listen_backlog", .int(Int64(b)))) }
        // With data on its way: no accepted connection from the collector in either sample. Data is on its way while
        // bytes wait in the files, and also when the collector published events between the samples with nothing
        // pending: it wrote them into a connection the listener has not accepted, whose buffer took them (and the
        // registry acknowledged them) until it fills; nothing reads them there.
        let unconnected =
            last.ipcConnections == 0 && (first.map { $0.ipcConnections == 0 } ?? true) && (pending > 0 || published)
        if last.agentDown {
            ipcStuck = "gse_agent is not running: nothing receives what the collector sends over the IPC socket"
        } else if !last.agentStoppedPIDs.isEmpty {
            ipcStuck =
                "gse_agent is stopped (pid \(Fmt.list(last.agentStoppedPIDs.map(String.init))): SIGSTOP or a debugger, see gse_agent/process): "
                + "nothing receives what the collector sends over the IPC socket"
        } else if last.agentWorkerDown {
            ipcStuck =
                "gse_agent's agentWorker \(ProcessStates.gse1WorkerWords(stopped: last.agentWorkerStopped, aside: ", see gse_agent/process")): "
                + "nothing receives what the collector sends over the IPC socket"
        } else if unconnected, let b = last.ipcBacklog, b > 0, first.map({ ($0.ipcBacklog ?? 0) > 0 }) ?? true {
            ipcStuck =
                "the IPC socket's listener does not accept: \(b) connection(s) wait in its backlog, and the collector has none accepted (see gse_agent/socket for who listens)"
        } else if unconnected {
            ipcStuck = "the collector has no connection to the IPC socket (see gse_agent/socket and bkunifylogbeat/main_config)"
        }
        hops.append(Hop(name: "ipc", stuck: ipcStuck, numbers: ipcNumbers))
        let agentDown =
            last.agentDown
            ? "not judged: gse_agent is not running"
            : !last.agentStoppedPIDs.isEmpty
                ? "not judged: gse_agent is stopped"
                : last.agentWorkerDown
                    ? "not judged: gse_agent's agentWorker is \(last.agentWorkerStopped == nil ? "not running" : "stopped")" : nil

        // 6. the agent's TCP flow to the dataserver.
        var flowNumbers: [(String, JSONValue)] = []
        var flowStuck: String?
        switch last.agentFlows {
        case .failure(let e):
            flowNumbers.append(("error", .string(e.description)))
        case .success(let flows):
            flowNumbers.append(("connections", .int(Int64(flows.count))))
            var list: [JSONValue] = []
            for f in flows.prefix(8) {
                var o: [(String, JSONValue)] = [
                    ("remote", .string("\(f.socket.remoteAddress):\(f.socket.remotePort)")), ("state", .string(f.socket.state.name)),
                    ("send_queue", .int(Int64(f.sendQueue))),
                ]
                if let i = f.info {
                    if let a = i.bytesAcked { o.append(("bytes_acked", .int(Int64(clamping: a)))) }
                    if let n = i.notSentBytes { o.append(("notsent", .int(Int64(n)))) }
                    o += [
                        ("unacked_segments", .int(Int64(i.unackedSegments))), ("retransmits", .int(Int64(i.retransmits))),
                        ("backoff", .int(Int64(i.backoff))), ("last_ack_recv_ms", .int(Int64(i.lastAckReceivedMs))),
                    ]
                }
                list.append(.object(o))
            }
            flowNumbers.append(("flows", .array(list)))
            if let a = last.bytesAcked, let a0 = first?.bytesAcked {
                flowNumbers.append(("bytes_acked_delta", .int(Int64(clamping: a &- a0))))
            }
            let established = flows.filter { $0.socket.state == .established }
            let old = last.agentOtherDataFlows
            if !old.isEmpty {
                flowNumbers.append(
                    ("established_to_other_data_ports", JSONValue(old.map { "\($0.socket.remoteAddress):\($0.socket.remotePort)" })))
            }
            if established.isEmpty, !old.isEmpty {
                // Connected to a data port its config no longer names: the data may flow there, so that flow is
                // judged as the configured one would be (gse_agent/dataserver_port names the changed config).
                let backedOff = { (f: TCPFlow) in (f.info?.backoff ?? 0) > 0 && f.sendQueue > 0 }
                if old.allSatisfy(backedOff), first.map({ $0.agentOtherDataFlows.contains(where: backedOff) }) ?? true {
                    flowStuck =
                        "the dataserver is not acknowledging on \(old[0].socket.remoteAddress):\(old[0].socket.remotePort) (a data port the agent's config no longer names): \(backoff(old)) with \(queued(old))"
                }
            } else if established.isEmpty, flows.isEmpty, let closed = last.agentClosedDataFlows.first {
                flowStuck =
                    "the dataserver closed gse_agent's connection (\(closed.socket.remoteAddress):\(closed.socket.remotePort), CLOSE_WAIT) and gse_agent has neither closed it nor connected again (see gse_agent/dataserver_port)"
            } else if established.isEmpty {
                flowStuck =
                    flows.isEmpty
                    ? "gse_agent has no connection to the dataserver"
                        + (last.dataPorts.isEmpty
                            ? "" : " port \(last.dataPorts.map(String.init).joined(separator: "/")) (see gse_agent/dataserver_port)")
                    : "gse_agent's connection to the dataserver is not established (\(flows[0].socket.state.name))"
            } else if established.allSatisfy({ ($0.info?.backoff ?? 0) > 0 && $0.sendQueue > 0 }),
                // One lost segment at the moment of a sample is not a stall: with two samples, both must show it.
                first.map({ f in (try? f.agentFlows.get())?.contains { ($0.info?.backoff ?? 0) > 0 && $0.sendQueue > 0 } ?? false }) ?? true
            {
                flowStuck =
                    "the dataserver is not acknowledging: \(backoff(established)) with \(queued(established))"
            } else if let a = last.bytesAcked, let a0 = first?.bytesAcked, a == a0, established.allSatisfy({ $0.sendQueue > 0 }),
                let f0 = first, case .success(let before) = f0.agentFlows, before.contains(where: { $0.sendQueue > 0 })
            {
                flowStuck = "nothing the agent sent was acknowledged across the samples, with data queued"
            }
        }
        // A port taken as the default because the agent's config cannot be read may not be the agent's: no
        // connection to it says nothing; one that is stuck is still judged.
        let portUnknown = input.dataPortUnknown.flatMap { why in
            (try? last.agentFlows.get())?.contains { $0.socket.state == .established } == true
                ? nil : "not judged: the agent's data port is not known (\(why))"
        }
        hops.append(
            Hop(
                name: "dataserver", stuck: agentDown == nil && portUnknown == nil ? flowStuck : nil, numbers: flowNumbers,
                unjudged: agentDown ?? portUnknown))

        // 7. GSE 2: the agent's own view of its data channel.
        if let data = input.healthzData {
            hops.append(
                Hop(
                    name: "agent_healthz",
                    stuck: data == "ok" || agentDown != nil ? nil : "gse_agent --healthz reports its data channel as \"\(data)\"",
                    numbers: [("data", .string(data))], unjudged: agentDown))
        }

        var evidence: [(String, JSONValue)] = hops.map { h in
            var o = h.numbers
            o.insert(("state", .string(h.unjudged != nil ? "not_judged" : h.stuck == nil ? "ok" : "stuck")), at: 0)
            if let s = h.stuck ?? h.unjudged { o.append(("reason", .string(s))) }
            return (h.name, .object(o))
        }
        if let gap = input.gap { evidence.append(("sample_gap_s", .double((gap * 1000).rounded() / 1000))) }
        if let cut = input.gapCut { evidence.append(("sample_gap_asked_s", .double(cut.asked))) }
        // Backpressure runs upstream: every hop before a stuck one backs up behind it. Data stops at the
        // stuck hop furthest along the pipeline.
        guard let stop = hops.last(where: { $0.stuck != nil }) else {
            // Read positions that stayed behind data already there at the first sample, over a gap too short
            // to call them stuck (a harvester at the end of a file waits up to its backoff between reads).
            let notMoving = files.filter { f in
                guard f.readMoved == false, let r = f.read, let s0 = f.size0 else { return false }
                return s0 > r
            }
            // The same for acknowledged offsets behind bytes already read (the registry is written every flush).
            let ackNotMoving = files.filter { f in
                guard f.ackMoved == false, let r = f.read, let a = f.acked else { return false }
                return r > a
            }
            // Without the registry the read and registry hops are not judged: no stuck hop past them is not
            // every hop moving.
            if let registryUnread {
                // A registry deleted under the collector fails logpath_progress and loss_risk; nothing here is stuck.
                return Finding(
                    registryUnread.verdict == .fail ? .warn : registryUnread.verdict,
                    "no hop found stuck past the registry, but the read and registry hops are not judged: \(registryUnread.message)",
                    hint: registryUnread.hint, evidence: evidence)
            }
            // The agent's flow to the dataserver not found for want of its port: data past the IPC socket (in
            // the agent, on its way to the dataserver) is not seen, so nothing here says it moves.
            if let portUnknown {
                return .unknown(
                    "no hop found stuck up to gse_agent, but the dataserver hop is \(portUnknown)",
                    hint: "Agent 配置无法读取，不知道它的 dataserver 端口，无法判断数据是否从 Agent 发出：修复 Agent 配置，或用 --data-port 指定端口再检查",
                    evidence: evidence)
            }
            let ahead = writtenAhead(files, last)
            if !ahead.isEmpty {
                return .unknown(
                    "no hop found stuck, but \(Fmt.list(ahead.map(\.path))) was last written ahead of this host's clock: how long its data has waited, and so whether a hop is stuck, cannot be told",
                    hint: clockHint, evidence: evidence)
            }
            // No path known because a config of the subscription could not be read: the files, read and
            // acknowledgement hops had nothing to follow, which is not "nothing pending".
            if files.isEmpty, input.scope?.isEmpty == true, let why = input.unreadConfigs.first {
                return .unknown(
                    "nothing found stuck at the IPC socket or the dataserver link, but the file, read and acknowledgement hops are not judged: the log paths are not known, the subscription's config could not be read (\(why))",
                    hint: "见 bkunifylogbeat/config 检查：以 root 运行 bkdiag，或人工核对该订阅配置", evidence: evidence)
            }
            let untaken = files.filter { $0.tailSkippedBytes > 0 }
            let flowing: String
            if pending == 0 && deleted.isEmpty && files.isEmpty && input.scope?.isEmpty == true && input.loadedConfigs
                && input.unreadConfigs.isEmpty
            {
                // syslog, kafka and redis inputs: no file, read position or registry state to follow.
                flowing =
                    "nothing pending at the IPC socket or the dataserver link (the subscription's inputs read no files: no file, read or acknowledgement hop to follow)"
            } else if pending == 0 && deleted.isEmpty && renamed.isEmpty && untaken.isEmpty {
                flowing = "nothing pending"
            } else {
                // What waits: bytes in flight in the target files, and the unread bytes of deleted or renamed files
                // still held (not stuck yet: their harvester may be in its backoff; a stuck one stops data at the read hop).
                var waiting: [String] = []
                if pending > 0 { waiting.append("\(bytes(pending)) in flight") }
                if !deleted.isEmpty {
                    waiting.append(
                        "\(bytes(deletedUnread)) unread at the read hop in \(Fmt.list(deleted.map(\.path))), deleted and still held (what the collector has not read is lost when it closes it, see loss_risk)"
                    )
                }
                if !renamed.isEmpty {
                    waiting.append(
                        "\(bytes(renamedUnread)) unread at the read hop in \(Fmt.list(renamed.map(\.path))), renamed by a rotation and still held"
                    )
                }
                // Not in flight (the first scan after a restart would pass over them: tail_files), but not collected
                // either: the collector's scan has not found these files (logpath_progress and loss_risk say so).
                if !untaken.isEmpty {
                    waiting.append(
                        "\(bytes(untaken.reduce(0) { $0 + $1.tailSkippedBytes })) in \(Fmt.list(untaken.map(\.path))), which the collector has not found since they were written (see logpath_progress)"
                    )
                }
                // Deleted and renamed files whose position stood still: judged as the targets' read positions are.
                let heldStill = (deleted + renamed).filter { $0.moved == false }
                var parts: [String] = []
                if let gap = input.gap {
                    if !notMoving.isEmpty || !heldStill.isEmpty {
                        let paths = notMoving.map(\.path) + heldStill.map(\.path)
                        parts.append(
                            "the read position of \(Fmt.list(paths)) did not move in the \(seconds(gap)) between the samples, with data waiting (a harvester waits up to \(seconds(settings.readBackoffSeconds)) between reads: samples \(seconds(settings.readBackoffSeconds + settings.flushSeconds)) or more apart, --sample-gap, tell a stuck one)\(input.gapCutNote)"
                        )
                        evidence.append(("read_not_moving", JSONValue(paths)))
                    }
                    if !ackNotMoving.isEmpty {
                        parts.append(
                            "the acknowledged offset of \(Fmt.list(ackNotMoving.map(\.path))) did not move in the \(seconds(gap)) between the samples, with bytes read and waiting (the registry is written every \(seconds(settings.flushSeconds)): samples \(seconds(settings.staleSeconds)) or more apart tell a stuck output)\(input.gapCutNote)"
                        )
                        evidence.append(("acknowledgement_not_moving", JSONValue(ackNotMoving.map(\.path))))
                    }
                }
                let waits = waiting.joined(separator: "; ")
                if !parts.isEmpty {
                    flowing = "\(waits); " + parts.joined(separator: "; ")
                } else if input.gap == nil {
                    flowing = "\(waits) (one sample: movement not measured)"
                } else {
                    flowing = "\(waits), every hop moving"
                }
            }
            return .pass("no hop is stuck: \(flowing)" + (input.youngCollectorNote.map { "; " + $0 } ?? ""), evidence: evidence)
        }
        evidence.insert(("stuck_at", .string(stop.name)), at: 0)
        let hints = [
            "read": "采集器不再读取文件：检查文件所在磁盘/NFS 是否挂起、采集器是否卡住（可重启采集器）",
            "registry": "采集器读取了数据但输出没有确认：检查 gse_agent 的 IPC 连接与 bkunifylogbeat 日志",
            "ipc": "gse_agent 没有读取采集器发来的数据：检查 gse_agent 进程状态与日志，必要时重启 gse_agent",
            "dataserver": "gse_agent 到 GSE dataserver 的数据连接不通或不确认：检查网络、防火墙与 dataserver 状态",
            "agent_healthz": "gse_agent 自检报告数据通道异常：查看 gse_agent 日志与 dataserver 连接",
        ]
        let hint: String
        if stop.name == "ipc" && last.agentDown {
            hint = "gse_agent 未运行：先恢复 gse_agent 进程（它托管采集器并转发采集数据）"
        } else if stop.name == "ipc" && !last.agentStoppedPIDs.isEmpty {
            hint =
                "gse_agent 进程被暂停（SIGSTOP/调试器附加），数据无法上报：kill -CONT \(ProcessStates.continueList(last.agentStoppedPIDs)) 或结束调试器，或重启 Agent（gsectl restart 或节点管理），见 gse_agent/process"
        } else if stop.name == "ipc" && last.agentWorkerDown {
            hint =
                last.agentWorkerStopped == nil
                ? "GSE 1 的工作进程 agentWorker 不在（只剩 gseMaster），数据无法上报：重启 Agent（gsectl restart 或节点管理），见 gse_agent/process"
                : ProcessStates.gse1WorkerHint(
                    stoppedPIDs: last.agentWorkerStoppedPIDs, restart: "gsectl restart 或节点管理", tail: "，数据无法上报")
        } else if stop.name == "ipc" && unconnected {
            hint = "IPC 监听没有接受采集器的连接：见 gse_agent/socket（监听者可能不是 gse_agent）与 bkunifylogbeat/main_config（endpoint），处理后重启采集器"
        } else if stop.name == "dataserver", case .success(let flows) = last.agentFlows, flows.isEmpty, !last.agentClosedDataFlows.isEmpty {
            hint =
                "dataserver 已关闭连接而 gse_agent 没有关闭也没有重连（CLOSE_WAIT），问题在 Agent 而非网络：重启 Agent（gsectl restart 或节点管理），见 gse_agent/dataserver_port"
        } else {
            hint = hints[stop.name] ?? ""
        }
        return .fail("data stops at \(stop.name): \(stop.stuck!)" + Self.behind(files, pending: pending), hint: hint, evidence: evidence)
    }

    /// What waits behind a stuck hop, in words that say which bytes they are: log lines written to the files and
    /// not acknowledged by the output, of which the collector has or has not read (a reader may take the bytes
    /// behind a stuck IPC socket for bytes sent to it, when most were never read).
    static func behind(_ files: [FileProgress], pending: Int64) -> String {
        guard pending > 0 else { return "" }
        // As the read hop counts it: all of a cut file whose harvester has not noticed the cut is unread.
        let notRead = files.reduce(Int64(0)) { $0 + min($1.inFlightBytes, $1.unreadBytes) }
        if notRead >= pending { return "; \(bytes(pending)) of log written and not yet read by the collector behind it" }
        if notRead <= 0 { return "; \(bytes(pending)) of log read by the collector and not acknowledged behind it" }
        return "; \(bytes(pending)) of log written and not acknowledged behind it, \(bytes(notRead)) of it not yet read by the collector"
    }

    /// What the flows hold in their send queues, in words: sent and not acknowledged, or not sent at all
    /// (`tcpi_notsent_bytes`; with no segment in flight, the dataserver's receive window is closed: it takes
    /// the connection's acknowledgements but reads nothing).
    /// How the agent's kernel backs off on `flows`: probing a closed receive window (nothing in flight, bytes not
    /// sent: the persist timer) or retransmitting.
    static func backoff(_ flows: [TCPFlow]) -> String {
        let notSent = flows.reduce(Int64(0)) { $0 + Int64($1.info?.notSentBytes ?? 0) }
        let inFlight = flows.reduce(Int64(0)) { $0 + Int64($1.info?.unackedSegments ?? 0) }
        return notSent > 0 && inFlight == 0 ? "zero-window probes backing off" : "retransmission backoff"
    }

    static func queued(_ flows: [TCPFlow]) -> String {
        let total = flows.reduce(Int64(0)) { $0 + Int64($1.sendQueue) }
        let notSent = flows.reduce(Int64(0)) { $0 + Int64($1.info?.notSentBytes ?? 0) }
        let inFlight = flows.reduce(Int64(0)) { $0 + Int64($1.info?.unackedSegments ?? 0) }
        if notSent > 0 && inFlight == 0 {
            return "\(bytes(total)) queued and not sent: the dataserver's receive window is closed (it does not read)"
        }
        if notSent > 0 { return "\(bytes(total)) queued, \(bytes(max(0, total - notSent))) of it sent and unacknowledged" }
        return "\(bytes(total)) unacknowledged"
    }

    /// Bytes the collectors wrote between the samples, over the collectors in both only: a restarted one's counter
    /// starts again from 0.
    static func collectorWritten(_ first: ProgressSample, _ last: ProgressSample) -> Int64 {
        let before = Dictionary(first.collectors.compactMap { c in (try? c.io.get().writtenChars).map { (c.pid, $0) } }) { a, _ in a }
        var delta: Int64 = 0
        for c in last.collectors {
            if let w = try? c.io.get().writtenChars, let w0 = before[c.pid], w >= w0 { delta += Int64(clamping: w - w0) }
        }
        return delta
    }

    /// Whether gse_agent read the collector's IPC connections between the samples: their unread bytes went down, or the
    /// collector wrote past what waits now by more than the queue held at both samples together (its other writes,
    /// the registry's, are small beside that) while the agent's data flow to the dataserver moved 64 KiB or more. An
    /// agent that reads in bursts shows a high queue at any two instants, and is not stuck.
    static func agentReadIPC(_ first: ProgressSample?, _ last: ProgressSample, wcharDelta: Int64? = nil) -> Bool {
        guard let first, let q = last.ipcUnread, let q0 = first.ipcUnread else { return false }
        if q < q0 { return true }
        let written = wcharDelta ?? collectorWritten(first, last)
        let threshold: Int64 = 64 * 1024
        guard written - (Int64(q) - Int64(q0)) >= Int64(q) + threshold, let a = last.bytesAcked, let a0 = first.bytesAcked else {
            return false
        }
        // (A connection gone between the samples takes its count out of the sum: no movement is read into that.)
        return a >= a0 && a - a0 >= UInt64(threshold)
    }

    // MARK: renamed files still held

    /// A file a rotation renamed away from a target (same directory; the target's name followed by `.`, `-`
    /// or `_`: `a.log.1`, `a.log-20261201`; or its stem followed by `.` and a digit: `a.2026-12-01.log`) that
    /// a collector still holds with bytes after its position: `close_renamed` is off by default, so its
    /// harvester reads on. Stuck when the position did not move across the samples and either bytes already
    /// there at the first sample are still unread across samples longer than the harvester's longest backoff
    /// and a flush (one line appended since is the backoff's, not a stall), or the file's last write is older
    /// than that (a harvester with unread data does not back off; the one-shot run's samples are a second
    /// apart). Only with a scope (the live run's).
    struct RenamedHeld {
        var path: String
        var unread: Int64
        var stuck: Bool
        /// Whether its read position moved across the samples: nil with one sample, or for a file not held
        /// at the first.
        var moved: Bool? = nil
        /// The file's inode and device. Set for deleted files only.
        var key: ProgressSample.FileKey? = nil
    }

    static func renamedHeld(_ input: ProgressInput) -> [RenamedHeld] {
        guard let owns = Ownership(input) else { return [] }
        let targetKeys = Set(input.files.map { ProgressSample.FileKey(inode: $0.inode, device: $0.device) })
        let wait = input.settings.readBackoffSeconds + input.settings.flushSeconds
        let longEnough = (input.gap ?? 0) >= wait
        var held: [(pid: Int32, file: OpenFilePosition)] = []
        var unplaced: [(pid: Int32, file: OpenFilePosition)] = []
        for c in input.last.collectors {
            for f in (try? c.open.get()) ?? [] where !f.deleted && f.size > f.position {
                guard !targetKeys.contains(.init(inode: f.inode, device: f.device)), !owns.matches(f.path) else { continue }
                if owns.isRotation(f.path) { held.append((c.pid, f)) } else { unplaced.append((c.pid, f)) }
            }
        }
        // A rotation that left no file under the paths (no new file created, or its rotations named otherwise) leaves
        // no name to tell it by: the registry's state for the file does.
        let recorded = owns.recorded(Set(unplaced.map { ProgressSample.FileKey(inode: $0.file.inode, device: $0.file.device) }), in: input)
        held += unplaced.filter { recorded.contains(.init(inode: $0.file.inode, device: $0.file.device)) }
        return held.map { c in
            let f = c.file
            let before = input.atFirstSample(f, pid: c.pid)
            let moved = before.map { $0.position != f.position }
            let still = moved.map { !$0 } ?? (input.first == nil)
            let old = f.mtime > 0 && input.last.wallSeconds - Double(f.mtime + 1) > wait
            let stuck = still && (old || (longEnough && before.map { $0.size > f.position } == true))
            return RenamedHeld(path: f.path, unread: f.size - f.position, stuck: stuck, moved: moved)
        }
    }

    /// Deleted files of the subscription (all, without a scope, as loss_risk counts them) a collector still holds
    /// with bytes after its position, each `stuck` when it is not being read: the position did not move across
    /// the samples, and either the samples are further apart than the harvester's longest backoff and a flush,
    /// or the file's last write is older than that (a harvester with unread data does not back off). What it
    /// has not read goes when it closes them (loss_risk counts it); for a stuck one the read hop is where data stops.
    static func deletedHeld(_ input: ProgressInput) -> [RenamedHeld] {
        let owns = Ownership(input)
        let settings = input.settings
        let wait = settings.readBackoffSeconds + settings.flushSeconds
        let longEnough = (input.gap ?? 0) >= wait
        var held: [(pid: Int32, file: OpenFilePosition)] = []
        var unplaced: [(pid: Int32, file: OpenFilePosition)] = []
        for c in input.last.collectors {
            for f in (try? c.open.get()) ?? [] where f.deleted && f.size > f.position {
                if owns.map({ $0.owns(f.path) }) ?? true { held.append((c.pid, f)) } else { unplaced.append((c.pid, f)) }
            }
        }
        // Renamed before it was deleted, to a name no rotation rule ties to a file under the paths (none is left): the
        // registry's state for the file tells whose it is.
        if let owns {
            let recorded = owns.recorded(
                Set(unplaced.map { ProgressSample.FileKey(inode: $0.file.inode, device: $0.file.device) }), in: input)
            held += unplaced.filter { recorded.contains(.init(inode: $0.file.inode, device: $0.file.device)) }
        }
        return held.map { pid, f in
            let moved = input.atFirstSample(f, pid: pid).map { $0.position != f.position }
            let still = moved == false
            let old = f.mtime > 0 && input.last.wallSeconds - Double(f.mtime + 1) > wait
            return RenamedHeld(
                path: f.path, unread: f.size - f.position, stuck: still && (longEnough || old), moved: moved,
                key: .init(inode: f.inode, device: f.device))
        }
    }

    /// An item's pattern with its exclude_files, as the collector's scan applies them.
    struct PatternReader {
        let matcher: Glob.CollectorMatcher
        let rules: CollectorFileRules

        init(_ p: OtherPattern) {
            matcher = Glob.CollectorMatcher(p.pattern)
            rules = CollectorFileRules(excludes: p.excludes, ignoreOlder: nil, source: "", build: p.build)
        }

        func matches(_ path: String) -> Bool { matcher.matches(path) }

        /// Whether the item's scan takes `path`: its pattern matches it and its exclude_files does not surely skip it.
        func reads(_ path: String) -> Bool { matcher.matches(path) && rules.isExcluded(path) != true }
    }

    /// Which files a collector holds are the checked subscription's: those its (or `-l`'s) patterns match,
    /// and those a rotation renamed away from one of its files (same directory; the file's name followed by
    /// `.`, `-` or `_`: `a.log.1`, `a.log-20261201`; or its stem followed by `.`, `-` or `_` and a digit:
    /// `a.2026-12-01.log`, `app-2026-12-01T10-00-00.000.log`, `app_20261201.log`), unless another
    /// subscription's pattern claims it without also matching the file it was renamed from (`app.log.wf`
    /// beside `app.log` is the `*.log.wf` subscription's; a broad `/data/logs/*` of another one does not take
    /// this one's `app.log.1`). Nil without a scope (unit inputs built without one). Patterns are expanded
    /// once, and targets grouped by directory: a host holds thousands of files.
    struct Ownership {
        let patterns: [Glob.CollectorMatcher]
        let others: [PatternReader]
        let targets: [String: [Substring]]

        /// The subscription's items the collector takes, with their exclude_files (`ProgressInput.ownPatterns`); nil:
        /// `patterns` alone.
        let own: [PatternReader]?

        init?(_ input: ProgressInput) {
            guard let scope = input.scope else { return nil }
            patterns = scope.map(Glob.CollectorMatcher.init)
            others = input.otherPatterns.map(PatternReader.init)
            own = input.ownPatterns.map { $0.map(PatternReader.init) }
            // A file its item excludes, or that a refused item names, is not one this subscription reads: a rotation
            // of it is not its either. (One aged past ignore_older was read before.)
            var byDir: [String: [Substring]] = [:]
            for f in input.files where f.error == nil && (f.skipped == nil || f.skipped?.hasPrefix("ignore_older") == true) {
                byDir[Sys.dirname(f.path), default: []].append(Self.name(f.path))
            }
            targets = byDir
        }

        static func name(_ path: String) -> Substring { path.split(separator: "/", omittingEmptySubsequences: false).last ?? "" }

        /// Whether the subscription reads `path`: an item it has that the collector takes names it and does not exclude
        /// it (with `-l`, an asked pattern matches it).
        func matches(_ path: String) -> Bool {
            guard let own else { return patterns.contains { $0.matches(path) } }
            return own.contains { $0.reads(path) }
        }

        /// The target `path` is a rotation of, if any.
        func rotated(from path: String) -> String? {
            let dir = Sys.dirname(path), held = Self.name(path)
            guard let names = targets[dir] else { return nil }
            let from = names.first { t in
                guard !t.isEmpty else { return false }
                if held.hasPrefix(t), let next = held.dropFirst(t.count).first, ".-_".contains(next) { return true }
                let stem = t.prefix { $0 != "." }
                guard !stem.isEmpty, stem.count < t.count, held.count > stem.count + 1, held.hasPrefix(stem),
                    ".-_".contains(held.dropFirst(stem.count).first!)
                else { return false }
                return held.dropFirst(stem.count + 1).first?.isNumber == true
            }
            return from.map { (dir == "/" ? "" : dir) + "/" + $0 }
        }

        func isRotation(_ path: String) -> Bool {
            guard let original = rotated(from: path) else { return false }
            // An item whose exclude_files skips the path (`\.1$`, `.gz$`) does not collect it, so does not claim it.
            return !others.contains { $0.reads(path) && !$0.matches(original) }
        }

        /// Whether an item of another subscription the collector takes reads `path` (its exclude_files aside).
        func otherMatches(_ path: String) -> Bool { others.contains { $0.reads(path) } }

        /// A deleted file is the subscription's when its path was one of its files or a rotation of one.
        func owns(_ path: String) -> Bool { matches(path) || isRotation(path) }

        /// Of `keys` (held files that neither a pattern nor a rotation of a file under the paths places), those the
        /// registry holds a state for under a path the patterns match: files the collector read as this subscription's,
        /// renamed or deleted since (a rotation that left no file under the paths).
        /// Of several states for one file, the newest counts (a state kept long after its file went names an inode
        /// another file may have taken since: under `inode_path` both states are kept side by side).
        func recorded(_ keys: Set<ProgressSample.FileKey>, in input: ProgressInput) -> Set<ProgressSample.FileKey> {
            guard !keys.isEmpty, case .success(let r)? = input.last.registry?.read else { return [] }
            var newest: [ProgressSample.FileKey: CollectorFileState] = [:]
            for s in r.fileStates {
                let key = ProgressSample.FileKey(inode: s.inode, device: s.device)
                guard keys.contains(key) else { continue }
                if let have = newest[key],
                    (have.timestampSeconds ?? .min, have.timestampNanoseconds ?? 0) >= (
                        s.timestampSeconds ?? .min, s.timestampNanoseconds ?? 0
                    )
                {
                    continue
                }
                newest[key] = s
            }
            return Set(newest.filter { matches($0.value.source) }.keys)
        }
    }

    /// The subscription's syslog servers: bound by a collector (`up`), or not (`down`, saying what holds the
    /// port); `unknown` when the sockets could not be listed. A server whose protocol and port another item's
    /// server takes on the same addresses (this subscription's or another's: `NetworkListen.sharedServers`) is
    /// `down` whatever the sockets say: one of the two receives nothing, and what is sent there is collected
    /// under the other's data id. A server on port 0 binds a port the kernel picks: it is looked for among the
    /// collector's sockets on that protocol and address, at ports no other server of the collector names.
    static func syslogServers(_ last: ProgressSample) -> (up: [String], down: [String], unknown: String?, unreachable: [String]) {
        var up: [String] = [], down: [String] = [], unreachable: [String] = []
        guard !last.listens.isEmpty else { return ([], [], nil, []) }
        let all = last.listens + last.otherListens
        let sharing = NetworkListen.sharedServers(last.listens, others: last.otherListens)
        let shared = Set(sharing.map(\.index))
        down += sharing.map(\.why)
        guard case .success(let sockets)? = last.servers else {
            if !down.isEmpty { return ([], down, nil, []) }
            if case .failure(let e)? = last.servers { return ([], [], e.description, []) }
            return ([], [], "the collector's sockets could not be read", [])
        }
        for (i, l) in last.listens.enumerated() where !shared.contains(i) {
            guard let port = l.port, let address = l.address else {
                if case .refused(let why) = l.resolution { down.append("\(l.label) (Go refuses the address: \(why))") }
                continue
            }
            let bound = l.proto == "tcp" ? sockets.tcpListening : sockets.udp
            if port == 0 {
                // Sockets of the collector on that protocol and address, at a port no other server names.
                let claimed = Set(all.filter { $0.proto == l.proto }.compactMap(\.port))
                let wildcard = address.isEmpty || GoListenAddress.IPAddress(address)?.isWildcard == true
                let picked = bound.filter { e in
                    guard sockets.collectorInodes.contains(e.inode), !claimed.contains(e.localPort) else { return false }
                    let socketWildcard = GoListenAddress.IPAddress(e.localAddress)?.isWildcard == true
                    return wildcard ? socketWildcard : !socketWildcard && GoListenAddress.sameAddresses(address, e.localAddress) != false
                }.map(\.localPort)
                if picked.isEmpty {
                    down.append(
                        "\(l.label) (port 0: Go binds a port the kernel picks, and no socket of the collector is bound on \(l.proto) \(wildcard ? "every address" : address) at a port no other server names)"
                    )
                } else {
                    // Up, but at a port no sender can know: nothing reaches it.
                    unreachable.append(
                        "\(l.label) (port 0: the kernel picked \(Set(picked).sorted().map(String.init).joined(separator: ", ")), another at each start, so no sender can be pointed at it)"
                    )
                }
                continue
            }
            let onPort = bound.filter { $0.localPort == port }
            // A socket serves the server's address when it is bound to it or to every address (a host name,
            // resolved when the server starts, is not told apart).
            func serves(_ e: TCPSocketEntry) -> Bool {
                guard let mine = GoListenAddress.IPAddress(address) else { return true }
                guard let theirs = GoListenAddress.IPAddress(e.localAddress) else { return true }
                return theirs.isWildcard || (!mine.isWildcard && mine == theirs)
            }
            let collectors = onPort.filter { sockets.collectorInodes.contains($0.inode) }
            if collectors.contains(where: serves) {
                up.append(l.label)
            } else if let mine = collectors.first {
                down.append(
                    "\(l.label) (the collector's \(l.proto) socket on port \(port) is bound to \(mine.localAddress), another item's server, not \(address.isEmpty ? "every address" : address))"
                )
            } else if let other = onPort.first {
                down.append(
                    "\(l.label) (\(l.proto) port \(port) is held by another socket, \(other.localAddress):\(port), not the collector)")
            } else {
                down.append("\(l.label) (nothing listens on \(l.proto) port \(port))")
            }
        }
        return (up, down, nil, unreachable)
    }

    // MARK: loss_risk

    /// The risks loss_risk lists one by one; past this many they are counted by reason.
    static let maxRisksListed = 20

    /// Less than 1 MiB or 1 % left for an unprivileged writer.
    static func isFull(_ space: FileSystemSpace) -> Bool {
        space.availableBytes < 1 << 20 || (space.totalBytes > 0 && Double(space.availableBytes) / Double(space.totalBytes) < 0.01)
    }

    static func lossRisk(_ input: ProgressInput) -> Finding {
        let last = input.last
        // No config of the subscription here: the files asked about (-l) are not its, so what they hold is not
        // its data at risk (another subscription may collect them).
        if let why = input.missingConfig {
            return .unknown(
                "cannot count the log data at risk: the subscription has no config on this host (\(why))",
                hint: "见 bkunifylogbeat/config 检查：确认订阅 ID，在日志平台/节点管理重新下发采集配置")
        }
        // Every item refused, some with no log path (syslog, kafka, redis), or none naming the files -l asks about:
        // what their sources send is not collected at all, how much cannot be counted here. (Files a refused item
        // names are counted below, as item_refused.)
        if let why = input.everyItemRefused, input.scope?.isEmpty == true || !input.files.contains(where: \.refused) {
            return .warn(
                "log data may not be collected: the collector refuses the subscription's item(s), so no task runs (\(why)); how much cannot be counted",
                hint: "采集器拒绝了该订阅的采集项，其数据不会被采集：先处理 bkunifylogbeat/config 检查的结论",
                evidence: [("risks", .array([.object([("reason", .string("item_refused")), ("rule", .string(why))])]))])
        }
        var risks: [(severe: Bool, bytes: Int64, reason: String, value: JSONValue)] = []
        /// What some risks are, for people (the message names the reasons; the platform shows no evidence).
        var details: [String] = []
        var failAt = 0
        var warnAt = 0
        var total: Int64 = 0
        /// Risks whose amount is not known (a truncated file: what was cut before the collector read it).
        var uncounted = 0
        var excluded = 0
        var excludedBytes: Int64 = 0
        /// Files aged past ignore_older whose state the collector would have dropped by now (`stateDropped`):
        /// whether they were collected is not known, so their bytes are not called at risk.
        var dropped = 0
        var droppedBytes: Int64 = 0
        var unreadable: [String] = []
        // A collector bkdiag may not look into (not root: not placed, or its open files unreadable): which files
        // it holds, and so which it never found or stopped reading, cannot be told. Those risks are not claimed
        // (they were never seen); the others (permissions, truncations, refused items, full file systems) are.
        let opaque = !last.unplacedCollectorPIDs.isEmpty || last.collectors.contains { (try? $0.open.get()) == nil }
        var unjudged = 0
        func add(_ reason: String, _ bytes: Int64?, _ severe: Bool, _ extra: [(String, JSONValue)]) {
            if opaque && (reason == "tail_files" || reason == "rotated_unread" || reason == "harvester_limit") {
                unjudged += 1
                return
            }
            var o: [(String, JSONValue)] = [("reason", .string(reason))]
            if let bytes {
                o.append(("bytes", .int(bytes)))
                total += bytes
            } else {
                uncounted += 1
            }
            risks.append((severe, bytes ?? 0, reason, .object(o + extra)))
            if severe { failAt += 1 } else { warnAt += 1 }
        }
        // Deleted files the collector still holds: what it has not read goes when it closes them. Only this
        // subscription's (by its patterns, as a rotation of one of its files, or, with no file of its left to tell a
        // rotation by, by the registry's state for the file recorded under one of its paths).
        let owners = Ownership(input)
        var unplaced = Set<ProgressSample.FileKey>()
        for c in last.collectors {
            for f in (try? c.open.get()) ?? [] where f.deleted && f.size > f.position && owners.map({ !$0.owns(f.path) }) == true {
                unplaced.insert(.init(inode: f.inode, device: f.device))
            }
        }
        let recorded = owners.map { $0.recorded(unplaced, in: input) } ?? []
        for c in last.collectors {
            switch c.open {
            case .failure(let e):
                unreadable.append("pid \(c.pid): \(e.description)")
            case .success(let open):
                for f in open
                where f.deleted && (owners.map { $0.owns(f.path) } ?? true || recorded.contains(.init(inode: f.inode, device: f.device))) {
                    let unread = max(0, f.size - f.position)
                    var extra: [(String, JSONValue)] = [
                        ("path", .string(f.path)), ("pid", .int(Int64(c.pid))), ("size", .int(f.size)), ("position", .int(f.position)),
                    ]
                    if let available = last.deletedFileSpace[f.path] { extra.append(("fs_available", .int(available))) }
                    // The harvester reads a removed file to its end before closing it: the bytes are lost only if it
                    // is stuck. So fail when its position did not move across the samples, warn otherwise.
                    let before = input.atFirstSample(f, pid: c.pid)
                    let stuck = before.map { $0.position == f.position } ?? false
                    extra.append(("position_moving", before.map { .bool($0.position != f.position) } ?? .null))
                    // Read to its end, a removed file loses nothing: the collector closes it (close_removed).
                    if unread > 0 { add("deleted_held", unread, stuck, extra) }
                }
            }
        }
        // A file a rotation renamed away from one of the subscription's, not held by the collector, under a
        // name no pattern the collector reads matches: what it had not acknowledged will not be read.
        var held = Set<ProgressSample.FileKey>()
        for c in last.collectors {
            for f in (try? c.open.get()) ?? [] { held.insert(.init(inode: f.inode, device: f.device)) }
        }
        for f in input.files where f.error == nil {
            for state in f.rotatedFrom {
                let key = ProgressSample.FileKey(inode: state.inode, device: state.device)
                // Named as a rotation of the file (`a.log.1`, `a.log-20261201`): an unrelated file that took
                // the inode after the rotated one was removed is not it (where no birth time tells).
                guard let now = last.rotatedAway[key], now.size > state.offset, !held.contains(key), let owners,
                    owners.rotated(from: now.path) == f.path, !owners.matches(now.path), !owners.otherMatches(now.path)
                else { continue }
                // Created after its inode's state was recorded: a new file that reused the inode.
                if let birth = now.birth, let at = state.timestampSeconds, birth > at + 1 { continue }
                // Renamed lately, the harvester may still have read it to its end and closed it (close_removed)
                // since the registry was last written: its final offset is judged once the registry has been
                // written a read backoff and a flush after the rename.
                let settle = input.settings.readBackoffSeconds + input.settings.flushSeconds
                guard case .success(let reg)? = last.registry?.stat, Double(reg.mtime) > Double(now.ctime) + settle else { continue }
                add(
                    "rotated_unread", now.size - state.offset, false,
                    [
                        ("path", .string(now.path)), ("rotated_from", .string(f.path)), ("size", .int(now.size)),
                        ("acknowledged", .int(state.offset)),
                    ])
            }
        }
        for f in input.files {
            switch f.status {
            case .truncated:
                add("truncated", nil, false, [("path", .string(f.path)), ("size", .int(f.size)), ("acknowledged", .int(f.acked ?? 0))])
            case .readStalled where f.cutUnnoticed:
                // Cut below what was acknowledged, and the harvester holding it has not noticed: what was cut
                // before it was read is gone, how much cannot be told.
                add("truncated", nil, false, [("path", .string(f.path)), ("size", .int(f.size)), ("acknowledged", .int(f.acked ?? 0))])
            case _ where f.reuseSkippedBytes > 0:
                add(
                    f.stateOfOtherFile ? "path_reused" : "inode_reused", f.reuseSkippedBytes, false,
                    [("path", .string(f.path)), ("inode", .int(Int64(clamping: f.inode))), ("acknowledged", .int(f.acked ?? 0))])
            case .denied:
                // The collector cannot open it: what it has not acknowledged is not collected.
                add(
                    "permission_denied", f.deniedBytes, true,
                    [("path", .string(f.path)), ("size", .int(f.size)), ("why", .string(f.denied ?? ""))])
                details.append(f.denied ?? "\(f.path) cannot be opened by the collector")
            case .neverCollected where f.tailSkippedBytes > 0:
                // tail_files: the first scan of an input that starts (or is reloaded) begins a file it has no
                // state for at its end; only a running input's later scan reads it from the start.
                add("tail_files", f.tailSkippedBytes, false, [("path", .string(f.path)), ("size", .int(f.size))])
            case .skipped where f.skippedBytes > 0 && (f.skipped ?? "").hasPrefix("exclude_files"):
                // The item's own choice (by default compressed and backup files: logrotate's `compress`
                // output of a log already collected): not data at risk. logpath_match counts them.
                excluded += 1
                excludedBytes += f.skippedBytes
            case .skipped where f.stateDropped:
                dropped += 1
                droppedBytes += f.size
            case .skipped where f.skippedBytes > 0 && (f.skipped ?? "").hasPrefix(FileProgress.notListedPrefix):
                // Asked about (-l), and read by no item of the config delivered here: none of it is collected.
                add("not_in_config", f.skippedBytes, false, [("path", .string(f.path))])
                details.append("\(f.path) is read by no item of the subscription's config here")
            case .skipped where f.skippedBytes > 0 && f.refused:
                // No task runs for the item: bkunifylogbeat/config names why.
                add("item_refused", f.skippedBytes, false, [("path", .string(f.path)), ("rule", .string(f.skipped ?? ""))])
            case .skipped where f.skippedBytes > 0:
                var extra: [(String, JSONValue)] = [("path", .string(f.path)), ("rule", .string(f.skipped ?? ""))]
                if let a = f.acked { extra += [("size", .int(f.size)), ("acknowledged", .int(a))] }
                add("skipped", f.skippedBytes, false, extra)
            default: break
            }
        }
        // More files with data waiting than the item lets harvesters run. The limit is each item's (each is an
        // input of its own), not the data id's: NodeMan's template gives every item of a config one data id.
        let limits = Dictionary(
            grouping: last.files.filter { ($0.target.harvesterLimit ?? 0) > 0 },
            by: { $0.target.item ?? "dataid \($0.target.dataid ?? -1)" })
        for (item, targets) in limits.sorted(by: { $0.key < $1.key }) {
            let limit = targets[0].target.harvesterLimit ?? 0
            let dataid = targets[0].target.dataid ?? -1
            let paths = Set(targets.map(\.target.path))
            let mine = input.files.filter { paths.contains($0.path) }
            // A harvester is taken by every file the collector holds open, new data or not (a quiet file
            // stays open until close_inactive): files with data waiting that none holds wait for one.
            let open = mine.filter { $0.read != nil }.count
            let waiting = mine.filter(\.wantsHarvester)
            let notOpen = waiting.filter { $0.read == nil }
            if !notOpen.isEmpty && (open >= limit || waiting.count > limit) {
                add(
                    "harvester_limit", notOpen.reduce(0) { $0 + $1.lagBytes }, false,
                    [
                        ("dataid", .int(dataid)), ("item", .string(item)), ("harvester_limit", .int(Int64(limit))),
                        ("files_open", .int(Int64(open))),
                        ("files_waiting", .int(Int64(waiting.count))), ("files_waiting_not_open", .int(Int64(notOpen.count))),
                    ])
            }
        }
        // A log's file system (nearly) full for writers that are not root: such an application cannot write its
        // log, and nothing new reaches the collector (root may still use the reserved blocks). A large volume
        // with more than 100 MiB left is not called full by its 1 %; one that reports no size at all (some FUSE
        // and network file systems) says nothing.
        for (dir, space) in last.logFileSystems
        where space.totalBytes > 0 && Self.isFull(space) && space.availableBytes < 100 << 20 {
            add(
                "log_fs_full", nil, false,
                [("directory", .string(dir)), ("fs_available", .int(space.availableBytes)), ("fs_total", .int(space.totalBytes))])
            details.append(
                "the file system of \(dir) is nearly full, \(bytes(space.availableBytes)) of \(bytes(space.totalBytes)) left to processes that are not root: an application not running as root cannot write its log"
            )
        }
        // A registry that cannot be written loses the progress: a restart re-reads or skips.
        if let reg = last.registry, case .success(let space) = reg.space {
            if Self.isFull(space) {
                add(
                    "registry_fs_full", nil, true,
                    [("path", .string(reg.path)), ("fs_available", .int(space.availableBytes)), ("fs_total", .int(space.totalBytes))])
                details.append(
                    "the file system of the registry \(reg.path) has \(bytes(space.availableBytes)) free of \(bytes(space.totalBytes)): progress cannot be saved"
                )
            }
        }
        // The report is one line the central side reads whole: a directory of 10,000 skipped files
        // must not make it megabytes. The worst risks are listed (severe first, then by bytes), the
        // rest counted by reason.
        let reasons = risks.map(\.reason).uniqued()
        let worst = risks.enumerated().sorted {
            ($0.element.severe ? 1 : 0, $0.element.bytes, -$0.offset) > ($1.element.severe ? 1 : 0, $1.element.bytes, -$1.offset)
        }.prefix(Self.maxRisksListed).map(\.element.value)
        var evidence: [(String, JSONValue)] = [("bytes_at_risk", .int(total)), ("risks", .array(Array(worst)))]
        if excluded > 0 {
            evidence.append(("excluded_files", .object([("files", .int(Int64(excluded))), ("bytes", .int(excludedBytes))])))
        }
        if dropped > 0 {
            evidence.append(("aged_out_state_dropped", .object([("files", .int(Int64(dropped))), ("bytes", .int(droppedBytes))])))
        }
        if risks.count > worst.count {
            evidence.append(("risks_total", .int(Int64(risks.count))))
            let counts = Dictionary(grouping: risks, by: \.reason).mapValues { Int64($0.count) }
            evidence.append(("risks_by_reason", .object(reasons.map { ($0, .int(counts[$0] ?? 0)) })))
        }
        if !unreadable.isEmpty { evidence.append(("unreadable", JSONValue(unreadable))) }
        // Not every matching file sampled: the bytes counted are a lower bound.
        if let note = input.sampledNote { evidence.append(("sampled", .string(note))) }
        let atLeast = uncounted > 0 || input.sampledOf != nil
        let amount = total == 0 ? "log data" : (atLeast ? "at least " : "") + "\(bytes(total)) of log data"
        if failAt > 0 {
            var hints: [String] = []
            if reasons.contains("deleted_held") { hints.append("被删除但仍被采集器持有的文件未读完即关闭会丢失：确认采集器读完") }
            if reasons.contains("registry_fs_full") { hints.append("进度库所在磁盘满会使进度无法保存：清理该磁盘") }
            if reasons.contains("permission_denied") { hints.append("采集器进程的用户打不开这些日志文件：放开文件与目录的读取权限，或以 root 运行采集器") }
            return .fail(
                "\(amount) at risk: " + Fmt.list(reasons) + (details.isEmpty ? "" : " (" + Fmt.list(Fmt.unique(details), max: 2) + ")"),
                hint: hints.isEmpty ? "清理磁盘并确认采集器读完" : hints.joined(separator: "；"), evidence: evidence)
        }
        let registry = registryProblem(last)
        if let registry { evidence.append(("registry_error", .string(registry.message))) }
        if warnAt > 0 {
            let general =
                "被 ignore_older 跳过、被截断或超过 harvester_limit 的文件不会完整采集；从未被采集的文件在采集器启动或重载时因 tail_files 从末尾开始采集：按需调整采集项配置"
            return .warn(
                "\(amount) may not be collected: " + Fmt.list(reasons)
                    + (details.isEmpty ? "" : " (" + Fmt.list(Fmt.unique(details), max: 2) + ")"),
                hint: reasons.contains("not_in_config")
                    ? notInConfigHint
                    : reasons.contains("item_refused")
                        ? "采集器拒绝了该订阅的采集项，其文件不会被采集：先处理 bkunifylogbeat/config 检查的结论"
                        : reasons.contains("log_fs_full") ? "日志所在磁盘将满（非 root 进程可用空间耗尽），应用可能写不进日志，新日志无从采集：清理该磁盘" : general,
                evidence: evidence)
        }
        if last.collectors.isEmpty {
            return noCollector(last, "nothing it holds or reads to measure", evidence: evidence)
        }
        if !unreadable.isEmpty, unreadable.count == last.collectors.count || unjudged > 0 {
            return .unknown(
                "cannot read the collector's open files: \(unreadable[0])"
                    + (unjudged > 0 ? "; \(unjudged) file(s) may never have been found or read, which cannot be told" : ""),
                hint: rootHint, evidence: evidence)
        }
        // A stopped collector reads nothing: no risk seen now says nothing about what it will not read.
        if let stopped = stoppedCollector(last, "no risk seen in what it holds, but nothing is read while it is stopped") {
            return Finding(stopped.verdict, stopped.message, hint: stopped.hint, evidence: evidence + stopped.evidence)
        }
        // Truncations, reused inodes, tail_files and ignore_older are judged against the registry's offsets.
        // As logpath_progress judges it: a registry missing where path.data says is bkdiag's blind spot (a warn
        // that leaves the host's status alone), one that cannot be read is unknown.
        if let registry, input.scope?.isEmpty != true {
            return Finding(
                registry.verdict,
                "no risk seen in the files the collector holds, but truncations, reused inodes and skipped files are not judged: \(registry.message)",
                hint: registry.hint, evidence: evidence)
        }
        // The paths are not known (a config not read, or not loaded: logpath_progress and config say which):
        // what is at risk cannot be counted.
        if let unknown = unknownPaths(input) {
            return .unknown("cannot count the log data at risk: " + unknown.message, hint: unknown.hint, evidence: evidence)
        }
        // Said, not silently passed over: old files whose collection can no longer be told.
        let droppedNote =
            dropped > 0
            ? "; \(dropped) file(s) aged past ignore_older (\(bytes(droppedBytes))) have no registry state left: whether they were collected before clean_inactive dropped it cannot be told"
            : ""
        if input.scope?.isEmpty == true, input.files.isEmpty, let unmeasured = input.unmeasured {
            return .unknown("cannot count the data at risk: " + unmeasured, hint: ProgressInput.unmeasuredHint, evidence: evidence)
        }
        if input.scope?.isEmpty == true, input.files.isEmpty {
            return .pass(
                "no log file to measure: no config of the subscription here names a log path (syslog, kafka and redis inputs have none; a missing config is bkunifylogbeat/config's)",
                evidence: evidence)
        }
        return .pass("no log data at risk" + (input.sampledNote.map { " (\($0))" } ?? "") + droppedNote, evidence: evidence)
    }

    // MARK: collector_resources

    static func collectorResources(_ input: ProgressInput) -> Finding {
        let last = input.last
        guard !last.collectors.isEmpty else {
            return noCollector(last, "no resources to measure")
        }
        var evidence: [(String, JSONValue)] = []
        var fails: [String] = []
        var warns: [String] = []
        var unknowns: [String] = []
        if let limit = input.settings.resourceLimit {
            var o: [(String, JSONValue)] = [("enabled", .bool(limit.enabled))]
            if let c = limit.cpu { o.append(("cpu", .double(c))) }
            if let m = limit.memoryMB { o.append(("mem_mb", .double(m))) }
            evidence.append(("configured", .object(o)))
        }
        for c in last.collectors {
            var o: [(String, JSONValue)] = [("pid", .int(Int64(c.pid)))]
            if let n = c.fdCount, let l = c.fdLimit, l > 0 {
                o += [("fds", .int(Int64(n))), ("fd_limit", .int(l))]
                if Int64(n) >= l {
                    fails.append("pid \(c.pid) holds \(n) fds, its limit \(l)")
                } else if Double(n) >= 0.8 * Double(l) {
                    warns.append("pid \(c.pid) holds \(n) of \(l) fds")
                }
            }
            switch c.cgroup {
            case .failure(let e):
                unknowns.append("cgroup of pid \(c.pid): \(e.description)")
            case .success(let cg):
                var applied: [(String, JSONValue)] = [("cgroup_version", .int(Int64(cg.version)))]
                if let p = cg.cpuPath { applied.append(("cpu_cgroup", .string(p))) }
                if let cores = cg.cpuCores { applied.append(("cpu_cores", .double((cores * 1000).rounded() / 1000))) }
                if let m = cg.memoryLimitBytes { applied.append(("memory_limit", .int(m))) }
                if let u = cg.memoryUsageBytes { applied.append(("memory_usage", .int(u))) }
                o.append(("applied", .object(applied)))
                if let limit = input.settings.resourceLimit, limit.enabled {
                    if cg.cpuCores == nil && cg.memoryLimitBytes == nil {
                        warns.append(
                            cg.version == 2
                                ? "resource_limit is enabled but nothing is applied: this host uses cgroup v2, where the collector's libgse sets no limit"
                                : "resource_limit is enabled but pid \(c.pid) runs without a cpu or memory limit (cgroup \(cg.cpuPath ?? "?"))"
                        )
                    } else {
                        // libgse writes cpu x 100000 into cpu.cfs_quota_us (period left at 100 ms) and mem MB into memory.limit_in_bytes.
                        if let want = limit.cpu, want > 0, let have = cg.cpuCores, abs(have - want) > 0.005 {
                            warns.append("pid \(c.pid) has a cpu limit of \(have) cores, resource_limit says \(want)")
                        }
                        if let want = limit.memoryMB, want > 0, let have = cg.memoryLimitBytes,
                            abs(Double(have) - want * 1_048_576) > 1_048_576
                        {
                            warns.append("pid \(c.pid) has a memory limit of \(bytes(have)), resource_limit says \(Int64(want)) MB")
                        }
                    }
                }
                // Throttling: over the samples when there are two, else over the cgroup's life.
                let before = (try? input.first?.collectors.first { $0.pid == c.pid }?.cgroup.get()) ?? nil
                if let p = cg.periods, let t = cg.throttledPeriods {
                    let dp = before?.periods.map { p &- $0 } ?? p
                    let dt = before?.throttledPeriods.map { t &- $0 } ?? t
                    if dp > 0 {
                        let ratio = Double(dt) / Double(dp)
                        o.append(("throttled_ratio", .double((ratio * 1000).rounded() / 1000)))
                        if ratio >= 0.25, dp >= 10 {
                            warns.append("pid \(c.pid) is CPU-throttled in \(Fmt.percent(ratio * 100)) of its periods")
                        }
                    }
                }
                if let u = cg.memoryUsageBytes, let m = cg.memoryLimitBytes, m > 0, Double(u) >= 0.9 * Double(m) {
                    warns.append("pid \(c.pid) uses \(bytes(u)) of its \(bytes(m)) memory limit")
                }
                if let k = cg.oomKills, k > 0 {
                    o.append(("cgroup_oom_kills", .int(Int64(clamping: k))))
                    warns.append("\(k) OOM kill(s) in the collector's memory cgroup")
                }
            }
            evidence.append(("pid_\(c.pid)", .object(o)))
        }
        switch input.oomKills {
        case .success(let kills)? where !kills.isEmpty:
            let boot = input.uptimeSeconds.map { last.wallSeconds - $0 }
            evidence.append(
                (
                    "kernel_oom_kills",
                    .array(
                        kills.suffix(10).map { k in
                            var o: [(String, JSONValue)] = [("pid", .int(Int64(k.pid))), ("cgroup", .bool(k.inCgroup))]
                            if let boot {
                                o.append(("at", .string(Timestamp.iso8601(milliseconds: Int64((boot + k.secondsSinceBoot) * 1000)))))
                            }
                            return .object(o)
                        })
                ))
            warns.append("the kernel OOM-killed bkunifylogbeat \(kills.count) time(s) since boot")
        case .failure(let e)?:
            evidence.append(("kernel_log", .string(e.description)))
        default: break
        }
        let all = fails + warns
        if !fails.isEmpty {
            return .fail(
                all.joined(separator: "; "), hint: "采集器文件描述符已用尽：提高 LimitNOFILE 或减少采集文件数（harvester_limit / close_inactive）",
                evidence: evidence)
        }
        if !warns.isEmpty {
            // A limit configured and not applied is not the collector being held back: say which it is.
            let unapplied = warns.allSatisfy { $0.hasPrefix("resource_limit is enabled but") }
            let v2 = warns.contains { $0.contains("cgroup v2") }
            return .warn(
                all.joined(separator: "; "),
                hint: !unapplied
                    ? "采集器资源受限：按需调整 resource_limit（cpu/mem）或减少采集量"
                    : v2
                        ? "主配置开启了 resource_limit，但这台主机使用 cgroup v2，采集器的 libgse 不设限制（未生效）：如需限制，由 systemd 或容器为采集器设置"
                        : "主配置开启了 resource_limit，但采集器进程没有相应的 cgroup 限制（未生效）：确认采集器由 gse_agent 拉起并有权限写 cgroup",
                evidence: evidence)
        }
        if !unknowns.isEmpty {
            return .unknown("cannot read the collector's cgroup: \(unknowns[0])", hint: rootHint, evidence: evidence)
        }
        return .pass("within its limits", evidence: evidence)
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
