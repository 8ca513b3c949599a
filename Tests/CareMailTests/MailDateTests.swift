import Foundation
import Testing
@testable import CareMail

@Suite("RFC 5322 dates")
struct MailDateTests {
    // 2025-02-03 09:15:00 UTC
    static let reference = Date(timeIntervalSince1970: 1_738_574_100)

    @Test("current and obsolete forms", arguments: [
        "Mon, 3 Feb 2025 10:15:00 +0100",
        "Mon, 03 Feb 2025 10:15:00 +0100 (CET)",
        "3 Feb 2025 09:15:00 GMT",
        "Mon, 3 Feb 25 09:15:00 UT",
        "Mon, 3 Feb 2025 04:15:00 EST",
        "Mon, 3 Feb 2025 01:15:00 PST",
        "Monday, 03-Feb-2025 09:15:00 Z",
        "Mon Feb  3 09:15:00 2025",
        "Mon, 3 Feb 2025 09:15 +0000",
        "mon,3 feb 2025 09:15:00 +0000",
        "Mon, 3 Feb 2025 09:15:00 A",
        "Mon, 3 Feb 125 09:15:00 +0000",
        "2025-02-03T10:15:00+01:00",
        "2025-02-03T09:15:00.123Z",
    ])
    func parses(value: String) {
        #expect(MailDate.parse(value) == Self.reference)
    }

    @Test("unparsable dates are nil", arguments: [
        "", "sometime last week", "Mon, 32 Feb 2025 10:00:00 +0000", "Mon, 29 Feb 2025 10:00:00 +0000",
        "Mon, 3 Foo 2025 10:00:00 +0000", "Mon, 3 Feb 2025 25:00:00 +0000", "99999999999999999999 Feb 2025",
        "Mon, 3 Feb 2025 10:00:00 +9999", "3 Feb 2025 1 2 3",
    ])
    func rejects(value: String) {
        #expect(MailDate.parse(value) == nil)
    }

    @Test func leapYearAndTwoDigitYears() {
        #expect(MailDate.parse("29 Feb 2024 00:00:00 +0000") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(MailDate.parse("1 Jan 99 00:00:00 +0000") == Date(timeIntervalSince1970: 915_148_800))
    }

    @Test func formatsInUTCAndRoundTrips() {
        #expect(MailDate.format(Self.reference) == "Mon, 03 Feb 2025 09:15:00 +0000")
        #expect(MailDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailDate.format(Date(timeIntervalSince1970: .infinity)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailDate.format(.distantFuture).hasSuffix("+0000"))
        let date = Date(timeIntervalSince1970: 1_900_000_000)
        #expect(MailDate.parse(MailDate.format(date)) == date)
    }
}
