import Foundation
import NIOCore

/// Responses read from the server, waiting to be taken by `IMAPConnection`; filled on the event
/// loop, emptied from the connection's actor. The first failure (closed connection, TLS error,
/// unreadable stream) is kept and thrown once the responses before it are taken.
final class IMAPResponseQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [IMAPResponse] = []
    private var head = 0
    private var failure: IMAPError?
    private var waiter: (id: Int, continuation: CheckedContinuation<IMAPResponse?, any Error>)?
    private var nextWaiterID = 0
    private var lastActivity = NIODeadline.now()
    private var partial = false

    /// Bytes arrived (even a piece of a large literal): resets an activity-based timeout.
    func noteActivity(partialResponsePending: Bool) {
        lock.withLock {
            lastActivity = .now()
            partial = partialResponsePending
        }
    }

    /// Nothing received and not yet taken (checked before switching to TLS: no plain-text
    /// bytes sent before the handshake may be read as if they came over TLS).
    var isDrained: Bool {
        lock.withLock { head == responses.count && !partial }
    }

    func push(_ response: IMAPResponse) {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.continuation.resume(returning: response)
            return
        }
        responses.append(response)
        lock.unlock()
    }

    func fail(_ error: IMAPError) {
        lock.lock()
        if failure == nil { failure = error }
        if let waiter, head == responses.count {
            self.waiter = nil
            let failure = failure!
            lock.unlock()
            waiter.continuation.resume(throwing: failure)
            return
        }
        lock.unlock()
    }

    enum Deadline {
        /// Time out after this long without any bytes from the server.
        case silence(TimeAmount)
        /// Time out at this moment whatever arrives (IDLE).
        case fixed(NIODeadline)
    }

    /// The next response; nil when the deadline passed first.
    func next(_ deadline: Deadline, on eventLoop: any EventLoop) async throws -> IMAPResponse? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<IMAPResponse?, any Error>) in
            lock.lock()
            if head < responses.count {
                let response = responses[head]
                head += 1
                if head == responses.count {
                    responses.removeAll(keepingCapacity: true)
                    head = 0
                }
                lock.unlock()
                continuation.resume(returning: response)
                return
            }
            if let failure {
                lock.unlock()
                continuation.resume(throwing: failure)
                return
            }
            nextWaiterID += 1
            let id = nextWaiterID
            waiter = (id, continuation)
            let due: NIODeadline = switch deadline {
            case .silence(let amount): lastActivity + amount
            case .fixed(let moment): moment
            }
            lock.unlock()
            scheduleCheck(id: id, at: due, deadline: deadline, on: eventLoop)
        }
    }

    private func scheduleCheck(id: Int, at due: NIODeadline, deadline: Deadline, on eventLoop: any EventLoop) {
        eventLoop.scheduleTask(deadline: due) { [self] in
            lock.lock()
            guard let waiter, waiter.id == id else {
                lock.unlock()
                return
            }
            var nextDue: NIODeadline?
            if case .silence(let amount) = deadline, lastActivity + amount > .now() {
                nextDue = lastActivity + amount
            }
            if let nextDue {
                lock.unlock()
                scheduleCheck(id: id, at: nextDue, deadline: deadline, on: eventLoop)
                return
            }
            self.waiter = nil
            lock.unlock()
            waiter.continuation.resume(returning: nil)
        }
    }
}

/// The only NIO part of the client: cuts the incoming bytes into responses and queues them.
final class IMAPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var framer: IMAPResponseFramer
    private let queue: IMAPResponseQueue
    private var failed = false

    init(queue: IMAPResponseQueue, maxLiteralSize: Int) {
        self.queue = queue
        self.framer = IMAPResponseFramer(maxLiteralSize: maxLiteralSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        framer.append(buffer.readableBytesView)
        do {
            while let frame = try framer.next() {
                queue.push(IMAPResponseParser.parse(frame))
            }
            queue.noteActivity(partialResponsePending: framer.hasPartialResponse)
        } catch {
            failed = true
            queue.fail(error as? IMAPError ?? .protocolError("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        queue.fail(.connection("the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        queue.fail(.connection(String(describing: error)))
        context.close(promise: nil)
    }
}
