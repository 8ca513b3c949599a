import Testing
@testable import CareMail

@Suite("Transfer encodings")
struct TransferEncodingTests {
    @Test func base64ToleratesLineBreaksAndJunk() {
        let text = "Ελληνικά και hrvatski: čćđšž"
        let encoded = Base64Codec.encode(Array(text.utf8), lineLength: 10)
        var noisy = encoded
        noisy.insert(contentsOf: Array(" \t!!*".utf8), at: 7)
        #expect(String(decoding: Base64Codec.decode(noisy), as: UTF8.self) == text)
    }

    @Test func base64MissingPaddingAndConcatenatedBlocks() {
        #expect(Base64Codec.decode(Array("YWJj".utf8)) == Array("abc".utf8))
        #expect(Base64Codec.decode(Array("YWI".utf8)) == Array("ab".utf8))
        #expect(Base64Codec.decode(Array("YQ".utf8)) == Array("a".utf8))
        #expect(Base64Codec.decode(Array("YQ==YWI=".utf8)) == Array("aab".utf8))
        #expect(Base64Codec.decode(Array("Y".utf8)) == [])
    }

    @Test func base64EncodeWrapsAt76() {
        let encoded = Base64Codec.encode([UInt8](repeating: 0xAB, count: 200))
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.count == 4)
        #expect(Base64Codec.decode(encoded) == [UInt8](repeating: 0xAB, count: 200))
    }

    @Test func quotedPrintableDecoding() {
        #expect(QuotedPrintable.decode(Array("a=3Db".utf8)) == Array("a=b".utf8))
        #expect(QuotedPrintable.decode(Array("=e2=82=ac lower".utf8)) == Array("€ lower".utf8))
        #expect(QuotedPrintable.decode(Array("soft=\r\nbreak".utf8)) == Array("softbreak".utf8))
        #expect(QuotedPrintable.decode(Array("soft=\nbreak".utf8)) == Array("softbreak".utf8))
        #expect(QuotedPrintable.decode(Array("soft= \t\r\nbreak".utf8)) == Array("softbreak".utf8))
        #expect(QuotedPrintable.decode(Array("bad =ZZ and =4".utf8)) == Array("bad =ZZ and =4".utf8))
        #expect(QuotedPrintable.decode(Array("trailing   \r\nnext".utf8)) == Array("trailing\r\nnext".utf8))
        #expect(QuotedPrintable.decode(Array("no final newline=".utf8)) == Array("no final newline".utf8))
        #expect(QuotedPrintable.decode(Array("a_b".utf8), underscoreIsSpace: true) == Array("a b".utf8))
        #expect(QuotedPrintable.decode(Array("a_b".utf8)) == Array("a_b".utf8))
    }

    @Test func quotedPrintableEncodingRoundTripsAndKeepsLinesShort() {
        let text = "Poštovani,\nželim = pitati nešto. " + String(repeating: "Dugačka rečenica bez kraja ", count: 8) + "\n.leading dot\nFrom here\ntrailing space \n"
        let encoded = QuotedPrintable.encode(Array(text.utf8))
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(encoded.allSatisfy { $0 < 0x80 })
        #expect(lines.contains("=2Eleading dot"))
        #expect(lines.contains("=46rom here"))
        #expect(lines.contains("trailing space=20"))
        let decoded = String(decoding: QuotedPrintable.decode(encoded), as: UTF8.self)
        #expect(decoded == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func headerValues() {
        #expect(TransferEncoding(headerValue: " Base64 ") == .base64)
        #expect(TransferEncoding(headerValue: "Quoted-Printable") == .quotedPrintable)
        #expect(TransferEncoding(headerValue: nil) == .sevenBit)
        #expect(TransferEncoding(headerValue: "8bit") == .eightBit)
        #expect(TransferEncoding(headerValue: "binary") == .binary)
        #expect(TransferEncoding(headerValue: "x-uuencode") == .other("x-uuencode"))
        #expect(TransferEncoding.other("x").decode(Array("=41".utf8)) == Array("=41".utf8))
    }
}
