import HostProbe

/// A directory the collector loads subscription configs from, with the `file_pattern` it loads.
public struct SubscriptionConfigDir: Sendable {
    public var path: String
    public var filePattern: String?

    public init(path: String, filePattern: String?) {
        self.path = path
        self.filePattern = filePattern
    }

    /// Whether the collector loads `name` from here (no pattern known: every name).
    public func loads(_ name: String) -> Bool {
        guard let p = filePattern, !p.isEmpty, !p.contains("/") else { return true }
        return (try? Glob.match(p, name)) == true
    }
}

/// A subscription config file: where it is and how to name it (relative to the subscription directory).
public struct SubscriptionConfigFile: Sendable {
    public var dir: SubscriptionConfigDir
    public var name: String
    /// `name`, `bcs/<name>`, or the full path for a directory outside the subscription directory.
    public var shown: String
    public var path: String { dir.path + "/" + name }

    public init(dir: SubscriptionConfigDir, name: String, shown: String? = nil) {
        self.dir = dir
        self.name = name
        self.shown = shown ?? name
    }
}

/// Every directory the main config's `multi_config` lists (NodeMan's template: `<subconfig_path>`
/// and `<subconfig_path>/bcs`), the subscription directory first even when the main config does not
/// list it (main_config reports that), with their files in directory then name order.
public struct SubscriptionConfigListing: Sendable {
    public var dirs: [SubscriptionConfigDir]
    public var files: [SubscriptionConfigFile]
    /// Directories that could not be listed.
    public var errors: [(SubscriptionConfigDir, ProbeError)]
    /// Names in `<subconfig_path>/bcs` when `multi_config` does not list it (an older main config): on
    /// disk, never loaded.
    public var unlistedBCS: [String] = []

    public init(dirs: [SubscriptionConfigDir], files: [SubscriptionConfigFile], errors: [(SubscriptionConfigDir, ProbeError)] = []) {
        self.dirs = dirs
        self.files = files
        self.errors = errors
    }

    /// Lists the directories of `layout` on the host.
    static func read(_ layout: GSELayout) -> SubscriptionConfigListing {
        let primaryDir = layout.subConfigDir
        var dirs = [SubscriptionConfigDir(path: primaryDir, filePattern: layout.subscriptionEntry?.filePattern)]
        for e in layout.mainConfig.multiConfigEntries where !e.path.isEmpty {
            let real = Sys.realPath(e.path)
            let known = dirs.contains { d in
                PathText.normalize(d.path) == PathText.normalize(e.path) || (real != nil && Sys.realPath(d.path) == real)
            }
            if !known { dirs.append(SubscriptionConfigDir(path: e.path, filePattern: e.filePattern)) }
        }
        let primary = PathText.normalize(primaryDir)
        var files: [SubscriptionConfigFile] = []
        var errors: [(SubscriptionConfigDir, ProbeError)] = []
        for d in dirs {
            // Names are shown relative to the subscription directory (`bcs/<name>`), else in full.
            let normal = PathText.normalize(d.path)
            let prefix =
                normal == primary
                ? "" : PathText.isUnder(normal, primary) ? String(normal.dropFirst(primary.count + 1)) + "/" : normal + "/"
            do {
                for name in try Sys.listDirectory(d.path, limit: 200_000).sorted() {
                    files.append(SubscriptionConfigFile(dir: d, name: name, shown: prefix + name))
                }
            } catch {
                errors.append((d, error))
            }
        }
        var listing = SubscriptionConfigListing(dirs: dirs, files: files, errors: errors)
        let bcs = primaryDir + "/bcs"
        if !dirs.contains(where: { PathText.normalize($0.path) == PathText.normalize(bcs) }) {
            listing.unlistedBCS = ((try? Sys.listDirectory(bcs, limit: 200_000)) ?? []).sorted()
        }
        return listing
    }
}

/// One subscription config file, read and parsed.
public struct SubscriptionConfigRead: Sendable {
    public enum Content: Sendable {
        case parsed(YAMLNode)
        /// Not YAML the collector accepts.
        case invalid(YAMLError)
        /// Larger than `sizeLimit`: not read whole.
        case tooLarge
        case unreadable(ProbeError)
    }

    /// Sizes above this are not read.
    public static let sizeLimit = 4 << 20

    /// Modification time in Unix seconds; nil when it could not be stat'ed.
    public var mtime: Int64?
    /// The file's `stat` (following links) when it was read; nil when it could not be stat'ed.
    public var stat: FileStat?
    public var content: Content
    /// For a file that is not YAML and still holds the template's Jinja markers, the first line with one
    /// (`MainConfig.unrenderedTemplate`: NodeMan deploys a template as it is when rendering it raises).
    public var unrendered: String?
    /// For a file that is not YAML, a value written in single quotes that holds a lone `'` at or before the
    /// error (`singleQuoteDefect`): what the plugin's templates render from a value with a quote in it.
    public var quoteDefect: QuoteDefect?

