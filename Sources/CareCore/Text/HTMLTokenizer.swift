import Foundation

/// One attribute as written in the source: lower-cased name, raw value (references not decoded).
struct HTMLAttribute: Equatable, Sendable {
    var name: String
    var value: String
}

enum HTMLToken: Equatable, Sendable {
    /// Text; character references are not decoded yet.
    case text(String)
    /// Content of a raw-text element (`<script>`, `<style>`, `<xmp>`, …): no tags, no references.
    case rawText(String)
    case startTag(name: String, attributes: [HTMLAttribute], selfClosing: Bool)
    case endTag(name: String)
    /// A comment, doctype, processing instruction, CDATA section or a tag cut off by the end
    /// of input: nothing of it is kept.
    case ignored
}

/// A small, forgiving HTML tokenizer modelled on the HTML standard's tokenizer states, enough
/// for sanitizing and text extraction: tag names are everything up to whitespace, `/` or `>`
/// (so `<scr<script>` is one odd tag named `scr<script`), a `<` that cannot start a tag is
/// text, attribute values may be double-, single- or unquoted, a tag cut off by the end of
/// input is dropped, comments end at `-->` (or `--!>`, `<!-->`), and after `<script>`,
/// `<style>` and the other raw-text elements everything up to the matching end tag is content.
/// The first occurrence of a duplicated attribute wins, as in browsers. Works on Unicode
/// scalars; NUL characters are dropped and CR/CRLF become LF.
enum HTMLTokenizer {
    /// Elements whose content is raw text in HTML (no tags inside).
    static let rawTextElements: Set<String> = [
        "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
    ]
    /// Escapable raw text: no tags inside, but character references are decoded.
    static let rcdataElements: Set<String> = ["textarea", "title"]

    static func tokenize(_ html: String) -> [HTMLToken] {
        let s = normalizedScalars(html)
        let n = s.count
        var tokens: [HTMLToken] = []
        var text = String.UnicodeScalarView()
        var i = 0

        func flushText() {
            if !text.isEmpty {
                tokens.append(.text(String(text)))
                text = String.UnicodeScalarView()
            }
        }

        while i < n {
            let u = s[i]
            guard u == "<", let (token, next) = markup(s, at: i) else {
                text.append(u)
                i += 1
                continue
            }
            flushText()
            tokens.append(token)
            i = next
            if case .startTag(let name, _, _) = token,
               rawTextElements.contains(name) || rcdataElements.contains(name) {
                let end = rawTextEnd(s, name: name, from: i)
                if end > i {
                    let content = String(String.UnicodeScalarView(s[i..<end]))
                    tokens.append(rcdataElements.contains(name) ? .text(content) : .rawText(content))
                }
                i = end
            }
        }
        flushText()
        return tokens
    }

    // MARK: - Input

    private static func normalizedScalars(_ html: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(html.unicodeScalars.count)
        var lastWasCR = false
        for u in html.unicodeScalars {
            switch u {
            case "\0":
                lastWasCR = false
            case "\r":
                out.append("\n")
                lastWasCR = true
            case "\n":
                if !lastWasCR { out.append("\n") }
                lastWasCR = false
            default:
                out.append(u)
                lastWasCR = false
            }
        }
        return out
    }

    // MARK: - Markup

    /// Markup starting with the `<` at `i`, or nil when that `<` is just text.
    private static func markup(_ s: [Unicode.Scalar], at i: Int) -> (HTMLToken, Int)? {
        let n = s.count
        let j = i + 1
        guard j < n else { return nil }
        switch s[j] {
        case "!":
            if matches(s, at: j + 1, "--") {
                return (.ignored, commentEnd(s, from: j + 3))
            }
            return (.ignored, bogusCommentEnd(s, from: j + 1))
        case "?":
            return (.ignored, bogusCommentEnd(s, from: j + 1))
        case "/":
            guard j + 1 < n else { return nil }
            if isASCIIAlpha(s[j + 1]) { return tag(s, nameAt: j + 1, isEnd: true) }
            if s[j + 1] == ">" { return (.ignored, j + 2) }
            return (.ignored, bogusCommentEnd(s, from: j + 1))
        default:
            if isASCIIAlpha(s[j]) { return tag(s, nameAt: j, isEnd: false) }
            return nil
        }
    }

