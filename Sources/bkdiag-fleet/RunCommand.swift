import ArgumentParser
import Fleet
import Foundation
import Report

/// `bkdiag-fleet run`: drive JOB itself and judge the answers.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the check on hosts through JOB (fast_execute_script), poll, fetch the logs and judge every host.",
        discussion: """
            JOB settings come from --config (JSON: base_url, app_code, app_secret, username, bk_biz_id), then the \
            environment (BKDIAG_JOB_BASE_URL, BKDIAG_JOB_APP_CODE, BKDIAG_JOB_APP_SECRET, BKDIAG_JOB_USERNAME, \
            BKDIAG_JOB_BIZ_ID), then the flags below. The secret is never taken from a flag and never printed.
            """
    )

    @Option(help: "JSON config file with the JOB settings.")
    var config: String?
    @Option(help: "JOB API base URL, e.g. http://bkapi.example/api/bk-job/prod/api/v3/.")
    var baseURL: String?
    @Option(help: "BlueKing app code.")
    var appCode: String?
    @Option(help: "BlueKing user name the job runs as.")
    var username: String?
    @Option(help: "Business id (bk_biz_id).")
    var biz: Int64?

    @Option(help: "Target hosts: cloud:ip or ip, comma separated (repeatable).")
    var hosts: [String] = []
    @Option(help: "File with one target host (cloud:ip or ip) per line.")
    var hostFile: String?
    @Option(help: "Target host ids (bk_host_id), comma separated.")
    var hostID: [String] = []
    @Option(help: "Target topology node node_type:id, e.g. module:12 (repeatable).")
    var topoNode: [String] = []
    @Option(help: "Target dynamic group id (repeatable).")
    var dynamicGroup: [String] = []

    @Option(help: "Script to run (default: Scripts/job-check.sh of this checkout, else /usr/share/bkdiag/job-check.sh).")
    var script: String?
    @Option(help: "JOB script language: 1 shell, 2 bat, 3 perl, 4 python, 5 powershell.")
    var scriptLanguage = 1
    // Unconditional: the value itself starts with dashes (`--params "--subscription_id=123 ..."`).
    @Option(parsing: .unconditional, help: "check.py's argument string, sent base64-encoded as script_param.")
    var params = "--subscription_id=0 --ipc_socket_file=/var/run/ipc.state.report --gse_path=/usr/local/gse/"
    @Option(help: "Account the script runs as.")
    var account = "root"
    @Option(help: "JOB's own script timeout, seconds.")
    var scriptTimeout = 600

    @Option(help: "Give up polling the job after this many seconds.")
    var deadline: Double = 300
    @Option(help: "First poll delay, seconds (grows by half up to --max-poll).")
    var poll: Double = 2
    @Option(help: "Longest poll delay, seconds.")
    var maxPoll: Double = 20
    @Option(help: "Hosts per log request (at most 500).")
    var batchSize = 500
    @Option(help: "Log requests in flight at once.")
    var concurrency = 4
    @Option(help: "Extra tries of a failed log request.")
    var retries = 2
    @Option(help: "Timeout of one HTTP request, seconds.")
    var requestTimeout: Double = 30
    @Option(help: "Directory to keep the raw JOB answers in (readable by `parse`).")
    var saveAnswers: String?
    @Flag(help: "Log requests on stderr.")
    var verbose = false

    @OptionGroup var out: OutputOptions

    func validate() throws {
        // Seconds become Int64 milliseconds (sleeps, HTTP timeouts): NaN, infinity or a value beyond
        // that range would trap there, and a negative one means nothing.
        for (flag, seconds) in [("--deadline", deadline), ("--poll", poll), ("--max-poll", maxPoll), ("--request-timeout", requestTimeout)]
        {
            guard seconds.isFinite, seconds >= 0, seconds <= 1e9 else {
                throw ValidationError("\(flag) must be a number of seconds from 0 to 1000000000, got \(seconds)")
            }
        }
    }

    func run() async throws {
        try await exitOnFleetError {
            let logger = makeLogger(verbose: verbose)
            var overrides: [String: String] = [:]
            overrides["base_url"] = baseURL
            overrides["app_code"] = appCode
            overrides["username"] = username
            overrides["bk_biz_id"] = biz.map(String.init)
            let cfg = try JobConfig.load(path: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
            var options = RunOptions(target: try target(), script: try scriptText(), scriptParam: params)
            options.scriptLanguage = scriptLanguage
            options.account = account
            options.scriptTimeout = scriptTimeout
            options.deadline = deadline
            options.initialPoll = poll
            options.maxPoll = maxPoll
            options.batchSize = min(500, max(1, batchSize))
            options.concurrency = max(1, concurrency)
            options.retries = max(0, retries)
            options.saveAnswers = saveAnswers
            let client = JobClient(config: cfg, requestTimeout: requestTimeout, logger: logger)
            var report = await FleetRunner(client: client, options: options, logger: logger).run()
            if !out.gse.isEmpty {
                // Re-join with the GSE answers.
                report = try rejoin(report, gse: try out.gseAnswers())
            }
            let code = try out.emit(report, storeByDefault: true)
            // The platform's lines (`--format agent`) have no place for it: an answer --save-answers could not
            // keep is said on stderr too, whatever the format.
            for issue in report.issues where issue.step == "save-answers" {
                FileHandle.standardError.write(Data("bkdiag-fleet: warning: \(issue.message)\n".utf8))
            }
            if report.hosts.isEmpty && report.issues.contains(where: { $0.level == .error }) { return 1 }
            return code
        }
    }

    func rejoin(_ report: FleetReport, gse: [ReadAnswer]) throws -> FleetReport {
        var states: [String: AgentState] = [:]
        for case .answer(.gse(let records)) in gse {
            for r in records { if let k = r.hostKey { states[k] = r.state } }
        }
        let hosts = report.hosts.map { h -> HostResult in
            var h = h
            h.agent = states[h.key] ?? .unknown
            return h
        }
        return FleetReport(
            generatedAtMs: report.generatedAtMs, source: report.source, jobInstanceID: report.jobInstanceID,
            stepInstanceID: report.stepInstanceID, finished: report.finished, hosts: hosts, issues: report.issues,
            preamble: report.preamble, gseGiven: true)
    }

    func target() throws(FleetError) -> JobTarget {
        var addrs: [JobTarget.HostAddress] = []
        for h in hosts { for part in h.split(separator: ",") { addrs.append(try JobTarget.parseHost(String(part))) } }
        if let hostFile {
            guard let data = FileManager.default.contents(atPath: hostFile) else {
                throw FleetError("target.file", "cannot read the host file \(hostFile); check the path")
            }
            for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let t = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                if t.allSatisfy(\.isWhitespace) { continue }
                addrs.append(try JobTarget.parseHost(t))
            }
        }
        var kinds: [JobTarget] = []
        if !addrs.isEmpty { kinds.append(.hosts(addrs)) }
        if !hostID.isEmpty {
            var ids: [Int64] = []
            for s in hostID {
                for p in s.split(separator: ",") {
                    guard let id = Int64(p.trimmingCharacters(in: .whitespaces)) else {
                        throw FleetError("target.host-id", "\(p) is not a host id; pass numbers, e.g. --host-id 101,102")
                    }
                    ids.append(id)
                }
            }
            kinds.append(.hostIDs(ids))
        }
        if !topoNode.isEmpty {
            var nodes: [JobTarget.TopoNode] = []
            for t in topoNode { nodes.append(try JobTarget.parseTopoNode(t)) }
            kinds.append(.topoNodes(nodes))
        }
        if !dynamicGroup.isEmpty { kinds.append(.dynamicGroups(dynamicGroup)) }
        guard kinds.count == 1 else {
            throw FleetError(
                "target.choice",
                kinds.isEmpty
                    ? "no target given; pass --hosts, --host-file, --host-id, --topo-node or --dynamic-group"
                    : "give one kind of target (hosts, host ids, topo nodes or dynamic groups), not several")
        }
        return kinds[0]
    }

    func scriptText() throws(FleetError) -> String {
        var candidates: [String] = []
        if let script {
            candidates = [script]
        } else {
            // Beside this checkout: walk up from the binary (…/.build/debug/bkdiag-fleet) to a Scripts/ folder.
            var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<6 {
                candidates.append(dir.appendingPathComponent("Scripts/job-check.sh").path)
                dir = dir.deletingLastPathComponent()
            }
            candidates.append("/usr/share/bkdiag/job-check.sh")
        }
        for c in candidates {
            if let data = FileManager.default.contents(atPath: c) { return String(decoding: data, as: UTF8.self) }
        }
        if let script {
            throw FleetError("script.missing", "cannot read the script \(script); pass an existing file with --script")
        }
        throw FleetError(
            "script.missing",
            "no JOB wrapper script found (looked for Scripts/job-check.sh beside this binary's checkout and /usr/share/bkdiag/job-check.sh); install the bkdiag package or pass --script FILE"
        )
    }
}
