import Report

/// One host of a JOB step as `get_job_instance_status` lists it.
public struct JobHostStatus: Sendable, Equatable {
    public var hostID: Int64?
    public var cloudID: Int64
    /// The cloud id as AgentChecker's key prints it (Python's `str()`) when it is not a 64-bit integer
    /// (`0.0`, `True`, `"1"`, `99999999999999999999`); nil for an integer or none.
    public var cloudText: String?
    /// IPv4 address, or the IPv6 one for hosts that carry only `ipv6`.
    public var ip: String
    public var status: Int64
    /// What AgentChecker prints for a `status` that is not a plain integer (Python's `str()` of it, unless it
    /// equals one of the codes AgentChecker names: `9.0` is `9`, `True` is `1`); nil for an integer. A status
    /// Python finds unequal to every integer (`"9"`, `null`, `11.5`) is kept as 0: no success, a host JOB did
    /// not describe.
    public var statusText: String?
    public var errorCode: Int64?
    public var exitCode: Int64?
    public var totalTimeMs: Int64?

    public init(
        hostID: Int64? = nil, cloudID: Int64 = 0, ip: String, status: Int64, errorCode: Int64? = nil,
        exitCode: Int64? = nil, totalTimeMs: Int64? = nil
    ) {
        self.hostID = hostID
        self.cloudID = cloudID
        self.ip = ip
        self.status = status
        self.errorCode = errorCode
        self.exitCode = exitCode
        self.totalTimeMs = totalTimeMs
    }

    /// AgentChecker's host key `"{bk_cloud_id}:{ip}"`.
    public var key: String { JobHostKey.make(cloudID: cloudID, ip: ip, hostID: hostID, cloudText: cloudText) }

    /// `key` of the row at `row`, from its members read in place: the getter called on `pointee` copied
    /// the whole row first (retaining and releasing its strings).
    static func key(at row: UnsafePointer<JobHostStatus>) -> String {
        JobHostKey.make(cloudID: row.pointee.cloudID, ip: row.pointee.ip, hostID: row.pointee.hostID, cloudText: row.pointee.cloudText)
    }
}

/// One host's output from `batch_get_job_instance_ip_log`.
public struct JobHostLog: Sendable, Equatable {
    public var hostID: Int64?
    public var cloudID: Int64
    /// As `JobHostStatus.cloudText`.
    public var cloudText: String?
    public var ip: String
    public var content: String
    /// A `log_content` that is not a string (nor null): read as `HostOutputReader.read(logContent:)` reads it.
    public var nonText: JSONValue?

    public init(hostID: Int64? = nil, cloudID: Int64 = 0, ip: String, content: String, nonText: JSONValue? = nil) {
        self.hostID = hostID
        self.cloudID = cloudID
        self.ip = ip
        self.content = content
        self.nonText = nonText
    }

    public var key: String { JobHostKey.make(cloudID: cloudID, ip: ip, hostID: hostID, cloudText: cloudText) }
}

/// Builds host keys the way AgentChecker does.
public enum JobHostKey {
    /// `0:10.0.0.1`; IPv6 hosts use their IPv6 address; hosts known only by id become `0:host-101`. The cloud
    /// id prints as `cloudText` when there is one (`0.0:10.0.0.1`: Python's `str()` of a float, as the platform's
    /// `format` prints it; such a key is another host than `0:10.0.0.1` there too).
    public static func make(cloudID: Int64, ip: String, hostID: Int64?, cloudText: String? = nil) -> String {
        if cloudText == nil && !ip.isEmpty { return withAddress(cloudID: cloudID, ip: ip) }
        let cloud = cloudText ?? String(cloudID)
        if !ip.isEmpty { return cloud + ":" + ip }
        if let id = hostID { return "\(cloud):host-\(id)" }
        return cloud + ":?"
    }

