import Testing
@testable import CareCore

// MARK: - SearchFolding

@Suite("SearchFolding")
struct SearchFoldingTests {
    @Test("Greek: lower case, tonos and dialytika removed, final sigma folded", arguments: [
        ("Παράπονο", "παραπονο"),
        ("ΟΔΥΣΣΕΑΣ", "οδυσσεασ"),
        ("Οδυσσέας", "οδυσσεασ"),
        ("προϊόν", "προιον"),
        ("Ϊ ΐ ΰ", "ι ι υ"),
        ("ΆΈΉΊΌΎΏ", "αεηιουω"),
        ("λόγος", "λογοσ"),
    ])
    func greek(input: String, expected: String) {
        #expect(SearchFolding.fold(input) == expected)
    }

    @Test("Croatian: č ć š ž lose the accent, đ becomes d", arguments: [
        ("Želim", "zelim"),
        ("Đurđević", "durdevic"),
        ("ČĆŠŽĐ čćšžđ", "ccszd ccszd"),
        ("Kupovina računa", "kupovina racuna"),
    ])
    func croatian(input: String, expected: String) {
        #expect(SearchFolding.fold(input) == expected)
    }

    @Test func latinAccentsAndCompatibilityForms() {
        #expect(SearchFolding.fold("Crème Brûlée") == "creme brulee")
        #expect(SearchFolding.fold("ＡＢＣ１２３") == "abc123")  // full-width
        #expect(SearchFolding.fold("ﬁle") == "file")  // ligature
        #expect(SearchFolding.fold("İstanbul") == "istanbul")
    }

    @Test func whitespaceIsCollapsedAndTrimmed() {
        #expect(SearchFolding.fold("  Hello \t\n  World  ") == "hello world")
        #expect(SearchFolding.fold("a\u{00A0}\u{00A0}b") == "a b")
        #expect(SearchFolding.fold("zero\u{200B}width soft\u{00AD}hyphen") == "zerowidth softhyphen")
        #expect(SearchFolding.fold("   ") == "")
        #expect(SearchFolding.fold("") == "")
    }

    @Test func foldingIsIdempotent() {
        for s in ["Παράπονο ΟΔΥΣΣΕΑΣ", "Đurđević  Želim", "Crème\tBrûlée"] {
            let once = SearchFolding.fold(s)
            #expect(SearchFolding.fold(once) == once)
        }
    }

    @Test func foldedQueryMatchesFoldedText() {
        let indexed = SearchFolding.fold("Το ΠΑΡΑΠΟΝΟ του κ. Οδυσσέα για τη χρέωση")
        for term in SearchFolding.terms("παράπονο Οδυσσεα ΧΡΕΩΣΗ") {
            #expect(indexed.contains(term), "\(term) should be found in \(indexed)")
        }
    }

    @Test func termsSplitOnPunctuationAndFold() {
        #expect(SearchFolding.terms("Hello, World!  foo-bar (baz)") == ["hello", "world", "foo", "bar", "baz"])
        #expect(SearchFolding.terms("Παράπονο: Đurđević/Želim #42") == ["παραπονο", "durdevic", "zelim", "42"])
        #expect(SearchFolding.terms("user@example.com") == ["user", "example", "com"])
        #expect(SearchFolding.terms("  ,,, ... !!! ") == [])
        #expect(SearchFolding.terms("") == [])
    }

    @Test func termsAreLimitedInNumberAndLength() {
        let many = (1...40).map { "w\($0)" }.joined(separator: " ")
        let terms = SearchFolding.terms(many)
        #expect(terms.count == 16)
        #expect(terms.first == "w1")
        #expect(terms.last == "w16")

        let long = String(repeating: "α", count: 200)
        let cut = SearchFolding.terms("x \(long)")
        #expect(cut.count == 2)
        #expect(cut[1].count == 64)
        #expect(cut[1] == String(repeating: "α", count: 64))
    }
}

// MARK: - HTMLEscaping

@Suite("HTMLEscaping")
struct HTMLEscapingTests {
    @Test func escapesTheFiveSpecialCharacters() {
        #expect(HTMLEscaping.escape(#"<a href="x" title='y'>&</a>"#)
            == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("Παράπονο ok") == "Παράπονο ok")
    }

    @Test func aCombiningMarkCannotHideAQuote() {
        // `"` followed by a combining accent is one Character but must still be escaped.
        #expect(HTMLEscaping.escape("\"\u{0301}") == "&quot;\u{0301}")
        #expect(HTMLEscaping.escape("<\u{0338}") == "&lt;\u{0338}")
    }
}

