import SystemLayer

/// What a process opens files as: its file-system user and group, its supplementary groups and its
/// effective capabilities (`/proc/<pid>/status`: the fourth `Uid:` and `Gid:` values, `Groups:`, `CapEff:`).
public struct ProcessCredentials: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public var capabilities: UInt64

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], capabilities: UInt64 = 0) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.capabilities = capabilities
    }

    /// `CAP_DAC_OVERRIDE`: any file read, any directory searched.
    static let dacOverride: UInt64 = 1 << 1
    /// `CAP_DAC_READ_SEARCH`: the same for reading and searching.
    static let dacReadSearch: UInt64 = 1 << 2

    /// Whether any file may be read and any directory searched (`CAP_DAC_OVERRIDE` or `CAP_DAC_READ_SEARCH`:
    /// root as usual).
    public var readsAnything: Bool { capabilities & (Self.dacOverride | Self.dacReadSearch) != 0 }

    /// Parses `/proc/<pid>/status`; nil when a field is missing or malformed.
    public static func parse(status text: String) -> ProcessCredentials? {
        guard let uids = ProcFS.statusValues(text, "Uid"), uids.count == 4, let uid = UInt32(uids[3]),
            let gids = ProcFS.statusValues(text, "Gid"), gids.count == 4, let gid = UInt32(gids[3]),
            let caps = ProcFS.statusValues(text, "CapEff"), caps.count == 1, let cap = UInt64(caps[0], radix: 16)
        else { return nil }
        var groups: [UInt32] = []
        for g in ProcFS.statusValues(text, "Groups") ?? [] {
            guard let id = UInt32(g) else { return nil }
            groups.append(id)
        }
        return ProcessCredentials(uid: uid, gid: gid, groups: groups, capabilities: cap)
    }

    /// The credentials of process `pid`; nil when its status cannot be read (gone, not permitted).
    public static func of(pid: Int32, proc: String = "/proc") -> ProcessCredentials? {
        FileReader.procText("\(proc)/\(pid)/status").flatMap { parse(status: $0) }
    }

    /// Whether these credentials may do `want` (4: read, 1: search) on an object of `st`, by its mode bits
    /// as the kernel's `generic_permission` checks them: the owner's bits when the user owns it, else the
    /// group's when one of the groups owns it, else the others'; the DAC capabilities pass any read or search.
    func permits(_ want: UInt32, _ st: FileStat) -> Bool {
        if readsAnything { return true }
        let bits: UInt32
        if uid == st.uid {
            bits = (st.mode >> 6) & 7
        } else if gid == st.gid || groups.contains(st.gid) {
            bits = (st.mode >> 3) & 7
        } else {
            bits = st.mode & 7
        }
        return bits & want != 0
    }
}

/// Whether a process could open a file (or connect to a socket), by mode bits: the directories on the way
/// searchable, those its glob lists readable, the file readable (a socket writable).
public enum FileAccess {
    public enum Verdict: Sendable, Equatable {
        case readable
        /// Refused: the directory or file that refuses it, and why, for people.
        case denied(String)
        /// Not judged: something on the way could not be looked at, or carries an ACL (its mode bits are
        /// then not the whole answer).
        case unknown
    }

    /// Judges `path` for `who`: every directory of the path as written (through a symlink's own directory)
    /// and of its real path searchable, each of `listed` (the directories the collector's glob reads to find
    /// it, `listedDirectories`) readable, the file readable.
    /// `directories` caches the verdicts of directories already judged (many files share them); it serves
    /// one set of credentials.
    public static func check(
        _ path: String, as who: ProcessCredentials, listed: [String] = [], directories: inout [String: Verdict]
    ) -> Verdict {
        check(path, as: who, listed: listed, want: 4, what: "file", directories: &directories)
    }

    /// Of `files`, those `who` may not open or find (`check`, each with the directories its glob lists), with
    /// why; one cache of directories serves them all.
    public static func denied(_ files: [(path: String, listed: [String])], as who: ProcessCredentials) -> [String: String] {
        var directories: [String: Verdict] = [:]
        var out: [String: String] = [:]
        for f in files {
            if case .denied(let why) = check(f.path, as: who, listed: f.listed, directories: &directories) { out[f.path] = why }
        }
        return out
    }

