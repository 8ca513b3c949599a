import CareCore
import CareData
import Foundation
import Vapor

/// Everything a request handler needs beyond the request itself, built once in `configure`.
public final class CareServices: Sendable {
    public let config: CareConfig
    public let store: CareStore
    public let bus: any EventBus
    public let translator: Translator
    let hub: LiveHub
    let signInLimiter: SignInLimiter
    let metrics: CareMetrics
    let tokenCache = APITokenCache()
    /// Raw e-mails, attachments and inline images, by content.
    public let blobs: BlobStore
    /// Seals secrets kept in the database (IMAP passwords).
    let secrets: SecretBox
    let email: EmailChannel
    /// Visitors' web chat connections.
    let chat: ChatHub
    /// Agents' chat replies to visitors who left, and transcripts.
    let chatTransport: ChatTransport

    init(config: CareConfig, store: CareStore, bus: any EventBus, translator: Translator, hub: LiveHub,
         signInLimiter: SignInLimiter, metrics: CareMetrics, blobs: BlobStore, secrets: SecretBox, email: EmailChannel,
         chat: ChatHub) {
        self.chat = chat
        self.chatTransport = ChatTransport(email: email.transport, hub: chat, translator: translator, store: store)
        self.blobs = blobs
        self.secrets = secrets
        self.email = email
        self.config = config
        self.store = store
        self.bus = bus
        self.translator = translator
        self.hub = hub
        self.signInLimiter = signInLimiter
        self.metrics = metrics
    }
}

struct CareServicesKey: StorageKey {
    typealias Value = CareServices
}

extension Application {
    /// Set by `configure` before any route or command exists, so no request or input can reach this unset;
    /// only wiring code that forgot `configure` can, and that should fail at once in development.
    public var care: CareServices {
        guard let s = storage[CareServicesKey.self] else { fatalError("configure(_:config:) has not run") }
        return s
    }
}

extension Request {
    var care: CareServices { application.care }
    var store: CareStore { application.care.store }
    var clientIP: String? { headers.first(name: "X-Forwarded-For")?.split(separator: ",").first.map(String.init) ?? remoteAddress?.ipAddress }
}

/// Limits failed sign-ins per address and e-mail, so passwords cannot be guessed at speed.
final class SignInLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String: [Date]] = [:]
    let limit: Int
    let window: TimeInterval = 15 * 60

    init(limit: Int) { self.limit = limit }

    func isBlocked(_ key: String, now: Date) -> Bool {
        lock.withLock {
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[key] = recent
            return recent.count >= limit
        }
    }

    func recordFailure(_ key: String, now: Date) {
        lock.withLock {
            failures[key, default: []].append(now)
            if failures.count > 100_000 { failures.removeAll() }
        }
    }

    func reset(_ key: String) { lock.withLock { _ = failures.removeValue(forKey: key) } }
}