// MARK: - HTMLSanitizer.sanitize

@Suite("HTMLSanitizer.sanitize")
struct HTMLSanitizeTests {
    private func assertNoActiveContent(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lower = html.lowercased()
        for needle in ["<script", "<svg", "<iframe", "<style", "<object", "<embed", "<math", "onerror", "onload", "javascript:", "<!--"] {
            #expect(!lower.contains(needle), "output contains \(needle): \(html)", sourceLocation: sourceLocation)
        }
    }

    @Test func keepsAllowedFormatting() {
        let html = "<p>Hello <b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <s>x</s></p>"
        #expect(HTMLSanitizer.sanitize(html) == html)
        let blocks = "<h1>T</h1><h6>t</h6><blockquote>q</blockquote><pre><code>c</code></pre><hr><div><span>x</span></div><ul><li>a</li></ul><ol><li>b</li></ol>"
        #expect(HTMLSanitizer.sanitize(blocks) == blocks)
        #expect(HTMLSanitizer.sanitize("line<br>next<br/>last") == "line<br>next<br>last")
    }

    @Test func tablesKeepOnlyNumericSpans() {
        let html = #"<table border=1><thead><tr><th colspan="2" style="color:red">H</th></tr></thead><tbody><tr><td rowspan='3'>a</td><td colspan="2x">b</td><td colspan=" 2">c</td></tr></tbody></table>"#
        #expect(HTMLSanitizer.sanitize(html)
            == #"<table><thead><tr><th colspan="2">H</th></tr></thead><tbody><tr><td rowspan="3">a</td><td>b</td><td>c</td></tr></tbody></table>"#)
    }

    @Test func dropsEventHandlersStyleAndUnknownAttributes() {
        #expect(HTMLSanitizer.sanitize(#"<p onclick="alert(1)" style="x" class="c" id="i">t</p>"#) == "<p>t</p>")
        #expect(HTMLSanitizer.sanitize(#"<div ONMOUSEOVER=alert(1)>t</div>"#) == "<div>t</div>")
    }

    @Test func imgOnerrorVector() {
        let out = HTMLSanitizer.sanitize("<img src=x onerror=alert(1)>")
        #expect(out == "<img>")
        assertNoActiveContent(out)
    }

    @Test func imgSourcesAreRestricted() {
        #expect(HTMLSanitizer.sanitize(#"<img src="https://example.com/a.png" alt="Logo">"#)
            == #"<img src="https://example.com/a.png" alt="Logo">"#)
        #expect(HTMLSanitizer.sanitize(#"<img src="cid:part1@example">"#) == #"<img src="cid:part1@example">"#)
        #expect(HTMLSanitizer.sanitize(#"<img src="data:image/png;base64,iVBORw0KGgo=">"#)
            == #"<img src="data:image/png;base64,iVBORw0KGgo=">"#)
        #expect(HTMLSanitizer.sanitize(#"<img src="DATA:image/webp;base64,UklGR+/=">"#)
            == #"<img src="data:image/webp;base64,UklGR+/=">"#)
        // Not allowed: plain http, svg data, non-base64 data, javascript.
        #expect(HTMLSanitizer.sanitize(#"<img src="http://example.com/a.png">"#) == "<img>")
        #expect(HTMLSanitizer.sanitize(#"<img src="data:image/svg+xml;base64,PHN2Zz4=">"#) == "<img>")
        #expect(HTMLSanitizer.sanitize(#"<img src="data:image/png,<svg onload=alert(1)>">"#) == "<img>")
        #expect(HTMLSanitizer.sanitize(#"<img src="data:image/png;base64,abc<x>">"#) == "<img>")
        #expect(HTMLSanitizer.sanitize(#"<img src="javascript:alert(1)">"#) == "<img>")
        #expect(HTMLSanitizer.sanitize(#"<img srcset="https://e.com/x.png 2x" src="/rel.png">"#) == "<img>")
    }

