import Foundation

/// Limits and identity of the server side of one SMTP session.
public struct SMTPSessionConfiguration: Sendable {
    /// Our name in the greeting and in replies.
    public var hostname: String
    /// Largest message accepted, in bytes as delivered (CRLF, dot-unstuffed).
    public var maxMessageSize: Int
    /// Accepted recipients per message; more get 452 4.5.3.
    public var maxRecipients: Int
    /// Longest command line including CRLF (RFC 5321 asks for at least 512).
    public var maxCommandLineLength: Int
    /// Bad commands (500/501/502/503/555 replies) before the session is closed with 421.
    public var maxBadCommands: Int
    /// STARTTLS is offered (the channel can switch to TLS).
    public var tlsAvailable: Bool

    public init(hostname: String = "localhost", maxMessageSize: Int = 25 * 1024 * 1024,
                maxRecipients: Int = 100, maxCommandLineLength: Int = 2048,
                maxBadCommands: Int = 10, tlsAvailable: Bool = false) {
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.maxCommandLineLength = maxCommandLineLength
        self.maxBadCommands = maxBadCommands
        self.tlsAvailable = tlsAvailable
    }
}

/// What the session asks its transport to do, in order.
public enum SMTPSessionAction: Sendable, Equatable {
    case reply(SMTPReply)
    /// Ask the recipient policy, then call `recipientChecked(_:)`. No input is processed meanwhile.
    case checkRecipient(String)
    /// Store the message, then call `deliveryFinished(_:)`. No input is processed meanwhile.
    case deliver(SMTPEnvelope, [UInt8])
    /// The 220 reply has been queued: switch the connection to TLS before reading on.
    case startTLS
    /// Close the connection once the queued replies are written.
    case close
}

/// The server side of one SMTP conversation (RFC 5321, 1870, 2920, 3207, 6152, 6531, 2034)
/// as a pure state machine: bytes in, actions out. No sockets, no clocks, no threads, so
/// every protocol rule is testable with plain values. `SMTPChannelHandler` runs it on NIO.
public struct SMTPSession: Sendable {
    public let configuration: SMTPSessionConfiguration
    public let remoteAddress: String?

    public private(set) var isClosed = false
    public private(set) var tlsActive = false
    public private(set) var badCommands = 0
    /// True while waiting for `recipientChecked` or `deliveryFinished`.
    public var isWaiting: Bool { pending != nil }

    private enum Pending: Sendable { case recipient(String), delivery }
    private var pending: Pending?
    private var shutdownRequested = false

    private var helo: String?
    private var extended = false
    private var mailFrom: String?
    private var recipients: [String] = []
    private var rejectedRecipients = 0
    private var declared8BitMIME = false
    private var declaredSMTPUTF8 = false

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var discardingLongLine = false

    private var receivingData = false
    private var message: [UInt8] = []
    private var oversized = false
    /// The next byte begins a line (not the rest of a long line given in chunks).
    private var atLineStart = true
    /// The line that begins now follows a CRLF (or the 354): only then can "." end the data.
    private var lineFollowsCRLF = true

    /// Data lines longer than this (without a line end yet) are taken in pieces.
    static let dataChunk = 8192
    private static let cr: UInt8 = 13, lf: UInt8 = 10, dot: UInt8 = 46

    public init(configuration: SMTPSessionConfiguration, remoteAddress: String? = nil) {
        self.configuration = configuration
        self.remoteAddress = remoteAddress
    }

    // MARK: - Events

    /// The connection is open: the 220 greeting.
    public mutating func start() -> [SMTPSessionAction] {
        [.reply(.greeting(configuration.hostname))]
    }

    /// Bytes from the client, in any pieces (pipelining and split lines are both fine).
    public mutating func receive<Bytes: Sequence>(_ bytes: Bytes) -> [SMTPSessionAction] where Bytes.Element == UInt8 {
        guard !isClosed else { return [] }
        buffer.append(contentsOf: bytes)
        return process()
    }

    public mutating func recipientChecked(_ decision: SMTPRecipientDecision) -> [SMTPSessionAction] {
        guard case .recipient(let address)? = pending else { return [] }
        pending = nil
        var actions: [SMTPSessionAction] = []
        switch decision {
        case .accept:
            recipients.append(address)
            actions.append(.reply(.recipientOK))
        case .reject:
            rejectedRecipients += 1
            actions.append(.reply(.noSuchMailbox(address)))
        case .temporaryFailure:
            actions.append(.reply(.temporaryFailure("Cannot check this recipient now, try again later")))
        }
        return actions + resume()
    }

    public mutating func deliveryFinished(_ outcome: SMTPDeliveryOutcome) -> [SMTPSessionAction] {
        guard case .delivery? = pending else { return [] }
        pending = nil
        resetTransaction()
        let reply: SMTPReply
        switch outcome {
        case .delivered: reply = .accepted
        case .temporaryFailure(let text): reply = .temporaryFailure(text)
        case .permanentFailure(let text): reply = .permanentFailure(text)
        }
        return [.reply(reply)] + resume()
    }

