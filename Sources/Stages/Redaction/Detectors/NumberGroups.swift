/// A number written in groups: digit runs joined by single separators (`070-123 45 67`,
/// `4111 1111 1111 1111`). Detectors try its prefixes ending at group boundaries, longest first,
/// so that a number followed by an unrelated one (`… 45 67 12 äpplen`) is still found.
struct NumberGroups {
    /// Byte ranges of the digit runs.
    var groups: [Range<Int>] = []
    /// The separator byte before each group after the first (`0` when none).
    var separators: [UInt8] = []

    /// Reads groups from `start` (a digit) joined by one of `allowed` separator bytes, at most
    /// `maxDigits` digits in all.
    init(_ scanner: ByteScanner, from start: Int, separators allowed: [UInt8], maxDigits: Int) {
        var i = start
        var digits = 0
        while true {
            let end = scanner.digitRunEnd(from: i)
            digits += end - i
            if digits > maxDigits, !groups.isEmpty { break }
            groups.append(i..<end)
            guard digits < maxDigits, let separator = scanner.byte(at: end), allowed.contains(separator),
                  scanner.isDigit(at: end + 1) else { break }
            separators.append(separator)
            i = end + 1
        }
    }

    /// Digit values of the first `groupCount` groups.
    func digits(_ scanner: ByteScanner, groups groupCount: Int) -> [UInt8] {
        var values: [UInt8] = []
        for group in groups[..<groupCount] {
            for i in group { values.append(scanner[i] - UInt8(ascii: "0")) }
        }
        return values
    }

    func digitCount(groups groupCount: Int) -> Int {
        groups[..<groupCount].reduce(0) { $0 + $1.count }
    }
}
