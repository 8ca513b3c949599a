import CareCore
import CareData
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

/// A transport that fails a set number of times, then delivers; records what it was given.
final class FlakyTransport: OutboundTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var failuresLeft: Int
    private(set) var delivered: [Int] = []

    init(failures: Int) { failuresLeft = failures }

    func deliver(_ item: OutboxItem, store: CareStore) async throws {
        try lock.withLock {
            if failuresLeft > 0 {
                failuresLeft -= 1
                throw ConfigError("provider unavailable")
            }
            delivered.append(item.messageId ?? -1)
        }
    }
}

@Suite("Outbox")
struct OutboxTests {
    static func reply(_ app: Application, _ f: Fixtures, channel: CareCore.Channel = .sms) async throws -> Message {
        let store = app.care.store
        let r = try await store.ingestion.ingest(InboundMessage(channel: channel, sender: IdentityAddress(kind: .phone, address: "+385912345678"), text: "Pomoć"))
        return try await store.conversations.addAgentMessage(to: r.conversationId, direction: .outbound, text: "Evo nas", by: try f.viewer(f.admin, store)).message
    }

    @Test("a reply is committed with its outbox item and retried with backoff until delivered", arguments: TestDatabase.available)
    func retries(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withCareApp(db, clock: clock) { app, f in
            let transport = FlakyTransport(failures: 2)
            app.outboxWorker.register(transport, for: .sms)
            let message = try await Self.reply(app, f)
            #expect(message.deliveryStatus == .queued)
            #expect(try await app.outboxWorker.drainOnce() == 1) // fails
            #expect(try await app.outboxWorker.drainOnce() == 0) // not due yet: backoff
            clock.advance(by: Outbox.backoff(afterAttempt: 1) + 1)
            #expect(try await app.outboxWorker.drainOnce() == 1) // fails again
            clock.advance(by: Outbox.backoff(afterAttempt: 2) + 1)
            #expect(try await app.outboxWorker.drainOnce() == 1) // delivered
            #expect(transport.delivered == [message.id!])
            let stored = try await Message.find(message.id!, on: app.care.store.db)!
            #expect(stored.deliveryStatus == .sent)
            let item = try await OutboxItem.query(on: app.care.store.db).first()!
            #expect(item.state == .sent && item.attempts == 3)
        }
    }

    @Test("after the last attempt the message is visibly failed")
    func givesUp() async throws {
        let clock = ManualClock()
        try await withCareApp(clock: clock) { app, f in
            app.outboxWorker.register(FlakyTransport(failures: 100), for: .sms)
            let message = try await Self.reply(app, f)
            for _ in 0..<Outbox.maximumAttempts {
                try await app.outboxWorker.drainOnce()
                clock.advance(by: 7 * 3600)
            }
            let stored = try await Message.find(message.id!, on: app.care.store.db)!
            #expect(stored.deliveryStatus == .failed)
            let item = try await OutboxItem.query(on: app.care.store.db).first()!
            #expect(item.state == .failed && item.lastError?.contains("provider unavailable") == true)
        }
    }

    @Test("an item claimed by a worker that died is taken over after the lease")
    func crashRecovery() async throws {
        let clock = ManualClock()
        try await withCareApp(clock: clock) { app, f in
            let transport = FlakyTransport(failures: 0)
            app.outboxWorker.register(transport, for: .sms)
            _ = try await Self.reply(app, f)
            // A worker claims it and "crashes" before sending.
            #expect(try await app.care.store.outbox.claim(limit: 10, channels: [.sms]).count == 1)
            #expect(try await app.outboxWorker.drainOnce() == 0)
            clock.advance(by: Outbox.lease + 1)
            #expect(try await app.outboxWorker.drainOnce() == 1)
            #expect(transport.delivered.count == 1)
        }
    }

    @Test("items of channels without a transport wait instead of failing")
    func waitsForTransport() async throws {
        try await withCareApp { app, f in
            _ = try await Self.reply(app, f, channel: .telegram)
            #expect(try await app.outboxWorker.drainOnce() == 0)
            #expect(try await app.care.store.outbox.pending().count == 1)
        }
    }

    @Test("api replies are delivered by being stored")
    func apiChannel() async throws {
        try await withCareApp { app, f in
            let store = app.care.store
            let r = try await store.ingestion.ingest(InboundMessage(channel: .api, sender: IdentityAddress(kind: .external, address: "crm-42"), text: "?"))
            let m = try await store.conversations.addAgentMessage(to: r.conversationId, direction: .outbound, text: "!", by: try f.viewer(f.admin, store)).message
            #expect(try await app.outboxWorker.drainOnce() == 1)
            #expect(try await Message.find(m.id!, on: store.db)?.deliveryStatus == .sent)
        }
    }

    @Test("on PostgreSQL, concurrent workers never claim the same item", .enabled(if: TestDatabase.postgresURL != nil))
    func skipLocked() async throws {
        try await withCareApp(.postgres) { app, f in
            for _ in 0..<30 { _ = try await Self.reply(app, f) }
            let store = app.care.store
            let claims = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await store.outbox.claim(limit: 10, channels: [.sms]).map { $0.id! } } }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            let all = claims.flatMap { $0 }
            #expect(all.count == 30 && Set(all).count == 30)
        }
    }

    /// An integration retrying a reply with the same idempotency key, even in parallel, sends it once.
    @Test("a reply repeated with the same externalId, in parallel, is stored and queued once", arguments: TestDatabase.available)
    func parallelRepeatsOfOneReply(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let store = app.care.store
            let r = try await store.ingestion.ingest(InboundMessage(channel: .sms, sender: IdentityAddress(kind: .phone, address: "+385911111111"), text: "Halo"))
            let viewer = try f.viewer(f.admin, store)
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let written = try await store.conversations.addAgentMessage(to: r.conversationId, direction: .outbound, text: "Stižemo!",
                                                                                    externalId: "crm-77", by: viewer)
                        return (try written.message.requireID(), written.isRepeat)
                    }
                }
                var all: [(Int, Bool)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter { !$0.1 }.count == 1)
            #expect(try await store.outbox.pending().count == 1)
            #expect(try await Message.query(on: store.db).filter(\.$directionRaw == "outbound").count() == 1)
        }
    }
}
