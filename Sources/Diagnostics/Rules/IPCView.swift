import HostProbe

/// The IPC unix socket as the kernel sees it: its listener and the connections the agent accepted.
struct IPCView {
    var path: String
    var listener: UnixDiagEntry?
    /// Agent-side (accepted) connections: they carry the listener's name; their receive queue is
    /// what the agent has not read yet.
    var accepted: [UnixDiagEntry]
    var byInode: [UInt64: UnixDiagEntry]
    /// Listening sockets bound to the name. More than one when the path was unlinked and bound again (two
    /// installs naming one IPC path: NodeMan renders `/var/run/ipc.state.report` for GSE 1's `dataipc` and
    /// GSE 2's `data.ipc` alike): a connection any of them accepted carries the name (`HostFacts.ipcView`).
    var namedListeners = 0

    /// Builds the view from a sock_diag dump, matching by the socket file's inode (`stat`: robust to
    /// `/var/run` → `/run` symlinks) or by the bound name.
    static func build(path: String, stat: Result<FileStat, ProbeError>, entries: [UnixDiagEntry]) -> IPCView {
        let st = try? stat.get()
        let norm = PathText.normalize(path)
        func isFile(_ e: UnixDiagEntry) -> Bool { st.map { $0.isSocket && e.vfsInode != 0 && e.vfsInode == $0.inode } ?? false }
        func isIPC(_ e: UnixDiagEntry) -> Bool {
            if isFile(e) { return true }
            return !e.name.isEmpty && !e.name.hasPrefix("@") && PathText.normalize(e.name) == norm
        }
        var listener: UnixDiagEntry?
        var accepted: [UnixDiagEntry] = []
        var byInode: [UInt64: UnixDiagEntry] = [:]
        var named = 0
        for e in entries {
            byInode[e.inode] = e
            guard isIPC(e) else { continue }
            if e.isListening {
                named += 1
                // Two listeners bound to the name (one whose file was unlinked and bound again by another
                // socket): the one the file on disk leads to is where a connect() lands.
                if listener.map({ !isFile($0) }) ?? true { listener = e }
            } else if e.isEstablished {
                accepted.append(e)
            }
        }
        return IPCView(path: path, listener: listener, accepted: accepted, byInode: byInode, namedListeners: named)
    }

    /// Accepted connections whose peer is one of `inodes` (e.g. the collector's sockets).
    func connections(from inodes: some Collection<UInt64>) -> [UnixDiagEntry] {
        let set = Set(inodes)
        return accepted.filter { set.contains($0.peerInode) }
    }
}

extension HostFacts {
    /// The IPC socket at `path` from a sock_diag dump, its connections those of this root's agents: where more
    /// than one listener is bound to the name, a connection another listener accepted (another install's agent,
    /// its file unlinked by this one's) carries the name too, and is left out when the fds of this root's
    /// agents tell which connections they hold. Unchanged when the name is not shared, no agent runs under the
    /// root, or an agent's fds cannot be read (not root).
    func ipcView(path: String, stat: Result<FileStat, ProbeError>, entries: [UnixDiagEntry]) -> IPCView {
        var view = IPCView.build(path: path, stat: stat, entries: entries)
        guard view.namedListeners > 1, case .success(let found) = agents() else { return view }
        let pids = found.under.filter(\.isAgent).map(\.pid)
        guard !pids.isEmpty else { return view }
        let (held, unreadable) = socketInodes(of: pids)
        guard unreadable.isEmpty else { return view }
        view.accepted = view.accepted.filter { held[$0.inode] != nil }
        return view
    }

    /// The IPC socket seen again after the queue sampling interval, when `view` showed connections waiting
    /// in the listener's backlog (one may be on its way in); nil when none waited, or the socket tables
    /// cannot be read again.
    func ipcSecondLook(after view: IPCView) -> IPCView? {
        guard let pending = view.listener?.receiveQueue, pending > 0 else { return nil }
        Sys.sleep(seconds: Double(max(0, options.queueSampleIntervalMs)) / 1000)
        guard case .success(let again) = unixDiagResample() else { return nil }
        return ipcView(path: view.path, stat: ipcSocketStat, entries: again)
    }

    /// The agent's own IPC path (its config's `dataipc`/`data.ipc`) when it is not `path`, nothing listens
    /// on `path` and something listens there: the collector's endpoint, not the agent, is then wrong.
    /// Nil when the socket tables cannot be read.
    func agentListensElsewhere(than path: String) -> String? {
        guard let agentIPC = layout.agentIPCPath else { return nil }
        return listensElsewhere(than: path, at: [agentIPC])
    }

