import CareCore
import CareData
import Fluent
import FluentSQL
import Foundation
import SQLKit

/// Reads and writes the API needs that the CareData repositories do not offer (yet).
/// Each belongs in a repository; they live here only until it has them (see the API hand-over notes).
struct APIQueries {
    let store: CareStore

    /// Customers whose name or identity addresses (folded, so accent- and case-insensitive) or notes contain `text`,
    /// newest first, with the same keyset cursor as `CustomerRepository.list`.
    func customers(containing text: String, cursor: String?, limit: Int) async throws -> (items: [Customer], nextCursor: String?) {
        let folded = "%" + Self.escapeLike(SearchFolding.fold(text)) + "%"
        let lowered = "%" + Self.escapeLike(text.lowercased()) + "%"
        var q = Customer.query(on: store.db).filter(\.$mergedIntoId == nil).with(\.$identities)
            .filter(.sql(embed: "(search_text LIKE \(bind: folded) ESCAPE '\\' OR LOWER(COALESCE(notes, '')) LIKE \(bind: lowered) ESCAPE '\\')"))
        if let cursor { q = q.after(try KeysetCursor.decode(cursor), date: "created_at", descending: true) }
        let rows = try await q.sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(limit + 1).all()
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { KeysetCursor(date: $0.createdAt, id: $0.id!).encoded } : nil
        return (page, next)
    }

    /// A conversation whatever the viewer (for re-reading one the caller has just written).
    func conversation(_ id: Int) async throws -> Conversation {
        guard let c = try await Conversation.find(id, on: store.db) else { throw CareError.notFound("conversation", id: id) }
        return c
    }

    func teamExists(_ id: Int) async throws -> Bool {
        try await Team.find(id, on: store.db) != nil
    }

    /// Escapes LIKE wildcards so user text matches literally (used with `ESCAPE '\'`).
    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

extension CareStore {
    var api: APIQueries { APIQueries(store: self) }
}
