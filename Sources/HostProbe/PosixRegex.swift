import Glibc

/// A POSIX extended regular expression (glibc's `regcomp`/`regexec`), searched anywhere in a string
/// as Go's `MatchString` does, with Go's escapes translated (see `translate`). Compiled once, freed
/// with the value.
public final class PosixRegex {
    private var compiled = regex_t()

    /// Nil when glibc rejects the expression (Go-only syntax such as `(?i)` included), or when a
    /// Go escape inside brackets has no plain POSIX spelling.
    public init?(_ pattern: String) {
        guard let translated = Self.translate(pattern),
            regcomp(&compiled, translated, REG_EXTENDED | REG_NOSUB) == 0
        else { return nil }
    }

    /// Go's escapes in POSIX terms. Outside brackets `\d`/`\D` become `[0-9]`/`[^0-9]` and the rest
    /// stay (glibc knows `\w`, `\s`, `\b` and escaped punctuation). Inside brackets POSIX has no
    /// escapes: `\d` becomes `0-9`, an escaped `.` `*` `+` `?` `(` `)` `{` `}` `|` `$` `/` is itself,
    /// anything else is refused. `[:alpha:]`-style classes pass through.
    static func translate(_ pattern: String) -> String? {
        let p = Array(pattern)
        var out = ""
        var i = 0
        var inBracket = false
        var bracketChars = 0  // characters of the current bracket expression so far, after `[` and `^`
        while i < p.count {
            let c = p[i]
            if c == "\\" {
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                if inBracket {
                    if e == "d" { out += "0-9" } else if ".*+?(){}|$/".contains(e) { out.append(e) } else { return nil }
                    bracketChars += 1
                } else {
                    switch e {
                    case "d": out += "[0-9]"
                    case "D": out += "[^0-9]"
                    default: out += "\\" + String(e)
                    }
                }
                i += 2
                continue
            }
            if inBracket {
                if c == "[", i + 1 < p.count, p[i + 1] == ":" {
                    // A class name up to `:]`, copied whole.
                    var j = i + 2
                    while j + 1 < p.count, !(p[j] == ":" && p[j + 1] == "]") { j += 1 }
                    guard j + 1 < p.count else { return nil }
                    out += String(p[i...(j + 1)])
                    i = j + 2
                    bracketChars += 1
                    continue
                }
                if c == "]" && bracketChars > 0 { inBracket = false }
                if !(c == "^" && bracketChars == 0 && p[i - 1] == "[") { bracketChars += 1 }
                out.append(c)
            } else {
                if c == "[" {
                    inBracket = true
                    bracketChars = 0
                }
                out.append(c)
            }
            i += 1
        }
        return out
    }

    deinit { regfree(&compiled) }

    /// Whether the expression matches somewhere in `text`. A string with a NUL byte is searched up to it.
    public func matches(_ text: String) -> Bool {
        regexec(&compiled, text, 0, nil, 0) == 0
    }
}
