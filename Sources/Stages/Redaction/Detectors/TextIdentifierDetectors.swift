/// Identifiers recognised around a marker character: e-mail addresses (`@`), IBANs (two
/// capital letters and two check digits), and secrets in URLs (`user:pass@`, `?token=…`).
enum EmailDetector {
    /// Local parts and domains may be internationalised (RFC 6531: `åsa@förening.se`).
    @inline(__always) private static func isLocal(_ b: UInt8) -> Bool {
        ByteScanner.isAlnum(b) || b >= 0x80 || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }

    static func find(_ s: ByteScanner, atSign at: Int) -> Finding? {
        var start = at
        while start > 0, isLocal(s[start - 1]) { start -= 1 }
        while start < at, s[start] == UInt8(ascii: ".") { start += 1 }
        guard start < at else { return nil }
        // Domain: labels of letters, digits and dashes, at least two, the last alphabetic.
        var end = at + 1
        var lastLabelStart = end
        var labels = 0
        while true {
            var j = end
            while j < s.count, ByteScanner.isAlnum(s[j]) || s[j] >= 0x80 || s[j] == UInt8(ascii: "-") { j += 1 }
            guard j > end else { break }
            labels += 1
            lastLabelStart = end
            end = j
            guard s.byte(at: j) == UInt8(ascii: "."), let next = s.byte(at: j + 1), ByteScanner.isAlnum(next) else { break }
            end = j + 1
        }
        guard labels >= 2, end - lastLabelStart >= 2,
              (lastLabelStart..<end).allSatisfy({ ByteScanner.isAlpha(s[$0]) }) else { return nil }
        return Finding(type: .email, range: start..<end)
    }
}

enum IBANDetector {
    /// Lengths of the IBANs of common countries (ISO 13616 registry); others: 15–34.
    static let lengths: [String: Int] = [
        "SE": 24, "NO": 15, "DK": 18, "FI": 18, "IS": 26, "DE": 22, "GB": 22, "IE": 22, "FR": 27, "ES": 24,
        "IT": 27, "NL": 18, "BE": 16, "LU": 20, "CH": 21, "AT": 20, "PL": 28, "PT": 25, "EE": 20, "LV": 21,
        "LT": 20, "CZ": 24, "SK": 24, "HU": 28, "GR": 27, "HR": 21, "SI": 19, "RO": 24, "BG": 22,
    ]

    static func find(_ s: ByteScanner, at start: Int) -> Finding? {
        guard start + 4 <= s.count, ByteScanner.isUpper(s[start + 1]), s.isDigit(at: start + 2), s.isDigit(at: start + 3),
              s.isTokenStart(start) else { return nil }
        let country = String(decoding: [s[start], s[start + 1]], as: UTF8.self)
        let expected = lengths[country]
        // Characters in groups separated by single spaces; remember where each group ends.
        var characters: [UInt8] = []
        var groupEnds: [(end: Int, length: Int)] = []
        var i = start
        while i < s.count, characters.count < 34 {
            let b = s[i]
            if ByteScanner.isUpper(b) || ByteScanner.isDigit(b) {
                characters.append(b)
                i += 1
                continue
            }
            if ByteScanner.isLower(b) { return nil }  // glued to a word
            groupEnds.append((i, characters.count))
            guard b == UInt8(ascii: " "), let next = s.byte(at: i + 1), ByteScanner.isUpper(next) || ByteScanner.isDigit(next) else {
                break
            }
            i += 1
        }
        if groupEnds.last?.end != i { groupEnds.append((i, characters.count)) }
        for (end, length) in groupEnds.reversed() {
            if let expected, length != expected { continue }
            guard (15...34).contains(length), s.isTokenEnd(end), Checksums.ibanMod97(Array(characters[..<length])) else {
                continue
            }
            return Finding(type: .iban, range: start..<end)
        }
        return nil
    }
}

enum URLSecretDetector {
    /// Query parameter names whose values are credentials.
    static let secretParameters: Set<String> = [
        "token", "access_token", "refresh_token", "id_token", "auth_token", "session_token", "api_key", "apikey",
        "api-key", "key", "password", "passwd", "pwd", "pass", "secret", "client_secret", "sig", "signature",
        "x-amz-signature", "x-amz-credential", "x-amz-security-token", "auth", "authorization", "code",
        "sessionid", "session_id", "sid", "private_token", "jwt",
    ]
    /// Names that are secrets even outside a URL query (`password=hunter2` in a sentence).
    static let standaloneParameters: Set<String> = [
        "password", "passwd", "pwd", "secret", "client_secret", "token", "access_token", "api_key", "apikey",
    ]

    @inline(__always) private static func isClosingPunctuation(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ")"), UInt8(ascii: "!"), UInt8(ascii: "?"): true
        default: false
        }
    }

    /// `scheme://user:password@host`: the user-info part.
    static func findCredentials(_ s: ByteScanner, colonAt at: Int) -> Finding? {
        guard s.byte(at: at + 1) == UInt8(ascii: "/"), s.byte(at: at + 2) == UInt8(ascii: "/"), at > 0,
              ByteScanner.isAlpha(s[at - 1]) else { return nil }
        let start = at + 3
        var i = start
        var lastAt: Int?
        var colon: Int?
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "/") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#") || b <= 0x20
                || b == UInt8(ascii: "\"") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") { break }
            if b == UInt8(ascii: "@") { lastAt = i }
            if b == UInt8(ascii: ":"), lastAt == nil, colon == nil { colon = i }
            i += 1
        }
        guard let lastAt, let colon, colon > start, colon + 1 < lastAt else { return nil }
        return Finding(type: .urlSecret, range: start..<lastAt)
    }

    /// `name=value` with a secret name: the value.
    static func findParameter(_ s: ByteScanner, equalsAt at: Int) -> Finding? {
        var nameStart = at
        while nameStart > 0, ByteScanner.isAlnum(s[nameStart - 1]) || s[nameStart - 1] == UInt8(ascii: "_")
            || s[nameStart - 1] == UInt8(ascii: "-") { nameStart -= 1 }
        guard nameStart < at else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: s.bytes[nameStart..<at]), as: UTF8.self).lowercased()
        let delimiter = nameStart > 0 ? s[nameStart - 1] : UInt8(ascii: " ")
        let inQuery = delimiter == UInt8(ascii: "?") || delimiter == UInt8(ascii: "&") || delimiter == UInt8(ascii: ";")
        let standalone = delimiter <= 0x20 || delimiter == UInt8(ascii: "(")
        guard (inQuery && secretParameters.contains(name)) || (standalone && standaloneParameters.contains(name)) else {
            return nil
        }
        var end = at + 1
        while end < s.count {
            let b = s[end]
            if b <= 0x20 || b == UInt8(ascii: "&") || b == UInt8(ascii: "#") || b == UInt8(ascii: "\"")
                || b == UInt8(ascii: "'") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") { break }
            end += 1
        }
        // A sentence's closing punctuation is not part of the value.
        while end > at + 1, isClosingPunctuation(s[end - 1]) { end -= 1 }
        guard end > at + 1 else { return nil }
        return Finding(type: .urlSecret, range: (at + 1)..<end)
    }
}
