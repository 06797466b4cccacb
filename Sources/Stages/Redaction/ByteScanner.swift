/// Byte-level predicates and scans over UTF-8 text shared by the detectors. Non-ASCII bytes
/// count as word characters (they are letters in Swedish text), which keeps numbers glued to
/// words (`ABC123`, `åtta5`) out of the numeric detectors.
struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    @inline(__always) subscript(_ i: Int) -> UInt8 { bytes[i] }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b >= 0x80 || b == UInt8(ascii: "_") }

    @inline(__always) func isDigit(at i: Int) -> Bool { i >= 0 && i < count && Self.isDigit(bytes[i]) }
    @inline(__always) func byte(at i: Int) -> UInt8? { i >= 0 && i < count ? bytes[i] : nil }

    /// `i` starts a token: not preceded by a word character, nor by a decimal point or comma
    /// that follows a digit (`3.14159…`, `1,5`).
    func isTokenStart(_ i: Int) -> Bool {
        guard i > 0 else { return true }
        let previous = bytes[i - 1]
        if Self.isWord(previous) { return false }
        if previous == UInt8(ascii: ".") || previous == UInt8(ascii: ","), isDigit(at: i - 2) { return false }
        return true
    }

    /// The digits at `i` are a later group of a longer grouped number (`… 0000 0583 …`,
    /// `14.05.2024`, `2024/0012`).
    func continuesNumber(_ i: Int) -> Bool {
        guard i >= 2 else { return false }
        let previous = bytes[i - 1]
        let joins = previous == UInt8(ascii: " ") || previous == UInt8(ascii: "-") || previous == UInt8(ascii: ".") || previous == UInt8(ascii: "/")
        return joins && Self.isDigit(bytes[i - 2])
    }

    /// `i` ends a token: the next byte is not a word character, nor a `.`/`,`/`-` followed by a
    /// digit (`1.5`, `2024-05`, `12,50`).
    func isTokenEnd(_ i: Int) -> Bool {
        guard i < count else { return true }
        let next = bytes[i]
        if Self.isWord(next) { return false }
        if next == UInt8(ascii: ".") || next == UInt8(ascii: ",") || next == UInt8(ascii: "-"), isDigit(at: i + 1) {
            return false
        }
        return true
    }

    /// The end of the run of ASCII letters starting at `i`, eight bytes at a time: most of a
    /// text is letters, and a byte-by-byte loop mispredicted a branch at every word's end.
    @inline(__always)
    func letterRunEnd(from i: Int) -> Int {
        var j = i
        let high: UInt64 = 0x8080_8080_8080_8080
        while j + 8 <= count {
            let word = UnsafeRawPointer(bytes.baseAddress! + j).loadUnaligned(as: UInt64.self)
            // Per byte, without carries between bytes (each is at most 0x7F after the mask):
            // the high bit of `x + 0x1F` says x ≥ 0x61 ("a"), of `x + 0x05` says x ≥ 0x7B.
            let x = (word | 0x2020_2020_2020_2020) & 0x7F7F_7F7F_7F7F_7F7F
            let letters = (x &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(x &+ 0x0505_0505_0505_0505) & ~word & high
            let others = ~letters & high
            if others != 0 { return j + others.trailingZeroBitCount / 8 }
            j += 8
        }
        while j < count, Self.isAlpha(bytes[j]) { j += 1 }
        return j
    }

    /// The end of the run of digits starting at `i`.
    @inline(__always)
    func digitRunEnd(from i: Int) -> Int {
        var j = i
        while j < count, Self.isDigit(bytes[j]) { j += 1 }
        return j
    }

    @inline(__always) static func isGapBeforeNumber(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "#"), UInt8(ascii: "."), UInt8(ascii: "\t"): true
        default: false
        }
    }

    /// The lowercased word that ends just before `i`, skipping up to four spaces, tabs, `:`,
    /// `#` or `.` between it and `i` (context words such as "ordernummer: 0701…"). At most
    /// 24 bytes.
    func wordBefore(_ i: Int) -> String {
        var end = i
        while end > 0, i - end < 4, Self.isGapBeforeNumber(bytes[end - 1]) { end -= 1 }
        var start = end
        while start > 0, Self.isWord(bytes[start - 1]), end - start < 24 { start -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self).lowercased()
    }
}
