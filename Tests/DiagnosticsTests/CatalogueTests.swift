import Diagnostics
import Report
import Testing

@Suite("The catalogue")
struct CatalogueTests {
    @Test("lists every CheckID exactly once, in CheckID's order")
    func everyIDOnceInOrder() {
        #expect(catalogue.map(\.id) == CheckID.allCases)
    }

    @Test("check.py's rule for which modules run")
    func modulesThatRun() {
        var o = CheckOptions()
        #expect(!o.runs(.logPath) && !o.runs(.collector) && o.runs(.agent))
        o.subscriptionID = 7
        o.logPathsGiven = true
        #expect(o.runs(.logPath) && o.runs(.collector) && o.runs(.agent))
    }
}
