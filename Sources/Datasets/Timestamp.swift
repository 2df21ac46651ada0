/// How integer timestamps are read.
public enum TimeUnit: String, Sendable, CaseIterable, Codable {
    /// Seconds, milliseconds or microseconds, told apart by magnitude
    /// (≥ 10¹⁴ is µs, ≥ 10¹¹ is ms: 10¹¹ seconds is the year 5138).
    case auto
    case seconds = "s"
    case milliseconds = "ms"
    case microseconds = "us"
}

/// Parses the timestamp forms logs use into Unix milliseconds.
///
/// Accepted: integers (seconds, milliseconds, microseconds), fractional seconds
/// (`978300760.25`), ISO-8601 (`2000-12-31T22:12:40Z`, `…+01:00`, `….123`, space instead of `T`,
/// no zone = UTC) and plain dates (`2000-12-31`, midnight UTC). Milliseconds keep sub-second
/// order when sorting; the dataset stores whole seconds.
public enum TimestampParser {
    /// The Unix time in milliseconds of `token`, or nil when it is not a timestamp.
    public static func milliseconds(_ token: UnsafeRawBufferPointer, unit: TimeUnit = .auto) -> Int64? {
        let count = token.count
        if count == 0 { return nil }
        var i = 0
        var negative = false
        if token[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        var whole: Int64 = 0
        var digits = 0
        while i < count, let d = digit(token[i]) {
            if digits >= 18 { return nil }
            whole = whole * 10 + Int64(d)
            digits += 1
            i += 1
        }
        if digits == 0 { return nil }
        if i == count {
            let value = negative ? -whole : whole
            switch unit {
            case .seconds: return value * 1000
            case .milliseconds: return value
            case .microseconds: return value / 1000
            case .auto:
                let magnitude = whole
                if magnitude >= 100_000_000_000_000 { return value / 1000 }
                if magnitude >= 100_000_000_000 { return value }
                return value * 1000
            }
        }
        if token[i] == UInt8(ascii: ".") {
            // Fractional seconds.
            i += 1
            guard let fraction = fractionMilliseconds(token, &i), i == count, digits <= 12 else { return nil }
            let value = whole * 1000 + fraction
            return negative ? -value : value
        }
        if token[i] == UInt8(ascii: "-") && digits == 4 && !negative {
            return iso8601(token, year: Int(whole), from: i)
        }
        return nil
    }

    /// Parses the rest of `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:]MM]` after the year.
    private static func iso8601(_ token: UnsafeRawBufferPointer, year: Int, from start: Int) -> Int64? {
        let count = token.count
        var i = start
        func twoDigits() -> Int? {
            guard i + 2 <= count, let a = digit(token[i]), let b = digit(token[i + 1]) else { return nil }
            i += 2
            return Int(a) * 10 + Int(b)
        }
        func expect(_ char: Character) -> Bool {
            guard i < count, token[i] == UInt8(ascii: char.unicodeScalars.first!) else { return false }
            i += 1
            return true
        }
        guard expect("-"), let month = twoDigits(), expect("-"), let day = twoDigits() else { return nil }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day) else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var millis: Int64 = 0
        if i == count { return seconds * 1000 }
        guard token[i] == UInt8(ascii: "T") || token[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hour = twoDigits(), hour < 24, expect(":"), let minute = twoDigits(), minute < 60 else { return nil }
        var second = 0
        if i < count && token[i] == UInt8(ascii: ":") {
            i += 1
            guard let s = twoDigits(), s <= 60 else { return nil }
            second = s
            if i < count && (token[i] == UInt8(ascii: ".") || token[i] == UInt8(ascii: ",")) {
                i += 1
                guard let fraction = fractionMilliseconds(token, &i) else { return nil }
                millis = fraction
            }
        }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        if i < count {
            if token[i] == UInt8(ascii: "Z") {
                i += 1
            } else if token[i] == UInt8(ascii: "+") || token[i] == UInt8(ascii: "-") {
                let sign: Int64 = token[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                guard let offsetHours = twoDigits() else { return nil }
                _ = expect(":")
                let offsetMinutes = twoDigits() ?? 0
                seconds -= sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
            } else {
                return nil
            }
        }
        guard i == count else { return nil }
        return seconds * 1000 + millis
    }

    /// The milliseconds of the fraction digits at `i` (three kept, the rest truncated); nil without digits.
    private static func fractionMilliseconds(_ token: UnsafeRawBufferPointer, _ i: inout Int) -> Int64? {
        var fraction: Int64 = 0
        var scale: Int64 = 100
        var digits = 0
        while i < token.count, let d = digit(token[i]) {
            fraction += Int64(d) * scale
            scale /= 10
            digits += 1
            i += 1
        }
        return digits == 0 ? nil : fraction
    }

    @inline(__always)
    private static func digit(_ byte: UInt8) -> UInt8? {
        let d = byte &- UInt8(ascii: "0")
        return d <= 9 ? d : nil
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `YYYY-MM-DD` of a day count since 1970-01-01.
    public static func civilDate(daysSinceEpoch z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The Unix time in whole seconds (rounded down) of `text`, or nil when it is not a timestamp.
    public static func unixSeconds(_ text: String) -> Int64? {
        var token = text
        return token.withUTF8 { milliseconds(UnsafeRawBufferPointer($0)) }.map { floorDivide($0, 1000) }
    }

    /// ISO-8601 text (UTC, whole seconds) of a Unix time in seconds.
    public static func iso8601String(unixSeconds: Int64) -> String {
        // Years 0000 to 9999 only: a damaged times.bin can hold any Int64, which the calendar
        // arithmetic below would overflow.
        guard (-62_167_219_200...253_402_300_799).contains(unixSeconds) else { return "\(unixSeconds) s (outside years 0-9999)" }
        let days = Int((unixSeconds >= 0 ? unixSeconds : unixSeconds - 86_399) / 86_400)
        let rest = Int(unixSeconds - Int64(days) * 86_400)
        let date = civilDate(daysSinceEpoch: days)
        func pad(_ v: Int, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(date.year, 4))-\(pad(date.month))-\(pad(date.day))T\(pad(rest / 3600)):\(pad(rest / 60 % 60)):\(pad(rest % 60))Z"
    }
}

/// Parses durations such as `30m`, `90s`, `2h`, `1d`, `1500ms` (a bare number is seconds).
public enum DurationParser {
    /// The longest duration accepted: 10,000 years. Longer ones cannot mean anything for event
    /// logs, and would overflow the Int64 milliseconds they are computed in.
    public static let maximumMilliseconds: Double = 10_000 * 365.25 * 86_400_000

    /// The duration in milliseconds, or nil when the text is not a duration (or is over 10,000 years).
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)]
        var number = Substring(text), factor = 1000.0
        if let (suffix, unit) = units.first(where: { text.hasSuffix($0.0) }) {
            number = text.dropLast(suffix.count)
            factor = unit
        }
        guard let value = Double(number), value > 0, value.isFinite, value * factor <= maximumMilliseconds else { return nil }
        return Int64(value * factor)
    }
}
