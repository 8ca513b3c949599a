import Foundation

/// `IMAPMailboxFetcher.fetchNew` stopped early. Persist `state` (it covers every message that
/// was delivered, so nothing is fetched twice and nothing is lost), then look at `underlying`.
public struct IMAPFetchInterrupted: Error, Sendable, CustomStringConvertible {
    /// The state to store: up to the last message delivered (or skipped as too large).
    public var state: IMAPSyncState
    /// The message being handled when it stopped; nil when it stopped before the first (SELECT, SEARCH).
    public var uid: UInt32?
    /// True when `deliver` threw (the message is fetched again next time); false for an IMAP error.
    public var deliveryFailed: Bool
    /// `deliver`'s error, or an `IMAPError`.
    public var underlying: any Error

    public init(state: IMAPSyncState, uid: UInt32?, deliveryFailed: Bool, underlying: any Error) {
        self.state = state
        self.uid = uid
        self.deliveryFailed = deliveryFailed
        self.underlying = underlying
    }

    /// Worth trying again soon: a delivery failure (the store may be back) or a temporary IMAP error.
    public var isTemporary: Bool {
        deliveryFailed || (underlying as? IMAPError)?.isTemporary == true
    }

    public var description: String {
        let at = uid.map { " at UID \($0)" } ?? ""
        return (deliveryFailed ? "delivery failed\(at): " : "IMAP fetch stopped\(at): ") + String(describing: underlying)
    }
}

public enum IMAPMailboxFetcher {
    /// Fetches every message newer than `state.lastUID` (all of them when UIDVALIDITY changed,
    /// or on the first run when `state.uidValidity` is nil), oldest first, at most `maxMessages`
    /// per call (call again for the rest), and hands each one's raw bytes, exactly as the server
    /// sent them, to `deliver`. Only after `deliver` returns does it apply `after` and advance the state.
    ///
    /// - Returns: the new state; persist it.
    /// - Throws: only `IMAPFetchInterrupted`, which carries the state to persist. When `deliver`
    ///   throws, the state stops at the message before, so that message is fetched again next
    ///   time. When `after` fails (e.g. MOVE refused), the message was delivered: the state covers
    ///   it and it is not fetched again (it stays in the mailbox unflagged).
    ///
    /// A message that has vanished meanwhile is passed over. A message larger than
    /// `configuration.maxMessageSize` is not downloaded, not delivered and not flagged or moved:
    /// the state passes over it (so it cannot block the mailbox) and `tooLarge` is told.
    public static func fetchNew(on connection: IMAPConnection, mailbox: String, state: IMAPSyncState,
                                after: IMAPAfterProcessing, maxMessages: Int = 500,
                                deliver: (_ uid: UInt32, _ raw: [UInt8]) async throws -> Void,
                                tooLarge: (_ uid: UInt32, _ size: Int) async -> Void = { _, _ in }) async throws -> IMAPSyncState {
        var current = state
        let uids: [UInt32]
        do {
            let status = try await connection.select(mailbox)
            if let known = state.uidValidity, known != status.uidValidity {
                current.lastUID = 0
            }
            current.uidValidity = status.uidValidity
            if status.exists == 0 { return current }
            if let next = status.uidNext, next > 0, next - 1 <= current.lastUID { return current }
            uids = Array(try await connection.uidSearch(after: current.lastUID).prefix(max(0, maxMessages)))
        } catch {
            throw IMAPFetchInterrupted(state: current, uid: nil, deliveryFailed: false, underlying: error)
        }
        for uid in uids {
            let raw: [UInt8]
            do {
                guard let bytes = try await connection.fetchMessage(uid: uid) else {
                    current.lastUID = uid  // expunged meanwhile
                    continue
                }
                raw = bytes
            } catch IMAPError.messageTooLarge(_, let size) {
                current.lastUID = uid
                await tooLarge(uid, size)
                continue
            } catch {
                throw IMAPFetchInterrupted(state: current, uid: uid, deliveryFailed: false, underlying: error)
            }
            do {
                try await deliver(uid, raw)
            } catch {
                throw IMAPFetchInterrupted(state: current, uid: uid, deliveryFailed: true, underlying: error)
            }
            current.lastUID = uid
            do {
                try await connection.process(uid: uid, after)
            } catch {
                throw IMAPFetchInterrupted(state: current, uid: uid, deliveryFailed: false, underlying: error)
            }
        }
        return current
    }
}
