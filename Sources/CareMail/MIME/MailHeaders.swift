import Foundation

/// One header field.
public struct MailHeader: Sendable, Equatable {
    /// The name as written (`Subject`, `subject`, …).
    public var name: String
    /// The value unfolded (line breaks of folding removed, the whitespace after them kept)
    /// and trimmed. Encoded words are not decoded here: see `MailHeaders.text(_:)`.
    public var value: String
    /// The whole field as it appeared, folding included, without the final line break.
    public var raw: String

    public init(name: String, value: String, raw: String? = nil) {
        self.name = name
        self.value = value
        self.raw = raw ?? "\(name): \(value)"
    }
}

/// The header fields of a message or part, in their original order, looked up by name
/// without regard to case.
public struct MailHeaders: Sendable, Equatable {
    public private(set) var fields: [MailHeader]
    private var lowercasedNames: [String]

    public init(_ fields: [MailHeader] = []) {
        self.fields = fields
        self.lowercasedNames = fields.map { $0.name.lowercased() }
    }

    public mutating func append(_ field: MailHeader) {
        fields.append(field)
        lowercasedNames.append(field.name.lowercased())
    }

    public var isEmpty: Bool { fields.isEmpty }
    public var count: Int { fields.count }

    /// The value of the first field called `name`.
    public subscript(name: String) -> String? {
        let key = name.lowercased()
        guard let index = lowercasedNames.firstIndex(of: key) else { return nil }
        return fields[index].value
    }

    /// The values of every field called `name`, in order.
    public func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return zip(lowercasedNames, fields).compactMap { $0 == key ? $1.value : nil }
    }

    public func contains(_ name: String) -> Bool {
        lowercasedNames.contains(name.lowercased())
    }

    /// The first field called `name` as text for people: RFC 2047 encoded words decoded,
    /// runs of whitespace collapsed to one space.
    public func text(_ name: String) -> String? {
        guard let value = self[name] else { return nil }
        return Self.collapseWhitespace(EncodedWords.decode(value))
    }

    static func collapseWhitespace(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasSpace = true
        for u in s.unicodeScalars {
            if u == " " || u == "\t" || u == "\r" || u == "\n" {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(u)
                lastWasSpace = false
            }
        }
        if out.last == " " { out.removeLast() }
        return String(out)
    }
}

// MARK: - Reading a header section

struct HeaderSection {
    var headers = MailHeaders()
    /// Index of the first body byte.
    var bodyStart: Int
    var problems: [String] = []
}

enum HeaderReader {
    /// Reads header fields from `buffer[range]` up to the blank line that ends them. A line
    /// that is neither a field nor a continuation also ends the header section (it is the
    /// first line of the body, and a problem is noted). A leading mbox `From ` line is skipped.
    static func read(_ buffer: [UInt8], _ range: Range<Int>, skipMboxLine: Bool) -> HeaderSection {
        var section = HeaderSection(bodyStart: range.upperBound)
        var p = range.lowerBound
        let end = range.upperBound
        var fieldStart = -1
        var fieldEnd = -1  // end of the current field's last line (before CR LF)

        func finishField() {
            guard fieldStart >= 0 else { return }
            if let header = makeHeader(buffer, fieldStart, fieldEnd) { section.headers.append(header) }
            fieldStart = -1
        }

        if skipMboxLine, end - p >= 5, buffer[p..<p + 5].elementsEqual("From ".utf8) {
            p = lineBounds(buffer, p, end).next
        }
        while p < end {
            let (contentEnd, next) = lineBounds(buffer, p, end)
            if contentEnd == p {
                // Blank line: end of the header section.
                finishField()
                section.bodyStart = next
                return section
            }
            let first = buffer[p]
            if first == 0x20 || first == 0x09 {
                if fieldStart >= 0 {
                    fieldEnd = contentEnd
                } else if section.headers.isEmpty {
                    section.problems.append("header section starts with a continuation line")
                }
                p = next
                continue
            }
            if isFieldStart(buffer, p, contentEnd) {
                finishField()
                fieldStart = p
                fieldEnd = contentEnd
                p = next
                continue
            }
            // Not a header line. Between header fields (the next line is one) it is junk we
            // skip; otherwise the body starts here.
            finishField()
            if !section.headers.isEmpty, next < end {
                let following = lineBounds(buffer, next, end).contentEnd
                if isFieldStart(buffer, next, following) {
                    section.problems.append("malformed header line skipped")
                    p = next
                    continue
                }
            }
            section.problems.append(section.headers.isEmpty
                ? "no header section" : "header section not ended by a blank line")
            section.bodyStart = p
            return section
        }
        finishField()
        section.bodyStart = end
        return section
    }

    /// The end of the line's content (before CR LF or LF) and the start of the next line.
    static func lineBounds(_ buffer: [UInt8], _ p: Int, _ end: Int) -> (contentEnd: Int, next: Int) {
        var k = p
        while k < end, buffer[k] != 10 { k += 1 }
        if k == end { return (end > p && buffer[end - 1] == 13 ? end - 1 : end, end) }
        return (k > p && buffer[k - 1] == 13 ? k - 1 : k, k + 1)
    }

    /// A field name (printable ASCII except ":"), optional spaces, then ":".
    private static func isFieldStart(_ buffer: [UInt8], _ p: Int, _ end: Int) -> Bool {
        var k = p
        while k < end, buffer[k] > 0x20, buffer[k] < 0x7F, buffer[k] != UInt8(ascii: ":") { k += 1 }
        guard k > p else { return false }
        while k < end, buffer[k] == 0x20 || buffer[k] == 0x09 { k += 1 }
        return k < end && buffer[k] == UInt8(ascii: ":")
    }

    private static func makeHeader(_ buffer: [UInt8], _ start: Int, _ end: Int) -> MailHeader? {
        let rawBytes = buffer[start..<end]
        guard let colon = rawBytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let name = String(decoding: buffer[start..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let raw = headerText(rawBytes)
        var valueBytes: [UInt8] = []
        valueBytes.reserveCapacity(end - colon)
        for b in buffer[(colon + 1)..<end] where b != 13 && b != 10 { valueBytes.append(b) }
        let value = headerText(valueBytes[...]).trimmingCharacters(in: .whitespaces)
        return MailHeader(name: name, value: value, raw: raw)
    }

    /// Header bytes as text: UTF-8 (RFC 6532) when valid, else the single-byte guess.
    static func headerText(_ bytes: ArraySlice<UInt8>) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return CharsetDecoder.decode(bytes, label: nil).text
    }
}
