/// Finds personal identifiers, secrets, people's names and street addresses in text and replaces
/// each with `<TYPE>` (people and addresses with numbered pseudonyms: `<PERSON_1>`).
///
/// A single pass over the UTF-8 bytes looks for the few bytes a finding can start or hinge on
/// (digits, `+`, `(`, `@`, `:`, `=`, capitals, hex letters); the detectors then validate with
/// checksums, dates and context, because a redactor that eats ordinary numbers (dates, prices,
/// versions, order numbers) destroys training data. Names and addresses are found over the
/// text's words (`WordTokenizer`, `PersonDetector`, `AddressDetector`). Pure and `Sendable`.
public struct Redactor: Sendable {
    public var types: Set<PIIType>

    public init(types: Set<PIIType> = Set(PIIType.allCases)) {
        self.types = types
    }

    /// Identifies the rules and the enabled types, for pipeline versions: a change re-redacts.
    /// v2: the phone notations of other European directories (slashes, dots, `+44(0)…`).
    /// v3: people's names and street addresses, numbered per text or conversation.
    public var configuration: String {
        "redact-v3:" + types.sorted().map(\.rawValue).joined(separator: ",")
    }

    /// `text` redacted on its own: people and addresses are numbered from 1 in this text.
    public func redact(_ text: String) -> Redaction {
        var pseudonyms = Pseudonyms()
        return redact(text, pseudonyms: &pseudonyms)
    }

    /// `text` redacted as one text of a conversation: the people and addresses of earlier texts
    /// (redacted with the same `pseudonyms`, in order) keep their numbers.
    public func redact(_ text: String, pseudonyms: inout Pseudonyms) -> Redaction {
        var utf8 = text
        return utf8.withUTF8 { bytes in
            let scanner = ByteScanner(bytes: bytes)
            var found = findings(in: scanner)
            if types.contains(.person) || types.contains(.address) { found += wordFindings(in: scanner) }
            // Most texts hold nothing to redact: they are answered as they came, not copied.
            guard !found.isEmpty else { return Redaction(text: text, entities: []) }
            return Self.apply(Self.resolve(found), to: bytes, pseudonyms: &pseudonyms)
        }
    }

    /// Names and addresses, over the text's words. A long text is read in windows of about
    /// 8 KiB cut at a line break (else a space), so that a window's tokens stay in the core's
    /// own caches while the detectors read them again (64 KiB windows hold 400 KB of tokens;
    /// 16 KiB → 8 KiB alone was +4 % on the bench corpus); the context a name needs is a few
    /// words, and a window never cuts inside a line unless the line is longer than the window. A name found by its
    /// context is found again without it within its window only (so that a word taken for a
    /// name once in a long document does not spread through all of it).
    func wordFindings(in s: ByteScanner) -> [Finding] {
        let window = 1 << 13
        guard s.count > window else { return wordFindings(in: s.bytes, offset: 0) }
        var found: [Finding] = []
        var start = 0
        while start < s.count {
            var end = min(start + window, s.count)
            if end < s.count {
                var cut = end
                while cut > start + window / 2, s[cut - 1] != UInt8(ascii: "\n") { cut -= 1 }
                if s[cut - 1] != UInt8(ascii: "\n") {
                    cut = end
                    while cut > start + window / 2, s[cut - 1] != UInt8(ascii: " ") { cut -= 1 }
                }
                end = cut
            }
            found += wordFindings(in: UnsafeBufferPointer(rebasing: s.bytes[start..<end]), offset: start)
            start = end
        }
        return found
    }

    private func wordFindings(in bytes: UnsafeBufferPointer<UInt8>, offset: Int) -> [Finding] {
        let lexicon = NameLexicon.shared
        let tokens = WordTokenizer.tokens(bytes, lexicon: lexicon)
        var found: [Finding] = []
        if types.contains(.address) {
            found += AddressDetector(lexicon: lexicon).find(tokens, bytes).map {
                Finding(type: .address, range: ($0.range.lowerBound + offset)..<($0.range.upperBound + offset), language: $0.language)
            }
        }
        if types.contains(.person) {
            found += PersonDetector(lexicon: lexicon).find(tokens, bytes).map {
                Finding(type: .person, range: ($0.lowerBound + offset)..<($0.upperBound + offset))
            }
        }
        return found
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
            // The rest of a run of ASCII letters starts nothing: every detector hinges on a digit
            // or a sign, or on a letter that starts a token, and a letter after a letter does not.
            if ByteScanner.isAlpha(b) { i = s.letterRunEnd(from: i) }
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
    static func apply(_ findings: [Finding], to bytes: UnsafeBufferPointer<UInt8>, pseudonyms: inout Pseudonyms) -> Redaction {
        guard !findings.isEmpty else {
            return Redaction(text: String(decoding: bytes, as: UTF8.self), entities: [])
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var entities: [PIIEntity] = []
        var pieces: [Redaction.Piece] = []
        var byteCursor = 0
        var scalarCursor = 0
        for finding in findings {
            scalarCursor += UTF8Text.scalarCount(bytes, byteCursor..<finding.range.lowerBound)
            output.append(contentsOf: bytes[byteCursor..<finding.range.lowerBound])
            let start = scalarCursor
            scalarCursor += UTF8Text.scalarCount(bytes, finding.range)
            var label: Int?
            var form = Pseudonyms.Form.given
            switch finding.type {
            case .person:
                let words = nameWords(bytes, finding.range)
                let flags = NameLexicon.shared.flags(of: words.first ?? "")
                (label, form) = words.isEmpty ? (nil, .given) : pseudonyms.person(words, flags: flags)
            case .address:
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[finding.range]), as: UTF8.self).lowercased()
                let key = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).joined(separator: " ")
                label = pseudonyms.address(key, language: finding.language ?? .sv)
            default:
                break
            }
            entities.append(PIIEntity(type: finding.type, start: start, end: scalarCursor, label: label))
            let placeholder = finding.type.placeholder(label: label)
            if finding.type.isNumbered, let label {
                pieces.append(Redaction.Piece(range: output.count..<(output.count + placeholder.utf8.count), type: finding.type, label: label, form: form))
            }
            output.append(contentsOf: placeholder.utf8)
            byteCursor = finding.range.upperBound
        }
        output.append(contentsOf: bytes[byteCursor...])
        var redaction = Redaction(text: String(decoding: output, as: UTF8.self), entities: entities)
        redaction.pieces = pieces
        return redaction
    }

    /// The words of a name, lowercased: "Anna-Karin Berg" → ["anna-karin", "berg"].
    static func nameWords(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [String] {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self).lowercased()
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "." })
            .map { String($0.map { $0 == "\u{2019}" ? "'" : $0 }) }
    }

}
