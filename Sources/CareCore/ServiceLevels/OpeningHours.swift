import Foundation

/// A team's usual weekly opening hours, in one time zone.
///
/// The hours are wall-clock times in `timeZone`: "Monday 09:00-17:00" means 09:00 to 17:00 as the clocks in that
/// zone show them, whatever the UTC offset is that day. This is what a web-chat widget needs to say "we are usually
/// back Monday at 09:00", and it is the weekly base of the business calendar (holidays and exceptions will be layered
/// on top of it later; keep this type about the plain weekly pattern).
///
/// Daylight-saving changes are handled the way a person reading the clock would expect:
/// - a wall time that does not exist (the hour skipped in spring) is never open; an interval that starts inside the
///   skipped hour opens at the first instant after the jump (e.g. a 03:00 opening in Athens on the spring-forward
///   night, when clocks go from 03:00 straight to 04:00, opens at 04:00 local time);
/// - a wall time that happens twice (the hour repeated in autumn) is open both times; ``nextOpening(after:)`` returns
///   the first occurrence that is not in the past.
///
/// Times are computed with a Gregorian calendar in the zone. All times are minutes after local midnight, and
/// intervals are half open: `09:00-17:00` is open at 09:00 and closed at 17:00.
public struct OpeningHours: Sendable, Equatable, Codable {
    /// One opening on one day, in minutes after local midnight: `0 <= start < end <= 1440` (1440 is 24:00, the end
    /// of the day). Open from `start` (inclusive) to `end` (exclusive).
    public struct Interval: Sendable, Equatable, Codable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    /// Minutes in a day; the largest allowed `Interval.end` (24:00).
    public static let minutesPerDay = 1440

    /// IANA time zone identifier, e.g. "Europe/Athens".
    public var timeZone: String
    /// Exactly 7 entries, index 0 = Monday ... 6 = Sunday. An empty day is closed. Intervals of a day are sorted by
    /// start and do not overlap (see ``validated()``).
    public var days: [[Interval]]

    public init(timeZone: String, days: [[Interval]]) {
        self.timeZone = timeZone
        self.days = days
    }

    /// No interval on any day: the hours are unknown / not set (not "always closed" in a meaningful sense).
    public var isEmpty: Bool { days.allSatisfy(\.isEmpty) }

    // MARK: - Parsing and formatting

    /// Parses one day as typed by an admin: `""` or `"closed"` -> `[]`; `"09:00-17:00"`; `"9-17"`;
    /// `"09:00-12:00, 13:00-17:00"`; `"00:00-24:00"`. Ranges may be separated by commas or semicolons and are
    /// returned sorted. Throws `CareError.invalid` (code "opening_hours.invalid", the given `field`) saying what is
    /// wrong: a bad time, an end that is not after the start, or two ranges that overlap.
    public static func parseDay(_ text: String, field: String) throws(CareError) -> [Interval] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.lowercased() == "closed" { return [] }

