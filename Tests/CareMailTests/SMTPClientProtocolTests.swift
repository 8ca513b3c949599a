import Foundation
import Testing
import NIOCore
@testable import CareMail

/// The SMTP client's pure parts (reply parser, EHLO extensions, DATA bytes, AUTH strings,
/// address checks) and the whole conversation over a scripted transport, without sockets.
@Suite struct SMTPClientProtocolTests {
    // MARK: - Replies

    @Test func parsesSingleAndMultiLineRepliesInAnyPieces() throws {
        let wire = Array("220 mx.test ESMTP\r\n250-mx.test greets us\r\n250-SIZE 1000\r\n250 PIPELINING\r\n354 go\n221\r\n".utf8)
        let expected = [
            SMTPReply(220, "mx.test ESMTP"),
            SMTPReply(250, ["mx.test greets us", "SIZE 1000", "PIPELINING"]),
            SMTPReply(354, "go"),
            SMTPReply(221, ""),
        ]
        var whole = SMTPClientReplyParser()
        #expect(try whole.feed(wire) == expected)
        #expect(!whole.hasPendingInput)
        var bytewise = SMTPClientReplyParser()
        var replies: [SMTPReply] = []
        for byte in wire { replies += try bytewise.feed([byte]) }
        #expect(replies == expected)
    }

    @Test func partialReplyIsHeldBack() throws {
        var parser = SMTPClientReplyParser()
        #expect(try parser.feed(Array("250-first\r\n250 sec".utf8)).isEmpty)
        #expect(parser.hasPendingInput)
        #expect(try parser.feed(Array("ond\r\n".utf8)) == [SMTPReply(250, ["first", "second"])])
    }

    @Test(arguments: ["HTTP/1.1 400 Bad Request\r\n", "25 short\r\n", "250xtext\r\n", "250-a\r\n251 b\r\n", "650 six\r\n"])
    func malformedRepliesAreTemporaryErrors(_ text: String) {
        var parser = SMTPClientReplyParser()
        #expect(throws: SMTPClientError.self) { try parser.feed(Array(text.utf8)) }
        do {
            var again = SMTPClientReplyParser()
            _ = try again.feed(Array(text.utf8))
        } catch {
            #expect(!error.isPermanent)
            #expect(error.message.hasPrefix("Malformed SMTP reply"))
        }
    }

