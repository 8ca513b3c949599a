import CareCore
import CareData
import FluentKit
import Foundation
import Vapor

enum ConversationController {
    static func register(_ routes: any RoutesBuilder) {
        let c = routes.grouped("conversations", ":id")
        c.get(use: page)
        c.get("thread", use: thread)
        c.get("details", use: details)
        c.get("next", use: next)
        // Replies and notes may carry files, so their bodies may be as large as the attachment limit allows.
        c.on(.POST, "reply", body: .collect(maxSize: ByteCount(integerLiteral: composerBodyLimit)), use: reply)
        c.on(.POST, "note", body: .collect(maxSize: ByteCount(integerLiteral: composerBodyLimit)), use: note)
        c.post("update", use: update)
        c.post("assign-to-me", use: assignToMe)
        c.post("resolve", use: resolve)
    }

    struct ThreadEntry: Encodable {
        let id: Int
        let direction: String
        let author: String
        let text: String
        /// Already sanitized by the allowlist when stored; rendered unescaped only for that reason.
        let html: String?
        let eventText: String?
        let when: String
        let whenISO: String
        let channelLabel: String
        let delivery: String?
        let attachments: [AttachmentLink]
        /// E-mail: quoted history of earlier mails, folded away under the new text.
        let quoted: String?
        /// E-mail with quoted history and HTML: the formatted original, one click away.
        let formattedOriginal: String?
        /// What could not be read in the message (flag for the agent).
        let problems: [String]
        /// Why the message is considered sent by a machine, in the reader's language.
        let automatic: String?
        /// The message exactly as received.
        let originalURL: String?
    }

    struct AttachmentLink: Encodable {
        let name: String
        let size: String
        /// nil when the file was not kept (over the size limit).
        let url: String?
    }

    struct Details: Encodable {
        let id: Int
        let subject: String
        let customerId: Int
        let customerName: String
        let channelLabel: String
        let statusLabel: String
        let statuses: [Option]
        let priorities: [Option]
        let kinds: [Option]
        let agents: [Option]
        let teams: [Option]
        let tags: String
        let tagList: [String]
        let assigneeName: String?
        let teamName: String?
        let created: String
        let isMine: Bool
        let isResolved: Bool
    }

    struct ConversationPage: Encodable {
        let chrome: PageChrome
        let conversation: Details
        let thread: [ThreadEntry]
        let identities: [String]
        let otherConversations: [OtherConversation]
    }

    struct OtherConversation: Encodable {
        let id: Int
        let subject: String
        let statusLabel: String
        let when: String
    }

    struct ThreadPartial: Encodable { let thread: [ThreadEntry] }
    struct DetailsPartial: Encodable { let conversation: Details; let chrome: PageChrome }

    static func page(req: Request) async throws -> View {
        let viewer = try req.viewer
        let conversation = try await req.store.conversations.find(try req.intParameter("id"), for: viewer)
        let customer = try await req.store.customers.find(conversation.$customer.id)
        let others = try await req.store.conversations.list(InboxFilter(statuses: [], customerId: customer.id), for: viewer,
                                                             cursor: nil, limit: 10).items.filter { $0.id != conversation.id }
        await markChatRead(conversation, req: req)
        return try await req.view.render("conversation", ConversationPage(
            chrome: try PageChrome(req, page: "conversation", title: conversation.subject),
            conversation: try await details(conversation, customer: customer, req: req),
            thread: try await threadEntries(conversation, req: req),
            identities: customer.identities.map { "\(req.label("identity", $0.kindRaw)): \($0.address)" },
            otherConversations: others.map {
                OtherConversation(id: $0.id!, subject: $0.subject, statusLabel: req.label("status", $0.statusRaw), when: req.formatDate($0.lastMessageAt))
            }))
    }

    static func thread(req: Request) async throws -> View {
        let conversation = try await req.store.conversations.find(try req.intParameter("id"), for: try req.viewer)
        await markChatRead(conversation, req: req)
        return try await req.view.render("thread", ThreadPartial(thread: try await threadEntries(conversation, req: req)))
    }

