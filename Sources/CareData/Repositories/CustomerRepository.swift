import CareCore
import FluentKit
import Foundation

public struct CustomerRepository: Sendable {
    let store: CareStore

    public func find(_ id: Int) async throws -> Customer {
        guard let c = try await Customer.query(on: store.db).filter(\.$id == id).with(\.$identities).first() else {
            throw CareError.notFound("customer", id: id)
        }
        return c
    }

    /// Follows merges: an id of a merged customer leads to the survivor.
    public func resolve(_ id: Int) async throws -> Customer {
        var customer = try await find(id)
        var hops = 0
        while let next = customer.mergedIntoId, hops < 10 {
            customer = try await find(next)
            hops += 1
        }
        return customer
    }

    public func list(cursor: String?, limit: Int) async throws -> Page<Customer> {
        var q = Customer.query(on: store.db).filter(\.$mergedIntoId == nil).with(\.$identities)
        if let cursor { q = q.after(try KeysetCursor.decode(cursor), date: "created_at", descending: true) }
        let rows = try await q.sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(limit + 1).all()
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { KeysetCursor(date: $0.createdAt, id: $0.id!).encoded } : nil
        return Page(items: page, nextCursor: next)
    }

    public func create(name: String, language: UILanguage?, attributes: [String: String], notes: String?,
                       identities: [IdentityAddress], by actor: Viewer?) async throws -> Customer {
        let name = try Self.validName(name)
        try Self.validate(attributes: attributes, notes: notes)
        let now = store.clock.now()
        let id = try await store.write { db in
            let c = Customer(name: name, language: language?.rawValue, attributes: attributes, notes: notes, now: now)
            try await c.create(on: db)
            for address in identities {
                try await Self.attach(address, to: c, now: now, on: db)
            }
            c.refreshSearchText(addresses: identities.map(\.address))
            try await c.save(on: db)
            return try c.requireID()
        }
        return try await find(id)
    }

    public func update(_ id: Int, name: String?, language: UILanguage??, attributes: [String: String]?, notes: String??,
                       by actor: Viewer?) async throws -> Customer {
        let now = store.clock.now()
        if let attributes { try Self.validate(attributes: attributes, notes: nil) }
        if let notes = notes ?? nil { try Self.validate(attributes: [:], notes: notes) }
        let validName = try name.map { n throws(CareError) in try Self.validName(n) }
        try await store.write { db in
            guard let c = try await Customer.query(on: db).filter(\.$id == id).with(\.$identities).first(),
                  c.mergedIntoId == nil else { throw CareError.notFound("customer", id: id) }
            if let validName { c.name = validName }
            if let language { c.language = language?.rawValue }
            if let attributes { c.attributes = attributes }
            if let notes { c.notes = notes }
            c.refreshSearchText(addresses: c.identities.map(\.address))
            c.updatedAt = now
            try await c.save(on: db)
        }
        await store.events.publish(CareEvent(kind: .customerUpdated, customerId: id))
        return try await find(id)
    }

    public func addIdentity(_ address: IdentityAddress, to customerId: Int, by actor: Viewer?) async throws -> Identity {
        let now = store.clock.now()
        return try await store.write { db in
            guard let c = try await Customer.query(on: db).filter(\.$id == customerId).with(\.$identities).first(),
                  c.mergedIntoId == nil else { throw CareError.notFound("customer", id: customerId) }
            let identity = try await Self.attach(address, to: c, now: now, on: db)
            c.refreshSearchText(addresses: c.identities.map(\.address) + [address.address])
            try await c.save(on: db)
            return identity
        }
    }

    @discardableResult
    static func attach(_ address: IdentityAddress, to customer: Customer, now: Date, on db: any Database) async throws -> Identity {
        if let existing = try await Identity.query(on: db).filter(\.$kindRaw == address.kind.rawValue)
            .filter(\.$address == address.address).first() {
            if existing.$customer.id == customer.id { return existing }
            throw CareError.conflict(code: "identity.taken",
                                     "\(address.address) already belongs to customer \(existing.$customer.id); merge the two customers instead.")
        }
        let identity = Identity(customerId: try customer.requireID(), address: address, now: now)
        try await identity.create(on: db)
        return identity
    }

