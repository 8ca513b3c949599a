import Foundation

/// Recognises mail that a machine sent on someone's behalf (out-of-office and vacation
/// replies, list and bulk mail, delivery and read reports), so that the help desk never
/// answers it automatically and no mail loop starts.
public enum AutoReplyDetection {
    /// Why the message looks automatic, or nil. Checked, in order:
    /// - `Auto-Submitted` with any value other than `no` (RFC 3834);
    /// - `X-Autoreply`, `X-Autorespond`, `X-Autoresponder` (any value but `no`);
    /// - `Precedence` or `X-Precedence` `bulk`, `junk`, `list` or `auto_reply`;
    /// - Content-Type multipart/report (delivery status and read receipts), X-Failed-Recipients;
    /// - `Return-Path: <>` (the null sender bounces and auto-replies use);
    /// - a subject that starts with an out-of-office phrase in English, Greek or Croatian
    ///   ("Out of office", "Automatic reply", "Εκτός γραφείου", "Αυτόματη απάντηση",
    ///   "Odsutan/Odsutna iz ureda", "Automatski odgovor", …), compared folded (no case,
    ///   no accents), so "ΕΚΤΟΣ ΓΡΑΦΕΙΟΥ" matches too.
    public static func reason(headers: MailHeaders, subject: String?) -> String? {
        if let value = headers["Auto-Submitted"] {
            let kind = value.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if !kind.isEmpty && kind != "no" { return "Auto-Submitted: \(kind)" }
        }
        for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
            if let value = headers[name], value.trimmingCharacters(in: .whitespaces).lowercased() != "no" {
                return "\(name) header"
            }
        }
        for name in ["Precedence", "X-Precedence"] {
            if let value = headers[name]?.trimmingCharacters(in: .whitespaces).lowercased(),
               ["bulk", "junk", "list", "auto_reply"].contains(value) {
                return "Precedence: \(value)"
            }
        }
        if let type = headers["Content-Type"].flatMap(ContentType.init(headerValue:)), type.mimeType == "multipart/report" {
            return "delivery or read report"
        }
        if headers.contains("X-Failed-Recipients") { return "delivery failure report" }
        if let returnPath = headers["Return-Path"], returnPath.filter({ !$0.isWhitespace }) == "<>" {
            return "null sender (Return-Path: <>)"
        }
        if let subject, let phrase = outOfOfficePhrase(in: subject) {
            return "subject starts with \"\(phrase)\""
        }
        return nil
    }

    /// Folded phrases an automatic reply's subject starts with.
    static let subjectPhrases: [String] = [
        // English (Outlook, Exchange, Gmail, Apple, Thunderbird)
        "out of office", "out of the office", "automatic reply", "auto reply", "autoreply",
        "auto response", "autoresponse", "automated response", "away from the office",
        "away from office", "vacation reply", "on vacation", "i am out of the office",
        "i'm out of the office", "on leave",
        // Greek
        "εκτος γραφειου", "αυτοματη απαντηση", "απουσια απο το γραφειο", "βρισκομαι εκτος γραφειου",
        "αυτοματη αποκριση",
        // Croatian
        "odsutan iz ureda", "odsutna iz ureda", "odsutnost iz ureda", "izvan ureda",
        "nisam u uredu", "automatski odgovor",
        // German, common in the region's mail
        "abwesenheitsnotiz", "automatische antwort",
    ].map(PhraseFolding.fold)  // folded like the subject (ς → σ, accents removed)

    static func outOfOfficePhrase(in subject: String) -> String? {
        let folded = PhraseFolding.fold(subject.replacingOccurrences(of: "-", with: " "))
        return subjectPhrases.first { folded.hasPrefix($0) }
    }
}
