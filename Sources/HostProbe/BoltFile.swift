#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Why a bolt file could not be read: the file, a code and a sentence that says what is wrong.
public struct BoltError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// open/fstat/pread failed (`errno` says why).
        case unreadable
        /// Not a regular file (a directory, a FIFO, a device).
        case notRegularFile
        /// Shorter than the two meta pages.
        case tooSmall
        /// Neither meta page has bolt's magic, version 2 and a matching checksum.
        case noValidMeta
        /// A page, element or inline bucket that breaks the format (ids, flags, bounds, order).
        case corrupt
        /// A page reached twice in one walk: the tree has a cycle.
        case cycle
        /// A bound of `BoltLimits` was passed (depth, bytes, entries, page span).
        case limit
        /// The bucket asked for is not there, or the key names a value, not a bucket.
        case missingBucket
        /// The writer committed a transaction during every attempt.
        case unstable
    }

    public var code: Code
    public var path: String
    public var detail: String
    public var errno: Int32?

    public init(_ code: Code, path: String, _ detail: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.detail = detail
        self.errno = errno
    }

    public var description: String {
        if let e = errno { return "bolt file \(path): \(detail): \(String(cString: strerror(e))) (errno \(e))" }
        return "bolt file \(path): \(detail)"
    }
}

/// Bounds on one read, so that no file (hostile, corrupt or huge) makes the reader loop, recurse or
/// allocate without limit.
public struct BoltLimits: Sendable {
    /// Branch/leaf levels plus nested buckets, from the root bucket down.
    public var maxDepth = 32
    /// Bytes read by pread in one attempt (meta pages included).
    public var maxBytesRead = 256 << 20
    /// One page with its overflow pages.
    public var maxPageSpan = 64 << 20
    /// Keys listed from the bucket.
    public var maxEntries = 1_000_000
    /// Walks started when the file kept changing under the reader.
    public var maxAttempts = 5

    public init() {}
}

/// One meta page as bolt v1.3.1 writes it (`meta` in db.go, after the 16-byte page header).
public struct BoltMeta: Sendable, Equatable {
    public var pageSize: Int
    public var flags: UInt32
    public var rootPage: UInt64
    public var rootSequence: UInt64
    public var freelistPage: UInt64
    /// The high-water mark: every page of the tree has a smaller id.
    public var pageCount: UInt64
    public var txid: UInt64
}

/// A key of a bucket: its value, or `nil` for a nested bucket.
public struct BoltEntry: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]?

    public init(key: [UInt8], value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public var isBucket: Bool { value == nil }
}

/// The keys of one bucket as of one committed transaction.
public struct BoltBucketSnapshot: Sendable, Equatable {
    /// The meta the walk used (its `txid` is the transaction read).
    public var meta: BoltMeta
    /// In key order.
    public var entries: [BoltEntry]
    /// Walks needed (more than one when the writer committed during a walk).
    public var attempts: Int
    /// The file's size when the returned walk started.
    public var fileSize: Int64
}

/// Where the bytes come from: a file read with pread, or memory (tests and the fuzz target).
public protocol BoltByteSource {
    /// Bytes now available (the file's size; it may grow between calls).
    func size() throws(BoltError) -> Int64
    /// Exactly `count` bytes at `offset`, or an error when they are not all there.
    func read(at offset: Int64, count: Int) throws(BoltError) -> [UInt8]
}

