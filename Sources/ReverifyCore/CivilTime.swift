/// Calendar arithmetic for UTC timestamps without Foundation (Core does no I/O and has no locale):
/// RFC 3339 output for event bodies and IMF-fixdate input for `Retry-After` (RFC 9110 5.6.7).
enum CivilTime {
    /// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// (year, month, day) to days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to use.
    static func parseIMFFixdate(_ text: String) -> UnixTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int64(parts[1]), parts[1].count == 2, (1...31).contains(day),
            let monthIndex = monthNames.firstIndex(of: String(parts[2])),
            let year = Int64(parts[3]), parts[3].count == 4
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let h = Int64(clock[0]), let m = Int64(clock[1]), let s = Int64(clock[2]),
            (0...23).contains(h), (0...59).contains(m), (0...60).contains(s)
        else { return nil }
        let days = Self.days(year: year, month: Int64(monthIndex + 1), day: day)
        return UnixTime(days * 86_400 + h * 3600 + m * 60 + s)
    }
}

extension UnixTime {
    /// RFC 3339 in UTC with a `Z` suffix, e.g. `2026-11-22T10:00:00Z`.
    public var rfc3339: String {
        let days = rawValue >= 0 ? rawValue / 86_400 : (rawValue - 86_399) / 86_400
        let secondOfDay = rawValue - days * 86_400
        let (y, mo, d) = CivilTime.civil(fromDays: days)
        let p = CivilTime.padded
        return "\(p(y, 4))-\(p(mo, 2))-\(p(d, 2))T\(p(secondOfDay / 3600, 2)):\(p(secondOfDay % 3600 / 60, 2)):\(p(secondOfDay % 60, 2))Z"
    }
}
