import CareCore
import Foundation
import Testing
@testable import CareMail

/// Fuzz-style robustness: truncated, mutated and random inputs never trap, and what can be
/// known is still known.
@Suite("Parser robustness")
struct FuzzTests {
    /// A small deterministic generator (SplitMix64), so failures can be reproduced.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The index of the blank line ending the top-level header section.
    private func headerEnd(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i + 3 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i + 4 }
            if bytes[i] == 10, bytes[i + 1] == 10 { return i + 2 }
            i += 1
        }
        return nil
    }

    @Test func truncatedFixturesKeepTheirHeaders() throws {
        var rng = SeededGenerator(state: 42)
        for name in try Fixtures.allNames() {
            let bytes = try Fixtures.bytes(name)
            let full = ParsedMail(parsing: bytes)
            guard let end = headerEnd(bytes), end < bytes.count else { continue }
            for _ in 0..<12 {
                let cut = Int.random(in: end...bytes.count, using: &rng)
                let mail = ParsedMail(parsing: Array(bytes[..<cut]))
                #expect(mail.subject == full.subject, "\(name) cut at \(cut)")
                #expect(mail.messageId == full.messageId, "\(name) cut at \(cut)")
            }
        }
    }

    @Test func mutatedFixturesNeverTrapAndParseDeterministically() throws {
        var rng = SeededGenerator(state: 7)
        let interesting = Array("-=?\r\n:;\"<>()\\%*'_ \t".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for name in try Fixtures.allNames() {
            let original = try Fixtures.bytes(name)
            for _ in 0..<20 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...12, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[at] = interesting.randomElement(using: &rng)!
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 40)], at: at)
                    default: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
                let first = ParsedMail(parsing: bytes)
                let second = ParsedMail(parsing: bytes)
                #expect(first.text == second.text && first.subject == second.subject && first.attachments == second.attachments)
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SeededGenerator(state: 2025)
        let alphabet = Array("--boundary=\"b\"\r\nContent-Type: multipart/mixed; message/rfc822 =?utf-8?B?zpE=?= base64 quoted-printable ==3D".utf8)
        for round in 0..<400 {
            let count = Int.random(in: 0...2_000, using: &rng)
            let bytes: [UInt8] = (0..<count).map { _ in
                round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            let mail = ParsedMail(parsing: bytes)
            // Some body text, an attachment or headers: nothing silently vanishes.
            let attachmentBytes = mail.attachments.reduce(0) { $0 + $1.size }
            #expect(attachmentBytes <= bytes.count * 2 + 16)
            _ = QuotedHistory.split(mail.text)
            _ = mail.readableText(htmlToText: HTMLSanitizer.plainText(fromHTML:))
        }
    }

    @Test func hostileHeaderValuesNeverTrap() {
        let values = [
            String(repeating: "=?", count: 5_000), String(repeating: "(", count: 10_000), String(repeating: "\"", count: 9_999),
            String(repeating: "<", count: 10_000), "=?utf-8?B?" + String(repeating: "A", count: 100_000) + "?=",
            String(repeating: "a@b,", count: 5_000), "99999999999999999999999 Feb 2025 99:99:99 +99999",
            "filename*99999999999999999999=x; filename*-1=y; filename*0*=%%%",
        ]
        for value in values {
            _ = EncodedWords.decode(value)
            _ = AddressParser.parseList(value)
            _ = AddressParser.parseMessageIds(value)
            _ = MailDate.parse(value)
            _ = ContentType(headerValue: "text/plain; " + value)
            _ = ContentDisposition(headerValue: "attachment; " + value)
        }
        #expect(AddressParser.parseList(String(repeating: "a@b,", count: 5_000)).count == 1_000)
    }
}