/// A read-only view of a bolt v1.3.1 file (boltdb/bolt, the store libgse opens) that never locks it.
///
/// The collector opens its registry with `bolt.Open`, which takes `flock(LOCK_EX|LOCK_NB)` and gives up
/// after 50 ms: anyone holding any lock on the file (even bolt's own read-only shared lock) stops the
/// collector from starting. So this reader only `open(O_RDONLY)`s and `pread`s: no flock, no fcntl lock,
/// no mmap, no write. Without a lock it can race the writer, which bolt's commit order makes safe to
/// detect: a transaction writes its new pages to pages that were free before it, then its meta page
/// (txid % 2). The pages of transaction T's tree are freed by T+1 and released for reuse when T+2 begins
/// (no reader holds them back: we are not a bolt reader), and T+2 writes them before its meta. So a walk
/// of T is known consistent only when T is still the newest meta after the walk: one commit during the
/// walk (T+1 visible) already allows T+2 to be rewriting T's pages. Otherwise the walk is retried; the
/// collector commits once per registry flush (10 s), so a retry is rare.
public enum BoltFile {
    static let magic: UInt32 = 0xED0C_DAED
    static let version: UInt32 = 2
    static let pageHeaderSize = 16
    static let elementSize = 16
    static let bucketHeaderSize = 16
    static let branchFlag: UInt16 = 0x01
    static let leafFlag: UInt16 = 0x02
    static let bucketLeafFlag: UInt32 = 0x01

    /// The keys of the bucket reached by `bucketPath` (names from the root bucket) in the bolt file at `path`.
    public static func readBucket(path: String, bucketPath: [[UInt8]], limits: BoltLimits = BoltLimits()) throws(BoltError)
        -> BoltBucketSnapshot
    {
        let file = try BoltFileSource(path: path)
        defer { file.close() }
        return try readBucket(from: file, path: path, bucketPath: bucketPath, limits: limits)
    }

    /// The same, over any byte source; `path` only names it in errors.
    public static func readBucket<S: BoltByteSource>(from source: S, path: String, bucketPath: [[UInt8]], limits: BoltLimits = BoltLimits())
        throws(BoltError) -> BoltBucketSnapshot
    {
        var txids: [UInt64] = []
        for attempt in 1...max(1, limits.maxAttempts) {
            let size = try source.size()
            let meta = try newestMeta(source, path: path, size: size)
            txids.append(meta.txid)
            var walker = BoltWalker(source: source, path: path, meta: meta, fileSize: size, limits: limits)
            let outcome: Result<[BoltEntry], BoltError>
            do throws(BoltError) {
                outcome = .success(try walker.bucketEntries(bucketPath))
            } catch {
                outcome = .failure(error)
            }
            // A source error after the walk (the file went away) is the answer; an invalid meta now is a
            // writer mid-way or a damaged file: try again, the bound decides.
            let after = try? newestMeta(source, path: path, size: try source.size())
            if let after, after.txid == meta.txid {
                switch outcome {
                case .success(let entries):
                    return BoltBucketSnapshot(meta: meta, entries: entries, attempts: attempt, fileSize: size)
                case .failure(let error):
                    throw error
                }
            }
        }
        throw BoltError(
            .unstable, path: path,
            "the writer committed during each of \(txids.count) reads (txids \(txids.map(String.init).joined(separator: ", ")))")
    }

    /// The valid meta page with the higher txid (bolt's `DB.meta()`).
    public static func newestMeta<S: BoltByteSource>(_ source: S, path: String, size: Int64) throws(BoltError) -> BoltMeta {
        let metas = try readMetas(source, path: path, size: size)
        guard let best = metas.max(by: { $0.txid < $1.txid }) else {
            throw BoltError(
                .noValidMeta, path: path,
                "no valid meta page (bolt magic 0xED0CDAED, version 2, FNV-1a checksum): not a bolt file, or damaged")
        }
        return best
    }

    /// The valid meta pages (zero, one or two). Page 0 gives the page size; when it is damaged, page 1 is
    /// looked for at each power-of-two page size bolt can use, and must declare that size.
    static func readMetas<S: BoltByteSource>(_ source: S, path: String, size: Int64) throws(BoltError) -> [BoltMeta] {
        guard size >= 1024 else {
            throw BoltError(.tooSmall, path: path, "\(size) bytes, less than two meta pages")
        }
        var found: [BoltMeta] = []
        let first = try source.read(at: 0, count: 512)
        let meta0 = parseMeta(first, at: 0, pageID: 0)
        if let m = meta0 { found.append(m) }
        var sizes: [Int] = []
        if let m = meta0 { sizes = [m.pageSize] } else { sizes = stride(from: 9, through: 16, by: 1).map { 1 << $0 } }
        for ps in sizes where Int64(ps) * 2 <= size {
            let page = try source.read(at: Int64(ps), count: 512)
            if let m = parseMeta(page, at: 0, pageID: 1), m.pageSize == ps {
                found.append(m)
                break
            }
        }
        return found
    }

