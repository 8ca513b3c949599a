import Foundation

/// What every channel turns a received message into before handing it to the one ingestion pipeline.
public struct InboundMessage: Sendable {
    public struct Attachment: Sendable, Codable, Equatable {
        public var filename: String
        public var contentType: String
        public var size: Int
        /// Where the channel stored the bytes (content-addressed path), if it did.
        public var storageKey: String?

        public init(filename: String, contentType: String, size: Int, storageKey: String? = nil) {
            self.filename = filename
            self.contentType = contentType
            self.size = size
            self.storageKey = storageKey
        }
    }

    public var channel: Channel
    /// The sender's address on the channel (e-mail address, phone number, visitor id...);
    /// nil only when `conversationId` names the conversation, whose customer is then the sender.
    public var sender: IdentityAddress?
    public var senderName: String?
    /// The channel's own id for this message; the same id from the same sender is stored once.
    public var externalId: String?
    /// When set, the message joins this conversation (the API's conversationId, a chat session...).
    public var conversationId: Int?
    /// Channel thread hints, e.g. e-mail Message-IDs from In-Reply-To/References; matched against stored external ids.
    public var threadHints: [String]
    public var subject: String?
    public var text: String
    public var html: String?
    public var attachments: [Attachment]
    public var receivedAt: Date?

    public init(channel: Channel, sender: IdentityAddress?, senderName: String? = nil, externalId: String? = nil,
                conversationId: Int? = nil, threadHints: [String] = [], subject: String? = nil, text: String,
                html: String? = nil, attachments: [Attachment] = [], receivedAt: Date? = nil) {
        self.channel = channel
        self.sender = sender
        self.senderName = senderName
        self.externalId = externalId
        self.conversationId = conversationId
        self.threadHints = threadHints
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.receivedAt = receivedAt
    }

    public static let maximumTextLength = 100_000

    /// Refuses input that can never be stored sensibly, with the field that is wrong.
    public func validate() throws(CareError) {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && (html ?? "").isEmpty && attachments.isEmpty {
            throw .invalid(code: "message.empty", "A message needs text, HTML or an attachment.", field: "text")
        }
        if text.count > Self.maximumTextLength {
            throw .invalid(code: "message.too_long", "A message may have at most \(Self.maximumTextLength) characters.", field: "text")
        }
        if let externalId, externalId.isEmpty || externalId.count > 500 {
            throw .invalid(code: "message.invalid_external_id", "The external id must be 1 to 500 characters.", field: "externalId")
        }
        if let subject, subject.count > 300 {
            throw .invalid(code: "conversation.subject_too_long", "A subject may have at most 300 characters.", field: "subject")
        }
    }
}

/// What the pipeline did with an inbound message.
public struct IngestionResult: Sendable, Equatable {
    public let messageId: Int
    public let conversationId: Int
    public let customerId: Int
    /// False when the message had been delivered before and was not stored again.
    public let created: Bool
    public let openedConversation: Bool

    public init(messageId: Int, conversationId: Int, customerId: Int, created: Bool, openedConversation: Bool) {
        self.messageId = messageId
        self.conversationId = conversationId
        self.customerId = customerId
        self.created = created
        self.openedConversation = openedConversation
    }
}