    @Test func imgAltIsReEscaped() {
        let out = HTMLSanitizer.sanitize(#"<img alt='"><script>alert(1)</script>'>"#)
        #expect(out == #"<img alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">"#)
    }

    @Test func linksGetRelAndOnlySafeSchemes() {
        #expect(HTMLSanitizer.sanitize(#"<a href="https://example.com/?a=1&amp;b=2" target="_blank">x</a>"#)
            == #"<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer nofollow">x</a>"#)
        #expect(HTMLSanitizer.sanitize(#"<a href="mailto:help@example.com">m</a>"#)
            == #"<a href="mailto:help@example.com" rel="noopener noreferrer nofollow">m</a>"#)
        #expect(HTMLSanitizer.sanitize(#"<A HREF=HTTP://EXAMPLE.COM>u</A>"#)
            == #"<a href="HTTP://EXAMPLE.COM" rel="noopener noreferrer nofollow">u</a>"#)
        // Relative and other schemes: the href is dropped, the link text stays.
        #expect(HTMLSanitizer.sanitize(#"<a href="/relative">r</a>"#) == #"<a rel="noopener noreferrer nofollow">r</a>"#)
        #expect(HTMLSanitizer.sanitize(#"<a href="ftp://x">f</a>"#) == #"<a rel="noopener noreferrer nofollow">f</a>"#)
        #expect(HTMLSanitizer.sanitize(#"<a href="data:text/html,<script>alert(1)</script>">d</a>"#)
            == #"<a rel="noopener noreferrer nofollow">d</a>"#)
        // An author's own rel is replaced, not merged.
        #expect(HTMLSanitizer.sanitize(#"<a rel="opener" href="https://e.com">x</a>"#)
            == #"<a href="https://e.com" rel="noopener noreferrer nofollow">x</a>"#)
    }

    @Test("javascript: URLs are dropped however they are disguised", arguments: [
        #"<a href="javascript:alert(1)">x</a>"#,
        #"<a href="JaVaScRiPt:alert(1)">x</a>"#,
        #"<a href="&#x6A;avascript:alert(1)">x</a>"#,
        #"<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>"#,
        #"<a href="&#0000106avascript:alert(1)">x</a>"#,
        #"<a href="java&Tab;script&colon;alert(1)">x</a>"#,
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "<a href=\"java\nscript:alert(1)\">x</a>",
        "<a href=\" \u{01}javascript:alert(1)\">x</a>",
        #"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
        #"<a href='javascript:alert(1)'>x</a>"#,
        #"<a href=javascript:alert(1)>x</a>"#,
        #"<a href="vbscript:msgbox(1)">x</a>"#,
        #"<a href="https://ok.example" href="javascript:alert(1)">x</a>"#,
    ])
    func javascriptLinks(html: String) {
        let out = HTMLSanitizer.sanitize(html)
        assertNoActiveContent(out)
        #expect(!out.lowercased().contains("script:"))
        #expect(out.hasPrefix("<a"))
        #expect(out.hasSuffix(">x</a>"))
    }

    @Test func urlsAreCleanedTheWayBrowsersReadThem() {
        // Browsers ignore tabs and newlines inside URLs and trim spaces and controls around them.
        #expect(HTMLSanitizer.sanitize("<a href=\"  \n https://e.com/x \">x</a>")
            == #"<a href="https://e.com/x" rel="noopener noreferrer nofollow">x</a>"#)
        #expect(HTMLSanitizer.sanitize(#"<a href="ht&Tab;tps&colon;//e.com/">x</a>"#)
            == #"<a href="https://e.com/" rel="noopener noreferrer nofollow">x</a>"#)
        #expect(HTMLSanitizer.sanitize("<img src=\"data:image/gif;base64,R0lG\nODlh\">")
            == #"<img src="data:image/gif;base64,R0lGODlh">"#)
    }

    @Test func firstDuplicateAttributeWinsLikeInBrowsers() {
        #expect(HTMLSanitizer.sanitize(#"<a href="javascript:alert(1)" href="https://ok.example">x</a>"#)
            == #"<a rel="noopener noreferrer nofollow">x</a>"#)
    }

    @Test func entityObfuscatedHttpsIsDecodedAndReEscaped() {
        #expect(HTMLSanitizer.sanitize(#"<a href="&#104;ttps://e.com/?q=&quot;x&quot;">x</a>"#)
            == #"<a href="https://e.com/?q=&quot;x&quot;" rel="noopener noreferrer nofollow">x</a>"#)
        // A legacy entity name followed by "=" in an attribute stays literal.
        #expect(HTMLSanitizer.sanitize(#"<a href="https://e.com/?a=1&copy=2">x</a>"#)
            == #"<a href="https://e.com/?a=1&amp;copy=2" rel="noopener noreferrer nofollow">x</a>"#)
    }

    @Test func splitScriptTagIsNotReassembled() {
        let out = HTMLSanitizer.sanitize("<scr<script>ipt>alert(1)</script>")
        assertNoActiveContent(out)
        #expect(!out.contains("<"))
        let out2 = HTMLSanitizer.sanitize("<<script>script>alert(1)<</script>/script>")
        assertNoActiveContent(out2)
        #expect(!out2.contains("<"))
    }

    @Test func scriptAndStyleAreDroppedWithContent() {
        #expect(HTMLSanitizer.sanitize("a<script>alert('<b>x</b>')</script>b") == "ab")
        #expect(HTMLSanitizer.sanitize("a<SCRIPT type=text/javascript>alert(1)</SCRIPT >b") == "ab")
        #expect(HTMLSanitizer.sanitize("a<style>body{background:url(javascript:alert(1))}</style>b") == "ab")
        #expect(HTMLSanitizer.sanitize("a<STYLE>p{}</style><p>b</p>") == "a<p>b</p>")
        // <script/> is not self-closing in HTML: what follows is still script.
        #expect(HTMLSanitizer.sanitize("a<script/>alert(1)</script>b") == "ab")
        // Unclosed script swallows the rest, as in a browser.
        #expect(HTMLSanitizer.sanitize("a<script>alert(1)") == "a")
        // Script and style content is raw text: a "<!--" or "<b" inside does not start markup,
        // and the first real end tag ends the element, as in a browser.
        #expect(HTMLSanitizer.sanitize(#"a<script>var s = "<!--"; if (a<b) {}</script><b>b</b>"#) == "a<b>b</b>")
        #expect(HTMLSanitizer.sanitize("a<style><!-- </style><i>b</i> --></style>") == "a<i>b</i> --&gt;")
        // The end tag must be a real end tag: "</scriptx>" does not end it.
        #expect(HTMLSanitizer.sanitize("a<script>x</scriptx><b>y</b></script>b") == "ab")
    }

    @Test func otherDangerousElementsAreDroppedWithContent() {
        let cases: [(String, String)] = [
            ("a<svg onload=alert(1)><circle/>text</svg>b", "ab"),
            // "/" is not self-closing here: "b" is inside the unclosed <svg>, as in a browser.
            ("a<svg/onload=alert(1)>b", "a"),
            ("a<svg/>b", "ab"),
            ("a<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>b", "ab"),
            ("a<iframe src=\"https://evil\">fallback <b>x</b></iframe>b", "ab"),
            ("a<object data=x><param name=a value=b>fb</object>b", "ab"),
            ("a<embed src=x.swf>b", "ab"),
            ("a<template><img src=x onerror=alert(1)></template>b", "ab"),
            // Browsers end <noscript> at the first </noscript>, even inside a quoted value; so do we,
            // and the <img> that follows is then sanitized like any other.
            ("a<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>b", "a<img>&quot;&gt;b"),
            ("a<svg><svg></svg>still inside</svg>b", "ab"),
        ]
        for (input, expected) in cases {
            let out = HTMLSanitizer.sanitize(input)
            #expect(out == expected, "\(input)")
            assertNoActiveContent(out)
        }
    }

    @Test func commentsAndDoctypeAreDropped() {
        #expect(HTMLSanitizer.sanitize("<!DOCTYPE html><p>a<!-- secret <script>x</script> -->b</p>") == "<p>ab</p>")
        #expect(HTMLSanitizer.sanitize("a<!-->b") == "ab")
        #expect(HTMLSanitizer.sanitize("a<!--x--!>b") == "ab")
        #expect(HTMLSanitizer.sanitize("a<!-- never closed <b>x</b>") == "a")
        #expect(HTMLSanitizer.sanitize("a<?xml version=\"1.0\"?>b<![CDATA[c]]>d") == "abd")
    }

    @Test func unknownTagsAreRemovedButTheirTextKept() {
        #expect(HTMLSanitizer.sanitize("<html><head><meta charset=utf-8><title>T</title></head><body><font color=red>Hi <center>there</center></font></body></html>")
            == "Hi there")
        #expect(HTMLSanitizer.sanitize("<form action=x><input value=v><button>Go</button></form>") == "Go")
        #expect(HTMLSanitizer.sanitize("<custom-el foo=bar>keep</custom-el>") == "keep")
    }

