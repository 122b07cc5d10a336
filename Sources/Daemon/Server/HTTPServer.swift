import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import SystemLayer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Limits of the local HTTP server.
public struct HTTPLimits: Sendable, Equatable {
    /// Bytes a client may send (request line, headers, body) before it gets 431/413.
    public var maxRequestBytes: Int = 16 * 1024
    /// Longest request target; longer gets 414.
    public var maxTargetBytes: Int = 2048
    /// Time a client has to send its whole request; slower gets 408 and is closed.
    public var requestTimeout: TimeAmount = .seconds(10)
    /// Time the whole exchange may take once the request is in (a fresh run plus writing the answer).
    public var responseTimeout: TimeAmount = .seconds(60)
    /// Connections served at once; more get 503 and are closed at accept.
    public var maxConnections: Int = 128
    /// Connections one peer process (`SO_PEERCRED` pid) may hold at once; more get 503.
    public var maxConnectionsPerProcess: Int = 16
    /// Connections the processes of one user (`SO_PEERCRED` uid) may hold at once; more get 503.
    public var maxConnectionsPerUser: Int = 64
    /// `/history` answers produced at once; later ones wait for a turn.
    public var maxHistoryReaders: Int = 2
    /// Bytes of a `/history` answer produced ahead of what the client has taken.
    public var historyChunkBytes: Int = 64 * 1024
    /// Refused connections kept half-open at once (their 503 sent, the client's request drained for up
    /// to `lingerTimeout`, so it reads the answer rather than a reset); beyond that they are closed at once.
    public var maxLingering: Int = 64
    public var lingerTimeout: TimeAmount = .seconds(1)

    public init() {}
}

/// One accepted connection as the accept loop sees it: admitted (its pipeline set up, not reading
/// yet), or refused (answered 503 on the event loop by `BusyHandler`).
///
/// An admitted connection becomes an `NIOAsyncChannel` only in its own task (`handle`): one still
/// waiting in the accept loop's buffer when the loop ends is then a plain channel, which the event
/// loop's shutdown closes, not an async channel whose writer was never finished (a trap in NIO).
enum AcceptedConnection: Sendable {
    case admitted(any Channel, peer: PeerCredentials?)
    case refused
}

/// HTTP/1.1 on a unix socket, one request per connection (`Connection: close`), via SwiftNIO's async
/// channels: `serve()` accepts in a task group and handles each connection, a fresh run included, in
/// a child task of it, so nothing outlives the server or touches its event loop after shutdown.
public final class HTTPServer: Sendable {
    let router: DaemonRouter
    let limits: HTTPLimits
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let admission: ConnectionAdmission
    let lingering = Atomic<Int>(0)
    let historyGate: AsyncGate
    private let listener = Mutex<NIOAsyncChannel<AcceptedConnection, Never>?>(nil)

    public init(router: DaemonRouter, limits: HTTPLimits, logger: Logger) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.admission = ConnectionAdmission(limits: limits)
        self.historyGate = AsyncGate(slots: limits.maxHistoryReaders)
    }

    /// Binds to an already listening socket (ours or one passed by systemd); connections are accepted
    /// by the kernel from now on and served once `serve()` runs.
    public func start(listeningSocket fd: Int32) async throws {
        let limits = self.limits
        let server = self
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: server.logger))
                }
            }
            // A client may shut its side down once its request is sent (nc -N, socat): it still gets the answer.
            // One that closes its socket altogether is a hang-up (EPOLLHUP): the channel closes, and a wait ends.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(fd) { channel in
                let peerFuture: EventLoopFuture<PeerCredentials?>
                if let provider = channel as? SocketOptionProvider {
                    let f: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                        level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                    peerFuture = f.map { Optional($0) }.recover { _ in nil }
                } else {
                    peerFuture = channel.eventLoop.makeSucceededFuture(nil)
                }
                return peerFuture.flatMapThrowing { peer -> AcceptedConnection in
                    let sync = channel.pipeline.syncOperations
                    // Admitted only within the total and the peer's share; the others are told 503.
                    let key = ConnectionAdmission.key(peer)
                    if let limit = server.admission.refusal(key) {
                        try sync.addHandler(BusyHandler(server: server, limit: limit))
                        return .refused
                    }
                    channel.closeFuture.whenComplete { _ in server.admission.release(key) }
                    try sync.addHandler(ConnectionGuard(limits: limits))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try sync.addHandler(OneRequest())
                    // Nothing is read until the connection's task has wrapped it (the request timeout runs) —
                    // except at end of input, which NIO drains at once: what arrives before the wrapping is
                    // kept here and handed on once it is in place.
                    try sync.addHandler(EarlyInbound(), name: EarlyInbound.name)
                    try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
                    return .admitted(channel, peer: peer)
                }
            }
        listener.withLock { $0 = channel }
    }

    /// Connections open right now.
    public var openConnections: Int { admission.open }

    /// Accepts and serves until cancelled (or the listener fails); each connection is a child task.
    /// Cancelling it stops accepting and ends every connection still open.
    public func serve() async throws {
        guard let channel = listener.withLock({ $0 }) else { return }
        try await channel.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { connections in
                for try await accepted in inbound {
                    guard case .admitted(let connection, let peer) = accepted else { continue }
                    connections.addTask { await self.handle(connection, peer: peer) }
                }
            }
        }
    }

    /// Stops accepting: `serve()` then returns once the connections it serves have ended.
    public func stopAccepting() {
        listener.withLock { $0 }?.channel.close(promise: nil)
    }

    /// Shuts the event loop down; call once `serve()` has returned (or was never run).
    public func stop() async {
        if let channel = listener.withLock({ c -> NIOAsyncChannel<AcceptedConnection, Never>? in
            defer { c = nil }
            return c
        }) {
            // Also finishes its writer when `serve()` never ran (NIO traps on an unfinished one).
            try? await channel.executeThenClose { _ in }
        }
        try? await group.shutdownGracefully()
    }
}

/// Serves the HTTP server until graceful shutdown, then ends its connections, shuts it down and removes
/// the socket file it made.
public struct HTTPServerService: Service {
    let server: HTTPServer
    /// The socket file the daemon bound: removed at the end only while it is still that file (another
    /// daemon may have been started on the path after it was removed from under this one).
    let socketToRemove: (path: String, file: FileStat)?

    public init(server: HTTPServer, socketToRemove: (path: String, file: FileStat)?) {
        self.server = server
        self.socketToRemove = socketToRemove
    }

    public func run() async throws {
        let server = self.server
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await server.serve()
                } catch  where !Task.isCancelled {
                    // Not ours to stop: the listening socket failed. The daemon goes on running its checks.
                    server.logger.error("the HTTP server stopped accepting", metadata: ["error": "\(ProbeError.brief(error))"])
                } catch {}
            }
            try? await gracefulShutdown()
            Notifier.shared.notify("STOPPING=1")
            // Stop accepting, give the answers being written (the 503s of clients that waited for a run) up to a
            // second to go out, then end the connections still open.
            server.stopAccepting()
            let deadline = ContinuousClock.now + .seconds(1)
            while server.openConnections > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
            }
            tasks.cancelAll()
        }
        await server.stop()
        if let s = socketToRemove { try? Sys.unlinkIfSame(s.path, as: s.file) }
    }
}
