import CareCore
import Vapor

func routes(_ app: Application) throws {
    app.get("healthz") { _ in "ok" }
    app.get("readyz") { req async throws -> Response in
        // Ready means the database answers.
        _ = try await req.store.sql.raw("SELECT 1 AS ok").all()
        return Response(status: .ok, body: .init(string: "ready"))
    }
    app.get("metrics") { req async -> Response in
        let store = req.store
        let commits = store.isSQLite ? await store.writeGateStatistics : nil
        let text = req.care.metrics.render(websocketClients: req.care.hub.connectedCount, chatVisitors: req.care.chat.connectedCount,
                                           droppedEvents: req.care.bus.droppedEvents, sqliteCommits: commits)
        let r = Response(status: .ok, body: .init(string: text))
        r.headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4"])
        return r
    }

    let web = app.grouped(SessionAuthenticator())
    // The live socket checks the session and origin itself before upgrading (LiveSocket.shouldUpgrade).
    web.webSocket("ws", maxFrameSize: .init(integerLiteral: 4096), shouldUpgrade: LiveSocket.shouldUpgrade, onUpgrade: LiveSocket.onUpgrade)
    web.get { req in req.redirect(to: req.currentAgent == nil ? "/login" : "/inbox") }
    SignInController.register(web)

    let signedIn = web.grouped(RequireSignIn(), CSRFProtection())
    InboxController.register(signedIn)
    ConversationController.register(signedIn)
    MessageFilesController.register(signedIn)
    CustomerController.register(signedIn)
    SearchController.register(signedIn)
    ProfileController.register(signedIn)

    let admin = signedIn.grouped(RequireRole(allowed: [.admin]))
    AdminController.register(admin)

    // Called from customers' sites: no session, no CSRF token; each route checks the widget's origins itself.
    ChatController.register(app)

    try APIRoutes.register(app)
}
