import CareCore
import CareData
import CareMail
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

/// The e-mail channel inside CareDesk: ingestion of received mail (threading, dedupe, loops, bounces,
/// attachments, unreadable mail), the SMTP receiver with its recipient policy, and replies by e-mail.
@Suite("E-mail channel")
struct EmailChannelTests {
    static func mailbox(_ app: Application, _ address: String = "podrska@firma.hr", team: Int? = nil) async throws -> Mailbox {
        try await app.care.store.mailboxes.create(MailboxSettings(address: address, name: "Firma Podrška", teamId: team,
                                                                  signature: "Lijep pozdrav,\nFirma d.o.o."), by: nil)
    }

    /// A small mail as a customer's program would write it (CRLF, UTF-8 body in quoted-printable).
    static func mail(from: String = "Ivana Horvat <ivana@example.hr>", to: String = "podrska@firma.hr", subject: String = "Pomoć s narudžbom",
                     messageId: String = "<\(UUID().uuidString)@example.hr>", inReplyTo: String? = nil, references: String? = nil,
                     body: String = "Dobar dan, narudžba još nije stigla.", extra: [String] = []) -> [UInt8] {
        var lines = ["From: \(from)", "To: \(to)", "Subject: \(subject)", "Date: Tue, 24 Nov 2026 10:00:00 +0100",
                     "Message-ID: \(messageId)", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                     "Content-Transfer-Encoding: 8bit"]
        if let inReplyTo { lines.append("In-Reply-To: \(inReplyTo)") }
        if let references { lines.append("References: \(references)") }
        lines += extra
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n").utf8)
    }

