import CareCore
import CareData
import CareMail
@testable import CareServer
import Foundation
import NIOCore
import NIOPosix
import Testing
import VaporTesting

/// A chat widget's side of the socket: sends frames, collects what the server says.
final class ChatClient: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [[String: Any]] = []
    let socket: WebSocket

    private init(socket: WebSocket) { self.socket = socket }

    static func connect(port: Int, key: String, origin: String? = "https://shop.example.gr") async throws -> ChatClient {
        var headers = HTTPHeaders()
        if let origin { headers.add(name: .origin, value: origin) }
        let promise = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: ChatClient.self)
        try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/chat/widgets/\(key)/socket", headers: headers,
                                    configuration: .init(maxFrameSize: 1 << 20), on: MultiThreadedEventLoopGroup.singleton) { ws in
            let client = ChatClient(socket: ws)
            ws.onText { _, text in
                guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
                client.lock.withLock { client.frames.append(obj) }
            }
            promise.succeed(client)
        }.get()
        return try await promise.futureResult.get()
    }

    func send(_ frame: [String: Any]) async throws {
        try await socket.send(String(decoding: try JSONSerialization.data(withJSONObject: frame), as: UTF8.self))
    }

    var all: [[String: Any]] { lock.withLock { frames } }

    /// Waits for a frame matching `predicate` (generous: other suites load the machine; this tests delivery, not speed).
    func wait(seconds: Double = 5, for predicate: ([String: Any]) -> Bool) async -> [String: Any]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let f = all.first(where: predicate) { return f }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return all.first(where: predicate)
    }

    func wait(type: String, seconds: Double = 5, where extra: ([String: Any]) -> Bool = { _ in true }) async -> [String: Any]? {
        await wait(seconds: seconds) { $0["type"] as? String == type && extra($0) }
    }

    /// Says hello and returns the welcome frame.
    func hello(token: String, after: Int = 0) async throws -> [String: Any] {
        try await send(["type": "hello", "token": token, "after": after])
        return try #require(await wait { f in f["type"] as? String == "welcome" || f["type"] as? String == "error" })
    }

    func close() async { try? await socket.close() }

    /// Sends a message as the widget does and returns the id the server acknowledged it with.
    func say(_ text: String, clientId: String) async throws -> Int {
        try await send(["type": "message", "clientId": clientId, "text": text])
        return try #require(await wait(type: "ack") { $0["clientId"] as? String == clientId }?.messageId)
    }
}

extension Dictionary where Key == String, Value == Any {
    var messageId: Int? { (self["message"] as? [String: Any])?["id"] as? Int }
}

@Suite("Web chat", .serialized)
struct ChatTests {
    static let site = "https://shop.example.gr"

    static func widget(_ app: Application, _ f: Fixtures, origins: String = site, team: Int? = nil,
                       hours: OpeningHours? = nil, mailbox: Int? = nil) async throws -> ChatWidget {
        try await app.care.store.chat.createWidget(
            ChatWidgetSettings(name: "Trgovina", teamId: team, mailboxId: mailbox, language: "auto",
                               greetings: [.en: "Hello!", .el: "Γεια σας!", .hr: "Pozdrav!"], allowedOrigins: origins,
                               uploadMaxBytes: 1000, uploadTypes: "image/*, application/pdf", openingHours: hours),
            publicKey: "wk-\(UUID().uuidString.prefix(8))", by: try f.viewer(f.admin, app.care.store))
    }

    /// A new visitor through the public endpoint, as the widget does.
    static func visitor(_ app: Application, _ key: String, origin: String = site) async throws -> String {
        var token = ""
        try await app.testing().test(.POST, "/chat/widgets/\(key)/visitors", headers: [HTTPHeaders.Name.origin.description: origin]) { res async throws in
            #expect(res.status == .created)
            #expect(res.headers.first(name: .accessControlAllowOrigin) == origin)
            token = try #require(try json(res)["token"] as? String)
        }
        #expect(token.count >= 43)
        return token
    }

