import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Decides per RCPT TO whether the address is one of ours: true → 250, false → 550 5.1.1.
/// Throwing → 451 4.3.0 (the client tries again later). Compare addresses as you see fit
/// (local parts are passed as the client wrote them).
public typealias SMTPRecipientPolicy = @Sendable (_ address: String) async throws -> Bool

/// Stores one received message; return only once it is committed (then the client hears 250).
/// Throw `SMTPDeliveryError.temporary` (451) or `.permanent` (554); any other error is 451.
/// `raw` is exactly the message: CRLF line ends, dot-unstuffed, nothing added.
public typealias SMTPDeliveryHandler = @Sendable (_ envelope: SMTPEnvelope, _ raw: [UInt8]) async throws -> Void

public struct SMTPServerConfiguration: Sendable {
    /// Address to listen on (default 127.0.0.1) and port (default 2525; 0 picks a free port).
    public var host: String
    public var port: Int
    /// Our name in the greeting and replies.
    public var hostname: String
    public var maxMessageSize: Int
    public var maxRecipients: Int
    public var maxCommandLineLength: Int
    public var maxBadCommands: Int
    /// A connection with no input for this long is closed with 421 4.4.2.
    public var idleTimeout: TimeAmount
    /// On `stop()`, connections still busy after this long are closed without more ado.
    public var shutdownGracePeriod: TimeAmount
    /// When set, STARTTLS is offered with this (server) configuration.
    public var tls: TLSConfiguration?

    public init(host: String = "127.0.0.1", port: Int = 2525, hostname: String = "localhost",
                maxMessageSize: Int = 25 * 1024 * 1024, maxRecipients: Int = 100,
                maxCommandLineLength: Int = 2048, maxBadCommands: Int = 10,
                idleTimeout: TimeAmount = .minutes(5), shutdownGracePeriod: TimeAmount = .seconds(10),
                tls: TLSConfiguration? = nil) {
        self.host = host
        self.port = port
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.maxCommandLineLength = maxCommandLineLength
        self.maxBadCommands = maxBadCommands
        self.idleTimeout = idleTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.tls = tls
    }

    /// A TLS server configuration from PEM files (certificate chain, then private key).
    public static func tls(certificateChainFile: String, privateKeyFile: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChainFile).map { NIOSSLCertificateSource.certificate($0) }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)))
    }

    var session: SMTPSessionConfiguration {
        SMTPSessionConfiguration(hostname: hostname, maxMessageSize: maxMessageSize, maxRecipients: maxRecipients,
                                 maxCommandLineLength: maxCommandLineLength, maxBadCommands: maxBadCommands,
                                 tlsAvailable: tls != nil)
    }
}

public enum SMTPServerError: Error, Sendable {
    case alreadyStarted
}

/// The SMTP receiver: listens, runs one `SMTPSession` per connection, asks `recipientPolicy`
/// for every RCPT and hands every message to `deliver`.
public actor SMTPServer {
    public nonisolated let configuration: SMTPServerConfiguration
    private let recipientPolicy: SMTPRecipientPolicy
    private let deliver: SMTPDeliveryHandler
    private let group: any EventLoopGroup
    private let connections = SMTPConnections()
    private var listener: (any Channel)?
    /// The port actually listened on (useful with port 0), while running.
    public private(set) var localPort: Int?

    public init(configuration: SMTPServerConfiguration, eventLoopGroup: (any EventLoopGroup)? = nil,
                recipientPolicy: @escaping SMTPRecipientPolicy, deliver: @escaping SMTPDeliveryHandler) {
        self.configuration = configuration
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.recipientPolicy = recipientPolicy
        self.deliver = deliver
    }

    /// Connections open right now.
    public nonisolated var openConnections: Int { connections.all().count }

    /// Starts listening and returns the port.
    @discardableResult
    public func start() async throws -> Int {
        guard listener == nil else { throw SMTPServerError.alreadyStarted }
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let sessionConfiguration = configuration.session
        let idleTimeout = configuration.idleTimeout
        let (connections, recipientPolicy, deliver) = (self.connections, self.recipientPolicy, self.deliver)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let session = SMTPSession(configuration: sessionConfiguration,
                                              remoteAddress: channel.remoteAddress?.ipAddress)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(SMTPChannelHandler(
                        session: session, sslContext: sslContext, recipientPolicy: recipientPolicy, deliver: deliver))
                    connections.insert(channel)
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        listener = channel
        let port = channel.localAddress?.port ?? configuration.port
        localPort = port
        return port
    }

    /// Stops listening, tells every open session 421 (after any delivery under way is
    /// answered), and returns when all connections are closed or the grace period is over.
    public func stop() async {
        guard let listener else { return }
        self.listener = nil
        localPort = nil
        try? await listener.close()
        let open = connections.all()
        let grace = configuration.shutdownGracePeriod
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(SMTPShutdownEvent())
            let deadline = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
            channel.closeFuture.whenComplete { _ in deadline.cancel() }
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}

/// Open connections, so `stop()` can reach them.
final class SMTPConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]

    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock { channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.remove(id)
        }
    }

    private func remove(_ id: ObjectIdentifier) {
        lock.withLock { _ = channels.removeValue(forKey: id) }
    }

    func all() -> [any Channel] {
        lock.withLock { Array(channels.values) }
    }
}
