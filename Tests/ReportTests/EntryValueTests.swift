import Testing

@testable import Report

/// The escaped-report decoder keeps an entry's `status` and `result` as `EntryValue`s (the literal or verdict
/// name told without a tree, or any other value): the verdict it reads from them must be `Verdict.read`'s of
/// the same values, whichever way each was kept.
struct EntryValueTests {
    static let statuses: [JSONValue] = [
        .bool(true), .bool(false), .null, .int(0), .int(1), .double(0), .double(-0.0), .double(2.5), .string(""), .string("x"),
        .string("false"), .array([]), .array([.null]), .object([]), .object([("a", .int(1))]), .bigInt("0"), .bigInt("7"),
    ]
    static let results: [JSONValue?] =
        [nil, .null, .bool(true), .int(1), .string(""), .string("PASS"), .string("passed"), .array([.string("pass")])]
        + Verdict.allCases.map { .string($0.rawValue) }

    /// How the decoder may hold a value: as read by its fast path when it is one, and always as a tree.
    static func kept(_ v: JSONValue) -> [EscapedOutputDecoder.EntryValue] {
        var out: [EscapedOutputDecoder.EntryValue] = [.read(v)]
        if case .bool(let b) = v { out.append(.bool(b)) }
        if let name = v.stringValue, let verdict = Verdict(rawValue: name) { out.append(.verdict(verdict)) }
        return out
    }

    @Test func verdictsAreThoseOfTheValuesRead() {
        var compared = 0
        for status in Self.statuses {
            for result in Self.results {
                let expected = Verdict.read(status: status, result: result)
                for s in Self.kept(status) {
                    for r in result.map({ Self.kept($0).map(Optional.some) }) ?? [nil] {
                        #expect(
                            EscapedOutputDecoder.EntryValue.verdict(status: s, result: r) == expected,
                            "status \(status), result \(String(describing: result)), kept as \(s), \(String(describing: r))")
                        compared += 1
                    }
                }
            }
        }
        // Every verdict comes out of some pair, or the table proves little.
        let verdicts = Set(Self.statuses.flatMap { s in Self.results.map { Verdict.read(status: s, result: $0) } })
        #expect(verdicts == Set(Verdict.allCases) && compared > 300)
    }
}
