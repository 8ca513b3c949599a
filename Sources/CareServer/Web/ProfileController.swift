import CareCore
import CareData
import Foundation
import Vapor

/// Each agent's own settings: UI language and time zone.
enum ProfileController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("profile", use: page)
        routes.post("profile", use: save)
    }

    struct ProfilePage: Encodable {
        let chrome: PageChrome
        let languages: [Option]
        let timeZone: String
        let timeZones: [String]
        let email: String
        let saved: Bool
    }

    static let commonTimeZones = ["Europe/Athens", "Europe/Zagreb", "Europe/London", "Europe/Berlin", "UTC",
                                  "America/New_York", "Asia/Nicosia"]

    static func page(req: Request) async throws -> View {
        let agent = try req.requireAgent().agent
        return try await req.view.render("profile", ProfilePage(
            chrome: try PageChrome(req, page: "profile", title: req.t("profile.title")),
            languages: req.options(UILanguage.self, prefix: "language", selected: agent.language),
            timeZone: agent.timeZone, timeZones: commonTimeZones, email: agent.email,
            saved: req.query[String.self, at: "saved"] != nil))
    }

    static func save(req: Request) async throws -> Response {
        let current = try req.requireAgent()
        let language = try req.formField("language", max: 5).flatMap(UILanguage.parse)
        let tz = try req.formField("timeZone", max: 64)
        var hash: String?
        if let pw = try req.formField("password", max: 200), !pw.isEmpty {
            try PasswordPolicy.check(pw)
            hash = try await req.password.async.hash(pw)
        }
        _ = try await req.store.agents.update(current.viewer.agentId, name: nil, role: nil, language: language, timeZone: tz,
                                              active: nil, teamIds: nil, passwordHash: hash, by: current.viewer, ip: req.clientIP)
        return req.redirect(to: "/profile?saved=1")
    }
}
