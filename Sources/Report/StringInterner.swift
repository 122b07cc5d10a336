#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands out one shared `String` for texts that repeat, so that a hundred thousand hosts printing the same
/// message hold one copy of it, not a hundred thousand (and the decoder does not allocate and validate it
/// each time).
///
/// The result is always `String(decoding: bytes, as: UTF8.self)` — the same value the parser's `string()`
/// makes of those bytes, ill-formed UTF-8 repaired the same way; only the storage is shared. Texts of at
/// most 15 bytes (Swift stores them inline, without allocating) and over `maxLength` bytes are made fresh;
/// after `maxEntries` distinct texts nothing new is remembered. Not thread-safe: one interner per thread
/// (the strings it returns may be shared freely). Being used by one thread at a time, its state skips the
/// runtime's exclusivity checks on class properties, which cost more than a lookup here.
public final class StringInterner {
    public static let maxLength = 256
    /// The entry heads and middles seen by the decoder that uses this interner (`EntryShapes`).
    public let shapes = EntryShapes()
    public static let maxEntries = 4096
    /// Open addressing, at most half full: an index into `entries`, or -1.
    private let slots: UnsafeMutablePointer<Int32>
    private let slotMask: Int
    /// The remembered texts (`count` of them). Raw storage rather than arrays, so that a lookup retains
    /// and releases no array buffer.
    private let entries: UnsafeMutablePointer<Entry>
    @exclusivity(unchecked) private var count = 0
    /// The bytes of every remembered text, back to back, to compare candidates against; grown as texts
    /// are remembered (most interners see a few dozen).
    @exclusivity(unchecked) private var arena: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var arenaCapacity = 4096
    @exclusivity(unchecked) private var arenaUsed = 0
    /// Where escaped strings are unescaped before they are looked up.
    @exclusivity(unchecked) private var scratch: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var scratchCapacity: Int

    private struct Entry {
        var hash: UInt64
        var start: Int
        var count: Int
        var string: String
    }

    public init() {
        slotMask = 2 * Self.maxEntries - 1
        slots = .allocate(capacity: 2 * Self.maxEntries)
        slots.initialize(repeating: -1, count: 2 * Self.maxEntries)
        entries = .allocate(capacity: Self.maxEntries)
        arena = .allocate(capacity: arenaCapacity)
        scratchCapacity = 1024
        scratch = .allocate(capacity: scratchCapacity)
        key = .allocate(capacity: keyCapacity)
    }

    deinit {
        entries.deinitialize(count: count)
        entries.deallocate()
        slots.deallocate()
        arena.deallocate()
        scratch.deallocate()
        key.deallocate()
        listSlots?.deallocate()
        listArena?.deallocate()
    }

