import HostProbe
import Report

/// The settings the progress rules judge by, from the collector's main config and item settings.
public struct ProgressSettings: Sendable, Equatable {
    /// `bkunifylogbeat.registry.flush` (the collector's default 1 s; NodeMan's template sets 10 s).
    public var flushSeconds: Double
    /// filebeat's `max_backoff` (10 s): the longest a harvester at the end of a file waits before reading again.
    public var readBackoffSeconds: Double
    /// `scan_frequency` (10 s): how often new files are looked for (an item's own, where it sets one, wins).
    public var scanSeconds: Double
    /// `close_inactive` (bkunifylogbeat's 2 min): how long a harvester with nothing new to read keeps its file
    /// (an item's own, where it sets one, wins).
    public var closeInactiveSeconds: Double = 120
    /// A file behind by more than this many bytes is lagging.
    public var lagWarnBytes: Int64
    /// `resource_limit` in the main config: enabled, cpu cores, memory MB.
    public var resourceLimit: ResourceLimit?
    /// `bkunifylogbeat.file_identifier` in the main config: which registry state is a file's.
    public var fileIdentifier: FileIdentifier = .inode

    public struct ResourceLimit: Sendable, Equatable {
        public var enabled: Bool
        public var cpu: Double?
        public var memoryMB: Double?
        public init(enabled: Bool, cpu: Double?, memoryMB: Double?) {
            self.enabled = enabled
            self.cpu = cpu
            self.memoryMB = memoryMB
        }
    }

    public init(
        flushSeconds: Double = 1, readBackoffSeconds: Double = 10, scanSeconds: Double = 10, lagWarnBytes: Int64 = 64 << 20,
        resourceLimit: ResourceLimit? = nil
    ) {
        self.flushSeconds = flushSeconds
        self.readBackoffSeconds = readBackoffSeconds
        self.scanSeconds = scanSeconds
        self.lagWarnBytes = lagWarnBytes
        self.resourceLimit = resourceLimit
    }

    /// A heartbeat or acknowledgement older than this means the collector's registrar has stopped.
    public var staleSeconds: Double { 3 * flushSeconds }
}

/// What makes a registry state a file's for the collector: `bkunifylogbeat.file_identifier` (NodeMan's
/// template writes `inode`, or what the operator set through `extra_vars`), which the collector gives every
/// task. A state's id is its inode and device, the same with its path, or its path alone (the beats fork's
/// `State.ID`); any other text is the inode, as in the fork's default branch.
public enum FileIdentifier: String, Sendable, Equatable {
    case inode
    case inodePath = "inode_path"
    case path

    public init(configValue: String?) {
        switch configValue {
        case "inode_path": self = .inodePath
        case "path": self = .path
        default: self = .inode
        }
    }
}

/// Where one file stands: written (size), read (the collector's position), acknowledged (the
/// registry's offset for its inode and device).
struct FileProgress: Sendable {
    enum Status: String {
        case upToDate = "up_to_date"
        case pending
        case lagging
        /// Written (and read) more than three flushes ago, after the last acknowledgement, and still not acknowledged.
        case ackStalled = "ack_stalled"
        /// Unread data older than the harvester's longest backoff, and the read position not moving.
        case readStalled = "read_stalled"
        case truncated
        case neverCollected = "never_collected"
        /// Not open, with bytes not acknowledged (all of them without a state), and the collector may not open
        /// or find it (`denied` says why): those bytes are not collected.
        case denied = "permission_denied"
        case skipped
        case missing
        /// Not held, and the registry could not be read: whether it was ever collected, and how far, cannot
        /// be told (nothing is counted for it).
        case unjudged = "not_judged"
    }

