import CareCore
import CareData
import CareMail
import Foundation
import Logging

/// Reads the IMAP accounts of support mailboxes. One task per mailbox: connect, fetch everything newer than the
/// remembered UID (UIDVALIDITY checked), hand each message to the ingestor, flag or move it once committed,
/// remember the UID; then wait with IDLE where the server offers it, else poll every `pollSeconds`. A failing
/// account (wrong password, server down) is retried with backoff and its status shown on the mailbox page;
/// it never affects other mailboxes.
final class IMAPPoller: @unchecked Sendable {
    private let store: CareStore
    private let ingestor: EmailIngestor
    private let secrets: SecretBox
    private let pollSeconds: Int
    private let trustedCertificateFile: String?
    private let logger: Logger
    private let lock = NSLock()
    private var tasks: [Int: (signature: String, task: Task<Void, Never>)] = [:]
    private var supervisor: Task<Void, Never>?

    /// Reconnect at least this often even while IDLE works, as RFC 3501 servers may drop idle clients after 30 minutes.
    static let idleSessionLimit: TimeInterval = 25 * 60

    init(store: CareStore, ingestor: EmailIngestor, secrets: SecretBox, pollSeconds: Int, trustedCertificateFile: String?,
         logger: Logger) {
        self.store = store
        self.ingestor = ingestor
        self.secrets = secrets
        self.pollSeconds = pollSeconds
        self.trustedCertificateFile = trustedCertificateFile
        self.logger = logger
    }

