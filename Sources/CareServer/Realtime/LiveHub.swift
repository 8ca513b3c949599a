import CareCore
import CareData
import Foundation
import Vapor

/// The agents' open screens. Forwards each bus event to the screens whose agent may see it,
/// and turns what screens say ("I am viewing 12", "I am typing in 12") into bus events for everyone else.
public final class LiveHub: @unchecked Sendable {
    final class Client: @unchecked Sendable {
        let socket: WebSocket
        let viewer: Viewer
        init(socket: WebSocket, viewer: Viewer) {
            self.socket = socket
            self.viewer = viewer
        }
    }

    private let lock = NSLock()
    private var clients: [ObjectIdentifier: Client] = [:]
    private var pump: Task<Void, Never>?
    private let bus: any EventBus
    private let store: CareStore

    init(bus: any EventBus, store: CareStore) {
        self.bus = bus
        self.store = store
    }

    var connectedCount: Int { lock.withLock { clients.count } }

    /// Whether an agent of the team (of any team, for nil) has a CareDesk screen open on this node. Presence across
    /// nodes and away/offline states come with routing (issue 5).
    func hasAgentOnline(teamId: Int?) -> Bool {
        lock.withLock {
            clients.values.contains { c in teamId.map { c.viewer.teamIds.contains($0) } ?? true }
        }
    }

    func start() {
        let stream = bus.subscribe()
        pump = Task { [weak self] in
            for await event in stream {
                self?.fanOut(event)
            }
        }
    }

    func shutdown() async {
        pump?.cancel()
        let all = lock.withLock { Array(clients.values) }
        for c in all { try? await c.socket.close() }
    }

    private func fanOut(_ event: CareEvent) {
        let targets = lock.withLock { Array(clients.values) }
        guard let data = try? JSONEncoder().encode(event) else { return }
        let text = String(decoding: data, as: UTF8.self)
        for client in targets where Self.shouldSend(event, to: client.viewer) {
            client.socket.send(text)
        }
    }

    static func shouldSend(_ event: CareEvent, to viewer: Viewer) -> Bool {
        // One's own presence is not news.
        if [.viewing, .left, .typing].contains(event.kind), event.agentId == viewer.agentId { return false }
        if event.conversationId == nil { return true }
        return viewer.canSee(teamId: event.teamId, assigneeId: event.assigneeId)
    }

    struct ClientMessage: Decodable {
        let type: String
        let conversationId: Int
    }

    func connect(_ socket: WebSocket, viewer: Viewer) {
        let client = Client(socket: socket, viewer: viewer)
        let key = ObjectIdentifier(client)
        lock.withLock { clients[key] = client }
        socket.onClose.whenComplete { [weak self] _ in
            guard let self else { return }
            _ = self.lock.withLock { self.clients.removeValue(forKey: key) }
        }
        socket.onText { [weak self] _, text in
            guard let self, text.utf8.count < 1000,
                  let msg = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)),
                  let kind = CareEvent.Kind(rawValue: msg.type), [.viewing, .left, .typing].contains(kind) else { return }
            // Presence is only announced for conversations the agent may see, and carries their audience.
            guard let conversation = try? await self.store.conversations.find(msg.conversationId, for: viewer) else { return }
            await self.bus.publish(CareEvent(kind: kind, conversationId: msg.conversationId,
                                             teamId: conversation.$team.id, assigneeId: conversation.$assignee.id,
                                             agentId: viewer.agentId, agentName: viewer.name))
        }
        // Frames the browser sends before this point are lost (no handler yet), so it announces itself only
        // after this frame.
        socket.send(Self.readyFrame)
    }

    /// The first frame on every socket: the server now listens to what the client sends.
    static let readyFrame = #"{"kind":"ready"}"#
}
