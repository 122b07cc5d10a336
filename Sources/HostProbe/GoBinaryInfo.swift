#if canImport(Glibc)
    import Glibc
#endif

/// What a Go executable records about its build, read from its ELF sections without running it: the
/// Go release that built it (the `.go.buildinfo` section, else the `runtime.buildVersion` string) and
/// the `main.version` string that `-ldflags "-X main.version=…"` sets (bkunifylogbeat's Makefile sets it
/// to its VERSION file and the commit, e.g. `7.7.11148c4`). The string variables are found through the
/// symbol table, so a binary linked with `-s` has no `mainVersion`.
public struct GoBinaryInfo: Sendable, Equatable {
    /// `go1.24.11`; nil when the binary does not say.
    public var goVersion: String?
    /// The `main.version` variable; nil when absent or stripped.
    public var mainVersion: String?
    /// The main package's import path, the `path` line of the module information a module-mode build of
    /// Go 1.18 or later records in `.go.buildinfo` (`github.com/TencentBlueKing/bkunifylogbeat` for the
    /// collector; `command-line-arguments` for a build of named files); nil when not recorded.
    public var mainPath: String?

    public init(goVersion: String?, mainVersion: String?, mainPath: String? = nil) {
        self.goVersion = goVersion
        self.mainVersion = mainVersion
        self.mainPath = mainPath
    }

    /// The Go release as numbers (`go1.21.13` → [1, 21, 13], `go1.22rc1` → [1, 22]); nil when unknown.
    public var goRelease: [Int]? {
        guard let v = goVersion, v.hasPrefix("go") else { return nil }
        let numbers = v.dropFirst(2).prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let parts = numbers.split(separator: ".").compactMap { Int($0) }
        return parts.count >= 2 ? parts : nil
    }

    /// Reads `path`; nil when it is not an ELF file that records either string.
    public static func read(_ path: String) throws(ProbeError) -> GoBinaryInfo? {
        let fd = try Sys.openRead(path)
        defer { Sys.closeQuietly(fd) }
        let size = try Sys.fstat(fd, path: path).size
        return try parse(size: size) { offset, count throws(ProbeError) in try Sys.pread(fd, count: count, at: offset) }
    }

    /// The same from any reader of a file of `size` bytes (`read(offset, count)` may return fewer bytes
    /// at the end). Every table is bounded: nothing here reads more than the symbol and string tables.
    static func parse(size: Int64, read: (Int, Int) throws(ProbeError) -> [UInt8]) throws(ProbeError) -> GoBinaryInfo? {
        guard let (elf, _) = try ELFReader.open(size: size, read: read), let sections = try elf.sections(read: read) else { return nil }
        var info = GoBinaryInfo(goVersion: nil, mainVersion: nil)
        if let s = sections.first(where: { $0.name == ".go.buildinfo" }) {
            (info.goVersion, info.mainPath) = try elf.buildInfo(s, sections: sections, read: read)
        }
        // String variables through the symbol table (absent when linked with -s).
        if let symtab = sections.first(where: { $0.type == 2 }), Int(symtab.link) < sections.count,
            let strings = try elf.bytes(of: sections[Int(symtab.link)], read: read, limit: 64 << 20)
        {
            // runtime.buildVersion only where .go.buildinfo did not say (Go before 1.13): each name is a scan
            // of the whole table.
            let offsets = [
                ELFReader.find(name: "main.version", in: strings),
                info.goVersion == nil ? ELFReader.find(name: "runtime.buildVersion", in: strings) : nil,
            ]
            if offsets.contains(where: { $0 != nil }), let symbols = try elf.bytes(of: symtab, read: read, limit: 64 << 20) {
                let found = elf.symbols(symbols, named: offsets)
                if let v = found[0] { info.mainVersion = try elf.goString(at: v, sections: sections, read: read) }
                if info.goVersion == nil, let v = found[1] { info.goVersion = try elf.goString(at: v, sections: sections, read: read) }
            }
        }
        return info.goVersion == nil && info.mainVersion == nil && info.mainPath == nil ? nil : info
    }
}

