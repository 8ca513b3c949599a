import CareMail
import Foundation

/// `caredesk mailgate`: Postfix or Exim pipe one message to it on standard input, and it hands the message to
/// the running CareDesk's SMTP receiver, which stores it like any other mail. It needs no database of its own,
/// so its exit code can tell the MTA the truth (sysexits.h): 0 stored, 75 try again later (CareDesk down or
/// busy), 67 no such support address, 65 refused for good (e.g. too large).
public enum Mailgate {
    public static let delivered: Int32 = 0
    public static let temporaryFailure: Int32 = 75   // EX_TEMPFAIL: the MTA keeps the mail and retries
    public static let unknownRecipient: Int32 = 67   // EX_NOUSER
    public static let refused: Int32 = 65            // EX_DATAERR
    public static let usage: Int32 = 64              // EX_USAGE

    public struct Options: Sendable, Equatable {
        public var recipients: [String] = []
        public var sender: String?
        public var endpoint: MailConfig.Endpoint?

        public init(recipients: [String] = [], sender: String? = nil, endpoint: MailConfig.Endpoint? = nil) {
            self.recipients = recipients
            self.sender = sender
            self.endpoint = endpoint
        }

        /// `--recipient ADDR` (repeatable; Postfix: `${recipient}`), `--sender ADDR` (`${sender}`), `--smtp HOST:PORT`.
        public static func parse(_ arguments: [String]) throws -> Options {
            var o = Options()
            var i = 0
            func value() throws -> String {
                i += 1
                guard i < arguments.count else { throw ConfigError("\(arguments[i - 1]) needs a value") }
                return arguments[i]
            }
            while i < arguments.count {
                switch arguments[i] {
                case "--recipient", "-r": o.recipients.append(try value())
                case "--sender", "-f": o.sender = try value()
                case "--smtp":
                    let raw = try value()
                    guard let e = MailConfig.Endpoint.parse(raw, defaultHost: "127.0.0.1"), e.port > 0 else {
                        throw ConfigError("--smtp must be host:port, not “\(raw)”")
                    }
                    o.endpoint = e
                default: throw ConfigError("unknown option \(arguments[i]) (use --recipient, --sender, --smtp)")
                }
                i += 1
            }
            return o
        }
    }

    /// Delivers `raw` and returns the exit code; `report` receives one line for the MTA's log.
    public static func deliver(_ raw: [UInt8], options: Options, config: MailConfig, report: (String) -> Void) async -> Int32 {
        guard let endpoint = options.endpoint ?? config.listen, endpoint.port > 0 else {
            report("mailgate: no SMTP receiver to deliver to (set CAREDESK_SMTP_LISTEN or --smtp)")
            return temporaryFailure
        }
        // The message is read only when the MTA did not pass recipient or sender, and then once.
        let mail: ParsedMail? = options.recipients.isEmpty || options.sender == nil ? ParsedMail(parsing: raw) : nil
        var recipients = options.recipients
        if recipients.isEmpty, let mail {
            // Without the envelope recipient, every address the message names is offered; the receiver accepts ours.
            let named = ["delivered-to", "x-original-to"].flatMap { mail.headers.values($0) }.flatMap(AddressParser.parseList)
                + mail.to + mail.cc
            var seen = Set<String>()
            recipients = named.map(\.address).filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
        }
        guard !recipients.isEmpty else {
            report("mailgate: the message names no recipient; pass --recipient")
            return usage
        }
        let sender = options.sender ?? mail?.headers["return-path"].flatMap(AddressParser.parseFirst)?.address ?? ""
        let client = SMTPClientConfiguration(host: endpoint.host, port: endpoint.port, security: .none, heloName: "caredesk-mailgate",
                                             timeout: .seconds(120))
        do {
            let result = try await SMTPClient.send(raw, from: sender, to: recipients, using: client)
            report("mailgate: stored (\(result.acceptedRecipients.joined(separator: ", ")))")
            return delivered
        } catch let error as SMTPClientError {
            report("mailgate: \(error)")
            guard error.isPermanent else { return temporaryFailure }
            return error.description.contains(" 550") || error.description.lowercased().contains("recipients refused") ? unknownRecipient : refused
        } catch {
            report("mailgate: \(error)")
            return temporaryFailure
        }
    }
}
