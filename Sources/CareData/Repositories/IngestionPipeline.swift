import CareCore
import FluentKit
import Foundation
import SQLKit

/// The one way a customer's message enters CareDesk, whatever the channel:
/// identity -> customer, find or open the conversation, dedupe by the channel's message id,
/// store in one transaction, then publish an event.
public struct IngestionPipeline: Sendable {
    let store: CareStore

    /// The longest folded text kept for search per message; the full text is stored regardless.
    static let searchTextLimit = 20_000

    public func ingest(_ message: InboundMessage, into conversationId: Int? = nil) async throws -> IngestionResult {
        try await receive(message, into: conversationId).result
    }

    /// `ingest`, also handing back the stored message (or the one stored the first time, for a repeat), so a
    /// caller that shows it need not read it again.
    /// `committed` runs after the commit and before the event is published: a caller that answers the sender
    /// itself (the chat hub's ack) learns the message's id before anyone can hear of it.
    public func receive(_ message: InboundMessage, into conversationId: Int? = nil,
                        committed: (@Sendable (Ingested) -> Void)? = nil) async throws -> Ingested {
        try message.validate()
        var adjusted = message
        if let conversationId { adjusted.conversationId = conversationId }
        let message = adjusted
        let now = store.clock.now()
        let stored: (Ingested, ConversationState)
        do {
            // Optimistic: most messages are new, so the first attempt lets the unique index on the dedupe key
            // catch a repeat instead of looking for one first (one statement less in the serialized writer).
            stored = try await store.write(repeatable: true) { db in
                try await Self.store(message, now: now, lookForRepeat: false, on: db)
            }
        } catch where error.isUniqueViolation {
            // A repeat delivery (or two deliveries racing, or two new identities at once); everything of the first
            // attempt was rolled back, and this one finds the rows that were there first.
            stored = try await store.write(repeatable: true) { db in
                try await Self.store(message, now: now, lookForRepeat: true, on: db)
            }
        }
        let (ingested, conversation) = stored
        committed?(ingested)
        let outcome = ingested.result
        if outcome.created {
            if outcome.openedConversation {
                await store.events.publish(CareEvent(kind: .conversationCreated, conversationId: outcome.conversationId,
                                                     customerId: outcome.customerId, teamId: conversation.teamId,
                                                     assigneeId: conversation.assigneeId))
            }
            await store.events.publish(CareEvent(kind: .messageCreated, conversationId: outcome.conversationId,
                                                 messageId: outcome.messageId, customerId: outcome.customerId,
                                                 teamId: conversation.teamId, assigneeId: conversation.assigneeId))
        }
        return ingested
    }

    // Every message of every channel passes here, one writer at a time on SQLite, so the common path (a known
    // sender writing into an open conversation) is plain SQL: Fluent's model layer spends most of its time in
    // reflection, which cost more than the database work itself (docs/PERFORMANCE.md). Rare steps (a new
    // customer, a new conversation, a reopening event) still use the models.
    private static func store(_ m: InboundMessage, now: Date, lookForRepeat: Bool,
                              on db: any Database) async throws -> (Ingested, ConversationState) {
        let sql = db as! any SQLDatabase
        // 1. Who wrote: the identity, or the customer of the named conversation.
        var explicitConversation: ConversationState?
        if let id = m.conversationId {
            guard let c = try await ConversationState.load(sql, where: SQLQueryString("id = \(bind: id)")) else {
                throw CareError.notFound("conversation", id: id)
            }
            explicitConversation = c
        }
        let customerId: Int
        var identityId: Int?
        // The most common message of all: a known sender on a chat-like channel. One statement finds both the
        // sender and their open conversation.
        var openConversation: ConversationState?
        var lookedForOpenConversation = false
        if let sender = m.sender, explicitConversation == nil, m.threadHints.isEmpty, m.channel.continuesOpenConversation,
           !m.startsNewConversation,
           let known = try await knownSenderAndOpenConversation(sender, channel: m.channel, sql: sql) {
            identityId = known.identityId
            customerId = known.customerId
            openConversation = known.conversation
            lookedForOpenConversation = true
        } else if let sender = m.sender {
            let identity = try await resolveIdentity(sender, name: m.senderName, now: now, on: db)
            identityId = identity.id
            customerId = identity.customerId
            if let c = explicitConversation, c.customerId != customerId {
                // A message may only join a conversation of the customer who sent it.
                throw CareError.conflict(code: "message.sender_mismatch",
                                         "The sender is not the customer of conversation \(c.id).")
            }
        } else if let c = explicitConversation {
            customerId = c.customerId
        } else {
            throw CareError.invalid(code: "message.sender_required", "An inbound message needs a sender or a conversation.", field: "from")
        }

        // 2. Seen before? Same channel, same sender, same channel message id.
        let dedupeKey = m.externalId.map { "\(m.channel.rawValue):\(identityId.map(String.init) ?? "c\(customerId)"):\($0)" }
        if lookForRepeat, let dedupeKey, let existing = try await Message.query(on: db).filter(\.$dedupeKey == dedupeKey).first() {
            let conversationId = existing.$conversation.id
            guard let conv = try await ConversationState.load(sql, where: SQLQueryString("id = \(bind: conversationId)")) else {
                throw CareError.notFound("conversation", id: conversationId)
            }
            let result = IngestionResult(messageId: try existing.requireID(), conversationId: conv.id, customerId: customerId,
                                         created: false, openedConversation: false)
            return (Ingested(result: result, message: existing), conv)
        }

        // 3. Which conversation: named, threaded by hints, the open one on this channel, or a new one.
        var conversation = explicitConversation ?? openConversation
        if conversation == nil, !m.threadHints.isEmpty {
            let hints = Array(m.threadHints.prefix(50))
            conversation = try await ConversationState.load(sql, where: SQLQueryString("""
                customer_id = \(bind: customerId) AND id = (
                    SELECT m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.external_id IN (\(binds: hints)) AND c.customer_id = \(bind: customerId)
                    ORDER BY m.created_at DESC LIMIT 1)
                """))
        }
        if conversation == nil, !m.conversationReferences.isEmpty {
            conversation = try await ConversationState.load(sql, where: SQLQueryString("""
                customer_id = \(bind: customerId) AND id IN (\(binds: Array(m.conversationReferences.prefix(50))))
                """), orderBy: "last_message_at DESC")
        }
        if conversation == nil, m.channel.continuesOpenConversation, !m.startsNewConversation, !lookedForOpenConversation {
            let active = [ConversationStatus.open.rawValue, ConversationStatus.pending.rawValue]
            conversation = try await ConversationState.load(sql, where: SQLQueryString("""
                customer_id = \(bind: customerId) AND channel = \(bind: m.channel.rawValue) AND status IN (\(binds: active))
                """), orderBy: "last_message_at DESC")
        }
        var opened = false
        if conversation == nil {
            let subject = m.subject?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
                ?? String(m.text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80)).nonEmpty
                ?? "(no subject)"
            let c = Conversation(customerId: customerId, subject: subject, channel: m.channel, now: now)
            c.$team.id = m.teamId
            c.mailboxId = m.mailboxId
            try await c.create(on: db)
            try await ConversationRepository.appendEvent(.created, to: c, actor: nil, detail: ["channel": m.channel.rawValue], now: now, on: db)
            conversation = ConversationState(c)
            opened = true
        }
        var conv = conversation!

