import CareCore
import CareData
import FluentKit
import FluentSQLiteDriver
import Foundation
import NIOCore
import NIOPosix

/// A fresh in-memory SQLite database with every migration, and a store on it with a fixed clock:
/// for tests of CareData that need no web server.
func withSQLiteStore(_ body: (CareStore) async throws -> Void) async throws {
    let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
    databases.use(.sqlite(.memory), as: .sqlite)
    do {
        let db = databases.database(logger: Logger(label: "store-test"), on: MultiThreadedEventLoopGroup.singleton.any())!
        for migration in CareMigrations.all {
            try await migration.prepare(on: db).get()
        }
        let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
        try await body(CareStore(db: db, clock: clock, writeGate: WriteGate()))
    } catch {
        await databases.shutdownAsync()
        throw error
    }
    await databases.shutdownAsync()
}
