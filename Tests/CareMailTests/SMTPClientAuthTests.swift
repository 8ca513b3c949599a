import Foundation
import Testing
import NIOCore
@testable import CareMail

/// The SMTP client against Python's aiosmtpd (Tests/Fixtures/smtp/smtp_sink.py): AUTH PLAIN
/// and LOGIN with good and bad credentials, STARTTLS and implicit TLS. Our own receiver has
/// no AUTH and no implicit TLS, hence the second peer. Without aiosmtpd (`pip install
/// aiosmtpd`) these tests are skipped with a note; CI installs it.
@Suite(.enabled(if: SMTPSink.isAvailable, "aiosmtpd not installed: SMTP client AUTH tests skipped"))
struct SMTPClientAuthTests {
    static let message = Array("From: agent@caredesk.example\r\nTo: x@customer.example\r\nSubject: auth\r\n\r\n.hidden\r\nbody\r\n".utf8)

    static func configuration(_ port: Int, _ security: SMTPClientConfiguration.Security, user: String? = "agent",
                              password: String? = "s3cret") -> SMTPClientConfiguration {
        SMTPClientConfiguration(host: "localhost", port: port, security: security, username: user, password: password,
                                heloName: "caredesk.example", timeout: .seconds(10), trustedCertificateFile: SMTPFixtures.certificate)
    }

    static func send(_ configuration: SMTPClientConfiguration) async throws -> SMTPSendResult {
        try await CareMail.SMTPClient.send(message, from: "agent@caredesk.example", to: ["x@customer.example", "y@customer.example"],
                                           using: configuration)
    }

    @Test(arguments: [("starttls", SMTPClientConfiguration.Security.startTLS), ("implicit", .implicitTLS), ("none", .none)])
    func authPlainAndDelivery(mode: String, security: SMTPClientConfiguration.Security) async throws {
        let sink = try await SMTPSink.start(["tls": mode, "user": "agent", "password": "s3cret"])
        let result = try await Self.send(Self.configuration(sink.port, security))
        let events = await sink.finish()
        #expect(result.acceptedRecipients == ["x@customer.example", "y@customer.example"])
        #expect(result.finalReply == "250 2.0.0 OK: queued in the sink")
        #expect(events.attempts == [SMTPSink.Attempt(mechanism: "PLAIN", login: "agent", ok: true)])
        let delivered = try #require(events.messages.first)
        #expect(events.messages.count == 1)
        #expect(delivered.content == Self.message, "dot-stuffing undone by aiosmtpd: .hidden arrives as .hidden")
        #expect(delivered.mailFrom == "agent@caredesk.example")
        #expect(delivered.rcptTos == ["x@customer.example", "y@customer.example"])
        #expect(delivered.auth == "agent")
        #expect(delivered.tls == (security != .none))
        #expect(delivered.helo == "caredesk.example")
        #expect(delivered.mailOptions == ["SIZE=\(Self.message.count)"])
    }

    @Test func authLoginWhenPlainIsNotOffered() async throws {
        let sink = try await SMTPSink.start(["tls": "implicit", "user": "agent", "password": "s3cret", "mechanisms": ["LOGIN"]])
        _ = try await Self.send(Self.configuration(sink.port, .implicitTLS))
        let events = await sink.finish()
        #expect(events.attempts == [SMTPSink.Attempt(mechanism: "LOGIN", login: "agent", ok: true)])
        #expect(events.messages.first?.auth == "agent")
    }

    @Test(arguments: [["PLAIN", "LOGIN"], ["LOGIN"]])
    func badCredentialsArePermanent(mechanisms: [String]) async throws {
        let sink = try await SMTPSink.start(["tls": "starttls", "user": "agent", "password": "s3cret", "mechanisms": mechanisms])
        let error = await #expect(throws: SMTPClientError.self) {
            try await Self.send(Self.configuration(sink.port, .startTLS, password: "wrong"))
        }
        let events = await sink.finish()
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("Authentication as agent refused") == true, "\(String(describing: error))")
        #expect(error?.message.contains("535") == true, "\(String(describing: error))")
        #expect(events.attempts == [SMTPSink.Attempt(mechanism: mechanisms[0], login: "agent", ok: false)])
        #expect(events.messages.isEmpty)
    }

    @Test func missingCredentialsWhereAuthIsRequiredIsPermanent() async throws {
        let sink = try await SMTPSink.start(["tls": "implicit", "user": "agent", "password": "s3cret"])
        let error = await #expect(throws: SMTPClientError.self) {
            try await Self.send(Self.configuration(sink.port, .implicitTLS, user: nil, password: nil))
        }
        let events = await sink.finish()
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("MAIL FROM:<agent@caredesk.example> refused") == true, "\(String(describing: error))")
        #expect(error?.message.contains("530") == true, "\(String(describing: error))")
        #expect(events.messages.isEmpty)
    }

    @Test func implicitTLSWithoutAuth() async throws {
        let sink = try await SMTPSink.start(["tls": "implicit"])
        let result = try await Self.send(Self.configuration(sink.port, .implicitTLS, user: nil, password: nil))
        let events = await sink.finish()
        #expect(result.acceptedRecipients.count == 2)
        #expect(events.attempts.isEmpty)
        #expect(events.messages.first?.tls == true)
        #expect(events.messages.first?.auth == nil)
    }

    @Test func implicitTLSWithAnUntrustedCertificateIsPermanent() async throws {
        let sink = try await SMTPSink.start(["tls": "implicit", "user": "agent", "password": "s3cret"])
        var configuration = Self.configuration(sink.port, .implicitTLS)
        configuration.trustedCertificateFile = nil
        let error = await #expect(throws: SMTPClientError.self) { try await Self.send(configuration) }
        let events = await sink.finish()
        #expect(error?.isPermanent == true, "\(String(describing: error))")
        #expect(events.attempts.isEmpty, "no credentials sent")
    }
}

