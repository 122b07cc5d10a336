import HostProbe
import Report

/// check.py's command line, recovered the way a drop-in must: both `--opt=value` and `--opt value`,
/// short forms, a value glued to the next option by the central side's bug, and a whole argument
/// string passed as one word.
public enum CheckPyArguments {
    /// check.py's five options, long names and short letters: the settings that have a letter.
    public static let options: [(long: String, short: String)] = CheckSettings.all.compactMap { s in
        s.short.map { (s.flag, String($0)) }
    }

    static let longNames = options.map(\.long)
    static let shortNames = Set(options.map(\.short))

    /// Rewrites argv so a standard parser sees one option per word:
    /// `--gse_path=/usr/local/gse/--collector_config_id=45` → `--gse_path=/usr/local/gse/`, `--collector_config_id=45`;
    /// `-p/usr/local/gse` → `-p`, `/usr/local/gse`; `"--subscription_id=1 --gse_path=/x"` → two words.
    public static func normalize(_ args: [String]) -> [String] {
        var out: [String] = []
        var expectValue = false
        for arg in args {
            if expectValue {
                // A value word: it may still carry a glued option.
                out += splitGlued(arg)
                expectValue = false
                continue
            }
            for word in splitWhole(arg) {
                if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
                    let name = String(word[word.index(word.startIndex, offsetBy: 2)..<eq])
                    if longNames.contains(name) {
                        let pieces = splitGlued(String(word[word.index(after: eq)...]))
                        out.append("--\(name)=\(pieces.first ?? "")")
                        out += pieces.dropFirst()
                        continue
                    }
                    out.append(word)
                } else if word.hasPrefix("--"), longNames.contains(String(word.dropFirst(2))) {
                    out.append(word)
                    expectValue = true
                } else if word.count > 2, word.hasPrefix("-"), !word.hasPrefix("--"),
                    shortNames.contains(String(word.dropFirst().prefix(1)))
                {
                    let letter = String(word.dropFirst().prefix(1))
                    var value = String(word.dropFirst(2))
                    if value.hasPrefix("=") { value.removeFirst() }
                    let pieces = splitGlued(value)
                    out.append("-\(letter)")
                    out.append(pieces.first ?? "")
                    out += pieces.dropFirst()
                } else if word.count == 2, word.hasPrefix("-"), shortNames.contains(String(word.dropFirst())) {
                    out.append(word)
                    expectValue = true
                } else {
                    out.append(word)
                }
            }
        }
        return out
    }

    /// Splits `"--a=1 --b=2"` passed as one word; a word without a space before `-` is kept whole
    /// (so a log path with spaces survives).
    static func splitWhole(_ arg: String) -> [String] {
        guard arg.hasPrefix("-"), arg.containsBytes(" -") else { return [arg] }
        var words: [String] = []
        var current = ""
        var i = arg.startIndex
        while i < arg.endIndex {
            let c = arg[i]
            if c == " " {
                let rest = arg[arg.index(after: i)...].drop(while: { $0 == " " })
                if rest.hasPrefix("-") && startsWithKnownOption(rest) {
                    if !current.isEmpty { words.append(current) }
                    current = ""
                    i = rest.startIndex
                    continue
                }
            }
            current.append(c)
            i = arg.index(after: i)
        }
        if !current.isEmpty { words.append(current) }
        return words.count > 1 ? words : [arg]
    }

    static func startsWithKnownOption(_ s: Substring) -> Bool {
        for name in longNames where s.hasPrefix("--" + name) { return true }
        if s.count >= 2, s.hasPrefix("-"), shortNames.contains(String(s.dropFirst().prefix(1))) {
            let after = s.dropFirst(2).first
            return after == nil || after == " " || after == "=" || after == "/"
        }
        return false
    }

    /// `/usr/local/gse/--collector_config_id=45` → [`/usr/local/gse/`, `--collector_config_id=45`].
    static func splitGlued(_ value: String) -> [String] {
        var best: String.Index?
        for name in longNames {
            var search = value.startIndex
            while let r = value[search...].firstByteRange(of: "--" + name) {
                let after = value[r.upperBound...]
                if after.isEmpty || after.hasPrefix("=") {
                    if best == nil || r.lowerBound < best! { best = r.lowerBound }
                    break
                }
                search = r.upperBound
            }
        }
        guard let cut = best else { return [value] }
        let head = String(value[..<cut])
        let tail = String(value[cut...])
        // The tail is itself `--name=value...` and may glue further options.
        if let eq = tail.firstIndex(of: "=") {
            let name = tail[..<eq]
            let rest = splitGlued(String(tail[tail.index(after: eq)...]))
            return [head, "\(name)=\(rest.first ?? "")"] + rest.dropFirst()
        }
        return [head, tail]
    }

    /// This process's arguments (without the program name) with every byte kept: argv is bytes, and a
    /// `-l` path named in GBK must reach the file system as the same bytes (`PathBytes`), where
    /// `CommandLine.arguments` would replace them with U+FFFD.
    public static func processArguments() -> [String] {
        (1..<Int(CommandLine.argc)).map { i in
            guard let arg = CommandLine.unsafeArgv[i] else { return "" }
            let bytes = UnsafeRawPointer(arg).assumingMemoryBound(to: UInt8.self)
            var n = 0
            while bytes[n] != 0 { n += 1 }
            return PathBytes.string(UnsafeBufferPointer(start: bytes, count: n))
        }
    }

    /// `p1, p2,,p3` → [`p1`, `p2`, `p3`].
    public static func splitLogPaths(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }
}
