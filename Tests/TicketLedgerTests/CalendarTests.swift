import EventLog
import Testing
import TicketLedger

@Suite("Business calendars")
struct CalendarTests {
    @Test("dates and weekdays")
    func dates() {
        #expect(LocalDate(1970, 1, 1).weekday == 4)  // Thursday
        #expect(LocalDate(2024, 1, 1).weekday == 1)  // Monday
        #expect(LocalDate(2024, 2, 29).daysSinceEpoch == 19_782)
        #expect(LocalDate(daysSinceEpoch: 19_782) == LocalDate(2024, 2, 29))
        #expect(LocalDate(daysSinceEpoch: -1) == LocalDate(1969, 12, 31))
    }

    @Test("holidays and weekends are skipped; a time zone shifts the opening hours")
    func businessTime() {
        let mondayNine = Timestamp(seconds: 1_704_099_600)  // 2024-01-01 09:00 UTC, a Monday
        let withHoliday = BusinessCalendar.weekdays(name: "it", from: 9, to: 17, holidays: [LocalDate(2024, 1, 1)])
        // Monday is a holiday: 8 business hours end Tuesday 17:00.
        #expect(withHoliday.adding(businessSeconds: 8 * 3600, to: mondayNine) == Timestamp(seconds: 1_704_214_800))
        #expect(withHoliday.businessSeconds(from: mondayNine, to: Timestamp(seconds: 1_704_214_800)) == 8 * 3600)
        // Rome is UTC+1 in January: 09:00 local is 08:00 UTC.
        let rome = BusinessCalendar.weekdays(name: "rome", from: 9, to: 17, timeZone: "Europe/Rome")
        #expect(rome.adding(businessSeconds: 3600, to: Timestamp(seconds: 1_704_099_600 - 3600)) == Timestamp(seconds: 1_704_099_600))
        #expect(BusinessCalendar.always.adding(businessSeconds: 90, to: mondayNine) == Timestamp(seconds: 1_704_099_690))
        // Saturday and Sunday count nothing.
        let saturday = Timestamp(seconds: 1_704_499_200)  // 2024-01-06 00:00
        #expect(withHoliday.businessSeconds(from: saturday, to: Timestamp(seconds: saturday.microseconds / 1_000_000 + 2 * 86_400)) == 0)
    }
}
