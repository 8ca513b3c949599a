import CareData
import Foundation

/// The configured mailboxes as the mail path sees them, read from the database at most every few seconds:
/// every RCPT, every received message and every own-address check used to cost Fluent queries of their own,
/// a tenth of the receiver's time (docs/PERFORMANCE.md, SMTP receive). Admin changes on this node take effect
/// at once (`invalidate`); on other nodes sharing the database within `maxAge`.
final class MailboxDirectory: @unchecked Sendable {
    private struct Snapshot {
        let readAt: Date
        let active: [String: Mailbox]
        let all: Set<String>
    }

    private let store: CareStore
    private let maxAge: TimeInterval
    private let lock = NSLock()
    private var snapshot: Snapshot?

    init(store: CareStore, maxAge: TimeInterval = 5) {
        self.store = store
        self.maxAge = maxAge
    }

    /// The active mailbox of an address (any case), or nil: mail for it is refused.
    func active(address: String) async throws -> Mailbox? {
        try await current().active[address.lowercased()]
    }

    /// Every configured address, active or not: mail from them is ours and never ingested again.
    func allAddresses() async throws -> Set<String> {
        try await current().all
    }

    func invalidate() {
        lock.withLock { snapshot = nil }
    }

    private func current() async throws -> Snapshot {
        let now = Date()
        if let s = lock.withLock({ snapshot }), now.timeIntervalSince(s.readAt) < maxAge { return s }
        let mailboxes = try await store.mailboxes.all()
        let fresh = Snapshot(readAt: now,
                             active: Dictionary(mailboxes.filter(\.active).map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a }),
                             all: Set(mailboxes.map(\.address)))
        lock.withLock { snapshot = fresh }
        return fresh
    }
}
