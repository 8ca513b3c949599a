import FluentKit
import Foundation

/// A support address customers write to (support@acme.gr), with the team its new conversations go to, the name
/// and signature replies are sent with, and optionally an IMAP account that is polled for its mail.
public final class Mailbox: Model, @unchecked Sendable {
    public static let schema = "mailboxes"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    /// Lower case; unique.
    @Field(key: "address") public var address: String
    /// The sender name of replies ("Acme Support").
    @Field(key: "name") public var name: String
    @OptionalField(key: "team_id") public var teamId: Int?
    /// Plain text added under every reply sent from this mailbox.
    @Field(key: "signature") public var signature: String
    /// An inactive mailbox accepts no mail (SMTP answers 550) and is not polled.
    @Field(key: "active") public var active: Bool
    @OptionalField(key: "imap_host") public var imapHost: String?
    @OptionalField(key: "imap_port") public var imapPort: Int?
    /// none, starttls or tls.
    @Field(key: "imap_security") public var imapSecurity: String
    @OptionalField(key: "imap_username") public var imapUsername: String?
    /// The IMAP password encrypted with the server's secret key (never stored in clear).
    @OptionalField(key: "imap_password_sealed") public var imapPasswordSealed: String?
    @Field(key: "imap_folder") public var imapFolder: String
    /// Folder processed mail is moved to; nil marks it as read instead.
    @OptionalField(key: "imap_move_to") public var imapMoveTo: String?
    @OptionalField(key: "imap_uid_validity") public var imapUIDValidity: Int64?
    @Field(key: "imap_last_uid") public var imapLastUID: Int64
    /// The outcome of the last poll, in words ("12 new messages", "login refused: ...").
    @OptionalField(key: "imap_status") public var imapStatus: String?
    @OptionalField(key: "imap_checked_at") public var imapCheckedAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public init(address: String, name: String, teamId: Int?, signature: String = "", now: Date) {
        self.address = address.lowercased()
        self.name = name
        self.teamId = teamId
        self.signature = signature
        self.active = true
        self.imapSecurity = "tls"
        self.imapFolder = "INBOX"
        self.imapLastUID = 0
        self.createdAt = now
        self.updatedAt = now
    }

    /// True when an IMAP account is configured for polling.
    public var pollsIMAP: Bool { active && !(imapHost ?? "").isEmpty && !(imapUsername ?? "").isEmpty && imapPasswordSealed != nil }

    /// The part after the @, used for our Message-IDs.
    public var domain: String { address.split(separator: "@").last.map(String.init) ?? "localhost" }
}
