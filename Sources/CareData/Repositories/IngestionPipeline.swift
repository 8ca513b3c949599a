import CareCore
import FluentKit
import Foundation

/// The one way a customer's message enters CareDesk, whatever the channel:
/// identity -> customer, find or open the conversation, dedupe by the channel's message id,
/// store in one transaction, then publish an event.
public struct IngestionPipeline: Sendable {
    let store: CareStore

    /// The longest folded text kept for search per message; the full text is stored regardless.
    static let searchTextLimit = 20_000

    public func ingest(_ message: InboundMessage, into conversationId: Int? = nil) async throws -> IngestionResult {
        try message.validate()
        var adjusted = message
        if let conversationId { adjusted.conversationId = conversationId }
        let message = adjusted
        let now = store.clock.now()
        let result: (IngestionResult, Conversation)
        do {
            // Optimistic: most messages are new, so the first attempt lets the unique index on the dedupe key
            // catch a repeat instead of looking for one first (one statement less in the serialized writer).
            result = try await store.write { db in try await Self.store(message, now: now, lookForRepeat: false, on: db) }
        } catch where error.isUniqueViolation {
            // A repeat delivery (or two deliveries racing, or two new identities at once); everything of the first
            // attempt was rolled back, and this one finds the rows that were there first.
            result = try await store.write { db in try await Self.store(message, now: now, lookForRepeat: true, on: db) }
        }
        let (outcome, conversation) = result
        if outcome.created {
            if outcome.openedConversation {
                await store.events.publish(CareEvent(kind: .conversationCreated, conversationId: outcome.conversationId,
                                                     customerId: outcome.customerId, teamId: conversation.$team.id,
                                                     assigneeId: conversation.$assignee.id))
            }
            await store.events.publish(CareEvent(kind: .messageCreated, conversationId: outcome.conversationId,
                                                 messageId: outcome.messageId, customerId: outcome.customerId,
                                                 teamId: conversation.$team.id, assigneeId: conversation.$assignee.id))
        }
        return outcome
    }

    private static func store(_ m: InboundMessage, now: Date, lookForRepeat: Bool,
                              on db: any Database) async throws -> (IngestionResult, Conversation) {
        // 1. Who wrote: the identity, or the customer of the named conversation.
        var explicitConversation: Conversation?
        if let id = m.conversationId {
            guard let c = try await Conversation.find(id, on: db) else { throw CareError.notFound("conversation", id: id) }
            explicitConversation = c
        }
        let customerId: Int
        var identityId: Int?
        if let sender = m.sender {
            let identity = try await resolveIdentity(sender, name: m.senderName, now: now, on: db)
            identityId = try identity.requireID()
            customerId = identity.$customer.id
            if let c = explicitConversation, c.$customer.id != customerId {
                // A message may only join a conversation of the customer who sent it.
                throw CareError.conflict(code: "message.sender_mismatch",
                                         "The sender is not the customer of conversation \(c.id ?? 0).")
            }
        } else if let c = explicitConversation {
            customerId = c.$customer.id
        } else {
            throw CareError.invalid(code: "message.sender_required", "An inbound message needs a sender or a conversation.", field: "from")
        }

        // 2. Seen before? Same channel, same sender, same channel message id.
        let dedupeKey = m.externalId.map { "\(m.channel.rawValue):\(identityId.map(String.init) ?? "c\(customerId)"):\($0)" }
        if lookForRepeat, let dedupeKey, let existing = try await Message.query(on: db).filter(\.$dedupeKey == dedupeKey).first() {
            let conv = try await Conversation.find(existing.$conversation.id, on: db)!
            return (IngestionResult(messageId: try existing.requireID(), conversationId: conv.id!, customerId: customerId,
                                    created: false, openedConversation: false), conv)
        }

        // 3. Which conversation: named, threaded by hints, the open one on this channel, or a new one.
        var conversation = explicitConversation
        if conversation == nil, !m.threadHints.isEmpty {
            let hinted = try await Message.query(on: db)
                .filter(\.$externalId ~~ Array(m.threadHints.prefix(50)))
                .join(Conversation.self, on: \Message.$conversation.$id == \Conversation.$id)
                .filter(Conversation.self, \.$customer.$id == customerId)
                .sort(\.$createdAt, .descending)
                .first()
            if let hinted { conversation = try await Conversation.find(hinted.$conversation.id, on: db) }
        }
        if conversation == nil, m.channel.continuesOpenConversation {
            conversation = try await Conversation.query(on: db)
                .filter(\.$customer.$id == customerId)
                .filter(\.$channelRaw == m.channel.rawValue)
                .filter(\.$statusRaw ~~ [ConversationStatus.open.rawValue, ConversationStatus.pending.rawValue])
                .sort(\.$lastMessageAt, .descending)
                .first()
        }
        var opened = false
        if conversation == nil {
            let subject = m.subject?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
                ?? String(m.text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80)).nonEmpty
                ?? "(no subject)"
            let c = Conversation(customerId: customerId, subject: subject, channel: m.channel, now: now)
            try await c.create(on: db)
            try await ConversationRepository.appendEvent(.created, to: c, actor: nil, detail: ["channel": m.channel.rawValue], now: now, on: db)
            conversation = c
            opened = true
        }
        let conv = conversation!

