import CareCore
import CareData
import CareMail
import Foundation
import Logging
import NIOCore

/// The SMTP receiver of `caredesk serve`: accepts mail for the configured support addresses only (never a
/// relay) and answers 250 only after the message is committed, so a sending server keeps and retries any
/// message we could not store.
final class EmailReceiver: Sendable {
    let server: SMTPServer

    init(config: MailConfig, ingestor: EmailIngestor, logger: Logger) throws {
        let mailboxes = ingestor.mailboxes
        guard let listen = config.listen else { throw ConfigError("the SMTP receiver has no address to listen on") }
        var configuration = SMTPServerConfiguration(host: listen.host, port: listen.port,
                                                    hostname: config.hostname ?? ProcessInfo.processInfo.hostName,
                                                    maxMessageSize: config.maxMessageBytes)
        if let cert = config.tlsCertificateFile, let key = config.tlsKeyFile {
            configuration.tls = try SMTPServerConfiguration.tls(certificateChainFile: cert, privateKeyFile: key)
        }
        server = SMTPServer(
            configuration: configuration,
            recipientPolicy: { address in try await mailboxes.active(address: address) != nil },
            deliver: { envelope, raw in
                try await Self.deliver(envelope: envelope, raw: raw, ingestor: ingestor, logger: logger)
            })
    }

    static func deliver(envelope: SMTPEnvelope, raw: [UInt8], ingestor: EmailIngestor, logger: Logger) async throws {
        var mailbox: Mailbox?
        for recipient in envelope.rcptTo {
            if let m = try await ingestor.mailboxes.active(address: recipient) { mailbox = m; break }
        }
        do {
            let outcome = try await ingestor.ingest(raw: raw, mailbox: mailbox, envelopeSender: envelope.mailFrom.isEmpty ? nil : envelope.mailFrom)
            logger.info("mail: received over SMTP", metadata: ["outcome": "\(outcome)", "bytes": "\(raw.count)",
                                                               "from": "\(envelope.mailFrom)", "client": "\(envelope.remoteAddress ?? "-")"])
        } catch let error as CareError where error.kind == .invalid {
            // Input the pipeline can never store (the ingestor shapes mail so this should not happen): the sender's
            // server bounces it to the sender instead of retrying for days.
            logger.error("mail: refused", metadata: ["error": "\(error)"])
            throw SMTPDeliveryError.permanent("Message refused: \(error.message)")
        } catch {
            logger.error("mail: could not store, the sender will retry", metadata: ["error": "\(error)"])
            throw SMTPDeliveryError.temporary("Cannot store the message right now, try again later")
        }
    }

    @discardableResult
    func start() async throws -> Int { try await server.start() }

    func stop() async { await server.stop() }
}
