import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// First in the listening channel's pipeline: when `accept` fails because the daemon is out of file
/// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), stops watching the listening socket for `pause`
/// and then tries again.
///
/// Without it the daemon spins at 100 % CPU for as long as the limit holds: a failed first accept leaves
/// NIO's read pending, so the socket, still readable with connections in its backlog, wakes the event loop
/// at once, again and again; NIO's own accept backoff only delays the next read, which never comes.
/// Connections wait in the backlog meanwhile and are served once descriptors are free again.
final class AcceptPause: ChannelInboundHandler {
    typealias InboundIn = Channel

    let pause: TimeAmount
    let logger: Logger
    private var resume: Scheduled<Void>?
    /// Pauses are logged at most once a minute, with how many there were since the last line.
    private var lastLogged: NIODeadline?
    private var pausesUnlogged = 0

    init(pause: TimeAmount = .milliseconds(500), logger: Logger) {
        self.pause = pause
        self.logger = logger
    }

    static func isResourceShortage(_ error: Error) -> Bool {
        guard let code = (error as? IOError)?.errnoCode else { return false }
        return code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if Self.isResourceShortage(error) && resume == nil {
            pausesUnlogged += 1
            let now = NIODeadline.now()
            if lastLogged.map({ now - $0 >= .seconds(60) }) ?? true {
                logger.warning(
                    "cannot accept connections: out of file descriptors or memory; retrying every \(pause.nanoseconds / 1_000_000) ms",
                    metadata: ["error": "\(error)", "pauses": "\(pausesUnlogged)"])
                lastLogged = now
                pausesUnlogged = 0
            }
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            resume = context.eventLoop.scheduleTask(in: pause) {
                let (handler, context) = bound.value
                handler.resume = nil
                try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            }
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}
