import CareCore
import FluentKit
import FluentSQL
import Foundation
import SQLKit

/// Which conversations an inbox list shows.
public struct InboxFilter: Sendable, Equatable {
    /// `assigned`: to anyone at all.
    public enum Assignee: Sendable, Equatable { case any, me, unassigned, assigned, agent(Int) }
    public enum Sort: String, Sendable, CaseIterable { case recent, oldest, priority }

    public var assignee: Assignee = .any
    public var teamId: Int?
    public var channel: Channel?
    /// Empty means every status.
    public var statuses: [ConversationStatus] = [.open, .pending]
    public var customerId: Int?
    public var tag: String?
    public var sort: Sort = .recent

    public init(assignee: Assignee = .any, teamId: Int? = nil, channel: Channel? = nil,
                statuses: [ConversationStatus] = [.open, .pending], customerId: Int? = nil, tag: String? = nil,
                sort: Sort = .recent) {
        self.assignee = assignee
        self.teamId = teamId
        self.channel = channel
        self.statuses = statuses
        self.customerId = customerId
        self.tag = tag
        self.sort = sort
    }
}

public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: String?
}

/// Counts for the inbox's navigation.
public struct InboxCounts: Sendable {
    public var mine = 0
    public var unassigned = 0
    public var allOpen = 0
    public var byTeam: [Int: Int] = [:]
    public var byChannel: [Channel: Int] = [:]
    public var byStatus: [ConversationStatus: Int] = [:]
    /// Statuses whose count reached `cap` and means "at least".
    public var atLeast: Set<ConversationStatus> = []

    /// Finished conversations are counted up to here.
    public static let cap = 1_000
}

/// A change an agent or the API makes to a conversation; nil means "leave as is".
public struct ConversationChanges: Sendable {
    public var subject: String?
    public var status: ConversationStatus?
    public var priority: Priority?
    public var kind: ConversationKind?
    /// .some(nil) clears the team or assignee.
    public var teamId: Int??
    public var assigneeId: Int??
    public var tags: [String]?

    public init(subject: String? = nil, status: ConversationStatus? = nil, priority: Priority? = nil,
                kind: ConversationKind? = nil, teamId: Int?? = nil, assigneeId: Int?? = nil, tags: [String]? = nil) {
        self.subject = subject
        self.status = status
        self.priority = priority
        self.kind = kind
        self.teamId = teamId
        self.assigneeId = assigneeId
        self.tags = tags
    }
}

/// The customer, team and assignee of a conversation: what decides which agents see events about it.
public struct ConversationAudience: Sendable, Equatable {
    public let conversationId: Int
    public let customerId: Int
    public let teamId: Int?
    public let assigneeId: Int?
}

public struct ConversationRepository: Sendable {
    let store: CareStore

    // MARK: Reading

    /// Who may see the conversation, as live events about it carry it; plain SQL, for paths that run many times a
    /// second (the chat hub's typing and read marks).
    public func audience(of id: Int) async throws -> ConversationAudience? {
        try await ConversationState.load(store.sql, where: "id = \(bind: id)").map {
            ConversationAudience(conversationId: $0.id, customerId: $0.customerId, teamId: $0.teamId, assigneeId: $0.assigneeId)
        }
    }

    /// Finds a conversation the viewer may see; others are "not found" so their existence does not leak.
    public func find(_ id: Int, for viewer: Viewer) async throws -> Conversation {
        guard let c = try await Conversation.find(id, on: store.db),
              viewer.canSee(teamId: c.$team.id, assigneeId: c.$assignee.id) else {
            throw CareError.notFound("conversation", id: id)
        }
        return c
    }

    /// A message of a conversation the viewer may see; not found otherwise (as for the conversation itself).
    public func message(_ id: Int, for viewer: Viewer) async throws -> Message {
        guard let m = try await Message.find(id, on: store.db) else { throw CareError.notFound("message", id: id) }
        do {
            _ = try await find(m.$conversation.id, for: viewer)
        } catch {
            throw CareError.notFound("message", id: id)
        }
        return m
    }

