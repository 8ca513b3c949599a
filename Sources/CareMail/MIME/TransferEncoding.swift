import Foundation

/// A Content-Transfer-Encoding.
public enum TransferEncoding: Sendable, Equatable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    /// A value we do not know (`x-uuencode`, typos): the body is kept as it is.
    case other(String)

    /// Parses a header value; nil or empty means 7bit.
    public init(headerValue: String?) {
        let v = (headerValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        switch v {
        case "", "7bit", "7-bit": self = .sevenBit
        case "8bit", "8-bit": self = .eightBit
        case "binary": self = .binary
        case "base64", "base-64": self = .base64
        case "quoted-printable", "quotedprintable", "qp": self = .quotedPrintable
        default: self = .other(v)
        }
    }

    /// Decodes a body in this encoding. 7bit, 8bit, binary and unknown encodings are identity.
    public func decode<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        switch self {
        case .base64: return Base64Codec.decode(bytes)
        case .quotedPrintable: return QuotedPrintable.decode(bytes)
        default: return Array(bytes)
        }
    }
}

/// Base64 (RFC 2045), tolerant on input: characters outside the alphabet (line breaks,
/// spaces, junk) are skipped, `=` ends a group wherever it appears (so concatenated padded
/// blocks decode), and a final partial group yields the bytes it completes.
public enum Base64Codec {
    private static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        // The URL-safe alphabet too: some senders use it by mistake.
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 4)
        var group: UInt32 = 0
        var count = 0
        func flush() {
            switch count {
            case 2: out.append(UInt8(truncatingIfNeeded: group >> 4))
            case 3:
                out.append(UInt8(truncatingIfNeeded: group >> 10))
                out.append(UInt8(truncatingIfNeeded: group >> 2))
            default: break
            }
            group = 0
            count = 0
        }
        for c in bytes {
            if c == UInt8(ascii: "=") {
                flush()
                continue
            }
            let v = decodeTable[Int(c)]
            if v == 0xFF { continue }
            group = group << 6 | UInt32(v)
            count += 1
            if count == 4 {
                out.append(UInt8(truncatingIfNeeded: group >> 16))
                out.append(UInt8(truncatingIfNeeded: group >> 8))
                out.append(UInt8(truncatingIfNeeded: group))
                group = 0
                count = 0
            }
        }
        flush()
        return out
    }

    /// Whether `bytes` can be base64 at all: besides the alphabet, `=` and whitespace, at
    /// most a few stray characters (1 in 50). A body labeled base64 that fails this is plain
    /// text sent with a wrong label.
    public static func isPlausible<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var stray = 0
        for c in bytes where decodeTable[Int(c)] == 0xFF {
            switch c {
            case UInt8(ascii: "="), 0x20, 0x09, 13, 10: continue
            default: stray += 1
            }
        }
        return stray <= max(4, bytes.count / 50)
    }

    /// Standard base64 with `=` padding, in lines of `lineLength` characters separated by CRLF
    /// (no line breaks when `lineLength` is nil).
    public static func encode<Bytes: Collection>(_ bytes: Bytes, lineLength: Int? = 76) -> [UInt8]
    where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 4 / 3 + input.count / 38 + 4)
        var column = 0
        func put(_ c: UInt8) {
            if let lineLength, column == lineLength {
                out.append(13)
                out.append(10)
                column = 0
            }
            out.append(c)
            column += 1
        }
        var i = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            put(alphabet[Int(v >> 18 & 63)])
            put(alphabet[Int(v >> 12 & 63)])
            put(alphabet[Int(v >> 6 & 63)])
            put(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let v = UInt32(input[i]) << 16
            put(alphabet[Int(v >> 18 & 63)])
            put(alphabet[Int(v >> 12 & 63)])
            put(UInt8(ascii: "="))
            put(UInt8(ascii: "="))
        } else if rest == 2 {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            put(alphabet[Int(v >> 18 & 63)])
            put(alphabet[Int(v >> 12 & 63)])
            put(alphabet[Int(v >> 6 & 63)])
            put(UInt8(ascii: "="))
        }
        return out
    }
}

