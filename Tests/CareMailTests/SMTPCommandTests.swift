import Testing
@testable import CareMail

@Suite struct SMTPCommandTests {
    @Test func verbsInAnyCase() throws {
        #expect(try SMTPCommand.parse("ehlo client.example") == .ehlo("client.example"))
        #expect(try SMTPCommand.parse("HELO [192.0.2.1]") == .helo("[192.0.2.1]"))
        #expect(try SMTPCommand.parse("Data") == .data)
        #expect(try SMTPCommand.parse("QUIT") == .quit)
        #expect(try SMTPCommand.parse("NOOP anything") == .noop)
        #expect(try SMTPCommand.parse("STARTTLS") == .startTLS)
        #expect(try SMTPCommand.parse("EXPN staff") == .notImplemented("EXPN"))
        #expect(try SMTPCommand.parse("FOO bar") == .unknown("FOO"))
    }

    @Test func mailAndRcptPaths() throws {
        #expect(try SMTPCommand.parse("MAIL FROM:<a@b.example>") == .mail(reversePath: "a@b.example", parameters: []))
        #expect(try SMTPCommand.parse("mail from: <>") == .mail(reversePath: "", parameters: []))
        #expect(try SMTPCommand.parse("MAIL FROM:a@b.example SIZE=10") ==
            .mail(reversePath: "a@b.example", parameters: [SMTPParameter(keyword: "SIZE", value: "10")]))
        #expect(try SMTPCommand.parse("MAIL FROM:<a@b.example> body=8bitmime SMTPUTF8") ==
            .mail(reversePath: "a@b.example", parameters: [
                SMTPParameter(keyword: "BODY", value: "8bitmime"), SMTPParameter(keyword: "SMTPUTF8")]))
        #expect(try SMTPCommand.parse("RCPT TO:<@relay.example,@r2.example:x@support.example>") ==
            .rcpt(forwardPath: "x@support.example", parameters: []))
        #expect(try SMTPCommand.parse("RCPT TO:<Postmaster>") == .rcpt(forwardPath: "Postmaster", parameters: []))
        #expect(try SMTPCommand.parse("RCPT TO:<\"john doe>\"@support.example>") ==
            .rcpt(forwardPath: "\"john doe>\"@support.example", parameters: []))
        #expect(try SMTPCommand.parse("RCPT TO:<γιάννης@υποστήριξη.example>") ==
            .rcpt(forwardPath: "γιάννης@υποστήριξη.example", parameters: []))
    }

    @Test(arguments: [
        ("EHLO", 501), ("MAIL", 501), ("MAIL TO:<a@b>", 501), ("RCPT TO:<nobody>", 501),
        ("RCPT TO:<a@b", 501), ("RCPT TO:<>", 501), ("MAIL FROM:<a@b>x", 501),
        ("RCPT TO:<a@b> =x", 501), ("DATA now", 501), ("VRFY", 501),
        ("RCPT TO:<a\u{7}@b.example>", 501),
    ])
    func malformedCommandsAreRejectedWithAReply(line: String, code: Int) {
        #expect(throws: SMTPCommandError.self) { try SMTPCommand.parse(line) }
        do { _ = try SMTPCommand.parse(line) } catch { #expect(error.reply.code == code) }
    }

    @Test func addressesAreBounded() {
        let long = String(repeating: "a", count: 250) + "@support.example"
        #expect(throws: SMTPCommandError.self) { try SMTPCommand.parse("RCPT TO:<\(long)>") }
    }

    @Test func repliesRenderMultilineAndCannotBeForged() {
        #expect(SMTPReply(250, ["one", "two", "three"]).bytes == Array("250-one\r\n250-two\r\n250 three\r\n".utf8))
        #expect(SMTPReply(451, "4.3.0 bad\r\n250 forged").bytes == Array("451 4.3.0 bad  250 forged\r\n".utf8))
    }
}
