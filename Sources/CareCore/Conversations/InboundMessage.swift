import Foundation

/// What every channel turns a received message into before handing it to the one ingestion pipeline.
public struct InboundMessage: Sendable {
    public struct Attachment: Sendable, Codable, Equatable {
        public var filename: String
        public var contentType: String
        public var size: Int
        /// Where the channel stored the bytes (content-addressed path), if it did; nil when it was not kept
        /// (e.g. larger than the attachment limit).
        public var storageKey: String?
        /// The e-mail Content-ID of an inline image, which the HTML refers to as `cid:...`.
        public var contentId: String?
        /// Shown in place in the HTML rather than listed as a file.
        public var isInline: Bool?

        public init(filename: String, contentType: String, size: Int, storageKey: String? = nil, contentId: String? = nil,
                    isInline: Bool? = nil) {
            self.filename = filename
            self.contentType = contentType
            self.size = size
            self.storageKey = storageKey
            self.contentId = contentId
            self.isInline = isInline
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
    /// Conversations the channel says this message answers (our own Message-IDs in References, a `[#1234]` in an
    /// e-mail subject). Tried after `threadHints`, and only ever a conversation of the same customer, so a
    /// guessed or copied reference never puts a message into someone else's conversation.
    public var conversationReferences: [Int] = []
    /// The team a new conversation goes to (e.g. the team of the support address written to).
    public var teamId: Int?
    /// The support mailbox the message arrived at; replies leave from it.
    public var mailboxId: Int?
    /// What the channel could not read in the message (e.g. broken MIME); shown to the agent as a flag.
    public var problems: [String] = []
    /// Set for messages sent by a machine (auto-replies, out-of-office, bounces): why it is considered automatic.
    /// Such messages are marked, never answered automatically, and do not reopen a finished conversation.
    public var automaticReason: String?
    /// Where the channel kept the message exactly as received (a key of the blob store), if it did.
    public var rawStorageKey: String?
    /// Open a new conversation even if the sender has an open one on this channel (a chat visitor who ended the
    /// previous chat and started another).
    public var startsNewConversation = false

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
        if conversationReferences.count > 50 || threadHints.count > 200 {
            throw .invalid(code: "message.too_many_references", "A message may name at most 50 conversations.", field: "references")
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
