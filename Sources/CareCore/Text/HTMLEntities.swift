import Foundation

/// Decoding of HTML character references (`&amp;`, `&#106;`, `&#x6A;`), following the HTML
/// rules closely enough that what we decode is what a browser would see: numeric references
/// without `;` and with leading zeros, the Windows-1252 remapping of `&#128;`–`&#159;`,
/// invalid code points to U+FFFD, and the legacy named references without `;`.
enum HTMLEntities {
    /// Decodes the character references in `s`. In attribute values (`inAttribute`) a legacy
    /// reference without `;` followed by a letter, digit or `=` is left alone, as browsers do
    /// (so `?a=1&copy=2` stays intact).
    static func decode(_ s: String, inAttribute: Bool) -> String {
        guard s.unicodeScalars.contains("&") else { return s }
        let input = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        let n = input.count
        while i < n {
            let u = input[i]
            guard u == "&" else {
                out.append(u)
                i += 1
                continue
            }
            if i + 1 < n, input[i + 1] == "#" {
                if let (scalar, next) = numericReference(input, at: i) {
                    out.append(scalar)
                    i = next
                } else {
                    out.append("&")
                    i += 1
                }
                continue
            }
            if let (replacement, next) = namedReference(input, at: i, inAttribute: inAttribute) {
                // Element by element: append(contentsOf:) on a UnicodeScalarView is not amortized O(1).
                for r in replacement.unicodeScalars { out.append(r) }
                i = next
            } else {
                out.append("&")
                i += 1
            }
        }
        return String(out)
    }

    /// `&#…` at `i`: returns the scalar and the index after the reference.
    private static func numericReference(_ s: [Unicode.Scalar], at i: Int) -> (Unicode.Scalar, Int)? {
        var j = i + 2
        let n = s.count
        var hex = false
        if j < n, s[j] == "x" || s[j] == "X" {
            hex = true
            j += 1
        }
        var value: UInt32 = 0
        var digits = 0
        while j < n, let d = digitValue(s[j], hex: hex) {
            // Saturate: anything past the Unicode range is invalid either way.
            value = min(value &* (hex ? 16 : 10) &+ d, 0x110000)
            digits += 1
            j += 1
        }
        guard digits > 0 else { return nil }
        if j < n, s[j] == ";" { j += 1 }
        return (scalarForReference(value), j)
    }

    private static func digitValue(_ u: Unicode.Scalar, hex: Bool) -> UInt32? {
        switch u.value {
        case 0x30...0x39: return u.value - 0x30
        case 0x41...0x46 where hex: return u.value - 0x41 + 10
        case 0x61...0x66 where hex: return u.value - 0x61 + 10
        default: return nil
        }
    }

