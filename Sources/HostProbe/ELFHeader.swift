/// The identity of an executable from its ELF header, read without running it.
public struct ELFHeader: Sendable, Equatable {
    public var is64Bit: Bool
    public var littleEndian: Bool
    /// `e_machine` (62 x86-64, 183 aarch64, 3 i386, 40 arm, 258 loongarch, 243 riscv).
    public var machine: UInt16
    /// `e_type` (2 executable, 3 shared object / PIE).
    public var type: UInt16

    /// Parses the first bytes of a file; nil when it is not ELF or is truncated.
    public static func parse(_ b: [UInt8]) -> ELFHeader? {
        guard b.count >= 20, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46 else { return nil }
        guard b[4] == 1 || b[4] == 2, b[5] == 1 || b[5] == 2 else { return nil }
        let le = b[5] == 1
        func u16(_ at: Int) -> UInt16 { le ? UInt16(b[at]) | UInt16(b[at + 1]) << 8 : UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
        return ELFHeader(is64Bit: b[4] == 2, littleEndian: le, machine: u16(18), type: u16(16))
    }

    /// Reads and parses the header of `path`.
    public static func read(_ path: String) throws(ProbeError) -> ELFHeader? {
        parse(try FileReader.read(path, limit: 64).bytes)
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
