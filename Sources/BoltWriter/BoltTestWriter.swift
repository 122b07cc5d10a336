// Standalone on purpose: Scripts/fuzz-bolt.sh compiles this file alone (with swiftc) to write the fuzz
// seed corpus. It shares no code with HostProbe's reader: the layout below follows bolt v1.3.1's
// page.go, node.go, bucket.go and db.go, and gob's encoder, as docs/progress.md describes them.

/// Writes bolt v1.3.1 files for the tests: page layout, meta pages with their checksum, inline and
/// page-rooted buckets, branch pages, overflow pages; and libgse's gob-framed string values.
public struct BoltTestWriter {
    public indirect enum Item {
        case value([UInt8])
        case bucket(Bucket)
    }

    /// A bucket's keys; `inline` stores it inside its parent's value (bolt does so for a small bucket of
    /// values only, up to a quarter page).
    public struct Bucket {
        public var items: [(key: [UInt8], item: Item)]
        public var inline: Bool
        public var sequence: UInt64

        public init(_ items: [(key: [UInt8], item: Item)] = [], inline: Bool = false, sequence: UInt64 = 0) {
            self.items = items
            self.inline = inline
            self.sequence = sequence
        }
    }

    public let pageSize: Int
    /// Bytes of a page filled before a node is split (bolt splits at half a page by default).
    public var fill: Int
    /// Page ids by kind, so that tests can damage a page of a given kind.
    public private(set) var branchPages: [UInt64] = []
    public private(set) var leafPages: [UInt64] = []
    /// First pages of nodes that span overflow pages.
    public private(set) var overflowPages: [UInt64] = []
    var data: [UInt8]
    var pageCount: UInt64 { UInt64(data.count / pageSize) }

    public init(pageSize: Int = 4096) {
        self.pageSize = pageSize
        fill = pageSize / 2
        // Pages 0 and 1: meta (written by setMeta); page 2: an empty freelist.
        data = [UInt8](repeating: 0, count: 3 * pageSize)
        put16(&data, 2 * pageSize + 8, 0x10)
        put64(&data, 2 * pageSize, 2)
    }

    /// Writes the pages of a root bucket and returns its root page id (the root bucket is never inline).
    public mutating func writeTree(_ root: Bucket) -> UInt64 {
        writeBucketPages(root)
    }

    /// Writes meta page `txid % 2`: root bucket page, freelist page 2, the high-water mark and the checksum.
    /// `damage` flips a byte after the checksum is taken.
    public mutating func setMeta(txid: UInt64, root: UInt64, damage: Bool = false) {
        let slot = Int(txid % 2)
        let at = slot * pageSize
        for k in 0..<pageSize { data[at + k] = 0 }
        put64(&data, at, UInt64(slot))
        put16(&data, at + 8, 0x04)
        let m = at + 16
        put32(&data, m, 0xED0C_DAED)
        put32(&data, m + 4, 2)
        put32(&data, m + 8, UInt32(pageSize))
        put32(&data, m + 12, 0)
        put64(&data, m + 16, root)
        put64(&data, m + 24, 0)
        put64(&data, m + 32, 2)
        put64(&data, m + 40, pageCount)
        put64(&data, m + 48, txid)
        put64(&data, m + 56, Self.fnv64a(Array(data[m..<(m + 56)])))
        if damage { data[m + 48] ^= 0xFF }
    }

    /// The file's bytes.
    public var bytes: [UInt8] { data }

    /// Where page `id` starts in `bytes`.
    public func offset(ofPage id: UInt64) -> Int { Int(id) * pageSize }

    // MARK: nodes and pages

    mutating func writeBucketPages(_ bucket: Bucket) -> UInt64 {
        let sorted = bucket.items.sorted { Self.less($0.key, $1.key) }
        var leafItems: [(key: [UInt8], flags: UInt32, value: [UInt8])] = []
        for (key, item) in sorted {
            switch item {
            case .value(let v):
                leafItems.append((key, 0, v))
            case .bucket(let child):
                leafItems.append((key, 1, bucketValue(child)))
            }
        }
        // Leaves, then branch levels until one node is left.
        var level: [(firstKey: [UInt8], page: UInt64)] = []
        for group in split(leafItems.map { ($0, 16 + $0.key.count + $0.value.count) }) {
            let id = writeLeaf(group)
            level.append((group[0].key, id))
        }
        if level.isEmpty { level.append(([], writeLeaf([]))) }
        while level.count > 1 {
            var next: [(firstKey: [UInt8], page: UInt64)] = []
            for group in split(level.map { ($0, 16 + $0.firstKey.count) }) {
                next.append((group[0].firstKey, writeBranch(group)))
            }
            level = next
        }
        return level[0].page
    }

