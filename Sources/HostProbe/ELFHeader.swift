/// The identity of an executable from its ELF header, read without running it.
public struct ELFHeader: Sendable, Equatable {
    public var is64Bit: Bool
    public var littleEndian: Bool
    /// `e_machine` (62 x86-64, 183 aarch64, 3 i386, 40 arm, 258 loongarch, 243 riscv).
    public var machine: UInt16
    /// `e_type` (2 executable, 3 shared object / PIE).
    public var type: UInt16
    /// Why the file cannot be the whole executable its header describes (a delivery cut short): its
    /// header, program headers or a loadable segment reach past its end. Nil when it is whole.
    public var truncation: String? = nil
    /// The program interpreter (`PT_INTERP`, the dynamic loader such as `/lib64/ld-linux-x86-64.so.2`) the
    /// kernel opens to start a dynamically linked program; nil for a static one (the collector is built with
    /// `CGO_ENABLED=0`) or when the file is truncated. Empty when the header names one the kernel refuses
    /// (not NUL-terminated, or longer than PATH_MAX).
    public var interpreter: String? = nil

    /// Parses the first bytes of a file; nil when it is not ELF or is truncated.
    public static func parse(_ b: [UInt8]) -> ELFHeader? {
        guard b.count >= 20, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46 else { return nil }
        guard b[4] == 1 || b[4] == 2, b[5] == 1 || b[5] == 2 else { return nil }
        let elf = ELFReader(is64: b[4] == 2, littleEndian: b[5] == 1, size: Int64(b.count))
        return ELFHeader(
            is64Bit: elf.is64, littleEndian: elf.littleEndian, machine: UInt16(elf.uint(b, 18, 2)), type: UInt16(elf.uint(b, 16, 2)))
    }

    /// Reads and parses the header of `path`, and checks that the file holds all its header announces:
    /// the whole ELF header, the program headers, and every loadable segment's bytes.
    public static func read(_ path: String) throws(ProbeError) -> ELFHeader? {
        let fd = try Sys.openRead(path)
        defer { Sys.closeQuietly(fd) }
        let head = try Sys.pread(fd, count: 64, at: 0)
        guard var header = parse(head) else { return nil }
        let size = try Sys.fstat(fd, path: path).size
        let read = { (offset: Int, count: Int) throws(ProbeError) -> [UInt8] in try Sys.pread(fd, count: count, at: offset) }
        header.truncation = try completeness(head, size: size, read: read)
        if header.truncation == nil { header.interpreter = try interpreter(head, read: read) }
        return header
    }

    /// Why a file of `size` bytes starting with `head` (at least its first 64 bytes) cannot hold the ELF
    /// it describes; `read(offset, count)` reads the file. Nil when it is whole.
    static func completeness(
        _ head: [UInt8], size: Int64, read: (Int, Int) throws(ProbeError) -> [UInt8]
    ) throws(ProbeError) -> String? {
        let is64 = head[4] == 2
        let uint = ELFReader(is64: is64, littleEndian: head[5] == 1, size: size).uint
        let headerSize = is64 ? 64 : 52
        guard head.count >= headerSize, size >= Int64(headerSize) else {
            return "its \(size) bytes do not hold the \(headerSize)-byte ELF header"
        }
        let phoff = uint(head, is64 ? 32 : 28, is64 ? 8 : 4)
        let phentsize = uint(head, is64 ? 54 : 42, 2)
        let phnum = uint(head, is64 ? 56 : 44, 2)
        guard phnum > 0 else { return nil }
        let minEntry: UInt64 = is64 ? 56 : 32
        guard phentsize >= minEntry, phoff < UInt64(Int32.max), phnum * phentsize < 1 << 20 else {
            return "its program headers are malformed"
        }
        let tableEnd = phoff + phnum * phentsize
        guard tableEnd <= UInt64(size) else { return "its program headers end at byte \(tableEnd), past its \(size) bytes" }
        let table = try read(Int(phoff), Int(phnum * phentsize))
        guard UInt64(table.count) == phnum * phentsize else { return "its program headers cannot be read whole" }
        var end: UInt64 = 0
        for i in 0..<Int(phnum) {
            let at = i * Int(phentsize)
            // PT_LOAD: the bytes the loader maps from the file.
            guard uint(table, at, 4) == 1 else { continue }
            let offset = uint(table, at + (is64 ? 8 : 4), is64 ? 8 : 4)
            let fileSize = uint(table, at + (is64 ? 32 : 16), is64 ? 8 : 4)
            let (segmentEnd, overflow) = offset.addingReportingOverflow(fileSize)
            if overflow { return "a loadable segment is malformed" }
            end = max(end, segmentEnd)
        }
        if end > UInt64(size) { return "its loadable segments end at byte \(end), past its \(size) bytes" }
        return nil
    }