    /// No input for too long. Ignored while the server itself is busy (policy, delivery).
    public mutating func idleTimeout() -> [SMTPSessionAction] {
        guard !isClosed, pending == nil else { return [] }
        return closing(.idleTimeout(configuration.hostname))
    }

    /// The server stops: 421 now, or right after the reply to a pending delivery.
    public mutating func shutdown() -> [SMTPSessionAction] {
        guard !isClosed else { return [] }
        guard pending == nil else {
            shutdownRequested = true
            return []
        }
        return closing(.shuttingDown(configuration.hostname))
    }

    // MARK: - Input

    private mutating func resume() -> [SMTPSessionAction] {
        if shutdownRequested { return closing(.shuttingDown(configuration.hostname)) }
        return process()
    }

    private mutating func process() -> [SMTPSessionAction] {
        var actions: [SMTPSessionAction] = []
        while !isClosed, pending == nil {
            let progressed = receivingData ? nextDataLine(&actions) : nextCommandLine(&actions)
            if !progressed { break }
        }
        if isClosed {
            buffer = []
            readIndex = 0
        } else if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            readIndex = 0
        } else if readIndex > 1 << 16 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        return actions
    }

    private mutating func nextCommandLine(_ actions: inout [SMTPSessionAction]) -> Bool {
        let start = readIndex
        let limit = configuration.maxCommandLineLength
        guard let lf = buffer[start...].firstIndex(of: Self.lf) else {
            if discardingLongLine {
                readIndex = buffer.count
            } else if buffer.count - start > limit {
                discardingLongLine = true
                readIndex = buffer.count
                reject(.lineTooLong(limit), &actions)
            }
            return false
        }
        readIndex = lf + 1
        if discardingLongLine {
            discardingLongLine = false
            return true
        }
        guard lf + 1 - start <= limit else {
            reject(.lineTooLong(limit), &actions)
            return true
        }
        let end = lf > start && buffer[lf - 1] == Self.cr ? lf - 1 : lf
        guard let line = String(bytes: buffer[start..<end], encoding: .utf8) else {
            reject(.notUTF8, &actions)
            return true
        }
        do throws(SMTPCommandError) {
            handle(try SMTPCommand.parse(line), &actions)
        } catch {
            reject(error.reply, &actions)
        }
        return true
    }

    private mutating func nextDataLine(_ actions: inout [SMTPSessionAction]) -> Bool {
        let start = readIndex
        guard let lf = buffer[start...].firstIndex(of: Self.lf) else {
            guard buffer.count - start > Self.dataChunk else { return false }
            // A very long line: take what we have, but keep a final CR (it may start CRLF).
            let end = buffer[buffer.count - 1] == Self.cr ? buffer.count - 1 : buffer.count
            let from = atLineStart && buffer[start] == Self.dot ? start + 1 : start
            appendContent(buffer[from..<end])
            readIndex = end
            atLineStart = false
            return true
        }
        readIndex = lf + 1
        let endsWithCRLF = lf > start && buffer[lf - 1] == Self.cr
        let end = endsWithCRLF ? lf - 1 : lf
        if atLineStart, lineFollowsCRLF, endsWithCRLF, end - start == 1, buffer[start] == Self.dot {
            receivingData = false
            finishData(&actions)
            return true
        }
        // Dot-unstuffing (RFC 5321 §4.5.2). Lines ending in a bare LF are stored with CRLF,
        // but "." after a bare LF does not end the data (no SMTP smuggling).
        let from = atLineStart && end > start && buffer[start] == Self.dot ? start + 1 : start
        appendContent(buffer[from..<end])
        appendContent([Self.cr, Self.lf])
        atLineStart = true
        lineFollowsCRLF = endsWithCRLF
        return true
    }

    private mutating func appendContent<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard !oversized else { return }
        if message.count + bytes.count > configuration.maxMessageSize {
            oversized = true
            message = []
        } else {
            message.append(contentsOf: bytes)
        }
    }

    private mutating func finishData(_ actions: inout [SMTPSessionAction]) {
        if oversized {
            resetTransaction()
            actions.append(.reply(.tooBig(configuration.maxMessageSize)))
            return
        }
        let envelope = SMTPEnvelope(
            mailFrom: mailFrom ?? "", rcptTo: recipients, clientHelo: helo ?? "",
            remoteAddress: remoteAddress, usedTLS: tlsActive,
            declared8BitMIME: declared8BitMIME, declaredSMTPUTF8: declaredSMTPUTF8)
        let raw = message
        message = []
        pending = .delivery
        actions.append(.deliver(envelope, raw))
    }

    // MARK: - Commands

    private mutating func handle(_ command: SMTPCommand, _ actions: inout [SMTPSessionAction]) {
        switch command {
        case .ehlo(let domain):
            resetTransaction()
            helo = domain
            extended = true
            actions.append(.reply(ehloReply(domain)))
        case .helo(let domain):
            resetTransaction()
            helo = domain
            extended = false
            actions.append(.reply(SMTPReply(250, configuration.hostname)))
        case .mail(let path, let parameters):
            guard helo != nil else { return reject(.badSequence("Send EHLO or HELO first"), &actions) }
            guard mailFrom == nil else {
                return reject(.badSequence("Sender already given (send RSET to start over)"), &actions)
            }
            var eightBit = false
            var utf8 = false
            for parameter in parameters {
                guard extended else {
                    return reject(.badParameter("MAIL parameters need EHLO, not HELO"), &actions)
                }
                switch (parameter.keyword, parameter.value) {
                case ("SIZE", let value?):
                    guard !value.isEmpty, value.utf8.allSatisfy({ (48...57).contains($0) }) else {
                        return reject(.syntax("SIZE must be a number of bytes"), &actions)
                    }
                    if value.count > 18 || Int(value)! > configuration.maxMessageSize {
                        actions.append(.reply(.tooBig(configuration.maxMessageSize)))
                        return
                    }
                case ("BODY", let value?):
                    switch value.uppercased() {
                    case "7BIT": eightBit = false
                    case "8BITMIME": eightBit = true
                    default: return reject(.badParameter("BODY must be 7BIT or 8BITMIME"), &actions)
                    }
                case ("SMTPUTF8", nil):
                    utf8 = true
                default:
                    return reject(.badParameter("Unsupported MAIL parameter \(parameter.keyword)"), &actions)
                }
            }
            mailFrom = path
            declared8BitMIME = eightBit
            declaredSMTPUTF8 = utf8
            actions.append(.reply(.senderOK))
        case .rcpt(let path, let parameters):
            guard mailFrom != nil else { return reject(.badSequence("Send MAIL FROM first"), &actions) }
            guard parameters.isEmpty else {
                return reject(.badParameter("RCPT parameters are not supported"), &actions)
            }
            if recipients.contains(path) {
                actions.append(.reply(.recipientOK))
            } else if recipients.count >= configuration.maxRecipients {
                actions.append(.reply(.tooManyRecipients(configuration.maxRecipients)))
            } else {
                pending = .recipient(path)
                actions.append(.checkRecipient(path))
            }
        case .data:
            guard mailFrom != nil else { return reject(.badSequence("Send MAIL FROM first"), &actions) }
            guard !recipients.isEmpty else {
                if rejectedRecipients > 0 {
                    actions.append(.reply(SMTPReply(554, "5.5.1 No valid recipients")))
                    return
                }
                return reject(.badSequence("Send RCPT TO first"), &actions)
            }
            receivingData = true
            message = []
            oversized = false
            atLineStart = true
            lineFollowsCRLF = true
            actions.append(.reply(.startData))
        case .rset:
            resetTransaction()
            actions.append(.reply(.resetOK))
        case .noop:
            actions.append(.reply(.ok))
        case .quit:
            actions += closing(.bye(configuration.hostname))
        case .vrfy:
            actions.append(.reply(.vrfy))
        case .help:
            actions.append(.reply(.help))
        case .startTLS:
            guard configuration.tlsAvailable else {
                return reject(SMTPReply(502, "5.5.1 STARTTLS is not offered here"), &actions)
            }
            guard !tlsActive else { return reject(.badSequence("TLS is already active"), &actions) }
            // RFC 3207 §4.2 and §6: forget everything learnt before TLS, including any
            // commands the client sent after STARTTLS in the clear (command injection).
            resetTransaction()
            helo = nil
            extended = false
            tlsActive = true
            readIndex = buffer.count
            actions.append(.reply(.readyForTLS))
            actions.append(.startTLS)
        case .notImplemented:
            reject(.notImplemented, &actions)
        case .unknown:
            reject(.unrecognized, &actions)
        }
    }

    private func ehloReply(_ domain: String) -> SMTPReply {
        var lines = [
            "\(configuration.hostname) greets \(domain)",
            "SIZE \(configuration.maxMessageSize)",
            "8BITMIME",
            "PIPELINING",
            "SMTPUTF8",
        ]
        if configuration.tlsAvailable && !tlsActive { lines.append("STARTTLS") }
        lines.append("ENHANCEDSTATUSCODES")
        return SMTPReply(250, lines)
    }

    private mutating func resetTransaction() {
        mailFrom = nil
        recipients = []
        rejectedRecipients = 0
        declared8BitMIME = false
        declaredSMTPUTF8 = false
        receivingData = false
        message = []
        oversized = false
    }

    /// A 5xx for a command the client should not have sent; too many and we hang up.
    private mutating func reject(_ reply: SMTPReply, _ actions: inout [SMTPSessionAction]) {
        actions.append(.reply(reply))
        badCommands += 1
        if badCommands >= configuration.maxBadCommands {
            actions += closing(.tooManyErrors(configuration.hostname))
        }
    }

    private mutating func closing(_ reply: SMTPReply) -> [SMTPSessionAction] {
        isClosed = true
        return [.reply(reply), .close]
    }
}