    /// Starts watching: mailboxes added, changed or removed by an admin are picked up within `pollSeconds`.
    func start() {
        supervisor = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                await self.reconcile()
                try? await Task.sleep(nanoseconds: UInt64(max(5, min(self.pollSeconds, 60))) * 1_000_000_000)
            }
        }
    }

    func stop() {
        supervisor?.cancel()
        lock.withLock {
            for (_, entry) in tasks { entry.task.cancel() }
            tasks.removeAll()
        }
    }

    /// One task per pollable mailbox; a task whose settings changed is replaced.
    func reconcile() async {
        guard let mailboxes = try? await store.mailboxes.all() else { return }
        let wanted = Dictionary(uniqueKeysWithValues: mailboxes.filter(\.pollsIMAP).map { ($0.id!, Self.signature($0)) })
        lock.withLock {
            for (id, entry) in tasks where wanted[id] != entry.signature {
                entry.task.cancel()
                tasks[id] = nil
            }
            for (id, signature) in wanted where tasks[id] == nil {
                tasks[id] = (signature, Task { [weak self] in await self?.watch(mailboxId: id) })
            }
        }
    }

    private static func signature(_ m: Mailbox) -> String {
        [m.imapHost ?? "", String(m.imapPort ?? 0), m.imapSecurity, m.imapUsername ?? "", m.imapPasswordSealed ?? "",
         m.imapFolder, m.imapMoveTo ?? "", m.updatedAt.timeIntervalSince1970.description].joined(separator: "\u{1}")
    }

    private func watch(mailboxId: Int) async {
        var failures = 0
        while !Task.isCancelled {
            let ok = await session(mailboxId: mailboxId)
            failures = ok ? 0 : failures + 1
            // After a failure wait longer each time (up to 30 minutes), so a wrong password is not hammered.
            let wait = ok ? Double(pollSeconds) : min(Double(pollSeconds) * pow(2, Double(min(failures, 6))), 1800)
            try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
        }
    }

    /// Connects once, fetches, then stays connected with IDLE while the server supports it. False on failure.
    private func session(mailboxId: Int) async -> Bool {
        guard let mailbox = try? await store.mailboxes.find(mailboxId), mailbox.pollsIMAP else { return true }
        let connection: IMAPConnection
        do {
            connection = try await IMAPConnection.connect(try configuration(for: mailbox))
        } catch {
            await record(mailbox, state: nil, status: "\(error)")
            return false
        }
        do {
            var state = try await fetch(mailbox, on: connection, state: syncState(of: mailbox))
            let started = Date()
            while !Task.isCancelled, connection.hasCapability("IDLE"), Date().timeIntervalSince(started) < Self.idleSessionLimit {
                _ = try await connection.idle(upTo: TimeInterval(pollSeconds))
                state = try await fetch(mailbox, on: connection, state: state)
            }
            await connection.logout()
            return true
        } catch is IMAPFetchInterrupted {
            await connection.logout()  // already recorded, with the state it reached
            return false
        } catch {
            await connection.logout()
            await record(mailbox, state: nil, status: "\(error)")
            return false
        }
    }

    /// Polls a mailbox once now (the admin's "check now", and tests); returns the status it recorded.
    @discardableResult
    func pollOnce(mailboxId: Int) async throws -> String {
        let mailbox = try await store.mailboxes.find(mailboxId)
        guard mailbox.pollsIMAP else { return "no IMAP account" }
        let connection: IMAPConnection
        do {
            connection = try await IMAPConnection.connect(try configuration(for: mailbox))
        } catch {
            await record(mailbox, state: nil, status: "\(error)")
            throw error
        }
        do {
            _ = try await fetch(mailbox, on: connection, state: syncState(of: mailbox))
            await connection.logout()
        } catch {
            await connection.logout()
            throw error
        }
        return try await store.mailboxes.find(mailboxId).imapStatus ?? ""
    }

    private func fetch(_ mailbox: Mailbox, on connection: IMAPConnection, state: IMAPSyncState) async throws -> IMAPSyncState {
        let ingestor = self.ingestor
        let logger = self.logger
        let counter = Counter()
        let after: IMAPAfterProcessing = mailbox.imapMoveTo.map { .move(to: $0) } ?? .markSeen
        do {
            let newState = try await IMAPMailboxFetcher.fetchNew(
                on: connection, mailbox: mailbox.imapFolder, state: state, after: after,
                deliver: { uid, raw in
                    let outcome = try await ingestor.ingest(raw: raw, mailbox: mailbox)
                    counter.received += 1
                    logger.info("mail: fetched over IMAP", metadata: ["mailbox": "\(mailbox.address)", "uid": "\(uid)", "outcome": "\(outcome)"])
                },
                tooLarge: { uid, size in
                    // Left in the mailbox for a person to deal with; said on the mailbox page so it is not silently lost.
                    counter.skipped.append("UID \(uid) (\(size) bytes) is larger than the limit and was left on the server")
                })
            await record(mailbox, state: newState, status: counter.status)
            return newState
        } catch let interrupted as IMAPFetchInterrupted {
            // Everything delivered before the interruption is recorded, so it is neither lost nor fetched again.
            await record(mailbox, state: interrupted.state, status: "\(interrupted)")
            throw interrupted
        }
    }

    /// What one fetch did, for the mailbox status.
    private final class Counter: @unchecked Sendable {
        var received = 0
        var skipped: [String] = []
        var status: String {
            let base = received == 0 ? "connected, no new mail" : "connected, \(received) new"
            return skipped.isEmpty ? base : base + "; " + skipped.joined(separator: "; ")
        }
    }

    private func syncState(of mailbox: Mailbox) -> IMAPSyncState {
        IMAPSyncState(uidValidity: mailbox.imapUIDValidity.map { UInt32(truncatingIfNeeded: $0) },
                      lastUID: UInt32(truncatingIfNeeded: mailbox.imapLastUID))
    }

    private func configuration(for mailbox: Mailbox) throws -> IMAPConfiguration {
        guard let sealed = mailbox.imapPasswordSealed, let password = secrets.open(sealed) else {
            throw IMAPError.authentication("the stored password cannot be decrypted with this server's key; enter it again")
        }
        let security = IMAPConfiguration.Security(rawValue: mailbox.imapSecurity) ?? .implicitTLS
        let port = mailbox.imapPort ?? (security == .implicitTLS ? 993 : 143)
        return IMAPConfiguration(host: mailbox.imapHost ?? "", port: port, security: security, username: mailbox.imapUsername ?? "",
                                 password: password, mailbox: mailbox.imapFolder, trustedCertificateFile: trustedCertificateFile)
    }

    private func record(_ mailbox: Mailbox, state: IMAPSyncState?, status: String) async {
        if state == nil { logger.warning("mail: IMAP poll failed", metadata: ["mailbox": "\(mailbox.address)", "error": "\(status)"]) }
        try? await store.mailboxes.recordPoll(mailbox.id!, position: state.map { ($0.uidValidity, $0.lastUID) }, status: status)
    }
}
