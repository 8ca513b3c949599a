import Foundation
import NIOCore
import NIOPosix
@testable import CareMail

/// Fixtures for the IMAP tests (Tests/Fixtures/imap), found via `#filePath`.
enum IMAPFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/imap")
    static var certificate: String { directory.appendingPathComponent("test-cert.pem").path }
    static var privateKey: String { directory.appendingPathComponent("test-key.pem").path }
    static var configTemplate: URL { directory.appendingPathComponent("dovecot.conf.template") }
}

/// A private dovecot (package `dovecot-imapd`) for one test: its own temp dir, config, ports
/// (plain IMAP with STARTTLS, and implicit TLS), one user with a maildir, logs in the temp dir.
/// Works as root (dovecot's processes and the mail then run as `nobody`) and as a normal user
/// (everything runs as that user). `stop()` kills it; so does deinit.
final class DovecotServer: @unchecked Sendable {
    static let username = "support@caredesk.test"
    static let password = "s3cret pass \"quoted\" \\ here"

    /// The dovecot binary, or nil (then the tests are skipped with a note).
    static let binary: String? = {
        let candidates = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot", "/opt/homebrew/sbin/dovecot"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/dovecot" }
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        if found == nil {
            FileHandle.standardError.write(Data("note: dovecot not installed: IMAP tests against a real server skipped (apt-get install dovecot-imapd)\n".utf8))
        }
        return found
    }()

    static var isAvailable: Bool { binary != nil }

    let directory: URL
    let imapPort: Int
    let imapsPort: Int
    private let process: Process
    private let mailUID: uid_t
    private let mailGID: gid_t
    var home: URL { directory.appendingPathComponent("home") }
    var maildir: URL { home.appendingPathComponent("Maildir") }

    private init(directory: URL, imapPort: Int, imapsPort: Int, process: Process, mailUID: uid_t, mailGID: gid_t) {
        self.directory = directory
        self.imapPort = imapPort
        self.imapsPort = imapsPort
        self.process = process
        self.mailUID = mailUID
        self.mailGID = mailGID
    }

    deinit { stop() }

    /// Starts a server and waits until both ports accept connections (a few tries with new
    /// ports if another process grabbed one meanwhile).
    static func start(authMechanisms: String = "plain login") async throws -> DovecotServer {
        var lastError: any Error = Failure("not started")
        for _ in 0..<3 {
            do {
                return try await startOnce(authMechanisms: authMechanisms)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private static func startOnce(authMechanisms: String) async throws -> DovecotServer {
        guard let binary else { throw Failure("dovecot not installed") }
        let fm = FileManager.default
        let directory = fm.temporaryDirectory.appendingPathComponent("caredesk-imap-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let isRoot = getuid() == 0
        // dovecot refuses to run mail processes as root: use nobody then; otherwise ourselves.
        let (internalUser, internalGroup, uid, gid): (String, String, uid_t, gid_t) = if isRoot {
            ("nobody", groupName(65534) ?? "nogroup", 65534, 65534)
        } else {
            (userName(getuid()) ?? "\(getuid())", groupName(getgid()) ?? "\(getgid())", getuid(), getgid())
        }
        let home = directory.appendingPathComponent("home")
        try fm.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        if isRoot { try fm.setAttributes([.ownerAccountID: uid, .groupOwnerAccountID: gid], ofItemAtPath: home.path) }
        try "\(username):{PLAIN}\(password):\(uid):\(gid)::\(home.path)\n"
            .write(to: directory.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        let imapPort = try await freePort(), imapsPort = try await freePort()
        let replacements = [
            "@DIR@": directory.path, "@PORT_IMAP@": "\(imapPort)", "@PORT_IMAPS@": "\(imapsPort)", "@SSL@": "yes",
            "@CERT@": IMAPFixtures.certificate, "@KEY@": IMAPFixtures.privateKey, "@AUTH_MECHANISMS@": authMechanisms,
            "@INTERNAL_USER@": internalUser, "@INTERNAL_GROUP@": internalGroup,
        ]
        var config = try String(contentsOf: IMAPFixtures.configTemplate, encoding: .utf8)
        for (key, value) in replacements { config = config.replacingOccurrences(of: key, with: value) }
        let configFile = directory.appendingPathComponent("dovecot.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-F", "-c", configFile.path]
        let output = directory.appendingPathComponent("dovecot.out")
        fm.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let server = DovecotServer(directory: directory, imapPort: imapPort, imapsPort: imapsPort,
                                   process: process, mailUID: uid, mailGID: gid)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            guard process.isRunning else { break }
            if await accepts(imapPort), await accepts(imapsPort) { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = server.log()
        server.stop()
        throw Failure("dovecot did not start on \(imapPort)/\(imapsPort):\n\(log)")
    }

    /// Stops the server without blocking the caller (the test's concurrency threads are few):
    /// a thread kicks the open connections, sends SIGTERM, and SIGKILL if it is still there after 5 s.
    func stop() {
        stop(then: {})
    }

    /// Stops the server and returns once it is gone (call at the end of every test: the test
    /// process may exit right after, and a thread of `stop()` with it).
    func stopAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stop(then: { continuation.resume() })
        }
    }

    private func stop(then done: @escaping @Sendable () -> Void) {
        guard !stopping.swap() else { return done() }
        let process = self.process
        let kick = kickProcess()
        let thread = Thread {
            defer { done() }
            if let kick { try? kick.run(); kick.waitUntilExit() }
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        thread.start()
    }

    private let stopping = OnceFlag()

    /// `doveadm kick`: the server says `* BYE` and closes every connection of the test user.
    func kick() async {
        guard let kick = kickProcess() else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                try? kick.run()
                kick.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    private func kickProcess() -> Process? {
        let candidates = ["/usr/bin/doveadm", "/usr/local/bin/doveadm", "/opt/homebrew/bin/doveadm"]
        guard let doveadm = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let kick = Process()
        kick.executableURL = URL(fileURLWithPath: doveadm)
        kick.arguments = ["-c", directory.appendingPathComponent("dovecot.conf").path, "kick", Self.username]
        if let log = try? FileHandle(forWritingTo: directory.appendingPathComponent("dovecot.out")) {
            log.seekToEndOfFile()
            kick.standardOutput = log
            kick.standardError = log
        }
        return kick
    }

    /// The server's log (for failure messages).
    func log() -> String {
        let files = ["dovecot.out", "dovecot.log"].map { directory.appendingPathComponent($0) }
        return files.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    func configuration(security: IMAPConfiguration.Security = .none, password: String = DovecotServer.password,
                       host: String = "127.0.0.1", trusted: Bool = true, maxMessageSize: Int = 50 * 1024 * 1024) -> IMAPConfiguration {
        IMAPConfiguration(host: host, port: security == .implicitTLS ? imapsPort : imapPort, security: security,
                          username: Self.username, password: password,
                          trustedCertificateFile: trusted ? IMAPFixtures.certificate : nil, timeout: 10,
                          maxMessageSize: maxMessageSize)
    }

    /// Puts a message straight into the INBOX maildir's new/ (as an MTA would), owned by the mail user.
    func deliverToMaildir(_ message: [UInt8]) throws {
        let fm = FileManager.default
        for sub in ["", "tmp", "new", "cur"] {
            let path = maildir.appendingPathComponent(sub).path
            if !fm.fileExists(atPath: path) {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                if getuid() == 0 { try fm.setAttributes([.ownerAccountID: mailUID, .groupOwnerAccountID: mailGID], ofItemAtPath: path) }
            }
        }
        let name = "\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString.prefix(12)).caredesk-test"
        let temporary = maildir.appendingPathComponent("tmp/\(name)")
        try Data(message).write(to: temporary)
        if getuid() == 0 { try fm.setAttributes([.ownerAccountID: mailUID, .groupOwnerAccountID: mailGID], ofItemAtPath: temporary.path) }
        try fm.moveItem(at: temporary, to: maildir.appendingPathComponent("new/\(name)"))
    }

    private static func accepts(_ port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(500))
                .channelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
                .connect(host: "127.0.0.1", port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    private static func userName(_ uid: uid_t) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    private static func groupName(_ gid: gid_t) -> String? {
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return nil }
        return String(cString: name)
    }
}

final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    /// Sets the flag; returns whether it was already set.
    func swap() -> Bool { lock.withLock { defer { set = true }; return set } }
}

/// Test messages, CRLF throughout (dovecot hands maildir mail back with CRLF line ends).
enum IMAPSamples {
    static func plain(_ subject: String, body: String = "Hello") -> [UInt8] {
        Array("From: customer@example.com\r\nTo: support@caredesk.test\r\nSubject: \(subject)\r\nMessage-ID: <\(UUID().uuidString)@example.com>\r\n\r\n\(body)\r\n".utf8)
    }

    static var greek: [UInt8] { SMTPSamples.greek }

    /// Broken MIME: a boundary that never closes, a bad base64 part, 8-bit bytes that are not UTF-8 at the end.
    static let brokenMIME: [UInt8] = {
        let lines: [String] = [
            "From: broken@example.com",
            "Subject: =?utf-8?B?broken",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"never\"",
            "",
            "--never",
            "Content-Type: text/plain; charset=unknown-8bit",
            "Content-Transfer-Encoding: base64",
            "",
            "!!!not base64 at all###",
            "--never",
            "Content-Type: text/html",
            "",
            "<p>unclosed",
        ]
        let text: [UInt8] = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
        return text + [0xE9, 0xFF, 0x80, 0x0D, 0x0A]
    }()
}
