import CareCore
import CareData
import Foundation
import Vapor

/// The chat widget's public endpoints (docs/CHAT.md): settings, visitors, the socket, uploads and files.
/// They are called from customers' web sites, so every one checks the widget's allowed origins and answers
/// with CORS headers for that origin only; none uses the agents' session or cookies.
enum ChatController {
    static func register(_ app: Application) {
        let w = app.grouped("chat", "widgets", ":key")
        w.get(use: settings)
        w.post("visitors", use: createVisitor)
        w.webSocket("socket", maxFrameSize: .init(integerLiteral: 1 << 20), shouldUpgrade: shouldUpgrade, onUpgrade: onUpgrade)
        w.on(.POST, "uploads", body: .collect(maxSize: ByteCount(integerLiteral: ChatWidgetSettings.largestUpload)), use: upload)
        w.get("files", ":message", ":index", use: file)
        w.on(.OPTIONS, "**", use: preflight)
        w.on(.OPTIONS, use: preflight)
    }

    /// A JSON answer with the CORS header for the calling site.
    static func json(_ status: HTTPStatus, _ body: some Encodable, origin: String?) -> Response {
        let r = Response(status: status, body: .init(string: ChatFrames.encode(body)))
        r.headers.contentType = .json
        r.headers.cacheControl = .init(noStore: true)
        allow(origin, on: r)
        return r
    }

    struct Problem: Encodable {
        let error: String
        let message: String
    }

    static func problem(_ status: HTTPStatus, _ code: String, _ message: String, origin: String?) -> Response {
        json(status, Problem(error: code, message: message), origin: origin)
    }

    private static func allow(_ origin: String?, on r: Response) {
        guard let origin else { return }
        r.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
        r.headers.replaceOrAdd(name: .vary, value: "Origin")
        // Lets the widget read how long to wait after a 429.
        r.headers.replaceOrAdd(name: .accessControlExpose, value: "Retry-After")
    }

    enum WidgetLookup {
        case found(ChatWidget, origin: String?)
        /// The answer to give instead (unknown widget, origin not allowed).
        case refused(Response)
    }

    /// The widget of the request and its caller's origin, or the answer to give instead.
    static func widget(_ req: Request) async throws -> WidgetLookup {
        let origin = req.headers.first(name: .origin)
        guard let key = req.parameters.get("key"), let widget = try await req.store.chat.widget(publicKey: key), widget.active else {
            return .refused(problem(.notFound, "unknown_widget", "There is no such chat widget.", origin: origin))
        }
        guard isAllowed(origin, for: widget, req: req) else {
            return .refused(problem(.forbidden, "origin_not_allowed", "This site may not use this chat widget.", origin: nil))
        }
        return .found(widget, origin: origin)
    }

    /// The widget's list decides; CareDesk's own pages (the admin's preview) are always allowed. Browsers leave
    /// out Origin on same-origin GETs but say so in Sec-Fetch-Site.
    static func isAllowed(_ origin: String?, for widget: ChatWidget, req: Request) -> Bool {
        if origin == nil, req.headers.first(name: "Sec-Fetch-Site") == "same-origin" { return true }
        if let origin, let host = req.headers.first(name: .host), let url = URL(string: origin), url.host != nil,
           (url.host! + (url.port.map { ":\($0)" } ?? "")) == host || url.host == host {
            return true
        }
        return widget.origins.allows(origin)
    }

