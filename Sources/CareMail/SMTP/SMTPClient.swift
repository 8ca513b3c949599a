import NIOCore
import NIOPosix

/// Where and how the SMTP client sends mail (one submission server or relay).
public struct SMTPClientConfiguration: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable, Codable, CaseIterable {
        /// Plain text all the way. Credentials, if any, are sent in the clear: only for a relay
        /// on localhost or a trusted network (and tests).
        case none
        /// Connect in plain text, then STARTTLS (RFC 3207), required: a server that does not
        /// offer it gets a `.permanent` error and nothing more is sent. Usually port 587.
        case startTLS = "starttls"
        /// TLS from the first byte (RFC 8314 "implicit TLS"), usually port 465.
        case implicitTLS = "tls"
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// With a username the client authenticates (AUTH PLAIN, else AUTH LOGIN); nil or "" → no AUTH.
    public var username: String?
    /// nil counts as "".
    public var password: String?
    /// Our name in EHLO/HELO.
    public var heloName: String
    /// The longest wait for anything: connecting, each server reply (the TLS handshake is
    /// part of waiting for the next reply) and each 64 KiB of message data written. Not a
    /// limit on the whole conversation, which may take several of these for a large message.
    public var timeout: TimeAmount
    /// A PEM file with an extra certificate to trust (a private CA or a self-signed server
    /// certificate, as in the tests) besides the system's trust store; nil = system trust
    /// store only. The host name is always verified against the certificate.
    public var trustedCertificateFile: String?

    public init(host: String, port: Int, security: Security = .startTLS, username: String? = nil, password: String? = nil,
                heloName: String = "localhost", timeout: TimeAmount = .seconds(60), trustedCertificateFile: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeout = timeout
        self.trustedCertificateFile = trustedCertificateFile
    }

    /// Without the password, for logs.
    public var description: String {
        "SMTPClientConfiguration(\(host):\(port), \(security.rawValue), user: \(username ?? "none")" +
            "\(password == nil ? "" : ", password: ***"), helo: \(heloName), timeout: \(timeout))"
    }
}

/// A recipient the server refused while others were accepted.
public struct SMTPRejectedRecipient: Sendable, Equatable {
    public var address: String
    /// The server's reply code (4xx: may work later, 5xx: will not).
    public var code: Int
    /// The whole reply on one line, e.g. `550 5.1.1 <x@example.com>: no such mailbox here`.
    public var reply: String

    public init(address: String, code: Int, reply: String) {
        self.address = address
        self.code = code
        self.reply = reply
    }

    /// 5xx: sending to this address again will not help.
    public var isPermanent: Bool { code >= 500 }
}

/// The server accepted the message (250 after the data) for `acceptedRecipients`.
public struct SMTPSendResult: Sendable, Equatable {
    /// In the order given, each once.
    public var acceptedRecipients: [String]
    /// Refused at RCPT TO (the message was not sent to them); empty when all were accepted.
    public var rejectedRecipients: [SMTPRejectedRecipient]
    /// The reply to the end of the data, on one line, e.g. `250 2.0.0 Ok: queued as 4F3C2`.
    public var finalReply: String

    public init(acceptedRecipients: [String], rejectedRecipients: [SMTPRejectedRecipient], finalReply: String) {
        self.acceptedRecipients = acceptedRecipients
        self.rejectedRecipients = rejectedRecipients
        self.finalReply = finalReply
    }
}

/// Why a message was not sent. The text names the step and quotes the server's reply.
public enum SMTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Worth trying again later: 4xx replies, connection refused/reset/closed, timeouts,
    /// host not found, a malformed reply.
    case temporary(String)
    /// Trying again with the same message and configuration will not help: 5xx to the
    /// greeting, EHLO+HELO, MAIL FROM, DATA or to every recipient; authentication refused
    /// (535) or impossible (no AUTH, no usable mechanism); STARTTLS required but not offered;
    /// the TLS handshake or certificate check failed; the message is larger than the
    /// server's SIZE; invalid envelope addresses or configuration.
    case permanent(String)

    public var isPermanent: Bool {
        if case .permanent = self { return true }
        return false
    }

    public var message: String {
        switch self {
        case .temporary(let text), .permanent(let text): text
        }
    }

    public var description: String {
        (isPermanent ? "SMTP permanent failure: " : "SMTP temporary failure: ") + message
    }

    /// The error for a reply that did not say yes: 4xx → temporary, 5xx → permanent,
    /// anything else (a reply that makes no sense at this point) → temporary.
    static func refused(_ step: String, _ reply: SMTPReply, host: String) -> SMTPClientError {
        let text = "\(step) refused by \(host): \(reply.oneLine)"
        return reply.code >= 500 && reply.code < 600 ? .permanent(text) : .temporary(text)
    }
}

/// The SMTP client (RFC 5321) for sending mail through a submission server or relay, with
/// STARTTLS (RFC 3207) or implicit TLS, AUTH PLAIN/LOGIN (RFC 4954), SIZE (RFC 1870).
/// One call is one connection and one message; there is no connection pool.
public enum SMTPClient {
    /// Sends one message (already built, CRLF line endings, e.g. by `MIMEBuilder.build`) to the
    /// given envelope recipients (To, Cc and Bcc together; each is sent once).
    ///
    /// Returns when the server accepted the message for at least one recipient; the others
    /// are in `rejectedRecipients`. Throws `SMTPClientError` otherwise (see its cases for
    /// which failures are worth retrying). The message bytes are sent as they are, except
    /// that line ends become CRLF and lines starting with "." are dot-stuffed.
    public static func send(_ message: [UInt8], from: String, to recipients: [String], using configuration: SMTPClientConfiguration,
                            on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SMTPSendResult {
        var conversation = try SMTPClientConversation(message: message, from: from, to: recipients, configuration: configuration)
        let connection = try await SMTPClientConnection.connect(configuration, on: group)
        return try await withTaskCancellationHandler {
            try await conversation.run(over: connection)
        } onCancel: {
            connection.abort()
        }
    }
}
