import Testing
@testable import CareMail

@Suite("Content-Type and RFC 2231 parameters")
struct ContentTypeParametersTests {
    @Test func basicTypeAndParameters() throws {
        let type = try #require(ContentType(headerValue: "Multipart/Mixed;\r\n boundary=\"----=_Part_1\"; charset=UTF-8 (comment)"))
        #expect(type.mimeType == "multipart/mixed")
        #expect(type.boundary == "----=_Part_1")
        #expect(type.charset == "UTF-8")
        #expect(type.isMultipart)
    }

    @Test func lenientParameterSyntax() throws {
        let type = try #require(ContentType(headerValue: "text/plain charset=utf-8; name=my file.txt;; format=flowed"))
        #expect(type.charset == "utf-8")
        #expect(type.name == "my file.txt")
        #expect(type.parameters["format"] == "flowed")
        #expect(ContentType(headerValue: "garbage") == nil)
        #expect(ContentType(headerValue: "") == nil)
    }

    @Test func quotedValuesWithEscapes() throws {
        let disposition = try #require(ContentDisposition(headerValue: #"attachment; filename="say \"hi\"; now.txt""#))
        #expect(disposition.isAttachment)
        #expect(disposition.filename == #"say "hi"; now.txt"#)
    }

    @Test func rfc2231ExtendedValue() throws {
        let d = try #require(ContentDisposition(headerValue: "attachment; filename*=UTF-8''%CE%A4%CE%B9%CE%BC%CE%BF%CE%BB%CF%8C%CE%B3%CE%B9%CE%BF.pdf"))
        #expect(d.filename == "Τιμολόγιο.pdf")
    }

    @Test func rfc2231ContinuationsWithLanguageAndMixedSections() throws {
        let value = "attachment;\r\n filename*1*=%F0aja.pdf;\r\n filename*0*=iso-8859-2'hr'Ra%E8un%20ure;\r\n filename=\"fallback.pdf\""
        let d = try #require(ContentDisposition(headerValue: value))
        #expect(d.filename == "Račun uređaja.pdf")
        let plainSections = try #require(ContentDisposition(headerValue: "inline; filename*0=\"long name \"; filename*1=\"part two.txt\""))
        #expect(plainSections.filename == "long name part two.txt")
        #expect(plainSections.isInline)
    }

    @Test func encodedWordsInsideQuotedValue() throws {
        let d = try #require(ContentDisposition(headerValue: "attachment; filename=\"=?UTF-8?B?zqPPh86tzrTOuc6/LnBuZw==?=\""))
        #expect(d.filename == "Σχέδιο.png")
        let t = try #require(ContentType(headerValue: "image/png; name==?windows-1250?Q?Ra=E8un.png?="))
        #expect(t.name == "Račun.png")
    }

    @Test func brokenPercentAndHugeSectionNumbersDoNotTrap() throws {
        let d = try #require(ContentDisposition(headerValue: "attachment; filename*=utf-8''100%25%zz%; x*99999999999999999999*=a"))
        #expect(d.filename == "100%%zz%")
    }

    @Test func filenameFallsBackToNameAndLosesPath() {
        let bytes = Array("Content-Type: application/pdf; name=\"C:\\\\Users\\\\ana\\\\racun.pdf\"\r\n\r\nx".utf8)
        let part = MIMEParser().parse(bytes)
        #expect(part.filename == "racun.pdf")
    }
}
