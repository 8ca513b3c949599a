import Foundation
import Testing
import NIOCore
import NIOSSL
@testable import CareMail

/// End to end over TCP with a real SMTP client: Python's smtplib (Tests/Fixtures/smtp/smtp_client.py).
/// python3 is required: without it these tests fail, they do not skip.
@Suite struct SMTPServerTests {
    static let from = "giannis@customer.example"

    @Test func greekEightBitMessageArrivesByteExact() async throws {
        try await withServer { port, mailbox in
            let out = try await SMTPClient.run(port: port, [
                ["op": "ehlo"],
                ["op": "sendmail", "from": Self.from, "to": ["Help@support.example"], "msg": SMTPSamples.greek,
                 "options": ["BODY=8BITMIME", "SMTPUTF8"]],
                ["op": "quit"],
            ])
            #expect(out.greeting.code == 220)
            let features = try #require(out.results[0]["features"] as? [String: String])
            #expect(Set(features.keys).isSuperset(of: ["size", "8bitmime", "pipelining", "smtputf8", "enhancedstatuscodes"]))
            #expect(features["size"] == "\(1_000_000)")
            #expect(features["starttls"] == nil)
            #expect(out.refused(1) == [:])
            #expect(out.code(2) == 221)
            let delivered = await mailbox.delivered
            #expect(delivered.count == 1)
            #expect(delivered.first?.raw == SMTPSamples.greek)
            let envelope = try #require(delivered.first?.envelope)
            #expect(envelope.mailFrom == Self.from && envelope.rcptTo == ["Help@support.example"])
            #expect(envelope.clientHelo == "client.example" && envelope.remoteAddress == "127.0.0.1")
            #expect(envelope.declared8BitMIME && envelope.declaredSMTPUTF8 && !envelope.usedTLS)
            #expect(ParsedMail(parsing: delivered[0].raw).subject == "Παράπονο για την παραγγελία 1234")
        }
    }

    @Test func oneRefusedRecipientAndTheRestAccepted() async throws {
        try await withServer { port, mailbox in
            let out = try await SMTPClient.run(port: port, [
                ["op": "sendmail", "from": Self.from, "msg": SMTPSamples.plain(subject: "three"),
                 "to": ["help@support.example", "someone@elsewhere.example", "sales@support.example"]],
            ])
            let refused = out.refused(0)
            #expect(refused.keys.sorted() == ["someone@elsewhere.example"])
            #expect(refused["someone@elsewhere.example"]?.code == 550)
            #expect(refused["someone@elsewhere.example"]?.message.contains("5.1.1") == true)
            #expect(refused["someone@elsewhere.example"]?.message.contains("no such mailbox here") == true)
            #expect(await mailbox.delivered.map(\.envelope.rcptTo) == [["help@support.example", "sales@support.example"]])
        }
    }

    @Test func unknownAndOutOfSequenceCommands() async throws {
        try await withServer { port, mailbox in
            let out = try await SMTPClient.run(port: port, [
                ["op": "cmd", "line": "XYZZY"],
                ["op": "cmd", "line": "MAIL FROM:<a@customer.example>"],
                ["op": "ehlo"],
                ["op": "rcpt", "to": "help@support.example"],
                ["op": "cmd", "line": "DATA"],
                ["op": "cmd", "line": "VRFY help"],
                ["op": "noop"],
            ])
            #expect((0..<7).map { out.code($0) } == [500, 503, 250, 503, 503, 252, 250])
            #expect(out.message(1)?.hasPrefix("5.5.1") == true)
            #expect(await mailbox.attempts == 0)
        }
    }

    @Test func oversizedMessageGets552AndTheConnectionStaysUsable() async throws {
        try await withServer(maxMessageSize: 2000) { port, mailbox in
            let big = SMTPSamples.plain(subject: "big", bodyBytes: 10_000)
            let out = try await SMTPClient.run(port: port, [
                ["op": "ehlo"],
                ["op": "mail", "from": Self.from],  // no SIZE= given: found out while reading
                ["op": "rcpt", "to": "help@support.example"],
                ["op": "data", "msg": big],
                ["op": "noop"],
                ["op": "sendmail", "from": Self.from, "to": ["help@support.example"], "msg": SMTPSamples.plain(subject: "small")],
            ])
            #expect(out.code(3) == 552)
            #expect(out.message(3) == "5.3.4 Message too big: the limit here is 2000 bytes")
            #expect(out.code(4) == 250)
            #expect(out.refused(5) == [:])
            #expect(await mailbox.delivered.map(\.raw) == [SMTPSamples.plain(subject: "small")])
        }
    }

    @Test func sizeAnnouncedTooBigIsRefusedAtMailFrom() async throws {
        try await withServer(maxMessageSize: 2000) { port, mailbox in
            // smtplib sends SIZE=<length> by itself because we advertise SIZE.
            let out = try await SMTPClient.run(port: port, [
                ["op": "sendmail", "from": Self.from, "to": ["help@support.example"],
                 "msg": SMTPSamples.plain(subject: "big", bodyBytes: 10_000)],
                ["op": "noop"],
            ])
            #expect(out.results[0]["exception"] as? String == "SMTPSenderRefused")
            #expect(out.code(0) == 552)
            #expect(out.code(1) == 250)
            #expect(await mailbox.attempts == 0)
            #expect(await mailbox.checked.isEmpty, "refused before any RCPT")
        }
    }

