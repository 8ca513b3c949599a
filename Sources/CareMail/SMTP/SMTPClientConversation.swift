import NIOCore

/// A connection to an SMTP server as the conversation needs it. `SMTPClientConnection` is the
/// real one (NIO); tests can script one. Every method throws `SMTPClientError` only.
protocol SMTPClientTransport: Sendable {
    /// Writes bytes (a command line with its CRLF, or the message data).
    func write(_ bytes: [UInt8]) async throws
    /// The next complete reply, waiting at most `timeout` (nil: the configured timeout).
    func readReply(timeout: TimeAmount?) async throws -> SMTPReply
    /// Puts TLS under the connection (after the server's 220 to STARTTLS). Input received in
    /// the clear and not yet read is thrown away.
    func startTLS() async throws
    /// Closes the connection (idempotent).
    func close() async
}

/// The client side of one SMTP conversation (one message), over any transport: the steps,
/// the checks between them and which failures are temporary or permanent.
struct SMTPClientConversation: Sendable {
    let configuration: SMTPClientConfiguration
    let from: String
    /// Checked and without repeats, in the order given.
    let recipients: [String]
    let data: SMTPClientData
    private(set) var capabilities = SMTPClientCapabilities.none
    private(set) var encrypted: Bool
    private var host: String { configuration.host }

