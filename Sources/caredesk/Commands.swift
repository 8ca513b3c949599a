import CareCore
import CareData
import CareServer
import Foundation
import Vapor

/// The operator's commands besides Vapor's `serve` and `routes`.
func registerCommands(_ app: Application) {
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(AdminCommands(), as: "admin")
    app.asyncCommands.use(TokenCommands(), as: "token")
    app.asyncCommands.use(BenchCommands(), as: "bench")
}

/// Migrations run in `configure` (every command needs the schema); this command exists so scripts can say it.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Brings the database schema up to date." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.autoMigrate()
        context.console.print("Database is up to date.")
    }
}

struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Loads the demo data (customers, conversations, agents in two teams) into an empty database." }

    func run(using context: CommandContext, signature: Signature) async throws {
        if let s = try await Bootstrap.loadDemo(context.application) {
            context.console.print("Loaded \(s.customers) customers, \(s.conversations) conversations, \(s.messages) messages, \(s.agents) agents in \(s.teams) teams.")
            context.console.print("Sign in as \(DemoData.adminEmail) with password \(DemoData.password).")
        } else {
            context.console.print("The database has customers already; demo data was not loaded.")
        }
    }
}

struct AdminCommands: AsyncCommandGroup {
    var help: String { "Manages administrators." }
    var commands: [String: any AnyAsyncCommand] { ["create": CreateAdmin()] }

    struct CreateAdmin: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "email", help: "Sign-in e-mail address") var email: String?
            @Option(name: "name", help: "Display name") var name: String?
            @Option(name: "password", help: "At least 10 characters") var password: String?
            @Option(name: "language", help: "en, el or hr") var language: String?
        }
        var help: String { "Creates an admin agent." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let email = signature.email, let name = signature.name, let password = signature.password else {
                throw CareError.invalid(code: "cli.missing", "Give --email, --name and --password.")
            }
            let agent = try await Bootstrap.createAdmin(context.application, email: email, name: name, password: password,
                                                        language: UILanguage.parse(signature.language) ?? .en)
            context.console.print("Created admin \(agent.name) <\(agent.email)>.")
        }
    }
}

struct TokenCommands: AsyncCommandGroup {
    var help: String { "Manages API tokens." }
    var commands: [String: any AnyAsyncCommand] { ["create": CreateToken()] }

    struct CreateToken: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "email", help: "The agent the token acts as") var email: String?
            @Option(name: "name", help: "What the token is for") var name: String?
        }
        var help: String { "Creates an API token and prints it alone on the last line (it is shown only once)." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let email = signature.email else { throw CareError.invalid(code: "cli.missing", "Give --email.") }
            let token = try await Bootstrap.createToken(context.application, email: email, name: signature.name ?? "cli")
            context.console.print("API token for \(email) (store it now; it cannot be shown again):")
            context.console.print(token)
        }
    }
}

/// Tools for the benchmarks in docs/PERFORMANCE.md.
struct BenchCommands: AsyncCommandGroup {
    var help: String { "Benchmark tools." }
    var commands: [String: any AnyAsyncCommand] { ["seed": Seed()] }

    struct Seed: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "conversations", help: "How many conversations to add (default 100000)") var conversations: Int?
            @Option(name: "messages", help: "How many messages to add in all (default 1000000)") var messages: Int?
        }
        var help: String { "Adds a large synthetic history (demo teams and agents, loaded first if missing) for the speed benchmarks." }

        func run(using context: CommandContext, signature: Signature) async throws {
            let app = context.application
            if try await app.care.store.agents.teams().isEmpty { _ = try await Bootstrap.loadDemo(app) }
            let console = context.console
            let summary = try await BulkSeeder(store: app.care.store).seed(
                conversations: signature.conversations ?? 100_000, messages: signature.messages ?? 1_000_000,
                progress: { console.print($0) })
            console.print("Added \(summary.customers) customers, \(summary.conversations) conversations, \(summary.messages) messages.")
        }
    }
}

/// Reads one message from standard input and delivers it to the SMTP receiver (see `Mailgate`).
func runMailgate(_ arguments: [String]) async -> Int32 {
    func report(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    let options: Mailgate.Options
    let config: CareConfig
    do {
        options = try Mailgate.Options.parse(arguments)
        config = try CareConfig.fromEnvironment()
    } catch {
        report("mailgate: \(error)")
        return Mailgate.temporaryFailure
    }
    let raw = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    guard !raw.isEmpty else {
        report("mailgate: no message on standard input")
        return Mailgate.usage
    }
    return await Mailgate.deliver(raw, options: options, config: config.mail, report: report)
}