    /// A meta page at `base` in `b` when its header, magic, version, page size and checksum are right.
    static func parseMeta(_ b: [UInt8], at base: Int, pageID: UInt64) -> BoltMeta? {
        guard base >= 0, b.count - base >= pageHeaderSize + 64 else { return nil }
        // bolt writes meta page txid % 2 in slot txid % 2, so the header's id is the slot.
        guard le64(b, base) == pageID, le16(b, base + 8) & 0x04 != 0 else { return nil }
        let m = base + pageHeaderSize
        guard le32(b, m) == magic, le32(b, m + 4) == version else { return nil }
        let checksum = le64(b, m + 56)
        // bolt accepts a zero checksum (files written before it had one); v1.3.1 always writes one.
        guard checksum == 0 || checksum == fnv1a64(b[m..<(m + 56)]) else { return nil }
        let ps = Int(le32(b, m + 8))
        guard ps >= 512, ps <= 1 << 16, ps & (ps - 1) == 0 else { return nil }
        return BoltMeta(
            pageSize: ps, flags: le32(b, m + 12), rootPage: le64(b, m + 16), rootSequence: le64(b, m + 24),
            freelistPage: le64(b, m + 32), pageCount: le64(b, m + 40), txid: le64(b, m + 48))
    }

    /// FNV-1a, 64-bit (Go's hash/fnv `New64a`), which bolt's `meta.sum64` uses.
    static func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    @inline(__always) static func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    @inline(__always) static func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    @inline(__always) static func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }
}

/// One walk of the tree of one meta: a lookup of the bucket path, then every key of that bucket in order.
struct BoltWalker<S: BoltByteSource> {
    let source: S
    let path: String
    let meta: BoltMeta
    let fileSize: Int64
    let limits: BoltLimits
    var bytesRead = 0
    var bytesCopied = 0
    var visited = Set<UInt64>()
    var entries: [BoltEntry] = []
    var lastKey: [UInt8]?

    init(source: S, path: String, meta: BoltMeta, fileSize: Int64, limits: BoltLimits) {
        self.source = source
        self.path = path
        self.meta = meta
        self.fileSize = fileSize
        self.limits = limits
    }

    /// A tree page: `bytes` is the whole page (or an inline bucket's value), `base` where its header starts.
    struct Page {
        var id: UInt64?
        var bytes: [UInt8]
        var base: Int
        var isBranch: Bool
        var count: Int

        /// Reads the header at `base`: bolt's `page.typ()` tests the branch bit first, then the leaf bit.
        init(id: UInt64?, bytes: [UInt8], base: Int) {
            self.id = id
            self.bytes = bytes
            self.base = base
            flags = BoltFile.le16(bytes, base + 8)
            isBranch = flags & BoltFile.branchFlag != 0
            count = Int(BoltFile.le16(bytes, base + 10))
        }

        let flags: UInt16
        var isTree: Bool { flags & (BoltFile.branchFlag | BoltFile.leafFlag) != 0 }
    }

    func corrupt(_ detail: String) -> BoltError { BoltError(.corrupt, path: path, detail) }

