import CareCore
import CareData
import CareMail
import Foundation

/// Sends agents' replies on e-mail conversations through the configured relay: from the conversation's
/// mailbox (its name, address and signature), to the address the customer wrote from, with Message-ID,
/// In-Reply-To and References so the customer's mail program threads it, and `[#id]` in the subject.
struct EmailTransport: OutboundTransport {
    let relay: SMTPClientConfiguration
    let blobs: BlobStore

    func deliver(_ item: OutboxItem, store: CareStore) async throws {
        try await deliver(item, store: store, to: nil)
    }

    /// `to` overrides the recipient (a chat visitor's answer goes to the address they gave in the chat).
    func deliver(_ item: OutboxItem, store: CareStore, to: String?) async throws {
        guard let messageId = item.messageId else { throw PermanentDeliveryFailure("the outbox item names no message") }
        let context = try await store.mailboxes.replyContext(messageId: messageId)
        guard let recipient = to ?? context.recipient else {
            throw PermanentDeliveryFailure("the customer has no e-mail address")
        }
        guard let mailbox = context.mailbox else {
            throw PermanentDeliveryFailure("no support mailbox is set up to send from (Admin → Mailboxes)")
        }
        let mail = Self.mail(for: context, to: recipient, from: mailbox, automatic: item.kind != "reply",
                             attachments: try attachments(of: context.message), now: store.clock.now())
        try await send(mail, from: mailbox.address, to: recipient)
    }

    /// Hands one mail to the relay; a permanent refusal fails the outbox item at once.
    func send(_ mail: OutgoingMail, from sender: String, to recipient: String) async throws {
        do {
            let result = try await SMTPClient.send(MIMEBuilder.build(mail), from: sender, to: [recipient], using: relay)
            if result.acceptedRecipients.isEmpty {
                throw PermanentDeliveryFailure("the relay accepted no recipient: \(result.finalReply)")
            }
        } catch let error as SMTPClientError where error.isPermanent {
            throw PermanentDeliveryFailure(error.description)
        }
    }

    static func mail(for context: EmailReplyContext, to recipient: String, from mailbox: Mailbox, automatic: Bool,
                     attachments: [OutgoingAttachment], now: Date) -> OutgoingMail {
        let conversation = context.conversation
        let conversationId = conversation.id!
        // Everything the customer's client may know the thread by: their own Message-IDs and ours.
        let ids: [String] = context.earlier.compactMap { entry in
            switch entry.direction {
            case .inbound: entry.externalId.flatMap { $0.hasPrefix("sha256") ? nil : $0 }
            case .outbound: MailThreadReference.messageId(conversationId: conversationId, messageId: entry.id, domain: mailbox.domain)
            default: nil
            }
        }
        let lastCustomerId = context.earlier.last { $0.direction == .inbound && !($0.externalId ?? "sha256").hasPrefix("sha256") }?.externalId
        var text = context.message.text
        let signature = mailbox.signature.trimmingCharacters(in: .whitespacesAndNewlines)
        if !signature.isEmpty { text += "\n\n-- \n" + signature }
        let html = Self.html(body: context.message.html, text: context.message.text, signature: signature)
        return OutgoingMail(
            from: MailAddress(name: mailbox.name, address: mailbox.address),
            to: [MailAddress(name: context.customerName == recipient ? nil : context.customerName, address: recipient)],
            replyTo: [MailAddress(name: mailbox.name, address: mailbox.address)],
            subject: MailThreadReference.replySubject(conversation.subject, conversationId: conversationId),
            text: text, html: html,
            messageId: MailThreadReference.messageId(conversationId: conversationId, messageId: context.message.id!, domain: mailbox.domain),
            inReplyTo: lastCustomerId ?? ids.last,
            references: Array(ids.suffix(20)), attachments: attachments, date: now,
            // RFC 3834: mail no person wrote says so, so that other systems do not answer it automatically.
            extraHeaders: automatic ? [MailHeader(name: "Auto-Submitted", value: "auto-generated")] : [])
    }

    /// The HTML version: the agent's sanitized HTML if they wrote some, else the text with its line breaks.
    static func html(body: String?, text: String, signature: String) -> String {
        let main = body ?? HTMLEscaping.escape(text).replacingOccurrences(of: "\n", with: "<br>\n")
        let sig = signature.isEmpty ? "" : "<p style=\"color:#555\">-- <br>\n" + HTMLEscaping.escape(signature).replacingOccurrences(of: "\n", with: "<br>\n") + "</p>"
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><div>\(main)</div>\(sig)</body></html>"
    }

    func attachments(of message: Message) throws -> [OutgoingAttachment] {
        try message.attachments.compactMap { a in
            guard let key = a.storageKey else { return nil }
            guard let data = blobs.get(key) else { throw PermanentDeliveryFailure("attachment “\(a.filename)” is missing from storage") }
            return OutgoingAttachment(filename: a.filename, contentType: a.contentType, bytes: [UInt8](data), contentId: a.contentId)
        }
    }
}
