import Foundation

/// A file (or an inline image, or an attached message) carried by a message.
public struct MailAttachment: Sendable, Equatable {
    /// From Content-Disposition `filename` or Content-Type `name`, decoded, path removed.
    public var filename: String?
    /// Lower-cased `type/subtype`.
    public var contentType: String
    /// Content-ID without angle brackets (what `cid:` URLs in the HTML refer to).
    public var contentId: String?
    /// Shown in place rather than offered as a download: Content-Disposition inline, or no
    /// disposition but a Content-ID, or a non-root part of a multipart/related.
    public var isInline: Bool
    /// The decoded content.
    public var bytes: [UInt8]

    public var size: Int { bytes.count }
    public var data: Data { Data(bytes) }

    public init(filename: String?, contentType: String, contentId: String?, isInline: Bool, bytes: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.contentId = contentId
        self.isInline = isInline
        self.bytes = bytes
    }
}

/// A received message, reduced to what a help desk needs.
///
/// Parsing never fails: a message that is broken in any way still gives a `ParsedMail`
/// (at worst the raw text as the body) and `problems` says what was off, so the caller can
/// flag it "could not be fully parsed" and keep it, instead of losing mail.
public struct ParsedMail: Sendable {
    /// The parsed MIME tree, for anything not lifted out below.
    public var root: MIMEPart
    public var headers: MailHeaders { root.headers }

    /// Encoded words decoded, whitespace collapsed; nil when there is no Subject header.
    public var subject: String?
    /// The first address of From.
    public var from: MailAddress?
    public var sender: MailAddress?
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var replyTo: [MailAddress]
    /// nil when missing or unreadable (the latter is also a problem).
    public var date: Date?
    /// Message ids are given without angle brackets.
    public var messageId: String?
    public var inReplyTo: [String]
    public var references: [String]

    /// The plain-text body (LF line breaks): the text/plain parts meant to be read. Empty when the
    /// message has none (HTML-only mail: see `readableText(htmlToText:)`).
    public var text: String
    /// The HTML body exactly as sent, nil if none. Not sanitized: whoever shows it sanitizes it (the
    /// ingestion pipeline does, with CareCore's allowlist).
    public var html: String?
    /// Every part that is not the text or HTML body, in order.
    public var attachments: [MailAttachment]
    /// The messages attached as message/rfc822 (forwarded mail, bounced originals), parsed.
    /// They are also in `attachments`.
    public var attachedMessages: [ParsedMail]

    /// What was off: MIME structure, charsets, headers. Empty when everything was read cleanly.
    public var problems: [String]
    /// No problems: the message was read cleanly. Otherwise the help desk should keep it
    /// flagged "could not be fully parsed" (next to the raw message) for an agent to check.
    public var isFullyParsed: Bool { problems.isEmpty }

    /// Why this looks like an auto-reply (out of office, vacation, list mail…), if it does.
    public var autoReplyReason: String?
    public var isAutoReply: Bool { autoReplyReason != nil }
    /// The delivery report, when this is a bounce.
    public var bounce: BounceReport?
    public var isBounce: Bool { bounce != nil }

    public init(parsing data: Data, parser: MIMEParser = MIMEParser()) {
        self.init(root: parser.parse(data))
    }

    public init(parsing bytes: [UInt8], parser: MIMEParser = MIMEParser()) {
        self.init(root: parser.parse(bytes))
    }

    /// From an already parsed tree (for example an attached message).
    public init(root: MIMEPart) {
        self.root = root
        let headers = root.headers
        var problems: [String] = []

        subject = headers.text("Subject")
        let fromList = headers["From"].map(AddressParser.parseList) ?? []
        from = fromList.first
        if from == nil { problems.append("no sender address (From)") }
        sender = headers["Sender"].flatMap(AddressParser.parseFirst)
        to = headers.values("To").flatMap(AddressParser.parseList)
        cc = headers.values("Cc").flatMap(AddressParser.parseList)
        replyTo = headers["Reply-To"].map(AddressParser.parseList) ?? []
        if let value = headers["Date"] {
            date = MailDate.parse(value)
            if date == nil { problems.append("unreadable Date \"\(value.prefix(60))\"") }
        }
        messageId = headers["Message-ID"].flatMap { AddressParser.parseMessageIds($0).first }
        inReplyTo = headers["In-Reply-To"].map(AddressParser.parseMessageIds) ?? []
        references = headers["References"].map(AddressParser.parseMessageIds) ?? []

        var collector = BodyCollector()
        collector.walk(root, path: "message")
        let plain = collector.texts.joined(separator: "\n")
        html = collector.htmls.isEmpty ? nil : collector.htmls.joined(separator: "\n")
        text = plain
        attachments = collector.attachments
        attachedMessages = collector.messages
        self.problems = problems + collector.problems

        autoReplyReason = AutoReplyDetection.reason(headers: headers, subject: subject)
        bounce = BounceReport.detect(root, from: from, subject: subject)
    }