    mutating func bucketEntries(_ bucketPath: [[UInt8]]) throws(BoltError) -> [BoltEntry] {
        var root = Root.page(meta.rootPage)
        var depth = 0
        var names: [String] = []
        for name in bucketPath {
            names.append(String(decoding: name, as: UTF8.self))
            guard let header = try find(name, in: root, depth: &depth) else {
                throw BoltError(.missingBucket, path: path, "no bucket \(names.joined(separator: "/"))")
            }
            root = header
        }
        // The lookups visited pages of the parents only; the bucket's own pages are walked once now.
        try collect(root, depth: depth)
        return entries
    }

    /// The root of a bucket: a page of the file, or the page stored inline in its parent's value.
    enum Root {
        case page(UInt64)
        case inline([UInt8])
    }

    /// Reads page `id` with its overflow pages, checking every bound first.
    mutating func page(_ id: UInt64) throws(BoltError) -> Page {
        let ps = meta.pageSize
        guard id >= 2, id < meta.pageCount else {
            throw corrupt("page \(id) is outside the tree (pages 2..<\(meta.pageCount) of txid \(meta.txid))")
        }
        guard visited.insert(id).inserted else {
            throw BoltError(.cycle, path: path, "page \(id) is reached twice: the tree has a cycle")
        }
        let offset = id.multipliedReportingOverflow(by: UInt64(ps))
        guard !offset.overflow, offset.partialValue <= UInt64(fileSize), Int64(offset.partialValue) + Int64(ps) <= fileSize else {
            throw corrupt("page \(id) lies past the end of the file (\(fileSize) bytes)")
        }
        var bytes = try fetch(at: Int64(offset.partialValue), count: ps)
        guard BoltFile.le64(bytes, 0) == id else {
            throw corrupt("page \(id) says it is page \(BoltFile.le64(bytes, 0))")
        }
        let overflow = UInt64(BoltFile.le32(bytes, 12))
        if overflow > 0 {
            let span = (overflow + 1) * UInt64(ps)
            guard span <= UInt64(limits.maxPageSpan) else {
                throw BoltError(.limit, path: path, "page \(id) spans \(overflow + 1) pages, more than \(limits.maxPageSpan) bytes")
            }
            guard id + overflow < meta.pageCount, Int64(offset.partialValue) + Int64(span) <= fileSize else {
                throw corrupt("page \(id) has \(overflow) overflow pages, past the end of the tree or file")
            }
            for extra in (id + 1)...(id + overflow) {
                guard visited.insert(extra).inserted else {
                    throw BoltError(.cycle, path: path, "overflow page \(extra) of page \(id) is also used elsewhere")
                }
            }
            bytes += try fetch(at: Int64(offset.partialValue) + Int64(ps), count: Int(span) - ps)
        }
        return Page(id: id, bytes: bytes, base: 0)
    }

    mutating func fetch(at offset: Int64, count: Int) throws(BoltError) -> [UInt8] {
        guard bytesRead + count <= limits.maxBytesRead else {
            throw BoltError(.limit, path: path, "more than \(limits.maxBytesRead) bytes to read")
        }
        bytesRead += count
        return try source.read(at: offset, count: count)
    }

    /// Bytes copied out of pages (keys and values), within `maxBytesRead` as well.
    mutating func charge(_ count: Int) throws(BoltError) {
        guard bytesCopied + count <= limits.maxBytesRead else {
            throw BoltError(.limit, path: path, "more than \(limits.maxBytesRead) bytes of keys and values to copy")
        }
        bytesCopied += count
    }

    mutating func load(_ root: Root) throws(BoltError) -> Page {
        switch root {
        case .page(let id):
            let p = try page(id)
            guard p.isTree else {
                throw corrupt("page \(id) has flags 0x\(String(p.flags, radix: 16)), not a branch or leaf page")
            }
            try checkElements(p)
            return p
        case .inline(let value):
            // An inline bucket: 16-byte bucket header, then a leaf page header, elements and data.
            let base = BoltFile.bucketHeaderSize
            guard value.count >= base + BoltFile.pageHeaderSize else {
                throw corrupt("an inline bucket of \(value.count) bytes is too short")
            }
            let p = Page(id: nil, bytes: value, base: base)
            guard p.isTree, !p.isBranch else {
                throw corrupt("an inline bucket's page has flags 0x\(String(p.flags, radix: 16)), not a leaf page")
            }
            try checkElements(p)
            return p
        }
    }

