import CareAPI
import CareCore
import CareData
import Foundation
import OpenAPIRuntime
import Vapor

/// Implements the operations of openapi.yaml on top of the CareData repositories.
///
/// Errors are thrown and rendered as problem+json by ErrorRendering: `CareError` (404, 409, 422, 403...) and
/// `APIBadRequest` (400) for the limits the spec documents but the generated code does not check (lengths, ranges,
/// cursors). Types, required properties and enum values are checked by the generated code before a handler runs.
struct CareAPIHandler: APIProtocol {

    /// Runs an operation with the Vapor request it serves (the signed-in agent, the store, the client's address).
    private func withRequest<Output>(_ work: (Request) async throws -> Output) async throws -> Output {
        try await work(try APIRequestContext.current())
    }

    // MARK: Customers

    func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        try await withRequest { req in
            let query = input.query
            var limits = Limits()
            limits.length(query.q, 1...200, "q")
            let limit = limits.page(cursor: query.cursor, limit: query.limit)
            try limits.check()
            let items: [Customer], next: String?
            if let q = query.q {
                (items, next) = try await req.store.api.customers(containing: q, cursor: query.cursor, limit: limit)
            } else {
                let page = try await req.store.customers.list(cursor: query.cursor, limit: limit)
                (items, next) = (page.items, page.nextCursor)
            }
            let body = Components.Schemas.CustomerPage(data: try items.map(Components.Schemas.Customer.init), nextCursor: next)
            return .ok(.init(body: .json(body)))
        }
    }

    func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            var limits = Limits()
            limits.length(body.name, 1...200, "name")
            limits.length(body.notes, 0...10_000, "notes")
            for (i, identity) in (body.identities ?? []).enumerated() {
                limits.length(identity.address, 1...320, "identities[\(i)].address")
            }
            try limits.check()
            let identities = try (body.identities ?? []).enumerated().map { i, identity throws(CareError) in
                do throws(CareError) { return try IdentityAddress.normalized(kind: identity.kind.domain, address: identity.address) } catch {
                    throw error.nested(under: "identities[\(i)]")
                }
            }
            let customer = try await req.store.customers.create(
                name: body.name, language: body.language?.domain ?? .en,
                attributes: body.attributes?.additionalProperties ?? [:],
                notes: body.notes.flatMap { $0.isEmpty ? nil : $0 },
                identities: identities, by: try req.viewer)
            return .created(.init(body: .json(try Components.Schemas.Customer(customer))))
        }
    }

    func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        try await withRequest { req in
            let customer = try await liveCustomer(input.path.customerId, req)
            return .ok(.init(body: .json(try Components.Schemas.Customer(customer))))
        }
    }

    func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            var limits = Limits()
            limits.notNull(req.explicitNullKeys, ["name", "language", "attributes", "notes"])
            limits.length(body.name, 1...200, "name")
            limits.length(body.notes, 0...10_000, "notes")
            try limits.check()
            let customer = try await req.store.customers.update(
                input.path.customerId.dbID,
                name: body.name,
                language: body.language.map { Optional($0.domain) },
                attributes: body.attributes?.additionalProperties,
                notes: body.notes.map { $0.isEmpty ? nil : $0 },
                by: try req.viewer)
            return .ok(.init(body: .json(try Components.Schemas.Customer(customer))))
        }
    }

    func mergeCustomer(_ input: Operations.MergeCustomer.Input) async throws -> Operations.MergeCustomer.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            let survivor = try await req.store.customers.merge(body.sourceCustomerId.dbID, into: input.path.customerId.dbID,
                                                               by: try req.viewer, ip: req.clientIP)
            return .ok(.init(body: .json(try Components.Schemas.Customer(survivor))))
        }
    }

    func listIdentities(_ input: Operations.ListIdentities.Input) async throws -> Operations.ListIdentities.Output {
        try await withRequest { req in
            let customer = try await liveCustomer(input.path.customerId, req)
            let list = Components.Schemas.IdentityList(data: try Components.Schemas.Customer(customer).identities)
            return .ok(.init(body: .json(list)))
        }
    }

    func addIdentity(_ input: Operations.AddIdentity.Input) async throws -> Operations.AddIdentity.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            var limits = Limits()
            limits.length(body.address, 1...320, "address")
            try limits.check()
            let customer = try await liveCustomer(input.path.customerId, req)
            let address = try IdentityAddress.normalized(kind: body.kind.domain, address: body.address)
            if let existing = customer.identities.first(where: { $0.kindRaw == address.kind.rawValue && $0.address == address.address }) {
                return .ok(.init(body: .json(try Components.Schemas.Identity(existing))))
            }
            let identity = try await req.store.customers.addIdentity(address, to: try customer.requireID(), by: try req.viewer)
            return .created(.init(body: .json(try Components.Schemas.Identity(identity))))
        }
    }

    /// A customer that exists and has not been merged into another (merged customers count as deleted).
    private func liveCustomer(_ id: Int64, _ req: Request) async throws -> Customer {
        let customer = try await req.store.customers.find(id.dbID)
        guard customer.mergedIntoId == nil else { throw CareError.notFound("customer", id: id) }
        return customer
    }

    // MARK: Conversations

    func listConversations(_ input: Operations.ListConversations.Input) async throws -> Operations.ListConversations.Output {
        try await withRequest { req in
            let query = input.query
            var limits = Limits()
            limits.length(query.tag, 1...100, "tag")
            let limit = limits.page(cursor: query.cursor, limit: query.limit)
            try limits.check()
            let viewer = try req.viewer
            let empty = Operations.ListConversations.Output.ok(.init(body: .json(.init(data: [], nextCursor: nil))))

            var filter = InboxFilter(statuses: query.status.map { [$0.domain] } ?? [])
            filter.teamId = query.teamId?.dbID
            filter.channel = query.channel?.domain
            filter.customerId = query.customerId?.dbID
            if let tag = query.tag {
                // A name that cannot be a tag is carried by no conversation (rather than silently ignored).
                guard let normalized = Tagging.normalize(tag) else { return empty }
                filter.tag = normalized
            }
            switch (query.assigneeId, query.unassigned) {
            case (.some, true?): return empty  // "assigned to X" and "unassigned" never both hold
            case (let id?, _): filter.assignee = .agent(id.dbID)
            case (nil, true?): filter.assignee = .unassigned
            case (nil, false?): filter.assignee = .assigned
            case (nil, nil): filter.assignee = .any
            }
            let page = try await req.store.conversations.list(filter, for: viewer, cursor: query.cursor, limit: limit)
            let (items, next) = (page.items, page.nextCursor)
            let body = Components.Schemas.ConversationPage(data: try items.map(Components.Schemas.Conversation.init), nextCursor: next)
            return .ok(.init(body: .json(body)))
        }
    }

    func createConversation(_ input: Operations.CreateConversation.Input) async throws -> Operations.CreateConversation.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            var limits = Limits()
            limits.length(body.subject, 1...300, "subject")
            limits.length(body.text, 1...InboundMessage.maximumTextLength, "text")
            for (i, tag) in (body.tags ?? []).enumerated() { limits.length(tag, 1...100, "tags[\(i)]") }
            try limits.check()
            let viewer = try req.viewer
            let tags = try Self.validTags(body.tags) ?? []
            let channel = body.channel?.domain ?? .api
            let firstMessage = body.text.map { InboundMessage(channel: channel, sender: nil, text: $0) }
            try firstMessage?.validate()
            try await checkTeam(body.teamId, req)
            try await checkAssignee(body.assigneeId, req)
            let created = try await req.store.conversations.create(
                customerId: body.customerId.dbID, subject: body.subject, channel: channel,
                priority: body.priority?.domain ?? .normal, kind: body.kind?.domain ?? .question,
                teamId: body.teamId?.dbID, assigneeId: body.assigneeId?.dbID, tags: tags, by: viewer)
            let id = try created.requireID()
            var conversation = created
            if let firstMessage {
                _ = try await req.store.ingestion.ingest(firstMessage, into: id)
                conversation = try await req.store.api.conversation(id)
            }
            return .created(.init(body: .json(try Components.Schemas.Conversation(conversation))))
        }
    }

    func getConversation(_ input: Operations.GetConversation.Input) async throws -> Operations.GetConversation.Output {
        try await withRequest { req in
            let conversation = try await req.store.conversations.find(input.path.conversationId.dbID, for: try req.viewer)
            return .ok(.init(body: .json(try Components.Schemas.Conversation(conversation))))
        }
    }

    func updateConversation(_ input: Operations.UpdateConversation.Input) async throws -> Operations.UpdateConversation.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            let nulls = req.explicitNullKeys
            var limits = Limits()
            limits.notNull(nulls, ["subject", "status", "priority", "kind", "tags"])
            limits.length(body.subject, 1...300, "subject")
            for (i, tag) in (body.tags ?? []).enumerated() { limits.length(tag, 1...100, "tags[\(i)]") }
            try limits.check()
            let viewer = try req.viewer
            let id = input.path.conversationId.dbID
            _ = try await req.store.conversations.find(id, for: viewer)
            var changes = ConversationChanges(subject: body.subject, status: body.status?.domain, priority: body.priority?.domain,
                                              kind: body.kind?.domain, tags: try Self.validTags(body.tags))
            if let teamId = body.teamId {
                try await checkTeam(teamId, req)
                changes.teamId = .some(teamId.dbID)
            } else if nulls.contains("teamId") {
                changes.teamId = .some(nil)
            }
            if let assigneeId = body.assigneeId {
                try await checkAssignee(assigneeId, req)
                changes.assigneeId = .some(assigneeId.dbID)
            } else if nulls.contains("assigneeId") {
                changes.assigneeId = .some(nil)
            }
            let conversation = try await req.store.conversations.update(id, changes, by: viewer, ip: req.clientIP)
            return .ok(.init(body: .json(try Components.Schemas.Conversation(conversation))))
        }
    }

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        try await withRequest { req in
            var limits = Limits()
            let limit = limits.page(cursor: input.query.cursor, limit: input.query.limit)
            try limits.check()
            let conversation = try await req.store.conversations.find(input.path.conversationId.dbID, for: try req.viewer)
            let page = try await req.store.conversations.messages(of: try conversation.requireID(), cursor: input.query.cursor, limit: limit)
            let body = Components.Schemas.MessagePage(data: try page.items.map(Components.Schemas.Message.init), nextCursor: page.nextCursor)
            return .ok(.init(body: .json(body)))
        }
    }

    /// Tag names the repository would otherwise drop silently are refused with the offending index.
    static func validTags(_ tags: [String]?) throws -> [String]? {
        guard let tags else { return nil }
        for (i, tag) in tags.enumerated() where Tagging.normalize(tag) == nil {
            throw CareError.invalid(code: "conversation.invalid_tag",
                                    "A tag must have 1 to 50 characters (spaces around it do not count) and no commas.",
                                    field: "tags[\(i)]")
        }
        return tags
    }

    /// A named team must exist (404 otherwise, as the spec says).
    private func checkTeam(_ teamId: Int64?, _ req: Request) async throws {
        guard let teamId else { return }
        guard try await req.store.api.teamExists(teamId.dbID) else { throw CareError.notFound("team", id: teamId) }
    }

    /// A named assignee must exist (404) and be active (422).
    private func checkAssignee(_ agentId: Int64?, _ req: Request) async throws {
        guard let agentId else { return }
        let agent = try await req.store.agents.find(agentId.dbID)
        guard agent.active else {
            throw CareError.invalid(code: "conversation.inactive_assignee",
                                    "Agent \(agentId) is deactivated and cannot be assigned.", field: "assigneeId")
        }
    }

    // MARK: Messages

    func createMessage(_ input: Operations.CreateMessage.Input) async throws -> Operations.CreateMessage.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            var limits = Limits()
            limits.length(body.text, 1...InboundMessage.maximumTextLength, "text")
            limits.length(body.externalId, 1...500, "externalId")
            limits.length(body.subject, 1...300, "subject")
            limits.length(body.from?.address, 1...320, "from.address")
            limits.length(body.from?.name, 1...200, "from.name")
            try limits.check()
            let viewer = try req.viewer
            let store = req.store

            switch body.direction {
            case .inbound:
                guard body.conversationId != nil || body.from != nil else {
                    throw CareError.invalid(code: "message.sender_required",
                                            "An inbound message needs “from” or “conversationId”.", field: "from")
                }
                if let conversationId = body.conversationId {
                    _ = try await store.conversations.find(conversationId.dbID, for: viewer)
                }
                let sender = try body.from.map { from throws(CareError) in
                    do throws(CareError) { return try IdentityAddress.normalized(kind: from.kind.domain, address: from.address) } catch {
                        throw error.nested(under: "from")
                    }
                }
                let message = InboundMessage(channel: .api, sender: sender, senderName: body.from?.name, externalId: body.externalId,
                                             conversationId: body.conversationId?.dbID, subject: body.subject, text: body.text,
                                             html: body.html, receivedAt: body.receivedAt)
                let ingested: Ingested
                do {
                    ingested = try await store.ingestion.receive(message)
                } catch let e as CareError where e.code == "message.sender_mismatch" {
                    // Well-formed, but the sender and the conversation disagree: a broken rule of this request.
                    throw CareError.invalid(code: e.code, e.message, field: "from")
                }
                let stored = try Components.Schemas.Message(ingested.message)
                return ingested.result.created ? .created(.init(body: .json(stored))) : .ok(.init(body: .json(stored)))

            case .outbound, .note:
                guard let conversationId = body.conversationId?.dbID else {
                    throw CareError.invalid(code: "message.conversation_required",
                                            "An outbound message or a note needs “conversationId”.", field: "conversationId")
                }
                _ = try await store.conversations.find(conversationId, for: viewer)
                let written = try await store.conversations.addAgentMessage(
                    to: conversationId, direction: body.direction == .outbound ? .outbound : .note,
                    text: body.text, html: body.html, externalId: body.externalId, by: viewer)
                // A repeated externalId answers with the message stored the first time (200, not 201).
                let stored = try Components.Schemas.Message(written.message)
                return written.isRepeat ? .ok(.init(body: .json(stored))) : .created(.init(body: .json(stored)))
            }
        }
    }

    // MARK: Agents and teams

    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        try await withRequest { req in
            let agents = try await req.store.agents.all()
            return .ok(.init(body: .json(.init(data: try agents.map(Components.Schemas.Agent.init)))))
        }
    }

    func createAgent(_ input: Operations.CreateAgent.Input) async throws -> Operations.CreateAgent.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            let viewer = try req.viewer
            try viewer.requireAdmin()
            var limits = Limits()
            limits.length(body.email, 1...320, "email")
            if IdentityNormalizer.email(body.email) == nil {
                limits.add("agent.invalid_email", field: "email", "“\(body.email)” is not a valid e-mail address.")
            }
            limits.length(body.name, 1...200, "name")
            limits.length(body.password, PasswordPolicy.minimumLength...200, "password")
            limits.length(body.timeZone, 1...64, "timeZone")
            try limits.check()
            for teamId in body.teamIds ?? [] { try await checkTeam(teamId, req) }
            try PasswordPolicy.check(body.password)
            let hash = try await req.password.async.hash(body.password)
            let agent = try await req.store.agents.create(
                email: body.email, name: body.name, passwordHash: hash, role: body.role.domain,
                language: body.language?.domain ?? .en, timeZone: body.timeZone ?? "Europe/Athens",
                teamIds: (body.teamIds ?? []).map(\.dbID), by: viewer, ip: req.clientIP)
            return .created(.init(body: .json(try Components.Schemas.Agent(agent))))
        }
    }

    func getAgent(_ input: Operations.GetAgent.Input) async throws -> Operations.GetAgent.Output {
        try await withRequest { req in
            let agent = try await req.store.agents.find(input.path.agentId.dbID)
            return .ok(.init(body: .json(try Components.Schemas.Agent(agent))))
        }
    }

    func listTeams(_ input: Operations.ListTeams.Input) async throws -> Operations.ListTeams.Output {
        try await withRequest { req in
            let teams = try await req.store.agents.teams()
            return .ok(.init(body: .json(.init(data: try teams.map(Components.Schemas.Team.init)))))
        }
    }

    func createTeam(_ input: Operations.CreateTeam.Input) async throws -> Operations.CreateTeam.Output {
        try await withRequest { req in
            let body = switch input.body { case .json(let json): json }
            let viewer = try req.viewer
            try viewer.requireAdmin()
            var limits = Limits()
            limits.length(body.name, 1...100, "name")
            try limits.check()
            let team = try await req.store.agents.createTeam(name: body.name, by: viewer, ip: req.clientIP)
            return .created(.init(body: .json(try Components.Schemas.Team(team))))
        }
    }

    // MARK: Tags and search

    func listTags(_ input: Operations.ListTags.Input) async throws -> Operations.ListTags.Output {
        try await withRequest { req in
            let tags = try await req.store.conversations.allTags()
                .filter { $0.count > 0 }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
            let list = Components.Schemas.TagList(data: tags.map { .init(name: $0.name, conversationCount: Int64($0.count)) })
            return .ok(.init(body: .json(list)))
        }
    }

    func search(_ input: Operations.Search.Input) async throws -> Operations.Search.Output {
        try await withRequest { req in
            var limits = Limits()
            limits.length(input.query.q, 1...200, "q")
            limits.range(input.query.limit, 1...50, "limit")
            try limits.check()
            let results = try await req.store.search.search(input.query.q, for: try req.viewer, limit: input.query.limit ?? 20)
            let body = Components.Schemas.SearchResults(
                customers: try results.customers.map(Components.Schemas.Customer.init),
                conversations: try results.conversations.map(Components.Schemas.Conversation.init),
                messages: try results.messages.map(Components.Schemas.Message.init))
            return .ok(.init(body: .json(body)))
        }
    }
}