    var path: String
    /// A stuck-looking file judged `pending` because the collector started too recently to have dealt with it
    /// (see `analyse`'s `collectorAge`).
    var youngCollector = false
    var dataid: Int64?
    var size: Int64 = 0
    var inode: UInt64 = 0
    var device: UInt64 = 0
    var mtime: Int64 = 0
    /// Creation time (statx), when known.
    var birth: Int64?
    /// The bytes after the acknowledged offset hold no newline (a last line still being written).
    var unterminatedTail: Bool?
    /// A complete line lies between the acknowledged offset and the read position (`ProgressSample.File`).
    var readLineUnacked: Bool?
    var read: Int64?
    var acked: Int64?
    var ackedAt: Double?
    /// Held and read at the first sample too, with no registry state for it then either.
    var unacknowledgedSinceFirst = false
    var status: Status = .upToDate
    var skipped: String?
    /// Skipped because the collector refuses the item: none of it is this subscription's progress.
    var refused = false
    /// Aged past ignore_older with no registry state, last written longer ago than the item's clean_inactive:
    /// a state it had was dropped by then (its TTL, set from clean_inactive, counts from its last update, at
    /// or after the last write), so whether it was collected cannot be told. Nothing of it is counted.
    var stateDropped = false
    var tailFiles = true
    /// Not held, with bytes not acknowledged, while every harvester its item's `harvester_limit` allows is
    /// taken (or more files wait than it allows): the running input starts it from offset 0 once one is free.
    var waitsForHarvester = false
    /// The item's `harvester_limit` when the file waits for a harvester (`waitsForHarvester`), for its message.
    var waitsForHarvesterLimit: Int?
    /// The item's `scan_frequency` and `close_inactive`, when it sets them.
    var scanSeconds: Double?
    var closeInactiveSeconds: Double?
    /// See `ProgressTargets.File.filtered`.
    var filtered = false
    var error: ProbeError?
    /// `file_identifier: path`: the registry's state for this path was recorded for another file (the one a
    /// rotation renamed or removed). The collector takes it as this file's once that file's harvester ends.
    var stateOfOtherFile = false
    /// The collector resumes this file at an offset that another file reached, never reading what is before
    /// it (filebeat's `harvestExistingFile` with a finished state and a size past the offset): its state is
    /// older than the file (acknowledged before it was created: the inode was reused), or, matched by path,
    /// was another file's.
    var inodeReused: Bool {
        guard error == nil, skipped == nil, let a = acked, a > 0, a <= size else { return false }
        if stateOfOtherFile { return true }
        guard let b = birth, let at = ackedAt else { return false }
        return at + 1 < Double(b)
    }
    /// Cut below its acknowledged offset while a harvester holds it past the new end: the harvester has not
    /// noticed the cut (what was cut before it was read is gone).
    var cutUnnoticed: Bool { !stateOfOtherFile && (acked ?? 0) > size && (read ?? 0) > size }
    /// The path as a stuck read names it: with the unnoticed cut said.
    var stalledName: String { path + (cutUnnoticed ? " (cut below its acknowledged offset, the cut not noticed)" : "") }
    /// Bytes of a reused inode's (or path's) file before the old offset: never read.
    var reuseSkippedBytes: Int64 { inodeReused ? (acked ?? 0) : 0 }
    /// Registry states that still name this path under another inode: the file was rotated.
    var rotatedFrom: [CollectorFileState] = []
    var grew: Bool?
    /// The size in the first sample, when it is the same file.
    var size0: Int64?
    var readMoved: Bool?
    /// A harvester of this file (one of several fds) whose position, behind data already there at the first
    /// sample, did not move across the samples: its position.
    var stuckHarvester: Int64?
    var ackMoved: Bool?
    /// Why the collector may not open the file, when it may not (`ProgressSample.collectorDenied`).
    var denied: String?

    /// Bytes of a skipped file the collector will not collect: all of them, less what it acknowledged
    /// before the file was skipped (a daily log aged past ignore_older after being read to its end: none).
    var skippedBytes: Int64 {
        guard error == nil, skipped != nil, !stateDropped else { return 0 }
        // A refused item's file: any acknowledgement is another subscription's, under its data id.
        return refused ? size : max(0, size - (acked ?? 0))
    }

    /// Bytes of a file the collector never found that its first scan after a start or reload would pass
    /// over (`tail_files`): not in flight, and not collected unless a running input finds the file first.
    /// `tail_files` is for an input's first scan only (the fork's `Run` turns it off after it): a file a full
    /// `harvester_limit` keeps waiting is started from offset 0 by a later scan (and the fork's scan from
    /// v7.1.51 tails only a file it starts, never one the limit refused), so none of it is passed over.
    var tailSkippedBytes: Int64 { status == .neverCollected && tailFiles && !waitsForHarvester && error == nil ? size : 0 }

    /// Bytes of a file the collector may not open that it has not acknowledged (all of them without a state,
    /// or when it was cut below the acknowledged offset).
    var deniedBytes: Int64 {
        guard status == .denied else { return 0 }
        return acked.map { $0 <= size ? size - $0 : size } ?? size
    }