    /// An agent who opens a chat (or sees its thread refresh live) has read what the visitor wrote.
    static func markChatRead(_ c: Conversation, req: Request) async {
        guard c.channel == .chat, let id = c.id, let viewer = try? req.viewer else { return }
        await req.care.chat.agentRead(conversationId: id, by: viewer)
    }

    static func details(req: Request) async throws -> View {
        let conversation = try await req.store.conversations.find(try req.intParameter("id"), for: try req.viewer)
        let customer = try await req.store.customers.find(conversation.$customer.id)
        return try await req.view.render("details", DetailsPartial(
            conversation: try await details(conversation, customer: customer, req: req),
            chrome: try PageChrome(req, page: "conversation", title: conversation.subject)))
    }

    /// The "next conversation" shortcut: the one after this in the open inbox, or back to the inbox.
    static func next(req: Request) async throws -> Response {
        let viewer = try req.viewer
        let conversation = try await req.store.conversations.find(try req.intParameter("id"), for: viewer)
        if let n = try await req.store.conversations.next(after: conversation, filter: InboxFilter(), for: viewer) {
            return req.redirect(to: "/conversations/\(n.id!)")
        }
        return req.redirect(to: "/inbox")
    }

    static func reply(req: Request) async throws -> Response {
        try await addMessage(req, direction: .outbound)
    }

    static func note(req: Request) async throws -> Response {
        try await addMessage(req, direction: .note)
    }

    /// Up to this many files per reply, together within the body limit below.
    static let maximumFilesPerMessage = 10
    static let composerBodyLimit = 30 * 1_048_576

    static func addMessage(_ req: Request, direction: MessageDirection) async throws -> Response {
        let id = try req.intParameter("id")
        let text = try req.formField("body", max: InboundMessage.maximumTextLength) ?? ""
        let attachments = try storeUploads(req)
        try await req.store.conversations.addAgentMessage(to: id, direction: direction, text: text, attachments: attachments,
                                                          by: try req.viewer)
        if let status = try req.formField("then_status", max: 20).flatMap(ConversationStatus.init(rawValue:)) {
            try await req.store.conversations.update(id, ConversationChanges(status: status), by: try req.viewer, ip: req.clientIP)
        }
        return try await done(req, id: id)
    }

    /// The files of a multipart composer form, stored by content; an empty file field (nothing chosen) is no file.
    static func storeUploads(_ req: Request) throws -> [InboundMessage.Attachment] {
        guard req.headers.contentType?.subType == "form-data", let files = try? req.content.get([File].self, at: "files") else { return [] }
        let chosen = files.filter { !$0.filename.isEmpty || $0.data.readableBytes > 0 }
        guard chosen.count <= maximumFilesPerMessage else {
            throw CareError.invalid(code: "message.too_many_files", "At most \(maximumFilesPerMessage) files per message.", field: "files")
        }
        let limit = req.care.config.mail.maxAttachmentBytes
        return try chosen.map { file in
            let size = file.data.readableBytes
            guard size <= limit else {
                throw CareError.invalid(code: "message.file_too_large",
                                        "“\(file.filename)” is \(size) bytes; files may have at most \(limit).", field: "files")
            }
            let key = try req.care.blobs.put(file.data.readableBytesView)
            return InboundMessage.Attachment(filename: UploadedFilename.safe(file.filename),
                                             contentType: file.contentType.map { "\($0.type)/\($0.subType)" } ?? "application/octet-stream",
                                             size: size, storageKey: key)
        }
    }

