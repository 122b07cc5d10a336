/// A glob pattern the collector cannot use: malformed (an unclosed `[`, a trailing `\`), or with
/// more than one `**` path element, which the collector's recursive glob refuses.
public struct GlobPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case malformed
        case multipleDoubleStar
    }

    public var pattern: String
    public var reason: Reason

    public init(pattern: String, reason: Reason = .malformed) {
        self.pattern = pattern
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .malformed: "bad pattern \(pattern): unclosed [ or trailing \\"
        case .multipleDoubleStar: "bad pattern \(pattern): more than one ** element"
        }
    }
}

/// Shell-free glob expansion with the semantics of the collector's Go `filepath.Glob`:
/// `*`, `?`, `[...]`/`[^...]` and `\` escapes within one path component; a leading dot is matched by
/// `*` (the collector collects hidden files too); every other byte (spaces, `$`, `;`, `` ` ``, CJK) is literal.
public enum Glob {
    /// Whether `name` (one path component) matches `pattern` (one component).
    public static func match(_ pattern: String, _ name: String) throws(GlobPatternError) -> Bool {
        try matchScalars(Array(pattern.unicodeScalars), 0, Array(name.unicodeScalars), 0, pattern)
    }

    private static func matchScalars(
        _ p: [Unicode.Scalar], _ pi0: Int, _ n: [Unicode.Scalar], _ ni0: Int, _ original: String
    ) throws(GlobPatternError) -> Bool {
        var pi = pi0
        var ni = ni0
        // Iterative star backtracking: remember the last star and where it was tried.
        var starP = -1
        var starN = 0
        while ni < n.count || pi < p.count {
            if pi < p.count {
                let c = p[pi]
                switch c {
                case "*":
                    starP = pi
                    starN = ni
                    pi += 1
                    continue
                case "?":
                    if ni < n.count && n[ni] != "/" {
                        pi += 1
                        ni += 1
                        continue
                    }
                case "[":
                    let (matched, next) = try matchClass(p, pi, ni < n.count ? n[ni] : nil, original)
                    if matched && ni < n.count {
                        pi = next
                        ni += 1
                        continue
                    }
                case "\\":
                    guard pi + 1 < p.count else { throw GlobPatternError(pattern: original) }
                    if ni < n.count && n[ni] == p[pi + 1] {
                        pi += 2
                        ni += 1
                        continue
                    }
                default:
                    if ni < n.count && n[ni] == c {
                        pi += 1
                        ni += 1
                        continue
                    }
                }
            }
            if starP >= 0 && starN < n.count && n[starN] != "/" {
                starN += 1
                ni = starN
                pi = starP + 1
                continue
            }
            // Validate the rest of the pattern so a bad class is reported even on a mismatch.
            try validate(p, from: pi, original)
            return false
        }
        return true
    }

    private static func validate(_ p: [Unicode.Scalar], from: Int, _ original: String) throws(GlobPatternError) {
        var i = from
        while i < p.count {
            if p[i] == "\\" {
                guard i + 1 < p.count else { throw GlobPatternError(pattern: original) }
                i += 2
            } else if p[i] == "[" {
                i = try matchClass(p, i, nil, original).1
            } else {
                i += 1
            }
        }
    }

    /// Matches `c` against the class starting at `p[start] == "["`; returns (matched, index after `]`).
    /// Go's `filepath.Match` rules: an element may not start with `-` or `]` (so `[]a]`, `[-a]`, `[a-]`
    /// and `[^]]` are bad patterns, unlike in regular expressions), `\` escapes the next character, a
    /// range `lo-hi` with `hi < lo` matches nothing, and the class ends at the first `]` after an element.
    private static func matchClass(
        _ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar?, _ original: String
    ) throws(GlobPatternError) -> (Bool, Int) {
        var i = start + 1
        var negate = false
        if i < p.count && p[i] == "^" {
            negate = true
            i += 1
        }
        /// Go's `getEsc`: one character of the class, escaped or not, with something after it.
        func element() throws(GlobPatternError) -> Unicode.Scalar {
            guard i < p.count, p[i] != "-", p[i] != "]" else { throw GlobPatternError(pattern: original) }
            if p[i] == "\\" {
                i += 1
                guard i < p.count else { throw GlobPatternError(pattern: original) }
            }
            let r = p[i]
            i += 1
            // A raw (non-UTF-8) byte in a class is a bad pattern for Go; so is a class cut short.
            guard !PathBytes.isRawByte(r), i < p.count else { throw GlobPatternError(pattern: original) }
            return r
        }
        var matched = false
        var ranges = 0
        while true {
            guard i < p.count else { throw GlobPatternError(pattern: original) }
            if p[i] == "]" && ranges > 0 {
                i += 1
                break
            }
            let lo = try element()
            var hi = lo
            if p[i] == "-" {
                i += 1
                hi = try element()
            }
            if let c {
                let v = PathBytes.isRawByte(c) ? 0xFFFD : c.value
                if lo.value <= v && v <= hi.value { matched = true }
            }
            ranges += 1
        }
        if c == "/" { return (false, i) }
        return (matched != negate, i)
    }

