import Foundation

/// The one configuration of CareDesk, read once from `CAREDESK_*` environment variables and passed down.
/// Every variable is documented in README.md.
public struct CareConfig: Sendable {
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case sqliteMemory
        case postgres(url: String)
    }

    /// Folder for the SQLite file and attachments.
    public var dataDirectory: String
    public var database: Database
    /// Public base URL, used in links; defaults to the listening address.
    public var publicURL: String?
    /// Load the demo data when the database has no customers yet.
    public var loadDemoData: Bool
    /// Run migrations when the server starts.
    public var autoMigrate: Bool
    /// Run the outbox worker in this process.
    public var runWorker: Bool
    /// Mark session cookies Secure (set when served over HTTPS).
    public var secureCookies: Bool
    /// Failed sign-ins allowed per address and e-mail in 15 minutes before further tries are refused.
    public var signInAttemptsPerWindow: Int
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int
    /// Name of this node in events and logs (defaults to host name + process id).
    public var nodeName: String
    /// The e-mail channel: SMTP receiver, outgoing relay, IMAP polling, size limits.
    public var mail = MailConfig()
    /// Passphrase for secrets stored encrypted (IMAP passwords); nil: a key file in the data folder.
    public var secretKey: String?

    public init(dataDirectory: String = "./caredesk-data", database: Database? = nil, publicURL: String? = nil,
                loadDemoData: Bool = false, autoMigrate: Bool = true, runWorker: Bool = true, secureCookies: Bool = false,
                signInAttemptsPerWindow: Int = 10, maxBodyBytes: Int = 1_048_576, nodeName: String? = nil) {
        self.dataDirectory = dataDirectory
        self.database = database ?? .sqlite(path: (dataDirectory as NSString).appendingPathComponent("caredesk.sqlite"))
        self.publicURL = publicURL
        self.loadDemoData = loadDemoData
        self.autoMigrate = autoMigrate
        self.runWorker = runWorker
        self.secureCookies = secureCookies
        self.signInAttemptsPerWindow = signInAttemptsPerWindow
        self.maxBodyBytes = maxBodyBytes
        self.nodeName = nodeName ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> CareConfig {
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let raw = env[name]?.lowercased(), !raw.isEmpty else { return fallback }
            switch raw {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigError("\(name) must be true or false, not “\(raw)”.")
            }
        }
        func int(_ name: String, _ fallback: Int) throws -> Int {
            guard let raw = env[name], !raw.isEmpty else { return fallback }
            guard let v = Int(raw), v > 0 else { throw ConfigError("\(name) must be a positive whole number, not “\(raw)”.") }
            return v
        }
        let dataDir = env["CAREDESK_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./caredesk-data"
        var database: Database?
        if let url = env["CAREDESK_DATABASE_URL"], !url.isEmpty {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                database = .postgres(url: url)
            } else if url.hasPrefix("sqlite://") {
                database = .sqlite(path: String(url.dropFirst("sqlite://".count)))
            } else {
                throw ConfigError("CAREDESK_DATABASE_URL must start with postgres:// or sqlite://.")
            }
        }
        return CareConfig(
            dataDirectory: dataDir, database: database, publicURL: env["CAREDESK_PUBLIC_URL"],
            loadDemoData: try flag("CAREDESK_DEMO", false), autoMigrate: try flag("CAREDESK_AUTO_MIGRATE", true),
            runWorker: try flag("CAREDESK_WORKER", true), secureCookies: try flag("CAREDESK_SECURE_COOKIES", false),
            signInAttemptsPerWindow: try int("CAREDESK_SIGNIN_ATTEMPTS", 10),
            maxBodyBytes: try int("CAREDESK_MAX_BODY_BYTES", 1_048_576),
            nodeName: env["CAREDESK_NODE_NAME"])
            .with(mail: try MailConfig.fromEnvironment(env, int: int), secretKey: env["CAREDESK_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 })
    }

    func with(mail: MailConfig, secretKey: String?) -> CareConfig {
        var c = self
        c.mail = mail
        c.secretKey = secretKey
        return c
    }
}

/// Settings of the e-mail channel (docs/MAIL.md, README "Configuration").
public struct MailConfig: Sendable {
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// "host:port", "[v6]:port" or "port"; nil when malformed.
        static func parse(_ raw: String, defaultHost: String) -> Endpoint? {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if let port = Int(t), (0...65535).contains(port) { return Endpoint(host: defaultHost, port: port) }
            guard let colon = t.lastIndex(of: ":"), let port = Int(t[t.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            var host = String(t[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return host.isEmpty ? nil : Endpoint(host: host, port: port)
        }
    }

    /// Where the SMTP receiver listens; nil: not started.
    public var listen: Endpoint?
    /// The name the receiver greets with (defaults to the host name).
    public var hostname: String?
    /// Certificate chain and key (PEM) for STARTTLS on the receiver.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Largest message accepted (SMTP 552 above it), in bytes.
    public var maxMessageBytes: Int = 26_214_400
    /// Largest attachment stored; bigger ones are listed on the message as not kept.
    public var maxAttachmentBytes: Int = 20_971_520
    /// Outgoing mail relay; nil: e-mail replies stay queued until one is configured.
    public var relay: Endpoint?
    /// none, starttls or tls.
    public var relaySecurity: String = "starttls"
    public var relayUsername: String?
    public var relayPassword: String?
    /// Extra certificate (PEM) trusted for the relay and IMAP servers, e.g. a company CA or a test server's own.
    public var trustedCertificateFile: String?
    /// Seconds between IMAP polls of servers without IDLE (and the longest IDLE wait).
    public var imapPollSeconds: Int = 60

    public init() {}

    static func fromEnvironment(_ env: [String: String], int: (String, Int) throws -> Int) throws -> MailConfig {
        var m = MailConfig()
        func value(_ name: String) -> String? { env[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let listen = value("CAREDESK_SMTP_LISTEN") ?? "127.0.0.1:2525"
        if !["off", "no", "false", "0"].contains(listen.lowercased()) {
            guard let e = Endpoint.parse(listen, defaultHost: "127.0.0.1") else {
                throw ConfigError("CAREDESK_SMTP_LISTEN must be host:port or off, not “\(listen)”.")
            }
            m.listen = e
        }
        m.hostname = value("CAREDESK_SMTP_HOSTNAME")
        m.tlsCertificateFile = value("CAREDESK_SMTP_TLS_CERT")
        m.tlsKeyFile = value("CAREDESK_SMTP_TLS_KEY")
        if (m.tlsCertificateFile == nil) != (m.tlsKeyFile == nil) {
            throw ConfigError("CAREDESK_SMTP_TLS_CERT and CAREDESK_SMTP_TLS_KEY must be set together.")
        }
        m.maxMessageBytes = try int("CAREDESK_MAIL_MAX_BYTES", m.maxMessageBytes)
        m.maxAttachmentBytes = try int("CAREDESK_ATTACHMENT_MAX_BYTES", m.maxAttachmentBytes)
        if let relay = value("CAREDESK_SMTP_RELAY") {
            guard let e = Endpoint.parse(relay, defaultHost: "127.0.0.1"), e.port > 0, relay.contains(":") else {
                throw ConfigError("CAREDESK_SMTP_RELAY must be host:port, not “\(relay)”.")
            }
            m.relay = e
        }
        if let security = value("CAREDESK_SMTP_RELAY_SECURITY")?.lowercased() {
            guard ["none", "starttls", "tls"].contains(security) else {
                throw ConfigError("CAREDESK_SMTP_RELAY_SECURITY must be none, starttls or tls, not “\(security)”.")
            }
            m.relaySecurity = security
        }
        m.relayUsername = value("CAREDESK_SMTP_RELAY_USER")
        m.relayPassword = value("CAREDESK_SMTP_RELAY_PASSWORD")
        m.trustedCertificateFile = value("CAREDESK_MAIL_CA_FILE")
        m.imapPollSeconds = try int("CAREDESK_IMAP_POLL_SECONDS", m.imapPollSeconds)
        return m
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
