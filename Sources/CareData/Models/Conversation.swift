import CareCore
import FluentKit
import Foundation

public final class Conversation: Model, @unchecked Sendable {
    public static let schema = "conversations"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "customer_id") public var customer: Customer
    @Field(key: "subject") public var subject: String
    @Field(key: "status") public var statusRaw: String
    @Field(key: "priority") public var priorityRaw: String
    /// Priority as a number so the inbox can sort urgent first with a plain index.
    @Field(key: "priority_rank") public var priorityRank: Int
    @Field(key: "kind") public var kindRaw: String
    @Field(key: "channel") public var channelRaw: String
    @OptionalParent(key: "team_id") public var team: Team?
    @OptionalParent(key: "assignee_id") public var assignee: Agent?
    /// Comma-separated copy of the tag names, for showing rows without a join; the pivot is the truth.
    @Field(key: "tag_list") public var tagList: String
    @Field(key: "search_text") public var searchText: String
    @Field(key: "last_message_at") public var lastMessageAt: Date
    /// When the customer started waiting for an answer; nil when the last word is ours.
    @OptionalField(key: "waiting_since") public var waitingSince: Date?
    @Field(key: "message_count") public var messageCount: Int
    /// The support mailbox the conversation came in through; e-mail replies leave from it.
    @OptionalField(key: "mailbox_id") public var mailboxId: Int?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    @Siblings(through: ConversationTag.self, from: \.$conversation, to: \.$tag) public var tags: [Tag]

    public init() {}

    public init(customerId: Int, subject: String, channel: Channel, priority: Priority = .normal,
                kind: ConversationKind = .question, teamId: Int? = nil, assigneeId: Int? = nil, now: Date) {
        self.$customer.id = customerId
        self.subject = subject
        self.statusRaw = ConversationStatus.open.rawValue
        self.priorityRaw = priority.rawValue
        self.priorityRank = priority.rank
        self.kindRaw = kind.rawValue
        self.channelRaw = channel.rawValue
        self.$team.id = teamId
        self.$assignee.id = assigneeId
        self.tagList = ""
        self.searchText = SearchFolding.fold(subject)
        self.lastMessageAt = now
        self.messageCount = 0
        self.createdAt = now
        self.updatedAt = now
    }

    public var status: ConversationStatus {
        get { ConversationStatus(rawValue: statusRaw) ?? .open }
        set { statusRaw = newValue.rawValue }
    }
    public var priority: Priority {
        get { Priority(rawValue: priorityRaw) ?? .normal }
        set { priorityRaw = newValue.rawValue; priorityRank = newValue.rank }
    }
    public var kind: ConversationKind {
        get { ConversationKind(rawValue: kindRaw) ?? .question }
        set { kindRaw = newValue.rawValue }
    }
    public var channel: Channel { Channel(rawValue: channelRaw) ?? .api }
    public var tagNames: [String] { tagList.split(separator: ",").map(String.init) }
}

public final class Message: Model, @unchecked Sendable {
    public static let schema = "messages"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "conversation_id") public var conversation: Conversation
    @Field(key: "direction") public var directionRaw: String
    @Field(key: "channel") public var channelRaw: String
    @OptionalField(key: "author_agent_id") public var authorAgentId: Int?
    @OptionalField(key: "sender_identity_id") public var senderIdentityId: Int?
    @OptionalField(key: "external_id") public var externalId: String?
    /// channel + sender + external id (or agent + external id for the API's agent messages); unique, so a
    /// message delivered twice is stored once.
    @OptionalField(key: "dedupe_key") public var dedupeKey: String?
    @Field(key: "text") public var text: String
    /// Sanitized HTML (allowlist) or nil.
    @OptionalField(key: "html") public var html: String?
    @Field(key: "attachments") public var attachmentsJSON: String
    @Field(key: "delivery_status") public var deliveryStatusRaw: String
    @OptionalField(key: "event_kind") public var eventKind: String?
    /// JSON detail of a system event (names and values the reader's language renders).
    @OptionalField(key: "event_detail") public var eventDetail: String?
    @Field(key: "search_text") public var searchText: String
    @Field(key: "created_at") public var createdAt: Date
    /// The message exactly as received, in the blob store (e-mail: the whole RFC 5322 message).
    @OptionalField(key: "raw_key") public var rawKey: String?
    /// What the channel could not read in the message, one problem per line; shown as a flag.
    @OptionalField(key: "problems") public var problemsText: String?
    /// Why the message is considered sent by a machine (auto-reply, bounce), or nil.
    @OptionalField(key: "automatic_reason") public var automaticReason: String?

    public init() {}

    public var problems: [String] { problemsText?.split(separator: "\n").map(String.init) ?? [] }

    static func agentDedupeKey(agentId: Int, externalId: String) -> String { "agent:\(agentId):\(externalId)" }

    public var direction: MessageDirection { MessageDirection(rawValue: directionRaw) ?? .inbound }
    public var channel: Channel { Channel(rawValue: channelRaw) ?? .api }
    public var deliveryStatus: DeliveryStatus {
        get { DeliveryStatus(rawValue: deliveryStatusRaw) ?? .none }
        set { deliveryStatusRaw = newValue.rawValue }
    }
    public var attachments: [InboundMessage.Attachment] { Self.decodeAttachments(attachmentsJSON) }

    static func decodeAttachments(_ json: String) -> [InboundMessage.Attachment] {
        guard json != "[]" else { return [] }
        return (try? JSONDecoder().decode([InboundMessage.Attachment].self, from: Data(json.utf8))) ?? []
    }
    public var eventDetails: [String: String] {
        guard let eventDetail else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(eventDetail.utf8))) ?? [:]
    }
}

public final class Tag: Model, @unchecked Sendable {
    public static let schema = "tags"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "name") public var name: String

    public init() {}
    public init(name: String) { self.name = name }
}

public final class ConversationTag: Model, @unchecked Sendable {
    public static let schema = "conversation_tags"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "conversation_id") public var conversation: Conversation
    @Parent(key: "tag_id") public var tag: Tag

    public init() {}
}

/// Everything that leaves CareDesk waits here until a worker has delivered it.
public final class OutboxItem: Model, @unchecked Sendable {
    public static let schema = "outbox_items"

    public enum State: String, Sendable { case pending, sent, failed }

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "kind") public var kind: String
    @Field(key: "channel") public var channelRaw: String
    @OptionalField(key: "message_id") public var messageId: Int?
    @OptionalField(key: "conversation_id") public var conversationId: Int?
    @Field(key: "payload") public var payload: String
    @Field(key: "state") public var stateRaw: String
    @Field(key: "attempts") public var attempts: Int
    @Field(key: "next_attempt_at") public var nextAttemptAt: Date
    /// A worker holds the item until this time; a crashed worker's items become claimable again after it.
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "last_error") public var lastError: String?
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "sent_at") public var sentAt: Date?

    public init() {}

    public var state: State { State(rawValue: stateRaw) ?? .pending }
}