    /// Checks everything that can be checked before connecting: throws `.permanent`.
    init(message: [UInt8], from: String, to recipients: [String], configuration: SMTPClientConfiguration) throws(SMTPClientError) {
        if let problem = SMTPClientAddress.problem(from, isSender: true) {
            throw .permanent("Invalid sender address \"\(from.prefix(80))\": \(problem)")
        }
        var unique: [String] = []
        for recipient in recipients where !unique.contains(recipient) {
            if let problem = SMTPClientAddress.problem(recipient, isSender: false) {
                throw .permanent("Invalid recipient address \"\(recipient.prefix(80))\": \(problem)")
            }
            unique.append(recipient)
        }
        guard !unique.isEmpty else { throw .permanent("No recipients given") }
        let helo = configuration.heloName
        guard !helo.isEmpty, helo.utf8.count <= 255,
              !helo.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) else {
            throw .permanent("Invalid EHLO name \"\(helo.prefix(80))\" in the SMTP client configuration")
        }
        guard (1...65535).contains(configuration.port), !configuration.host.isEmpty else {
            throw .permanent("Invalid SMTP server address \(configuration.host):\(configuration.port)")
        }
        self.configuration = configuration
        self.from = from
        self.recipients = unique
        self.data = SMTPClientData(message: message)
        self.encrypted = configuration.security == .implicitTLS
    }

    /// The whole conversation; closes the transport in every case.
    mutating func run(over transport: any SMTPClientTransport) async throws -> SMTPSendResult {
        do {
            let result = try await converse(transport)
            await transport.close()
            return result
        } catch let error as SMTPClientError {
            await transport.close()
            throw error
        } catch {
            await transport.close()
            throw SMTPClientError.temporary("SMTP conversation with \(host) failed: \(error)")
        }
    }

    private mutating func converse(_ transport: any SMTPClientTransport) async throws -> SMTPSendResult {
        let greeting = try await transport.readReply(timeout: nil)
        guard greeting.code == 220 else { throw SMTPClientError.refused("Connection", greeting, host: host) }
        try await hello(transport)

        if configuration.security == .startTLS {
            guard capabilities.startTLS else {
                await quit(transport)
                throw SMTPClientError.permanent(
                    "\(host) does not offer STARTTLS, but the configuration requires it: nothing was sent " +
                    "(use security \"tls\" for port 465, or \"none\" only for a trusted relay)")
            }
            let reply = try await command("STARTTLS", on: transport)
            guard reply.code == 220 else {
                await quit(transport)
                throw SMTPClientError.refused("STARTTLS", reply, host: host)
            }
            try await transport.startTLS()
            encrypted = true
            capabilities = .none
            try await hello(transport)  // RFC 3207 §4.2: forget what was learnt in the clear
        }

        if let username = configuration.username, !username.isEmpty {
            try await authenticate(username: username, password: configuration.password ?? "", on: transport)
        }

        if let limit = capabilities.sizeLimit, data.size > limit {
            await quit(transport)
            throw SMTPClientError.permanent(
                "Message too big for \(host): \(data.size) bytes, the server accepts at most \(limit) (SIZE); nothing was sent")
        }

        let needsUTF8 = SMTPClientAddress.needsSMTPUTF8(from) || recipients.contains(where: SMTPClientAddress.needsSMTPUTF8)
        if needsUTF8 && !capabilities.smtpUTF8 {
            await quit(transport)
            throw SMTPClientError.permanent("\(host) does not offer SMTPUTF8, needed for the non-ASCII envelope addresses")
        }
        var mail = "MAIL FROM:" + SMTPClientAddress.path(from)
        if capabilities.size { mail += " SIZE=\(data.size)" }
        if data.hasEightBitBytes && capabilities.eightBitMIME { mail += " BODY=8BITMIME" }
        if needsUTF8 { mail += " SMTPUTF8" }
        let mailReply = try await command(mail, on: transport)
        guard mailReply.code == 250 else {
            await quit(transport)
            throw SMTPClientError.refused("MAIL FROM:<\(from)>", mailReply, host: host)
        }

        var accepted: [String] = []
        var rejected: [SMTPRejectedRecipient] = []
        for recipient in recipients {
            let reply = try await command("RCPT TO:" + SMTPClientAddress.path(recipient), on: transport)
            switch reply.code {
            case 250, 251:
                accepted.append(recipient)
            case 421:  // the server is closing the connection
                throw SMTPClientError.refused("RCPT TO:<\(recipient)>", reply, host: host)
            default:
                rejected.append(SMTPRejectedRecipient(address: recipient, code: reply.code, reply: reply.oneLine))
            }
        }
        guard !accepted.isEmpty else {
            await quit(transport)
            let list = rejected.map { "<\($0.address)>: \($0.reply)" }.joined(separator: "; ")
            // RFC 5321 §4.5.3.1.10: a 552 to RCPT means "too many recipients", a temporary condition.
            let allPermanent = rejected.allSatisfy { $0.isPermanent && $0.code != 552 }
            let text = "All recipients refused by \(host): \(list)"
            throw allPermanent ? SMTPClientError.permanent(text) : SMTPClientError.temporary(text)
        }

        let dataReply = try await command("DATA", on: transport)
        guard dataReply.code == 354 else {
            await quit(transport)
            throw SMTPClientError.refused("DATA", dataReply, host: host)
        }
        try await transport.write(data.wire)
        let final = try await transport.readReply(timeout: nil)
        guard final.code == 250 else {
            await quit(transport)
            throw SMTPClientError.refused("Message", final, host: host)
        }
        await quit(transport)
        return SMTPSendResult(acceptedRecipients: accepted, rejectedRecipients: rejected, finalReply: final.oneLine)
    }

    /// EHLO, or HELO when EHLO is refused with 5xx (a very old server).
    private mutating func hello(_ transport: any SMTPClientTransport) async throws {
        let ehlo = try await command("EHLO \(configuration.heloName)", on: transport)
        if ehlo.code == 250 {
            capabilities = SMTPClientCapabilities(ehloReply: ehlo)
            return
        }
        guard ehlo.code >= 500 else { throw SMTPClientError.refused("EHLO", ehlo, host: host) }
        let helo = try await command("HELO \(configuration.heloName)", on: transport)
        guard helo.code == 250 else {
            await quit(transport)
            throw SMTPClientError.refused("HELO (after EHLO: \(ehlo.oneLine))", helo, host: host)
        }
        capabilities = .none
    }

    /// AUTH PLAIN if offered, else AUTH LOGIN. Never over plain text unless security is `.none`.
    private func authenticate(username: String, password: String, on transport: any SMTPClientTransport) async throws {
        guard encrypted || configuration.security == .none else {
            // Cannot happen (STARTTLS is required for .startTLS), but credentials never go in the clear by accident.
            throw SMTPClientError.permanent("Refusing to send credentials to \(host) without TLS")
        }
        let mechanisms = capabilities.authMechanisms
        guard !mechanisms.isEmpty else {
            await quit(transport)
            throw SMTPClientError.permanent("\(host) does not offer AUTH, but a username is configured")
        }
        var reply: SMTPReply
        if mechanisms.contains("PLAIN") {
            let response = SMTPClientAuth.plain(username: username, password: password)
            reply = try await command("AUTH PLAIN \(response)", on: transport)
            if reply.code == 334 {  // a server that wants the response on its own line
                reply = try await command(response, on: transport)
            }
        } else if mechanisms.contains("LOGIN") {
            reply = try await command("AUTH LOGIN", on: transport)
            if reply.code == 334 {
                reply = try await command(SMTPClientAuth.login(username), on: transport)
            }
            if reply.code == 334 {
                reply = try await command(SMTPClientAuth.login(password), on: transport)
            }
        } else {
            await quit(transport)
            throw SMTPClientError.permanent(
                "\(host) offers no AUTH mechanism this client knows (offered: \(mechanisms.joined(separator: " ")); known: PLAIN LOGIN)")
        }
        guard reply.code == 235 else {
            if reply.code == 334 { try? await transport.write(Array("*\r\n".utf8)) }  // cancel the exchange
            await quit(transport)
            throw SMTPClientError.refused("Authentication as \(username)", reply, host: host)
        }
    }

    /// Writes one command line and reads its reply.
    private func command(_ line: String, on transport: any SMTPClientTransport) async throws -> SMTPReply {
        try await transport.write(Array((line + "\r\n").utf8))
        return try await transport.readReply(timeout: nil)
    }

    /// QUIT, politely and briefly; whatever happens is ignored (the outcome is already known).
    private func quit(_ transport: any SMTPClientTransport) async {
        do {
            try await transport.write(Array("QUIT\r\n".utf8))
            _ = try await transport.readReply(timeout: min(configuration.timeout, .seconds(5)))
        } catch {}
    }
}