    static func update(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        var changes = ConversationChanges()
        func parse<E: RawRepresentable>(_ name: String, _ type: E.Type) throws -> E? where E.RawValue == String {
            guard let raw = try req.formField(name, max: 40), !raw.isEmpty else { return nil }
            guard let v = E(rawValue: raw) else {
                throw CareError.invalid(code: "form.invalid_choice", "“\(raw)” is not a valid \(name).", field: name)
            }
            return v
        }
        changes.status = try parse("status", ConversationStatus.self)
        changes.priority = try parse("priority", Priority.self)
        changes.kind = try parse("kind", ConversationKind.self)
        if let raw = try req.formField("assignee", max: 20) {
            if raw.isEmpty || raw == "none" { changes.assigneeId = .some(nil) }
            else if let v = Int(raw) { changes.assigneeId = .some(v) }
            else { throw CareError.invalid(code: "form.invalid_choice", "“\(raw)” is not an agent.", field: "assignee") }
        }
        if let raw = try req.formField("team", max: 20) {
            if raw.isEmpty || raw == "none" { changes.teamId = .some(nil) }
            else if let v = Int(raw) { changes.teamId = .some(v) }
            else { throw CareError.invalid(code: "form.invalid_choice", "“\(raw)” is not a team.", field: "team") }
        }
        if let raw = try req.formField("tags", max: 2000) {
            changes.tags = raw.split(separator: ",").map(String.init)
        }
        try await req.store.conversations.update(id, changes, by: try req.viewer, ip: req.clientIP)
        return try await done(req, id: id)
    }

    static func assignToMe(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        let viewer = try req.viewer
        try await req.store.conversations.update(id, ConversationChanges(assigneeId: .some(viewer.agentId)), by: viewer, ip: req.clientIP)
        return try await done(req, id: id)
    }

    static func resolve(req: Request) async throws -> Response {
        let id = try req.intParameter("id")
        try await req.store.conversations.update(id, ConversationChanges(status: .resolved), by: try req.viewer, ip: req.clientIP)
        return try await done(req, id: id)
    }

    /// Forms posted by scripts get 204; plain forms go back to the page.
    static func done(_ req: Request, id: Int) async throws -> Response {
        if req.headers.first(name: "X-Requested-With") == "fetch" { return Response(status: .noContent) }
        return req.redirect(to: "/conversations/\(id)")
    }

    static func details(_ c: Conversation, customer: Customer, req: Request) async throws -> Details {
        let agents = try await req.store.agents.all().filter(\.active)
        let teams = try await req.store.agents.teams()
        let me = try req.viewer.agentId
        return Details(
            id: c.id!, subject: c.subject, customerId: customer.id!, customerName: customer.name,
            channelLabel: req.label("channel", c.channelRaw), statusLabel: req.label("status", c.statusRaw),
            statuses: req.options(ConversationStatus.self, prefix: "status", selected: c.status),
            priorities: req.options(Priority.self, prefix: "priority", selected: c.priority),
            kinds: req.options(ConversationKind.self, prefix: "kind", selected: c.kind),
            agents: [Option(value: "none", label: req.t("conversation.nobody"), selected: c.$assignee.id == nil)]
                + agents.map { Option(value: String($0.id!), label: $0.name, selected: $0.id == c.$assignee.id) },
            teams: [Option(value: "none", label: req.t("conversation.no_team"), selected: c.$team.id == nil)]
                + teams.map { Option(value: String($0.id!), label: $0.name, selected: $0.id == c.$team.id) },
            tags: c.tagNames.joined(separator: ", "), tagList: c.tagNames,
            assigneeName: agents.first { $0.id == c.$assignee.id }?.name, teamName: teams.first { $0.id == c.$team.id }?.name,
            created: req.formatDate(c.createdAt), isMine: c.$assignee.id == me, isResolved: !c.status.isActive)
    }

    static func threadEntries(_ c: Conversation, req: Request) async throws -> [ThreadEntry] {
        let messages = try await req.store.conversations.thread(of: c.id!)
        let customer = try await Customer.find(c.$customer.id, on: req.store.db)
        let agents = Dictionary(uniqueKeysWithValues: try await req.store.agents.all().map { ($0.id!, $0.name) })
        // Chat replies the visitor has read show "seen" rather than "sent".
        let seenUpTo = c.channel == .chat ? try await req.store.chat.visitor(ofConversation: c.id!)?.visitorReadUpTo ?? 0 : 0
        return messages.map { m in entry(m, customerName: customer?.name ?? "", agents: agents, seenUpTo: seenUpTo, req: req) }
    }

