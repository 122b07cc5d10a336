/// Whether the collector can read files in an item's `encoding`. Its filebeat fork looks the name up
/// when it starts a harvester (`filebeat/input/log/reader.go` → `libbeat/reader/readfile/encoding`):
/// first in its own table (the name lower-cased), then among the WHATWG Encoding Standard's labels
/// through `golang.org/x/text/encoding/htmlindex` (lower-cased and trimmed of white space). A name found
/// in neither fails every harvester of the item with "unknown encoding": the task runs, but it opens
/// none of its files. An empty name is plain bytes.
enum CollectorEncoding {
    /// The fork's own table (`encodings` in `encoding.go`).
    static let ownNames: Set<String> = [
        "nop", "plain", "unicode-1-1-utf-8", "utf-8", "utf8", "gbk", "iso8859-6e", "iso8859-6i", "iso8859-8e", "iso8859-8i",
        "iso8859-1", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8", "iso8859-9",
        "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16", "cp437", "cp850", "cp852", "cp855", "cp858",
        "cp860", "cp862", "cp863", "cp865", "cp866", "ebcdic-037", "ebcdic-1040", "ebcdic-1047", "koi8r", "koi8u", "macintosh",
        "macintosh-cyrillic", "windows1250", "windows1251", "windows1252", "windows1253", "windows1254", "windows1255",
        "windows1256", "windows1257", "windows1258", "windows874", "utf-16-bom", "utf-16be-bom", "utf-16le-bom",
    ]

    /// The Encoding Standard's labels (https://encoding.spec.whatwg.org/#names-and-labels), as the
    /// collector's x/text knows them; the replacement encoding's labels are among them (they decode).
    static let whatwgLabels: Set<String> = [
        // UTF-8
        "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8",
        // Legacy single-byte
        "866", "cp866", "csibm866", "ibm866",
        "csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2", "iso_8859-2:1987", "l2", "latin2",
        "csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3", "iso_8859-3:1988", "l3", "latin3",
        "csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4", "iso_8859-4:1988", "l4", "latin4",
        "csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5", "iso88595", "iso_8859-5", "iso_8859-5:1988",
        "arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114", "iso-8859-6", "iso-8859-6-e",
        "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596", "iso_8859-6", "iso_8859-6:1987",
        "csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7", "iso-ir-126", "iso8859-7", "iso88597",
        "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek",
        "csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e", "iso-ir-138", "iso8859-8", "iso88598",
        "iso_8859-8", "iso_8859-8:1988", "visual", "csiso88598i", "iso-8859-8-i", "logical",
        "csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6",
        "iso-8859-13", "iso8859-13", "iso885913", "iso-8859-14", "iso8859-14", "iso885914",
        "csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9", "iso-8859-16",
        "cskoi8r", "koi", "koi8", "koi8-r", "koi8_r", "koi8-ru", "koi8-u",
        "csmacintosh", "mac", "macintosh", "x-mac-roman",
        "dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874",
        "cp1250", "windows-1250", "x-cp1250", "cp1251", "windows-1251", "x-cp1251",
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1",
        "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
        "cp1253", "windows-1253", "x-cp1253",
        "cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599", "iso_8859-9", "iso_8859-9:1989", "l5",
        "latin5", "windows-1254", "x-cp1254",
        "cp1255", "windows-1255", "x-cp1255", "cp1256", "windows-1256", "x-cp1256", "cp1257", "windows-1257", "x-cp1257",
        "cp1258", "windows-1258", "x-cp1258", "x-mac-cyrillic", "x-mac-ukrainian",
        // Legacy multi-byte Chinese (simplified and traditional), Japanese, Korean
        "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk", "iso-ir-58", "x-gbk", "gb18030",
        "big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5",
        "cseucpkdfmtjapanese", "euc-jp", "x-euc-jp", "csiso2022jp", "iso-2022-jp",
        "csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis",
        "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601",
        "ksc_5601", "windows-949",
        // Replacement, UTF-16, x-user-defined
        "csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement",
        "unicodefffe", "utf-16be", "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le",
        "x-user-defined",
    ]

    /// Whether the collector finds an encoding by this name.
    static func isKnown(_ name: String) -> Bool {
        if name.isEmpty { return true }
        let lower = goLowercased(name)
        return ownNames.contains(lower) || whatwgLabels.contains(goLowercased(goTrimmedSpace(name)))
    }

    /// Go's `strings.ToLower`: each scalar's simple lower-case mapping (U+0130 becomes `i`, the Kelvin
    /// sign `k`), not Swift's full mapping.
    static func goLowercased(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u.isASCII {
                out.append(("A"..."Z").contains(u) ? Unicode.Scalar(u.value + 32)! : u)
            } else if u == "\u{130}" {
                out.append("i")
            } else {
                let mapped = u.properties.lowercaseMapping.unicodeScalars
                out.append(contentsOf: mapped.count == 1 ? Array(mapped) : [u])
            }
        }
        return String(out)
    }

    /// Go's `strings.TrimSpace`: Unicode white space off both ends.
    static func goTrimmedSpace(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
