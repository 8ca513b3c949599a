/// The SMTP envelope of one received message: who the client says it is from, who it is
/// for (only the recipients the policy accepted), and where it came from.
public struct SMTPEnvelope: Sendable, Equatable {
    /// The reverse path, without angle brackets; "" for the null sender `<>` (bounces).
    public var mailFrom: String
    /// Accepted recipients in the order given, each once, as the client spelled them.
    public var rcptTo: [String]
    /// The name the client gave in EHLO/HELO.
    public var clientHelo: String
    /// The peer's IP address, when known.
    public var remoteAddress: String?
    /// The message was received after STARTTLS.
    public var usedTLS: Bool
    /// The client declared `BODY=8BITMIME`.
    public var declared8BitMIME: Bool
    /// The client declared `SMTPUTF8` (UTF-8 addresses and headers, RFC 6531).
    public var declaredSMTPUTF8: Bool

    public init(mailFrom: String, rcptTo: [String], clientHelo: String, remoteAddress: String? = nil,
                usedTLS: Bool = false, declared8BitMIME: Bool = false, declaredSMTPUTF8: Bool = false) {
        self.mailFrom = mailFrom
        self.rcptTo = rcptTo
        self.clientHelo = clientHelo
        self.remoteAddress = remoteAddress
        self.usedTLS = usedTLS
        self.declared8BitMIME = declared8BitMIME
        self.declaredSMTPUTF8 = declaredSMTPUTF8
    }
}

/// The recipient policy's answer for one RCPT TO.
public enum SMTPRecipientDecision: Sendable, Equatable {
    /// One of our addresses: 250 2.1.5.
    case accept
    /// Not ours (we are not a relay): 550 5.1.1 no such mailbox here.
    case reject
    /// Cannot decide now (for example the database is down): 451 4.3.0, the client retries.
    case temporaryFailure
}

/// How the delivery handler ended, as the session turns it into the reply to DATA.
public enum SMTPDeliveryOutcome: Sendable, Equatable {
    /// Stored (committed): 250 2.0.0.
    case delivered
    /// 451 4.3.0: the client keeps the message and tries again later.
    case temporaryFailure(String)
    /// 554 5.6.0: the client gives up and bounces the message to its sender.
    case permanentFailure(String)
}

/// Throw this from the delivery handler to choose the reply. Any other error is treated as
/// `.temporary` with a generic text, so a failure never loses mail and never leaks details.
public enum SMTPDeliveryError: Error, Sendable, Equatable {
    case temporary(String)
    case permanent(String)
}

extension SMTPDeliveryOutcome {
    static func from(_ error: any Error) -> SMTPDeliveryOutcome {
        switch error as? SMTPDeliveryError {
        case .temporary(let text)?: return .temporaryFailure(text)
        case .permanent(let text)?: return .permanentFailure(text)
        case nil: return .temporaryFailure("Local error in processing, try again later")
        }
    }
}
