import CareCore
import FluentKit
import Foundation
import SQLKit

/// What an admin sets for a chat widget.
public struct ChatWidgetSettings: Sendable {
    public var name: String
    public var teamId: Int?
    public var mailboxId: Int?
    public var colour: String
    public var position: String
    public var language: String
    public var greetings: [UILanguage: String]
    /// As typed: one origin per line (see `AllowedOrigins`).
    public var allowedOrigins: String
    /// 0 turns uploads off.
    public var uploadMaxBytes: Int
    /// As typed: comma-separated content types.
    public var uploadTypes: String
    public var openingHours: OpeningHours?
    public var active: Bool

    public init(name: String, teamId: Int? = nil, mailboxId: Int? = nil, colour: String = "#0b6e4f",
                position: String = "right", language: String = "auto", greetings: [UILanguage: String] = [:],
                allowedOrigins: String = "", uploadMaxBytes: Int = 5 * 1024 * 1024,
                uploadTypes: String = "image/*, application/pdf", openingHours: OpeningHours? = nil, active: Bool = true) {
        self.name = name
        self.teamId = teamId
        self.mailboxId = mailboxId
        self.colour = colour
        self.position = position
        self.language = language
        self.greetings = greetings
        self.allowedOrigins = allowedOrigins
        self.uploadMaxBytes = uploadMaxBytes
        self.uploadTypes = uploadTypes
        self.openingHours = openingHours
        self.active = active
    }

    public static let positions = ["right", "left"]
    public static let languages = ["auto"] + UILanguage.allCases.map(\.rawValue)
    /// Visitors' uploads are kept like e-mail attachments; beyond this a chat is the wrong way to send a file.
    public static let largestUpload = 50 * 1024 * 1024

    /// The settings as stored, or the first thing wrong with them, naming the field.
    func validated() throws(CareError) -> (settings: ChatWidgetSettings, origins: AllowedOrigins) {
        var s = self
        s.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(s.name.count) else {
            throw .invalid(code: "chat_widget.invalid_name", "The name must be 1 to 100 characters.", field: "name")
        }
        s.colour = colour.trimmingCharacters(in: .whitespaces).lowercased()
        guard s.colour.count == 7, s.colour.first == "#", s.colour.dropFirst().allSatisfy(\.isHexDigit) else {
            throw .invalid(code: "chat_widget.invalid_colour", "The colour must look like #0b6e4f.", field: "colour")
        }
        guard Self.positions.contains(position) else {
            throw .invalid(code: "chat_widget.invalid_position", "The position must be right or left.", field: "position")
        }
        guard Self.languages.contains(language) else {
            throw .invalid(code: "chat_widget.invalid_language", "The language must be auto, en, el or hr.", field: "language")
        }
        for (language, text) in greetings {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= 500 else {
                throw .invalid(code: "chat_widget.greeting_too_long", "A greeting may have at most 500 characters.",
                               field: "greeting_\(language.rawValue)")
            }
            s.greetings[language] = trimmed
        }
        guard (0...Self.largestUpload).contains(uploadMaxBytes) else {
            throw .invalid(code: "chat_widget.invalid_upload_limit",
                           "The upload limit must be between 0 (no uploads) and \(Self.largestUpload / 1024 / 1024) MB.",
                           field: "upload_max_mb")
        }
        let types = uploadTypes.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map { $0.lowercased() }
        for type in types where !Self.isContentTypePattern(type) {
            throw .invalid(code: "chat_widget.invalid_upload_type",
                           "“\(type)” is not a content type (e.g. image/* or application/pdf).", field: "upload_types")
        }
        s.uploadTypes = types.joined(separator: ", ")
        if let hours = openingHours { s.openingHours = hours.isEmpty ? nil : try hours.validated() }
        return (s, try AllowedOrigins(parsing: allowedOrigins))
    }

    static func isContentTypePattern(_ t: String) -> Bool {
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        let token: (Substring) -> Bool = { p in
            !p.isEmpty && p.count <= 100 && p.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) }
        }
        return parts.count == 2 && token(parts[0]) && (parts[1] == "*" || token(parts[1]))
    }
}

/// Chat widgets (admin) and chat visitors: who they are, their chat in progress, what each side has read.
/// A message of a chat as its visitor sees it: their own or an agent's reply.
public struct ChatMessage: Sendable {
    public let id: Int
    public let conversationId: Int
    public let direction: MessageDirection
    /// The browser's id for a visitor's message.
    public let externalId: String?
    public let authorAgentId: Int?
    public let text: String
    public let createdAt: Date
    public let attachments: [InboundMessage.Attachment]

