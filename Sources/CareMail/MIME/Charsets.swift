import Foundation

/// The charsets CareMail decodes. Single-byte ones use our own tables (`CharsetTables`), not
/// Foundation's `String.Encoding`, which lacks several of them on Linux.
public enum Charset: String, Sendable, CaseIterable {
    case utf8 = "UTF-8"
    case usASCII = "US-ASCII"
    case iso8859_1 = "ISO-8859-1"
    case iso8859_2 = "ISO-8859-2"
    case iso8859_7 = "ISO-8859-7"
    case iso8859_15 = "ISO-8859-15"
    case windows1250 = "windows-1250"
    case windows1251 = "windows-1251"
    case windows1252 = "windows-1252"
    case windows1253 = "windows-1253"
    case koi8R = "KOI8-R"

    /// The charset a label names, or nil when we do not know it. Case-insensitive; quotes,
    /// surrounding spaces and an RFC 2231 language suffix (`utf-8*el`) are ignored, and the
    /// usual aliases (`utf8`, `latin1`, `latin2`, `greek`, `cp1253`, `iso_8859-7:1987`, …) work.
    public init?(label: String) {
        var s = label.trimmingCharacters(in: .whitespacesAndNewlines)
        s = s.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        if let star = s.firstIndex(of: "*") { s = String(s[..<star]) }
        let key = Self.aliasKey(s)
        guard !key.isEmpty, let found = Self.aliases[key] else { return nil }
        self = found
    }

    /// Lower case, letters and digits only, so `ISO_8859-7`, `iso-8859-7` and `iso88597` meet.
    private static func aliasKey(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x30...0x39, 0x61...0x7A: out.unicodeScalars.append(u)
            case 0x41...0x5A: out.unicodeScalars.append(Unicode.Scalar(u.value + 32)!)
            default: continue
            }
        }
        return out
    }

    private static let aliases: [String: Charset] = {
        var map: [String: Charset] = [:]
        func add(_ charset: Charset, _ names: [String]) {
            for name in names { map[aliasKey(name)] = charset }
        }
        add(.utf8, ["utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"])
        add(.usASCII, ["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "iso-ir-6", "cp367", "ibm367", "646"])
        add(.iso8859_1, ["iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819"])
        add(.iso8859_2, ["iso-8859-2", "iso_8859-2", "iso_8859-2:1987", "latin2", "l2", "iso-ir-101"])
        add(.iso8859_7, ["iso-8859-7", "iso_8859-7", "iso_8859-7:1987", "greek", "greek8", "elot_928", "ecma-118", "iso-ir-126", "csisolatingreek"])
        add(.iso8859_15, ["iso-8859-15", "iso_8859-15", "latin9", "latin-9", "l9", "latin0"])
        add(.windows1250, ["windows-1250", "cp1250", "x-cp1250", "cp-1250", "win-1250", "ms-ee"])
        add(.windows1251, ["windows-1251", "cp1251", "x-cp1251", "cp-1251", "win-1251", "ms-cyrl"])
        add(.windows1252, ["windows-1252", "cp1252", "x-cp1252", "cp-1252", "win-1252", "ms-ansi"])
        add(.windows1253, ["windows-1253", "cp1253", "x-cp1253", "cp-1253", "win-1253", "ms-greek"])
        add(.koi8R, ["koi8-r", "koi8r", "koi8", "cskoi8r"])
        return map
    }()

    /// Decodes `bytes` in this charset. Never fails: undecodable bytes become U+FFFD.
    public func decode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        switch self {
        case .utf8, .usASCII:
            var b = Array(bytes)
            if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { b.removeFirst(3) }
            return String(decoding: b, as: UTF8.self)
        case .iso8859_1:
            // As browsers do, the C1 range (0x80-0x9F) of a "Latin-1" label is read as
            // windows-1252: real text never means C1 control characters there.
            return Self.decodeSingleByte(bytes, table: CharsetTables.windows1252, latin1C1: true)
        case .iso8859_2: return Self.decodeSingleByte(bytes, table: CharsetTables.iso8859_2)
        case .iso8859_7: return Self.decodeSingleByte(bytes, table: CharsetTables.iso8859_7)
        case .iso8859_15: return Self.decodeSingleByte(bytes, table: CharsetTables.iso8859_15)
        case .windows1250: return Self.decodeSingleByte(bytes, table: CharsetTables.windows1250)
        case .windows1251: return Self.decodeSingleByte(bytes, table: CharsetTables.windows1251)
        case .windows1252: return Self.decodeSingleByte(bytes, table: CharsetTables.windows1252)
        case .windows1253: return Self.decodeSingleByte(bytes, table: CharsetTables.windows1253)
        case .koi8R: return Self.decodeSingleByte(bytes, table: CharsetTables.koi8R)
        }
    }

    private static func decodeSingleByte<Bytes: Collection>(
        _ bytes: Bytes, table: [UInt16], latin1C1: Bool = false
    ) -> String where Bytes.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for b in bytes {
            if b < 0x80 {
                view.append(Unicode.Scalar(b))
            } else if latin1C1 && b >= 0xA0 {
                view.append(Unicode.Scalar(b))  // ISO-8859-1 proper
            } else {
                var value = table[Int(b) - 0x80]
                if latin1C1 && value == 0xFFFD { value = UInt16(b) }  // 0x81, 0x8D, … stay C1
                view.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            }
        }
        return String(view)
    }
}

/// Text decoded from bytes, with the charset used and a warning when the label was unknown,
/// missing or wrong.
public struct DecodedText: Sendable, Equatable {
    public var text: String
    public var charset: Charset
    /// Set when the result may not be what the sender meant: an unknown charset label (decoded
    /// as UTF-8 with replacement characters), unlabeled 8-bit text (charset guessed), or bytes
    /// that are not valid in the declared charset.
    public var warning: String?
}

