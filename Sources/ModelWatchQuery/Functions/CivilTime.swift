/// A moment in UTC split into calendar fields, for the date functions.
///
/// Computed from seconds the way Go's `time` package does (days counted from an absolute zero year
/// with wrapping 64-bit arithmetic, then 400-, 100- and 4-year cycles), so that every input —
/// including the `Int64.min` a NaN converts to — gives Prometheus's answer instead of trapping.
struct CivilTime {
    var year: Int64
    /// 1 through 12.
    var month: Int64
    var day: Int64
    var hour: Int64
    var minute: Int64
    /// 0 is Sunday.
    var weekday: Int64
    /// 1 through 366.
    var dayOfYear: Int64

    private static let secondsPerDay: UInt64 = 86_400
    /// Seconds from the absolute zero year to the Unix epoch, as Go counts them.
    private static let unixToAbsolute: Int64 = 9_223_372_028_715_321_600
    private static let absoluteZeroYear: Int64 = -292_277_022_399
    private static let daysBefore: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    init(secondsSinceEpoch seconds: Int64) {
        let absolute = UInt64(bitPattern: seconds &+ Self.unixToAbsolute)
        let secondsOfDay = absolute % Self.secondsPerDay
        self.hour = Int64(secondsOfDay / 3_600)
        self.minute = Int64((secondsOfDay % 3_600) / 60)
        // The absolute zero day was a Monday.
        self.weekday = Int64(((absolute &+ Self.secondsPerDay) % (7 * Self.secondsPerDay)) / Self.secondsPerDay)

        var days = absolute / Self.secondsPerDay
        var cycles = days / 146_097
        var years = 400 * cycles
        days -= 146_097 * cycles
        // The last century of a 400-year cycle is a day longer: cut 4 back to 3.
        cycles = days / 36_524
        cycles -= cycles >> 2
        years += 100 * cycles
        days -= 36_524 * cycles
        cycles = days / 1_461
        years += 4 * cycles
        days -= 1_461 * cycles
        // The last year of a 4-year cycle is a leap year: cut 4 back to 3.
        cycles = days / 365
        cycles -= cycles >> 2
        years += cycles
        days -= 365 * cycles
        self.year = Int64(bitPattern: years) &+ Self.absoluteZeroYear
        self.dayOfYear = Int64(days) + 1

        var day = Int64(days)
        if Self.isLeap(self.year) {
            if day == 31 + 29 - 1 {
                self.month = 2
                self.day = 29
                return
            }
            if day > 31 + 29 - 1 { day -= 1 }
        }
        var month = day / 31
        let end = Self.daysBefore[Int(month) + 1]
        let begin: Int64
        if day >= end {
            month += 1
            begin = end
        } else {
            begin = Self.daysBefore[Int(month)]
        }
        self.month = month + 1
        self.day = day - begin + 1
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    var daysInMonth: Int64 {
        switch self.month {
        case 2: Self.isLeap(self.year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The value of one of PromQL's date functions.
    func field(_ function: String) -> Double {
        switch function {
        case "minute": Double(self.minute)
        case "hour": Double(self.hour)
        case "day_of_week": Double(self.weekday)
        case "day_of_month": Double(self.day)
        case "day_of_year": Double(self.dayOfYear)
        case "days_in_month": Double(self.daysInMonth)
        case "month": Double(self.month)
        default: Double(self.year)
        }
    }
}
