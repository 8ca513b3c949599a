import Foundation

/// Where and how to reach one IMAP mailbox.
public struct IMAPConfiguration: Sendable {
    public enum Security: String, Sendable, Codable {
        /// Plain text (only for tests or a local server).
        case none
        /// Plain connection, then STARTTLS before logging in (usually port 143). Fails if the server does not offer it.
        case startTLS = "starttls"
        /// TLS from the first byte (usually port 993).
        case implicitTLS = "tls"
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    public var password: String
    /// The mailbox to poll.
    public var mailbox: String
    /// A PEM file with extra trust roots (a self-signed test certificate); nil = the system store only.
    /// The server name is always verified (a host given as an IP address is checked against the IP SANs).
    public var trustedCertificateFile: String?
    /// How long to wait for the server: the connection, then each response. Receiving a large
    /// message counts as progress, so only a silent server times out.
    public var timeout: TimeInterval
    /// Messages larger than this are not downloaded into memory (their bytes are read and thrown away):
    /// `fetchMessage` throws `IMAPError.messageTooLarge`. Default 50 MiB.
    public var maxMessageSize: Int

    public init(host: String, port: Int, security: Security, username: String, password: String,
                mailbox: String = "INBOX", trustedCertificateFile: String? = nil, timeout: TimeInterval = 30,
                maxMessageSize: Int = 50 * 1024 * 1024) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.mailbox = mailbox
        self.trustedCertificateFile = trustedCertificateFile
        self.timeout = timeout
        self.maxMessageSize = maxMessageSize
    }
}

/// What to do with a message once the caller has stored it.
public enum IMAPAfterProcessing: Sendable, Codable, Equatable {
    /// Set `\Seen` (the message stays where it is).
    case markSeen
    /// Move it to this mailbox (created when missing): MOVE (RFC 6851) when the server has it,
    /// else COPY, `\Deleted` and UID EXPUNGE (RFC 4315), or plain EXPUNGE without UIDPLUS (which
    /// also expunges any other message already marked `\Deleted` in the mailbox).
    case move(to: String)
}

/// What a poller has to remember per mailbox between runs. Persist it after every run.
public struct IMAPSyncState: Sendable, Codable, Equatable {
    /// The mailbox's UIDVALIDITY when `lastUID` was recorded; nil before the first run.
    public var uidValidity: UInt32?
    /// The highest UID handed over (or deliberately skipped); 0 before the first run.
    public var lastUID: UInt32

    public init(uidValidity: UInt32? = nil, lastUID: UInt32 = 0) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }
}

/// The result of SELECT.
public struct IMAPMailboxStatus: Sendable, Equatable {
    /// 0 when the server did not say (RFC 3501 requires it; no real server omits it).
    public var uidValidity: UInt32
    public var uidNext: UInt32?
    public var exists: UInt32
    public var readOnly: Bool

    public init(uidValidity: UInt32, uidNext: UInt32?, exists: UInt32, readOnly: Bool = false) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.exists = exists
        self.readOnly = readOnly
    }
}

public enum IMAPError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Could not connect, TLS failed, the connection dropped, or the server said BYE.
    case connection(String)
    /// The server refused the credentials (NO to LOGIN/AUTHENTICATE), or offers no way to log in safely.
    case authentication(String)
    /// The server answered NO or BAD to a command (the text says which and why), or sent something unreadable.
    case protocolError(String)
    /// No response within `IMAPConfiguration.timeout`. The connection is unusable afterwards.
    case timeout
    /// The message is larger than `IMAPConfiguration.maxMessageSize`; it was not downloaded.
    case messageTooLarge(uid: UInt32, size: Int)

    /// True when trying again later may help (network, timeouts, a server that is busy or going down).
    public var isTemporary: Bool {
        switch self {
        case .connection, .timeout: true
        case .authentication, .protocolError, .messageTooLarge: false
        }
    }

    public var description: String {
        switch self {
        case .connection(let text): "IMAP connection: \(text)"
        case .authentication(let text): "IMAP login failed: \(text)"
        case .protocolError(let text): "IMAP: \(text)"
        case .timeout: "IMAP: the server did not answer in time"
        case .messageTooLarge(let uid, let size): "IMAP: message UID \(uid) has \(size) bytes, more than the configured maximum"
        }
    }
}