/// Quoted-printable (RFC 2045).
public enum QuotedPrintable {
    /// Decodes: `=XX` (either case) to the byte, `=` at a line end (soft line break, also with
    /// trailing spaces after it) to nothing, trailing spaces at line ends dropped as the RFC
    /// says, and a broken sequence (`=G1`, `=` at the very end) kept literally.
    /// `underscoreIsSpace` is the RFC 2047 "Q" variant.
    public static func decode<Bytes: Collection>(_ bytes: Bytes, underscoreIsSpace: Bool = false) -> [UInt8]
    where Bytes.Element == UInt8 {
        let b = Array(bytes)
        let n = b.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        var pendingSpaces: [UInt8] = []  // spaces/tabs not yet known to be trailing
        while i < n {
            let c = b[i]
            switch c {
            case 0x20, 0x09:
                pendingSpaces.append(c)
                i += 1
            case 13, 10:
                pendingSpaces.removeAll()  // trailing whitespace before a hard break
                out.append(c)
                i += 1
            case UInt8(ascii: "="):
                out.append(contentsOf: pendingSpaces)
                pendingSpaces.removeAll()
                if i + 2 < n, let hi = hexValue(b[i + 1]), let lo = hexValue(b[i + 2]) {
                    out.append(hi << 4 | lo)
                    i += 3
                    continue
                }
                // Soft line break: "=" then optional spaces/tabs then CRLF, LF or end of input.
                var k = i + 1
                while k < n, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                if k < n, b[k] == 13 {
                    i = k + 1 < n && b[k + 1] == 10 ? k + 2 : k + 1
                } else if k < n, b[k] == 10 {
                    i = k + 1
                } else if k == n && !underscoreIsSpace {
                    i = n  // "=" (and spaces) at the very end: a soft break, no final newline
                } else {
                    out.append(c)  // broken sequence: keep the "=" literally
                    i += 1
                }
            case UInt8(ascii: "_") where underscoreIsSpace:
                out.append(contentsOf: pendingSpaces)
                pendingSpaces.removeAll()
                out.append(0x20)
                i += 1
            default:
                out.append(contentsOf: pendingSpaces)
                pendingSpaces.removeAll()
                out.append(c)
                i += 1
            }
        }
        if underscoreIsSpace { out.append(contentsOf: pendingSpaces) }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Encodes text bytes: line breaks in the input (LF or CRLF) become CRLF hard breaks,
    /// lines are kept at most 76 characters with soft breaks, `=`, control characters, 8-bit
    /// bytes, whitespace before a line end, and a `.` or `From ` at the start of a line are
    /// encoded. Never splits an `=XX` sequence.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 2)
        var column = 0
        var i = 0
        let n = b.count
        func emit(_ piece: [UInt8]) {
            if column + piece.count > 75 {
                out.append(contentsOf: [UInt8(ascii: "="), 13, 10])
                column = 0
            }
            out.append(contentsOf: piece)
            column += piece.count
        }
        func escaped(_ c: UInt8) -> [UInt8] {
            [UInt8(ascii: "="), hexDigits[Int(c >> 4)], hexDigits[Int(c & 15)]]
        }
        while i < n {
            let c = b[i]
            if c == 13, i + 1 < n, b[i + 1] == 10 {
                out.append(contentsOf: [13, 10])
                column = 0
                i += 2
                continue
            }
            if c == 10 {
                out.append(contentsOf: [13, 10])
                column = 0
                i += 1
                continue
            }
            let atLineEnd = i + 1 == n || b[i + 1] == 10 || (b[i + 1] == 13 && i + 2 < n && b[i + 2] == 10)
            if c == 0x20 || c == 0x09 {
                emit(atLineEnd ? escaped(c) : [c])
            } else if c == UInt8(ascii: "=") || c < 0x20 || c >= 0x7F {
                emit(escaped(c))
            } else if column == 0 && c == UInt8(ascii: ".") {
                emit(escaped(c))
            } else if column == 0 && c == UInt8(ascii: "F") && i + 4 < n && Array(b[i..<i + 5]) == Array("From ".utf8) {
                emit(escaped(c))
            } else {
                emit([c])
            }
            i += 1
        }
        return out
    }
}
