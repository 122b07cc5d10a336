import Testing

@testable import HostProbe

/// `UcfgDottedKeys` against what go-ucfg v0.7.0 (bkunifylogbeat's pinned version, with libbeat's `PathSep(".")`,
/// `ResolveEnv` and `VarExp`) made of each item below when it loaded the file 20 or 30 times: the rows marked
/// as clashes failed to load every time or nearly (the random map order), the others loaded every time.
@Suite("keys holding dots, as the collector's config loader sets them")
struct UcfgDottedKeysTests {
    /// A sub-config with one item holding `members` (lines at the item's indentation).
    static func config(_ members: [String]) throws -> YAMLNode {
        let lines = ["local:", "  - dataid: 1", "    paths: ['/x']"] + members.map { "    " + $0 }
        return try YAMLNode.parse(lines.joined(separator: "\n") + "\n", textKeysOnly: true)
    }

    @Test(
        "clashes the loader meets",
        arguments: [
            // A plain value where another key needs a mapping: fails in every order.
            (["a: \"w\"", "a.b: \"x\""], "`a` and `a.b` of local[0]"),
            (["a.b: \"x\"", "a: \"w\""], "`a.b` and `a` of local[0]"),
            (["a: \"\"", "a.b: \"x\""], "`a` and `a.b` of local[0]"),
            (["a.b: 1", "a.b.c: 2"], "`a.b` and `a.b.c` of local[0]"),
            // A mapping holding the value another key sets: fails in the document's order (most loads).
            (["a:", "  b: 1", "a.b: 2"], "`a` and `a.b` of local[0]"),
            (["a:", "  b:", "    c: 1", "a.b.c: 2"], "`a` and `a.b.c` of local[0]"),
            (["a:", "  b: 1", "a.b.c: 2"], "`a` and `a.b.c` of local[0]"),
            // Kubernetes labels as ext_meta.
            (
                ["ext_meta:", "  app: \"web\"", "  app.kubernetes.io/name: \"web\""],
                "`app` and `app.kubernetes.io/name` of local[0].ext_meta"
            ),
        ])
    func clash(members: [String], named: String) throws {
        let found = UcfgDottedKeys.conflict(try Self.config(members))
        #expect(found?.contains("the keys \(named) clash") == true, "\(found ?? "none")")
    }

    @Test(
        "keys the loader sets side by side",
        arguments: [
            ["a.b: \"1\"", "a.c: \"2\""],
            // A null is skipped where something is, and replaced where it is in the way.
            ["a: ~", "a.b: \"x\""],
            ["a:", "  x: 1", "a.b: 2"],
            ["a: [1]", "a.b: 2"],
            ["a:", "  b: {}", "a.b.c: 2"],
            ["ext_meta:", "  app.kubernetes.io/name: \"web\"", "  app.kubernetes.io/instance: \"web-1\"", "  app: {}"],
            ["multiline.pattern: '^\\['", "multiline:", "  match: after"],
        ])
    func noClash(members: [String]) throws {
        let found = UcfgDottedKeys.conflict(try Self.config(members))
        #expect(found == nil, "\(found ?? "")")
    }
}
