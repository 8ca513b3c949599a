import Foundation

/// An opaque keyset-pagination cursor: the sort key and id of the last row of a page.
/// Lists continue "after" it, so a page costs the same whether it is the first or the thousandth.
public struct KeysetCursor: Equatable, Sendable {
    /// A leading sort key (e.g. priority rank) for sorts that have one.
    public let rank: Int
    public let date: Date
    public let id: Int

    public init(rank: Int = 0, date: Date, id: Int) {
        self.rank = rank
        self.date = date
        self.id = id
    }

    public var encoded: String {
        // The date's exact Double is kept (Swift prints the shortest text that reads back identically),
        // so "equal date, smaller id" comparisons in the database stay exact.
        let raw = "\(rank):\(date.timeIntervalSince1970):\(id)"
        return Data(raw.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ s: String) throws(CareError) -> KeysetCursor {
        var b64 = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard s.count <= 100,
              let data = Data(base64Encoded: b64),
              let raw = String(data: data, encoding: .utf8) else {
            throw .invalid(code: "pagination.invalid_cursor", "The cursor is not valid; pass back a nextCursor exactly as received.", field: "cursor")
        }
        let parts = raw.split(separator: ":")
        guard parts.count == 3, let rank = Int(parts[0]), let seconds = Double(parts[1]), seconds.isFinite,
              let id = Int(parts[2]) else {
            throw .invalid(code: "pagination.invalid_cursor", "The cursor is not valid; pass back a nextCursor exactly as received.", field: "cursor")
        }
        return KeysetCursor(rank: rank, date: Date(timeIntervalSince1970: seconds), id: id)
    }
}

public enum PageSize {
    public static let `default` = 50
    public static let maximum = 200

    public static func clamp(_ requested: Int?) throws(CareError) -> Int {
        guard let requested else { return `default` }
        guard (1...maximum).contains(requested) else {
            throw .invalid(code: "pagination.invalid_limit", "The limit must be between 1 and \(maximum).", field: "limit")
        }
        return requested
    }
}