    @Test func unclosedTagsAreClosedAtTheEnd() {
        #expect(HTMLSanitizer.sanitize("<b>bold") == "<b>bold</b>")
        #expect(HTMLSanitizer.sanitize("<div><p><i>x") == "<div><p><i>x</i></p></div>")
        // Misnested end tags close what is inside them; stray end tags are dropped.
        #expect(HTMLSanitizer.sanitize("<b><i>x</b>y</i>") == "<b><i>x</i></b>y")
        #expect(HTMLSanitizer.sanitize("</p></div>text</b>") == "text")
        #expect(HTMLSanitizer.sanitize("x</br>y") == "xy")
    }

    @Test func tagCutOffByTheEndOfInputIsDropped() {
        #expect(HTMLSanitizer.sanitize("ok<img src=x onerror=\"alert(1)") == "ok")
        #expect(HTMLSanitizer.sanitize("ok<a href=") == "ok")
    }

    @Test func strayLessThanAndTextAreEscaped() {
        #expect(HTMLSanitizer.sanitize("1 < 2 and 3 > 2 & \"q\" 'a'") == "1 &lt; 2 and 3 &gt; 2 &amp; &quot;q&quot; &#39;a&#39;")
        #expect(HTMLSanitizer.sanitize("a <3 b <") == "a &lt;3 b &lt;")
        #expect(HTMLSanitizer.sanitize("</ x>y") == "y")
        #expect(HTMLSanitizer.sanitize("a</") == "a&lt;/")
    }