    /// Bytes past the collector's read position (all of a file it holds no position in, and all of a file cut
    /// below its position, the cut not noticed: none of what the file holds now was read).
    var unreadBytes: Int64 { cutUnnoticed ? size : max(0, size - (read ?? 0)) }

    /// The start of `skipped` for a file -l asks about that no item of the subscription's config here reads.
    static let notListedPrefix = "no item of the subscription's config here reads it"

    /// What is on its way: written and not acknowledged, less what `tail_files` would pass over (and nothing
    /// of a file the collector may not open).
    var inFlightBytes: Int64 { status == .denied ? 0 : lagBytes - tailSkippedBytes }

    /// Whether it would take a harvester the moment one is free: bytes not acknowledged, and the collector may
    /// open it (the fork's `startHarvester` gives a harvester back when `Setup` cannot open the file, so a file
    /// it may not open neither holds one nor waits for one: its bytes are `permission_denied`'s alone).
    var wantsHarvester: Bool { lagBytes > 0 && status != .denied }

    /// Bytes written and not acknowledged (all of them while the registry has no state for the file).
    var lagBytes: Int64 {
        guard error == nil, skipped == nil, status != .unjudged else { return 0 }
        // Another file's state, past this file's end: the collector reads it from the start.
        if let a = acked {
            // Past the end of a truncated file (see `judge`): all of it waits, less what a harvester that noticed read.
            if size < a { return stateOfOtherFile ? size : read.map { $0 <= size ? size - $0 : size } ?? size }
            // Filtered lines read and dropped are done with, though not acknowledged.
            return max(0, size - (filtered ? max(a, read ?? a) : a))
        }
        // Held with no state: the harvester sends the file's state through the output before it reads
        // (filebeat's `SendStateUpdate`), so nothing of it is acknowledged yet, read or not.
        return size
    }

    /// Seconds since the last acknowledgement, when data is waiting.
    func lagSeconds(now: Double) -> Double? {
        guard lagBytes > 0, let at = ackedAt else { return nil }
        return max(0, now - at)
    }

    var evidence: JSONValue {
        var o: [(String, JSONValue)] = [("path", .string(path))]
        if let dataid { o.append(("dataid", .int(dataid))) }
        o.append(("status", .string(status.rawValue)))
        if youngCollector { o.append(("collector_too_young_to_judge", .bool(true))) }
        if let error {
            o.append(("error", .string(error.description)))
            return .object(o)
        }
        o.append(("size", .int(size)))
        o.append(("inode", .int(Int64(clamping: inode))))
        if let read { o.append(("read", .int(read))) }
        if let acked { o.append(("acknowledged", .int(acked))) }
        // A never-found file's bytes that tail_files passes over are not behind: they will not be sent.
        o.append(("lag_bytes", .int(lagBytes - tailSkippedBytes)))
        if tailSkippedBytes > 0 { o.append(("tail_files_bytes", .int(tailSkippedBytes))) }
        if skipped != nil { o.append(("not_collected_bytes", .int(skippedBytes))) }
        if stateDropped { o.append(("state_dropped", .bool(true))) }
        if let skipped { o.append(("skipped", .string(skipped))) }
        if let denied { o.append(("denied", .string(denied))) }
        if !rotatedFrom.isEmpty {
            o.append(
                (
                    "rotated_from",
                    .array(rotatedFrom.map { .object([("inode", .int(Int64(clamping: $0.inode))), ("offset", .int($0.offset))]) })
                ))
        }
        return .object(o)
    }

