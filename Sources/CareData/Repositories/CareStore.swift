import CareCore
import FluentKit
import Foundation
import SQLKit

/// The door to the database for everything above CareData. Repositories hang off it.
public struct CareStore: Sendable {
    public let db: any Database
    public let clock: any CareClock
    public let events: any EventPublishing
    let writeGate: WriteGate

    public init(db: any Database, clock: any CareClock = SystemClock(), events: any EventPublishing = NoEvents(),
                writeGate: WriteGate) {
        self.db = db
        self.clock = clock
        self.events = events
        self.writeGate = writeGate
    }

    /// The same store seeing another clock, e.g. to write history with past times (demo data, imports).
    public func with(clock: any CareClock) -> CareStore {
        CareStore(db: db, clock: clock, events: events, writeGate: writeGate)
    }

    public var sql: any SQLDatabase { db as! any SQLDatabase }
    public var isSQLite: Bool { sql.dialect.name == "sqlite" }
    public var isPostgres: Bool { sql.dialect.name == "postgresql" }

    /// Runs `work` in one transaction. On SQLite, writers take turns in this process first:
    /// SQLite has one writer at a time and answers a second one with "database is locked"
    /// instead of waiting, so we queue them here.
    public func write<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isSQLite {
            return try await writeGate.run { try await db.transaction(work) }
        }
        return try await db.transaction(work)
    }

    public var customers: CustomerRepository { CustomerRepository(store: self) }
    public var conversations: ConversationRepository { ConversationRepository(store: self) }
    public var agents: AgentRepository { AgentRepository(store: self) }
    public var audit: AuditLog { AuditLog(store: self) }
    public var outbox: Outbox { Outbox(store: self) }
    public var search: SearchRepository { SearchRepository(store: self) }
    public var ingestion: IngestionPipeline { IngestionPipeline(store: self) }
}

/// A first-come, first-served async lock.
public actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await work()
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Who is asking: decides what they may see.
public struct Viewer: Sendable, Equatable {
    public let agentId: Int
    public let name: String
    public let role: AgentRole
    public let teamIds: [Int]

    public init(agentId: Int, name: String, role: AgentRole, teamIds: [Int]) {
        self.agentId = agentId
        self.name = name
        self.role = role
        self.teamIds = teamIds
    }

    /// Agents see conversations of their teams, those without a team, and those assigned to them.
    public func canSee(teamId: Int?, assigneeId: Int?) -> Bool {
        if role.seesAllConversations { return true }
        guard let teamId else { return true }
        return teamIds.contains(teamId) || assigneeId == agentId
    }

    public func requireAdmin() throws(CareError) {
        guard role.isAdmin else { throw .forbidden("Only administrators may do this.") }
    }
}

extension Error {
    /// True for unique-constraint violations on either database.
    var isUniqueViolation: Bool {
        if let e = self as? any DatabaseError, e.isConstraintFailure { return true }
        let text = String(describing: self)
        return text.contains("UNIQUE constraint failed") || text.contains("23505")
    }
}
