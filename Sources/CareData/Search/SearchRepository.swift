import CareCore
import FluentKit
import Foundation
import SQLKit

public struct SearchResults: Sendable {
    public var customers: [Customer] = []
    public var conversations: [Conversation] = []
    public var messages: [Message] = []
}

/// Accent- and case-insensitive search over customers, conversations and message text.
/// The query is folded exactly like the stored `search_text`, then matched as word prefixes:
/// SQLite through the FTS5 tables, PostgreSQL through to_tsvector/to_tsquery on GIN indexes.
public struct SearchRepository: Sendable {
    let store: CareStore

    public func search(_ query: String, for viewer: Viewer, limit: Int = 20) async throws -> SearchResults {
        let terms = SearchFolding.terms(query)
        guard !terms.isEmpty else {
            throw CareError.invalid(code: "search.empty_query", "Type at least one letter or digit to search for.", field: "q")
        }
        var results = SearchResults()
        let customerIds = try await matchingIds(in: "customers", terms: terms, limit: limit, extraFilter: "merged_into_id IS NULL")
        results.customers = try await Customer.query(on: store.db).filter(\.$id ~~ customerIds).with(\.$identities).all()
            .sorted { (customerIds.firstIndex(of: $0.id!) ?? 0) < (customerIds.firstIndex(of: $1.id!) ?? 0) }

        // Conversations and messages are filtered by visibility; fetch extra so filtering still fills the page.
        let conversationIds = try await matchingIds(in: "conversations", terms: terms, limit: limit * 4, extraFilter: nil)
        results.conversations = Array(try await Conversation.query(on: store.db).filter(\.$id ~~ conversationIds).all()
            .filter { viewer.canSee(teamId: $0.$team.id, assigneeId: $0.$assignee.id) }
            .sorted { $0.lastMessageAt > $1.lastMessageAt }
            .prefix(limit))

        let messageIds = try await matchingIds(in: "messages", terms: terms, limit: limit * 4, extraFilter: nil)
        let messages = try await Message.query(on: store.db).filter(\.$id ~~ messageIds).all()
        let parents = try await Conversation.query(on: store.db).filter(\.$id ~~ Array(Set(messages.map { $0.$conversation.id }))).all()
        let visible = Set(parents.filter { viewer.canSee(teamId: $0.$team.id, assigneeId: $0.$assignee.id) }.compactMap(\.id))
        results.messages = Array(messages.filter { visible.contains($0.$conversation.id) && $0.direction != .event }
            .sorted { $0.createdAt > $1.createdAt }
            .prefix(limit))
        return results
    }

    /// Ids of rows of `table` whose folded text has every term as a word prefix, newest first.
    func matchingIds(in table: String, terms: [String], limit: Int, extraFilter: String?) async throws -> [Int] {
        let sql = store.sql
        let extra = extraFilter.map { " AND t.\($0)" } ?? ""
        let rows: [any SQLRow]
        if store.isSQLite {
            // Each term quoted (so FTS5 syntax in user input is inert) and prefix-matched.
            let match = terms.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"*" }.joined(separator: " ")
            // Ordered by the FTS rowid (the same number as t.id): FTS5 then walks its matches newest first and
            // stops at the limit, where ORDER BY t.id would sort every match (80 ms vs 1 ms for a common word
            // in a million messages).
            rows = try await sql.raw("""
                SELECT f.rowid AS id FROM \(unsafeRaw: table)_fts f JOIN \(unsafeRaw: table) t ON t.id = f.rowid
                WHERE \(unsafeRaw: table)_fts MATCH \(bind: match)\(unsafeRaw: extra)
                ORDER BY f.rowid DESC LIMIT \(bind: limit)
                """).all()
        } else {
            // to_tsquery syntax is built from folded letters and digits only, so user input cannot inject operators.
            let tsquery = terms.map { "\($0):*" }.joined(separator: " & ")
            rows = try await sql.raw("""
                SELECT t.id AS id FROM \(unsafeRaw: table) t
                WHERE to_tsvector('simple', t.search_text) @@ to_tsquery('simple', \(bind: tsquery))\(unsafeRaw: extra)
                ORDER BY t.id DESC LIMIT \(bind: limit)
                """).all()
        }
        return try rows.map { try $0.decode(column: "id", as: Int.self) }
    }
}
