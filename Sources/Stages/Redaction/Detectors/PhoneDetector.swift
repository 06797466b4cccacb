/// Telephone numbers: national forms with a trunk `0` (`070-123 45 67`, `08-123 456 78`,
/// `0701234567`, `(08) 123 45 67`, and as other European directories print them: `030/1234567`,
/// `0171 1234567`, `01.23.45.67.89`), and international ones written with `+` or `00` and a
/// country code (`+46 70 123 45 67`, E.123's `+46 8 123 456 78`, the trunk prefix in parentheses
/// `+46 (0)70 …` or `+44(0)20 …`, `0046 70 …`, `+1 415 555 0100`, `+33 1.23.45.67.89`).
///
/// Groups are joined by a space, a dash or a dot; a slash once, after the area code. Dates, prices, versions and numbers after a reference word (`order`, `faktura`) stay.
enum PhoneDetector {
    private static let separators: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: ".")]
    private static let slash = UInt8(ascii: "/")

    /// Words before a number that make it a reference, not a phone number.
    static let referenceWords: Set<String> = [
        "order", "ordernummer", "ordernr", "nr", "no", "number", "nummer", "faktura", "fakturanummer", "invoice",
        "ref", "referens", "reference", "ärende", "ärendenummer", "case", "ticket", "booking", "bokning",
        "bokningsnummer", "kundnummer", "customer", "id", "artikel", "artikelnummer", "sku", "kod", "code",
    ]

    /// `+` followed by a country code.
    static func findInternational(_ s: ByteScanner, plusAt start: Int) -> Finding? {
        guard start == 0 || !ByteScanner.isWord(s[start - 1]), let first = s.byte(at: start + 1),
              (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) else { return nil }
        return grouped(s, start: start, digitsFrom: start + 1, digitRange: 8...15, national: false)
    }

    /// A token starting with `0`: `00` + country code, or a Swedish national number.
    static func findStartingWithZero(_ s: ByteScanner, at start: Int) -> Finding? {
        guard s[start] == UInt8(ascii: "0"), let next = s.byte(at: start + 1), ByteScanner.isDigit(next) else { return nil }
        if referenceWords.contains(s.wordBefore(start)) || s.continuesNumber(start) { return nil }
        if next == UInt8(ascii: "0") {
            guard let third = s.byte(at: start + 2), (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(third) else { return nil }
            return grouped(s, start: start, digitsFrom: start + 2, digitRange: 8...15, national: false)
        }
        return grouped(s, start: start, digitsFrom: start, digitRange: 8...11, national: true)
    }

    /// `(08) 123 45 67`.
    static func findParenthesizedAreaCode(_ s: ByteScanner, at open: Int) -> Finding? {
        guard s.isTokenStart(open), s.byte(at: open + 1) == UInt8(ascii: "0") else { return nil }
        let areaEnd = s.digitRunEnd(from: open + 1)
        guard (2...4).contains(areaEnd - open - 1), s.byte(at: areaEnd) == UInt8(ascii: ")"),
              s.byte(at: areaEnd + 1) == UInt8(ascii: " "), s.isDigit(at: areaEnd + 2) else { return nil }
        let rest = NumberGroups(s, from: areaEnd + 2, separators: separators, maxDigits: 8)
        let total = (areaEnd - open - 1) + rest.digitCount(groups: rest.groups.count)
        let end = rest.groups.last!.upperBound
        guard (8...10).contains(total), s.isTokenEnd(end) else { return nil }
        return Finding(type: .phone, range: open..<end)
    }

    private static func grouped(
        _ s: ByteScanner, start: Int, digitsFrom: Int, digitRange: ClosedRange<Int>, national: Bool
    ) -> Finding? {
        guard s.isDigit(at: digitsFrom) else { return nil }
        var cursor = digitsFrom
        var digits = 0
        var groups: [(range: Range<Int>, digits: Int)] = []
        var usedSlash = false
        var usedDot = false
        // Groups joined by single spaces or dashes; after the country code also an area code
        // in parentheses ("+1 (415) 555-0132") or the trunk prefix "(0)" ("+46 (0)70 …").
        while true {
            let end = s.digitRunEnd(from: cursor)
            digits += end - cursor
            groups.append((cursor..<end, end - cursor))
            guard digits < digitRange.upperBound, let separator = s.byte(at: end) else { break }
            // After the country code: "(0)" with or without a space before it.
            let open = separator == UInt8(ascii: "(") ? end : separator == UInt8(ascii: " ") && s.byte(at: end + 1) == UInt8(ascii: "(") ? end + 1 : nil
            if !national, groups.count == 1, let open, let close = parenthesizedDigitsEnd(s, open: open) {
                // An area code counts; the trunk prefix "(0)" does not.
                let inside = close - open - 1
                let counted = inside > 1 || s[open + 1] != UInt8(ascii: "0") ? inside : 0
                digits += counted
                groups.append(((open + 1)..<(close + 1), counted))
                cursor = s.byte(at: close + 1) == UInt8(ascii: " ") || s.byte(at: close + 1) == UInt8(ascii: "-") ? close + 2 : close + 1
                guard s.isDigit(at: cursor) else { break }
                continue
            }
            // One slash, after the area code: the first group of a national number, or a later one of
            // an international number (never right after the country code).
            let slashJoins = separator == slash && !usedSlash && (national ? groups.count == 1 : groups.count >= 2)
            guard separators.contains(separator) || slashJoins, s.isDigit(at: end + 1) else { break }
            usedSlash = usedSlash || slashJoins
            usedDot = usedDot || separator == UInt8(ascii: ".")
            cursor = end + 1
        }
        // Longest prefix of whole groups with a plausible digit count that ends a token.
        var count = groups.count
        while count > 0 {
            let digitCount = groups[..<count].reduce(0) { $0 + $1.digits }
            let end = groups[count - 1].range.upperBound
            if digitRange.contains(digitCount), s.isTokenEnd(end),
               !national || isPlausibleNational(s, groups: groups[..<count].map(\.range), digits: digitCount, dotted: usedDot)
            {
                return Finding(type: .phone, range: start..<end)
            }
            count -= 1
        }
        return nil
    }

    /// `(` 1–4 digits `)`: the index of the closing parenthesis.
    private static func parenthesizedDigitsEnd(_ s: ByteScanner, open: Int) -> Int? {
        let end = s.digitRunEnd(from: open + 1)
        guard (1...4).contains(end - open - 1), s.byte(at: end) == UInt8(ascii: ")") else { return nil }
        return end
    }

    /// Swedish mobiles (07x) have ten digits; eleven digits (German mobiles) only when grouped,
    /// since a bare run that long is more often an id. Dates (`01-02-2024`) and personnummer
    /// shapes (`YYMMDD-NNNN`, a bare valid `YYMMDDNNNN`) are not phone numbers.
    /// Dotted national numbers have nine digits or more: `08.30-09.15` is a time range.
    private static func isPlausibleNational(_ s: ByteScanner, groups: [Range<Int>], digits: Int, dotted: Bool) -> Bool {
        if dotted, digits < 9 { return false }
        let second = s[groups[0].lowerBound + 1]
        if second == UInt8(ascii: "7"), digits != 10 { return false }
        if digits == 11, groups.count == 1 { return false }
        let sizes = groups.map(\.count)
        if sizes == [2, 2, 4] || sizes == [2, 2, 2] || sizes == [4, 2, 2] { return false }
        if sizes == [6, 4] || sizes == [8, 4] { return false }
        if sizes == [10] {
            var values: [Int] = []
            for i in groups[0] { values.append(Int(s[i] - UInt8(ascii: "0"))) }
            let mobile = values[1] == 7
            if !mobile, PersonnummerDetector.isValidDate(values, dateDigits: 6) { return false }
        }
        return true
    }
}