extension GoBinaryInfo {
    /// What in an ELF file shows the Go toolchain's linker made it, whatever the Go release and however it
    /// was stripped: a section `.go.buildinfo` (Go 1.13 on), `.note.go.buildid` (the Go build ID note, which
    /// `go build` has the linker write since Go 1.10), `.gopclntab` or `.gosymtab` (every Go release: the
    /// runtime's own tables; `.data.rel.ro.gopclntab` in a PIE or externally linked build), or a note owned
    /// by `Go` in a note section or, in a file without a section table, a `PT_NOTE` segment. Neither
    /// `strip` nor `-ldflags "-s -w"` removes them: the runtime needs its tables, and both are allocated.
    ///
    /// The marks found (empty: the section table was read and none is there); nil when the file is not ELF or
    /// has no section table that could be read and no Go note in its program headers (nothing can be told).
    public static func marks(_ path: String) throws(ProbeError) -> [String]? {
        let fd = try Sys.openRead(path)
        defer { Sys.closeQuietly(fd) }
        let size = try Sys.fstat(fd, path: path).size
        return try marks(size: size) { offset, count throws(ProbeError) in try Sys.pread(fd, count: count, at: offset) }
    }

    static let markSections: [String] = [".go.buildinfo", ".note.go.buildid", ".gopclntab", ".gosymtab"]

    static func marks(size: Int64, read: (Int, Int) throws(ProbeError) -> [UInt8]) throws(ProbeError) -> [String]? {
        guard let (elf, head) = try ELFReader.open(size: size, read: read) else { return nil }
        if let sections = try elf.sections(read: read), sections.contains(where: { !$0.name.isEmpty }) {
            var found: [String] = []
            for s in sections where !found.contains(s.name) {
                if markSections.contains(where: { s.name == $0 || (s.name.hasPrefix(".data.rel.ro.") && s.name.hasSuffix($0)) }) {
                    found.append(s.name)
                }
            }
            // SHT_NOTE sections under other names.
            if found.isEmpty {
                for s in sections where s.type == 7 {
                    if let b = try elf.bytes(of: s, read: read, limit: 64 << 10), elf.holdsGoNote(b) {
                        found.append("a Go note (\(s.name.isEmpty ? "unnamed section" : s.name))")
                        break
                    }
                }
            }
            return found
        }
        // No section table: the notes the program headers point to (PT_NOTE).
        let phoff = elf.uint(head, elf.is64 ? 32 : 28, elf.wordSize)
        let phentsize = Int(elf.uint(head, elf.is64 ? 54 : 42, 2))
        let phnum = Int(elf.uint(head, elf.is64 ? 56 : 44, 2))
        guard phnum > 0, phnum < 4096, phentsize >= (elf.is64 ? 56 : 32), let end = ELFReader.sum(phoff, UInt64(phnum * phentsize)),
            end <= UInt64(max(size, 0))
        else { return nil }
        let table = try read(Int(phoff), phnum * phentsize)
        guard table.count == phnum * phentsize else { return nil }
        for k in 0..<phnum {
            let at = k * phentsize
            guard elf.uint(table, at, 4) == 4 else { continue }
            let note = ELFReader.Section(
                nameOffset: 0, type: 7, address: 0, offset: elf.uint(table, at + (elf.is64 ? 8 : 4), elf.wordSize),
                size: elf.uint(table, at + (elf.is64 ? 32 : 16), elf.wordSize), link: 0)
            if let b = try elf.bytes(of: note, read: read, limit: 64 << 10), elf.holdsGoNote(b) { return ["a Go note (PT_NOTE)"] }
        }
        return nil
    }
}

/// The few ELF structures `GoBinaryInfo` and `ELFHeader` read, in the file's class and byte order.
struct ELFReader {
    let is64: Bool
    let littleEndian: Bool
    let size: Int64

    struct Section {
        var nameOffset: UInt64
        var type: UInt32
        var address: UInt64
        var offset: UInt64
        var size: UInt64
        var link: UInt32
        var name = ""
    }

    /// The reader for the ELF file whose first bytes `read` gives, with its header's first 64 bytes; nil when
    /// it is not ELF.
    static func open(size: Int64, read: (Int, Int) throws(ProbeError) -> [UInt8]) throws(ProbeError) -> (ELFReader, [UInt8])? {
        let head = try read(0, 64)
        guard head.count >= 52, head[0] == 0x7f, head[1] == 0x45, head[2] == 0x4c, head[3] == 0x46 else { return nil }
        guard head[4] == 1 || head[4] == 2, head[5] == 1 || head[5] == 2 else { return nil }
        let elf = ELFReader(is64: head[4] == 2, littleEndian: head[5] == 1, size: size)
        guard !elf.is64 || head.count >= 64 else { return nil }
        return (elf, head)
    }

