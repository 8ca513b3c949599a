import Foundation
import PropertyBased
import Testing
@testable import CareCore

// MARK: - Helpers

private typealias Interval = OpeningHours.Interval

/// An instant written in UTC, "2026-03-29T01:00:00Z" style, built without any time-zone logic under test.
private func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(from: DateComponents(year: year, month: month, day: day,
                                              hour: hour, minute: minute, second: second))!
}

/// Hours with the given days set (0 = Monday ... 6 = Sunday), the others closed.
private func makeHours(_ zone: String, _ days: [Int: String]) throws -> OpeningHours {
    var result = Array(repeating: [Interval](), count: 7)
    for (index, text) in days { result[index] = try OpeningHours.parseDay(text, field: "days") }
    return try OpeningHours(timeZone: zone, days: result).validated()
}

private func weekdays(_ zone: String, _ text: String) throws -> OpeningHours {
    try makeHours(zone, [0: text, 1: text, 2: text, 3: text, 4: text])
}

/// Independent oracle: local wall time from the zone's UTC offset and plain day arithmetic (1970-01-01 was a
/// Thursday), not the Calendar that `isOpen` uses.
private func bruteForceOpen(_ hours: OpeningHours, at date: Date) -> Bool {
    let zone = TimeZone(identifier: hours.timeZone)!
    let local = date.timeIntervalSince1970 + TimeInterval(zone.secondsFromGMT(for: date))
    let day = Int((local / 86_400).rounded(.down))
    let second = local - TimeInterval(day) * 86_400
    let weekday = ((day % 7) + 7 + 3) % 7
    return hours.days[weekday].contains { TimeInterval($0.start * 60) <= second && second < TimeInterval($0.end * 60) }
}

/// Independent oracle for `nextOpening`: `date` when open, else the first whole UTC minute that is open, scanning
/// minute by minute for 14 days. Exact for the zones below: all their offsets and changes fall on whole minutes,
/// and so do all interval starts.
private func bruteForceNextOpening(_ hours: OpeningHours, after date: Date) -> Date? {
    if bruteForceOpen(hours, at: date) { return date }
    var minute = (date.timeIntervalSince1970 / 60).rounded(.up) * 60
    let horizon = date.timeIntervalSince1970 + 14 * 86_400
    while minute <= horizon {
        let candidate = Date(timeIntervalSince1970: minute)
        if bruteForceOpen(hours, at: candidate) { return candidate }
        minute += 60
    }
    return nil
}

// MARK: - Generators

/// Zones with interesting clocks: EU DST (the team's own), a 30-minute DST shift (Lord Howe), changes at midnight
/// (Havana, Santiago), southern-hemisphere DST, a :45 offset (Chatham) and no DST at all.
private let zones = [
    "Europe/Athens", "Europe/Zagreb", "UTC", "America/New_York", "Australia/Lord_Howe", "America/Havana",
    "America/Santiago", "Asia/Kolkata", "Pacific/Chatham",
]

/// A valid day: sorted, non-overlapping intervals on a 5-minute grid (so DST hours are hit often).
private let dayGenerator = Gen.int(in: 0...288).array(of: 0...6).map { marks -> [Interval] in
    let sorted = Array(Set(marks)).sorted().map { $0 * 5 }
    return stride(from: 0, to: sorted.count - 1, by: 2).map { Interval(start: sorted[$0], end: sorted[$0 + 1]) }
}

private let hoursGenerator = zip(Gen.int(in: 0...(zones.count - 1)), dayGenerator.array(of: 7))
    .map { zoneIndex, days in OpeningHours(timeZone: zones[zoneIndex], days: days) }

private let dateGenerator = Gen.dateTime(in: utc(1995, 1, 1)..<utc(2045, 1, 1))

// MARK: - Parsing and formatting

