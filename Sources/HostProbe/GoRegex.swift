import Glibc

/// A Go regular expression — the RE2 syntax of Go's `regexp`, in which bkunifylogbeat's `exclude_files`
/// are written and searched in each full path with `MatchString` — judged here with glibc's POSIX
/// extended expressions (`regcomp`/`regexec`), never approximately:
///
/// - `usable`: every construct was translated into POSIX terms that match the same texts: `.` is
///   `[^\n]` (Go's dot stops at a newline), `\d` `\w` `\s` and their negations are spelled out, escaped
///   punctuation is the character itself, a class is re-spelled in POSIX's order (`]` first, `-` last),
///   lazy repeats are greedy ones (which match the same texts), and a leading `(?i)`/`(?s)` becomes
///   `REG_ICASE`/a plain dot.
/// - `invalid`: Go's `regexp.Compile` refuses it (nothing to repeat, a repeat of a repeat, an unknown
///   escape or a back-reference, an unclosed `[` or `(`, a count over 1000): the collector cannot use it.
/// - `unsupported`: valid in Go but not spelled exactly in POSIX here (Unicode classes, `\Q…\E`, flags
///   inside the expression, non-ASCII characters in a class, empty alternatives): not judged.
///
/// glibc here counts bytes, Go counts UTF-8 characters. They agree on every text where a single `.` or
/// negated class is not involved; where one is (`a.b`, `[^/]x`, but not `.*`, `[^/]+`), a text with
/// bytes beyond ASCII is not judged (`matches` gives nil).
public final class GoRegex: @unchecked Sendable {
    public enum Compiled {
        case usable(GoRegex)
        /// Go's `regexp` refuses the expression; the reason, in Go's words where it has them.
        case invalid(String)
        /// Valid in Go but not judged here; the construct.
        case unsupported(String)
    }

    private var compiled = regex_t()
    private let icase: Bool
    /// Whether a single character-counting atom (`.`, a negated class, `\D`, …) occurs outside `*`/`+`.
    let countsCharacters: Bool
    /// The POSIX expression it was translated into, for tests and evidence.
    public let posix: String

    private init?(posix: String, flags: Int32, countsCharacters: Bool) {
        self.posix = posix
        self.countsCharacters = countsCharacters
        self.icase = flags & REG_ICASE != 0
        guard regcomp(&compiled, posix, REG_EXTENDED | REG_NOSUB | flags) == 0 else { return nil }
    }

    deinit { regfree(&compiled) }

    /// Whether Go's `MatchString` finds the expression in `text`; nil when glibc cannot tell the same
    /// (see the type's note: character counts on non-ASCII text, and a NUL byte, which ends C strings).
    public func matches(_ text: String) -> Bool? {
        var ascii = true
        for b in text.utf8 {
            if b == 0 { return nil }
            if b >= 0x80 { ascii = false }
        }
        if countsCharacters && !ascii { return nil }
        // Go's (?i) folds beyond ASCII (K and the Kelvin sign, s and the long s); glibc here does not.
        if icase && !ascii { return nil }
        return regexec(&compiled, text, 0, nil, 0) == 0
    }

    /// `angleNamedGroups`: whether the Go that built the program takes `(?<name>` as a named group (Go
    /// 1.22 and later; earlier ones refuse it); nil when that Go is not known, and such a group is then
    /// not judged.
    public static func compile(_ pattern: String, angleNamedGroups: Bool? = nil) -> Compiled {
        var translator = Translator(pattern)
        translator.angleNamedGroups = angleNamedGroups
        switch translator.run() {
        case .failure(.invalid(let why)): return .invalid(why)
        case .failure(.unsupported(let why)): return .unsupported(why)
        case .success(let t):
            guard let r = GoRegex(posix: t.posix, flags: t.icase ? REG_ICASE : 0, countsCharacters: t.countsCharacters) else {
                return .unsupported("glibc refused its POSIX spelling \(t.posix)")
            }
            return .usable(r)
        }
    }
}

/// Go's RE2 syntax, read construct by construct into a POSIX extended expression.
private struct Translator {
    enum Failure: Error {
        case invalid(String)
        case unsupported(String)
    }

    struct Output {
        var posix: String
        var icase: Bool
        var countsCharacters: Bool
    }

