import CareCore
import CareData
@testable import CareServer
import FluentPostgresDriver
import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Testing
import VaporTesting

/// The databases every database test runs on: SQLite always, PostgreSQL when CAREDESK_TEST_POSTGRES_URL is set.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `sqlite` is in memory (one connection); `sqliteFile` is a file in the test's data folder, as `caredesk serve`
    /// uses it (a writer and reader connections).
    case sqlite, postgres, sqliteFile

    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["CAREDESK_TEST_POSTGRES_URL"]
        return (url?.isEmpty ?? true) ? nil : url
    }

    /// The databases available in this run. Without PostgreSQL the skip is announced once, loudly.
    static var available: [TestDatabase] {
        if postgresURL == nil {
            announceSkip
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }

    static let announceSkip: Void = {
        print("NOTE: CAREDESK_TEST_POSTGRES_URL is not set: PostgreSQL tests were skipped (SQLite only).")
    }()

    var testDescription: String { rawValue }
}

/// The people and tokens every test starts with.
struct Fixtures: Sendable {
    static let password = "correct-horse-battery"
    let teamA: Int
    let teamB: Int
    let admin: Agent
    let agentA: Agent
    let agentB: Agent
    let supervisor: Agent
    let adminToken: String
    let agentAToken: String
    let agentBToken: String

    func viewer(_ agent: Agent, _ store: CareStore) throws -> Viewer { try store.agents.viewer(for: agent) }
}

/// A throwaway PostgreSQL database per test, so tests can run in parallel and never see each other's rows.
enum PostgresTestDatabases {
    static func create() async throws -> (url: String, drop: @Sendable () async -> Void) {
        guard let base = TestDatabase.postgresURL else { throw ConfigError("CAREDESK_TEST_POSTGRES_URL is not set") }
        let name = "caredesk_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await admin(base) { conn in _ = try await conn.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test-admin")) }
        var parts = URLComponents(string: base)!
        parts.path = "/" + name
        let url = parts.string!
        return (url, {
            try? await admin(base) { conn in
                _ = try await conn.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Logger(label: "test-admin"))
            }
        })
    }

    static func admin(_ url: String, _ work: (PostgresConnection) async throws -> Void) async throws {
        let config = try SQLPostgresConfiguration(url: url).coreConfiguration
        let conn = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: config,
                                                         id: 1, logger: Logger(label: "test-admin"))
        do { try await work(conn) } catch { try? await conn.close(); throw error }
        try await conn.close()
    }
}

/// Boots a CareDesk application on a fresh database with fixtures, runs `body`, and shuts it down.
func withCareApp(_ database: TestDatabase = .sqlite, clock: any CareClock = SystemClock(),
                 configure extra: CareConfig? = nil, postgresURL: String? = nil,
                 _ body: (Application, Fixtures) async throws -> Void) async throws {
    var drop: (@Sendable () async -> Void)?
    var config = extra ?? CareConfig(runWorker: false)
    if config.dataDirectory == CareConfig().dataDirectory {
        // Blobs and the key file of a test app never land in the repository.
        config.dataDirectory = NSTemporaryDirectory() + "caredesk-test-\(UUID().uuidString)"
    }
    if config.secretKey == nil { config.secretKey = "test secret" }
    switch database {
    case .sqlite:
        config.database = .sqliteMemory
    case .sqliteFile:
        config.database = .sqlite(path: (config.dataDirectory as NSString).appendingPathComponent("caredesk.sqlite"))
    case .postgres:
        if let postgresURL {
            config.database = .postgres(url: postgresURL)
        } else {
            let created = try await PostgresTestDatabases.create()
            config.database = .postgres(url: created.url)
            drop = created.drop
        }
    }
    let app = try await Application.make(.testing)
    do {
        app.passwords.use(.bcrypt(cost: 4))
        try await configure(app, config: config, clock: clock, serving: true)
        let fixtures = try await makeFixtures(app)
        try await body(app, fixtures)
    } catch {
        try? await app.asyncShutdown()
        await drop?()
        throw error
    }
    try await app.asyncShutdown()
    await drop?()
}

