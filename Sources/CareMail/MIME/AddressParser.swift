import Foundation

/// One mailbox from an address header.
public struct MailAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The display name, encoded words decoded, quotes removed; nil when there is none.
    public var name: String?
    /// `local@domain` as written (not lower-cased).
    public var address: String
    /// The group this mailbox was listed in (`Team: a@x, b@y;`), if any.
    public var group: String?

    public init(name: String? = nil, address: String, group: String? = nil) {
        self.name = name
        self.address = address
        self.group = group
    }

    /// Whether the address has the shape `local@domain`.
    public var isValid: Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        return at != address.startIndex && address.index(after: at) != address.endIndex
    }

    public var description: String {
        guard let name, !name.isEmpty else { return address }
        return "\(name) <\(address)>"
    }
}

/// Parses RFC 5322 address lists (From, To, Cc, Reply-To, …) and message id lists.
///
/// Lenient where mail in the wild is: display names quoted or not, commas inside quotes,
/// encoded words in names (also inside quotes), groups (`undisclosed-recipients:;`), addresses
/// without angle brackets (`a@x (Name)` takes the comment as the name; `Name a@x` the words
/// before the address), obsolete routes (`<@relay:a@x>`).
public enum AddressParser {
    public static func parseList(_ value: String) -> [MailAddress] {
        let tokens = tokenize(value)
        var result: [MailAddress] = []
        var current: [Token] = []
        var group: String?
        var i = 0
        func finish() {
            if let mailbox = mailbox(from: current, group: group) { result.append(mailbox) }
            current = []
        }
        while i < tokens.count, result.count < 1_000 {
            let token = tokens[i]
            switch token.kind {
            case .special(","):
                finish()
            case .special(";"):
                finish()
                group = nil
            case .special(":") where group == nil && !current.contains(where: { $0.kind == .special("<") }):
                let name = phrase(current)
                group = name.isEmpty ? "" : name
                current = []
            case .special("<"):
                // Everything up to ">" is the address.
                current.append(token)
                i += 1
                while i < tokens.count, tokens[i].kind != .special(">") {
                    current.append(tokens[i])
                    i += 1
                }
                current.append(Token(kind: .special(">"), spaceBefore: false))
            default:
                current.append(token)
            }
            i += 1
        }
        finish()
        return result
    }

    /// The first address of a list (for From, Sender).
    public static func parseFirst(_ value: String) -> MailAddress? {
        parseList(value).first
    }