/// Tests/Fixtures/smtp/smtp_sink.py (aiosmtpd) as a subprocess: started per test on its own
/// free port; `finish()` closes its stdin, waits for it to exit and returns what it received.
final class SMTPSink: @unchecked Sendable {
    struct Attempt: Equatable {
        var mechanism: String
        var login: String
        var ok: Bool
    }

    struct Message {
        var mailFrom: String
        var rcptTos: [String]
        var mailOptions: [String]
        var content: [UInt8]
        var auth: String?
        var tls: Bool
        var helo: String
    }

    struct Events {
        var attempts: [Attempt] = []
        var messages: [Message] = []
    }

    static let script = SMTPFixtures.directory.appendingPathComponent("smtp_sink.py").path

    /// `python3 -c 'import aiosmtpd'` works; otherwise a note is printed once.
    static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import aiosmtpd"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let available = (try? process.run()).map { process.waitUntilExit(); return process.terminationStatus == 0 } ?? false
        if !available {
            FileHandle.standardError.write(Data("NOTE: aiosmtpd not installed (pip install aiosmtpd): SMTP client AUTH tests skipped\n".utf8))
        }
        return available
    }()

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var received = Data()
    private var ended = false
    private(set) var port = 0

    deinit {
        if process.isRunning { process.terminate() }
    }

    static func start(_ options: [String: any Sendable]) async throws -> SMTPSink {
        var options = options
        options["cert"] = SMTPFixtures.certificate
        options["key"] = SMTPFixtures.privateKey
        let sink = SMTPSink()
        let json = String(decoding: try JSONSerialization.data(withJSONObject: options), as: UTF8.self)
        sink.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sink.process.arguments = ["python3", script, json]
        sink.process.standardInput = sink.input
        sink.process.standardOutput = sink.output
        sink.process.standardError = FileHandle.nullDevice
        try sink.process.run()
        Thread { sink.readOutput() }.start()
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let first = sink.lines().first {
                guard let port = first["port"] as? Int else { throw SMTPSinkFailure(description: "smtp_sink.py: \(first)") }
                sink.port = port
                return sink
            }
            if sink.hasEnded { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        sink.process.terminate()
        throw SMTPSinkFailure(description: "smtp_sink.py did not start (python3 with aiosmtpd is required)")
    }

    private func readOutput() {
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            lock.withLock {
                if chunk.isEmpty { ended = true } else { received.append(chunk) }
            }
            if chunk.isEmpty { return }
        }
    }

    private var hasEnded: Bool { lock.withLock { ended } }

    private func lines() -> [[String: Any]] {
        let data = lock.withLock { received }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Stops the sink and returns the AUTH attempts and messages it saw.
    func finish() async -> Events {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while !hasEnded && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        var events = Events()
        for line in lines().dropFirst() {
            if let mechanism = line["auth_attempt"] as? String {
                events.attempts.append(Attempt(mechanism: mechanism, login: line["login"] as? String ?? "", ok: line["ok"] as? Bool ?? false))
            } else if let mailFrom = line["mail_from"] as? String {
                events.messages.append(Message(
                    mailFrom: mailFrom, rcptTos: line["rcpt_tos"] as? [String] ?? [], mailOptions: line["mail_options"] as? [String] ?? [],
                    content: [UInt8](Data(base64Encoded: line["content"] as? String ?? "") ?? Data()),
                    auth: line["auth"] as? String, tls: line["tls"] as? Bool ?? false, helo: line["helo"] as? String ?? ""))
            }
        }
        return events
    }
}

struct SMTPSinkFailure: Error, CustomStringConvertible {
    var description: String
}