    @Test func entitiesInTextAreDecodedThenReEscaped() {
        #expect(HTMLSanitizer.sanitize("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(HTMLSanitizer.sanitize("caf&eacute; &amp; &#x3B1;&#946; &euro;") == "café &amp; αβ €")
        #expect(HTMLSanitizer.sanitize("&unknown; &") == "&amp;unknown; &amp;")
    }

    @Test func uppercaseAndOddlyQuotedAttributes() {
        #expect(HTMLSanitizer.sanitize("<P>a</P><B>b</b><TD COLSPAN=2>c</TD>") == #"<p>a</p><b>b</b><td colspan="2">c</td>"#)
        #expect(HTMLSanitizer.sanitize("<a href='https://e.com/x?a=\"1\"'>q</a>")
            == #"<a href="https://e.com/x?a=&quot;1&quot;" rel="noopener noreferrer nofollow">q</a>"#)
        #expect(HTMLSanitizer.sanitize("<a\nhref\n=\nhttps://e.com/\n>n</a>")
            == #"<a href="https://e.com/" rel="noopener noreferrer nofollow">n</a>"#)
    }

    @Test func nullCharactersCannotSplitKeywords() {
        let out = HTMLSanitizer.sanitize("<scr\u{0}ipt>alert(1)</script>")
        assertNoActiveContent(out)
        let out2 = HTMLSanitizer.sanitize("<a href=\"java\u{0}script:alert(1)\">x</a>")
        assertNoActiveContent(out2)
    }

