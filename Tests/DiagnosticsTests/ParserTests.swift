@testable import Diagnostics
import HostProbe
import Report
import Testing

@Suite("Parsers: config names, restart log, layout helpers")
struct DiagnosticsParserTests {
    @Test(
        "subscription config names match exactly",
        arguments: [
            ("bkunifylogbeat_sub_33561_host_2000058532.conf", Int64(33561)),
            ("bkunifylogbeat_syslog_sub_5_service_1.conf", 5),
            ("bkunifylogbeat_redis_slowlog_sub_7_host_0.conf", 7),
            ("bkunifylogbeat_sub_123_host_1.conf", 123),
            ("bkunifylogbeat_sub_12_host_1.conf.bak", nil),
            ("bkunifylogbeat_sub_12_host_.conf", nil),
            ("bkunifylogbeat_sub_12_pod_1.conf", nil),
            ("other_sub_12_host_1.conf", nil),
            ("bkunifylogbeat_sub_+12_host_1.conf", nil),
            ("bkunifylogbeat_sub_1٢_host_1.conf", nil),
            ("", nil),
            ("_sub_", nil),
        ] as [(String, Int64?)])
    func configName(name: String, sub: Int64?) {
        #expect(SubscriptionConfigName.parse(name)?.subscriptionID == sub)
    }

    @Test("restart log counts entries by pattern, glued or not, today only")
    func restartLog() {
        let glued = "20261123-101010 INFO|12|log-main stop bkunifylogbeat ok20261123-101011 INFO|13|log-main start bkunifylogbeat ok"
            + "20261122-090000 INFO|1|log-main start bkunifylogbeat ok\n20261123-111111 INFO|2|log-main reload bkunifylogbeat\n"
            + "20261123-111112 INFO|2|log-main start bkmonitorbeat\ngarbage 2026 start bkunifylogbeat\n"
        let c = RestartLog.count(text: glued, plugin: "bkunifylogbeat", today: "20261123")
        #expect(c.starts == 1 && c.stops == 1 && c.reloads == 1)
        #expect(c.restarts == 2)
        let none = RestartLog.count(text: "", plugin: "bkunifylogbeat", today: "20261123")
        #expect(none.restarts == 0 && none.stops == 0 && none.lastLoadAt == nil)
        #expect(RestartLog.count(text: String(repeating: "9", count: 100), plugin: "x", today: "20261123").restarts == 0)
        #expect(RestartLog.count(text: glued, plugin: "bkunifylogbeat", today: "").lastLoadAt != nil)
    }

    @Test("lexical paths")
    func paths() {
        #expect(PathText.normalize("/usr/local/gse/") == "/usr/local/gse")
        #expect(PathText.normalize("/usr//local/./gse/../gse2") == "/usr/local/gse2")
        #expect(PathText.normalize("/..") == "/")
        #expect(PathText.isUnder("/usr/local/gse/plugins/bin", "/usr/local/gse/"))
        #expect(!PathText.isUnder("/usr/local/gse2/plugins", "/usr/local/gse"))
        #expect(PathText.onHost("/tmp/h", "/var/run/x") == "/tmp/h/var/run/x")
        #expect(PathText.onHost("/", "/var/run/x") == "/var/run/x")
    }

    @Test("percentages print with one decimal; a value that is not finite prints as it is, never traps")
    func percentText() {
        #expect(Fmt.percent(12.34) == "12.3%" && Fmt.percent(3) == "3.0%")
        #expect(Fmt.percent(.infinity) == "inf%" && Fmt.percent(1e300) == "1e+300%")
    }
}