    /// Every target file of `last`, judged against `settings`, compared with `first` when there is an earlier sample.
    /// `collectorAge`: how long the oldest collector sampled has run. One that has not run three flushes has not
    /// had the time to acknowledge what it read: a file judged `ackStalled` is `pending`, or `lagging` past the lag
    /// threshold (`youngCollector`). (Its
    /// reads are not given the same grace: at its start the collector scans its paths and its harvesters read
    /// from the acknowledged offsets at once.)
    static func analyse(
        _ first: ProgressSample?, _ last: ProgressSample, _ settings: ProgressSettings, collectorAge: Double? = nil
    ) -> [FileProgress] {
        let now = last.wallSeconds
        // Indexed once: a host may have thousands of files and registry states.
        let reads = last.readPositions()
        let states = last.stateIndex(settings.fileIdentifier)
        let reads0 = first?.readPositions() ?? [:]
        let fds = last.fdPositions()
        let fds0 = first?.fdPositions() ?? [:]
        let states0 = first?.stateIndex(settings.fileIdentifier)
        var files0: [String: FileStat] = [:]
        for f in first?.files ?? [] { if case .success(let st) = f.stat { files0[f.target.path] = st } }
        let gap = first.map { last.monotonicSeconds - $0.monotonicSeconds }
        // Without its registry bkdiag is not looking at a libgse collector it understands (or not where it
        // keeps its progress): fd positions alone then judge nothing.
        let registryRead: Bool
        if case .success? = last.registry?.read { registryRead = true } else { registryRead = false }
        // Every collector's open files read: a file none holds is then surely not held. (With no collector running,
        // that is what the process check says; the files are judged as before.)
        let heldKnown =
            !last.collectors.isEmpty && last.unplacedCollectorPIDs.isEmpty && last.collectors.allSatisfy { (try? $0.open.get()) != nil }
        var files = last.files.map { f in
            var p = FileProgress(path: f.target.path, dataid: f.target.dataid, skipped: f.target.skipped)
            p.refused = f.target.refused
            p.tailFiles = f.target.tailFiles
            p.scanSeconds = f.target.scanSeconds
            p.closeInactiveSeconds = f.target.closeInactiveSeconds
            p.filtered = f.target.filtered
            let st: FileStat
            switch f.stat {
            case .failure(let e):
                p.error = e
                p.status = .missing
                return p
            case .success(let s): st = s
            }
            p.size = st.size
            p.inode = st.inode
            p.device = st.device
            p.mtime = st.mtime
            p.birth = f.birth
            p.unterminatedTail = f.unterminatedTail
            p.readLineUnacked = f.readLineUnacked
            p.denied = last.collectorDenied[p.path]
            let key = ProgressSample.FileKey(inode: st.inode, device: st.device)
            p.read = reads[key]
            if let state = states.state(path: p.path, key: key) {
                p.acked = state.offset
                if let s = state.timestampSeconds { p.ackedAt = Double(s) + Double(state.timestampNanoseconds ?? 0) / 1e9 }
                p.stateOfOtherFile = state.inode != st.inode || state.device != st.device
            }
            // Past ignore_older, but a harvester still holds it: filebeat ages out only files no harvester holds,
            // and this one is read on (or is stuck), so it is judged as any collected file.
            if f.target.agedOut, p.read != nil { p.skipped = nil }
            // Renamed into a name the item excludes while a harvester held it (no other item reads it): read on.
            if f.target.excludedOnlyHere, p.read != nil { p.skipped = nil }
            // Without a state, and past the time the collector keeps one after the file's last write: the
            // missing state says nothing of whether it was collected.
            if f.target.agedOut, p.skipped != nil, p.acked == nil, let keep = f.target.cleanInactiveSeconds, now - Double(p.mtime) > keep {
                p.stateDropped = true
            }
            // Skipped now (aged past ignore_older, say) after being collected: what was acknowledged is safe.
            if p.skipped != nil {
                p.status = .skipped
                return p
            }
            // Matched by path alone, the path's state is this file's (another inode's is `stateOfOtherFile`).
            if settings.fileIdentifier != .path {
                p.rotatedFrom = (states.bySource[p.path] ?? []).filter { $0.inode != st.inode || $0.device != st.device }
            }
            if let e = files0[p.path], e.inode == st.inode, e.device == st.device {
                p.grew = st.size > e.size
                p.size0 = e.size
                if let r = p.read, let r0 = reads0[key] { p.readMoved = r != r0 }
                // Another harvester of the same file left behind (the furthest one above may be moving).
                for (fd, position) in fds[key] ?? [:] where position < e.size && fds0[key]?[fd] == position {
                    p.stuckHarvester = min(p.stuckHarvester ?? position, position)
                }
                if let a = p.acked, let a0 = states0?.state(path: p.path, key: key)?.offset { p.ackMoved = a != a0 }
                if p.acked == nil, let r0 = reads0[key], r0 > 0, states0?.state(path: p.path, key: key) == nil {
                    p.unacknowledgedSinceFirst = true
                }
            }
            p.status = judge(p, now: now, gap: gap, settings, registryRead: registryRead, heldKnown: heldKnown)
            // Read and not acknowledged "for three flushes" by a collector that has not run three flushes: the
            // acknowledgement on disk is its predecessor's, and its own first flush may still be to come.
            if let age = collectorAge, p.status == .ackStalled, age <= settings.staleSeconds {
                p.status = p.lagBytes > settings.lagWarnBytes ? .lagging : .pending
                p.youngCollector = true
            }
            return p
        }
        // Per item with a harvester_limit (each item is an input of its own): files with data waiting that no
        // harvester holds wait for one when the open ones take the limit, or more wait than it allows.
        let limited = Dictionary(
            grouping: last.files.indices.filter { (last.files[$0].target.harvesterLimit ?? 0) > 0 },
            by: { last.files[$0].target.item ?? "dataid \(last.files[$0].target.dataid ?? -1)" })
        for indices in limited.values {
            let limit = last.files[indices[0]].target.harvesterLimit ?? 0
            let open = indices.filter { files[$0].read != nil }.count
            let waiting = indices.filter { files[$0].wantsHarvester }
            let notOpen = waiting.filter { files[$0].read == nil }
            if !notOpen.isEmpty && (open >= limit || waiting.count > limit) {
                for i in notOpen {
                    files[i].waitsForHarvester = true
                    files[i].waitsForHarvesterLimit = limit
                }
            }
        }
        return files
    }

