import Foundation

/// Splits the plain text of a reply into what the sender wrote now and the quoted history
/// below it, so the agent view can fold the history away. Nothing is lost:
/// `visible + "\n" + quoted` gives back the text (without trailing blank lines of `visible`).
public enum QuotedHistory {
    public struct Split: Sendable, Equatable {
        /// The new text, trailing blank lines removed.
        public var visible: String
        /// From the reply header (or the first quoted line) on; empty when there is none.
        public var quoted: String
    }

    /// Finds the earliest of, outside lines already quoted with `>`:
    /// - a reply header line (possibly wrapped over up to three lines) ending in
    ///   "wrote:" (Gmail, Apple Mail, Thunderbird), "έγραψε:" (Greek: "Στις … έγραψε:",
    ///   "Ο/Η … έγραψε:"), "napisao:" / "napisala:" / "napisao je:" / "napisala je:" /
    ///   "napisao/la je:" (Croatian, "Dana … napisao/la je:"), "schrieb:"; it must start like a
    ///   reply header ("On ", "Στις ", "Ο/Η ", "Dana ", …) and name a date or address, or name
    ///   both a date and an address, or be followed by a `>` line;
    /// - Outlook's separators "-----Original Message-----" (and the Greek "Αρχικό μήνυμα",
    ///   Croatian "Izvorna poruka" forms), or an Outlook header block: a From line ("From:",
    ///   "Από:", "Od:", "Šalje:") with a Sent/Date line ("Sent:", "Date:", "Στάλθηκε:",
    ///   "Ημερομηνία:", "Poslano:", "Datum:") within the next three lines; a line of
    ///   underscores right above it belongs to it;
    /// - a tail of `>`-quoted lines (only quoted and blank lines to the end).
    /// After a forward marker ("---------- Forwarded message ---------", "Begin forwarded
    /// message:", "Proslijeđena poruka", "Προωθημένο μήνυμα") nothing is cut: a forward is the
    /// content the customer wants us to read.
    public static func split(_ text: String) -> Split {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let cut = cutIndex(lines) else {
            return Split(visible: trimTrailingBlankLines(lines[...]), quoted: "")
        }
        return Split(
            visible: trimTrailingBlankLines(lines[..<cut]),
            quoted: lines[cut...].joined(separator: "\n"))
    }

    static func cutIndex(_ lines: [String]) -> Int? {
        for index in lines.indices {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix(">") { continue }
            // What follows a forward marker is the forwarded content, not history.
            if isForwardMarker(line) { return nil }
            if isReplyHeader(lines, at: index) { return index }
            if isOriginalMessageSeparator(line) { return index }
            if isOutlookBlock(lines, at: index) {
                if index > 0, isUnderscoreLine(lines[index - 1]) { return index - 1 }
                return index
            }
        }
        return quotedTailStart(lines)
    }

    // MARK: - "On … wrote:"

    private static let replyEndings = [
        "wrote:", "έγραψε:", "εγραψε:", "napisao:", "napisala:", "napisao je:", "napisala je:",
        "napisao/la je:", "je napisao/la:", "napisao/la:", "je napisao(la):", "schrieb:", "a écrit :", "a écrit:",
    ]
    private static let replyStarts = [
        "on ", "στις ", "ο/η ", "ο χρήστης ", "η χρήστης ", "dana ", "am ", "le ", "el ",
    ]

    private static func isReplyHeader(_ lines: [String], at index: Int) -> Bool {
        var joined = ""
        var end = index
        while end < lines.count, end < index + 3 {
            let line = lines[end].trimmingCharacters(in: .whitespaces)
            if end > index {
                // Only a line that starts like a header or names a date may be wrapped on.
                if line.isEmpty || line.hasPrefix(">") { break }
                let first = lines[index].trimmingCharacters(in: .whitespaces).lowercased()
                if !(startsLikeHeader(first) || first.contains(where: \.isNumber)) { break }
            }
            joined += (joined.isEmpty ? "" : " ") + line
            let lower = joined.lowercased()
            if joined.count <= 400, replyEndings.contains(where: { lower.hasSuffix($0) }) {
                // A reply header names a date or an address; a sentence that merely ends in
                // "wrote:" counts only when quoted lines follow it.
                let hasDigit = lower.contains(where: \.isNumber)
                let hasAddress = lower.contains("@")
                let knownStart = startsLikeHeader(lower)
                if knownStart && (hasDigit || hasAddress) { return true }
                if hasDigit && hasAddress { return true }
                return nextNonBlankIsQuoted(lines, after: end)
            }
            end += 1
        }
        return false
    }

    private static func startsLikeHeader(_ lower: String) -> Bool {
        replyStarts.contains(where: { lower.hasPrefix($0) })
            || lower.hasPrefix("ο ") || lower.hasPrefix("η ")  // "Ο Γιάννης … έγραψε:"
    }

    private static func nextNonBlankIsQuoted(_ lines: [String], after index: Int) -> Bool {
        var k = index + 1
        while k < lines.count {
            let line = lines[k].trimmingCharacters(in: .whitespaces)
            if !line.isEmpty { return line.hasPrefix(">") }
            k += 1
        }
        return false
    }

    // MARK: - Outlook

    private static func isOriginalMessageSeparator(_ line: String) -> Bool {
        guard line.hasPrefix("---") || line.hasPrefix("___") else { return false }
        let core = PhraseFolding.fold(line.trimmingCharacters(in: CharacterSet(charactersIn: "-_ ")))
        return ["original message", "αρχικο μηνυμα", "izvorna poruka", "originalna poruka", "ursprungliche nachricht"]
            .contains(core)
    }

    private static let forwardMarkers = [
        "forwarded message", "begin forwarded message", "proslijeđena poruka", "prosljeđena poruka",
        "προωθημένο μήνυμα", "weitergeleitete nachricht",
    ].map(PhraseFolding.fold)

    private static func isForwardMarker(_ line: String) -> Bool {
        guard line.count <= 80 else { return false }
        let folded = PhraseFolding.fold(line)
        return forwardMarkers.contains { folded.contains($0) }
    }

    private static let fromLabels = ["from:", "από:", "απο:", "od:", "šalje:", "salje:", "von:"]
    private static let sentLabels = ["sent:", "date:", "στάλθηκε:", "σταλθηκε:", "ημερομηνία:", "poslano:", "datum:", "gesendet:"]

    private static func isOutlookBlock(_ lines: [String], at index: Int) -> Bool {
        let line = lines[index].trimmingCharacters(in: .whitespaces).lowercased()
        let plain = line.replacingOccurrences(of: "*", with: "")  // "*From:* …" from HTML
        guard fromLabels.contains(where: { plain.hasPrefix($0) }) else { return false }
        var k = index + 1
        while k < lines.count, k <= index + 3 {
            let next = lines[k].trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "*", with: "")
            if sentLabels.contains(where: { next.hasPrefix($0) }) { return true }
            k += 1
        }
        return false
    }

    private static func isUnderscoreLine(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.count >= 10 && t.allSatisfy { $0 == "_" }
    }

    // MARK: - "> " tail

    private static func quotedTailStart(_ lines: [String]) -> Int? {
        var start: Int?
        var index = lines.count - 1
        while index >= 0 {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix(">") {
                start = index
            } else if !line.isEmpty {
                break
            }
            index -= 1
        }
        return start
    }

    private static func trimTrailingBlankLines(_ lines: ArraySlice<String>) -> String {
        var slice = lines
        while let last = slice.last, last.trimmingCharacters(in: .whitespaces).isEmpty { slice = slice.dropLast() }
        return slice.joined(separator: "\n")
    }
}
