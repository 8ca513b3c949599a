import Foundation

/// An allowlist HTML sanitizer for e-mail bodies, chat messages and knowledge-base content,
/// and a converter from HTML to readable plain text.
///
/// `sanitize` tokenizes the input with a small HTML tokenizer (see `HTMLTokenizer`) and
/// re-serializes only what is allowed, so the output is always well formed: allowed tags with
/// allowed attributes (values decoded, checked and re-escaped, always double-quoted), text
/// re-escaped, every opened element closed. What is not allowed:
/// - comments, doctype, processing instructions: dropped;
/// - `script style iframe object embed template noscript svg math` (and `title noembed
///   noframes frame frameset applet`): dropped with their content;
/// - any other unknown tag: dropped, its text kept.
///
/// Attributes kept: `a[href]` (http:, https:, mailto: only; `a` always gets
/// `rel="noopener noreferrer nofollow"`), `img[src]` (cid:, https:, and base64 data URLs of
/// PNG, JPEG, GIF or WebP only), `img[alt]`, `td/th[colspan, rowspan]` (1–3 digits).
/// URLs are checked after decoding character references and removing control characters
/// and whitespace the browser would ignore, so `&#x6A;avascript:` or `java&Tab;script:` do
/// not get through.
public enum HTMLSanitizer {
    static let allowedTags: Set<String> = [
        "p", "br", "b", "strong", "i", "em", "u", "s", "a", "ul", "ol", "li", "blockquote",
        "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr",
        "td", "th", "span", "div", "hr", "img",
    ]
    static let voidTags: Set<String> = [
        "br", "hr", "img", "area", "base", "col", "embed", "input", "link", "meta", "param",
        "source", "track", "wbr", "keygen", "frame",
    ]
    /// Elements removed together with everything inside them.
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math",
        "title", "noembed", "noframes", "frameset", "frame", "applet",
    ]
    /// Deeper nesting than this is flattened (tags dropped, text kept).
    static let maxDepth = 100

    public static func sanitize(_ html: String) -> String {
        var out = ""
        var open: [String] = []
        var dropping: [String] = []

        for token in HTMLTokenizer.tokenize(html) {
            switch token {
            case .ignored:
                continue

            case .text(let raw):
                guard dropping.isEmpty else { continue }
                out += HTMLEscaping.escape(removingControls(HTMLEntities.decode(raw, inAttribute: false)))

            case .rawText(let raw):
                guard dropping.isEmpty else { continue }
                out += HTMLEscaping.escape(removingControls(raw))

            case .startTag(let name, let attributes, let selfClosing):
                if droppedWithContent.contains(name) {
                    // Capping the stack keeps the work linear; leaving a dropped region early
                    // is harmless because whatever follows is sanitized like everything else.
                    if opensDroppedContent(name, selfClosing: selfClosing), dropping.count < maxDepth {
                        dropping.append(name)
                    }
                    continue
                }
                guard dropping.isEmpty, allowedTags.contains(name) else { continue }
                if voidTags.contains(name) {
                    out += "<\(name)\(renderAttributes(of: name, attributes))>"
                } else if open.count < maxDepth {
                    out += "<\(name)\(renderAttributes(of: name, attributes))>"
                    open.append(name)
                }

            case .endTag(let name):
                if !dropping.isEmpty {
                    if let index = dropping.lastIndex(of: name) {
                        dropping.removeSubrange(index...)
                    }
                    continue
                }
                guard let index = open.lastIndex(of: name) else { continue }
                for element in open[index...].reversed() {
                    out += "</\(element)>"
                }
                open.removeSubrange(index...)
            }
        }
        for element in open.reversed() {
            out += "</\(element)>"
        }
        return out
    }

    /// Whether a start tag of a dropped element opens content that must be skipped up to its
    /// end tag. Void elements have none; `<svg/>` and `<math/>` are really self-closing.
    /// `<script/>` is not, in HTML: its content still follows.
    static func opensDroppedContent(_ name: String, selfClosing: Bool) -> Bool {
        if voidTags.contains(name) { return false }
        if selfClosing, name == "svg" || name == "math" { return false }
        return true
    }

    // MARK: - Attributes

    private static func renderAttributes(of tag: String, _ attributes: [HTMLAttribute]) -> String {
        func value(_ name: String) -> String? {
            attributes.first { $0.name == name }.map { HTMLEntities.decode($0.value, inAttribute: true) }
        }
        var out = ""
        switch tag {
        case "a":
            if let href = value("href"), let url = safeURL(href, allowed: linkSchemes) {
                out += " href=\"\(HTMLEscaping.escape(url))\""
            }
            out += " rel=\"noopener noreferrer nofollow\""
        case "img":
            if let src = value("src"), let url = safeImageSource(src) {
                out += " src=\"\(HTMLEscaping.escape(url))\""
            }
            if let alt = value("alt") {
                out += " alt=\"\(HTMLEscaping.escape(removingControls(alt)))\""
            }
        case "td", "th":
            for name in ["colspan", "rowspan"] {
                if let span = value(name), (1...3).contains(span.utf8.count),
                   span.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
                    out += " \(name)=\"\(span)\""
                }
            }
        default:
            break
        }
        return out
    }

    static let linkSchemes = ["http:", "https:", "mailto:"]
    static let imageSchemes = ["cid:", "https:"]
    static let imageDataPrefixes = [
        "data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
        "data:image/webp;base64,",
    ]

    /// The URL as a browser would read it (control characters and whitespace other than
    /// inner spaces removed, trimmed), if it starts with one of `allowed` schemes.
    static func safeURL(_ decoded: String, allowed: [String]) -> String? {
        let url = cleanedURL(decoded)
        let lower = url.lowercased()
        guard allowed.contains(where: { lower.hasPrefix($0) }) else { return nil }
        return url
    }

    private static func safeImageSource(_ decoded: String) -> String? {
        if let url = safeURL(decoded, allowed: imageSchemes) { return url }
        let url = cleanedURL(decoded)
        let lower = url.lowercased()
        guard let prefix = imageDataPrefixes.first(where: { lower.hasPrefix($0) }) else { return nil }
        var payload = String.UnicodeScalarView()
        for u in url.unicodeScalars.dropFirst(prefix.unicodeScalars.count) {
            if u == " " { continue }
            guard isBase64(u) else { return nil }
            payload.append(u)
        }
        guard !payload.isEmpty else { return nil }
        return prefix + String(payload)
    }

    /// Removes what the URL parser ignores or what could hide a scheme: C0 controls (tab and
    /// newlines included), DEL, C1 controls and invisible format characters anywhere, and
    /// surrounding spaces.
    static func cleanedURL(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u.value < 0x20 || (0x7F...0x9F).contains(u.value) { continue }
            if u.properties.generalCategory == .format { continue }
            out.append(u)
        }
        return String(out).trimmingCharacters(in: .whitespaces)
    }

    private static func isBase64(_ u: Unicode.Scalar) -> Bool {
        HTMLEntities.isASCIIAlphanumeric(u) || u == "+" || u == "/" || u == "="
    }

    /// Drops C0/C1 control characters other than tab and newline.
    static func removingControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isUnwantedControl) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars where !isUnwantedControl(u) {
            out.append(u)
        }
        return String(out)
    }

    private static func isUnwantedControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u != "\t" && u != "\n") || (0x7F...0x9F).contains(u.value)
    }
}

