import CareCore
import CareData
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import NIOCore
import PostgresKit
import Vapor

/// Builds the whole application from one configuration. `main` and the tests both use it.
/// `serving` is false for CLI commands (migrate, demo, admin, token): they need the database but not the
/// live machinery or the outbox worker.
public func configure(_ app: Application, config: CareConfig, clock: any CareClock = SystemClock(), serving: Bool = true) async throws {
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: config.maxBodyBytes)

    // Database
    var bus: any EventBus = InProcessEventBus()
    switch config.database {
    case .sqlite(let path):
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
        // Fluent keeps one SQLite connection per event loop and database id: a second id gives reads connections of
        // their own beside the writer's (CareStore.db).
        app.databases.use(.sqlite(.file(path)), as: .sqliteReads, isDefault: false)
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .postgres(let url):
        let pg = try SQLPostgresConfiguration(url: url)
        app.databases.use(.postgres(configuration: pg, maxConnectionsPerEventLoop: 4), as: .psql)
        let db = app.db
        bus = PostgresEventBus(configuration: pg.coreConfiguration, eventLoop: app.eventLoopGroup.any(), logger: app.logger) { payload in
            try await (db as! any SQLDatabase).raw("SELECT pg_notify(\(bind: PostgresEventBus.channel), \(bind: payload))").run()
        }
    }
    app.migrations.add(CareMigrations.all)
    if case .postgres = config.database {} else {
        // WAL lets readers work while one writer commits; it is a property of the file, set once.
        try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
    }

    let store = CareStore(db: app.db, readers: try await readers(app, config.database), clock: clock, events: bus,
                          writeGate: WriteGate())
    let translator = try Translator.load(from: app.directory.resourcesDirectory + "Locales")
    let metrics = CareMetrics()
    let blobs = BlobStore(directory: (config.dataDirectory as NSString).appendingPathComponent("blobs"))
    let secrets = try config.secretKey.map(SecretBox.init(passphrase:))
        ?? SecretBox.keyFile((config.dataDirectory as NSString).appendingPathComponent("secret.key"))
    let email = try EmailChannel(config: config, store: store, blobs: blobs, secrets: secrets, logger: app.logger)
    let hub = LiveHub(bus: bus, store: store)
    let services = CareServices(config: config, store: store, bus: bus, translator: translator, hub: hub,
                                signInLimiter: SignInLimiter(limit: config.signInAttemptsPerWindow), metrics: metrics,
                                blobs: blobs, secrets: secrets, email: email,
                                chat: ChatHub(store: store, bus: bus, agents: hub, logger: app.logger))
    app.storage[CareServicesKey.self] = services
    let worker = OutboxWorker(store: store, logger: app.logger, metrics: metrics)
    if let transport = email.transport { worker.register(transport, for: .email) }
    worker.register(services.chatTransport, for: .chat)
    app.storage[OutboxWorkerKey.self] = worker

    // Views
    app.views.use(.leaf)
    app.leaf.tags["t"] = TranslateTag()
    app.leaf.cache.isEnabled = app.environment.isRelease

    // Middleware: outermost first.
    app.middleware = .init()
    app.middleware.use(MetricsMiddleware())
    app.middleware.use(ErrorRendering())
    app.middleware.use(SecurityHeaders())
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory, defaultFile: nil))

    try routes(app)

    if config.autoMigrate { try await app.autoMigrate() }
    if serving { app.lifecycle.use(CareLifecycle(runWorker: config.runWorker)) }
}

/// What CareStore reads with: on a file SQLite database the reader connections (one per event loop, each told to
/// wait for a moment instead of failing while SQLite is busy, e.g. during a checkpoint), on PostgreSQL the pools of
/// all event loops rather than one; an in-memory database reads on its one connection.
private func readers(_ app: Application, _ database: CareConfig.Database) async throws -> (@Sendable () -> any Database)? {
    let id: DatabaseID
    switch database {
    case .sqliteMemory: return nil
    case .sqlite:
        id = .sqliteReads
        for loop in app.eventLoopGroup.makeIterator() {
            guard let db = app.databases.database(id, logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            try await db.raw("PRAGMA busy_timeout = 5000").run()
        }
    case .postgres: id = .psql
    }
    // After shutdown the id is gone; a late read (a background task finishing) then fails on the writer like any
    // query on a closed database, instead of trapping.
    let (databases, group, logger, writer) = (app.databases, app.eventLoopGroup, app.logger, app.db)
    return { databases.database(id, logger: logger, on: group.any()) ?? writer }
}

extension DatabaseID {
    static let sqliteReads = DatabaseID(string: "sqlite-reads")
}

struct OutboxWorkerKey: StorageKey { typealias Value = OutboxWorker }

extension Application {
    public var outboxWorker: OutboxWorker { storage[OutboxWorkerKey.self]! }
}

/// Starts the live machinery with the server and stops it on shutdown.
struct CareLifecycle: LifecycleHandler {
    let runWorker: Bool

    func didBootAsync(_ app: Application) async throws {
        if let pg = app.care.bus as? PostgresEventBus { await pg.start() }
        app.care.hub.start()
        app.care.chat.start()
        if runWorker {
            app.outboxWorker.start()
            app.care.email.poller.start()
        }
        if let receiver = app.care.email.receiver {
            let port = try await receiver.start()
            app.logger.notice("SMTP receiver listening on \(receiver.server.configuration.host):\(port)")
        }
    }

    func shutdownAsync(_ app: Application) async {
        await app.care.email.receiver?.stop()
        app.care.email.poller.stop()
        app.outboxWorker.stop()
        await app.care.chat.shutdown()
        await app.care.hub.shutdown()
        await app.care.bus.shutdown()
    }
}