    public func list(_ filter: InboxFilter, for viewer: Viewer, cursor: String?, limit: Int) async throws -> Page<Conversation> {
        let after = try cursor.map { c throws(CareError) in try KeysetCursor.decode(c) }
        var q = Conversation.query(on: store.db)
        q = apply(filter, visibleTo: viewer, to: q)
        if let after {
            switch filter.sort {
            case .recent: q = q.after(after, date: "last_message_at", descending: true)
            case .oldest: q = q.after(after, date: "last_message_at", descending: false)
            case .priority: q = q.after(after, rank: "priority_rank", date: "last_message_at")
            }
        }
        switch filter.sort {
        case .recent: q = q.sort(\.$lastMessageAt, .descending).sort(\.$id, .descending)
        case .oldest: q = q.sort(\.$lastMessageAt, .ascending).sort(\.$id, .ascending)
        case .priority:
            q = q.sort(\.$priorityRank, .descending).sort(\.$lastMessageAt, .descending).sort(\.$id, .descending)
        }
        let rows = try await q.limit(limit + 1).all()
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map {
            KeysetCursor(rank: $0.priorityRank, date: $0.lastMessageAt, id: $0.id!).encoded
        } : nil
        return Page(items: page, nextCursor: next)
    }

    private func apply(_ f: InboxFilter, visibleTo viewer: Viewer, to query: QueryBuilder<Conversation>) -> QueryBuilder<Conversation> {
        var q = query
        if !f.statuses.isEmpty { q = q.filter(\.$statusRaw ~~ f.statuses.map(\.rawValue)) }
        switch f.assignee {
        case .any: break
        case .me: q = q.filter(\.$assignee.$id == viewer.agentId)
        case .unassigned: q = q.filter(\.$assignee.$id == nil)
        case .assigned: q = q.filter(\.$assignee.$id != nil)
        case .agent(let id): q = q.filter(\.$assignee.$id == id)
        }
        if let teamId = f.teamId { q = q.filter(\.$team.$id == teamId) }
        if let channel = f.channel { q = q.filter(\.$channelRaw == channel.rawValue) }
        if let customerId = f.customerId { q = q.filter(\.$customer.$id == customerId) }
        if let tag = f.tag.flatMap(Tagging.normalize) {
            q = q.join(ConversationTag.self, on: \Conversation.$id == \ConversationTag.$conversation.$id)
                .join(Tag.self, on: \ConversationTag.$tag.$id == \Tag.$id)
                .filter(Tag.self, \.$name == tag)
        }
        if !viewer.role.seesAllConversations { q = q.filter(.sql(embed: Self.visibility(viewer))) }
        return q
    }

