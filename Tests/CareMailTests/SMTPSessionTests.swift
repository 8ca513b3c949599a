import Testing
import CareMail

/// The protocol rules, on the pure state machine (no sockets).
@Suite struct SMTPSessionTests {
    static let transaction = "EHLO client.example\r\nMAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\n"

    @Test func greetingAndCapabilities() {
        var plain = SessionDriver(SMTPSessionConfiguration(hostname: "mx.test", maxMessageSize: 12345))
        #expect(plain.replies == [SMTPReply(220, "mx.test ESMTP CareDesk")])
        let ehlo = plain.send("EHLO client.example\r\n")
        #expect(ehlo.count == 1 && ehlo[0].code == 250)
        #expect(Array(ehlo[0].lines.dropFirst()) == ["SIZE 12345", "8BITMIME", "PIPELINING", "SMTPUTF8", "ENHANCEDSTATUSCODES"])
        #expect(plain.send("HELO client.example\r\n") == [SMTPReply(250, "mx.test")])

        var tls = SessionDriver(SMTPSessionConfiguration(hostname: "mx.test", tlsAvailable: true))
        #expect(tls.send("EHLO c\r\n")[0].lines.contains("STARTTLS"))
    }

    @Test func deliversExactlyTheDotUnstuffedMessageWithCRLF() throws {
        var driver = SessionDriver()
        driver.send(Self.transaction)
        driver.send(".leading dot\r\n..two\r\n.\r\n")
        let delivery = try #require(driver.deliveries.first)
        #expect(delivery.raw == Array("leading dot\r\n.two\r\n".utf8))
        #expect(delivery.envelope == SMTPEnvelope(mailFrom: "a@customer.example", rcptTo: ["help@support.example"],
                                                  clientHelo: "client.example", remoteAddress: "192.0.2.7"))
        #expect(driver.codes == [220, 250, 250, 250, 354, 250])
        #expect(driver.replies.last == SMTPReply(250, "2.0.0 Message accepted for delivery"))
    }

    @Test func dataEndsOnlyOnTheTerminatingLine() {
        var driver = SessionDriver()
        driver.send(Self.transaction)
        driver.send("line one\r\n.\r")  // incomplete terminator
        #expect(driver.deliveries.isEmpty)
        driver.send("\n")
        #expect(driver.deliveries.count == 1)
        #expect(driver.deliveries[0].raw == Array("line one\r\n".utf8))
    }

    @Test func bareLineFeedsAreNormalizedButNeverEndTheData() throws {
        var driver = SessionDriver()
        driver.send(Self.transaction)
        driver.send("one\ntwo\n.\nthree\r\n.\n.\r\nMAIL FROM:<x@evil.example>\r\n")
        #expect(driver.deliveries.isEmpty, "'.' after a bare LF or with a bare LF must not end DATA (SMTP smuggling)")
        driver.send(".\r\n")
        let raw = try #require(driver.deliveries.first).raw
        // Each "." line is a dot-stuffed empty line.
        #expect(raw == Array("one\r\ntwo\r\n\r\nthree\r\n\r\n\r\nMAIL FROM:<x@evil.example>\r\n".utf8))
    }

    @Test func emptyMessageAndBinaryBytesAreKept() throws {
        var driver = SessionDriver()
        driver.send(Self.transaction + ".\r\n")
        #expect(try #require(driver.deliveries.first).raw == [])
        driver.send("MAIL FROM:<>\r\nRCPT TO:<x@support.example>\r\nDATA\r\n")
        driver.send([0, 0xFF, 0xCE, 0xB1, 13, 0x41, 13, 10, 46, 13, 10])
        #expect(driver.deliveries.count == 2)
        #expect(driver.deliveries[1].raw == [0, 0xFF, 0xCE, 0xB1, 13, 0x41, 13, 10])
        #expect(driver.deliveries[1].envelope.mailFrom == "")
    }

    @Test func veryLongDataLinesSurviveInPieces() throws {
        var driver = SessionDriver()
        driver.send(Self.transaction)
        let long = "." + String(repeating: "é", count: 20_000) + "\r\n"
        var bytes = Array(long.utf8) + Array("tail\r\n.\r\n".utf8)
        while !bytes.isEmpty {  // in odd-sized pieces, splitting CRLF and characters
            driver.send(Array(bytes.prefix(3001)))
            bytes.removeFirst(min(3001, bytes.count))
        }
        let raw = try #require(driver.deliveries.first).raw
        #expect(raw == Array(long.utf8.dropFirst()) + Array("tail\r\n".utf8))
    }

    @Test func pipelinedCommandsGiveTheSameRepliesAsOneByOne() {
        let script = Self.transaction + "hello\r\n.\r\nMAIL FROM:<b@customer.example>\r\nRCPT TO:<nobody@elsewhere.example>\r\n" +
            "RCPT TO:<help@support.example>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n"
        var together = SessionDriver()
        together.send(script)
        var byteByByte = SessionDriver()
        for byte in script.utf8 { byteByByte.send([byte]) }
        #expect(together.codes == [220, 250, 250, 250, 354, 250, 250, 550, 250, 354, 250, 221])
        #expect(byteByByte.replies == together.replies)
        #expect(together.deliveries.map(\.raw) == [Array("hello\r\n".utf8), Array("second\r\n".utf8)])
        #expect(together.deliveries[1].envelope.rcptTo == ["help@support.example"])
        #expect(together.closed && byteByByte.closed)
    }

    @Test func notAnOpenRelay() {
        var driver = SessionDriver()
        driver.send("EHLO c\r\nMAIL FROM:<a@customer.example>\r\nRCPT TO:<victim@elsewhere.example>\r\nDATA\r\n")
        #expect(driver.replies[3] == SMTPReply(550, "5.1.1 <victim@elsewhere.example>: no such mailbox here"))
        #expect(driver.replies[4].code == 554, "DATA with no accepted recipient")
        #expect(driver.checked == ["victim@elsewhere.example"])
        #expect(driver.deliveries.isEmpty)
    }

    @Test func policyFailureIsTemporary() {
        var driver = SessionDriver()
        driver.policy = { _ in .temporaryFailure }
        driver.send("EHLO c\r\nMAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\n")
        #expect(driver.replies.last?.code == 451)
    }

    @Test func duplicateRecipientsCountOnceAndTheLimitGives452() {
        var driver = SessionDriver(SMTPSessionConfiguration(maxRecipients: 2))
        driver.send("EHLO c\r\nMAIL FROM:<a@customer.example>\r\n")
        for name in ["a", "a", "b", "c"] { driver.send("RCPT TO:<\(name)@support.example>\r\n") }
        #expect(driver.codes.suffix(4) == [250, 250, 250, 452])
        #expect(driver.replies.last?.lines == ["4.5.3 Too many recipients: at most 2 per message, send the rest in another message"])
        driver.send("DATA\r\nx\r\n.\r\n")
        #expect(driver.deliveries.first?.envelope.rcptTo == ["a@support.example", "b@support.example"])
        #expect(driver.checked == ["a@support.example", "b@support.example"])
    }

    @Test func commandsOutOfSequenceGet503() {
        var driver = SessionDriver()
        #expect(driver.send("MAIL FROM:<a@customer.example>\r\n")[0].code == 503)
        driver.send("EHLO c\r\n")
        #expect(driver.send("RCPT TO:<help@support.example>\r\n")[0].code == 503)
        #expect(driver.send("DATA\r\n")[0].code == 503)
        driver.send("MAIL FROM:<a@customer.example>\r\n")
        #expect(driver.send("MAIL FROM:<a@customer.example>\r\n")[0].code == 503)
        #expect(driver.send("DATA\r\n")[0] == SMTPReply(503, "5.5.1 Send RCPT TO first"))
        #expect(driver.send("RSET\r\n")[0].code == 250)
        #expect(driver.send("RCPT TO:<help@support.example>\r\n")[0].code == 503, "RSET ends the transaction")
    }

    @Test func simpleCommands() {
        var driver = SessionDriver()
        #expect(driver.send("NOOP\r\n")[0].code == 250)
        #expect(driver.send("VRFY help\r\n")[0].code == 252)
        #expect(driver.send("HELP\r\n")[0].code == 214)
        #expect(driver.send("XYZZY\r\n")[0] == SMTPReply(500, "5.5.2 Command unrecognized"))
        #expect(driver.send("EXPN list\r\n")[0].code == 502)
        #expect(driver.send("AUTH PLAIN AAAA\r\n")[0].code == 502)
        #expect(driver.send("STARTTLS\r\n")[0].code == 502, "not offered without a certificate")
        #expect(driver.send("\r\n")[0].code == 500)
        #expect(!driver.closed)
        #expect(driver.send("QUIT\r\nNOOP\r\n") == [SMTPReply(221, "2.0.0 mx.test closing connection")])
        #expect(driver.closed)
        #expect(driver.send("NOOP\r\n").isEmpty)
    }

    @Test func mailParameters() {
        var driver = SessionDriver(SMTPSessionConfiguration(maxMessageSize: 1000))
        driver.send("EHLO c\r\n")
        #expect(driver.send("MAIL FROM:<a@c.example> SIZE=1001\r\n")[0] ==
            SMTPReply(552, "5.3.4 Message too big: the limit here is 1000 bytes"))
        #expect(driver.send("MAIL FROM:<a@c.example> SIZE=99999999999999999999999\r\n")[0].code == 552)
        #expect(driver.send("MAIL FROM:<a@c.example> SIZE=ten\r\n")[0].code == 501)
        #expect(driver.send("MAIL FROM:<a@c.example> BODY=BINARYMIME\r\n")[0].code == 555)
        #expect(driver.send("MAIL FROM:<a@c.example> AUTH=<>\r\n")[0].code == 555)
        #expect(driver.send("MAIL FROM:<a@c.example> SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n")[0].code == 250)
        driver.send("RCPT TO:<h@support.example>\r\n")
        #expect(driver.send("RCPT TO:<h2@support.example> NOTIFY=NEVER\r\n")[0].code == 555)
        driver.send("DATA\r\nx\r\n.\r\n")
        #expect(driver.deliveries.first?.envelope.declared8BitMIME == true)
        #expect(driver.deliveries.first?.envelope.declaredSMTPUTF8 == true)

        var helo = SessionDriver()
        helo.send("HELO c\r\n")
        #expect(helo.send("MAIL FROM:<a@c.example> SIZE=10\r\n")[0].code == 555, "no extensions after HELO")
        #expect(helo.send("MAIL FROM:<a@c.example>\r\n")[0].code == 250)
    }

    @Test func oversizedMessageIsRefusedAndTheSessionStaysUsable() {
        var driver = SessionDriver(SMTPSessionConfiguration(maxMessageSize: 100))
        driver.send(Self.transaction)
        driver.send(String(repeating: "0123456789\r\n", count: 50))
        driver.send(".\r\n")
        #expect(driver.replies.last == SMTPReply(552, "5.3.4 Message too big: the limit here is 100 bytes"))
        #expect(driver.deliveries.isEmpty)
        #expect(driver.send("RCPT TO:<help@support.example>\r\n")[0].code == 503, "the refused transaction is over")
        driver.send("MAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\n")
        // exactly at the limit: 98 bytes + CRLF... = 100
        driver.send(String(repeating: "y", count: 98) + "\r\n.\r\n")
        #expect(driver.replies.last?.code == 250)
        #expect(driver.deliveries.first?.raw.count == 100)
    }

    @Test func deliveryFailuresAreNotAcknowledged() {
        var driver = SessionDriver()
        driver.outcomes = [.temporaryFailure("Database unavailable, try again later"), .permanentFailure("Rejected")]
        driver.send(Self.transaction + "x\r\n.\r\n")
        #expect(driver.replies.last == SMTPReply(451, "4.3.0 Database unavailable, try again later"))
        driver.send("MAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\nx\r\n.\r\n")
        #expect(driver.replies.last == SMTPReply(554, "5.6.0 Rejected"))
        driver.send("MAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\nx\r\n.\r\n")
        #expect(driver.replies.last?.code == 250)
        #expect(driver.deliveries.count == 3)
        #expect(driver.codes.filter { $0 == 451 || $0 == 554 }.count == 2)
    }

    @Test func inputWaitsWhileTheServerIsBusy() {
        var session = SMTPSession(configuration: SMTPSessionConfiguration(hostname: "mx.test"))
        _ = session.start()
        var actions = session.receive(Array((Self.transaction.replacingOccurrences(of: "DATA\r\n", with: "") +
                                              "RCPT TO:<other@support.example>\r\nDATA\r\n").utf8))
        #expect(actions.last == .checkRecipient("help@support.example"))
        #expect(session.isWaiting)
        #expect(session.idleTimeout().isEmpty, "no timeout while the policy is thinking")
        #expect(session.receive(Array("NOOP\r\n".utf8)).isEmpty)
        actions = session.recipientChecked(.accept)
        #expect(actions == [.reply(SMTPReply(250, "2.1.5 Recipient OK")), .checkRecipient("other@support.example")])
        actions = session.recipientChecked(.reject)
        #expect(actions.map { if case .reply(let r) = $0 { r.code } else { 0 } } == [550, 354])
        actions = session.receive(Array("x\r\n.\r\n".utf8))
        guard case .deliver(let envelope, _)? = actions.last else { Issue.record("no delivery"); return }
        #expect(envelope.rcptTo == ["help@support.example"])
        #expect(session.shutdown().isEmpty, "shutdown waits for the delivery")
        actions = session.deliveryFinished(.delivered)
        #expect(actions == [.reply(SMTPReply(250, "2.0.0 Message accepted for delivery")),
                            .reply(SMTPReply(421, "4.3.2 mx.test Service shutting down, try again later")), .close])
    }

    @Test func idleTimeoutCloses() {
        var session = SMTPSession(configuration: SMTPSessionConfiguration(hostname: "mx.test"))
        _ = session.start()
        #expect(session.idleTimeout() == [.reply(SMTPReply(421, "4.4.2 mx.test Idle timeout, closing connection")), .close])
        #expect(session.isClosed)
    }

    @Test func longCommandLinesAreRefusedAndSkipped() {
        var driver = SessionDriver(SMTPSessionConfiguration(maxCommandLineLength: 100))
        #expect(driver.send("NOOP " + String(repeating: "a", count: 200) + "\r\nNOOP\r\n").map(\.code) == [500, 250])
        // A line with no end in sight is refused once, then skipped up to its end.
        #expect(driver.send(String(repeating: "b", count: 300)).map(\.code) == [500])
        #expect(driver.send(String(repeating: "b", count: 300)).isEmpty)
        #expect(driver.send("bbb\r\nNOOP\r\n").map(\.code) == [250])
        #expect(driver.send("NOOP \u{FF}\r\n").map(\.code) == [250])  // valid UTF-8 (ÿ)
        #expect(driver.send([78, 79, 79, 80, 32, 0xFF, 13, 10]).map(\.code) == [500], "invalid UTF-8")
    }

    @Test func tooManyBadCommandsCloseTheSession() {
        var driver = SessionDriver(SMTPSessionConfiguration(hostname: "mx.test", maxBadCommands: 3))
        driver.send("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: y\r\nAccept: */*\r\n")
        #expect(driver.codes == [220, 500, 500, 500, 421])
        #expect(driver.replies.last == SMTPReply(421, "4.7.0 mx.test Too many errors, closing connection"))
        #expect(driver.closed)
    }

    @Test func startTLSResetsTheSessionAndDropsPlaintextInjection() throws {
        var driver = SessionDriver(SMTPSessionConfiguration(hostname: "mx.test", tlsAvailable: true))
        driver.send("EHLO c\r\nMAIL FROM:<a@customer.example>\r\n")
        #expect(driver.send("STARTTLS\r\nRCPT TO:<injected@support.example>\r\n") == [SMTPReply(220, "2.0.0 Ready to start TLS")])
        #expect(driver.startedTLS == 1)
        #expect(driver.checked.isEmpty, "commands pipelined after STARTTLS in the clear are dropped")
        #expect(driver.send("MAIL FROM:<a@customer.example>\r\n")[0].code == 503, "EHLO again after TLS")
        let ehlo = driver.send("EHLO c\r\n")[0]
        #expect(!ehlo.lines.contains("STARTTLS"))
        #expect(driver.send("STARTTLS\r\n")[0].code == 503)
        driver.send("MAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\nx\r\n.\r\n")
        #expect(try #require(driver.deliveries.first).envelope.usedTLS)
    }

    @Test func randomInputNeverTrapsAndAlwaysGetsValidReplies() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["EHLO c\r\n", "MAIL FROM:<a@b.c>\r\n", "RCPT TO:<h@support.example>\r\n", "DATA\r\n",
                      ".\r\n", "\r\n", "\n", "\r", ".", "RSET\r\n", "STARTTLS\r\n", "SIZE=99", "<", ">", ":", "\u{0}", "é"]
        for _ in 0..<300 {
            var driver = SessionDriver(SMTPSessionConfiguration(maxCommandLineLength: 64, maxBadCommands: 1000, tlsAvailable: true))
            for _ in 0..<60 {
                if Bool.random(using: &generator) {
                    driver.send(pieces.randomElement(using: &generator)!)
                } else {
                    driver.send((0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                }
            }
            #expect(driver.replies.allSatisfy { (200..<600).contains($0.code) && !$0.lines.joined().contains("\r") })
        }
    }
}