func makeFixtures(_ app: Application) async throws -> Fixtures {
    let store = app.care.store
    if let existing = try await store.agents.find(email: "admin@test.local") {
        // A second app on the same database (two-node tests) reuses the first one's fixtures.
        return try await loadFixtures(app, admin: existing)
    }
    let hash = try await app.password.async.hash(Fixtures.password)
    let teamA = try await store.agents.createTeam(name: "Team A", by: nil).requireID()
    let teamB = try await store.agents.createTeam(name: "Team B", by: nil).requireID()
    let admin = try await store.agents.create(email: "admin@test.local", name: "Ada Admin", passwordHash: hash, role: .admin,
                                              language: .en, timeZone: "Europe/Athens", teamIds: [], by: nil)
    let agentA = try await store.agents.create(email: "eleni@test.local", name: "Eleni", passwordHash: hash, role: .agent,
                                               language: .el, timeZone: "Europe/Athens", teamIds: [teamA], by: nil)
    let agentB = try await store.agents.create(email: "ivana@test.local", name: "Ivana", passwordHash: hash, role: .agent,
                                               language: .hr, timeZone: "Europe/Zagreb", teamIds: [teamB], by: nil)
    let supervisor = try await store.agents.create(email: "sofia@test.local", name: "Sofia", passwordHash: hash, role: .supervisor,
                                                   language: .en, timeZone: "Europe/Athens", teamIds: [teamA], by: nil)
    return Fixtures(teamA: teamA, teamB: teamB, admin: admin, agentA: agentA, agentB: agentB, supervisor: supervisor,
                    adminToken: try await Bootstrap.createToken(app, email: admin.email, name: "test"),
                    agentAToken: try await Bootstrap.createToken(app, email: agentA.email, name: "test"),
                    agentBToken: try await Bootstrap.createToken(app, email: agentB.email, name: "test"))
}

private func loadFixtures(_ app: Application, admin: Agent) async throws -> Fixtures {
    let store = app.care.store
    let teams = try await store.agents.teams()
    func agent(_ email: String) async throws -> Agent { try await store.agents.find(email: email)! }
    return Fixtures(teamA: teams.first { $0.name == "Team A" }!.id!, teamB: teams.first { $0.name == "Team B" }!.id!,
                    admin: admin, agentA: try await agent("eleni@test.local"), agentB: try await agent("ivana@test.local"),
                    supervisor: try await agent("sofia@test.local"),
                    adminToken: try await Bootstrap.createToken(app, email: admin.email, name: "test"),
                    agentAToken: try await Bootstrap.createToken(app, email: "eleni@test.local", name: "test"),
                    agentBToken: try await Bootstrap.createToken(app, email: "ivana@test.local", name: "test"))
}

// MARK: - HTTP helpers

extension HTTPHeaders {
    static func bearer(_ token: String) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.bearerAuthorization = BearerAuthorization(token: token)
        h.contentType = .json
        return h
    }
}

/// A signed-in browser: its session cookie and CSRF token.
struct BrowserSession: Sendable {
    let cookie: String
    let csrf: String

    var headers: HTTPHeaders {
        var h = HTTPHeaders()
        h.add(name: .cookie, value: "\(SessionAuthenticator.cookieName)=\(cookie)")
        h.add(name: .accept, value: "text/html")
        return h
    }
}

/// Signs in through the real form and reads the CSRF token from a page, as a browser would.
func signIn(_ app: Application, email: String, password: String = Fixtures.password) async throws -> BrowserSession {
    let response = try await app.testing().sendRequest(.POST, "/login", beforeRequest: { req in
        try req.content.encode(["email": email, "password": password], as: .urlEncodedForm)
    })
    #expect(response.status == .seeOther || response.status == .found, "sign-in failed for \(email): \(response.status)")
    guard let cookie = response.headers.setCookie?[SessionAuthenticator.cookieName]?.string else {
        throw ConfigError("no session cookie after signing in as \(email)")
    }
    var h = HTTPHeaders()
    h.add(name: .cookie, value: "\(SessionAuthenticator.cookieName)=\(cookie)")
    let page = try await app.testing().sendRequest(.GET, "/profile", headers: h)
    let body = page.body.string
    guard let range = body.range(of: #"name="csrf-token" content=""#) else { throw ConfigError("no CSRF token on the page") }
    let csrf = String(body[range.upperBound...].prefix { $0 != "\"" })
    return BrowserSession(cookie: cookie, csrf: csrf)
}

/// Posts a form as the signed-in browser, with its CSRF token unless `csrf` overrides it.
@discardableResult
func postForm(_ app: Application, _ path: String, as session: BrowserSession, _ fields: [String: String],
              csrf: String? = nil) async throws -> TestingHTTPResponse {
    var fields = fields
    fields["_csrf"] = csrf ?? session.csrf
    return try await app.testing().sendRequest(.POST, path, headers: session.headers, beforeRequest: { req in
        try req.content.encode(fields, as: .urlEncodedForm)
    })
}

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
}

func json(_ response: TestingHTTPResponse) throws -> [String: Any] {
    guard let obj = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] else {
        throw ConfigError("response is not a JSON object: \(response.body.string)")
    }
    return obj
}
