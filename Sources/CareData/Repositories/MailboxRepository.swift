import CareCore
import FluentKit
import Foundation

/// What an admin sets for a support mailbox. The IMAP password arrives sealed (encrypted by the server);
/// `imapPasswordSealed == nil` keeps the stored one.
public struct MailboxSettings: Sendable {
    public var address: String
    public var name: String
    public var teamId: Int?
    public var signature: String
    public var active: Bool
    public var imapHost: String?
    public var imapPort: Int?
    public var imapSecurity: String
    public var imapUsername: String?
    public var imapPasswordSealed: String?
    public var imapFolder: String
    public var imapMoveTo: String?

    public init(address: String, name: String, teamId: Int? = nil, signature: String = "", active: Bool = true,
                imapHost: String? = nil, imapPort: Int? = nil, imapSecurity: String = "tls", imapUsername: String? = nil,
                imapPasswordSealed: String? = nil, imapFolder: String = "INBOX", imapMoveTo: String? = nil) {
        self.address = address
        self.name = name
        self.teamId = teamId
        self.signature = signature
        self.active = active
        self.imapHost = imapHost
        self.imapPort = imapPort
        self.imapSecurity = imapSecurity
        self.imapUsername = imapUsername
        self.imapPasswordSealed = imapPasswordSealed
        self.imapFolder = imapFolder
        self.imapMoveTo = imapMoveTo
    }

    static let securities = ["none", "starttls", "tls"]

    /// Refuses settings that cannot work, naming the field.
    func validated() throws(CareError) -> MailboxSettings {
        var s = self
        guard let normalized = IdentityNormalizer.email(address.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalid(code: "mailbox.invalid_address", "“\(address)” is not an e-mail address.", field: "address")
        }
        s.address = normalized
        s.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !s.name.isEmpty, s.name.count <= 200 else {
            throw .invalid(code: "mailbox.invalid_name", "The sender name must be 1 to 200 characters.", field: "name")
        }
        guard signature.count <= 5000 else {
            throw .invalid(code: "mailbox.signature_too_long", "A signature may have at most 5,000 characters.", field: "signature")
        }
        s.imapHost = imapHost?.trimmingCharacters(in: .whitespaces).nonEmpty
        s.imapUsername = imapUsername?.trimmingCharacters(in: .whitespaces).nonEmpty
        s.imapFolder = imapFolder.trimmingCharacters(in: .whitespaces).nonEmpty ?? "INBOX"
        s.imapMoveTo = imapMoveTo?.trimmingCharacters(in: .whitespaces).nonEmpty
        guard Self.securities.contains(imapSecurity) else {
            throw .invalid(code: "mailbox.invalid_imap_security", "IMAP security must be none, starttls or tls.", field: "imap_security")
        }
        if let host = s.imapHost {
            guard host.count <= 253, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw .invalid(code: "mailbox.invalid_imap_host", "“\(host)” is not a host name.", field: "imap_host")
            }
            guard s.imapUsername != nil else {
                throw .invalid(code: "mailbox.imap_username_required", "An IMAP account needs a user name.", field: "imap_username")
            }
        }
        if let port = imapPort, !(1...65535).contains(port) {
            throw .invalid(code: "mailbox.invalid_imap_port", "The IMAP port must be between 1 and 65535.", field: "imap_port")
        }
        for (folder, field) in [(s.imapFolder, "imap_folder"), (s.imapMoveTo ?? "", "imap_move_to")]
        where folder.count > 200 || folder.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\"" }) {
            throw .invalid(code: "mailbox.invalid_folder", "“\(folder)” is not a folder name.", field: field)
        }
        return s
    }
}

/// Support mailboxes: the addresses CareDesk receives mail for.
public struct MailboxRepository: Sendable {
    let store: CareStore

    public func all() async throws -> [Mailbox] {
        try await Mailbox.query(on: store.db).sort(\.$address).all()
    }

    public func find(_ id: Int) async throws -> Mailbox {
        guard let m = try await Mailbox.find(id, on: store.db) else { throw CareError.notFound("mailbox", id: id) }
        return m
    }

    public func create(_ settings: MailboxSettings, by actor: Viewer?, ip: String? = nil) async throws -> Mailbox {
        let s = try settings.validated()
        let now = store.clock.now()
        return try await store.write { db in
            if try await Mailbox.query(on: db).filter(\.$address == s.address).first() != nil {
                throw CareError.conflict(code: "mailbox.address_taken", "A mailbox for \(s.address) exists already.")
            }
            try await Self.checkTeam(s.teamId, on: db)
            let m = Mailbox(address: s.address, name: s.name, teamId: s.teamId, signature: s.signature, now: now)
            Self.apply(s, to: m)
            try await m.create(on: db)
            try await AuditLog.record(actor: actor, action: "mailbox.create", targetType: "mailbox", targetId: m.id,
                                      detail: s.address, ip: ip, now: now, on: db)
            return m
        }
    }

