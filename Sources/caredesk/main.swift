import CareServer
import Foundation
import Logging
import Vapor

// `caredesk mailgate` runs before anything else: it must not need the database, so that its exit code can
// tell a piping MTA to retry (75) whenever CareDesk cannot take the mail.
if CommandLine.arguments.dropFirst().first == "mailgate" {
    exit(await runMailgate(Array(CommandLine.arguments.dropFirst(2))))
}

var env = try Environment.detect()
if ProcessInfo.processInfo.environment["CAREDESK_LOG_FORMAT"] == "json" {
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
} else {
    try LoggingSystem.bootstrap(from: &env)
}
let app = try await Application.make(env)
do {
    let config = try CareConfig.fromEnvironment()
    let command = CommandLine.arguments.dropFirst().first
    let serving = command == nil || command == "serve" || command!.hasPrefix("-")
    try await configure(app, config: config, serving: serving)
    if serving { app.lifecycle.use(StartupBanner()) }
    registerCommands(app)
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    FileHandle.standardError.write(Data("caredesk: \(error)\n".utf8))
    exit(1)
}
