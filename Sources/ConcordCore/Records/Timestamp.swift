import Foundation

/// An instant in UTC milliseconds since 1970, written as RFC 3339 (`2026-11-26T01:02:03.456Z`).
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    /// Creates a timestamp from milliseconds since the epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The current time.
    public static func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Seconds since the epoch.
    public var seconds: Int64 { milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The RFC 3339 form in UTC with milliseconds.
    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the RFC 3339 form (`2026-11-26T01:02:03.456Z`) to `out` as UTF-8.
    public func appendRFC3339(to out: inout [UInt8]) {
        let secs = seconds
        let millis = Int(milliseconds - secs * 1000)
        var days = secs / 86400
        var rem = secs - days * 86400
        if rem < 0 {
            rem += 86400
            days -= 1
        }
        let (y, m, d) = Self.civil(fromDays: days)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            guard value >= 0, value < divisor * 10 else { return out.append(contentsOf: Array(String(value).utf8)) }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(y, 4)
        out.append(UInt8(ascii: "-"))
        digits(m, 2)
        out.append(UInt8(ascii: "-"))
        digits(d, 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(rem / 3600), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(rem % 3600 / 60), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(rem % 60), 2)
        out.append(UInt8(ascii: "."))
        digits(millis, 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// The calendar date `YYYY-MM-DD` in UTC.
    public var date: String { String(rfc3339.prefix(10)) }

    /// Reads `YYYY-MM-DD` (midnight UTC), or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
            (1...12).contains(mo), (1...Self.daysIn(month: mo, year: y)).contains(d)
        else { return nil }
        var ms: Int64 = 0
        var offset = 0
        if b.count > 10 {
            guard b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b.count > 13, b[13] == 58,
                let mi = num(14, 2), h < 24, mi < 60
            else { return nil }
            var i = 16
            var s = 0
            if i < b.count && b[i] == 58 {
                guard let sv = num(i + 1, 2), sv < 61 else { return nil }
                s = min(sv, 59)
                i += 3
                if i < b.count && b[i] == 46 {
                    i += 1
                    var frac = 0
                    var digits = 0
                    while i < b.count && b[i] >= 48 && b[i] <= 57 {
                        if digits < 3 {
                            frac = frac * 10 + Int(b[i] - 48)
                            digits += 1
                        }
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    while digits < 3 {
                        frac *= 10
                        digits += 1
                    }
                    ms = Int64(frac)
                }
            }
            guard i < b.count else { return nil }
            if b[i] == 90 || b[i] == 122 {
                guard i + 1 == b.count else { return nil }
            } else if b[i] == 43 || b[i] == 45 {
                guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2),
                    i + 6 == b.count, oh < 24, om < 60
                else { return nil }
                offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
            } else {
                return nil
            }
            ms += Int64((h * 3600 + mi * 60 + s - offset)) * 1000
        }
        let days = Self.days(fromCivil: y, mo, d)
        self.milliseconds = days * 86_400_000 + ms
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146097 + doe - 719468)
    }

    private static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = Int(z0) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
