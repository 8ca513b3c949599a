import CareCore
import FluentKit
import Foundation

public final class Agent: Model, @unchecked Sendable {
    public static let schema = "agents"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "email") public var email: String
    @Field(key: "name") public var name: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "role") public var roleRaw: String
    @Field(key: "language") public var languageRaw: String
    @Field(key: "time_zone") public var timeZone: String
    @Field(key: "active") public var active: Bool
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    @Siblings(through: TeamMember.self, from: \.$agent, to: \.$team) public var teams: [Team]

    public init() {}

    public init(email: String, name: String, passwordHash: String, role: AgentRole, language: UILanguage,
                timeZone: String, now: Date) {
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.roleRaw = role.rawValue
        self.languageRaw = language.rawValue
        self.timeZone = timeZone
        self.active = true
        self.createdAt = now
        self.updatedAt = now
    }

    public var role: AgentRole { AgentRole(rawValue: roleRaw) ?? .agent }
    public var language: UILanguage { UILanguage(rawValue: languageRaw) ?? .en }
}

public final class Team: Model, @unchecked Sendable {
    public static let schema = "teams"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "name") public var name: String
    @Field(key: "created_at") public var createdAt: Date

    @Siblings(through: TeamMember.self, from: \.$team, to: \.$agent) public var members: [Agent]

    public init() {}
    public init(name: String, now: Date) {
        self.name = name
        self.createdAt = now
    }
}

public final class TeamMember: Model, @unchecked Sendable {
    public static let schema = "team_members"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "team_id") public var team: Team
    @Parent(key: "agent_id") public var agent: Agent

    public init() {}
}

public final class ApiToken: Model, @unchecked Sendable {
    public static let schema = "api_tokens"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Parent(key: "agent_id") public var agent: Agent
    @Field(key: "name") public var name: String
    /// SHA-256 of the token; the token itself is shown once and never stored.
    @Field(key: "token_hash") public var tokenHash: String
    /// The first characters of the token, so people can tell their tokens apart.
    @Field(key: "prefix") public var prefix: String
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "last_used_at") public var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") public var revokedAt: Date?

    public init() {}
}

public final class AuditEntry: Model, @unchecked Sendable {
    public static let schema = "audit_entries"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @OptionalField(key: "actor_agent_id") public var actorAgentId: Int?
    @Field(key: "actor_name") public var actorName: String
    @Field(key: "action") public var action: String
    @Field(key: "target_type") public var targetType: String
    @OptionalField(key: "target_id") public var targetId: Int?
    @Field(key: "detail") public var detail: String
    @OptionalField(key: "ip") public var ip: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}