    /// The section table, with the sections' names where the name table could be read; nil when the file has
    /// none that lies whole within it.
    func sections(read: (Int, Int) throws(ProbeError) -> [UInt8]) throws(ProbeError) -> [Section]? {
        let head = try read(0, 64)
        let shoff = uint(head, is64 ? 40 : 32, is64 ? 8 : 4)
        let shentsize = Int(uint(head, is64 ? 58 : 46, 2))
        let shnum = Int(uint(head, is64 ? 60 : 48, 2))
        let shstrndx = Int(uint(head, is64 ? 62 : 50, 2))
        guard shnum > 0, shnum < 4096, shentsize >= (is64 ? 64 : 40), shoff > 0,
            let tableEnd = Self.sum(shoff, UInt64(shnum * shentsize)), tableEnd <= UInt64(max(size, 0))
        else { return nil }
        let table = try read(Int(shoff), shnum * shentsize)
        guard table.count == shnum * shentsize else { return nil }
        var sections = (0..<shnum).map { section(table, at: $0 * shentsize) }
        // Section names, from the section-name string table.
        if shstrndx < shnum, let names = try bytes(of: sections[shstrndx], read: read, limit: 1 << 20) {
            for k in sections.indices { sections[k].name = Self.cString(names, at: Int(sections[k].nameOffset)) }
        }
        return sections
    }

    /// Whether the ELF notes in `b` (4-byte aligned entries: name size, descriptor size, type, name, descriptor)
    /// include one owned by `Go` (the Go linker's build ID note and the notes of its shared-library builds).
    func holdsGoNote(_ b: [UInt8]) -> Bool {
        var at = 0
        while at + 12 <= b.count {
            let namesz = Int(uint(b, at, 4)), descsz = Int(uint(b, at + 4, 4))
            guard namesz <= 256, descsz <= 1 << 16 else { return false }
            let name = at + 12
            if namesz >= 3, name + 3 <= b.count, b[name] == UInt8(ascii: "G"), b[name + 1] == UInt8(ascii: "o"), b[name + 2] == 0 {
                return true
            }
            at = name + (namesz + 3) / 4 * 4 + (descsz + 3) / 4 * 4
        }
        return false
    }

    /// `a + b`, nil where it would not fit (values read from a file are not to be trusted).
    static func sum(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : s
    }