        // 4. Store the message and bring the conversation up to date.
        let msg = Message()
        msg.$conversation.id = conv.id
        msg.directionRaw = MessageDirection.inbound.rawValue
        msg.channelRaw = m.channel.rawValue
        msg.senderIdentityId = identityId
        msg.externalId = m.externalId
        msg.dedupeKey = dedupeKey
        msg.text = m.text
        msg.html = m.html.map(HTMLSanitizer.sanitize)
        msg.attachmentsJSON = m.attachments.isEmpty ? "[]"
            : (try? String(decoding: JSONEncoder().encode(m.attachments), as: UTF8.self)) ?? "[]"
        msg.deliveryStatusRaw = DeliveryStatus.none.rawValue
        msg.searchText = String(SearchFolding.fold(m.text).prefix(searchTextLimit))
        msg.createdAt = m.receivedAt.map { min($0.roundedToMilliseconds, now) } ?? now
        msg.rawKey = m.rawStorageKey
        msg.problemsText = m.problems.isEmpty ? nil : String(m.problems.joined(separator: "\n").prefix(4000))
        msg.automaticReason = m.automaticReason.map { String($0.prefix(200)) }
        let inserted = try await sql.insert(into: Message.schema)
            .columns("conversation_id", "direction", "channel", "sender_identity_id", "external_id", "dedupe_key", "text",
                     "html", "attachments", "delivery_status", "search_text", "created_at", "raw_key", "problems", "automatic_reason")
            .values(SQLBind(conv.id), SQLBind(msg.directionRaw), SQLBind(msg.channelRaw), SQLBind(identityId),
                    SQLBind(msg.externalId), SQLBind(dedupeKey), SQLBind(msg.text), SQLBind(msg.html), SQLBind(msg.attachmentsJSON),
                    SQLBind(msg.deliveryStatusRaw), SQLBind(msg.searchText), SQLBind(msg.createdAt),
                    SQLBind(msg.rawKey), SQLBind(msg.problemsText), SQLBind(msg.automaticReason))
            .returning("id")
            .first()
        msg.id = try inserted?.decode(column: "id", as: Int.self)
        msg.$id.exists = true

