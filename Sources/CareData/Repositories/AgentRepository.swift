import CareCore
import FluentKit
import Foundation

/// Agents, teams and API tokens. Password and token hashing happen above (CareServer has the crypto);
/// this layer stores only hashes.
public struct AgentRepository: Sendable {
    let store: CareStore

    public func find(_ id: Int) async throws -> Agent {
        guard let a = try await Agent.query(on: store.db).filter(\.$id == id).with(\.$teams).first() else {
            throw CareError.notFound("agent", id: id)
        }
        return a
    }

    public func find(email: String) async throws -> Agent? {
        guard let e = IdentityNormalizer.email(email) else { return nil }
        return try await Agent.query(on: store.db).filter(\.$email == e).with(\.$teams).first()
    }

    public func all() async throws -> [Agent] {
        try await Agent.query(on: store.db).with(\.$teams).sort(\.$name).all()
    }

    public func count() async throws -> Int { try await Agent.query(on: store.db).count() }

    public func viewer(for agent: Agent) throws -> Viewer {
        Viewer(agentId: try agent.requireID(), name: agent.name, role: agent.role, teamIds: agent.teams.compactMap(\.id))
    }

    public func create(email: String, name: String, passwordHash: String, role: AgentRole, language: UILanguage,
                       timeZone: String, teamIds: [Int], by actor: Viewer?, ip: String? = nil) async throws -> Agent {
        guard let email = IdentityNormalizer.email(email) else {
            throw CareError.invalid(code: "agent.invalid_email", "“\(email)” is not a valid e-mail address.", field: "email")
        }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw CareError.invalid(code: "agent.invalid_name", "The name must be 1 to 200 characters.", field: "name")
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw CareError.invalid(code: "agent.invalid_time_zone", "“\(timeZone)” is not a known time zone (e.g. Europe/Athens).", field: "timeZone")
        }
        let now = store.clock.now()
        let id: Int = try await store.write { db in
            if try await Agent.query(on: db).filter(\.$email == email).first() != nil {
                throw CareError.conflict(code: "agent.email_taken", "An agent with the e-mail \(email) exists already.")
            }
            let agent = Agent(email: email, name: name, passwordHash: passwordHash, role: role, language: language,
                              timeZone: timeZone, now: now)
            try await agent.create(on: db)
            try await Self.setTeams(teamIds, of: agent, on: db)
            try await AuditLog.record(actor: actor, action: "agent.create", targetType: "agent", targetId: agent.id,
                                      detail: "\(name) <\(email)> as \(role.rawValue)", ip: ip, now: now, on: db)
            return try agent.requireID()
        }
        return try await find(id)
    }

    public func update(_ id: Int, name: String?, role: AgentRole?, language: UILanguage?, timeZone: String?,
                       active: Bool?, teamIds: [Int]?, passwordHash: String? = nil, by actor: Viewer?, ip: String? = nil) async throws -> Agent {
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            throw CareError.invalid(code: "agent.invalid_time_zone", "“\(timeZone)” is not a known time zone (e.g. Europe/Athens).", field: "timeZone")
        }
        let now = store.clock.now()
        try await store.write { db in
            guard let agent = try await Agent.find(id, on: db) else { throw CareError.notFound("agent", id: id) }
            var changes: [String] = []
            if let name = name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty, name != agent.name {
                changes.append("name"); agent.name = String(name.prefix(200))
            }
            if let role, role != agent.role { changes.append("role \(agent.roleRaw) -> \(role.rawValue)"); agent.roleRaw = role.rawValue }
            if let language, language != agent.language { changes.append("language"); agent.languageRaw = language.rawValue }
            if let timeZone, timeZone != agent.timeZone { changes.append("time zone"); agent.timeZone = timeZone }
            if let active, active != agent.active { changes.append(active ? "activated" : "deactivated"); agent.active = active }
            if let passwordHash { changes.append("password"); agent.passwordHash = passwordHash }
            if let teamIds { changes.append("teams"); try await Self.setTeams(teamIds, of: agent, on: db) }
            agent.updatedAt = now
            try await agent.save(on: db)
            // An agent changing only their own language or time zone is not an admin change worth auditing.
            let selfService = actor?.agentId == id && role == nil && active == nil && teamIds == nil
            if !changes.isEmpty && !selfService {
                try await AuditLog.record(actor: actor, action: "agent.update", targetType: "agent", targetId: id,
                                          detail: "\(agent.name): " + changes.joined(separator: ", "), ip: ip, now: now, on: db)
            }
        }
        return try await find(id)
    }

    static func setTeams(_ teamIds: [Int], of agent: Agent, on db: any Database) async throws {
        let id = try agent.requireID()
        let unique = Array(Set(teamIds))
        if !unique.isEmpty {
            let found = try await Team.query(on: db).filter(\.$id ~~ unique).count()
            guard found == unique.count else {
                throw CareError.invalid(code: "agent.unknown_team", "One of the teams does not exist.", field: "teamIds")
            }
        }
        try await TeamMember.query(on: db).filter(\.$agent.$id == id).delete()
        for teamId in unique {
            let m = TeamMember()
            m.$team.id = teamId
            m.$agent.id = id
            try await m.create(on: db)
        }
    }

    // MARK: Teams

    public func teams() async throws -> [Team] {
        try await Team.query(on: store.db).with(\.$members).sort(\.$name).all()
    }

    public func createTeam(name: String, by actor: Viewer?, ip: String? = nil) async throws -> Team {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw CareError.invalid(code: "team.invalid_name", "The team name must be 1 to 100 characters.", field: "name")
        }
        let now = store.clock.now()
        let id: Int = try await store.write { db in
            if try await Team.query(on: db).filter(\.$name == name).first() != nil {
                throw CareError.conflict(code: "team.name_taken", "A team called \(name) exists already.")
            }
            let team = Team(name: name, now: now)
            try await team.create(on: db)
            try await AuditLog.record(actor: actor, action: "team.create", targetType: "team", targetId: team.id,
                                      detail: name, ip: ip, now: now, on: db)
            return try team.requireID()
        }
        guard let team = try await Team.query(on: store.db).filter(\.$id == id).with(\.$members).first() else {
            throw CareError.notFound("team", id: id)
        }
        return team
    }

    // MARK: API tokens

    public func createToken(for agentId: Int, name: String, tokenHash: String, prefix: String, by actor: Viewer?,
                            ip: String? = nil) async throws -> ApiToken {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw CareError.invalid(code: "token.invalid_name", "The token name must be 1 to 100 characters.", field: "name")
        }
        let now = store.clock.now()
        return try await store.write { db in
            guard let agent = try await Agent.find(agentId, on: db) else { throw CareError.notFound("agent", id: agentId) }
            let t = ApiToken()
            t.$agent.id = agentId
            t.name = name
            t.tokenHash = tokenHash
            t.prefix = prefix
            t.createdAt = now
            try await t.create(on: db)
            try await AuditLog.record(actor: actor, action: "token.create", targetType: "agent", targetId: agentId,
                                      detail: "token “\(name)” (\(prefix)…) for \(agent.name)", ip: ip, now: now, on: db)
            return t
        }
    }

    public func tokens() async throws -> [ApiToken] {
        try await ApiToken.query(on: store.db).with(\.$agent).sort(\.$createdAt, .descending).all()
    }

    public func revokeToken(_ id: Int, by actor: Viewer, ip: String? = nil) async throws {
        let now = store.clock.now()
        try await store.write { db in
            guard let t = try await ApiToken.find(id, on: db) else { throw CareError.notFound("token", id: id) }
            t.revokedAt = now
            try await t.save(on: db)
            try await AuditLog.record(actor: actor, action: "token.revoke", targetType: "agent", targetId: t.$agent.id,
                                      detail: "token “\(t.name)” (\(t.prefix)…)", ip: ip, now: now, on: db)
        }
    }

    /// The active agent a bearer token belongs to, or nil.
    public func agent(forTokenHash hash: String) async throws -> Agent? {
        guard let token = try await ApiToken.query(on: store.db).filter(\.$tokenHash == hash).filter(\.$revokedAt == nil).first() else {
            return nil
        }
        let agent = try await find(token.$agent.id)
        guard agent.active else { return nil }
        let now = store.clock.now()
        // Record use at most once a minute so busy integrations do not write on every call.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            token.lastUsedAt = now
            try? await store.write { db in try await token.save(on: db) }
        }
        return agent
    }
}

