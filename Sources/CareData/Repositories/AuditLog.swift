import CareCore
import FluentKit
import Foundation

/// Who did what and when. Written inside the transaction of the change it records.
public struct AuditLog: Sendable {
    let store: CareStore

    public func record(actor: Viewer?, action: String, targetType: String, targetId: Int?, detail: String,
                       ip: String? = nil) async throws {
        let now = store.clock.now()
        try await store.write { db in
            try await Self.record(actor: actor, action: action, targetType: targetType, targetId: targetId,
                                  detail: detail, ip: ip, now: now, on: db)
        }
    }

    static func record(actor: Viewer?, action: String, targetType: String, targetId: Int?, detail: String,
                       ip: String?, now: Date, on db: any Database) async throws {
        let e = AuditEntry()
        e.actorAgentId = actor?.agentId
        e.actorName = actor?.name ?? "system"
        e.action = action
        e.targetType = targetType
        e.targetId = targetId
        e.detail = String(detail.prefix(2000))
        e.ip = ip
        e.createdAt = now
        try await e.create(on: db)
    }

    public func entries(cursor: String?, limit: Int, action: String? = nil) async throws -> Page<AuditEntry> {
        var q = AuditEntry.query(on: store.db)
        if let action, !action.isEmpty { q = q.filter(\.$action == action) }
        if let cursor { q = q.after(try KeysetCursor.decode(cursor), date: "created_at", descending: true) }
        let rows = try await q.sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(limit + 1).all()
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { KeysetCursor(date: $0.createdAt, id: $0.id!).encoded } : nil
        return Page(items: page, nextCursor: next)
    }
}
