import CareCore
import CareData
import Foundation
import Vapor

/// Admin pages: agents, teams, API tokens, audit log (mailboxes: AdminMailboxesController). Mounted behind RequireRole(.admin).
enum AdminController {
    static func register(_ routes: any RoutesBuilder) {
        let a = routes.grouped("admin")
        a.get { req in req.redirect(to: "/admin/agents") }
        a.get("agents", use: agents)
        a.post("agents", use: createAgent)
        a.post("agents", ":id", use: updateAgent)
        a.get("teams", use: teams)
        a.post("teams", use: createTeam)
        a.get("tokens", use: tokens)
        a.post("tokens", use: createToken)
        a.post("tokens", ":id", "revoke", use: revokeToken)
        a.get("audit", use: audit)
        AdminMailboxesController.register(a)
        AdminChatWidgetsController.register(a)
    }

    struct AgentRow: Encodable {
        let id: Int
        let name: String
        let email: String
        let role: String
        let roles: [Option]
        let teams: [Option]
        let teamNames: String
        let active: Bool
        let language: String
    }

    struct AgentsPage: Encodable {
        let chrome: PageChrome
        let agents: [AgentRow]
        let roles: [Option]
        let languages: [Option]
        let teams: [Option]
        let error: String?
    }

    static func agents(req: Request) async throws -> View {
        try await req.view.render("admin-agents", try await agentsPage(req, error: nil))
    }

    static func agentsPage(_ req: Request, error: String?) async throws -> AgentsPage {
        let teams = try await req.store.agents.teams()
        let rows = try await req.store.agents.all().map { a in
            let mine = Set(a.teams.compactMap(\.id))
            return AgentRow(id: a.id!, name: a.name, email: a.email, role: req.label("role", a.roleRaw),
                            roles: req.options(AgentRole.self, prefix: "role", selected: a.role),
                            teams: teams.map { Option(value: String($0.id!), label: $0.name, selected: mine.contains($0.id!)) },
                            teamNames: a.teams.map(\.name).sorted().joined(separator: ", "), active: a.active,
                            language: req.label("language", a.languageRaw))
        }
        return AgentsPage(chrome: try PageChrome(req, page: "admin", title: req.t("admin.agents")), agents: rows,
                          roles: req.options(AgentRole.self, prefix: "role", selected: .agent),
                          languages: req.options(UILanguage.self, prefix: "language", selected: req.uiLanguage),
                          teams: teams.map { Option(value: String($0.id!), label: $0.name, selected: false) }, error: error)
    }

    struct NewAgent: Content {
        var email: String
        var name: String
        var password: String
        var role: String
        var language: String
        var timeZone: String?
        var teams: [String]?
    }

    static func createAgent(req: Request) async throws -> Response {
        let form = try req.content.decode(NewAgent.self)
        guard let role = AgentRole(rawValue: form.role), let lang = UILanguage(rawValue: form.language) else {
            throw CareError.invalid(code: "form.invalid_choice", "Choose a role and a language.", field: "role")
        }
        try PasswordPolicy.check(form.password)
        let hash = try await req.password.async.hash(form.password)
        _ = try await req.store.agents.create(email: form.email, name: form.name, passwordHash: hash, role: role, language: lang,
                                              timeZone: form.timeZone?.nonEmptyValue ?? "Europe/Athens",
                                              teamIds: (form.teams ?? []).compactMap(Int.init), by: try req.viewer, ip: req.clientIP)
        return req.redirect(to: "/admin/agents")
    }

    struct AgentChange: Content {
        var role: String?
        var active: String?
        var teams: [String]?
    }

    static func updateAgent(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        let form = try req.content.decode(AgentChange.self)
        let viewer = try req.viewer
        let role = try form.role.map { raw throws(CareError) -> AgentRole in
            guard let r = AgentRole(rawValue: raw) else { throw .invalid(code: "form.invalid_choice", "Unknown role.", field: "role") }
            return r
        }
        let active = form.active.map { $0 == "on" || $0 == "true" || $0 == "1" } ?? false
        // An admin cannot lock themselves out by demoting or deactivating their own account.
        if id == viewer.agentId, (role != nil && role != .admin) || !active {
            throw CareError.conflict(code: "agent.self_lockout", "You cannot remove your own admin role or deactivate yourself.")
        }
        _ = try await req.store.agents.update(id, name: nil, role: role, language: nil, timeZone: nil, active: active,
                                              teamIds: (form.teams ?? []).compactMap(Int.init), by: viewer, ip: req.clientIP)
        req.care.tokenCache.forgetAll()
        return req.redirect(to: "/admin/agents")
    }

