/// One SMTP command line (without its CRLF), parsed per RFC 5321 §4.1.
///
/// Parsing is lenient where it costs nothing (verbs in any case, a space after `FROM:`,
/// a path without angle brackets, source routes `<@a,@b:user@host>` are dropped) and strict
/// where it matters (no control characters in addresses, addresses at most 256 bytes,
/// parameters are `KEYWORD[=value]`).
public enum SMTPCommand: Sendable, Equatable {
    case ehlo(String)
    case helo(String)
    /// `reversePath` is "" for the null sender `<>` (bounces).
    case mail(reversePath: String, parameters: [SMTPParameter])
    case rcpt(forwardPath: String, parameters: [SMTPParameter])
    case data
    case rset
    case noop
    case quit
    case vrfy(String)
    case help
    case startTLS
    /// A command from the RFCs that this server does not offer (EXPN, AUTH, BDAT, …): 502.
    case notImplemented(String)
    /// Not an SMTP command at all: 500.
    case unknown(String)

    /// Longest address accepted (RFC 5321 §4.5.3.1.3: a path is at most 256 octets).
    public static let maxPathLength = 256

    public static func parse(_ line: String) throws(SMTPCommandError) -> SMTPCommand {
        let verbEnd = line.firstIndex(of: " ") ?? line.endIndex
        let verb = line[..<verbEnd].uppercased()
        let argument = verbEnd == line.endIndex ? "" : line[line.index(after: verbEnd)...]
        let trimmed = argument.trimmingSpaces
        switch verb {
        case "EHLO", "HELO":
            guard let domain = trimmed.split(separator: " ").first else {
                throw .syntax("\(verb) requires a domain name or address literal")
            }
            return verb == "EHLO" ? .ehlo(String(domain)) : .helo(String(domain))
        case "MAIL":
            guard let rest = trimmed.dropPrefix(caseInsensitive: "FROM:") else {
                throw .syntax("Syntax: MAIL FROM:<address>")
            }
            let (path, parameters) = try parsePathAndParameters(rest)
            guard path.isEmpty || isAddress(path) else {
                throw .badAddress("Bad sender address syntax")
            }
            return .mail(reversePath: path, parameters: parameters)
        case "RCPT":
            guard let rest = trimmed.dropPrefix(caseInsensitive: "TO:") else {
                throw .syntax("Syntax: RCPT TO:<address>")
            }
            let (path, parameters) = try parsePathAndParameters(rest)
            guard isAddress(path) || path.lowercased() == "postmaster" else {
                throw .badAddress("Bad recipient address syntax")
            }
            return .rcpt(forwardPath: path, parameters: parameters)
        case "DATA", "RSET", "QUIT", "STARTTLS":
            guard trimmed.isEmpty else { throw .syntax("\(verb) takes no arguments") }
            switch verb {
            case "DATA": return .data
            case "RSET": return .rset
            case "QUIT": return .quit
            default: return .startTLS
            }
        case "NOOP":
            return .noop
        case "VRFY":
            guard !trimmed.isEmpty else { throw .syntax("Syntax: VRFY <address>") }
            return .vrfy(String(trimmed))
        case "HELP":
            return .help
        case "EXPN", "TURN", "ETRN", "ATRN", "AUTH", "BDAT", "SEND", "SOML", "SAML":
            return .notImplemented(verb)
        default:
            return .unknown(String(verb.prefix(32)))
        }
    }

    /// `<path> KEY=value KEY` after `FROM:` / `TO:`.
    static func parsePathAndParameters(_ text: Substring) throws(SMTPCommandError) -> (String, [SMTPParameter]) {
        var rest = text.drop(while: { $0 == " " })
        var path: Substring
        if rest.first == "<" {
            var inQuotes = false
            var escaped = false
            var close: Substring.Index?
            var index = rest.index(after: rest.startIndex)
            while index < rest.endIndex {
                let character = rest[index]
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes.toggle()
                } else if character == ">" && !inQuotes {
                    close = index
                    break
                }
                index = rest.index(after: index)
            }
            guard let close else { throw .badAddress("Address is missing its closing '>'") }
            path = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            guard rest.isEmpty || rest.first == " " else {
                throw .syntax("Unexpected text after the address")
            }
        } else {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            path = rest[..<end]
            rest = rest[end...]
        }
        if path.first == "@" {  // obsolete source route: <@relay1,@relay2:user@host>
            guard let colon = path.firstIndex(of: ":") else { throw .badAddress("Bad source route") }
            path = path[path.index(after: colon)...]
        }
        guard path.utf8.count <= maxPathLength else {
            throw .badAddress("Address too long (at most \(maxPathLength) bytes)")
        }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badAddress("Control characters in address")
        }
        var parameters: [SMTPParameter] = []
        for word in rest.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let keyword = parts[0]
            guard !keyword.isEmpty, keyword.unicodeScalars.allSatisfy({
                ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }) else {
                throw .syntax("Bad parameter syntax: \(word.prefix(40))")
            }
            parameters.append(SMTPParameter(keyword: keyword.uppercased(), value: parts.count > 1 ? String(parts[1]) : nil))
        }
        return (String(path), parameters)
    }

    /// `local@domain` with both parts present and no unquoted spaces; the domain may be an
    /// address literal `[192.0.2.1]`. Whether the mailbox exists is the recipient policy's call.
    static func isAddress(_ path: String) -> Bool {
        guard let at = path.lastIndex(of: "@") else { return false }
        let local = path[..<at]
        let domain = path[path.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty, !domain.contains(" "), !domain.contains("@") else { return false }
        if local.first == "\"" { return local.count >= 2 && local.last == "\"" }
        return !local.contains(" ")
    }
}

/// A MAIL or RCPT parameter (`SIZE=1234`, `BODY=8BITMIME`, `SMTPUTF8`); keyword upper-cased.
public struct SMTPParameter: Sendable, Equatable {
    public var keyword: String
    public var value: String?

    public init(keyword: String, value: String? = nil) {
        self.keyword = keyword
        self.value = value
    }
}

/// Why a command line could not be parsed; `reply` is what the client is told.
public struct SMTPCommandError: Error, Sendable, Equatable {
    public var reply: SMTPReply

    static func syntax(_ text: String) -> SMTPCommandError { SMTPCommandError(reply: .syntax(text)) }
    static func badAddress(_ text: String) -> SMTPCommandError { SMTPCommandError(reply: .badAddress(text)) }
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        let start = firstIndex(where: { $0 != " " && $0 != "\t" }) ?? endIndex
        let end = lastIndex(where: { $0 != " " && $0 != "\t" }).map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }

    func dropPrefix(caseInsensitive prefix: String) -> SubSequence? {
        guard count >= prefix.count, self.prefix(prefix.count).uppercased() == prefix.uppercased() else { return nil }
        return dropFirst(prefix.count)
    }
}