    /// What the last construct was, for Go's rules on repeats.
    enum Last {
        /// The start of the expression, a group or an alternative: nothing to repeat.
        case nothing
        case atom
        case repeated
        /// An empty-width assertion (`^`, `$`, `\b`, ...).
        case assertion
    }

    let p: [Unicode.Scalar]
    var i = 0
    var out = ""
    var icase = false
    var dotAll = false
    var depth = 0
    var last = Last.nothing
    /// Whether the last atom counts one character (`.`, a negated class): cleared by a following `*`/`+`.
    var pendingCount = false
    var countsCharacters = false
    /// Whether the last repeat already took its lazy `?`.
    var lazyTaken = false
    /// Whether `(?<name>` is a group (Go 1.22 on), refused (before), or not known.
    var angleNamedGroups: Bool?

    init(_ pattern: String) { p = Array(pattern.unicodeScalars) }

    mutating func run() -> Result<Output, Failure> {
        do throws(Failure) {
            try leadingFlags()
            while i < p.count { try step() }
            settle()
            guard depth == 0 else { throw .invalid("missing closing ): `\(String(String.UnicodeScalarView(p)))`") }
            if case .nothing = last, !out.isEmpty, out.last == "|" { throw .unsupported("an empty alternative") }
            return .success(Output(posix: out, icase: icase, countsCharacters: countsCharacters))
        } catch {
            return .failure(error)
        }
    }

    /// `(?i)`, `(?s)`, `(?U)` and their mixes at the very start apply to the whole expression.
    mutating func leadingFlags() throws(Failure) {
        guard p.count >= 3, p[0] == "(", p[1] == "?" else { return }
        var k = 2
        var on = true
        var flags: [(Unicode.Scalar, Bool)] = []
        var dashes = 0
        while k < p.count, p[k] != ")" && p[k] != ":" {
            if p[k] == "-" {
                on = false
                dashes += 1
            } else {
                flags.append((p[k], on))
            }
            k += 1
        }
        // Only flag letters: anything else (`(?P<name>`, `(?:`) is a group, read as one.
        guard k < p.count, p[k] == ")", !flags.isEmpty,
            flags.allSatisfy({ "imsU".unicodeScalars.contains($0.0) || $0.0.properties.isAlphabetic })
        else { return }
        // Go takes one `-`, with a flag after it.
        if dashes > 1 || (dashes == 1 && !flags.contains(where: { !$0.1 })) {
            throw .invalid("invalid or unsupported Perl syntax: `\(text)`")
        }
        for (f, value) in flags {
            switch f {
            case "i": icase = value
            case "s": dotAll = value
            case "U": break  // lazy by default: the same texts match
            case "m": throw .unsupported("the (?m) flag")
            default: throw .invalid("invalid or unsupported Perl syntax: `(?\(f)`")
            }
        }
        i = k + 1
    }

    /// Before the next construct: a counting atom not followed by `*`/`+` stays counting.
    mutating func settle() {
        if pendingCount { countsCharacters = true }
        pendingCount = false
    }

    /// The largest product of `{n,m}` counts on any path inside the last atom (1 for a plain one), and
    /// that of each open group: Go refuses an expression where nested counts multiply past 1000.
    var weight = 1
    var groupWeights: [Int] = []

    /// The last atom's weight counts towards its group's.
    mutating func bumpGroup() {
        if let top = groupWeights.last { groupWeights[groupWeights.count - 1] = max(top, weight) }
    }

    mutating func atom(_ posix: String, counts: Bool = false) {
        weight = 1
        bumpGroup()
        settle()
        out += posix
        last = .atom
        pendingCount = counts
    }

    static let ereSpecial: Set<Unicode.Scalar> = [".", "[", "]", "{", "}", "(", ")", "*", "+", "?", "|", "^", "$", "\\"]

    /// A character matched as itself.
    mutating func literal(_ c: Unicode.Scalar) throws(Failure) {
        if c == "\0" { throw .unsupported("a NUL character") }
        if icase && !c.isASCII { throw .unsupported("(?i) with a character beyond ASCII") }
        // Beyond ASCII a character is several bytes to glibc here: grouped, so a repeat takes them all.
        atom(Self.ereSpecial.contains(c) ? "\\" + String(c) : c.isASCII ? String(c) : "(" + String(c) + ")")
    }

