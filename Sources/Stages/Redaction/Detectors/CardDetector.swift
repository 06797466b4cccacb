/// Payment card numbers: 13–19 digits, optionally grouped with spaces or dashes (one kind per
/// number), starting with an issuer digit 2–6, passing Luhn.
enum CardDetector {
    static func find(_ s: ByteScanner, at start: Int) -> Finding? {
        guard (UInt8(ascii: "2")...UInt8(ascii: "6")).contains(s[start]), !s.continuesNumber(start) else { return nil }
        let number = NumberGroups(s, from: start, separators: [UInt8(ascii: " "), UInt8(ascii: "-")], maxDigits: 19)
        var groupCount = number.groups.count
        while groupCount > 0 {
            defer { groupCount -= 1 }
            let digitCount = number.digitCount(groups: groupCount)
            guard (13...19).contains(digitCount) else { continue }
            guard Set(number.separators.prefix(groupCount - 1)).count <= 1 else { continue }
            // Grouped numbers use groups of 4 (or Amex's 4-6-5); only the last may be shorter.
            // Tiny groups ("45 67") belong to phone numbers.
            if groupCount > 1, number.groups[..<(groupCount - 1)].contains(where: { $0.count < 4 }) {
                continue
            }
            let end = number.groups[groupCount - 1].upperBound
            guard s.isTokenEnd(end), Checksums.luhn(number.digits(s, groups: groupCount)) else { continue }
            return Finding(type: .card, range: start..<end)
        }
        return nil
    }
}
