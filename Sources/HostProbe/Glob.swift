/// A malformed glob pattern (e.g. an unclosed `[`).
public struct GlobPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var description: String { "bad pattern \(pattern): unclosed [ or trailing \\" }
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
                _ = try matchClass(p, i, nil, original)
                var j = i + 1
                if j < p.count && p[j] == "^" { j += 1 }
                if j < p.count && p[j] == "]" { j += 1 }
                while j < p.count && p[j] != "]" { j += p[j] == "\\" ? 2 : 1 }
                i = j + 1
            } else {
                i += 1
            }
        }
    }

    /// Matches `c` against the class starting at `p[start] == "["`; returns (matched, index after `]`).
    private static func matchClass(
        _ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar?, _ original: String
    ) throws(GlobPatternError) -> (Bool, Int) {
        var i = start + 1
        var negate = false
        if i < p.count && p[i] == "^" {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while true {
            guard i < p.count else { throw GlobPatternError(pattern: original) }
            if p[i] == "]" && !first { break }
            first = false
            var lo = p[i]
            if lo == "\\" {
                i += 1
                guard i < p.count else { throw GlobPatternError(pattern: original) }
                lo = p[i]
            }
            i += 1
            var hi = lo
            if i + 1 < p.count && p[i] == "-" && p[i + 1] != "]" {
                i += 1
                hi = p[i]
                if hi == "\\" {
                    i += 1
                    guard i < p.count else { throw GlobPatternError(pattern: original) }
                    hi = p[i]
                }
                i += 1
            }
            if let c, lo.value <= c.value && c.value <= hi.value { matched = true }
        }
        if c == "/" { return (false, i + 1) }
        return (matched != negate, i + 1)
    }

    static func hasMeta(_ s: Substring) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" } }

    /// The result of expanding one pattern.
    public struct Expansion: Sendable, Equatable {
        public var pattern: String
        /// Matched paths in sorted order (at most the limit).
        public var matches: [String]
        /// More paths matched than the limit allowed.
        public var truncated: Bool
        /// Directories that could not be read while expanding (permission, I/O error).
        public var unreadable: [String]
    }

    /// Expands an absolute or relative pattern against the file system. Paths without metacharacters
    /// are checked with lstat (a dangling symlink is a match, as for the collector's glob).
    public static func expand(_ pattern: String, limit: Int = 10_000) throws(GlobPatternError) -> Expansion {
        var result = Expansion(pattern: pattern, matches: [], truncated: false, unreadable: [])
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
                        if !error.isMissing { result.unreadable.append(dir.isEmpty ? "." : dir) }
                    }
                    continue
                }
                let listing: [String]
                do {
                    let stat = try Sys.stat(dir.isEmpty ? "." : dir)
                    guard stat.isDirectory else { continue }
                    listing = try Sys.listDirectory(dir.isEmpty ? "." : dir)
                } catch {
                    if !error.isMissing { result.unreadable.append(dir.isEmpty ? "." : dir) }
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
        }
        current.sort()
        if current.count > limit {
            result.truncated = true
            current.removeSubrange(limit...)
        }
        result.matches = current
        return result
    }

    private static func join(_ dir: String, _ name: String) -> String {
        if dir.isEmpty { return name }
        return dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}
