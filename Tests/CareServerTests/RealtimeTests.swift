import CareCore
import CareData
@testable import CareServer
import Foundation
import NIOCore
import NIOPosix
import Testing
import VaporTesting

/// Collects the text frames a WebSocket receives.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CareEvent] = []
    private var ready = false

    func add(_ text: String) {
        if text == LiveHub.readyFrame { lock.withLock { ready = true } }
        guard let e = try? JSONDecoder().decode(CareEvent.self, from: Data(text.utf8)) else { return }
        lock.withLock { events.append(e) }
    }

    /// Waits for the server's "ready" frame, after which nothing the client sends is lost.
    func waitReady(seconds: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if lock.withLock({ ready }) { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return lock.withLock { ready }
    }

    var all: [CareEvent] { lock.withLock { events } }

    /// Waits up to `seconds` for an event matching `predicate`.
    func wait(seconds: Double = 2, for predicate: (CareEvent) -> Bool) async -> CareEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let e = all.first(where: predicate) { return e }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return all.first(where: predicate)
    }
}

func openSocket(port: Int, session: BrowserSession) async throws -> (WebSocket, Inbox) {
    let inbox = Inbox()
    var headers = HTTPHeaders()
    headers.add(name: .cookie, value: "\(SessionAuthenticator.cookieName)=\(session.cookie)")
    headers.add(name: .origin, value: "http://127.0.0.1:\(port)")
    let promise = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: WebSocket.self)
    try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/ws", headers: headers, on: MultiThreadedEventLoopGroup.singleton) { ws in
        ws.onText { _, text in inbox.add(text) }
        promise.succeed(ws)
    }.get()
    return (try await promise.futureResult.get(), inbox)
}

@Suite("Live updates", .serialized)
struct RealtimeTests {
    static func start(_ app: Application) async throws -> Int {
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        return try #require(app.http.server.shared.localAddress?.port)
    }

    @Test("a new message reaches the open screens of agents who may see it, within a second")
    func messageReachesScreens() async throws {
        try await withCareApp { app, f in
            let port = try await Self.start(app)
            defer { Task { await app.server.shutdown() } }
            let (eleniSocket, eleni) = try await openSocket(port: port, session: try await signIn(app, email: f.agentA.email))
            let (ivanaSocket, ivana) = try await openSocket(port: port, session: try await signIn(app, email: f.agentB.email))
            for _ in 0..<500 where app.care.hub.connectedCount < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
            let store = app.care.store
            let r = try await store.ingestion.ingest(InboundMessage(channel: .chat, sender: IdentityAddress(kind: .chatVisitor, address: "v9"), text: "live?"))
            try await store.conversations.update(r.conversationId, ConversationChanges(teamId: .some(f.teamA)), by: try f.viewer(f.admin, store))
            let seen = await eleni.wait(seconds: 1) { $0.kind == .messageCreated && $0.messageId == r.messageId }
            #expect(seen != nil)
            // After the move to team A, Ivana (team B) hears nothing more of it.
            _ = try await store.conversations.addAgentMessage(to: r.conversationId, direction: .note, text: "internal", by: try f.viewer(f.agentA, store))
            #expect(await eleni.wait(seconds: 1) { $0.kind == .messageCreated && $0.messageId != r.messageId } != nil)
            #expect(ivana.all.contains { $0.kind == .messageCreated && $0.messageId != r.messageId } == false)
            try await eleniSocket.close()
            try await ivanaSocket.close()
        }
    }

