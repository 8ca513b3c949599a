import CareCore
import CareData
import Foundation

/// The JSON frames of the chat protocol (docs/CHAT.md).
enum ChatFrames {
    /// Every frame a widget may send; which fields matter depends on `type`.
    struct Incoming: Decodable {
        let type: String
        let token: String?
        let after: Int?
        let clientId: String?
        let text: String?
        let active: Bool?
        let upTo: Int?
        let name: String?
        let email: String?
        let transcriptTo: String?
        let timeZone: String?
    }

    /// A message as the visitor sees it.
    struct MessageView: Encodable {
        struct File: Encodable {
            let index: Int
            let name: String
            let type: String
            let size: Int
        }
        let id: Int
        let clientId: String?
        let from: String
        let agentName: String?
        let text: String
        let at: String
        let attachments: [File]

        init(_ m: Message, agentName: String?) { self.init(ChatMessage(m), agentName: agentName) }

        init(_ m: ChatMessage, agentName: String?) {
            id = m.id
            from = m.direction == .inbound ? "visitor" : "agent"
            clientId = m.direction == .inbound ? m.externalId : nil
            self.agentName = m.direction == .inbound ? nil : agentName
            text = m.text
            at = ChatFrames.timestamp(m.createdAt)
            // Files that were not kept (too large) cannot be fetched, so the visitor is not offered them.
            attachments = m.attachments.enumerated().compactMap { index, a in
                a.storageKey == nil || a.isInline == true ? nil
                    : File(index: index, name: a.filename, type: a.contentType, size: a.size)
            }
        }
    }

    struct Welcome: Encodable {
        struct Visitor: Encodable {
            let name: String?
            let email: String?
        }
        var type = "welcome"
        let visitor: Visitor
        let online: Bool
        let backAt: String?
        let messages: [MessageView]
        let readUpTo: Int
    }

    struct Ack: Encodable {
        var type = "ack"
        let clientId: String
        let message: MessageView
    }

    struct Pushed: Encodable {
        var type = "message"
        let message: MessageView
    }

    struct Typing: Encodable {
        var type = "typing"
        let active: Bool
        let agentName: String?
    }

    struct Read: Encodable {
        var type = "read"
        let upTo: Int
    }

    struct Identified: Encodable {
        var type = "identified"
        let name: String?
        let email: String?
    }

    struct Ended: Encodable {
        var type = "ended"
        let transcript: Bool
    }

    struct Failure: Encodable {
        var type = "error"
        let code: String
        let message: String
        var clientId: String?
        var retryAfter: Double?
    }

    static let pong = #"{"type":"pong"}"#

    static func encode(_ frame: some Encodable) -> String {
        (try? String(decoding: encoder.encode(frame), as: UTF8.self)) ?? #"{"type":"error","code":"server_error","message":""}"#
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .withoutEscapingSlashes
        return e
    }()

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A widget-chosen message id: 8 to 64 of A-Z a-z 0-9 - _.
    static func isValidClientId(_ id: String) -> Bool {
        (8...64).contains(id.utf8.count) && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
        }
    }
}