    /// A line `key: '<value>'` (or `- '<value>'`, an item of a list) whose value, between the opening quote and
    /// the one closing the line, holds a `'` not doubled. NodeMan renders the plugin's sub-config templates
    /// (bkunifylogbeat `support-files/templates/*/etc/bkunifylogbeat*.conf.tpl`) with every such value inside
    /// single quotes and nothing escaped (kafka's `password: '{{ item.get('password', '') }}'`, `paths` items
    /// `- '{{ path }}'`, `multiline.pattern`, filter keys ...): in YAML a `'` there ends the value unless it is
    /// doubled (`''`). The value itself is never kept (it may be a password).
    public struct QuoteDefect: Sendable, Equatable {
        /// 1-based line of the value.
        public var line: Int
        /// The key (`password`, `multiline.pattern`), or `an item of <key>` for a list item.
        public var key: String
        /// For a value between double quotes (`doubleQuoteDefect`), what in it YAML refuses: `a " (double quote)`
        /// or `a \ (backslash)`; nil for a single-quoted one.
        public var doubleQuoted: String? = nil
    }

    public init(mtime: Int64? = nil, content: Content) {
        self.mtime = mtime
        self.content = content
    }

    /// Why bkdiag does not know what the config says: larger than it reads, past a bound of its YAML
    /// reader, or not readable. Nil when parsed, or refused as YAML (the collector does not load it either).
    public var unreadReason: String? {
        switch content {
        case .parsed: nil
        case .tooLarge: "larger than the \(Self.sizeLimit) bytes bkdiag reads"
        case .unreadable(let e): e.description
        case .invalid(let e): e.isReaderLimit ? e.problem : nil
        }
    }

    /// The parsed document, nil for a file that could not be read whole or parsed.
    public var yaml: YAMLNode? {
        if case .parsed(let y) = content { return y }
        return nil
    }

