/// Output formats a report can be printed in.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// `{"status","data"}` only, one line.
    case compat
    /// Compat keys plus the rich fields, one line.
    case json
    /// A table for people, with the central labels and hints.
    case text
    /// Prometheus text exposition format.
    case prometheus
    /// A Nagios plugin status line with performance data.
    case nagios
}

extension DiagnosticReport {
    /// Renders the report in `format`. Every format ends with a newline.
    public func rendered(_ format: ReportFormat, colour: Bool = false) -> String {
        switch format {
        case .compat: return compatLine() + "\n"
        case .json: return richLine() + "\n"
        case .text: return textTable(colour: colour)
        case .prometheus: return prometheusText()
        case .nagios: return nagiosText()
        }
    }

    /// A readable table: verdict, module, label, message, then the hint on its own line.
    public func textTable(colour: Bool) -> String {
        func paint(_ s: String, _ v: Verdict) -> String {
            guard colour else { return s }
            let code: String
            switch v {
            case .pass: code = "32"
            case .warn: code = "33"
            case .fail: code = "31"
            case .unknown: code = "35"
            }
            return "\u{1B}[\(code)m\(s)\u{1B}[0m"
        }
        let moduleWidth = max(6, results.map { DisplayWidth.of($0.module) }.max() ?? 0)
        let labelWidth = max(4, results.map { DisplayWidth.of($0.label) }.max() ?? 0)
        var out = ""
        let title = host.hostname.isEmpty ? "bkdiag" : "bkdiag @ \(TerminalText.visible(host.hostname))"
        out += title + (version.isEmpty ? "" : " (\(version))") + "\n"
        // Which install was checked, and why that one: on a host with several GSE roots the checks say nothing
        // of the others (the JSON's `context` carries the same).
        func context(_ key: String) -> String? { self.context.first { $0.0 == key }?.1.stringValue }
        if let root = context("gse_root") {
            let why = [context("gse_generation"), context("gse_root_source")].compactMap { $0 }.joined(separator: ", ")
            var line = "GSE root \(TerminalText.visible(root))" + (why.isEmpty ? "" : " (\(why))")
            if let others = self.context.first(where: { $0.0 == "other_gse_roots" })?.1.arrayValue?.compactMap(\.stringValue),
                !others.isEmpty
            {
                line += "; also installed: " + others.map(TerminalText.visible).joined(separator: ", ")
            }
            out += line + "\n"
        }
        for r in results {
            let tag = paint(DisplayWidth.pad(r.verdict.rawValue.uppercased(), 7), r.verdict)
            out +=
                "\(tag) \(DisplayWidth.pad(r.module, moduleWidth))  \(DisplayWidth.pad(r.label, labelWidth))  \(TerminalText.visible(r.message))"
            if let d = r.durationMs { out += "  (\(DisplayWidth.formatMs(d)))" }
            out += "\n"
            if !r.hint.isEmpty && r.verdict != .pass {
                out += String(repeating: " ", count: 8) + "→ " + TerminalText.visible(r.hint) + "\n"
            }
        }
        var tail = summary.sentence
        if let d = durationMs { tail += " in \(DisplayWidth.formatMs(d))" }
        out += paint(tail, overall) + "\n"
        return out
    }

