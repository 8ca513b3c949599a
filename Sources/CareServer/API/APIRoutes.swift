import CareAPI
import CareCore
import Foundation
import OpenAPIRuntime
import OpenAPIVapor
import Vapor

/// The REST API at /api/v1. The routes and types come from openapi.yaml (swift-openapi-generator),
/// so the published document and the server cannot drift apart.
enum APIRoutes {
    static func register(_ app: Application) throws {
        app.get("api", "v1", "openapi.yaml") { req async throws -> Response in
            let path = req.application.directory.workingDirectory + "openapi.yaml"
            let response = try await req.fileio.asyncStreamFile(at: path)
            response.headers.contentType = HTTPMediaType(type: "application", subType: "yaml")
            return response
        }
        let protected = app.grouped(APIBodyLimit(), BearerAuthenticator(), APIRequestContext.Middleware())
        let transport = VaporTransport(routesBuilder: protected)
        try CareAPIHandler().registerHandlers(on: transport, serverURL: URL(string: "/api/v1")!)
    }
}

/// The generated handlers see only their typed input; the Vapor request (current agent, store) rides along
/// in a task-local set by this middleware.
enum APIRequestContext {
    @TaskLocal static var request: Request?

    struct Middleware: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            try await APIRequestContext.$request.withValue(request) { try await next.respond(to: request) }
        }
    }

    static func current() throws -> Request {
        guard let r = request else { throw Abort(.internalServerError, reason: "API handler called outside a request") }
        return r
    }
}

/// The API streams bodies to the generated code, so Vapor's collect limit does not apply; refuse large ones here.
struct APIBodyLimit: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limit = request.care.config.maxBodyBytes
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw CareError(kind: .tooLarge, code: "request.too_large", message: "The body is larger than \(limit) bytes.")
        }
        if [.POST, .PATCH, .PUT].contains(request.method) {
            guard request.headers.first(name: .contentLength) != nil else {
                // Without a length we would have to read an unbounded stream before knowing it is too large.
                throw Abort(.lengthRequired, reason: "Send a Content-Length header with the body.")
            }
            // Collected here (bounded) so handlers can also read the raw JSON, e.g. to tell `null` from absent.
            _ = try await request.body.collect(max: limit).get()
        }
        return try await next.respond(to: request)
    }
}