    public init(_ m: Message) {
        id = m.id ?? 0
        conversationId = m.$conversation.id
        direction = m.direction
        externalId = m.externalId
        authorAgentId = m.authorAgentId
        text = m.text
        createdAt = m.createdAt
        attachments = m.attachments
    }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        conversationId = try row.decode(column: "conversation_id", as: Int.self)
        direction = MessageDirection(rawValue: try row.decode(column: "direction", as: String.self)) ?? .inbound
        externalId = try row.decode(column: "external_id", as: String?.self)
        authorAgentId = try row.decode(column: "author_agent_id", as: Int?.self)
        text = try row.decode(column: "text", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        attachments = Message.decodeAttachments(try row.decode(column: "attachments", as: String.self))
    }
}

public struct ChatRepository: Sendable {
    let store: CareStore

    // MARK: Widgets

    public func widgets() async throws -> [ChatWidget] {
        try await ChatWidget.query(on: store.db).sort(\.$name).sort(\.$id).all()
    }

    public func widget(_ id: Int) async throws -> ChatWidget {
        guard let w = try await ChatWidget.find(id, on: store.db) else { throw CareError.notFound("chat widget", id: id) }
        return w
    }

    /// The widget a site's script names; nil when there is none.
    public func widget(publicKey: String) async throws -> ChatWidget? {
        guard publicKey.count <= 64 else { return nil }
        return try await ChatWidget.query(on: store.db).filter(\.$publicKey == publicKey).first()
    }

    /// `publicKey` is chosen by the caller (random, from the server's generator).
    public func createWidget(_ settings: ChatWidgetSettings, publicKey: String, by actor: Viewer, ip: String? = nil) async throws -> ChatWidget {
        let (s, origins) = try settings.validated()
        let now = store.clock.now()
        return try await store.write { db in
            try await Self.checkReferences(s, on: db)
            let w = ChatWidget()
            w.publicKey = publicKey
            w.createdAt = now
            try Self.apply(s, origins: origins, to: w, now: now)
            try await w.create(on: db)
            try await AuditLog.record(actor: actor, action: "chat_widget.create", targetType: "chat_widget", targetId: w.id,
                                      detail: s.name, ip: ip, now: now, on: db)
            return w
        }
    }

    public func updateWidget(_ id: Int, _ settings: ChatWidgetSettings, by actor: Viewer, ip: String? = nil) async throws -> ChatWidget {
        let (s, origins) = try settings.validated()
        let now = store.clock.now()
        return try await store.write { db in
            guard let w = try await ChatWidget.find(id, on: db) else { throw CareError.notFound("chat widget", id: id) }
            try await Self.checkReferences(s, on: db)
            try Self.apply(s, origins: origins, to: w, now: now)
            try await w.save(on: db)
            try await AuditLog.record(actor: actor, action: "chat_widget.update", targetType: "chat_widget", targetId: id,
                                      detail: s.name, ip: ip, now: now, on: db)
            return w
        }
    }

    /// Removes a widget and its visitors' tokens; the conversations stay.
    public func deleteWidget(_ id: Int, by actor: Viewer, ip: String? = nil) async throws {
        let now = store.clock.now()
        try await store.write { db in
            guard let w = try await ChatWidget.find(id, on: db) else { throw CareError.notFound("chat widget", id: id) }
            try await ChatVisitor.query(on: db).filter(\.$widget.$id == id).delete()
            try await w.delete(on: db)
            try await AuditLog.record(actor: actor, action: "chat_widget.delete", targetType: "chat_widget", targetId: id,
                                      detail: w.name, ip: ip, now: now, on: db)
        }
    }

    private static func apply(_ s: ChatWidgetSettings, origins: AllowedOrigins, to w: ChatWidget, now: Date) throws {
        w.name = s.name
        w.teamId = s.teamId
        w.mailboxId = s.mailboxId
        w.colour = s.colour
        w.position = s.position
        w.language = s.language
        w.greetingEn = s.greetings[.en] ?? ""
        w.greetingEl = s.greetings[.el] ?? ""
        w.greetingHr = s.greetings[.hr] ?? ""
        w.allowedOrigins = origins.origins.joined(separator: "\n")
        w.uploadMaxBytes = s.uploadMaxBytes
        w.uploadTypes = s.uploadTypes
        w.openingHoursJSON = try s.openingHours.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        w.active = s.active
        w.updatedAt = now
    }

