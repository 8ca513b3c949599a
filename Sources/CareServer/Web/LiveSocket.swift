import CareCore
import Foundation
import Vapor

/// The agents' WebSocket: live events out, presence (viewing, typing) in.
enum LiveSocket {
    /// Only pages of our own origin may open it: a cookie alone would let any site listen in.
    @Sendable static func shouldUpgrade(req: Request) async throws -> HTTPHeaders? {
        guard req.currentAgent != nil else { return nil }
        if let origin = req.headers.first(name: .origin), let host = req.headers.first(name: .host) {
            guard let originHost = URL(string: origin)?.host, originHost == host.split(separator: ":").first.map(String.init) ?? host else {
                return nil
            }
        }
        return [:]
    }

    @Sendable static func onUpgrade(req: Request, ws: WebSocket) async {
        guard let viewer = req.currentAgent?.viewer else {
            try? await ws.close()
            return
        }
        req.care.hub.connect(ws, viewer: viewer)
    }
}
