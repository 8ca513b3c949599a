import Foundation

/// Time comes from here so tests can move it.
public protocol CareClock: Sendable {
    func now() -> Date
}

public struct SystemClock: CareClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock tests can set and advance.
public final class ManualClock: CareClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
    public func set(_ date: Date) { lock.withLock { current = date } }
}
