#if canImport(Glibc)
import Glibc
#endif

/// A byte-level reader of JSON for the fast paths that read our own common shapes (the log line,
/// stored chat messages, an exported line) without `JSONDecoder`'s or `JSONSerialization`'s
/// cost. Each fast path accepts only what it is sure of — a key it does not know, a repeated
/// key, a number with a fraction, an escaped key, a string that fails validation: nil — and
/// its caller then takes the general decoder, which gives the value or the precise error.
struct JSONByteScanner {
    enum Value {
        case string(String), integer(Int64), bool(Bool), null
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    mutating func atEnd() -> Bool {
        skipSpace()
        return i == bytes.count
    }

    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    /// `{ "key": value, … }` with `body` consuming each value; false on a repeated key or one
    /// `body` does not know. Keys are matched as bytes against `keys` (no `String`, no hashing:
    /// this runs for every field of every line); a key with an escape is "not sure".
    mutating func object(keys: [StaticString], _ body: (inout JSONByteScanner, Int) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        var seen: UInt32 = 0
        repeat {
            skipSpace()
            guard let index = key(in: keys), seen & (1 << index) == 0, take(UInt8(ascii: ":")) else { return false }
            seen |= 1 << index
            guard body(&self, index) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// `[ element, … ]` with `element` consuming each one; false when it or the brackets fail.
    mutating func array(_ element: (inout JSONByteScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard element(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// The index in `keys` of the quoted key at the cursor, which it consumes; nil otherwise.
    mutating func key(in keys: [StaticString]) -> Int? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        let length = end - start
        for (index, name) in keys.enumerated() where name.utf8CodeUnitCount == length {
            // withUTF8Buffer, not utf8Start: it also holds for a one-character literal.
            let same = name.withUTF8Buffer { memcmp(bytes.baseAddress! + start, $0.baseAddress!, length) == 0 }
            if same {
                i = end + 1
                return index
            }
        }
        return nil
    }

    mutating func value() -> Value? {
        skipSpace()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return integer().map(Value.integer)
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return false }
        i += count
        return true
    }

    /// An integer without fraction or exponent (anything else: not sure, nil).
    mutating func integer() -> Int64? {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
        guard i > digits, i - digits <= 18, !(bytes[digits] == UInt8(ascii: "0") && i - digits > 1) else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
        var value: Int64 = 0
        for k in digits..<i { value = value * 10 + Int64(bytes[k] - UInt8(ascii: "0")) }
        return bytes[start] == UInt8(ascii: "-") ? -value : value
    }

    /// `bytes` as a string when they are valid UTF-8, else nil. Decoded (which repairs) and
    /// compared with the input, which only invalid input fails: `String(validating:as:)` is
    /// generic over the encoding and looked up its metadata on every call (3 % of ingest's
    /// client time).
    static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var text = String(decoding: bytes, as: UTF8.self)
        let same = text.withUTF8 { decoded in
            decoded.count == bytes.count && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return same ? text : nil
    }

    /// A JSON string; escapes decoded (surrogate pairs included); nil on anything invalid.
    mutating func string() -> String? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
            guard bytes[i] >= 0x20 else { return nil }
            i += 1
        }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") {  // the usual case: no escapes
            defer { i += 1 }
            return Self.validUTF8(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                i += 1
                return out.withUnsafeBufferPointer(Self.validUTF8)
            }
            guard byte >= 0x20 else { return nil }
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { return nil }
            i += 2
            switch bytes[i - 1] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    return nil
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: return nil
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[i]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }
}