    /// Whether `s` holds a wildcard, by its scalars as Go reads its bytes: a `*` a combining mark follows is one
    /// Character with it (`*\u{301}`), and still a wildcard.
    static func hasMeta(_ s: Substring) -> Bool {
        s.unicodeScalars.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
    }

    /// An absolute pattern cut before its first element with a wildcard (before its last element when it has
    /// none): the directory every match lies under, and the rest. Nil for a relative pattern or one whose
    /// first element is a wildcard.
    public static func literalDirectory(of pattern: String) -> (directory: String, rest: String)? {
        guard pattern.hasPrefix("/") else { return nil }
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let cut = parts.firstIndex(where: hasMeta) ?? parts.count - 1
        guard cut > 0 else { return nil }
        return ("/" + parts[..<cut].joined(separator: "/"), parts[cut...].joined(separator: "/"))
    }

    /// Whether `pattern` names one path (no glob metacharacter).
    public static func isLiteral(_ pattern: String) -> Bool { !hasMeta(pattern[...]) }

    /// `path` as a pattern that matches exactly it: every `*`, `?`, `[`, `]` and `\` behind a `\` (Go's
    /// `filepath.Match` takes `\x` as the character x, a `]` included).
    public static func escaped(_ path: String) -> String {
        var out = ""
        for c in path.unicodeScalars {
            if c == "*" || c == "?" || c == "[" || c == "]" || c == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// The result of expanding one pattern.
    public struct Expansion: Sendable, Equatable {
        public var pattern: String
        /// Matched paths in sorted order (at most the limit).
        public var matches: [String]
        /// More paths matched than the limit allowed.
        public var truncated: Bool
        /// Directories that could not be read while expanding for want of permission (EACCES, EPERM).
        public var unreadable: [String]
        /// Other errors met on the way (a symlink loop, a name over 255 bytes, an I/O error): the
        /// pattern's files cannot be reached, for the collector either.
        public var failures: [ProbeError] = []

        public init(pattern: String, matches: [String], truncated: Bool = false, unreadable: [String] = [], failures: [ProbeError] = []) {
            self.pattern = pattern
            self.matches = matches
            self.truncated = truncated
            self.unreadable = unreadable
            self.failures = failures
        }
    }

    /// Expands an absolute or relative pattern against the file system. Paths without metacharacters
    /// are checked with lstat (a dangling symlink is a match, as for the collector's glob).
    /// How many directories one level of an expansion may hold before it is cut short.
    public static let maxDirectories = 100_000

    /// How many matches an expansion keeps (sorted) before it is cut short and says so: a live log beside
    /// 10,000 archived ones is not lost to the cut, and each kept match is looked at by several checks
    /// (a healthy host with 100,000 kept took longer than JOB's 5 s deadline; with 20,000, under 3 s).
    public static let defaultLimit = 20_000

    public static func expand(_ pattern: String, limit: Int = defaultLimit) throws(GlobPatternError) -> Expansion {
        var result = Expansion(pattern: pattern, matches: [], truncated: false, unreadable: [])
        // No file name holds a NUL, and Go's glob (the collector's) finds nothing for such a pattern: the
        // system calls refuse it (EINVAL) and the glob passes over their errors.
        if PathBytes.hasNUL(pattern) { return result }
        let absolute = pattern.hasPrefix("/")
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true)
        if components.isEmpty {
            if absolute { result.matches = ["/"] }
            return result
        }
        // Validate all components first so a bad pattern is an error, not "no match".
        for c in components where hasMeta(c) { _ = try match(String(c), "") }
        var current: [String] = [absolute ? "/" : ""]
        for (index, comp) in components.enumerated() {
            let last = index == components.count - 1
            var next: [String] = []
            for dir in current {
                if !hasMeta(comp) {
                    let path = join(dir, String(comp))
                    do {
                        let st = try Sys.stat(path, follow: !last)
                        if last || st.isDirectory { next.append(path) }
                    } catch {
                        // EACCES on a directory that cannot be searched is "could not look", not "absent".
                        result.note(error, dir: dir)
                    }
                    continue
                }
                let listing: [String]
                do {
                    let stat = try Sys.stat(dir.isEmpty ? "." : dir)
                    guard stat.isDirectory else { continue }
                    listing = try Sys.listDirectory(dir.isEmpty ? "." : dir)
                } catch {
                    result.note(error, dir: dir)
                    continue
                }
                let compText = String(comp)
                for name in listing.sorted() where try match(compText, name) {
                    next.append(join(dir, name))
                    if last && next.count > limit { break }
                }
            }
            current = next
            if current.isEmpty { break }
            // A deep `*/*/*` walk over a big tree: stop at a bound and say the answer is partial.
            if !last && current.count > maxDirectories {
                current.removeSubrange(maxDirectories...)
                result.truncated = true
            }
        }
        current.sort()
        if current.count > limit {
            result.truncated = true
            current.removeSubrange(limit...)
        }
        result.matches = current
        return result
    }

    // MARK: The collector's recursive glob

    /// How many directory levels the collector lets `**` stand for (filebeat's log input: 8).
    public static let recursiveDepth = 8

    /// The plain patterns the collector turns `pattern` into. bkunifylogbeat's log input (filebeat 7.1,
    /// `recursive_glob.enabled` on by default) replaces a path element that is exactly `**` by 0 to 8
    /// levels of `*`, over the lexically cleaned path; a second `**` element is an error, and the
    /// collector then refuses the path. `**` inside a longer element is just `*`, as in Go's glob.
    public static func collectorPatterns(_ pattern: String) throws(GlobPatternError) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let components = lexicalClean(pattern)
        let stars = components.indices.filter { components[$0] == "**" }
        // The collector makes every path absolute and clean first (filebeat's `normalizeGlobPatterns`:
        // `filepath.Abs`), so `..` is applied to the text, not walked through a symlink. A relative
        // pattern is left as given: it is relative to the collector's working directory, not known here.
        guard let at = stars.first else { return [absolute ? "/" + components.joined(separator: "/") : pattern] }
        guard stars.count == 1 else { throw GlobPatternError(pattern: pattern, reason: .multipleDoubleStar) }
        let prefix = components[..<at], suffix = components[(at + 1)...]
        // A relative pattern that is only `**` does not expand to the empty path.
        let first = !absolute && prefix.isEmpty && suffix.isEmpty ? 1 : 0
        return (first...recursiveDepth).map { depth in
            let parts = Array(prefix) + Array(repeating: "*", count: depth) + Array(suffix)
            let joined = parts.joined(separator: "/")
            return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
        }
    }