    /// A buffer of at least `count` bytes, reused from call to call.
    func scratch(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if count > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(count, 2 * scratchCapacity)
            scratch = .allocate(capacity: scratchCapacity)
        }
        return scratch
    }

    /// `String(decoding: bytes, as: UTF8.self)`, shared with earlier calls for the same bytes.
    public func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let n = bytes.count
        guard n > 15, n <= Self.maxLength, let base = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        let h = Self.hash(base, n)
        var s = Int(truncatingIfNeeded: h) & slotMask
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            let c = entries + e
            if c.pointee.hash == h, c.pointee.count == n, memcmp(arena + c.pointee.start, base, n) == 0 { return c.pointee.string }
            s = (s + 1) & slotMask
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if count < Self.maxEntries {
            if arenaUsed + n > arenaCapacity {
                // Every remembered text is at most `maxLength` bytes: the arena never needs more than this.
                let grown = min(max(2 * arenaCapacity, arenaUsed + n), Self.maxEntries * Self.maxLength)
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                bigger.update(from: arena, count: arenaUsed)
                arena.deallocate()
                arena = bigger
                arenaCapacity = grown
            }
            slots[s] = Int32(count)
            (entries + count).initialize(to: Entry(hash: h, start: arenaUsed, count: n, string: text))
            (arena + arenaUsed).update(from: base, count: n)
            arenaUsed += n
            count += 1
        }
        return text
    }

    // MARK: - Entry lists

    /// The key of the entry list a decoder is reading (`EscapedOutputDecoder.leanEntries`): each entry's
    /// verdict and texts, back to back. Reused from list to list.
    @exclusivity(unchecked) private var key: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var keyCapacity = 1024
    @exclusivity(unchecked) public private(set) var keyCount = 0
    /// Lists remembered by their keys (open addressing over `lists`, at most half full; made on first use).
    @exclusivity(unchecked) private var listSlots: UnsafeMutablePointer<Int32>?
    @exclusivity(unchecked) private var lists: [(hash: UInt64, start: Int, count: Int, list: [CheckResult])] = []
    @exclusivity(unchecked) private var listArena: UnsafeMutablePointer<UInt8>?
    @exclusivity(unchecked) private var listArenaCapacity = 0
    @exclusivity(unchecked) private var listArenaUsed = 0
    public static let maxLists = 4096
    /// The keys of the remembered lists take at most this many bytes in all.
    public static let maxListKeyBytes = 4 << 20

    /// Starts the key of a new list.
    public func startKey() { keyCount = 0 }

    /// Room for `n` more bytes of the key; returns where they go.
    @inline(__always) func keyRoom(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if keyCount + n > keyCapacity {
            let grown = max(keyCount + n, 2 * keyCapacity)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: key, count: keyCount)
            key.deallocate()
            key = bigger
            keyCapacity = grown
        }
        return key + keyCount
    }

    /// Appends one byte to the key.
    @inline(__always) public func appendKey(_ byte: UInt8) {
        keyRoom(1).pointee = byte
        keyCount += 1
    }

    /// Appends a text to the key: its length (four bytes) and its bytes, each `\/` (an escaped slash, the
    /// one escape the caller's texts may hold when `slashes` is true) written as `/`.
    public func appendKey(text bytes: UnsafeBufferPointer<UInt8>, slashes: Bool) {
        let n = bytes.count
        let out = keyRoom(4 + n)
        var used = 0
        if !slashes {
            if let base = bytes.baseAddress { (out + 4).update(from: base, count: n) }
            used = n
        } else {
            var k = 0
            while k < n {
                if bytes[k] == 0x5C { k += 1 }
                out[4 + used] = bytes[k]
                used += 1
                k += 1
            }
        }
        UnsafeMutableRawPointer(out).storeBytes(of: UInt32(truncatingIfNeeded: used).littleEndian, as: UInt32.self)
        keyCount += 4 + used
    }

    /// The list remembered for the current key, or the one `make` builds from the key (remembered while
    /// there is room): hosts reporting the same entries share one list.
    public func sharedList(_ make: (UnsafeBufferPointer<UInt8>) -> [CheckResult]) -> [CheckResult] {
        let n = keyCount
        let slotCount = 2 * Self.maxLists
        let slots: UnsafeMutablePointer<Int32>
        if let listSlots {
            slots = listSlots
        } else {
            slots = .allocate(capacity: slotCount)
            slots.initialize(repeating: -1, count: slotCount)
            listSlots = slots
        }
        let h = Self.hash(key, n)
        var s = Int(truncatingIfNeeded: h) & (slotCount - 1)
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if lists[e].hash == h, lists[e].count == n, let arena = listArena, memcmp(arena + lists[e].start, key, n) == 0 {
                return lists[e].list
            }
            s = (s + 1) & (slotCount - 1)
        }
        let list = make(UnsafeBufferPointer(start: key, count: n))
        if lists.count < Self.maxLists, listArenaUsed + n <= Self.maxListKeyBytes {
            if listArenaUsed + n > listArenaCapacity {
                let grown = min(max(2 * listArenaCapacity, listArenaUsed + n, 64 << 10), Self.maxListKeyBytes)
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                if let old = listArena {
                    bigger.update(from: old, count: listArenaUsed)
                    old.deallocate()
                }
                listArena = bigger
                listArenaCapacity = grown
            }
            (listArena! + listArenaUsed).update(from: key, count: n)
            slots[s] = Int32(lists.count)
            lists.append((h, listArenaUsed, n, list))
            listArenaUsed += n
        }
        return list
    }

    /// A fast, well-mixed 64-bit hash of the bytes (not for untrusted-collision resistance: the table is
    /// bounded, so a bad input only makes lookups slower).
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var k = 0
        while k &+ 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h &>> 31
            k &+= 8
        }
        if k < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while k < n {
                tail |= UInt64(p[k]) &<< shift
                shift &+= 8
                k &+= 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h &>> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h &>> 32)
    }
}

extension JSONByteParser {
    /// `string()` through an interner: the same value, or the same error, for the string whose opening quote
    /// is at `i`.
    public mutating func string(interning interner: StringInterner) throws(JSONParseError) -> String {
        i += 1
        let start = i
        if try plainRun() {
            let s = interner.string(UnsafeBufferPointer(rebasing: b[start..<i]))
            i += 1
            return s
        }
        // Escapes: sized as `string()` sizes them (to the closing quote), unescaped into the scratch buffer.
        let capacity = max(1, escapedStringEnd() - start)
        let out = interner.scratch(capacity)
        i = start
        let count = try unescape(into: out, capacity: capacity)
        return interner.string(UnsafeBufferPointer(start: out, count: count))
    }
}