        // 4. Store the message and bring the conversation up to date.
        let msg = Message()
        msg.$conversation.id = try conv.requireID()
        msg.directionRaw = MessageDirection.inbound.rawValue
        msg.channelRaw = m.channel.rawValue
        msg.senderIdentityId = identityId
        msg.externalId = m.externalId
        msg.dedupeKey = dedupeKey
        msg.text = m.text
        msg.html = m.html.map(HTMLSanitizer.sanitize)
        msg.attachmentsJSON = (try? String(decoding: JSONEncoder().encode(m.attachments), as: UTF8.self)) ?? "[]"
        msg.deliveryStatusRaw = DeliveryStatus.none.rawValue
        msg.searchText = String(SearchFolding.fold(m.text).prefix(searchTextLimit))
        msg.createdAt = m.receivedAt.map { min($0.roundedToMilliseconds, now) } ?? now
        try await msg.create(on: db)

        conv.lastMessageAt = max(conv.lastMessageAt, msg.createdAt)
        if conv.waitingSince == nil { conv.waitingSince = msg.createdAt }
        conv.messageCount += 1
        if conv.status != .open {
            // A customer writing again reopens the conversation.
            let old = conv.status
            conv.status = .open
            try await ConversationRepository.appendEvent(.statusChanged, to: conv, actor: nil,
                                                         detail: ["from": old.rawValue, "to": ConversationStatus.open.rawValue], now: now, on: db)
        }
        conv.updatedAt = now
        try await conv.save(on: db)

        return (IngestionResult(messageId: try msg.requireID(), conversationId: try conv.requireID(), customerId: customerId,
                                created: true, openedConversation: opened), conv)
    }

    /// Finds the customer behind an address, creating customer and identity on first contact.
    static func resolveIdentity(_ address: IdentityAddress, name: String?, now: Date, on db: any Database) async throws -> Identity {
        if let found = try await Identity.query(on: db)
            .filter(\.$kindRaw == address.kind.rawValue).filter(\.$address == address.address).first() {
            return found
        }
        let displayName = name?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty ?? address.address
        let customer = Customer(name: String(displayName.prefix(200)), language: nil, now: now)
        customer.searchText = SearchFolding.fold("\(customer.name) \(address.address)")
        try await customer.create(on: db)
        let identity = Identity(customerId: try customer.requireID(), address: address, now: now)
        try await identity.create(on: db)
        return identity
    }
}

extension Channel {
    /// Chat-like channels continue the customer's open conversation; e-mail threads only by its headers.
    var continuesOpenConversation: Bool {
        switch self {
        case .email, .webForm: false
        default: true
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
