import CareCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Carries live events to every agent screen. One implementation for a single process,
/// one over PostgreSQL LISTEN/NOTIFY so several CareDesk nodes on one database see each other's events.
public protocol EventBus: EventPublishing {
    /// A stream of every event published on any node, from now on. A subscriber that falls further behind than
    /// its buffer loses events (counted in `droppedEvents`).
    func subscribe(buffering: AsyncStream<CareEvent>.Continuation.BufferingPolicy) -> AsyncStream<CareEvent>
    /// Events subscribers lost because they were too far behind, since start (shown in /metrics).
    var droppedEvents: Int { get }
    func shutdown() async
}

extension EventBus {
    /// For screens, which reload what they missed: the newest 1,000 events are kept, older ones dropped.
    func subscribe() -> AsyncStream<CareEvent> { subscribe(buffering: .bufferingNewest(1000)) }
}

/// Fans events out to the subscribers of this process.
public final class InProcessEventBus: EventBus, @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<CareEvent>.Continuation] = [:]
    private var dropped = 0

    public init() {}

    public func publish(_ event: CareEvent) async { deliver(event) }

    func deliver(_ event: CareEvent) {
        let targets = lock.withLock { Array(subscribers.values) }
        var lost = 0
        for t in targets {
            if case .dropped = t.yield(event) { lost += 1 }
        }
        if lost > 0 { lock.withLock { dropped += lost } }
    }

    public var droppedEvents: Int { lock.withLock { dropped } }

    public func subscribe(buffering: AsyncStream<CareEvent>.Continuation.BufferingPolicy) -> AsyncStream<CareEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<CareEvent>.makeStream(bufferingPolicy: buffering)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = self.lock.withLock { self.subscribers.removeValue(forKey: id) }
        }
        lock.withLock { subscribers[id] = continuation }
        return stream
    }

    public func shutdown() async {
        let all = lock.withLock { () -> [AsyncStream<CareEvent>.Continuation] in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for c in all { c.finish() }
    }
}

/// Publishes with NOTIFY and delivers what LISTEN hears, own events included, so every node sees
/// every event in the same way. A dedicated connection listens and reconnects with backoff if it drops.
public final class PostgresEventBus: EventBus, @unchecked Sendable {
    public static let channel = "caredesk_events"

    private let local = InProcessEventBus()
    private let configuration: PostgresConnection.Configuration
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let notify: @Sendable (String) async throws -> Void
    private var listenTask: Task<Void, Never>?
    private let ready = ReadySignal()

    /// `notify` sends one NOTIFY through the application's database pool.
    public init(configuration: PostgresConnection.Configuration, eventLoop: any EventLoop, logger: Logger,
                notify: @escaping @Sendable (String) async throws -> Void) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.notify = notify
    }

    /// Starts listening and returns once the first LISTEN is in place (or after 5 seconds).
    public func start() async {
        listenTask = Task { [weak self] in await self?.listenForever() }
        await ready.wait(timeout: 5)
    }

    private func listenForever() async {
        var delay: UInt64 = 250_000_000
        var connectionID = 1
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: eventLoop, configuration: configuration, id: connectionID, logger: logger).get()
                connectionID += 1
                delay = 250_000_000
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.channel) { notifications in
                    await ready.signal()
                    for try await n in notifications {
                        if let event = try? JSONDecoder().decode(CareEvent.self, from: Data(n.payload.utf8)) {
                            local.deliver(event)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("event bus: LISTEN connection lost, reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: delay)
            delay = min(delay * 2, 5_000_000_000)
        }
    }

    public func publish(_ event: CareEvent) async {
        guard let data = try? JSONEncoder().encode(event) else { return }
        do {
            try await notify(String(decoding: data, as: UTF8.self))
        } catch {
            // Live updates are a convenience on top of committed data: log, and let screens catch up on reload.
            logger.error("event bus: NOTIFY failed", metadata: ["error": "\(error)"])
        }
    }

    public func subscribe(buffering: AsyncStream<CareEvent>.Continuation.BufferingPolicy) -> AsyncStream<CareEvent> {
        local.subscribe(buffering: buffering)
    }

    public var droppedEvents: Int { local.droppedEvents }

    public func shutdown() async {
        listenTask?.cancel()
        await local.shutdown()
    }
}

/// A one-shot signal that can be awaited with a timeout.
actor ReadySignal {
    private var isSet = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func signal() {
        guard !isSet else { return }
        isSet = true
        waiters.forEach { $0.resume() }
        waiters.removeAll()
    }

    func wait(timeout seconds: Double) async {
        if isSet { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            await self?.signal()
        }
        await withCheckedContinuation { waiters.append($0) }
        timer.cancel()
    }
}
