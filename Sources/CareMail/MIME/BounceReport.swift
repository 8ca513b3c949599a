import Foundation

/// What a bounce (delivery status notification) says about a message we sent.
public struct BounceReport: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        /// The address from Final-Recipient (or Original-Recipient), type prefix removed.
        public var address: String
        /// `failed`, `delayed`, `delivered`, `relayed`, `expanded`, lower-cased.
        public var action: String?
        /// The enhanced status code, e.g. `5.1.1`.
        public var status: String?
        /// Diagnostic-Code text, e.g. `smtp; 550 5.1.1 user unknown`.
        public var diagnostic: String?

        /// The message will not be delivered to this recipient.
        public var isFailure: Bool {
            action == "failed" || (action == nil && status?.hasPrefix("5") == true)
        }
    }

    /// True for an RFC 3464 report (multipart/report; report-type=delivery-status); false for
    /// a bounce recognised by its sender and subject only.
    public var isStandard: Bool
    public var reportingMTA: String?
    /// The Message-ID (without angle brackets) of the message that bounced, from the
    /// returned message or headers, or from the report's text as a last resort.
    public var originalMessageId: String?
    public var recipients: [Recipient]

    /// At least one recipient failed permanently, or a non-standard bounce (those are
    /// failures in practice). A report with only `delayed` recipients is not a failure yet.
    public var isFailure: Bool {
        isStandard ? recipients.contains(where: \.isFailure) : true
    }

    /// Recognises a bounce:
    /// - a multipart/report with report-type delivery-status (anywhere at the top or one
    ///   level down, as some MTAs wrap it), or one containing a message/delivery-status part;
    /// - or, without a report, mail from MAILER-DAEMON/postmaster, or mail with a typical
    ///   bounce subject ("Undelivered Mail Returned to Sender", "Delivery Status Notification
    ///   (Failure)", "Mail delivery failed", "Undeliverable:", "failure notice", "Returned
    ///   mail", "Nedostavljivo", "Αδυναμία παράδοσης") that also carries a returned message
    ///   or comes from the null sender.
    public static func detect(_ root: MIMEPart, from: MailAddress?, subject: String?) -> BounceReport? {
        if let report = findReport(root, depth: 0) { return standard(report) }

        let local = from?.address.split(separator: "@").first.map { $0.lowercased() } ?? ""
        let fromDaemon = local == "mailer-daemon" || local == "postmaster" || local == "mail-daemon"
        let folded = (subject ?? "").lowercased()
        let bounceSubject = bounceSubjects.contains { folded.hasPrefix($0) || folded.contains($0) }
        var returned: MIMEPart?
        root.walk { part in
            if returned == nil, part.attachedMessage != nil { returned = part.attachedMessage }
        }
        let nullSender = root.headers["Return-Path"]?.filter { !$0.isWhitespace } == "<>"
        guard fromDaemon || (bounceSubject && (returned != nil || nullSender)) else { return nil }

        var originalId = returned?.headers["Message-ID"].flatMap { AddressParser.parseMessageIds($0).first }
        if originalId == nil { originalId = messageIdInText(root) }
        return BounceReport(isStandard: false, reportingMTA: nil, originalMessageId: originalId, recipients: failedRecipientsHeader(root))
    }

    private static let bounceSubjects = [
        "undelivered mail returned to sender", "delivery status notification (failure)",
        "mail delivery failed", "undeliverable:", "failure notice", "returned mail:",
        "delivery failure", "mail delivery failure", "nedostavljivo", "nedostavljena poruka",
        "αδυναμία παράδοσης", "μη παραδοτέο",
    ]

    private static func findReport(_ part: MIMEPart, depth: Int) -> MIMEPart? {
        if part.contentType.mimeType == "multipart/report" {
            let reportType = part.contentType.parameters["report-type"]?.lowercased()
            if reportType == "delivery-status" || reportType == "global-delivery-status"
                || part.parts.contains(where: { isStatusPart($0) }) {
                return part
            }
            return nil
        }
        guard depth < 2, part.isMultipart else { return nil }
        for child in part.parts {
            if let found = findReport(child, depth: depth + 1) { return found }
        }
        return nil
    }

    private static func isStatusPart(_ part: MIMEPart) -> Bool {
        let t = part.contentType.mimeType
        return t == "message/delivery-status" || t == "message/global-delivery-status"
    }

    private static func standard(_ report: MIMEPart) -> BounceReport {
        var result = BounceReport(isStandard: true, reportingMTA: nil, originalMessageId: nil, recipients: [])
        for child in report.parts {
            let type = child.contentType.mimeType
            if isStatusPart(child) {
                parseStatus(child.decodedBody, into: &result)
            } else if let message = child.attachedMessage, result.originalMessageId == nil {
                result.originalMessageId = message.headers["Message-ID"].flatMap { AddressParser.parseMessageIds($0).first }
            } else if type == "text/rfc822-headers" || type == "message/global-headers", result.originalMessageId == nil {
                let bytes = child.decodedBody
                let headers = HeaderReader.read(bytes, 0..<bytes.count, skipMboxLine: false).headers
                result.originalMessageId = headers["Message-ID"].flatMap { AddressParser.parseMessageIds($0).first }
            }
        }
        if result.originalMessageId == nil { result.originalMessageId = messageIdInText(report) }
        if result.recipients.isEmpty { result.recipients = failedRecipientsHeader(report) }
        return result
    }

    /// The message/delivery-status body: header-like blocks separated by blank lines; the
    /// first is about the message, each further one about a recipient.
    private static func parseStatus(_ bytes: [UInt8], into result: inout BounceReport) {
        var p = 0
        var blockIndex = 0
        while p < bytes.count, blockIndex < 500 {
            // Skip blank lines between blocks.
            let (contentEnd, next) = HeaderReader.lineBounds(bytes, p, bytes.count)
            if contentEnd == p {
                p = next
                continue
            }
            let section = HeaderReader.read(bytes, p..<bytes.count, skipMboxLine: false)
            guard section.bodyStart > p else { break }
            p = section.bodyStart
            let fields = section.headers
            blockIndex += 1
            if let mta = fields["Reporting-MTA"], result.reportingMTA == nil {
                result.reportingMTA = stripType(mta)
            }
            guard let recipient = fields["Final-Recipient"] ?? fields["Original-Recipient"] else { continue }
            result.recipients.append(Recipient(
                address: stripType(recipient),
                action: fields["Action"].map { $0.trimmingCharacters(in: .whitespaces).lowercased() },
                status: fields["Status"].map { String($0.split(separator: " ").first ?? "") },
                diagnostic: fields["Diagnostic-Code"].map(MailHeaders.collapseWhitespace)))
        }
    }

    /// `rfc822; user@example.com` → `user@example.com`.
    private static func stripType(_ value: String) -> String {
        let parts = value.split(separator: ";", maxSplits: 1)
        let address = parts.count == 2 ? parts[1] : parts.first ?? ""
        return address.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
    }

    private static func failedRecipientsHeader(_ root: MIMEPart) -> [Recipient] {
        guard let value = root.headers["X-Failed-Recipients"] else { return [] }
        return value.split(separator: ",").map {
            Recipient(address: $0.trimmingCharacters(in: .whitespaces), action: "failed", status: nil, diagnostic: nil)
        }
    }

    /// A `Message-ID: <…>` line in the text parts of a report (non-standard bounces quote the
    /// original headers in their text).
    private static func messageIdInText(_ root: MIMEPart) -> String? {
        var found: String?
        root.walk { part in
            guard found == nil, part.contentType.type == "text" || part.contentType.mimeType == "message/rfc822" else { return }
            guard part.attachedMessage == nil else { return }
            let text = part.decodedText().text
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.lowercased().hasPrefix("message-id:") else { continue }
                if let id = AddressParser.parseMessageIds(String(trimmed.dropFirst("message-id:".count))).first {
                    found = id
                    return
                }
            }
        }
        return found
    }
}