    struct TeamRow: Encodable { let id: Int; let name: String; let members: String; let count: Int }
    struct TeamsPage: Encodable { let chrome: PageChrome; let teams: [TeamRow] }

    static func teams(req: Request) async throws -> View {
        let rows = try await req.store.agents.teams().map {
            TeamRow(id: $0.id!, name: $0.name, members: $0.members.map(\.name).sorted().joined(separator: ", "), count: $0.members.count)
        }
        return try await req.view.render("admin-teams", TeamsPage(chrome: try PageChrome(req, page: "admin", title: req.t("admin.teams")), teams: rows))
    }

    static func createTeam(req: Request) async throws -> Response {
        _ = try await req.store.agents.createTeam(name: try req.formField("name", max: 200) ?? "", by: try req.viewer, ip: req.clientIP)
        return req.redirect(to: "/admin/teams")
    }

    struct TokenRow: Encodable { let id: Int; let name: String; let prefix: String; let agent: String; let created: String; let lastUsed: String?; let revoked: Bool }
    struct TokensPage: Encodable {
        let chrome: PageChrome
        let tokens: [TokenRow]
        let agents: [Option]
        /// Shown once, right after creation; never stored.
        let newToken: String?
    }

    static func tokens(req: Request) async throws -> View {
        try await req.view.render("admin-tokens", try await tokensPage(req, newToken: nil))
    }

    static func tokensPage(_ req: Request, newToken: String?) async throws -> TokensPage {
        let rows = try await req.store.agents.tokens().map { t in
            TokenRow(id: t.id!, name: t.name, prefix: t.prefix, agent: t.agent.name, created: req.formatDate(t.createdAt),
                     lastUsed: t.lastUsedAt.map(req.formatDate), revoked: t.revokedAt != nil)
        }
        let me = try req.viewer.agentId
        return TokensPage(chrome: try PageChrome(req, page: "admin", title: req.t("admin.tokens")), tokens: rows,
                          agents: try await req.store.agents.all().map { Option(value: String($0.id!), label: $0.name, selected: $0.id == me) },
                          newToken: newToken)
    }

    static func createToken(req: Request) async throws -> View {
        guard let agentId = try req.formField("agent", max: 20).flatMap(Int.init) else {
            throw CareError.invalid(code: "token.agent_required", "Choose whose token this is.", field: "agent")
        }
        let (token, hash, prefix) = Secrets.newAPIToken()
        _ = try await req.store.agents.createToken(for: agentId, name: try req.formField("name", max: 200) ?? "", tokenHash: hash,
                                                   prefix: prefix, by: try req.viewer, ip: req.clientIP)
        return try await req.view.render("admin-tokens", try await tokensPage(req, newToken: token))
    }

    static func revokeToken(req: Request) async throws -> Response {
        try await req.store.agents.revokeToken(try req.intParameter("id"), by: try req.viewer, ip: req.clientIP)
        req.care.tokenCache.forgetAll()
        return req.redirect(to: "/admin/tokens")
    }

    struct AuditRow: Encodable { let when: String; let actor: String; let action: String; let target: String; let detail: String; let ip: String }
    struct AuditPage: Encodable { let chrome: PageChrome; let entries: [AuditRow]; let nextHref: String? }

    static func audit(req: Request) async throws -> View {
        let page = try await req.store.audit.entries(cursor: req.query[String.self, at: "cursor"], limit: 100)
        return try await req.view.render("admin-audit", AuditPage(
            chrome: try PageChrome(req, page: "admin", title: req.t("admin.audit")),
            entries: page.items.map {
                AuditRow(when: req.formatDate($0.createdAt), actor: $0.actorName, action: $0.action,
                         target: "\($0.targetType) \($0.targetId.map { "#\($0)" } ?? "")", detail: $0.detail, ip: $0.ip ?? "")
            },
            nextHref: page.nextCursor.map { "/admin/audit?cursor=\($0)" }))
    }
}

extension String {
    var nonEmptyValue: String? { trimmingCharacters(in: .whitespaces).isEmpty ? nil : self }
}
