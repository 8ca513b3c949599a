import Foundation

/// A live event: something agents' screens should show without reloading.
/// Small on purpose: it travels through PostgreSQL NOTIFY (8000 byte limit) between nodes.
public struct CareEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case messageCreated = "message.created"
        case conversationUpdated = "conversation.updated"
        case conversationCreated = "conversation.created"
        case customerUpdated = "customer.updated"
        /// An agent is looking at a conversation (sent as a heartbeat) or has left it.
        case viewing, left
        case typing
        /// The customer is typing in a chat (`active` false: stopped).
        case customerTyping = "customer.typing"
        /// Chat messages were read up to `messageId`: by an agent (`agentId` set) or by the customer.
        case chatRead = "chat.read"
    }

    public var kind: Kind
    public var conversationId: Int?
    public var messageId: Int?
    public var customerId: Int?
    /// Who may see the conversation: its team and assignee; used to filter what each agent receives.
    public var teamId: Int?
    public var assigneeId: Int?
    public var agentId: Int?
    public var agentName: String?
    /// Which node published it, so a node can ignore its own echo from PostgreSQL.
    public var origin: String?
    /// For typing events: false when the typist stopped.
    public var active: Bool?

    public init(kind: Kind, conversationId: Int? = nil, messageId: Int? = nil, customerId: Int? = nil,
                teamId: Int? = nil, assigneeId: Int? = nil, agentId: Int? = nil, agentName: String? = nil,
                origin: String? = nil, active: Bool? = nil) {
        self.kind = kind
        self.conversationId = conversationId
        self.messageId = messageId
        self.customerId = customerId
        self.teamId = teamId
        self.assigneeId = assigneeId
        self.agentId = agentId
        self.agentName = agentName
        self.origin = origin
        self.active = active
    }
}

/// Where domain code hands events after a commit. The server provides the bus behind it.
public protocol EventPublishing: Sendable {
    func publish(_ event: CareEvent) async
}

/// Discards events; for commands that run without live screens (migrate, demo).
public struct NoEvents: EventPublishing {
    public init() {}
    public func publish(_ event: CareEvent) async {}
}
