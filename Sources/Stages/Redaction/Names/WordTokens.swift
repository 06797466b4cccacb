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
        static let none: Gap = []
    }

    var kind: Kind
    /// Bytes of the token as written, a possessive ending included.
    var start: Int
    var end: Int
    /// The end of the name without a possessive ending ("Chloe's", "Linneas").
    var nameEnd: Int
    var flags: NameLexicon.Flags
    /// A capital first letter and a small second one ("Anna", "Ö", not "AI" or "anna").
    var capitalized: Bool
    /// Written in capitals only, two letters or more ("KTH", "JONAS").
    var allCapitals: Bool
    var sentenceInitial: Bool
    var gap: Gap
    /// Letters and digits mixed ("covid19", "SW1A"): never a name.
    var mixed: Bool
    var hash: UInt64

    var isWord: Bool { kind == .word && !mixed }
    var isGiven: Bool { isWord && !flags.isDisjoint(with: .given) }
    var isSurname: Bool { isWord && flags.contains(.surname) }
    var isAmbiguous: Bool { !flags.isDisjoint(with: NameLexicon.Flags.ambiguous) }
    /// Digits of a number token (its letter suffix excluded: "221B" → 3).
    var digits: Int = 0
}

/// Splits UTF-8 text into `WordToken`s. Letters are ASCII letters and every non-ASCII letter of
/// the two-byte range (Latin, Greek, Cyrillic…) and of the three-byte range but `E2` (general
/// punctuation, dashes, quotes, symbols); four-byte sequences (emoji) separate sentences.
/// Apostrophes and hyphens between letters join ("o'brien", "anna-karin", "don't").
enum WordTokenizer {
    @inline(__always) static func isLetterLead(_ b: UInt8) -> Bool {
        ByteScanner.isAlpha(b) || (b >= 0xC3 && b <= 0xDF) || (b >= 0xE0 && b <= 0xEF && b != 0xE2)
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

    @inline(__always) static func isSmallLetter(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let b = bytes[i]
        if b < 0x80 { return ByteScanner.isLower(b) }
        return !isCapital(bytes, i)
    }

    /// An apostrophe (ASCII or `’`) at `i`: its length in bytes, else 0.
    @inline(__always) static func apostrophe(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        if bytes[i] == UInt8(ascii: "'") { return 1 }
        if bytes[i] == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0x99 { return 3 }
        return 0
    }

    static func tokens(_ bytes: UnsafeBufferPointer<UInt8>, lexicon: NameLexicon) -> [WordToken] {
        var tokens: [WordToken] = []
        tokens.reserveCapacity(bytes.count / 5)
        var gap: WordToken.Gap = .sentence
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            let letter = isLetterLead(b)
            guard letter || ByteScanner.isDigit(b) else {
                switch b {
                case UInt8(ascii: " "), UInt8(ascii: "\t"): break
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
            // A token: letters and digits, joined by apostrophes and hyphens followed by a letter.
            let start = i
            var hasDigit = false
            var hasLetter = false
            var capitals = 0
            var smalls = 0
            var lastApostrophe = -1
            var hyphens = 0
            while i < n {
                let c = bytes[i]
                if ByteScanner.isDigit(c) {
                    hasDigit = true
                    i += 1
                } else if isLetterLead(c) {
                    if isCapital(bytes, i) { capitals += 1 } else { smalls += 1 }
                    hasLetter = true
                    i += sequenceLength(c)
                } else if c == UInt8(ascii: "-"), i + 1 < n, isLetterLead(bytes[i + 1]), hasLetter {
                    hyphens += 1
                    i += 1
                } else if case let length = apostrophe(bytes, i), length > 0, i + length < n,
                          isLetterLead(bytes[i + length]), hasLetter {
                    lastApostrophe = i
                    i += length
                } else {
                    break
                }
            }
            let end = min(i, n)
            let kind: WordToken.Kind = ByteScanner.isDigit(bytes[start]) ? .number : .word
            var token = WordToken(
                kind: kind, start: start, end: end, nameEnd: end, flags: [],
                capitalized: isCapital(bytes, start) && smalls > 0,
                allCapitals: capitals >= 2 && smalls == 0,
                sentenceInitial: gap.contains(.sentence) || tokens.isEmpty, gap: gap,
                mixed: kind == .word && hasDigit, hash: 0)
            if kind == .number {
                var j = start
                while j < end, ByteScanner.isDigit(bytes[j]) { j += 1 }
                token.digits = j - start
            } else if !hasDigit {
                lookUp(&token, bytes, lexicon: lexicon, lastApostrophe: lastApostrophe, hyphens: hyphens)
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
        _ token: inout WordToken, _ bytes: UnsafeBufferPointer<UInt8>, lexicon: NameLexicon, lastApostrophe: Int, hyphens: Int
    ) {
        token.hash = WordHash.of(bytes, token.start..<token.end)
        token.flags = lexicon.flags(token.hash)
        guard token.flags.isEmpty else { return }
        var ends = [token.end]
        if lastApostrophe >= 0, bytes[token.end - 1] | 0x20 == UInt8(ascii: "s"),
           lastApostrophe + apostrophe(bytes, lastApostrophe) == token.end - 1 {
            ends.append(lastApostrophe)  // "chloe's", "chloe’s"
        }
        if token.end - token.start > 3, bytes[token.end - 1] == UInt8(ascii: "s") {
            ends.append(token.end - 1)  // "linneas", "anderssons"
        }
        let names: NameLexicon.Flags = [.swedishGiven, .englishGiven, .surname]
        for end in ends {
            let hash = WordHash.of(bytes, token.start..<end)
            var flags = lexicon.flags(hash)
            if flags.isEmpty, hyphens > 0 { flags = hyphenated(bytes, token.start..<end, lexicon: lexicon) }
            if !flags.isDisjoint(with: names) {
                (token.hash, token.flags, token.nameEnd) = (hash, flags, end)
                return
            }
        }
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
            if flags.isDisjoint(with: [.swedishGiven, .englishGiven, .surname]) {
                // An unknown later part, written as a name, after a given name.
                guard parts > 0, !combined.isDisjoint(with: .given), isCapital(bytes, partStart),
                      flags.isDisjoint(with: [.commonWord, .notName]) else { return [] }
            }
            combined.formUnion(parts == 0 ? flags.intersection([.swedishGiven, .englishGiven, .female, .male, .surname])
                                          : flags.intersection(.surname))
            parts += 1
            partStart = j + 1
        }
        return combined
    }
}
