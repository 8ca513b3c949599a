import FluentKit
import SQLKit

/// Indexes found missing when the inbox was measured with 100,000 conversations and 1,000,000 messages
/// (docs/PERFORMANCE.md): views without a status ("all", a status-less team view) had to sort every
/// conversation, and thread hints (e-mail In-Reply-To/References) looked message ids up without an index.
public struct M0003_AddIndexesForLargeInboxes: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.create(index: "conversations_last").on("conversations")
            .column("last_message_at").column("id").run()
        try await sql.create(index: "conversations_priority_last").on("conversations")
            .column("priority_rank").column("last_message_at").column("id").run()
        try await sql.create(index: "messages_external_id").on("messages").column("external_id").run()
    }

    public func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for index in ["conversations_last", "conversations_priority_last", "messages_external_id"] {
            try await sql.drop(index: index).run()
        }
    }
}