@Suite("OpeningHours parsing")
struct OpeningHoursParsingTests {
    @Test("Accepted day formats", arguments: [
        ("", [Interval]()),
        ("closed", []),
        ("  Closed ", []),
        ("09:00-17:00", [Interval(start: 540, end: 1020)]),
        ("9-17", [Interval(start: 540, end: 1020)]),
        ("9:30 - 17.45", [Interval(start: 570, end: 1065)]),
        ("09:00-12:00, 13:00-17:00", [Interval(start: 540, end: 720), Interval(start: 780, end: 1020)]),
        ("13:00-17:00; 09:00-12:00", [Interval(start: 540, end: 720), Interval(start: 780, end: 1020)]),
        ("09:00-12:00, 12:00-17:00", [Interval(start: 540, end: 720), Interval(start: 720, end: 1020)]),
        ("00:00-24:00", [Interval(start: 0, end: 1440)]),
        ("08:00\u{2013}16:00", [Interval(start: 480, end: 960)]),
    ])
    func parsesDay(text: String, expected: [OpeningHours.Interval]) throws {
        #expect(try OpeningHours.parseDay(text, field: "days.monday") == expected)
    }

    @Test("Refused day formats say what is wrong", arguments: [
        ("25:00-26:00", "\"25:00\" is not a valid time"),
        ("09:60-10:00", "\"09:60\" is not a valid time"),
        ("24:30-24:45", "\"24:30\" is not a valid time"),
        ("9am-5pm", "\"9am\" is not a valid time"),
        ("nine to five", "is not a time range"),
        ("09:00", "is not a time range"),
        ("09:00-", "A time is missing"),
        ("17:00-09:00", "ends before it starts"),
        ("22:00-02:00", "Split hours past midnight over two days, e.g. 22:00-24:00 and 00:00-02:00"),
        ("09:00-09:00", "is an empty range"),
        ("24:00-24:00", "starts at 24:00"),
        ("09:00-12:00, 11:00-13:00", "09:00-12:00 and 11:00-13:00 overlap"),
    ])
    func refusesDay(text: String, message: String) {
        let error = #expect(throws: CareError.self) { try OpeningHours.parseDay(text, field: "days.tuesday") }
        #expect(error?.code == "opening_hours.invalid")
        #expect(error?.kind == .invalid)
        #expect(error?.fieldErrors.map(\.field) == ["days.tuesday"])
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test func formatIsTheInverseOfParse() throws {
        #expect(OpeningHours.format([]) == "")
        #expect(OpeningHours.format([Interval(start: 540, end: 720), Interval(start: 780, end: 1440)])
            == "09:00-12:00, 13:00-24:00")
        #expect(OpeningHours.format([Interval(start: 5, end: 65)]) == "00:05-01:05")
        for text in ["", "09:00-17:00", "00:00-24:00", "07:15-08:45, 12:00-12:05, 23:55-24:00"] {
            #expect(OpeningHours.format(try OpeningHours.parseDay(text, field: "d")) == text)
        }
    }

    @Test func formatThenParseRoundTripsRandomDays() async {
        await propertyCheck(count: 300, input: dayGenerator) { day throws in
            let text = OpeningHours.format(day)
            #expect(try OpeningHours.parseDay(text, field: "d") == day, "\(text)")
        }
    }
}

// MARK: - Validation, Codable

@Suite("OpeningHours validation")
struct OpeningHoursValidationTests {
    let week: [[OpeningHours.Interval]] = Array(repeating: [Interval(start: 540, end: 1020)], count: 7)

    @Test func acceptsValidHoursAndRandomGeneratedOnes() async throws {
        let valid = OpeningHours(timeZone: "Europe/Athens", days: week)
        #expect(try valid.validated() == valid)
        await propertyCheck(input: hoursGenerator) { hours throws in
            #expect(try hours.validated() == hours)
        }
    }

    @Test("Unknown or blank time zone is refused on field timeZone", arguments: ["Mars/Olympus", "", " Europe/Athens"])
    func refusesTimeZone(zone: String) {
        let error = #expect(throws: CareError.self) { try OpeningHours(timeZone: zone, days: week).validated() }
        #expect(error?.code == "opening_hours.invalid")
        #expect(error?.fieldErrors.map(\.field) == ["timeZone"])
    }