    static func judge(
        _ p: FileProgress, now: Double, gap: Double?, _ settings: ProgressSettings, registryRead: Bool = true, heldKnown: Bool = true
    ) -> Status {
        // Matched by path to another file's state, the file waits for that file's harvester to end; then the
        // collector resumes it at the state's offset (what is before it is `inodeReused`), or reads it from
        // the start when it is shorter. Nothing of it has been read yet, and nothing is stuck.
        if p.stateOfOtherFile { return p.size == 0 ? .upToDate : .pending }
        // Not held, and the collector may not open it (or find it): what it has not acknowledged, all of it
        // without a state, it cannot read. (Acknowledged up to its size, nothing waits yet.)
        if p.denied != nil, p.read == nil, p.acked.map({ $0 != p.size }) ?? true { return .denied }
        // Not held, and the registry not read: whether and how far it was collected is not known (a file with no
        // state there would be one never found; without the registry that cannot be told).
        if !registryRead, p.read == nil { return p.size == 0 ? .upToDate : .unjudged }
        let scan = p.scanSeconds ?? settings.scanSeconds
        let closeInactive = p.closeInactiveSeconds ?? settings.closeInactiveSeconds
        // Shorter than the acknowledged offset: cut since (copytruncate). A harvester that holds it notices at
        // its next read, within its longest backoff (its position then goes back inside the file, and a flush
        // later the registry says so); one that had closed it, at the next scan. Until then the registry's
        // offset is stale, not a loss: only a truncation older than that (by mtime, which the cut set) is one.
        var p = p
        if let a = p.acked, p.size < a {
            if let r = p.read, r <= p.size {
                // Noticed: the harvester reads it from the start; the registry's offset is judged no more.
                p.acked = nil
                p.ackedAt = nil
            } else if p.read != nil {
                // Held with its position still past the end: the harvester checks for a truncation at every read,
                // within its longest backoff; past that (and a flush) it is not reading.
                return now - Double(p.mtime + 1) > settings.readBackoffSeconds + settings.flushSeconds ? .readStalled : .pending
            } else {
                return now - Double(p.mtime + 1) > scan + 2 * settings.flushSeconds ? .truncated : .pending
            }
        }
        if p.acked == nil && p.read == nil {
            if p.size == 0 { return .upToDate }
            // A file the collector has not found yet is new until a scan and two flushes have passed: since its
            // last write, or, where its creation time is known, since it was created (a busy log's mtime is
            // always fresh, however long it has waited).
            let window = scan + 2 * settings.flushSeconds
            if let b = p.birth, b <= p.mtime, now - Double(b + 1) > window { return .neverCollected }
            return now - Double(p.mtime + 1) > window ? .neverCollected : .pending
        }
        // Not held, with bytes past the acknowledged offset written more recently than close_inactive: a
        // harvester that had read them would still hold the file (it closes that long after its last read),
        // so they were written after it closed, and the next scan starts one. Unread past a scan, the longest
        // backoff and a flush, the collector is not picking the file up: the read hop, not the output.
        if heldKnown, p.read == nil, let a = p.acked, p.size > a, now - Double(p.mtime + 1) < closeInactive {
            if now - Double(p.mtime + 1) > scan + settings.readBackoffSeconds + settings.flushSeconds { return .readStalled }
            return p.lagBytes > settings.lagWarnBytes ? .lagging : .pending
        }
        // mtime is in whole seconds: the last write happened before mtime + 1, so that is the age's lower bound.
        if registryRead, let r = p.read, p.size > r, now - Double(p.mtime + 1) > settings.readBackoffSeconds + settings.flushSeconds,
            p.readMoved != true
        {
            // A complete line read and not acknowledged for more than three flushes: the harvester hands each line
            // to the output and blocks there while the output is blocked (the beats fork's `sendEvent`, "in case
            // the output is blocked the harvester will stay open"), so its read position stops behind the file's
            // end because the output stopped. Back-pressure runs upstream: the output's hop is the stuck one.
            if p.readLineUnacked == true, !p.filtered, let at = p.ackedAt, now - at > settings.staleSeconds, p.ackMoved != true,
                now - Double(p.mtime + 1) > settings.staleSeconds
            {
                return .ackStalled
            }
            return .readStalled
        }
        // Not acknowledged for more than three flushes. The newest byte was written before mtime + 1, so
        // it has waited at least now − (mtime + 1): only past three flushes is the wait certain. (A quiet
        // log's last acknowledgement is old because there was nothing to acknowledge; one line written
        // a second ago is in flight, not stuck.) When it was written does not matter beyond that: a burst
        // written just after the last acknowledgement and never acknowledged waits as long as one written
        // later. With a read position, the bytes waiting must have been read: unread ones are the read
        // hop's (`readStalled`).
        // A last line without its newline is read into the harvester's buffer and waits there, unsent: the
        // registry cannot acknowledge it until the line ends (filebeat's line reader), however long that takes.
        if p.unterminatedTail == true { return p.lagBytes > settings.lagWarnBytes ? .lagging : .pending }
        // (A registry state's time is when its last event was read, not when it was acknowledged: an output
        // that acknowledges slowly but does, the offset moving between the samples, is not stuck.)
        if !p.filtered, p.lagBytes > 0, let at = p.ackedAt, now - at > settings.staleSeconds, p.ackMoved != true,
            now - Double(p.mtime + 1) > settings.staleSeconds, p.read.map({ r in r > (p.acked ?? 0) }) ?? true
        {
            return .ackStalled
        }
        // Held and read with no registry state across samples more than three flushes apart: the state the
        // harvester sent through the output before reading was never acknowledged, so the output is stuck.
        if registryRead, let gap, gap >= settings.staleSeconds, !p.filtered, p.acked == nil, (p.read ?? 0) > 0,
            p.unacknowledgedSinceFirst
        {
            return .ackStalled
        }
        if let gap, gap >= settings.staleSeconds, p.grew == true {
            // Over three flushes the file grew and the registry did not move: bytes read and not acknowledged
            // are the output's. Without any (read up to the acknowledged offset), the output has nothing to
            // confirm: a stuck reader, judged below.
            if !p.filtered, p.ackMoved == false, p.read.map({ r in r > (p.acked ?? 0) }) ?? true { return .ackStalled }
            // The read position stayed behind data that was already there at the first sample, over longer
            // than the harvester's longest backoff and a flush: it is not reading.
            if registryRead, p.readMoved == false, let r = p.read, let s0 = p.size0, s0 > r,
                gap >= settings.readBackoffSeconds + settings.flushSeconds
            {
                return .readStalled
            }
        }
        // One of several harvesters of the file stuck behind data that was there at the first sample, over
        // more than the longest backoff and a flush (grown or not), or behind data last written longer ago than that
        // (a harvester with data to read does not back off: as for a lone one, the one-shot run's close samples tell
        // it): the others moving do not make it read.
        let wait = settings.readBackoffSeconds + settings.flushSeconds
        if registryRead, let gap, p.stuckHarvester != nil, gap >= wait || now - Double(p.mtime + 1) > wait {
            return .readStalled
        }
        if p.lagBytes > settings.lagWarnBytes { return .lagging }
        return p.lagBytes > 0 ? .pending : .upToDate
    }
}

extension ProgressSample {
    /// Seconds since the registry file was last written (bolt rewrites it at every libgse flush, and
    /// `localtime` changes at every registrar flush, so a live collector writes it every flush).
    /// The mtime is in whole seconds, so the age is counted from the end of that second (a lower bound).
    func heartbeatAge() -> Double? {
        guard case .success(let st)? = registry?.stat else { return nil }
        return max(0, wallSeconds - Double(st.mtime + 1))
    }
}
