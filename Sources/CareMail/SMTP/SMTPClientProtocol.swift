/// The pure protocol parts of the SMTP client: reading replies, reading the EHLO extensions,
/// preparing the DATA bytes, checking envelope addresses and the AUTH strings. No sockets
/// here; `SMTPClientConversation` runs the dialogue over any `SMTPClientTransport`.

/// Reads server replies (RFC 5321 §4.2) from bytes in any pieces: `250-…` continuation lines
/// and the final `250 …` line become one `SMTPReply`. Lines may end in CRLF or a bare LF.
struct SMTPClientReplyParser: Sendable {
    /// Longest reply line accepted (RFC 5321 says 512; servers are sometimes generous).
    static let maxLineLength = 4096
    /// Most lines in one reply (an EHLO reply has one per extension).
    static let maxLines = 200

    private var buffer: [UInt8] = []
    private var code: Int?
    private var lines: [String] = []

    init() {}

    /// Bytes from the server; returns the replies they complete, in order.
    /// Throws `.temporary` for a malformed reply (the connection cannot be trusted any more).
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(SMTPClientError) -> [SMTPReply] where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        var replies: [SMTPReply] = []
        var start = 0
        while let lf = buffer[start...].firstIndex(of: 10) {
            let end = lf > start && buffer[lf - 1] == 13 ? lf - 1 : lf
            if let reply = try line(buffer[start..<end]) { replies.append(reply) }
            start = lf + 1
        }
        buffer.removeFirst(start)
        guard buffer.count <= Self.maxLineLength else {
            throw .temporary("Malformed SMTP reply: a line longer than \(Self.maxLineLength) bytes")
        }
        return replies
    }

    /// Bytes received but not yet a whole reply (after STARTTLS these must be thrown away).
    var hasPendingInput: Bool { !buffer.isEmpty || code != nil }

    private mutating func line(_ bytes: ArraySlice<UInt8>) throws(SMTPClientError) -> SMTPReply? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.count <= Self.maxLineLength else {
            throw .temporary("Malformed SMTP reply: a line longer than \(Self.maxLineLength) bytes")
        }
        let digits = Array(bytes.prefix(3))
        guard digits.count == 3, (49...53).contains(digits[0]), digits.allSatisfy({ (48...57).contains($0) }) else {
            throw .temporary("Malformed SMTP reply: \"\(text.prefix(80))\"")
        }
        let lineCode = Int(digits[0] - 48) * 100 + Int(digits[1] - 48) * 10 + Int(digits[2] - 48)
        let separator: UInt8? = bytes.count > 3 ? bytes[bytes.startIndex + 3] : nil
        guard separator == nil || separator == 32 || separator == 45 else {
            throw .temporary("Malformed SMTP reply: \"\(text.prefix(80))\"")
        }
        if let code, code != lineCode {
            throw .temporary("Malformed SMTP reply: code \(lineCode) inside a \(code) reply")
        }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes.dropFirst(4), as: UTF8.self) : "")
        guard lines.count <= Self.maxLines else {
            throw .temporary("Malformed SMTP reply: more than \(Self.maxLines) lines")
        }
        guard separator != 45 else { return nil }  // "-": more lines follow
        let reply = SMTPReply(lineCode, lines)
        code = nil
        lines = []
        return reply
    }
}

extension SMTPReply {
    /// The reply on one line, for error messages: `550 5.1.1 <x@y>: no such mailbox here`.
    var oneLine: String {
        let text = lines.filter { !$0.isEmpty }.joined(separator: " ")
        return text.isEmpty ? "\(code)" : "\(code) \(text)"
    }
}

/// What the server said it supports in its EHLO reply (RFC 5321 §4.1.1.1). Keywords are
/// compared without case; the first line (the server's name) is not an extension.
struct SMTPClientCapabilities: Sendable, Equatable {
    /// EHLO worked (false after falling back to HELO: then there are no extensions).
    var extended: Bool
    /// Upper-cased keyword → its parameters ("" when none).
    var extensions: [String: String]

    static let none = SMTPClientCapabilities(extended: false, extensions: [:])

    init(extended: Bool, extensions: [String: String]) {
        self.extended = extended
        self.extensions = extensions
    }

    init(ehloReply reply: SMTPReply) {
        var extensions: [String: String] = [:]
        for line in reply.lines.dropFirst() {
            let trimmed = line.trimmingSpaces
            guard !trimmed.isEmpty else { continue }
            let end = trimmed.firstIndex(where: { $0 == " " || $0 == "=" }) ?? trimmed.endIndex
            let keyword = trimmed[..<end].uppercased()
            // "AUTH=LOGIN PLAIN" is an old spelling of "AUTH LOGIN PLAIN".
            let parameters = end == trimmed.endIndex ? "" : String(trimmed[trimmed.index(after: end)...].trimmingSpaces)
            if let known = extensions[keyword], !known.isEmpty {
                extensions[keyword] = known + " " + parameters
            } else {
                extensions[keyword] = parameters
            }
        }
        self.init(extended: true, extensions: extensions)
    }