// MARK: - Plain text

extension HTMLSanitizer {
    /// Block elements: their start and end begin a new line.
    static let blockTags: Set<String> = [
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "li",
        "table", "thead", "tbody", "tfoot", "tr", "hr", "section", "article", "header", "footer",
        "nav", "aside", "address", "figure", "figcaption", "main", "dl", "dt", "dd", "form",
        "fieldset", "details", "summary", "center", "caption", "body", "html", "xmp", "textarea",
    ]
    /// Block elements set off by a blank line.
    static let paragraphTags: Set<String> = [
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "address",
        "figure", "dl", "fieldset",
    ]

    /// Turns HTML into readable text: paragraphs and other blocks on their own lines
    /// (paragraphs, headings, tables and top-level lists set off by a blank line), `<br>` a
    /// line break, list items prefixed with `- ` or `1. `, table cells separated by a tab,
    /// source whitespace collapsed as a browser does (kept inside `<pre>`), character
    /// references decoded, scripts, styles and the other dropped elements left out, at most
    /// one blank line in a row, trimmed.
    public static func plainText(fromHTML html: String) -> String {
        var text = PlainTextBuilder()
        var dropping: [String] = []
        var lists: [(ordered: Bool, count: Int)] = []
        var preDepth = 0

        for token in HTMLTokenizer.tokenize(html) {
            switch token {
            case .ignored:
                continue
            case .text(let raw):
                guard dropping.isEmpty else { continue }
                text.append(removingControls(HTMLEntities.decode(raw, inAttribute: false)), preformatted: preDepth > 0)
            case .rawText(let raw):
                guard dropping.isEmpty else { continue }
                text.append(removingControls(raw), preformatted: true)
            case .startTag(let name, _, let selfClosing):
                if droppedWithContent.contains(name) {
                    if opensDroppedContent(name, selfClosing: selfClosing), dropping.count < maxDepth {
                        dropping.append(name)
                    }
                    continue
                }
                guard dropping.isEmpty else { continue }
                switch name {
                case "br":
                    text.lineBreak()
                case "ul", "ol":
                    text.ensureNewlines(lists.isEmpty ? 2 : 1)
                    if lists.count < maxDepth { lists.append((ordered: name == "ol", count: 0)) }
                case "li":
                    text.ensureNewlines(1)
                    if lists.isEmpty {
                        text.appendMarker("- ")
                    } else {
                        lists[lists.count - 1].count += 1
                        let list = lists[lists.count - 1]
                        let indent = String(repeating: "  ", count: min(lists.count - 1, 8))
                        text.appendMarker(indent + (list.ordered ? "\(list.count). " : "- "))
                    }
                case "td", "th":
                    text.cellSeparator()
                default:
                    if name == "pre" { preDepth += 1 }
                    if paragraphTags.contains(name) {
                        text.ensureNewlines(2)
                    } else if blockTags.contains(name) {
                        text.ensureNewlines(1)
                    }
                    if name == "pre" { text.skipNextNewline = true }
                }
            case .endTag(let name):
                if !dropping.isEmpty {
                    if let index = dropping.lastIndex(of: name) { dropping.removeSubrange(index...) }
                    continue
                }
                switch name {
                case "ul", "ol":
                    if !lists.isEmpty { lists.removeLast() }
                    text.ensureNewlines(lists.isEmpty ? 2 : 1)
                case "br":
                    text.lineBreak()  // browsers treat </br> as <br>
                default:
                    if name == "pre" { preDepth = max(0, preDepth - 1) }
                    if paragraphTags.contains(name) {
                        text.ensureNewlines(2)
                    } else if blockTags.contains(name) {
                        text.ensureNewlines(1)
                    }
                }
            }
        }
        return text.finished()
    }
}