    @Test func outputIsStableWhenSanitizedAgain() {
        let inputs = [
            "<p>Hi <b>there<i> you</p><a href='https://x.y/?a=1&b=2'>l</a><img src=cid:1 alt='a\"b'>",
            "<scr<script>ipt>alert(1)</script><svg onload=x>",
            "<table><tr><td colspan=2>x</td></tr></table>& < >",
        ]
        for input in inputs {
            let once = HTMLSanitizer.sanitize(input)
            #expect(HTMLSanitizer.sanitize(once) == once, "\(input)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func largeAndHostileInputsStayFast() {
        let chunk = "<p class=x>Hello <b>w&ouml;rld</b> &amp; <a href='https://e.com/?a=1&b=2'>link</a><img src=x onerror=y><!-- c --></p>"
        let big = String(repeating: chunk, count: 20_000)
        let out = HTMLSanitizer.sanitize(big)
        #expect(out.components(separatedBy: "<b>wörld</b>").count - 1 == 20_000)
        #expect(!out.contains("onerror"))
        #expect(HTMLSanitizer.plainText(fromHTML: big).hasPrefix("Hello wörld & link"))
        // Pathological shapes: many unclosed dropped elements, lists, stray "<", open comments.
        for hostile in [
            String(repeating: "<svg>", count: 50_000) + String(repeating: "</math>", count: 50_000),
            String(repeating: "<ul><li>", count: 50_000) + "x",
            String(repeating: "< <a <!", count: 50_000),
            String(repeating: "&#x6A;&amp", count: 50_000),
        ] {
            _ = HTMLSanitizer.sanitize(hostile)
            _ = HTMLSanitizer.plainText(fromHTML: hostile)
        }
    }

    @Test func deepNestingIsBounded() {
        let deep = String(repeating: "<div>", count: 5_000) + "x"
        let out = HTMLSanitizer.sanitize(deep)
        #expect(out.components(separatedBy: "<div>").count - 1 == HTMLSanitizer.maxDepth)
        #expect(out.components(separatedBy: "</div>").count - 1 == HTMLSanitizer.maxDepth)
        #expect(out.contains("x"))
    }
}

// MARK: - HTMLSanitizer.plainText

@Suite("HTMLSanitizer.plainText")
struct HTMLPlainTextTests {
    @Test func blocksAndBreaksBecomeNewlines() {
        #expect(HTMLSanitizer.plainText(fromHTML: "<p>Hello</p><p>World</p>") == "Hello\n\nWorld")
        #expect(HTMLSanitizer.plainText(fromHTML: "one<br>two<BR/>three") == "one\ntwo\nthree")
        #expect(HTMLSanitizer.plainText(fromHTML: "<div>a</div><div>b</div>") == "a\nb")
        #expect(HTMLSanitizer.plainText(fromHTML: "<h1>Title</h1>Body") == "Title\n\nBody")
    }

    @Test func entitiesAreDecoded() {
        #expect(HTMLSanitizer.plainText(fromHTML: "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;") == "a & b <c> \"d\" 'e'")
        #expect(HTMLSanitizer.plainText(fromHTML: "&#72;&#x69;&nbsp;there &#8364;5") == "Hi there €5")
        #expect(HTMLSanitizer.plainText(fromHTML: "&#150; &#0; x") == "\u{2013} \u{FFFD} x")
    }

    @Test func scriptsStylesAndCommentsAreDropped() {
        let html = "<html><head><style>p { color: red }</style><title>Mail</title><script>var x = '<p>';</script></head><body><!-- c --><p>Visible</p></body></html>"
        #expect(HTMLSanitizer.plainText(fromHTML: html) == "Visible")
    }

    @Test func sourceWhitespaceCollapsesButPreIsKept() {
        #expect(HTMLSanitizer.plainText(fromHTML: "<p>  Hello\n   world  </p>\n\n\n<p> again </p>") == "Hello world\n\nagain")
        #expect(HTMLSanitizer.plainText(fromHTML: "<pre>\n  a\n    b</pre>after") == "a\n    b\n\nafter")
    }

    @Test func manyBlankLinesCollapseToOne() {
        #expect(HTMLSanitizer.plainText(fromHTML: "a<br><br><br><br><br>b") == "a\n\nb")
        #expect(HTMLSanitizer.plainText(fromHTML: "<p>a</p><p></p><p></p><div></div><p>b</p>") == "a\n\nb")
        #expect(!HTMLSanitizer.plainText(fromHTML: "<p>x</p>\n\n\n\n<p>y</p><br><br><br>").contains("\n\n\n"))
    }

    @Test func listsAndTables() {
        #expect(HTMLSanitizer.plainText(fromHTML: "Intro<ul><li>one</li><li>two</li></ul>End")
            == "Intro\n\n- one\n- two\n\nEnd")
        #expect(HTMLSanitizer.plainText(fromHTML: "<ol><li>first<li>second</ol>") == "1. first\n2. second")
        #expect(HTMLSanitizer.plainText(fromHTML: "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>")
            == "a\tb\nc\td")
    }

    @Test func quotedReplyInAnEmail() {
        let html = """
        <div dir="ltr">Ευχαριστώ!<br></div><br><div class="gmail_quote"><div>On Mon, Ana wrote:<br></div>\
        <blockquote style="margin:0">Poštovani,<br>račun je u privitku.</blockquote></div>
        """
        #expect(HTMLSanitizer.plainText(fromHTML: html)
            == "Ευχαριστώ!\n\nOn Mon, Ana wrote:\n\nPoštovani,\nračun je u privitku.")
    }

    @Test func droppedElementsAndUnclosedTags() {
        #expect(HTMLSanitizer.plainText(fromHTML: "<b>bold<svg><text>hidden</text></svg> <noscript>n</noscript>end")
            == "bold end")
        #expect(HTMLSanitizer.plainText(fromHTML: "<p>a<script>alert(1)") == "a")
    }

    @Test func plainInputIsTrimmedText() {
        #expect(HTMLSanitizer.plainText(fromHTML: "   just text  \n") == "just text")
        #expect(HTMLSanitizer.plainText(fromHTML: "") == "")
        #expect(HTMLSanitizer.plainText(fromHTML: "1 < 2 > 0") == "1 < 2 > 0")
    }
}

