import CareCore
import FluentKit
import Foundation
import SQLKit

/// The door to the database for everything above CareData. Repositories hang off it.
public struct CareStore: Sendable {
    /// Where reads go. On a file SQLite database and on PostgreSQL these are connections of their own, spread over
    /// the event loops, so a read never queues behind a write transaction (SQLite in WAL mode lets readers work
    /// while one writer commits). Writes go through `write`, never here.
    public var db: any Database { readers?() ?? writer }
    /// The connection SQLite writes go through, one transaction at a time (see `WriteGate`).
    let writer: any Database
    private let readers: (@Sendable () -> any Database)?
    public let clock: any CareClock
    public let events: any EventPublishing
    let writeGate: WriteGate

    /// `readers`: gives a database to read with (called per use, so it may pick a connection pool per event loop);
    /// nil reads on `db` as well, as an in-memory SQLite database must (each connection would be another database).
    public init(db: any Database, readers: (@Sendable () -> any Database)? = nil, clock: any CareClock = SystemClock(),
                events: any EventPublishing = NoEvents(), writeGate: WriteGate) {
        self.writer = db
        self.readers = readers
        self.clock = clock
        self.events = events
        self.writeGate = writeGate
    }

    /// The same store seeing another clock, e.g. to write history with past times (demo data, imports).
    public func with(clock: any CareClock) -> CareStore {
        CareStore(db: writer, readers: readers, clock: clock, events: events, writeGate: writeGate)
    }

    public var sql: any SQLDatabase { db as! any SQLDatabase }
    public var isSQLite: Bool { (writer as! any SQLDatabase).dialect.name == "sqlite" }
    public var isPostgres: Bool { (writer as! any SQLDatabase).dialect.name == "postgresql" }

    /// Runs `work` in one transaction; returns only once it is committed. On SQLite, writers queue in this
    /// process first (see `WriteGate`): SQLite has one writer at a time and answers a second one with
    /// "database is locked" instead of waiting.
    ///
    /// `repeatable`: the work creates everything it writes inside the closure, so after a rolled-back attempt it
    /// can simply run again. The gate then batches it without savepoints (see `WriteGate`).
    public func write<T: Sendable>(repeatable: Bool = false,
                                   _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isSQLite {
            return try await writeGate.run(on: writer, repeatable: repeatable, work)
        }
        return try await db.transaction(work)
    }

    /// SQLite transactions committed by the write gate and the writes they carried.
    public var writeGateStatistics: (transactions: Int, writes: Int) {
        get async { (await writeGate.transactions, await writeGate.writes) }
    }

    public var customers: CustomerRepository { CustomerRepository(store: self) }
    public var conversations: ConversationRepository { ConversationRepository(store: self) }
    public var agents: AgentRepository { AgentRepository(store: self) }
    public var audit: AuditLog { AuditLog(store: self) }
    public var outbox: Outbox { Outbox(store: self) }
    public var mailboxes: MailboxRepository { MailboxRepository(store: self) }
    public var chat: ChatRepository { ChatRepository(store: self) }
    public var search: SearchRepository { SearchRepository(store: self) }
    public var ingestion: IngestionPipeline { IngestionPipeline(store: self) }
}

