/// The kinds of personal or secret data the redactor finds. The raw value is the placeholder's
/// name: a value of type `.email` becomes `<EMAIL>`.
public enum PIIType: String, Sendable, CaseIterable, Codable, Comparable {
    case personnummer = "PERSONNUMMER"
    case email = "EMAIL"
    case phone = "PHONE"
    case card = "CARD"
    case iban = "IBAN"
    case ip = "IP"
    case urlSecret = "URL_SECRET"

    public var placeholder: String { "<\(rawValue)>" }

    /// Which type wins when two findings overlap at the same start: the one with the stronger
    /// validation (checksums before shapes).
    var priority: Int {
        switch self {
        case .urlSecret: 0
        case .email: 1
        case .iban: 2
        case .card: 3
        case .personnummer: 4
        case .ip: 5
        case .phone: 6
        }
    }

    public static func < (lhs: PIIType, rhs: PIIType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One redacted value: its type and where it was in the input, in Unicode scalars (Python
/// string indices), `end` exclusive. The value itself is never kept.
public struct PIIEntity: Sendable, Equatable, Codable {
    public var type: PIIType
    public var start: Int
    public var end: Int

    public init(type: PIIType, start: Int, end: Int) {
        self.type = type
        self.start = start
        self.end = end
    }
}

/// The output of the redactor for one text.
public struct Redaction: Sendable, Equatable {
    public var text: String
    public var entities: [PIIEntity]

    /// Entity counts by type, for storage and logs (never the values).
    public var counts: [PIIType: Int] {
        entities.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}

/// A finding in UTF-8 byte offsets, before overlaps are resolved.
struct Finding: Sendable, Equatable {
    var type: PIIType
    var range: Range<Int>
}
