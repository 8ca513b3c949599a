import Foundation
import Testing
import NIOCore
import NIOPosix
import NIOSSL
@testable import CareMail

/// The SMTP client against our own SMTP receiver (`SMTPServer`) over real sockets, each test
/// on its own port (port 0: the system picks a free one). `SMTPClient` alone is the test
/// target's smtplib driver (SMTPTestSupport.swift), hence `CareMail.SMTPClient` here.
@Suite struct SMTPClientTests {
    static let from = "agent@caredesk.example"

    static func configuration(_ port: Int, security: SMTPClientConfiguration.Security = .none, host: String = "127.0.0.1",
                              trusted: Bool = true) -> SMTPClientConfiguration {
        SMTPClientConfiguration(host: host, port: port, security: security, heloName: "caredesk.example", timeout: .seconds(10),
                                trustedCertificateFile: trusted ? SMTPFixtures.certificate : nil)
    }

    static func send(_ message: [UInt8], to recipients: [String] = ["help@support.example"],
                     _ configuration: SMTPClientConfiguration) async throws -> SMTPSendResult {
        try await CareMail.SMTPClient.send(message, from: from, to: recipients, using: configuration)
    }

    /// Runs `body` and returns the `SMTPClientError` it threw (failing the test if it threw none or another).
    static func failure(_ body: () async throws -> SMTPSendResult) async -> SMTPClientError? {
        do {
            let result = try await body()
            Issue.record("expected an SMTPClientError, the message was sent: \(result)")
        } catch let error as SMTPClientError {
            return error
        } catch {
            Issue.record("expected an SMTPClientError, got \(error)")
        }
        return nil
    }

    static let dotted: [UInt8] = Array(("From: agent@caredesk.example\r\nTo: help@support.example\r\nSubject: dots\r\n\r\n" +
        ".hidden\r\n..two\r\n.\r\n .\r\nlast line without line end").utf8)

    @Test func plainDeliveryIsByteExactWithDotStuffing() async throws {
        try await withServer { port, mailbox in
            let result = try await Self.send(Self.dotted, Self.configuration(port))
            #expect(result.acceptedRecipients == ["help@support.example"])
            #expect(result.rejectedRecipients.isEmpty)
            #expect(result.finalReply == "250 2.0.0 Message accepted for delivery")
            let delivered = await mailbox.delivered
            #expect(delivered.count == 1)
            #expect(delivered.first?.raw == Self.dotted + Array("\r\n".utf8), "a final CRLF is added, nothing else changes")
            let text = String(decoding: delivered.first?.raw ?? [], as: UTF8.self)
            #expect(text.contains("\r\n.hidden\r\n..two\r\n.\r\n .\r\n"))
            let envelope = try #require(delivered.first?.envelope)
            #expect(envelope.mailFrom == Self.from && envelope.rcptTo == ["help@support.example"])
            #expect(envelope.clientHelo == "caredesk.example" && !envelope.usedTLS)
        }
    }

    @Test func bareLineFeedsBecomeCRLFAndTheNullSender() async throws {
        try await withServer { port, mailbox in
            let message = Array("Subject: lf\n\nline one\n.dot\nend\n".utf8)
            _ = try await CareMail.SMTPClient.send(message, from: "", to: ["help@support.example"], using: Self.configuration(port))
            let delivered = await mailbox.delivered
            #expect(delivered.first?.raw == Array("Subject: lf\r\n\r\nline one\r\n.dot\r\nend\r\n".utf8))
            #expect(delivered.first?.envelope.mailFrom == "")
        }
    }

