/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.
/// `bytes` renders it on the wire, with `250-` continuation lines and CRLF endings.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(_ code: Int, _ lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines.map(SMTPReply.clean)
    }

    public init(_ code: Int, _ text: String) {
        self.init(code, [text])
    }

    /// 2xx and 3xx: the command was accepted.
    public var isPositive: Bool { code < 400 }
    /// 4xx: try again later.
    public var isTransient: Bool { (400..<500).contains(code) }
    /// 5xx: do not repeat the same command.
    public var isPermanent: Bool { code >= 500 }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? " " : "-"
            out.append(contentsOf: "\(code)\(separator)\(line)\r\n".utf8)
        }
        return out
    }

    public var description: String {
        lines.enumerated().map { "\(code)\($0.offset == lines.count - 1 ? " " : "-")\($0.element)" }
            .joined(separator: "\n")
    }

    /// Reply text never carries line breaks or other control characters (they would
    /// forge extra reply lines), and is bounded in length.
    static func clean(_ text: String) -> String {
        var result = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        if result.utf8.count > 400 { result = String(result.prefix(400)) }
        return result
    }
}

extension SMTPReply {
    static func greeting(_ hostname: String) -> SMTPReply {
        SMTPReply(220, "\(hostname) ESMTP CareDesk")
    }
    static let ok = SMTPReply(250, "2.0.0 OK")
    static let senderOK = SMTPReply(250, "2.1.0 Sender OK")
    static let recipientOK = SMTPReply(250, "2.1.5 Recipient OK")
    static let resetOK = SMTPReply(250, "2.0.0 Reset OK")
    static let startData = SMTPReply(354, "End data with <CR><LF>.<CR><LF>")
    static let accepted = SMTPReply(250, "2.0.0 Message accepted for delivery")
    static let vrfy = SMTPReply(252, "2.5.0 Cannot VRFY user, but will accept message for local mailboxes")
    static let help = SMTPReply(214, "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY STARTTLS")
    static let readyForTLS = SMTPReply(220, "2.0.0 Ready to start TLS")

    static func bye(_ hostname: String) -> SMTPReply { SMTPReply(221, "2.0.0 \(hostname) closing connection") }
    static func noSuchMailbox(_ address: String) -> SMTPReply {
        SMTPReply(550, "5.1.1 <\(address)>: no such mailbox here")
    }
    static func tooBig(_ limit: Int) -> SMTPReply {
        SMTPReply(552, "5.3.4 Message too big: the limit here is \(limit) bytes")
    }
    static func tooManyRecipients(_ limit: Int) -> SMTPReply {
        SMTPReply(452, "4.5.3 Too many recipients: at most \(limit) per message, send the rest in another message")
    }
    static func badSequence(_ text: String) -> SMTPReply { SMTPReply(503, "5.5.1 \(text)") }
    static func syntax(_ text: String) -> SMTPReply { SMTPReply(501, "5.5.4 \(text)") }
    static func badAddress(_ text: String) -> SMTPReply { SMTPReply(501, "5.1.3 \(text)") }
    static func badParameter(_ text: String) -> SMTPReply { SMTPReply(555, "5.5.4 \(text)") }
    static let unrecognized = SMTPReply(500, "5.5.2 Command unrecognized")
    static let notImplemented = SMTPReply(502, "5.5.1 Command not implemented")
    static func lineTooLong(_ limit: Int) -> SMTPReply {
        SMTPReply(500, "5.5.2 Line too long: command lines may have at most \(limit) bytes")
    }
    static let notUTF8 = SMTPReply(500, "5.5.2 Command line is not valid UTF-8")
    static func temporaryFailure(_ text: String) -> SMTPReply { SMTPReply(451, "4.3.0 \(text)") }
    static func permanentFailure(_ text: String) -> SMTPReply { SMTPReply(554, "5.6.0 \(text)") }
    static func tooManyErrors(_ hostname: String) -> SMTPReply {
        SMTPReply(421, "4.7.0 \(hostname) Too many errors, closing connection")
    }
    static func idleTimeout(_ hostname: String) -> SMTPReply {
        SMTPReply(421, "4.4.2 \(hostname) Idle timeout, closing connection")
    }
    static func shuttingDown(_ hostname: String) -> SMTPReply {
        SMTPReply(421, "4.3.2 \(hostname) Service shutting down, try again later")
    }
}
