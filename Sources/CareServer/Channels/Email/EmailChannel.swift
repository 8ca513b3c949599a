import CareCore
import CareData
import CareMail
import Foundation
import Logging

/// The e-mail channel's parts, built once from the configuration: the ingestor every way in shares (SMTP
/// receiver, mailgate through it, IMAP polling), the receiver, the IMAP poller, and the outgoing transport.
final class EmailChannel: Sendable {
    let ingestor: EmailIngestor
    let receiver: EmailReceiver?
    let poller: IMAPPoller
    /// nil without a configured relay: e-mail replies then wait in the outbox as "queued".
    let transport: EmailTransport?

    init(config: CareConfig, store: CareStore, blobs: BlobStore, secrets: SecretBox, logger: Logger) throws {
        let mail = config.mail
        ingestor = EmailIngestor(store: store, mailboxes: MailboxDirectory(store: store), blobs: blobs,
                                 maxAttachmentBytes: mail.maxAttachmentBytes, logger: logger)
        receiver = mail.listen == nil ? nil : try EmailReceiver(config: mail, ingestor: ingestor, logger: logger)
        poller = IMAPPoller(store: store, ingestor: ingestor, secrets: secrets, pollSeconds: mail.imapPollSeconds,
                            trustedCertificateFile: mail.trustedCertificateFile, logger: logger)
        transport = mail.relay.map { relay in
            EmailTransport(relay: SMTPClientConfiguration(
                host: relay.host, port: relay.port, security: SMTPClientConfiguration.Security(rawValue: mail.relaySecurity) ?? .startTLS,
                username: mail.relayUsername, password: mail.relayPassword,
                heloName: mail.hostname ?? ProcessInfo.processInfo.hostName, trustedCertificateFile: mail.trustedCertificateFile),
                blobs: blobs)
        }
    }
}