    /// `<cloud id>:<ip>`, written into one buffer and made a `String` once: every host of a status answer
    /// and of the log pages has its key made, and two concatenations (a `String` of the id, then the rest)
    /// took some 300 instructions a key.
    static func withAddress(cloudID: Int64, ip: String) -> String {
        var ip = ip
        return ip.withUTF8 { address in
            // An Int64 prints in at most 20 bytes.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21 + address.count) { out in
                var digits = 0
                var v = cloudID.magnitude
                repeat {
                    out[20 - digits] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                    digits += 1
                    v /= 10
                } while v > 0
                var start = 21 - digits
                if cloudID < 0 {
                    start -= 1
                    out[start] = UInt8(ascii: "-")
                }
                let n = 21 - start
                for k in 0..<n { out[k] = out[start + k] }
                out[n] = UInt8(ascii: ":")
                for k in address.indices { out[n + 1 + k] = address[k] }
                return String(decoding: UnsafeBufferPointer(rebasing: out[0..<(n + 1 + address.count)]), as: UTF8.self)
            }
        }
    }
}

/// A `get_job_instance_status` answer (its `data`).
public struct JobStatusAnswer: Sendable, Equatable {
    public var finished: Bool
    public var jobInstanceID: Int64?
    public var jobStatus: Int64?
    public var steps: [Step]

    public struct Step: Sendable, Equatable {
        public var stepInstanceID: Int64?
        public var status: Int64?
        public var hosts: [JobHostStatus]

        public init(stepInstanceID: Int64?, status: Int64?, hosts: [JobHostStatus]) {
            self.stepInstanceID = stepInstanceID
            self.status = status
            self.hosts = hosts
        }
    }

    public init(finished: Bool, jobInstanceID: Int64? = nil, jobStatus: Int64? = nil, steps: [Step]) {
        self.finished = finished
        self.jobInstanceID = jobInstanceID
        self.jobStatus = jobStatus
        self.steps = steps
    }

    /// The step with the given id (the last such, as AgentChecker's loop, which does not stop at a match,
    /// keeps), else the first step that lists hosts.
    public func step(_ id: Int64?) -> Step? {
        if let id, let s = steps.last(where: { $0.stepInstanceID == id }) { return s }
        return steps.first(where: { !$0.hosts.isEmpty }) ?? steps.first
    }
}

/// A `batch_get_job_instance_ip_log` page (its `data`).
public struct JobLogPage: Sendable, Equatable {
    public var jobInstanceID: Int64?
    public var stepInstanceID: Int64?
    /// A `step_instance_id` Python finds equal to no integer (`"75"`, `7.5`): no step of a status answer has it.
    public var stepIDMatchesNoStep = false
    public var logs: [JobHostLog]

    public init(jobInstanceID: Int64? = nil, stepInstanceID: Int64? = nil, logs: [JobHostLog]) {
        self.jobInstanceID = jobInstanceID
        self.stepInstanceID = stepInstanceID
        self.logs = logs
    }
}

/// A `fast_execute_script` answer (its `data`).
public struct JobExecuteAnswer: Sendable, Equatable {
    public var jobInstanceID: Int64
    public var stepInstanceID: Int64?
    public var name: String
    /// As `JobLogPage.stepIDMatchesNoStep`.
    public var stepIDMatchesNoStep = false
}

/// One JSON document read from a file or from JOB, recognised by shape.
public enum JobAnswer: Sendable, Equatable {
    case status(JobStatusAnswer)
    case logs(JobLogPage)
    case execute(JobExecuteAnswer)
    case gse([GSEAgentRecord])
    /// A wrapped answer with `result: false`: JOB's `code` and `message`, and the code as the platform prints it.
    case failure(code: Int64?, message: String, codeText: String? = nil)

    /// Recognises a JOB answer with or without the `{"result","code","message","data"}` wrapper.
    /// Wrong types inside are reported with the JSON path of the offending member.
    /// `captured`: the rows of `step_ip_result_list` lists a scan read itself (`ScannedDocument`).
    public static func recognise(_ json: JSONValue, source: String, captured: [[JobHostStatus]] = []) throws(FleetError) -> JobAnswer {
        guard case .object = json else {
            throw FleetError(
                "input.shape",
                "\(source): the document is not a JSON object; pass a JOB answer (get_job_instance_status, batch_get_job_instance_ip_log) or its data"
            )
        }
        let (refused, data) = envelope(json)
        if refused {
            // The message as the platform prints it (Python's str(): an absent one is None).
            let refusal = JobRefusal(answer: json)
            return .failure(code: refusal.code, message: refusal.message, codeText: refusal.codeText)
        }
        if data["step_instance_list"] != nil || data["finished"] != nil {
            return .status(try parseStatus(data, source: source, captured: captured))
        }
        if data["script_task_logs"] != nil {
            return .logs(try parseLogs(data, source: source))
        }
        if let id = data["job_instance_id"]?.intValue, data["job_instance_name"] != nil || data["step_instance_id"] != nil {
            let step = stepID(data["step_instance_id"])
            return .execute(
                JobExecuteAnswer(
                    jobInstanceID: id, stepInstanceID: step.id, name: data["job_instance_name"]?.stringValue ?? "",
                    stepIDMatchesNoStep: step.matchesNone))
        }
        if let gse = GSEAgentRecord.parse(data) { return .gse(gse) }
        throw FleetError(
            "input.shape",
            "\(source): not a JOB answer this tool knows (no step_instance_list, script_task_logs or job_instance_id in data); pass get_job_instance_status or batch_get_job_instance_ip_log answers"
        )
    }

