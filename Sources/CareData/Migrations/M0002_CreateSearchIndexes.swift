import FluentKit
import SQLKit

/// Full-text indexes over the folded `search_text` columns (see `SearchFolding`).
/// SQLite: FTS5 tables kept in step by triggers. PostgreSQL: GIN indexes on to_tsvector('simple', ...).
/// Both see the same folded text, so "παραπονο" finds "Παράπονο" and "zelim" finds "želim" on either.
public struct M0002_CreateSearchIndexes: AsyncMigration {
    public init() {}

    static let searchedTables = ["customers", "conversations", "messages"]

    public func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        if sql.dialect.name == "sqlite" {
            for table in Self.searchedTables {
                try await sql.raw("""
                    CREATE VIRTUAL TABLE \(unsafeRaw: table)_fts USING fts5(search_text, content='\(unsafeRaw: table)', content_rowid='id', tokenize='unicode61 remove_diacritics 2')
                    """).run()
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_fts_insert AFTER INSERT ON \(unsafeRaw: table) BEGIN
                      INSERT INTO \(unsafeRaw: table)_fts(rowid, search_text) VALUES (new.id, new.search_text);
                    END
                    """).run()
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_fts_delete AFTER DELETE ON \(unsafeRaw: table) BEGIN
                      INSERT INTO \(unsafeRaw: table)_fts(\(unsafeRaw: table)_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
                    END
                    """).run()
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_fts_update AFTER UPDATE OF search_text ON \(unsafeRaw: table) BEGIN
                      INSERT INTO \(unsafeRaw: table)_fts(\(unsafeRaw: table)_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
                      INSERT INTO \(unsafeRaw: table)_fts(rowid, search_text) VALUES (new.id, new.search_text);
                    END
                    """).run()
            }
        } else {
            for table in Self.searchedTables {
                try await sql.raw("""
                    CREATE INDEX \(unsafeRaw: table)_search ON \(unsafeRaw: table) USING GIN (to_tsvector('simple', search_text))
                    """).run()
            }
        }
    }

    public func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for table in Self.searchedTables {
            if sql.dialect.name == "sqlite" {
                try await sql.raw("DROP TABLE IF EXISTS \(unsafeRaw: table)_fts").run()
                for suffix in ["insert", "delete", "update"] {
                    try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_fts_\(unsafeRaw: suffix)").run()
                }
            } else {
                try await sql.raw("DROP INDEX IF EXISTS \(unsafeRaw: table)_search").run()
            }
        }
    }
}
