/// The character classes of tiktoken's cl100k pattern, as bit flags per Unicode scalar:
/// `\p{L}`, `\p{N}`, `\s` (the White_Space property, as in Rust's `regex`), and the single
/// characters the pattern names.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    /// `\r` or `\n` (also whitespace).
    static let lineBreak = ScalarClass(rawValue: 8)
    /// U+0020 only (the pattern's literal space).
    static let space = ScalarClass(rawValue: 16)
    static let apostrophe = ScalarClass(rawValue: 32)

    /// Classes of every scalar of the Basic Multilingual Plane, computed once (64 KiB); the
    /// Unicode property lookups are too slow to make per character of a 10 MB text.
    private static let basicPlane: [UInt8] = (0..<0x1_0000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return 0 }  // surrogates
        return compute(scalar).rawValue
    }

    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x1_0000 { return ScalarClass(rawValue: basicPlane[Int(value)]) }
        guard let scalar = Unicode.Scalar(value) else { return [] }
        return compute(scalar)
    }

    private static func compute(_ scalar: Unicode.Scalar) -> ScalarClass {
        var result: ScalarClass = []
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        default:
            break
        }
        if scalar.properties.isWhitespace { result.insert(.whitespace) }
        switch scalar.value {
        case 0x0A, 0x0D: result.insert(.lineBreak)
        case 0x20: result.insert(.space)
        case 0x27: result.insert(.apostrophe)
        default: break
        }
        return result
    }
}