    @Test func greekMessageFromTheBuilderRoundTrips() async throws {
        try await withServer { port, mailbox in
            let text = "Καλησπέρα κύριε Παπαδόπουλε,\n\n.η γραμμή αυτή αρχίζει με τελεία\n.\nΗ παραγγελία σας στάλθηκε.\n\nΦιλικά,\nΗ ομάδα\n"
            let mail = OutgoingMail(
                from: MailAddress(name: "Υποστήριξη CareDesk", address: Self.from),
                to: [MailAddress(name: "Γιάννης Παπαδόπουλος", address: "help@support.example")],
                subject: "Απ: Παράπονο για την παραγγελία 1234 [#1234]", text: text,
                html: "<p>Καλησπέρα</p>\n<p>.τελεία</p>", messageId: "reply-1234.1@caredesk.example",
                inReplyTo: "original@customer.example", date: Date(timeIntervalSince1970: 1_738_574_100))
            let bytes = MIMEBuilder.build(mail)
            _ = try await Self.send(bytes, to: ["help@support.example", "sales@support.example"], Self.configuration(port))
            let delivered = try #require(await mailbox.delivered.first)
            #expect(delivered.raw == bytes)
            #expect(delivered.envelope.rcptTo == ["help@support.example", "sales@support.example"])
            let parsed = ParsedMail(parsing: delivered.raw)
            #expect(parsed.subject == "Απ: Παράπονο για την παραγγελία 1234 [#1234]")
            #expect(parsed.text == text)
            #expect(parsed.from?.name == "Υποστήριξη CareDesk")
            #expect(parsed.inReplyTo == ["original@customer.example"])
            #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        }
    }

    @Test func startTLSWithHostNameVerification() async throws {
        try await withServer(tls: true) { port, mailbox in
            for host in ["localhost", "127.0.0.1"] {  // checked against the certificate's DNS and IP names
                let result = try await Self.send(Self.dotted, Self.configuration(port, security: .startTLS, host: host))
                #expect(result.acceptedRecipients == ["help@support.example"])
            }
            let delivered = await mailbox.delivered
            #expect(delivered.count == 2)
            #expect(delivered.allSatisfy { $0.envelope.usedTLS })
            #expect(delivered.first?.raw == Self.dotted + Array("\r\n".utf8))
        }
    }

    @Test func untrustedCertificateIsPermanentAndNothingIsSent() async throws {
        try await withServer(tls: true) { port, mailbox in
            let error = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port, security: .startTLS, trusted: false)) }
            #expect(error?.isPermanent == true, "\(String(describing: error))")
            #expect(error?.message.contains("TLS") == true, "\(String(describing: error))")
            #expect(await mailbox.attempts == 0)
            #expect(await mailbox.checked.isEmpty)
        }
    }

    #if os(Linux)  // 127.0.0.2 is a loopback address on Linux only
    @Test func certificateForAnotherHostIsPermanent() async throws {
        // The certificate is trusted but names localhost and 127.0.0.1 only.
        try await withServer(tls: true, host: "127.0.0.2") { port, mailbox in
            let error = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port, security: .startTLS, host: "127.0.0.2")) }
            #expect(error?.isPermanent == true, "\(String(describing: error))")
            #expect(error?.message == "TLS with 127.0.0.2 failed: the server's certificate is not valid for the name 127.0.0.2",
                    "\(String(describing: error))")
            #expect(await mailbox.checked.isEmpty)
        }
    }
    #endif

    @Test func startTLSRequiredButNotOffered() async throws {
        try await withServer { port, mailbox in
            let error = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port, security: .startTLS)) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("does not offer STARTTLS") == true, "\(String(describing: error))")
            #expect(await mailbox.checked.isEmpty, "no MAIL/RCPT in the clear")
        }
    }

    @Test func rejectedRecipientIsReported() async throws {
        try await withServer { port, mailbox in
            let result = try await Self.send(Self.dotted, to: ["help@support.example", "someone@elsewhere.example", "sales@support.example"],
                                             Self.configuration(port))
            #expect(result.acceptedRecipients == ["help@support.example", "sales@support.example"])
            #expect(result.rejectedRecipients == [SMTPRejectedRecipient(
                address: "someone@elsewhere.example", code: 550, reply: "550 5.1.1 <someone@elsewhere.example>: no such mailbox here")])
            #expect(await mailbox.delivered.map(\.envelope.rcptTo) == [["help@support.example", "sales@support.example"]])

            let error = await Self.failure { try await Self.send(Self.dotted, to: ["a@elsewhere.example", "b@elsewhere.example"], Self.configuration(port)) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("All recipients refused") == true)
            #expect(await mailbox.attempts == 1)
        }
    }

    @Test func messageLargerThanTheServersSizeIsPermanent() async throws {
        try await withServer(maxMessageSize: 2000) { port, mailbox in
            let error = await Self.failure { try await Self.send(SMTPSamples.plain(subject: "big", bodyBytes: 10_000), Self.configuration(port)) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("at most 2000") == true, "\(String(describing: error))")
            #expect(await mailbox.checked.isEmpty, "refused before MAIL FROM")
            #expect(await mailbox.attempts == 0)
            // Just under the limit still goes.
            let fits = SMTPSamples.plain(subject: "fits", bodyBytes: 1800)
            #expect(fits.count <= 2000)
            _ = try await Self.send(fits, Self.configuration(port))
            #expect(await mailbox.delivered.map(\.raw) == [fits])
        }
    }

    @Test func handlerFailuresAreClassified() async throws {
        try await withServer { port, mailbox in
            await mailbox.failNext(with: SMTPDeliveryError.temporary("Database unavailable, try again later"))
            await mailbox.failNext(with: SMTPDeliveryError.permanent("Message refused"))
            let temporary = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port)) }
            #expect(temporary?.isPermanent == false)
            #expect(temporary?.message.contains("451 4.3.0 Database unavailable, try again later") == true, "\(String(describing: temporary))")
            let permanent = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port)) }
            #expect(permanent?.isPermanent == true)
            #expect(permanent?.message.contains("554 5.6.0 Message refused") == true)
            _ = try await Self.send(Self.dotted, Self.configuration(port))
            #expect(await mailbox.attempts == 3)
            #expect(await mailbox.delivered.count == 1)
        }
    }

    @Test func serverNotListeningIsTemporary() async throws {
        let port = try await Self.unusedPort()
        let started = ContinuousClock.now
        let error = await Self.failure { try await Self.send(Self.dotted, Self.configuration(port)) }
        #expect(error?.isPermanent == false)
        #expect(error?.message.contains("Cannot connect to 127.0.0.1:\(port)") == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func silentServerTimesOut() async throws {
        // Accepts connections and never says anything.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        var configuration = Self.configuration(port)
        configuration.timeout = .milliseconds(300)
        let started = ContinuousClock.now
        let error = await Self.failure { try await Self.send(Self.dotted, configuration) }
        try? await listener.close()
        #expect(error?.isPermanent == false)
        #expect(error?.message == "No reply from 127.0.0.1 within 300 ms", "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func cancellingTheTaskEndsTheConversation() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let task = Task { try await Self.send(Self.dotted, Self.configuration(port)) }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        task.cancel()
        let outcome = await task.result
        try? await listener.close()
        #expect(throws: SMTPClientError.self) { try outcome.get() }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    // MARK: - Helpers

    /// A port nothing listens on: bound once by us, then closed.
    static func unusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    func withServer(maxMessageSize: Int = 1_000_000, tls: Bool = false, host: String = "127.0.0.1", _ body: (Int, Mailbox) async throws -> Void) async throws {
        let mailbox = Mailbox()
        let tlsConfiguration = tls ? try SMTPServerConfiguration.tls(certificateChainFile: SMTPFixtures.certificate,
                                                                     privateKeyFile: SMTPFixtures.privateKey) : nil
        let configuration = SMTPServerConfiguration(host: host, port: 0, hostname: "mx.test", maxMessageSize: maxMessageSize, tls: tlsConfiguration)
        let server = SMTPServer(configuration: configuration,
                                recipientPolicy: { await mailbox.isOurs($0) },
                                deliver: { try await mailbox.deliver($0, $1) })
        let port = try await server.start()
        do {
            try await body(port, mailbox)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
