import Foundation

/// RFC 2047 encoded words (`=?charset?B?...?=`, `=?charset?Q?...?=`) in header text.
public enum EncodedWords {
    /// Decodes every encoded word in `s`:
    /// - B (base64) and Q encodings, any charset `Charset` knows (an unknown one decodes as
    ///   UTF-8 with replacement characters), an RFC 2231 language suffix (`utf-8*el`) ignored;
    /// - whitespace between two encoded words is dropped (also when the words came from
    ///   different folded lines), and adjacent words in the same charset are decoded together,
    ///   so a multi-byte character split across two words survives;
    /// - words in different charsets in one header each decode with their own charset;
    /// - words glued to other text (`Re:=?utf-8?q?...?=`) are decoded too, as most clients do;
    /// - anything malformed (no closing `?=`, unknown encoding letter, whitespace inside) is
    ///   left as it is. Control characters in decoded text become spaces.
    public static func decode(_ s: String) -> String {
        guard s.contains("=?") else { return s }
        let u = Array(s.unicodeScalars)
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            if u[i] == "=", i + 1 < u.count, u[i + 1] == "?", let (word, next) = parseWord(u, at: i) {
                if !literal.isEmpty {
                    pieces.append(.literal(String(literal)))
                    literal = String.UnicodeScalarView()
                }
                pieces.append(.word(word))
                i = next
            } else {
                literal.append(u[i])
                i += 1
            }
        }
        if !literal.isEmpty { pieces.append(.literal(String(literal))) }

        var out = ""
        var run: (charset: String, bytes: [UInt8])?
        func flushRun() {
            if let r = run { out += clean(CharsetDecoder.decode(r.bytes, label: r.charset).text) }
            run = nil
        }
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .literal(let text):
                let betweenWords = index > 0 && index + 1 < pieces.count
                    && pieces[index - 1].isWord && pieces[index + 1].isWord
                    && text.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
                if betweenWords { continue }
                flushRun()
                out += text
            case .word(let word):
                if let r = run, r.charset.caseInsensitiveCompare(word.charset) == .orderedSame {
                    run = (r.charset, r.bytes + word.bytes)
                } else {
                    flushRun()
                    run = (word.charset, word.bytes)
                }
            }
        }
        flushRun()
        return out
    }

    private struct Word {
        var charset: String
        var bytes: [UInt8]
    }

    private enum Piece {
        case literal(String)
        case word(Word)
        var isWord: Bool {
            if case .word = self { return true }
            return false
        }
    }

    /// The encoded word starting at `i` (at "=?") and the index after it, or nil if malformed.
    private static func parseWord(_ u: [Unicode.Scalar], at i: Int) -> (Word, Int)? {
        var k = i + 2
        var charset = ""
        while k < u.count, u[k] != "?" {
            let c = u[k]
            guard c.value > 0x20, c.value < 0x7F, charset.unicodeScalars.count < 60 else { return nil }
            charset.unicodeScalars.append(c)
            k += 1
        }
        guard !charset.isEmpty, k + 2 < u.count, u[k + 2] == "?" else { return nil }
        let encoding = u[k + 1]
        let isBase64: Bool
        switch encoding {
        case "B", "b": isBase64 = true
        case "Q", "q": isBase64 = false
        default: return nil
        }
        k += 3
        var text: [UInt8] = []
        while k < u.count {
            if u[k] == "?", k + 1 < u.count, u[k + 1] == "=" {
                let bytes = isBase64 ? Base64Codec.decode(text) : QuotedPrintable.decode(text, underscoreIsSpace: true)
                let name = charset.split(separator: "*", maxSplits: 1).first.map(String.init) ?? charset
                return (Word(charset: name, bytes: bytes), k + 2)
            }
            let c = u[k]
            guard c.value > 0x20, c.value < 0x7F else { return nil }  // whitespace or 8-bit inside: malformed
            text.append(UInt8(c.value))
            k += 1
        }
        return nil
    }

    private static func clean(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var view = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            view.append(u.value < 0x20 || u.value == 0x7F ? " " : u)
        }
        return String(view)
    }

    // MARK: - Encoding

    /// True when `s` can go into a header as it is: printable ASCII and spaces only.
    public static func isPlainASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// `s` as a list of UTF-8 "B" encoded words, each at most 60 characters (so one fits on a
    /// line after any usual header name), never splitting a character between two words.
    /// Join them with `"\r\n "` (folding) or `" "`; decoders drop the space between words.
    public static func encode(_ s: String, maxBytesPerWord: Int = 36) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            let b64 = String(decoding: Base64Codec.encode(chunk, lineLength: nil), as: UTF8.self)
            words.append("=?UTF-8?B?\(b64)?=")
            chunk.removeAll()
        }
        for scalar in s.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maxBytesPerWord { flush() }
            chunk.append(contentsOf: bytes)
        }
        flush()
        return words
    }
}