    private static func scalarForReference(_ value: UInt32) -> Unicode.Scalar {
        if value == 0 || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) {
            return "\u{FFFD}"
        }
        if (0x80...0x9F).contains(value), let mapped = windows1252[value] {
            return mapped
        }
        return Unicode.Scalar(value) ?? "\u{FFFD}"
    }

    /// `&name;` at `i`.
    private static func namedReference(_ s: [Unicode.Scalar], at i: Int, inAttribute: Bool) -> (String, Int)? {
        var j = i + 1
        let n = s.count
        var name = ""
        while j < n, j - i <= 32, isASCIIAlphanumeric(s[j]) {
            name.unicodeScalars.append(s[j])
            j += 1
        }
        guard !name.isEmpty else { return nil }
        if j < n, s[j] == ";", let value = named[name] {
            return (value, j + 1)
        }
        // Legacy references may appear without the semicolon: take the longest one that
        // prefixes the run of letters.
        var best: String?
        for legacy in legacyNames where name.hasPrefix(legacy) {
            if best == nil || legacy.count > best!.count { best = legacy }
        }
        guard let legacy = best, let value = named[legacy] else { return nil }
        let end = i + 1 + legacy.unicodeScalars.count
        if inAttribute, end < n, isASCIIAlphanumeric(s[end]) || s[end] == "=" {
            return nil
        }
        return (value, end)
    }

    static func isASCIIAlphanumeric(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    private static let legacyNames: [String] = [
        "amp", "lt", "gt", "quot", "nbsp", "copy", "reg", "AMP", "LT", "GT", "QUOT", "COPY", "REG",
    ]

    private static let windows1252: [UInt32: Unicode.Scalar] = [
        0x80: "\u{20AC}", 0x82: "\u{201A}", 0x83: "\u{0192}", 0x84: "\u{201E}", 0x85: "\u{2026}",
        0x86: "\u{2020}", 0x87: "\u{2021}", 0x88: "\u{02C6}", 0x89: "\u{2030}", 0x8A: "\u{0160}",
        0x8B: "\u{2039}", 0x8C: "\u{0152}", 0x8E: "\u{017D}", 0x91: "\u{2018}", 0x92: "\u{2019}",
        0x93: "\u{201C}", 0x94: "\u{201D}", 0x95: "\u{2022}", 0x96: "\u{2013}", 0x97: "\u{2014}",
        0x98: "\u{02DC}", 0x99: "\u{2122}", 0x9A: "\u{0161}", 0x9B: "\u{203A}", 0x9C: "\u{0153}",
        0x9E: "\u{017E}", 0x9F: "\u{0178}",
    ]

    /// Named references: the common ASCII ones (including those used to obfuscate URLs such
    /// as `&colon;` and `&Tab;`), all of Latin-1, Greek, Croatian letters and typography.
    static let named: [String: String] = {
        var table: [String: String] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
            "AMP": "&", "LT": "<", "GT": ">", "QUOT": "\"", "COPY": "\u{A9}", "REG": "\u{AE}",
            "Tab": "\t", "NewLine": "\n", "colon": ":", "lpar": "(", "rpar": ")", "sol": "/",
            "bsol": "\\", "period": ".", "comma": ",", "excl": "!", "quest": "?", "num": "#",
            "percnt": "%", "semi": ";", "equals": "=", "plus": "+", "commat": "@",
            "lsqb": "[", "rsqb": "]", "lbrack": "[", "rbrack": "]", "lcub": "{", "rcub": "}",
            "lbrace": "{", "rbrace": "}", "verbar": "|", "vert": "|", "grave": "`", "Hat": "^",
            "lowbar": "_", "dollar": "$", "ast": "*", "midast": "*", "hyphen": "\u{2010}",
            "ndash": "\u{2013}", "mdash": "\u{2014}", "lsquo": "\u{2018}", "rsquo": "\u{2019}",
            "sbquo": "\u{201A}", "ldquo": "\u{201C}", "rdquo": "\u{201D}", "bdquo": "\u{201E}",
            "hellip": "\u{2026}", "bull": "\u{2022}", "dagger": "\u{2020}", "Dagger": "\u{2021}",
            "permil": "\u{2030}", "prime": "\u{2032}", "Prime": "\u{2033}", "lsaquo": "\u{2039}",
            "rsaquo": "\u{203A}", "euro": "\u{20AC}", "trade": "\u{2122}", "larr": "\u{2190}",
            "uarr": "\u{2191}", "rarr": "\u{2192}", "darr": "\u{2193}", "harr": "\u{2194}",
            "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}", "zwnj": "\u{200C}",
            "zwj": "\u{200D}", "lrm": "\u{200E}", "rlm": "\u{200F}", "minus": "\u{2212}",
            "hearts": "\u{2665}", "check": "\u{2713}", "OElig": "\u{152}", "oelig": "\u{153}",
            "Scaron": "\u{160}", "scaron": "\u{161}", "Zcaron": "\u{17D}", "zcaron": "\u{17E}",
            "Ccaron": "\u{10C}", "ccaron": "\u{10D}", "Cacute": "\u{106}", "cacute": "\u{107}",
            "Dstrok": "\u{110}", "dstrok": "\u{111}", "Yuml": "\u{178}", "fnof": "\u{192}",
            "circ": "\u{2C6}", "tilde": "\u{2DC}",
        ]
        let latin1 = [
            "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy",
            "ordf", "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute",
            "micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12",
            "frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
            "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
            "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash",
            "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute",
            "acirc", "atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc",
            "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute",
            "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml",
            "yacute", "thorn", "yuml",
        ]
        assert(latin1.count == 96)
        for (offset, name) in latin1.enumerated() {
            table[name] = String(Character(Unicode.Scalar(UInt32(0xA0 + offset))!))
        }
        let greekUpper = [
            "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa",
            "Lambda", "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho", "", "Sigma", "Tau", "Upsilon",
            "Phi", "Chi", "Psi", "Omega",
        ]
        for (offset, name) in greekUpper.enumerated() where !name.isEmpty {
            table[name] = String(Character(Unicode.Scalar(UInt32(0x391 + offset))!))
        }
        let greekLower = [
            "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
            "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigmaf", "sigma", "tau", "upsilon",
            "phi", "chi", "psi", "omega",
        ]
        for (offset, name) in greekLower.enumerated() {
            table[name] = String(Character(Unicode.Scalar(UInt32(0x3B1 + offset))!))
        }
        return table
    }()
}