    /// The agent's own IPC path when it is not `path`, an agent under the root listens there, and what
    /// listens on `path` is another process's (no agent under the root holds it: a leftover agent of another
    /// root, any program bound to the name): what a collector sends to `path` reaches that process, not
    /// gse_agent. Nil otherwise, or when the socket tables or the agents' fds cannot be read.
    func agentIPCWhereAForeignProcessListens(on path: String) -> String? {
        guard let agentIPC = layout.agentIPCPath, !sameFile(agentIPC, path), case .success(let entries) = unixDiag else { return nil }
        let here = IPCView.build(path: path, stat: stat(path), entries: entries)
        guard here.listener != nil, listenerIsForeign(here) else { return nil }
        guard let agents = IPCView.build(path: agentIPC, stat: stat(agentIPC), entries: entries).listener,
            listenerOwner(inode: agents.inode).agentPID != nil
        else { return nil }
        return agentIPC
    }

    /// Two names of one file: the same text, the same real path (`/var/run` → `/run`), or the same inode.
    func sameFile(_ a: String, _ b: String) -> Bool {
        if PathText.normalize(a) == PathText.normalize(b) { return true }
        if let ra = realPath(a), let rb = realPath(b), ra == rb { return true }
        if case .success(let sa) = stat(a), case .success(let sb) = stat(b) {
            return sa.inode != 0 && sa.inode == sb.inode && sa.device == sb.device
        }
        return false
    }

    /// Which running agent under the root holds the listening socket `inode` (`agentPID`), or whether none does
    /// though every agent's fds were read (`foreign`: the path was unlinked and bound again by another
    /// process, which takes what collectors send). Neither when no agent runs or an agent's fds cannot be read;
    /// `unreadable` then holds why (not root: another user's `/proc/<pid>/fd`), and who holds the listener is unknown.
    /// Agents whose exe and cwd cannot be read (not root) are not placed under the root, but may be the one:
    /// their fds are asked too, and cannot be read either.
    func listenerOwner(inode: UInt64) -> (agentPID: Int32?, foreign: Bool, unreadable: ProbeError?) {
        guard case .success(let found) = agents() else { return (nil, false, nil) }
        let agents = found.under.filter(\.isAgent)
        let unplaced = found.elsewhere.filter { $0.isAgent && $0.exe == nil && $0.cwd == nil }
        let (inodes, unreadable) = socketInodes(of: (agents + unplaced).map(\.pid))
        if let pid = inodes[inode] { return (pid, false, nil) }
        return (nil, !agents.isEmpty && unreadable.isEmpty, unreadable.sorted { $0.key < $1.key }.first?.value)
    }

    /// Whether a running agent of this root holds one of `connections` (accepted sockets of an IPC view): what comes
    /// in on them reaches gse_agent, whatever listener the path leads to now (the agent's listener unlinked and the
    /// name bound again by another process keeps the connections it accepted).
    /// With `every`, whether they hold all of them.
    func agentsHold(_ connections: [UnixDiagEntry], every: Bool = false) -> Bool {
        guard !connections.isEmpty, case .success(let found) = agents() else { return false }
        let (inodes, _) = socketInodes(of: found.under.filter(\.isAgent).map(\.pid))
        return every ? connections.allSatisfy { inodes[$0.inode] != nil } : connections.contains { inodes[$0.inode] != nil }
    }

    /// Whether the IPC listener of `view` belongs to none of the running agents (see `listenerOwner`).
    func listenerIsForeign(_ view: IPCView) -> Bool {
        view.listener.map { listenerOwner(inode: $0.inode).foreign } ?? false
    }

    /// The hint for an IPC listener that does not accept: the agent's, or, where another process holds the
    /// listener, gse_agent/socket's.
    func notAcceptingHint(_ view: IPCView, agentHint: String) -> String {
        listenerIsForeign(view)
            ? "IPC 路径上的监听不是 gse_agent 的（见 gse_agent/socket）：停止占用该路径的进程并重启 gse_agent，再重启采集器" : agentHint
    }

    /// The first of `others` (the same socket as `path` left out) where something listens while nothing
    /// listens on `path`; nil when there is none, or the socket tables cannot be read.
    func listensElsewhere(than path: String, at others: [String]) -> String? {
        guard case .success(let entries) = unixDiag else { return nil }
        let candidates = others.filter { !sameFile($0, path) }
        guard !candidates.isEmpty, IPCView.build(path: path, stat: stat(path), entries: entries).listener == nil else { return nil }
        return candidates.first { IPCView.build(path: $0, stat: stat($0), entries: entries).listener != nil }
    }
}
