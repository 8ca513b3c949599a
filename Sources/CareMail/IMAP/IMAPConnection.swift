import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One IMAP4rev1 (RFC 3501) client connection: logged in after `connect`, one command at a time.
///
/// Untagged responses nobody asked for (EXISTS, RECENT, FLAGS, EXPUNGE, `OK [...]`, CAPABILITY,
/// unsolicited FETCH) are read and, where useful, remembered; anything unreadable is ignored.
/// A tagged NO or BAD becomes `IMAPError.protocolError` with the command and the server's text.
/// After a timeout or a lost connection every further call throws the same error: connect anew.
/// Not for concurrent use: a second call while one runs throws.
public actor IMAPConnection {
    public nonisolated let configuration: IMAPConfiguration
    private let channel: any Channel
    private let queue: IMAPResponseQueue
    private let sslContext: NIOSSLContext?
    private nonisolated let capabilityStore = IMAPCapabilityStore()
    private var tagNumber = 0
    var busy = false
    private var unusable: IMAPError?
    private var byeText: String?
    /// Messages in the selected mailbox, as the server last said.
    var exists: UInt32 = 0
    /// The mailbox of the last successful SELECT.
    public internal(set) var selectedMailbox: String?

    /// What the server says it can do (upper-cased: `IMAP4REV1`, `IDLE`, `MOVE`, `UIDPLUS`, `AUTH=PLAIN`…),
    /// as of the last CAPABILITY (after login).
    public nonisolated var capabilities: Set<String> { capabilityStore.value }

    public nonisolated func hasCapability(_ name: String) -> Bool {
        capabilityStore.value.contains(name.uppercased())
    }

    private init(configuration: IMAPConfiguration, channel: any Channel, queue: IMAPResponseQueue, sslContext: NIOSSLContext?) {
        self.configuration = configuration
        self.channel = channel
        self.queue = queue
        self.sslContext = sslContext
    }

    deinit {
        channel.close(promise: nil)
    }

    private var responseTimeout: TimeAmount {
        .nanoseconds(Int64(max(0.001, configuration.timeout) * 1_000_000_000))
    }

    // MARK: - Connecting

    /// Connects, reads the greeting, does STARTTLS when asked, reads the capabilities and logs in:
    /// AUTHENTICATE PLAIN when offered, else LOGIN; refuses to send the password when the server
    /// says LOGINDISABLED and offers nothing else. A refused password is `IMAPError.authentication`.
    public static func connect(_ configuration: IMAPConfiguration,
                               on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> IMAPConnection {
        let sslContext: NIOSSLContext? = configuration.security == .none ? nil : try makeSSLContext(configuration)
        let tlsHostname = tlsServerName(configuration.host)
        let queue = IMAPResponseQueue()
        let implicitTLS = configuration.security == .implicitTLS
        let maxLiteral = configuration.maxMessageSize
        let timeout = TimeAmount.nanoseconds(Int64(max(0.001, configuration.timeout) * 1_000_000_000))
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: tlsHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(IMAPClientHandler(queue: queue, maxLiteralSize: maxLiteral))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw IMAPError.connection("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        let connection = IMAPConnection(configuration: configuration, channel: channel, queue: queue, sslContext: sslContext)
        do {
            try await connection.open()
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    static func makeSSLContext(_ configuration: IMAPConfiguration) throws -> NIOSSLContext {
        do {
            return try MailTLS.clientContext(trustedCertificateFile: configuration.trustedCertificateFile)
        } catch {
            throw IMAPError.connection("TLS setup failed: \(error)")
        }
    }

    /// The name for SNI and certificate checks; nil for an IP address (NIOSSL then checks the
    /// certificate against the address connected to).
    static func tlsServerName(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    private func open() async throws {
        let greeting = try await nextResponse()
        var preauthenticated = false
        switch greeting {
        case .status(.ok, let text):
            noteCapabilities(from: text)
        case .status(.preauth, let text):
            noteCapabilities(from: text)
            preauthenticated = true
        case .status(.bye, let text):
            throw fail(.connection("the server refused the connection: \(text.description)"))
        default:
            throw fail(.protocolError("unexpected greeting: \(greeting)"))
        }
        if configuration.security == .startTLS {
            if preauthenticated {
                throw fail(.connection("the server logged us in before STARTTLS (PREAUTH); refusing to continue in plain text"))
            }
            try await refreshCapabilities()
            guard hasCapability("STARTTLS") else {
                throw fail(.connection("the server does not offer STARTTLS"))
            }
            try await run([.text("STARTTLS")], name: "STARTTLS")
            try await startTLS()
        }
        try await refreshCapabilities()
        if !preauthenticated {
            try await login()
        }
    }

    private func startTLS() async throws {
        guard queue.isDrained else {
            throw fail(.connection("the server sent data after agreeing to STARTTLS (possible injection); closing"))
        }
        guard let sslContext else { throw fail(.connection("no TLS context")) }
        let hostname = Self.tlsServerName(configuration.host)
        let channel = self.channel
        do {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: sslContext, serverHostname: hostname), position: .first)
            }.get()
        } catch {
            throw fail(.connection("cannot start TLS: \(error)"))
        }
        capabilityStore.set([])
    }

    private func refreshCapabilities() async throws {
        var found: Set<String>?
        try await run([.text("CAPABILITY")], name: "CAPABILITY") { response in
            if case .data("CAPABILITY", let values) = response {
                found = Set(values.compactMap { $0.text?.uppercased() })
            }
        }
        if let found { capabilityStore.set(found) }
    }

    private func login() async throws {
        let result: (status: IMAPStatus, text: IMAPResponseText)
        if hasCapability("AUTH=PLAIN") {
            var message: [UInt8] = [0]
            message += Array(configuration.username.utf8)
            message.append(0)
            message += Array(configuration.password.utf8)
            let encoded = Data(message).base64EncodedString()
            if hasCapability("SASL-IR") {
                result = try await execute([.text("AUTHENTICATE PLAIN " + encoded)], redacted: "AUTHENTICATE PLAIN")
            } else {
                var sent = false
                result = try await execute([.text("AUTHENTICATE PLAIN")], redacted: "AUTHENTICATE PLAIN", onContinuation: { _ in
                    if sent { return Array("*".utf8) }  // a second challenge: cancel the exchange
                    sent = true
                    return Array(encoded.utf8)
                })
            }
        } else if hasCapability("LOGINDISABLED") {
            throw fail(.authentication("the server does not allow a plain-text login here (LOGINDISABLED); use security starttls or tls"))
        } else {
            result = try await execute([.text("LOGIN "), IMAPEncoding.astring(configuration.username), .text(" "),
                                        IMAPEncoding.astring(configuration.password)], redacted: "LOGIN")
        }
        switch result.status {
        case .ok:
            if result.text.code == "CAPABILITY" {
                noteCapabilities(from: result.text)
            } else {
                try await refreshCapabilities()
            }
        case .no where result.text.code == "UNAVAILABLE":
            throw fail(.connection("login temporarily unavailable: \(result.text.description)"))
        case .no:
            throw fail(.authentication(result.text.description))
        default:
            throw fail(.protocolError("login: \(result.status.rawValue) \(result.text.description)"))
        }
    }

    /// LOGOUT and close. Never throws; safe to call twice.
    public func logout() async {
        if unusable == nil && !busy {
            _ = try? await execute([.text("LOGOUT")])
        }
        await close()
    }

    func close() async {
        if unusable == nil { unusable = .connection("the connection was closed") }
        try? await channel.close()
    }

    /// For tests: behave as if the server had not announced this capability (e.g. MOVE).
    func forgetCapability(_ name: String) {
        var current = capabilityStore.value
        current.remove(name.uppercased())
        capabilityStore.set(current)
    }

    // MARK: - Sending commands and reading responses

    /// Runs a command and throws `protocolError` unless it ends in OK; returns the OK's text.
    @discardableResult
    func run(_ parts: [IMAPCommandPart], name: String,
                     onUntagged: (IMAPResponse) -> Void = { _ in }) async throws -> IMAPResponseText {
        let result = try await execute(parts, onUntagged: onUntagged)
        guard result.status == .ok else {
            throw IMAPError.protocolError("\(name): \(result.status.rawValue) \(result.text.description)")
        }
        return result.text
    }

    /// Sends one command (literals synchronizing or, with LITERAL+, not) and reads up to its
    /// tagged response. Untagged responses go through `handleUntagged`, then to `onUntagged`.
    func execute(_ parts: [IMAPCommandPart], redacted: String? = nil,
                         onUntagged: (IMAPResponse) -> Void = { _ in },
                         onContinuation: ((String) -> [UInt8])? = nil) async throws -> (status: IMAPStatus, text: IMAPResponseText) {
        try beginCommand()
        defer { busy = false }
        let tag = nextTag()
        var pending = Array("\(tag) ".utf8)
        for part in parts {
            switch part {
            case .text(let text):
                pending += Array(text.utf8)
            case .literal(let bytes):
                let nonSynchronizing = hasCapability("LITERAL+") || (hasCapability("LITERAL-") && bytes.count <= 4096)
                if nonSynchronizing {
                    pending += Array("{\(bytes.count)+}\r\n".utf8)
                } else {
                    pending += Array("{\(bytes.count)}\r\n".utf8)
                    try await write(pending)
                    pending = []
                    waiting: while true {
                        let response = try await nextResponse()
                        switch response {
                        case .continuation: break waiting
                        case .tagged(tag, let status, let text): return (status, text)  // the server refused the literal
                        default:
                            handleUntagged(response)
                            onUntagged(response)
                        }
                    }
                }
                pending += bytes
            }
        }
        pending += [0x0D, 0x0A]
        try await write(pending)
        while true {
            let response = try await nextResponse()
            switch response {
            case .tagged(tag, let status, let text):
                return (status, text)
            case .tagged:
                continue  // not ours (cannot happen with one command at a time)
            case .continuation(let text):
                guard let onContinuation else {
                    throw fail(.protocolError("\(redacted ?? "command") got an unexpected continuation request: \(text)"))
                }
                try await write(onContinuation(text) + [0x0D, 0x0A])
            default:
                handleUntagged(response)
                onUntagged(response)
            }
        }
    }

    func beginCommand() throws {
        if let unusable { throw unusable }
        guard !busy else { throw IMAPError.protocolError("another command is running on this connection") }
        busy = true
    }

    func nextTag() -> String {
        tagNumber += 1
        return "A\(tagNumber)"
    }

    /// What every command learns from untagged responses.
    func handleUntagged(_ response: IMAPResponse) {
        switch response {
        case .numbered(let count, "EXISTS", _):
            exists = count
        case .numbered(_, "EXPUNGE", _):
            if exists > 0 { exists -= 1 }
        case .status(.bye, let text):
            byeText = text.description
        case .status(_, let text):
            noteCapabilities(from: text)
        case .data("CAPABILITY", let values):
            capabilityStore.set(Set(values.compactMap { $0.text?.uppercased() }))
        default:
            break
        }
    }

    private func noteCapabilities(from text: IMAPResponseText) {
        if text.code == "CAPABILITY" {
            capabilityStore.set(Set(text.codeArguments.compactMap { $0.text?.uppercased() }))
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
        } catch {
            throw fail(.connection(byeText.map { "the server said BYE: \($0)" } ?? "cannot send: \(error)"))
        }
    }

    /// The next response; a timeout or a lost connection makes the connection unusable.
    func nextResponse() async throws -> IMAPResponse {
        guard let response = try await nextResponse(.silence(responseTimeout)) else {
            throw fail(.timeout)
        }
        return response
    }

    func nextResponse(_ deadline: IMAPResponseQueue.Deadline) async throws -> IMAPResponse? {
        do {
            let response = try await queue.next(deadline, on: channel.eventLoop)
            if case .status(.bye, let text) = response { byeText = text.description }
            return response
        } catch let error as IMAPError {
            if case .connection = error, let byeText {
                throw fail(.connection("the server said BYE: \(byeText)"))
            }
            throw fail(error)
        }
    }

    /// Marks the connection unusable (closing it) and returns the error to throw.
    private func fail(_ error: IMAPError) -> IMAPError {
        if unusable == nil {
            unusable = error
            channel.close(promise: nil)
        }
        return error
    }
}

/// The capability set, readable without awaiting the actor.
final class IMAPCapabilityStore: @unchecked Sendable {
    private let lock = NSLock()
    private var capabilities: Set<String> = []

    var value: Set<String> { lock.withLock { capabilities } }
    func set(_ value: Set<String>) { lock.withLock { capabilities = value } }
}