    mutating func step() throws(Failure) {
        let c = p[i]
        switch c {
        case "\\":
            try escape()
        case ".":
            i += 1
            atom(dotAll ? "." : "[^\n]", counts: true)
        case "[":
            try bracket()
        case "(":
            try group()
        case ")":
            guard depth > 0 else { throw .invalid("unexpected ): `\(text)`") }
            if case .nothing = last { throw .unsupported("an empty group or alternative") }
            settle()
            depth -= 1
            weight = groupWeights.popLast() ?? 1
            bumpGroup()
            i += 1
            out += ")"
            last = .atom
        case "|":
            if case .nothing = last { throw .unsupported("an empty alternative") }
            settle()
            i += 1
            out += "|"
            last = .nothing
        case "*", "+", "?":
            i += 1
            try repeatOperator(String(c), minimum: c == "+" ? 1 : 0, unbounded: c != "?", count: nil)
        case "{":
            if let (n, m, length) = repeatCount() {
                guard n <= 1000, (m ?? n) <= 1000 else { throw .invalid("invalid repeat count: `\(text)`") }
                if let m, m >= 0, m < n { throw .invalid("invalid repeat count: `\(text)`") }
                i += length
                let spelled = m == nil ? "{\(n)}" : m! < 0 ? "{\(n),}" : "{\(n),\(m!)}"
                // Go's count: the maximum, or the minimum when there is none.
                try repeatOperator(spelled, minimum: n, unbounded: m.map { $0 < 0 } ?? false, count: m.map { $0 < 0 ? n : $0 } ?? n)
            } else {
                // Not a count: a literal brace, as in Go.
                i += 1
                try literal("{")
            }
        case "^", "$":
            settle()
            i += 1
            out += String(c)
            last = .assertion
        default:
            i += 1
            try literal(c)
        }
    }

    var text: String { String(String.UnicodeScalarView(p)) }

