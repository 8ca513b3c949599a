import Foundation

/// A parsed Content-Type: lower-cased type and subtype, and decoded parameters.
public struct ContentType: Sendable, Equatable {
    public var type: String
    public var subtype: String
    /// Parameter values by lower-cased name, RFC 2231 and RFC 2047 decoded.
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// `text/plain; charset=us-ascii`, the RFC 2045 default.
    public static let textPlain = ContentType(type: "text", subtype: "plain")
    /// The default inside multipart/digest.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// Parses a header value; a missing or unusable type gives nil.
    public init?(headerValue: String) {
        var scanner = ParameterScanner(headerValue)
        scanner.skipSpaceAndComments()
        let full = scanner.readToken(stopAt: [";"]).lowercased()
        let halves = full.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty else { return nil }
        self.type = halves[0]
        self.subtype = halves[1]
        self.parameters = scanner.readParameters()
    }

    public var mimeType: String { "\(type)/\(subtype)" }
    public var isMultipart: Bool { type == "multipart" }
    public var charset: String? { parameters["charset"] }
    public var boundary: String? { parameters["boundary"] }
    /// The `name` parameter: an old way of giving a file name.
    public var name: String? { parameters["name"] }
}

/// A parsed Content-Disposition.
public struct ContentDisposition: Sendable, Equatable {
    /// `inline`, `attachment` or whatever else was written, lower-cased.
    public var kind: String
    public var parameters: [String: String]

    public init?(headerValue: String) {
        var scanner = ParameterScanner(headerValue)
        scanner.skipSpaceAndComments()
        let kind = scanner.readToken(stopAt: [";"]).lowercased()
        self.kind = kind.isEmpty ? "attachment" : kind
        self.parameters = scanner.readParameters()
        if kind.isEmpty && parameters.isEmpty { return nil }
    }

    public var isAttachment: Bool { kind == "attachment" }
    public var isInline: Bool { kind == "inline" }
    public var filename: String? { parameters["filename"] }
}

/// Reads `; name=value` parameter lists (RFC 2045), leniently: values quoted or not (an
/// unquoted value runs to the next `;`, spaces included), a missing `;` between parameters
/// tolerated, comments skipped; then joins RFC 2231 continuations (`name*0*=`, `name*1=`),
/// decodes RFC 2231 extended values (`name*=UTF-8'el'%CE%91`) and, as many clients send
/// them, RFC 2047 encoded words inside values (`filename="=?UTF-8?B?...?="`). An extended
/// (RFC 2231) value wins over a plain one of the same name.
struct ParameterScanner {
    private let u: [Unicode.Scalar]
    private var i = 0

    init(_ s: String) {
        u = Array(s.unicodeScalars)
    }

    mutating func skipSpaceAndComments() {
        while i < u.count {
            if u[i] == " " || u[i] == "\t" || u[i] == "\r" || u[i] == "\n" {
                i += 1
            } else if u[i] == "(" {
                i = AddressParser.skipComment(u, i)
            } else {
                return
            }
        }
    }

    /// Characters up to whitespace, a comment or one of `stopAt`.
    mutating func readToken(stopAt: Set<Unicode.Scalar>) -> String {
        var out = String.UnicodeScalarView()
        while i < u.count, !stopAt.contains(u[i]), u[i] != " ", u[i] != "\t", u[i] != "(", u[i] != "\r", u[i] != "\n" {
            out.append(u[i])
            i += 1
        }
        return String(out)
    }

    mutating func readParameters() -> [String: String] {
        var raw: [(name: String, value: String)] = []
        while i < u.count, raw.count < 200 {
            skipSpaceAndComments()
            guard i < u.count else { break }
            if u[i] == ";" {
                i += 1
                continue
            }
            let name = readToken(stopAt: [";", "="]).lowercased()
            skipSpaceAndComments()
            guard i < u.count, u[i] == "=" else {
                // A word without "=": skip to the next ";".
                if name.isEmpty { i += 1 }
                while i < u.count, u[i] != ";" { i += 1 }
                continue
            }
            i += 1
            skipSpaceAndComments()
            let value: String
            if i < u.count, u[i] == "\"" {
                value = readQuoted()
            } else {
                var out = String.UnicodeScalarView()
                while i < u.count, u[i] != ";" {
                    out.append(u[i])
                    i += 1
                }
                value = Self.removingTrailingComment(String(out)).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if !name.isEmpty { raw.append((name, value)) }
        }
        return Self.combine(raw)
    }

    /// `UTF-8 (comment)` → `UTF-8`; a parenthesis inside a value (`file (1).pdf`) stays.
    private static func removingTrailingComment(_ s: String) -> String {
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "("), open > trimmed.startIndex,
              trimmed[trimmed.index(before: open)] == " " else { return s }
        return String(trimmed[..<open])
    }

    private mutating func readQuoted() -> String {
        i += 1  // opening quote
        var out = String.UnicodeScalarView()
        while i < u.count {
            let c = u[i]
            if c == "\\", i + 1 < u.count {
                out.append(u[i + 1])
                i += 2
                continue
            }
            i += 1
            if c == "\"" { break }
            if c == "\r" || c == "\n" { continue }
            out.append(c)
        }
        return String(out)
    }

    private struct Extended {
        var sections: [Int: (value: String, encoded: Bool)] = [:]
        var single: String?
    }

    static func combine(_ raw: [(name: String, value: String)]) -> [String: String] {
        var plain: [String: String] = [:]
        var extended: [String: Extended] = [:]
        for (name, value) in raw {
            guard let star = name.firstIndex(of: "*") else {
                if plain[name] == nil { plain[name] = value }
                continue
            }
            let base = String(name[..<star])
            let rest = name[name.index(after: star)...]
            var entry = extended[base] ?? Extended()
            if rest.isEmpty {
                entry.single = value
            } else {
                let encoded = rest.hasSuffix("*")
                let digits = encoded ? rest.dropLast() : rest
                guard let n = Int(digits), n >= 0, n < 1000 else { continue }
                if entry.sections[n] == nil { entry.sections[n] = (value, encoded) }
            }
            extended[base] = entry
        }
        var result: [String: String] = [:]
        for (name, value) in plain {
            result[name] = value.contains("=?") ? EncodedWords.decode(value) : value
        }
        for (name, entry) in extended {
            if let single = entry.single {
                result[name] = decodeExtended(sections: [(single, true)])
            } else if !entry.sections.isEmpty {
                let ordered = entry.sections.keys.sorted().compactMap { entry.sections[$0] }
                result[name] = decodeExtended(sections: ordered)
            }
        }
        return result
    }

    /// Joins RFC 2231 sections; the first encoded section starts with `charset'language'`.
    private static func decodeExtended(sections: [(value: String, encoded: Bool)]) -> String {
        var charset: String?
        var bytes: [UInt8] = []
        for (index, section) in sections.enumerated() {
            var value = Substring(section.value)
            if section.encoded {
                if index == 0 {
                    let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                    if parts.count == 3 {
                        charset = String(parts[0])
                        value = parts[2]
                    }
                }
                bytes += percentDecode(value)
            } else {
                bytes += Array(value.utf8)
            }
        }
        let decoded = CharsetDecoder.decode(bytes, label: (charset?.isEmpty ?? true) ? nil : charset).text
        return decoded.contains("=?") ? EncodedWords.decode(decoded) : decoded
    }

    /// `%XX` to bytes; a `%` not followed by two hex digits stays as it is.
    static func percentDecode(_ s: Substring) -> [UInt8] {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count,
               let hi = QuotedPrintable.hexValue(b[i + 1]), let lo = QuotedPrintable.hexValue(b[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }
}
