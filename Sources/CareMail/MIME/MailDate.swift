import Foundation

/// RFC 5322 dates (`Mon, 3 Feb 2025 10:15:00 +0100`), reading the obsolete forms too.
public enum MailDate {
    /// Parses a Date header, or nil when it cannot be read. Accepted:
    /// - optional day name (any case, with or without comma; ignored);
    /// - day, month name (English, 3 letters or full), year in any order the wild uses,
    ///   including `03-Feb-2025` and asctime's `Mon Feb  3 10:15:00 2025`;
    /// - two-digit years (< 50 → 20xx, else 19xx) and three-digit years (+1900);
    /// - time `hh:mm` or `hh:mm:ss` (a leap second 60 becomes 59);
    /// - zones `+hhmm`/`-hhmm`, `+hh:mm`, `UT`, `GMT`, `Z`, the US names (EST, EDT, CST, CDT,
    ///   MST, MDT, PST, PDT), other letters/military zones as +0000 (RFC 5322 says they
    ///   carry no information), a missing zone as +0000; a trailing comment `(CET)` ignored;
    /// - ISO 8601 `2025-02-03T10:15:00Z` as a courtesy.
    public static func parse(_ value: String) -> Date? {
        var text = value
        // Drop comments.
        while let open = text.firstIndex(of: "("), let close = text[open...].firstIndex(of: ")") {
            text.removeSubrange(open...close)
        }
        if let iso = parseISO(text) { return iso }
        let separators: Set<Character> = [" ", "\t", ",", "\r", "\n"]
        var tokens: [Substring] = []
        for word in text.split(whereSeparator: { separators.contains($0) }) {
            // "03-Feb-2025" → 03 Feb 2025 (but keep "-0500").
            if word.first != "-", word.contains("-"), word.contains(where: \.isLetter) {
                tokens.append(contentsOf: word.split(separator: "-"))
            } else {
                tokens.append(word)
            }
        }
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        var offset: Int?  // seconds east of UTC
        for token in tokens {
            if token.contains(":"), time == nil, token.first?.isNumber == true {
                time = parseTime(token)
                if time == nil { return nil }
                continue
            }
            if let first = token.first, first == "+" || first == "-", token.count >= 3, offset == nil {
                offset = parseNumericZone(token)
                if offset == nil { return nil }
                continue
            }
            if token.allSatisfy(\.isASCII), token.allSatisfy(\.isNumber) {
                guard token.count <= 4, let n = Int(token) else { return nil }
                if token.count <= 2, day == nil, (1...31).contains(n) {
                    day = n
                } else if year == nil {
                    year = n
                } else {
                    return nil
                }
                continue
            }
            if token.allSatisfy(\.isLetter) {
                let lower = token.lowercased()
                if month == nil, lower.count >= 3, let m = months[String(lower.prefix(3))] {
                    month = m
                    continue
                }
                if dayNames.contains(String(lower.prefix(3))) { continue }
                if offset == nil, time != nil, let zone = namedZone(lower) {
                    offset = zone
                    continue
                }
                if lower == "am" || lower == "pm" { continue }
                continue  // unknown words are ignored
            }
        }
        guard let d = day, let m = month, var y = year else { return nil }
        let (hh, mm, ss) = time ?? (0, 0, 0)
        if y < 50 {
            y += 2000
        } else if y < 1000 {
            y += 1900
        }
        guard (1...31).contains(d), d <= daysInMonth(m, y), (0...23).contains(hh), (0...59).contains(mm), (0...60).contains(ss)
        else { return nil }
        let seconds = daysFromCivil(y, m, d) * 86_400 + hh * 3_600 + mm * 60 + min(ss, 59) - (offset ?? 0)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `Mon, 03 Feb 2025 09:15:00 +0000` (always UTC).
    public static func format(_ date: Date) -> String {
        // Clamped to years 1..9999 so that no Date (not even infinity) can trap.
        let seconds = date.timeIntervalSince1970
        let total = seconds.isFinite ? Int(min(max(seconds, -62_135_596_800), 253_402_300_799).rounded(.down)) : 0
        var days = total / 86_400
        var rest = total % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (index 4)
        let dayName = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekday]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(dayName), \(two(d)) \(monthName) \(y) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) +0000"
    }

    // MARK: - Pieces

    private static let months: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
        "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ]
    private static let dayNames: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    private static func parseTime(_ token: Substring) -> (Int, Int, Int)? {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            // A fraction of a second (".123") is dropped.
            let whole = part.split(separator: ".", maxSplits: 1).first ?? ""
            guard !whole.isEmpty, whole.count <= 2, whole.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(whole) else { return nil }
            numbers.append(n)
        }
        return (numbers[0], numbers[1], numbers.count == 3 ? numbers[2] : 0)
    }

    private static func parseNumericZone(_ token: Substring) -> Int? {
        let sign = token.first == "-" ? -1 : 1
        let digits = token.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return nil }
        let hours = n / 100
        let minutes = n % 100
        guard hours <= 23, minutes <= 59 else { return nil }
        return sign * (hours * 3_600 + minutes * 60)
    }

    private static func namedZone(_ lower: String) -> Int? {
        switch lower {
        case "ut", "utc", "gmt", "z": return 0
        case "edt": return -4 * 3_600
        case "est", "cdt": return -5 * 3_600
        case "cst", "mdt": return -6 * 3_600
        case "mst", "pdt": return -7 * 3_600
        case "pst": return -8 * 3_600
        default: return lower.count <= 5 ? 0 : nil
        }
    }

    private static func parseISO(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let u = Array(t.utf8)
        guard u.count >= 19, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x74 || u[10] == 0x20,
              u[13] == 0x3A, u[16] == 0x3A else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var n = 0
            for k in r {
                guard u[k] >= 0x30, u[k] <= 0x39 else { return nil }
                n = n * 10 + Int(u[k] - 0x30)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), let hh = number(11..<13),
              let mm = number(14..<16), let ss = number(17..<19),
              (1...12).contains(m), d >= 1, d <= daysInMonth(m, y), hh <= 23, mm <= 59, ss <= 60 else { return nil }
        var k = 19
        if k < u.count, u[k] == 0x2E {
            k += 1
            while k < u.count, u[k] >= 0x30, u[k] <= 0x39 { k += 1 }
        }
        var offset = 0
        if k < u.count {
            if u[k] == 0x5A || u[k] == 0x7A {
                k += 1
            } else if let zone = parseNumericZone(Substring(String(decoding: u[k...], as: UTF8.self))) {
                offset = zone
                k = u.count
            } else {
                return nil
            }
        }
        guard k == u.count else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(daysFromCivil(y, m, d) * 86_400 + hh * 3_600 + mm * 60 + min(ss, 59) - offset))
    }

    private static func daysInMonth(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