    /// Counts for every inbox view, using the same visibility rules as the lists.
    ///
    /// Three queries whatever the number of views: one GROUP BY over the active (open and pending)
    /// conversations gives the views of work in progress, and the finished statuses are counted only up to
    /// `InboxCounts.cap`, because history grows without end and "1,000+" tells an agent as much as 84,213.
    public func counts(for viewer: Viewer) async throws -> InboxCounts {
        var counts = InboxCounts()
        let visible = Self.visibility(viewer)
        let active = [ConversationStatus.open.rawValue, ConversationStatus.pending.rawValue]
        let rows = try await store.sql.raw("""
            SELECT status, channel, team_id,
                   CASE WHEN assignee_id IS NULL THEN 0 WHEN assignee_id = \(bind: viewer.agentId) THEN 1 ELSE 2 END AS who,
                   COUNT(*) AS n
            FROM conversations WHERE status IN (\(binds: active)) AND \(visible)
            GROUP BY status, channel, team_id, who
            """).all()
        for row in rows {
            let n = try row.decode(column: "n", as: Int.self)
            let who = try row.decode(column: "who", as: Int.self)
            counts.allOpen += n
            if who == 0 { counts.unassigned += n }
            if who == 1 { counts.mine += n }
            if let status = ConversationStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                counts.byStatus[status, default: 0] += n
            }
            if let channel = Channel(rawValue: try row.decode(column: "channel", as: String.self)) {
                counts.byChannel[channel, default: 0] += n
            }
            if let team = try row.decode(column: "team_id", as: Int?.self) { counts.byTeam[team, default: 0] += n }
        }
        for status in ConversationStatus.allCases where !status.isActive {
            let row = try await store.sql.raw("""
                SELECT COUNT(*) AS n FROM (
                    SELECT 1 FROM conversations WHERE status = \(bind: status.rawValue) AND \(visible) LIMIT \(unsafeRaw: String(InboxCounts.cap))
                ) capped
                """).first()
            let n = try row?.decode(column: "n", as: Int.self) ?? 0
            counts.byStatus[status] = n
            if n >= InboxCounts.cap { counts.atLeast.insert(status) }
        }
        return counts
    }

    /// Which conversations a viewer may see (`Viewer.canSee` in SQL), for the lists and the counts alike.
    static func visibility(_ viewer: Viewer) -> SQLQueryString {
        if viewer.role.seesAllConversations { return "1 = 1" }
        let mine: SQLQueryString = "conversations.team_id IS NULL OR conversations.assignee_id = \(bind: viewer.agentId)"
        if viewer.teamIds.isEmpty { return "(\(mine))" }
        return "(\(mine) OR conversations.team_id IN (\(binds: viewer.teamIds)))"
    }

    public func thread(of conversationId: Int, after: Int? = nil, limit: Int = 1000) async throws -> [Message] {
        var q = Message.query(on: store.db).filter(\.$conversation.$id == conversationId)
        if let after { q = q.filter(\.$id > after) }
        return try await q.sort(\.$createdAt).sort(\.$id).limit(limit).all()
    }

    /// Messages of a conversation, oldest first, for the API.
    public func messages(of conversationId: Int, cursor: String?, limit: Int) async throws -> Page<Message> {
        var q = Message.query(on: store.db).filter(\.$conversation.$id == conversationId)
        if let cursor { q = q.after(try KeysetCursor.decode(cursor), date: "created_at", descending: false) }
        let rows = try await q.sort(\.$createdAt).sort(\.$id).limit(limit + 1).all()
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { KeysetCursor(date: $0.createdAt, id: $0.id!).encoded } : nil
        return Page(items: page, nextCursor: next)
    }

    /// The conversation after `id` in the viewer's inbox order, for the "next conversation" shortcut.
    public func next(after conversation: Conversation, filter: InboxFilter, for viewer: Viewer) async throws -> Conversation? {
        let cursor = KeysetCursor(rank: conversation.priorityRank, date: conversation.lastMessageAt, id: try conversation.requireID())
        return try await list(filter, for: viewer, cursor: cursor.encoded, limit: 1).items.first
    }

    // MARK: Writing

    public func create(customerId: Int, subject: String, channel: Channel, priority: Priority = .normal,
                       kind: ConversationKind = .question, teamId: Int? = nil, assigneeId: Int? = nil,
                       tags: [String] = [], by actor: Viewer?) async throws -> Conversation {
        let subject = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(subject.count) else {
            throw CareError.invalid(code: "conversation.invalid_subject", "The subject must be 1 to 300 characters.", field: "subject")
        }
        let now = store.clock.now()
        let conversation = try await store.write { db in
            guard let customer = try await Customer.find(customerId, on: db), customer.mergedIntoId == nil else {
                throw CareError.notFound("customer", id: customerId)
            }
            try await Self.checkReferences(teamId: teamId, assigneeId: assigneeId, on: db)
            let c = Conversation(customerId: customerId, subject: subject, channel: channel, priority: priority,
                                 kind: kind, teamId: teamId, assigneeId: assigneeId, now: now)
            try await c.create(on: db)
            try await Self.appendEvent(.created, to: c, actor: actor, detail: ["channel": channel.rawValue], now: now, on: db)
            if !tags.isEmpty {
                try await Self.setTags(Tagging.normalize(tags), on: c, on: db)
                try await c.save(on: db)
            }
            return c
        }
        await store.events.publish(CareEvent(kind: .conversationCreated, conversationId: conversation.id,
                                             customerId: customerId, teamId: teamId, assigneeId: assigneeId))
        return conversation
    }

    /// Applies changes, writes each one into the thread as a system event and into the audit log.
    @discardableResult
    public func update(_ id: Int, _ changes: ConversationChanges, by actor: Viewer, ip: String? = nil) async throws -> Conversation {
        let now = store.clock.now()
        let before = try await find(id, for: actor)
        let oldTeam = before.$team.id, oldAssignee = before.$assignee.id
        let c = try await store.write { db in
            guard let c = try await Conversation.find(id, on: db) else { throw CareError.notFound("conversation", id: id) }
            var audit: [String] = []
            if let subject = changes.subject?.trimmingCharacters(in: .whitespacesAndNewlines), subject != c.subject {
                guard (1...300).contains(subject.count) else {
                    throw CareError.invalid(code: "conversation.invalid_subject", "The subject must be 1 to 300 characters.", field: "subject")
                }
                try await Self.appendEvent(.subjectChanged, to: c, actor: actor, detail: ["from": c.subject, "to": subject], now: now, on: db)
                c.subject = subject
                c.searchText = SearchFolding.fold(subject)
            }
            if let status = changes.status, status != c.status {
                try await Self.appendEvent(.statusChanged, to: c, actor: actor, detail: ["from": c.statusRaw, "to": status.rawValue], now: now, on: db)
                audit.append("status \(c.statusRaw) -> \(status.rawValue)")
                c.status = status
                if !status.isActive { c.waitingSince = nil }
            }
            if let priority = changes.priority, priority != c.priority {
                try await Self.appendEvent(.priorityChanged, to: c, actor: actor, detail: ["from": c.priorityRaw, "to": priority.rawValue], now: now, on: db)
                c.priority = priority
            }
            if let kind = changes.kind, kind != c.kind {
                try await Self.appendEvent(.kindChanged, to: c, actor: actor, detail: ["from": c.kindRaw, "to": kind.rawValue], now: now, on: db)
                c.kind = kind
            }
            if let teamId = changes.teamId, teamId != c.$team.id {
                try await Self.checkReferences(teamId: teamId, assigneeId: nil, on: db)
                let name = try await teamId.asyncMap { try await Team.find($0, on: db)?.name } ?? nil
                try await Self.appendEvent(.teamChanged, to: c, actor: actor, detail: ["team": name ?? ""], now: now, on: db)
                audit.append("team -> \(name ?? "none")")
                c.$team.id = teamId
            }
            if let assigneeId = changes.assigneeId, assigneeId != c.$assignee.id {
                if let assigneeId {
                    guard let agent = try await Agent.find(assigneeId, on: db), agent.active else {
                        throw CareError.invalid(code: "conversation.unknown_assignee", "No active agent \(assigneeId) exists.", field: "assigneeId")
                    }
                    try await Self.appendEvent(.assigned, to: c, actor: actor, detail: ["agent": agent.name], now: now, on: db)
                    audit.append("assigned to \(agent.name)")
                } else {
                    try await Self.appendEvent(.unassigned, to: c, actor: actor, detail: [:], now: now, on: db)
                    audit.append("unassigned")
                }
                c.$assignee.id = assigneeId
            }
            if let tags = changes.tags {
                let normalized = Tagging.normalize(tags)
                if normalized.sorted() != c.tagNames.sorted() {
                    try await Self.appendEvent(.tagsChanged, to: c, actor: actor, detail: ["tags": normalized.joined(separator: ", ")], now: now, on: db)
                    try await Self.setTags(normalized, on: c, on: db)
                }
            }
            c.updatedAt = now
            try await c.save(on: db)
            if !audit.isEmpty {
                try await AuditLog.record(actor: actor, action: "conversation.update", targetType: "conversation",
                                          targetId: id, detail: audit.joined(separator: "; "), ip: ip, now: now, on: db)
            }
            return c
        }
        // Tell both the old and the new audience, so a conversation moving away disappears from their inbox.
        await store.events.publish(CareEvent(kind: .conversationUpdated, conversationId: id, customerId: c.$customer.id,
                                             teamId: c.$team.id, assigneeId: c.$assignee.id, agentId: actor.agentId))
        if oldTeam != c.$team.id || oldAssignee != c.$assignee.id {
            await store.events.publish(CareEvent(kind: .conversationUpdated, conversationId: id, customerId: c.$customer.id,
                                                 teamId: oldTeam, assigneeId: oldAssignee, agentId: actor.agentId))
        }
        return c
    }

    /// An agent's reply (committed together with its outbox item, so a crash never loses it) or an internal note.
    /// Stores an agent's reply or note. With `externalId` (the API's idempotency key, per agent) a repeat returns
    /// the message stored the first time, with `isRepeat`, instead of a second one; the unique dedupe index
    /// decides, so two requests racing with the same key store one message.
    @discardableResult
    /// `attachments` are files already in the blob store (their `storageKey` set); they travel with the reply.
    public func addAgentMessage(to id: Int, direction: MessageDirection, text: String, html: String? = nil,
                                attachments: [InboundMessage.Attachment] = [],
                                externalId: String? = nil, by actor: Viewer) async throws -> (message: Message, isRepeat: Bool) {
        let dedupeKey = externalId.map { Message.agentDedupeKey(agentId: actor.agentId, externalId: $0) }
        func earlier() async throws -> Message? {
            guard let dedupeKey else { return nil }
            return try await Message.query(on: store.db).filter(\.$dedupeKey == dedupeKey).first()
        }
        if let found = try await earlier() { return (found, true) }
        do {
            return (try await storeAgentMessage(to: id, direction: direction, text: text, html: html, attachments: attachments,
                                                externalId: externalId, dedupeKey: dedupeKey, by: actor), false)
        } catch where error.isUniqueViolation {
            guard let found = try await earlier() else { throw error }
            return (found, true)
        }
    }

    private func storeAgentMessage(to id: Int, direction: MessageDirection, text: String, html: String?,
                                   attachments: [InboundMessage.Attachment],
                                   externalId: String?, dedupeKey: String?, by actor: Viewer) async throws -> Message {
        precondition(direction == .outbound || direction == .note)
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw CareError.invalid(code: "message.empty", "A message needs text.", field: "text") }
        guard body.count <= InboundMessage.maximumTextLength else {
            throw CareError.invalid(code: "message.too_long", "A message may have at most \(InboundMessage.maximumTextLength) characters.", field: "text")
        }
        let now = store.clock.now()
        _ = try await find(id, for: actor)
        let (msg, conv) = try await store.write { db in
            guard let c = try await Conversation.find(id, on: db) else { throw CareError.notFound("conversation", id: id) }
            let m = Message()
            m.$conversation.id = id
            m.directionRaw = direction.rawValue
            m.channelRaw = c.channelRaw
            m.authorAgentId = actor.agentId
            m.externalId = externalId
            m.dedupeKey = dedupeKey
            m.text = body
            m.html = html.map(HTMLSanitizer.sanitize)
            m.attachmentsJSON = attachments.isEmpty ? "[]" : String(decoding: try JSONEncoder().encode(attachments), as: UTF8.self)
            m.deliveryStatusRaw = (direction == .outbound ? DeliveryStatus.queued : .none).rawValue
            m.searchText = String(SearchFolding.fold(body).prefix(IngestionPipeline.searchTextLimit))
            m.createdAt = now
            try await m.create(on: db)
            c.messageCount += 1
            c.lastMessageAt = now
            c.updatedAt = now
            if direction == .outbound {
                c.waitingSince = nil
                // Replying to a customer takes ownership of an unowned conversation, as in every help desk.
                if c.$assignee.id == nil {
                    c.$assignee.id = actor.agentId
                    try await Self.appendEvent(.assigned, to: c, actor: actor, detail: ["agent": actor.name], now: now, on: db)
                }
                try await Outbox.enqueue(kind: "reply", channel: c.channel, messageId: try m.requireID(), conversationId: id,
                                         payload: [:], now: now, on: db)
            }
            try await c.save(on: db)
            return (m, c)
        }
        await store.events.publish(CareEvent(kind: .messageCreated, conversationId: id, messageId: msg.id,
                                             customerId: conv.$customer.id, teamId: conv.$team.id,
                                             assigneeId: conv.$assignee.id, agentId: actor.agentId))
        return msg
    }

    public func allTags() async throws -> [(name: String, count: Int)] {
        // One GROUP BY (Fluent has none) instead of a count per tag.
        let rows = try await store.sql.raw("""
            SELECT t.name AS name, COUNT(ct.id) AS n FROM tags t LEFT JOIN conversation_tags ct ON ct.tag_id = t.id
            GROUP BY t.id, t.name ORDER BY t.name
            """).all()
        return try rows.map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "n", as: Int.self)) }
    }

    // MARK: Shared steps (inside a transaction)

    /// Records that a reply did not reach the customer (an e-mail bounce): the reply shows "failed" and the thread
    /// says why. `conversationId` must match the reply's conversation, so a forged report cannot touch other
    /// threads. Returns false when there is no such reply.
    @discardableResult
    public func recordDeliveryFailure(messageId: Int, conversationId: Int, recipient: String, status: String,
                                      diagnostic: String) async throws -> Bool {
        let now = store.clock.now()
        let conversation: Conversation? = try await store.write { db in
            guard let m = try await Message.find(messageId, on: db), m.$conversation.id == conversationId,
                  m.direction == .outbound, let c = try await Conversation.find(conversationId, on: db) else { return nil }
            m.deliveryStatus = .failed
            try await m.save(on: db)
            try await Self.appendEvent(.deliveryFailed, to: c, actor: nil,
                                       detail: ["recipient": String(recipient.prefix(320)), "status": String(status.prefix(20)),
                                                "diagnostic": String(diagnostic.prefix(500)), "message": String(messageId)],
                                       now: now, on: db)
            c.updatedAt = now
            try await c.save(on: db)
            return c
        }
        guard let conversation else { return false }
        await store.events.publish(CareEvent(kind: .conversationUpdated, conversationId: conversationId, messageId: messageId,
                                             customerId: conversation.$customer.id, teamId: conversation.$team.id,
                                             assigneeId: conversation.$assignee.id))
        return true
    }

    static func appendEvent(_ kind: ConversationEventKind, to c: Conversation, actor: Viewer?, detail: [String: String],
                            now: Date, on db: any Database) async throws {
        var detail = detail
        if let actor { detail["by"] = actor.name }
        let m = Message()
        m.$conversation.id = try c.requireID()
        m.directionRaw = MessageDirection.event.rawValue
        m.channelRaw = c.channelRaw
        m.authorAgentId = actor?.agentId
        m.text = kind.rawValue
        m.attachmentsJSON = "[]"
        m.deliveryStatusRaw = DeliveryStatus.none.rawValue
        m.eventKind = kind.rawValue
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        m.eventDetail = String(decoding: try enc.encode(detail), as: UTF8.self)
        m.searchText = ""
        m.createdAt = now
        try await m.create(on: db)
    }

    static func setTags(_ names: [String], on c: Conversation, on db: any Database) async throws {
        let id = try c.requireID()
        try await ConversationTag.query(on: db).filter(\.$conversation.$id == id).delete()
        for name in names {
            let tag: Tag
            if let existing = try await Tag.query(on: db).filter(\.$name == name).first() {
                tag = existing
            } else {
                tag = Tag(name: name)
                try await tag.create(on: db)
            }
            let link = ConversationTag()
            link.$conversation.id = id
            link.$tag.id = try tag.requireID()
            try await link.create(on: db)
        }
        c.tagList = names.joined(separator: ",")
    }

    static func checkReferences(teamId: Int?, assigneeId: Int?, on db: any Database) async throws {
        if let teamId, try await Team.find(teamId, on: db) == nil {
            throw CareError.invalid(code: "conversation.unknown_team", "No team \(teamId) exists.", field: "teamId")
        }
        if let assigneeId, try await Agent.find(assigneeId, on: db) == nil {
            throw CareError.invalid(code: "conversation.unknown_assignee", "No agent \(assigneeId) exists.", field: "assigneeId")
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
