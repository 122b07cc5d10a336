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

    public init() {}
}

/// HTTP/1.1 on a unix socket, one request per connection (`Connection: close`), via SwiftNIO.
public final class HTTPServer: Sendable {
    let router: DaemonRouter
    let limits: HTTPLimits
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let open = Atomic<Int>(0)
    private let channelBox = Mutex<Channel?>(nil)

    public init(router: DaemonRouter, limits: HTTPLimits, logger: Logger) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
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
                let count = server.open.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in server.open.wrappingSubtract(1, ordering: .relaxed) }
                if count > limits.maxConnections {
                    return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(BusyHandler()) }
                }
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
                    try sync.addHandler(ConnectionGuard(limits: limits))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try sync.addHandler(RequestHandler(router: router, peer: peer, limits: limits))
                }
            }
            .withBoundSocket(fd)
            .get()
        channelBox.withLock { $0 = channel }
    }

    /// Connections open right now.
    public var openConnections: Int { open.load(ordering: .relaxed) }

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
        Systemd.notify("STOPPING=1")
        await server.stop()
        if let path = socketPathToRemove { _ = try? Sys.unlink(path) }
    }
}

/// Answers a connection over the limit with 503 as soon as it is active, then closes it.
final class BusyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let body = "{\"error\":\"too many connections\"}\n"
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// An outbound event: the request is complete, switch from the request to the response timeout.
struct RequestComplete {}

/// First in the pipeline: caps the bytes a client sends, times out slow clients, writes raw 4xx for both.
final class ConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let limits: HTTPLimits
    var received = 0
    var complete = false
    var timer: Scheduled<Void>?

    init(limits: HTTPLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context: context, after: limits.requestTimeout, status: 408)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    private func arm(context: ChannelHandlerContext, after: TimeAmount, status: Int?) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: after) {
            let (handler, context) = bound.value
            if let status, !handler.complete {
                handler.rejectRaw(context: context, status: status)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if complete { return }  // one request per connection: ignore anything after it
        received += buffer.readableBytes
        if received > limits.maxRequestBytes {
            rejectRaw(context: context, status: 431)
            return
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is RequestComplete {
            complete = true
            arm(context: context, after: limits.responseTimeout, status: nil)
            promise?.succeed(())
            return
        }
        context.triggerUserOutboundEvent(event, promise: promise)
    }

    /// Writes a minimal response below the HTTP encoder and closes.
    func rejectRaw(context: ChannelHandlerContext, status: Int) {
        complete = true
        timer?.cancel()
        let body = "{\"error\":\"\(status == 408 ? "request not received in time" : "request too large")\"}\n"
        let text = "HTTP/1.1 \(status) \(DaemonResponse.reason(status))\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Collects one request, asks the router, writes the answer and closes.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let router: DaemonRouter
    let peer: PeerCredentials?
    let limits: HTTPLimits
    var head: HTTPRequestHead?
    var bodyBytes = 0
    var done = false

    init(router: DaemonRouter, peer: PeerCredentials?, limits: HTTPLimits) {
        self.router = router
        self.peer = peer
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            if h.uri.utf8.count > limits.maxTargetBytes {
                respond(context: context, .error(414, "request target longer than \(limits.maxTargetBytes) bytes"), isHead: false)
            }
        case .body(let b):
            bodyBytes += b.readableBytes
            if bodyBytes > 0 && head?.method != .POST {
                respond(context: context, .error(413, "\(head?.method.rawValue ?? "this") request must not have a body"), isHead: false)
            }
        case .end:
            guard let head else { return }
            context.triggerUserOutboundEvent(RequestComplete(), promise: nil)
            let request = DaemonRequest(method: head.method.rawValue, target: head.uri, peer: peer)
            let isHead = head.method == .HEAD
            let router = self.router
            if let answer = router.immediate(request) {
                respond(context: context, answer, isHead: isHead)
                return
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let loop = context.eventLoop
            Task {
                let response = await router.handle(request)
                loop.execute {
                    let (handler, context) = bound.value
                    handler.respond(context: context, response, isHead: isHead)
                }
            }
        }
    }

    func respond(context: ChannelHandlerContext, _ response: DaemonResponse, isHead: Bool) {
        guard !done else { return }
        done = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        for (k, v) in response.headers { headers.add(name: k, value: v) }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHead {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
