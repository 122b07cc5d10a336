import CSystemd
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The daemon's side of systemd's protocols, through libsystemd: notify, watchdog, socket activation, journal.
/// Every call is a no-op when systemd did not start the process (no `NOTIFY_SOCKET`, no `LISTEN_FDS`).
/// libsystemd is opened on the first call (see CSystemd/shim.h); without it every call is a no-op too.
public enum Systemd {
    /// Sends a state string (`READY=1`, `STATUS=...`, `WATCHDOG=1`) to `NOTIFY_SOCKET`; false when nobody listens.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        bkdiag_sd_notify(0, state) > 0
    }

    /// The watchdog period systemd asked for (`WATCHDOG_USEC`, checked against `WATCHDOG_PID`), nil when off.
    public static func watchdogPeriod() -> Duration? {
        var usec: UInt64 = 0
        guard bkdiag_sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// Stream unix sockets passed by a `.socket` unit (`LISTEN_FDS`), already listening.
    /// The environment variables are unset so child processes do not inherit them.
    public static func listenedUnixSockets() -> [Int32] {
        let n = bkdiag_sd_listen_fds(1)
        guard n > 0 else { return [] }
        var fds: [Int32] = []
        for i in 0..<n {
            let fd = SD_LISTEN_FDS_START + i
            if bkdiag_sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0 { fds.append(fd) }
        }
        return fds
    }

    /// True when the journal's native socket exists, so `sd_journal_sendv` has somewhere to go.
    public static var journalAvailable: Bool {
        guard bkdiag_sd_loaded() != 0 else { return false }
        guard let st = Sys.statIfPresent("/run/systemd/journal/socket") else { return false }
        return st.isSocket
    }

    /// Sends one structured journal entry; `fields` are `(NAME, value)` with upper-case names.
    @discardableResult
    public static func journalSend(_ fields: [(String, String)]) -> Bool {
        let items = fields.map { Array(($0.0 + "=" + $0.1).utf8) }
        // Pin every field's bytes for the duration of the call.
        let storage = items.map { bytes -> UnsafeMutableRawBufferPointer in
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            p.copyBytes(from: bytes)
            return p
        }
        defer { for p in storage { p.deallocate() } }
        var iov = [iovec]()
        for (i, p) in storage.enumerated() { iov.append(iovec(iov_base: p.baseAddress, iov_len: items[i].count)) }
        let rc = iov.withUnsafeBufferPointer { bkdiag_sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        return rc == 0
    }
}
