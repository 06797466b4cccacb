extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits per byte (digests in keys, versions and manifests).
    public var hexString: String {
        var text = ""
        for byte in self {
            text.append(Character(Unicode.Scalar(Hex.digits[Int(byte >> 4)])))
            text.append(Character(Unicode.Scalar(Hex.digits[Int(byte & 0x0F)])))
        }
        return text
    }
}

enum Hex {
    static let digits = Array("0123456789abcdef".utf8)
}