    /// A start or end tag whose name begins at `k`.
    private static func tag(_ s: [Unicode.Scalar], nameAt start: Int, isEnd: Bool) -> (HTMLToken, Int) {
        let n = s.count
        var k = start
        var name = ""
        while k < n, !isSpace(s[k]), s[k] != "/", s[k] != ">" {
            name.unicodeScalars.append(asciiLowercased(s[k]))
            k += 1
        }
        var attributes: [HTMLAttribute] = []
        var seen = Set<String>()
        var selfClosing = false
        while true {
            while k < n, isSpace(s[k]) { k += 1 }
            guard k < n else { return (.ignored, n) }  // end of input inside a tag: dropped
            if s[k] == ">" {
                k += 1
                break
            }
            if s[k] == "/" {
                if k + 1 < n, s[k + 1] == ">" {
                    selfClosing = true
                    k += 2
                    break
                }
                k += 1
                continue
            }
            // Attribute name; its first character may be "=".
            var attrName = ""
            let nameStart = k
            while k < n, !isSpace(s[k]), s[k] != "/", s[k] != ">", s[k] != "=" || k == nameStart {
                attrName.unicodeScalars.append(asciiLowercased(s[k]))
                k += 1
            }
            while k < n, isSpace(s[k]) { k += 1 }
            var value = String.UnicodeScalarView()
            if k < n, s[k] == "=" {
                k += 1
                while k < n, isSpace(s[k]) { k += 1 }
                if k < n, s[k] == "\"" || s[k] == "'" {
                    let quote = s[k]
                    k += 1
                    while k < n, s[k] != quote {
                        value.append(s[k])
                        k += 1
                    }
                    guard k < n else { return (.ignored, n) }
                    k += 1
                } else {
                    while k < n, !isSpace(s[k]), s[k] != ">" {
                        value.append(s[k])
                        k += 1
                    }
                }
            }
            if !attrName.isEmpty, seen.insert(attrName).inserted {
                attributes.append(HTMLAttribute(name: attrName, value: String(value)))
            }
        }
        if isEnd { return (.endTag(name: name), k) }
        return (.startTag(name: name, attributes: attributes, selfClosing: selfClosing), k)
    }

    /// Index after the comment whose body starts at `k` (just after `<!--`).
    private static func commentEnd(_ s: [Unicode.Scalar], from k: Int) -> Int {
        let n = s.count
        if matches(s, at: k, ">") { return k + 1 }  // <!-->
        if matches(s, at: k, "->") { return k + 2 }  // <!--->
        var m = k
        while m < n {
            if matches(s, at: m, "-->") { return m + 3 }
            if matches(s, at: m, "--!>") { return m + 4 }
            m += 1
        }
        return n
    }

    private static func bogusCommentEnd(_ s: [Unicode.Scalar], from k: Int) -> Int {
        var m = k
        while m < s.count {
            if s[m] == ">" { return m + 1 }
            m += 1
        }
        return s.count
    }

    /// Index of the `<` of the end tag that closes raw text element `name`, or the end of input.
    private static func rawTextEnd(_ s: [Unicode.Scalar], name: String, from k: Int) -> Int {
        let n = s.count
        let nameScalars = Array(name.unicodeScalars)
        var m = k
        while m < n {
            if s[m] == "<", m + 1 < n, s[m + 1] == "/" {
                var p = m + 2
                var ok = true
                for c in nameScalars {
                    guard p < n, asciiLowercased(s[p]) == c else {
                        ok = false
                        break
                    }
                    p += 1
                }
                if ok, p < n, isSpace(s[p]) || s[p] == "/" || s[p] == ">" { return m }
            }
            m += 1
        }
        return n
    }

    // MARK: - Characters

    private static func matches(_ s: [Unicode.Scalar], at k: Int, _ literal: String) -> Bool {
        var p = k
        for c in literal.unicodeScalars {
            guard p < s.count, s[p] == c else { return false }
            p += 1
        }
        return true
    }

    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\t" || u == "\n" || u == "\u{0C}" || u == "\r"
    }

    static func isASCIIAlpha(_ u: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(u.value) || (0x61...0x7A).contains(u.value)
    }

    static func asciiLowercased(_ u: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(u.value) ? Unicode.Scalar(u.value + 32)! : u
    }
}
