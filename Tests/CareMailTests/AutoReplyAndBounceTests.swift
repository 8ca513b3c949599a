import Testing
@testable import CareMail

@Suite("Auto-replies and bounces")
struct AutoReplyAndBounceTests {
    private func headers(_ fields: [(String, String)]) -> MailHeaders {
        MailHeaders(fields.map { MailHeader(name: $0.0, value: $0.1) })
    }

    @Test("headers that mark automatic mail", arguments: [
        ("Auto-Submitted", "auto-replied"), ("Auto-Submitted", "auto-generated; owner-email=\"x@y\""),
        ("X-Autoreply", "yes"), ("X-Autorespond", "Vacation"), ("X-Autoresponder", "1"),
        ("Precedence", "bulk"), ("Precedence", "JUNK"), ("Precedence", "list"), ("X-Precedence", "auto_reply"),
        ("Return-Path", "<>"), ("X-Failed-Recipients", "a@b"),
        ("Content-Type", "multipart/report; report-type=disposition-notification; boundary=x"),
    ])
    func automaticHeaders(name: String, value: String) {
        #expect(AutoReplyDetection.reason(headers: headers([(name, value)]), subject: "Hello") != nil)
    }

    @Test func autoSubmittedNoAndOrdinaryPrecedenceAreNotAutomatic() {
        #expect(AutoReplyDetection.reason(headers: headers([("Auto-Submitted", "no"), ("Precedence", "first-class")]), subject: "Hello") == nil)
        #expect(AutoReplyDetection.reason(headers: headers([("X-Autoreply", "no")]), subject: nil) == nil)
    }

    @Test("out-of-office subjects in English, Greek and Croatian", arguments: [
        "Out of Office: Re: order", "Automatic reply: Your ticket", "Auto-Reply: hello", "AutoReply", "Out of the office",
        "Εκτός γραφείου", "ΕΚΤΟΣ ΓΡΑΦΕΙΟΥ: Παράπονο", "Αυτόματη απάντηση: Παράπονο", "αυτοματη απαντηση",
        "Odsutan iz ureda", "Odsutna iz ureda: Reklamacija", "Automatski odgovor: Vaša narudžba", "AUTOMATSKI ODGOVOR",
    ])
    func outOfOfficeSubjects(subject: String) {
        #expect(AutoReplyDetection.reason(headers: MailHeaders(), subject: subject) != nil)
    }

    @Test("ordinary subjects", arguments: [
        "Re: out of office hours question", "Question about automatic replies", "Odgovor na upit", "Απάντηση",
        "Out of stock", "Re: Automatic reply settings",
    ])
    func ordinarySubjects(subject: String) {
        #expect(AutoReplyDetection.reason(headers: MailHeaders(), subject: subject) == nil)
    }

    @Test func postfixDSN() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("bounce-postfix-dsn.eml"))
        let bounce = try #require(mail.bounce)
        #expect(bounce.isStandard)
        #expect(bounce.isFailure)
        #expect(bounce.reportingMTA == "mail.example.com")
        #expect(bounce.originalMessageId == "reply-1234.7@caredesk.example")
        #expect(bounce.recipients == [BounceReport.Recipient(
            address: "nobody@example.org", action: "failed", status: "5.1.1",
            diagnostic: "smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown")])
    }

    @Test func gmailDSNWithReturnedMessage() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("bounce-gmail-dsn.eml"))
        let bounce = try #require(mail.bounce)
        #expect(bounce.originalMessageId == "reply-55.2@caredesk.example")
        #expect(bounce.recipients.map(\.address) == ["gone@gmail.example"])
        #expect(bounce.recipients.first?.isFailure == true)
        #expect(mail.attachedMessages.first?.subject == "Σχετικά με το αίτημα σας")
    }

    @Test func plainTextBounceFromMailerDaemon() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("bounce-qmail-plain.eml"))
        let bounce = try #require(mail.bounce)
        #expect(!bounce.isStandard)
        #expect(bounce.isFailure)
        #expect(bounce.originalMessageId == "reply-300.1@caredesk.example")
    }

    @Test func delayedIsABounceButNotAFailure() throws {
        let mail = ParsedMail(parsing: try Fixtures.bytes("bounce-exim-delayed.eml"))
        let bounce = try #require(mail.bounce)
        #expect(!bounce.isFailure)
        #expect(bounce.recipients.first?.action == "delayed")
        #expect(bounce.recipients.first?.status == "4.0.0")
        #expect(bounce.originalMessageId == "reply-400.1@caredesk.example")
    }

    @Test func ordinaryMailIsNotABounce() throws {
        for name in ["gmail-reply-en.eml", "forwarded-rfc822.eml", "autoreply-outlook-en.eml"] {
            #expect(ParsedMail(parsing: try Fixtures.bytes(name)).bounce == nil)
        }
    }

    @Test func readReceiptIsAutomaticButNotABounce() {
        let raw = """
        From: reader@example.com\r
        Subject: Read: Your ticket\r
        Content-Type: multipart/report; report-type=disposition-notification; boundary=r\r
        \r
        --r\r
        Content-Type: text/plain\r
        \r
        Your message was read.\r
        --r\r
        Content-Type: message/disposition-notification\r
        \r
        Disposition: manual-action/MDN-sent-manually; displayed\r
        --r--\r
        """
        let mail = ParsedMail(parsing: Array(raw.utf8))
        #expect(mail.isAutoReply)
        #expect(!mail.isBounce)
    }
}
