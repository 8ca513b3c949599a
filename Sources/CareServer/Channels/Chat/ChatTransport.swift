import CareCore
import CareData
import CareMail
import Foundation

/// Delivers what agents send on chat conversations. A reply reaches a connected visitor live (the chat hub pushes
/// it the moment it is committed), so committing it is its delivery; a visitor who has left and gave an e-mail
/// address gets it by e-mail instead. Transcripts the visitor asked for leave by e-mail.
struct ChatTransport: OutboundTransport {
    /// nil without an outgoing relay: replies then wait in the chat until the visitor returns.
    let email: EmailTransport?
    let hub: ChatHub
    let translator: Translator
    let store: CareStore

    func deliver(_ item: OutboxItem, store: CareStore) async throws {
        if item.kind == "transcript" { return try await sendTranscript(item, store: store) }
        guard let conversationId = item.conversationId,
              let visitor = try await store.chat.visitor(ofConversation: conversationId) else { return }
        if let id = visitor.id, hub.isConnected(visitorId: id) || store.chat.isPresent(visitor) { return }
        guard let email, let address = visitor.email else { return }
        try await email.deliver(item, store: store, to: address)
    }

    /// Whether answers and transcripts can follow by e-mail for this widget: a relay and a mailbox to send from.
    func canEmail(widget: ChatWidget) async throws -> Bool {
        guard email != nil else { return false }
        return try await store.mailboxes.sendingMailbox(preferred: widget.mailboxId, teamId: widget.teamId) != nil
    }

    private func sendTranscript(_ item: OutboxItem, store: CareStore) async throws {
        guard let email else { throw PermanentDeliveryFailure("no outgoing relay is configured (CAREDESK_SMTP_RELAY)") }
        let payload = (try? JSONDecoder().decode([String: String].self, from: Data(item.payload.utf8))) ?? [:]
        guard let to = payload["to"], let conversationId = item.conversationId,
              let conversation = try await Conversation.find(conversationId, on: store.db),
              let customer = try await Customer.find(conversation.$customer.id, on: store.db) else {
            throw PermanentDeliveryFailure("the transcript names no conversation or address")
        }
        guard let mailbox = try await store.mailboxes.sendingMailbox(preferred: conversation.mailboxId, teamId: conversation.$team.id) else {
            throw PermanentDeliveryFailure("no support mailbox is set up to send from (Admin → Mailboxes)")
        }
        let lang = customer.language.flatMap(UILanguage.init(rawValue:)) ?? .en
        let messages = try await store.conversations.thread(of: conversationId)
            .filter { $0.direction == .inbound || $0.direction == .outbound }
        var names: [Int: String] = [:]
        for id in Set(messages.compactMap { $0.authorAgentId }) { names[id] = try await Agent.find(id, on: store.db)?.name }
        let text = Self.transcript(messages, customerName: customer.name, agentNames: names, mailboxName: mailbox.name,
                                   lang: lang, timeZone: payload["timeZone"].flatMap { TimeZone(identifier: $0)?.identifier } ?? "UTC",
                                   translator: translator)
        let now = store.clock.now()
        let mail = OutgoingMail(
            from: MailAddress(name: mailbox.name, address: mailbox.address), to: [MailAddress(name: nil, address: to)],
            replyTo: [MailAddress(name: mailbox.name, address: mailbox.address)],
            subject: translator.text("chat.transcript_subject", lang, [mailbox.name]) + " [#\(conversationId)]",
            text: text,
            messageId: "caredesk.\(conversationId).transcript.\(item.id ?? 0)@\(mailbox.domain)", date: now,
            extraHeaders: [MailHeader(name: "Auto-Submitted", value: "auto-generated")])
        try await email.send(mail, from: mailbox.address, to: to)
    }

    static func transcript(_ messages: [Message], customerName: String, agentNames: [Int: String], mailboxName: String,
                           lang: UILanguage, timeZone: String, translator: Translator) -> String {
        var lines = [translator.text("chat.transcript_intro", lang, [mailboxName]), ""]
        for m in messages {
            let who = m.direction == .inbound ? customerName : (m.authorAgentId.flatMap { agentNames[$0] } ?? mailboxName)
            let when = translator.formatDate(m.createdAt, lang, timeZone: timeZone, style: .short)
                + (timeZone == "UTC" ? " UTC" : "")
            var body = m.text
            for a in m.attachments { body += (body.isEmpty ? "" : "\n") + translator.text("chat.transcript_file", lang, [a.filename]) }
            lines.append("[\(when)] \(who):")
            lines.append(body)
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
