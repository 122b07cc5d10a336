import Daemon
import Report
import Testing

@Suite struct StateChangeTests {
    @Test func firstReportLogsOnlyWhatDoesNotPass() {
        let r = Reports.make([("gse_agent", "socket", .fail), ("gse_agent", "process", .pass), ("log_path", "logpath_match", .warn)])
        let c = StateChange.changes(from: nil, to: r)
        #expect(c.map(\.item) == ["socket", "logpath_match"])
        #expect(c.allSatisfy { $0.previous == nil })
    }

    @Test func onlyTransitionsAreChanges() {
        let a = Reports.make([("gse_agent", "socket", .fail), ("gse_agent", "process", .pass)])
        let b = Reports.make([("gse_agent", "socket", .pass), ("gse_agent", "process", .pass)])
        #expect(StateChange.changes(from: a, to: a).isEmpty)
        let c = StateChange.changes(from: a, to: b)
        #expect(c == [StateChange(module: "gse_agent", item: "socket", previous: .fail, verdict: .pass, message: "socket is pass")])
        #expect(c[0].sentence == "gse_agent/socket: fail -> pass: socket is pass")
        #expect(c[0].priority == 5)
        #expect(StateChange.changes(from: b, to: b).isEmpty)
    }
}