    @Sendable static func preflight(req: Request) async throws -> Response {
        switch try await widget(req) {
        case .refused(let r): return r
        case .found(_, let origin):
            let r = Response(status: .noContent)
            allow(origin, on: r)
            r.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "GET, POST")
            r.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: "Authorization, Content-Type")
            r.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
            return r
        }
    }

    // MARK: Settings

    struct Settings: Encodable {
        struct Uploads: Encodable {
            let maxBytes: Int
            let types: [String]
        }
        let widget: String
        let title: String
        let lang: String
        let colour: String
        let position: String
        let greeting: String
        let online: Bool
        let backAt: String?
        let emailFollowUp: Bool
        let uploads: Uploads?
        let text: [String: String]
    }

    @Sendable static func settings(req: Request) async throws -> Response {
        let (widget, origin): (ChatWidget, String?)
        switch try await self.widget(req) {
        case .refused(let r): return r
        case .found(let w, let o): (widget, origin) = (w, o)
        }
        let lang = language(of: widget, requested: req.query[String.self, at: "lang"])
        let hub = req.care.chat
        let online = hub.agentsOnline(for: widget)
        let text = (req.care.translator.tables[lang] ?? [:]).filter { $0.key.hasPrefix("widget.") }
        let settings = Settings(
            widget: widget.publicKey, title: widget.name, lang: lang.rawValue, colour: widget.colour, position: widget.position,
            greeting: widget.greeting(lang), online: online,
            backAt: online ? nil : hub.backAt(for: widget).map(ChatFrames.timestamp),
            emailFollowUp: try await req.care.chatTransport.canEmail(widget: widget),
            uploads: widget.uploadMaxBytes > 0 && !widget.uploadTypeList.isEmpty
                ? Settings.Uploads(maxBytes: widget.uploadMaxBytes, types: widget.uploadTypeList) : nil,
            text: text)
        return json(.ok, settings, origin: origin)
    }

    /// The widget's own language when set, else the one the page asked for, else English.
    static func language(of widget: ChatWidget, requested: String?) -> UILanguage {
        if let fixed = UILanguage(rawValue: widget.language) { return fixed }
        return requested.flatMap { UILanguage(rawValue: String($0.lowercased().prefix(2))) } ?? .en
    }

    // MARK: Visitors

    struct NewVisitor: Encodable {
        let token: String
        let visitor: String
    }

    @Sendable static func createVisitor(req: Request) async throws -> Response {
        let (widget, origin): (ChatWidget, String?)
        switch try await self.widget(req) {
        case .refused(let r): return r
        case .found(let w, let o): (widget, origin) = (w, o)
        }
        if let wait = req.care.chat.visitorLimiter.take(req.clientIP ?? "unknown", now: req.store.clock.now()) {
            let r = problem(.tooManyRequests, "rate_limited", "Too many new visitors from this address; try again later.", origin: origin)
            r.headers.replaceOrAdd(name: .retryAfter, value: String(Int(wait.rounded(.up))))
            return r
        }
        let token = Secrets.randomToken(bytes: 32)
        let visitor = try await req.store.chat.createVisitor(widgetId: try widget.requireID(),
                                                               publicId: Secrets.randomToken(bytes: 12), tokenHash: Secrets.sha256(token))
        return json(.created, NewVisitor(token: token, visitor: visitor.publicId), origin: origin)
    }

    // MARK: Socket

    struct UpgradingWidget: StorageKey { typealias Value = ChatWidget }

    @Sendable static func shouldUpgrade(req: Request) -> EventLoopFuture<HTTPHeaders?> {
        req.eventLoop.makeFutureWithTask {
            guard case .found(let widget, _) = try await widget(req) else { return nil }
            req.storage[UpgradingWidget.self] = widget
            return [:]
        }
    }

    /// Synchronous on purpose: it runs on the socket's event loop before the first frame is read, so the hello a
    /// widget sends the moment the socket opens finds its handler in place.
    @Sendable static func onUpgrade(req: Request, ws: WebSocket) {
        guard let widget = req.storage[UpgradingWidget.self] else {
            _ = ws.close(code: .policyViolation)
            return
        }
        req.care.chat.connect(ws, widget: widget)
    }

    // MARK: Files

    /// The visitor named by the request's bearer token, for uploads and files.
    static func visitor(_ req: Request, widget: ChatWidget) async throws -> ChatHub.ConnectedVisitor? {
        guard let token = req.headers.bearerAuthorization?.token else { return nil }
        return try await req.care.chat.visitorEntry(token: token, widget: widget)
    }

    @Sendable static func upload(req: Request) async throws -> Response {
        let (widget, origin): (ChatWidget, String?)
        switch try await self.widget(req) {
        case .refused(let r): return r
        case .found(let w, let o): (widget, origin) = (w, o)
        }
        guard let entry = try await visitor(req, widget: widget) else {
            return problem(.unauthorized, "unknown_visitor", "Unknown visitor token.", origin: origin)
        }
        guard widget.uploadMaxBytes > 0, !widget.uploadTypeList.isEmpty else {
            return problem(.forbidden, "uploads_disabled", "This chat does not accept files.", origin: origin)
        }
        guard let clientId = req.query[String.self, at: "clientId"], ChatFrames.isValidClientId(clientId) else {
            return problem(.badRequest, "bad_request", "clientId must be 8 to 64 letters, digits, - or _.", origin: origin)
        }
        let bytes = req.body.data.map { Array($0.readableBytesView) } ?? []
        guard !bytes.isEmpty else { return problem(.badRequest, "empty_file", "The file is empty.", origin: origin) }
        guard bytes.count <= widget.uploadMaxBytes else {
            return problem(.payloadTooLarge, "file_too_large", "Files may have at most \(widget.uploadMaxBytes) bytes.", origin: origin)
        }
        let type = req.headers.contentType.map { "\($0.type)/\($0.subType)".lowercased() } ?? "application/octet-stream"
        guard ChatUploads.accepts(type, patterns: widget.uploadTypeList) else {
            return problem(.unsupportedMediaType, "file_type", "Files of type \(type) are not accepted here.", origin: origin)
        }
        let name = UploadedFilename.safe(req.query[String.self, at: "name"])
        let key = try await req.care.blobs.store([bytes])[0]
        var refusal: ChatFrames.Failure?
        let ack = try await req.care.chat.store(
            text: "", attachments: [InboundMessage.Attachment(filename: name, contentType: type, size: bytes.count, storageKey: key)],
            clientId: clientId, from: entry, widget: widget, refused: { refusal = $0 })
        if let ack { return json(.created, ack, origin: origin) }
        let status: HTTPStatus = refusal?.code == "rate_limited" ? .tooManyRequests : .badRequest
        let r = problem(status, refusal?.code ?? "invalid_message", refusal?.message ?? "", origin: origin)
        if let wait = refusal?.retryAfter { r.headers.replaceOrAdd(name: .retryAfter, value: String(Int(wait.rounded(.up)))) }
        return r
    }

    @Sendable static func file(req: Request) async throws -> Response {
        let (widget, origin): (ChatWidget, String?)
        switch try await self.widget(req) {
        case .refused(let r): return r
        case .found(let w, let o): (widget, origin) = (w, o)
        }
        let notFound = problem(.notFound, "not_found", "There is no such file.", origin: origin)
        guard let entry = try await visitor(req, widget: widget) else {
            return problem(.unauthorized, "unknown_visitor", "Unknown visitor token.", origin: origin)
        }
        guard let messageId = req.parameters.get("message").flatMap(Int.init), let index = req.parameters.get("index").flatMap(Int.init),
              let message = try await req.store.chat.message(messageId, of: entry.visitor),
              message.attachments.indices.contains(index), let key = message.attachments[index].storageKey,
              let data = req.care.blobs.get(key) else { return notFound }
        let a = message.attachments[index]
        let r = MessageFilesController.fileResponse(data, contentType: a.contentType, filename: a.filename, inline: false)
        r.headers.cacheControl = .init(noStore: true)
        allow(origin, on: r)
        return r
    }
}

/// What visitors may upload.
enum ChatUploads {
    /// `image/png` matches `image/png` and `image/*`.
    static func accepts(_ type: String, patterns: [String]) -> Bool {
        patterns.contains { p in
            p == type || (p.hasSuffix("/*") && type.hasPrefix(p.dropLast()) && type.count > p.count - 1)
        }
    }
}
