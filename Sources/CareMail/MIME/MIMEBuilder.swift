import Foundation

/// A file to send.
public struct OutgoingAttachment: Sendable, Equatable {
    public var filename: String
    /// `type/subtype`; `application/octet-stream` when unknown.
    public var contentType: String
    public var bytes: [UInt8]
    /// For images shown in the HTML (`<img src="cid:…">`): the Content-ID without brackets.
    /// Such attachments go into a multipart/related with the HTML, disposition inline.
    public var contentId: String?

    public init(filename: String, contentType: String = "application/octet-stream", bytes: [UInt8], contentId: String? = nil) {
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
        self.contentId = contentId
    }
}

/// A message to send.
public struct OutgoingMail: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress] = []
    public var replyTo: [MailAddress] = []
    public var subject: String
    /// The plain-text body (LF or CRLF line breaks).
    public var text: String
    /// An HTML version: the message becomes multipart/alternative.
    public var html: String?
    /// Without angle brackets, e.g. from `MessageID.generate(domain:)`.
    public var messageId: String
    public var inReplyTo: String?
    public var references: [String] = []
    public var attachments: [OutgoingAttachment] = []
    public var date: Date
    /// Further fields, written as given after the standard ones (names and values must be
    /// ASCII; values are folded). E.g. `("Auto-Submitted", "auto-replied")`.
    public var extraHeaders: [MailHeader] = []

    public init(
        from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], replyTo: [MailAddress] = [],
        subject: String, text: String, html: String? = nil, messageId: String, inReplyTo: String? = nil,
        references: [String] = [], attachments: [OutgoingAttachment] = [], date: Date = Date(),
        extraHeaders: [MailHeader] = []
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.attachments = attachments
        self.date = date
        self.extraHeaders = extraHeaders
    }
}

public enum MessageID {
    /// A new message id `random@domain` (no angle brackets): 128 random bits in base 36, so
    /// it is unique without any shared state.
    public static func generate(domain: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        let host = domain.isEmpty ? "localhost" : domain
        return "\(String(high, radix: 36)).\(String(low, radix: 36))@\(host)"
    }
}

/// Builds RFC 5322 messages: UTF-8 everywhere, RFC 2047 encoded words for non-ASCII subjects
/// and names, header lines folded to at most 78 characters, text bodies quoted-printable (or
/// base64 when most characters are not ASCII, as in Greek), attachments base64 with RFC 2231
/// file names, CRLF line breaks. Structure:
/// `mixed( related( alternative(text, html), inline images ), attachments )`, with every
/// layer left out when it would hold a single part.
public enum MIMEBuilder {
    public static func build(_ mail: OutgoingMail) -> [UInt8] {
        var out = HeaderWriter()
        out.field("Date", MailDate.format(mail.date))
        out.addressField("From", [mail.from])
        if !mail.to.isEmpty { out.addressField("To", mail.to) }
        if !mail.cc.isEmpty { out.addressField("Cc", mail.cc) }
        if !mail.replyTo.isEmpty { out.addressField("Reply-To", mail.replyTo) }
        out.textField("Subject", mail.subject)
        out.field("Message-ID", "<\(mail.messageId)>")
        if let inReplyTo = mail.inReplyTo { out.field("In-Reply-To", "<\(inReplyTo)>") }
        if !mail.references.isEmpty { out.wordsField("References", mail.references.map { "<\($0)>" }) }
        for header in mail.extraHeaders { out.wordsField(header.name, header.value.split(separator: " ").map(String.init)) }
        out.field("MIME-Version", "1.0")

        var body = Entity.text(mail.text, subtype: "plain")
        if let html = mail.html {
            body = .multipart("alternative", [body, .text(html, subtype: "html")])
        }
        let inline = mail.attachments.filter { $0.contentId != nil && mail.html != nil }
        let files = mail.attachments.filter { $0.contentId == nil || mail.html == nil }
        if !inline.isEmpty {
            body = .multipart("related", [body] + inline.map { .attachment($0, inline: true) })
        }
        if !files.isEmpty {
            body = .multipart("mixed", [body] + files.map { .attachment($0, inline: false) })
        }
        var bytes = out.bytes
        body.write(into: &bytes, last: true)
        return bytes
    }

