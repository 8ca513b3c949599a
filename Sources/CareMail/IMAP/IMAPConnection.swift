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
    private var busy = false
    private var unusable: IMAPError?
    private var byeText: String?
    /// Messages in the selected mailbox, as the server last said.
    private var exists: UInt32 = 0
    /// The mailbox of the last successful SELECT.
    public private(set) var selectedMailbox: String?

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

    // MARK: - Mailbox commands

    /// SELECT: UIDVALIDITY, UIDNEXT and the number of messages.
    public func select(_ mailbox: String) async throws -> IMAPMailboxStatus {
        var status = IMAPMailboxStatus(uidValidity: 0, uidNext: nil, exists: 0)
        selectedMailbox = nil
        let text = try await run([.text("SELECT "), IMAPEncoding.mailbox(mailbox)], name: "SELECT \(mailbox)") { response in
            switch response {
            case .numbered(let count, "EXISTS", _):
                status.exists = count
            case .status(.ok, let text) where text.code == "UIDVALIDITY":
                status.uidValidity = text.codeArguments.first?.number ?? 0
            case .status(.ok, let text) where text.code == "UIDNEXT":
                status.uidNext = text.codeArguments.first?.number
            default:
                break
            }
        }
        status.readOnly = text.code == "READ-ONLY"
        selectedMailbox = mailbox
        exists = status.exists
        return status
    }

    /// The UIDs greater than `uid` in the selected mailbox, ascending
    /// (`UID SEARCH UID n+1:*`; the server's answer for `*` is filtered out when it is not newer).
    public func uidSearch(after uid: UInt32) async throws -> [UInt32] {
        guard uid < UInt32.max else { return [] }
        return try await searchUIDs("UID \(uid + 1):*").filter { $0 > uid }
    }

    private func searchUIDs(_ criteria: String) async throws -> [UInt32] {
        var found = Set<UInt32>()
        try await run([.text("UID SEARCH " + criteria)], name: "UID SEARCH") { response in
            if case .data("SEARCH", let values) = response {
                for value in values { if let number = value.number { found.insert(number) } }
            }
        }
        return found.sorted()
    }

    /// The whole message as the server stores it (`BODY.PEEK[]`, so `\Seen` is not set), or nil
    /// when there is no message with this UID (any more). Throws `IMAPError.messageTooLarge` for a
    /// message over `configuration.maxMessageSize` (its bytes were read and thrown away).
    public func fetchMessage(uid: UInt32) async throws -> [UInt8]? {
        var body: IMAPValue?
        var size: Int?
        let result = try await execute([.text("UID FETCH \(uid) (UID RFC822.SIZE BODY.PEEK[])")], onUntagged: { response in
            guard let attributes = IMAPFetchAttributes(response) else { return }
            guard attributes.uid == uid || (attributes.uid == nil && attributes.body != nil) else { return }
            if let value = attributes.body { body = value }
            if let value = attributes.size { size = value }
        })
        if result.status != .ok && body == nil {
            // RFC 3501 allows NO for a message expunged by another session: check whether it is still there.
            if try await searchUIDs("UID \(uid)").contains(uid) {
                throw IMAPError.protocolError("UID FETCH \(uid): \(result.status.rawValue) \(result.text.description)")
            }
            return nil
        }
        switch body {
        case nil: return nil
        case .string(let bytes): return bytes
        case .null: return []
        case .atom(let text): return Array(text.utf8)
        case .oversizedLiteral(let literalSize): throw IMAPError.messageTooLarge(uid: uid, size: size ?? literalSize)
        case .list: throw IMAPError.protocolError("UID FETCH \(uid): BODY[] is a list")
        }
    }

    /// Marks the message seen, or moves it (see `IMAPAfterProcessing`).
    public func process(uid: UInt32, _ action: IMAPAfterProcessing) async throws {
        switch action {
        case .markSeen:
            try await run([.text("UID STORE \(uid) +FLAGS.SILENT (\\Seen)")], name: "UID STORE")
        case .move(let target):
            if hasCapability("MOVE") {
                try await creatingTarget(target) { [.text("UID MOVE \(uid) "), IMAPEncoding.mailbox(target)] }
            } else {
                try await creatingTarget(target) { [.text("UID COPY \(uid) "), IMAPEncoding.mailbox(target)] }
                try await run([.text("UID STORE \(uid) +FLAGS.SILENT (\\Deleted)")], name: "UID STORE")
                if hasCapability("UIDPLUS") {
                    try await run([.text("UID EXPUNGE \(uid)")], name: "UID EXPUNGE")
                } else {
                    try await run([.text("EXPUNGE")], name: "EXPUNGE")
                }
            }
        }
    }

    /// Runs a COPY or MOVE; when refused (TRYCREATE or otherwise), creates the target and tries once more.
    private func creatingTarget(_ target: String, _ command: () -> [IMAPCommandPart]) async throws {
        let name = command().first.map { if case .text(let text) = $0 { text.trimmingCharacters(in: .whitespaces) } else { "" } } ?? ""
        let first = try await execute(command())
        guard first.status != .ok else { return }
        try await create(target)
        let second = try await execute(command())
        guard second.status == .ok else {
            throw IMAPError.protocolError("\(name) to \(target): \(second.status.rawValue) \(second.text.description)")
        }
    }

    /// CREATE; a mailbox that already exists is fine.
    public func create(_ mailbox: String) async throws {
        let result = try await execute([.text("CREATE "), IMAPEncoding.mailbox(mailbox)])
        if result.status != .ok && result.text.code != "ALREADYEXISTS" {
            // Some servers give no code: fine if the mailbox is there now.
            var listed = false
            try await run([.text("LIST \"\" "), IMAPEncoding.mailbox(mailbox)], name: "LIST") { response in
                if case .data("LIST", _) = response { listed = true }
            }
            if !listed {
                throw IMAPError.protocolError("CREATE \(mailbox): \(result.status.rawValue) \(result.text.description)")
            }
        }
    }

    /// DELETE a mailbox.
    public func delete(_ mailbox: String) async throws {
        try await run([.text("DELETE "), IMAPEncoding.mailbox(mailbox)], name: "DELETE \(mailbox)")
    }

    /// APPEND (handy for tests and for filing copies). Returns the new UID when the server says (UIDPLUS).
    @discardableResult
    public func append(_ message: [UInt8], to mailbox: String, flags: [String] = []) async throws -> UInt32? {
        var parts: [IMAPCommandPart] = [.text("APPEND "), IMAPEncoding.mailbox(mailbox), .text(" ")]
        if !flags.isEmpty { parts.append(.text("(" + flags.joined(separator: " ") + ") ")) }
        parts.append(.literal(message))
        let text = try await run(parts, name: "APPEND")
        if text.code == "APPENDUID", text.codeArguments.count >= 2 { return text.codeArguments[1].number }
        return nil
    }

    /// The flags of one message (`\Seen`, …), nil when it is not there.
    public func flags(uid: UInt32) async throws -> [String]? {
        var flags: [String]?
        try await run([.text("UID FETCH \(uid) (UID FLAGS)")], name: "UID FETCH") { response in
            if let attributes = IMAPFetchAttributes(response), attributes.uid == uid { flags = attributes.flags }
        }
        return flags
    }

    public func noop() async throws {
        try await run([.text("NOOP")], name: "NOOP")
    }

    /// IDLE (RFC 2177) for up to `seconds`: true as soon as the server reports more messages
    /// (EXISTS), false when the time is up. Ends with DONE either way. Needs a selected mailbox
    /// and the IDLE capability. Keep `seconds` under 29 minutes (servers drop idle clients at 30).
    public func idle(upTo seconds: TimeInterval) async throws -> Bool {
        guard hasCapability("IDLE") else { throw IMAPError.protocolError("the server does not support IDLE") }
        guard selectedMailbox != nil else { throw IMAPError.protocolError("IDLE needs a selected mailbox") }
        try beginCommand()
        defer { busy = false }
        let tag = nextTag()
        try await write(Array("\(tag) IDLE\r\n".utf8))
        var newMail = false
        func look(_ response: IMAPResponse) {
            let before = exists
            handleUntagged(response)
            if case .numbered(let count, "EXISTS", _) = response, count > before { newMail = true }
        }
        waiting: while true {
            switch try await nextResponse() {
            case .continuation:
                break waiting
            case .tagged(tag, let status, let text):
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            case let response:
                look(response)
            }
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(0, seconds) * 1_000_000_000))
        while !newMail {
            guard let response = try await nextResponse(.fixed(deadline)) else { break }
            if case .tagged(tag, let status, let text) = response {  // the server ended IDLE itself
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            }
            look(response)
        }
        try await write(Array("DONE\r\n".utf8))
        while true {
            let response = try await nextResponse()
            if case .tagged(tag, let status, let text) = response {
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            }
            look(response)
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
    private func run(_ parts: [IMAPCommandPart], name: String,
                     onUntagged: (IMAPResponse) -> Void = { _ in }) async throws -> IMAPResponseText {
        let result = try await execute(parts, onUntagged: onUntagged)
        guard result.status == .ok else {
            throw IMAPError.protocolError("\(name): \(result.status.rawValue) \(result.text.description)")
        }
        return result.text
    }

    /// Sends one command (literals synchronizing or, with LITERAL+, not) and reads up to its
    /// tagged response. Untagged responses go through `handleUntagged`, then to `onUntagged`.
    private func execute(_ parts: [IMAPCommandPart], redacted: String? = nil,
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

    private func beginCommand() throws {
        if let unusable { throw unusable }
        guard !busy else { throw IMAPError.protocolError("another command is running on this connection") }
        busy = true
    }

    private func nextTag() -> String {
        tagNumber += 1
        return "A\(tagNumber)"
    }

    /// What every command learns from untagged responses.
    private func handleUntagged(_ response: IMAPResponse) {
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

    private func write(_ bytes: [UInt8]) async throws {
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
        } catch {
            throw fail(.connection(byeText.map { "the server said BYE: \($0)" } ?? "cannot send: \(error)"))
        }
    }

    /// The next response; a timeout or a lost connection makes the connection unusable.
    private func nextResponse() async throws -> IMAPResponse {
        guard let response = try await nextResponse(.silence(responseTimeout)) else {
            throw fail(.timeout)
        }
        return response
    }

    private func nextResponse(_ deadline: IMAPResponseQueue.Deadline) async throws -> IMAPResponse? {
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