    @Test func refusesWrongDayCountAndBadIntervals() {
        let cases: [([[Interval]], String)] = [
            (Array(week.prefix(6)), "exactly 7 days"),
            (week + [[]], "exactly 7 days"),
            (week.enumerated().map { $0.offset == 2 ? [Interval(start: 600, end: 500)] : $0.element },
             "Wednesday: 600-500 is not a range within the day"),
            (week.enumerated().map { $0.offset == 6 ? [Interval(start: 0, end: 1441)] : $0.element }, "Sunday"),
            (week.enumerated().map { $0.offset == 0 ? [Interval(start: -5, end: 60)] : $0.element }, "Monday"),
            (week.enumerated().map {
                $0.offset == 1 ? [Interval(start: 540, end: 720), Interval(start: 700, end: 800)] : $0.element
            }, "Tuesday: 09:00-12:00 and 11:40-13:20 overlap"),
            (week.enumerated().map {
                $0.offset == 4 ? [Interval(start: 780, end: 900), Interval(start: 540, end: 720)] : $0.element
            }, "Friday: 13:00-15:00 and 09:00-12:00 are not in order"),
        ]
        for (days, message) in cases {
            let error = #expect(throws: CareError.self) {
                try OpeningHours(timeZone: "Europe/Zagreb", days: days).validated()
            }
            #expect(error?.code == "opening_hours.invalid")
            #expect(error?.fieldErrors.map(\.field) == ["days"])
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        }
    }

    @Test func isEmptyOnlyWithoutAnyInterval() {
        #expect(OpeningHours(timeZone: "UTC", days: Array(repeating: [], count: 7)).isEmpty)
        var days = Array(repeating: [Interval](), count: 7)
        days[5] = [Interval(start: 600, end: 660)]
        #expect(!OpeningHours(timeZone: "UTC", days: days).isEmpty)
    }

    @Test func codableRoundTrip() throws {
        let hours = try weekdays("Europe/Athens", "09:00-12:00, 13:00-17:00")
        let data = try JSONEncoder().encode(hours)
        #expect(try JSONDecoder().decode(OpeningHours.self, from: data) == hours)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"timeZone\":\"Europe\\/Athens\"") || json.contains("\"timeZone\":\"Europe/Athens\""))
        #expect(json.contains("{\"start\":540,\"end\":720}") || json.contains("{\"end\":720,\"start\":540}"))
    }
}

// MARK: - isOpen / nextOpening examples

@Suite("OpeningHours clock")
struct OpeningHoursClockTests {
    @Test func weekdayOfficeHoursInUTC() throws {
        let hours = try weekdays("UTC", "09:00-17:00")
        // 2026-06-05 is a Friday.
        #expect(hours.isOpen(at: utc(2026, 6, 5, 9, 0)))
        #expect(hours.isOpen(at: utc(2026, 6, 5, 16, 59, 59)))
        #expect(!hours.isOpen(at: utc(2026, 6, 5, 17, 0)))
        #expect(!hours.isOpen(at: utc(2026, 6, 5, 8, 59, 59)))
        #expect(!hours.isOpen(at: utc(2026, 6, 6, 12, 0)))  // Saturday
        #expect(hours.nextOpening(after: utc(2026, 6, 5, 17, 0)) == utc(2026, 6, 8, 9, 0))  // back Monday 09:00
        #expect(hours.nextOpening(after: utc(2026, 6, 5, 10, 30)) == utc(2026, 6, 5, 10, 30))  // open: itself
        #expect(hours.nextOpening(after: utc(2026, 6, 5, 6, 0)) == utc(2026, 6, 5, 9, 0))
    }

    @Test func localTimeIsTheZonesWallClock() throws {
        let hours = try weekdays("Europe/Athens", "09:00-17:00")
        // Summer: Athens is UTC+3, so 09:00 local is 06:00 UTC. Winter: UTC+2.
        #expect(hours.nextOpening(after: utc(2026, 7, 3, 14, 0)) == utc(2026, 7, 6, 6, 0))
        #expect(hours.nextOpening(after: utc(2026, 1, 9, 15, 0)) == utc(2026, 1, 12, 7, 0))
        #expect(hours.isOpen(at: utc(2026, 7, 3, 13, 59)))
        #expect(!hours.isOpen(at: utc(2026, 7, 3, 14, 0)))
    }