    // MARK: - Entities

    private indirect enum Entity {
        case text(String, subtype: String)
        case attachment(OutgoingAttachment, inline: Bool)
        case multipart(String, [Entity])

        /// Writes the entity without a final line break (in a multipart the line break before
        /// the next delimiter belongs to the delimiter). `last`: the entity ends the message,
        /// which must end with CRLF; for quoted-printable that is a soft line break, so the
        /// text does not gain a newline.
        func write(into out: inout [UInt8], last: Bool = false) {
            switch self {
            case .text(let text, let subtype):
                let utf8 = Array(text.utf8)
                let nonASCII = utf8.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
                var headers = HeaderWriter()
                headers.field("Content-Type", "text/\(subtype); charset=UTF-8")
                let encoded: [UInt8]
                if nonASCII * 3 > utf8.count {
                    headers.field("Content-Transfer-Encoding", "base64")
                    encoded = Base64Codec.encode(normalizedLineBreaks(utf8))
                } else {
                    headers.field("Content-Transfer-Encoding", "quoted-printable")
                    encoded = QuotedPrintable.encode(utf8)
                }
                out += headers.bytes
                out += [13, 10]
                out += encoded
                if last && !encoded.isEmpty && !(encoded.count >= 2 && encoded[encoded.count - 2] == 13 && encoded[encoded.count - 1] == 10) {
                    out += nonASCII * 3 > utf8.count ? [13, 10] : [UInt8(ascii: "="), 13, 10]
                }
            case .attachment(let file, let inline):
                var headers = HeaderWriter()
                let type = file.contentType.isEmpty ? "application/octet-stream" : file.contentType
                headers.parameterField("Content-Type", type, [("name", file.filename)])
                headers.parameterField("Content-Disposition", inline ? "inline" : "attachment", [("filename", file.filename)])
                headers.field("Content-Transfer-Encoding", "base64")
                if let id = file.contentId { headers.field("Content-ID", "<\(id)>") }
                out += headers.bytes
                out += [13, 10]
                out += Base64Codec.encode(file.bytes)
                if last { out += [13, 10] }
            case .multipart(let subtype, let parts):
                let boundary = "=_CareDesk_" + MessageID.generate(domain: "b").prefix(24).filter { $0 != "." && $0 != "@" }
                var headers = HeaderWriter()
                headers.field("Content-Type", "multipart/\(subtype); boundary=\"\(boundary)\"")
                out += headers.bytes
                out += Array("\r\nThis is a multi-part message in MIME format.\r\n".utf8)
                for part in parts {
                    out += Array("\r\n--\(boundary)\r\n".utf8)
                    part.write(into: &out)
                }
                out += Array("\r\n--\(boundary)--\r\n".utf8)
            }
        }

        private func normalizedLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 40)
            var previous: UInt8 = 0
            for b in bytes {
                if b == 10 && previous != 13 { out.append(13) }
                out.append(b)
                previous = b
            }
            return out
        }
    }
}

/// Writes header fields folded at whitespace to at most 78 characters a line.
struct HeaderWriter {
    private(set) var bytes: [UInt8] = []

    /// A field whose value is ASCII; folded between its words.
    mutating func field(_ name: String, _ value: String) {
        wordsField(name, value.split(separator: " ", omittingEmptySubsequences: true).map(String.init))
    }

