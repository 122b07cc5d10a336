/// Text from hosts made harmless on a terminal and in line-based formats: control characters (C0, DEL,
/// C1 — escape sequences, bells, carriage returns, newlines that would forge lines) and the invisible
/// format characters that reorder or hide text (bidi overrides and isolates, zero-width spaces) are
/// shown as escapes (`\x1b`, `\n`, `\u202e`) instead of acting. Everything else, CJK included, is kept.
public enum TerminalText {
    public static func visible(_ s: String) -> String {
        // Most text needs nothing: checked first, without building a new string.
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count + 8)
        for u in s.unicodeScalars {
            guard needsEscape(u) else {
                out.unicodeScalars.append(u)
                continue
            }
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(u.value, radix: 16)
                out +=
                    u.value < 0x100
                    ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
        }
        return out
    }

    public static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x200B...0x200F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0xFEFF
    }
}
