import CareCore
import CareMail
import Foundation

/// How a stored message body is shown in the thread. E-mail from customers usually repeats the whole earlier
/// conversation below the new text: that quoted history is folded away (kept, one click to open), and when
/// the mail also has HTML its formatted original stays available beside the text.
struct MessageBody {
    let text: String
    let html: String?
    let quoted: String?
    let formattedOriginal: String?

    init(text: String, html: String?, foldsQuotedHistory: Bool) {
        let split = foldsQuotedHistory ? QuotedHistory.split(text) : nil
        if let split, !split.quoted.isEmpty, !split.visible.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            self.text = split.visible
            self.quoted = split.quoted
            self.html = nil
            self.formattedOriginal = html
        } else {
            self.text = text
            self.quoted = nil
            self.html = html
            self.formattedOriginal = nil
        }
    }

    /// Points `cid:` images of sanitized HTML at the stored inline attachments, so they show in place.
    static func linkInlineImages(_ html: String, attachments: [InboundMessage.Attachment], messageId: Int) -> String {
        guard html.contains("cid:") else { return html }
        var result = html
        for (index, a) in attachments.enumerated() {
            guard let cid = a.contentId, !cid.isEmpty, a.storageKey != nil else { continue }
            let url = MessageFilesController.attachmentURL(messageId: messageId, index: index)
            result = result.replacingOccurrences(of: "\"cid:\(HTMLEscaping.escape(cid))\"", with: "\"\(url)\"")
        }
        return result
    }
}
