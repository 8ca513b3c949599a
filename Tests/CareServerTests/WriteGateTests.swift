import CareCore
@testable import CareData
@testable import CareServer
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("SQLite group commit")
struct WriteGateTests {
    /// Many writers at once: they share transactions, yet each is answered with its own result, and one
    /// writer's failure neither loses nor leaks into the others' writes.
    @Test(arguments: [false, true])
    func concurrentWritesShareCommitsAndFailAlone(repeatable: Bool) async throws {
        try await withSQLiteStore { store in
            try await store.write { db in try await Tag(name: "taken").create(on: db) }
            let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for i in 0..<60 {
                    group.addTask {
                        do {
                            // Every tenth writer breaks the unique name; the rest write two rows each.
                            // Repeatable writes are batched without savepoints and run again alone after a failure.
                            let id = try await store.write(repeatable: repeatable) { db -> Int in
                                let tag = Tag(name: i % 10 == 3 ? "taken" : "tag-\(i)")
                                try await tag.create(on: db)
                                try await Tag(name: "tag-\(i)-second").create(on: db)
                                return try tag.requireID()
                            }
                            return (i, .success(id))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<Int, any Error>)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            var ids: Set<Int> = []
            for (i, outcome) in outcomes {
                switch outcome {
                case .success(let id):
                    #expect(i % 10 != 3, "writer \(i) should have failed")
                    ids.insert(id)
                case .failure(let error):
                    #expect(i % 10 == 3, "writer \(i) failed: \(error)")
                    #expect(error.isUniqueViolation)
                }
            }
            #expect(ids.count == 54)
            let rows = try await Tag.query(on: store.db).all().map(\.name)
            let names = Set(rows)
            #expect(names.count == 1 + 54 * 2)
            #expect(rows.count == names.count, "a write that ran again must not have left a copy behind")
            for i in 0..<60 where i % 10 == 3 {
                // The failed writer's first row is rolled back too, not just the row that failed.
                #expect(!names.contains("tag-\(i)-second"))
            }
            for id in ids { #expect(try await Tag.find(id, on: store.db) != nil) }
            #expect(await store.writeGate.writes == 55)

            // When nothing fails, concurrent writers share transactions.
            let before = await store.writeGate.transactions
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask { try await store.write(repeatable: repeatable) { db in try await Tag(name: "more-\(i)").create(on: db) } }
                }
                try await group.waitForAll()
            }
            #expect(await store.writeGate.writes == 95)
            #expect(await store.writeGate.transactions - before < 40, "concurrent writers should have shared transactions")
        }
    }

    /// A lone write that fails is rolled back entirely and reported, and the gate keeps working afterwards.
    @Test func aFailedLoneWriteIsRolledBackAndTheGateGoesOn() async throws {
        try await withSQLiteStore { store in
            try await store.write { db in try await Tag(name: "one").create(on: db) }
            await #expect(throws: (any Error).self) {
                try await store.write { db in
                    try await Tag(name: "two").create(on: db)
                    try await Tag(name: "one").create(on: db)
                }
            }
            try await store.write { db in try await Tag(name: "three").create(on: db) }
            #expect(Set(try await Tag.query(on: store.db).all().map(\.name)) == ["one", "three"])
        }
    }

    /// On a SQLite file (as `caredesk serve` runs), reads have connections of their own: a read is answered while a
    /// write transaction is open, and sees what was committed, not what is still being written. With one connection
    /// for both, the read would wait for the write, which here waits for the read: the timeout below fails the test.
    @Test func readsDoNotWaitForAnOpenWriteTransaction() async throws {
        try await withCareApp(.sqliteFile) { app, _ in
            let store = app.care.store
            try await store.write { db in try await Tag(name: "committed").create(on: db) }
            let (entered, inside) = AsyncStream<Void>.makeStream()
            let (released, release) = AsyncStream<Void>.makeStream()
            let writer = Task {
                try await store.write { db in
                    try await Tag(name: "in-flight").create(on: db)
                    inside.yield()
                    for await _ in released { break }
                }
            }
            for await _ in entered { break }
            let names = try await withThrowingTaskGroup(of: [String]?.self) { group in
                group.addTask { try await Tag.query(on: store.db).all().map(\.name) }
                group.addTask { try await Task.sleep(nanoseconds: 10_000_000_000); return nil }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            release.yield()
            try await writer.value
            #expect(names == ["committed"], "the read should be answered during the write, without its rows")
            #expect(Set(try await Tag.query(on: store.db).all().map(\.name)) == ["committed", "in-flight"])
        }
    }
}
