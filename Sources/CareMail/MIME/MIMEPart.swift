import Foundation

/// One node of a parsed message: the message itself, a part of a multipart, or the message
/// inside a message/rfc822 part.
public struct MIMEPart: Sendable {
    public var headers: MailHeaders
    /// From the Content-Type header; text/plain when missing or unusable (message/rfc822 in a
    /// multipart/digest). A multipart whose boundaries cannot be found is read as text/plain.
    public var contentType: ContentType
    public var contentDisposition: ContentDisposition?
    public var transferEncoding: TransferEncoding
    /// The body as it is in the message (still transfer-encoded). Empty for a multipart.
    public var body: [UInt8]
    /// The children of a multipart, in order.
    public var parts: [MIMEPart]
    /// What was off while parsing this node (its children report their own).
    public var problems: [String]
    // An array so that the struct can contain a value of its own type.
    private var attached: [MIMEPart]

    init(
        headers: MailHeaders, contentType: ContentType, contentDisposition: ContentDisposition?,
        transferEncoding: TransferEncoding, body: [UInt8] = [], parts: [MIMEPart] = [],
        attachedMessage: MIMEPart? = nil, problems: [String] = []
    ) {
        self.headers = headers
        self.contentType = contentType
        self.contentDisposition = contentDisposition
        self.transferEncoding = transferEncoding
        self.body = body
        self.parts = parts
        self.attached = attachedMessage.map { [$0] } ?? []
        self.problems = problems
    }

    /// For a message/rfc822 (or message/global) part: the enclosed message, parsed.
    public var attachedMessage: MIMEPart? {
        get { attached.first }
        set { attached = newValue.map { [$0] } ?? [] }
    }

    public var isMultipart: Bool { contentType.isMultipart }

    /// The body with its Content-Transfer-Encoding undone.
    public var decodedBody: [UInt8] { transferEncoding.decode(body) }

    /// The decoded body as text in its declared charset (see `CharsetDecoder`), line breaks
    /// normalized to LF.
    /// A body labeled base64 that is plainly not base64 is read as it is, with a warning,
    /// rather than turned into garbage.
    public func decodedText() -> DecodedText {
        let wronglyLabeled = transferEncoding == .base64 && !Base64Codec.isPlausible(body)
        var decoded = CharsetDecoder.decode(wronglyLabeled ? body : decodedBody, label: contentType.charset)
        decoded.text = Self.normalizingLineBreaks(decoded.text)
        if wronglyLabeled {
            decoded.warning = ["body labeled base64 is not base64; read as text", decoded.warning].compactMap { $0 }.joined(separator: "; ")
        }
        return decoded
    }

    /// Set when this part's text may not be what the sender meant (unknown charset label,
    /// guessed charset, invalid bytes). Only meaningful for text parts.
    public var charsetWarning: String? { decodedText().warning }

    /// The file name: Content-Disposition `filename` (RFC 2231 and encoded words decoded),
    /// else Content-Type `name`. Path components are removed.
    public var filename: String? {
        let candidates = [contentDisposition?.filename, contentType.name]
        for candidate in candidates {
            guard let candidate else { continue }
            let cleaned = Self.safeFilename(candidate)
            if !cleaned.isEmpty { return cleaned }
        }
        return nil
    }

    /// Content-ID without angle brackets.
    public var contentId: String? {
        guard let value = headers["Content-ID"] else { return nil }
        let trimmed = value.trimmingCharacters(in: CharacterSet(charactersIn: " \t<>"))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Every node below and including this one, depth first (attached messages included).
    public func walk(_ visit: (MIMEPart) -> Void) {
        visit(self)
        for part in parts { part.walk(visit) }
        attachedMessage?.walk(visit)
    }

    static func normalizingLineBreaks(_ s: String) -> String {
        guard s.utf8.contains(13) else { return s }
        return s.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// The last path component, control characters removed, trimmed, at most 255 characters.
    static func safeFilename(_ name: String) -> String {
        var s = name
        if let slash = s.lastIndex(where: { $0 == "/" || $0 == "\\" }) { s = String(s[s.index(after: slash)...]) }
        s = String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        s = s.trimmingCharacters(in: .whitespaces)
        if s == "." || s == ".." { return "" }
        return String(s.prefix(255))
    }
}
