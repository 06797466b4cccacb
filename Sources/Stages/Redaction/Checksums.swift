/// The validations that separate identifiers from ordinary numbers.
enum Checksums {
    /// Luhn (mod 10) over decimal digit values, the last one being the check digit.
    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    /// ISO 13616 IBAN check: move the first four characters to the end, letters to 10…35, mod 97 = 1.
    /// `characters` are uppercase ASCII letters and digits.
    static func ibanMod97(_ characters: [UInt8]) -> Bool {
        guard characters.count >= 5 else { return false }
        var remainder = 0
        for byte in characters[4...] + characters[..<4] {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                remainder = (remainder * 10 + Int(byte - UInt8(ascii: "0"))) % 97
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                remainder = (remainder * 100 + Int(byte - UInt8(ascii: "A")) + 10) % 97
            default:
                return false
            }
        }
        return remainder == 1
    }

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
