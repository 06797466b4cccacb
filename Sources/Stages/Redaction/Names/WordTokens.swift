/// A word or number of a text, with what the name and address detectors ask of it: its lexicon
/// flags, its case, whether it starts a sentence, and what separates it from the word before.
struct WordToken {
    enum Kind: UInt8 { case word, number }

    /// What lies between the previous token and this one.
    struct Gap: OptionSet {
        let rawValue: UInt8
        static let comma = Gap(rawValue: 1 << 0)
        /// `.`, `!`, `?`, `:`, `;`, a line break or an emoji: this token may start a sentence.
        static let sentence = Gap(rawValue: 1 << 1)
        /// `&`, `/`, `(`, quotes, dashes: anything else but spaces.
        static let other = Gap(rawValue: 1 << 2)
        static let hyphen = Gap(rawValue: 1 << 3)
        static let period = Gap(rawValue: 1 << 4)
        static let ampersand = Gap(rawValue: 1 << 5)
        /// Nothing but spaces (or nothing).
        @inline(__always) static var none: Gap { [] }
    }

    // Byte offsets as 32 bits (a line is at most 64 MiB): a token is 32 bytes, and a text's
    // tokens are read several times by the detectors.
    private var start32: UInt32
    private var end32: UInt32
    private var nameEnd32: UInt32
    /// Bytes of the token as written, a possessive ending included.
    var start: Int { Int(start32) }
    var end: Int { Int(end32) }
    /// The end of the name without a possessive ending ("Chloe's", "Linneas").
    var nameEnd: Int {
        get { Int(nameEnd32) }
        set { nameEnd32 = UInt32(newValue) }
    }
    var hash: UInt64
    var flags: NameLexicon.Flags
    /// Digits of a number token (its letter suffix excluded: "221B" → 3).
    private var digitCount: UInt16 = 0
    var kind: Kind
    /// A capital first letter and a small second one ("Anna", "Ö", not "AI" or "anna").
    var capitalized: Bool
    /// Written in capitals only, two letters or more ("KTH", "JONAS").
    var allCapitals: Bool
    var sentenceInitial: Bool
    var gap: Gap
    /// Letters and digits mixed ("covid19", "SW1A"): never a name.
    var mixed: Bool

    init(start: Int, end: Int, hash: UInt64, kind: Kind, capitalized: Bool, allCapitals: Bool, sentenceInitial: Bool, gap: Gap, mixed: Bool) {
        self.start32 = UInt32(truncatingIfNeeded: start)
        self.end32 = UInt32(truncatingIfNeeded: end)
        self.nameEnd32 = UInt32(truncatingIfNeeded: end)
        self.hash = hash
        self.flags = []
        self.kind = kind
        self.capitalized = capitalized
        self.allCapitals = allCapitals
        self.sentenceInitial = sentenceInitial
        self.gap = gap
        self.mixed = mixed
    }

    var digits: Int {
        get { Int(digitCount) }
        set { digitCount = UInt16(clamping: newValue) }
    }

    var isWord: Bool { kind == .word && !mixed }
    var isGiven: Bool { isWord && !flags.isDisjoint(with: .given) }
    var isSurname: Bool { isWord && flags.contains(.surname) }
    var isAmbiguous: Bool { !flags.isDisjoint(with: NameLexicon.Flags.ambiguous) }
}

/// Splits UTF-8 text into `WordToken`s. Letters are ASCII letters and every non-ASCII letter of
/// the two-byte range (Latin, Greek, Cyrillic…) and of the three-byte range but `E2` (general
/// punctuation, dashes, quotes, symbols); four-byte sequences (emoji) separate sentences.
/// Apostrophes and hyphens between letters join ("o'brien", "anna-karin", "don't").
enum WordTokenizer {
    @inline(__always) static func isLetterLead(_ b: UInt8) -> Bool {
        if b < 0x80 { return (b | 0x20) &- 0x61 < 26 }
        return (b >= 0xC3 && b <= 0xDF) || (b >= 0xE0 && b <= 0xEF && b != 0xE2)
    }

