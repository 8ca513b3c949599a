import CareCore
import FluentKit
import Foundation
import SQLKit

/// Everything that leaves CareDesk is first committed here, in the same transaction as the message it carries,
/// then a worker claims and delivers it. A crash between commit and send only delays the send.
public struct Outbox: Sendable {
    let store: CareStore

    /// How long a claimed item is held before another worker may take it over (the claimer may have died).
    public static let lease: TimeInterval = 120
    public static let maximumAttempts = 8

    /// Seconds to wait before attempt `n + 1` after `n` failures: 15s, 1m, 4m, 16m... capped at 6 hours.
    public static func backoff(afterAttempt n: Int) -> TimeInterval {
        min(15 * pow(4, Double(max(0, n - 1))), 6 * 3600)
    }

    static func enqueue(kind: String, channel: Channel, messageId: Int?, conversationId: Int?, payload: [String: String],
                        now: Date, on db: any Database) async throws {
        let item = OutboxItem()
        item.kind = kind
        item.channelRaw = channel.rawValue
        item.messageId = messageId
        item.conversationId = conversationId
        item.payload = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        item.stateRaw = OutboxItem.State.pending.rawValue
        item.attempts = 0
        item.nextAttemptAt = now
        item.createdAt = now
        try await item.create(on: db)
    }

    public func enqueue(kind: String, channel: Channel, messageId: Int? = nil, conversationId: Int? = nil,
                        payload: [String: String] = [:]) async throws {
        let now = store.clock.now()
        try await store.write { db in
            try await Self.enqueue(kind: kind, channel: channel, messageId: messageId, conversationId: conversationId,
                                   payload: payload, now: now, on: db)
        }
    }

    /// Claims up to `limit` due items for this worker. On PostgreSQL several workers claim at once without
    /// blocking each other or taking the same row (FOR UPDATE SKIP LOCKED).
    public func claim(limit: Int, channels: [Channel]) async throws -> [OutboxItem] {
        guard !channels.isEmpty else { return [] }
        let now = store.clock.now()
        let until = now.addingTimeInterval(Self.lease)
        let skipLocked: SQLQueryString = store.isPostgres ? " FOR UPDATE SKIP LOCKED" : ""
        let claimSQL: SQLQueryString = """
            UPDATE outbox_items SET locked_until = \(bind: until), attempts = attempts + 1
            WHERE id IN (SELECT id FROM outbox_items
                         WHERE state = 'pending' AND next_attempt_at <= \(bind: now)
                           AND channel IN (\(binds: channels.map(\.rawValue)))
                           AND (locked_until IS NULL OR locked_until < \(bind: now))
                         ORDER BY next_attempt_at, id LIMIT \(bind: limit)\(skipLocked))
            RETURNING id
            """
        let ids: [Int] = try await store.write { db in
            try await (db as! any SQLDatabase).raw(claimSQL).all().map { try $0.decode(column: "id", as: Int.self) }
        }
        guard !ids.isEmpty else { return [] }
        return try await OutboxItem.query(on: store.db).filter(\.$id ~~ ids).sort(\.$id).all()
    }

    public func markSent(_ item: OutboxItem) async throws {
        let now = store.clock.now()
        let event = try await store.write { db -> CareEvent? in
            item.stateRaw = OutboxItem.State.sent.rawValue
            item.sentAt = now
            item.lockedUntil = nil
            item.lastError = nil
            try await item.save(on: db)
            return try await Self.setDelivery(.sent, of: item, on: db)
        }
        if let event { await store.events.publish(event) }
    }

    /// Schedules another try with backoff, or gives up visibly after the last attempt (or at once when `final`).
    public func markFailed(_ item: OutboxItem, error: String, final: Bool = false) async throws {
        let now = store.clock.now()
        let event = try await store.write { db -> CareEvent? in
            item.lastError = String(error.prefix(1000))
            item.lockedUntil = nil
            if final || item.attempts >= Self.maximumAttempts {
                item.stateRaw = OutboxItem.State.failed.rawValue
                try await item.save(on: db)
                return try await Self.setDelivery(.failed, of: item, on: db)
            }
            item.nextAttemptAt = now.addingTimeInterval(Self.backoff(afterAttempt: item.attempts))
            try await item.save(on: db)
            return nil
        }
        if let event { await store.events.publish(event) }
    }

    private static func setDelivery(_ status: DeliveryStatus, of item: OutboxItem, on db: any Database) async throws -> CareEvent? {
        guard let messageId = item.messageId, let message = try await Message.find(messageId, on: db) else { return nil }
        message.deliveryStatus = status
        try await message.save(on: db)
        let c = try await Conversation.find(message.$conversation.id, on: db)
        return CareEvent(kind: .conversationUpdated, conversationId: c?.id, messageId: messageId, customerId: c?.$customer.id,
                         teamId: c?.$team.id, assigneeId: c?.$assignee.id)
    }

    public func pending() async throws -> [OutboxItem] {
        try await OutboxItem.query(on: store.db).filter(\.$stateRaw == OutboxItem.State.pending.rawValue).sort(\.$id).all()
    }
}
