import Foundation
import Testing
@testable import CareMail

@Suite("MIME builder")
struct MIMEBuilderTests {
    static let date = Date(timeIntervalSince1970: 1_738_574_100)

    static func mail(subject: String, name: String, text: String, html: String? = nil, attachments: [OutgoingAttachment] = []) -> OutgoingMail {
        OutgoingMail(
            from: MailAddress(name: "Podrška CareDesk", address: "support@caredesk.example"),
            to: [MailAddress(name: name, address: "customer@example.com"), MailAddress(name: "Doe, John", address: "john@example.com")],
            replyTo: [MailAddress(address: "support+1234@caredesk.example")],
            subject: subject, text: text, html: html, messageId: "reply-1234.2@caredesk.example",
            inReplyTo: "CAGmail-en@mail.gmail.com", references: ["ticket-1234@caredesk.example", "CAGmail-en@mail.gmail.com"],
            attachments: attachments, date: date, extraHeaders: [MailHeader(name: "Auto-Submitted", value: "auto-replied")])
    }

    static let greekText = "Καλησπέρα κύριε Παπαδόπουλε,\n\nη παραγγελία σας στάλθηκε σήμερα. " +
        String(repeating: "Ευχαριστούμε για την υπομονή σας. ", count: 6) + "\n\nΦιλικά,\nΗ ομάδα υποστήριξης\n"
    static let croatianText = "Poštovana gospođo Đurđević,\n\nvaša narudžba je poslana. " +
        String(repeating: "Zahvaljujemo na strpljenju i žao nam je zbog čekanja. ", count: 4) + "\n\nLijep pozdrav,\nPodrška\n"

    @Test("round trip", arguments: [
        ("Απ: Παράπονο για την παραγγελία 1234 [#1234] — πολύ μεγάλο θέμα που πρέπει να διπλωθεί", "Γιάννης Παπαδόπουλος", greekText),
        ("Re: Reklamacija narudžbe 1234 [#1234] - čekam odgovor već tjedan dana, molim žurno", "Ivana Đurđević", croatianText),
        ("Plain ASCII subject that is long enough to need folding across more than one header line [#1234]", "John Smith", "Hello.\nBye.\n"),
    ])
    func roundTrip(subject: String, name: String, text: String) throws {
        let pdf = Texts.pdf
        let attachments = [
            OutgoingAttachment(filename: "Τιμολόγιο Μαρτίου για την παραγγελία 1234 με πολύ μακρύ όνομα.pdf", contentType: "application/pdf", bytes: pdf),
            OutgoingAttachment(filename: "Račun - Đurđević.txt", contentType: "text/plain", bytes: Array("čćžšđ".utf8)),
            OutgoingAttachment(filename: "plain.bin", bytes: Array(0...255)),
        ]
        let html = "<p>\(text.replacingOccurrences(of: "\n", with: "<br>"))</p>"
        let bytes = MIMEBuilder.build(Self.mail(subject: subject, name: name, text: text, html: html, attachments: attachments))
        let parsed = ParsedMail(parsing: bytes)

        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.subject == subject)
        #expect(parsed.from == MailAddress(name: "Podrška CareDesk", address: "support@caredesk.example"))
        #expect(parsed.to == [MailAddress(name: name, address: "customer@example.com"), MailAddress(name: "Doe, John", address: "john@example.com")])
        #expect(parsed.replyTo == [MailAddress(address: "support+1234@caredesk.example")])
        #expect(parsed.text == text)
        #expect(parsed.html == html)
        #expect(parsed.messageId == "reply-1234.2@caredesk.example")
        #expect(parsed.inReplyTo == ["CAGmail-en@mail.gmail.com"])
        #expect(parsed.references == ["ticket-1234@caredesk.example", "CAGmail-en@mail.gmail.com"])
        #expect(parsed.date == Self.date)
        #expect(parsed.attachments.map(\.filename) == attachments.map(\.filename))
        #expect(parsed.attachments.map(\.bytes) == attachments.map(\.bytes))
        #expect(parsed.attachments.map(\.contentType) == ["application/pdf", "text/plain", "application/octet-stream"])
        #expect(parsed.isAutoReply)  // we said Auto-Submitted: auto-replied

