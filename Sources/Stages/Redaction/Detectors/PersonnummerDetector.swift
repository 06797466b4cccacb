/// Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer):
/// `YYMMDD-NNNC`, `YYMMDD+NNNC` (100 years or older), `YYMMDDNNNC`, `YYYYMMDD-NNNC`,
/// `YYYYMMDDNNNC`. The date must exist (coordination numbers add 60 to the day) and the last
/// digit must be the Luhn check digit of the ten-digit form: a number of the right shape that
/// fails either check is not one.
enum PersonnummerDetector {
    static func find(_ s: ByteScanner, at start: Int) -> Finding? {
        let firstEnd = s.digitRunEnd(from: start)
        let firstLength = firstEnd - start
        var digitsEnd = firstEnd
        var dateDigits = firstLength
        var separated = false
        switch firstLength {
        case 10, 12:
            dateDigits = firstLength - 4
        case 6, 8:
            guard let separator = s.byte(at: firstEnd), separator == UInt8(ascii: "-") || separator == UInt8(ascii: "+"),
                  s.digitRunEnd(from: firstEnd + 1) == firstEnd + 5 else { return nil }
            digitsEnd = firstEnd + 5
            separated = true
        default:
            return nil
        }
        guard s.isTokenEnd(digitsEnd) else { return nil }
        var digits: [Int] = []
        for i in start..<digitsEnd where ByteScanner.isDigit(s[i]) { digits.append(Int(s[i] - UInt8(ascii: "0"))) }
        // A bare ten-digit number that is also a Swedish mobile number (07[02369]…) is a phone
        // number far more often than an identity number of someone born in 2007.
        if !separated, firstLength == 10, digits[0] == 0, digits[1] == 7, [0, 2, 3, 6, 9].contains(digits[2]) {
            return nil
        }
        guard isValidDate(digits, dateDigits: dateDigits) else { return nil }
        guard Checksums.luhn(digits.suffix(10).map(UInt8.init)) else { return nil }
        return Finding(type: .personnummer, range: start..<digitsEnd)
    }

    /// YYMMDD or YYYYMMDD, day + 60 allowed (coordination numbers). Without the century, a
    /// 29 February is accepted when either century makes it a leap year.
    static func isValidDate(_ digits: [Int], dateDigits: Int) -> Bool {
        let offset = dateDigits - 6
        let yy = digits[offset] * 10 + digits[offset + 1]
        let month = digits[offset + 2] * 10 + digits[offset + 3]
        var day = digits[offset + 4] * 10 + digits[offset + 5]
        if day > 60 { day -= 60 }
        guard (1...12).contains(month), day >= 1 else { return false }
        if dateDigits == 8 {
            let century = digits[0] * 10 + digits[1]
            guard (18...20).contains(century) else { return false }
            return day <= Checksums.daysIn(month: month, year: century * 100 + yy)
        }
        return day <= max(Checksums.daysIn(month: month, year: 1900 + yy), Checksums.daysIn(month: month, year: 2000 + yy))
    }
}