    /// The `PT_INTERP` path of a whole file starting with `head` (its program headers lie within it): the
    /// bytes up to the first NUL, as the kernel's ELF loader opens it; "" when the kernel refuses the entry
    /// (`p_filesz` below 2 or over PATH_MAX, or its last byte not NUL: ENOEXEC); nil when there is none.
    static func interpreter(_ head: [UInt8], read: (Int, Int) throws(ProbeError) -> [UInt8]) throws(ProbeError) -> String? {
        let is64 = head[4] == 2
        let uint = ELFReader(is64: is64, littleEndian: head[5] == 1, size: 0).uint
        let phoff = uint(head, is64 ? 32 : 28, is64 ? 8 : 4)
        let phentsize = uint(head, is64 ? 54 : 42, 2)
        let phnum = uint(head, is64 ? 56 : 44, 2)
        guard phnum > 0, phentsize >= (is64 ? 56 : 32), phoff < UInt64(Int32.max), phnum * phentsize < 1 << 20 else { return nil }
        let table = try read(Int(phoff), Int(phnum * phentsize))
        guard UInt64(table.count) == phnum * phentsize else { return nil }
        for i in 0..<Int(phnum) {
            let at = i * Int(phentsize)
            // PT_INTERP: the first one is the one the kernel reads.
            guard uint(table, at, 4) == 3 else { continue }
            let offset = uint(table, at + (is64 ? 8 : 4), is64 ? 8 : 4)
            let fileSize = uint(table, at + (is64 ? 32 : 16), is64 ? 8 : 4)
            guard fileSize >= 2, fileSize <= 4096, offset < UInt64(Int64.max) else { return "" }
            let bytes = try read(Int(offset), Int(fileSize))
            guard bytes.count == Int(fileSize), bytes.last == 0 else { return "" }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }

    /// The uname machine names an ELF machine runs on.
    public var machineName: String {
        switch machine {
        case 62: "x86_64"
        case 3: "i386"
        case 183: "aarch64"
        case 40: "arm"
        case 258: "loongarch64"
        case 243: "riscv64"
        case 21: "ppc64"
        case 22: "s390x"
        default: "machine-\(machine)"
        }
    }

    /// Why the kernel would refuse to run this file whatever the host ("Exec format error"), nil when it
    /// would not: not a program (a relocatable object, a core dump: `e_type` other than 2 or 3), or a class
    /// its machine does not have (x86-64 and aarch64 are 64-bit only, i386 and arm 32-bit only).
    public var notAProgram: String? {
        switch type {
        case 2, 3: break
        case 1: return "a relocatable object (ELF type 1), not a program"
        case 4: return "a core dump (ELF type 4), not a program"
        default: return "ELF type \(type), not a program"
        }
        let bits: Bool?
        switch machine {
        case 62, 183: bits = true
        case 3, 40: bits = false
        default: bits = nil
        }
        if let bits, bits != is64Bit {
            return "a \(is64Bit ? 64 : 32)-bit ELF file for \(machineName), which has no such binaries (a damaged header)"
        }
        return nil
    }

    /// Whether this binary can run on a host whose `uname -m` is `hostMachine`.
    public func runs(on hostMachine: String) -> Bool {
        switch hostMachine {
        case "x86_64", "amd64": return machine == 62 || machine == 3
        case "i386", "i686": return machine == 3
        case "aarch64", "arm64": return machine == 183 || machine == 40
        case let m where m.hasPrefix("arm"): return machine == 40
        default: return machineName == hostMachine
        }
    }
}
