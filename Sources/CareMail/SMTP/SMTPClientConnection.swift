import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The SMTP client's connection on SwiftNIO: connect (optionally with TLS from the start),
/// write bytes, read whole replies with a timeout, and STARTTLS. All protocol decisions
/// are in `SMTPClientConversation`; this only moves bytes and maps failures to
/// `SMTPClientError`.
final class SMTPClientConnection: SMTPClientTransport {
    /// Message data is written in pieces of this size, each with its own timeout.
    static let writeChunk = 64 * 1024

    private let channel: any Channel
    private let handler: NIOLoopBound<SMTPClientReplyHandler>
    private let timeout: TimeAmount
    private let sslContext: NIOSSLContext?
    private let serverHostname: String?
    private let host: String

    private init(channel: any Channel, handler: NIOLoopBound<SMTPClientReplyHandler>, timeout: TimeAmount,
                 sslContext: NIOSSLContext?, serverHostname: String?, host: String) {
        self.channel = channel
        self.handler = handler
        self.timeout = timeout
        self.sslContext = sslContext
        self.serverHostname = serverHostname
        self.host = host
    }

    static func connect(_ configuration: SMTPClientConfiguration, on group: any EventLoopGroup) async throws(SMTPClientError) -> SMTPClientConnection {
        var host = configuration.host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }  // [IPv6]
        let sslContext = configuration.security == .none ? nil : try makeSSLContext(configuration)
        // An IP address is not sent as SNI; NIOSSL then checks the certificate's IP addresses.
        let serverHostname: String? = (try? SocketAddress(ipAddress: host, port: 0)) != nil ? nil : host
        let implicitTLS = configuration.security == .implicitTLS
        let displayHost = host
        let handlers = SMTPClientHandlers()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(configuration.timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    let handler = SMTPClientReplyHandler(host: displayHost, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handlers.insert(NIOLoopBound(handler, eventLoop: channel.eventLoop), for: channel)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: configuration.port).get()
        } catch {
            throw .temporary("Cannot connect to \(host):\(configuration.port): \(SMTPClientConnection.describe(error))")
        }
        guard let handler = handlers.handler(for: channel) else {  // cannot happen: the initializer ran
            channel.close(promise: nil)
            throw .temporary("Connection to \(host):\(configuration.port) could not be set up")
        }
        return SMTPClientConnection(channel: channel, handler: handler, timeout: configuration.timeout,
                                    sslContext: sslContext, serverHostname: serverHostname, host: host)
    }

    /// TLS 1.2 or later, full certificate and host name verification, the system trust store
    /// plus `trustedCertificateFile`.
    static func makeSSLContext(_ configuration: SMTPClientConfiguration) throws(SMTPClientError) -> NIOSSLContext {
        do {
            return try MailTLS.clientContext(trustedCertificateFile: configuration.trustedCertificateFile)
        } catch {
            throw .permanent("Cannot set up TLS (trusted certificate file \(configuration.trustedCertificateFile ?? "none")): \(error)")
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        let (channel, handler, timeout, host) = (self.channel, self.handler, self.timeout, self.host)
        var offset = 0
        repeat {
            let end = min(offset + Self.writeChunk, bytes.count)
            let buffer = channel.allocator.buffer(bytes: bytes[offset..<end])
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                handler.value.fail(.temporary("Timed out writing to \(host) (\(SMTPClientConnection.describe(timeout)))"))
                channel.close(promise: nil)
            }
            do {
                try await channel.writeAndFlush(buffer).get()
                timer.cancel()
            } catch {
                timer.cancel()
                throw await failure(or: .temporary("Writing to \(host) failed: \(SMTPClientConnection.describe(error))"))
            }
            offset = end
        } while offset < bytes.count
    }

    func readReply(timeout: TimeAmount?) async throws -> SMTPReply {
        let (handler, wait) = (self.handler, timeout ?? self.timeout)
        return try await channel.eventLoop.flatSubmit { handler.value.nextReply(timeout: wait) }.get()
    }

    func startTLS() async throws {
        guard let sslContext else { throw SMTPClientError.permanent("STARTTLS without a TLS configuration") }
        let (channel, handler, serverHostname) = (self.channel, self.handler, self.serverHostname)
        do {
            try await channel.eventLoop.submit {
                handler.value.discardPendingInput()
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname), position: .first)
            }.get()
        } catch {
            throw await failure(or: .permanent("Cannot start TLS with \(host): \(SMTPClientConnection.describe(error))"))
        }
    }

    func close() async {
        try? await channel.close()
    }

    /// Closes at once (the task was cancelled); a waiting read fails.
    func abort() {
        let (channel, handler, host) = (self.channel, self.handler, self.host)
        channel.eventLoop.execute {
            handler.value.fail(.temporary("Sending to \(host) was cancelled"))
            channel.close(promise: nil)
        }
    }

    /// The failure the connection already knows of (timeout, TLS, closed), else `fallback`.
    private func failure(or fallback: SMTPClientError) async -> SMTPClientError {
        let handler = self.handler
        let known = try? await channel.eventLoop.submit { handler.value.failure }.get()
        return (known ?? nil) ?? fallback
    }
}