    /// Moves identities, conversations and history of `sourceId` to `survivorId`, and records it in the audit log.
    /// `actor` nil: CareDesk itself (a chat visitor gave the e-mail address of a known customer).
    public func merge(_ sourceId: Int, into survivorId: Int, by actor: Viewer?, ip: String? = nil) async throws -> Customer {
        guard sourceId != survivorId else {
            throw CareError.conflict(code: "customer.merge_self", "A customer cannot be merged into itself.")
        }
        let now = store.clock.now()
        let moved = try await store.write { db in
            guard let survivor = try await Customer.query(on: db).filter(\.$id == survivorId).with(\.$identities).first(),
                  survivor.mergedIntoId == nil else { throw CareError.notFound("customer", id: survivorId) }
            guard let source = try await Customer.query(on: db).filter(\.$id == sourceId).with(\.$identities).first(),
                  source.mergedIntoId == nil else { throw CareError.notFound("customer", id: sourceId) }
            try await Identity.query(on: db).set(\.$customer.$id, to: survivorId).filter(\.$customer.$id == sourceId).update()
            let conversations = try await Conversation.query(on: db).filter(\.$customer.$id == sourceId).all()
            for c in conversations {
                c.$customer.id = survivorId
                try await c.save(on: db)
                try await ConversationRepository.appendEvent(.merged, to: c, actor: actor,
                                                             detail: ["from": source.name, "to": survivor.name], now: now, on: db)
            }
            // Attributes the survivor lacks are kept; the survivor's own values win.
            survivor.attributes = source.attributes.merging(survivor.attributes) { _, mine in mine }
            if survivor.language == nil { survivor.language = source.language }
            let notes = [survivor.notes, source.notes].compactMap { $0?.nonEmpty }
            survivor.notes = notes.isEmpty ? nil : notes.joined(separator: "\n\n")
            survivor.refreshSearchText(addresses: (survivor.identities + source.identities).map(\.address))
            survivor.updatedAt = now
            try await survivor.save(on: db)
            source.mergedIntoId = survivorId
            source.updatedAt = now
            try await source.save(on: db)
            try await AuditLog.record(actor: actor, action: "customer.merge", targetType: "customer", targetId: survivorId,
                                      detail: "merged \(source.name) (#\(sourceId)) into \(survivor.name) (#\(survivorId)): \(source.identities.count) identities, \(conversations.count) conversations",
                                      ip: ip, now: now, on: db)
            return conversations.count
        }
        _ = moved
        await store.events.publish(CareEvent(kind: .customerUpdated, customerId: survivorId, agentId: actor?.agentId))
        return try await find(survivorId)
    }

    /// Every message of the customer on every channel, newest first (the Customer 360 timeline).
    public func timeline(_ customerId: Int, for viewer: Viewer, limit: Int = 200) async throws -> [(Message, Conversation)] {
        let conversations = try await Conversation.query(on: store.db).filter(\.$customer.$id == customerId).all()
            .filter { viewer.canSee(teamId: $0.$team.id, assigneeId: $0.$assignee.id) }
        guard !conversations.isEmpty else { return [] }
        let byId = Dictionary(uniqueKeysWithValues: conversations.map { ($0.id!, $0) })
        let messages = try await Message.query(on: store.db)
            .filter(\.$conversation.$id ~~ Array(byId.keys))
            .sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .limit(limit).all()
        return messages.compactMap { m in byId[m.$conversation.id].map { (m, $0) } }
    }

    static func validName(_ raw: String) throws(CareError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw .invalid(code: "customer.invalid_name", "The name must be 1 to 200 characters.", field: "name")
        }
        return name
    }

    static func validate(attributes: [String: String], notes: String?) throws(CareError) {
        guard attributes.count <= 100, attributes.allSatisfy({ (1...100).contains($0.key.count) && $0.value.count <= 2000 }) else {
            throw .invalid(code: "customer.invalid_attributes", "At most 100 attributes, names of 1 to 100 characters, values up to 2000.", field: "attributes")
        }
        if let notes, notes.count > 10_000 {
            throw .invalid(code: "customer.notes_too_long", "Notes may have at most 10000 characters.", field: "notes")
        }
    }
}
