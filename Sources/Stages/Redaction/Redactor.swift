/// Finds personal identifiers and secrets in text and replaces each with `<TYPE>`.
///
/// A single pass over the UTF-8 bytes looks for the few bytes a finding can start or hinge on
/// (digits, `+`, `(`, `@`, `:`, `=`, capitals, hex letters); the detectors then validate with
/// checksums, dates and context, because a redactor that eats ordinary numbers (dates, prices,
/// versions, order numbers) destroys training data. Pure and `Sendable`.
public struct Redactor: Sendable {
    public var types: Set<PIIType>

    public init(types: Set<PIIType> = Set(PIIType.allCases)) {
        self.types = types
    }

    /// Identifies the rules and the enabled types, for pipeline versions: a change re-redacts.
    /// v2: the phone notations of other European directories (slashes, dots, `+44(0)…`).
    public var configuration: String {
        "redact-v2:" + types.sorted().map(\.rawValue).joined(separator: ",")
    }

    public func redact(_ text: String) -> Redaction {
        var text = text
        return text.withUTF8 { bytes in
            let findings = Self.resolve(findings(in: ByteScanner(bytes: bytes)))
            return Self.apply(findings, to: bytes)
        }
    }

    func findings(in s: ByteScanner) -> [Finding] {
        var found: [Finding] = []
        func add(_ finding: Finding?) {
            if let finding, types.contains(finding.type) { found.append(finding) }
        }
        var i = 0
        let n = s.count
        while i < n {
            let b = s[i]
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let runEnd = s.digitRunEnd(from: i)
                if s.isTokenStart(i) {
                    add(PersonnummerDetector.find(s, at: i))
                    add(CardDetector.find(s, at: i))
                    add(PhoneDetector.findStartingWithZero(s, at: i))
                    add(IPAddressDetector.findIPv4(s, at: i))
                    if hasColonSoon(s, after: i) { add(IPAddressDetector.findIPv6(s, at: i)) }
                }
                i = runEnd
                continue
            case UInt8(ascii: "+"):
                add(PhoneDetector.findInternational(s, plusAt: i))
            case UInt8(ascii: "("):
                add(PhoneDetector.findParenthesizedAreaCode(s, at: i))
            case UInt8(ascii: "@"):
                add(EmailDetector.find(s, atSign: i))
            case UInt8(ascii: ":"):
                add(URLSecretDetector.findCredentials(s, colonAt: i))
                if s.byte(at: i + 1) == UInt8(ascii: ":"), s.isTokenStart(i) { add(IPAddressDetector.findIPv6(s, at: i)) }
            case UInt8(ascii: "="):
                add(URLSecretDetector.findParameter(s, equalsAt: i))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                if s.isTokenStart(i) {
                    add(IBANDetector.find(s, at: i))
                    if b <= UInt8(ascii: "F"), hasColonSoon(s, after: i) { add(IPAddressDetector.findIPv6(s, at: i)) }
                }
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                if s.isTokenStart(i), hasColonSoon(s, after: i) { add(IPAddressDetector.findIPv6(s, at: i)) }
            default:
                break
            }
            i += 1
        }
        return found
    }

    /// An IPv6 group has at most four hex digits, so a colon must follow within five bytes.
    @inline(__always)
    private func hasColonSoon(_ s: ByteScanner, after i: Int) -> Bool {
        var j = i
        while j < s.count, j <= i + 4 {
            let b = s[j]
            if b == UInt8(ascii: ":") { return true }
            if !ByteScanner.isHex(b) { return false }
            j += 1
        }
        return false
    }

    /// Non-overlapping findings: the earliest start wins, then the stronger type, then the longer.
    static func resolve(_ findings: [Finding]) -> [Finding] {
        let sorted = findings.sorted {
            ($0.range.lowerBound, $0.type.priority, -$0.range.count) < ($1.range.lowerBound, $1.type.priority, -$1.range.count)
        }
        var kept: [Finding] = []
        for finding in sorted where kept.last.map({ finding.range.lowerBound >= $0.range.upperBound }) ?? true {
            kept.append(finding)
        }
        return kept
    }

    /// The redacted text, and the findings' positions converted to Unicode scalar offsets.
    static func apply(_ findings: [Finding], to bytes: UnsafeBufferPointer<UInt8>) -> Redaction {
        guard !findings.isEmpty else {
            return Redaction(text: String(decoding: bytes, as: UTF8.self), entities: [])
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var entities: [PIIEntity] = []
        var byteCursor = 0
        var scalarCursor = 0
        for finding in findings {
            scalarCursor += UTF8Text.scalarCount(bytes, byteCursor..<finding.range.lowerBound)
            output.append(contentsOf: bytes[byteCursor..<finding.range.lowerBound])
            let start = scalarCursor
            scalarCursor += UTF8Text.scalarCount(bytes, finding.range)
            entities.append(PIIEntity(type: finding.type, start: start, end: scalarCursor))
            output.append(contentsOf: finding.type.placeholder.utf8)
            byteCursor = finding.range.upperBound
        }
        output.append(contentsOf: bytes[byteCursor...])
        return Redaction(text: String(decoding: output, as: UTF8.self), entities: entities)
    }
}