    /// Message ids from Message-ID, In-Reply-To or References, without angle brackets, in
    /// order, duplicates removed. Comments and quoted text between ids are skipped; when no
    /// `<id>` is found, whitespace-separated words containing `@` are taken.
    public static func parseMessageIds(_ value: String) -> [String] {
        var ids: [String] = []
        var seen = Set<String>()
        func add(_ id: String) {
            let cleaned = String(String.UnicodeScalarView(id.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }))
            guard !cleaned.isEmpty, ids.count < 500, seen.insert(cleaned).inserted else { return }
            ids.append(cleaned)
        }
        let u = Array(value.unicodeScalars)
        var i = 0
        var found = false
        while i < u.count {
            switch u[i] {
            case "(":
                i = skipComment(u, i)
            case "\"":
                i += 1
                while i < u.count, u[i] != "\"" { i += u[i] == "\\" ? 2 : 1 }
                i += 1
            case "<":
                var k = i + 1
                var id = String.UnicodeScalarView()
                while k < u.count, u[k] != ">", u[k] != "<" {
                    id.append(u[k])
                    k += 1
                }
                if k < u.count, u[k] == ">" {
                    add(String(id))
                    found = true
                    i = k + 1
                } else {
                    i = k
                }
            default:
                i += 1
            }
        }
        if !found {
            for word in value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" || $0 == "\n" })
            where word.contains("@") {
                add(String(word))
            }
        }
        return ids
    }

    // MARK: - Tokens

    struct Token: Equatable {
        enum Kind: Equatable {
            case atom(String)
            case quoted(String)
            case comment(String)
            case special(Unicode.Scalar)
        }
        var kind: Kind
        var spaceBefore: Bool
    }

    private static let specials: Set<Unicode.Scalar> = ["<", ">", ",", ":", ";", "@"]

    static func tokenize(_ value: String) -> [Token] {
        let u = Array(value.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        var space = false
        while i < u.count {
            let c = u[i]
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                space = true
                i += 1
                continue
            }
            if c == "\"" {
                var text = String.UnicodeScalarView()
                i += 1
                while i < u.count, u[i] != "\"" {
                    if u[i] == "\\", i + 1 < u.count { i += 1 }
                    if u[i] != "\r" && u[i] != "\n" { text.append(u[i]) }
                    i += 1
                }
                i += 1
                tokens.append(Token(kind: .quoted(String(text)), spaceBefore: space))
            } else if c == "(" {
                let end = skipComment(u, i)
                let inner = u[(i + 1)..<max(i + 1, min(end - 1, u.count))]
                tokens.append(Token(kind: .comment(String(String.UnicodeScalarView(inner)).replacingOccurrences(of: "\\", with: "")), spaceBefore: space))
                i = end
            } else if specials.contains(c) {
                tokens.append(Token(kind: .special(c), spaceBefore: space))
                i += 1
            } else {
                var text = String.UnicodeScalarView()
                while i < u.count, !specials.contains(u[i]), u[i] != "\"", u[i] != "(",
                      u[i] != " ", u[i] != "\t", u[i] != "\r", u[i] != "\n" {
                    text.append(u[i])
                    i += 1
                }
                if text.isEmpty {
                    i += 1  // a stray ")": skip it
                    continue
                }
                tokens.append(Token(kind: .atom(String(text)), spaceBefore: space))
            }
            space = false
        }
        return tokens
    }

    /// Index after the RFC 5322 comment starting at `start` (nested comments, escapes; end of input ends it).
    /// Also used for comments in Content-Type parameters.
    static func skipComment(_ u: [Unicode.Scalar], _ start: Int) -> Int {
        var depth = 0
        var i = start
        while i < u.count {
            if u[i] == "\\" {
                i += 2
                continue
            }
            if u[i] == "(" { depth += 1 }
            if u[i] == ")" { depth -= 1 }
            i += 1
            if depth == 0 { return i }
        }
        return u.count
    }

    // MARK: - Mailboxes

    private static func mailbox(from tokens: [Token], group: String?) -> MailAddress? {
        guard !tokens.isEmpty else { return nil }
        let commentName = tokens.lazy.compactMap { token -> String? in
            if case .comment(let text) = token.kind { return text }
            return nil
        }.first.map(cleanName)

        if let open = tokens.firstIndex(where: { $0.kind == .special("<") }) {
            let close = tokens[open...].firstIndex(where: { $0.kind == .special(">") }) ?? tokens.count
            var address = join(tokens[(open + 1)..<close])
            if let colon = address.lastIndex(of: ":") { address = String(address[address.index(after: colon)...]) }
            let name = cleanName(phrase(tokens[..<open]))
            if address.isEmpty && name.isEmpty { return nil }
            return MailAddress(name: name.isEmpty ? commentName.flatMap { $0.isEmpty ? nil : $0 } : name, address: address, group: group)
        }

        // No angle brackets: the address is the run of tokens around "@" not separated by spaces.
        let content = tokens.filter {
            if case .comment = $0.kind { return false }
            return true
        }
        guard !content.isEmpty else { return nil }
        var runStart = 0
        var best: Range<Int>?
        for index in 0...content.count {
            let endsRun = index == content.count || (index > runStart && content[index].spaceBefore
                && content[index].kind != .special("@") && content[index - 1].kind != .special("@"))
            if endsRun {
                let run = runStart..<index
                if content[run].contains(where: { $0.kind == .special("@") }) { best = run }
                runStart = index
            }
        }
        let addressRange = best ?? (content.count - 1)..<content.count
        let address = join(content[addressRange])
        let before = cleanName(phrase(content[..<addressRange.lowerBound]))
        let name = before.isEmpty ? commentName : before
        guard !address.isEmpty else { return nil }
        return MailAddress(name: (name?.isEmpty ?? true) ? nil : name, address: address, group: group)
    }

    /// Tokens as an addr-spec: joined without spaces; quoted local parts keep their quotes
    /// when needed.
    private static func join(_ tokens: ArraySlice<Token>) -> String {
        var out = ""
        for token in tokens {
            switch token.kind {
            case .atom(let text): out += text
            case .quoted(let text):
                out += text.contains(where: { $0 == " " || $0 == "@" || $0 == "," || $0 == "\"" }) ? "\"\(text)\"" : text
            case .special(let c): out.unicodeScalars.append(c)
            case .comment: continue
            }
        }
        return out
    }

    /// Display-name words joined with single spaces; encoded words are decoded afterwards so
    /// that adjacent ones join.
    private static func phrase<C: Collection>(_ tokens: C) -> String where C.Element == Token {
        var words: [String] = []
        for token in tokens {
            switch token.kind {
            case .atom(let text), .quoted(let text): words.append(text)
            case .special(let c) where c != "<" && c != ">": words.append(String(c))
            default: continue
            }
        }
        return words.joined(separator: " ")
    }

    private static func cleanName(_ s: String) -> String {
        var name = MailHeaders.collapseWhitespace(EncodedWords.decode(s))
        // Names that were quoted twice or wrapped in single quotes: 'John Doe'.
        for quote in ["\"", "'"] where name.count >= 2 && name.hasPrefix(quote) && name.hasSuffix(quote) {
            name = String(name.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        return name
    }
}
