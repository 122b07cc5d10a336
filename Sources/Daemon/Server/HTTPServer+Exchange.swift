import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A flag set once, read from any thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// One exchange per connection: collect the request, ask the router, write the answer, close.
extension HTTPServer {
    /// Serves `connection` to its end. Every write is awaited until the socket has taken it, and the
    /// connection is closed once the answer is out (`executeThenClose`).
    func handle(_ channel: any Channel, peer: PeerCredentials?) async {
        // Cancelled (the server is stopping): close at once, so a write to a client that stopped reading
        // fails now rather than at the response timeout.
        await withTaskCancellationHandler {
            let connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
            do {
                connection = try await channel.eventLoop.submit {
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                    // What arrived before the wrapping goes to it now, then reading starts.
                    let sync = channel.pipeline.syncOperations
                    _ = sync.removeHandler(try sync.handler(type: EarlyInbound.self))
                    try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                    return connection
                }.get()
            } catch {
                // Closed while it waited (timed out, or the server is stopping).
                channel.close(promise: nil)
                return
            }
            await exchange(connection, peer: peer)
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    private func exchange(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, peer: PeerCredentials?) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, _ in
            var head: HTTPRequestHead?
            var bodyBytes = 0
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    if h.uri.utf8.count > limits.maxTargetBytes {
                        await Self.respond(channel, .error(414, "request target longer than \(limits.maxTargetBytes) bytes"), isHead: false)
                        return
                    }
                case .body(let b):
                    bodyBytes += b.readableBytes
                    if bodyBytes > 0 && head?.method != .POST {
                        await Self.respond(
                            channel, .error(413, "\(head?.method.rawValue ?? "this") request must not have a body"), isHead: false)
                        return
                    }
                case .end:
                    guard let head else { continue }
                    // The request is in: the guard switches from the request to the response timeout.
                    try? await channel.triggerUserOutboundEvent(RequestComplete()).get()
                    let request = DaemonRequest(method: head.method.rawValue, target: head.uri, peer: peer)
                    let isHead = head.method == .HEAD
                    if let answer = router.immediate(request) {
                        await Self.respond(channel, answer, isHead: isHead)
                    } else if let (since, limit) = router.historyQuery(request) {
                        // At most `maxHistoryReaders` answers are produced at once; the others wait their turn.
                        await Self.writeHistory(
                            channel: channel, history: router.core.history, sinceMs: since, limit: limit, isHead: isHead,
                            chunk: limits.historyChunkBytes, gate: historyGate, logger: router.core.logger)
                    } else {
                        // The first report or a fresh run, awaited here in the connection's task. The wait
                        // ends when the client hangs up (or the response timeout closes the connection):
                        // a waiting client that went away holds nothing, and its slot is free again.
                        // A run that outlasts the exchange's limit is answered 503 just before the limit, rather
                        // than the connection closed with no answer.
                        let router = self.router
                        let answer = Task(executorPreference: router.core.executor) { await router.handle(request) }
                        channel.closeFuture.whenComplete { _ in answer.cancel() }
                        let total = limits.responseTimeout.nanoseconds
                        let expired = Flag()
                        // (A quarter of a short limit, at most a second, before it: on a loaded machine the answer
                        // must still be written before the guard closes the connection at the limit.)
                        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(total - min(1_000_000_000, total / 4))) {
                            expired.set()
                            answer.cancel()
                        }
                        var response = await withTaskCancellationHandler {
                            await answer.value
                        } onCancel: {
                            answer.cancel()
                        }
                        timer.cancel()
                        if expired.isSet {
                            let seconds = total % 1_000_000_000 == 0 ? String(total / 1_000_000_000) : String(Double(total) / 1e9)
                            response = .error(
                                503,
                                "no run finished within the \(seconds) s this exchange may take; its report will be at /report once it does",
                                headers: [("Retry-After", "10")])
                        }
                        await Self.respond(channel, response, isHead: isHead)
                    }
                    return
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

    /// Writes a whole answer and waits until the socket has taken it (a client gone is no error here).
    static func respond(_ channel: any Channel, _ response: DaemonResponse, isHead: Bool) async {
        let head = Self.head(
            status: response.status, contentType: response.contentType, length: response.body.utf8.count, extra: response.headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if !isHead {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(string: response.body))), promise: nil)
        }
        try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
    }

    /// Writes a `/history` answer a chunk at a time, each awaited until the socket has taken it: a slow
    /// client holds one chunk of the daemon's memory, not the whole answer. `gate` bounds how many
    /// answers are being read from the store at once; it is held while a chunk is read, not while a
    /// client takes its time over one, so a client that stops reading holds up only itself.
    static func writeHistory(
        channel: any Channel, history: ReportHistory, sinceMs: Int64, limit: Int, isHead: Bool, chunk: Int, gate: AsyncGate,
        logger: Logger
    ) async {
        guard channel.isActive else { return }
        await gate.acquire()
        var held = true
        defer { if held { gate.release() } }
        let selection: HistorySelection
        do {
            selection = try history.select(sinceMs: sinceMs, limit: limit)
        } catch {
            await respond(channel, DaemonRouter.historyUnavailable(error, logger: logger), isHead: isHead)
            return
        }
        let head = Self.head(status: 200, contentType: "application/json", length: selection.bodyLength)
        do {
            if !isHead {
                gate.release()
                held = false
            }
            try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
            if !isHead {
                await gate.acquire()
                held = true
                let unreadable = try await selection.body(chunkBytes: chunk) { bytes in
                    gate.release()
                    held = false
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                    await gate.acquire()
                    held = true
                }
                // Records damaged since the store was opened: answered as null, their length kept.
                if unreadable > 0 {
                    logger.error("stored reports no longer read back; answered as null", metadata: ["count": "\(unreadable)"])
                }
            }
            if held {
                gate.release()
                held = false
            }
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        } catch {
            // The client went away or the exchange timed out: nothing more to write.
        }
    }
}