    /// `name: w1 w2 …`, starting a new line (CRLF + space) before a word that would pass 78.
    mutating func wordsField(_ name: String, _ words: [String], separator: String = " ") {
        var line = "\(name):"
        var lines: [String] = []
        for (index, word) in words.enumerated() {
            let piece = (index == 0 ? " " : separator) + word
            if line.count + piece.count > 78, line.count > name.count + 1 {
                lines.append(line + (separator == " " ? "" : separator.trimmingCharacters(in: .whitespaces)))
                line = " " + word
            } else {
                line += piece
            }
        }
        lines.append(line)
        bytes += Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// Unstructured text: as is when ASCII, else RFC 2047 encoded words.
    mutating func textField(_ name: String, _ text: String) {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if EncodedWords.isPlainASCII(clean) {
            field(name, clean)
        } else {
            wordsField(name, EncodedWords.encode(clean))
        }
    }

    /// Addresses separated by commas, folded between words (also inside display names).
    mutating func addressField(_ name: String, _ addresses: [MailAddress]) {
        var words: [String] = []
        for (index, address) in addresses.enumerated() {
            var tokens = Self.formatAddress(address).split(separator: " ").map(String.init)
            if index < addresses.count - 1, !tokens.isEmpty { tokens[tokens.count - 1] += "," }
            words += tokens
        }
        wordsField(name, words)
    }

    /// `value; param=…`: short ASCII values quoted as they are; others as RFC 2231
    /// `param*0*=UTF-8''…` sections, except `name`, which gets RFC 2047 encoded words as
    /// older readers expect.
    mutating func parameterField(_ name: String, _ value: String, _ parameters: [(String, String)]) {
        var words = [value + (parameters.isEmpty ? "" : ";")]
        for (index, (key, raw)) in parameters.enumerated() {
            let last = index == parameters.count - 1
            let clean = raw.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
            if EncodedWords.isPlainASCII(clean) && clean.count <= 60 {
                words.append("\(key)=\(Self.quoted(clean))" + (last ? "" : ";"))
            } else if key == "name" {
                // Content-Type name: the encoded-word form Outlook and Thunderbird send, folded
                // between the words (readers drop the space between encoded words).
                var encodedWords = EncodedWords.encode(clean)
                encodedWords[0] = "\(key)=\"" + encodedWords[0]
                encodedWords[encodedWords.count - 1] += "\"" + (last ? "" : ";")
                words += encodedWords
            } else {
                let encoded = Self.percentEncoded(clean)
                let sections = Self.chunks(encoded, size: 50)
                for (n, section) in sections.enumerated() {
                    let isLast = last && n == sections.count - 1
                    let prefix = n == 0 ? "UTF-8''" : ""
                    words.append("\(key)*\(n)*=\(prefix)\(section)" + (isLast ? "" : ";"))
                }
            }
        }
        // Fold only between parameters.
        var lines: [String] = []
        var line = "\(name):"
        for word in words {
            if line.count + 1 + word.count > 78, line.count > name.count + 1 {
                lines.append(line)
                line = " " + word
            } else {
                line += " " + word
            }
        }
        lines.append(line)
        bytes += Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func formatAddress(_ address: MailAddress) -> String {
        guard let name = address.name?.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: ""),
              !name.isEmpty else {
            return "<\(address.address)>"
        }
        if EncodedWords.isPlainASCII(name) {
            let needsQuotes = name.contains { "()<>[]:;@\\,.\"".contains($0) }
            return "\(needsQuotes ? quoted(name) : name) <\(address.address)>"
        }
        return EncodedWords.encode(name).joined(separator: " ") + " <\(address.address)>"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// RFC 2231 percent-encoding: attribute-chars stay, everything else `%XX`.
    static func percentEncoded(_ s: String) -> String {
        let keep = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            if keep.contains(b) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits percent-encoded text into pieces of about `size` characters, never inside `%XX`.
    static func chunks(_ s: String, size: Int) -> [String] {
        var pieces: [String] = []
        var current = ""
        var chars = Array(s)[...]
        while let c = chars.first {
            let token = c == "%" ? String(chars.prefix(3)) : String(c)
            chars = chars.dropFirst(token.count)
            if current.count + token.count > size {
                pieces.append(current)
                current = ""
            }
            current += token
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }
}