    @Test func emptyHoursAndUnknownZonesAreNeverOpen() {
        let empty = OpeningHours(timeZone: "Europe/Athens", days: Array(repeating: [], count: 7))
        #expect(!empty.isOpen(at: utc(2026, 6, 5, 12, 0)))
        #expect(empty.nextOpening(after: utc(2026, 6, 5, 12, 0)) == nil)
        let unknownZone = OpeningHours(timeZone: "Nowhere/Special",
                                       days: Array(repeating: [Interval(start: 0, end: 1440)], count: 7))
        #expect(!unknownZone.isOpen(at: utc(2026, 6, 5, 12, 0)))
        #expect(unknownZone.nextOpening(after: utc(2026, 6, 5, 12, 0)) == nil)
    }

    @Test func openAcrossMidnight() throws {
        // Sunday 22:00-24:00 and Monday 00:00-02:00 form one night shift.
        let hours = try makeHours("UTC", [6: "22:00-24:00", 0: "00:00-02:00"])
        // 2026-06-07 is a Sunday.
        #expect(hours.isOpen(at: utc(2026, 6, 7, 23, 59, 59)))
        #expect(hours.isOpen(at: utc(2026, 6, 8, 0, 0)))
        #expect(hours.isOpen(at: utc(2026, 6, 8, 1, 59, 59)))
        #expect(!hours.isOpen(at: utc(2026, 6, 8, 2, 0)))
        #expect(hours.nextOpening(after: utc(2026, 6, 8, 2, 0)) == utc(2026, 6, 14, 22, 0))
        // A full day ends at 24:00 and the next day, closed, is closed from its midnight.
        let allMonday = try OpeningHours.hoursForTests("UTC", monday: "00:00-24:00")
        #expect(allMonday.isOpen(at: utc(2026, 6, 8, 23, 59, 59)))
        #expect(!allMonday.isOpen(at: utc(2026, 6, 9, 0, 0)))
    }

    @Test func yearEnd() throws {
        // 2026-12-31 is a Thursday, 2027-01-01 a Friday. Athens is UTC+2 in winter.
        let office = try weekdays("Europe/Athens", "09:00-17:00")
        #expect(office.nextOpening(after: utc(2026, 12, 31, 15, 0)) == utc(2027, 1, 1, 7, 0))
        let mondays = try makeHours("Europe/Zagreb", [0: "08:00-12:00"])
        #expect(mondays.nextOpening(after: utc(2026, 12, 31, 23, 30)) == utc(2027, 1, 4, 7, 0))
        // New Year's Eve night shift, Thursday 20:00-24:00 then Friday 00:00-04:00, local (UTC+1).
        let night = try makeHours("Europe/Zagreb", [3: "20:00-24:00", 4: "00:00-04:00"])
        #expect(night.isOpen(at: utc(2026, 12, 31, 22, 59, 59)))  // 23:59:59 local Thursday
        #expect(night.isOpen(at: utc(2026, 12, 31, 23, 0)))  // 00:00 local Friday, 2027
        #expect(!night.isOpen(at: utc(2027, 1, 1, 3, 0)))  // 04:00 local
    }

    @Test func searchesAtMostFourteenDaysAhead() throws {
        // Sunday 03:00-03:30 in Athens does not exist on 2026-03-29 (clocks jump 03:00 -> 04:00); the search finds
        // the next Sunday instead, 2026-04-05 03:00 EEST = 00:00 UTC.
        let hours = try makeHours("Europe/Athens", [6: "03:00-03:30"])
        #expect(hours.nextOpening(after: utc(2026, 3, 28, 10, 0)) == utc(2026, 4, 5, 0, 0))
    }
}

// MARK: - Daylight saving: Athens (EET/EEST, changes at 03:00/04:00 local) and Zagreb (CET/CEST, 02:00/03:00)

/// 2026: spring forward on Sunday 29 March at 01:00 UTC, fall back on Sunday 25 October at 01:00 UTC, in both zones.
@Suite("OpeningHours daylight saving")
struct OpeningHoursDaylightSavingTests {
    @Test func athensOpeningAtThreeOnSpringForwardNightOpensAtTheJump() throws {
        // 03:00 local does not exist on 29 March in Athens: 02:59:59 EET is followed by 04:00:00 EEST (01:00 UTC).
        let hours = try makeHours("Europe/Athens", [6: "03:00-05:00"])
        #expect(hours.nextOpening(after: utc(2026, 3, 28, 10, 0)) == utc(2026, 3, 29, 1, 0))
        #expect(!hours.isOpen(at: utc(2026, 3, 29, 0, 59, 59)))  // 02:59:59 EET
        #expect(hours.isOpen(at: utc(2026, 3, 29, 1, 0)))  // 04:00 EEST
        #expect(hours.isOpen(at: utc(2026, 3, 29, 1, 59, 59)))  // 04:59:59 EEST
        #expect(!hours.isOpen(at: utc(2026, 3, 29, 2, 0)))  // 05:00 EEST: one real hour open that night
        // A week later it is a normal two-hour opening at 03:00 EEST = 00:00 UTC.
        #expect(hours.nextOpening(after: utc(2026, 3, 29, 2, 0)) == utc(2026, 4, 5, 0, 0))
    }

