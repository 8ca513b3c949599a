import CareCore
import CareData
import FluentKit
import Foundation
import Vapor

/// Customer 360: identities, attributes, notes, language and the whole cross-channel timeline.
enum CustomerController {
    static func register(_ routes: any RoutesBuilder) {
        let c = routes.grouped("customers", ":id")
        c.get(use: page)
        c.post("update", use: update)
        c.post("identities", use: addIdentity)
        c.post("merge", use: merge)
    }

    struct TimelineEntry: Encodable {
        let conversationId: Int
        let subject: String
        let entry: ConversationController.ThreadEntry
    }

    struct CustomerPage: Encodable {
        let chrome: PageChrome
        let id: Int
        let name: String
        let language: String?
        let languages: [Option]
        let notes: String
        let attributes: [Attribute]
        let attributesText: String
        let identities: [IdentityRow]
        let identityKinds: [Option]
        let conversations: [InboxController.Row]
        let timeline: [TimelineEntry]
        let since: String
        let canMerge: Bool
    }

    struct Attribute: Encodable { let key: String; let value: String }
    struct IdentityRow: Encodable { let kind: String; let address: String }

    static func page(req: Request) async throws -> Response {
        let viewer = try req.viewer
        let id = try req.intParameter("id")
        let customer = try await req.store.customers.find(id)
        if let survivor = customer.mergedIntoId { return req.redirect(to: "/customers/\(survivor)") }
        let conversations = try await req.store.conversations.list(InboxFilter(statuses: [], customerId: id), for: viewer,
                                                                   cursor: nil, limit: 100).items
        let agents = Dictionary(uniqueKeysWithValues: try await req.store.agents.all().map { ($0.id!, $0.name) })
        let timeline = try await req.store.customers.timeline(id, for: viewer).filter { $0.0.direction != .event }.map { m, c in
            TimelineEntry(conversationId: c.id!, subject: c.subject,
                          entry: ConversationController.entry(m, customerName: customer.name, agents: agents, req: req))
        }
        let attrs = customer.attributes.sorted { $0.key < $1.key }
        let page = CustomerPage(
            chrome: try PageChrome(req, page: "customer", title: customer.name),
            id: id, name: customer.name, language: customer.language.map { req.label("language", $0) },
            languages: [Option(value: "", label: "—", selected: customer.language == nil)]
                + UILanguage.allCases.map { Option(value: $0.rawValue, label: req.label("language", $0.rawValue), selected: $0.rawValue == customer.language) },
            notes: customer.notes ?? "",
            attributes: attrs.map { Attribute(key: $0.key, value: $0.value) },
            attributesText: attrs.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"),
            identities: customer.identities.map { IdentityRow(kind: req.label("identity", $0.kindRaw), address: $0.address) },
            identityKinds: req.options(IdentityKind.self, prefix: "identity", selected: .email),
            conversations: try await InboxController.makeRows(conversations, req: req),
            timeline: timeline, since: req.formatDate(customer.createdAt),
            canMerge: viewer.role.seesAllConversations)
        return try await req.view.render("customer", page).encodeResponse(for: req)
    }

    static func update(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        let name = try req.formField("name", max: 300)
        let notes = try req.formField("notes", max: 10_000)
        let language = try req.formField("language", max: 5).map { $0.isEmpty ? nil : UILanguage.parse($0) }
        var attributes: [String: String]?
        if let text = try req.formField("attributes", max: 50_000) {
            var parsed: [String: String] = [:]
            for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let eq = line.firstIndex(of: "=") else {
                    throw CareError.invalid(code: "customer.invalid_attributes", "Write one attribute per line as name=value.", field: "attributes")
                }
                parsed[line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
            attributes = parsed
        }
        _ = try await req.store.customers.update(id, name: name, language: language, attributes: attributes,
                                                 notes: notes.map { Optional($0) }, by: try req.viewer)
        return req.redirect(to: "/customers/\(id)")
    }

    static func addIdentity(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        guard let kind = try req.formField("kind", max: 40).flatMap(IdentityKind.init(rawValue:)) else {
            throw CareError.invalid(code: "identity.invalid_kind", "Choose what kind of address this is.", field: "kind")
        }
        let address = try IdentityAddress.normalized(kind: kind, address: try req.formField("address", max: 320) ?? "")
        _ = try await req.store.customers.addIdentity(address, to: id, by: try req.viewer)
        return req.redirect(to: "/customers/\(id)")
    }

    /// Merges another customer (by id) into this one. Supervisors and admins only: it cannot be undone by hand.
    static func merge(req: Request) async throws -> Response {
        let viewer = try req.viewer
        guard viewer.role.seesAllConversations else { throw CareError.forbidden("Only supervisors and admins may merge customers.") }
        let id = try req.intParameter("id")
        guard let raw = try req.formField("source", max: 20), let source = Int(raw.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["#"])) else {
            throw CareError.invalid(code: "customer.merge_source", "Enter the number of the customer to merge into this one.", field: "source")
        }
        _ = try await req.store.customers.merge(source, into: id, by: viewer, ip: req.clientIP)
        return req.redirect(to: "/customers/\(id)")
    }
}