    /// Prometheus exposition: one gauge per check (1 = pass or warn), its verdict as a label set,
    /// its duration, and the time and duration of the run.
    public func prometheusText() -> String {
        func esc(_ s: String) -> String {
            var o = ""
            for c in s.unicodeScalars {
                switch c {
                case "\\": o += "\\\\"
                case "\"": o += "\\\""
                case "\n": o += "\\n"
                default: o.unicodeScalars.append(c)
                }
            }
            return o
        }
        var out = ""
        out += "# HELP bkdiag_check_ok 1 when the check passed or warned, 0 when it failed or could not be checked.\n"
        out += "# TYPE bkdiag_check_ok gauge\n"
        for r in results {
            out += "bkdiag_check_ok{module=\"\(esc(r.module))\",item=\"\(esc(r.item))\"} \(r.status ? 1 : 0)\n"
        }
        out += "# HELP bkdiag_check_verdict 1 for the verdict the check has now.\n"
        out += "# TYPE bkdiag_check_verdict gauge\n"
        for r in results {
            for v in Verdict.allCases {
                out +=
                    "bkdiag_check_verdict{module=\"\(esc(r.module))\",item=\"\(esc(r.item))\",verdict=\"\(v.rawValue)\"} \(r.verdict == v ? 1 : 0)\n"
            }
        }
        out += "# HELP bkdiag_check_duration_seconds Time the check took.\n"
        out += "# TYPE bkdiag_check_duration_seconds gauge\n"
        for r in results {
            out += "bkdiag_check_duration_seconds{module=\"\(esc(r.module))\",item=\"\(esc(r.item))\"} \((r.durationMs ?? 0) / 1000)\n"
        }
        out += "# HELP bkdiag_last_run_timestamp_seconds Unix time the last run started.\n"
        out += "# TYPE bkdiag_last_run_timestamp_seconds gauge\n"
        out += "bkdiag_last_run_timestamp_seconds \(Double(generatedAtMs) / 1000)\n"
        out += "# HELP bkdiag_last_run_duration_seconds Wall time of the last run.\n"
        out += "# TYPE bkdiag_last_run_duration_seconds gauge\n"
        out += "bkdiag_last_run_duration_seconds \((durationMs ?? 0) / 1000)\n"
        out += "# HELP bkdiag_checks Number of checks by verdict in the last run.\n"
        out += "# TYPE bkdiag_checks gauge\n"
        for v in Verdict.allCases {
            out += "bkdiag_checks{verdict=\"\(v.rawValue)\"} \(summary[v])\n"
        }
        return out
    }

    /// `BKDIAG CRITICAL - 12 checks: ... | pass=10 warn=1 fail=1 unknown=0` and one line per
    /// non-passing check. The exit code to go with it is `overall.nagiosCode`.
    public func nagiosText() -> String {
        let word: String
        switch overall {
        case .pass: word = "OK"
        case .warn: word = "WARNING"
        case .fail: word = "CRITICAL"
        case .unknown: word = "UNKNOWN"
        }
        let s = summary
        var out = "BKDIAG \(word) - \(s.sentence) | pass=\(s.pass) warn=\(s.warn) fail=\(s.fail) unknown=\(s.unknown)"
        if let d = durationMs { out += " time=\(DisplayWidth.formatMs(d / 1000, unit: "s"))" }
        out += "\n"
        // One line per check, and no `|`: Nagios reads the first `|` of a long-output line as the start
        // of performance data.
        for r in results where r.verdict != .pass {
            let message = String(TerminalText.visible(r.message).map { $0 == "|" ? "¦" : $0 })
            out += "\(r.verdict.rawValue.uppercased()) \(r.module)/\(r.item): \(message)\n"
        }
        return out
    }
}

/// Terminal column widths for mixed ASCII and CJK text.
public enum DisplayWidth {
    /// Columns a string takes on a terminal (East Asian wide characters take two).
    public static func of(_ s: String) -> Int {
        var w = 0
        for u in s.unicodeScalars {
            let v = u.value
            if v < 0x20 { continue }
            if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            {
                w += 2
            } else if (0x0300...0x036F).contains(v) || v == 0x200B {
                continue
            } else {
                w += 1
            }
        }
        return w
    }

    /// `s` padded with spaces to `width` columns.
    public static func pad(_ s: String, _ width: Int) -> String {
        let w = of(s)
        return w >= width ? s : s + String(repeating: " ", count: width - w)
    }

    /// `12.3ms` style with one decimal.
    public static func formatMs(_ v: Double, unit: String = "ms") -> String {
        // Beyond Int64 (or not a number at all) there are no tenths to show.
        guard v.isFinite, abs(v) < 1e15 else { return "\(v)\(unit)" }
        let tenths = (v * 10).rounded()
        let magnitude = abs(tenths)
        return "\(tenths < 0 ? "-" : "")\(Int64(magnitude / 10)).\(Int64(magnitude.truncatingRemainder(dividingBy: 10)))\(unit)"
    }
}