    @Test func athensIntervalSpanningSpringForward() throws {
        let hours = try makeHours("Europe/Athens", [6: "02:00-05:00"])
        #expect(hours.nextOpening(after: utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 0, 0))  // 02:00 EET
        #expect(hours.isOpen(at: utc(2026, 3, 29, 0, 59, 59)))
        #expect(hours.isOpen(at: utc(2026, 3, 29, 1, 0)))
        #expect(!hours.isOpen(at: utc(2026, 3, 29, 2, 0)))  // 05:00 EEST
    }

    @Test func athensRepeatedHourInAutumn() throws {
        // 25 October: 03:59:59 EEST (00:59:59 UTC) is followed by 03:00:00 EET (01:00 UTC): 03:xx happens twice.
        let hours = try makeHours("Europe/Athens", [6: "03:30-03:45"])
        #expect(hours.nextOpening(after: utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 0, 30))  // first 03:30
        #expect(hours.isOpen(at: utc(2026, 10, 25, 0, 44)))
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 0, 45)))
        #expect(hours.nextOpening(after: utc(2026, 10, 25, 0, 50)) == utc(2026, 10, 25, 1, 30))  // second 03:30
        #expect(hours.isOpen(at: utc(2026, 10, 25, 1, 44, 59)))
        #expect(hours.nextOpening(after: utc(2026, 10, 25, 1, 45)) == utc(2026, 11, 1, 1, 30))
    }

    @Test func athensIntervalSpanningFallBack() throws {
        // 02:00 EEST (23:00 UTC on the 24th) to 05:00 EET (03:00 UTC): four real hours.
        let hours = try makeHours("Europe/Athens", [6: "02:00-05:00"])
        #expect(hours.nextOpening(after: utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 24, 23, 0))
        for hour in 0..<3 { #expect(hours.isOpen(at: utc(2026, 10, 25, hour, 59, 59))) }
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 3, 0)))
    }

    @Test func zagrebSkippedHourInSpring() throws {
        // 29 March: 01:59:59 CET is followed by 03:00:00 CEST (01:00 UTC); 02:xx does not exist.
        let lost = try makeHours("Europe/Zagreb", [6: "02:15-02:45"])
        #expect(lost.nextOpening(after: utc(2026, 3, 28, 12, 0)) == utc(2026, 4, 5, 0, 15))  // a week later, CEST
        let spanning = try makeHours("Europe/Zagreb", [6: "02:30-04:00"])
        #expect(spanning.nextOpening(after: utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 0))  // 03:00 CEST
        #expect(!spanning.isOpen(at: utc(2026, 3, 29, 0, 59, 59)))  // 01:59:59 CET
        #expect(spanning.isOpen(at: utc(2026, 3, 29, 1, 0)))
        #expect(!spanning.isOpen(at: utc(2026, 3, 29, 2, 0)))  // 04:00 CEST
        let three = try makeHours("Europe/Zagreb", [6: "03:00-04:00"])
        #expect(three.nextOpening(after: utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 0))
    }

    @Test func zagrebOpeningAtTwoThirtyInTheRepeatedHour() throws {
        // 25 October: 02:59:59 CEST (00:59:59 UTC) is followed by 02:00:00 CET (01:00 UTC): 02:xx happens twice.
        let hours = try makeHours("Europe/Zagreb", [6: "02:30-03:30"])
        #expect(hours.nextOpening(after: utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 0, 30))  // 02:30 CEST
        #expect(hours.isOpen(at: utc(2026, 10, 25, 0, 59, 59)))  // 02:59:59 CEST
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 1, 0)))  // 02:00 CET: clocks went back out of the interval
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 1, 29, 59)))
        #expect(hours.nextOpening(after: utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 1, 30))  // 02:30 CET
        #expect(hours.isOpen(at: utc(2026, 10, 25, 2, 29, 59)))  // 03:29:59 CET
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 2, 30)))
    }

    @Test func zagrebClocksGoingBackIntoTheMiddleOfAnInterval() throws {
        // 01:30-02:30: open 01:30-02:30 CEST, closed 02:30-03:00 CEST, then clocks go back to 02:00 CET, which is
        // inside the interval again: the team reopens at the change itself (01:00 UTC), not at an interval start.
        let hours = try makeHours("Europe/Zagreb", [6: "01:30-02:30"])
        #expect(hours.nextOpening(after: utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 24, 23, 30))
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 0, 30)))
        #expect(hours.nextOpening(after: utc(2026, 10, 25, 0, 40)) == utc(2026, 10, 25, 1, 0))
        #expect(hours.isOpen(at: utc(2026, 10, 25, 1, 29, 59)))  // 02:29:59 CET
        #expect(!hours.isOpen(at: utc(2026, 10, 25, 1, 30)))
    }
}

