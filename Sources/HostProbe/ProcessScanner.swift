#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A running process found by a scan: the facts the checks use.
public struct ProcessRecord: Sendable, Equatable {
    public var pid: Int32
    /// `/proc/<pid>/comm` (at most 15 bytes).
    public var comm: String
    /// The resolved executable, without ` (deleted)`; nil when it could not be read.
    public var exe: String?
    /// The executable was replaced or removed on disk after the process started.
    public var exeDeleted: Bool
    /// Why `exe` is nil (permission, process gone).
    public var exeError: String?
    public var cwd: String?
    public var stat: ProcStat?

    /// Base name of the executable, else the comm.
    public var name: String {
        if let exe, let slash = exe.lastIndex(of: "/") { return String(exe[exe.index(after: slash)...]) }
        return exe ?? comm
    }
}

/// Finds processes by executable name by walking `/proc`, never through ps.
public struct ProcessScanner: Sendable {
    public var proc: String

    public init(proc: String = "/proc") { self.proc = proc }

    /// Every pid in `/proc`.
    public func pids() throws(ProbeError) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(1024)
        try Sys.forEachNumericEntry(proc) { out.append($0) }
        return out
    }

    /// Processes whose exe base name is one of `names`; when exe cannot be read (no permission),
    /// the comm decides, compared on its first 15 bytes as the kernel truncates it. One readlink per
    /// pid; only matches are read further. A process that vanishes mid-scan is skipped.
    public func find(names: Set<String>) throws(ProbeError) -> [ProcessRecord] {
        let all = try pids()
        // The walk is one readlink per pid; on a host with thousands of processes it is split over
        // the CPUs (each chunk writes only its own slot).
        let workers = all.count < 512 ? 1 : min(4, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let chunk = (all.count + workers - 1) / max(1, workers)
        let slots = UnsafeMutableBufferPointer<[ProcessRecord]>.allocate(capacity: workers)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        let shared = SlotsBox(slots)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk
            let hi = min(all.count, lo + chunk)
            if lo < hi { shared.slots[w] = scan(all[lo..<hi], names: names) }
        }
        return slots.flatMap { $0 }.sorted { $0.pid < $1.pid }
    }

    private func scan(_ pids: ArraySlice<Int32>, names: Set<String>) -> [ProcessRecord] {
        let shortNames = Set(names.map { String(decoding: Array($0.utf8.prefix(15)), as: UTF8.self) })
        var found: [ProcessRecord] = []
        for pid in pids {
            var exe: String?
            var deleted = false
            var exeError: String?
            do {
                (exe, deleted) = ProcFS.stripDeleted(try Sys.readlink("\(proc)/\(pid)/exe"))
            } catch {
                // ENOENT: a kernel thread, a zombie, or a process that exited mid-scan.
                if error.isMissing { continue }
                exeError = error.description
            }
            if let exe {
                let base = exe.lastIndex(of: "/").map { String(exe[exe.index(after: $0)...]) } ?? exe
                guard names.contains(base) else { continue }
            }
            guard let commRaw = FileReader.procText("\(proc)/\(pid)/comm", limit: 64) else { continue }
            let comm = commRaw.hasSuffix("\n") ? String(commRaw.dropLast()) : commRaw
            if exe == nil && !shortNames.contains(comm) { continue }
            let st = ProcFS.stat(pid: pid, proc: proc)
            if st == nil { continue }  // gone mid-scan
            if st?.state == "Z" { continue }  // a zombie is not running
            let cwd = try? Sys.readlink("\(proc)/\(pid)/cwd")
            found.append(
                ProcessRecord(pid: pid, comm: comm, exe: exe, exeDeleted: deleted, exeError: exeError, cwd: cwd, stat: st))
        }
        return found
    }
}

/// Hands the result slots to the concurrent workers.
private struct SlotsBox: @unchecked Sendable {
    // @unchecked: each worker writes only slot `w`, and the caller reads after concurrentPerform returns.
    let slots: UnsafeMutableBufferPointer<[ProcessRecord]>
    init(_ slots: UnsafeMutableBufferPointer<[ProcessRecord]>) { self.slots = slots }
}