    static func fixture(_ name: String) throws -> [UInt8] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/mail")
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }

    static func stored(_ outcome: EmailIngestor.Outcome) throws -> IngestionResult {
        guard case .stored(let r) = outcome else { throw ConfigError("expected a stored message, got \(outcome)") }
        return r
    }

    @Test("received mail opens a conversation in the mailbox's team with the raw original kept", arguments: TestDatabase.available)
    func receive(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let box = try await Self.mailbox(app, team: f.teamB)
            let raw = Self.mail(subject: "=?UTF-8?B?UGFrZXQgbmlqZSBzdGlnYW8gxI1layBuaSBkYW5hcw==?=")
            let r = try Self.stored(try await app.care.email.ingestor.ingest(raw: raw, mailbox: box))
            #expect(r.created && r.openedConversation)
            let c = try #require(try await Conversation.find(r.conversationId, on: app.care.store.db))
            #expect(c.subject == "Paket nije stigao ček ni danas")
            #expect(c.$team.id == f.teamB && c.mailboxId == box.id && c.channel == .email)
            let m = try #require(try await Message.find(r.messageId, on: app.care.store.db))
            #expect(m.text.contains("narudžba još nije stigla"))
            #expect(app.care.blobs.get(try #require(m.rawKey)) == Data(raw))
            let customer = try await app.care.store.customers.find(r.customerId)
            #expect(customer.name == "Ivana Horvat")
            // The same mail again (an SMTP retry, or IMAP and SMTP both) is stored once.
            let again = try Self.stored(try await app.care.email.ingestor.ingest(raw: raw, mailbox: box))
            #expect(!again.created && again.messageId == r.messageId)
        }
    }

    @Test("replies thread by In-Reply-To/References, then by [#id]; a stranger's [#id] never joins", arguments: TestDatabase.available)
    func threading(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let box = try await Self.mailbox(app)
            let ingestor = app.care.email.ingestor
            let first = try Self.stored(try await ingestor.ingest(raw: Self.mail(messageId: "<first@example.hr>"), mailbox: box))
            // Changed subject, but In-Reply-To names her first mail.
            let second = try Self.stored(try await ingestor.ingest(raw: Self.mail(subject: "Nešto sasvim drugo", messageId: "<second@example.hr>",
                                                                                  inReplyTo: "<first@example.hr>"), mailbox: box))
            #expect(second.conversationId == first.conversationId && !second.openedConversation)
            // An answer to our reply: References name our Message-ID only.
            let ours = MailThreadReference.messageId(conversationId: first.conversationId, messageId: 999, domain: "firma.hr")
            let third = try Self.stored(try await ingestor.ingest(raw: Self.mail(subject: "Re: x", references: "<\(ours)>"), mailbox: box))
            #expect(third.conversationId == first.conversationId)
            // No headers, only the tag in the subject.
            let fourth = try Self.stored(try await ingestor.ingest(raw: Self.mail(subject: "Re: Pomoć [#\(first.conversationId)]"), mailbox: box))
            #expect(fourth.conversationId == first.conversationId)
            // Same subject and tag from another customer: a conversation of their own.
            let stranger = try Self.stored(try await ingestor.ingest(raw: Self.mail(from: "marko@example.hr",
                subject: "Re: Pomoć [#\(first.conversationId)]", inReplyTo: "<first@example.hr>"), mailbox: box))
            #expect(stranger.conversationId != first.conversationId && stranger.openedConversation)
            // A new mail without any reference is a new conversation, even with the same subject.
            let fresh = try Self.stored(try await ingestor.ingest(raw: Self.mail(), mailbox: box))
            #expect(fresh.conversationId != first.conversationId)
        }
    }

    @Test("mail from our own addresses is dropped; auto-replies are marked and do not reopen a resolved conversation")
    func loops() async throws {
        try await withCareApp { app, f in
            let box = try await Self.mailbox(app)
            let ingestor = app.care.email.ingestor
            let own = try await ingestor.ingest(raw: Self.mail(from: "Firma <PODRSKA@firma.hr>"), mailbox: box)
            #expect(own == .ignoredOwnAddress)
            #expect(try await Message.query(on: app.care.store.db).count() == 0)

            let first = try Self.stored(try await ingestor.ingest(raw: Self.mail(messageId: "<q@example.hr>"), mailbox: box))
            try await app.care.store.conversations.update(first.conversationId, ConversationChanges(status: .resolved), by: try f.viewer(f.admin, app.care.store))
            let away = try Self.stored(try await ingestor.ingest(raw: Self.mail(subject: "Automatski odgovor: Pomoć", inReplyTo: "<q@example.hr>",
                                                                                body: "Na godišnjem sam odmoru.", extra: ["Auto-Submitted: auto-replied"]), mailbox: box))
            #expect(away.conversationId == first.conversationId)
            let m = try #require(try await Message.find(away.messageId, on: app.care.store.db))
            #expect(m.automaticReason != nil)
            let c = try #require(try await Conversation.find(first.conversationId, on: app.care.store.db))
            #expect(c.status == .resolved)
            // A person writing again does reopen it.
            _ = try await ingestor.ingest(raw: Self.mail(inReplyTo: "<q@example.hr>", body: "Još uvijek ništa."), mailbox: box)
            #expect(try await Conversation.find(first.conversationId, on: app.care.store.db)?.status == .open)
        }
    }

    @Test("a bounce of our reply marks it not delivered, with the reason in the thread", arguments: TestDatabase.available)
    func bounce(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let box = try await Self.mailbox(app)
            let store = app.care.store
            let r = try Self.stored(try await app.care.email.ingestor.ingest(raw: Self.mail(), mailbox: box))
            let reply = try await store.conversations.addAgentMessage(to: r.conversationId, direction: .outbound, text: "Provjeravamo.",
                                                                      by: try f.viewer(f.admin, store)).message
            let ourId = MailThreadReference.messageId(conversationId: r.conversationId, messageId: reply.id!, domain: "firma.hr")
            let dsn = """
                From: Mail Delivery System <MAILER-DAEMON@mx.example.hr>\r
                To: podrska@firma.hr\r
                Subject: Undelivered Mail Returned to Sender\r
                Message-ID: <bounce1@mx.example.hr>\r
                MIME-Version: 1.0\r
                Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r
                \r
                --b1\r
                Content-Type: text/plain\r
                \r
                Your message could not be delivered.\r
                --b1\r
                Content-Type: message/delivery-status\r
                \r
                Reporting-MTA: dns; mx.example.hr\r
                \r
                Final-Recipient: rfc822; ivana@example.hr\r
                Action: failed\r
                Status: 5.1.1\r
                Diagnostic-Code: smtp; 550 5.1.1 User unknown\r
                --b1\r
                Content-Type: text/rfc822-headers\r
                \r
                Message-ID: <\(ourId)>\r
                Subject: Re: Pomoć s narudžbom\r
                --b1--\r

                """
            let outcome = try await app.care.email.ingestor.ingest(raw: Array(dsn.utf8), mailbox: box)
            #expect(outcome == .bounceRecorded(conversationId: r.conversationId, messageId: reply.id!))
            #expect(try await Message.find(reply.id!, on: store.db)?.deliveryStatus == .failed)
            let event = try await Message.query(on: store.db).filter(\.$eventKind == "delivery_failed").first()
            #expect(event?.eventDetails["recipient"] == "ivana@example.hr" && event?.eventDetails["status"] == "5.1.1")
            // A forged report naming the message under another conversation changes nothing.
            let forged = dsn.replacingOccurrences(of: ourId, with: MailThreadReference.messageId(conversationId: r.conversationId + 1,
                                                                                                  messageId: reply.id!, domain: "firma.hr"))
            if case .bounceRecorded = try await app.care.email.ingestor.ingest(raw: Array(forged.utf8), mailbox: box) {
                Issue.record("a bounce naming the wrong conversation was recorded")
            }
        }
    }

    @Test("broken MIME is stored with a visible flag; attachments are kept by content, over the limit listed as not kept")
    func brokenAndAttachments() async throws {
        var config = CareConfig(runWorker: false)
        config.mail.maxAttachmentBytes = 2000
        try await withCareApp(configure: config) { app, f in
            let box = try await Self.mailbox(app, team: f.teamA)
            let ingestor = app.care.email.ingestor
            let broken = try Self.stored(try await ingestor.ingest(raw: try Self.fixture("broken-no-closing-boundary.eml"), mailbox: box))
            let bm = try #require(try await Message.find(broken.messageId, on: app.care.store.db))
            #expect(!bm.problems.isEmpty)

            let small = Data(repeating: 0x41, count: 500).base64EncodedString()
            let big = Data(repeating: 0x42, count: 5000).base64EncodedString()
            let raw = """
                From: maria@example.gr\r
                To: podrska@firma.hr\r
                Subject: Τιμολόγιο\r
                Message-ID: <att@example.gr>\r
                MIME-Version: 1.0\r
                Content-Type: multipart/mixed; boundary="x"\r
                \r
                --x\r
                Content-Type: text/plain; charset=utf-8\r
                \r
                Σας στέλνω το τιμολόγιο.\r
                --x\r
                Content-Type: application/pdf\r
                Content-Disposition: attachment; filename*=UTF-8''%CF%84%CE%B9%CE%BC%CE%BF%CE%BB%CF%8C%CE%B3%CE%B9%CE%BF.pdf\r
                Content-Transfer-Encoding: base64\r
                \r
                \(small)\r
                --x\r
                Content-Type: application/zip; name="big.zip"\r
                Content-Disposition: attachment; filename="big.zip"\r
                Content-Transfer-Encoding: base64\r
                \r
                \(big)\r
                --x--\r

                """
            let r = try Self.stored(try await ingestor.ingest(raw: Array(raw.utf8), mailbox: box))
            let m = try #require(try await Message.find(r.messageId, on: app.care.store.db))
            let files = m.attachments
            #expect(files.map(\.filename) == ["τιμολόγιο.pdf", "big.zip"])
            #expect(files[0].storageKey != nil && files[1].storageKey == nil)
            #expect(app.care.blobs.get(files[0].storageKey!) == Data(repeating: 0x41, count: 500))
            #expect(m.problems.contains { $0.contains("big.zip") })

            // The agent of the team sees the flag and can download; an agent of another team cannot.
            let eleni = try await signIn(app, email: f.agentA.email)
            let page = try await app.testing().sendRequest(.GET, "/conversations/\(broken.conversationId)", headers: eleni.headers).body.string
            #expect(page.contains("class=\"flag problems\""))
            let download = try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/attachments/0", headers: eleni.headers)
            #expect(download.status == .ok && download.body.readableBytes == 500, "\(download.status) \(download.body.string.prefix(300))")
            #expect(download.headers.first(name: .contentDisposition)?.hasPrefix("attachment;") == true)
            #expect(download.headers.first(name: .contentDisposition)?.contains("UTF-8''%CF%84") == true)
            #expect(download.headers.first(name: .contentType) == "application/octet-stream")
            let original = try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/original", headers: eleni.headers)
            #expect(original.status == .ok && original.body.string.contains("Message-ID: <att@example.gr>"))
            let ivana = try await signIn(app, email: f.agentB.email)
            #expect(try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/attachments/0", headers: ivana.headers).status == .notFound)
            #expect(try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/original", headers: ivana.headers).status == .notFound)
            #expect(try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/attachments/1", headers: eleni.headers).status == .notFound)
            #expect(try await app.testing().sendRequest(.GET, "/messages/\(r.messageId)/attachments/0").status != .ok)
        }
    }

    @Test("quoted history is folded in the thread; inline images point at the stored file")
    func threadView() async throws {
        try await withCareApp { app, f in
            let box = try await Self.mailbox(app)
            let r = try Self.stored(try await app.care.email.ingestor.ingest(raw: try Self.fixture("gmail-reply-hr.eml"), mailbox: box))
            let admin = try await signIn(app, email: f.admin.email)
            let page = try await app.testing().sendRequest(.GET, "/conversations/\(r.conversationId)", headers: admin.headers).body.string
            #expect(page.contains("<details class=\"quoted\">"))
            let inline = try Self.stored(try await app.care.email.ingestor.ingest(raw: try Self.fixture("related-html-cid.eml"), mailbox: box))
            let html = try await app.testing().sendRequest(.GET, "/conversations/\(inline.conversationId)", headers: admin.headers).body.string
            #expect(html.contains("src=\"/messages/\(inline.messageId)/attachments/"))
            #expect(!html.contains("src=\"cid:"))
        }
    }

    @Test("Admin → Mailboxes: admins only, CSRF checked, bad input refused, the IMAP password stored sealed and kept when left empty")
    func adminMailboxes() async throws {
        try await withCareApp { app, f in
            let agent = try await signIn(app, email: f.agentA.email)
            #expect(try await app.testing().sendRequest(.GET, "/admin/mailboxes", headers: agent.headers).status == .forbidden)
            #expect(try await postForm(app, "/admin/mailboxes", as: agent, ["address": "x@firma.hr", "name": "X"]).status == .forbidden)
            let admin = try await signIn(app, email: f.admin.email)
            let fields = ["address": "Prodaja@Firma.hr", "name": "Firma <Prodaja>", "team": String(f.teamB), "signature": "Pozdrav",
                          "active": "on", "imap_host": "imap.firma.hr", "imap_port": "993", "imap_security": "tls",
                          "imap_username": "prodaja", "imap_password": "tajna-lozinka-1", "imap_folder": "INBOX", "imap_move_to": "Obrađeno"]
            #expect(try await postForm(app, "/admin/mailboxes", as: admin, fields, csrf: "forged").status == .forbidden)
            #expect(try await postForm(app, "/admin/mailboxes", as: admin, fields).status == .seeOther)
            let box = try #require(try await app.care.store.mailboxes.all().first { $0.address == "prodaja@firma.hr" })
            #expect(box.teamId == f.teamB && box.imapMoveTo == "Obrađeno" && box.pollsIMAP)
            let sealed = try #require(box.imapPasswordSealed)
            #expect(!sealed.contains("tajna") && app.care.secrets.open(sealed) == "tajna-lozinka-1")
            let list = try await app.testing().sendRequest(.GET, "/admin/mailboxes", headers: admin.headers).body.string
            #expect(list.contains("prodaja@firma.hr") && list.contains("Firma &lt;Prodaja&gt;") && !list.contains("tajna-lozinka"))
            // Saving without a new password keeps the stored one.
            var edit = fields
            edit["imap_password"] = ""
            edit["signature"] = "Novi potpis"
            #expect(try await postForm(app, "/admin/mailboxes/\(box.id!)", as: admin, edit).status == .seeOther)
            let edited = try await app.care.store.mailboxes.find(box.id!)
            #expect(edited.signature == "Novi potpis" && edited.imapPasswordSealed == sealed)
            // Refused with a reason: not an address, a taken address, a bad port, an unknown team.
            for (field, value) in [("address", "not-an-address"), ("imap_port", "99999"), ("team", "424242"), ("imap_security", "ssl3")] {
                var bad = fields
                bad[field] = value
                bad["address"] = field == "address" ? value : "drugi@firma.hr"
                let r = try await postForm(app, "/admin/mailboxes", as: admin, bad)
                #expect(r.status == .unprocessableEntity || r.status == .badRequest, "\(field)=\(value) gave \(r.status)")
            }
            #expect(try await postForm(app, "/admin/mailboxes", as: admin, fields).status == .conflict)
            #expect(try await postForm(app, "/admin/mailboxes/\(box.id!)/delete", as: admin, [:]).status == .seeOther)
            #expect(try await app.care.store.mailboxes.all().isEmpty)
            let audit = try await app.care.store.audit.entries(cursor: nil, limit: 10, action: nil).items.map(\.action)
            #expect(audit.contains("mailbox.create") && audit.contains("mailbox.update") && audit.contains("mailbox.delete"))
        }
    }

    @Test("e-mail settings from the environment, with clear errors")
    func configuration() throws {
        let defaults = try CareConfig.fromEnvironment([:]).mail
        #expect(defaults.listen == .init(host: "127.0.0.1", port: 2525) && defaults.relay == nil)
        let set = try CareConfig.fromEnvironment(["CAREDESK_SMTP_LISTEN": "0.0.0.0:25", "CAREDESK_SMTP_RELAY": "smtp.firma.hr:587",
                                                  "CAREDESK_SMTP_RELAY_SECURITY": "TLS", "CAREDESK_IMAP_POLL_SECONDS": "30"]).mail
        #expect(set.listen == .init(host: "0.0.0.0", port: 25) && set.relay == .init(host: "smtp.firma.hr", port: 587))
        #expect(set.relaySecurity == "tls" && set.imapPollSeconds == 30)
        #expect(try CareConfig.fromEnvironment(["CAREDESK_SMTP_LISTEN": "off"]).mail.listen == nil)
        for bad in [["CAREDESK_SMTP_LISTEN": "nowhere"], ["CAREDESK_SMTP_RELAY": "smtp.firma.hr"],
                    ["CAREDESK_SMTP_RELAY_SECURITY": "ssl"], ["CAREDESK_SMTP_TLS_CERT": "/x.pem"]] {
            #expect(throws: ConfigError.self) { try CareConfig.fromEnvironment(bad) }
        }
    }
}