    /// The text a person reads: the plain body, or, for HTML-only mail, the HTML made into text by
    /// `htmlToText` (the caller's HTML tools: CareMail stays protocol code).
    public func readableText(htmlToText: (String) -> String) -> String {
        guard text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let html else { return text }
        return htmlToText(html)
    }

    /// Ids this message may be a reply to, most relevant first: In-Reply-To, then References
    /// from the newest (last) to the oldest. Without duplicates.
    public var threadingIds: [String] {
        var seen = Set<String>()
        return (inReplyTo + references.reversed()).filter { seen.insert($0).inserted }
    }
}

/// Walks a MIME tree and sorts its leaves into body text, HTML and attachments.
struct BodyCollector {
    var texts: [String] = []
    var htmls: [String] = []
    var attachments: [MailAttachment] = []
    var messages: [ParsedMail] = []
    var problems: [String] = []

    mutating func walk(_ part: MIMEPart, path: String, inRelatedResource: Bool = false) {
        for problem in part.problems { problems.append("\(path): \(problem)") }
        let type = part.contentType

        if type.isMultipart, !part.parts.isEmpty || part.body.isEmpty {
            let children = part.parts
            switch type.subtype {
            case "alternative":
                var collectors: [BodyCollector] = []
                for (index, child) in children.enumerated() {
                    var sub = BodyCollector()
                    sub.walk(child, path: "\(path).\(index + 1)", inRelatedResource: inRelatedResource)
                    collectors.append(sub)
                }
                // The last alternative a client can show is the preferred one (RFC 2046).
                if let best = collectors.last(where: { !$0.texts.isEmpty }) { texts += best.texts }
                if let best = collectors.last(where: { !$0.htmls.isEmpty }) { htmls += best.htmls }
                for sub in collectors {
                    attachments += sub.attachments
                    messages += sub.messages
                    problems += sub.problems
                }
            case "related":
                let start = type.parameters["start"].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>")) }
                let rootIndex = start.flatMap { s in children.firstIndex { $0.contentId == s } } ?? 0
                for (index, child) in children.enumerated() {
                    walk(child, path: "\(path).\(index + 1)", inRelatedResource: index != rootIndex || inRelatedResource)
                }
            default:
                for (index, child) in children.enumerated() {
                    walk(child, path: "\(path).\(index + 1)", inRelatedResource: inRelatedResource)
                }
            }
            return
        }

        if let attached = part.attachedMessage {
            let mail = ParsedMail(root: attached)
            messages.append(mail)
            attachments.append(attachment(part, inRelatedResource: inRelatedResource, defaultName: nil))
            return
        }

        let isBodyType = type.type == "text" && (type.subtype == "plain" || type.subtype == "html")
        let isBody = isBodyType && !inRelatedResource && part.contentDisposition?.isAttachment != true
            && part.filename == nil
        if isBody {
            let decoded = part.decodedText()
            if let warning = decoded.warning { problems.append("\(path): \(warning)") }
            if type.subtype == "plain" {
                let flowed = type.parameters["format"]?.lowercased() == "flowed"
                let delsp = type.parameters["delsp"]?.lowercased() == "yes"
                texts.append(flowed ? FormatFlowed.unflow(decoded.text, deleteSpace: delsp) : decoded.text)
            } else {
                htmls.append(decoded.text)
            }
            return
        }
        attachments.append(attachment(part, inRelatedResource: inRelatedResource, defaultName: nil))
    }

    private func attachment(_ part: MIMEPart, inRelatedResource: Bool, defaultName: String?) -> MailAttachment {
        let contentId = part.contentId
        let isInline: Bool
        if let disposition = part.contentDisposition, disposition.isAttachment || disposition.isInline {
            isInline = disposition.isInline
        } else {
            isInline = contentId != nil || inRelatedResource
        }
        return MailAttachment(
            filename: part.filename ?? defaultName, contentType: part.contentType.mimeType,
            contentId: contentId, isInline: isInline, bytes: part.decodedBody)
    }
}

/// RFC 3676 format=flowed: a line ending in a space continues on the next line (of the same
/// quote depth); the signature separator `-- ` is never joined.
enum FormatFlowed {
    static func unflow(_ text: String, deleteSpace: Bool) -> String {
        var out: [String] = []
        var pending: String?
        var pendingDepth = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            var depth = 0
            while line.first == ">" {
                depth += 1
                line = line.dropFirst()
            }
            if line.first == " " { line = line.dropFirst() }  // space-stuffing
            let quotePrefix = depth > 0 ? String(repeating: ">", count: depth) + " " : ""
            if let p = pending, pendingDepth != depth {
                out.append(p)
                pending = nil
            }
            let isSignature = line == "-- "
            let flowed = !isSignature && line.hasSuffix(" ")
            var content = String(line)
            if flowed && deleteSpace { content.removeLast() }
            let joined = (pending ?? quotePrefix) + content
            if flowed {
                pending = joined
                pendingDepth = depth
            } else {
                out.append(joined)
                pending = nil
            }
        }
        if let p = pending { out.append(p) }
        return out.joined(separator: "\n")
    }
}