// MARK: - IdentityNormalizer

@Suite("IdentityNormalizer")
struct IdentityNormalizerTests {
    @Test func validEmailsAreTrimmedAndLowercased() {
        #expect(IdentityNormalizer.email("  Ana.Horvat@Example.HR \n") == "ana.horvat@example.hr")
        #expect(IdentityNormalizer.email("o+tag@mail.example.gr") == "o+tag@mail.example.gr")
    }

    @Test("invalid e-mails are rejected", arguments: [
        "", "   ", "plain", "@example.com", "ana@", "ana@localhost", "ana@@example.com",
        "ana@b@example.com", "ana horvat@example.com", "ana@exa mple.com", "ana@.com",
        "ana@example.", "ana@example..com", "ana\t@example.com",
    ])
    func invalidEmails(input: String) {
        #expect(IdentityNormalizer.email(input) == nil)
    }

    @Test("Greek numbers", arguments: [
        ("6912345678", "+306912345678"),
        ("691 234 5678", "+306912345678"),
        ("2101234567", "+302101234567"),
        ("(210) 123-4567", "+302101234567"),
        ("210.123.4567", "+302101234567"),
        ("+30 691 234 5678", "+306912345678"),
        ("0030 6912345678", "+306912345678"),
    ])
    func greek(input: String, expected: String) {
        #expect(IdentityNormalizer.phone(input) == expected)
        #expect(IdentityNormalizer.phone(input, defaultCountry: "GR") == expected)
    }

    @Test("Croatian numbers", arguments: [
        ("091 234 5678", "+385912345678"),
        ("01 2345 678", "+38512345678"),
        ("021-123-456", "+38521123456"),
        ("+385 91 234 5678", "+385912345678"),
        ("00385912345678", "+385912345678"),
        ("+385 (0)91 234 5678", "+385912345678"),
    ])
    func croatian(input: String, expected: String) {
        #expect(IdentityNormalizer.phone(input, defaultCountry: "HR") == expected)
        #expect(IdentityNormalizer.phone(input, defaultCountry: "hr") == expected)
    }

    @Test func internationalNumbersDoNotDependOnTheDefaultCountry() {
        #expect(IdentityNormalizer.phone("+44 20 7946 0958", defaultCountry: "HR") == "+442079460958")
        #expect(IdentityNormalizer.phone("+44 20 7946 0958") == "+442079460958")
    }

    @Test("invalid phone numbers are rejected", arguments: [
        "", "abc", "12345", "+30 69", "+1234567", "+1234567890123456", "+0 123 456 789",
        "5912345678", "691234567", "69123456789", "0691234567", "+30 691 234 567x",
        "+30 691 234 5678 ext 5", "++306912345678",
    ])
    func invalidPhones(input: String) {
        #expect(IdentityNormalizer.phone(input) == nil)
    }

    @Test func nationalRulesBelongToTheirCountry() {
        // A Croatian national number is not Greek, and vice versa.
        #expect(IdentityNormalizer.phone("091 234 5678", defaultCountry: "GR") == nil)
        #expect(IdentityNormalizer.phone("6912345678", defaultCountry: "HR") == nil)
        #expect(IdentityNormalizer.phone("0912345678", defaultCountry: "XX") == nil)
        #expect(IdentityNormalizer.phone("+306912345678", defaultCountry: "XX") == "+306912345678")
    }

    @Test func boundsOfTheE164Length() {
        #expect(IdentityNormalizer.phone("+12345678") == "+12345678")  // 8 digits
        #expect(IdentityNormalizer.phone("+123456789012345") == "+123456789012345")  // 15 digits
    }
}