/// Turns bytes with a declared (or missing) charset label into text.
///
/// - A known label decodes with that charset, except: `US-ASCII` (or no label) with 8-bit
///   bytes is treated as unlabeled, and `UTF-8` that is not valid UTF-8 is decoded with
///   replacement characters when it contains some valid multi-byte sequences, or else as
///   unlabeled (it was most likely a single-byte charset mislabeled).
/// - An unknown label decodes as UTF-8 with replacement characters, with a warning.
/// - Unlabeled 8-bit text: see `guessSingleByte`.
public enum CharsetDecoder {
    public static func decode<Bytes: Collection>(_ bytes: Bytes, label: String?) -> DecodedText
    where Bytes.Element == UInt8 {
        let label = label.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        let has8Bit = bytes.contains { $0 >= 0x80 }
        guard let label else {
            return has8Bit ? decodeUnlabeled(bytes, reason: "no charset label") : DecodedText(text: Charset.usASCII.decode(bytes), charset: .usASCII)
        }
        guard let charset = Charset(label: label) else {
            return DecodedText(
                text: Charset.utf8.decode(bytes), charset: .utf8,
                warning: "unknown charset \"\(label.prefix(40))\", decoded as UTF-8")
        }
        switch charset {
        case .usASCII:
            return has8Bit ? decodeUnlabeled(bytes, reason: "8-bit text labeled US-ASCII") : DecodedText(text: charset.decode(bytes), charset: .usASCII)
        case .utf8:
            let array = Array(bytes)
            let check = UTF8Check(array)
            if check.valid { return DecodedText(text: charset.decode(array), charset: .utf8) }
            if check.multiByteSequences > 0 {
                return DecodedText(text: charset.decode(array), charset: .utf8, warning: "invalid UTF-8 sequences replaced")
            }
            return decodeUnlabeled(array, reason: "text labeled UTF-8 is not UTF-8")
        default:
            return DecodedText(text: charset.decode(bytes), charset: charset)
        }
    }

    private static func decodeUnlabeled<Bytes: Collection>(_ bytes: Bytes, reason: String) -> DecodedText
    where Bytes.Element == UInt8 {
        let array = Array(bytes)
        if UTF8Check(array).valid { return DecodedText(text: Charset.utf8.decode(array), charset: .utf8) }
        let guess = guessSingleByte(array)
        return DecodedText(text: guess.decode(array), charset: guess, warning: "\(reason); decoded as \(guess.rawValue) (guessed)")
    }

    /// The single-byte charset we guess for 8-bit text that is not UTF-8:
    /// - **windows-1253** when Greek letters dominate: more bytes that are Greek letters in
    ///   windows-1253 (0xB8–0xFE) than ASCII letters (Greek text is almost all high bytes,
    ///   Western text mostly ASCII with a few accents);
    /// - **windows-1250** when Croatian is plausible: most high bytes are Croatian letters in
    ///   windows-1250 (č ć đ š ž and capitals), at least one is a letter windows-1252 would
    ///   read differently (č ć đ Č Ć Đ), and none is a byte that in windows-1250 is a letter
    ///   foreign to Croatian but common in Western languages (à ì ñ ò ù ê …);
    /// - **windows-1252** otherwise (a superset of ISO-8859-1 for text).
    /// windows-1253 is chosen over ISO-8859-7 because it is what Greek Windows and Outlook
    /// send; the two agree on the letters. Unlabeled Cyrillic is not guessed (it would be read
    /// as Greek); it is rare in the mail we receive.
    public static func guessSingleByte(_ bytes: [UInt8]) -> Charset {
        var asciiLetters = 0
        var greekLetters = 0
        var high = 0
        var croatian = 0
        var croatianDistinct = 0
        var westernOnly = 0
        for b in bytes {
            if (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) {
                asciiLetters += 1
                continue
            }
            guard b >= 0x80 else { continue }
            high += 1
            if b == 0xB6 || (0xB8...0xFE).contains(b) && b != 0xBB && b != 0xBD && b != 0xD2 { greekLetters += 1 }
            switch b {
            case 0xC8, 0xE8, 0xC6, 0xE6, 0xD0, 0xF0:
                croatian += 1
                croatianDistinct += 1
            case 0x8A, 0x9A, 0x8E, 0x9E:
                croatian += 1
            case 0xE0, 0xEC, 0xF1, 0xF2, 0xF9, 0xE3, 0xF5, 0xEA, 0xFB, 0xC0, 0xD1, 0xD2, 0xD9:
                westernOnly += 1
            default:
                break
            }
        }
        if greekLetters > 0 && greekLetters > asciiLetters { return .windows1253 }
        if croatianDistinct > 0 && westernOnly == 0 && croatian * 2 > high { return .windows1250 }
        return .windows1252
    }
}

/// Validity of UTF-8 bytes, and how many well-formed multi-byte sequences they contain.
struct UTF8Check {
    var valid = true
    var multiByteSequences = 0

    init(_ b: [UInt8]) {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var minSecond: UInt8 = 0x80
            var maxSecond: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; minSecond = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; maxSecond = 0x9F
            case 0xF0: length = 4; minSecond = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; maxSecond = 0x8F
            default:
                valid = false
                i += 1
                continue
            }
            guard i + length <= n, b[i + 1] >= minSecond, b[i + 1] <= maxSecond else {
                valid = false
                i += 1
                continue
            }
            var ok = true
            var k = i + 2
            while k < i + length {
                if b[k] & 0xC0 != 0x80 { ok = false; break }
                k += 1
            }
            if ok {
                multiByteSequences += 1
                i += length
            } else {
                valid = false
                i += 1
            }
        }
    }
}
