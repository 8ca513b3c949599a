import Foundation

/// How our outgoing mail names its conversation so replies find their way back: a Message-ID of the form
/// `caredesk.<conversation>.<message>@<mailbox domain>` (stable across retries, so a re-sent reply is the same
/// mail to the customer's client) and `[#<conversation>]` at the end of the subject. Both are only hints: the
/// ingestion pipeline joins a reply to a named conversation only if it belongs to the same customer.
enum MailThreadReference {
    static func messageId(conversationId: Int, messageId: Int, domain: String) -> String {
        "caredesk.\(conversationId).\(messageId)@\(domain)"
    }

    /// The conversation and message of one of our Message-IDs (without angle brackets), or nil.
    static func parse(messageId: String) -> (conversationId: Int, messageId: Int)? {
        guard messageId.hasPrefix("caredesk."), let at = messageId.firstIndex(of: "@") else { return nil }
        let parts = messageId[messageId.index(messageId.startIndex, offsetBy: 9)..<at].split(separator: ".")
        guard parts.count == 2, let c = Int(parts[0]), let m = Int(parts[1]), c > 0, m > 0 else { return nil }
        return (c, m)
    }

    static func subjectTag(_ conversationId: Int) -> String { "[#\(conversationId)]" }

    /// Conversation numbers written as `[#1234]` in a subject.
    static func conversationIds(inSubject subject: String) -> [Int] {
        var ids: [Int] = []
        var rest = subject[...]
        while let open = rest.range(of: "[#") {
            let after = rest[open.upperBound...]
            let digits = after.prefix(while: \.isASCIIDigitCharacter)
            if !digits.isEmpty, digits.count <= 12, after.dropFirst(digits.count).first == "]", let id = Int(digits), id > 0 {
                ids.append(id)
            }
            rest = after
        }
        return ids
    }

    /// The subject of a reply: "Re: " once, and our tag once.
    static func replySubject(_ subject: String, conversationId: Int) -> String {
        var s = subject.trimmingCharacters(in: .whitespaces)
        let lower = s.lowercased()
        if !(lower.hasPrefix("re:") || lower.hasPrefix("aw:") || lower.hasPrefix("σχετ:") || lower.hasPrefix("odg:")) {
            s = "Re: " + s
        }
        let tag = subjectTag(conversationId)
        return s.contains(tag) ? s : s + " " + tag
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
