import FluentKit
import SQLKit

/// The e-mail channel (issue 4): support mailboxes (addresses with their team, sender name, signature and an
/// optional IMAP account), the mailbox a conversation belongs to, and per message the raw original, what could
/// not be read in it, and whether a machine sent it.
public struct M0004_CreateMailChannel: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("mailboxes")
            .field("id", .int, .identifier(auto: true))
            .field("address", .string, .required)
            .field("name", .string, .required)
            .field("team_id", .int, .references("teams", "id", onDelete: .setNull))
            .field("signature", .string, .required)
            .field("active", .bool, .required)
            .field("imap_host", .string)
            .field("imap_port", .int)
            .field("imap_security", .string, .required)
            .field("imap_username", .string)
            .field("imap_password_sealed", .string)
            .field("imap_folder", .string, .required)
            .field("imap_move_to", .string)
            .field("imap_uid_validity", .int64)
            .field("imap_last_uid", .int64, .required)
            .field("imap_status", .string)
            .field("imap_checked_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "address")
            .create()
        try await db.schema("conversations").field("mailbox_id", .int).update()
        try await db.schema("messages").field("raw_key", .string).update()
        try await db.schema("messages").field("problems", .string).update()
        try await db.schema("messages").field("automatic_reason", .string).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("messages").deleteField("automatic_reason").update()
        try await db.schema("messages").deleteField("problems").update()
        try await db.schema("messages").deleteField("raw_key").update()
        try await db.schema("conversations").deleteField("mailbox_id").update()
        try await db.schema("mailboxes").delete()
    }
}