    func checkElements(_ p: Page) throws(BoltError) {
        let end = p.base + BoltFile.pageHeaderSize + p.count * BoltFile.elementSize
        guard end <= p.bytes.count else {
            throw corrupt("\(describe(p)) holds \(p.count) elements, more than fit in it")
        }
    }

    func describe(_ p: Page) -> String { p.id.map { "page \($0)" } ?? "an inline bucket" }

    /// Element `i`: key range, value range (leaf) or child page id (branch), and the leaf flags.
    func element(_ p: Page, _ i: Int) throws(BoltError) -> (key: Range<Int>, value: Range<Int>, child: UInt64, flags: UInt32) {
        let e = p.base + BoltFile.pageHeaderSize + i * BoltFile.elementSize
        let b = p.bytes
        if !p.isBranch {
            let flags = BoltFile.le32(b, e)
            let pos = Int(BoltFile.le32(b, e + 4)), ksize = Int(BoltFile.le32(b, e + 8)), vsize = Int(BoltFile.le32(b, e + 12))
            let k = e + pos
            guard ksize > 0, k + ksize + vsize <= b.count else {
                throw corrupt("\(describe(p)): element \(i) (key \(ksize) bytes, value \(vsize) bytes at +\(pos)) lies outside the page")
            }
            return (k..<(k + ksize), (k + ksize)..<(k + ksize + vsize), 0, flags)
        }
        let pos = Int(BoltFile.le32(b, e)), ksize = Int(BoltFile.le32(b, e + 4))
        let k = e + pos
        guard ksize > 0, k + ksize <= b.count else {
            throw corrupt("\(describe(p)): branch element \(i) (key \(ksize) bytes at +\(pos)) lies outside the page")
        }
        return (k..<(k + ksize), k..<k, BoltFile.le64(b, e + 8), 0)
    }

    /// Finds the nested bucket `name` under `root` (bolt's cursor seek: at a branch, the last element whose
    /// key is not greater than `name`). Nil when there is no such key; an error when the key is a value.
    mutating func find(_ name: [UInt8], in root: Root, depth: inout Int) throws(BoltError) -> Root? {
        var current = root
        while true {
            depth += 1
            guard depth <= limits.maxDepth else {
                throw BoltError(.limit, path: path, "the tree is deeper than \(limits.maxDepth) levels")
            }
            let p = try load(current)
            guard p.count > 0 else { return nil }
            if p.isBranch {
                var chosen = try element(p, 0).child
                for i in 1..<p.count {
                    let e = try element(p, i)
                    guard lexicographicCompare(p.bytes[e.key], name[...]) <= 0 else { break }
                    chosen = e.child
                }
                current = .page(chosen)
                continue
            }
            for i in 0..<p.count {
                let e = try element(p, i)
                guard p.bytes[e.key].elementsEqual(name) else { continue }
                guard e.flags & BoltFile.bucketLeafFlag != 0 else {
                    throw BoltError(.missingBucket, path: path, "\(String(decoding: name, as: UTF8.self)) is a value, not a bucket")
                }
                return try bucketRoot(Array(p.bytes[e.value]))
            }
            return nil
        }
    }

    /// A bucket value: `root` (u64) and `sequence` (u64), then the inline page when `root` is 0.
    func bucketRoot(_ value: [UInt8]) throws(BoltError) -> Root {
        guard value.count >= BoltFile.bucketHeaderSize else {
            throw corrupt("a bucket value of \(value.count) bytes is shorter than a bucket header")
        }
        let root = BoltFile.le64(value, 0)
        return root == 0 ? .inline(value) : .page(root)
    }