/// The reply handler of each channel the bootstrap set up (with happy eyeballs there can be
/// several attempts), so the connected channel's handler is found even if that channel has
/// already been closed again (a failed TLS handshake) and its pipeline emptied.
final class SMTPClientHandlers: @unchecked Sendable {
    private let lock = NSLock()
    private var handlers: [ObjectIdentifier: NIOLoopBound<SMTPClientReplyHandler>] = [:]

    func insert(_ handler: NIOLoopBound<SMTPClientReplyHandler>, for channel: any Channel) {
        lock.withLock { handlers[ObjectIdentifier(channel)] = handler }
    }

    func handler(for channel: any Channel) -> NIOLoopBound<SMTPClientReplyHandler>? {
        lock.withLock { handlers[ObjectIdentifier(channel)] }
    }
}

/// Collects the server's replies from the channel and hands them out one at a time; the
/// first failure (closed, reset, TLS, timeout, malformed reply) sticks.
final class SMTPClientReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let host: String
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var parser = SMTPClientReplyParser()
    private var replies = CircularBuffer<SMTPReply>()
    private(set) var failure: SMTPClientError?
    private var waiter: EventLoopPromise<SMTPReply>?
    private var timer: Scheduled<Void>?

    init(host: String, eventLoop: any EventLoop) {
        self.host = host
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        let buffer = unwrapInboundIn(data)
        do throws(SMTPClientError) {
            replies.append(contentsOf: try parser.feed(buffer.readableBytesView))
            serve()
        } catch {
            fail(.temporary("\(error.message) (from \(host))"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.temporary("Connection closed by \(host)"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.classify(error, host: host))
        context.close(promise: nil)
    }

    /// The next reply, or the failure, or a timeout (which closes the connection).
    func nextReply(timeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        if let reply = replies.popFirst() { return eventLoop.makeSucceededFuture(reply) }
        if let failure { return eventLoop.makeFailedFuture(failure) }
        guard waiter == nil else { return eventLoop.makeFailedFuture(SMTPClientError.temporary("Two reads at once")) }
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        waiter = promise
        timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.fail(.temporary("No reply from \(self.host) within \(SMTPClientConnection.describe(timeout))"))
            self.context?.close(promise: nil)
        }
        return promise.futureResult
    }

    func fail(_ error: SMTPClientError) {
        if failure == nil { failure = error }
        serve()
    }

    /// Before TLS starts: anything the server sent after its 220 in the clear is dropped
    /// (RFC 3207 §6: it could be an injected reply).
    func discardPendingInput() {
        replies.removeAll()
        parser = SMTPClientReplyParser()
    }

    private func serve() {
        guard let waiter else { return }
        if let reply = replies.popFirst() {
            finish()
            waiter.succeed(reply)
        } else if let failure {
            finish()
            waiter.fail(failure)
        }
    }

    private func finish() {
        waiter = nil
        timer?.cancel()
        timer = nil
    }

    /// TLS set-up and certificate problems are permanent (they need a configuration change);
    /// everything else on the connection is temporary.
    static func classify(_ error: any Error, host: String) -> SMTPClientError {
        if let error = error as? SMTPClientError { return error }
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .handshakeFailed, .noCertificateToValidate, .unableToValidateCertificate:
                return .permanent("TLS handshake with \(host) failed (certificate not trusted, or the port expects another " +
                                  "security setting?): \(ssl)")
            default:
                return .temporary("TLS error with \(host): \(ssl)")
            }
        }
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname {
                return .permanent("TLS with \(host) failed: the server's certificate is not valid for the name \(host)")
            }
            return .permanent("TLS with \(host) failed: \(extra)")
        }
        return .temporary("Connection to \(host) failed: \(SMTPClientConnection.describe(error))")
    }
}

extension SMTPClientConnection {
    /// Short texts for errors and durations in messages.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { "\($0.target): \(Self.describe($0.error))" }
            if !reasons.isEmpty { return reasons.joined(separator: "; ") }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "host not found (\(dns))" }
            return "\(error)"
        }
        if let error = error as? IOError { return error.description }
        return "\(error)"
    }

    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
