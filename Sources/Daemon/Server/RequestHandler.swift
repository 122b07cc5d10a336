import Logging
import NIOCore
import NIOHTTP1
import SystemLayer

/// Collects one request, asks the router, writes the answer and closes.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let router: DaemonRouter
    let peer: PeerCredentials?
    let limits: HTTPLimits
    let historyGate: AsyncGate
    var head: HTTPRequestHead?
    var bodyBytes = 0
    var done = false

    init(router: DaemonRouter, peer: PeerCredentials?, limits: HTTPLimits, historyGate: AsyncGate) {
        self.router = router
        self.peer = peer
        self.limits = limits
        self.historyGate = historyGate
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
            if let (since, limit) = router.historyQuery(request) {
                streamHistory(channel: context.channel, sinceMs: since, limit: limit, isHead: isHead)
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

    static func head(status: Int, contentType: String, length: Int, extra: [(String, String)] = []) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        for (k, v) in extra { headers.add(name: k, value: v) }
        return HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }

    /// Writes a `/history` answer off the event loop, a chunk at a time, each awaited until the socket has
    /// taken it: a slow client holds one chunk of the daemon's memory, not the whole answer. At most
    /// `maxHistoryReaders` answers are produced at once; the others wait their turn.
    func streamHistory(channel: Channel, sinceMs: Int64, limit: Int, isHead: Bool) {
        done = true
        let gate = historyGate
        let history = router.core.history
        let chunk = limits.historyChunkBytes
        let logger = router.core.logger
        Self.startHistory(channel: channel, gate: gate, history: history, sinceMs: sinceMs, limit: limit, isHead: isHead, chunk: chunk, logger: logger)
    }

    private static func startHistory(
        channel: any Channel, gate: AsyncGate, history: ReportHistory, sinceMs: Int64, limit: Int, isHead: Bool, chunk: Int, logger: Logger
    ) {
        Task {
            await gate.acquire()
            await writeHistory(channel: channel, history: history, sinceMs: sinceMs, limit: limit, isHead: isHead, chunk: chunk, logger: logger)
            gate.release()
            try? await channel.close()
        }
    }

    private static func writeHistory(
        channel: Channel, history: ReportHistory, sinceMs: Int64, limit: Int, isHead: Bool, chunk: Int, logger: Logger
    ) async {
        guard channel.isActive else { return }
        let selection = history.select(sinceMs: sinceMs, limit: limit)
        let head = Self.head(status: 200, contentType: "application/json", length: selection.bodyLength)
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
            if !isHead {
                let complete = try await selection.body(chunkBytes: chunk) { bytes in
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                }
                // A record that stopped reading back: the answer ends short of its length, which the
                // client sees as an error, rather than lying about its count.
                guard complete else {
                    logger.error("a stored report no longer reads back; /history answer cut short")
                    return
                }
            }
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        } catch {
            // The client went away or the exchange timed out: nothing more to write.
        }
    }

    func respond(context: ChannelHandlerContext, _ response: DaemonResponse, isHead: Bool) {
        guard !done else { return }
        done = true
        let head = Self.head(status: response.status, contentType: response.contentType, length: response.body.utf8.count, extra: response.headers)
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
