/// tiktoken's cl100k `pat_str`, hand-compiled into a scanner over Unicode scalars:
///
///     '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
///
/// Every scalar starts a match of some alternative, so the matches tile the text; `pieceEnd`
/// returns where the match starting at `i` ends, trying the alternatives in order as the regex
/// engine does (including its backtracking in `\s*[\r\n]` and `\s+(?!\S)`).
struct CL100KPretokenizer {
    /// Class flags and byte offsets of the scalars of one text (`offsets` has one extra entry:
    /// the end of the text).
    let classes: UnsafeBufferPointer<UInt8>
    let offsets: UnsafeBufferPointer<Int32>
    let bytes: UnsafeBufferPointer<UInt8>

    @inline(__always)
    private func has(_ i: Int, _ flags: ScalarClass) -> Bool {
        classes[i] & flags.rawValue != 0
    }

    /// The scalar at index `i` folded to ASCII lowercase if it is an ASCII letter; `ſ` (U+017F)
    /// folds to `s` as in the regex crate's Unicode case folding. Other scalars map to 0.
    @inline(__always)
    private func foldedASCII(_ i: Int) -> UInt8 {
        let start = Int(offsets[i])
        let b = bytes[start]
        if b < 0x80 { return b | 0x20 }
        if b == 0xC5, Int(offsets[i + 1]) - start == 2, bytes[start + 1] == 0xBF { return UInt8(ascii: "s") }
        return 0
    }

    func pieceEnd(from i: Int) -> Int {
        let n = classes.count
        let c = ScalarClass(rawValue: classes[i])

        // '(?i:[sdmt]|ll|ve|re)
        if c.contains(.apostrophe), i + 1 < n {
            switch foldedASCII(i + 1) {
            case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
                return i + 2
            case let first where i + 2 < n:
                let second = foldedASCII(i + 2)
                switch (first, second) {
                case (UInt8(ascii: "l"), UInt8(ascii: "l")), (UInt8(ascii: "v"), UInt8(ascii: "e")),
                     (UInt8(ascii: "r"), UInt8(ascii: "e")):
                    return i + 3
                default: break
                }
            default: break
            }
        }

        // [^\r\n\p{L}\p{N}]?+\p{L}++
        var j = i
        if !has(i, [.letter, .number, .lineBreak]) { j = i + 1 }
        if j < n, has(j, .letter) {
            j += 1
            while j < n, has(j, .letter) { j += 1 }
            return j
        }

        // \p{N}{1,3}+
        if c.contains(.number) {
            j = i + 1
            while j < n, j < i + 3, has(j, .number) { j += 1 }
            return j
        }

        // ' ?[^\s\p{L}\p{N}]++[\r\n]*+'
        j = c.contains(.space) ? i + 1 : i
        if j < n, !has(j, [.whitespace, .letter, .number]) {
            j += 1
            while j < n, !has(j, [.whitespace, .letter, .number]) { j += 1 }
            while j < n, has(j, .lineBreak) { j += 1 }
            return j
        }

        // Only whitespace is left: c is \s here.
        var end = i + 1
        while end < n, has(end, .whitespace) { end += 1 }
        // \s++$
        if end == n { return n }
        // \s*[\r\n]: the longest whitespace prefix that ends with a line break
        var k = end - 1
        while k >= i {
            if has(k, .lineBreak) { return k + 1 }
            k -= 1
        }
        // \s+(?!\S): the run minus its last scalar, which then precedes the non-space
        if end - i >= 2 { return end - 1 }
        // \s
        return i + 1
    }
}
