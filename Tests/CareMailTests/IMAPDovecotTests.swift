import Foundation
import Testing
@testable import CareMail

/// The IMAP client against a real dovecot (package `dovecot-imapd`), one private server per test.
/// Skipped, with a note on stderr, when dovecot is not installed.
@Suite("IMAP client against dovecot",
       .enabled(if: DovecotServer.isAvailable, "dovecot not installed: IMAP tests against a real server skipped"))
struct IMAPDovecotTests {
    private struct DeliveryRefused: Error {}

    /// Collects what `fetchNew` delivered.
    private final class Collector: @unchecked Sendable {
        var delivered: [(uid: UInt32, raw: [UInt8])] = []
        var failOn: Int?  // 1-based attempt number to throw at
        var attempts = 0
        func deliver(_ uid: UInt32, _ raw: [UInt8]) throws {
            attempts += 1
            if attempts == failOn { throw DeliveryRefused() }
            delivered.append((uid, raw))
        }
    }

    private func withServer(authMechanisms: String = "plain login",
                            _ body: (DovecotServer) async throws -> Void) async throws {
        let server = try await DovecotServer.start(authMechanisms: authMechanisms)
        do {
            try await body(server)
        } catch {
            Issue.record("dovecot log:\n\(server.log())")
            await server.stopAndWait()
            throw error
        }
        await server.stopAndWait()
    }

    @Test func loginWithGoodAndBadPassword() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            #expect(connection.hasCapability("IMAP4rev1"))
            #expect(connection.capabilities.contains("IDLE"))
            await connection.logout()

