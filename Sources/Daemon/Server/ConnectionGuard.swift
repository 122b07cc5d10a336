import NIOCore
import NIOHTTP1

/// Answers a connection over a limit with 503 as soon as it is active. Then it closes its side and
/// reads (and drops) what the client sends until the client closes or `lingerTimeout` passes: closing
/// with the client's request unread would make the client's read fail with a reset instead of the 503.
final class BusyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: HTTPServer
    /// The limit the connection is over, as `ConnectionAdmission.refusal` names it.
    let limit: String
    var answered = false
    var lingers = false
    var timer: Scheduled<Void>?

    init(server: HTTPServer, limit: String) {
        self.server = server
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context: context)
        context.fireChannelActive()
    }

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let body =
            "{\"error\":\"too many connections: \(limit)\"}\n"
        let text =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Retry-After: 1\r\nConnection: close\r\n\r\n" + body
        let limits = server.limits
        lingers = server.lingering.wrappingAdd(1, ordering: .relaxed).newValue <= limits.maxLingering
        if !lingers { server.lingering.wrappingSubtract(1, ordering: .relaxed) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).assumeIsolated().whenComplete { _ in
            let (handler, context) = bound.value
            guard handler.lingers else {
                context.close(promise: nil)
                return
            }
            context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            handler.timer = context.eventLoop.scheduleTask(in: limits.lingerTimeout) { bound.value.1.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if lingers {
            lingers = false
            server.lingering.wrappingSubtract(1, ordering: .relaxed)
        }
        context.fireChannelInactive()
    }
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
    /// Bytes of the answer have gone out: at the response timeout the connection is then only closed.
    var responded = false
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
            } else if handler.complete && !handler.responded {
                // The request is in, and nothing of its answer went out by the exchange's limit (the answering
                // task did not get to run in time: a loaded machine): a 503 from here, on the event loop, rather
                // than a connection closed with no answer.
                handler.rejectRaw(
                    context: context, status: 503,
                    message: "no answer within the \(handler.limits.responseTimeout.nanoseconds / 1_000_000_000) s this exchange may take",
                    retryAfter: 10)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).readableBytes > 0 { responded = true }
        context.write(data, promise: promise)
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
    func rejectRaw(context: ChannelHandlerContext, status: Int, message: String? = nil, retryAfter: Int? = nil) {
        complete = true
        responded = true
        timer?.cancel()
        let body = "{\"error\":\"\(message ?? (status == 408 ? "request not received in time" : "request too large"))\"}\n"
        let text =
            "HTTP/1.1 \(status) \(DaemonResponse.reason(status))\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n" + (retryAfter.map { "Retry-After: \($0)\r\n" } ?? "")
            + "Connection: close\r\n\r\n" + body
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// After the HTTP decoder: a connection serves one request. A request that cannot be parsed is answered
/// 400 and the connection closed; once a whole request is in, what follows it (a second request, junk) is
/// dropped, and the decoder's errors about it with it, so the client gets the answer to its request, not a
/// 400 for bytes it sent after it.
final class OneRequest: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var requestEnded = false
    /// The exchange's answer has begun: no 400 after it.
    private var answered = false
    /// The 400 went out.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !requestEnded else { return }
        if case .end = unwrapInboundIn(data) { requestEnded = true }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard error is HTTPParserError || error is ByteToMessageDecoderError else {
            context.fireErrorCaught(error)
            return
        }
        // After the request, or once answered: the error is about bytes this connection does not serve.
        guard !requestEnded && !answered && !refused else { return }
        refused = true
        let head = HTTPResponseHead(
            version: .http1_1, status: .badRequest, headers: HTTPHeaders([("Connection", "close"), ("Content-Length", "0")]))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After the 400 nothing else goes out: it would follow it on the wire.
        guard !refused else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if case .head = unwrapOutboundIn(data) { answered = true }
        context.write(data, promise: promise)
    }
}

/// Last in an admitted connection's pipeline until its task wraps it in an `NIOAsyncChannel`: keeps what
/// reaches the end of the pipeline before then — request parts and the end of input, which NIO reads at once
/// when a client sends its request and shuts its side down (`nc -N`) however reading is set — and hands it
/// on, in order, when it is removed (behind the async channel's handler, which then receives it).
final class EarlyInbound: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    static let name = "bkdiag.early-inbound"

    private enum Held {
        case read(NIOAny)
        case readComplete
        case event(Any)
    }

    private var held: [Held] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { held.append(.read(data)) }

    func channelReadComplete(context: ChannelHandlerContext) { held.append(.readComplete) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) { held.append(.event(event)) }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        let pending = held
        held = []
        for h in pending {
            switch h {
            case .read(let data): context.fireChannelRead(data)
            case .readComplete: context.fireChannelReadComplete()
            case .event(let e): context.fireUserInboundEventTriggered(e)
            }
        }
        context.leavePipeline(removalToken: removalToken)
    }
}
