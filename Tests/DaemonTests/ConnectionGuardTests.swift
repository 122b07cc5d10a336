import NIOCore
import NIOEmbedded
import Testing

@testable import Daemon

/// The connection guard on an embedded channel, its clock advanced by hand: what a client gets at the
/// exchange's limit whatever the answering task is doing.
@Suite struct ConnectionGuardTests {
    func channel(responseSeconds: Int64) throws -> EmbeddedChannel {
        var limits = HTTPLimits()
        limits.responseTimeout = .seconds(responseSeconds)
        let channel = EmbeddedChannel(handler: ConnectionGuard(limits: limits))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // The request is in: the guard switches to the response timeout.
        try channel.pipeline.triggerUserOutboundEvent(RequestComplete()).wait()
        return channel
    }

    @Test func nothingWrittenByTheLimitIsAnswered503FromTheGuard() throws {
        let channel = try channel(responseSeconds: 4)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(3900))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        let text = try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } ?? ""
        #expect(text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(text)")
        #expect(text.contains("Retry-After: 10\r\n") && text.contains("no answer within the 4 s this exchange may take"), "\(text)")
        #expect(!channel.isActive)
    }

    @Test func anAnswerUnderwayIsOnlyClosedAtTheLimit() throws {
        let channel = try channel(responseSeconds: 4)
        try channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")).wait()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }?.hasPrefix("HTTP/1.1 200") == true)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        // No second status line after an answer begun: the connection is closed.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(!channel.isActive)
    }
}