    /// Expands `pattern` as the collector does: `**` first (see `collectorPatterns`), then each plain
    /// pattern; the matches of all of them, sorted, each once.
    public static func expandLikeCollector(_ pattern: String, limit: Int = defaultLimit) throws(GlobPatternError) -> Expansion {
        let patterns = try collectorPatterns(pattern)
        if patterns == [pattern] { return try expand(pattern, limit: limit) }
        var result = Expansion(pattern: pattern, matches: [], truncated: false, unreadable: [])
        var seen = Set<String>()
        for p in patterns {
            let e = try expand(p, limit: limit)
            for m in e.matches where seen.insert(m).inserted { result.matches.append(m) }
            result.truncated = result.truncated || e.truncated
            for u in e.unreadable where !result.unreadable.contains(u) { result.unreadable.append(u) }
            for f in e.failures where !result.failures.contains(f) { result.failures.append(f) }
        }
        result.matches.sort()
        if result.matches.count > limit {
            result.truncated = true
            result.matches.removeSubrange(limit...)
        }
        return result
    }

    /// Throws what expanding `pattern` as the collector does would throw, without touching the file system.
    public static func validateLikeCollector(_ pattern: String) throws(GlobPatternError) {
        for p in try collectorPatterns(pattern) {
            do { try validate(p) } catch { throw GlobPatternError(pattern: pattern, reason: error.reason) }
        }
    }

