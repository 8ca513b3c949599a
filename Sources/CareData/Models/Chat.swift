import CareCore
import FluentKit
import Foundation

/// A chat widget a company embeds in its web site: how it looks and speaks, which team answers, where it may be
/// embedded, and what visitors may upload.
public final class ChatWidget: Model, @unchecked Sendable {
    public static let schema = "chat_widgets"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    /// The key in the site's `<script data-widget="...">`; public, random, unique.
    @Field(key: "public_key") public var publicKey: String
    /// Shown as the panel's title.
    @Field(key: "name") public var name: String
    @OptionalField(key: "team_id") public var teamId: Int?
    /// The support mailbox answers and transcripts are e-mailed from (else the team's, else the first active one).
    @OptionalField(key: "mailbox_id") public var mailboxId: Int?
    /// `#rrggbb`.
    @Field(key: "colour") public var colour: String
    /// `right` or `left`.
    @Field(key: "position") public var position: String
    /// `auto` (the page's language) or en, el, hr.
    @Field(key: "language") public var language: String
    @Field(key: "greeting_en") public var greetingEn: String
    @Field(key: "greeting_el") public var greetingEl: String
    @Field(key: "greeting_hr") public var greetingHr: String
    /// Normalized origins, one per line; empty allows every site.
    @Field(key: "allowed_origins") public var allowedOrigins: String
    /// 0 turns uploads off.
    @Field(key: "upload_max_bytes") public var uploadMaxBytes: Int
    /// Comma-separated content types a visitor may send (`image/*,application/pdf`).
    @Field(key: "upload_types") public var uploadTypes: String
    /// JSON of `OpeningHours`; nil when the team's hours are not set.
    @OptionalField(key: "opening_hours") public var openingHoursJSON: String?
    @Field(key: "active") public var active: Bool
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var origins: AllowedOrigins {
        AllowedOrigins(allowedOrigins.split(whereSeparator: \.isNewline).map(String.init))
    }

    public var openingHours: OpeningHours? {
        openingHoursJSON.flatMap { try? JSONDecoder().decode(OpeningHours.self, from: Data($0.utf8)) }
    }

    public var uploadTypeList: [String] {
        uploadTypes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func greeting(_ language: UILanguage) -> String {
        switch language {
        case .en: greetingEn
        case .el: greetingEl
        case .hr: greetingHr
        }
    }
}

/// Someone chatting through a widget, known by the random token their browser keeps. Their customer identity is
/// `chat_visitor:<publicId>`; the token itself is stored only as a SHA-256.
public final class ChatVisitor: Model, @unchecked Sendable {
    public static let schema = "chat_visitors"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "widget_id") public var widget: ChatWidget
    @Field(key: "public_id") public var publicId: String
    @Field(key: "token_hash") public var tokenHash: String
    /// The chat in progress; nil before the first message and after the visitor ended the chat.
    @OptionalField(key: "conversation_id") public var conversationId: Int?
    @OptionalField(key: "name") public var name: String?
    /// The address the visitor gave (not verified); answers and transcripts go there.
    @OptionalField(key: "email") public var email: String?
    /// An agent has read the visitor's messages up to this message id (the visitor sees "Read").
    @Field(key: "agent_read_up_to") public var agentReadUpTo: Int
    /// The visitor has read the agents' replies up to this message id (agents see "Seen").
    @Field(key: "visitor_read_up_to") public var visitorReadUpTo: Int
    /// A widget of this visitor has a connection open (with `lastSeenAt` recent).
    @Field(key: "online") public var online: Bool
    @Field(key: "last_seen_at") public var lastSeenAt: Date
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var identity: IdentityAddress { IdentityAddress(kind: .chatVisitor, address: publicId) }
}