    /// Whether `json` is read as the `{"result","code","message","data"}` wrapper (else it is the data itself).
    static func isWrapped(_ json: JSONValue) -> Bool {
        json["result"] != nil || (json["data"] != nil && json["code"] != nil)
    }

    /// JOB's envelope `{result, code, message, data}`, read the same way for answers `run` receives and files
    /// `parse` reads: whether it refuses (a `result` Python finds false, as the platform's `if not result`; or,
    /// without `result`, an API gateway's own error: a non-zero `code` with a `message`, as in
    /// `{"code": 1306000, "message": "app auth failed", "data": null}`), and the answer's data (the document
    /// itself when it has no envelope).
    public static func envelope(_ json: JSONValue) -> (refused: Bool, data: JSONValue) {
        let refused =
            json["result"].map { !JSONValue.isTruthy($0) }
            ?? ((json["code"]?.intValue).map { $0 != 0 } == true && json["message"] != nil)
        return (refused, isWrapped(json) ? (json["data"] ?? .null) : json)
    }

    /// One row of `step_ip_result_list`.
    static func hostStatus(_ h: HostMembers) -> JobHostStatus {
        // A host row without any address or id, or without a status, cannot be judged; it is kept
        // with status 0 so it shows up as a host JOB did not describe.
        let host = hostFields(h)
        var row = JobHostStatus(
            hostID: host.hostID, cloudID: host.cloudID, ip: host.ip, status: 0, errorCode: h.errorCode?.intValue,
            exitCode: h.exitCode?.intValue, totalTimeMs: h.totalTime?.intValue)
        row.cloudText = host.cloudText
        // AgentChecker compares the value itself with 9 and looks it up in its labels: a string of digits is
        // no code there.
        switch h.status {
        case .int(let i)?: row.status = i
        case let v?:
            if let i = pythonInteger(v) {
                row.status = i
                if JobStatusLabels.agentChecker[i] == nil { row.statusText = PythonText.str(v) }
            } else {
                row.statusText = PythonText.str(v)
            }
        case nil: break
        }
        return row
    }

    /// The integer Python finds `v` equal to: an integer, a float without a fraction (`9.0 == 9`), a boolean
    /// (`True == 1`); nil for anything else (a string of digits equals no integer).
    static func pythonInteger(_ v: JSONValue) -> Int64? {
        switch v {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        case .double(let d): d.rounded(.towardZero) == d && abs(d) < 9.2e18 ? Int64(d) : nil
        default: nil
        }
    }

    /// The value a scan leaves where it read a `step_ip_result_list` into rows itself (`captured[k]`). A
    /// parsed big integer only ever holds digits, so no input can make one.
    static func captureMarker(_ k: Int) -> JSONValue { .bigInt("captured-rows:\(k)") }

    static func capturedIndex(_ v: JSONValue) -> Int? {
        guard case .bigInt(let tag) = v, tag.hasPrefix("captured-rows:") else { return nil }
        return Int(tag.dropFirst("captured-rows:".count))
    }

