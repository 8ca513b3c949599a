import CareCore
import CareData
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The signed-in agent of a request, by session cookie (web) or bearer token (API).
struct CurrentAgent: Sendable {
    let agent: Agent
    let viewer: Viewer
    /// The session's CSRF token; nil for API token requests, which carry no cookies.
    let csrfToken: String?
}

struct CurrentAgentKey: StorageKey { typealias Value = CurrentAgent }

extension Request {
    var currentAgent: CurrentAgent? {
        get { storage[CurrentAgentKey.self] }
        set { storage[CurrentAgentKey.self] = newValue }
    }

    /// The signed-in agent, or 401.
    func requireAgent() throws -> CurrentAgent {
        guard let a = currentAgent else { throw CareError(kind: .unauthorized, code: "auth.required", message: "Sign in first.") }
        return a
    }

    var viewer: Viewer { get throws { try requireAgent().viewer } }
}

enum Secrets {
    /// A random URL-safe token of `bytes` random bytes.
    static func randomToken(bytes: Int = 32) -> String {
        var rng = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ s: String) -> String {
        SHA256.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares without an early exit, so timing does not reveal how much of a secret matched.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static let tokenPrefix = "cdk_"

    /// A new API token: shown once to its owner; only its hash is stored.
    static func newAPIToken() -> (token: String, hash: String, prefix: String) {
        let token = tokenPrefix + randomToken(bytes: 30)
        return (token, sha256(token), String(token.prefix(12)))
    }
}

/// Reads the session cookie and, if it names a live session, makes its agent the current one.
struct SessionAuthenticator: AsyncMiddleware {
    static let cookieName = "caredesk_session"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.cookies[Self.cookieName]?.string, token.count < 200,
           let (session, agent) = try await request.store.sessions.find(tokenHash: Secrets.sha256(token)) {
            request.currentAgent = CurrentAgent(agent: agent, viewer: try request.store.agents.viewer(for: agent),
                                                csrfToken: session.csrfToken)
        }
        return try await next.respond(to: request)
    }
}

/// Web pages that need a signed-in agent: browsers are sent to the sign-in page, other clients get 401.
struct RequireSignIn: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.currentAgent != nil else {
            if request.method == .GET, request.headers.accept.mediaTypes.contains(where: { $0 == .html }) || request.headers.accept.isEmpty {
                let back = request.url.path.hasPrefix("/") && !request.url.path.hasPrefix("//") ? request.url.string : "/inbox"
                return request.redirect(to: "/login?next=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            }
            throw CareError(kind: .unauthorized, code: "auth.required", message: "Sign in first.")
        }
        return try await next.respond(to: request)
    }
}

/// Every state-changing web request must carry the session's CSRF token, in the `_csrf` form field
/// or the `X-CSRF-Token` header. A cross-site form cannot know it.
struct CSRFProtection: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard ![.GET, .HEAD, .OPTIONS].contains(request.method) else { return try await next.respond(to: request) }
        guard let expected = request.currentAgent?.csrfToken else {
            throw CareError(kind: .forbidden, code: "auth.csrf", message: "This form has expired; reload the page and try again.")
        }
        let sent = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: "_csrf"))
        guard let sent, Secrets.constantTimeEquals(sent, expected) else {
            throw CareError(kind: .forbidden, code: "auth.csrf", message: "This form has expired; reload the page and try again.")
        }
        return try await next.respond(to: request)
    }
}

/// `Authorization: Bearer cdk_...` for the REST API.
struct BearerAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization?.token, bearer.count < 200 else {
            throw CareError(kind: .unauthorized, code: "auth.token_required", message: "Send an API token as “Authorization: Bearer <token>”.")
        }
        let hash = Secrets.sha256(bearer)
        let cache = request.care.tokenCache
        let now = request.store.clock.now()
        if let known = cache.lookup(hash, now: now) {
            request.currentAgent = known
        } else {
            guard let agent = try await request.store.agents.agent(forTokenHash: hash) else {
                throw CareError(kind: .unauthorized, code: "auth.token_invalid", message: "The API token is unknown or revoked.")
            }
            let current = CurrentAgent(agent: agent, viewer: try request.store.agents.viewer(for: agent), csrfToken: nil)
            cache.remember(hash, current, now: now)
            request.currentAgent = current
        }
        return try await next.respond(to: request)
    }
}

/// API tokens verified in the last few seconds, so a busy integration does not pay three queries (token,
/// agent, teams) on every call. Revoking a token or changing an agent empties it on this node at once; another
/// node (several CareDesk processes on one PostgreSQL) notices within `lifetime`.
final class APITokenCache: Sendable {
    static let lifetime: TimeInterval = 10
    /// A bound, so a flood of distinct tokens cannot grow it without end.
    static let capacity = 10_000

    private let entries = NIOLockedValueBox<[String: (agent: CurrentAgent, at: Date)]>([:])

    func lookup(_ tokenHash: String, now: Date) -> CurrentAgent? {
        entries.withLockedValue { entries in
            guard let entry = entries[tokenHash] else { return nil }
            guard now.timeIntervalSince(entry.at) < Self.lifetime, now >= entry.at else {
                entries[tokenHash] = nil
                return nil
            }
            return entry.agent
        }
    }

    func remember(_ tokenHash: String, _ agent: CurrentAgent, now: Date) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[tokenHash] = (agent, now)
        }
    }

    /// After a token is revoked or an agent's role, teams or active flag change.
    func forgetAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}

/// Pages only admins may open.
struct RequireRole: AsyncMiddleware {
    let allowed: Set<AgentRole>
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard allowed.contains(try request.requireAgent().agent.role) else {
            throw CareError.forbidden("This page is for \(allowed.map(\.rawValue).sorted().joined(separator: " and ")) only.")
        }
        return try await next.respond(to: request)
    }
}

struct SecurityHeaders: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        // Scripts only from our own origin: an injected inline script would not run even if escaping failed.
        // A page that set its own (stricter or extended) policy keeps it.
        if response.headers.contentType == .html, !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.policy)
        }
        return response
    }

    static let policy = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
}
