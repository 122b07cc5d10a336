#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Address space for byte runs that are written once and then held to the end (`AgentEntryLines`: a log
/// page's lines, kept until every page is read), handed out back to back from large regions backed by huge
/// pages where the kernel grants them on request (`MADV_HUGEPAGE`).
///
/// Held in buffers of their own (about 0.4 MB per page of 500 hosts, 100 MB at 100,000 hosts), every 4 KiB
/// of those runs was a page fault as it was first written and a page to free at exit. Packed into 2 MiB
/// pages they are a fault per 2 MiB, and the memory held is what was written, not what each buffer reserved.
///
/// Not thread-safe: one arena serves one writer at a time (`AnswerReader` hands arenas from file to file
/// as it does read buffers). A run taken from it (`OwnedBytes(arena:capacity:)`) is sealed
/// (`OwnedBytes.seal(in:)`) before the next is taken; one that is not (its page failed) keeps the rest of
/// its region, and the next run starts a new one.
final class ByteArena: @unchecked Sendable {
    /// The region runs are taken from, and where its free part starts.
    private var region: ByteRegion?
    private var used = 0
    /// Whether a run is out and not sealed yet.
    private var open = false

    /// Size of a region: address space only; memory is taken as it is written, 2 MiB at a time.
    let regionSize: Int

    init(regionSize: Int = 64 << 20) { self.regionSize = regionSize }

    /// A run of at least `capacity` bytes at the end of the current region (a new region when too little is
    /// left), or nil when no region can be mapped (the caller allocates then).
    func take(capacity: Int) -> (region: ByteRegion, base: UnsafeMutablePointer<UInt8>, capacity: Int)? {
        // A run not sealed may still be written: the next one starts in a region of its own.
        if region == nil || region!.size - used < capacity || open {
            // The rest of the old region stays with the runs already in it.
            guard let fresh = ByteRegion(size: max(regionSize, capacity)) else { return nil }
            region = fresh
            used = 0
        }
        let r = region!
        open = true
        return (r, r.base + used, r.size - used)
    }

    /// Ends the run taken last: its first `count` bytes, from `base`, stay taken.
    func seal(base: UnsafeMutablePointer<UInt8>, count: Int) {
        open = false
        guard let r = region, base >= r.base, base + count <= r.base + r.size else { return }
        // The next run starts 16-aligned.
        used = min(r.size, (base - r.base + count + 15) & ~15)
    }
}

/// One mapped region of `ByteArena`, unmapped when the last run in it is gone.
final class ByteRegion: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let size: Int
    private let mapping: UnsafeMutableRawPointer
    private let mappedSize: Int

    /// Maps `size` bytes (rounded up to 2 MiB) starting on a 2 MiB boundary, so that huge pages can back
    /// all of it; nil when the mapping fails.
    init?(size: Int) {
        let huge = 2 << 20
        let wanted = (size + huge - 1) & ~(huge - 1)
        // Mapped one huge page larger, to start on a boundary within it.
        let total = wanted + huge
        guard let p = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            return nil
        }
        mapping = p
        mappedSize = total
        let start = (Int(bitPattern: p) + huge - 1) & ~(huge - 1)
        base = UnsafeMutablePointer<UInt8>(bitPattern: start)!
        self.size = wanted
        HugePages.advise(UnsafeMutableRawPointer(base), wanted)
    }

    deinit { munmap(mapping, mappedSize) }
}

/// Asks the kernel to back memory with huge pages (`MADV_HUGEPAGE`, where transparent huge pages are granted
/// on request): a page fault per 2 MiB instead of one per 4 KiB as the memory is first written, for the
/// buffers of several MiB that a large parse fills (read buffers, output lanes).
enum HugePages {
    /// Buffers smaller than this are left alone (most of a smaller one is not a whole aligned huge page).
    static let worthIt = 4 << 20

    /// An array with room for `capacity` bytes, advised as `advise` does; its first `count` bytes are left as the
    /// allocator gives them (for a read that fills them), the rest is room to append to.
    static func bytes(capacity: Int, count: Int = 0) -> [UInt8] {
        precondition(count >= 0 && count <= capacity, "more bytes than the room asked for")
        return [UInt8](unsafeUninitializedCapacity: capacity) { buf, initialized in
            if let base = buf.baseAddress { advise(UnsafeMutableRawPointer(base), buf.count) }
            initialized = count
        }
    }

    /// Advises the whole 4 KiB pages of `count` bytes at `start`, when there are at least `worthIt`.
    static func advise(_ start: UnsafeMutableRawPointer, _ count: Int) {
        #if os(Linux)
            guard count >= worthIt else { return }
            let page = 4096
            let from = (Int(bitPattern: start) + page - 1) & ~(page - 1)
            let to = (Int(bitPattern: start) + count) & ~(page - 1)
            if to > from, let p = UnsafeMutableRawPointer(bitPattern: from) { _ = madvise(p, to - from, MADV_HUGEPAGE) }
        #endif
    }
}
