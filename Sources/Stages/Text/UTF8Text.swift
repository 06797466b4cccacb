#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tokenizers

/// Helpers over valid UTF-8 bytes (Swift strings are) for stages that must count and cut text
/// the way Python does: by Unicode scalars, not by `Character`s (`"\r\n"` is 2, not 1).
enum UTF8Text {
    /// Python's `len` of a slice: the number of scalars, i.e. of non-continuation bytes.
    /// Eight bytes at a time: the lead (non-continuation) bytes of a word are those whose top
    /// bits are not `10`.
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var count = 0
        var i = range.lowerBound
        let base = UnsafeRawPointer(bytes.baseAddress)
        while i + 8 <= range.upperBound {
            count += leadMask(base!.loadUnaligned(fromByteOffset: i, as: UInt64.self)).nonzeroBitCount
            i += 8
        }
        while i < range.upperBound {
            if bytes[i] & 0xC0 != 0x80 { count += 1 }
            i += 1
        }
        return count
    }

    /// Bit 7 of each byte of `word` set where that byte is not a continuation byte (10xxxxxx).
    @inline(__always)
    static func leadMask(_ word: UInt64) -> UInt64 {
        ~(word & ~(word << 1)) & 0x8080_8080_8080_8080
    }

    /// The start of the scalar that ends at byte `end` (exclusive).
    @inline(__always)
    static func scalarStart(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
        var i = end - 1
        while bytes[i] & 0xC0 == 0x80 { i -= 1 }
        return i
    }

    /// Python's `str.isspace()` for one scalar (wider than `\s` of most regex engines: it
    /// includes the separators U+001C–U+001F).
    @inline(__always)
    static func isPythonWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `range` without Python-whitespace scalars at either end (Python's `str.strip()`).
    static func stripped(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, isPythonWhitespace(UTF8Scalars.decode(bytes, at: start).value) {
            start += UTF8Scalars.sequenceLength(bytes[start])
        }
        while end > start {
            let last = scalarStart(bytes, before: end)
            guard isPythonWhitespace(UTF8Scalars.decode(bytes, at: last).value) else { break }
            end = last
        }
        return start..<end
    }

    /// The first occurrence of `needle` (non-empty) in `bytes[range]`, as its start index.
    static func firstIndex(of needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let first = Int32(needle[0])
        var i = range.lowerBound
        let last = range.upperBound - needle.count
        while i <= last {
            // memchr is vectorised; separators are rare compared with the bytes around them.
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var matched = true
            for k in 1..<needle.count where bytes[i + k] != needle[k] {
                matched = false
                break
            }
            if matched { return i }
            i += 1
        }
        return nil
    }
}
