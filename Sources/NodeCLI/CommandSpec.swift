/// A small, table-driven command-line parser for the node binary.
///
/// bkdiag starts once per JOB run on every host, so its start-up is part of its answer time. Building
/// swift-argument-parser's command tree by runtime reflection took about 2 ms of a 4.5 ms `--version`
/// (measured with perf: protocol-conformance scans and generic metadata), and the library links
/// FoundationEssentials (about 3 MiB) into the otherwise Foundation-free binary. The node's command
/// line is small and fixed, so it is described by tables here; bkdiag-fleet keeps ArgumentParser.
///
/// Accepted forms: `--name value`, `--name=value`, `-x value`, `-xvalue`, `-x=value`, flags
/// `--name`, inverted flags `--name` / `--no-name`, `--` (nothing may follow: there are no
/// positional arguments). A repeated option keeps its last value, as Python's argparse does.

/// One option of a command.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Takes a value, shown as `<placeholder>` in help.
        case value(placeholder: String)
        /// A switch: `--name`.
        case flag
        /// A switch with an off form: `--name` / `--no-name`.
        case invertible
    }

    public let long: String
    public let short: Character?
    public let kind: Kind
    public let help: String
    public let hidden: Bool

    public init(_ long: String, short: Character? = nil, _ kind: Kind, help: String, hidden: Bool = false) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
        self.hidden = hidden
    }

    public static func value(_ long: String, short: Character? = nil, _ placeholder: String, help: String, hidden: Bool = false)
        -> OptionSpec
    {
        OptionSpec(long, short: short, .value(placeholder: placeholder), help: help, hidden: hidden)
    }

    public static func flag(_ long: String, help: String, hidden: Bool = false) -> OptionSpec {
        OptionSpec(long, .flag, help: help, hidden: hidden)
    }
}

/// A command: its name, what it does, and its options.
public struct CommandSpec: Sendable {
    public let name: String
    public let abstract: String
    public let discussion: String?
    public let options: [OptionSpec]

    public init(name: String, abstract: String, discussion: String? = nil, options: [OptionSpec]) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
    }
}

/// A command line that cannot be run: printed as `bkdiag: <message>`, exit status 2.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the words of a command line set, before their values are checked.
public struct ParsedOptions: Sendable, Equatable {
    public var values: [String: String] = [:]
    public var flags: [String: Bool] = [:]
    /// `-h`/`--help` or `--version` was given.
    public var helpRequested = false
    public var versionRequested = false

    /// Words a tolerant parse skipped (see `CommandSpec.parse(_:tolerant:joinable:)`), for a note on stderr.
    public var ignored: [String] = []
    /// Values a tolerant parse rebuilt from words split at a space, as `option: value`, for a note on stderr.
    public var joined: [String] = []

    public func value(_ long: String) -> String? { values[long] }
    public func flag(_ long: String) -> Bool? { flags[long] }
    public func isSet(_ long: String) -> Bool { flags[long] ?? false }
}

