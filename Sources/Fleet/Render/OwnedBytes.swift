/// A growable run of bytes in a buffer of its own, written through a pointer: appending to an `Array` checks
/// its uniqueness and capacity at every append, and the fleet's renderers (`JSONByteWriter`, the agent
/// format's `AgentEntryLines`) make tens of millions of small ones. Memory is taken as it is written: the
/// capacity only reserves address space.
struct OwnedBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    private(set) var count = 0
    private var capacity: Int
    /// The arena region the bytes lie in (see `init(arena:capacity:)`), kept mapped while they are held;
    /// nil for a buffer of their own.
    private var region: ByteRegion?

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
        HugePages.advise(UnsafeMutableRawPointer(base), self.capacity)
    }

    /// Bytes written at the end of `arena`'s current region (a buffer of their own if it cannot map one),
    /// for bytes written once and held: `seal(in:)` must end the writing before `arena` is used again.
    init(arena: ByteArena, capacity: Int) {
        if let run = arena.take(capacity: max(64, capacity)) {
            region = run.region
            base = run.base
            self.capacity = run.capacity
        } else {
            self.capacity = max(64, capacity)
            base = .allocate(capacity: self.capacity)
        }
    }

    deinit { if region == nil { base.deallocate() } }

    /// Ends the writing of bytes taken from `arena` (`init(arena:capacity:)`): the arena keeps what was
    /// written and hands out the rest. Appending afterwards moves the bytes to a buffer of their own.
    mutating func seal(in arena: ByteArena) {
        arena.seal(base: base, count: count)
        if region != nil { capacity = count }
    }

    /// The bytes written, copied out.
    var copied: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes at `range`, in place.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "bytes past what was written")
        return body(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Forgets the bytes after the first `n`, keeping the buffer.
    mutating func truncate(to n: Int) {
        precondition(n >= 0 && n <= count, "truncating past what was written")
        count = n
    }

    /// Room for `n` more bytes.
    @inline(__always) mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let bigger = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        HugePages.advise(UnsafeMutableRawPointer(fresh), bigger)
        fresh.update(from: base, count: count)
        // Bytes in an arena's region stay there (the region is unmapped with its last run).
        if region == nil { base.deallocate() }
        region = nil
        base = fresh
        capacity = bigger
    }

    @inline(__always) mutating func append(_ c: UInt8) {
        reserve(1)
        base[count] = c
        count &+= 1
    }

    /// Copied as `ByteCopy.copy` copies: most of what the renderers write is short (names, separators).
    @inline(__always) mutating func append(_ u: UnsafeBufferPointer<UInt8>) {
        let n = u.count
        guard n > 0, let from = u.baseAddress else { return }
        reserve(n)
        ByteCopy.copy(to: base + count, from: from, count: n)
        count &+= n
    }

    @inline(__always) mutating func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Four bytes (little-endian) at the end.
    @inline(__always) mutating func appendUInt32(_ v: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(base + count).storeBytes(of: v.littleEndian, as: UInt32.self)
        count &+= 4
    }

    /// Overwrites the four bytes at `offset` (written before) with `v`, little-endian.
    @inline(__always) mutating func setUInt32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset &+ 4 <= count, "a length past what was written")
        UnsafeMutableRawPointer(base + offset).storeBytes(of: v.littleEndian, as: UInt32.self)
    }

    /// Lets `body` write at most `n` bytes at the end; it returns how many it wrote.
    @inline(__always) mutating func write(upTo n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(n)
        let written = body(base + count)
        precondition(written >= 0 && written <= n, "wrote past the room asked for")
        count &+= written
    }
}

/// Copies of short runs of bytes without a loop: most runs the renderers copy are a few to a few dozen bytes
/// (names, separators, a template's head), where a byte loop took an iteration per byte and `memmove` a
/// call and its dispatch on the size.
enum ByteCopy {
    /// Copies `count` bytes from `from` to `to` (the two not overlapping), reading and writing only those
    /// bytes: up to 32 as two overlapping runs of the widest words that fit (a run of 8 to 16 bytes is
    /// its first eight and its last eight), longer ones with `memmove`.
    @inline(__always) static func copy(to: UnsafeMutablePointer<UInt8>, from: UnsafePointer<UInt8>, count n: Int) {
        let s = UnsafeRawPointer(from)
        let d = UnsafeMutableRawPointer(to)
        if n >= 8 {
            if n <= 16 {
                let a = s.loadUnaligned(as: UInt64.self)
                let b = s.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                d.storeBytes(of: a, as: UInt64.self)
                d.storeBytes(of: b, toByteOffset: n &- 8, as: UInt64.self)
            } else if n <= 32 {
                let a0 = s.loadUnaligned(as: UInt64.self)
                let a1 = s.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                let b0 = s.loadUnaligned(fromByteOffset: n &- 16, as: UInt64.self)
                let b1 = s.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                d.storeBytes(of: a0, as: UInt64.self)
                d.storeBytes(of: a1, toByteOffset: 8, as: UInt64.self)
                d.storeBytes(of: b0, toByteOffset: n &- 16, as: UInt64.self)
                d.storeBytes(of: b1, toByteOffset: n &- 8, as: UInt64.self)
            } else {
                d.copyMemory(from: s, byteCount: n)
            }
        } else if n >= 4 {
            let a = s.loadUnaligned(as: UInt32.self)
            let b = s.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            d.storeBytes(of: a, as: UInt32.self)
            d.storeBytes(of: b, toByteOffset: n &- 4, as: UInt32.self)
        } else if n > 0 {
            // One to three bytes: the first, the middle and the last (some of them the same byte).
            to[0] = from[0]
            to[n &>> 1] = from[n &>> 1]
            to[n &- 1] = from[n &- 1]
        }
    }
}