    /// A new visitor of the widget with an open, greeted socket.
    static func chatting(_ app: Application, port: Int, widget: ChatWidget) async throws -> (token: String, chat: ChatClient) {
        let token = try await visitor(app, widget.publicKey)
        let chat = try await ChatClient.connect(port: port, key: widget.publicKey)
        _ = try await chat.hello(token: token)
        return (token, chat)
    }

    static func inboundCount(_ app: Application) async throws -> Int {
        try await app.care.store.sql.raw("SELECT COUNT(*) AS n FROM messages WHERE direction = 'inbound'").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    @Test("a visitor's message is acknowledged after the commit, reaches the agents live, and a resend is stored once",
          arguments: TestDatabase.available)
    func messageAckAndDedupe(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let w = try await Self.widget(app, f, team: f.teamA)
            let (agentSocket, agent) = try await openSocket(port: port, session: try await signIn(app, email: f.agentA.email))
            #expect(await agent.waitReady())
            let token = try await Self.visitor(app, w.publicKey)
            let chat = try await ChatClient.connect(port: port, key: w.publicKey)
            let welcome = try await chat.hello(token: token)
            #expect(welcome["type"] as? String == "welcome" && (welcome["messages"] as? [Any])?.isEmpty == true)
            #expect(welcome["online"] as? Bool == true)

            try await chat.send(["type": "message", "clientId": "c-0001-aaaa", "text": "Γεια, <b>pomoć</b>?"])
            let ack = try #require(await chat.wait(type: "ack"))
            let id = try #require(ack.messageId)
            // Acknowledged means committed: the message is there, in the widget's team.
            let stored = try #require(try await Message.find(id, on: app.care.store.db))
            #expect(stored.text == "Γεια, <b>pomoć</b>?" && stored.externalId == "c-0001-aaaa")
            let conversation = try #require(try await Conversation.find(stored.$conversation.id, on: app.care.store.db))
            #expect(conversation.channel == .chat && conversation.$team.id == f.teamA)
            #expect(await agent.wait(seconds: 5) { $0.kind == .messageCreated && $0.messageId == id } != nil)

            // The widget resends after a reconnect: the same clientId gets the same message back, stored once.
            try await chat.send(["type": "message", "clientId": "c-0001-aaaa", "text": "Γεια, <b>pomoć</b>?"])
            _ = await chat.wait(seconds: 5) { _ in chat.all.filter { $0["type"] as? String == "ack" }.count == 2 }
            #expect(chat.all.filter { $0["type"] as? String == "ack" }.allSatisfy { $0.messageId == id })
            #expect(chat.all.filter { $0["type"] as? String == "ack" }.count == 2)
            #expect(try await Self.inboundCount(app) == 1)
            await chat.close()
            try await agentSocket.close()
        }
    }

