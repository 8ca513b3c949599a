import CareCore
import CareData
import CareMail
import Crypto
import Foundation
import Logging

/// Turns one received e-mail (from the SMTP receiver, `caredesk mailgate` or an IMAP mailbox) into what the
/// ingestion pipeline stores, and never loses it: the raw message is kept first, whatever can be read is
/// stored, and what could not be read is flagged on the message for the agent to see.
struct EmailIngestor: Sendable {
    let store: CareStore
    let mailboxes: MailboxDirectory
    let blobs: BlobStore
    let maxAttachmentBytes: Int
    let logger: Logger

    enum Outcome: Sendable, Equatable {
        /// Stored (or found stored before: `created == false`).
        case stored(IngestionResult)
        /// A bounce of one of our replies: the reply was marked as not delivered in its conversation.
        case bounceRecorded(conversationId: Int, messageId: Int)
        /// Sent from one of our own addresses (a loop); accepted and dropped.
        case ignoredOwnAddress
    }

    /// The mailbox is the one the message arrived at (the SMTP recipient or the polled account); nil when it
    /// cannot be told, e.g. mail piped in without a known recipient (then the first To/Cc of ours decides).
    func ingest(raw: [UInt8], mailbox known: Mailbox?, envelopeSender: String? = nil) async throws -> Outcome {
        let mail = ParsedMail(parsing: raw)
        let ours = try await mailboxes.allAddresses()
        var mailbox = known
        if mailbox == nil {
            for address in (mail.to + mail.cc).map({ $0.address.lowercased() }) where ours.contains(address) {
                if let m = try await mailboxes.active(address: address) { mailbox = m; break }
            }
        }

        let fromAddress = [mail.from?.address, mail.replyTo.first?.address, mail.sender?.address, envelopeSender]
            .compactMap { $0 }.compactMap(IdentityNormalizer.email).first
        if let fromAddress, ours.contains(fromAddress) {
            logger.info("mail: dropped mail from our own address", metadata: ["from": "\(fromAddress)", "messageId": "\(mail.messageId ?? "-")"])
            return .ignoredOwnAddress
        }

        if let bounce = mail.bounce, bounce.isFailure, let original = bounce.originalMessageId,
           let ref = MailThreadReference.parse(messageId: original) {
            let failed = bounce.recipients.first { $0.isFailure } ?? bounce.recipients.first
            let recorded = try await store.conversations.recordDeliveryFailure(
                messageId: ref.messageId, conversationId: ref.conversationId, recipient: failed?.address ?? "",
                status: failed?.status ?? "", diagnostic: failed?.diagnostic ?? mail.subject ?? "")
            if recorded { return .bounceRecorded(conversationId: ref.conversationId, messageId: ref.messageId) }
        }

        var inbound = try await message(from: mail, raw: raw, mailbox: mailbox, sender: fromAddress)
        do {
            return .stored(try await store.ingestion.ingest(inbound))
        } catch let error as CareError where error.kind == .invalid {
            // One odd message must never stop a mailbox: keep it as the raw original with a flag.
            logger.warning("mail: stored as unreadable", metadata: ["error": "\(error)"])
            inbound.text = "(This message could not be read. The original is kept.)"
            inbound.html = nil
            inbound.problems.append("could not be stored as read: \(error.message)")
            return .stored(try await store.ingestion.ingest(inbound))
        }
    }

    /// The pipeline's view of the mail. Stores the raw message and the attachments (content-addressed) first.
    func message(from mail: ParsedMail, raw: [UInt8], mailbox: Mailbox?, sender: String?) async throws -> InboundMessage {
        var problems = mail.problems
        let kept = mail.attachments.filter { $0.size <= maxAttachmentBytes }
        // One trip to the file-writing threads for the original and every kept file.
        let keys = try await blobs.store([raw] + kept.map(\.bytes))
        let rawKey = keys[0]
        var keyOfKept = keys.dropFirst().makeIterator()
        var attachments: [InboundMessage.Attachment] = []
        for a in mail.attachments {
            let name = a.filename ?? Self.fallbackName(contentType: a.contentType, index: attachments.count + 1)
            var storageKey: String?
            if a.size <= maxAttachmentBytes {
                storageKey = keyOfKept.next()
            } else {
                problems.append("attachment “\(name)” (\(a.size) bytes) is larger than the limit of \(maxAttachmentBytes) bytes and was not kept")
            }
            attachments.append(.init(filename: String(name.prefix(255)), contentType: String(a.contentType.prefix(255)),
                                     size: a.size, storageKey: storageKey, contentId: a.contentId, isInline: a.isInline))
        }

        var text = mail.readableText(htmlToText: HTMLSanitizer.plainText(fromHTML:))
        if text.count > InboundMessage.maximumTextLength {
            text = String(text.prefix(InboundMessage.maximumTextLength))
            problems.append("the text was longer than \(InboundMessage.maximumTextLength) characters and is shortened here; the original is kept")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, (mail.html ?? "").isEmpty, attachments.isEmpty {
            text = "(no text)"
        }
        let address: IdentityAddress
        if let sender {
            address = IdentityAddress(kind: .email, address: sender)
        } else {
            // Kept, not refused: an agent can still read it and find the sender in the raw message.
            address = IdentityAddress(kind: .email, address: "unknown-sender@invalid.invalid")
            problems.append("no usable sender address (From)")
        }

        var references: [Int] = mail.threadingIds.compactMap { MailThreadReference.parse(messageId: $0)?.conversationId }
        references += MailThreadReference.conversationIds(inSubject: mail.subject ?? "")
        var seen = Set<Int>()
        references = references.filter { seen.insert($0).inserted }

        let subject = mail.subject.map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)) }
        var message = InboundMessage(
            channel: .email, sender: address, senderName: mail.from?.name.map { String($0.prefix(200)) },
            externalId: Self.externalId(messageId: mail.messageId, rawKey: rawKey),
            threadHints: Array(mail.threadingIds.suffix(100)), subject: subject, text: text, html: mail.html,
            attachments: attachments)
        message.conversationReferences = Array(references.prefix(50))
        message.teamId = mailbox?.teamId
        message.mailboxId = mailbox?.id
        message.problems = problems
        message.automaticReason = mail.autoReplyReason ?? (mail.bounce != nil ? "bounce" : nil)
        message.rawStorageKey = rawKey
        return message
    }

    /// The Message-ID, so the same mail delivered twice (SMTP retry, IMAP and SMTP both) is stored once; without
    /// one, the hash of the raw bytes does the same for identical copies.
    static func externalId(messageId: String?, rawKey: String) -> String {
        guard let id = messageId?.trimmingCharacters(in: .whitespaces), !id.isEmpty else { return "sha256:" + rawKey }
        if id.utf8.count <= 400 { return id }
        return "sha256-id:" + SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func fallbackName(contentType: String, index: Int) -> String {
        let ext: String = switch contentType.lowercased() {
        case "message/rfc822": "eml"
        case "image/png": "png"
        case "image/jpeg": "jpg"
        case "image/gif": "gif"
        case "application/pdf": "pdf"
        case "text/calendar": "ics"
        default: "bin"
        }
        return "attachment-\(index).\(ext)"
    }
}