    /// A repeat (`*`, `+`, `?`, `{n,m}`) of what came before, as Go allows it.
    mutating func repeatOperator(_ spelled: String, minimum: Int, unbounded: Bool, count: Int?) throws(Failure) {
        switch last {
        case .nothing:
            throw .invalid("missing argument to repetition operator: `\(spelled)`")
        case .assertion:
            throw .unsupported("a repeated assertion")
        case .repeated:
            // `x*?` is a lazy repeat; anything else repeats a repeat, which Go refuses.
            if spelled == "?" && !lazyTaken {
                lazyTaken = true
                return
            }
            throw .invalid("invalid nested repetition operator: `\(spelled)`")
        case .atom:
            // `.*`, `.+`, `[^/]*`: any run of characters is any run of bytes (a newline is one byte).
            if pendingCount && unbounded && minimum <= 1 { pendingCount = false }
            settle()
            if let count {
                // A count of 0 keeps nothing of what it repeats, which Go then does not look into.
                weight = count == 0 ? 1 : weight * count
                if weight > 1000 { throw .invalid("invalid repeat count: `\(text)`") }
                bumpGroup()
            }
            out += spelled
            last = .repeated
            lazyTaken = false
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: (n, m, length) with m nil for `{n}` and -1 for `{n,}`.
    func repeatCount() -> (Int, Int?, Int)? {
        var k = i + 1
        func number() -> Int? {
            let start = k
            // Go reads no count with a leading zero (`{01}` is text).
            if k + 1 < p.count, p[k] == "0", ("0"..."9").contains(p[k + 1]) { return nil }
            var v = 0
            while k < p.count, ("0"..."9").contains(p[k]) {
                v = min(v * 10 + Int(p[k].value - 48), 100_000)
                k += 1
            }
            return k > start ? v : nil
        }
        guard let n = number() else { return nil }
        var m: Int?
        if k < p.count, p[k] == "," {
            k += 1
            m = number() ?? -1
        }
        guard k < p.count, p[k] == "}" else { return nil }
        return (n, m, k + 1 - i)
    }

    mutating func group() throws(Failure) {
        settle()
        if i + 1 < p.count, p[i + 1] == "?" {
            if i + 2 < p.count, p[i + 2] == ":" {
                i += 3
            } else if i + 3 < p.count, p[i + 2] == "P", p[i + 3] == "<" {
                var k = i + 4
                while k < p.count, p[k] != ">" {
                    guard p[k].isASCII, p[k] == "_" || p[k].properties.isAlphabetic || ("0"..."9").contains(p[k]) else {
                        throw .invalid("invalid named capture: `\(text)`")
                    }
                    k += 1
                }
                guard k < p.count, k > i + 4 else { throw .invalid("invalid named capture: `\(text)`") }
                i = k + 1
            } else if i + 2 < p.count, p[i + 2] == "<" {
                // `(?<name>` is a group from Go 1.22 on, refused before. Anything else (a lookbehind `(?<=`,
                // `(?<!`) every Go refuses.
                var k = i + 3
                while k < p.count, p[k].isASCII, p[k] == "_" || p[k].properties.isAlphabetic || ("0"..."9").contains(p[k]) { k += 1 }
                guard k > i + 3, k < p.count, p[k] == ">" else { throw .invalid("invalid or unsupported Perl syntax: `(?<`") }
                switch angleNamedGroups {
                case true?: i = k + 1
                case false?: throw .invalid("invalid or unsupported Perl syntax: `(?<` (a named group needs Go 1.22)")
                case nil: throw .unsupported("a (?<name> group (Go 1.22 and later only)")
                }
            } else if i + 2 < p.count, "imsU-".unicodeScalars.contains(p[i + 2]) {
                throw .unsupported("flags inside the expression")
            } else {
                throw .invalid("invalid or unsupported Perl syntax: `\(text)`")
            }
        } else {
            i += 1
        }
        depth += 1
        groupWeights.append(1)
        out += "("
        last = .nothing
    }

    /// An escape outside a class.
    mutating func escape() throws(Failure) {
        guard i + 1 < p.count else { throw .invalid("trailing backslash at end of expression") }
        let e = p[i + 1]
        i += 2
        switch e {
        case "d": atom("[0-9]")
        case "D": atom("[^0-9]", counts: true)
        case "w": atom("[0-9A-Za-z_]")
        case "W": atom("[^0-9A-Za-z_]", counts: true)
        case "s": atom("[\t\n\u{0C}\r ]")
        case "S": atom("[^\t\n\u{0C}\r ]", counts: true)
        case "b", "B", "A", "z":
            // Word boundaries (ASCII word characters in both), start and end of text.
            settle()
            out += e == "A" ? "^" : e == "z" ? "$" : "\\" + String(e)
            last = .assertion
        default:
            try literal(try escapedCharacter(e))
        }
    }

    /// The character an escape other than a class or an assertion stands for (after `\` and `e`).
    mutating func escapedCharacter(_ e: Unicode.Scalar) throws(Failure) -> Unicode.Scalar {
        switch e {
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "a": return "\u{07}"
        case "x":
            var digits = ""
            if i < p.count, p[i] == "{" {
                var k = i + 1
                while k < p.count, p[k] != "}" {
                    digits.unicodeScalars.append(p[k])
                    k += 1
                }
                guard k < p.count else { throw .invalid("invalid escape sequence: `\\x{`") }
                i = k + 1
            } else {
                guard i + 1 < p.count else { throw .invalid("invalid escape sequence: `\\x`") }
                digits = String(String.UnicodeScalarView(p[i...(i + 1)]))
                i += 2
            }
            guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isASCIIHexDigit }),
                let v = UInt32(digits, radix: 16), v <= 0x10FFFF
            else { throw .invalid("invalid escape sequence: `\\x\(digits)`") }
            // A surrogate code point is valid in Go, but no character to match here.
            guard let s = Unicode.Scalar(v) else { throw .unsupported("the escape \\x{\(digits)}") }
            return s
        case "1"..."9":
            if i < p.count, ("0"..."9").contains(p[i]) { throw .unsupported("an octal escape") }
            throw .invalid("invalid escape sequence: `\\\(e)` (back-references are not supported)")
        case "0": throw .unsupported("an octal escape")
        case "p", "P", "Q", "E", "C": throw .unsupported("the escape \\\(e)")
        default:
            // Go takes any escaped ASCII punctuation as itself, and refuses every other escape.
            guard e.isASCII, !e.properties.isAlphabetic, !("0"..."9").contains(e) else {
                throw .invalid("invalid escape sequence: `\\\(e)`")
            }
            return e
        }
    }

