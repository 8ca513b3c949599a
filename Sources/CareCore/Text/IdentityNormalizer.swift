import Foundation

/// Normal forms of customer addresses, so one person is one identity however they typed it.
public enum IdentityNormalizer {
    /// A lower-cased, trimmed e-mail address, or nil when it is not one: exactly one `@`, a
    /// non-empty local part (at most 64 characters), a domain with a dot and no empty labels,
    /// no whitespace or control characters, at most 254 characters in all.
    public static func email(_ s: String) -> String? {
        let e = s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !e.isEmpty, e.utf8.count <= 254 else { return nil }
        guard !e.unicodeScalars.contains(where: {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control
        }) else { return nil }
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, domain.contains(".") else { return nil }
        guard !domain.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            return nil
        }
        return e
    }

    /// A phone number in E.164 form (`+306912345678`), or nil.
    ///
    /// Spaces, dashes, dots, slashes and parentheses are removed (and a trunk `(0)` after an
    /// international prefix, as in `+385 (0)91 …`). `00` becomes `+`. A number without `+`
    /// is read as a national number of `defaultCountry`:
    /// - `GR`: ten digits starting with `2` (landline) or `69` (mobile), prefixed with `+30`;
    /// - `HR`: a trunk `0` followed by the number (`091 234 5678`, `01 2345 678`): the `0` is
    ///   replaced by `+385`.
    /// The result must be `+` and 8 to 15 digits, the first not `0`.
    public static func phone(_ s: String, defaultCountry: String = "GR") -> String? {
        var raw = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if raw.hasPrefix("+") || raw.hasPrefix("00") {
            raw = raw.replacingOccurrences(of: "(0)", with: "")
        }
        var compact = ""
        for u in raw.unicodeScalars {
            if u.properties.isWhitespace || separators.contains(u) { continue }
            compact.unicodeScalars.append(u)
        }

        let international: String
        if compact.hasPrefix("+") {
            international = String(compact.dropFirst())
        } else if compact.hasPrefix("00") {
            international = String(compact.dropFirst(2))
        } else {
            guard isDigits(compact), let national = nationalToInternational(compact, country: defaultCountry) else {
                return nil
            }
            international = national
        }
        guard isDigits(international), (8...15).contains(international.utf8.count),
              international.first != "0" else { return nil }
        return "+" + international
    }

    private static let separators: Set<Unicode.Scalar> = [
        "-", ".", "(", ")", "/", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}",
    ]

    /// Digits of the international number (country code first) for a national number.
    private static func nationalToInternational(_ digits: String, country: String) -> String? {
        switch country.uppercased() {
        case "GR":
            guard digits.utf8.count == 10, digits.hasPrefix("2") || digits.hasPrefix("69") else { return nil }
            return "30" + digits
        case "HR":
            guard digits.hasPrefix("0"), !digits.hasPrefix("00"), (8...10).contains(digits.utf8.count) else {
                return nil
            }
            return "385" + digits.dropFirst()
        default:
            return nil
        }
    }

    private static func isDigits(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
