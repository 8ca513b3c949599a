import Foundation

/// Case- and accent-insensitive form of a line, for matching it against the fixed phrases mail clients
/// write ("Εκτός γραφείου", "Proslijeđena poruka", "Original Message"). Not the search index's folding
/// (CareCore's SearchFolding): CareMail is protocol code on Foundation alone, and comparing with a short
/// known list needs only lower case, no accents, one kind of sigma and single spaces.
enum PhraseFolding {
    static func fold(_ s: String) -> String {
        s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .replacingOccurrences(of: "ς", with: "σ")
            .replacingOccurrences(of: "đ", with: "d")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