    static func entry(_ m: Message, customerName: String, agents: [Int: String], seenUpTo: Int = 0, req: Request) -> ThreadEntry {
        let author: String = switch m.direction {
        case .inbound: customerName
        case .event: agents[m.authorAgentId ?? -1] ?? req.t("thread.system")
        default: agents[m.authorAgentId ?? -1] ?? "?"
        }
        let id = m.id!
        let files = m.attachments
        let body = MessageBody(text: m.text, html: m.html.map { MessageBody.linkInlineImages($0, attachments: files, messageId: id) },
                               foldsQuotedHistory: m.direction == .inbound && m.channel == .email)
        return ThreadEntry(
            id: id, direction: m.directionRaw, author: author, text: body.text, html: body.html,
            eventText: m.direction == .event ? eventText(m, req: req) : nil,
            when: req.formatDate(m.createdAt), whenISO: req.isoDate(m.createdAt),
            channelLabel: req.label("channel", m.channelRaw),
            delivery: m.direction != .outbound ? nil : id <= seenUpTo ? req.t("delivery.seen") : req.label("delivery", m.deliveryStatusRaw),
            attachments: files.enumerated().compactMap { index, a in
                // Inline images the HTML shows in place are not listed again.
                if a.isInline == true, a.contentId.map({ (m.html ?? "").contains("cid:\($0)") }) == true, body.html != nil { return nil }
                return AttachmentLink(name: a.filename, size: req.formatByteCount(a.size),
                                      url: a.storageKey == nil ? nil : MessageFilesController.attachmentURL(messageId: id, index: index))
            },
            quoted: body.quoted, formattedOriginal: body.formattedOriginal, problems: m.problems,
            automatic: m.automaticReason.map { _ in req.t("thread.automatic") },
            originalURL: m.rawKey == nil ? nil : MessageFilesController.originalURL(messageId: id))
    }

    /// System events are stored as a kind plus values and put into words in the reader's language.
    static func eventText(_ m: Message, req: Request) -> String {
        let d = m.eventDetails
        let kind = m.eventKind ?? ""
        func v(_ k: String) -> String { d[k] ?? "" }
        switch kind {
        case "assigned": return req.t("event.assigned", v("agent"))
        case "unassigned": return req.t("event.unassigned")
        case "team_changed": return v("team").isEmpty ? req.t("event.team_cleared") : req.t("event.team_changed", v("team"))
        case "status_changed": return req.t("event.status_changed", req.label("status", v("to")))
        case "priority_changed": return req.t("event.priority_changed", req.label("priority", v("to")))
        case "kind_changed": return req.t("event.kind_changed", req.label("kind", v("to")))
        case "tags_changed": return v("tags").isEmpty ? req.t("event.tags_cleared") : req.t("event.tags_changed", v("tags"))
        case "subject_changed": return req.t("event.subject_changed", v("to"))
        case "merged": return req.t("event.merged", v("from"), v("to"))
        case "created": return req.t("event.created", req.label("channel", v("channel")))
        case "visitor_identified":
            let who = [v("name"), v("email")].filter { !$0.isEmpty }.joined(separator: ", ")
            return req.t("event.visitor_identified", who) + (v("joined").isEmpty ? "" : " · " + req.t("event.visitor_joined"))
        case "chat_ended":
            return req.t("event.chat_ended") + (v("transcript").isEmpty ? "" : " · " + req.t("event.chat_transcript", v("transcript")))
        case "delivery_failed": return req.t("event.delivery_failed", v("recipient"), [v("status"), v("diagnostic")].filter { !$0.isEmpty }.joined(separator: " "))
        default: return kind
        }
    }
}
