import CareCore
import CareData
import FluentKit
import Foundation
import Vapor

enum SearchController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("search", use: page)
    }

    struct Hit: Encodable {
        let href: String
        let title: String
        let detail: String
    }

    struct SearchPage: Encodable {
        let chrome: PageChrome
        let q: String
        let customers: [Hit]
        let conversations: [Hit]
        let messages: [Hit]
        let searched: Bool
        let nothing: Bool
    }

    static func page(req: Request) async throws -> View {
        let q = String((req.query[String.self, at: "q"] ?? "").prefix(200))
        var page = SearchPage(chrome: try PageChrome(req, page: "search", title: req.t("search.title")), q: q,
                              customers: [], conversations: [], messages: [], searched: false, nothing: false)
        if !SearchFolding.terms(q).isEmpty {
            let r = try await req.store.search.search(q, for: try req.viewer, limit: 20)
            let convIds = Array(Set(r.messages.map { $0.$conversation.id }))
            let subjects = Dictionary(uniqueKeysWithValues: try await Conversation.query(on: req.store.db).filter(\.$id ~~ convIds).all().map { ($0.id!, $0.subject) })
            page = SearchPage(
                chrome: page.chrome, q: q,
                customers: r.customers.map { c in
                    Hit(href: "/customers/\(c.id!)", title: c.name, detail: c.identities.map(\.address).joined(separator: ", "))
                },
                conversations: r.conversations.map { c in
                    Hit(href: "/conversations/\(c.id!)", title: "#\(c.id!) \(c.subject)",
                        detail: "\(req.label("status", c.statusRaw)) · \(req.formatDate(c.lastMessageAt))")
                },
                messages: r.messages.map { m in
                    Hit(href: "/conversations/\(m.$conversation.id)#m\(m.id!)", title: subjects[m.$conversation.id] ?? "",
                        detail: String(m.text.prefix(200)))
                },
                searched: true, nothing: r.customers.isEmpty && r.conversations.isEmpty && r.messages.isEmpty)
        }
        return try await req.view.render("search", page)
    }
}
