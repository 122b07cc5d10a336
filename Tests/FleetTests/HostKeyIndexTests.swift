import Testing

@testable import Fleet

/// `HostKeyIndex` against a plain dictionary: keys found by key, not by hash alone, through growth and
/// probing, including keys whose hashes are equal or differ only above the table's bits.
@Suite struct HostKeyIndexTests {
    /// `hashOf` stands for the key's hash: the real one, or one made to collide.
    static func check(keys: [String], capacity: Int, hashOf: (String) -> Int) {
        var index = HostKeyIndex(capacity: capacity)
        var stored: [String] = []
        var plain: [String: Int] = [:]
        for k in keys {
            let found = index.find(k, hash: hashOf(k), keyOf: { stored[$0] })
            #expect(found == plain[k], "key \(k)")
            if found == nil {
                index.insert(hash: hashOf(k), slot: stored.count)
                plain[k] = stored.count
                stored.append(k)
            }
        }
        #expect(index.count == plain.count)
        for (k, slot) in plain { #expect(index.find(k, hash: hashOf(k), keyOf: { stored[$0] }) == slot) }
        // Keys never added are not found, whatever their hash meets.
        for n in 0..<200 {
            let absent = "absent-\(n)"
            #expect(index.find(absent, hash: hashOf(absent), keyOf: { stored[$0] }) == nil)
        }
    }

    static let keys: [String] = (0..<5000).map { n in "\(n % 3):10.\(n / 256 % 256).\(n % 256).\(n % 7)" } + ["", "0:?", "0:host-1"]

    @Test(arguments: [0, 10, 20_000])
    func realHashes(capacity: Int) {
        Self.check(keys: Self.keys + Self.keys.reversed(), capacity: capacity) { $0.hashValue }
    }

    /// Every key of one hash (one long probe run), a few hashes, and hashes equal in their low bits only.
    @Test func collidingHashes() {
        let some = Array(Self.keys.prefix(600))
        Self.check(keys: some + some, capacity: 0) { _ in 42 }
        Self.check(keys: Self.keys, capacity: 0) { $0.utf8.count }
        Self.check(keys: Self.keys, capacity: 64) { ($0.hashValue & 0xFF) << 40 }
        Self.check(keys: Self.keys, capacity: 0) { $0.hashValue | Int.min }
    }

    @Test func reservingKeepsWhatIsThere() {
        var index = HostKeyIndex()
        let stored = ["a", "b", "c"]
        for (slot, k) in stored.enumerated() { index.insert(hash: k.hashValue, slot: slot) }
        index.reserve(100_000)
        for (slot, k) in stored.enumerated() { #expect(index.find(k, hash: k.hashValue, keyOf: { stored[$0] }) == slot) }
        #expect(index.count == 3)
    }
}
