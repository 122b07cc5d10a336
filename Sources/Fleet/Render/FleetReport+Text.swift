import Report

extension FleetReport {
    /// One-line headline: hosts, healthy, broken, no output; first that JOB itself failed, when it did.
    public var headline: String {
        let s = summary
        var parts = ["\(s.hostCount) hosts", "\(s.healthy) healthy"]
        let fail = s.count(.fail) + s.count(.unknown)
        if fail > 0 { parts.append("\(fail) failing") }
        if !s.noUsableOutput.isEmpty { parts.append("\(s.noUsableOutput.count) without usable output") }
        if gseGiven, s.count(.agentOffline) > 0 { parts.append("\(s.count(.agentOffline)) agent offline") }
        var job = ""
        if let j = jobInstanceID { job = "job \(j)" + (stepInstanceID.map { " step \($0)" } ?? "") + ": " }
        if let jobFailure { return job + jobFailure.summary + " (" + parts.joined(separator: ", ") + ")" }
        return job + parts.joined(separator: ", ")
    }

    /// The terminal table: headline, issues, item counts, failure groups, hosts without output.
    public func textTable(colour: Bool = false, hostsPerGroup: Int = 8) -> String {
        let s = summary
        func paint(_ t: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(t)\u{1B}[0m" : t }
        // Host-given text (messages, hints, names, keys, JOB's own messages) is shown, never acted on by the terminal.
        // Cut to `shownLimit` characters, and the columns no wider than 64: one long name does not widen every row.
        let v = Self.shown
        var out = "bkdiag-fleet " + v(headline) + "\n"
        out += "states: " + s.states.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + "\n"
        out += "producers: " + s.producers.map { "\(v($0.0)) \($0.1)" }.joined(separator: ", ") + "\n"
        if gseGiven {
            out += "diagnoses: " + s.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + "\n"
        }
        if !issues.isEmpty {
            out += "\nISSUES\n"
            for i in issues {
                let lvl = i.level == .error ? paint("error", "31") : i.level == .warning ? paint("warning", "33") : "info"
                out += "  [\(lvl)] \(i.step): \(v(i.message))"
                if !i.hosts.isEmpty { out += " (" + Self.list(i.hosts, max: 5) + ")" }
                out += "\n"
            }
        }
        if !s.itemCounts.isEmpty {
            out += "\n"
            let w = min(64, max(24, s.itemCounts.map { DisplayWidth.of(v($0.item.description)) }.max() ?? 0))
            let lw = min(64, max(10, s.itemCounts.map { DisplayWidth.of(v($0.item.label)) }.max() ?? 0))
            out += DisplayWidth.pad("CHECK ITEM", w) + "  " + DisplayWidth.pad("LABEL", lw) + "   PASS   WARN   FAIL UNKNOWN\n"
            for c in s.itemCounts {
                func num(_ v: Int, _ width: Int) -> String {
                    let t = String(v)
                    return String(repeating: " ", count: max(0, width - t.count)) + t
                }
                var row = DisplayWidth.pad(v(c.item.description), w) + "  " + DisplayWidth.pad(v(c.item.label), lw)
                row += " " + num(c.counts.pass, 6) + " " + num(c.counts.warn, 6)
                row += " " + (c.counts.fail > 0 ? paint(num(c.counts.fail, 6), "31") : num(0, 6))
                row += " " + num(c.counts.unknown, 7)
                out += row + "\n"
            }
        }
        if !s.groups.isEmpty {
            out += "\nFAILURE GROUPS (\(s.groups.count))\n"
            for (n, g) in s.groups.prefix(Self.groupsListed).enumerated() {
                out += "#\(n + 1) [\(g.id)] \(g.hosts.count) host" + (g.hosts.count == 1 ? "" : "s")
                if gseGiven || g.diagnoses.count > 1 {
                    out += " (" + g.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + ")"
                }
                out += "\n"
                for e in g.entries { out += "    " + paint(v(e.description), "31") + "\n" }
                for h in g.topHints { out += "    hint: \(v(h.hint)) (\(h.hosts))\n" }
                out += "    hosts: " + Self.list(g.hosts, max: hostsPerGroup) + "\n"
            }
            if let more = groupsNotListed(s) { out += more + "\n" }
        }
        if !s.noUsableOutput.isEmpty {
            out += "\nNO USABLE OUTPUT (\(s.noUsableOutput.count)): " + Self.list(s.noUsableOutput, max: 20) + "\n"
        }
        return out
    }

    /// Host-given text (hints, module and item names, messages) longer than this many characters is shown cut:
    /// one host's 1 MB hint must not make every output megabytes. The JSON output keeps it whole.
    static let shownLimit = 300

    /// `text` cut to `shownLimit` characters, saying how much was left out.
    static func clipped(_ text: String) -> String {
        guard text.utf8.count > shownLimit, text.count > shownLimit else { return text }
        return String(text.prefix(shownLimit)) + "… (\(text.count - shownLimit) more characters)"
    }

    /// Host-given text as the table, Markdown and HTML outputs show it: controls and the format characters that
    /// reorder or hide text as escapes (`TerminalText.visible`), cut to `shownLimit` characters.
    static func shown(_ text: String) -> String { clipped(TerminalText.visible(text)) }

    /// At most this many failure groups are listed in the table, Markdown and HTML outputs (largest first);
    /// the JSON output lists them all.
    static let groupsListed = 200

    /// The line that says what the groups not listed hold, when there are such.
    func groupsNotListed(_ s: FleetSummary) -> String? {
        guard s.groups.count > Self.groupsListed else { return nil }
        let rest = s.groups.dropFirst(Self.groupsListed)
        let hosts = rest.reduce(0) { $0 + $1.hosts.count }
        return "… and \(rest.count) more failure groups (\(hosts) host\(hosts == 1 ? "" : "s")): all are in --format json"
    }

    /// Host keys and the like, the first `max` of them joined, each as `show` shows it (by default as
    /// `TerminalText.visible` does), and how many more there are.
    static func list(_ items: [String], max: Int, show: (String) -> String = TerminalText.visible) -> String {
        let shown = items.prefix(max).map(show).joined(separator: ", ")
        return items.count <= max ? shown : shown + ", … (+\(items.count - max))"
    }

    /// Markdown: summary, items, groups, hosts without output, issues.
    public func markdown(hostsPerGroup: Int = 20) -> String {
        let s = summary
        // Host-given text as inert Markdown: by Unicode scalar (so "\r\n", one Character, is caught), line
        // breaks and other controls shown as escapes, and every character Markdown or inline HTML acts on
        // backslash-escaped (GitHub's Markdown takes a backslash before any ASCII punctuation as the literal).
        func esc(_ t: String) -> String {
            var o = ""
            // Leading spaces would make an indented code block of a list item's text; digits and a `.` at its
            // start, an ordered list ("1. restart…" keeps its "1.").
            let text = Self.shown(t).drop { $0 == " " || $0 == "\t" }
            var leadingDigits = true
            for u in text.unicodeScalars {
                if "\\`*_{}[]<>()#+-!|~&".unicodeScalars.contains(u) || (leadingDigits && u == ".") { o += "\\" }
                leadingDigits = leadingDigits && ("0"..."9").contains(u)
                o.unicodeScalars.append(u)
            }
            return o
        }
        // A code span holding `t`: fenced with more backticks than any run inside it. In a table cell a `|`
        // is escaped (it still splits the cell inside a code span); elsewhere the backslash would show.
        func code(_ t: String, inTable: Bool) -> String {
            let v = Self.shown(t)
            var longest = 0, run = 0
            for c in v {
                run = c == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
            let fence = String(repeating: "`", count: longest + 1)
            let pad = v.hasPrefix("`") || v.hasSuffix("`") ? " " : ""
            // A `|` still splits a table cell inside a code span (GitHub): escaped there too.
            return fence + pad + (inTable ? v.replacingAll("|", with: "\\|") : v) + pad + fence
        }
        func code(_ t: String) -> String { code(t, inTable: false) }
        var out = "# bkdiag-fleet report\n\n"
        out += "- generated: \(Timestamp.iso8601(milliseconds: generatedAtMs)) (\(source))\n"
        if let j = jobInstanceID { out += "- job instance: \(j)" + (stepInstanceID.map { ", step \($0)" } ?? "") + "\n" }
        out += "- \(esc(headline))\n"
        if !s.states.isEmpty { out += "- states: " + s.states.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + "\n" }
        if !s.producers.isEmpty { out += "- producers: " + s.producers.map { "\(esc($0.0)) \($0.1)" }.joined(separator: ", ") + "\n" }
        if gseGiven { out += "- diagnoses: " + s.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + "\n" }
        if !s.itemCounts.isEmpty {
            out += "\n## Check items\n\n| item | label | pass | warn | fail | unknown |\n|---|---|---:|---:|---:|---:|\n"
            for c in s.itemCounts {
                out +=
                    "| \(code(c.item.description, inTable: true)) | \(esc(c.item.label)) | \(c.counts.pass) | \(c.counts.warn) | \(c.counts.fail) | \(c.counts.unknown) |\n"
            }
        }
        if !s.groups.isEmpty {
            out += "\n## Failure groups\n"
            for (n, g) in s.groups.prefix(Self.groupsListed).enumerated() {
                out += "\n### \(n + 1). \(g.hosts.count) host\(g.hosts.count == 1 ? "" : "s") — `\(g.id)`\n\n"
                for e in g.entries { out += "- **\(esc(e.item))**: \(esc(e.message))\n" }
                if !g.topHints.isEmpty {
                    out += "\nHints:\n"
                    for h in g.topHints { out += "- \(esc(h.hint)) (\(h.hosts) host\(h.hosts == 1 ? "" : "s"))\n" }
                }
                if g.diagnoses.count > 1 || gseGiven {
                    out += "\nDiagnoses: " + g.diagnoses.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ") + "\n"
                }
                out += "\nHosts: " + Self.list(g.hosts, max: hostsPerGroup, show: code) + "\n"
            }
            if let more = groupsNotListed(s) { out += "\n" + esc(more) + "\n" }
        }
        if !s.noUsableOutput.isEmpty {
            out += "\n## Hosts without usable output (\(s.noUsableOutput.count))\n\n"
            out += Self.list(s.noUsableOutput, max: 100, show: code) + "\n"
        }
        if !issues.isEmpty {
            out += "\n## Issues\n\n"
            for i in issues { out += "- **\(i.level.rawValue)** \(code(i.step)): \(esc(i.message))\n" }
        }
        return out
    }
}

extension String {
    /// Plain substring replacement without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
