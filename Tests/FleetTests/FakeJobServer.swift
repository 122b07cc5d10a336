import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Report
import Synchronization

/// One request the fake JOB server saw.
struct SeenRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: String

    var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
    var endpoint: String { path.split(separator: "/").last.map(String.init) ?? "" }
    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// What the fake server answers: HTTP status, body, and a delay before answering.
struct FakeReply: Sendable {
    var status: Int = 200
    var body: String
    var delayMs: Int64 = 0
    /// Sends the head at once and the body this much later (a gateway that drips its answer).
    var bodyDelayMs: Int64 = 0
    var headers: [(String, String)] = []

    static func ok(_ data: JSONValue) -> FakeReply {
        FakeReply(body: JSONValue.object([("result", true), ("code", 0), ("message", "success"), ("data", data)]).serialized())
    }
}

/// A real HTTP server on 127.0.0.1 (port 0) speaking JOB's three endpoints through a scenario closure.
final class FakeJobServer: Sendable {
    typealias Scenario = @Sendable (SeenRequest, Int) -> FakeReply

    let channel: Channel
    let seen = Mutex<[SeenRequest]>([])
    let scenario: Scenario

    var port: Int { channel.localAddress!.port! }
    var baseURL: String { "http://127.0.0.1:\(port)/api/bk-job/prod/api/v3/" }
    var requests: [SeenRequest] { seen.withLock { $0 } }

    init(scenario: @escaping Scenario) async throws {
        self.scenario = scenario
        let box = Mutex<FakeJobServer?>(nil)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakeJobHandler(server: box.withLock { $0! }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.withLock { $0 = self }
    }

    /// Records the request and returns the scenario's reply; the count is per endpoint, from 1.
    func handle(_ r: SeenRequest) -> FakeReply {
        let n = seen.withLock { list in
            list.append(r)
            return list.filter { $0.endpoint == r.endpoint }.count
        }
        return scenario(r, n)
    }

    func stop() async throws { try await channel.close() }
}

final class FakeJobHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: FakeJobServer
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(server: FakeJobServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b):
            body.writeBuffer(&b)
        case .end:
            guard let head else { return }
            let request = SeenRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: String(buffer: body))
            let reply = server.handle(request)
            if reply.delayMs > 0 {
                let bound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(reply.delayMs)) {
                    let (ctx, handler) = bound.value
                    handler.respond(ctx, reply)
                }
            } else {
                respond(context, reply)
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, _ reply: FakeReply) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
        for (k, v) in reply.headers { headers.add(name: k, value: v) }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        if reply.bodyDelayMs > 0 {
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            let bound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(reply.bodyDelayMs)) {
                let (ctx, handler) = bound.value
                guard ctx.channel.isActive else { return }
                ctx.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                ctx.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            }
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
