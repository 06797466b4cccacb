/// IPv4 dotted quads (each part 0–255, no leading zeros) and IPv6 addresses (eight groups, or
/// fewer with one `::`, optionally ending in an IPv4 part). Version and build numbers that look
/// like addresses ("version 1.2.3.4", "v10.0.0.1") are left alone.
enum IPAddressDetector {
    static let versionWords: Set<String> = ["v", "version", "ver", "build", "release", "versionen", "utgåva"]

    static func findIPv4(_ s: ByteScanner, at start: Int) -> Finding? {
        guard let end = ipv4End(s, from: start), s.isTokenEnd(end) else { return nil }
        // "1.2.3.4.5" is a version number, not an address followed by ".5".
        if s.byte(at: end) == UInt8(ascii: "."), s.isDigit(at: end + 1) { return nil }
        if start > 0, s[start - 1] == UInt8(ascii: "v") || s[start - 1] == UInt8(ascii: "V") { return nil }
        if versionWords.contains(s.wordBefore(start)) { return nil }
        return Finding(type: .ip, range: start..<end)
    }

    /// The end of a dotted quad starting at `start`, if there is one.
    static func ipv4End(_ s: ByteScanner, from start: Int) -> Int? {
        var i = start
        for part in 0..<4 {
            let end = s.digitRunEnd(from: i)
            let length = end - i
            guard (1...3).contains(length), length == 1 || s[i] != UInt8(ascii: "0") else { return nil }
            var value = 0
            for k in i..<end { value = value * 10 + Int(s[k] - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            if part < 3 {
                guard s.byte(at: end) == UInt8(ascii: "."), s.isDigit(at: end + 1) else { return nil }
                i = end + 1
            } else {
                i = end
            }
        }
        return i
    }

    /// An IPv6 address starting at `start` (a hex digit or `:`).
    static func findIPv6(_ s: ByteScanner, at start: Int) -> Finding? {
        var end = start
        var colons = 0
        while end < s.count, end - start < 45 {
            let b = s[end]
            if b == UInt8(ascii: ":") { colons += 1 } else if !ByteScanner.isHex(b) && b != UInt8(ascii: ".") { break }
            end += 1
        }
        guard colons >= 2 else { return nil }
        // A sentence's full stop or colon after the address is not part of it ("…::1." stays
        // "::1"; a trailing "::" is the address's own compression and stays).
        while end > start {
            let last = s[end - 1]
            let endsWithCompression = last == UInt8(ascii: ":") && end - 2 >= start && s[end - 2] == UInt8(ascii: ":")
            guard last == UInt8(ascii: ".") || (last == UInt8(ascii: ":") && !endsWithCompression) else { break }
            end -= 1
        }
        guard end > start, s.isTokenEnd(end), isIPv6(s, start..<end) else { return nil }
        return Finding(type: .ip, range: start..<end)
    }

    private static func isIPv6(_ s: ByteScanner, _ range: Range<Int>) -> Bool {
        var groups = 0
        var compressed = false
        var i = range.lowerBound
        var hexDigits = 0
        if s[i] == UInt8(ascii: ":") {
            guard s.byte(at: i + 1) == UInt8(ascii: ":") else { return false }
            compressed = true
            i += 2
        }
        while i < range.upperBound {
            // An embedded IPv4 address must be the last part.
            if let v4End = ipv4End(s, from: i), v4End == range.upperBound, groups <= 6 {
                groups += 2
                hexDigits += 1
                break
            }
            var j = i
            while j < range.upperBound, ByteScanner.isHex(s[j]) { j += 1 }
            guard (1...4).contains(j - i) else { return false }
            hexDigits += j - i
            groups += 1
            if j == range.upperBound { break }
            guard s[j] == UInt8(ascii: ":") else { return false }
            if j + 1 < range.upperBound, s[j + 1] == UInt8(ascii: ":") {
                guard !compressed else { return false }
                compressed = true
                i = j + 2
            } else {
                guard j + 1 < range.upperBound else { return false }
                i = j + 1
            }
        }
        guard hexDigits > 0 else { return false }
        return compressed ? groups <= 7 : groups == 8
    }
}
