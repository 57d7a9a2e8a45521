#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment in UTC, as microseconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// The record format stores timestamps this way; `Timestamp` keeps the log free of
/// Foundation. Convert with `Date(timestamp)` / `Timestamp(date)` where Foundation
/// is at hand.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since the Unix epoch; negative before 1970.
    public var microseconds: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// Creates a timestamp from whole seconds since the Unix epoch.
    public init(seconds: Int64) {
        self.microseconds = seconds * 1_000_000
    }

    /// The current wall-clock time. The log uses it only for `recordedAt`.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    /// Milliseconds since the epoch, clamped at zero.
    public var unixMilliseconds: UInt64 {
        microseconds <= 0 ? 0 : UInt64(microseconds / 1000)
    }

    /// The timestamp in ISO 8601 form, UTC, with microseconds: `2024-05-01T08:30:00.000000Z`.
    /// A moment outside the years 0 to 9999 (a damaged or absurd field) is
    /// written in ISO 8601's expanded form with a sign, `+012345-01-01T...`.
    public var description: String {
        var seconds = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(microseconds) µs from 1970 (beyond the calendar)" }
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else {
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let digits = String(year.magnitude)
            let micro = String(micros)
            return (year < 0 ? "-" : "+") + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                + "-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
                + String(repeating: "0", count: 6 - micro.count) + micro + "Z"
        }
        return String(unsafeUninitializedCapacity: 27) { buffer in
            var out = 0
            func put(_ value: Int, width: Int) {
                var divisor = 1
                for _ in 1..<width { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    buffer[out] = UInt8(ascii: "0") + UInt8(rest / divisor % 10)
                    rest %= divisor
                    divisor /= 10
                    out += 1
                }
            }
            func char(_ c: Unicode.Scalar) {
                buffer[out] = UInt8(ascii: c)
                out += 1
            }
            put(Int(parts.tm_year) + 1900, width: 4)
            char("-")
            put(Int(parts.tm_mon) + 1, width: 2)
            char("-")
            put(Int(parts.tm_mday), width: 2)
            char("T")
            put(Int(parts.tm_hour), width: 2)
            char(":")
            put(Int(parts.tm_min), width: 2)
            char(":")
            put(Int(parts.tm_sec), width: 2)
            char(".")
            put(Int(micros), width: 6)
            char("Z")
            return out
        }
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microseconds < rhs.microseconds
    }
}

extension Timestamp: Codable {
    /// Encoded as its ISO 8601 text (UTC, microseconds), as JSON readers expect.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Reads the ISO 8601 text written by `encode(to:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 UTC time")
        }
        self = value
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS` with an
    /// optional fraction, and an optional `Z` or `±HH:MM` offset (UTC when absent).
    public init?(iso8601 text: String) {
        let chars = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= chars.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let c = chars[index]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
                index += 1
            }
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard index < chars.count, chars[index] == c else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            Self.isValidDate(year: year, month: month, day: day)
        else { return nil }
        var seconds: Int64 = 0
        var micros: Int64 = 0
        if index < chars.count, chars[index] == 84 || chars[index] == 32 {  // 'T' or ' '
            index += 1
            guard let hour = number(2), expect(58), let minute = number(2), hour < 24, minute < 60 else { return nil }
            seconds = hour * 3600 + minute * 60
            if expect(58) {
                guard let second = number(2), second < 61 else { return nil }
                seconds += second
                if expect(46) {
                    var scale: Int64 = 100_000
                    var digits = 0
                    while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                        if digits < 6 { micros += Int64(chars[index] - 48) * scale }
                        scale /= 10
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return nil }
                }
            }
            if expect(90) {  // 'Z'
            } else if index < chars.count, chars[index] == 43 || chars[index] == 45 {
                let sign: Int64 = chars[index] == 43 ? 1 : -1
                index += 1
                guard let oh = number(2), expect(58) || true, let om = number(2) else { return nil }
                seconds -= sign * (oh * 3600 + om * 60)
            }
        }
        guard index == chars.count else { return nil }
        self.init(civil: year, month, day, seconds: seconds, microseconds: micros)
    }

    /// A UTC moment from a civil date (proleptic Gregorian), seconds into that
    /// day and microseconds; nil for a month or day out of range.
    public init?(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, microsecond: Int64 = 0) {
        guard Self.isValidDate(year: year, month: month, day: day), (0..<24).contains(hour), (0..<60).contains(minute), (0..<61).contains(second)
        else { return nil }
        self.init(civil: year, month, day, seconds: hour * 3600 + minute * 60 + second, microseconds: microsecond)
    }

    /// Whether the day exists in that month of that year (proleptic Gregorian):
    /// `2013-02-29` does not, `2012-02-29` does.
    public static func isValidDate(year: Int64, month: Int64, day: Int64) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days: Int64 = switch month {
        case 2: leap ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
        return day <= days
    }

    private init(civil year: Int64, _ month: Int64, _ day: Int64, seconds: Int64, microseconds micros: Int64) {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        self.init(microseconds: (days * 86_400 + seconds) * 1_000_000 + micros)
    }
}
