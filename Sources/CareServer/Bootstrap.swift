import CareCore
import CareData
import Foundation
import Vapor

/// What happens when `caredesk serve` starts on a database: demo data if asked for, a first admin if there is none,
/// and a banner that tells a person where CareDesk is and how to sign in.
public enum Bootstrap {
    public static func loadDemo(_ app: Application) async throws -> DemoSummary? {
        let hash = try await app.password.async.hash(DemoData.password)
        return try await DemoData.load(into: app.care.store, passwordHash: hash)
    }

    /// Creates an admin with a random password when the database has no agents, and returns the credentials.
    public static func firstAdminIfNeeded(_ app: Application) async throws -> (email: String, password: String)? {
        guard try await app.care.store.agents.count() == 0 else { return nil }
        let password = Secrets.randomToken(bytes: 12)
        let email = "admin@caredesk.local"
        _ = try await app.care.store.agents.create(
            email: email, name: "Administrator", passwordHash: try await app.password.async.hash(password), role: .admin,
            language: .en, timeZone: "Europe/Athens", teamIds: [], by: nil)
        return (email, password)
    }

    public static func createAdmin(_ app: Application, email: String, name: String, password: String,
                                   language: UILanguage = .en) async throws -> Agent {
        try PasswordPolicy.check(password)
        return try await app.care.store.agents.create(
            email: email, name: name, passwordHash: try await app.password.async.hash(password), role: .admin,
            language: language, timeZone: "Europe/Athens", teamIds: [], by: nil)
    }

    /// A new API token for the agent with `email`; the token itself is returned once and only its hash is kept.
    public static func createToken(_ app: Application, email: String, name: String) async throws -> String {
        guard let agent = try await app.care.store.agents.find(email: email) else {
            throw CareError.notFound("agent", id: email)
        }
        let (token, hash, prefix) = Secrets.newAPIToken()
        _ = try await app.care.store.agents.createToken(for: try agent.requireID(), name: name, tokenHash: hash, prefix: prefix, by: nil)
        return token
    }
}

/// Prints how to reach and sign in to CareDesk once the server is up.
public struct StartupBanner: LifecycleHandler {
    public init() {}

    public func didBootAsync(_ app: Application) async throws {
        let config = app.care.config
        var lines: [String] = []
        if config.loadDemoData, let summary = try await Bootstrap.loadDemo(app) {
            lines.append("Loaded demo data: \(summary.customers) customers, \(summary.conversations) conversations, \(summary.agents) agents in \(summary.teams) teams.")
        }
        let first = try await Bootstrap.firstAdminIfNeeded(app)
        let demoAdmin = try await app.care.store.agents.find(email: DemoData.adminEmail) != nil
        let loaded = lines
        // The serve command applies --hostname/--port and starts listening after boot: print once it listens.
        Task {
            var lines = loaded
            // Not `app.http.server.shared`: touching it before the serve command does creates a second server.
            for _ in 0..<200 where app.running == nil {
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
            let host = app.http.server.configuration.hostname
            let port = app.http.server.configuration.port
            let url = config.publicURL ?? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
            lines.append("CareDesk is running at \(url)")
            if let first {
                lines.append("Sign in as \(first.email) with password \(first.password) (shown once; change it under your name, top right).")
            } else if demoAdmin {
                lines.append("Sign in as \(DemoData.adminEmail) with password \(DemoData.password) (demo data).")
                lines.append("Web chat: Admin → Chat widgets → a widget → “Try it on a test page” chats as a visitor; answer from the inbox in another browser.")
            } else {
                lines.append("Sign in with your agent account; create one with: caredesk admin create --email E --name N --password P")
            }
            let database: String = switch config.database {
            case .sqlite(let path): "SQLite at \(path)"
            case .sqliteMemory: "SQLite in memory"
            case .postgres: "PostgreSQL"
            }
            lines.append("Database: \(database). Stop with Ctrl+C.")
            // Written straight to the descriptor: print() is buffered when stdout is not a terminal.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }
}