    /// Throws when a component of the plain pattern `pattern` is malformed (Go's `filepath.Glob` error).
    public static func validate(_ pattern: String) throws(GlobPatternError) {
        for c in pattern.split(separator: "/") where hasMeta(c) {
            do { _ = try match(String(c), "") } catch { throw GlobPatternError(pattern: pattern, reason: error.reason) }
        }
    }

    /// Whether `path` matches `pattern` as the collector reads it (`**` included), component by component.
    public static func matchesLikeCollector(_ pattern: String, path: String) -> Bool {
        CollectorMatcher(pattern).matches(path)
    }

    /// `matchesLikeCollector` with the pattern expanded once (`**` into its depths), for a pattern tested
    /// against many paths. A pattern the collector refuses matches nothing.
    public struct CollectorMatcher: Sendable {
        let alternatives: [[String]]

        /// The components every alternative begins with that hold no wildcard, with its component count: a path
        /// the alternative matches has that many components and begins with these, character for character.
        var literalHeads: [(count: Int, head: [String])] {
            alternatives.map { parts in (parts.count, Array(parts.prefix { !Glob.hasMeta($0[...]) })) }
        }

        public init(_ pattern: String) {
            alternatives = ((try? Glob.collectorPatterns(pattern)) ?? []).map { $0.split(separator: "/").map(String.init) }
        }

        public func matches(_ path: String) -> Bool {
            let pathParts = path.split(separator: "/")
            return alternatives.contains { parts in
                parts.count == pathParts.count && zip(parts, pathParts).allSatisfy { (try? Glob.match($0, String($1))) == true }
            }
        }
    }

    /// Paths indexed by their component count and leading components, so that a `CollectorMatcher` is tried only
    /// on the paths it may match: a pattern tested against many paths, and many patterns against the same paths
    /// (every subscription's items against the files the collector holds), is then not a product of the two.
    public struct PathIndex: Sendable {
        private struct Key: Hashable {
            var count: Int
            var head: [String]
        }
        /// For each component count and each run of leading components, the paths (by index) that have them.
        private var paths: [Key: [Int]] = [:]

        /// `paths` split into components as `CollectorMatcher.matches` splits them.
        public init(_ paths: [String]) {
            for (i, path) in paths.enumerated() {
                let parts = path.split(separator: "/").map(String.init)
                for k in 0...parts.count { self.paths[Key(count: parts.count, head: Array(parts[..<k])), default: []].append(i) }
            }
        }

        /// The indexes, in increasing order, of the paths `matcher` may match: those with as many components as
        /// one of its alternatives that begin with its literal components. Every path it matches is among them
        /// (a literal component matches only itself); the others are not tried.
        public func candidates(_ matcher: CollectorMatcher) -> [Int] {
            var out = Set<Int>()
            for (count, head) in matcher.literalHeads { out.formUnion(paths[Key(count: count, head: head)] ?? []) }
            return out.sorted()
        }
    }

    /// The components of `path` after Go's `filepath.Clean`: no empty or `.` elements, `..` applied
    /// lexically (and dropped at the root of an absolute path).
    static func lexicalClean(_ path: String) -> [String] {
        let absolute = path.hasPrefix("/")
        var out: [String] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) where c != "." {
            if c == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !absolute {
                    out.append("..")
                }
            } else {
                out.append(String(c))
            }
        }
        return out
    }

    private static func join(_ dir: String, _ name: String) -> String {
        if dir.isEmpty { return name }
        return dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}

extension Glob.Expansion {
    /// Files under `dir` could not be looked at: "absent" says nothing, "no permission" makes the
    /// expansion partial, anything else (ELOOP, ENAMETOOLONG, EIO) is a reason the path fails.
    mutating func note(_ error: ProbeError, dir: String) {
        if error.isMissing { return }
        if error.isPermission {
            unreadable.append(dir.isEmpty ? "." : dir)
        } else if !failures.contains(error) {
            failures.append(error)
        }
    }
}