    /// A class `[...]` at `i`, re-spelled for POSIX: `]` first, then ranges, characters and named
    /// classes, `^` and `[` late, `-` last.
    mutating func bracket() throws(Failure) {
        var k = i + 1
        var negated = false
        if k < p.count, p[k] == "^" {
            negated = true
            k += 1
        }
        var singles: [Unicode.Scalar] = []
        var ranges: [(Unicode.Scalar, Unicode.Scalar)] = []
        var classes: [String] = []
        var first = true
        func classChar(_ k: inout Int) throws(Failure) -> Unicode.Scalar {
            guard k < p.count else { throw .invalid("missing closing ]: `\(text)`") }
            let c = p[k]
            if c == "\\" {
                guard k + 1 < p.count else { throw .invalid("missing closing ]: `\(text)`") }
                let save = i
                i = k + 2
                let e = try escapedCharacter(p[k + 1])
                k = i
                i = save
                return e
            }
            k += 1
            return c
        }
        while true {
            guard k < p.count else { throw .invalid("missing closing ]: `\(text)`") }
            if p[k] == "]" && !first { break }
            first = false
            // A named ASCII class: [:alpha:], [:^alpha:].
            if p[k] == "[", k + 1 < p.count, p[k + 1] == ":" {
                var e = k + 2
                while e + 1 < p.count, !(p[e] == ":" && p[e + 1] == "]") { e += 1 }
                if e + 1 < p.count {
                    let name = String(String.UnicodeScalarView(p[(k + 2)..<e]))
                    let known = [
                        "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit",
                    ]
                    if name == "word" {
                        ranges += [("0", "9"), ("A", "Z"), ("a", "z")]
                        singles.append("_")
                    } else if known.contains(name) {
                        classes.append("[:\(name):]")
                    } else if name.hasPrefix("^") || name == "ascii" {
                        throw .unsupported("the class [:\(name):]")
                    } else {
                        throw .invalid("invalid character class range: `[:\(name):]`")
                    }
                    k = e + 2
                    continue
                }
            }
            // Perl classes inside a class.
            if p[k] == "\\", k + 1 < p.count, "dswDSWpP".unicodeScalars.contains(p[k + 1]) {
                switch p[k + 1] {
                case "d": ranges.append(("0", "9"))
                case "w":
                    ranges += [("0", "9"), ("A", "Z"), ("a", "z")]
                    singles.append("_")
                case "s": singles += ["\t", "\n", "\u{0C}", "\r", " "]
                default: throw .unsupported("\\\(p[k + 1]) inside a class")
                }
                k += 2
                continue
            }
            let lo = try classChar(&k)
            if k + 1 < p.count, p[k] == "-", p[k + 1] != "]" {
                k += 1
                let hi = try classChar(&k)
                guard hi >= lo else { throw .invalid("invalid character class range: `\(lo)-\(hi)`") }
                ranges.append((lo, hi))
            } else {
                singles.append(lo)
            }
        }
        i = k + 1
        let all = singles + ranges.flatMap { [$0.0, $0.1] }
        if all.contains(where: { !$0.isASCII }) { throw .unsupported("a class with characters beyond ASCII") }
        if all.contains("\0") { throw .unsupported("a NUL character") }
        let awkward: Set<Unicode.Scalar> = ["]", "-", "^", "[", "\\"]
        if ranges.contains(where: { awkward.contains($0.0) || awkward.contains($0.1) }) {
            throw .unsupported("a class range that starts or ends at ] - ^ [ or \\")
        }
        var body = ""
        if singles.contains("]") { body += "]" }
        for r in ranges { body += "\(r.0)-\(r.1)" }
        for c in classes { body += c }
        for s in singles where !awkward.contains(s) { body.unicodeScalars.append(s) }
        if singles.contains("\\") { body += "\\" }
        if singles.contains("[") { body += "[" }
        var dash = singles.contains("-")
        if singles.contains("^") {
            // `^` is literal anywhere but first; before it, only a `-` can stand (literal when first).
            if body.isEmpty && !negated {
                guard dash else {
                    atom("\\^")
                    return
                }
                body = "-"
                dash = false
            }
            body += "^"
        }
        if dash { body += "-" }
        atom("[" + (negated ? "^" : "") + body + "]", counts: negated)
    }
}
