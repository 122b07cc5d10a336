import HostProbe
import Report

/// The GSE 2 agent's own probe, `gse_agent -f <conf> --healthz 1`, and its `healthz:{"ok":true,...}` output.
public enum AgentHealthz {
    public enum Outcome: Sendable {
        case passed
        case failed(String)
        /// Could not tell; `needsRoot` when the reason may be that bkdiag is not root.
        case unknown(String, needsRoot: Bool)
    }

    /// What the probe concluded and what it saw, for the evidence.
    public struct Result: Sendable {
        public var outcome: Outcome
        public var evidence: [(String, JSONValue)]
        /// The probe's own answer, `{"ok":…,"data":{…}}`, read from its whole output (the evidence keeps
        /// only the first 512 bytes); nil when it printed none.
        public var answer: JSONValue?

        public init(_ outcome: Outcome, evidence: [(String, JSONValue)] = [], answer: JSONValue? = nil) {
            self.outcome = outcome
            self.evidence = evidence
            self.answer = answer
        }
    }

    /// Runs the probe for `layout` (see `probe(_:deadlineSeconds:evidence:answer:)`).
    static func run(_ layout: GSELayout, deadlineSeconds: Double) -> Result {
        var evidence: [(String, JSONValue)] = []
        var answer: JSONValue?
        let outcome = probe(layout, deadlineSeconds: deadlineSeconds, evidence: &evidence, answer: &answer)
        return Result(outcome, evidence: evidence, answer: answer)
    }

    /// Runs the probe under a timeout (skipped when the binary is absent). The probe reads the
    /// agent's config, certificates and sockets, which are root's: run by another user, a config it
    /// cannot read or a failed probe may be only the lack of rights, so those are `unknown`.
    static func probe(
        _ layout: GSELayout, deadlineSeconds: Double, evidence: inout [(String, JSONValue)], answer: inout JSONValue?
    ) -> Outcome {
        guard (try? Sys.stat(layout.agentBinary))?.isExecutable == true else {
            evidence.append(("agent_healthz", .string("skipped: \(layout.agentBinary) not found")))
            return .passed
        }
        let uid = Sys.effectiveUID
        if uid != 0, case (false, let e) = Sys.readable(layout.agentConfig),
            ProbeError(call: "access", path: layout.agentConfig, errno: e).isPermission
        {
            return .unknown("gse_agent --healthz not run: \(layout.agentConfig) is not readable by uid \(uid)", needsRoot: true)
        }
        let timeout = Int(min(2.0, max(0.2, deadlineSeconds / 2)) * 1000)
        let out: BoundedChild.Outcome
        do {
            out = try BoundedChild.run(layout.agentBinary, ["-f", layout.agentConfig, "--healthz", "1"], timeoutMs: timeout)
        } catch {
            return .unknown("cannot run \(layout.agentBinary): \(error.description)", needsRoot: error.isPermission)
        }
        let text = String(out.output.prefix(512))
        evidence.append(
            (
                "agent_healthz",
                .object([
                    ("exit_code", out.exitCode.map { .int(Int64($0)) } ?? .null), ("timed_out", .bool(out.timedOut)),
                    ("output", .string(text)),
                ])
            ))
        if out.timedOut { return .unknown("gse_agent --healthz timed out after \(timeout)ms", needsRoot: false) }
        answer = Self.answer(out.output)
        if out.exitCode == 0 && answer?["ok"]?.boolValue == true { return .passed }
        let said = text.trimmingASCIIWhitespace()
        if uid != 0 {
            return .unknown(
                "gse_agent --healthz failed when run as uid \(uid), not root (maybe only for lack of rights): \(said)", needsRoot: true)
        }
        return .failed("gse_agent --healthz failed: \(said)")
    }

    /// The probe's answer: the JSON after `healthz:` on the last line that has one. Log lines before it
    /// may mention healthz too, and may be long.
    static func answer(_ output: String) -> JSONValue? {
        for line in output.split(separator: "\n").reversed() {
            guard let r = line.firstByteRange(of: "healthz:"), let json = try? JSONValue.parse(String(line[r.upperBound...])) else {
                continue
            }
            return json
        }
        return nil
    }
}