        // Every line at most 78 characters, all ASCII, CRLF only.
        let raw = String(decoding: bytes, as: UTF8.self)
        #expect(bytes.allSatisfy { $0 < 0x80 })
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        for line in raw.components(separatedBy: "\r\n") {
            #expect(line.count <= 78, "too long: \(line)")
        }
    }

    @Test func structureWithoutHTMLOrAttachmentsIsASinglePart() {
        let bytes = MIMEBuilder.build(Self.mail(subject: "Hi", name: "A", text: "Hello"))
        let root = MIMEParser().parse(bytes)
        #expect(root.contentType.mimeType == "text/plain")
        #expect(root.contentType.charset == "UTF-8")
        #expect(root.transferEncoding == .quotedPrintable)
        #expect(root.headers["MIME-Version"] == "1.0")
        #expect(root.headers["Date"] == "Mon, 03 Feb 2025 09:15:00 +0000")
        #expect(root.headers["Subject"] == "Hi")
    }

    @Test func greekTextIsBase64AndNonASCIIHeadersAreEncodedWords() {
        let bytes = MIMEBuilder.build(Self.mail(subject: "Παράπονο", name: "Γιάννης", text: Self.greekText, html: "<p>Γεια</p>"))
        let root = MIMEParser().parse(bytes)
        #expect(root.contentType.mimeType == "multipart/alternative")
        #expect(root.parts.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        #expect(root.parts[0].transferEncoding == .base64)
        #expect(root.headers["Subject"]?.hasPrefix("=?UTF-8?B?") == true)
        #expect(root.headers["To"]?.contains("=?UTF-8?B?") == true)
    }

    @Test func inlineImagesGoIntoRelated() {
        let image = OutgoingAttachment(filename: "logo.png", contentType: "image/png", bytes: [0x89, 0x50], contentId: "logo@caredesk")
        let file = OutgoingAttachment(filename: "a.pdf", contentType: "application/pdf", bytes: Texts.pdf)
        let bytes = MIMEBuilder.build(Self.mail(subject: "Hi", name: "A", text: "Hi", html: "<img src=\"cid:logo@caredesk\">", attachments: [image, file]))
        let root = MIMEParser().parse(bytes)
        #expect(root.contentType.mimeType == "multipart/mixed")
        #expect(root.parts[0].contentType.mimeType == "multipart/related")
        #expect(root.parts[0].parts.map(\.contentType.mimeType) == ["multipart/alternative", "image/png"])
        let parsed = ParsedMail(root: root)
        #expect(parsed.attachments.map(\.isInline) == [true, false])
        #expect(parsed.attachments.first?.contentId == "logo@caredesk")
    }

    @Test func rfc2231FilenameSectionsAreWritten() {
        let file = OutgoingAttachment(filename: "Τιμολόγιο.pdf", contentType: "application/pdf", bytes: [1])
        let raw = String(decoding: MIMEBuilder.build(Self.mail(subject: "x", name: "A", text: "x", attachments: [file])), as: UTF8.self)
        #expect(raw.contains("filename*0*=UTF-8''%CE%A4%CE%B9"))
        #expect(raw.contains("name=\"=?UTF-8?B?"))
    }

    @Test func headerInjectionIsNeutralised() {
        let bytes = MIMEBuilder.build(Self.mail(subject: "Hi\r\nBcc: victim@example.com", name: "A\r\nX-Evil: 1", text: "x"))
        let parsed = ParsedMail(parsing: bytes)
        #expect(!parsed.headers.contains("Bcc"))
        #expect(!parsed.headers.contains("X-Evil"))
        #expect(parsed.subject == "Hi Bcc: victim@example.com")
    }

    @Test func messageIdsAreUniqueAndWellFormed() {
        let ids = (0..<1_000).map { _ in MessageID.generate(domain: "caredesk.example") }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.hasSuffix("@caredesk.example") && !$0.contains(" ") && !$0.contains("<") })
        #expect(AddressParser.parseMessageIds("<\(ids[0])>") == [ids[0]])
    }
}
