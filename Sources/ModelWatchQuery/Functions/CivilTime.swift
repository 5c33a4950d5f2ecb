/// A moment in UTC split into calendar fields, for the date functions (proleptic Gregorian calendar).
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

    init(secondsSinceEpoch seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let secondsOfDay = seconds - days * 86_400
        self.hour = secondsOfDay / 3_600
        self.minute = (secondsOfDay % 3_600) / 60
        self.weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday.
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYearMarch = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYearMarch + 2) / 153
        self.day = dayOfYearMarch - (153 * monthPrime + 2) / 5 + 1
        self.month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        self.year = yearOfEra + era * 400 + (self.month <= 2 ? 1 : 0)
        let cumulative: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        self.dayOfYear = cumulative[Int(self.month - 1)] + self.day + (self.month > 2 && Self.isLeap(self.year) ? 1 : 0)
    }

    static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

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
