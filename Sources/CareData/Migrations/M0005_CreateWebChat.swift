import FluentKit
import SQLKit

/// Web chat (issue 3): the widgets admins set up for their sites, and the visitors who chat through them.
public struct M0005_CreateWebChat: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("chat_widgets")
            .field("id", .int, .identifier(auto: true))
            .field("public_key", .string, .required)
            .field("name", .string, .required)
            .field("team_id", .int, .references("teams", "id", onDelete: .setNull))
            .field("mailbox_id", .int, .references("mailboxes", "id", onDelete: .setNull))
            .field("colour", .string, .required)
            .field("position", .string, .required)
            .field("language", .string, .required)
            .field("greeting_en", .string, .required)
            .field("greeting_el", .string, .required)
            .field("greeting_hr", .string, .required)
            .field("allowed_origins", .string, .required)
            .field("upload_max_bytes", .int, .required)
            .field("upload_types", .string, .required)
            .field("opening_hours", .string)
            .field("active", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "public_key")
            .create()
        try await db.schema("chat_visitors")
            .field("id", .int, .identifier(auto: true))
            .field("widget_id", .int, .required, .references("chat_widgets", "id", onDelete: .cascade))
            .field("public_id", .string, .required)
            .field("token_hash", .string, .required)
            .field("conversation_id", .int, .references("conversations", "id", onDelete: .setNull))
            .field("name", .string)
            .field("email", .string)
            .field("agent_read_up_to", .int, .required)
            .field("visitor_read_up_to", .int, .required)
            .field("online", .bool, .required)
            .field("last_seen_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "public_id")
            .unique(on: "token_hash")
            .create()
        // Agent-side lookups go from a conversation to its visitor (read marks, typing, delivery).
        try await (db as! any SQLDatabase).create(index: "chat_visitors_conversation").on("chat_visitors")
            .column("conversation_id").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("chat_visitors").delete()
        try await db.schema("chat_widgets").delete()
    }
}
