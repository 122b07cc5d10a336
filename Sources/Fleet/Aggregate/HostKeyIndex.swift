/// Host keys to log slots, for the assembler's 100,000 logs: an open-addressing table of each key's hash
/// (Swift's own, seeded per process, so a crafted answer cannot make keys collide on purpose) and slot,
/// probed linearly. The keys themselves stay in the logs; a slot's key is read back through the caller to
/// tell keys of equal hash apart. Against `[String: Int]`, an insert neither hashes the key twice nor moves
/// a string into the table, and growing never hashes again.
struct HostKeyIndex: Sendable {
    /// Per bucket: the key's hash and its slot; slot -1 for an empty bucket.
    private var hashes: [Int]
    private var slots: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 0) {
        var buckets = 16
        while buckets < capacity * 2 { buckets *= 2 }
        hashes = [Int](repeating: 0, count: buckets)
        slots = [Int32](repeating: -1, count: buckets)
        mask = buckets - 1
    }

    /// The slot of `key` (`hash` its `hashValue`), reading a slot's key through `keyOf`.
    func find(_ key: String, hash: Int, keyOf: (Int) -> String) -> Int? {
        var b = hash & mask
        while true {
            let s = slots[b]
            if s < 0 { return nil }
            if hashes[b] == hash && keyOf(Int(s)) == key { return Int(s) }
            b = (b &+ 1) & mask
        }
    }

    /// Adds `slot` for a key of hash `hash` that `find` does not know.
    mutating func insert(hash: Int, slot: Int) {
        precondition(slot >= 0 && slot < Int(Int32.max), "slot out of range")
        if (count + 1) * 2 > slots.count { grow() }
        var b = hash & mask
        while slots[b] >= 0 { b = (b &+ 1) & mask }
        hashes[b] = hash
        slots[b] = Int32(slot)
        count += 1
    }

    /// Makes room for `n` keys in all.
    mutating func reserve(_ n: Int) {
        if n * 2 > slots.count { rebuild(buckets: n * 2) }
    }

    private mutating func grow() { rebuild(buckets: slots.count * 2) }

    private mutating func rebuild(buckets wanted: Int) {
        var fresh = HostKeyIndex(capacity: wanted / 2)
        for b in slots.indices where slots[b] >= 0 { fresh.insert(hash: hashes[b], slot: Int(slots[b])) }
        self = fresh
    }
}