/// Browser sign-in sessions.
public struct SessionRepository: Sendable {
    let store: CareStore
    public static let lifetime: TimeInterval = 12 * 3600

    public func create(agentId: Int, tokenHash: String, csrfToken: String) async throws {
        let now = store.clock.now()
        try await store.write { db in
            let s = AgentSession()
            s.tokenHash = tokenHash
            s.$agent.id = agentId
            s.csrfToken = csrfToken
            s.createdAt = now
            s.expiresAt = now.addingTimeInterval(Self.lifetime)
            try await s.create(on: db)
        }
    }

    /// The live session for a cookie's token hash, with its active agent; expired sessions are nil.
    public func find(tokenHash: String) async throws -> (AgentSession, Agent)? {
        guard let s = try await AgentSession.query(on: store.db).filter(\.$tokenHash == tokenHash).first(),
              s.expiresAt > store.clock.now() else { return nil }
        let agent = try await AgentRepository(store: store).find(s.$agent.id)
        guard agent.active else { return nil }
        return (s, agent)
    }

    public func delete(tokenHash: String) async throws {
        try await store.write { db in
            try await AgentSession.query(on: db).filter(\.$tokenHash == tokenHash).delete()
        }
    }
}

extension CareStore {
    public var sessions: SessionRepository { SessionRepository(store: self) }
}