    private static func checkReferences(_ s: ChatWidgetSettings, on db: any Database) async throws {
        if let teamId = s.teamId, try await Team.find(teamId, on: db) == nil {
            throw CareError.invalid(code: "chat_widget.unknown_team", "No team \(teamId) exists.", field: "team_id")
        }
        if let mailboxId = s.mailboxId, try await Mailbox.find(mailboxId, on: db) == nil {
            throw CareError.invalid(code: "chat_widget.unknown_mailbox", "No mailbox \(mailboxId) exists.", field: "mailbox_id")
        }
    }

    // MARK: Visitors

    /// A new visitor of `widget`. The caller keeps the token and passes only its hash.
    public func createVisitor(widgetId: Int, publicId: String, tokenHash: String) async throws -> ChatVisitor {
        let now = store.clock.now()
        return try await store.write { db in
            let v = ChatVisitor()
            v.$widget.id = widgetId
            v.publicId = publicId
            v.tokenHash = tokenHash
            v.agentReadUpTo = 0
            v.visitorReadUpTo = 0
            v.online = false
            v.lastSeenAt = now
            v.createdAt = now
            try await v.create(on: db)
            return v
        }
    }

    /// The visitor with this token hash on this widget; nil for any other widget, so a token is scoped to one site.
    public func visitor(tokenHash: String, widgetId: Int) async throws -> ChatVisitor? {
        try await ChatVisitor.query(on: store.db).filter(\.$tokenHash == tokenHash).filter(\.$widget.$id == widgetId).first()
    }

    public func visitor(id: Int) async throws -> ChatVisitor? {
        try await ChatVisitor.find(id, on: store.db)
    }

    /// The visitor whose chat this conversation is, if it is one.
    public func visitor(conversationId: Int) async throws -> ChatVisitor? {
        try await ChatVisitor.query(on: store.db).filter(\.$conversationId == conversationId).first()
    }

    /// The visitor's chat in progress as the visitor may see it: their messages and agents' replies, never notes or
    /// system events; those after message `after`, at most the last `limit`, oldest first.
    public func history(of visitor: ChatVisitor, after: Int, limit: Int = 200) async throws -> [Message] {
        guard let conversationId = visitor.conversationId else { return [] }
        let rows = try await Message.query(on: store.db).filter(\.$conversation.$id == conversationId)
            .filter(\.$id > after)
            .filter(\.$directionRaw ~~ [MessageDirection.inbound.rawValue, MessageDirection.outbound.rawValue])
            .sort(\.$id, .descending).limit(limit).all()
        return rows.reversed()
    }

    /// A visitor's message or an agent's reply (nil for notes, system events and unknown ids), as pushed to the
    /// visitor. Plain SQL: it runs for every message of every open chat.
    public func chatMessage(_ id: Int) async throws -> ChatMessage? {
        guard let row = try await store.sql.raw("""
            SELECT id, conversation_id, direction, external_id, author_agent_id, text, created_at, attachments
            FROM messages WHERE id = \(bind: id)
              AND direction IN (\(bind: MessageDirection.inbound.rawValue), \(bind: MessageDirection.outbound.rawValue))
            """).first() else { return nil }
        return try ChatMessage(row: row)
    }

    /// One message of the visitor's chat in progress (for files); nil if it is not theirs to see.
    public func message(_ id: Int, of visitor: ChatVisitor) async throws -> Message? {
        guard let conversationId = visitor.conversationId, let m = try await Message.find(id, on: store.db),
              m.$conversation.id == conversationId, m.direction == .inbound || m.direction == .outbound else { return nil }
        return m
    }

    /// Stores what a visitor wrote (through the one ingestion pipeline) in their chat in progress, or in a new
    /// conversation of the widget's team. The same `clientId` twice is one message. `committed`: see
    /// `IngestionPipeline.receive`.
    public func receive(from visitor: ChatVisitor, widget: ChatWidget, clientId: String, text: String,
                        attachments: [InboundMessage.Attachment] = [],
                        committed: (@Sendable (Ingested) -> Void)? = nil) async throws -> Ingested {
        var m = InboundMessage(channel: .chat, sender: visitor.identity,
                               senderName: visitor.name ?? "Visitor \(visitor.publicId.prefix(6))",
                               externalId: clientId, conversationId: visitor.conversationId, text: text, attachments: attachments)
        m.teamId = widget.teamId
        m.mailboxId = widget.mailboxId
        m.startsNewConversation = visitor.conversationId == nil
        let ingested: Ingested
        do {
            ingested = try await store.ingestion.receive(m, committed: committed)
        } catch let error as CareError where visitor.conversationId != nil && error.code == "message.sender_mismatch" {
            // The chat was merged into another customer's conversation by an agent: start afresh.
            m.conversationId = nil
            m.startsNewConversation = true
            ingested = try await store.ingestion.receive(m, committed: committed)
        }
        if visitor.conversationId != ingested.result.conversationId {
            let conversationId = ingested.result.conversationId
            let visitorId = try visitor.requireID()
            try await store.write { db in
                try await ChatVisitor.query(on: db).set(\.$conversationId, to: conversationId).filter(\.$id == visitorId).update()
            }
            visitor.conversationId = conversationId
        }
        return ingested
    }