    static func parseStatus(_ data: JSONValue, source: String, captured: [[JobHostStatus]] = []) throws(FleetError) -> JobStatusAnswer {
        let job = data["job_instance"]
        var steps: [JobStatusAnswer.Step] = []
        let list = data["step_instance_list"] ?? .array([])
        guard let stepValues = list.arrayValue ?? (list == .null ? [] : nil) else {
            throw FleetError(
                "input.type",
                "\(source): data.step_instance_list is not a list; the file is not a get_job_instance_status answer or is damaged")
        }
        for (si, s) in stepValues.enumerated() {
            guard case .object = s else {
                throw FleetError("input.type", "\(source): data.step_instance_list[\(si)] is not an object")
            }
            var hosts: [JobHostStatus] = []
            let hv = s["step_ip_result_list"] ?? .array([])
            guard let hostValues = hv.arrayValue ?? (hv == .null || capturedIndex(hv) != nil ? [] : nil) else {
                throw FleetError("input.type", "\(source): data.step_instance_list[\(si)].step_ip_result_list is not a list")
            }
            if let k = capturedIndex(hv), k < captured.count {
                hosts = captured[k]
            } else {
                hosts.reserveCapacity(hostValues.count)
                for h in hostValues { hosts.append(hostStatus(HostMembers(h))) }
            }
            // Compared with the step that ran as AgentChecker compares them (`==`): "75" is not step 75.
            steps.append(.init(stepInstanceID: s["step_instance_id"].flatMap(pythonInteger), status: s["status"]?.intValue, hosts: hosts))
        }
        // AgentChecker's `if not result.get("finished")`: Python's truth of the value; absent is not finished.
        let finished = data["finished"].map(JSONValue.isTruthy) ?? false
        return JobStatusAnswer(
            finished: finished, jobInstanceID: job?["job_instance_id"]?.intValue,
            jobStatus: job?["status"]?.intValue, steps: steps)
    }

    static func parseLogs(_ data: JSONValue, source: String) throws(FleetError) -> JobLogPage {
        let lv = data["script_task_logs"] ?? .null
        guard let list = lv.arrayValue ?? (lv == .null ? [] : nil) else {
            throw FleetError(
                "input.type",
                "\(source): data.script_task_logs is not a list; the file is not a batch_get_job_instance_ip_log answer or is damaged")
        }
        var logs: [JobHostLog] = []
        logs.reserveCapacity(list.count)
        for l in list {
            let (hostID, cloudID, ip, cloudText) = hostFields(HostMembers(l))
            var log = JobHostLog(hostID: hostID, cloudID: cloudID, ip: ip, content: "")
            log.cloudText = cloudText
            switch l["log_content"] {
            case .string(let s)?: log.content = s
            case nil, .null?: break
            case let other?: log.nonText = other
            }
            logs.append(log)
        }
        let step = stepID(data["step_instance_id"])
        var page = JobLogPage(jobInstanceID: data["job_instance_id"]?.intValue, stepInstanceID: step.id, logs: logs)
        page.stepIDMatchesNoStep = step.matchesNone
        return page
    }

    /// The step that ran, as a log page or an execute answer names it, compared with the status answer's steps
    /// as AgentChecker compares them (`==`): the integer Python finds it equal to (`75`, `75.0`, `true` is 1);
    /// a value equal to no integer (`"75"`, `7.5`) matches no step; none or null names no step.
    static func stepID(_ v: JSONValue?) -> (id: Int64?, matchesNone: Bool) {
        guard let v, v != .null else { return (nil, false) }
        if let i = pythonInteger(v) { return (i, false) }
        return (nil, true)
    }

    /// The host id, cloud id and address of a `script_task_logs` entry or a status row: the address is
    /// `ip`, else `ipv6`, the id `bk_host_id`, else `host_id`; the cloud id's `str()` when it is not an integer.
    static func hostFields(_ h: HostMembers) -> (hostID: Int64?, cloudID: Int64, ip: String, cloudText: String?) {
        var ip = ""
        if let v = h.ip?.stringValue, !v.isEmpty {
            ip = v
        } else if let v = h.ipv6?.stringValue, !v.isEmpty {
            ip = v
        }
        var cloudText: String?
        switch h.cloudID {
        case nil, .int?: break
        case let v?: cloudText = PythonText.str(v)
        }
        return (h.bkHostID?.intValue ?? h.hostID?.intValue, h.cloudID?.intValue ?? 0, ip, cloudText)
    }

}

/// The members of a status row or a log element that JOB's host is read from (`JobAnswer.hostStatus`,
/// `hostFields`): of a repeated name the last value counts, as in the tree.
struct HostMembers {
    var ip, ipv6, bkHostID, hostID, cloudID, status, errorCode, exitCode, totalTime: JSONValue?

    init() {}