        conv.lastMessageAt = max(conv.lastMessageAt, msg.createdAt)
        conv.messageCount += 1
        // An out-of-office or bounce is kept in the thread, but nobody has to answer a machine: it neither starts
        // the wait for a reply nor reopens a finished conversation.
        let needsReply = m.automaticReason == nil || opened
        if needsReply, conv.waitingSince == nil { conv.waitingSince = msg.createdAt }
        if needsReply, conv.status != .open {
            // A customer writing again reopens the conversation.
            let old = conv.status
            conv.status = .open
            guard let model = try await Conversation.find(conv.id, on: db) else { throw CareError.notFound("conversation", id: conv.id) }
            try await ConversationRepository.appendEvent(.statusChanged, to: model, actor: nil,
                                                         detail: ["from": old.rawValue, "to": ConversationStatus.open.rawValue], now: now, on: db)
        }
        try await sql.update(Conversation.schema)
            .set("last_message_at", to: SQLBind(conv.lastMessageAt))
            .set("waiting_since", to: SQLBind(conv.waitingSince))
            .set("message_count", to: SQLBind(conv.messageCount))
            .set("status", to: SQLBind(conv.status.rawValue))
            .set("updated_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(conv.id))
            .run()

        let result = IngestionResult(messageId: try msg.requireID(), conversationId: conv.id, customerId: customerId,
                                     created: true, openedConversation: opened)
        return (Ingested(result: result, message: msg), conv)
    }

    /// The identity and customer of a known address, with the customer's most recent open or pending
    /// conversation on `channel` (nil if none); nil if the address is new.
    static func knownSenderAndOpenConversation(_ address: IdentityAddress, channel: Channel, sql: any SQLDatabase) async throws
        -> (identityId: Int, customerId: Int, conversation: ConversationState?)? {
        let active = [ConversationStatus.open.rawValue, ConversationStatus.pending.rawValue]
        guard let row = try await sql.raw("""
            SELECT i.id AS identity_id, i.customer_id AS identity_customer_id, \(unsafeRaw: ConversationState.columns("c"))
            FROM identities i LEFT JOIN conversations c ON c.id = (
                SELECT o.id FROM conversations o
                WHERE o.customer_id = i.customer_id AND o.channel = \(bind: channel.rawValue) AND o.status IN (\(binds: active))
                ORDER BY o.last_message_at DESC LIMIT 1)
            WHERE i.kind = \(bind: address.kind.rawValue) AND i.address = \(bind: address.address)
            LIMIT 1
            """).first() else { return nil }
        let conversation = try row.decode(column: "id", as: Int?.self) == nil ? nil : try ConversationState(row: row)
        return (try row.decode(column: "identity_id", as: Int.self), try row.decode(column: "identity_customer_id", as: Int.self),
                conversation)
    }

    /// Finds the customer behind an address, creating customer and identity on first contact.
    static func resolveIdentity(_ address: IdentityAddress, name: String?, now: Date,
                                on db: any Database) async throws -> (id: Int, customerId: Int) {
        let sql = db as! any SQLDatabase
        if let row = try await sql.raw("""
            SELECT id, customer_id FROM identities WHERE kind = \(bind: address.kind.rawValue) AND address = \(bind: address.address) LIMIT 1
            """).first() {
            return (try row.decode(column: "id", as: Int.self), try row.decode(column: "customer_id", as: Int.self))
        }
        let displayName = name?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty ?? address.address
        let customer = Customer(name: String(displayName.prefix(200)), language: nil, now: now)
        customer.refreshSearchText(addresses: [address.address])
        try await customer.create(on: db)
        let identity = Identity(customerId: try customer.requireID(), address: address, now: now)
        try await identity.create(on: db)
        return (try identity.requireID(), try customer.requireID())
    }
}

/// What the pipeline stored (or found stored before, for a repeat delivery).
public struct Ingested: Sendable {
    public let result: IngestionResult
    public let message: Message
}

/// The columns of a conversation the pipeline reads and writes, without a Fluent model round trip.
struct ConversationState: Sendable {
    let id: Int
    let customerId: Int
    let teamId: Int?
    let assigneeId: Int?
    var status: ConversationStatus
    var lastMessageAt: Date
    var waitingSince: Date?
    var messageCount: Int

    init(_ c: Conversation) {
        id = c.id!
        customerId = c.$customer.id
        teamId = c.$team.id
        assigneeId = c.$assignee.id
        status = c.status
        lastMessageAt = c.lastMessageAt
        waitingSince = c.waitingSince
        messageCount = c.messageCount
    }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        customerId = try row.decode(column: "customer_id", as: Int.self)
        teamId = try row.decode(column: "team_id", as: Int?.self)
        assigneeId = try row.decode(column: "assignee_id", as: Int?.self)
        status = ConversationStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .open
        lastMessageAt = try row.decode(column: "last_message_at", as: Date.self)
        waitingSince = try row.decode(column: "waiting_since", as: Date?.self)
        messageCount = try row.decode(column: "message_count", as: Int.self)
    }

    /// The columns `init(row:)` reads, of the table aliased `table`.
    static func columns(_ table: String) -> String {
        ["id", "customer_id", "team_id", "assignee_id", "status", "last_message_at", "waiting_since", "message_count"]
            .map { "\(table).\($0) AS \($0)" }.joined(separator: ", ")
    }

    static func load(_ sql: any SQLDatabase, where condition: SQLQueryString, orderBy: String? = nil) async throws -> ConversationState? {
        let order: SQLQueryString = orderBy.map { " ORDER BY \(unsafeRaw: $0)" } ?? ""
        let row = try await sql.raw("""
            SELECT \(unsafeRaw: columns("conversations")) FROM conversations WHERE \(condition)\(order) LIMIT 1
            """).first()
        return try row.map(ConversationState.init(row:))
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