    @Test func endlessLineOrReplyIsRefused() {
        var parser = SMTPClientReplyParser()
        #expect(throws: SMTPClientError.self) { try parser.feed(Array(repeating: UInt8(ascii: "2"), count: 5000)) }
        var lines = SMTPClientReplyParser()
        #expect(throws: SMTPClientError.self) {
            try lines.feed(Array(String(repeating: "250-x\r\n", count: 300).utf8))
        }
    }

    @Test func oneLineTextForMessages() {
        #expect(SMTPReply(550, ["5.1.1 <x@y>: no", "such mailbox"]).oneLine == "550 5.1.1 <x@y>: no such mailbox")
        #expect(SMTPReply(221, "").oneLine == "221")
    }

    // MARK: - EHLO extensions

    @Test func readsExtensions() {
        let reply = SMTPReply(250, ["mx.test greets client", "size 35882577", "8BITMIME", "AUTH=LOGIN", "AUTH PLAIN login CRAM-MD5",
                                    "STARTTLS", "ENHANCEDSTATUSCODES", "SMTPUTF8"])
        let capabilities = SMTPClientCapabilities(ehloReply: reply)
        #expect(capabilities.extended)
        #expect(capabilities.sizeLimit == 35_882_577 && capabilities.size)
        #expect(capabilities.startTLS && capabilities.eightBitMIME && capabilities.smtpUTF8)
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN", "CRAM-MD5"])
        #expect(!capabilities.supports("MX.TEST"), "the first line is the server's name")
        let unlimited = SMTPClientCapabilities(ehloReply: SMTPReply(250, ["mx", "SIZE 0", "SIZE"]))
        #expect(unlimited.size && unlimited.sizeLimit == nil)
        #expect(SMTPClientCapabilities(ehloReply: SMTPReply(250, "mx")).authMechanisms.isEmpty)
    }

    // MARK: - DATA

    @Test func dotStuffingAndLineEnds() {
        let message = Array("Subject: x\r\n\r\n.hidden\n..two\r\nmid.dot\r.\rlast line".utf8)
        let data = SMTPClientData(message: message)
        let expected = "Subject: x\r\n\r\n..hidden\r\n...two\r\nmid.dot\r\n..\r\nlast line\r\n.\r\n"
        #expect(String(decoding: data.wire, as: UTF8.self) == expected)
        // SIZE counts the message with CRLF and without the stuffing and the final ".".
        #expect(data.size == Array("Subject: x\r\n\r\n.hidden\r\n..two\r\nmid.dot\r\n.\r\nlast line\r\n".utf8).count)
        #expect(!data.hasEightBitBytes)
    }

    @Test func messageEndingInCRLFGetsNoExtraLine() {
        let message = Array("a\r\nb\r\n".utf8)
        #expect(SMTPClientData(message: message).wire == Array("a\r\nb\r\n.\r\n".utf8))
        #expect(SMTPClientData(message: message).size == message.count)
        #expect(SMTPClientData(message: []).wire == Array(".\r\n".utf8))
        #expect(SMTPClientData(message: Array(".".utf8)).wire == Array("..\r\n.\r\n".utf8))
        #expect(SMTPClientData(message: Array("Θέμα\r\n".utf8)).hasEightBitBytes)
    }

    @Test func randomMessagesSurviveTheReceiversUnstuffing() {
        // What the client writes, fed to our receiver's session, gives back the message with CRLF line ends.
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("ab.\r\n .".utf8)
        for _ in 0..<200 {
            let message = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let data = SMTPClientData(message: message)
            var driver = SessionDriver()
            driver.send("EHLO c\r\nMAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\n")
            driver.send(data.wire)
            #expect(driver.deliveries.count == 1, "\(message)")
            #expect(driver.deliveries.first?.raw.count == data.size)
            let normalized = String(decoding: message, as: UTF8.self)
                .replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
                .replacingOccurrences(of: "\n", with: "\r\n")
            let expected = normalized.isEmpty || normalized.hasSuffix("\r\n") ? normalized : normalized + "\r\n"
            #expect(driver.deliveries.first.map { String(decoding: $0.raw, as: UTF8.self) } == expected)
        }
    }

    // MARK: - AUTH and addresses

    @Test func authStrings() {
        #expect(SMTPClientAuth.plain(username: "agent", password: "s3cret") == "AGFnZW50AHMzY3JldA==")
        #expect(SMTPClientAuth.login("agent") == "YWdlbnQ=")
        #expect(SMTPClientAuth.base64(Array("Ω".utf8)) == "zqk=")
        #expect(SMTPClientAuth.base64([]) == "")
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            #expect(SMTPClientAuth.base64(bytes) == Data(bytes).base64EncodedString())
        }
    }

    @Test func addressChecks() {
        #expect(SMTPClientAddress.problem("", isSender: true) == nil)
        #expect(SMTPClientAddress.problem("", isSender: false) != nil)
        #expect(SMTPClientAddress.problem("a@b.example", isSender: false) == nil)
        #expect(SMTPClientAddress.problem("\"a b\"@b.example", isSender: false) == nil)
        for bad in ["a@b.example>\r\nRCPT TO:<c@d.example", "a b@c.example", "nobody", "a@", "<a@b.example>", String(repeating: "a", count: 260) + "@x.example"] {
            #expect(SMTPClientAddress.problem(bad, isSender: false) != nil, "\(bad)")
        }
        #expect(SMTPClientAddress.needsSMTPUTF8("γιάννης@παράδειγμα.ελ"))
        #expect(!SMTPClientAddress.needsSMTPUTF8("a@b.example"))
    }

    @Test func invalidInputIsPermanentBeforeConnecting() async {
        let configuration = SMTPClientConfiguration(host: "127.0.0.1", port: 1, security: .none)
        for (from, to) in [("a@b.example", [String]()), ("a@b.example", ["x@y.example\r\nDATA"]), ("bad", ["x@y.example"])] {
            await #expect(throws: SMTPClientError.self) {
                do {
                    _ = try await CareMail.SMTPClient.send([], from: from, to: to, using: configuration)
                } catch let error as SMTPClientError {
                    #expect(error.isPermanent, "\(error)")
                    throw error
                }
            }
        }
        var badHelo = configuration
        badHelo.heloName = "two words"
        #expect(throws: SMTPClientError.self) {
            try SMTPClientConversation(message: [], from: "", to: ["a@b.example"], configuration: badHelo)
        }
    }

    @Test func descriptionHidesThePassword() {
        let configuration = SMTPClientConfiguration(host: "smtp.example", port: 587, username: "agent", password: "s3cret")
        #expect(!configuration.description.contains("s3cret"))
        #expect(configuration.description.contains("agent"))
        #expect(SMTPClientConfiguration.Security(rawValue: "tls") == .implicitTLS)
        #expect(SMTPClientConfiguration.Security(rawValue: "starttls") == .startTLS)
    }

    // MARK: - Conversation (scripted server)

    static let ehlo = ["fake.test", "SIZE 10000", "8BITMIME", "STARTTLS", "AUTH LOGIN PLAIN", "ENHANCEDSTATUSCODES"]

    func converse(_ transport: ScriptedTransport, security: SMTPClientConfiguration.Security = .startTLS,
                  username: String? = nil, message: [UInt8] = Array("Subject: hi\r\n\r\nbody\r\n".utf8),
                  to: [String] = ["a@x.example", "b@x.example"]) async throws -> SMTPSendResult {
        let configuration = SMTPClientConfiguration(host: "fake.test", port: 587, security: security,
                                                    username: username, password: "pw", heloName: "us.example")
        var conversation = try SMTPClientConversation(message: message, from: "agent@us.example", to: to, configuration: configuration)
        return try await conversation.run(over: transport)
    }

    @Test func fullConversationWithStartTLSAndAuthPlain() async throws {
        let transport = ScriptedTransport(ehlo: Self.ehlo)
        let result = try await converse(transport, username: "agent")
        #expect(transport.commands == [
            "EHLO us.example", "STARTTLS", "<TLS>", "EHLO us.example", "AUTH PLAIN AGFnZW50AHB3",
            "MAIL FROM:<agent@us.example> SIZE=21", "RCPT TO:<a@x.example>", "RCPT TO:<b@x.example>", "DATA", "<DATA>", "QUIT",
        ])
        #expect(transport.data == Array("Subject: hi\r\n\r\nbody\r\n.\r\n".utf8))
        #expect(result == SMTPSendResult(acceptedRecipients: ["a@x.example", "b@x.example"], rejectedRecipients: [],
                                         finalReply: "250 2.0.0 queued"))
        #expect(transport.closed)
    }

    @Test func authLoginWhenPlainIsNotOffered() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test", "AUTH LOGIN"])
        _ = try await converse(transport, security: .implicitTLS, username: "agent")
        #expect(transport.commands.prefix(4) == ["EHLO us.example", "AUTH LOGIN", "YWdlbnQ=", "cHc="])
    }

    @Test func authRefusedIsPermanentAndNothingElseIsSent() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test", "AUTH PLAIN"]) { line in
            line.hasPrefix("AUTH") ? SMTPReply(535, "5.7.8 Authentication credentials invalid") : nil
        }
        let error = await #expect(throws: SMTPClientError.self) { try await converse(transport, security: .implicitTLS, username: "agent") }
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("535 5.7.8") == true)
        #expect(!transport.commands.contains { $0.hasPrefix("MAIL") })
        let busy = ScriptedTransport(ehlo: ["fake.test", "AUTH PLAIN"]) { line in
            line.hasPrefix("AUTH") ? SMTPReply(454, "4.7.0 Temporary authentication failure") : nil
        }
        let temporary = await #expect(throws: SMTPClientError.self) { try await converse(busy, security: .implicitTLS, username: "agent") }
        #expect(temporary?.isPermanent == false)
    }

    @Test func noAuthOfferedOrNoKnownMechanismIsPermanent() async throws {
        for ehlo in [["fake.test"], ["fake.test", "AUTH CRAM-MD5 XOAUTH2"]] {
            let transport = ScriptedTransport(ehlo: ehlo)
            let error = await #expect(throws: SMTPClientError.self) { try await converse(transport, security: .implicitTLS, username: "agent") }
            #expect(error?.isPermanent == true)
            #expect(!transport.commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
        }
    }

    @Test func credentialsInTheClearOnlyWithSecurityNone() async throws {
        let plain = ScriptedTransport(ehlo: ["fake.test", "AUTH PLAIN"])
        _ = try await converse(plain, security: .none, username: "agent")
        #expect(plain.commands.contains("AUTH PLAIN AGFnZW50AHB3"))
        #expect(!plain.commands.contains("STARTTLS"))
    }

    @Test func startTLSRequiredButNotOfferedSendsNothing() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test", "AUTH PLAIN", "SIZE 100"])
        let error = await #expect(throws: SMTPClientError.self) { try await converse(transport, username: "agent") }
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("does not offer STARTTLS") == true)
        #expect(transport.commands == ["EHLO us.example", "QUIT"])
    }

    @Test func heloWhenEHLOIsRefused() async throws {
        let transport = ScriptedTransport(ehlo: nil)
        let result = try await converse(transport, security: .none, message: Array("Θέμα\r\n".utf8))
        #expect(transport.commands.prefix(3) == ["EHLO us.example", "HELO us.example", "MAIL FROM:<agent@us.example>"],
                "no SIZE/BODY parameters after HELO")
        #expect(result.acceptedRecipients.count == 2)
        // ... but STARTTLS cannot be had from a server that only knows HELO.
        let secure = ScriptedTransport(ehlo: nil)
        let error = await #expect(throws: SMTPClientError.self) { try await converse(secure) }
        #expect(error?.isPermanent == true)
    }

    @Test func sizeLimitIsCheckedBeforeMailFrom() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test", "SIZE 100"])
        let message = Array(String(repeating: "x", count: 200).utf8)
        let error = await #expect(throws: SMTPClientError.self) { try await converse(transport, security: .none, message: message) }
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("at most 100") == true)
        #expect(transport.commands == ["EHLO us.example", "QUIT"])
    }

    @Test func eightBitAndUTF8Parameters() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test", "8BITMIME", "SMTPUTF8"])
        _ = try await converse(transport, security: .none, message: Array("Θέμα\r\n".utf8), to: ["γιάννης@παράδειγμα.ελ"])
        #expect(transport.commands.contains("MAIL FROM:<agent@us.example> BODY=8BITMIME SMTPUTF8"))
        #expect(transport.commands.contains("RCPT TO:<γιάννης@παράδειγμα.ελ>"))
        let old = ScriptedTransport(ehlo: ["fake.test"])
        let error = await #expect(throws: SMTPClientError.self) { try await converse(old, security: .none, to: ["γιάννης@παράδειγμα.ελ"]) }
        #expect(error?.isPermanent == true)
    }

    @Test func someRecipientsRefused() async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test"]) { line in
            switch line {
            case "RCPT TO:<b@x.example>": SMTPReply(550, "5.1.1 <b@x.example>: unknown")
            case "RCPT TO:<c@x.example>": SMTPReply(451, "4.3.0 try later")
            default: nil
            }
        }
        let result = try await converse(transport, security: .none, to: ["a@x.example", "b@x.example", "c@x.example", "a@x.example"])
        #expect(result.acceptedRecipients == ["a@x.example"])
        #expect(result.rejectedRecipients == [
            SMTPRejectedRecipient(address: "b@x.example", code: 550, reply: "550 5.1.1 <b@x.example>: unknown"),
            SMTPRejectedRecipient(address: "c@x.example", code: 451, reply: "451 4.3.0 try later"),
        ])
        #expect(result.rejectedRecipients.map(\.isPermanent) == [true, false])
        #expect(transport.commands.filter { $0.hasPrefix("RCPT") }.count == 3, "a repeated recipient is sent once")
    }

    @Test func allRecipientsRefused() async throws {
        let permanent = ScriptedTransport(ehlo: ["fake.test"]) { $0.hasPrefix("RCPT") ? SMTPReply(550, "5.1.1 no") : nil }
        let error = await #expect(throws: SMTPClientError.self) { try await converse(permanent, security: .none) }
        #expect(error?.isPermanent == true)
        #expect(!permanent.commands.contains("DATA"))
        let mixed = ScriptedTransport(ehlo: ["fake.test"]) { line in
            line == "RCPT TO:<a@x.example>" ? SMTPReply(550, "5.1.1 no") : line.hasPrefix("RCPT") ? SMTPReply(452, "4.2.2 full") : nil
        }
        let temporary = await #expect(throws: SMTPClientError.self) { try await converse(mixed, security: .none) }
        #expect(temporary?.isPermanent == false)
        let tooMany = ScriptedTransport(ehlo: ["fake.test"]) { $0.hasPrefix("RCPT") ? SMTPReply(552, "too many recipients") : nil }
        let retry = await #expect(throws: SMTPClientError.self) { try await converse(tooMany, security: .none) }
        #expect(retry?.isPermanent == false, "552 to RCPT is temporary (RFC 5321 4.5.3.1.10)")
    }

    @Test(arguments: [
        (220, "MAIL", 451, false), (220, "MAIL", 553, true), (220, "DATA", 554, true), (220, "DATA", 421, false),
        (220, "<DATA>", 552, true), (220, "<DATA>", 451, false), (554, "", 0, true), (421, "", 0, false),
        (220, "EHLO", 421, false),
    ])
    func repliesAreClassified(greeting: Int, step: String, code: Int, permanent: Bool) async throws {
        let transport = ScriptedTransport(ehlo: ["fake.test"], greeting: SMTPReply(greeting, "fake")) { line in
            line.hasPrefix(step) && !step.isEmpty ? SMTPReply(code, "no") : nil
        }
        let error = await #expect(throws: SMTPClientError.self) { try await converse(transport, security: .none) }
        #expect(error?.isPermanent == permanent, "\(String(describing: error))")
    }
}

