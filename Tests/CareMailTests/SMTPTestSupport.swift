import Foundation
import CareMail

/// Drives an `SMTPSession` without sockets: answers its policy and delivery requests at once
/// and collects what it said.
struct SessionDriver {
    var session: SMTPSession
    var policy: (String) -> SMTPRecipientDecision = { $0.hasSuffix("@support.example") ? .accept : .reject }
    var outcomes: [SMTPDeliveryOutcome] = []  // next delivery outcomes; .delivered when empty
    var replies: [SMTPReply] = []
    var deliveries: [(envelope: SMTPEnvelope, raw: [UInt8])] = []
    var checked: [String] = []
    var startedTLS = 0
    var closed = false

    init(_ configuration: SMTPSessionConfiguration = SMTPSessionConfiguration(hostname: "mx.test"),
         remoteAddress: String? = "192.0.2.7") {
        session = SMTPSession(configuration: configuration, remoteAddress: remoteAddress)
        run(session.start())
    }

    /// Sends bytes and returns the replies they produced.
    @discardableResult
    mutating func send(_ text: String) -> [SMTPReply] { send(Array(text.utf8)) }

    @discardableResult
    mutating func send(_ bytes: [UInt8]) -> [SMTPReply] {
        let before = replies.count
        run(session.receive(bytes))
        return Array(replies[before...])
    }

    var codes: [Int] { replies.map(\.code) }

    private mutating func run(_ actions: [SMTPSessionAction]) {
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .reply(let reply): replies.append(reply)
            case .checkRecipient(let address):
                checked.append(address)
                queue += session.recipientChecked(policy(address))
            case .deliver(let envelope, let raw):
                deliveries.append((envelope, raw))
                let outcome = outcomes.isEmpty ? .delivered : outcomes.removeFirst()
                queue += session.deliveryFinished(outcome)
            case .startTLS: startedTLS += 1
            case .close: closed = true
            }
        }
    }
}

/// Fixture files for the SMTP tests (Tests/Fixtures/smtp), found via `#filePath`.
enum SMTPFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/smtp")
    static var certificate: String { directory.appendingPathComponent("test-cert.pem").path }
    static var privateKey: String { directory.appendingPathComponent("test-key.pem").path }
    static var clientScript: String { directory.appendingPathComponent("smtp_client.py").path }
}

/// A Greek 8-bit message, CRLF throughout, with lines that look like protocol to a careless peer: lines that
/// need SMTP dot-stuffing, and lines like IMAP responses and literals. The SMTP and IMAP tests both use it.
enum SMTPSamples {
    static let greek: [UInt8] = {
        let lines: [String] = [
            "From: Γιάννης Παπαδόπουλος <giannis@customer.example>",
            "To: support@support.example",
            "Subject: Παράπονο για την παραγγελία 1234",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Καλησπέρα σας,",
            ".",
            "..δύο τελείες στην αρχή",
            ".τελεία στην αρχή",
            " .",
            "* 1 EXISTS",
            "A1 OK not a response {12}",
            "",
            "Ευχαριστώ,",
            "Γιάννης",
        ]
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }()

    static func plain(subject: String, bodyBytes: Int = 0) -> [UInt8] {
        var text = "From: a@customer.example\r\nTo: support@support.example\r\nSubject: \(subject)\r\n\r\n"
        let line = String(repeating: "x", count: 76) + "\r\n"
        while text.utf8.count < bodyBytes { text += line }
        text += "end\r\n"
        return Array(text.utf8)
    }
}

/// What a test server received.
actor Mailbox {
    private(set) var delivered: [(envelope: SMTPEnvelope, raw: [UInt8])] = []
    private(set) var attempts = 0
    private(set) var checked: [String] = []
    private var failures: [any Error] = []

    func failNext(with error: any Error) { failures.append(error) }

    func isOurs(_ address: String) -> Bool {
        checked.append(address)
        return address.lowercased().hasSuffix("@support.example")
    }

    func deliver(_ envelope: SMTPEnvelope, _ raw: [UInt8]) throws {
        attempts += 1
        if !failures.isEmpty { throw failures.removeFirst() }
        delivered.append((envelope, raw))
    }
}

/// Runs Tests/Fixtures/smtp/smtp_client.py (Python's smtplib) against a port.
/// Steps are dictionaries as the script's header describes; byte arrays are sent as base64.
enum SMTPClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(port: Int, _ steps: [[String: any Sendable]]) async throws -> SMTPClientOutput {
        let encodedSteps: [[String: Any]] = steps.map { step in
            step.mapValues { value -> Any in
                if let bytes = value as? [UInt8] { return Data(bytes).base64EncodedString() }
                return value
            }
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["port": port, "steps": encodedSteps]), as: UTF8.self)
        let (status, stdout, stderr) = try await runProcess(["python3", SMTPFixtures.clientScript, json])
        guard status == 0,
              let object = try? JSONSerialization.jsonObject(with: stdout) as? [String: Any],
              let greeting = object["greeting"] as? [String: Any],
              let results = object["results"] as? [[String: Any]] else {
            throw Failure(description: "smtp_client.py failed (exit \(status)); python3 with smtplib is required.\n" +
                          "stdout: \(String(decoding: stdout, as: UTF8.self))\nstderr: \(String(decoding: stderr, as: UTF8.self))")
        }
        return SMTPClientOutput(greetingCode: greeting["code"] as? Int ?? 0, results: results)
    }

    /// Runs a process on its own thread (never blocking the concurrency pool, which the server's
    /// delivery tasks need while the client waits).
    static func runProcess(_ arguments: [String]) async throws -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                let errData = ThreadLocalBox<Data>()
                let errThread = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile(); errData.done.signal() }
                errThread.start()
                let outData = out.fileHandleForReading.readDataToEndOfFile()
                errData.done.wait()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, outData, errData.value ?? Data()))
            }
            thread.start()
        }
    }
}

final class ThreadLocalBox<Value>: @unchecked Sendable {
    var value: Value?
    let done = DispatchSemaphore(value: 0)
}

struct SMTPClientOutput: @unchecked Sendable {
    struct Refusal: Equatable {
        var code: Int
        var message: String
    }

    var greeting: Refusal { Refusal(code: greetingCode, message: "") }
    var greetingCode: Int
    var results: [[String: Any]]

    func code(_ index: Int) -> Int? { results[index]["code"] as? Int }
    func message(_ index: Int) -> String? { results[index]["message"] as? String }

    func refused(_ index: Int) -> [String: Refusal] {
        guard let refused = results[index]["refused"] as? [String: [Any]] else { return ["<no refused field>": Refusal(code: 0, message: "\(results[index])")] }
        return refused.mapValues { Refusal(code: $0.first as? Int ?? 0, message: $0.last as? String ?? "") }
    }

    func rawCodes(_ index: Int) -> [Int] {
        (results[index]["replies"] as? [[Any]] ?? []).compactMap { $0.first as? Int }
    }
}
