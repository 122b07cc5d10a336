import Foundation
import Report
import TestSupport
import Testing

@testable import Diagnostics
@testable import HostProbe

/// `GSELayout.detect` on real trees in a temp dir: which generation, whose IPC path, which agent files.
@Suite("GSE layout detection from the agent's own files")
struct LayoutDetectionTests {
    /// A temp host root holding `files` (path under the root → content).
    func tree(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "bkdiag-layout-\(UUID().uuidString.prefix(8))"
        for (path, text) in files {
            let full = dir + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func detect(_ host: String, root: String, ipcFlag: String? = nil) -> GSELayout {
        var o = CheckOptions(subscriptionID: 1, hostRoot: host)
        o.gsePath = host + root
        o.ipcSocketFile = ipcFlag
        return GSELayout.detect(options: o, hostRoot: host, proc: "/proc")
    }

    @Test("GSE 2: the agent's own data.ipc is the IPC path when the collector's main config names none")
    func gse2AgentIPC() throws {
        let host = try tree([
            "/usr/local/gse2/agent/etc/gse_agent.conf":
                #"{"access": {"data_endpoints": "10.0.0.1:28625"}, "data": {"ipc": "/var/run/ipc.state.report"}}"#,
            "/usr/local/gse2/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        // bk-log passes check.py's default -i, which says nothing about the host.
        for flag in [nil, "/var/run/ipc.state.report"] {
            let l = detect(host, root: "/usr/local/gse2", ipcFlag: flag)
            #expect(l.generation == .gse2 && l.ipcPath == "/var/run/ipc.state.report" && l.ipcSource == "agent_config", "\(l.ipcSource)")
        }
        // The collector's own endpoint still comes first.
        try "output.bkpipe_multi:\n  endpoint: /run/elsewhere.sock\n".write(
            toFile: host + "/usr/local/gse2/plugins/etc/bkunifylogbeat.conf", atomically: true, encoding: .utf8)
        let l = detect(host, root: "/usr/local/gse2")
        #expect(l.ipcSource == "main_config" && l.ipcPath == "/run/elsewhere.sock", "\(l.ipcPath)")
        // No data.ipc: GSE 2's default under the root.
        try #"{"data": {}}"#.write(toFile: host + "/usr/local/gse2/agent/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        try "logging.level: error\n".write(
            toFile: host + "/usr/local/gse2/plugins/etc/bkunifylogbeat.conf", atomically: true, encoding: .utf8)
        let d = detect(host, root: "/usr/local/gse2")
        #expect(d.ipcSource == "default" && d.ipcPath == host + "/usr/local/gse2/agent/data/ipc.state.report")
    }

    @Test("GSE 1: dataipc is the IPC path; a proxy's agent files are under proxy/, and read there")
    func gse1ProxyLayout() throws {
        let host = try tree([
            "/usr/local/gse/proxy/etc/agent.conf":
                #"{"dataipc": "/var/run/ipc.proxy.report", "dataserver": [{"ip": "10.0.0.2", "port": 58626}], "proccfg": "/usr/local/gse/proxy/etc/procinfo.json"}"#,
            "/usr/local/gse/proxy/etc/procinfo.json": "[]\n",
            "/usr/local/gse/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        let l = detect(host, root: "/usr/local/gse")
        #expect(l.generation == .gse1, "\(l.generationReason)")
        #expect(l.generationReason.contains("proxy"))
        #expect(l.agentDir == "/proxy")
        #expect(l.registryPath == host + "/usr/local/gse/proxy/etc/procinfo.json")
        #expect(l.dataPorts == [58626] && l.dataPortSource == host + "/usr/local/gse/proxy/etc/agent.conf")
        #expect(l.ipcPath == "/var/run/ipc.proxy.report" && l.ipcSource == "agent_config")
        // An ordinary GSE 1 agent keeps agent/.
        let plain = try tree(["/usr/local/gse/agent/etc/agent.conf": #"{"dataport": 58627}"#])
        defer { try? FileManager.default.removeItem(atPath: plain) }
        let p = detect(plain, root: "/usr/local/gse")
        #expect(p.generation == .gse1 && p.agentDir == "/agent" && p.dataPorts == [58627])
        #expect(p.registryPath == plain + "/usr/local/gse/agent/etc/procinfo.json")
        #expect(p.ipcSource == "default" && p.ipcPath == plain + "/var/run/ipc.state.report")
    }

    /// An access point that installs under /data/gse: no root where NodeMan usually puts one. check.py's
    /// default -p says nothing then; environ.sh, else the running agent, says where the root is.
    @Test("a root outside /usr/local is found from environ.sh, else from where the agent runs")
    func rootElsewhere() throws {
        let host = try tree([
            "/data/gse/agent/etc/gse_agent.conf": #"{"access": {"data_endpoints": "10.0.0.1:28625"}}"#,
            "/data/gse/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
            "/etc/sysconfig/gse/bk/environ.sh":
                "#!/bin/sh\nexport BK_GSE_AGENT_SETUP_PATH=\"/data/gse\"\nexport BK_GSE_DATA_IPC=\"/var/run/ipc.state.report\"\nexport BK_NODEMAN_PLUGIN_SETUP_PATH=\"/data/gse/plugins\"\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        // check.py's default -p counts as not given only where that directory does not exist on this machine.
        let defaultFlags = FileManager.default.fileExists(atPath: "/usr/local/gse") ? [] : ["/usr/local/gse", "/usr/local/gse/"]
        for flag in [nil] + defaultFlags {
            var o = CheckOptions(subscriptionID: 1, hostRoot: host)
            o.gsePath = flag
            let l = GSELayout.detect(options: o, hostRoot: host, proc: "/proc")
            #expect(l.root == host + "/data/gse" && l.rootSource == "detected", "\(String(describing: flag)): \(l.root)")
            #expect(l.generation == .gse2)
        }
        // A named root is taken at its word.
        let named = detect(host, root: "/opt/gse")
        #expect(named.root == host + "/opt/gse" && named.rootSource == "flag")
        // Without environ.sh: the root the agent's exe is under.
        try FileManager.default.removeItem(atPath: host + "/etc/sysconfig")
        let o = CheckOptions(subscriptionID: 1, hostRoot: host)
        let running = GSELayout.detect(options: o, hostRoot: host, proc: "/proc") {
            ([], [host + "/data/gse/agent/bin/gse_agent"], [(path: host + "/data/gse/agent/bin/gse_agent", name: "gse_agent")])
        }
        #expect(running.root == host + "/data/gse", "\(running.root)")
        // Nothing anywhere: the default, as before.
        let none = GSELayout.detect(options: o, hostRoot: host, proc: "/proc")
        #expect(none.root == host + "/usr/local/gse" && none.rootSource == "default")
        #expect(GSELayout.processRoot("/data/gse/plugins/bin/bkunifylogbeat") == "/data/gse")
        #expect(GSELayout.processRoot("/usr/bin/gse_agent") == nil && GSELayout.processRoot("/agent/bin/x") == nil)
    }

    /// Two roots side by side: the one with the running agent and the subscription's config is the one in use,
    /// though the only running collector is in the other.
    @Test("side by side, the root with the subscription's config and something running is the one in use")
    func agentAndConfigOutweighACollector() throws {
        let host = try tree([
            "/usr/local/gse/agent/etc/gse_agent.conf": "{}",
            "/usr/local/gse/plugins/etc/bkunifylogbeat/bkunifylogbeat_sub_702_host_1.conf": "local: []\n",
            "/usr/local/gse2_bkte/agent/etc/gse_agent.conf": "{}",
            "/usr/local/gse2_bkte/plugins/etc/bkunifylogbeat/bkunifylogbeat_sub_9_host_1.conf": "local: []\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        let o = CheckOptions(subscriptionID: 702, hostRoot: host)
        let l = GSELayout.detect(options: o, hostRoot: host, proc: "/proc") {
            (
                [host + "/usr/local/gse2_bkte/plugins/bin/bkunifylogbeat"], [host + "/usr/local/gse/agent/bin/gse_agent"],
                [(path: host + "/usr/local/gse/agent/bin/gse_agent", name: "gse_agent")]
            )
        }
        #expect(l.root == host + "/usr/local/gse", "\(l.root)")
        // The subscription's root with its collector down still outweighs another install where both run.
        let down = GSELayout.detect(options: o, hostRoot: host, proc: "/proc") {
            (
                [host + "/usr/local/gse2_bkte/plugins/bin/bkunifylogbeat"],
                [host + "/usr/local/gse/agent/bin/gse_agent", host + "/usr/local/gse2_bkte/agent/bin/gse_agent"], []
            )
        }
        #expect(down.root == host + "/usr/local/gse", "\(down.root)")
        // For subscription 9, whose config is in gse2_bkte where both run: that root.
        let both = GSELayout.detect(options: CheckOptions(subscriptionID: 9, hostRoot: host), hostRoot: host, proc: "/proc") {
            (
                [host + "/usr/local/gse2_bkte/plugins/bin/bkunifylogbeat"],
                [host + "/usr/local/gse/agent/bin/gse_agent", host + "/usr/local/gse2_bkte/agent/bin/gse_agent"], []
            )
        }
        #expect(both.root == host + "/usr/local/gse2_bkte" && both.rootSource == "running", "\(both.root)")
        // A tie keeps detection's choice (the root with plugins/), whatever the candidates' order.
        let tie = try tree([
            "/usr/local/gse/agent/etc/agent.conf": "{}", "/usr/local/gse2/agent/etc/gse_agent.conf": "{}",
            "/usr/local/gse2/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: tie) }
        let t = GSELayout.detect(options: CheckOptions(subscriptionID: 5, hostRoot: tie), hostRoot: tie, proc: "/proc") {
            ([], [tie + "/usr/local/gse/agent/bin/gse_agent", tie + "/usr/local/gse2/agent/bin/gse_agent"], [])
        }
        #expect(t.root == tie + "/usr/local/gse2" && t.rootSource == "detected", "\(t.root)")
    }

    /// Side by side with nothing seen running (nothing runs, or bkdiag, not root, cannot read the processes'
    /// exe links): the root holding the subscription's config is the one to check. Before, the first root was
    /// kept, and a non-root run failed config, socket and queue on the idle tree.
    @Test("side by side, nothing seen running: the root holding the subscription's config; any root seen running outweighs it")
    func subscriptionConfigWhenNothingIsSeenRunning() throws {
        let host = try tree([
            "/usr/local/gse/agent/etc/agent.conf": "{}", "/usr/local/gse/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
            "/usr/local/gse2/agent/etc/gse_agent.conf": "{}",
            "/usr/local/gse2/plugins/etc/bkunifylogbeat/bkunifylogbeat_sub_555_host_1.conf": "local: []\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        let idle = GSELayout.detect(options: CheckOptions(subscriptionID: 555, hostRoot: host), hostRoot: host, proc: "/proc") {
            ([], [], [])
        }
        #expect(idle.root == host + "/usr/local/gse2" && idle.rootSource == "subscription_config", "\(idle.root) \(idle.rootSource)")
        #expect(idle.generation == .gse2)
        // Another subscription, or none: detection's choice stands.
        for other: Int64 in [556, 0] {
            let l = GSELayout.detect(options: CheckOptions(subscriptionID: other, hostRoot: host), hostRoot: host, proc: "/proc") {
                ([], [], [])
            }
            #expect(l.root == host + "/usr/local/gse" && l.rootSource == "detected", "\(other): \(l.root)")
        }
        // An agent seen running in the other root outweighs a config where nothing runs.
        let running = GSELayout.detect(options: CheckOptions(subscriptionID: 555, hostRoot: host), hostRoot: host, proc: "/proc") {
            ([], [host + "/usr/local/gse/agent/bin/gse_agent"], [])
        }
        #expect(running.root == host + "/usr/local/gse", "\(running.root)")
    }

    /// NodeMan's setup_proxy.sh for GSE 2 installs the proxy's agent under `<root>/proxy` (bin/gse_agent,
    /// bin/gse_data, etc/gse_agent.conf) with no agent/ directory: a GSE 2 host, read from proxy/.
    @Test("GSE 2 proxy: gse_agent.conf under proxy/etc makes it GSE 2, and its files are read there")
    func gse2ProxyLayout() throws {
        let host = try tree([
            "/usr/local/gse/proxy/etc/gse_agent.conf":
                #"{"access": {"data_endpoints": "10.0.0.9:28626"}, "data": {"ipc": "/var/run/ipc.proxy2.report"}}"#,
            "/usr/local/gse/proxy/etc/.proc": #"{"proc": []}"#,
            "/usr/local/gse/proxy/bin/gse_agent": "",
            "/usr/local/gse/plugins/etc/bkunifylogbeat.conf": "logging.level: error\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        let l = detect(host, root: "/usr/local/gse")
        #expect(l.generation == .gse2, "\(l.generationReason)")
        #expect(l.generationReason.contains("GSE 2 proxy"))
        #expect(l.agentDir == "/proxy")
        #expect(l.registryPath == host + "/usr/local/gse/proxy/etc/.proc")
        #expect(l.agentConfig == host + "/usr/local/gse/proxy/etc/gse_agent.conf")
        #expect(l.agentBinary == host + "/usr/local/gse/proxy/bin/gse_agent")
        #expect(l.dataPorts == [28626] && l.dataPortSource == host + "/usr/local/gse/proxy/etc/gse_agent.conf")
        #expect(l.ipcPath == "/var/run/ipc.proxy2.report" && l.ipcSource == "agent_config")
        // An agent installed before the proxy leaves agent/etc (NodeMan's proxy installer removes only
        // agent/bin): the proxy's directory is still the one in use, by its binary or its running agent.
        for (rel, text) in [
            ("/usr/local/gse/agent/etc/gse_agent.conf", #"{"access": {"data_endpoints": "10.9.9.9:28625"}}"#),
            ("/usr/local/gse/agent/etc/.proc", #"{"proc": []}"#),
        ] {
            try FileManager.default.createDirectory(
                atPath: ((host + rel) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: host + rel, atomically: true, encoding: .utf8)
        }
        let left = detect(host, root: "/usr/local/gse")
        #expect(left.agentDir == "/proxy" && left.generation == .gse2 && left.dataPorts == [28626], "\(left.agentDir) \(left.dataPorts)")
        #expect(left.generationReason.contains("left over"))
        var o = CheckOptions(subscriptionID: 1, hostRoot: host)
        o.gsePath = host + "/usr/local/gse"
        try FileManager.default.createDirectory(atPath: host + "/usr/local/gse/agent/bin", withIntermediateDirectories: true)
        // Both bin directories: the running agent decides.
        let byProcess = GSELayout.detect(options: o, hostRoot: host, proc: "/proc") {
            ([], [], [(path: host + "/usr/local/gse/proxy/bin/gse_agent", name: "gse_agent")])
        }
        #expect(byProcess.agentDir == "/proxy")
        #expect(detect(host, root: "/usr/local/gse").agentDir == "/agent")
        try FileManager.default.removeItem(atPath: host + "/usr/local/gse/agent")
        // Without data.ipc, GSE 2's default is under the proxy's directory.
        try #"{"access": {"data_endpoints": "10.0.0.9:28626"}}"#.write(
            toFile: host + "/usr/local/gse/proxy/etc/gse_agent.conf", atomically: true, encoding: .utf8)
        let d = detect(host, root: "/usr/local/gse")
        #expect(d.ipcSource == "default" && d.ipcPath == host + "/usr/local/gse/proxy/data/ipc.state.report")
    }

    @Test("both generations' configs in one root: the running agent's process names decide")
    func leftoverConfig() throws {
        let host = try tree([
            "/usr/local/gse/agent/etc/gse_agent.conf": "{}",
            "/usr/local/gse/agent/etc/agent.conf": #"{"dataport": 58625}"#,
            "/usr/local/gse/agent/etc/procinfo.json": "[]",
        ])
        defer { try? FileManager.default.removeItem(atPath: host) }
        var o = CheckOptions(subscriptionID: 1, hostRoot: host)
        o.gsePath = host + "/usr/local/gse"
        let bin = host + "/usr/local/gse/agent/bin/gse_agent"
        func layout(_ names: [String]) -> GSELayout {
            GSELayout.detect(options: o, hostRoot: host, proc: "/proc") { ([], names.map { _ in bin }, names.map { (bin, $0) }) }
        }
        #expect(layout([]).generation == .gse2)
        let gse1 = layout(["gseMaster", "agentWorker"])
        #expect(gse1.generation == .gse1 && gse1.generationReason.contains("left over"), "\(gse1.generationReason)")
        #expect(gse1.dataPorts == [58625])
        #expect(layout(["gse_agent"]).generation == .gse2)
        // A GSE 1 agent running from another root says nothing about this one.
        let elsewhere = GSELayout.detect(options: o, hostRoot: host, proc: "/proc") {
            ([], ["/usr/local/other/agent/bin/gse_agent"], [("/usr/local/other/agent/bin/gse_agent", "gseMaster")])
        }
        #expect(elsewhere.generation == .gse2)
    }
}
