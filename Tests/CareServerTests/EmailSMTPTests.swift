import CareCore
import CareData
import CareMail
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

/// What a local SMTP sink received.
final class MailSink: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [(SMTPEnvelope, [UInt8])] = []
    var mails: [(envelope: SMTPEnvelope, raw: [UInt8])] { lock.withLock { received.map { ($0.0, $0.1) } } }
    func add(_ envelope: SMTPEnvelope, _ raw: [UInt8]) { lock.withLock { received.append((envelope, raw)) } }

    /// A real SMTP server on a free port that keeps what it gets; `accept` decides each recipient.
    static func start(accept: @escaping @Sendable (String) -> Bool = { _ in true }) async throws -> (MailSink, SMTPServer, Int) {
        let sink = MailSink()
        let server = SMTPServer(configuration: SMTPServerConfiguration(host: "127.0.0.1", port: 0, hostname: "sink.test"),
                                recipientPolicy: { accept($0) }, deliver: { envelope, raw in sink.add(envelope, raw) })
        let port = try await server.start()
        return (sink, server, port)
    }
}

final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func add(_ line: String) { lock.withLock { lines.append(line) } }
}

@Suite("E-mail over SMTP")
struct EmailSMTPTests {
    static func receiverConfig(maxBytes: Int = 1_000_000) -> MailConfig {
        var mail = MailConfig()
        mail.listen = .init(host: "127.0.0.1", port: 0)
        mail.hostname = "caredesk.test"
        mail.maxMessageBytes = maxBytes
        return mail
    }

