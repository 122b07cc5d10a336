#if canImport(Glibc)
    import Glibc
#endif

/// One line of `/proc/<pid>/cgroup`: `hierarchy-ID:controller-list:path` (cgroup v2: `0::path`).
public struct CgroupMembership: Sendable, Equatable {
    public var hierarchyID: Int
    public var controllers: [String]
    public var path: String

    public init(hierarchyID: Int, controllers: [String], path: String) {
        self.hierarchyID = hierarchyID
        self.controllers = controllers
        self.path = path
    }
}

/// A cgroup file system mount from `/proc/self/mountinfo`.
public struct CgroupMount: Sendable, Equatable {
    /// 1 for `cgroup`, 2 for `cgroup2`.
    public var version: Int
    /// The controllers a v1 mount carries (from its super options); empty for v2.
    public var controllers: [String]
    /// The directory of the hierarchy this mount shows (`/` unless the mount is of a sub-tree, as in a container).
    public var root: String
    public var mountPoint: String
}

/// What the kernel applies to a process through its cgroups: CPU quota and throttling, memory limit
/// and OOM kills. `nil` fields were not readable or not provided by this kernel (e.g. v1
/// `memory.oom_control` counts `oom_kill` only since Linux 4.13).
public struct CgroupState: Sendable, Equatable {
    public var version: Int
    /// The cgroup paths (within their hierarchies) the process is in, for the evidence.
    public var cpuPath: String?
    public var memoryPath: String?
    /// CPU quota per period in microseconds; nil = no quota ("max" / -1).
    public var cpuQuotaMicros: Int64?
    public var cpuPeriodMicros: Int64?
    /// Memory limit in bytes; nil = no limit.
    public var memoryLimitBytes: Int64?
    public var memoryUsageBytes: Int64?
    /// `cpu.stat`: enforcement periods, periods throttled, time throttled (µs).
    public var periods: UInt64?
    public var throttledPeriods: UInt64?
    public var throttledMicros: UInt64?
    /// OOM kills in this cgroup (`memory.events` oom_kill, v1 `memory.oom_control` oom_kill).
    public var oomKills: UInt64?

    public init(version: Int) { self.version = version }

    /// A CPU limit in cores (quota / period), nil without a quota.
    public var cpuCores: Double? {
        guard let q = cpuQuotaMicros, let p = cpuPeriodMicros, p > 0 else { return nil }
        return Double(q) / Double(p)
    }
}