    /// Every key under `root`, in order, into `entries`.
    mutating func collect(_ root: Root, depth: Int) throws(BoltError) {
        guard depth + 1 <= limits.maxDepth else {
            throw BoltError(.limit, path: path, "the tree is deeper than \(limits.maxDepth) levels")
        }
        let p = try load(root)
        for i in 0..<p.count {
            let e = try element(p, i)
            if p.isBranch {
                try collect(.page(e.child), depth: depth + 1)
                continue
            }
            // Keys and values are copied out: counted against the same budget as the bytes read, so that
            // elements whose data overlap (bolt never writes them so; a crafted file can) cannot make a
            // small file copy gigabytes.
            try charge(e.key.count + (e.value.count))
            let key = Array(p.bytes[e.key])
            if let last = lastKey, lexicographicCompare(last[...], key[...]) >= 0 {
                throw corrupt("\(describe(p)): keys out of order")
            }
            guard entries.count < limits.maxEntries else {
                throw BoltError(.limit, path: path, "more than \(limits.maxEntries) keys")
            }
            lastKey = key
            let isBucket = e.flags & BoltFile.bucketLeafFlag != 0
            if isBucket { _ = try bucketRoot(Array(p.bytes[e.value])) }
            entries.append(BoltEntry(key: key, value: isBucket ? nil : Array(p.bytes[e.value])))
        }
    }
}

/// Byte-wise comparison (bolt's `bytes.Compare`): negative, zero or positive.
func lexicographicCompare(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
    var i = a.startIndex, j = b.startIndex
    while i < a.endIndex, j < b.endIndex {
        if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
        i += 1
        j += 1
    }
    return (a.endIndex - i) - (b.endIndex - j)
}

/// A bolt file opened read-only (O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK): never locked, mapped or written.
public final class BoltFileSource: BoltByteSource {
    let fd: Int32
    let path: String

    public init(path: String) throws(BoltError) {
        self.path = path
        do throws(ProbeError) {
            fd = try Sys.openRead(path)
        } catch {
            throw BoltError(.unreadable, path: path, "cannot open", errno: error.errno)
        }
        let st: FileStat
        do throws(ProbeError) {
            st = try Sys.fstat(fd, path: path)
        } catch {
            Sys.closeQuietly(fd)
            throw BoltError(.unreadable, path: path, "cannot stat", errno: error.errno)
        }
        guard st.isRegular else {
            Sys.closeQuietly(fd)
            throw BoltError(.notRegularFile, path: path, "not a regular file")
        }
    }

    public func close() { Sys.closeQuietly(fd) }

    public func size() throws(BoltError) -> Int64 {
        do throws(ProbeError) {
            return try Sys.fstat(fd, path: path).size
        } catch {
            throw BoltError(.unreadable, path: path, "cannot stat", errno: error.errno)
        }
    }

    public func read(at offset: Int64, count: Int) throws(BoltError) -> [UInt8] {
        let out: [UInt8]
        do throws(ProbeError) {
            out = try Sys.pread(fd, count: count, at: Int(offset))
        } catch {
            throw BoltError(.unreadable, path: path, "cannot read", errno: error.errno)
        }
        guard out.count == count else {
            throw BoltError(
                .corrupt, path: path, "the file ends at \(offset + Int64(out.count)), inside bytes \(offset)..<\(offset + Int64(count))")
        }
        return out
    }
}

/// Bytes in memory as a bolt file (tests, the fuzz target).
public struct BoltMemorySource: BoltByteSource {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func size() throws(BoltError) -> Int64 { Int64(bytes.count) }
    public func read(at offset: Int64, count: Int) throws(BoltError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= Int64(bytes.count), Int64(count) <= Int64(bytes.count) - offset else {
            throw BoltError(
                .corrupt, path: "<memory>", "bytes \(offset)..<\(offset + Int64(count)) lie past the end (\(bytes.count) bytes)")
        }
        return Array(bytes[Int(offset)..<(Int(offset) + count)])
    }
}
