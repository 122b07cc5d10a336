import Report

/// Lexical path helpers (no file system access).
public enum PathText {
    /// A name from the host as a message shows it: control characters (a newline, a carriage return, an escape
    /// sequence) and the invisible characters that reorder text as escapes (`\n`, `\x1b`, `\u202e`), so that a
    /// file named with a newline cannot forge a line of the message; everything else (spaces, CJK) as it is.
    /// Raw bytes that are not UTF-8 are left to `Finding.displayed`. For messages and hints, not evidence,
    /// which keeps the name exactly (JSON escapes it).
    public static func shown(_ name: String) -> String { TerminalText.visible(name) }

    /// `/a/./b//c/../d/` → `/a/b/d`. Relative paths stay relative.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(c) }
                continue
            }
            parts.append(c)
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// Whether `path` is `root` or below it (lexically, after normalising both).
    public static func isUnder(_ path: String, _ root: String) -> Bool {
        let p = normalize(path)
        let r = normalize(root)
        if r == "/" { return true }
        return p == r || p.hasPrefix(r + "/")
    }

    /// `path` made absolute from `dir` and normalised, as Go's `filepath.Abs` does for a relative one; an
    /// absolute or empty path as given.
    public static func resolve(_ path: String, from dir: String) -> String {
        path.hasPrefix("/") || path.isEmpty ? path : normalize(join(dir, path))
    }

    public static func join(_ a: String, _ b: String) -> String {
        if b.hasPrefix("/") { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Prefixes a host path with the host root (`/` leaves it unchanged).
    public static func onHost(_ root: String, _ path: String) -> String {
        let r = normalize(root)
        return r == "/" ? path : r + (path.hasPrefix("/") ? path : "/" + path)
    }

    public static func basename(_ path: String) -> String {
        let n = normalize(path)
        guard let slash = n.lastIndex(of: "/") else { return n }
        return String(n[n.index(after: slash)...])
    }
}
