import Foundation

/// The one way text is folded for search, used both when indexing (`search_text` columns)
/// and when reading a user's query, so that "Παράπονο", "ΠΑΡΑΠΟΝΟ" and "παραπονο" all match,
/// and so do "Želim" and "zelim".
///
/// Folding: Unicode compatibility decomposition (ligatures, full-width forms), lower case,
/// combining diacritics removed (Greek tonos and dialytika, Croatian háček and acute, …),
/// letters with a stroke that have no decomposition mapped by hand (đ → d, ł → l, ø → o, ħ → h,
/// dotless ı → i), Greek final sigma ς → σ, invisible format characters (soft hyphen,
/// zero-width space, BOM) removed, runs of whitespace and control characters collapsed to
/// one space, trimmed. The result is NFC. Works the same on Linux and Apple platforms: it
/// does not depend on locale-sensitive `folding(options:locale:)`.
public enum SearchFolding {
    /// The most terms `terms(_:)` returns.
    public static let maxTerms = 16
    /// The most characters of one term `terms(_:)` keeps.
    public static let maxTermLength = 64

    public static func fold(_ s: String) -> String {
        // Compatibility decomposition first: it can produce upper-case letters (ℍ → H, Ⅻ → XII),
        // so lower-case after it, then decompose again in case lower-casing produced anything
        // precomposed (it practically never does, and this is cheap).
        let lowered = s.decomposedStringWithCompatibilityMapping.lowercased()
            .decomposedStringWithCompatibilityMapping

        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in lowered.unicodeScalars {
            if isCombiningDiacritic(u) { continue }
            let category = u.properties.generalCategory
            if category == .format { continue }  // soft hyphen, ZWSP, ZWJ, BOM, bidi marks
            if u.properties.isWhitespace || category == .control {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(strokeFold(u))
        }
        return String(out).precomposedStringWithCanonicalMapping
    }

    /// Folds a user's query and splits it into words: runs of letters and digits; punctuation
    /// and symbols separate words and are dropped. At most `maxTerms` terms, each cut to
    /// `maxTermLength` characters.
    public static func terms(_ query: String) -> [String] {
        var result: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty, result.count < maxTerms {
                result.append(String(current.prefix(maxTermLength)))
            }
            current = ""
        }
        for ch in fold(query) {
            if result.count >= maxTerms { break }
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    /// Combining diacritical marks of the Latin, Greek and Cyrillic scripts (and the generic
    /// combining blocks). Marks of other scripts (Indic vowel signs, Hebrew points, …) carry
    /// meaning and are kept.
    private static func isCombiningDiacritic(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
            return true
        default:
            return false
        }
    }

    /// Letters that Unicode does not decompose into base + mark, folded by hand.
    /// Input is already lower case.
    private static func strokeFold(_ u: Unicode.Scalar) -> Unicode.Scalar {
        switch u {
        case "ς": return "σ"  // Greek final sigma
        case "đ": return "d"  // Croatian/Serbian d with stroke (U+0111)
        case "ð": return "d"  // eth, often typed for đ
        case "ł": return "l"
        case "ø": return "o"
        case "ħ": return "h"
        case "ı": return "i"  // dotless i
        default: return u
        }
    }
}
