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
    public var content: Content
    /// For a file that is not YAML and still holds the template's Jinja markers, the first line with one
    /// (`MainConfig.unrenderedTemplate`: NodeMan deploys a template as it is when rendering it raises).
    public var unrendered: String?

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

    static func read(_ path: String) -> SubscriptionConfigRead {
        let st = try? Sys.stat(path)
        let mtime = st?.mtime
        if let st, !st.isRegular, !st.isDirectory {
            return SubscriptionConfigRead(mtime: mtime, content: .invalid(.notRegular(st.kind)))
        }
        do {
            let c = try FileReader.read(path, limit: sizeLimit)
            if c.truncated { return SubscriptionConfigRead(mtime: mtime, content: .tooLarge) }
            do {
                return SubscriptionConfigRead(mtime: mtime, content: .parsed(try YAMLNode.parse(bytes: c.bytes, textKeysOnly: true)))
            } catch {
                var read = SubscriptionConfigRead(mtime: mtime, content: .invalid(error))
                read.unrendered = MainConfig.unrenderedTemplate(c.bytes)
                return read
            }
        } catch {
            // A symlink loop is a config the collector cannot load either: refused, not unread.
            if error.isSymlinkLoop { return SubscriptionConfigRead(mtime: mtime, content: .invalid(.symlinkLoop)) }
            return SubscriptionConfigRead(mtime: mtime, content: .unreadable(error))
        }
    }
}
