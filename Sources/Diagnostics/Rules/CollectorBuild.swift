import HostProbe

/// Which collector build the item rules judge for, from what its binary records (`GoBinaryInfo`). It
/// settles the rules that differ between versions; where the build does not tell, they stay unjudged.
struct CollectorBuild: Sendable, Equatable {
    /// Whether Go's regexp in this build takes `(?<name>` (Go 1.22 and later); nil when unknown.
    var angleNamedGroups: Bool?
    /// Whether the line filters take operators beyond `=` and `!=` (`eq`, `neq`, `include`, `exclude`,
    /// `regex`, `nregex`: bkunifylogbeat from 7.7.1-rc.18, March 2024); nil when the version does not tell.
    var extendedFilterOperators: Bool?
    /// Whether a filter with two conditions on one field index is refused ("filter has duplicate index",
    /// `config/task.go` until c41504e, July 2024: tags before 7.7.2-rc.29); nil when the version does not tell.
    var duplicateFilterIndexRefused: Bool?
    /// The `ignore_older` a log item that writes none is judged by, in seconds: by bkunifylogbeat's own
    /// `clean_inactive` check (`check`) and by the filebeat fork's `Validate` (`filled`, the default it fills
    /// in); nil when the version does not tell. See `ignoreOlderDefaults(version:)`.
    var ignoreOlderDefaults: IgnoreOlderDefaults?
    /// False where `tail_files` passes nothing over: the beats fork v7.1.50-bk that these tags build with sets
    /// `ignore_older` to 1ns for an input's first scan, and that scan's early return for a file past
    /// `ignore_older` skips every file before it has a state, so the next scan (`tail_files` off by then) reads
    /// a new file from offset 0. Nil elsewhere (the tags before and after tail, a `7.7.<commit>` does not tell).
    var tailFilesPassesOver: Bool?
    /// The version as the binary records it, for messages.
    var version: String?

    struct IgnoreOlderDefaults: Sendable, Equatable {
        var check: Double
        var filled: Double
    }

    static let unknown = CollectorBuild(angleNamedGroups: nil, extendedFilterOperators: nil, version: nil)

    init(
        angleNamedGroups: Bool?, extendedFilterOperators: Bool?, duplicateFilterIndexRefused: Bool? = nil,
        ignoreOlderDefaults: IgnoreOlderDefaults? = nil, version: String?
    ) {
        self.angleNamedGroups = angleNamedGroups
        self.extendedFilterOperators = extendedFilterOperators
        self.duplicateFilterIndexRefused = duplicateFilterIndexRefused
        self.ignoreOlderDefaults = ignoreOlderDefaults
        self.version = version
    }

    /// The bkunifylogbeat tags whose go.mod names the beats fork v7.1.50-bk or one of its alphas (v7.1.49-bk
    /// before rc.110; v7.1.51-bk in 7.7.3-rc.6, v7.1.52-bk-alpha.1 from rc.20): see `tailFilesPassesOver`.
    static let untailedTags: Set<String> = ["7.7.2-rc.110", "7.7.2-rc.111", "7.7.3-rc.1", "7.7.3-rc.8", "7.7.3-rc.11"]

    init(_ info: GoBinaryInfo?) {
        self.init(
            angleNamedGroups: info?.goRelease.map { $0.lexicographicallyPrecedes([1, 22]) == false },
            extendedFilterOperators: info?.mainVersion.flatMap(Self.extendedFilterOperators(version:)),
            duplicateFilterIndexRefused: info?.mainVersion.flatMap(Self.duplicateFilterIndexRefused(version:)),
            ignoreOlderDefaults: info?.mainVersion.flatMap(Self.ignoreOlderDefaults(version:)), version: info?.mainVersion)
        let tag = info?.mainVersion.map { $0.hasPrefix("v") ? String($0.dropFirst()) : $0 }
        if let tag, Self.untailedTags.contains(tag) { tailFilesPassesOver = false }
    }

