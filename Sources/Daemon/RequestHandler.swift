import NIOCore
import NIOHTTP1

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
