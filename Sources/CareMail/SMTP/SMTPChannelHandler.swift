import NIOCore
import NIOSSL

/// Sent down every open connection when the server stops: the session says 421 and closes
/// (after answering a delivery that is already under way).
struct SMTPShutdownEvent: Sendable {}

/// Runs one `SMTPSession` on a NIO channel: bytes in, replies out, the recipient policy and
/// the delivery handler called asynchronously, STARTTLS by inserting a TLS handler.
///
/// While the policy or the delivery runs, the handler holds back `read()` so a client cannot
/// pile up input (back pressure); what was already read waits in the session.
final class SMTPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: SMTPSession
    private let sslContext: NIOSSLContext?
    private let recipientPolicy: SMTPRecipientPolicy
    private let deliver: SMTPDeliveryHandler
    private var readHeld = false

    init(session: SMTPSession, sslContext: NIOSSLContext?,
         recipientPolicy: @escaping SMTPRecipientPolicy, deliver: @escaping SMTPDeliveryHandler) {
        self.session = session
        self.sslContext = sslContext
        self.recipientPolicy = recipientPolicy
        self.deliver = deliver
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(session.start(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        perform(session.receive(buffer.readableBytesView), context: context)
    }

    func read(context: ChannelHandlerContext) {
        if session.isWaiting {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is SMTPShutdownEvent {
            perform(session.shutdown(), context: context)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            perform(session.idleTimeout(), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset connection or a failed TLS handshake: nothing sensible can be said any more.
        context.close(promise: nil)
    }

    private func perform(_ actions: [SMTPSessionAction], context: ChannelHandlerContext) {
        var lastWrite: EventLoopFuture<Void>?
        for action in actions {
            switch action {
            case .reply(let reply):
                lastWrite = context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply.bytes)))
            case .checkRecipient(let address):
                let policy = recipientPolicy
                context.eventLoop.makeFutureWithTask { try await policy(address) }
                    .assumeIsolated().whenComplete { result in
                        let decision: SMTPRecipientDecision = switch result {
                        case .success(true): .accept
                        case .success(false): .reject
                        case .failure: .temporaryFailure
                        }
                        self.perform(self.session.recipientChecked(decision), context: context)
                        self.releaseHeldRead(context: context)
                    }
            case .deliver(let envelope, let raw):
                let deliver = deliver
                context.eventLoop.makeFutureWithTask { try await deliver(envelope, raw) }
                    .assumeIsolated().whenComplete { result in
                        let outcome: SMTPDeliveryOutcome = switch result {
                        case .success: .delivered
                        case .failure(let error): .from(error)
                        }
                        self.perform(self.session.deliveryFinished(outcome), context: context)
                        self.releaseHeldRead(context: context)
                    }
            case .startTLS:
                context.flush()
                guard let sslContext else {
                    context.close(promise: nil)
                    return
                }
                // Added right after the 220 is handed to the socket and before anything more is
                // read, so the client's first TLS bytes can only reach the TLS handler.
                do {
                    try context.pipeline.syncOperations.addHandler(
                        NIOSSLServerHandler(context: sslContext), position: .first)
                } catch {
                    context.close(promise: nil)
                }
            case .close:
                context.flush()
                let written = lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
        context.flush()
    }

    private func releaseHeldRead(context: ChannelHandlerContext) {
        if readHeld && !session.isWaiting {
            readHeld = false
            context.read()
        }
    }
}