    /// Records the name and e-mail address a visitor gave. When another customer already has that address, the
    /// visitor's (anonymous) customer is joined to them, so the agent sees the whole history; the address is not
    /// verified, so a visitor who already gave another address keeps their own customer.
    public func identify(_ visitor: ChatVisitor, name: String?, email: String) async throws -> ChatVisitor {
        let address = try IdentityAddress.normalized(kind: .email, address: email)
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty.map { String($0.prefix(200)) }
        let now = store.clock.now()
        let visitorId = try visitor.requireID()
        let identity = visitor.identity
        let placeholder = "Visitor \(visitor.publicId.prefix(6))"
        let merge: (from: Int, into: Int)? = try await store.write { db in
            let me = try await IngestionPipeline.resolveIdentity(identity, name: name ?? placeholder, now: now, on: db)
            if let owner = try await Identity.query(on: db).filter(\.$kindRaw == IdentityKind.email.rawValue)
                .filter(\.$address == address.address).first() {
                guard owner.$customer.id != me.customerId else { return nil }
                let mine = try await Identity.query(on: db).filter(\.$customer.$id == me.customerId).all()
                let anonymous = mine.allSatisfy { $0.kind == .chatVisitor }
                return anonymous ? (me.customerId, owner.$customer.id) : nil
            }
            guard let customer = try await Customer.query(on: db).filter(\.$id == me.customerId).with(\.$identities).first() else {
                throw CareError.notFound("customer", id: me.customerId)
            }
            if customer.identities.allSatisfy({ $0.kind == .chatVisitor }) {
                try await CustomerRepository.attach(address, to: customer, now: now, on: db)
                if let name, customer.name == placeholder || customer.name == identity.address { customer.name = name }
                customer.refreshSearchText(addresses: customer.identities.map(\.address) + [address.address])
                customer.updatedAt = now
                try await customer.save(on: db)
            }
            return nil
        }
        if let merge { _ = try await store.customers.merge(merge.from, into: merge.into, by: nil) }
        let updated = try await store.write { db -> (ChatVisitor, Conversation?) in
            guard let v = try await ChatVisitor.find(visitorId, on: db) else { throw CareError.notFound("chat visitor", id: visitorId) }
            v.email = address.address
            if let name { v.name = name }
            try await v.save(on: db)
            var conversation: Conversation?
            if let id = v.conversationId, let c = try await Conversation.find(id, on: db) {
                try await ConversationRepository.appendEvent(.visitorIdentified, to: c, actor: nil,
                                                             detail: ["name": name ?? "", "email": address.address,
                                                                      "joined": merge == nil ? "" : "yes"], now: now, on: db)
                conversation = c
            }
            return (v, conversation)
        }
        if let c = updated.1 {
            await store.events.publish(CareEvent(kind: .conversationUpdated, conversationId: c.id, customerId: c.$customer.id,
                                                 teamId: c.$team.id, assigneeId: c.$assignee.id))
        }
        return updated.0
    }

    /// The visitor ended the chat: the thread says so, a transcript is queued if asked, and the next message starts
    /// a new conversation. Returns whether a transcript was queued.
    /// `timeZone`: the visitor's (from their browser), for the times in the transcript.
    public func end(_ visitor: ChatVisitor, transcriptTo: String?, timeZone: String? = nil) async throws -> Bool {
        let transcript = try transcriptTo.flatMap { $0.trimmingCharacters(in: .whitespaces).nonEmpty }
            .map { raw throws(CareError) in try IdentityAddress.normalized(kind: .email, address: raw).address }
        let now = store.clock.now()
        let visitorId = try visitor.requireID()
        guard let conversationId = visitor.conversationId else { return false }
        let c = try await store.write { db -> Conversation? in
            try await ChatVisitor.query(on: db).set(\.$conversationId, to: nil).filter(\.$id == visitorId).update()
            guard let c = try await Conversation.find(conversationId, on: db) else { return nil }
            try await ConversationRepository.appendEvent(.chatEnded, to: c, actor: nil, detail: ["transcript": transcript ?? ""],
                                                         now: now, on: db)
            if let transcript {
                try await Outbox.enqueue(kind: "transcript", channel: .chat, messageId: nil, conversationId: conversationId,
                                         payload: ["to": transcript, "timeZone": String((timeZone ?? "UTC").prefix(64))],
                                         now: now, on: db)
            }
            c.updatedAt = now
            try await c.save(on: db)
            return c
        }
        visitor.conversationId = nil
        if let c {
            await store.events.publish(CareEvent(kind: .conversationUpdated, conversationId: c.id, customerId: c.$customer.id,
                                                 teamId: c.$team.id, assigneeId: c.$assignee.id))
        }
        return c != nil && transcript != nil
    }

