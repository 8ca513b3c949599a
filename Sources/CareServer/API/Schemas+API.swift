import CareAPI
import CareCore
import CareData
import Foundation

// Mapping between the CareData models / CareCore enums and the types generated from openapi.yaml.
// The API speaks the same raw values as the database, so every enum maps by raw value; a test
// (APITests.enumsMatchSpec) proves the two sides have the same cases.

/// Maps an enum of one side to the enum of the other with the same raw value.
protocol RawStringBridge: RawRepresentable where RawValue == String {}

extension RawStringBridge {
    /// The case of `T` with the same raw value, or `fallback` (only reachable if the two sides drift apart).
    func bridged<T: RawRepresentable>(_: T.Type = T.self, or fallback: T) -> T where T.RawValue == String {
        T(rawValue: rawValue) ?? fallback
    }
}

extension CareCore.Channel: RawStringBridge {}
extension CareCore.ConversationStatus: RawStringBridge {}
extension CareCore.Priority: RawStringBridge {}
extension CareCore.ConversationKind: RawStringBridge {}
extension CareCore.MessageDirection: RawStringBridge {}
extension CareCore.DeliveryStatus: RawStringBridge {}
extension CareCore.IdentityKind: RawStringBridge {}
extension CareCore.AgentRole: RawStringBridge {}
extension CareCore.UILanguage: RawStringBridge {}
extension Components.Schemas.Channel: RawStringBridge {}
extension Components.Schemas.ConversationStatus: RawStringBridge {}
extension Components.Schemas.Priority: RawStringBridge {}
extension Components.Schemas.ConversationKind: RawStringBridge {}
extension Components.Schemas.MessageDirection: RawStringBridge {}
extension Components.Schemas.MessageCreateDirection: RawStringBridge {}
extension Components.Schemas.DeliveryStatus: RawStringBridge {}
extension Components.Schemas.IdentityKind: RawStringBridge {}
extension Components.Schemas.Role: RawStringBridge {}
extension Components.Schemas.Language: RawStringBridge {}

extension Components.Schemas.Channel { var domain: CareCore.Channel { bridged(or: .api) } }
extension Components.Schemas.ConversationStatus { var domain: CareCore.ConversationStatus { bridged(or: .open) } }
extension Components.Schemas.Priority { var domain: CareCore.Priority { bridged(or: .normal) } }
extension Components.Schemas.ConversationKind { var domain: CareCore.ConversationKind { bridged(or: .question) } }
extension Components.Schemas.IdentityKind { var domain: CareCore.IdentityKind { bridged(or: .external) } }
extension Components.Schemas.Role { var domain: CareCore.AgentRole { bridged(or: .agent) } }
extension Components.Schemas.Language { var domain: CareCore.UILanguage { bridged(or: .en) } }

extension Int {
    /// Ids travel as int64 in the API.
    var api: Int64 { Int64(self) }
}

extension Int64 {
    /// An id from the API as a database id; ids beyond Int's range cannot exist, so they map to a missing row.
    var dbID: Int { Int(exactly: self) ?? Int.min }
}

// MARK: Models -> API

extension Components.Schemas.Customer {
    init(_ c: CareData.Customer) throws {
        let identities = c.$identities.value ?? []
        self.init(id: try c.requireID().api,
                  name: c.name,
                  language: (UILanguage.parse(c.language) ?? .en).bridged(or: .en),
                  attributes: .init(additionalProperties: c.attributes),
                  notes: c.notes.flatMap { $0.isEmpty ? nil : $0 },
                  identities: try identities.sorted { ($0.id ?? 0) < ($1.id ?? 0) }.map(Components.Schemas.Identity.init),
                  createdAt: c.createdAt,
                  updatedAt: c.updatedAt)
    }
}

extension Components.Schemas.Identity {
    init(_ i: CareData.Identity) throws {
        self.init(id: try i.requireID().api, customerId: i.$customer.id.api, kind: i.kind.bridged(or: .external),
                  address: i.address, createdAt: i.createdAt)
    }
}

extension Components.Schemas.Conversation {
    init(_ c: CareData.Conversation) throws {
        self.init(id: try c.requireID().api,
                  subject: c.subject,
                  status: c.status.bridged(or: .open),
                  priority: c.priority.bridged(or: .normal),
                  kind: c.kind.bridged(or: .question),
                  channel: c.channel.bridged(or: .api),
                  customerId: c.$customer.id.api,
                  teamId: c.$team.id?.api,
                  assigneeId: c.$assignee.id?.api,
                  tags: c.tagNames,
                  createdAt: c.createdAt,
                  updatedAt: c.updatedAt,
                  lastMessageAt: c.lastMessageAt)
    }
}

extension Components.Schemas.Message {
    init(_ m: CareData.Message) throws {
        self.init(id: try m.requireID().api,
                  conversationId: m.$conversation.id.api,
                  direction: m.direction.bridged(or: .event),
                  channel: m.channel.bridged(or: .api),
                  authorAgentId: (m.direction == .outbound || m.direction == .note) ? m.authorAgentId?.api : nil,
                  text: m.text,
                  html: m.html,
                  externalId: m.externalId,
                  deliveryStatus: m.deliveryStatus.bridged(or: .none),
                  createdAt: m.createdAt)
    }
}

extension Components.Schemas.Agent {
    init(_ a: CareData.Agent) throws {
        self.init(id: try a.requireID().api,
                  email: a.email,
                  name: a.name,
                  role: a.role.bridged(or: .agent),
                  language: a.language.bridged(or: .en),
                  timeZone: a.timeZone,
                  teamIds: (a.$teams.value ?? []).compactMap(\.id).sorted().map(\.api),
                  active: a.active)
    }
}

extension Components.Schemas.Team {
    init(_ t: CareData.Team) throws {
        self.init(id: try t.requireID().api, name: t.name,
                  memberIds: (t.$members.value ?? []).compactMap(\.id).sorted().map(\.api))
    }
}
