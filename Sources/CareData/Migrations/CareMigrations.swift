import FluentKit

public enum CareMigrations {
    /// Every migration, in order. Add new ones at the end; never edit or reorder.
    public static let all: [any Migration] = [
        M0001_CreateCoreSchema(),
        M0002_CreateSearchIndexes(),
        M0003_AddIndexesForLargeInboxes(),
        M0004_CreateMailChannel(),
        M0005_CreateWebChat(),
    ]
}
