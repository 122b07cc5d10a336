import HostProbe
import SystemLayer

/// libbeat's permission check on a config file before it loads it (`common.LoadFile` under `-strict.perms`,
/// on by default; NodeMan starts bkunifylogbeat with `-c` alone, and libgse's `beat.LoadFile` is libbeat's):
/// the file, symlinks followed, must be owned by root or by the collector's effective user, and writable by
/// no one else (no group or other write bit). The main config failing it ends the start (libgse's
/// `cfgfile.Load`: Init filed with error); a subscription config failing it is skipped whole (`GetTasks`
/// logs "secondary config file … format error" and goes on), whatever the file holds.
enum StrictPerms {
    /// Why a collector running as `euid` refuses to load the config whose `stat` is `st`; nil when it loads it,
    /// and when `st` is no regular file's (missing, a FIFO: what it cannot load anyway is said elsewhere).
    static func refusal(ofFile st: FileStat?, euid: UInt32) -> String? {
        guard let st, st.isRegular else { return nil }
        return refusal(st, euid: euid)
    }

    /// Why a collector running as `euid` refuses to load a config of `st`; nil when it loads it.
    static func refusal(_ st: FileStat, euid: UInt32) -> String? {
        if st.uid != 0 && st.uid != euid {
            return
                "owned by uid \(st.uid), neither root nor the collector's user (uid \(euid)): libbeat refuses to load it (strict.perms: a config file must be owned by the collector's user or root)"
        }
        let perm = st.permissions & 0o777
        guard perm & 0o022 != 0 else { return nil }
        let who = perm & 0o020 != 0 && perm & 0o002 != 0 ? "its group and others" : perm & 0o020 != 0 ? "its group" : "others"
        return
            "mode \(modeText(perm)) lets \(who) write it: libbeat refuses to load it (strict.perms: a config file can only be writable by its owner)"
    }

    /// Permission bits as Go prints a file mode's (`-rw-rw-r--`).
    static func modeText(_ perm: UInt32) -> String {
        let letters: [Character] = ["r", "w", "x"]
        return "-" + String((0..<9).map { k in perm & (0o400 >> UInt32(k)) != 0 ? letters[k % 3] : "-" })
    }
}

extension HostFacts {
    /// The effective user the collector loads its configs as: the running collector's, else the agent's (which
    /// starts it), else root (what NodeMan installs the agent as).
    var collectorLoadUID: UInt32 {
        if case .success(let found) = collectors(), let p = ProcessStates(found.under).running.first, let uid = effectiveUID(of: p.pid) {
            return uid
        }
        if case .success(let found) = agents(), let p = found.under.first(where: { !$0.isZombie }), let uid = effectiveUID(of: p.pid) {
            return uid
        }
        return 0
    }

    /// Why the collector refuses to load the config at `path` for its owner or mode (`StrictPerms`); nil when
    /// it does not, or when the path is no regular file it could load anyway (missing, a FIFO: said elsewhere).
    func strictPermsRefusal(_ path: String) -> String? {
        StrictPerms.refusal(ofFile: try? stat(path).get(), euid: collectorLoadUID)
    }
}
