import Foundation
import Testing
@testable import CareMail

@Suite("Charsets")
struct CharsetTests {
    @Test("labels and aliases, any case, quoted", arguments: [
        ("UTF-8", Charset.utf8), ("utf8", .utf8), ("\"utf-8\"", .utf8), (" 'UTF-8' ", .utf8),
        ("us-ascii", .usASCII), ("ANSI_X3.4-1968", .usASCII),
        ("latin1", .iso8859_1), ("ISO_8859-1:1987", .iso8859_1),
        ("latin2", .iso8859_2), ("iso-8859-2", .iso8859_2),
        ("greek", .iso8859_7), ("ISO-8859-7", .iso8859_7), ("iso_8859-7", .iso8859_7),
        ("ISO-8859-15", .iso8859_15), ("latin9", .iso8859_15),
        ("windows-1250", .windows1250), ("cp1250", .windows1250),
        ("windows-1251", .windows1251), ("x-cp1251", .windows1251),
        ("Windows-1252", .windows1252), ("cp1252", .windows1252),
        ("cp1253", .windows1253), ("WINDOWS-1253", .windows1253),
        ("koi8-r", .koi8R), ("KOI8R", .koi8R), ("utf-8*el", .utf8),
    ])
    func aliases(label: String, expected: Charset) {
        #expect(Charset(label: label) == expected)
    }

    @Test func unknownLabelsAreNil() {
        #expect(Charset(label: "x-mac-klingon") == nil)
        #expect(Charset(label: "") == nil)
    }

    @Test("single-byte tables decode Greek, Croatian and Cyrillic", arguments: [
        (Charset.iso8859_7, [UInt8]([0xC1, 0xE8, 0xDE, 0xED, 0xE1]), "Αθήνα"),
        (.windows1253, [0xA2, 0xE8, 0xE7, 0xED, 0xE1], "Άθηνα"),
        (.iso8859_2, [0xA9, 0xE8, 0xE6, 0xF0, 0xBE], "Ščćđž"),
        (.windows1250, [0x8A, 0xE8, 0xE6, 0xF0, 0x9E, 0xD0], "ŠčćđžĐ"),
        (.windows1251, [0xC7, 0xE4, 0xF0, 0xE0, 0xE2, 0xF1, 0xF2, 0xE2, 0xF3, 0xE9], "Здравствуй"),
        (.koi8R, [0xFA, 0xC4, 0xD2, 0xC1, 0xD7, 0xD3, 0xD4, 0xD7, 0xD5, 0xCA], "Здравствуй"),
        (.windows1252, [0x80, 0x93, 0x94, 0x96], "€“”–"),
        (.iso8859_15, [0xA4, 0xBD], "€œ"),
        (.iso8859_1, [0xE9, 0x80], "é€"),  // C1 of a Latin-1 label read as windows-1252
    ])
    func tables(charset: Charset, bytes: [UInt8], expected: String) {
        #expect(charset.decode(bytes) == expected)
    }

    @Test func undefinedBytesBecomeReplacementCharacters() {
        #expect(Charset.windows1253.decode([0xD2]) == "\u{FFFD}")
        #expect(Charset.iso8859_7.decode([0xAE]) == "\u{FFFD}")
    }

    @Test func unknownCharsetDecodesAsUTF8WithWarning() {
        let decoded = CharsetDecoder.decode(Array("Café".utf8), label: "x-unknown")
        #expect(decoded.text == "Café")
        #expect(decoded.charset == .utf8)
        #expect(decoded.warning?.contains("unknown charset") == true)
    }

    @Test func unlabeledGreekIsGuessedAsWindows1253() {
        let bytes: [UInt8] = [0xCA, 0xE1, 0xEB, 0xE7, 0xEC, 0xDD, 0xF1, 0xE1, 0x20, 0xF3, 0xE1, 0xF2]  // Καλημέρα σας
        let decoded = CharsetDecoder.decode(bytes, label: nil)
        #expect(decoded.text == "Καλημέρα σας")
        #expect(decoded.charset == .windows1253)
        #expect(decoded.warning != nil)
    }

    @Test func unlabeledCroatianIsGuessedAsWindows1250() {
        // "Čekam račun već" in windows-1250
        let bytes: [UInt8] = [0xC8, 0x65, 0x6B, 0x61, 0x6D, 0x20, 0x72, 0x61, 0xE8, 0x75, 0x6E, 0x20, 0x76, 0x65, 0xE6]
        let decoded = CharsetDecoder.decode(bytes, label: nil)
        #expect(decoded.text == "Čekam račun već")
        #expect(decoded.charset == .windows1250)
    }

    @Test func unlabeledWesternFallsBackToWindows1252() {
        // "Crème brûlée à la carte" in windows-1252: è and à rule out Croatian.
        let decoded = CharsetDecoder.decode(Array("Crème brûlée à la carte".data(using: .isoLatin1)!), label: nil)
        #expect(decoded.text == "Crème brûlée à la carte")
        #expect(decoded.charset == .windows1252)
    }

    @Test func unlabeledUTF8IsUTF8WithoutWarning() {
        let decoded = CharsetDecoder.decode(Array("Παράπονο".utf8), label: nil)
        #expect(decoded.text == "Παράπονο")
        #expect(decoded.warning == nil)
    }

    @Test func asciiLabelWith8BitBytesIsTreatedAsUnlabeled() {
        // UTF-8 mislabeled as US-ASCII is read right (and needs no warning) …
        let utf8 = CharsetDecoder.decode(Array("Žalba".utf8), label: "us-ascii")
        #expect(utf8.text == "Žalba")
        #expect(utf8.charset == .utf8)
        // … and so is windows-1250, with a warning that the charset was guessed.
        let cp1250 = CharsetDecoder.decode([0x8E, 0x61, 0x6C, 0x62, 0x61, 0x20, 0xE8, 0x61, 0x6A], label: "us-ascii")
        #expect(cp1250.text == "Žalba čaj")
        #expect(cp1250.warning != nil)
    }

    @Test func utf8LabelOnSingleByteTextFallsBack() {
        let decoded = CharsetDecoder.decode([0xC8, 0x65, 0x6B, 0x61, 0x6D, 0x20, 0xE8, 0x61, 0x6A], label: "utf-8")  // "Čekam čaj" cp1250
        #expect(decoded.text == "Čekam čaj")
        #expect(decoded.warning != nil)
    }

    @Test func mostlyValidUTF8KeepsUTF8WithReplacement() {
        let decoded = CharsetDecoder.decode(Array("Ελλάδα".utf8) + [0xFF], label: "utf-8")
        #expect(decoded.text == "Ελλάδα\u{FFFD}")
        #expect(decoded.charset == .utf8)
        #expect(decoded.warning != nil)
    }

    @Test func utf8BOMIsRemoved() {
        #expect(Charset.utf8.decode([0xEF, 0xBB, 0xBF, 0x41]) == "A")
    }
}