extension CommandSpec {
    /// Reads `args` against the options table. Unknown options, missing values, values given to
    /// flags and stray words are usage errors that name the word.
    ///
    /// `tolerant` reads the words as check.py's optparse does, for the command JOB runs with check.py's
    /// arguments: a long option may be shortened to any prefix no other option shares (`--sub=1`); a word
    /// that is no option continues the value just before it when that is a `joinable` option's (a path JOB
    /// split at a space: `--gse_path=/opt/my gse`, of which optparse would keep `/opt/my` and drop `gse`),
    /// and is otherwise skipped, as are the words after `--`. What was joined or skipped is returned for a
    /// note on stderr. Of a `listed` option (comma-separated paths), a stray word that is itself an absolute path
    /// is a further item, joined with a comma: the host's shell expanded a glob into the files it matched.
    public func parse(
        _ args: some Collection<String>, tolerant: Bool = false, joinable: Set<String> = [], listed: Set<String> = []
    ) throws(UsageError)
        -> ParsedOptions
    {
        var out = ParsedOptions()
        var words = Array(args)[...]
        /// The value option whose value was the last word read.
        var lastValue: String?
        while let word = words.popFirst() {
            let continues = lastValue
            lastValue = nil
            if word == "--" {
                if let stray = words.first {
                    guard tolerant else { throw UsageError("unexpected argument '\(stray)'") }
                    out.ignored += words
                }
                break
            }
            if word == "-h" || word == "--help" {
                out.helpRequested = true
                continue
            }
            if word == "--version" {
                out.versionRequested = true
                continue
            }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = body.firstIndex(of: "=").map { String(body[..<$0]) } ?? String(body)
                let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
                var exact = options.first(where: { $0.long == name })
                if exact == nil && tolerant && !name.hasPrefix("no-") { exact = try uniquePrefix(name) }
                if let spec = exact {
                    try take(spec, written: "--\(name)", inline: inline, words: &words, into: &out)
                    if case .value = spec.kind { lastValue = spec.long }
                } else if name.hasPrefix("no-"), let spec = options.first(where: { $0.long == name.dropFirst(3) && $0.kind == .invertible })
                {
                    if inline != nil { throw UsageError("--\(name) takes no value") }
                    out.flags[spec.long] = false
                } else {
                    throw UsageError("unknown option '--\(name)'\(suggestion(for: name))")
                }
                continue
            }
            if word.count >= 2, word.hasPrefix("-"), !Self.isNumber(word) {
                let letter = word[word.index(after: word.startIndex)]
                guard let spec = options.first(where: { $0.short == letter }) else {
                    throw UsageError("unknown option '-\(letter)'")
                }
                var rest = String(word.dropFirst(2))
                if rest.hasPrefix("=") { rest.removeFirst() }
                try take(spec, written: "-\(letter)", inline: word.count > 2 ? rest : nil, words: &words, into: &out)
                if case .value = spec.kind { lastValue = spec.long }
                continue
            }
            guard tolerant else { throw UsageError("unexpected argument '\(word)'") }
            if let long = continues, joinable.contains(long), let value = out.values[long] {
                // A list's word that is itself an absolute path is a further item (a glob the host's shell
                // expanded: `-l /data/*.log` arrives as one word per file), not the rest of one split at a space.
                let joined = value + (listed.contains(long) && word.hasPrefix("/") ? "," : " ") + word
                out.values[long] = joined
                out.joined.removeAll { $0.hasPrefix(long + ": ") }
                out.joined.append("\(long): \(joined)")
                lastValue = long
            } else {
                out.ignored.append(word)
            }
        }
        return out
    }

    /// The one option whose long name starts with `prefix` (optparse's abbreviations); nil when none does,
    /// a usage error when several do.
    private func uniquePrefix(_ prefix: String) throws(UsageError) -> OptionSpec? {
        guard !prefix.isEmpty else { return nil }
        let matches = options.filter { !$0.hidden && $0.long.hasPrefix(prefix) }
        if matches.count > 1 {
            throw UsageError("ambiguous option '--\(prefix)' (could be \(matches.map { "--" + $0.long }.joined(separator: ", ")))")
        }
        return matches.first
    }

    private func take(
        _ spec: OptionSpec, written: String, inline: String?, words: inout ArraySlice<String>, into out: inout ParsedOptions
    ) throws(UsageError) {
        switch spec.kind {
        case .flag, .invertible:
            if inline != nil { throw UsageError("\(written) takes no value") }
            out.flags[spec.long] = true
        case .value:
            if let inline {
                out.values[spec.long] = inline
                return
            }
            // The next word is the value unless it is itself an option (a negative number is a value).
            guard let next = words.first, !(next.hasPrefix("-") && next.count > 1 && !Self.isNumber(next)) else {
                throw UsageError("missing value for \(written)")
            }
            words.removeFirst()
            out.values[spec.long] = next
        }
    }

    /// ` (did you mean '--x'?)` for a near miss of a long name, else empty.
    private func suggestion(for name: String) -> String {
        let normal = name.replacingUnderscores()
        guard let near = options.first(where: { !$0.hidden && $0.long.replacingUnderscores() == normal }) else { return "" }
        return " (did you mean '--\(near.long)'?)"
    }

    static func isNumber(_ s: String) -> Bool { Double(s) != nil }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}

// MARK: - Help

extension CommandSpec {
    static let width = 80
    static let helpColumn = 26

    /// The help page: overview, discussion, usage and the options table (hidden options left out).
    public func help(usage: String, extra: [(String, String)] = []) -> String {
        var out = Self.wrap("OVERVIEW: \(abstract)", indent: 0) + "\n\n"
        if let discussion { out += Self.wrap(discussion, indent: 0) + "\n\n" }
        out += "USAGE: \(usage)\n\nOPTIONS:\n"
        var rows: [(String, String)] = options.filter { !$0.hidden }.map { o in
            var left = o.short.map { "-\($0), " } ?? ""
            switch o.kind {
            case .value(let placeholder): left += "--\(o.long) <\(placeholder)>"
            case .flag: left += "--\(o.long)"
            case .invertible: left += "--\(o.long)/--no-\(o.long)"
            }
            return (left, o.help)
        }
        rows += extra
        rows += [("--version", "Show the version."), ("-h, --help", "Show help information.")]
        out += Self.table(rows)
        return out
    }

    /// Two columns: the left in column 2; the right from `helpColumn`, wrapped to `width`; a left
    /// side too long for its column puts the help on the next line.
    static func table(_ rows: [(String, String)]) -> String {
        var out = ""
        for (left, right) in rows {
            let lead = "  " + left
            let body = wrap(right, indent: helpColumn)
            if lead.count + 1 < helpColumn {
                let firstLine = body.dropFirst(helpColumn)
                out += lead + String(repeating: " ", count: helpColumn - lead.count) + firstLine + "\n"
            } else {
                out += lead + "\n" + body + "\n"
            }
        }
        return out
    }

    /// Words of `text` wrapped to `width`, every line indented by `indent` spaces.
    static func wrap(_ text: String, indent: Int) -> String {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && indent + line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            lines.append(line)
        }
        let pad = String(repeating: " ", count: indent)
        return lines.map { pad + $0 }.joined(separator: "\n")
    }
}
