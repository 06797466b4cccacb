extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits per byte (digests in keys, versions and manifests).
    /// Inlinable: specialised where it is used (digests, byte arrays), not called through the
    /// generic `Sequence` witness per byte.
    @inlinable
    public var hexString: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        let digit = { (nibble: UInt8) -> UInt8 in nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble }
        for byte in self {
            bytes.append(digit(byte >> 4))
            bytes.append(digit(byte & 0x0F))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in decimal, as `String(value)` writes it, without making the string.
    mutating func appendDecimal(_ value: some BinaryInteger) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = endIndex
        repeat {
            append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude != 0
        self[start...].reverse()
    }

    /// The bytes of a hexadecimal string (two digits per byte, either case), as written by
    /// `hexString` or PostgreSQL's `encode(…, 'hex')`; `nil` for anything else.
    public init?(hexadecimal text: String) {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        self.init()
        reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Hex.value(digits[index]), let low = Hex.value(digits[index + 1]) else { return nil }
            append(high << 4 | low)
            index += 2
        }
    }
}

enum Hex {
    static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