    /// Whether `who` may connect to the unix socket at `path`: the directories searchable and the socket
    /// writable (unix(7): connecting needs write permission on the socket file).
    public static func checkConnect(_ path: String, as who: ProcessCredentials) -> Verdict {
        var directories: [String: Verdict] = [:]
        return check(path, as: who, listed: [], want: 2, what: "socket", directories: &directories)
    }

    static func check(
        _ path: String, as who: ProcessCredentials, listed: [String], want: UInt32, what: String, directories: inout [String: Verdict]
    ) -> Verdict {
        guard let real = Sys.realPath(path) else { return .unknown }
        for walked in path.hasPrefix("/") && path != real ? [path, real] : [real] {
            var parents = walked.split(separator: "/").map(String.init)
            guard parents.popLast() != nil else { return .unknown }
            // "/" itself, then each directory below it (a symlink's by its target), must be searchable.
            var dir = "/"
            for k in 0...parents.count {
                if k > 0 { dir = (dir == "/" ? "" : dir) + "/" + parents[k - 1] }
                let verdict = directories[dir] ?? judge(dir, want: 1, who, what: "directory")
                directories[dir] = verdict
                if verdict != .readable { return verdict }
            }
        }
        // A glob lists a directory (opens and reads it) where a pattern element holds a wildcard.
        for l in listed {
            guard let realDir = Sys.realPath(l) else { return .unknown }
            let key = "list " + realDir
            let verdict = directories[key] ?? judge(realDir, want: 4, who, what: "directory")
            directories[key] = verdict
            if verdict != .readable { return verdict }
        }
        return judge(real, want: want, who, what: what)
    }

    /// The directories a glob reads to find `match` by `pattern` (both absolute, as the collector expands
    /// them): Go's `filepath.Glob` lists every directory from the parent of the first element with a
    /// wildcard (`*?[\\`) down to the file's (a literal element after a wildcard is matched by listing
    /// too), and the fork's `**` stands for as many `*` levels as the match has there. A fully literal
    /// pattern is looked up, not listed. (The beats fork's newer matcher, 2025 on, lists every level from
    /// `/`; those above the first wildcard are not claimed here.) Empty for a relative pattern, or one whose
    /// elements do not line up with the match's.
    public static func listedDirectories(pattern: String, match: String) -> [String] {
        guard pattern.hasPrefix("/"), match.hasPrefix("/") else { return [] }
        var elements = pattern.split(separator: "/")
        let m = match.split(separator: "/")
        if let star = elements.firstIndex(of: "**") {
            let tail = Array(elements[(star + 1)...])
            guard m.count >= star + tail.count else { return [] }
            elements = Array(elements[..<star]) + Array(repeating: "*", count: m.count - star - tail.count) + tail
        }
        guard elements.count == m.count, let first = elements.firstIndex(where: Glob.hasMeta) else { return [] }
        return (first..<m.count).map { "/" + m.prefix($0).joined(separator: "/") }
    }

    /// `listedDirectories` by the first of `patterns` (the collector's, absolute) that matches `match` as the
    /// collector's glob does; empty when none does.
    public static func listedDirectories(patterns: [(pattern: String, matcher: Glob.CollectorMatcher)], match: String) -> [String] {
        guard let p = patterns.first(where: { $0.matcher.matches(match) }) else { return [] }
        return listedDirectories(pattern: p.pattern, match: match)
    }

    /// One object's verdict for `want`.
    static func judge(_ path: String, want: UInt32, _ who: ProcessCredentials, what: String) -> Verdict {
        guard let st = try? Sys.stat(path) else { return .unknown }
        if who.permits(want, st) { return .readable }
        // With a POSIX ACL the group bits are its mask and named entries may grant it: not judged here.
        if Sys.hasAccessACL(path) != false { return .unknown }
        let digits = String(st.mode & 0o7777, radix: 8)
        let mode = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        let needs = want == 1 ? "search" : want == 2 ? "write" : what == "directory" ? "list" : "read"
        return .denied("uid \(who.uid) may not \(needs) \(what) \(path) (mode \(mode), owner \(st.uid):\(st.gid))")
    }
}
