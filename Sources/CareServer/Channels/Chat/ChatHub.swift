import CareCore
import CareData
import Foundation
import Logging
import Vapor

/// Visitors' chat connections: reads their frames (docs/CHAT.md) and hands messages to the ingestion pipeline,
/// and forwards to them what happens in their chat (agents' replies, typing, read marks) from the event bus.
///
/// Each connection handles its frames one after the other, and everything that writes for one visitor is
/// serialized across their tabs, so a visitor's messages are stored in the order they were written and a new
/// visitor's first two messages cannot open two conversations.
final class ChatHub: @unchecked Sendable {
    final class Connection: @unchecked Sendable {
        let socket: WebSocket
        let widget: ChatWidget
        /// Set by a successful `hello` (under the hub's lock).
        var visitorId: Int?
        /// Messages this connection was sent an ack for lately (under the hub's lock): the ack carried the message,
        /// so the live push of the same message is not sent to it again.
        private var acked: [Int] = []

        func rememberAck(_ messageId: Int) {
            acked.append(messageId)
            if acked.count > 16 { acked.removeFirst() }
        }

        /// Whether the connection got the message with an ack (each ack counts once).
        func takeAck(_ messageId: Int) -> Bool {
            guard let index = acked.firstIndex(of: messageId) else { return false }
            acked.remove(at: index)
            return true
        }

        init(socket: WebSocket, widget: ChatWidget) {
            self.socket = socket
            self.widget = widget
        }

        func send(_ text: String) { socket.send(text) }
        func send(_ frame: some Encodable) { socket.send(ChatFrames.encode(frame)) }
    }

    /// A visitor with at least one open connection. `visitor` is shared by their tabs.
    final class ConnectedVisitor: @unchecked Sendable {
        var visitor: ChatVisitor
        var connections: Set<ObjectIdentifier> = []
        /// The last typing state published for the visitor (under the hub's lock).
        var lastTyping: (active: Bool, at: Date)?
        /// Who may see the chat in progress, kept so typing and read frames need no database read (under the hub's
        /// lock); `audienceVersion` changes whenever an event says it may have changed.
        var audience: ConversationAudience?
        var audienceVersion = 0
        init(_ visitor: ChatVisitor) { self.visitor = visitor }
    }

    static let maximumFrameBytes = 64 * 1024
    static let maximumTextLength = 10_000
    static let historyLimit = 200
    /// How often connected visitors are marked as still there, for other nodes and the outbox (`isPresent`).
    static let heartbeatSeconds: UInt64 = 60

    private let lock = NSLock()
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var visitors: [Int: ConnectedVisitor] = [:]
    /// conversation id -> visitor id, for the chats in progress of connected visitors.
    private var conversations: [Int: Int] = [:]
    private var agentNames: [Int: (name: String, fetched: Date)] = [:]
    private var pump: Task<Void, Never>?
    private var heartbeat: Task<Void, Never>?

    let store: CareStore
    private let bus: any EventBus
    private let agents: LiveHub
    private let logger: Logger
    let messageLimiter = RateLimiter(burst: 10, perSecond: 1)
    /// New visitors per IP address: enough for an office behind one address, too few to fill the table.
    let visitorLimiter = RateLimiter(burst: 30, perSecond: 0.5)
    private let typingLimiter = RateLimiter(burst: 10, perSecond: 10)
    private let perVisitor = KeyedSerialQueue()
    private let perConversation = KeyedSerialQueue()

    init(store: CareStore, bus: any EventBus, agents: LiveHub, logger: Logger) {
        self.store = store
        self.bus = bus
        self.agents = agents
        self.logger = logger
    }

    var connectedCount: Int { lock.withLock { connections.count } }

