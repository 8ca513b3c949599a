import CareCore
import Foundation
import OpenAPIRuntime
import Vapor

/// Turns every error into a clear answer: RFC 9457 problem+json under /api, a friendly page elsewhere.
/// Unknown errors are logged and shown as a 500 without internals.
struct ErrorRendering: AsyncMiddleware {
    struct Problem: Content {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var code: String
        var instance: String?
        var errors: [CareError.FieldError]?
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let (status, code, detail, fields) = Self.classify(error)
            if status == .internalServerError {
                request.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.url.path)"])
            }
            if request.url.path.hasPrefix("/api/") || !(request.headers.accept.mediaTypes.contains(.html)) && request.method != .GET {
                return try Self.problem(status: status, code: code, detail: detail, fields: fields, instance: request.url.path)
            }
            return try await Self.page(for: request, status: status, detail: detail)
        }
    }

    static func problem(status: HTTPResponseStatus, code: String, detail: String, fields: [CareError.FieldError],
                        instance: String?) throws -> Response {
        let p = Problem(type: "https://caredesk.dev/problems/\(code)", title: status.reasonPhrase, status: Int(status.code),
                        detail: detail, code: code, instance: instance, errors: fields.isEmpty ? nil : fields)
        let response = Response(status: status)
        try response.content.encode(p, as: .json)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json")
        if status == .unauthorized { response.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer") }
        return response
    }

    static func page(for request: Request, status: HTTPResponseStatus, detail: String) async throws -> Response {
        struct ErrorPage: Encodable { let status: Int; let detail: String; let signedIn: Bool }
        let view = try await request.view.render("error", ErrorPage(status: Int(status.code), detail: detail,
                                                                    signedIn: request.currentAgent != nil))
        let response = try await view.encodeResponse(for: request)
        response.status = status
        return response
    }

    static func classify(_ error: any Error) -> (HTTPResponseStatus, String, String, [CareError.FieldError]) {
        if let e = error as? ServerError {
            // The generated API layer wraps errors. Before the operation's input was decoded, the request
            // itself was wrong (types, missing fields, content type): a 400. After, the handler threw.
            let known = e.underlyingError is CareError || e.underlyingError is DecodingError
            if e.operationInput == nil, !known {
                return (.badRequest, "request.malformed", "The request does not match the API: \(e.causeDescription)", [])
            }
            return classify(e.underlyingError)
        }
        if let e = error as? CareError {
            let status: HTTPResponseStatus = switch e.kind {
            case .invalid: .unprocessableEntity
            case .notFound: .notFound
            case .forbidden: .forbidden
            case .unauthorized: .unauthorized
            case .conflict: .conflict
            case .tooLarge: .payloadTooLarge
            case .rateLimited: .tooManyRequests
            }
            return (status, e.code, e.message, e.fieldErrors)
        }
        if let e = error as? APIBadRequest { return (.badRequest, e.code, e.message, e.fieldErrors) }
        if let e = error as? DecodingError {
            return (.badRequest, "request.malformed", Self.describe(e), [])
        }
        if let e = error as? any AbortError {
            let code: String = switch e.status {
            case .notFound: "request.not_found"
            case .payloadTooLarge: "request.too_large"
            case .unsupportedMediaType: "request.unsupported_media_type"
            case .methodNotAllowed: "request.method_not_allowed"
            default: e.status.code < 500 ? "request.invalid" : "server.error"
            }
            return (e.status, code, e.reason, [])
        }
        return (.internalServerError, "server.error", "Something went wrong on our side; it has been logged.", [])
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "the body" : "“\(p)”"
        }
        switch e {
        case .typeMismatch(let type, let ctx): return "\(path(ctx)) has the wrong type; expected \(type)."
        case .valueNotFound(_, let ctx): return "\(path(ctx)) is missing."
        case .keyNotFound(let key, let ctx):
            let parent = path(ctx)
            return "“\(key.stringValue)” is required\(parent == "the body" ? "" : " in \(parent)")."
        case .dataCorrupted(let ctx): return "\(path(ctx)) is not valid: \(ctx.debugDescription)"
        @unknown default: return "The request body could not be read."
        }
    }
}
