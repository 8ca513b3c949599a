import CareCore
import CareData
import Foundation
import Logging

/// Delivers one outbox item on its channel. Channels register one each (e-mail, SMS...).
/// Throwing means "try again later"; the outbox retries with backoff and then marks the message failed.
public protocol OutboundTransport: Sendable {
    func deliver(_ item: OutboxItem, store: CareStore) async throws
}

/// Thrown by a transport when trying again cannot help (the address does not exist, the relay refuses the
/// sender): the item fails at once, visibly, instead of after the last retry.
public struct PermanentDeliveryFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// For channels whose customers read replies inside CareDesk or through the API (api, in person):
/// committing the reply is the delivery.
struct StoredDelivery: OutboundTransport {
    func deliver(_ item: OutboxItem, store: CareStore) async throws {}
}

/// Drains the outbox: claims due items, delivers each through its channel's transport, records the outcome.
public final class OutboxWorker: @unchecked Sendable {
    private let store: CareStore
    private let logger: Logger
    private let metrics: CareMetrics?
    private let lock = NSLock()
    private var transports: [CareCore.Channel: any OutboundTransport]
    private var task: Task<Void, Never>?
    private let wake = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    init(store: CareStore, logger: Logger, metrics: CareMetrics?) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.transports = [.api: StoredDelivery(), .inPerson: StoredDelivery()]
    }

    public func register(_ transport: any OutboundTransport, for channel: CareCore.Channel) {
        lock.withLock { transports[channel] = transport }
    }

    func start(pollInterval: TimeInterval = 1) {
        task = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let worked = (try? await self.drainOnce()) ?? 0
                if worked == 0 { try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000)) }
            }
        }
    }

    func stop() { task?.cancel() }

    /// Delivers what is due now; returns how many items were handled. Items of channels that have no transport
    /// yet are left waiting (not failed): they leave as soon as that channel is set up.
    @discardableResult
    public func drainOnce(limit: Int = 20) async throws -> Int {
        let available = lock.withLock { transports }
        let items = try await store.outbox.claim(limit: limit, channels: Array(available.keys))
        for item in items {
            guard let transport = available[CareCore.Channel(rawValue: item.channelRaw) ?? .api] else { continue }
            do {
                try await transport.deliver(item, store: store)
                try await store.outbox.markSent(item)
                metrics?.outboxSent.increment()
            } catch {
                logger.warning("outbox: delivery failed", metadata: ["item": "\(item.id ?? 0)", "attempt": "\(item.attempts)", "error": "\(error)"])
                metrics?.outboxFailed.increment()
                try await store.outbox.markFailed(item, error: String(describing: error), final: error is PermanentDeliveryFailure)
            }
        }
        return items.count
    }
}