    public func update(_ id: Int, _ settings: MailboxSettings, by actor: Viewer?, ip: String? = nil) async throws -> Mailbox {
        let s = try settings.validated()
        let now = store.clock.now()
        return try await store.write { db in
            guard let m = try await Mailbox.find(id, on: db) else { throw CareError.notFound("mailbox", id: id) }
            if s.address != m.address, try await Mailbox.query(on: db).filter(\.$address == s.address).first() != nil {
                throw CareError.conflict(code: "mailbox.address_taken", "A mailbox for \(s.address) exists already.")
            }
            try await Self.checkTeam(s.teamId, on: db)
            let accountChanged = m.imapHost != s.imapHost || m.imapUsername != s.imapUsername || m.imapFolder != s.imapFolder
            m.address = s.address
            Self.apply(s, to: m)
            if accountChanged {
                // Another account or folder has its own UIDs: start over (re-fetched mail is deduplicated by Message-ID).
                m.imapUIDValidity = nil
                m.imapLastUID = 0
                m.imapStatus = nil
            }
            m.updatedAt = now
            try await m.save(on: db)
            try await AuditLog.record(actor: actor, action: "mailbox.update", targetType: "mailbox", targetId: id,
                                      detail: s.address, ip: ip, now: now, on: db)
            return m
        }
    }

    public func delete(_ id: Int, by actor: Viewer?, ip: String? = nil) async throws {
        let now = store.clock.now()
        try await store.write { db in
            guard let m = try await Mailbox.find(id, on: db) else { throw CareError.notFound("mailbox", id: id) }
            try await m.delete(on: db)
            try await AuditLog.record(actor: actor, action: "mailbox.delete", targetType: "mailbox", targetId: id,
                                      detail: m.address, ip: ip, now: now, on: db)
        }
    }

    /// Remembers how the poll went and, when given, how far the mailbox's IMAP folder has been read
    /// (nil: a failure before anything was read; the stored position stays).
    public func recordPoll(_ id: Int, position: (uidValidity: UInt32?, lastUID: UInt32)?, status: String) async throws {
        let now = store.clock.now()
        try await store.write { db in
            guard let m = try await Mailbox.find(id, on: db) else { return }
            if let position {
                m.imapUIDValidity = position.uidValidity.map(Int64.init)
                m.imapLastUID = Int64(position.lastUID)
            }
            m.imapStatus = String(status.prefix(500))
            m.imapCheckedAt = now
            try await m.save(on: db)
        }
    }

    private static func apply(_ s: MailboxSettings, to m: Mailbox) {
        m.name = s.name
        m.teamId = s.teamId
        m.signature = s.signature
        m.active = s.active
        m.imapHost = s.imapHost
        m.imapPort = s.imapPort
        m.imapSecurity = s.imapSecurity
        m.imapUsername = s.imapUsername
        if let sealed = s.imapPasswordSealed { m.imapPasswordSealed = sealed }
        m.imapFolder = s.imapFolder
        m.imapMoveTo = s.imapMoveTo
    }

    private static func checkTeam(_ teamId: Int?, on db: any Database) async throws {
        if let teamId, try await Team.find(teamId, on: db) == nil {
            throw CareError.invalid(code: "mailbox.unknown_team", "Team \(teamId) does not exist.", field: "team")
        }
    }
}

/// What sending one reply by e-mail needs to know, read in one place.
public struct EmailReplyContext: Sendable {
    public let message: Message
    public let conversation: Conversation
    public let customerName: String
    /// The address the customer last wrote from in this conversation, else any e-mail address of theirs.
    public let recipient: String?
    /// The mailbox of the conversation, else the first active one of its team, else the first active one.
    public let mailbox: Mailbox?
    /// Messages of the conversation before this one, oldest first: (direction, external id, message id).
    public let earlier: [(direction: MessageDirection, externalId: String?, id: Int)]
}

extension MailboxRepository {
    public func replyContext(messageId: Int) async throws -> EmailReplyContext {
        let db = store.db
        guard let message = try await Message.find(messageId, on: db) else { throw CareError.notFound("message", id: messageId) }
        let conversationId = message.$conversation.id
        guard let conversation = try await Conversation.find(conversationId, on: db),
              let customer = try await Customer.find(conversation.$customer.id, on: db) else {
            throw CareError.notFound("conversation", id: conversationId)
        }
        let earlier = try await Message.query(on: db).filter(\.$conversation.$id == conversationId)
            .filter(\.$id < messageId).filter(\.$directionRaw ~~ [MessageDirection.inbound.rawValue, MessageDirection.outbound.rawValue])
            .sort(\.$createdAt).sort(\.$id).all()
        let identities = try await Identity.query(on: db).filter(\.$customer.$id == customer.requireID())
            .filter(\.$kindRaw == IdentityKind.email.rawValue).all()
        let lastSender = earlier.last { $0.direction == .inbound && $0.channel == .email }?.senderIdentityId
        let recipient = identities.first { $0.id == lastSender }?.address ?? identities.first?.address

        return EmailReplyContext(message: message, conversation: conversation, customerName: customer.name,
                                 recipient: recipient,
                                 mailbox: try await sendingMailbox(preferred: conversation.mailboxId, teamId: conversation.$team.id),
                                 earlier: earlier.map { ($0.direction, $0.externalId, $0.id!) })
    }

    /// The mailbox mail about a conversation leaves from: the preferred one (the conversation's, a chat widget's),
    /// else the first active one of the team, else the first active one; nil when there is none.
    public func sendingMailbox(preferred: Int?, teamId: Int?) async throws -> Mailbox? {
        var mailbox: Mailbox?
        if let preferred { mailbox = try await Mailbox.find(preferred, on: store.db) }
        if mailbox == nil || mailbox?.active == false {
            let active = try await Mailbox.query(on: store.db).filter(\.$active == true).sort(\.$id).all()
            mailbox = active.first { $0.teamId != nil && $0.teamId == teamId } ?? active.first ?? mailbox
        }
        return mailbox
    }
}