    func uint(_ b: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        guard at >= 0, at + width <= b.count else { return 0 }
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(b[at + k]) << UInt64(8 * (littleEndian ? k : width - 1 - k)) }
        return v
    }

    var wordSize: Int { is64 ? 8 : 4 }

    func section(_ t: [UInt8], at o: Int) -> Section {
        let w = wordSize
        return Section(
            nameOffset: uint(t, o, 4), type: UInt32(uint(t, o + 4, 4)), address: uint(t, o + (is64 ? 16 : 12), w),
            offset: uint(t, o + (is64 ? 24 : 16), w), size: uint(t, o + (is64 ? 32 : 20), w), link: UInt32(uint(t, o + (is64 ? 40 : 24), 4))
        )
    }

    /// A section's bytes from the file; nil when it holds none there (SHT_NOBITS), lies past the file's
    /// end or is larger than `limit`.
    func bytes(of s: Section, read: (Int, Int) throws(ProbeError) -> [UInt8], limit: Int) throws(ProbeError) -> [UInt8]? {
        guard s.type != 8, s.size > 0, s.size <= UInt64(limit), let end = Self.sum(s.offset, s.size), end <= UInt64(max(size, 0)) else {
            return nil
        }
        let b = try read(Int(s.offset), Int(s.size))
        return b.count == Int(s.size) ? b : nil
    }

    /// `count` bytes at virtual address `address`, from the section holding them in the file.
    func bytes(
        at address: UInt64, count: Int, sections: [Section], read: (Int, Int) throws(ProbeError) -> [UInt8]
    ) throws(ProbeError) -> [UInt8]? {
        guard count > 0, count <= 4096 else { return count == 0 ? [] : nil }
        for s in sections where s.type != 8 && s.type != 0 && s.address != 0 {
            guard address >= s.address, address - s.address < s.size else { continue }
            let into = address - s.address
            guard let within = Self.sum(into, UInt64(count)), within <= s.size, let end = Self.sum(s.offset, within),
                end <= UInt64(max(size, 0))
            else { return nil }
            let b = try read(Int(s.offset + into), count)
            return b.count == count ? b : nil
        }
        return nil
    }

    /// A Go string whose header (data pointer, length) is at `address`.
    func goString(
        at address: UInt64, sections: [Section], read: (Int, Int) throws(ProbeError) -> [UInt8]
    ) throws(ProbeError) -> String? {
        guard let header = try bytes(at: address, count: 2 * wordSize, sections: sections, read: read) else { return nil }
        let pointer = uint(header, 0, wordSize)
        let length = uint(header, wordSize, wordSize)
        guard length > 0, length <= 256,
            let text = try bytes(at: pointer, count: Int(length), sections: sections, read: read)
        else { return nil }
        return Self.printable(text)
    }

    /// The Go version in `.go.buildinfo`: a 16-byte magic-led header, then either the version inline
    /// (Go 1.18 on: flag bit 2, a varint length at byte 32) or a pointer to its string header (byte 16).
    /// The main package's path from the module information after it (Go 1.18 on: a second varint-led string,
    /// 16 sentinel bytes, then `path\t<import path>\n`), read within the section's first 4 KiB.
    func buildInfo(
        _ s: Section, sections: [Section], read: (Int, Int) throws(ProbeError) -> [UInt8]
    ) throws(ProbeError) -> (version: String?, mainPath: String?) {
        guard s.type != 8, s.offset < UInt64(max(size, 0)) else { return (nil, nil) }
        let b = try read(Int(s.offset), Int(min(UInt64(4096), s.size, UInt64(max(size, 0)) - s.offset)))
        let magic: [UInt8] = [0xff] + Array(" Go buildinf:".utf8)
        guard b.count >= 32, Array(b[0..<14]) == magic else { return (nil, nil) }
        let pointerSize = Int(b[14])
        let flags = b[15]
        if flags & 2 != 0 {
            func varint(_ at: inout Int) -> Int? {
                var value = 0
                var shift = 0
                while at < b.count, shift < 35 {
                    let c = b[at]
                    at += 1
                    value |= Int(c & 0x7f) << shift
                    shift += 7
                    if c & 0x80 == 0 { return value }
                }
                return nil
            }
            var at = 32
            guard let length = varint(&at), length > 0, length <= 256, at + length <= b.count else { return (nil, nil) }
            let version = Self.printable(Array(b[at..<(at + length)]))
            at += length
            // The module information: its first line, when it is `path`.
            guard let infoLength = varint(&at), infoLength > 16 + 5, at + 16 < b.count else { return (version, nil) }
            let info = b[(at + 16)..<min(b.count, at + infoLength)]
            let line = info.prefix { $0 != UInt8(ascii: "\n") }
            let prefix = Array("path\t".utf8)
            guard line.count > prefix.count, line.count < info.count, line.starts(with: prefix) else { return (version, nil) }
            return (version, Self.printable(Array(line.dropFirst(prefix.count))))
        }
        guard pointerSize == 4 || pointerSize == 8, b.count >= 16 + pointerSize else { return (nil, nil) }
        let reader = ELFReader(is64: pointerSize == 8, littleEndian: flags & 1 == 0, size: size)
        return (try reader.goString(at: reader.uint(b, 16, pointerSize), sections: sections, read: read), nil)
    }

    /// The values of the symbols whose name offsets are `offsets` (in order; nil where not found).
    func symbols(_ t: [UInt8], named offsets: [Int?]) -> [UInt64?] {
        let entry = is64 ? 24 : 16
        var out = [UInt64?](repeating: nil, count: offsets.count)
        var at = 0
        while at + entry <= t.count {
            let name = Int(uint(t, at, 4))
            if let k = offsets.firstIndex(where: { $0 == name }), out[k] == nil {
                out[k] = uint(t, at + (is64 ? 8 : 4), wordSize)
            }
            at += entry
        }
        return out
    }

    /// The offset of `name` as a whole NUL-terminated entry of a string table. A static binary's table holds
    /// megabytes of names: the search jumps with `memchr` from one occurrence of the name's first byte to the
    /// next and compares with `memcmp` only there.
    static func find(name: String, in table: [UInt8]) -> Int? {
        let entry = Array(name.utf8) + [0]
        guard let first = entry.first, entry.count <= table.count else { return nil }
        return table.withUnsafeBytes { hay -> Int? in
            entry.withUnsafeBytes { n -> Int? in
                guard let base = hay.baseAddress, let needle = n.baseAddress else { return nil }
                var i = 0
                while i + entry.count <= hay.count {
                    guard let hit = memchr(base + i, Int32(first), hay.count - entry.count + 1 - i) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if (at == 0 || hay[at - 1] == 0) && memcmp(base + at, needle, entry.count) == 0 { return at }
                    i = at + 1
                }
                return nil
            }
        }
    }

    static func cString(_ b: [UInt8], at: Int) -> String {
        guard at >= 0, at < b.count else { return "" }
        let end = b[at...].firstIndex(of: 0) ?? b.count
        return String(decoding: b[at..<end], as: UTF8.self)
    }

    /// Text of printable ASCII only: anything else is not a version string read right.
    static func printable(_ b: [UInt8]) -> String? {
        guard !b.isEmpty, b.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
}