    func start() {
        // Unbounded: the pump only sorts events into queues, and an event it missed would be a reply the visitor
        // never sees live.
        let stream = bus.subscribe(buffering: .unbounded)
        pump = Task { [weak self] in
            for await event in stream {
                guard let self else { continue }
                self.forgetAudiences(changedBy: event)
                // Events that need a database read go to their conversation's own queue, so one slow read does not
                // hold up every other chat while each chat still gets its events in order.
                guard let conversationId = event.conversationId, self.isConnected(conversationId: conversationId) else { continue }
                await self.perConversation.enqueue(conversationId) { await self.forward(event) }
            }
        }
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: Self.heartbeatSeconds * 1_000_000_000)
                guard let self else { return }
                let ids = self.lock.withLock { Array(self.visitors.keys) }
                if !ids.isEmpty { try? await self.store.chat.touch(visitorIds: ids) }
            }
        }
    }

    func shutdown() async {
        pump?.cancel()
        heartbeat?.cancel()
        let all = lock.withLock { Array(connections.values) }
        for c in all { try? await c.socket.close(code: .goingAway) }
    }

    // MARK: Availability

    /// Whether an agent of the widget's team has CareDesk open (any agent, for a widget without a team).
    func agentsOnline(for widget: ChatWidget) -> Bool { agents.hasAgentOnline(teamId: widget.teamId) }

    /// When the team is usually back, for a widget nobody answers now: nil when unknown or open now.
    func backAt(for widget: ChatWidget) -> Date? {
        guard let hours = widget.openingHours, let next = hours.nextOpening(after: store.clock.now()),
              next > store.clock.now() else { return nil }
        return next
    }

    // MARK: Connections

    func connect(_ socket: WebSocket, widget: ChatWidget) {
        let connection = Connection(socket: socket, widget: widget)
        let key = ObjectIdentifier(connection)
        let (frames, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(64))
        lock.withLock { connections[key] = connection }
        // Called on the socket's event loop right at the upgrade, before any frame is read, so none is lost.
        socket.onText { _, text in
            // A flood beyond the buffer is dropped unacknowledged; the widget sends those messages again.
            if case .dropped = continuation.yield(text) {
                connection.send(ChatFrames.Failure(code: "rate_limited", message: "Too many frames at once.", retryAfter: 1))
            }
        }
        socket.onBinary { _, _ in
            connection.send(ChatFrames.Failure(code: "bad_frame", message: "Frames are JSON text."))
        }
        socket.onClose.whenComplete { [weak self] _ in
            continuation.finish()
            self?.disconnect(key)
        }
        Task { [weak self] in
            for await text in frames { await self?.handle(text, on: connection) }
        }
    }

    private func disconnect(_ key: ObjectIdentifier) {
        let gone: Int? = lock.withLock {
            guard let c = connections.removeValue(forKey: key), let visitorId = c.visitorId,
                  let entry = visitors[visitorId] else { return nil }
            entry.connections.remove(key)
            guard entry.connections.isEmpty else { return nil }
            visitors.removeValue(forKey: visitorId)
            if let conversationId = entry.visitor.conversationId { conversations.removeValue(forKey: conversationId) }
            return visitorId
        }
        if let gone {
            let store = self.store
            Task { try? await store.chat.setOnline(visitorId: gone, false) }
        }
    }

    /// The connected visitor a connection speaks for, after `hello`.
    private func entry(of connection: Connection) -> ConnectedVisitor? {
        lock.withLock { connection.visitorId.flatMap { visitors[$0] } }
    }

    /// Keeps the conversation -> visitor map in step after a visitor's chat in progress changed.
    private func track(_ entry: ConnectedVisitor, from old: Int?) {
        lock.withLock {
            if let old { conversations.removeValue(forKey: old) }
            if let id = entry.visitor.conversationId, let visitorId = entry.visitor.id { conversations[id] = visitorId }
        }
    }

    // MARK: Frames from visitors

    func handle(_ text: String, on connection: Connection) async {
        guard text.utf8.count <= Self.maximumFrameBytes else {
            connection.send(ChatFrames.Failure(code: "frame_too_large", message: "A frame may have at most 64 KiB."))
            return
        }
        guard let frame = try? JSONDecoder().decode(ChatFrames.Incoming.self, from: Data(text.utf8)) else {
            connection.send(ChatFrames.Failure(code: "bad_frame", message: "Frames are JSON objects with a type."))
            return
        }
        if frame.type == "hello" { return await hello(frame, on: connection) }
        guard let entry = entry(of: connection) else {
            connection.send(ChatFrames.Failure(code: "hello_first", message: "Send hello with the visitor token first."))
            return
        }
        do {
            switch frame.type {
            case "message": try await message(frame, from: entry, on: connection)
            case "typing": try await typing(frame, from: entry)
            case "read": try await read(frame, from: entry)
            case "identify": try await identify(frame, from: entry, on: connection)
            case "end": try await end(frame, from: entry, on: connection)
            case "ping": connection.send(ChatFrames.pong)
            default: connection.send(ChatFrames.Failure(code: "bad_frame", message: "Unknown frame type “\(frame.type.prefix(40))”."))
            }
        } catch {
            logger.error("chat: frame failed", metadata: ["type": "\(frame.type)", "error": "\(error)"])
            connection.send(ChatFrames.Failure(code: "server_error", message: "Something went wrong; try again.", clientId: frame.clientId))
        }
    }

    private func hello(_ frame: ChatFrames.Incoming, on connection: Connection) async {
        guard connection.visitorId == nil else {
            connection.send(ChatFrames.Failure(code: "bad_frame", message: "This connection has said hello already."))
            return
        }
        do {
            guard let token = frame.token, token.count <= 200, let widgetId = connection.widget.id,
                  let found = try await store.chat.visitor(tokenHash: Secrets.sha256(token), widgetId: widgetId),
                  let visitorId = found.id else {
                connection.send(ChatFrames.Failure(code: "unknown_visitor", message: "Unknown visitor token; create a new visitor."))
                return
            }
            let (entry, first) = lock.withLock { () -> (ConnectedVisitor, Bool) in
                let entry = visitors[visitorId] ?? ConnectedVisitor(found)
                let first = entry.connections.isEmpty
                entry.connections.insert(ObjectIdentifier(connection))
                visitors[visitorId] = entry
                connection.visitorId = visitorId
                if let c = entry.visitor.conversationId { conversations[c] = visitorId }
                return (entry, first)
            }
            if first { try await store.chat.setOnline(visitorId: visitorId, true) }
            let visitor = entry.visitor
            let history = try await store.chat.history(of: visitor, after: max(0, frame.after ?? 0), limit: Self.historyLimit)
            var views: [ChatFrames.MessageView] = []
            for m in history { views.append(ChatFrames.MessageView(m, agentName: try await agentName(m.authorAgentId))) }
            let widget = connection.widget
            let online = agentsOnline(for: widget)
            connection.send(ChatFrames.Welcome(
                visitor: .init(name: visitor.name, email: visitor.email), online: online,
                backAt: online ? nil : backAt(for: widget).map(ChatFrames.timestamp),
                messages: views, readUpTo: visitor.agentReadUpTo))
        } catch {
            logger.error("chat: hello failed", metadata: ["error": "\(error)"])
            connection.send(ChatFrames.Failure(code: "server_error", message: "Something went wrong; connect again."))
        }
    }

    private func message(_ frame: ChatFrames.Incoming, from entry: ConnectedVisitor, on connection: Connection) async throws {
        guard let clientId = frame.clientId, ChatFrames.isValidClientId(clientId) else {
            connection.send(ChatFrames.Failure(code: "bad_frame", message: "A message needs a clientId of 8 to 64 letters, digits, - or _."))
            return
        }
        let text = (frame.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= Self.maximumTextLength else {
            connection.send(ChatFrames.Failure(code: "invalid_message", message: "A message needs 1 to 10,000 characters.", clientId: clientId))
            return
        }
        guard let ack = try await store(text: text, attachments: [], clientId: clientId, from: entry, widget: connection.widget,
                                        acknowledgedOn: connection, refused: { connection.send($0) }) else { return }
        connection.send(ack)
    }

    /// Stores a visitor's message (text or file) and returns its ack, or sends why not and returns nil.
    /// Used by the socket and by uploads alike. `acknowledgedOn`: the socket the ack goes to, which therefore is not
    /// sent the live push of the same message.
    func store(text: String, attachments: [InboundMessage.Attachment], clientId: String, from entry: ConnectedVisitor,
               widget: ChatWidget, acknowledgedOn connection: Connection? = nil,
               refused: (ChatFrames.Failure) -> Void) async throws -> ChatFrames.Ack? {
        guard let visitorId = entry.visitor.id else { return nil }
        if let wait = messageLimiter.take("v\(visitorId)", now: store.clock.now()) {
            refused(ChatFrames.Failure(code: "rate_limited", message: "Too many messages; send this one again shortly.",
                                       clientId: clientId, retryAfter: (wait * 10).rounded(.up) / 10))
            return nil
        }
        do {
            let ingested = try await perVisitor.run(visitorId) { [store] in
                let before = entry.visitor.conversationId
                let ingested = try await store.chat.receive(from: entry.visitor, widget: widget, clientId: clientId, text: text,
                                                            attachments: attachments) { ingested in
                    guard let connection, let id = ingested.message.id else { return }
                    self.lock.withLock { connection.rememberAck(id) }
                }
                if before != entry.visitor.conversationId { self.track(entry, from: before) }
                return ingested
            }
            return ChatFrames.Ack(clientId: clientId, message: ChatFrames.MessageView(ingested.message, agentName: nil))
        } catch let error as CareError where error.kind == .invalid {
            refused(ChatFrames.Failure(code: "invalid_message", message: error.message, clientId: clientId))
            return nil
        }
    }

    /// A visitor known by token for an HTTP request (uploads, files): their connected entry if they have one,
    /// else a detached one.
    func visitorEntry(token: String, widget: ChatWidget) async throws -> ConnectedVisitor? {
        guard token.count <= 200, let widgetId = widget.id,
              let found = try await store.chat.visitor(tokenHash: Secrets.sha256(token), widgetId: widgetId),
              let id = found.id else { return nil }
        return lock.withLock { visitors[id] } ?? ConnectedVisitor(found)
    }

    private func typing(_ frame: ChatFrames.Incoming, from entry: ConnectedVisitor) async throws {
        guard let visitorId = entry.visitor.id, let conversationId = entry.visitor.conversationId,
              typingLimiter.take("v\(visitorId)", now: store.clock.now()) == nil else { return }
        let active = frame.active ?? true
        let now = store.clock.now()
        // Agents' screens keep "typing" up for a few seconds, so a refresh more often than this changes nothing.
        let recent = lock.withLock { () -> Bool in
            defer { entry.lastTyping = (active, now) }
            guard let last = entry.lastTyping else { return false }
            return last.active == active && now.timeIntervalSince(last.at) < 1.5
        }
        guard !recent, let a = try await audience(of: entry), a.conversationId == conversationId else { return }
        await bus.publish(CareEvent(kind: .customerTyping, conversationId: conversationId, customerId: a.customerId,
                                    teamId: a.teamId, assigneeId: a.assigneeId, active: active))
    }

    private func read(_ frame: ChatFrames.Incoming, from entry: ConnectedVisitor) async throws {
        guard let upTo = frame.upTo, let conversationId = entry.visitor.conversationId,
              let mark = try await store.chat.markReadByVisitor(entry.visitor, upTo: upTo),
              let a = try await audience(of: entry), a.conversationId == conversationId else { return }
        await bus.publish(CareEvent(kind: .chatRead, conversationId: conversationId, messageId: mark, customerId: a.customerId,
                                    teamId: a.teamId, assigneeId: a.assigneeId))
    }

    /// Who may see the visitor's chat in progress: kept from the last read until an event says it may have changed.
    private func audience(of entry: ConnectedVisitor) async throws -> ConversationAudience? {
        let (conversationId, known, version) = lock.withLock { (entry.visitor.conversationId, entry.audience, entry.audienceVersion) }
        guard let conversationId else { return nil }
        if let known, known.conversationId == conversationId { return known }
        guard let fresh = try await store.conversations.audience(of: conversationId) else { return nil }
        lock.withLock { if entry.audienceVersion == version { entry.audience = fresh } }
        return fresh
    }

    /// Forgets kept audiences an event may have changed: the conversation's (assigned, moved to another team), or
    /// all of them when customers changed (a merge moves conversations to another customer without an event of
    /// their own). Runs on the pump, for every event, so it only takes the lock.
    private func forgetAudiences(changedBy event: CareEvent) {
        switch event.kind {
        case .conversationUpdated, .conversationCreated:
            guard let conversationId = event.conversationId else { return }
            lock.withLock {
                guard let visitorId = conversations[conversationId], let entry = visitors[visitorId] else { return }
                entry.audience = nil
                entry.audienceVersion += 1
            }
        case .customerUpdated:
            lock.withLock {
                for entry in visitors.values where entry.audience != nil {
                    entry.audience = nil
                    entry.audienceVersion += 1
                }
            }
        default:
            return
        }
    }

    private func identify(_ frame: ChatFrames.Incoming, from entry: ConnectedVisitor, on connection: Connection) async throws {
        guard let visitorId = entry.visitor.id else { return }
        do {
            let updated = try await perVisitor.run(visitorId) { [store] in
                try await store.chat.identify(entry.visitor, name: frame.name, email: frame.email ?? "")
            }
            lock.withLock {
                entry.visitor.name = updated.name
                entry.visitor.email = updated.email
            }
            connection.send(ChatFrames.Identified(name: updated.name, email: updated.email))
        } catch let error as CareError where error.kind == .invalid {
            connection.send(ChatFrames.Failure(code: "invalid_email", message: error.message))
        }
    }

    private func end(_ frame: ChatFrames.Incoming, from entry: ConnectedVisitor, on connection: Connection) async throws {
        guard let visitorId = entry.visitor.id else { return }
        do {
            let transcript = try await perVisitor.run(visitorId) { [store] in
                let before = entry.visitor.conversationId
                let queued = try await store.chat.end(entry.visitor, transcriptTo: frame.transcriptTo, timeZone: frame.timeZone)
                self.track(entry, from: before)
                return queued
            }
            connection.send(ChatFrames.Ended(transcript: transcript))
        } catch let error as CareError where error.kind == .invalid {
            connection.send(ChatFrames.Failure(code: "invalid_email", message: error.message))
        }
    }

    // MARK: Events to visitors

    private func forward(_ event: CareEvent) async {
        guard let conversationId = event.conversationId else { return }
        let targets: [Connection] = lock.withLock {
            guard let visitorId = conversations[conversationId], let entry = visitors[visitorId] else { return [] }
            return entry.connections.compactMap { connections[$0] }
                // The socket that sent the message has it from its ack; other tabs of the visitor still need it.
                .filter { event.kind != .messageCreated || event.messageId.map($0.takeAck) != true }
        }
        guard !targets.isEmpty else { return }
        let frame: String
        switch event.kind {
        case .messageCreated:
            guard let id = event.messageId, let m = try? await store.chat.chatMessage(id), m.conversationId == conversationId else { return }
            frame = ChatFrames.encode(ChatFrames.Pushed(message: ChatFrames.MessageView(m, agentName: try? await agentName(m.authorAgentId))))
        case .typing where event.agentId != nil:
            frame = ChatFrames.encode(ChatFrames.Typing(active: event.active ?? true, agentName: event.agentName))
        case .chatRead where event.agentId != nil:
            guard let upTo = event.messageId else { return }
            frame = ChatFrames.encode(ChatFrames.Read(upTo: upTo))
        default:
            return
        }
        for t in targets { t.send(frame) }
    }

    /// An agent has the chat open: the visitor's messages count as read, and the visitor is told.
    func agentRead(conversationId: Int, by viewer: Viewer) async {
        do {
            guard let mark = try await store.chat.markReadByAgent(conversationId: conversationId),
                  let a = try await store.conversations.audience(of: conversationId) else { return }
            await bus.publish(CareEvent(kind: .chatRead, conversationId: conversationId, messageId: mark.upTo,
                                        customerId: a.customerId, teamId: a.teamId, assigneeId: a.assigneeId,
                                        agentId: viewer.agentId, agentName: viewer.name))
        } catch {
            logger.warning("chat: read mark failed", metadata: ["conversation": "\(conversationId)", "error": "\(error)"])
        }
    }

    /// Agents' names as visitors see them; cached a minute, so a busy chat costs no lookups.
    private func agentName(_ id: Int?) async throws -> String? {
        guard let id else { return nil }
        if let cached = lock.withLock({ agentNames[id] }), Date().timeIntervalSince(cached.fetched) < 60 { return cached.name }
        guard let agent = try await Agent.find(id, on: store.db) else { return nil }
        lock.withLock { agentNames[id] = (agent.name, Date()) }
        return agent.name
    }

    /// Whether a visitor of this conversation is connected to this node.
    func isConnected(conversationId: Int) -> Bool { lock.withLock { conversations[conversationId] != nil } }

    /// Whether a widget of the visitor is connected to this node.
    func isConnected(visitorId: Int) -> Bool { lock.withLock { visitors[visitorId] != nil } }
}

/// Runs work for one key at a time, in arrival order; different keys run concurrently.
actor KeyedSerialQueue {
    private var tails: [Int: Task<Void, Never>] = [:]

    func run<T: Sendable>(_ key: Int, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tails[key]
        let task = Task<T, any Error> {
            await previous?.value
            return try await work()
        }
        let tail = Task<Void, Never> { _ = try? await task.value }
        tails[key] = tail
        defer { Task { await self.clear(key, ifStill: tail) } }
        return try await task.value
    }

    /// Queues `work` behind what is queued for `key` and returns at once.
    func enqueue(_ key: Int, _ work: @escaping @Sendable () async -> Void) {
        let previous = tails[key]
        let tail = Task<Void, Never> {
            await previous?.value
            await work()
        }
        tails[key] = tail
        Task { await tail.value; self.clear(key, ifStill: tail) }
    }

    private func clear(_ key: Int, ifStill tail: Task<Void, Never>) {
        if tails[key] == tail { tails.removeValue(forKey: key) }
    }
}
