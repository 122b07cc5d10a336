import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

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
    /// argv as the process shows it now (read for matches only); empty when unreadable.
    public var arguments: [String] = []
    /// For a zombie, whose exe and cwd went with its memory: where its parent runs from, which is
    /// all that places it under a root.
    public var parentExe: String?
    public var parentCwd: String?

    /// Exited but not yet reaped by its parent (state Z): not running.
    public var isZombie: Bool { stat?.state == "Z" }
    /// Stopped by a signal (T: SIGSTOP, SIGTSTP) or by a tracer (t): alive, but runs nothing.
    public var isStopped: Bool { stat?.state == "T" || stat?.state == "t" }

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

    /// Processes whose exe base name is one of `names`; when exe cannot be read (no permission), or its
    /// base name only begins with one of `names` (`gse_agent.bak`, `gse_agent-2.1.5`), the comm decides,
    /// compared on its first 15 bytes as the kernel truncates it. One readlinkat
    /// per pid, relative to an open `/proc` and into one reused buffer, with the base name compared
    /// as bytes: on a host with thousands of processes nothing is allocated for the ones that don't
    /// match. Only matches are read further. A process that vanishes mid-scan is skipped.
    ///
    /// The readlinks are kernel work (a path walk, a ptrace access check and a d_path per pid, about
    /// 4 µs each), so with more than `parallelAbove` pids they are split across up to `maxThreads`
    /// threads (below that, one thread is faster than waking others).
    ///
    /// `includeZombies` also returns zombies whose comm matches (their exe link is gone, so each
    /// pid without one costs a read of its stat): a collector that exited unreaped is a finding.
    public func find(
        names: Set<String>, includeZombies: Bool = false, maxThreads: Int = 2, parallelAbove: Int = 1024
    ) throws(ProbeError) -> [ProcessRecord] {
        let procFD = try Sys.openDirectory(proc)
        defer { Sys.closeQuietly(procFD) }
        let all = try pids()
        let matcher = Matcher(names: names, includeZombies: includeZombies)
        let chunks = all.count > parallelAbove ? max(1, min(maxThreads, 8, all.count)) : 1
        if chunks == 1 { return scan(all[...], procFD: procFD, matcher: matcher).sorted { $0.pid < $1.pid } }
        let per = (all.count + chunks - 1) / chunks
        let results = Mutex<[[ProcessRecord]]>(Array(repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            // With few pids the last chunks can be empty (5 pids in 4 chunks of 2).
            let part = all[min(all.count, c * per)..<min(all.count, (c + 1) * per)]
            let found = scan(part, procFD: procFD, matcher: matcher)
            results.withLock { $0[c] = found }
        }
        return results.withLock { $0.flatMap { $0 } }.sorted { $0.pid < $1.pid }
    }

    /// The names a scan looks for, as bytes and as the kernel's 15-byte comm.
    struct Matcher: Sendable {
        let wanted: [[UInt8]]
        let shortNames: Set<String>
        let includeZombies: Bool

        init(names: Set<String>, includeZombies: Bool = false) {
            self.includeZombies = includeZombies
            wanted = names.map { Array($0.utf8) }
            shortNames = Set(names.map { String(decoding: Array($0.utf8.prefix(15)), as: UTF8.self) })
        }
    }

    /// Scans `pids` and returns the matches.
    func scan(_ pids: ArraySlice<Int32>, procFD: Int32, matcher: Matcher) -> [ProcessRecord] {
        let capacity = Int(PATH_MAX)
        let target = UnsafeMutableBufferPointer<CChar>.allocate(capacity: capacity + 1)
        defer { target.deallocate() }
        let relative = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 32)
        defer { relative.deallocate() }
        let deletedSuffix = Array(ProcFS.deletedSuffix.utf8)

        var found: [ProcessRecord] = []
        for pid in pids {
            Self.writeRelativePath(pid: pid, leaf: "exe", into: relative)
            let (n, linkErrno) = Sys.readlinkAt(procFD, relative.baseAddress!, into: target.baseAddress!, capacity: capacity)
            var exe: String?
            var deleted = false
            var exeError: String?
            /// The exe's name only begins with a wanted one: the comm decides.
            var commMustMatch = false
            if n >= 0 {
                let bytes = UnsafeRawBufferPointer(start: target.baseAddress!, count: n)
                var end = n
                if n >= deletedSuffix.count && bytes[(n - deletedSuffix.count)..<n].elementsEqual(deletedSuffix) {
                    end -= deletedSuffix.count
                    deleted = true
                }
                var slash = end
                while slash > 0 && bytes[slash - 1] != UInt8(ascii: "/") { slash -= 1 }
                let base = bytes[slash..<end]
                if !matcher.wanted.contains(where: { $0.elementsEqual(base) }) {
                    // A name that only begins with a wanted one (`gse_agent.bak`: the binary renamed by an
                    // upgrade while it ran; `gse_agent-2.1.5`: a versioned file the wanted name links to) is
                    // the program when its comm, which keeps the name it was started by, says so.
                    guard matcher.wanted.contains(where: { base.count > $0.count && base.starts(with: $0) }) else { continue }
                    commMustMatch = true
                }
                exe = String(decoding: bytes[0..<end], as: UTF8.self)
            } else {
                let error = ProbeError(call: "readlink", path: "\(proc)/\(pid)/exe", errno: linkErrno)
                // ENOENT: a kernel thread, a zombie, or a process that exited mid-scan.
                if error.isMissing {
                    if matcher.includeZombies, let z = zombie(pid, matcher: matcher) { found.append(z) }
                    continue
                }
                exeError = error.description
            }
            guard let commRaw = FileReader.procText("\(proc)/\(pid)/comm", limit: 64) else { continue }
            let comm = commRaw.hasSuffix("\n") ? String(commRaw.dropLast()) : commRaw
            if (exe == nil || commMustMatch) && !matcher.shortNames.contains(comm) { continue }
            let st = ProcFS.stat(pid: pid, proc: proc)
            if st == nil { continue }  // gone mid-scan
            if st?.state == "Z" { continue }  // a zombie is not running
            let cwd = try? Sys.readlink("\(proc)/\(pid)/cwd")
            found.append(
                ProcessRecord(
                    pid: pid, comm: comm, exe: exe, exeDeleted: deleted, exeError: exeError, cwd: cwd, stat: st,
                    arguments: ProcFS.arguments(pid: pid, proc: proc) ?? []))
        }
        return found
    }

    /// A zombie whose comm is wanted, placed by its parent's exe and cwd; nil for anything else.
    func zombie(_ pid: Int32, matcher: Matcher) -> ProcessRecord? {
        guard let st = ProcFS.stat(pid: pid, proc: proc), st.state == "Z", matcher.shortNames.contains(st.comm) else { return nil }
        let parent = "\(proc)/\(st.ppid)"
        return ProcessRecord(
            pid: pid, comm: st.comm, exe: nil, exeDeleted: false, exeError: "zombie (state Z)", cwd: nil, stat: st,
            parentExe: (try? Sys.readlink(parent + "/exe")).map { ProcFS.stripDeleted($0).path },
            parentCwd: try? Sys.readlink(parent + "/cwd"))
    }

    /// Writes `<pid>/<leaf>` as a C string into `buffer` (32 bytes: a pid has at most 10 digits).
    static func writeRelativePath(pid: Int32, leaf: StaticString, into buffer: UnsafeMutableBufferPointer<CChar>) {
        var v = UInt32(bitPattern: pid)
        var digits = 0
        var probe = v
        repeat { digits += 1; probe /= 10 } while probe > 0
        for k in stride(from: digits - 1, through: 0, by: -1) {
            buffer[k] = CChar(bitPattern: UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        }
        var i = digits
        buffer[i] = CChar(bitPattern: UInt8(ascii: "/"))
        i += 1
        leaf.withUTF8Buffer { for b in $0 where i < buffer.count - 1 { buffer[i] = CChar(bitPattern: b); i += 1 } }
        buffer[i] = 0
    }
}