    func supports(_ keyword: String) -> Bool { extensions[keyword.uppercased()] != nil }

    var startTLS: Bool { supports("STARTTLS") }
    var smtpUTF8: Bool { supports("SMTPUTF8") }
    var eightBitMIME: Bool { supports("8BITMIME") }
    /// SIZE was advertised (then MAIL FROM carries `SIZE=`).
    var size: Bool { supports("SIZE") }
    /// The advertised message size limit; nil when there is none (no SIZE, `SIZE` or `SIZE 0`).
    var sizeLimit: Int? {
        guard let value = extensions["SIZE"], let limit = Int(value.split(separator: " ").first ?? ""), limit > 0 else {
            return nil
        }
        return limit
    }
    /// Upper-cased SASL mechanism names after AUTH, in the order given.
    var authMechanisms: [String] {
        guard let value = extensions["AUTH"] else { return [] }
        var seen: [String] = []
        for name in value.split(separator: " ") where !seen.contains(name.uppercased()) {
            seen.append(name.uppercased())
        }
        return seen
    }
}

/// The message as it goes after DATA.
struct SMTPClientData: Sendable, Equatable {
    /// What is written after the 354: CRLF line ends, dot-stuffed, ending `CRLF.CRLF`.
    var wire: [UInt8]
    /// The message size as SIZE counts it (RFC 1870): CRLF line ends, without the stuffing
    /// dots and without the final `.CRLF`; this is also the size the receiver stores.
    var size: Int
    /// The message has bytes above 127 (then `BODY=8BITMIME` is declared when offered).
    var hasEightBitBytes: Bool

    /// Line ends become CRLF (a bare LF or a bare CR counts as a line end, RFC 5321 §2.3.8),
    /// every line starting with "." gets one more "." (RFC 5321 §4.5.2), a last line without a
    /// line end gets one, and `.CRLF` ends the data.
    init(message: [UInt8]) {
        var wire: [UInt8] = []
        wire.reserveCapacity(message.count + message.count / 50 + 5)
        var atLineStart = true
        var stuffed = 0
        var eightBit = false
        var index = 0
        while index < message.count {
            let byte = message[index]
            index += 1
            switch byte {
            case 13, 10:
                if byte == 13, index < message.count, message[index] == 10 { index += 1 }
                wire.append(13)
                wire.append(10)
                atLineStart = true
            default:
                if atLineStart && byte == 46 {
                    wire.append(46)
                    stuffed += 1
                }
                if byte >= 128 { eightBit = true }
                wire.append(byte)
                atLineStart = false
            }
        }
        if !atLineStart {
            wire.append(13)
            wire.append(10)
        }
        size = wire.count - stuffed
        wire.append(contentsOf: [46, 13, 10])
        self.wire = wire
        hasEightBitBytes = eightBit
    }
}

/// Envelope addresses: checked before anything is sent, written as `<address>`.
enum SMTPClientAddress {
    /// Longest address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets).
    static let maxLength = 254

    /// Why `address` cannot go into MAIL FROM / RCPT TO, or nil when it can. The sender may
    /// be "" (the null sender `<>`, for bounces).
    static func problem(_ address: String, isSender: Bool) -> String? {
        if address.isEmpty { return isSender ? nil : "empty recipient address" }
        guard address.utf8.count <= maxLength else { return "address longer than \(maxLength) bytes" }
        guard !address.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "<" || $0 == ">" }) else {
            return "control characters or angle brackets in the address"
        }
        guard SMTPCommand.isAddress(address) else { return "not an address of the form local@domain" }
        return nil
    }

    static func needsSMTPUTF8(_ address: String) -> Bool {
        address.utf8.contains { $0 >= 128 }
    }

    static func path(_ address: String) -> String { "<\(address)>" }
}

/// SASL strings for AUTH (RFC 4954, RFC 4616).
enum SMTPClientAuth {
    /// The initial response of AUTH PLAIN: base64 of NUL username NUL password (no authzid).
    static func plain(username: String, password: String) -> String {
        base64([0] + Array(username.utf8) + [0] + Array(password.utf8))
    }

    /// AUTH LOGIN sends the username and then the password, each in base64.
    static func login(_ text: String) -> String { base64(Array(text.utf8)) }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : 61)
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : 61)
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
