import CareCore
@testable import CareData
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("SQLite group commit")
struct WriteGateTests {
    /// Many writers at once: they share transactions, yet each is answered with its own result, and one
    /// writer's failure neither loses nor leaks into the others' writes.
    @Test func concurrentWritesShareCommitsAndFailAlone() async throws {
        try await withSQLiteStore { store in
            try await store.write { db in try await Tag(name: "taken").create(on: db) }
            let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for i in 0..<60 {
                    group.addTask {
                        do {
                            // Every tenth writer breaks the unique name; the rest write two rows each.
                            let id = try await store.write { db -> Int in
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
            let names = Set(try await Tag.query(on: store.db).all().map(\.name))
            #expect(names.count == 1 + 54 * 2)
            for i in 0..<60 where i % 10 == 3 {
                // The failed writer's first row is rolled back with its savepoint, not just the row that failed.
                #expect(!names.contains("tag-\(i)-second"))
            }
            for id in ids { #expect(try await Tag.find(id, on: store.db) != nil) }
            let transactions = await store.writeGate.transactions
            let writes = await store.writeGate.writes
            #expect(writes >= 55)
            #expect(transactions < writes, "concurrent writers should have shared transactions")
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
}
