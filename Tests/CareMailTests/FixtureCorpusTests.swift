import CareCore
import Foundation
import Testing
@testable import CareMail

/// What one fixture message must parse to.
struct FixtureExpectation: Sendable, CustomStringConvertible {
    var file: String
    var subject: String?
    var fromAddress: String?
    var fromName: String? = nil
    /// The whole text body, when given.
    var text: String? = nil
    /// Pieces the text body must contain.
    var contains: [String] = []
    /// Pieces the text body must not contain.
    var excludes: [String] = []
    var hasHTML = false
    /// Attachment file names (nil for an attachment without one), in order.
    var attachments: [String?] = []
    /// Whether `problems` must be non-empty; and a piece one of them must contain.
    var problems = false
    var problem: String? = nil
    /// The visible (non-quoted) part of the text, when the fixture is a reply.
    var visible: String? = nil
    var autoReply = false
    var bounce = false

    var description: String { file }
}

@Suite("Fixture corpus")
struct FixtureCorpusTests {
    static let greek = Texts.greekBody
    static let croatian = Texts.croatianBody

    static let corpus: [FixtureExpectation] = [
        // Greek in every charset
        .init(file: "greek-utf8-qp.eml", subject: Texts.greekSubject, fromAddress: "giannis@example.gr", fromName: Texts.greekName, text: greek),
        .init(file: "greek-iso8859-7-qp.eml", subject: Texts.greekSubject, fromAddress: "giannis@example.gr", fromName: Texts.greekName, text: greek),
        .init(file: "greek-iso8859-7-base64.eml", subject: Texts.greekSubject, fromAddress: "giannis@example.gr", fromName: Texts.greekName, text: greek),
        .init(file: "greek-windows1253-8bit.eml", subject: Texts.greekSubject, fromAddress: "giannis@example.gr", fromName: Texts.greekName, text: greek),
        .init(file: "greek-cp1253-alias.eml", subject: Texts.greekSubject, fromAddress: "giannis@example.gr", fromName: Texts.greekName, text: greek),
        // Croatian in every charset
        .init(file: "croatian-utf8-base64.eml", subject: Texts.croatianSubject, fromAddress: "ivana@example.hr", fromName: Texts.croatianName, text: croatian),
        .init(file: "croatian-iso8859-2-qp.eml", subject: Texts.croatianSubject, fromAddress: "ivana@example.hr", fromName: Texts.croatianName, text: croatian),
        .init(file: "croatian-windows1250-8bit.eml", subject: Texts.croatianSubject, fromAddress: "ivana@example.hr", fromName: Texts.croatianName, text: croatian),
        .init(file: "croatian-latin2-alias.eml", subject: Texts.croatianSubject, fromAddress: "ivana@example.hr", fromName: Texts.croatianName, text: croatian),
        // Other charsets
        .init(file: "western-iso8859-1.eml", subject: "Grüße aus München", fromAddress: "jm@example.de", fromName: "Jürgen Müller", text: "Crème brûlée, Grüße aus München.\n"),
        .init(file: "western-iso8859-15-euro.eml", subject: "Facture 30 €", fromAddress: "chloe@example.fr", fromName: "Chloé", text: "Prix : 30 €, œuvre complète.\n"),
        .init(file: "western-windows1252-quotes.eml", subject: "Invoice question", fromAddress: "pat@example.com", text: "We’re sorry – the “invoice” costs €30.\n"),
        .init(file: "cyrillic-koi8r.eml", subject: Texts.russianSubject, fromAddress: "ivan@example.ru", fromName: "Иван Петров", text: Texts.russianBody),
        .init(file: "cyrillic-windows1251.eml", subject: Texts.russianSubject, fromAddress: "ivan@example.ru", text: Texts.russianBody),
        .init(file: "plain-us-ascii.eml", subject: "Password reset does not work", fromAddress: "john@example.com", fromName: "John Smith",
              text: "Hello,\n\nthe reset link in your e-mail gives an error 500.\n\nJohn\n"),
        // Unlabeled and unknown charsets
        .init(file: "unlabeled-8bit-greek.eml", subject: "Unlabeled Greek", fromAddress: "giannis@example.gr", text: greek, problems: true, problem: "windows-1253 (guessed)"),
        .init(file: "unlabeled-8bit-croatian.eml", subject: "Unlabeled Croatian", fromAddress: "ivana@example.hr", text: croatian, problems: true, problem: "windows-1250 (guessed)"),
        .init(file: "unlabeled-8bit-utf8.eml", subject: Texts.croatianSubject, fromAddress: "ivana@example.hr", fromName: Texts.croatianName, text: croatian),
        .init(file: "unknown-charset.eml", subject: "Unknown charset", fromAddress: "someone@example.com", text: "Café ok\n", problems: true, problem: "unknown charset"),
        // RFC 2047 edge cases
        .init(file: "mixed-charset-subject.eml", subject: "Παράπονο για narudžbu (urgent) =?utf-8?x?broken?=", fromAddress: "djurdjica@example.hr", fromName: "Đurđica Šarić"),
        .init(file: "utf8-split-across-words.eml", subject: "Ελληνικά test", fromAddress: "a@example.gr"),
        // Reply shapes
        .init(file: "gmail-reply-en.eml", subject: "Re: Password reset [#1234]", fromAddress: "john@example.com", fromName: "John Smith",
              contains: ["> please try the link again."], hasHTML: true, visible: "Thanks, that fixed it!"),
        .init(file: "gmail-reply-el.eml", subject: "Απ: Παράπονο για την παραγγελία", fromAddress: "giannis@example.gr", fromName: Texts.greekName,
              hasHTML: true, visible: "Ευχαριστώ πολύ, λειτουργεί τώρα."),
        .init(file: "gmail-reply-hr.eml", subject: "Re: Reklamacija narudžbe", fromAddress: "ivana@example.hr", fromName: Texts.croatianName,
              hasHTML: true, visible: "Hvala, sada radi."),
        .init(file: "outlook-reply-en.eml", subject: "RE: Your order", fromAddress: "mary@example.com", fromName: "Mary Jones",
              hasHTML: true, visible: "Please cancel the order.\n\nRegards,\nMary"),
        .init(file: "outlook-reply-el.eml", subject: "ΑΠ: Η παραγγελία σας", fromAddress: "giannis@example.gr", hasHTML: true, visible: "Δεν το έχω λάβει ακόμα."),
        .init(file: "outlook-reply-hr.eml", subject: "ODG: Vaša narudžba", fromAddress: "ivana@example.hr", hasHTML: true, visible: "Molim storno."),
        .init(file: "outlook-reply-hr-od.eml", subject: "ODG: Termin", fromAddress: "ivana@example.hr", visible: "Može."),
        .init(file: "outlook-original-message.eml", subject: "RE: Ticket", fromAddress: "old.outlook@example.com", visible: "I still need help."),
        .init(file: "apple-mail-reply.eml", subject: "Re: Replacement", fromAddress: "ana@icloud.example", fromName: "Ana",
              visible: "Yes, please send a replacement.\n\nSent from my iPhone"),
        .init(file: "apple-mail-inline-image.eml", subject: "Broken screen", fromAddress: "ana@icloud.example",
              contains: ["Here is the photo:", "As you can see, the screen is cracked."], attachments: ["IMG_0042.png"]),
        .init(file: "thunderbird-reply-hr.eml", subject: "Re: Zamjena", fromAddress: "ivana@example.hr", fromName: Texts.croatianName,
              visible: "Slažem se s prijedlogom, ovo je prilično dugačka rečenica koja je prelomljena u dva retka."),
        .init(file: "thunderbird-reply-el.eml", subject: "Re: Επιστροφή χρημάτων", fromAddress: "giannis@example.gr", visible: "Εντάξει, ευχαριστώ."),
        // Structures
        .init(file: "html-only.eml", subject: "HTML only", fromAddress: "info@shop.example", fromName: "News",
              contains: ["Dear customer,", "your refund of 30 € is on its way."], excludes: ["color", "<p>"], hasHTML: true),
        .init(file: "related-html-cid.eml", subject: "Logo", fromAddress: "design@example.com", text: "See our logo below.\n", hasHTML: true, attachments: ["logo.png"]),
        .init(file: "forwarded-rfc822.eml", subject: "Fwd: complaint", fromAddress: "agent@shop.example",
              contains: ["Forwarding the customer's complaint."], attachments: [nil]),
        .init(file: "attachment-greek-filename-2231.eml", subject: "Τιμολόγιο", fromAddress: "giannis@example.gr",
              text: "Σας στέλνω το τιμολόγιο.", attachments: ["Τιμολόγιο Μαρτίου.pdf"]),
        .init(file: "attachment-2231-continuations.eml", subject: "Račun", fromAddress: "ivana@example.hr",
              text: "Račun u prilogu.", attachments: ["Račun za popravak uređaja - prosinac 2024 - Đurđević.pdf"]),
        .init(file: "attachment-2047-filename.eml", subject: "Documents", fromAddress: "user@example.com",
              text: "Two files.", attachments: ["Ugovor o najmu - čl. 5.docx", "Σχέδιο.png"]),
        .init(file: "nested-deep.eml", subject: "Nested", fromAddress: "deep@example.com", text: "Deep text.", hasHTML: true,
              attachments: [nil, "data.csv", "report.pdf"]),
        // Broken
        .init(file: "broken-missing-boundary-param.eml", subject: "No boundary", fromAddress: "broken@example.com",
              contains: ["This multipart has no boundary.", "Still readable."], problems: true, problem: "without boundary"),
        .init(file: "broken-no-closing-boundary.eml", subject: "Truncated", fromAddress: "broken@example.com", text: "First part.",
              attachments: [nil], problems: true, problem: "missing closing boundary"),
        .init(file: "broken-no-headers.eml", subject: nil, fromAddress: nil,
              contains: ["Hello, I am just text without any header", "and a second paragraph."], problems: true, problem: "no header section"),
        .init(file: "broken-wrong-boundary.eml", subject: "Wrong boundary", fromAddress: "broken@example.com",
              contains: ["The text is still here."], problems: true, problem: "boundary of multipart/alternative not found"),
        .init(file: "broken-bad-encodings.eml", subject: "Bad encodings", fromAddress: "broken@example.com",
              contains: ["Ελληνικό κείμενο σε base64 με σκουπίδια", "Price = 5 €, broken =ZZ and € lowercase, softbreak, trailing"]),
        .init(file: "broken-mbox-junk-header.eml", subject: "Mbox line and junk header", fromAddress: "broken@example.com",
              text: "Body after junk.\n", problems: true, problem: "malformed header line skipped"),
        .init(file: "broken-bad-date-addresses.eml", subject: "Bad date and addresses", fromAddress: "john@example.com", fromName: "Doe, John",
              text: "Body.\n", problems: true, problem: "unreadable Date"),
        // Bounces (they are automatic mail too)
        .init(file: "bounce-postfix-dsn.eml", subject: "Undelivered Mail Returned to Sender", fromAddress: "MAILER-DAEMON@mail.example.com",
              fromName: "Mail Delivery System", contains: ["could not\nbe delivered"], attachments: [nil, nil], autoReply: true, bounce: true),
        .init(file: "bounce-gmail-dsn.eml", subject: "Delivery Status Notification (Failure)", fromAddress: "mailer-daemon@googlemail.com",
              contains: ["Address not found"], hasHTML: true, attachments: [nil, nil], autoReply: true, bounce: true),
        .init(file: "bounce-qmail-plain.eml", subject: "failure notice", fromAddress: "MAILER-DAEMON@qmail.example.net",
              contains: ["Sorry, no mailbox here by that name."], autoReply: true, bounce: true),
        .init(file: "bounce-exim-delayed.eml", subject: "Warning: message 1abc-000123-Xy delayed 24 hours", fromAddress: "MAILER-DAEMON@exim.example.com",
              contains: ["not yet been delivered"], attachments: [nil, nil], autoReply: true, bounce: true),
        // Auto-replies
        .init(file: "autoreply-outlook-en.eml", subject: "Automatic reply: Your order", fromAddress: "mary@example.com", autoReply: true),
        .init(file: "autoreply-subject-el.eml", subject: "Εκτός γραφείου: Η παραγγελία σας", fromAddress: "giannis@example.gr", autoReply: true),
        .init(file: "autoreply-subject-el-2.eml", subject: "Αυτόματη απάντηση: Παράπονο", fromAddress: "giannis@example.gr", autoReply: true),
        .init(file: "autoreply-subject-hr.eml", subject: "Odsutna iz ureda", fromAddress: "ivana@example.hr", autoReply: true),
        .init(file: "autoreply-subject-hr-2.eml", subject: "Automatski odgovor: Vaša narudžba", fromAddress: "ivana@example.hr", autoReply: true),
        .init(file: "autoreply-gmail-vacation.eml", subject: "Re: Password reset [#1234]", fromAddress: "john@example.com", autoReply: true),
        .init(file: "autoreply-x-autoreply.eml", subject: "Thanks for your message", fromAddress: "robot@example.com", autoReply: true),
        .init(file: "autoreply-precedence-list.eml", subject: "[users] Weekly digest", fromAddress: "users-list@lists.example.org", autoReply: true),
        .init(file: "not-autoreply.eml", subject: "Out of stock question: when will it be back?", fromAddress: "c@example.com", fromName: "Customer",
              text: "Hello, when will the item be back in stock?\n"),
    ]