    /// Groups elements in order so that each group's page content stays within `fill` (one element at least).
    func split<T>(_ sized: [(T, Int)]) -> [[T]] {
        var groups: [[T]] = []
        var current: [T] = []
        var size = 16
        for (e, s) in sized {
            if !current.isEmpty && size + s > fill {
                groups.append(current)
                current = []
                size = 16
            }
            current.append(e)
            size += s
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// The value of a bucket in its parent: root page id and sequence, then the page itself when inline.
    mutating func bucketValue(_ b: Bucket) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 16)
        put64(&header, 8, b.sequence)
        guard b.inline else {
            put64(&header, 0, writeBucketPages(b))
            return header
        }
        var items: [(key: [UInt8], flags: UInt32, value: [UInt8])] = []
        for (key, item) in b.items.sorted(by: { Self.less($0.key, $1.key) }) {
            guard case .value(let v) = item else { preconditionFailure("an inline bucket holds values only") }
            items.append((key, 0, v))
        }
        return header + leafPage(id: 0, items)
    }

    /// A page header (id, flags, element count; overflow set by `place`) and room for the elements.
    func nodeHeader(id: UInt64, flags: UInt16, count: Int) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: 16 + count * 16)
        put64(&body, 0, id)
        put16(&body, 8, flags)
        put16(&body, 10, UInt16(count))
        return body
    }

    /// A leaf page's bytes: header, 16-byte elements (flags, pos, ksize, vsize; pos counted from the
    /// element), then keys and values; padded to whole pages unless `id` is 0 (inline).
    func leafPage(id: UInt64, _ items: [(key: [UInt8], flags: UInt32, value: [UInt8])]) -> [UInt8] {
        var body = nodeHeader(id: id, flags: 0x02, count: items.count)
        for (i, item) in items.enumerated() {
            let e = 16 + i * 16
            put32(&body, e, item.flags)
            put32(&body, e + 4, UInt32(body.count - e))
            put32(&body, e + 8, UInt32(item.key.count))
            put32(&body, e + 12, UInt32(item.value.count))
            body += item.key
            body += item.value
        }
        return body
    }

    mutating func writeLeaf(_ items: [(key: [UInt8], flags: UInt32, value: [UInt8])]) -> UInt64 {
        let id = pageCount
        let page = leafPage(id: id, items)
        place(page, at: id)
        leafPages.append(id)
        return id
    }

    /// A branch page: elements (pos, ksize, child page id), then the keys.
    mutating func writeBranch(_ children: [(firstKey: [UInt8], page: UInt64)]) -> UInt64 {
        let id = pageCount
        var body = nodeHeader(id: id, flags: 0x01, count: children.count)
        for (i, c) in children.enumerated() {
            let e = 16 + i * 16
            put32(&body, e, UInt32(body.count - e))
            put32(&body, e + 4, UInt32(c.firstKey.count))
            put64(&body, e + 8, c.page)
            body += c.firstKey
        }
        place(body, at: id)
        branchPages.append(id)
        return id
    }

    /// Appends a node at page `id`, with the overflow count in its header when it needs more than one page.
    mutating func place(_ node: [UInt8], at id: UInt64) {
        precondition(id == pageCount)
        let pages = (node.count + pageSize - 1) / pageSize
        var padded = node
        padded += [UInt8](repeating: 0, count: pages * pageSize - node.count)
        put32(&padded, 12, UInt32(pages - 1))
        if pages > 1 { overflowPages.append(id) }
        data += padded
    }

    // MARK: encodings

    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }

    /// FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211), as Go's hash/fnv.
    public static func fnv64a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return hash
    }

    /// `gob.NewEncoder(w).Encode(s)` for a Go string: [message length][type id 6 as int: 0x0C][field 0]
    /// [string length][bytes], lengths as gob uints.
    public static func gobString(_ s: String) -> [UInt8] {
        let text = Array(s.utf8)
        let message = [0x0C, 0x00] + gobUint(UInt64(text.count)) + text
        return gobUint(UInt64(message.count)) + message
    }

    /// A gob uint: one byte below 128, else the negated byte count and the big-endian bytes.
    public static func gobUint(_ v: UInt64) -> [UInt8] {
        if v < 128 { return [UInt8(v)] }
        var be: [UInt8] = []
        var x = v
        while x > 0 {
            be.insert(UInt8(x & 0xFF), at: 0)
            x >>= 8
        }
        return [UInt8(truncatingIfNeeded: 256 - be.count)] + be
    }

    /// A filebeat `file.State` as Go's encoding/json writes it (HTML-safe escapes included).
    public static func stateJSON(
        source: String, offset: Int64, timestamp: String, ttl: Int64 = -1, type: String = "log",
        meta: [(String, String)]? = nil, inode: UInt64, device: UInt64
    ) -> String {
        var metaText = "null"
        if let meta {
            metaText = "{" + meta.sorted { $0.0 < $1.0 }.map { "\(goQuote($0.0)):\(goQuote($0.1))" }.joined(separator: ",") + "}"
        }
        return "{\"source\":\(goQuote(source)),\"offset\":\(offset),\"timestamp\":\(goQuote(timestamp)),\"ttl\":\(ttl),"
            + "\"type\":\(goQuote(type)),\"meta\":\(metaText),\"FileStateOS\":{\"inode\":\(inode),\"device\":\(device)}}"
    }

    static func goQuote(_ s: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [0x22]
        for u in s.utf8 {
            switch u {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0..<0x20, 0x3C, 0x3E, 0x26:
                out += Array("\\u00".utf8) + [hex[Int(u >> 4)], hex[Int(u & 0xF)]]
            default: out.append(u)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    /// A collector registry: root bucket with `kv`, whose values are gob strings. `kvInline` stores `kv`
    /// inline (what bolt does while it is small).
    public static func registry(
        _ values: [(key: String, value: String)], pageSize: Int = 4096, kvInline: Bool = false,
        txid: UInt64 = 7
    ) -> [UInt8] {
        var w = BoltTestWriter(pageSize: pageSize)
        let kv = Bucket(values.map { (Array($0.key.utf8), Item.value(gobString($0.value))) }, inline: kvInline)
        let root = w.writeTree(Bucket([(Array("kv".utf8), .bucket(kv))]))
        w.setMeta(txid: txid - 1, root: root)
        w.setMeta(txid: txid, root: root)
        return w.bytes
    }

    /// Files for the fuzz corpus and the tests that read it: small pages so that branch and overflow
    /// pages occur in a few kilobytes.
    public static func seedCorpus() -> [(name: String, bytes: [UInt8])] {
        var out: [(name: String, bytes: [UInt8])] = []
        out.append(("empty-kv", registry([], pageSize: 512, kvInline: true)))
        let few: [(key: String, value: String)] = [
            ("localtime", "Tue Dec  1 03:00:00 CST 2026"), ("gseindex_1500001", "42"),
            (
                "state:123-2049",
                stateJSON(source: "/var/log/a.log", offset: 10, timestamp: "2026-12-01T03:00:00.5+08:00", inode: 123, device: 2049)
            ),
        ]
        out.append(("few-inline", registry(few, pageSize: 512, kvInline: true)))
        var many = few
        for i in 0..<60 {
            many.append(
                (
                    "state:\(1000 + i)-2049",
                    stateJSON(
                        source: "/data/log/app-\(i).log", offset: Int64(i * 977), timestamp: "2026-12-01T02:59:\(10 + i % 50)Z",
                        inode: UInt64(1000 + i), device: 2049)
                ))
        }
        out.append(("many-branches", registry(many, pageSize: 512)))
        let legacy =
            "["
            + (0..<12).map {
                stateJSON(source: "/old/\($0).log", offset: Int64($0), timestamp: "2020-01-01T00:00:00Z", inode: UInt64($0), device: 1)
            }.joined(separator: ",") + "]"
        out.append(("legacy-overflow", registry([("registrar", legacy), ("localtime", "Wed Jan  1 00:00:00 UTC 2020")], pageSize: 512)))
        var w = BoltTestWriter(pageSize: 512)
        let nested = Bucket([(Array("inner".utf8), .value(gobString("x")))], inline: false)
        let kv = Bucket([(Array("gseindex_7".utf8), .value(gobString("7"))), (Array("sub".utf8), .bucket(nested))])
        let root = w.writeTree(Bucket([(Array("kv".utf8), .bucket(kv))]))
        w.setMeta(txid: 2, root: root)
        let newer = w.writeTree(
            Bucket([(Array("kv".utf8), .bucket(Bucket([(Array("localtime".utf8), .value(gobString("later")))], inline: true)))]))
        w.setMeta(txid: 3, root: newer, damage: true)
        out.append(("nested-damaged-newer-meta", w.bytes))
        return out
    }
}

@inline(__always) func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) {
    b[at] = UInt8(v & 0xFF)
    b[at + 1] = UInt8(v >> 8)
}

@inline(__always) func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for k in 0..<4 { b[at + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
}

@inline(__always) func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
    for k in 0..<8 { b[at + k] = UInt8((v >> (8 * UInt64(k))) & 0xFF) }
}