        var intervals: [Interval] = []
        for rawPiece in trimmed.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let piece = rawPiece.trimmingCharacters(in: .whitespaces)
            if piece.isEmpty { continue }
            let parts = piece.split(omittingEmptySubsequences: false, whereSeparator: { dashes.contains($0) })
            guard parts.count == 2 else {
                throw invalid("\"\(piece)\" is not a time range; write it like 09:00-17:00.", field: field)
            }
            let start = try parseTime(String(parts[0]), field: field)
            let end = try parseTime(String(parts[1]), field: field)
            guard start < minutesPerDay else {
                throw invalid("\"\(piece)\" starts at 24:00, the end of the day; a range must start before 24:00.",
                              field: field)
            }
            guard end != start else {
                throw invalid("\"\(piece)\" is an empty range; the end time must be after the start time.",
                              field: field)
            }
            guard end > start else {
                throw invalid(
                    "\"\(piece)\" ends before it starts; the end time must be after the start time. Split hours past "
                        + "midnight over two days, e.g. \(formatTime(start))-24:00 and 00:00-\(formatTime(end)).",
                    field: field)
            }
            intervals.append(Interval(start: start, end: end))
        }

        intervals.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        for (previous, next) in zip(intervals, intervals.dropFirst()) where next.start < previous.end {
            throw invalid("\(format([previous])) and \(format([next])) overlap; each time may belong to one range only.",
                          field: field)
        }
        return intervals
    }

    /// `"09:00-12:00, 13:00-17:00"`, the inverse of ``parseDay(_:field:)``; `""` for a closed day.
    public static func format(_ intervals: [Interval]) -> String {
        intervals.map { "\(formatTime($0.start))-\(formatTime($0.end))" }.joined(separator: ", ")
    }

    // MARK: - Validation

    /// Returns `self` when the time zone exists, there are exactly 7 days and each day's intervals are within the
    /// day, sorted and do not overlap. Throws `CareError.invalid` (code "opening_hours.invalid") with field
    /// "timeZone" or "days" otherwise.
    public func validated() throws(CareError) -> OpeningHours {
        let zoneName = timeZone.trimmingCharacters(in: .whitespaces)
        guard !zoneName.isEmpty else {
            throw Self.invalid("A time zone is required, e.g. Europe/Athens.", field: "timeZone")
        }
        guard zoneName == timeZone, TimeZone(identifier: timeZone) != nil else {
            throw Self.invalid("\"\(timeZone)\" is not a known time zone; use an IANA name such as Europe/Athens.",
                               field: "timeZone")
        }
        guard days.count == 7 else {
            throw Self.invalid("Opening hours need exactly 7 days, Monday to Sunday; got \(days.count).", field: "days")
        }
        for (index, day) in days.enumerated() {
            let name = Self.weekdayNames[index]
            for interval in day {
                guard interval.start >= 0, interval.end <= Self.minutesPerDay, interval.start < interval.end else {
                    throw Self.invalid(
                        "\(name): \(interval.start)-\(interval.end) is not a range within the day; "
                            + "minutes must satisfy 0 <= start < end <= 1440.",
                        field: "days")
                }
            }
            for (previous, next) in zip(day, day.dropFirst()) {
                guard next.start >= previous.end else {
                    throw Self.invalid(
                        "\(name): \(Self.format([previous])) and \(Self.format([next])) "
                            + (next.start < previous.start ? "are not in order." : "overlap."),
                        field: "days")
                }
            }
        }
        return self
    }

    // MARK: - Questions about time

    /// Whether the team is usually open at `date`: the wall-clock time in `timeZone` falls in one of that weekday's
    /// intervals. Always false when the hours are empty or the time zone is unknown.
    public func isOpen(at date: Date) -> Bool {
        guard let calendar = calendar else { return false }
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .second, .nanosecond], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return false }
        // Calendar weekdays are 1 = Sunday ... 7 = Saturday; ours are 0 = Monday ... 6 = Sunday.
        let dayIndex = (weekday + 5) % 7
        let second = Double(hour * 3600 + minute * 60 + (parts.second ?? 0)) + Double(parts.nanosecond ?? 0) / 1e9
        return intervals(onDay: dayIndex).contains { Double($0.start * 60) <= second && second < Double($0.end * 60) }
    }

    /// `date` itself when open then; otherwise the start of the next opening, searching up to 14 days ahead; `nil`
    /// when there is none in that window (empty hours or an unknown time zone).
    ///
    /// Correct across daylight-saving changes: the search walks the stretches of time in which the zone's UTC offset
    /// is constant and, within each, maps the wall-clock intervals to instants. So an interval whose start is skipped
    /// opens at the jump, a repeated start is found at its first occurrence, and when clocks go back into the middle
    /// of an interval the team opens again at the moment of the change.
    public func nextOpening(after date: Date) -> Date? {
        if isOpen(at: date) { return date }
        guard !isEmpty, let zone = TimeZone(identifier: timeZone) else { return nil }

        let horizon = date.addingTimeInterval(TimeInterval(Self.searchDays * 86_400))
        var segmentStart = date
        while segmentStart < horizon {
            // A stretch [segmentStart, segmentEnd) with one UTC offset.
            let offset = TimeInterval(zone.secondsFromGMT(for: segmentStart))
            var segmentEnd = horizon
            if let transition = zone.nextDaylightSavingTimeTransition(after: segmentStart),
               transition > segmentStart, transition < horizon {
                segmentEnd = transition
            }
            // Local wall time, as seconds since 1970-01-01 00:00 local (a proleptic Gregorian day count).
            let wallStart = segmentStart.timeIntervalSince1970 + offset
            let wallEnd = segmentEnd.timeIntervalSince1970 + offset
            var best: TimeInterval?
            var day = Int((wallStart / 86_400).rounded(.down))
            while TimeInterval(day) * 86_400 < wallEnd {
                let midnight = TimeInterval(day) * 86_400
                for interval in intervals(onDay: Self.weekdayIndex(daysSince1970: day)) {
                    let lower = max(midnight + TimeInterval(interval.start * 60), wallStart)
                    let upper = min(midnight + TimeInterval(interval.end * 60), wallEnd)
                    if lower < upper, best.map({ lower < $0 }) ?? true { best = lower }
                }
                if best != nil { break }  // later days can only be later
                day += 1
            }
            if let best {
                return max(Date(timeIntervalSince1970: best - offset), date)
            }
            segmentStart = segmentEnd
        }
        return nil
    }

    // MARK: - Internals

    /// How far ahead ``nextOpening(after:)`` looks. One week always contains each weekday once; the second week
    /// covers an opening lost entirely to a skipped daylight-saving hour.
    static let searchDays = 14

    static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    private static let dashes: Set<Character> = ["-", "\u{2013}", "\u{2014}"]

    /// 1970-01-01 was a Thursday (index 3 when Monday is 0).
    static func weekdayIndex(daysSince1970 day: Int) -> Int {
        ((day % 7) + 7 + 3) % 7
    }

    /// The day's intervals, tolerating unvalidated data (missing days, ranges outside the day).
    private func intervals(onDay index: Int) -> [Interval] {
        guard days.indices.contains(index) else { return [] }
        return days[index].compactMap { interval in
            let start = max(interval.start, 0)
            let end = min(interval.end, Self.minutesPerDay)
            return start < end ? Interval(start: start, end: end) : nil
        }
    }

    private var calendar: Calendar? {
        guard let zone = TimeZone(identifier: timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    private static func invalid(_ message: String, field: String) -> CareError {
        .invalid(code: "opening_hours.invalid", message, field: field)
    }

    /// "9", "09", "9:30", "09:30", "9.30", "24:00" -> minutes after midnight.
    private static func parseTime(_ raw: String, field: String) throws(CareError) -> Int {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "." })
        func bad() -> CareError {
            invalid(
                text.isEmpty
                    ? "A time is missing; write ranges like 09:00-17:00."
                    : "\"\(text)\" is not a valid time; use hours 0 to 24 and minutes 00 to 59, like 09:00.",
                field: field)
        }
        guard (1...2).contains(parts.count),
              (1...2).contains(parts[0].count), parts[0].allSatisfy(\.isASCIIDigit),
              let hour = Int(parts[0]) else { throw bad() }
        var minute = 0
        if parts.count == 2 {
            guard parts[1].count == 2, parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1]) else {
                throw bad()
            }
            minute = value
        }
        guard hour <= 24, minute <= 59, hour < 24 || minute == 0 else { throw bad() }
        return hour * 60 + minute
    }

    private static func formatTime(_ minutes: Int) -> String {
        let hours = minutes / 60, rest = minutes % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
