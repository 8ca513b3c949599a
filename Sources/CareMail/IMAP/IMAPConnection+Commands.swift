import Foundation
import NIOCore

/// The commands a poller uses once logged in: SELECT, SEARCH, FETCH, flag or move, CREATE, APPEND, IDLE.
/// Connecting, logging in and the command/response plumbing are in IMAPConnection.swift.
extension IMAPConnection {
    /// SELECT: UIDVALIDITY, UIDNEXT and the number of messages.
    public func select(_ mailbox: String) async throws -> IMAPMailboxStatus {
        var status = IMAPMailboxStatus(uidValidity: 0, uidNext: nil, exists: 0)
        selectedMailbox = nil
        let text = try await run([.text("SELECT "), IMAPEncoding.mailbox(mailbox)], name: "SELECT \(mailbox)") { response in
            switch response {
            case .numbered(let count, "EXISTS", _):
                status.exists = count
            case .status(.ok, let text) where text.code == "UIDVALIDITY":
                status.uidValidity = text.codeArguments.first?.number ?? 0
            case .status(.ok, let text) where text.code == "UIDNEXT":
                status.uidNext = text.codeArguments.first?.number
            default:
                break
            }
        }
        status.readOnly = text.code == "READ-ONLY"
        selectedMailbox = mailbox
        exists = status.exists
        return status
    }

    /// The UIDs greater than `uid` in the selected mailbox, ascending
    /// (`UID SEARCH UID n+1:*`; the server's answer for `*` is filtered out when it is not newer).
    public func uidSearch(after uid: UInt32) async throws -> [UInt32] {
        guard uid < UInt32.max else { return [] }
        return try await searchUIDs("UID \(uid + 1):*").filter { $0 > uid }
    }

    private func searchUIDs(_ criteria: String) async throws -> [UInt32] {
        var found = Set<UInt32>()
        try await run([.text("UID SEARCH " + criteria)], name: "UID SEARCH") { response in
            if case .data("SEARCH", let values) = response {
                for value in values { if let number = value.number { found.insert(number) } }
            }
        }
        return found.sorted()
    }

    /// The whole message as the server stores it (`BODY.PEEK[]`, so `\Seen` is not set), or nil
    /// when there is no message with this UID (any more). Throws `IMAPError.messageTooLarge` for a
    /// message over `configuration.maxMessageSize` (its bytes were read and thrown away).
    public func fetchMessage(uid: UInt32) async throws -> [UInt8]? {
        var body: IMAPValue?
        var size: Int?
        let result = try await execute([.text("UID FETCH \(uid) (UID RFC822.SIZE BODY.PEEK[])")], onUntagged: { response in
            guard let attributes = IMAPFetchAttributes(response) else { return }
            guard attributes.uid == uid || (attributes.uid == nil && attributes.body != nil) else { return }
            if let value = attributes.body { body = value }
            if let value = attributes.size { size = value }
        })
        if result.status != .ok && body == nil {
            // RFC 3501 allows NO for a message expunged by another session: check whether it is still there.
            if try await searchUIDs("UID \(uid)").contains(uid) {
                throw IMAPError.protocolError("UID FETCH \(uid): \(result.status.rawValue) \(result.text.description)")
            }
            return nil
        }
        switch body {
        case nil: return nil
        case .string(let bytes): return bytes
        case .null: return []
        case .atom(let text): return Array(text.utf8)
        case .oversizedLiteral(let literalSize): throw IMAPError.messageTooLarge(uid: uid, size: size ?? literalSize)
        case .list: throw IMAPError.protocolError("UID FETCH \(uid): BODY[] is a list")
        }
    }

    /// Marks the message seen, or moves it (see `IMAPAfterProcessing`).
    public func process(uid: UInt32, _ action: IMAPAfterProcessing) async throws {
        switch action {
        case .markSeen:
            try await run([.text("UID STORE \(uid) +FLAGS.SILENT (\\Seen)")], name: "UID STORE")
        case .move(let target):
            if hasCapability("MOVE") {
                try await creatingTarget(target) { [.text("UID MOVE \(uid) "), IMAPEncoding.mailbox(target)] }
            } else {
                try await creatingTarget(target) { [.text("UID COPY \(uid) "), IMAPEncoding.mailbox(target)] }
                try await run([.text("UID STORE \(uid) +FLAGS.SILENT (\\Deleted)")], name: "UID STORE")
                if hasCapability("UIDPLUS") {
                    try await run([.text("UID EXPUNGE \(uid)")], name: "UID EXPUNGE")
                } else {
                    try await run([.text("EXPUNGE")], name: "EXPUNGE")
                }
            }
        }
    }

