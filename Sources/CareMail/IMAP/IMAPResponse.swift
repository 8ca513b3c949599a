import Foundation

/// One value in a server response (RFC 3501 section 4 and 9), as the tokenizer found it.
public indirect enum IMAPValue: Sendable, Equatable, CustomStringConvertible {
    /// An atom or number, as written: `FETCH`, `\Seen`, `12`, `BODY[HEADER.FIELDS (FROM)]<0>`.
    case atom(String)
    /// A quoted string (escapes removed) or a literal, as bytes.
    case string([UInt8])
    /// A parenthesized list.
    case list([IMAPValue])
    /// `NIL`.
    case null
    /// A literal larger than the framer's limit: its bytes were read and thrown away.
    case oversizedLiteral(Int)

    /// The atom's text, or a string's bytes read as UTF-8.
    public var text: String? {
        switch self {
        case .atom(let atom): atom
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var number: UInt32? {
        if case .atom(let atom) = self { return UInt32(atom) }
        return nil
    }

    public var list: [IMAPValue]? {
        if case .list(let items) = self { return items }
        return nil
    }

    public var description: String {
        switch self {
        case .atom(let atom): atom
        case .string(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .list(let items): "(" + items.map(\.description).joined(separator: " ") + ")"
        case .null: "NIL"
        case .oversizedLiteral(let size): "{\(size) bytes skipped}"
        }
    }
}

public enum IMAPStatus: String, Sendable, Equatable {
    case ok = "OK", no = "NO", bad = "BAD", bye = "BYE", preauth = "PREAUTH"
}

/// `[CODE args] human text` after a status.
public struct IMAPResponseText: Sendable, Equatable {
    /// The response code in brackets, upper-cased name first (`UIDVALIDITY`, `CAPABILITY`, `TRYCREATE`).
    public var code: String?
    public var codeArguments: [IMAPValue]
    public var text: String

    public init(code: String? = nil, codeArguments: [IMAPValue] = [], text: String) {
        self.code = code
        self.codeArguments = codeArguments
        self.text = text
    }

    /// How it reads in an error message: `[TRYCREATE] Mailbox doesn't exist`.
    public var description: String {
        guard let code else { return text }
        let arguments = codeArguments.isEmpty ? "" : " " + codeArguments.map(\.description).joined(separator: " ")
        return "[\(code)\(arguments)] \(text)"
    }
}

/// One complete server response.
public enum IMAPResponse: Sendable, Equatable {
    /// `+ text`: the server waits for more of the command (a literal, IDLE, AUTHENTICATE).
    case continuation(String)
    /// `tag OK|NO|BAD text`: the end of a command.
    case tagged(tag: String, status: IMAPStatus, text: IMAPResponseText)
    /// `* OK|NO|BAD|BYE|PREAUTH text`.
    case status(IMAPStatus, IMAPResponseText)
    /// `* 12 EXISTS`, `* 3 EXPUNGE`, `* 7 FETCH (...)`: a number, an upper-cased name, then values.
    case numbered(UInt32, String, [IMAPValue])
    /// `* CAPABILITY ...`, `* SEARCH 1 2`, `* FLAGS (...)`, `* LIST ...`: upper-cased name, then values.
    case data(String, [IMAPValue])
    /// A line that could not be read; kept as text and otherwise ignored.
    case unreadable(String)
}

/// A response as cut out of the byte stream: its lines (without line ends) and, between
/// them, the literals the lines announced with `{n}` (`lines.count == literals.count + 1`).
public struct IMAPFrame: Sendable, Equatable {
    public enum Literal: Sendable, Equatable {
        case bytes([UInt8])
        case skipped(Int)
    }
    public var lines: [[UInt8]]
    public var literals: [Literal]

    public init(lines: [[UInt8]], literals: [Literal] = []) {
        self.lines = lines
        self.literals = literals
    }
}

/// Cuts a byte stream into responses: lines ending in CRLF (a bare LF is accepted too), each
/// followed by the literal it announces (`{n}`, `{n+}`, `~{n}`) and the rest of the response.
/// Literals larger than `maxLiteralSize` are read and thrown away (`IMAPFrame.Literal.skipped`),
/// so a huge message costs no memory. Status lines (`* OK …`, `tag NO …`, `+ …`) never carry
/// literals, so a human text that happens to end in `{5}` cannot confuse the framing.
public struct IMAPResponseFramer: Sendable {
    public var maxLiteralSize: Int
    public var maxLineLength: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var scanIndex = 0
    private var lines: [[UInt8]] = []
    private var literals: [IMAPFrame.Literal] = []
    private enum Mode: Sendable { case line, literal(remaining: Int, bytes: [UInt8]), skip(remaining: Int, size: Int) }
    private var mode: Mode = .line

    public init(maxLiteralSize: Int = 50 * 1024 * 1024, maxLineLength: Int = 16 * 1024 * 1024) {
        self.maxLiteralSize = maxLiteralSize
        self.maxLineLength = maxLineLength
    }

    /// Bytes received but not yet part of a complete response.
    public var hasPartialResponse: Bool { readIndex < buffer.count || !lines.isEmpty }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response, or nil when more bytes are needed.
    /// Throws `IMAPError.protocolError` for a line longer than `maxLineLength`.
    public mutating func next() throws -> IMAPFrame? {
        while true {
            switch mode {
            case .line:
                guard let lf = buffer[max(readIndex, scanIndex)...].firstIndex(of: 0x0A) else {
                    if buffer.count - readIndex > maxLineLength {
                        throw IMAPError.protocolError("server sent a line longer than \(maxLineLength) bytes")
                    }
                    scanIndex = buffer.count
                    compact()
                    return nil
                }
                var end = lf
                if end > readIndex && buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[readIndex..<end])
                readIndex = lf + 1
                scanIndex = readIndex
                let literalsAllowed = lines.isEmpty ? !Self.isStatusLine(line) : true
                lines.append(line)
                if literalsAllowed, let size = Self.announcedLiteral(line) {
                    if size > maxLiteralSize {
                        mode = .skip(remaining: size, size: size)
                    } else {
                        var bytes: [UInt8] = []
                        bytes.reserveCapacity(size)
                        mode = .literal(remaining: size, bytes: bytes)
                    }
                    continue
                }
                let frame = IMAPFrame(lines: lines, literals: literals)
                lines = []
                literals = []
                compact()
                return frame
            case .literal(let remaining, var bytes):
                let take = min(remaining, buffer.count - readIndex)
                bytes.append(contentsOf: buffer[readIndex..<(readIndex + take)])
                readIndex += take
                if take == remaining {
                    literals.append(.bytes(bytes))
                    mode = .line
                    continue
                }
                mode = .literal(remaining: remaining - take, bytes: bytes)
                compact()
                return nil
            case .skip(let remaining, let size):
                let take = min(remaining, buffer.count - readIndex)
                readIndex += take
                if take == remaining {
                    literals.append(.skipped(size))
                    mode = .line
                    continue
                }
                mode = .skip(remaining: remaining - take, size: size)
                compact()
                return nil
            }
        }
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 64 * 1024 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    /// `{123}`, `{123+}` or `~{123}` at the very end of a line.
    static func announcedLiteral(_ line: [UInt8]) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// `+ …`, `* OK|NO|BAD|BYE|PREAUTH …`, `tag OK|NO|BAD …`.
    static func isStatusLine(_ line: [UInt8]) -> Bool {
        if line.first == UInt8(ascii: "+") { return true }
        let words = line.prefix(64).split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard words.count >= 2 else { return false }
        let second = String(decoding: words[1], as: UTF8.self).uppercased()
        if words[0].elementsEqual("*".utf8) {
            return ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(second)
        }
        return ["OK", "NO", "BAD"].contains(second)
    }
}

/// Reads framed responses into `IMAPResponse` values. Never throws: what cannot be read is
/// `.unreadable` (only a tagged line matters for the protocol, and a tag is always readable).
public enum IMAPResponseParser {
    public static func parse(_ frame: IMAPFrame) -> IMAPResponse {
        guard let first = frame.lines.first else { return .unreadable("") }
        if first.first == UInt8(ascii: "+") {
            var rest = first.dropFirst()
            if rest.first == 0x20 { rest = rest.dropFirst() }
            return .continuation(String(decoding: rest, as: UTF8.self))
        }
        var tokenizer = IMAPTokenizer(frame: frame)
        guard let tagToken = tokenizer.nextWord() else { return .unreadable(text(frame)) }
        guard let second = tokenizer.nextWord() else { return .unreadable(text(frame)) }
        let name = second.uppercased()
        if tagToken == "*" {
            if let status = IMAPStatus(rawValue: name) {
                return .status(status, tokenizer.responseText())
            }
            if let number = UInt32(second) {
                guard let keyword = tokenizer.nextWord() else { return .unreadable(text(frame)) }
                guard let values = try? tokenizer.values() else { return .unreadable(text(frame)) }
                return .numbered(number, keyword.uppercased(), values)
            }
            guard let values = try? tokenizer.values() else { return .unreadable(text(frame)) }
            return .data(name, values)
        }
        guard let status = IMAPStatus(rawValue: name), status == .ok || status == .no || status == .bad else {
            return .unreadable(text(frame))
        }
        return .tagged(tag: tagToken, status: status, text: tokenizer.responseText())
    }

    /// Parses bytes that hold exactly one response (for tests and tools).
    public static func parse(_ bytes: [UInt8]) throws -> IMAPResponse {
        var framer = IMAPResponseFramer()
        framer.append(bytes)
        guard let frame = try framer.next() else { throw IMAPError.protocolError("incomplete response") }
        return parse(frame)
    }

    static func text(_ frame: IMAPFrame) -> String {
        String(decoding: frame.lines.first ?? [], as: UTF8.self)
    }
}

/// Walks the lines and literals of a frame.
struct IMAPTokenizer {
    private let frame: IMAPFrame
    private var lineIndex = 0
    private var position = 0
    private static let maxDepth = 100

    init(frame: IMAPFrame) {
        self.frame = frame
    }

    private var line: [UInt8] { frame.lines[lineIndex] }

    private mutating func skipSpaces() {
        while position < line.count && line[position] == 0x20 { position += 1 }
    }

    /// A space-delimited word (tag, status, keyword).
    mutating func nextWord() -> String? {
        skipSpaces()
        let start = position
        while position < line.count && line[position] != 0x20 { position += 1 }
        guard position > start else { return nil }
        return String(decoding: line[start..<position], as: UTF8.self)
    }

    /// `[CODE args] text` up to the end of the line.
    mutating func responseText() -> IMAPResponseText {
        skipSpaces()
        var code: String?
        var arguments: [IMAPValue] = []
        if position < line.count && line[position] == UInt8(ascii: "[") {
            var depth = 0
            var close: Int?
            for index in position..<line.count {
                if line[index] == UInt8(ascii: "[") { depth += 1 }
                if line[index] == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { close = index; break }
                }
            }
            if let close {
                let inner = IMAPFrame(lines: [Array(line[(position + 1)..<close])])
                var codeTokenizer = IMAPTokenizer(frame: inner)
                if let name = codeTokenizer.nextWord() {
                    code = name.uppercased()
                    arguments = (try? codeTokenizer.values()) ?? []
                }
                position = close + 1
                skipSpaces()
            }
        }
        let text = String(decoding: line[position...], as: UTF8.self)
        return IMAPResponseText(code: code, codeArguments: arguments, text: text)
    }

    /// Every value up to the end of the frame.
    mutating func values() throws -> [IMAPValue] {
        var result: [IMAPValue] = []
        while let value = try nextValue(depth: 0) {
            result.append(value)
        }
        return result
    }

    private struct Malformed: Error {}

    /// The next value, or nil at the end of the frame (or before a closing parenthesis).
    private mutating func nextValue(depth: Int) throws -> IMAPValue? {
        guard depth < Self.maxDepth else { throw Malformed() }
        skipSpaces()
        guard position < line.count else { return nil }
        let byte = line[position]
        switch byte {
        case UInt8(ascii: "("):
            position += 1
            var items: [IMAPValue] = []
            while true {
                skipSpaces()
                guard position < line.count else { throw Malformed() }  // a list never spans a line end without a literal
                if line[position] == UInt8(ascii: ")") {
                    position += 1
                    return .list(items)
                }
                guard let item = try nextValue(depth: depth + 1) else { throw Malformed() }
                items.append(item)
            }
        case UInt8(ascii: ")"):
            if depth == 0 {  // a stray ")" at the top level: skip it
                position += 1
                return try nextValue(depth: depth)
            }
            return nil
        case UInt8(ascii: "\""):
            position += 1
            var bytes: [UInt8] = []
            while position < line.count {
                let c = line[position]
                if c == UInt8(ascii: "\\") && position + 1 < line.count {
                    bytes.append(line[position + 1])
                    position += 2
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    position += 1
                    return .string(bytes)
                }
                bytes.append(c)
                position += 1
            }
            throw Malformed()  // unterminated
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            let literalLine = Array(line[(byte == UInt8(ascii: "~") ? position + 1 : position)...])
            guard literalLine.lastIndex(of: UInt8(ascii: "{")) == 0, IMAPResponseFramer.announcedLiteral(literalLine) != nil,
                  lineIndex < frame.literals.count else {
                return readAtom()
            }
            let literal = frame.literals[lineIndex]
            lineIndex += 1
            position = 0
            switch literal {
            case .bytes(let bytes): return .string(bytes)
            case .skipped(let size): return .oversizedLiteral(size)
            }
        default:
            return readAtom()
        }
    }

    /// An atom; `[...]` inside it may hold spaces and parentheses (`BODY[HEADER.FIELDS (A B)]`).
    private mutating func readAtom() -> IMAPValue {
        let start = position
        var brackets = 0
        while position < line.count {
            let c = line[position]
            if c == UInt8(ascii: "[") { brackets += 1 }
            else if c == UInt8(ascii: "]") { brackets = max(0, brackets - 1) }
            else if brackets == 0 && (c == 0x20 || c == UInt8(ascii: "(") || c == UInt8(ascii: ")")) { break }
            position += 1
        }
        let atom = String(decoding: line[start..<position], as: UTF8.self)
        if atom.uppercased() == "NIL" { return .null }
        return .atom(atom)
    }
}

/// The attributes of a `* n FETCH (NAME value NAME value …)` response, names upper-cased.
public struct IMAPFetchAttributes: Sendable, Equatable {
    public var sequenceNumber: UInt32
    public var values: [String: IMAPValue]

    public init?(_ response: IMAPResponse) {
        guard case .numbered(let number, "FETCH", let values) = response,
              let items = values.first?.list else { return nil }
        sequenceNumber = number
        self.values = [:]
        var index = 0
        while index + 1 < items.count {
            if let name = items[index].text {
                self.values[name.uppercased()] = items[index + 1]
            }
            index += 2
        }
    }

    public var uid: UInt32? { values["UID"]?.number }
    public var size: Int? { values["RFC822.SIZE"]?.number.map(Int.init) }
    public var flags: [String] { values["FLAGS"]?.list?.compactMap(\.text) ?? [] }

    /// `BODY[]` (also written `BODY[]<0>` or as `RFC822`).
    public var body: IMAPValue? {
        values["BODY[]"] ?? values["BODY[]<0>"] ?? values["RFC822"] ?? values["BINARY[]"]
    }
}