    @Test func temporaryHandlerFailureGives451AndNothingIsAcknowledged() async throws {
        try await withServer { port, mailbox in
            await mailbox.failNext(with: SMTPDeliveryError.temporary("Database unavailable, try again later"))
            await mailbox.failNext(with: CancellationError())  // any other error is temporary too
            await mailbox.failNext(with: SMTPDeliveryError.permanent("Message refused"))
            let message = ["op": "sendmail", "from": Self.from, "to": ["help@support.example"],
                           "msg": SMTPSamples.plain(subject: "retry")] as [String: any Sendable]
            let out = try await SMTPClient.run(port: port, [message, ["op": "rset"], message, ["op": "rset"], message, ["op": "rset"], message])
            #expect(out.results[0]["exception"] as? String == "SMTPDataError")
            #expect(out.code(0) == 451)
            #expect(out.message(0) == "4.3.0 Database unavailable, try again later")
            #expect(out.code(2) == 451)
            #expect(out.message(2) == "4.3.0 Local error in processing, try again later")
            #expect(out.code(4) == 554)
            #expect(out.refused(6) == [:], "the retry succeeds")
            #expect(await mailbox.attempts == 4)
            #expect(await mailbox.delivered.count == 1)
        }
    }

    @Test func pipelinedCommandsInOneWrite() async throws {
        try await withServer { port, mailbox in
            let commands = "EHLO pipe.example\r\nMAIL FROM:<a@customer.example>\r\nRCPT TO:<help@support.example>\r\n" +
                "RCPT TO:<x@elsewhere.example>\r\nRCPT TO:<sales@support.example>\r\nDATA\r\n"
            let message = "Subject: piped\r\n\r\n..dot\r\n.\r\nMAIL FROM:<b@customer.example>\r\nRCPT TO:<help@support.example>\r\nDATA\r\n"
            let out = try await SMTPClient.run(port: port, [
                ["op": "raw", "send": Array(commands.utf8), "replies": 6],
                ["op": "raw", "send": Array(message.utf8), "replies": 4],
                ["op": "raw", "send": Array("second\r\n.\r\nQUIT\r\n".utf8), "replies": 2],
            ])
            #expect(out.rawCodes(0) == [250, 250, 250, 550, 250, 354])
            #expect(out.rawCodes(1) == [250, 250, 250, 354])
            #expect(out.rawCodes(2) == [250, 221])
            let delivered = await mailbox.delivered
            #expect(delivered.map(\.raw) == [Array("Subject: piped\r\n\r\n.dot\r\n".utf8), Array("second\r\n".utf8)])
            #expect(delivered.first?.envelope.rcptTo == ["help@support.example", "sales@support.example"])
        }
    }

    @Test func startTLSThenDelivery() async throws {
        let tls = try SMTPServerConfiguration.tls(certificateChainFile: SMTPFixtures.certificate,
                                                  privateKeyFile: SMTPFixtures.privateKey)
        try await withServer(tls: tls) { port, mailbox in
            let out = try await SMTPClient.run(port: port, [
                ["op": "ehlo"],
                ["op": "starttls"],
                ["op": "ehlo"],
                ["op": "sendmail", "from": Self.from, "to": ["help@support.example"], "msg": SMTPSamples.greek,
                 "options": ["BODY=8BITMIME"]],
                ["op": "quit"],
            ])
            #expect((out.results[0]["features"] as? [String: String])?["starttls"] != nil)
            #expect(out.code(1) == 220, "\(out.results)")
            #expect((out.results[2]["features"] as? [String: String])?["starttls"] == nil, "not offered again inside TLS")
            #expect(out.refused(3) == [:])
            #expect(out.code(4) == 221)
            let delivered = await mailbox.delivered
            #expect(delivered.first?.raw == SMTPSamples.greek)
            #expect(delivered.first?.envelope.usedTLS == true)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(idleTimeout: .milliseconds(300)) { port, _ in
            let out = try await SMTPClient.run(port: port, [["op": "raw", "send": [UInt8](), "replies": 2]])
            #expect(out.rawCodes(0) == [421])
            #expect(out.results[0]["closed"] as? Bool == true)
        }
    }

    @Test func portZeroIsReportedAndStopClosesEverything() async throws {
        let mailbox = Mailbox()
        let server = SMTPServer(configuration: SMTPServerConfiguration(port: 0),
                                recipientPolicy: { await mailbox.isOurs($0) }, deliver: { try await mailbox.deliver($0, $1) })
        let port = try await server.start()
        #expect(port > 0)
        #expect(await server.localPort == port)
        await #expect(throws: SMTPServerError.self) { try await server.start() }
        // A client that is connected when the server stops hears 421.
        async let client = SMTPClient.run(port: port, [["op": "raw", "send": [UInt8](), "replies": 2]])
        while server.openConnections == 0 { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(200))
        await server.stop()
        let out = try await client
        #expect(out.rawCodes(0) == [421])
        #expect(out.results[0]["closed"] as? Bool == true)
        #expect(await server.localPort == nil)
        await #expect(throws: (any Error).self) { try await SMTPClient.run(port: port, []) }
    }

    // MARK: - Helpers

    func withServer(maxMessageSize: Int = 1_000_000, idleTimeout: TimeAmount = .seconds(30), tls: TLSConfiguration? = nil,
                    _ body: (Int, Mailbox) async throws -> Void) async throws {
        let mailbox = Mailbox()
        let configuration = SMTPServerConfiguration(port: 0, hostname: "mx.test", maxMessageSize: maxMessageSize,
                                                    idleTimeout: idleTimeout, tls: tls)
        let server = SMTPServer(configuration: configuration,
                                recipientPolicy: { await mailbox.isOurs($0) },
                                deliver: { try await mailbox.deliver($0, $1) })
        let port = try await server.start()
        do {
            try await body(port, mailbox)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