    /// Runs a COPY or MOVE; when refused (TRYCREATE or otherwise), creates the target and tries once more.
    private func creatingTarget(_ target: String, _ command: () -> [IMAPCommandPart]) async throws {
        let name = command().first.map { if case .text(let text) = $0 { text.trimmingCharacters(in: .whitespaces) } else { "" } } ?? ""
        let first = try await execute(command())
        guard first.status != .ok else { return }
        try await create(target)
        let second = try await execute(command())
        guard second.status == .ok else {
            throw IMAPError.protocolError("\(name) to \(target): \(second.status.rawValue) \(second.text.description)")
        }
    }

    /// CREATE; a mailbox that already exists is fine.
    public func create(_ mailbox: String) async throws {
        let result = try await execute([.text("CREATE "), IMAPEncoding.mailbox(mailbox)])
        if result.status != .ok && result.text.code != "ALREADYEXISTS" {
            // Some servers give no code: fine if the mailbox is there now.
            var listed = false
            try await run([.text("LIST \"\" "), IMAPEncoding.mailbox(mailbox)], name: "LIST") { response in
                if case .data("LIST", _) = response { listed = true }
            }
            if !listed {
                throw IMAPError.protocolError("CREATE \(mailbox): \(result.status.rawValue) \(result.text.description)")
            }
        }
    }

    /// DELETE a mailbox.
    public func delete(_ mailbox: String) async throws {
        try await run([.text("DELETE "), IMAPEncoding.mailbox(mailbox)], name: "DELETE \(mailbox)")
    }

    /// APPEND (handy for tests and for filing copies). Returns the new UID when the server says (UIDPLUS).
    @discardableResult
    public func append(_ message: [UInt8], to mailbox: String, flags: [String] = []) async throws -> UInt32? {
        var parts: [IMAPCommandPart] = [.text("APPEND "), IMAPEncoding.mailbox(mailbox), .text(" ")]
        if !flags.isEmpty { parts.append(.text("(" + flags.joined(separator: " ") + ") ")) }
        parts.append(.literal(message))
        let text = try await run(parts, name: "APPEND")
        if text.code == "APPENDUID", text.codeArguments.count >= 2 { return text.codeArguments[1].number }
        return nil
    }

    /// The flags of one message (`\Seen`, …), nil when it is not there.
    public func flags(uid: UInt32) async throws -> [String]? {
        var flags: [String]?
        try await run([.text("UID FETCH \(uid) (UID FLAGS)")], name: "UID FETCH") { response in
            if let attributes = IMAPFetchAttributes(response), attributes.uid == uid { flags = attributes.flags }
        }
        return flags
    }

    public func noop() async throws {
        try await run([.text("NOOP")], name: "NOOP")
    }

    /// IDLE (RFC 2177) for up to `seconds`: true as soon as the server reports more messages
    /// (EXISTS), false when the time is up. Ends with DONE either way. Needs a selected mailbox
    /// and the IDLE capability. Keep `seconds` under 29 minutes (servers drop idle clients at 30).
    public func idle(upTo seconds: TimeInterval) async throws -> Bool {
        guard hasCapability("IDLE") else { throw IMAPError.protocolError("the server does not support IDLE") }
        guard selectedMailbox != nil else { throw IMAPError.protocolError("IDLE needs a selected mailbox") }
        try beginCommand()
        defer { busy = false }
        let tag = nextTag()
        try await write(Array("\(tag) IDLE\r\n".utf8))
        var newMail = false
        func look(_ response: IMAPResponse) {
            let before = exists
            handleUntagged(response)
            if case .numbered(let count, "EXISTS", _) = response, count > before { newMail = true }
        }
        waiting: while true {
            switch try await nextResponse() {
            case .continuation:
                break waiting
            case .tagged(tag, let status, let text):
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            case let response:
                look(response)
            }
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(0, seconds) * 1_000_000_000))
        while !newMail {
            guard let response = try await nextResponse(.fixed(deadline)) else { break }
            if case .tagged(tag, let status, let text) = response {  // the server ended IDLE itself
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            }
            look(response)
        }
        try await write(Array("DONE\r\n".utf8))
        while true {
            let response = try await nextResponse()
            if case .tagged(tag, let status, let text) = response {
                if status != .ok { throw IMAPError.protocolError("IDLE: \(status.rawValue) \(text.description)") }
                return newMail
            }
            look(response)
        }
    }
}