    @Test("collision detection: who else views a conversation and who is typing")
    func presence() async throws {
        try await withCareApp { app, f in
            let port = try await Self.start(app)
            defer { Task { await app.server.shutdown() } }
            let r = try await app.care.store.ingestion.ingest(InboundMessage(channel: .chat, sender: IdentityAddress(kind: .chatVisitor, address: "v10"), text: "hi"))
            let (eleniSocket, eleni) = try await openSocket(port: port, session: try await signIn(app, email: f.agentA.email))
            let (sofiaSocket, sofia) = try await openSocket(port: port, session: try await signIn(app, email: f.supervisor.email))
            // The client sees the upgrade a moment before the server listens; "ready" says it does.
            #expect(await eleni.waitReady())
            #expect(await sofia.waitReady())
            try await sofiaSocket.send("{\"type\":\"viewing\",\"conversationId\":\(r.conversationId)}")
            try await sofiaSocket.send("{\"type\":\"typing\",\"conversationId\":\(r.conversationId)}")
            // Generous waits: other suites run in parallel and load the machine; these test delivery, not speed.
            let viewing = await eleni.wait(seconds: 5) { $0.kind == .viewing && $0.conversationId == r.conversationId }
            #expect(viewing?.agentName == "Sofia")
            #expect(await eleni.wait(seconds: 5) { $0.kind == .typing && $0.agentName == "Sofia" } != nil)
            // One's own presence is not echoed back; junk frames are ignored and the socket stays usable.
            try await sofiaSocket.send("not json at all")
            try await sofiaSocket.send("{\"type\":\"viewing\",\"conversationId\":999999}")
            try await eleniSocket.send("{\"type\":\"viewing\",\"conversationId\":\(r.conversationId)}")
            #expect(await sofia.wait { $0.kind == .viewing && $0.agentName == "Eleni" } != nil)
            #expect(sofia.all.contains { $0.agentName == "Sofia" } == false)
            #expect(eleni.all.contains { $0.conversationId == 999999 } == false)
            try await eleniSocket.close()
            try await sofiaSocket.close()
        }
    }

    /// Tries to open a socket (the agents' by default); true only if the server upgraded the connection.
    static func upgrades(port: Int, path: String = "/ws", headers: HTTPHeaders) async -> Bool {
        let upgraded = Inbox()
        let attempt = Task {
            try await WebSocket.connect(to: "ws://127.0.0.1:\(port)\(path)", headers: headers, on: MultiThreadedEventLoopGroup.singleton) { ws in
                upgraded.add(String(decoding: try! JSONEncoder().encode(CareEvent(kind: .viewing)), as: UTF8.self))
                _ = ws.close()
            }.get()
        }
        // A refused upgrade either fails the connect or never completes it; give it three seconds.
        _ = await upgraded.wait(seconds: 3) { _ in true }
        attempt.cancel()
        return !upgraded.all.isEmpty
    }

    @Test("the WebSocket refuses strangers and other sites")
    func socketRefusals() async throws {
        try await withCareApp { app, f in
            let port = try await Self.start(app)
            defer { Task { await app.server.shutdown() } }
            let s = try await signIn(app, email: f.agentA.email)
            var good = HTTPHeaders()
            good.add(name: .cookie, value: "\(SessionAuthenticator.cookieName)=\(s.cookie)")
            good.add(name: .origin, value: "http://127.0.0.1:\(port)")
            #expect(await Self.upgrades(port: port, headers: good))
            #expect(await Self.upgrades(port: port, headers: [:]) == false)
            var evil = good
            evil.replaceOrAdd(name: .origin, value: "https://evil.example")
            #expect(await Self.upgrades(port: port, headers: evil) == false)
        }
    }

    @Test("two CareDesk instances on one PostgreSQL see each other's live events", .enabled(if: TestDatabase.postgresURL != nil))
    func twoNodes() async throws {
        let db = try await PostgresTestDatabases.create()
        defer { Task { await db.drop() } }
        try await withCareApp(.postgres, postgresURL: db.url) { first, f in
            try await withCareApp(.postgres, postgresURL: db.url) { second, _ in
                try await first.asyncBoot()
                try await second.asyncBoot()
                #expect(first.care.bus is PostgresEventBus)
                let heard = Inbox()
                let stream = second.care.bus.subscribe()
                let listener = Task { for await e in stream { heard.add(String(decoding: try! JSONEncoder().encode(e), as: UTF8.self)) } }
                let r = try await first.care.store.ingestion.ingest(InboundMessage(channel: .api, sender: IdentityAddress(kind: .external, address: "node-test"), text: "from node one"))
                let e = await heard.wait(seconds: 3) { $0.kind == .messageCreated && $0.messageId == r.messageId }
                #expect(e != nil)
                // And the other way round.
                let back = Inbox()
                let stream1 = first.care.bus.subscribe()
                let listener1 = Task { for await e in stream1 { back.add(String(decoding: try! JSONEncoder().encode(e), as: UTF8.self)) } }
                try await second.care.store.conversations.update(r.conversationId, ConversationChanges(priority: .urgent), by: try f.viewer(f.admin, second.care.store))
                #expect(await back.wait(seconds: 3) { $0.kind == .conversationUpdated && $0.conversationId == r.conversationId } != nil)
                listener.cancel()
                listener1.cancel()
            }
        }
    }
}
