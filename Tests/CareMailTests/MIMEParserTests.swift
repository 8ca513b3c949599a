import Foundation
import Testing
@testable import CareMail

@Suite("MIME parser")
struct MIMEParserTests {
    @Test func headersAreUnfoldedOrderedCaseInsensitiveAndRawIsKept() {
        let raw = "Subject: first line\r\n\tsecond line\r\nX-Custom: one\r\nx-custom: two\r\nFrom: a@example.com\r\n\r\nBody"
        let part = MIMEParser().parse(Array(raw.utf8))
        #expect(part.headers.fields.map(\.name) == ["Subject", "X-Custom", "x-custom", "From"])
        #expect(part.headers["SUBJECT"] == "first line\tsecond line")
        #expect(part.headers.text("subject") == "first line second line")
        #expect(part.headers.values("X-CUSTOM") == ["one", "two"])
        #expect(part.headers.fields[0].raw == "Subject: first line\r\n\tsecond line")
        #expect(part.body == Array("Body".utf8))
        #expect(part.problems.isEmpty)
    }

    @Test func bareLFLineEndingsWork() {
        let raw = "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nOne\n--x\n\nTwo\n--x--\n"
        let part = MIMEParser().parse(Array(raw.utf8))
        #expect(part.parts.count == 2)
        #expect(part.parts.map { String(decoding: $0.body, as: UTF8.self) } == ["One", "Two"])
    }

    @Test func boundaryThatIsAPrefixOfAnotherIsNotConfused() {
        let raw = """
        Content-Type: multipart/mixed; boundary="b"\r
        \r
        --b\r
        Content-Type: multipart/alternative; boundary="b-inner"\r
        \r
        --b-inner\r
        Content-Type: text/plain\r
        \r
        inner text\r
        --b-inner--\r
        --b\r
        Content-Type: text/plain\r
        \r
        outer text\r
        --b--\r
        """
        let part = MIMEParser().parse(Array(raw.utf8))
        #expect(part.parts.count == 2)
        #expect(part.parts[0].parts.count == 1)
        #expect(part.parts[1].decodedText().text == "outer text")
    }

    @Test func nestingDeeperThanTheLimitIsKeptOpaque() {
        var raw = ""
        for level in 0..<30 { raw += "Content-Type: multipart/mixed; boundary=\"l\(level)\"\r\n\r\n--l\(level)\r\n" }
        raw += "Content-Type: text/plain\r\n\r\ndeep\r\n"
        let part = MIMEParser(maxDepth: 20).parse(Array(raw.utf8))
        var depth = 0
        var node = part
        while let child = node.parts.first {
            depth += 1
            node = child
        }
        #expect(depth == 20)
        #expect(node.problems.contains { $0.contains("nested too deeply") })
        let mail = ParsedMail(root: part)
        #expect(mail.problems.contains { $0.contains("nested too deeply") })
    }

    @Test func hostileNestingDoesNotExhaustTheStack() {
        // 20,000 nested multiparts and attached messages: parsing stops at the depth limit.
        var raw = ""
        for level in 0..<10_000 {
            raw += "Content-Type: multipart/mixed; boundary=\"q\(level)\"\r\n\r\n--q\(level)\r\n"
            raw += "Content-Type: message/rfc822\r\n\r\n"
        }
        let mail = ParsedMail(parsing: Array(raw.utf8))
        #expect(!mail.problems.isEmpty)
    }

    @Test func partCountIsLimited() {
        var raw = "Content-Type: multipart/mixed; boundary=z\r\n\r\n"
        for _ in 0..<5_000 { raw += "--z\r\n\r\nx\r\n" }
        raw += "--z--\r\n"
        let part = MIMEParser(maxParts: 100).parse(Array(raw.utf8))
        #expect(part.parts.count < 100)
        #expect(part.problems.contains { $0.contains("too many parts") })
    }

    @Test func messageRFC822IsParsedAndKeptAsBytes() {
        let inner = "Subject: inner\r\nFrom: x@example.com\r\n\r\nInner body"
        let raw = "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: message/rfc822\r\n\r\n\(inner)\r\n--m--\r\n"
        let part = MIMEParser().parse(Array(raw.utf8))
        let attached = part.parts.first?.attachedMessage
        #expect(attached?.headers["Subject"] == "inner")
        #expect(attached?.body == Array("Inner body".utf8))
        #expect(part.parts.first?.body == Array(inner.utf8))
    }

    @Test func base64EncodedAttachedMessageIsDecodedFirst() {
        let inner = Base64Codec.encode(Array("Subject: wrapped\r\n\r\nbody".utf8))
        let raw = Array("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8) + inner
        let part = MIMEParser().parse(raw)
        #expect(part.attachedMessage?.headers["Subject"] == "wrapped")
    }

    @Test func digestChildrenDefaultToMessageRFC822() {
        let raw = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n--d--\r\n"
        let part = MIMEParser().parse(Array(raw.utf8))
        #expect(part.parts.first?.contentType.mimeType == "message/rfc822")
        #expect(part.parts.first?.attachedMessage?.headers["Subject"] == "one")
    }

    @Test func multipartWithoutPartsKeepsItsText() {
        let raw = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nOnly a preamble.\r\n--b--\r\n"
        let mail = ParsedMail(parsing: Array(raw.utf8))
        #expect(mail.text.hasPrefix("Only a preamble."))
        #expect(mail.problems.contains { $0.contains("without parts") })
    }

    @Test func textWronglyLabeledBase64IsKeptAsText() {
        let raw = "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nΠαράπονο: this is not base64, it is text!\r\n"
        let mail = ParsedMail(parsing: Array(raw.utf8))
        #expect(mail.text == "Παράπονο: this is not base64, it is text!\n")
        #expect(!mail.isFullyParsed)
        #expect(mail.problems.contains { $0.contains("not base64") })
        let good = ParsedMail(parsing: Array("From: a@example.com\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n".utf8))
        #expect(good.text == "Hello")
        #expect(good.isFullyParsed)
    }

    @Test func emptyInputAndOnlyHeaders() {
        let empty = ParsedMail(parsing: [UInt8]())
        #expect(empty.text == "")
        #expect(empty.problems.contains { $0.contains("From") })
        let onlyHeaders = ParsedMail(parsing: Array("From: a@example.com\r\nSubject: hi".utf8))
        #expect(onlyHeaders.subject == "hi")
        #expect(onlyHeaders.text == "")
    }
}