    /// The `ignore_older` defaults of a bkunifylogbeat `main.version` (`config/input/log.go`): 168h for both
    /// until aabdaf2 (February 2025: tags before 7.7.2-rc.76, and every `7.3`/`7.5`/`7.6` build); 24h for
    /// both from then (7.7.2-rc.76 to rc.109); from 6da0b0c (August 2025, merged as 62b754f: 7.7.2-rc.110,
    /// rc.111 and rc.10, and the 7.7.3 tags) the value filled in went back to 168h while the check kept 24h.
    /// Nil for a `7.7.<commit>` build (it spans all three), a 7.7.2 rc past 111 and text that says nothing.
    static func ignoreOlderDefaults(version: String) -> IgnoreOlderDefaults? {
        let day = 24.0 * 3600, week = 7 * 24.0 * 3600
        let old = IgnoreOlderDefaults(check: week, filled: week)
        let lowered = IgnoreOlderDefaults(check: day, filled: day)
        let split = IgnoreOlderDefaults(check: day, filled: week)
        guard let v = CollectorVersion(version) else { return nil }
        if (v.major, v.minor) < (7, 7) { return old }
        if (v.major, v.minor) > (7, 7) { return split }
        guard !v.isCommit, let tag = v.tag else { return nil }
        if tag.patch != 2 { return tag.patch < 2 ? old : split }
        guard let rc = tag.rc else { return nil }
        if rc == 10 { return split }
        return rc < 76 ? old : rc <= 109 ? lowered : rc <= 111 ? split : nil
    }

    /// Whether a bkunifylogbeat `main.version` refuses a filter with two conditions on one index. The fix
    /// (c41504e) came in July 2024, after the VERSION file said 7.7: a `7.3`/`7.5`/`7.6.<commit>` build refuses,
    /// a `7.7.<commit>` one spans it. Tags: before 7.7.2 refuse; of the 7.7.2 release candidates, rc.28 (June
    /// 2024) refuses and rc.10 (tagged in 2025) and rc.29 on take it; no other rc below 29 exists.
    static func duplicateFilterIndexRefused(version: String) -> Bool? {
        guard let v = CollectorVersion(version) else { return nil }
        if (v.major, v.minor) < (7, 7) { return true }
        if (v.major, v.minor) > (7, 7) { return false }
        guard !v.isCommit, let tag = v.tag else { return nil }
        if tag.patch != 2 { return tag.patch < 2 }
        guard let rc = tag.rc else { return tag.plain ? false : nil }
        return rc >= 29 || rc == 10 ? false : rc == 28 ? true : nil
    }

    /// Whether a bkunifylogbeat `main.version` has the newer filter operators. Its Makefile writes the
    /// VERSION file and the commit (`7.7.11148c4`); the VERSION file said 7.3, 7.5 and 7.6 before the
    /// operators came, and 7.6 still for two months after (7.7 from April 2024), so a `7.6.<commit>` does
    /// not tell. A tag-style version (`7.7.1-rc.18`, `v7.3.0.99`) is compared with the first tag that has
    /// them. Nil when the text is neither, or is main.go's default `7.2.1` (a build without the Makefile).
    static func extendedFilterOperators(version: String) -> Bool? {
        guard let v = CollectorVersion(version) else { return nil }
        if (v.major, v.minor) < (7, 6) { return false }
        if (v.major, v.minor) > (7, 7) { return true }
        if v.isCommit { return v.minor == 7 ? true : nil }
        guard let tag = v.tag else { return nil }
        if v.minor == 6 { return false }
        if tag.patch != 1 { return tag.patch > 1 }
        guard let rc = tag.rc else { return tag.plain ? true : nil }
        return rc >= 18
    }
}

/// A bkunifylogbeat `main.version` read for the rules above: `<major>.<minor>.` then either the Makefile's
/// commit (`7.7.11148c4`, `<commit>-dev` from git describe --dirty=-dev) or a tag's patch and what follows
/// it (`7.7.1-rc.18`, `v7.3.0.99`). Nil for main.go's own default `7.2.1` (a build without the Makefile,
/// which says nothing) and for text without a numeric major and minor.
struct CollectorVersion {
    let major: Int
    let minor: Int
    /// What follows `<major>.<minor>.`; nil when nothing does.
    let rest: Substring?

    init?(_ version: String) {
        if version == "7.2.1" { return nil }
        let text = version.hasPrefix("v") ? String(version.dropFirst()) : version
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
        rest = parts.count == 3 ? parts[2] : nil
    }

    /// `<commit>` or `<commit>-dev`: seven or more hex digits, not a short number.
    var isCommit: Bool {
        guard let rest else { return false }
        let commit = rest.hasSuffix("-dev") ? rest.dropLast(4) : rest
        return commit.count >= 7 && commit.allSatisfy(\.isHexDigit) && (commit.contains(where: { !$0.isNumber }) || commit.count > 4)
    }

    /// A tag's patch, its `-rc.<n>` when that is what follows, and whether nothing follows.
    var tag: (patch: Int, rc: Int?, plain: Bool)? {
        guard let rest else { return nil }
        let patchText = rest.prefix { $0.isNumber }
        guard let patch = Int(patchText) else { return nil }
        let after = rest.dropFirst(patchText.count)
        let rc = after.hasPrefix("-rc.") ? Int(after.dropFirst(4)) : nil
        return (patch, rc, after.isEmpty)
    }
}