    // MARK: Reading marks and presence

    /// An agent has the conversation open: the visitor's messages in it count as read. Returns the new mark, or nil
    /// when there is no chat visitor or nothing new was read.
    public func markReadByAgent(conversationId: Int) async throws -> (visitorId: Int, upTo: Int)? {
        guard let v = try await visitor(conversationId: conversationId) else { return nil }
        guard let last = try await Message.query(on: store.db).filter(\.$conversation.$id == conversationId)
            .filter(\.$directionRaw == MessageDirection.inbound.rawValue).max(\.$id), last > v.agentReadUpTo else { return nil }
        let visitorId = try v.requireID()
        try await store.write { db in
            try await ChatVisitor.query(on: db).set(\.$agentReadUpTo, to: last).filter(\.$id == visitorId)
                .filter(\.$agentReadUpTo < last).update()
        }
        return (visitorId, last)
    }

    /// The visitor has read the replies up to `upTo` (never beyond the last reply of their chat). Returns the new mark
    /// or nil when nothing changed.
    public func markReadByVisitor(_ visitor: ChatVisitor, upTo: Int) async throws -> Int? {
        guard let conversationId = visitor.conversationId, upTo > visitor.visitorReadUpTo else { return nil }
        guard let last = try await Message.query(on: store.db).filter(\.$conversation.$id == conversationId)
            .filter(\.$directionRaw == MessageDirection.outbound.rawValue).filter(\.$id <= upTo).max(\.$id),
              last > visitor.visitorReadUpTo else { return nil }
        let visitorId = try visitor.requireID()
        try await store.write { db in
            try await ChatVisitor.query(on: db).set(\.$visitorReadUpTo, to: last).filter(\.$id == visitorId)
                .filter(\.$visitorReadUpTo < last).update()
        }
        visitor.visitorReadUpTo = last
        return last
    }

    /// Whether a widget of the visitor is connected, as the chat hub sees it; `lastSeenAt` lets other nodes judge how
    /// fresh that is.
    public func setOnline(visitorId: Int, _ online: Bool) async throws {
        let now = store.clock.now()
        try await store.write { db in
            try await ChatVisitor.query(on: db).set(\.$online, to: online).set(\.$lastSeenAt, to: now)
                .filter(\.$id == visitorId).update()
        }
    }

    /// Connected visitors are still there (the chat hub's heartbeat), so `isPresent` stays true while they are.
    public func touch(visitorIds: [Int]) async throws {
        let now = store.clock.now()
        try await store.write { db in
            try await ChatVisitor.query(on: db).set(\.$lastSeenAt, to: now).filter(\.$id ~~ visitorIds).update()
        }
    }

    /// How long after its last heartbeat a visitor still counts as connected (a node may have died without saying so).
    public static let presenceTimeout: TimeInterval = 150

    /// Whether a widget of the visitor is connected to some node.
    public func isPresent(_ visitor: ChatVisitor) -> Bool {
        visitor.online && store.clock.now().timeIntervalSince(visitor.lastSeenAt) < Self.presenceTimeout
    }

    /// The visitor of a chat conversation, also after they ended it (through the identity that wrote in it).
    public func visitor(ofConversation conversationId: Int) async throws -> ChatVisitor? {
        if let v = try await visitor(conversationId: conversationId) { return v }
        guard let row = try await store.sql.raw("""
            SELECT i.address AS address FROM messages m JOIN identities i ON i.id = m.sender_identity_id
            WHERE m.conversation_id = \(bind: conversationId) AND i.kind = \(bind: IdentityKind.chatVisitor.rawValue)
            ORDER BY m.id DESC LIMIT 1
            """).first() else { return nil }
        let publicId = try row.decode(column: "address", as: String.self)
        return try await ChatVisitor.query(on: store.db).filter(\.$publicId == publicId).first()
    }
}
