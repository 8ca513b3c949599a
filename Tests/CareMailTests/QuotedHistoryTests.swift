import Testing
@testable import CareMail

@Suite("Quoted history")
struct QuotedHistoryTests {
    @Test("reply headers", arguments: [
        "On Mon, Feb 3, 2025 at 10:00 AM Support <support@caredesk.example> wrote:",
        "On 03/02/2025 10:00, Support wrote:",
        "On 3 Feb 2025, at 10:00, Support <support@caredesk.example> wrote:",
        "Στις Δευ 3 Φεβ 2025 στις 10:00 π.μ., ο/η Support <support@caredesk.example> έγραψε:",
        "Ο/Η Support <support@caredesk.example> έγραψε:",
        "Ο Γιάννης <g@example.gr> έγραψε:",
        "pon, 3. velj 2025. u 10:00 Support <support@caredesk.example> napisao je:",
        "Dana 03.02.2025. u 10:00, Ivan Horvat je napisao:",
        "Dana 03.02.2025. u 10:00, Ivana Horvat je napisala:",
        "Dana 3. 2. 2025. u 10:00, Support napisao/la je:",
        "-----Original Message-----",
        "----- Original Message -----",
        "-----Αρχικό μήνυμα-----",
        "-----Izvorna poruka-----",
        "From: Support <support@caredesk.example>\nSent: Monday, February 3, 2025 10:00\nTo: me",
        "Από: Support\nΣτάλθηκε: Δευτέρα, 3 Φεβρουαρίου 2025 10:00 πμ",
        "Od: Podrška\nPoslano: 3. veljače 2025. 10:00",
        "Šalje: Podrška\nPoslano: ponedjeljak, 3. veljače 2025. 10:00",
        "*From:* Support\n*Sent:* Monday",
    ])
    func splitsAtReplyHeader(header: String) {
        let text = "New answer here.\nSecond line.\n\n\(header)\n\n> old text\nold unquoted text\n"
        let split = QuotedHistory.split(text)
        #expect(split.visible == "New answer here.\nSecond line.")
        #expect(split.quoted.hasPrefix(header.split(separator: "\n")[0]))
        #expect(split.quoted.hasSuffix("old unquoted text\n"))
    }

    @Test func replyHeaderWrappedOverTwoLines() {
        let text = "Thanks!\n\nOn Mon, Feb 3, 2025 at 10:00 AM CareDesk Support <\nsupport@caredesk.example> wrote:\n\n> hi\n"
        let split = QuotedHistory.split(text)
        #expect(split.visible == "Thanks!")
        #expect(split.quoted.hasPrefix("On Mon"))
    }

    @Test func outlookUnderscoreLineBelongsToTheHistory() {
        let text = "Yes.\n________________________________\nFrom: A\nSent: today\n\nold"
        let split = QuotedHistory.split(text)
        #expect(split.visible == "Yes.")
        #expect(split.quoted.hasPrefix("_____"))
    }

    @Test func quotedTail() {
        let split = QuotedHistory.split("Answer.\n\n> previous\n>\n> more\n\n")
        #expect(split.visible == "Answer.")
        #expect(split.quoted == "> previous\n>\n> more\n\n")
    }

    @Test func interleavedQuotesAreNotCut() {
        let text = "> question one\nanswer one\n> question two\nanswer two"
        let split = QuotedHistory.split(text)
        #expect(split.visible == text)
        #expect(split.quoted == "")
    }

    @Test func sentencesThatMerelyMentionWritingAreNotCut() {
        let text = "On Monday my colleague wrote:\nthe device is broken.\nPlease help."
        #expect(QuotedHistory.split(text).quoted == "")
        let from = "From: the shop's page I ordered a phone.\nIt never came."
        #expect(QuotedHistory.split(from).quoted == "")
    }

    @Test func forwardedMessagesStayVisible() {
        let text = "See below.\n\n---------- Forwarded message ---------\nFrom: Customer <c@example.com>\nDate: Mon, 3 Feb 2025\nSubject: help\n\nMy order is late."
        #expect(QuotedHistory.split(text) == QuotedHistory.Split(visible: text, quoted: ""))
        let apple = "FYI\n\nBegin forwarded message:\n\n> From: Customer\n> Date: today\n> My order is late."
        #expect(QuotedHistory.split(apple).quoted == "")
    }

    @Test func nothingIsLost() {
        let text = "Top.\nOn 03/02/2025 10:00, Support wrote:\n> a\n> b"
        let split = QuotedHistory.split(text)
        #expect(split.visible + "\n" + split.quoted == text)
    }
}