            do {
                let wrong = try await IMAPConnection.connect(server.configuration(password: "wrong"))
                await wrong.logout()
                Issue.record("login with a wrong password succeeded")
            } catch let error as IMAPError {
                guard case .authentication(let text) = error else { Issue.record("expected authentication error, got \(error)"); return }
                #expect(text.contains("AUTHENTICATIONFAILED") || text.lowercased().contains("failed"))
                #expect(!error.isTemporary)
            }
        }
    }

    @Test func refusesToSendThePasswordWhenLoginIsDisabled() async throws {
        // Without the PLAIN mechanism dovecot answers LOGINDISABLED; AUTH=LOGIN alone is not used.
        try await withServer(authMechanisms: "login") { server in
            do {
                let connection = try await IMAPConnection.connect(server.configuration())
                await connection.logout()
                Issue.record("logged in although the server said LOGINDISABLED")
            } catch let error as IMAPError {
                guard case .authentication(let text) = error else { Issue.record("expected authentication error, got \(error)"); return }
                #expect(text.contains("LOGINDISABLED"))
            }
        }
    }

    @Test func selectGivesUIDValidityAndCounts() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            var status = try await connection.select("INBOX")
            #expect(status.uidValidity != 0)
            #expect(status.exists == 0)
            let uid1 = try await connection.append(IMAPSamples.plain("one"), to: "INBOX")
            let uid2 = try await connection.append(IMAPSamples.plain("two"), to: "INBOX")
            #expect(uid1 == 1 && uid2 == 2)
            status = try await connection.select("INBOX")
            #expect(status.exists == 2)
            #expect(status.uidNext == 3)
            #expect(try await connection.uidSearch(after: 0) == [1, 2])
            #expect(try await connection.uidSearch(after: 1) == [2])
            // "3:*" makes the server return the last message: it must be filtered out.
            #expect(try await connection.uidSearch(after: 2) == [])
            #expect(try await connection.uidSearch(after: 50) == [])
            #expect(try await connection.fetchMessage(uid: 99) == nil)
            await #expect(throws: IMAPError.self) { try await connection.select("No such mailbox") }
            await connection.logout()
        }
    }

    @Test func fetchNewDeliversInOrderWithExactBytesThenOnlyNewerMail() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            let selected = try await connection.select("INBOX")
            let first = IMAPSamples.plain("first")
            try await connection.append(first, to: "INBOX")
            try await connection.append(IMAPSamples.greek, to: "INBOX")
            try await connection.append(IMAPSamples.brokenMIME, to: "INBOX")
            let direct = IMAPSamples.plain("written into the maildir", body: "Line one\r\n.\r\nLine three")
            try server.deliverToMaildir(direct)

            let collector = Collector()
            let state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: IMAPSyncState(),
                                                              after: .markSeen) { uid, raw in try collector.deliver(uid, raw) }
            #expect(collector.delivered.map(\.uid) == [1, 2, 3, 4])
            #expect(collector.delivered.map(\.raw) == [first, IMAPSamples.greek, IMAPSamples.brokenMIME, direct])
            #expect(state == IMAPSyncState(uidValidity: selected.uidValidity, lastUID: 4))
            for uid: UInt32 in 1...4 {
                #expect(try await connection.flags(uid: uid)?.contains("\\Seen") == true)
            }

            // Nothing new: nothing delivered, state unchanged.
            #expect(try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: state, after: .markSeen) { uid, raw in
                try collector.deliver(uid, raw)
            } == state)
            #expect(collector.delivered.count == 4)

            // One more message: only it is fetched.
            let fifth = IMAPSamples.plain("fifth")
            try await connection.append(fifth, to: "INBOX")
            let next = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: state, after: .markSeen) { uid, raw in
                try collector.deliver(uid, raw)
            }
            #expect(collector.delivered.count == 5)
            #expect(collector.delivered.last?.uid == 5 && collector.delivered.last?.raw == fifth)
            #expect(next.lastUID == 5)
            await connection.logout()
        }
    }

    @Test func moveToProcessedCreatesTheTarget() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            #expect(connection.hasCapability("MOVE"))
            _ = try await connection.select("INBOX")
            for subject in ["a", "b"] { try await connection.append(IMAPSamples.plain(subject), to: "INBOX") }
            let collector = Collector()
            let state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: IMAPSyncState(),
                                                              after: .move(to: "Processed")) { uid, raw in try collector.deliver(uid, raw) }
            #expect(state.lastUID == 2)
            #expect(collector.delivered.count == 2)
            #expect(try await connection.select("INBOX").exists == 0)
            #expect(try await connection.select("Processed").exists == 2)

            // Without MOVE: COPY + \Deleted + UID EXPUNGE, into a Greek-named mailbox (modified UTF-7).
            _ = try await connection.select("INBOX")
            try await connection.append(IMAPSamples.plain("c"), to: "INBOX")
            await connection.forgetCapability("MOVE")
            let later = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: state,
                                                              after: .move(to: "Επεξεργασμένα")) { uid, raw in try collector.deliver(uid, raw) }
            #expect(later.lastUID == 3)
            #expect(try await connection.select("INBOX").exists == 0)
            #expect(try await connection.select("Επεξεργασμένα").exists == 1)
            #expect(FileManager.default.fileExists(atPath: server.maildir.appendingPathComponent("." + IMAPEncoding.modifiedUTF7("Επεξεργασμένα")).path))
            await connection.logout()
        }
    }

    @Test func failedDeliveryStopsAndIsRetriedNextTime() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            _ = try await connection.select("INBOX")
            let messages = ["one", "two", "three"].map { IMAPSamples.plain($0) }
            for message in messages { try await connection.append(message, to: "INBOX") }
            let collector = Collector()
            collector.failOn = 2
            var state = IMAPSyncState()
            do {
                state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: state, after: .markSeen) { uid, raw in
                    try collector.deliver(uid, raw)
                }
                Issue.record("fetchNew did not throw")
            } catch let interrupted as IMAPFetchInterrupted {
                #expect(interrupted.deliveryFailed)
                #expect(interrupted.uid == 2)
                #expect(interrupted.underlying is DeliveryRefused)
                #expect(interrupted.state.lastUID == 1)
                state = interrupted.state
            }
            #expect(collector.delivered.map(\.uid) == [1])
            #expect(try await connection.flags(uid: 1)?.contains("\\Seen") == true)
            #expect(try await connection.flags(uid: 2)?.contains("\\Seen") == false)

            state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: state, after: .markSeen) { uid, raw in
                try collector.deliver(uid, raw)
            }
            #expect(collector.delivered.map(\.uid) == [1, 2, 3])
            #expect(collector.delivered.map(\.raw) == messages)
            #expect(state.lastUID == 3)
            await connection.logout()
        }
    }

    @Test func uidValidityChangeRestartsFromTheBeginning() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration())
            try await connection.create("Support")
            for subject in ["old 1", "old 2"] { try await connection.append(IMAPSamples.plain(subject), to: "Support") }
            let collector = Collector()
            let state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "Support", state: IMAPSyncState(),
                                                              after: .markSeen) { uid, raw in try collector.deliver(uid, raw) }
            #expect(state.lastUID == 2)

            // The mailbox is recreated: new UIDVALIDITY, and its first message has UID 1 < lastUID.
            _ = try await connection.select("INBOX")
            try await connection.delete("Support")
            try await connection.create("Support")
            let fresh = IMAPSamples.plain("after the reset")
            try await connection.append(fresh, to: "Support")
            let after = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "Support", state: state,
                                                              after: .markSeen) { uid, raw in try collector.deliver(uid, raw) }
            #expect(after.uidValidity != state.uidValidity)
            #expect(after.lastUID == 1)
            #expect(collector.delivered.count == 3)
            #expect(collector.delivered.last?.raw == fresh)
            await connection.logout()
        }
    }

    @Test func idleReportsNewMailAndTimesOut() async throws {
        try await withServer { server in
            let watcher = try await IMAPConnection.connect(server.configuration())
            _ = try await watcher.select("INBOX")
            let started = Date()
            #expect(try await watcher.idle(upTo: 1) == false)
            #expect(Date().timeIntervalSince(started) >= 0.9)
            try await watcher.noop()  // still in step after DONE

            let sender = try await IMAPConnection.connect(server.configuration())
            let idling = Task { try await watcher.idle(upTo: 20) }
            try await Task.sleep(for: .milliseconds(500))
            let appendedAt = Date()
            try await sender.append(IMAPSamples.plain("while idling"), to: "INBOX")
            #expect(try await idling.value == true)
            #expect(Date().timeIntervalSince(appendedAt) < 10)
            #expect(try await watcher.uidSearch(after: 0) == [1])
            await sender.logout()
            await watcher.logout()
        }
    }

    @Test(arguments: [IMAPConfiguration.Security.startTLS, .implicitTLS])
    func tls(_ security: IMAPConfiguration.Security) async throws {
        try await withServer { server in
            for host in ["127.0.0.1", "localhost"] {
                let connection = try await IMAPConnection.connect(server.configuration(security: security, host: host))
                #expect(!connection.hasCapability("STARTTLS"))  // dovecot stops offering it once TLS is on
                try await connection.append(IMAPSamples.greek, to: "INBOX")
                let collector = Collector()
                _ = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: IMAPSyncState(),
                                                          after: .move(to: "Processed")) { uid, raw in try collector.deliver(uid, raw) }
                #expect(collector.delivered.map(\.raw) == [IMAPSamples.greek])
                await connection.logout()
            }
            // Without the test certificate as a trust root the self-signed certificate is refused.
            do {
                let connection = try await IMAPConnection.connect(server.configuration(security: security, trusted: false))
                await connection.logout()
                Issue.record("an untrusted certificate was accepted")
            } catch let error as IMAPError {
                guard case .connection = error else { Issue.record("expected a connection error, got \(error)"); return }
            }
        }
    }

    @Test func tooLargeMessageIsSkippedWithoutStoppingTheMailbox() async throws {
        try await withServer { server in
            let connection = try await IMAPConnection.connect(server.configuration(maxMessageSize: 2000))
            _ = try await connection.select("INBOX")
            let big = IMAPSamples.plain("big", body: String(repeating: "0123456789abcdef\r\n", count: 400))
            let small = IMAPSamples.plain("small")
            try await connection.append(big, to: "INBOX")
            try await connection.append(small, to: "INBOX")
            await #expect(throws: IMAPError.messageTooLarge(uid: 1, size: big.count)) { try await connection.fetchMessage(uid: 1) }

            let collector = Collector()
            let skipped = Collector()
            let state = try await IMAPMailboxFetcher.fetchNew(on: connection, mailbox: "INBOX", state: IMAPSyncState(), after: .markSeen,
                                                              deliver: { uid, raw in try collector.deliver(uid, raw) },
                                                              tooLarge: { uid, size in try? skipped.deliver(uid, Array(repeating: 0, count: size)) })
            #expect(state.lastUID == 2)
            #expect(collector.delivered.map(\.raw) == [small])
            #expect(skipped.delivered.map(\.uid) == [1])
            #expect(skipped.delivered.first?.raw.count == big.count)
            #expect(try await connection.flags(uid: 1)?.contains("\\Seen") == false)  // left for a human
            await connection.logout()
        }
    }

    @Test func connectionErrors() async throws {
        try await withServer { server in
            // Nothing listens here any more once the server is gone.
            let configuration = server.configuration()
            await server.stopAndWait()
            do {
                _ = try await IMAPConnection.connect(configuration)
                Issue.record("connected to a stopped server")
            } catch let error as IMAPError {
                guard case .connection = error else { Issue.record("expected a connection error, got \(error)"); return }
                #expect(error.isTemporary)
            }
        }
    }
}