    /// A config's lines as the quote finders read them (its first MiB; `\r\n` ends a line as `\n` does).
    static func quoteFinderLines(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes.prefix(1 << 20), as: UTF8.self)
        return text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    }

    /// The key that opens the block line `n` stands in: the nearest line above it, less indented, that ends in
    /// `:` and is no comment, without that colon (and a list item's `- `); nil when there is none.
    static func openingKey(_ lines: [String], of n: Int) -> String? {
        func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
        let parent = lines[..<n].last { l in
            indent(l) < indent(lines[n]) && l.trimmingASCIIWhitespace().hasSuffix(":") && !l.trimmingASCIIWhitespace().hasPrefix("#")
        }
        return parent.map { String($0.trimmingASCIIWhitespace().dropLast()) }.map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
    }

    /// The first single-quoted value with a lone `'` (`QuoteDefect`) up to the YAML error's line: the error is on
    /// its line, or further down when the value ends with the lone quote (taken with the closing one as an
    /// escaped `''`, the value runs on to the next quote). Nil when there is none there.
    static func singleQuoteDefect(_ bytes: [UInt8], errorLine: Int) -> QuoteDefect? {
        guard errorLine > 0 else { return nil }
        let lines = quoteFinderLines(bytes)
        for n in 0..<min(errorLine, lines.count) {
            let line = lines[n]
            var body = Substring(line.drop { $0 == " " })
            guard !body.hasPrefix("#") else { continue }
            let item = body.hasPrefix("- ")
            if item { body = body.dropFirst(2).drop { $0 == " " } }
            var key: String?
            var value = body
            if !value.hasPrefix("'") {
                // `key: '<value>'`: the key is plain text up to the first `: `.
                guard let colon = body.firstRange(of: ": "), !body[..<colon.lowerBound].contains("'") else { continue }
                key = String(body[..<colon.lowerBound])
                value = body[colon.upperBound...].drop { $0 == " " }
            }
            while let last = value.last, last == " " || last == "\t" || last == "\r" { value = value.dropLast() }
            guard value.count >= 3, value.first == "'", value.last == "'", Self.endsEarly(value) else { continue }
            if key == nil {
                // A list item: named by the key that opens the list.
                key = "an item of " + (openingKey(lines, of: n) ?? "a list")
            }
            return QuoteDefect(line: n + 1, key: key ?? "")
        }
        return nil
    }

    /// The escapes YAML takes after a `\` in a double-quoted value, as the collector's go-yaml v2 reads them
    /// (scannerc.go): `\'` is one, `\/` (libyaml's, YAML 1.2) is not.
    static let yamlEscapes: Set<Character> = [
        "0", "a", "b", "t", "\t", "n", "v", "f", "r", "e", " ", "\"", "'", "\\", "N", "_", "L", "P", "x", "u", "U",
    ]

    /// The first double-quoted value, up to the YAML error's line, that holds what YAML refuses there: a `"` not
    /// escaped, or a `\` before a character that is no YAML escape (`D:\data`). NodeMan renders the plugin's
    /// templates with such values unescaped: `ext_meta`/`labels` (`{{ key }}: "{{ value }}"`) and a syslog item's
    /// `host: "{{ item.host }}"`. Named by its key under the key above it (`ext_meta.dir`). The value is never kept.
    static func doubleQuoteDefect(_ bytes: [UInt8], errorLine: Int) -> QuoteDefect? {
        guard errorLine > 0 else { return nil }
        let lines = quoteFinderLines(bytes)
        for n in 0..<min(errorLine, lines.count) {
            let line = lines[n]
            let body = Substring(line.drop { $0 == " " })
            guard !body.hasPrefix("#"), !body.hasPrefix("- "), let colon = body.firstRange(of: ": ") else { continue }
            let key = body[..<colon.lowerBound]
            guard !key.contains("\""), !key.contains("'") else { continue }
            var value = body[colon.upperBound...].drop { $0 == " " }
            while let last = value.last, last == " " || last == "\t" || last == "\r" { value = value.dropLast() }
            guard value.count >= 2, value.first == "\"", value.last == "\"" else { continue }
            var what: String?
            var i = value.index(after: value.startIndex)
            let end = value.index(before: value.endIndex)
            while i < end, what == nil {
                let c = value[i]
                if c == "\"" {
                    // Closed here with a comment after it (`"x" # say "hi"`): a whole value.
                    let rest = value[value.index(after: i)...]
                    let after = rest.drop { $0 == " " || $0 == "\t" }
                    if after.hasPrefix("#"), after.startIndex > rest.startIndex { break }
                    what = "a \" (double quote)"
                } else if c == "\\" {
                    let next = value.index(after: i)
                    if next >= end || !yamlEscapes.contains(value[next]) { what = "a \\ (backslash)" }
                    i = next < end ? value.index(after: next) : next
                    continue
                }
                i = value.index(after: i)
            }
            guard let what else { continue }
            let above = openingKey(lines, of: n)
            return QuoteDefect(line: n + 1, key: above.map { "\($0).\(key)" } ?? String(key), doubleQuoted: what)
        }
        return nil
    }

    /// Whether the single-quoted YAML scalar that opens `value` (the rest of a line, ending in `'`) is not the
    /// whole value: it ends at a lone `'` with more than a comment after it, or runs past the line (its last
    /// `'` taken with the one before it as an escaped `''`). A value closed at the end of the line, or followed
    /// only by spaces and a `#` comment (which may hold quotes of its own), is whole.
    static func endsEarly(_ value: Substring) -> Bool {
        var i = value.index(after: value.startIndex)
        while i < value.endIndex {
            guard value[i] == "'" else {
                i = value.index(after: i)
                continue
            }
            let next = value.index(after: i)
            if next < value.endIndex && value[next] == "'" {
                i = value.index(after: next)
                continue
            }
            // The closing quote: what follows must be nothing, or spaces and a comment.
            let rest = value[next...].drop { $0 == " " || $0 == "\t" }
            return !(rest.isEmpty || (rest.first == "#" && next < value.endIndex && rest.startIndex > next))
        }
        return true
    }

    /// The file at `path` read, with its `stat` (following links) kept.
    static func read(_ path: String) -> SubscriptionConfigRead {
        let st = try? Sys.stat(path)
        var read = read(path, stat: st)
        read.stat = st
        return read
    }

    private static func read(_ path: String, stat st: FileStat?) -> SubscriptionConfigRead {
        let mtime = st?.mtime
        if let st, !st.isRegular, !st.isDirectory {
            return SubscriptionConfigRead(mtime: mtime, content: .invalid(.notRegular(st.kind)))
        }
        do {
            let c = try FileReader.read(path, limit: sizeLimit)
            if c.truncated { return SubscriptionConfigRead(mtime: mtime, content: .tooLarge) }
            do {
                let root = try YAMLNode.parse(bytes: c.bytes, textKeysOnly: true)
                // YAML, but not a config the collector's loader can build (`UcfgDottedKeys`): skipped whole.
                if let clash = UcfgDottedKeys.conflict(root) {
                    return SubscriptionConfigRead(mtime: mtime, content: .invalid(.keyClash(clash)))
                }
                return SubscriptionConfigRead(mtime: mtime, content: .parsed(root))
            } catch {
                var read = SubscriptionConfigRead(mtime: mtime, content: .invalid(error))
                read.unrendered = MainConfig.unrenderedTemplate(c.bytes)
                read.quoteDefect =
                    singleQuoteDefect(c.bytes, errorLine: error.line) ?? doubleQuoteDefect(c.bytes, errorLine: error.line)
                return read
            }
        } catch {
            // A symlink loop is a config the collector cannot load either: refused, not unread.
            if error.isSymlinkLoop { return SubscriptionConfigRead(mtime: mtime, content: .invalid(.symlinkLoop)) }
            return SubscriptionConfigRead(mtime: mtime, content: .unreadable(error))
        }
    }
}