public enum Cgroup {
    /// Parses `/proc/<pid>/cgroup`; malformed lines are skipped.
    public static func parseMemberships(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]), parts[2].hasPrefix("/") else { return nil }
            let controllers = parts[1].split(separator: ",").map(String.init)
            return CgroupMembership(hierarchyID: id, controllers: controllers, path: String(parts[2]))
        }
    }

    /// The cgroup mounts listed in a mountinfo text (`id parent maj:min root mountpoint opts [tags] - fstype source superopts`).
    /// Paths are unescaped (`\040` for a space).
    public static func parseMounts(_ text: String) -> [CgroupMount] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 3 <= fields.count else { return nil }
            let fstype = fields[dash + 1]
            let root = unescape(fields[3])
            let point = unescape(fields[4])
            switch fstype {
            case "cgroup2":
                return CgroupMount(version: 2, controllers: [], root: root, mountPoint: point)
            case "cgroup":
                let known: Set<Substring> = ["rw", "ro"]
                let options = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",") : []
                let controllers = options.filter { !known.contains($0) && !$0.contains("=") }.map(String.init)
                return CgroupMount(version: 1, controllers: controllers, root: root, mountPoint: point)
            default:
                return nil
            }
        }
    }

    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 0x5C, i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return PathBytes.string(bytes)
    }

    /// The directory of `membership` under `mount`, or nil when the process's cgroup is outside what the mount shows.
    static func directory(_ membership: CgroupMembership, _ mount: CgroupMount) -> String? {
        let root = mount.root == "/" ? "" : mount.root
        guard root.isEmpty || membership.path == root || membership.path.hasPrefix(root + "/") else { return nil }
        let rest = membership.path.dropFirst(root.count)
        return mount.mountPoint + (rest == "/" ? "" : String(rest))
    }

    /// The state of the cgroups in `cgroupText` (a `/proc/<pid>/cgroup`), reading their files under the
    /// mounts in `mountinfoText`. A process only in the v2 hierarchy is read as v2; otherwise the v1
    /// `cpu` and `memory` controllers are read. Throws when the process has no cgroup to read at all.
    public static func state(cgroupText: String, mountinfoText: String) throws(ProbeError) -> CgroupState {
        let members = parseMemberships(cgroupText)
        let mounts = parseMounts(mountinfoText)
        let v1 = members.filter { $0.hierarchyID != 0 && !$0.controllers.isEmpty }
        func v1Dir(_ controller: String) -> (path: String, dir: String)? {
            guard let m = v1.first(where: { $0.controllers.contains(controller) }),
                let mount = mounts.first(where: { $0.version == 1 && $0.controllers.contains(controller) }),
                let dir = directory(m, mount)
            else { return nil }
            return (m.path, dir)
        }
        let cpu1 = v1Dir("cpu")
        let mem1 = v1Dir("memory")
        if cpu1 != nil || mem1 != nil {
            var s = CgroupState(version: 1)
            if let cpu = cpu1 {
                s.cpuPath = cpu.path
                let quota = number(cpu.dir + "/cpu.cfs_quota_us")
                s.cpuQuotaMicros = quota.flatMap { $0 > 0 ? $0 : nil }
                s.cpuPeriodMicros = number(cpu.dir + "/cpu.cfs_period_us")
                let stat = keyed(cpu.dir + "/cpu.stat")
                s.periods = stat["nr_periods"]
                s.throttledPeriods = stat["nr_throttled"]
                s.throttledMicros = stat["throttled_time"].map { $0 / 1000 }
            }
            if let mem = mem1 {
                s.memoryPath = mem.path
                // "No limit" is PAGE_COUNTER_MAX pages rounded down to the page size: far beyond any memory.
                s.memoryLimitBytes = number(mem.dir + "/memory.limit_in_bytes").flatMap { $0 < (1 << 60) ? $0 : nil }
                s.memoryUsageBytes = number(mem.dir + "/memory.usage_in_bytes")
                s.oomKills = keyed(mem.dir + "/memory.oom_control")["oom_kill"]
            }
            return s
        }
        guard let m2 = members.first(where: { $0.hierarchyID == 0 && $0.controllers.isEmpty }),
            let mount = mounts.first(where: { $0.version == 2 }), let dir = directory(m2, mount)
        else {
            throw ProbeError(call: "cgroup", path: "no cpu/memory cgroup mounted for this process", errno: ENOENT)
        }
        var s = CgroupState(version: 2)
        s.cpuPath = m2.path
        s.memoryPath = m2.path
        if let max = FileReader.procText(dir + "/cpu.max", limit: 256) {
            let parts = max.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if parts.count >= 2 {
                s.cpuQuotaMicros = Int64(parts[0])
                s.cpuPeriodMicros = Int64(parts[1])
            }
        }
        let stat = keyed(dir + "/cpu.stat")
        s.periods = stat["nr_periods"]
        s.throttledPeriods = stat["nr_throttled"]
        s.throttledMicros = stat["throttled_usec"]
        s.memoryLimitBytes = number(dir + "/memory.max")
        s.memoryUsageBytes = number(dir + "/memory.current")
        s.oomKills = keyed(dir + "/memory.events")["oom_kill"]
        return s
    }

    /// Reads the live state of a process's cgroups (`/proc/<pid>/cgroup`, `/proc/self/mountinfo`).
    public static func state(pid: Int32, proc: String = "/proc") throws(ProbeError) -> CgroupState {
        let cg = try FileReader.read("\(proc)/\(pid)/cgroup", limit: 64 * 1024).text
        let mounts = try FileReader.read("\(proc)/self/mountinfo", limit: 4 << 20).text
        return try state(cgroupText: cg, mountinfoText: mounts)
    }

    /// A file holding one integer (nil for "max", missing or malformed).
    static func number(_ path: String) -> Int64? {
        guard let t = FileReader.procText(path, limit: 256) else { return nil }
        return Int64(t.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
    }

    /// A file of `key value` lines.
    static func keyed(_ path: String) -> [String: UInt64] {
        guard let t = FileReader.procText(path, limit: 16 * 1024) else { return [:] }
        var out: [String: UInt64] = [:]
        for line in t.split(separator: "\n") {
            let kv = line.split(separator: " ")
            if kv.count == 2, let v = UInt64(kv[1]) { out[String(kv[0])] = v }
        }
        return out
    }
}
