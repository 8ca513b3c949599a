import Foundation

/// Where a message came from or leaves through. The raw value is what is stored and what the API speaks.
public enum Channel: String, Codable, CaseIterable, Sendable {
    case email, chat, phone, sms, whatsapp, messenger, instagram, telegram
    case inPerson = "in_person"
    case webForm = "web_form"
    case api
}

public enum ConversationStatus: String, Codable, CaseIterable, Sendable {
    case open, pending, resolved, closed

    /// Open and pending conversations still need someone; resolved and closed ones do not.
    public var isActive: Bool { self == .open || self == .pending }
}

public enum Priority: String, Codable, CaseIterable, Sendable {
    case low, normal, high, urgent

    /// Higher is more urgent; used to sort without relying on string order.
    public var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        case .urgent: 3
        }
    }
}

public enum ConversationKind: String, Codable, CaseIterable, Sendable {
    case question, request, problem, complaint
}

/// What a thread entry is: a customer's message, an agent's reply, an internal note, or a system event.
public enum MessageDirection: String, Codable, CaseIterable, Sendable {
    case inbound, outbound, note, event
}

public enum DeliveryStatus: String, Codable, CaseIterable, Sendable {
    case none, queued, sent, failed
}

/// System events written into a conversation's thread, e.g. "assigned to Eleni".
/// `detail` carries the names or values needed to render the event in the reader's language.
public enum ConversationEventKind: String, Codable, CaseIterable, Sendable {
    case created, assigned, unassigned, teamChanged = "team_changed", statusChanged = "status_changed"
    case priorityChanged = "priority_changed", kindChanged = "kind_changed", tagsChanged = "tags_changed"
    case merged, subjectChanged = "subject_changed"
    /// A reply could not be delivered (e.g. an e-mail bounce); detail: recipient, status, diagnostic, message.
    case deliveryFailed = "delivery_failed"
    /// A chat visitor gave a name and e-mail address; detail: name, email, joined (the customer they were joined to).
    case visitorIdentified = "visitor_identified"
    /// The chat visitor ended the chat; detail: transcript (the address a transcript goes to, if asked).
    case chatEnded = "chat_ended"
}

public enum Tagging {
    /// Tags are stored lower-cased and trimmed so "VIP" and "vip " are one tag.
    public static func normalize(_ raw: String) -> String? {
        let t = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !t.isEmpty, t.count <= 100, !t.contains(",") else { return nil }
        return t
    }

    public static func normalize(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.compactMap(normalize).filter { seen.insert($0).inserted }
    }
}
