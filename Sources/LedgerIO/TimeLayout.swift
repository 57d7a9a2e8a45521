public import EventLog
import Foundation

/// A time layout of an import, compiled once and applied to every row.
///
/// Tokens: `yyyy` year; `MM` month (two digits), `M` (one or two), `MMM` or
/// `MMMM` a month's name, abbreviated or full (`Jan`, `January`); `dd` / `d` day; `HH` / `H` hour 0–23; `hh` / `h` hour 1–12
/// with `a` (AM or PM); `mm` / `m` minute; `ss` / `s` second; `S…` a fraction
/// (as many digits as letters). Anything else must appear as written. A time may
/// end with `Z` or an offset (`+01:00`, `-0500`); without one it is in the
/// layout's zone (UTC unless the mapping's `timeZone` names another). Dates that
/// do not exist (`2013-02-29`) are refused.
public struct TimeLayout: Sendable {
    enum Token: Sendable, Equatable {
        case year(digits: Int)
        case month(digits: Int?), monthName(full: Bool)
        case day(digits: Int?)
        case hour24(digits: Int?), hour12(digits: Int?), meridiem
        case minute(digits: Int?), second(digits: Int?), fraction(digits: Int)
        case literal(UInt8)
    }

    let tokens: [Token]
    /// Nil for ISO 8601.
    let format: String?
    let zone: TimeZone?