/// Accumulates plain text with browser-like whitespace handling.
private struct PlainTextBuilder {
    // An array, not a String.UnicodeScalarView: removeLast on the latter is not O(1).
    private var out: [Unicode.Scalar] = []
    var skipNextNewline = false

    mutating func append(_ s: String, preformatted: Bool) {
        if preformatted {
            var scalars = Substring(s).unicodeScalars[...]
            if skipNextNewline, scalars.first == "\n" { scalars = scalars.dropFirst() }
            skipNextNewline = false
            for u in scalars { out.append(u == "\u{A0}" ? " " : u) }
            return
        }
        for u in s.unicodeScalars {
            if HTMLTokenizer.isSpace(u) {
                if let last = out.last, last != " ", last != "\n", last != "\t" {
                    out.append(" ")
                }
                continue
            }
            skipNextNewline = false
            out.append(u == "\u{A0}" ? " " : u)
        }
    }

    mutating func appendMarker(_ marker: String) {
        out.append(contentsOf: marker.unicodeScalars)
    }

    mutating func lineBreak() {
        trimTrailingBlanks()
        out.append("\n")
    }

    mutating func ensureNewlines(_ count: Int) {
        trimTrailingBlanks()
        guard !out.isEmpty else { return }
        var existing = 0
        for u in out.reversed() {
            guard u == "\n" else { break }
            existing += 1
        }
        for _ in existing..<max(existing, count) { out.append("\n") }
    }

    mutating func cellSeparator() {
        trimTrailingBlanks()
        if let last = out.last, last != "\n" { out.append("\t") }
    }

    private mutating func trimTrailingBlanks() {
        while let last = out.last, last == " " || last == "\t" { out.removeLast() }
    }

    func finished() -> String {
        // Trim spaces at line ends, at most one blank line in a row, trim the whole.
        var lines: [Substring] = []
        var blankRun = 0
        var view = String.UnicodeScalarView()
        view.append(contentsOf: out)
        let text = String(view)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var trimmed = line
            while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
            if trimmed.isEmpty {
                blankRun += 1
                if blankRun > 1 { continue }
            } else {
                blankRun = 0
            }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Escapes text for HTML text content and for double- or single-quoted attribute values.
public enum HTMLEscaping {
    /// Replaces `&` `<` `>` `"` `'` with character references. Works on Unicode scalars, so a
    /// combining mark after a quote cannot hide the quote.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

