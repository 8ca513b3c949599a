import CareCore
import CareData
import Foundation
import Vapor

enum SignInController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("login", use: form)
        routes.post("login", use: signIn)
        routes.post("logout", use: signOut)
    }

    struct LoginPage: Encodable {
        let lang: String
        let error: String?
        let email: String
        let next: String
    }

    static func form(req: Request) async throws -> Response {
        if req.currentAgent != nil { return req.redirect(to: "/inbox") }
        let next = req.query[String.self, at: "next"] ?? "/inbox"
        return try await req.view.render("login", LoginPage(lang: req.uiLanguage.rawValue, error: nil, email: "", next: next))
            .encodeResponse(for: req)
    }

    struct Credentials: Content {
        var email: String
        var password: String
        var next: String?
    }

    static func signIn(req: Request) async throws -> Response {
        guard let form = try? req.content.decode(Credentials.self), form.email.count < 320, form.password.count < 500 else {
            throw CareError.invalid(code: "auth.invalid_form", "Enter your e-mail address and password.")
        }
        let now = req.store.clock.now()
        let limiterKey = "\(req.clientIP ?? "?")|\(form.email.lowercased())"
        func again(_ key: String, status: HTTPResponseStatus) async throws -> Response {
            let page = LoginPage(lang: req.uiLanguage.rawValue, error: req.t(key), email: form.email, next: form.next ?? "/inbox")
            let r = try await req.view.render("login", page).encodeResponse(for: req)
            r.status = status
            return r
        }
        if req.care.signInLimiter.isBlocked(limiterKey, now: now) {
            return try await again("login.too_many", status: .tooManyRequests)
        }
        guard let agent = try await req.store.agents.find(email: form.email), agent.active,
              try await req.password.async.verify(form.password, created: agent.passwordHash) else {
            req.care.signInLimiter.recordFailure(limiterKey, now: now)
            try await req.store.audit.record(actor: nil, action: "signin.failed", targetType: "agent", targetId: nil,
                                             detail: String(form.email.prefix(320)), ip: req.clientIP)
            return try await again("login.failed", status: .unauthorized)
        }
        req.care.signInLimiter.reset(limiterKey)
        let token = Secrets.randomToken()
        try await req.store.sessions.create(agentId: try agent.requireID(), tokenHash: Secrets.sha256(token), csrfToken: Secrets.randomToken())
        try await req.store.audit.record(actor: try req.store.agents.viewer(for: agent), action: "signin", targetType: "agent",
                                         targetId: agent.id, detail: agent.email, ip: req.clientIP)
        let response = req.safeRedirect(form.next, fallback: "/inbox")
        response.cookies[SessionAuthenticator.cookieName] = HTTPCookies.Value(
            string: token, expires: now.addingTimeInterval(SessionRepository.lifetime), maxAge: Int(SessionRepository.lifetime),
            path: "/", isSecure: req.care.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    static func signOut(req: Request) async throws -> Response {
        // Signing out needs the CSRF token too, so another site cannot sign an agent out.
        if let current = req.currentAgent {
            let sent = try? req.content.get(String.self, at: "_csrf")
            guard let sent, let expected = current.csrfToken, Secrets.constantTimeEquals(sent, expected) else {
                throw CareError(kind: .forbidden, code: "auth.csrf", message: "This form has expired; reload the page and try again.")
            }
            if let token = req.cookies[SessionAuthenticator.cookieName]?.string {
                try await req.store.sessions.delete(tokenHash: Secrets.sha256(token))
            }
        }
        let response = req.redirect(to: "/login")
        response.cookies[SessionAuthenticator.cookieName] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0),
                                                                               path: "/", isHTTPOnly: true, sameSite: .lax)
        return response
    }
}