// MARK: - Properties

@Suite("OpeningHours properties")
struct OpeningHoursPropertyTests {
    @Test func nextOpeningIsTheFirstOpenInstantNotBeforeTheDate() async {
        await propertyCheck(count: 300, input: hoursGenerator, dateGenerator) { hours, date in
            checkNextOpening(hours, after: date)
        }
    }

    /// Dates within three days of one of the zone's offset changes, where mistakes happen.
    @Test func nextOpeningNearDaylightSavingChanges() async {
        await propertyCheck(count: 300, input: hoursGenerator, dateGenerator, Gen.int(in: -259_200...259_200)) {
            hours, base, shift in
            let zone = TimeZone(identifier: hours.timeZone)!
            let anchor = zone.nextDaylightSavingTimeTransition(after: base) ?? base
            checkNextOpening(hours, after: anchor.addingTimeInterval(TimeInterval(shift) + 0.25))
        }
    }

    @Test func isOpenAgreesWithLocalTimeBruteForce() async {
        await propertyCheck(count: 300, input: hoursGenerator, dateGenerator, Gen.int(in: -7_200...7_200)) {
            hours, base, shift in
            let zone = TimeZone(identifier: hours.timeZone)!
            // Half of the dates right around an offset change.
            let date = shift.isMultiple(of: 2)
                ? base : (zone.nextDaylightSavingTimeTransition(after: base) ?? base).addingTimeInterval(TimeInterval(shift))
            #expect(hours.isOpen(at: date) == bruteForceOpen(hours, at: date), "\(hours) at \(date)")
        }
    }

    private func checkNextOpening(_ hours: OpeningHours, after date: Date) {
        let result = hours.nextOpening(after: date)
        #expect(result == bruteForceNextOpening(hours, after: date), "\(hours) after \(date)")
        if hours.isEmpty {
            #expect(result == nil)
            return
        }
        // A weekly pattern with any interval opens within 14 days whatever the clocks do.
        guard let result else {
            Issue.record("no opening for \(hours) after \(date)")
            return
        }
        #expect(result >= date)
        #expect(hours.isOpen(at: result))
        if result > date {
            #expect(!hours.isOpen(at: date))
            #expect(!hours.isOpen(at: result.addingTimeInterval(-0.5)) || result.addingTimeInterval(-0.5) < date)
            // Sample-check with the Calendar-based isOpen too: closed every minute until the result.
            var probe = date
            while probe < result {
                if hours.isOpen(at: probe) {
                    Issue.record("open at \(probe), before nextOpening \(result), for \(hours)")
                    break
                }
                probe.addTimeInterval(397)  // a prime number of seconds, to vary the phase
            }
        }
    }
}

extension OpeningHours {
    fileprivate static func hoursForTests(_ zone: String, monday: String) throws -> OpeningHours {
        var days = Array(repeating: [Interval](), count: 7)
        days[0] = try parseDay(monday, field: "days")
        return OpeningHours(timeZone: zone, days: days)
    }
}
