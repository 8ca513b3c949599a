import FluentKit
import SQLKit

/// Indexes found missing when the inbox was measured with 100,000 conversations and 1,000,000 messages
/// (docs/PERFORMANCE.md): views without a status ("all", a status-less team view) had to sort every
/// conversation, the inbox counts read every active row from the table instead of one covering index,
/// and thread hints (e-mail In-Reply-To/References) looked message ids up without an index.
public struct M0003_AddIndexesForLargeInboxes: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.create(index: "conversations_last").on("conversations")
            .column("last_message_at").column("id").run()
        try await sql.create(index: "conversations_priority_last").on("conversations")
            .column("priority_rank").column("last_message_at").column("id").run()
        // Covers the counts' GROUP BY (ConversationRepository.counts): 11 ms -> 1 ms over 3,000 active rows.
        try await sql.create(index: "conversations_counts").on("conversations")
            .column("status").column("team_id").column("assignee_id").column("channel").run()
        try await sql.create(index: "messages_external_id").on("messages").column("external_id").run()
    }

    public func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for index in ["conversations_last", "conversations_priority_last", "conversations_counts", "messages_external_id"] {
            try await sql.drop(index: index).run()
        }
    }
}
