#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import SystemLayer

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

/// HTTP/1.1 on a unix socket, one request per connection (`Connection: close`), via SwiftNIO.
public final class HTTPServer: Sendable {
    let router: DaemonRouter
    let limits: HTTPLimits
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let admission: ConnectionAdmission
    let lingering = Atomic<Int>(0)
    let historyGate: AsyncGate
    private let channelBox = Mutex<Channel?>(nil)

    public init(router: DaemonRouter, limits: HTTPLimits, logger: Logger) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.admission = ConnectionAdmission(limits: limits)
        self.historyGate = AsyncGate(slots: limits.maxHistoryReaders)
    }

    /// Serves on an already listening socket (ours or one passed by systemd); returns once accepting.
    public func start(listeningSocket fd: Int32) async throws {
        let router = self.router
        let limits = self.limits
        let server = self
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                let peerFuture: EventLoopFuture<PeerCredentials?>
                if let provider = channel as? SocketOptionProvider {
                    let f: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                        level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                    peerFuture = f.map { Optional($0) }.recover { _ in nil }
                } else {
                    peerFuture = channel.eventLoop.makeSucceededFuture(nil)
                }
                return peerFuture.flatMapThrowing { peer in
                    let sync = channel.pipeline.syncOperations
                    // Admitted only within the total and the peer's share; the others are told 503.
                    let key = ConnectionAdmission.key(peer)
                    guard server.admission.admit(key) else {
                        try sync.addHandler(BusyHandler(server: server))
                        return
                    }
                    channel.closeFuture.whenComplete { _ in server.admission.release(key) }
                    try sync.addHandler(ConnectionGuard(limits: limits))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try sync.addHandler(RequestHandler(router: router, peer: peer, limits: limits, historyGate: server.historyGate))
                }
            }
            .withBoundSocket(fd)
            .get()
        channelBox.withLock { $0 = channel }
    }

    /// Connections open right now.
    public var openConnections: Int { admission.open }

    /// Stops accepting and shuts the event loop down.
    public func stop() async {
        let channel = channelBox.withLock { c -> Channel? in
            defer { c = nil }
            return c
        }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

/// Serves the HTTP server until graceful shutdown, then closes it and removes the socket file it made.
public struct HTTPServerService: Service {
    let server: HTTPServer
    let socketPathToRemove: String?

    public init(server: HTTPServer, socketPathToRemove: String?) {
        self.server = server
        self.socketPathToRemove = socketPathToRemove
    }

    public func run() async throws {
        try? await gracefulShutdown()
        Notifier.shared.notify("STOPPING=1")
        await server.stop()
        if let path = socketPathToRemove { _ = try? Sys.unlink(path) }
    }
}
