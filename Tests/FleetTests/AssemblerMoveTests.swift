import Report
import Testing

@testable import Fleet

/// `FleetAssembler.add(_: DecodedLogPage)` moves hosts out of a page it holds alone; a page the caller
/// still holds must stay whole, and the joined result must not depend on which happened.
@Suite struct AssemblerMoveTests {
    static func page() throws -> DecodedLogPage {
        let doc = Fixtures.logs([
            Fixtures.log(0, "10.0.0.1", Fixtures.healthyRich + "\n", id: 1),
            Fixtures.log(0, "10.0.0.2", Fixtures.brokenRich(pid: 7) + "\n", id: 2),
            Fixtures.log(0, "10.0.0.1", Fixtures.checkPyLine() + "\n", id: 1),
        ])
        guard case .logs(let p) = try AnswerReader.recognise(bytes: Array(doc.serialized().utf8), source: "p", parallel: false)[0] else {
            throw FleetError("test", "not a log page")
        }
        return p
    }

    static func status() throws -> JobAnswer {
        let doc = Fixtures.status([Fixtures.host(0, "10.0.0.1", status: 9, id: 1), Fixtures.host(0, "10.0.0.2", status: 9, id: 2)])
        guard case .answer(let a) = try AnswerReader.recognise(bytes: Array(doc.serialized().utf8), source: "s", parallel: false)[0] else {
            throw FleetError("test", "not a status answer")
        }
        return a
    }

    @Test func aSharedPageStaysWholeAndJoinsTheSame() throws {
        let shared = try Self.page()
        var a = FleetAssembler()
        a.add(try Self.status(), source: "s")
        a.add(shared)
        a.add(shared)
        #expect(shared.logs.map(\.key) == ["0:10.0.0.1", "0:10.0.0.2", "0:10.0.0.1"])
        #expect(shared.logs.map(\.reports.count) == [1, 1, 1])

        var b = FleetAssembler()
        b.add(try Self.status(), source: "s")
        b.add(try Self.page())
        b.add(try Self.page())
        let ra = a.finish(source: "t", generatedAtMs: 1)
        let rb = b.finish(source: "t", generatedAtMs: 1)
        #expect(ra.agentCheckerText() == rb.agentCheckerText())
        #expect(ra.jsonText() == rb.jsonText())
        // The last log of a repeated host wins (here check.py's line), as before.
        #expect(rb.hosts.first?.producer == "check.py")
        #expect(rb.issues.contains { $0.message.contains("appeared more than once") })
    }

    /// `takeAll` (used where parallel work fills slots) gives the values in order and leaves the slots nil.
    @Test func takeAllMovesEveryValueInOrder() {
        var slots: [[String]?] = (0..<1000).map { ["host \($0)", String(repeating: "x", count: $0 % 40)] }
        let values = takeAll(&slots)
        #expect(values.count == 1000)
        #expect(values.indices.allSatisfy { values[$0] == ["host \($0)", String(repeating: "x", count: $0 % 40)] })
        #expect(slots.count == 1000 && slots.allSatisfy { $0 == nil })
        var none: [String?] = []
        #expect(takeAll(&none).isEmpty)
    }
}