/// A scripted SMTP server for the conversation: answers every command line at once
/// (`answer` first, then sensible defaults) and records what the client wrote.
final class ScriptedTransport: SMTPClientTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let ehlo: [String]?
    private let answer: @Sendable (String) -> SMTPReply?
    private var queue: [SMTPReply]
    private var inData = false
    private var _commands: [String] = []
    private var _data: [UInt8] = []
    private var _closed = false

    /// `ehlo`: the EHLO reply lines, nil to refuse EHLO with 502.
    init(ehlo: [String]?, greeting: SMTPReply = SMTPReply(220, "fake.test ESMTP"),
         answer: @escaping @Sendable (String) -> SMTPReply? = { _ in nil }) {
        self.ehlo = ehlo
        self.answer = answer
        queue = [greeting]
    }

    var commands: [String] { lock.withLock { _commands } }
    var data: [UInt8] { lock.withLock { _data } }
    var closed: Bool { lock.withLock { _closed } }

    func write(_ bytes: [UInt8]) async throws {
        lock.withLock {
            if inData {
                inData = false
                _data += bytes
                _commands.append("<DATA>")
                queue.append(answer("<DATA>") ?? SMTPReply(250, "2.0.0 queued"))
                return
            }
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\r\n") { text.removeLast(1) }
            _commands.append(text)
            let reply = answer(text) ?? standard(text)
            if reply.code == 354 { inData = true }
            queue.append(reply)
        }
    }

    private func standard(_ line: String) -> SMTPReply {
        let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
        switch verb {
        case "EHLO": return ehlo.map { SMTPReply(250, $0) } ?? SMTPReply(502, "5.5.1 EHLO not here")
        case "HELO": return SMTPReply(250, "fake.test")
        case "STARTTLS": return SMTPReply(220, "2.0.0 go ahead")
        case "AUTH": return line.hasPrefix("AUTH LOGIN") ? SMTPReply(334, "VXNlcm5hbWU6") : SMTPReply(235, "2.7.0 ok")
        case "DATA": return SMTPReply(354, "go")
        case "QUIT": return SMTPReply(221, "bye")
        default:
            if _commands.dropLast().last == "AUTH LOGIN" { return SMTPReply(334, "UGFzc3dvcmQ6") }
            if _commands.dropLast().dropLast().last == "AUTH LOGIN" { return SMTPReply(235, "2.7.0 ok") }
            return SMTPReply(250, "2.0.0 ok")
        }
    }

    func readReply(timeout: TimeAmount?) async throws -> SMTPReply {
        try lock.withLock {
            guard !queue.isEmpty else { throw SMTPClientError.temporary("nothing to read (scripted)") }
            return queue.removeFirst()
        }
    }

    func startTLS() async throws {
        lock.withLock { _commands.append("<TLS>") }
    }

    func close() async {
        lock.withLock { _closed = true }
    }
}