    static func plain(_ port: Int) -> SMTPClientConfiguration {
        SMTPClientConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: .seconds(10))
    }

    @Test("the receiver takes mail only for our addresses and answers 250 after the commit", arguments: TestDatabase.available)
    func receiver(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let box = try await EmailChannelTests.mailbox(app, team: f.teamA)
            _ = try await app.care.store.mailboxes.create(MailboxSettings(address: "stari@firma.hr", name: "Stari", active: false), by: nil)
            let receiver = try EmailReceiver(config: Self.receiverConfig(), ingestor: app.care.email.ingestor, logger: app.logger)
            let port = try await receiver.start()
            defer { Task { await receiver.stop() } }
            let raw = EmailChannelTests.mail(messageId: "<over-smtp@example.hr>")
            let result = try await SMTPClient.send(raw, from: "ivana@example.hr", to: ["PODRSKA@firma.hr", "nobody@firma.hr", "stari@firma.hr"],
                                                   using: Self.plain(port))
            #expect(result.acceptedRecipients == ["PODRSKA@firma.hr"])
            #expect(result.rejectedRecipients.map(\.code) == [550, 550])
            // 250 came after the commit: the message is there the moment the client returns.
            let stored = try #require(try await Message.query(on: app.care.store.db).filter(\.$externalId == "over-smtp@example.hr").first())
            let conversation = try #require(try await Conversation.find(stored.$conversation.id, on: app.care.store.db))
            #expect(conversation.mailboxId == box.id && conversation.$team.id == f.teamA)
            // Relaying for others is refused outright.
            await #expect(throws: SMTPClientError.self) {
                try await SMTPClient.send(raw, from: "spammer@example.com", to: ["victim@example.org"], using: Self.plain(port))
            }
        }
    }

    @Test("mailgate hands piped mail to the receiver: 0 when stored, 67 for a stranger's address, 75 when CareDesk is down")
    func mailgate() async throws {
        try await withCareApp { app, _ in
            _ = try await EmailChannelTests.mailbox(app)
            let receiver = try EmailReceiver(config: Self.receiverConfig(), ingestor: app.care.email.ingestor, logger: app.logger)
            let port = try await receiver.start()
            var options = Mailgate.Options()
            options.endpoint = .init(host: "127.0.0.1", port: port)
            let lines = LinesBox()
            // Without --recipient the addresses of the message are offered.
            let raw = EmailChannelTests.mail(to: "Podrška <podrska@firma.hr>, drugi@example.hr", messageId: "<piped@example.hr>")
            #expect(await Mailgate.deliver(raw, options: options, config: MailConfig(), report: lines.add) == Mailgate.delivered)
            #expect(try await Message.query(on: app.care.store.db).filter(\.$externalId == "piped@example.hr").count() == 1)
            options.recipients = ["nepoznat@firma.hr"]
            #expect(await Mailgate.deliver(EmailChannelTests.mail(), options: options, config: MailConfig(), report: lines.add) == Mailgate.unknownRecipient)
            await receiver.stop()
            options.recipients = ["podrska@firma.hr"]
            #expect(await Mailgate.deliver(EmailChannelTests.mail(), options: options, config: MailConfig(), report: lines.add) == Mailgate.temporaryFailure)
            #expect(lines.all.count == 3)
            #expect(try Mailgate.Options.parse(["--recipient", "a@b.hr", "-f", "c@d.hr", "--smtp", "127.0.0.1:2525"])
                    == Mailgate.Options(recipients: ["a@b.hr"], sender: "c@d.hr", endpoint: .init(host: "127.0.0.1", port: 2525)))
            #expect(throws: ConfigError.self) { try Mailgate.Options.parse(["--bogus"]) }
        }
    }

    @Test("a message over the size limit is refused (the receiver announces SIZE; 552 at DATA is in CareMailTests) and nothing is stored")
    func sizeLimit() async throws {
        try await withCareApp { app, _ in
            _ = try await EmailChannelTests.mailbox(app)
            let receiver = try EmailReceiver(config: Self.receiverConfig(maxBytes: 2000), ingestor: app.care.email.ingestor,
                                             logger: app.logger)
            let port = try await receiver.start()
            defer { Task { await receiver.stop() } }
            let raw = EmailChannelTests.mail(body: String(repeating: "velika poruka ", count: 500))
            do {
                _ = try await SMTPClient.send(raw, from: "ivana@example.hr", to: ["podrska@firma.hr"], using: Self.plain(port))
                Issue.record("an oversized message was accepted")
            } catch let error as SMTPClientError {
                #expect(error.isPermanent && error.description.contains("2000"))
            }
            #expect(try await Message.query(on: app.care.store.db).count() == 0)
        }
    }

    @Test("an agent's reply leaves by e-mail from the mailbox, threaded, and the customer's answer comes back to it",
          arguments: TestDatabase.available)
    func replyByEmail(db: TestDatabase) async throws {
        let (sink, server, port) = try await MailSink.start()
        defer { Task { await server.stop() } }
        var config = CareConfig(runWorker: false)
        config.mail.relay = .init(host: "127.0.0.1", port: port)
        config.mail.relaySecurity = "none"
        try await withCareApp(db, configure: config) { app, f in
            let store = app.care.store
            let box = try await EmailChannelTests.mailbox(app)
            let first = try EmailChannelTests.stored(try await app.care.email.ingestor.ingest(
                raw: EmailChannelTests.mail(subject: "Narudžba 1234", messageId: "<cust-1@example.hr>"), mailbox: box))
            let reply = try await store.conversations.addAgentMessage(to: first.conversationId, direction: .outbound,
                                                                      text: "Poštovana, paket stiže sutra.\nΕυχαριστούμε!",
                                                                      by: try f.viewer(f.agentA, store)).message
            #expect(try await app.outboxWorker.drainOnce() == 1)
            let (envelope, raw) = try #require(sink.mails.first)
            #expect(envelope.mailFrom == "podrska@firma.hr" && envelope.rcptTo == ["ivana@example.hr"])
            let mail = ParsedMail(parsing: raw)
            #expect(mail.from == MailAddress(name: "Firma Podrška", address: "podrska@firma.hr"))
            #expect(mail.to.map(\.address) == ["ivana@example.hr"] && mail.replyTo.map(\.address) == ["podrska@firma.hr"])
            #expect(mail.subject == "Re: Narudžba 1234 [#\(first.conversationId)]")
            #expect(mail.inReplyTo == ["cust-1@example.hr"] && mail.references.contains("cust-1@example.hr"))
            #expect(mail.messageId == MailThreadReference.messageId(conversationId: first.conversationId, messageId: reply.id!, domain: "firma.hr"))
            #expect(mail.text.contains("paket stiže sutra.\nΕυχαριστούμε!") && mail.text.contains("Lijep pozdrav,\nFirma d.o.o."))
            #expect(mail.html?.contains("Ευχαριστούμε!") == true)
            #expect(mail.headers["auto-submitted"] == nil)
            #expect(raw.allSatisfy { $0 < 0x80 })
            #expect(try await Message.find(reply.id!, on: store.db)?.deliveryStatus == .sent)

            // Her mail program answers our Message-ID: back into the same conversation.
            let answer = try EmailChannelTests.stored(try await app.care.email.ingestor.ingest(
                raw: EmailChannelTests.mail(subject: "Re: Narudžba 1234", inReplyTo: "<\(mail.messageId!)>"), mailbox: box))
            #expect(answer.conversationId == first.conversationId)
        }
    }

    struct ReplyUpload: Content {
        var _csrf: String
        var body: String
        var files: [File]
    }

    @Test("an agent attaches files to a reply in the web UI; they are stored by content and leave with the e-mail")
    func replyWithAttachment() async throws {
        let (sink, server, port) = try await MailSink.start()
        defer { Task { await server.stop() } }
        var config = CareConfig(runWorker: false)
        config.mail.relay = .init(host: "127.0.0.1", port: port)
        config.mail.relaySecurity = "none"
        config.mail.maxAttachmentBytes = 100_000
        try await withCareApp(configure: config) { app, f in
            let box = try await EmailChannelTests.mailbox(app)
            let r = try EmailChannelTests.stored(try await app.care.email.ingestor.ingest(raw: EmailChannelTests.mail(), mailbox: box))
            let admin = try await signIn(app, email: f.admin.email)
            let pdf = ByteBuffer(bytes: Array("%PDF-1.4 ponuda".utf8))
            let upload = ReplyUpload(_csrf: admin.csrf, body: "U privitku je ponuda.",
                                     files: [File(data: pdf, filename: "ponuda-čćž.pdf")])
            let sent = try await app.testing().sendRequest(.POST, "/conversations/\(r.conversationId)/reply", headers: admin.headers,
                                                           beforeRequest: { try $0.content.encode(upload, as: .formData) })
            #expect(sent.status == .seeOther)
            let reply = try #require(try await Message.query(on: app.care.store.db).filter(\.$directionRaw == "outbound").first())
            #expect(reply.attachments.map(\.filename) == ["ponuda-čćž.pdf"])
            #expect(app.care.blobs.get(try #require(reply.attachments.first?.storageKey)) == Data("%PDF-1.4 ponuda".utf8))
            #expect(try await app.outboxWorker.drainOnce() == 1)
            let mail = ParsedMail(parsing: try #require(sink.mails.first).raw)
            #expect(mail.attachments.map(\.filename) == ["ponuda-čćž.pdf"])
            #expect(mail.attachments.first?.bytes == Array("%PDF-1.4 ponuda".utf8))
            // Too large, and without the form token: refused.
            let big = ReplyUpload(_csrf: admin.csrf, body: "x", files: [File(data: ByteBuffer(repeating: 1, count: 200_000), filename: "big.bin")])
            let refused = try await app.testing().sendRequest(.POST, "/conversations/\(r.conversationId)/reply", headers: admin.headers,
                                                              beforeRequest: { try $0.content.encode(big, as: .formData) })
            #expect(refused.status == .unprocessableEntity)
            let forged = ReplyUpload(_csrf: "wrong", body: "x", files: [])
            let noToken = try await app.testing().sendRequest(.POST, "/conversations/\(r.conversationId)/reply", headers: admin.headers,
                                                              beforeRequest: { try $0.content.encode(forged, as: .formData) })
            #expect(noToken.status == .forbidden)
            #expect(try await Message.query(on: app.care.store.db).filter(\.$directionRaw == "outbound").count() == 1)
        }
    }

    @Test("a recipient the relay refuses fails the reply at once, visibly")
    func permanentFailure() async throws {
        let (_, server, port) = try await MailSink.start(accept: { _ in false })
        defer { Task { await server.stop() } }
        var config = CareConfig(runWorker: false)
        config.mail.relay = .init(host: "127.0.0.1", port: port)
        config.mail.relaySecurity = "none"
        try await withCareApp(configure: config) { app, f in
            let store = app.care.store
            let box = try await EmailChannelTests.mailbox(app)
            let r = try EmailChannelTests.stored(try await app.care.email.ingestor.ingest(raw: EmailChannelTests.mail(), mailbox: box))
            let reply = try await store.conversations.addAgentMessage(to: r.conversationId, direction: .outbound, text: "Evo",
                                                                      by: try f.viewer(f.admin, store)).message
            #expect(try await app.outboxWorker.drainOnce() == 1)
            let item = try #require(try await OutboxItem.query(on: store.db).first())
            #expect(item.state == .failed && item.attempts == 1 && item.lastError?.contains("550") == true)
            #expect(try await Message.find(reply.id!, on: store.db)?.deliveryStatus == .failed)
        }
    }
}
