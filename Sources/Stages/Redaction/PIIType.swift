/// The kinds of personal or secret data the redactor finds. The raw value is the placeholder's
/// name: a value of type `.email` becomes `<EMAIL>`; people and addresses are numbered per text,
/// or per conversation (`Pseudonyms`): `<PERSON_1>`, `<ADDRESS_2>`.
public enum PIIType: String, Sendable, CaseIterable, Codable, Comparable {
    case personnummer = "PERSONNUMMER"
    case email = "EMAIL"
    case phone = "PHONE"
    case card = "CARD"
    case iban = "IBAN"
    case ip = "IP"
    case urlSecret = "URL_SECRET"
    case person = "PERSON"
    case address = "ADDRESS"

    /// The placeholder of an unnumbered type (`<EMAIL>`), or of a numbered one without its number.
    public var placeholder: String { "<\(rawValue)>" }

    /// People and addresses get a number per pseudonym, so that a conversation keeps telling them apart.
    public var isNumbered: Bool { self == .person || self == .address }

    /// `<PERSON_3>` for a numbered type, `<EMAIL>` for the others.
    public func placeholder(label: Int?) -> String {
        guard let label, isNumbered else { return placeholder }
        return "<\(rawValue)_\(label)>"
    }

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
        case .address: 7
        case .person: 8
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
    /// The pseudonym's number of a person or an address (`<PERSON_2>` → 2), nil for other types.
    public var label: Int?

    public init(type: PIIType, start: Int, end: Int, label: Int? = nil) {
        self.type = type
        self.start = start
        self.end = end
        self.label = label
    }
}

/// The output of the redactor for one text.
public struct Redaction: Sendable, Equatable {
    /// The text with placeholders (`<EMAIL>`, `<PERSON_1>`).
    public var text: String
    public var entities: [PIIEntity]

    /// A numbered placeholder in `text`, for rendering surrogates.
    struct Piece: Sendable, Equatable {
        var range: Range<Int>
        var type: PIIType
        var label: Int
        var form: Pseudonyms.Form
    }
    var pieces: [Piece] = []

    public init(text: String, entities: [PIIEntity]) {
        self.text = text
        self.entities = entities
    }

    /// `text` in `style`: as it is, or with the people and addresses of `pseudonyms` (the ones
    /// this text was redacted with) replaced by invented ones.
    public func rendered(_ style: Pseudonyms.Style, with pseudonyms: Pseudonyms) -> String {
        guard style == .surrogate, !pieces.isEmpty else { return text }
        return rendered(with: pseudonyms.surrogates())
    }

    /// `text` with its numbered placeholders replaced by `surrogates` (made once for all the
    /// texts of a conversation).
    func rendered(with surrogates: Pseudonyms.Surrogates) -> String {
        guard !pieces.isEmpty else { return text }
        var output: [UInt8] = []
        let bytes = Array(text.utf8)
        output.reserveCapacity(bytes.count)
        var cursor = 0
        for piece in pieces {
            output += bytes[cursor..<piece.range.lowerBound]
            output += surrogates.text(piece.type, piece.label, piece.form).utf8
            cursor = piece.range.upperBound
        }
        output += bytes[cursor...]
        return String(decoding: output, as: UTF8.self)
    }

    /// Entity counts by type, for storage and logs (never the values).
    public var counts: [PIIType: Int] {
        entities.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}

/// A finding in UTF-8 byte offsets, before overlaps are resolved.
struct Finding: Sendable, Equatable {
    var type: PIIType
    var range: Range<Int>
    /// How an address is written (its invented replacement follows it); nil for other types.
    var language: Language?
}
