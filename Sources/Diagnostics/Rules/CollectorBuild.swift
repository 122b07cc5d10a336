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
    /// The version as the binary records it, for messages.
    var version: String?

    static let unknown = CollectorBuild(angleNamedGroups: nil, extendedFilterOperators: nil, version: nil)

    init(angleNamedGroups: Bool?, extendedFilterOperators: Bool?, duplicateFilterIndexRefused: Bool? = nil, version: String?) {
        self.angleNamedGroups = angleNamedGroups
        self.extendedFilterOperators = extendedFilterOperators
        self.duplicateFilterIndexRefused = duplicateFilterIndexRefused
        self.version = version
    }

    init(_ info: GoBinaryInfo?) {
        self.init(
            angleNamedGroups: info?.goRelease.map { $0.lexicographicallyPrecedes([1, 22]) == false },
            extendedFilterOperators: info?.mainVersion.flatMap(Self.extendedFilterOperators(version:)),
            duplicateFilterIndexRefused: info?.mainVersion.flatMap(Self.duplicateFilterIndexRefused(version:)),
            version: info?.mainVersion)
    }

    /// Whether a bkunifylogbeat `main.version` refuses a filter with two conditions on one index. The fix
    /// (c41504e) came in July 2024, after the VERSION file said 7.7: a `7.3`/`7.5`/`7.6.<commit>` build refuses,
    /// a `7.7.<commit>` one spans it. Tags: before 7.7.2 refuse; of the 7.7.2 release candidates, rc.28 (June
    /// 2024) refuses and rc.10 (tagged in 2025) and rc.29 on take it; no other rc below 29 exists.
    static func duplicateFilterIndexRefused(version: String) -> Bool? {
        if version == "7.2.1" { return nil }
        let text = version.hasPrefix("v") ? String(version.dropFirst()) : version
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        if (major, minor) < (7, 7) { return true }
        if (major, minor) > (7, 7) { return false }
        guard parts.count == 3 else { return nil }
        let rest = parts[2]
        let commit = rest.hasSuffix("-dev") ? rest.dropLast(4) : rest[...]
        if commit.count >= 7, commit.allSatisfy({ $0.isHexDigit }), commit.contains(where: { !$0.isNumber }) || commit.count > 4 {
            return nil
        }
        let patchText = rest.prefix { $0.isNumber }
        guard let patch = Int(patchText) else { return nil }
        if patch != 2 { return patch < 2 }
        let after = rest.dropFirst(patchText.count)
        guard after.hasPrefix("-rc."), let rc = Int(after.dropFirst(4)) else { return after.isEmpty ? false : nil }
        return rc >= 29 || rc == 10 ? false : rc == 28 ? true : nil
    }

    /// Whether a bkunifylogbeat `main.version` has the newer filter operators. Its Makefile writes the
    /// VERSION file and the commit (`7.7.11148c4`); the VERSION file said 7.3, 7.5 and 7.6 before the
    /// operators came, and 7.6 still for two months after (7.7 from April 2024), so a `7.6.<commit>` does
    /// not tell. A tag-style version (`7.7.1-rc.18`, `v7.3.0.99`) is compared with the first tag that has
    /// them. Nil when the text is neither, or is main.go's default `7.2.1` (a build without the Makefile).
    static func extendedFilterOperators(version: String) -> Bool? {
        // main.go's own default, left in a binary built without the Makefile: says nothing.
        if version == "7.2.1" { return nil }
        let text = version.hasPrefix("v") ? String(version.dropFirst()) : version
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        if (major, minor) < (7, 6) { return false }
        if (major, minor) > (7, 7) { return true }
        guard parts.count == 3 else { return nil }
        let rest = parts[2]
        // `<commit>` or `<commit>-dev` (git describe --always --dirty=-dev).
        let commit = rest.hasSuffix("-dev") ? rest.dropLast(4) : rest[...]
        if commit.count >= 7, commit.allSatisfy({ $0.isHexDigit }), commit.contains(where: { !$0.isNumber }) || commit.count > 4 {
            return minor == 7 ? true : nil
        }
        // A tag: `<patch>` or `<patch>-rc.<n>` (or `<patch>.<n>` as the 7.3 tags are).
        let patchText = rest.prefix { $0.isNumber }
        guard let patch = Int(patchText) else { return nil }
        if minor == 6 { return false }
        if patch != 1 { return patch > 1 }
        let after = rest.dropFirst(patchText.count)
        guard after.hasPrefix("-rc."), let rc = Int(after.dropFirst(4)) else { return after.isEmpty ? true : nil }
        return rc >= 18
    }
}