    static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]

    /// Compiles `format` (nil: ISO 8601), for times in `timeZone` (an IANA name;
    /// nil: UTC) when they carry no offset.
    public init(_ format: String?, timeZone: String? = nil) throws(ImportError) {
        self.format = format
        if let timeZone {
            guard let zone = TimeZone(identifier: timeZone) else {
                throw ImportError(description: "mapping: '\(timeZone)' is not a time zone (IANA names such as Europe/Rome or UTC)")
            }
            self.zone = zone.secondsFromGMT() == 0 && zone.identifier == "UTC" ? nil : zone
        } else {
            zone = nil
        }
        guard let format else {
            tokens = []
            return
        }
        var tokens: [Token] = []
        let f = Array(format.utf8)
        var i = 0
        while i < f.count {
            let c = f[i]
            var run = 1
            while i + run < f.count, f[i + run] == c { run += 1 }
            let short: Int? = run == 1 ? nil : run
            switch c {
            case UInt8(ascii: "y"): tokens.append(.year(digits: run))
            case UInt8(ascii: "M"): tokens.append(run >= 3 ? .monthName(full: run >= 4) : .month(digits: short))
            case UInt8(ascii: "d"): tokens.append(.day(digits: short))
            case UInt8(ascii: "H"): tokens.append(.hour24(digits: short))
            case UInt8(ascii: "h"): tokens.append(.hour12(digits: short))
            case UInt8(ascii: "a"): tokens.append(.meridiem)
            case UInt8(ascii: "m"): tokens.append(.minute(digits: short))
            case UInt8(ascii: "s"): tokens.append(.second(digits: short))
            case UInt8(ascii: "S"): tokens.append(.fraction(digits: run))
            default:
                for _ in 0..<run { tokens.append(.literal(c)) }
            }
            i += run
        }
        if tokens.contains(where: { if case .hour12 = $0 { true } else { false } }) != tokens.contains(.meridiem) {
            throw ImportError(description: "mapping: the time format '\(format)' has h (1–12) without a (AM/PM), or a without h")
        }
        self.tokens = tokens
    }

    /// The moment `text` names, or nil when it does not fit the layout or names a
    /// day that does not exist.
    public func parse(_ text: String) -> Timestamp? {
        guard format != nil else {
            guard let utc = Timestamp(iso8601: text) else { return nil }
            return zone == nil || Self.hasOffset(text) ? utc : Self.inZone(utc, zone!)
        }
        var text = text
        return text.withUTF8 { t -> Timestamp? in
            var j = 0
            func digits(_ exact: Int?, max: Int = 2) -> Int64? {
                var value: Int64 = 0
                var count = 0
                let limit = exact ?? max
                while count < limit, j < t.count, t[j] >= 48, t[j] <= 57 {
                    value = value * 10 + Int64(t[j] - 48)
                    j += 1
                    count += 1
                }
                if let exact { return count == exact ? value : nil }
                return count > 0 ? value : nil
            }
            var year: Int64 = 1970, month: Int64 = 1, day: Int64 = 1, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, micros: Int64 = 0
            var pm: Bool?
            var twelve = false
            for token in tokens {
                switch token {
                case .year(let n): guard let v = digits(n, max: n) else { return nil }; year = v
                case .month(let n): guard let v = digits(n) else { return nil }; month = v
                case .monthName(let full):
                    var letters: [UInt8] = []
                    while j < t.count, (t[j] | 0x20) >= 97, (t[j] | 0x20) <= 122 { letters.append(t[j] | 0x20); j += 1 }
                    let word = String(decoding: letters, as: UTF8.self)
                    // Either form is read: `Mar` and `March` (`Sept` too), whichever the layout names.
                    _ = full
                    guard let index = Self.monthNames.firstIndex(where: { $0 == word || ($0.hasPrefix(word) && word.count >= 3) }) else { return nil }
                    month = Int64(index + 1)
                case .day(let n): guard let v = digits(n) else { return nil }; day = v
                case .hour24(let n): guard let v = digits(n) else { return nil }; hour = v
                case .hour12(let n):
                    guard let v = digits(n), (1...12).contains(v) else { return nil }
                    hour = v
                    twelve = true
                case .meridiem:
                    guard j + 1 < t.count, t[j + 1] | 0x20 == 109 else { return nil }  // 'm'
                    switch t[j] | 0x20 {
                    case 97: pm = false  // 'a'
                    case 112: pm = true  // 'p'
                    default: return nil
                    }
                    j += 2
                case .minute(let n): guard let v = digits(n) else { return nil }; minute = v
                case .second(let n): guard let v = digits(n) else { return nil }; second = v
                case .fraction(let n):
                    guard var v = digits(n, max: n) else { return nil }
                    if n > 6 { for _ in 6..<n { v /= 10 } } else { for _ in n..<6 { v *= 10 } }
                    micros = v
                case .literal(let c):
                    guard j < t.count, t[j] == c else { return nil }
                    j += 1
                }
            }
            if twelve, let pm { hour = hour % 12 + (pm ? 12 : 0) }
            guard let local = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micros)
            else { return nil }
            // An optional offset after the layout: Z, +HH:MM, -HHMM.
            if j == t.count { return zone.map { Self.inZone(local, $0) } ?? local }
            if t[j] == 0x5A, j + 1 == t.count { return local }
            guard t[j] == 0x2B || t[j] == 0x2D, t.count - j >= 5 else { return nil }
            let rest = t[(j + 1)...].filter { $0 != 0x3A }
            guard rest.count == 4, rest.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let d = rest.map { Int64($0 - 48) }
            let offset = ((d[0] * 10 + d[1]) * 3600 + (d[2] * 10 + d[3]) * 60) * (t[j] == 0x2B ? 1 : -1)
            return Timestamp(microseconds: local.microseconds - offset * 1_000_000)
        }
    }

    /// A wall-clock time read as UTC, moved to the moment it names in `zone`.
    static func inZone(_ local: Timestamp, _ zone: TimeZone) -> Timestamp {
        let seconds = Double(local.microseconds) / 1_000_000
        let guess = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds)))
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds - Double(guess))))
        return Timestamp(microseconds: local.microseconds - offset * 1_000_000)
    }

    /// Whether an ISO 8601 time ends with `Z` or an offset (after its date).
    static func hasOffset(_ text: String) -> Bool {
        let time = text.utf8.dropFirst(10)
        return time.last == UInt8(ascii: "Z") || time.contains(UInt8(ascii: "+")) || time.contains(UInt8(ascii: "-"))
    }

    /// What the layout expects, for messages.
    var expected: String { format.map { "in the format \($0)" } ?? "in ISO 8601" }
}