    /// The members of a tree (none when it is not an object).
    init(_ v: JSONValue) {
        ip = v["ip"]
        ipv6 = v["ipv6"]
        bkHostID = v["bk_host_id"]
        hostID = v["host_id"]
        cloudID = v["bk_cloud_id"]
        status = v["status"]
        errorCode = v["error_code"]
        exitCode = v["exit_code"]
        totalTime = v["total_time"]
    }

    /// The members kept, by name.
    enum Field {
        case ip, ipv6, bkHostID, hostID, cloudID, status, errorCode, exitCode, totalTime

        /// The member a plain name (no escape) names; nil for any other. Told by its length, then by its
        /// first and last bytes read as two words (`words`): 100,000 rows of nine members each went through
        /// every name in turn, and then through a byte loop per name.
        @inline(__always) init?(_ k: UnsafeBufferPointer<UInt8>) {
            let (first, last) = Self.words(k)
            switch (k.count, first, last) {
            case (2, 0x7069, _): self = .ip
            case (4, 0x3676_7069, _): self = .ipv6
            case (6, 0x7461_7473, 0x7375_7461): self = .status
            case (7, 0x7473_6F68, 0x6469_5F74): self = .hostID
            case (9, 0x646F_635F_7469_7865, 0x6564_6F63_5F74_6978): self = .exitCode
            case (10, 0x5F74_736F_685F_6B62, 0x6469_5F74_736F_685F): self = .bkHostID
            case (10, 0x6F63_5F72_6F72_7265, 0x6564_6F63_5F72_6F72): self = .errorCode
            case (10, 0x6974_5F6C_6174_6F74, 0x656D_6974_5F6C_6174): self = .totalTime
            case (11, 0x6475_6F6C_635F_6B62, 0x6469_5F64_756F_6C63): self = .cloudID
            default: return nil
            }
        }

        /// Whether a plain name is `log_content`.
        @inline(__always) static func isLogContent(_ k: UnsafeBufferPointer<UInt8>) -> Bool {
            k.count == 11 && words(k) == (0x746E_6F63_5F67_6F6C, 0x746E_6574_6E6F_635F)
        }

        /// A name's first and last bytes as two little-endian words that overlap when the name is short:
        /// its first and last eight bytes (four from 4 to 7 bytes, two from 2 to 3, the byte itself for one,
        /// zero for none). With the length, they tell names of up to 16 bytes apart exactly.
        @inline(__always) static func words(_ k: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
            guard let base = k.baseAddress else { return (0, 0) }
            let raw = UnsafeRawPointer(base)
            let n = k.count
            if n >= 8 {
                return (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
            }
            if n >= 4 {
                return (
                    UInt64(raw.loadUnaligned(as: UInt32.self)), UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
                )
            }
            if n >= 2 {
                return (
                    UInt64(raw.loadUnaligned(as: UInt16.self)), UInt64(raw.loadUnaligned(fromByteOffset: n &- 2, as: UInt16.self))
                )
            }
            return n == 1 ? (UInt64(base[0]), UInt64(base[0])) : (0, 0)
        }

        /// The member `name` names (escapes read); nil for any other.
        init?(_ name: JSONKey) {
            if case .bytes(let k) = name {
                self.init(k)
                return
            }
            switch name {
            case "ip": self = .ip
            case "ipv6": self = .ipv6
            case "bk_host_id": self = .bkHostID
            case "host_id": self = .hostID
            case "bk_cloud_id": self = .cloudID
            case "status": self = .status
            case "error_code": self = .errorCode
            case "exit_code": self = .exitCode
            case "total_time": self = .totalTime
            default: return nil
            }
        }
    }

    /// Sets member `f` (a repeated name's last value counts).
    @inline(__always) mutating func set(_ f: Field, _ v: JSONValue) {
        switch f {
        case .ip: ip = v
        case .ipv6: ipv6 = v
        case .bkHostID: bkHostID = v
        case .hostID: hostID = v
        case .cloudID: cloudID = v
        case .status: status = v
        case .errorCode: errorCode = v
        case .exitCode: exitCode = v
        case .totalTime: totalTime = v
        }
    }

    /// Keeps the value `read` gives when `name` is one of these members; false, nothing read, otherwise.
    @inline(__always) mutating func keep<E: Error>(_ name: JSONKey, _ read: () throws(E) -> JSONValue) throws(E) -> Bool {
        guard let f = Field(name) else { return false }
        set(f, try read())
        return true
    }
}
