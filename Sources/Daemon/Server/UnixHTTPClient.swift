import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A minimal blocking HTTP/1.1 client over a unix socket, for `bkdiag status` and the tests.
public enum UnixHTTPClient {
    /// A response: status code, headers (lower-cased names) and body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Sends one request with `Connection: close` and reads the whole answer, all within `timeoutMs`.
    public static func request(socket path: String, method: String = "GET", target: String, timeoutMs: Int = 5000) throws(DaemonError)
        -> Response
    {
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMs)
        let fd: Int32
        do {
            fd = try Sys.connectUnix(path: path, timeoutMs: timeoutMs)
        } catch  where error.errno == EACCES || error.errno == EPERM {
            // The daemon may well be running: it is the socket's mode (or its directory's) that keeps this user out.
            throw DaemonError(
                .permission,
                "uid \(getuid()) may not connect to the daemon's socket \(path) (\(ProbeError.brief(error))): run as root, or as a member of the socket's group (socket_group in bkdiag.yaml)"
            )
        } catch {
            throw DaemonError(
                .noDaemon,
                "no daemon answers at \(path) (\(ProbeError.brief(error))): start it with `systemctl start bkdiag` or pass --socket")
        }
        defer { Sys.close(fd) }
        let text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bkdiag\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        let raw: [UInt8]
        do {
            try Sys.writeAll(fd, Array(text.utf8), path: path)
            raw = try Sys.readToEnd(fd, limit: 64 << 20, path: path, deadlineMs: deadline)
        } catch {
            throw DaemonError(
                .noDaemon, "the daemon at \(path) did not answer (\(ProbeError.brief(error))): check `systemctl status bkdiag`")
        }
        return try parse(raw, from: path)
    }

    static func parse(_ raw: [UInt8], from path: String) throws(DaemonError) -> Response {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        var split: Int? = nil
        if raw.count >= 4 {
            for i in 0...(raw.count - 4) where raw[i] == 13 && Array(raw[i..<(i + 4)]) == crlf2 {
                split = i
                break
            }
        }
        guard let split else { throw DaemonError(.protocolError, "the answer from \(path) has no HTTP header: is it a bkdiag socket?") }
        let head = String(decoding: raw[..<split], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw DaemonError(.protocolError, "the answer from \(path) has a bad status line: is it a bkdiag socket?")
        }
        var headers: [String: String] = [:]
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = String(l[l.index(after: c)...]).trimmingSpaces()
        }
        var body = Array(raw[(split + 4)...])
        if let len = headers["content-length"].flatMap({ Int($0) }), len < body.count { body = Array(body[..<len]) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }
}