    @inline(__always) static func sequenceLength(_ b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    @inline(__always) static func isCapital(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let b = bytes[i]
        if b < 0x80 { return ByteScanner.isUpper(b) }
        guard i + 1 < bytes.count else { return false }
        let c = bytes[i + 1]
        if b == 0xC3 { return c >= 0x80 && c <= 0x9E && c != 0x97 }
        if b == 0xC4 || b == 0xC5 {
            let codePoint = UInt32(b & 0x1F) << 6 | UInt32(c & 0x3F)
            return WordHash.lowercaseLatinExtendedA(codePoint) != codePoint
        }
        return false
    }

    /// An apostrophe (ASCII or `’`) at `i`: its length in bytes, else 0.
    @inline(__always) static func apostrophe(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        if bytes[i] == UInt8(ascii: "'") { return 1 }
        if bytes[i] == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0x99 { return 3 }
        return 0
    }

    static func tokens(_ bytes: UnsafeBufferPointer<UInt8>, lexicon: NameLexicon) -> [WordToken] {
        var tokens: [WordToken] = []
        tokens.reserveCapacity(bytes.count / 4 + 1)  // words average 5–6 bytes with their space: no regrowth
        var gap: WordToken.Gap = .sentence
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            guard isLetterLead(b) || b &- 0x30 < 10 else {
                // Spaces first: half of the bytes that are no letters.
                if b == UInt8(ascii: " ") {
                    i += 1
                    continue
                }
                switch b {
                case UInt8(ascii: "\t"): break
                case UInt8(ascii: ","): gap.insert(.comma)
                case UInt8(ascii: "."): gap.formUnion([.sentence, .period])
                case UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "\n"),
                     UInt8(ascii: "\r"):
                    gap.insert(.sentence)
                case UInt8(ascii: "-"): gap.insert(.hyphen)
                case UInt8(ascii: "&"): gap.insert(.ampersand)
                case 0xC2 where i + 1 < n && bytes[i + 1] == 0xA0: break  // no-break space
                default:
                    gap.insert(b >= 0xF0 ? .sentence : .other)
                }
                i += sequenceLength(b)
                continue
            }
            // A token: letters and digits, joined by apostrophes and hyphens followed by a letter,
            // hashed as it is read (`WordHash.step`), with the hashes a possessive needs.
            let start = i
            var hash = WordHash.seed
            var beforeLast = hash  // the hash without the last character ("linneas" → "linnea")
            var beforeApostrophe = hash
            var hasDigit = false
            var hasLetter = false
            var capitals = 0
            var smalls = 0
            var lastApostrophe = -1
            var hyphens = 0
            while i < n {
                let c = bytes[i]
                // Most bytes of a word are ASCII letters: lowercased and hashed without the
                // general step's tests (the same result as `WordHash.step`).
                let lower = c | 0x20
                if lower &- 0x61 < 26 {
                    if c != lower { capitals += 1 } else { smalls += 1 }
                    hasLetter = true
                    beforeLast = hash
                    hash = WordHash.mix(hash, lower)
                    i += 1
                    continue
                }
                if c &- 0x30 < 10 {
                    hasDigit = true
                    beforeLast = hash
                    hash = WordHash.mix(hash, c)
                    i += 1
                } else if isLetterLead(c) {
                    if c < 0x80 ? c &- 0x41 < 26 : isCapital(bytes, i) { capitals += 1 } else { smalls += 1 }
                    hasLetter = true
                    beforeLast = hash
                    i += WordHash.step(&hash, bytes, i, end: n)
                } else if c == UInt8(ascii: "-"), hasLetter, i + 1 < n, isLetterLead(bytes[i + 1]) {
                    hyphens += 1
                    beforeLast = hash
                    hash = WordHash.mix(hash, c)
                    i += 1
                } else if hasLetter, case let length = apostrophe(bytes, i), length > 0, i + length < n, isLetterLead(bytes[i + length]) {
                    lastApostrophe = i
                    beforeApostrophe = hash
                    beforeLast = hash
                    hash = WordHash.mix(hash, UInt8(ascii: "'"))
                    i += length
                } else {
                    break
                }
            }
            let end = min(i, n)
            let kind: WordToken.Kind = ByteScanner.isDigit(bytes[start]) ? .number : .word
            var token = WordToken(
                start: start, end: end, hash: hash, kind: kind,
                capitalized: isCapital(bytes, start) && smalls > 0,
                allCapitals: capitals >= 2 && smalls == 0,
                sentenceInitial: gap.contains(.sentence) || tokens.isEmpty, gap: gap,
                mixed: kind == .word && hasDigit)
            if kind == .number {
                var j = start
                while j < end, ByteScanner.isDigit(bytes[j]) { j += 1 }
                token.digits = j - start
            } else if !hasDigit {
                token.flags = lexicon.flags(hash)
                if token.flags.isEmpty, hyphens > 0 || lastApostrophe >= 0 || bytes[end - 1] == UInt8(ascii: "s") {
                    lookUp(&token, bytes, lexicon: lexicon, lastApostrophe: lastApostrophe, beforeApostrophe: beforeApostrophe,
                           beforeLast: beforeLast, hyphens: hyphens)
                }
            }
            tokens.append(token)
            gap = .none
        }
        return tokens
    }

    /// The token's flags: the word as written; else without a possessive ending (`'s`, `’s`, a
    /// Swedish genitive `s`); each of these, when hyphenated, from its parts when the first is a
    /// given name and the others are names or capitalised ("anna-karin", "Jean-Luc", "berg-olsson").
    private static func lookUp(
        _ token: inout WordToken, _ bytes: UnsafeBufferPointer<UInt8>, lexicon: NameLexicon, lastApostrophe: Int,
        beforeApostrophe: UInt64, beforeLast: UInt64, hyphens: Int
    ) {
        let names: NameLexicon.Flags = NameLexicon.Flags.name
        func tryEnd(_ end: Int, _ hash: UInt64) -> Bool {
            var flags = lexicon.flags(hash)
            if flags.isEmpty, hyphens > 0 { flags = hyphenated(bytes, token.start..<end, lexicon: lexicon) }
            guard !flags.isDisjoint(with: names) else { return false }
            (token.hash, token.flags, token.nameEnd) = (hash, flags, end)
            return true
        }
        if hyphens > 0, tryEnd(token.end, token.hash) { return }
        // "chloe's", "chloe’s"
        if lastApostrophe >= 0, bytes[token.end - 1] | 0x20 == UInt8(ascii: "s"),
           lastApostrophe + apostrophe(bytes, lastApostrophe) == token.end - 1 {
            if tryEnd(lastApostrophe, beforeApostrophe) { return }
            // "my dad's best friend": a relation keeps its meaning (the name stays the whole word).
            let flags = lexicon.flags(beforeApostrophe)
            if flags.contains(.relation) { token.flags = flags.intersection(.relation) }
            return
        }
        // "linneas", "anderssons"
        if token.end - token.start > 3, bytes[token.end - 1] == UInt8(ascii: "s"), tryEnd(token.end - 1, beforeLast) { return }
    }

    /// A hyphenated name is a name when every part is one, or when it starts with a given name
    /// and is written with capitals ("Karl-Heinz"); never ambiguous.
    private static func hyphenated(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, lexicon: NameLexicon) -> NameLexicon.Flags {
        var partStart = range.lowerBound
        var combined: NameLexicon.Flags = []
        var parts = 0
        for j in range.lowerBound...range.upperBound where j == range.upperBound || bytes[j] == UInt8(ascii: "-") {
            guard j > partStart else { return [] }
            let flags = lexicon.flags(WordHash.of(bytes, partStart..<j))
            if flags.isDisjoint(with: NameLexicon.Flags.name) {
                // An unknown later part, written as a name, after a given name.
                guard parts > 0, !combined.isDisjoint(with: .given), isCapital(bytes, partStart),
                      flags.isDisjoint(with: [.commonWord, .notName]) else { return [] }
            }
            combined.formUnion(parts == 0 ? flags.intersection([.swedishGiven, .englishGiven, .otherGiven, .female, .male, .surname])
                                          : flags.intersection(.surname))
            parts += 1
            partStart = j + 1
        }
        return combined
    }
}
