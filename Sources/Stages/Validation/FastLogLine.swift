#if canImport(Glibc)
import Glibc
#endif

/// A byte scanner for the common shape of the seed's log line (a flat object of the known keys,
/// `feedback` and `consent` objects inside), ~5× cheaper than `JSONDecoder`, for bulk ingest.
///
/// It only ever accepts what `RawInteraction`'s decoding accepts, with the same result: anything
/// it is not sure of (an unknown or repeated key, a number with a fraction, a string that fails
/// validation, malformed JSON) returns nil, and the line goes through `JSONDecoder`, which gives
/// the record or the precise error. `FastLogLineTests` holds the two paths together.
enum FastLogLine {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> RawInteraction? {
        var scanner = Scanner(bytes: bytes)
        guard let raw = scanner.interaction(), scanner.atEnd() else { return nil }
        return raw
    }

    private enum Value {
        case string(String), integer(Int64), bool(Bool), null
    }

    private struct Scanner {
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
        mutating func object(keys: [StaticString], _ body: (inout Scanner, Int) -> Bool) -> Bool {
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
                return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            var out = Array(bytes[start..<i])
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    i += 1
                    return String(validating: out, as: UTF8.self)
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

        // MARK: - the log line

        /// The log line's keys, in the order `Field` numbers them.
        private static let interactionKeys: [StaticString] = [
            "id", "session_id", "turn_index", "timestamp", "user_input", "ai_response", "mode", "user_id", "language",
            "feedback", "consent",
        ]
        private static let feedbackKeys: [StaticString] = ["rating", "helpful"]
        private static let consentKeys: [StaticString] = ["training", "retrieval"]
        private enum Field: Int {
            case id, sessionID, turnIndex, timestamp, userInput, aiResponse, mode, userID, language, feedback, consent
        }

        mutating func interaction() -> RawInteraction? {
            var fields = [Value?](repeating: nil, count: Field.feedback.rawValue)
            var feedback: RawFeedback?
            var consent: ConsentRecord?
            let ok = object(keys: Self.interactionKeys) { scanner, index in
                switch Field(rawValue: index)! {
                case .feedback:
                    return scanner.feedback(&feedback)
                case .consent:
                    return scanner.consent(&consent)
                default:
                    guard let value = scanner.value() else { return false }
                    fields[index] = value
                    return true
                }
            }
            guard ok else { return nil }
            func text(_ field: Field) -> String?? {
                switch fields[field.rawValue] {
                case nil, .null?: return .some(nil)
                case .string(let s)?: return .some(s)
                default: return nil
                }
            }
            func identifier(_ field: Field) -> String?? {
                switch fields[field.rawValue] {
                case nil, .null?: return .some(nil)
                case .string(let s)? where !s.isEmpty: return .some(s)
                case .integer(let n)?: return .some(String(n))
                default: return nil
                }
            }
            guard let id = identifier(.id), let session = identifier(.sessionID), let user = identifier(.userID),
                  let language = text(.language), let modeText = text(.mode),
                  case .string(let timestamp)? = fields[Field.timestamp.rawValue], let occurredAt = ISOTimestamp.parseMicros(timestamp),
                  case .string(let userInput)? = fields[Field.userInput.rawValue], userInput.contains(where: { !$0.isWhitespace }),
                  case .string(let aiResponse)? = fields[Field.aiResponse.rawValue], aiResponse.contains(where: { !$0.isWhitespace })
            else { return nil }
            var turnIndex: Int?
            switch fields[Field.turnIndex.rawValue] {
            case nil, .null?: turnIndex = nil
            case .integer(let n)? where n >= 0 && n <= Int64(Int32.max): turnIndex = Int(n)
            default: return nil
            }
            var mode: Mode?
            if let modeText {
                guard let parsed = Mode(rawValue: modeText) else { return nil }
                mode = parsed
            }
            if consent != nil, user == nil { return nil }
            return RawInteraction(
                id: id, sessionID: session, turnIndex: turnIndex, occurredAt: occurredAt, userInput: userInput,
                aiResponse: aiResponse, feedback: feedback, mode: mode, userID: user, language: language, consent: consent)
        }

        /// `{"rating": 1…5 or null, "helpful": bool or null}`, or null.
        mutating func feedback(_ feedback: inout RawFeedback?) -> Bool {
            skipSpace()
            if literal("null") { return true }
            var result = RawFeedback(rating: nil, helpful: nil)
            let ok = object(keys: Self.feedbackKeys) { scanner, key in
                switch (key, scanner.value()) {
                case (0, .integer(let rating)?) where (1...5).contains(rating): result.rating = Int(rating)
                case (1, .bool(let helpful)?): result.helpful = helpful
                case (0, .null?), (1, .null?): break
                default: return false
                }
                return true
            }
            guard ok else { return false }
            feedback = result
            return true
        }

        mutating func consent(_ consent: inout ConsentRecord?) -> Bool {
            skipSpace()
            if literal("null") { return true }
            var result = ConsentRecord(training: nil, retrieval: nil)
            let ok = object(keys: Self.consentKeys) { scanner, key in
                guard let value = scanner.value() else { return false }
                switch (key, value) {
                case (0, .bool(let granted)): result.training = granted
                case (1, .bool(let granted)): result.retrieval = granted
                case (0, .null), (1, .null): break
                default: return false
                }
                return true
            }
            guard ok, result.training != nil || result.retrieval != nil else { return false }
            consent = result
            return true
        }
    }
}

extension RawFeedback {
    init(rating: Int?, helpful: Bool?) {
        self.rating = rating
        self.helpful = helpful
    }
}

extension RawInteraction {
    init(
        id: String?, sessionID: String?, turnIndex: Int?, occurredAt: Int64, userInput: String, aiResponse: String,
        feedback: RawFeedback?, mode: Mode?, userID: String?, language: String?, consent: ConsentRecord?
    ) {
        self.id = id
        self.sessionID = sessionID
        self.turnIndex = turnIndex
        self.occurredAt = occurredAt
        self.userInput = userInput
        self.aiResponse = aiResponse
        self.feedback = feedback
        self.mode = mode
        self.userID = userID
        self.language = language
        self.consent = consent
    }
}