/// The queue of SQLite writers, with group commit.
///
/// A commit on SQLite costs an fsync (about a millisecond here), and only one writer can work at a time, so
/// one transaction per write caps the whole system near a thousand writes a second however fast the rest is.
/// Instead, writes that arrive while a commit is under way wait together, and the next transaction runs them
/// all, one after another, and commits once. A write that fails must not take the others with it:
/// - in a batch of repeatable writes (the ingestion pipeline's), nothing extra is done while all goes well; if
///   one fails, the whole transaction is rolled back and each write runs again alone, in its own transaction,
///   so only the failing one reports its error. Failures are rare (a repeat delivery), statements are not:
///   each costs a round trip to SQLite's thread, which is what limits throughput here.
/// - otherwise each write runs inside its own SAVEPOINT and a failure is rolled back to it.
/// Every caller is answered only after its COMMIT, so "committed before acknowledged" holds for each of them.
public actor WriteGate {
    /// Enough to amortize the fsync; small enough that one batch never keeps a writer waiting long.
    static let maxBatch = 64

    private var pending: [any QueuedWrite] = []
    private var draining = false
    /// Transactions committed and the successful writes they carried (their ratio is the benefit of grouping).
    public private(set) var transactions = 0
    public private(set) var writes = 0

    public init() {}

    public func run<T: Sendable>(on db: any Database, repeatable: Bool = false,
                                 _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(PendingWrite(work: work, repeatable: repeatable, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain(db) }
            }
        }
    }

    private func drain(_ db: any Database) async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            if batch.count > 1, batch.allSatisfy(\.repeatable) {
                await commitOptimistically(batch, db)
            } else {
                await commitWithSavepoints(batch, db)
            }
        }
        draining = false
    }

    private func commitOptimistically(_ batch: [any QueuedWrite], _ db: any Database) async {
        do {
            try await db.transaction { tx in
                for write in batch { try await write.perform(on: tx) }
            }
            committed(batch)
        } catch {
            // Someone's write failed and the transaction is gone: run each again on its own.
            for write in batch { await commitWithSavepoints([write], db) }
        }
    }

    private func commitWithSavepoints(_ batch: [any QueuedWrite], _ db: any Database) async {
        do {
            try await db.transaction { tx in
                if batch.count == 1 {
                    try await batch[0].perform(on: tx)
                    return
                }
                let sql = tx as! any SQLDatabase
                for (index, write) in batch.enumerated() {
                    let savepoint = SQLIdentifier("w\(index)")
                    try await sql.raw("SAVEPOINT \(savepoint)").run()
                    do {
                        try await write.perform(on: tx)
                    } catch {
                        write.failed(error)
                        try await sql.raw("ROLLBACK TO \(savepoint)").run()
                    }
                    try await sql.raw("RELEASE \(savepoint)").run()
                }
            }
            committed(batch)
        } catch {
            // The transaction itself failed (or the only write in it did): nothing of the batch is stored.
            for write in batch { write.fail(error) }
        }
    }

    private func committed(_ batch: [any QueuedWrite]) {
        transactions += 1
        writes += batch.filter(\.succeeded).count
        for write in batch { write.answer() }
    }
}

/// One caller's write waiting in the gate. Only the gate's drain touches it, one step after another.
private protocol QueuedWrite: Sendable {
    /// Creates everything it writes inside its work, so it may run again after a rollback.
    var repeatable: Bool { get }
    func perform(on db: any Database) async throws
    var succeeded: Bool { get }
    /// Remembers the error of this write alone; it is answered after the batch commits.
    func failed(_ error: any Error)
    /// Answers the caller with its result (or the error remembered by `failed`).
    func answer()
    /// Answers the caller with the batch's error.
    func fail(_ error: any Error)
}

private struct WriteNotPerformed: Error {}

private final class PendingWrite<T: Sendable>: QueuedWrite, @unchecked Sendable {
    // @unchecked: `outcome` is written and read only by the drain task, sequentially.
    let work: @Sendable (any Database) async throws -> T
    let repeatable: Bool
    let continuation: CheckedContinuation<T, any Error>
    var outcome: Result<T, any Error>?

    init(work: @escaping @Sendable (any Database) async throws -> T, repeatable: Bool, continuation: CheckedContinuation<T, any Error>) {
        self.work = work
        self.repeatable = repeatable
        self.continuation = continuation
    }

    func perform(on db: any Database) async throws { outcome = .success(try await work(db)) }
    var succeeded: Bool {
        if case .success = outcome { return true }
        return false
    }
    func failed(_ error: any Error) { outcome = .failure(error) }
    func answer() {
        // Every write in a committed batch has an outcome; the fallback only keeps a caller from hanging.
        continuation.resume(with: outcome ?? .failure(WriteNotPerformed()))
    }
    func fail(_ error: any Error) { continuation.resume(throwing: error) }
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