    @Test func everyFixtureHasAnExpectationAndThereAreAtLeastForty() throws {
        let names = try Fixtures.allNames()
        #expect(names.count >= 40)
        #expect(Set(names) == Set(Self.corpus.map(\.file)))
    }

    @Test(arguments: corpus)
    func fixture(_ e: FixtureExpectation) throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes(e.file))
        #expect(mail.subject == e.subject)
        #expect(mail.from?.address == e.fromAddress)
        if let name = e.fromName { #expect(mail.from?.name == name) }
        // What an agent reads: HTML-only mail made into text with CareCore's tools, as the mail channel does.
        let text = mail.readableText(htmlToText: HTMLSanitizer.plainText(fromHTML:))
        if let expected = e.text { #expect(text == expected) }
        for piece in e.contains { #expect(text.contains(piece), "text lacks \(piece): \(text)") }
        for piece in e.excludes { #expect(!text.contains(piece)) }
        #expect((mail.html != nil) == e.hasHTML)
        #expect(mail.attachments.map(\.filename) == e.attachments)
        #expect(!mail.problems.isEmpty == e.problems, "problems: \(mail.problems)")
        if let problem = e.problem { #expect(mail.problems.contains { $0.contains(problem) }, "problems: \(mail.problems)") }
        if let visible = e.visible {
            let split = QuotedHistory.split(text)
            #expect(split.visible == visible)
            #expect(!split.quoted.isEmpty)
        }
        #expect(mail.isAutoReply == e.autoReply, "reason: \(mail.autoReplyReason ?? "none")")
        #expect(mail.isBounce == e.bounce)
    }

    // MARK: - Details beyond the table

    @Test func threadingHeaders() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("gmail-reply-en.eml"))
        #expect(mail.messageId == "CAGmail-en@mail.gmail.com")
        #expect(mail.inReplyTo == ["reply-1234.1@caredesk.example"])
        #expect(mail.references == ["ticket-1234@caredesk.example", "reply-1234.1@caredesk.example"])
        #expect(mail.threadingIds == ["reply-1234.1@caredesk.example", "ticket-1234@caredesk.example"])
        #expect(mail.date == Date(timeIntervalSince1970: 1_738_574_100))
        #expect(mail.to == [MailAddress(name: "Podrška", address: "support@caredesk.example")])
    }

    @Test func inlineImageOfRelatedHTML() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("related-html-cid.eml"))
        let logo = try #require(mail.attachments.first)
        #expect(logo.contentId == "logo@example.com")
        #expect(logo.isInline)
        #expect(logo.contentType == "image/png")
        #expect(logo.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(mail.html?.contains("cid:logo@example.com") == true)
        #expect(HTMLSanitizer.sanitize(try #require(mail.html)).contains("src=\"cid:logo@example.com\""))
    }

    @Test func appleMailInlineImageIsInlineAndTextAroundItIsKept() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("apple-mail-inline-image.eml"))
        #expect(mail.attachments.first?.isInline == true)
        #expect(mail.attachments.first?.size == 70)
        let photo = try #require(mail.text.range(of: "Here is the photo:"))
        let cracked = try #require(mail.text.range(of: "cracked"))
        #expect(photo.upperBound < cracked.lowerBound)
    }

    @Test func forwardedMessageIsAnAttachmentAndAParsedMessage() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("forwarded-rfc822.eml"))
        #expect(mail.attachments.first?.contentType == "message/rfc822")
        #expect(mail.attachments.first?.isInline == false)
        let inner = try #require(mail.attachedMessages.first)
        #expect(inner.subject == Texts.greekSubject)
        #expect(inner.from?.name == Texts.greekName)
        #expect(inner.messageId == "inner-1@example.gr")
        #expect(inner.text == Texts.greekBody)
        #expect(ParsedMail(parsing: mail.attachments[0].bytes).subject == Texts.greekSubject)
    }

    @Test func attachmentBytesAreDecoded() throws {
        let greek = ParsedMail(parsing: try Fixtures.bytes("attachment-greek-filename-2231.eml"))
        #expect(greek.attachments.first?.bytes == Texts.pdf)
        #expect(greek.attachments.first?.contentType == "application/pdf")
        #expect(greek.attachments.first?.isInline == false)
        let truncated = ParsedMail(parsing: try Fixtures.bytes("broken-no-closing-boundary.eml"))
        #expect(truncated.attachments.first?.bytes == Array("%PDF-1.4\n".utf8))
    }

    @Test func nestedStructureSortsEverything() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("nested-deep.eml"))
        #expect(mail.html == "<p>Deep <img src=\"cid:dot@x\"> html.</p>")
        #expect(mail.attachments.map(\.contentType) == ["image/png", "text/csv", "application/pdf"])
        #expect(mail.attachments.map(\.isInline) == [true, false, false])
        #expect(mail.attachments[0].contentId == "dot@x")
        #expect(mail.attachments[1].bytes == Array("a,b\r\n1,2".utf8))  // 7bit: kept as sent
    }

    @Test func oddAddressHeaders() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("broken-bad-date-addresses.eml"))
        #expect(mail.date == nil)
        #expect(mail.to == [
            MailAddress(address: "a@example.com", group: "Team"),
            MailAddress(name: "B, Bee", address: "b@example.com", group: "Team"),
            MailAddress(name: "Plain Person", address: "plain@example.com"),
            MailAddress(name: "Broken Name", address: "broken@example.com"),
            MailAddress(address: "routed@example.com"),
        ])
        #expect(mail.cc == [MailAddress(name: "Γιάννης", address: "g@example.gr")])
        #expect(mail.replyTo.first?.name == "Quoted Twice")
        #expect(mail.headers["From"]?.contains("undisclosed-recipients") == true)
    }

    @Test func charsetWarningIsOnThePart() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("unknown-charset.eml"))
        #expect(mail.root.charsetWarning?.contains("x-mac-klingon") == true)
        let clean = ParsedMail(parsing: try Fixtures.bytes("greek-iso8859-7-qp.eml"))
        #expect(clean.root.charsetWarning == nil)
    }
}
