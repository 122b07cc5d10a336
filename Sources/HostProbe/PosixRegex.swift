import Glibc

/// A POSIX extended regular expression (glibc's `regcomp`/`regexec`), searched anywhere in a string
/// as Go's `MatchString` does. Go's `\d`/`\D` become `[0-9]`/`[^0-9]`; glibc already knows `\w`, `\s`
/// and `\b`. Compiled once, freed with the value.
public final class PosixRegex {
    private var compiled = regex_t()

    /// Nil when glibc rejects the expression (Go-only syntax such as `(?i)` or `*?` included).
    public init?(_ pattern: String) {
        var translated = ""
        var escaped = false
        for ch in pattern {
            if escaped {
                switch ch {
                case "d": translated += "[0-9]"
                case "D": translated += "[^0-9]"
                default: translated += "\\" + String(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                translated.append(ch)
            }
        }
        if escaped { return nil }
        guard regcomp(&compiled, translated, REG_EXTENDED | REG_NOSUB) == 0 else { return nil }
    }

    deinit { regfree(&compiled) }

    /// Whether the expression matches somewhere in `text`. A string with a NUL byte is searched up to it.
    public func matches(_ text: String) -> Bool {
        regexec(&compiled, text, 0, nil, 0) == 0
    }
}
