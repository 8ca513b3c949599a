import FluentKit
import Foundation

/// A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.
public final class AgentSession: Model, @unchecked Sendable {
    public static let schema = "agent_sessions"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "token_hash") public var tokenHash: String
    @Parent(key: "agent_id") public var agent: Agent
    /// Every state-changing form and fetch must echo this token (CSRF protection).
    @Field(key: "csrf_token") public var csrfToken: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "expires_at") public var expiresAt: Date

    public init() {}
}
