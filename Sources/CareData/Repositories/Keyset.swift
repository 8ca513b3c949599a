import CareCore
import FluentKit
import Foundation

/// Keyset pagination over (time, id), shared by every list.
///
/// Times are compared with a quarter-millisecond tolerance rather than exactly: a `Date` read back from a
/// database can differ from the one written in its last bits (SQLite's driver converts through another epoch;
/// PostgreSQL keeps microseconds), and an exact "same time, smaller id" test then fails and repeats a page
/// forever. Stored times are whole milliseconds (`Date.roundedToMilliseconds`), so two different times are
/// always a millisecond apart and the tolerance never merges them.
extension QueryBuilder {
    static var keysetTolerance: TimeInterval { 0.000_25 }

    /// Rows strictly after `cursor` in (`date`, id) order, newest first when `descending`.
    public func after(_ cursor: KeysetCursor, date: FieldKey, descending: Bool) -> Self {
        let low = cursor.date.addingTimeInterval(-Self.keysetTolerance)
        let high = cursor.date.addingTimeInterval(Self.keysetTolerance)
        return group(.or) { g in
            if descending {
                g.filter(date, .lessThan, low)
            } else {
                g.filter(date, .greaterThan, high)
            }
            g.group(.and) { same in
                same.filter(date, .greaterThanOrEqual, low).filter(date, .lessThanOrEqual, high)
                    .filter(FieldKey.id, descending ? .lessThan : .greaterThan, cursor.id)
            }
        }
    }

    /// The same with a leading integer rank (e.g. priority), highest rank first.
    public func after(_ cursor: KeysetCursor, rank: FieldKey, date: FieldKey) -> Self {
        group(.or) { g in
            g.filter(rank, .lessThan, cursor.rank)
            g.group(.and) { sameRank in
                sameRank.filter(rank, .equal, cursor.rank).after(cursor, date: date, descending: true)
            }
        }
    }
}