    @Test("agents' replies reach the visitor live, notes never do, and a reconnecting widget gets what it missed",
          arguments: TestDatabase.available)
    func repliesAndResume(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let w = try await Self.widget(app, f)
            let (token, firstChat) = try await Self.chatting(app, port: port, widget: w)
            var chat = firstChat
            let first = try await chat.say("Trebam pomoć", clientId: "first-message")
            let conversationId = try #require(try await Message.find(first, on: store.db)).$conversation.id
            let eleni = try f.viewer(f.agentA, store)

            let reply = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Kako mogu pomoći?", by: eleni).message
            _ = try await store.conversations.addAgentMessage(to: conversationId, direction: .note, text: "TAJNA bilješka", by: eleni)
            let pushed = try #require(await chat.wait(type: "message") { $0.messageId == reply.id })
            let view = try #require(pushed["message"] as? [String: Any])
            #expect(view["from"] as? String == "agent" && view["agentName"] as? String == "Eleni" && view["text"] as? String == "Kako mogu pomoći?")
            try await Task.sleep(nanoseconds: 300_000_000)
            #expect(!chat.all.contains { String(describing: $0).contains("TAJNA") })

            // Network drop: two replies while away; the widget comes back with the last id it showed.
            await chat.close()
            let r2 = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Jeste li tu?", by: eleni).message
            let r3 = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Javite se.", by: eleni).message
            chat = try await ChatClient.connect(port: port, key: w.publicKey)
            let welcome = try await chat.hello(token: token, after: reply.id!)
            let missed = (welcome["messages"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            #expect(missed == [r2.id!, r3.id!])
            // A new page load (after 0) shows the whole chat, notes and events excluded.
            let full = try await ChatClient.connect(port: port, key: w.publicKey)
            let all = (try await full.hello(token: token)["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(all == ["Trebam pomoć", "Kako mogu pomoći?", "Jeste li tu?", "Javite se."])
            await chat.close()
            await full.close()
        }
    }

    @Test("a visitor's token opens only their own chat: other visitors, other widgets and guessed tokens get nothing")
    func tokenIsolation() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let w = try await Self.widget(app, f, origins: "")
            let other = try await Self.widget(app, f, origins: "")
            let ana = try await Self.visitor(app, w.publicKey)
            let bruno = try await Self.visitor(app, w.publicKey)
            let anaChat = try await ChatClient.connect(port: port, key: w.publicKey)
            _ = try await anaChat.hello(token: ana)
            let anaMessage = try await anaChat.say("Moj broj kartice je tajna", clientId: "ana-private")

            let brunoChat = try await ChatClient.connect(port: port, key: w.publicKey)
            let welcome = try await brunoChat.hello(token: bruno)
            #expect((welcome["messages"] as? [Any])?.isEmpty == true)
            try await brunoChat.send(["type": "message", "clientId": "bruno-1", "text": "Bok"])
            _ = await brunoChat.wait(type: "ack")
            #expect(!brunoChat.all.contains { String(describing: $0).contains("tajna") })
            // Ana's message is not Bruno's to fetch, and her token means nothing on another widget.
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)/files/\(anaMessage)/0",
                                         headers: ["Authorization": "Bearer \(bruno)"]) { res async in
                #expect(res.status == .notFound)
            }
            let elsewhere = try await ChatClient.connect(port: port, key: other.publicKey)
            #expect(try await elsewhere.hello(token: ana)["code"] as? String == "unknown_visitor")
            let guessed = try await ChatClient.connect(port: port, key: w.publicKey)
            #expect(try await guessed.hello(token: String(ana.dropLast()) + "x")["code"] as? String == "unknown_visitor")
            // Nothing but hello before hello.
            try await guessed.send(["type": "message", "clientId": "sneaky-one", "text": "hi"])
            #expect(await guessed.wait(type: "error") { $0["code"] as? String == "hello_first" } != nil)
            // Tokens are kept only as hashes.
            let rows = try await ChatVisitor.query(on: app.care.store.db).all()
            #expect(rows.count == 2 && !rows.contains { $0.tokenHash == ana || $0.tokenHash == bruno })
            for c in [anaChat, brunoChat, elsewhere, guessed] { await c.close() }
        }
    }

    @Test("flooding is rate limited; malformed and oversized frames get a clear error and the connection stays usable")
    func limitsAndBadFrames() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let w = try await Self.widget(app, f)
            let (_, chat) = try await Self.chatting(app, port: port, widget: w)
            for i in 0..<14 { try await chat.send(["type": "message", "clientId": "flood-\(1000 + i)", "text": "poruka \(i)"]) }
            let limited = try #require(await chat.wait(type: "error") { $0["code"] as? String == "rate_limited" })
            #expect((limited["clientId"] as? String)?.hasPrefix("flood-") == true && (limited["retryAfter"] as? Double ?? 0) > 0)
            try await Task.sleep(nanoseconds: 500_000_000)
            let acked = chat.all.filter { $0["type"] as? String == "ack" }.count
            let stored = try await Self.inboundCount(app)
            #expect(acked == 10 && stored == 10)

            try await chat.socket.send("this is not json")
            #expect(await chat.wait(type: "error") { $0["code"] as? String == "bad_frame" } != nil)
            try await chat.send(["type": "message", "clientId": "big-one-1", "text": String(repeating: "ž", count: 40_000)])
            #expect(await chat.wait(type: "error") { $0["code"] as? String == "frame_too_large" } != nil)
            try await chat.send(["type": "message", "clientId": "long-one-1", "text": String(repeating: "a", count: 10_001)])
            #expect(await chat.wait(type: "error") { $0["code"] as? String == "invalid_message" && $0["clientId"] as? String == "long-one-1" } != nil)
            try await chat.send(["type": "message", "clientId": "x", "text": "short id"])
            #expect(await chat.wait(type: "error") { $0["code"] as? String == "bad_frame" && ($0["message"] as? String)?.contains("clientId") == true } != nil)
            try await chat.send(["type": "ping"])
            #expect(await chat.wait(type: "pong") != nil)
            await chat.close()
        }
    }

    @Test("only the listed sites may use a widget: settings, visitors and the socket refuse other origins")
    func originCheck() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let w = try await Self.widget(app, f, origins: "https://shop.example.gr\nhttps://*.example.hr")
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)?lang=el", headers: ["Origin": "https://evil.example"]) { res async in
                #expect(res.status == .forbidden && res.headers.first(name: .accessControlAllowOrigin) == nil)
            }
            try await app.testing().test(.POST, "/chat/widgets/\(w.publicKey)/visitors", headers: ["Origin": "https://evil.example"]) { res async in
                #expect(res.status == .forbidden)
            }
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)?lang=el", headers: ["Origin": "https://www.example.hr"]) { res async throws in
                #expect(res.status == .ok && res.headers.first(name: .accessControlAllowOrigin) == "https://www.example.hr")
                let body = try json(res)
                #expect(body["lang"] as? String == "el" && body["greeting"] as? String == "Γεια σας!")
                #expect((body["text"] as? [String: String])?["widget.send"] == "Αποστολή")
            }
            try await app.testing().test(.GET, "/chat/widgets/nope") { res async in #expect(res.status == .notFound) }
            let socket = "/chat/widgets/\(w.publicKey)/socket"
            #expect(await RealtimeTests.upgrades(port: port, path: socket, headers: ["Origin": "https://evil.example"]) == false)
            #expect(await RealtimeTests.upgrades(port: port, path: socket, headers: ["Origin": "https://shop.example.gr"]))
        }
    }

    @Test("a visitor who gives the e-mail of a known customer is joined to them, so the agent sees the whole history",
          arguments: TestDatabase.available)
    func identifyJoinsCustomer(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let earlier = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: IdentityAddress(kind: .email, address: "marija@example.hr"),
                                                                           senderName: "Marija Kovač", text: "Stara narudžba"))
            let w = try await Self.widget(app, f)
            let (_, chat) = try await Self.chatting(app, port: port, widget: w)
            let id = try await chat.say("Opet ja", clientId: "marija-chat")
            try await chat.send(["type": "identify", "name": "Marija", "email": "not an address"])
            #expect(await chat.wait(type: "error") { $0["code"] as? String == "invalid_email" } != nil)
            try await chat.send(["type": "identify", "name": "Marija", "email": "Marija@Example.hr"])
            let identified = try #require(await chat.wait(type: "identified"))
            #expect(identified["email"] as? String == "marija@example.hr")
            let message = try #require(try await Message.find(id, on: store.db))
            let conversation = try #require(try await Conversation.find(message.$conversation.id, on: store.db))
            #expect(conversation.$customer.id == earlier.customerId)
            let thread = try await store.conversations.thread(of: conversation.id!)
            #expect(thread.contains { $0.eventKind == "visitor_identified" })
            // Later messages from the same browser still land in the chat, now the known customer's.
            try await chat.send(["type": "message", "clientId": "marija-chat-2", "text": "Hvala"])
            let next = try #require(await chat.wait(type: "ack") { $0["clientId"] as? String == "marija-chat-2" }?.messageId)
            #expect(try await Message.find(next, on: store.db)?.$conversation.id == conversation.id)
            await chat.close()
        }
    }

    @Test("read marks: an agent opening the chat tells the visitor; the visitor's read shows as seen to agents")
    func readMarks() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let w = try await Self.widget(app, f)
            let (_, chat) = try await Self.chatting(app, port: port, widget: w)
            let id = try await chat.say("Halo?", clientId: "read-me-01")
            let conversationId = try #require(try await Message.find(id, on: store.db)).$conversation.id
            let admin = try await signIn(app, email: f.admin.email)
            try await app.testing().test(.GET, "/conversations/\(conversationId)", headers: admin.headers) { res async in
                #expect(res.status == .ok)
            }
            #expect(await chat.wait(type: "read") { $0["upTo"] as? Int == id } != nil)

            let reply = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Tu sam.",
                                                                      by: try f.viewer(f.admin, store)).message
            _ = await chat.wait(type: "message") { $0.messageId == reply.id }
            try await chat.send(["type": "read", "upTo": reply.id! + 1000])
            try await Task.sleep(nanoseconds: 300_000_000)
            #expect(try await store.chat.visitor(conversationId: conversationId)?.visitorReadUpTo == reply.id)
            try await app.testing().test(.GET, "/conversations/\(conversationId)/thread", headers: admin.headers) { res async in
                #expect(res.body.string.contains("seen"))
            }
            await chat.close()
        }
    }

    @Test("a visitor's message goes live to their other tabs, but not back to the socket that has it in its ack")
    func noEchoToTheSendingSocket() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let w = try await Self.widget(app, f)
            let (token, first) = try await Self.chatting(app, port: port, widget: w)
            let opening = try await first.say("Prva poruka", clientId: "tab-one-0001")
            let conversationId = try #require(try await Message.find(opening, on: store.db)).$conversation.id
            let second = try await ChatClient.connect(port: port, key: w.publicKey)
            _ = try await second.hello(token: token)

            let id = try await first.say("Druga poruka", clientId: "tab-one-0002")
            #expect(await second.wait(type: "message") { $0.messageId == id } != nil, "the other tab gets it live")
            // The reply is published after the message, and each chat's events are forwarded in order: had the first
            // socket been sent its own message again, it would have arrived before the reply.
            let reply = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Evo me.",
                                                                      by: try f.viewer(f.admin, store)).message
            #expect(await first.wait(type: "message") { $0.messageId == reply.id } != nil)
            #expect(first.all.filter { $0["type"] as? String == "message" }.compactMap(\.messageId) == [reply.id])
            #expect(await second.wait(type: "message") { $0.messageId == reply.id } != nil)
            await first.close()
            await second.close()
        }
    }

    @Test("the visitor's typing reaches the agents who may see the chat, also after it moved to another team")
    func typingFollowsTheChatsAudience() async throws {
        try await withCareApp { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let w = try await Self.widget(app, f, team: f.teamA)
            let (_, eleni) = try await openSocket(port: port, session: try await signIn(app, email: f.agentA.email))
            let (_, ivana) = try await openSocket(port: port, session: try await signIn(app, email: f.agentB.email))
            #expect(await eleni.waitReady())
            #expect(await ivana.waitReady())
            let (_, chat) = try await Self.chatting(app, port: port, widget: w)
            let id = try await chat.say("Ima li koga?", clientId: "typing-0001")
            let conversationId = try #require(try await Message.find(id, on: store.db)).$conversation.id
            func typed(_ agent: Inbox, _ active: Bool, seconds: Double = 5) async -> Bool {
                await agent.wait(seconds: seconds) {
                    $0.kind == .customerTyping && $0.conversationId == conversationId && $0.active == active
                } != nil
            }

            try await chat.send(["type": "typing", "active": true])
            #expect(await typed(eleni, true), "an agent of the widget's team sees the visitor typing")
            #expect(await typed(ivana, true, seconds: 0.3) == false, "an agent of another team does not")

            _ = try await store.conversations.update(conversationId, ConversationChanges(teamId: .some(f.teamB)),
                                                     by: try f.viewer(f.admin, store))
            // The hub learns of the move from the bus, a moment after the update; the widget keeps sending typing.
            var seen = false
            for round in 0..<25 where !seen {
                try await chat.send(["type": "typing", "active": round % 2 == 1])
                seen = await typed(ivana, round % 2 == 1, seconds: 0.2)
            }
            #expect(seen, "after the move, the other team's agent sees the typing")
            await chat.close()
        }
    }

    @Test("files: the widget's type and size limits hold, and a file is served only to the visitor who sent it")
    func uploads() async throws {
        try await withCareApp { app, f in
            let w = try await Self.widget(app, f)
            let token = try await Self.visitor(app, w.publicKey)
            let base = "/chat/widgets/\(w.publicKey)/uploads"
            func headers(_ type: String, auth: String? = token) -> HTTPHeaders {
                var h: HTTPHeaders = ["Origin": Self.site, "Content-Type": type]
                if let auth { h.add(name: .authorization, value: "Bearer \(auth)") }
                return h
            }
            let png = ByteBuffer(bytes: [0x89, 0x50, 0x4E, 0x47] + Array(repeating: 1, count: 100))
            try await app.testing().test(.POST, "\(base)?clientId=upload-0001&name=../../slika%20č.png", headers: headers("image/png", auth: nil), body: png) { res async in
                #expect(res.status == .unauthorized)
            }
            try await app.testing().test(.POST, "\(base)?clientId=upload-0002&name=x.exe", headers: headers("application/x-msdownload"), body: png) { res async in
                #expect(res.status == .unsupportedMediaType)
            }
            try await app.testing().test(.POST, "\(base)?clientId=upload-0003&name=big.png", headers: headers("image/png"),
                                         body: ByteBuffer(bytes: Array(repeating: 7, count: 1001))) { res async in
                #expect(res.status == .payloadTooLarge)
            }
            var messageId = 0
            try await app.testing().test(.POST, "\(base)?clientId=upload-0004&name=../../slika%20%C4%8D.png", headers: headers("image/png"), body: png) { res async throws in
                #expect(res.status == .created && res.headers.first(name: .accessControlAllowOrigin) == Self.site)
                let message = try #require(try json(res)["message"] as? [String: Any])
                messageId = try #require(message["id"] as? Int)
                let file = try #require((message["attachments"] as? [[String: Any]])?.first)
                #expect(file["name"] as? String == "slika č.png" && file["size"] as? Int == 104, "\(file)")
            }
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)/files/\(messageId)/0", headers: ["Authorization": "Bearer \(token)"]) { res async in
                #expect(res.status == .forbidden, "a listed-origins widget answers no one who does not say where they come from")
            }
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)/files/\(messageId)/0",
                                         headers: ["Authorization": "Bearer \(token)", "Origin": Self.site]) { res async in
                #expect(res.status == .ok && res.body.readableBytes == 104, "\(res.status) \(res.body.string)")
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            #expect(try await Self.inboundCount(app) == 1)
        }
    }

    @Test("nobody online: the widget says when the team is back; a visitor who left gets the answer by e-mail; ending queues a transcript and the next message starts a new chat")
    func offlineAndEmail() async throws {
        let (sink, server, smtpPort) = try await MailSink.start()
        defer { Task { await server.stop() } }
        var config = CareConfig(runWorker: false)
        config.mail.relay = .init(host: "127.0.0.1", port: smtpPort)
        config.mail.relaySecurity = "none"
        try await withCareApp(configure: config) { app, f in
            let port = try await RealtimeTests.start(app)
            defer { Task { await app.server.shutdown() } }
            let store = app.care.store
            let box = try await EmailChannelTests.mailbox(app)
            // Closed every day but Sunday 10:00-11:00: never "open now" except then, so backAt is set.
            let hours = OpeningHours(timeZone: "Europe/Zagreb", days: [[], [], [], [], [], [], [.init(start: 600, end: 660)]])
            let w = try await Self.widget(app, f, team: f.teamB, hours: hours, mailbox: box.id)
            try await app.testing().test(.GET, "/chat/widgets/\(w.publicKey)", headers: ["Origin": Self.site]) { res async throws in
                let body = try json(res)
                #expect(body["online"] as? Bool == false && body["emailFollowUp"] as? Bool == true)
                #expect((body["backAt"] as? String)?.isEmpty == false)
            }
            let (token, firstChat) = try await Self.chatting(app, port: port, widget: w)
            var chat = firstChat
            let id = try await chat.say("Radite li sutra?", clientId: "offline-q1")
            try await chat.send(["type": "identify", "name": "Ivo", "email": "ivo@example.hr"])
            _ = await chat.wait(type: "identified")
            await chat.close()
            for _ in 0..<100 where try await store.chat.visitor(id: 1)?.online == true { try await Task.sleep(nanoseconds: 20_000_000) }
            let conversationId = try #require(try await Message.find(id, on: store.db)).$conversation.id
            #expect(try await Conversation.find(conversationId, on: store.db)?.waitingSince != nil)

            _ = try await store.conversations.addAgentMessage(to: conversationId, direction: .outbound, text: "Da, od 8 do 16.",
                                                              by: try f.viewer(f.agentB, store))
            #expect(try await app.outboxWorker.drainOnce() == 1)
            let (envelope, raw) = try #require(sink.mails.first)
            #expect(envelope.rcptTo == ["ivo@example.hr"] && ParsedMail(parsing: raw).text.contains("Da, od 8 do 16."))

            // Back in the chat: end it with a transcript; the next message opens a new conversation.
            chat = try await ChatClient.connect(port: port, key: w.publicKey)
            _ = try await chat.hello(token: token)
            try await chat.send(["type": "end", "transcriptTo": "ivo@example.hr", "timeZone": "Europe/Zagreb"])
            #expect(await chat.wait(type: "ended")?["transcript"] as? Bool == true)
            #expect(try await app.outboxWorker.drainOnce() == 1)
            let transcript = ParsedMail(parsing: try #require(sink.mails.last).1)
            #expect(transcript.text.contains("Radite li sutra?") && transcript.text.contains("Da, od 8 do 16."))
            try await chat.send(["type": "message", "clientId": "new-chat-01", "text": "Novo pitanje"])
            let newId = try #require(await chat.wait(type: "ack") { $0["clientId"] as? String == "new-chat-01" }?.messageId)
            #expect(try await Message.find(newId, on: store.db)?.$conversation.id != conversationId)
            await chat.close()
        }
    }

    @Test("admins set up widgets: bad settings are refused with the field named, and the page shows the line to paste")
    func adminWidgets() async throws {
        try await withCareApp { app, f in
            let admin = try await signIn(app, email: f.admin.email)
            var fields = ["name": "Web shop", "team": "", "mailbox": "", "colour": "#123abc", "position": "left", "language": "hr",
                          "greeting_en": "Hi", "greeting_el": "Γεια", "greeting_hr": "Bok", "allowed_origins": "https://shop.example.hr/",
                          "upload_max_mb": "2", "upload_types": "image/*", "time_zone": "Europe/Zagreb", "active": "on"]
            for d in 0..<7 { fields["day_\(d)"] = d < 5 ? "08:00-16:00" : "" }
            let created = try await postForm(app, "/admin/chat-widgets", as: admin, fields)
            #expect(created.status == .seeOther)
            let w = try #require(try await app.care.store.chat.widgets().first)
            #expect(w.allowedOrigins == "https://shop.example.hr" && w.uploadMaxBytes == 2 * 1_048_576 && w.openingHours?.days[0].first?.start == 480)
            try await app.testing().test(.GET, "/admin/chat-widgets/\(w.id!)", headers: admin.headers) { res async in
                #expect(res.body.string.contains("data-widget=&quot;\(w.publicKey)&quot;"))
            }
            for (field, bad) in [("colour", "red"), ("allowed_origins", "shop.example.hr/path"), ("day_2", "17:00-09:00"), ("upload_types", "images")] {
                var broken = fields
                broken[field] = bad
                let res = try await postForm(app, "/admin/chat-widgets/\(w.id!)", as: admin, broken)
                #expect(res.status == .unprocessableEntity || res.status == .badRequest, "\(field)")
            }
            let agent = try await signIn(app, email: f.agentA.email)
            try await app.testing().test(.GET, "/admin/chat-widgets", headers: agent.headers) { res async in
                #expect(res.status == .forbidden)
            }
        }
    }
}
