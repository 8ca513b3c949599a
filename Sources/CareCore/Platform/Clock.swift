import Foundation

/// Time comes from here so tests can move it.
public protocol CareClock: Sendable {
    func now() -> Date
}

public struct SystemClock: CareClock {
    public init() {}
    public func now() -> Date { Date().roundedToMilliseconds }
}

extension Date {
    /// Stored times are whole milliseconds. A `Date` read back from a database can differ from the one written in
    /// its last bits (drivers convert between epochs; a Double near 1.8e9 seconds only resolves ~0.24 µs), so
    /// keyset pagination compares times with a tolerance far below a millisecond and far above that noise.
    public var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// A clock tests can set and advance.
public final class ManualClock: CareClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current.roundedToMilliseconds } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
    public func set(_ date: Date) { lock.withLock { current = date } }
}
