import HostProbe
import Report

/// bkunifylogbeat/healthz: health judged from facts. check.py ran `bkunifylogbeat healthz`, which
/// the collector does not have (it attempts a second start), so this never runs the collector:
/// the binary is an ELF file for this host, the running collector is connected to the IPC socket,
/// and on GSE 2 the agent's own `--healthz 1` probe passes (bounded by a timeout).
struct CollectorHealthCheck: Check {
    let module = CheckModule.collector
    let item = "healthz"

    func run(_ facts: HostFacts) -> Finding {
        let layout = facts.layout
        var evidence: [(String, JSONValue)] = []
        var failures: [String] = []
        var unknowns: [String] = []
        var hint = ""

        // 1. The binary.
        let bin = BinaryFacts.judge(layout.collectorBinary, hostMachine: Sys.machine())
        evidence.append(("binary", .string(bin.verdict.rawValue)))
        if bin.verdict == .fail || bin.verdict == .warn {
            failures.append(bin.message)
            hint = bin.hint
        } else if bin.verdict == .unknown {
            unknowns.append(bin.message)
        }

        // 2. The running collector is connected to the IPC socket.
        switch facts.collectors() {
        case .failure(let e):
            unknowns.append("cannot scan /proc: \(e.description)")
        case .success(let found):
            if found.under.isEmpty, let p = found.elsewhere.first(where: \.unplaced) {
                unknowns.append(p.unplacedSummary)
            } else if found.under.isEmpty {
                failures.append("bkunifylogbeat is not running")
                if hint.isEmpty { hint = "采集器未运行：在节点管理中启动 bkunifylogbeat" }
            } else {
                let (inodes, unreadable) = facts.socketInodes(of: found.under.map(\.pid))
                switch facts.unixDiag {
                case .failure(let e):
                    unknowns.append("sock_diag unavailable: \(e.description)")
                case .success(let entries):
                    let view = IPCView.build(path: layout.ipcPath, entries: entries)
                    let conns = view.connections(from: inodes.keys)
                    evidence.append(("ipc_path", .string(layout.ipcPath)))
                    evidence.append(("ipc_connections", .int(Int64(conns.count))))
                    if conns.isEmpty {
                        if !unreadable.isEmpty {
                            unknowns.append("cannot read the collector's fds: \(unreadable.values.first!.description)")
                        } else {
                            failures.append("bkunifylogbeat (pid \(found.under.map { String($0.pid) }.joined(separator: ","))) is not connected to \(layout.ipcPath)")
                            if hint.isEmpty {
                                hint = "采集器没有连上 gse_agent 的 IPC socket（日志常见 get agent info timeout / connection refused）：确认 gse_agent 正常运行且 endpoint 与 IPC 路径一致，然后重启采集器"
                            }
                        }
                    }
                }
            }
        }

        // 3. GSE 2: the agent's own health probe.
        if layout.generation == .gse2 && facts.options.runAgentHealthz {
            if (try? Sys.stat(layout.agentBinary))?.isExecutable == true {
                do {
                    let timeout = Int(min(2.0, max(0.2, facts.options.deadlineSeconds / 2)) * 1000)
                    let out = try BoundedChild.run(layout.agentBinary, ["-f", layout.agentConfig, "--healthz", "1"], timeoutMs: timeout)
                    let text = String(out.output.prefix(512))
                    evidence.append(("agent_healthz", .object([
                        ("exit_code", out.exitCode.map { .int(Int64($0)) } ?? .null), ("timed_out", .bool(out.timedOut)),
                        ("output", .string(text)),
                    ])))
                    if out.timedOut {
                        unknowns.append("gse_agent --healthz timed out after \(timeout)ms")
                    } else if out.exitCode != 0 || !AgentHealthz.isOK(out.output) {
                        failures.append("gse_agent --healthz failed: \(text.trimmingASCIIWhitespace())")
                        if hint.isEmpty { hint = "gse_agent 自检失败：查看 \(layout.root)/agent/logs 下的日志，必要时在节点管理中重启 Agent" }
                    }
                } catch {
                    unknowns.append("cannot run \(layout.agentBinary): \(error.description)")
                }
            } else {
                evidence.append(("agent_healthz", .string("skipped: \(layout.agentBinary) not found")))
            }
        }

        if !failures.isEmpty { return .fail(failures.joined(separator: "; "), hint: hint, evidence: evidence) }
        if !unknowns.isEmpty {
            return .unknown(unknowns.joined(separator: "; "), hint: "以 root 运行 bkdiag 以读取进程与 socket 信息", evidence: evidence)
        }
        return .pass("healthy: binary ok, connected to \(layout.ipcPath)", evidence: evidence)
    }
}

/// The GSE 2 agent's `healthz:{"ok":true,...}` output.
enum AgentHealthz {
    /// Judged on the last line whose `healthz:` is followed by JSON: log lines before it may
    /// mention healthz too, and may be long.
    static func isOK(_ output: String) -> Bool {
        for line in output.split(separator: "\n").reversed() {
            guard let r = line.firstByteRange(of: "healthz:"),
                let json = try? JSONValue.parse(String(line[r.upperBound...]))
            else { continue }
            return json["ok"]?.boolValue == true
        }
        return false
    }
}
