public import EventLog
import Foundation

/// A day on the calendar, in the calendar's time zone.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, 1 to 31.
    public var day: Int

    /// Creates a date (not checked: 2024-02-30 is March 1st).
    public init(_ year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }

    /// 0 = Sunday ... 6 = Saturday.
    public var weekday: Int { Int(((daysSinceEpoch % 7) + 11) % 7) }

    /// Dates sort in time order.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    /// The date as `YYYY-MM-DD`.
    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }
}

/// When the desk works: weekly opening hours in a time zone, minus holidays.
/// SLA clocks run only inside these hours.
public struct BusinessCalendar: Sendable, Hashable, Codable {
    /// The name recorded on `SLAAttached` events.
    public var name: String
    /// An IANA time zone identifier (`Europe/Rome`); offsets, daylight saving
    /// included, come from the system's time zone database.
    public var timeZone: String
    /// Opening hours per weekday (0 = Sunday), as seconds after local midnight;
    /// a weekday missing here is closed.
    public var hours: [Int: Range<Int>]
    /// Closed days.
    public var holidays: Set<LocalDate>

    /// Creates a calendar.
    public init(name: String, timeZone: String = "UTC", hours: [Int: Range<Int>], holidays: Set<LocalDate> = []) {
        self.name = name
        self.timeZone = timeZone
        self.hours = hours
        self.holidays = holidays
    }

    /// Open all the time.
    public static let always = BusinessCalendar(name: "24x7", hours: Dictionary(uniqueKeysWithValues: (0..<7).map { ($0, 0..<86_400) }))

    /// Monday to Friday from `open` to `close` o'clock.
    public static func weekdays(name: String, from open: Int, to close: Int, timeZone: String = "UTC", holidays: Set<LocalDate> = []) -> BusinessCalendar {
        BusinessCalendar(
            name: name, timeZone: timeZone,
            hours: Dictionary(uniqueKeysWithValues: (1...5).map { ($0, (open * 3600)..<(close * 3600)) }), holidays: holidays)
    }

    private var isAlways: Bool { holidays.isEmpty && (0..<7).allSatisfy { hours[$0] == 0..<86_400 } }

    /// The UTC offset in seconds around `time`.
    private func offset(at time: Timestamp) -> Int64 {
        guard timeZone != "UTC", let zone = TimeZone(identifier: timeZone) else { return 0 }
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time.microseconds) / 1_000_000)))
    }

    /// The open intervals (UTC microseconds) of the local day containing `time`.
    private func openInterval(ofDayContaining time: Timestamp) -> (dayStart: Int64, dayEnd: Int64, open: Range<Int64>?) {
        let offset = offset(at: time) * 1_000_000
        let local = time.microseconds + offset
        let day = local >= 0 ? local / 86_400_000_000 : (local - 86_399_999_999) / 86_400_000_000
        let dayStart = day * 86_400_000_000 - offset
        let date = LocalDate(daysSinceEpoch: day)
        guard !holidays.contains(date), let range = hours[date.weekday], !range.isEmpty else {
            return (dayStart, dayStart + 86_400_000_000, nil)
        }
        return (dayStart, dayStart + 86_400_000_000,
                (dayStart + Int64(range.lowerBound) * 1_000_000)..<(dayStart + Int64(range.upperBound) * 1_000_000))
    }

    /// The moment `seconds` of business time after `start`.
    public func adding(businessSeconds seconds: Int64, to start: Timestamp) -> Timestamp {
        if isAlways { return Timestamp(microseconds: start.microseconds + seconds * 1_000_000) }
        var remaining = seconds * 1_000_000
        var now = start.microseconds
        // At most ten years of calendar days, so an all-closed calendar cannot loop forever.
        for _ in 0..<3660 {
            let (_, dayEnd, open) = openInterval(ofDayContaining: Timestamp(microseconds: now))
            if let open, now < open.upperBound {
                let from = max(now, open.lowerBound)
                let available = open.upperBound - from
                if remaining <= available { return Timestamp(microseconds: from + remaining) }
                remaining -= available
            }
            now = dayEnd
        }
        return Timestamp(microseconds: now + remaining)
    }

    /// Business seconds between two moments (0 when `end` is not after `start`).
    public func businessSeconds(from start: Timestamp, to end: Timestamp) -> Int64 {
        guard end > start else { return 0 }
        if isAlways { return (end.microseconds - start.microseconds) / 1_000_000 }
        var total: Int64 = 0
        var now = start.microseconds
        while now < end.microseconds {
            let (_, dayEnd, open) = openInterval(ofDayContaining: Timestamp(microseconds: now))
            if let open {
                let from = max(now, open.lowerBound)
                let to = min(end.microseconds, open.upperBound)
                if to > from { total += to - from }
            }
            now = dayEnd
        }
        return total / 1_000_000
    }
}

/// Response and resolution targets for one priority (and optionally one kind).
public struct SLATarget: Sendable, Hashable {
    /// `nil`: any kind.
    public var kind: TicketKind?
    /// The priority it applies to.
    public var priority: Priority
    /// Business seconds from registration to the first response.
    public var responseSeconds: Int64
    /// Business seconds from registration to resolution.
    public var resolutionSeconds: Int64

    /// Creates a target.
    public init(kind: TicketKind? = nil, priority: Priority, responseSeconds: Int64, resolutionSeconds: Int64) {
        self.kind = kind
        self.priority = priority
        self.responseSeconds = responseSeconds
        self.resolutionSeconds = resolutionSeconds
    }
}

/// An SLA policy: targets per priority and kind, measured on a business calendar.
public struct SLAPolicy: Sendable, Hashable {
    /// The name recorded on `SLAAttached`.
    public var name: String
    /// The calendar the targets are measured on.
    public var calendar: BusinessCalendar
    /// The targets; a kind-specific one wins over one for any kind.
    public var targets: [SLATarget]

    /// Creates a policy.
    public init(name: String, calendar: BusinessCalendar, targets: [SLATarget]) {
        self.name = name
        self.calendar = calendar
        self.targets = targets
    }

    /// The target for a kind and priority: a kind-specific one first, then one for any kind.
    public func target(kind: TicketKind, priority: Priority) -> SLATarget? {
        targets.first { $0.kind == kind && $0.priority == priority } ?? targets.first { $0.kind == nil && $0.priority == priority }
    }

    /// A common default on a 24 × 7 calendar: priority 1 responds in 15 minutes and
    /// resolves in 4 hours, down to priority 5 in 8 hours and 5 days.
    public static let standard = SLAPolicy(name: "standard", calendar: .always, targets: [
        SLATarget(priority: 1, responseSeconds: 15 * 60, resolutionSeconds: 4 * 3600),
        SLATarget(priority: 2, responseSeconds: 30 * 60, resolutionSeconds: 8 * 3600),
        SLATarget(priority: 3, responseSeconds: 2 * 3600, resolutionSeconds: 24 * 3600),
        SLATarget(priority: 4, responseSeconds: 4 * 3600, resolutionSeconds: 3 * 86_400),
        SLATarget(priority: 5, responseSeconds: 8 * 3600, resolutionSeconds: 5 * 86_400),
    ])
}
