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
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
