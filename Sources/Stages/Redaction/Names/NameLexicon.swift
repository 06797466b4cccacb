/// What the name and address detectors know about words: given names (by language and gender),
/// surnames, the names that are also ordinary words, proper nouns that are never people (places,
/// companies, months, festivals), the common words of chat, and the cue words around names
/// (titles, relations, introductions, greetings, verbs of speech) and addresses (street types).
///
/// Every word is looked up by a 64-bit hash of its lowercased UTF-8 bytes (`WordHash`), so that
/// the scan allocates nothing per word. The lists are our own (see `SwedishLexicon.swift`,
/// `EnglishLexicon.swift` and docs/benchmarks.md, "Names and addresses").
struct NameLexicon: Sendable {
    struct Flags: OptionSet, Sendable, Hashable {
        let rawValue: UInt32
        static let swedishGiven = Flags(rawValue: 1 << 0)
        static let englishGiven = Flags(rawValue: 1 << 1)
        static let female = Flags(rawValue: 1 << 2)
        static let male = Flags(rawValue: 1 << 3)
        static let surname = Flags(rawValue: 1 << 4)
        /// A name that is also an ordinary word ("klara", "will"): a name only with a cue.
        static let nameWord = Flags(rawValue: 1 << 5)
        /// A proper noun that is not a person (a city, a company, a month).
        static let notName = Flags(rawValue: 1 << 6)
        static let commonWord = Flags(rawValue: 1 << 7)
        static let title = Flags(rawValue: 1 << 8)
        static let relation = Flags(rawValue: 1 << 9)
        /// "heter", "named", "kallas": the next word is the name, in any case.
        static let introduction = Flags(rawValue: 1 << 10)
        /// "name" in "my name is", "namn" in "mitt namn är", "call"/"kalla" in "call me".
        static let introductionLead = Flags(rawValue: 1 << 11)
        static let greeting = Flags(rawValue: 1 << 12)
        /// "sa", "tycker", "said", "texted": after a word, a sign that the word is someone.
        static let speech = Flags(rawValue: 1 << 13)
        static let coordinator = Flags(rawValue: 1 << 14)
        /// "van", "von", "af", "de": between a given name and a surname.
        static let particle = Flags(rawValue: 1 << 15)
        /// "street", "rd", "avenue": ends an English street name.
        static let streetType = Flags(rawValue: 1 << 16)
        /// "stora", "sankt", "north": may start a street name.
        static let streetPrefix = Flags(rawValue: 1 << 17)
        /// "in", "since", "i", "sedan": before a month, makes "May" a month.
        static let beforeMonth = Flags(rawValue: 1 << 18)
        /// "jag är", "I'm": the next word may be a name, but only a known or capitalised one.
        static let weakIntroduction = Flags(rawValue: 1 << 19)
        /// "a", "the", "en", "ingen": no name follows.
        static let determiner = Flags(rawValue: 1 << 20)
        /// "told", "asked", "träffade": a person usually follows.
        static let social = Flags(rawValue: 1 << 21)
        /// "has", "took", "flyttade": a subject usually comes before.
        static let action = Flags(rawValue: 1 << 22)
        /// "han", "me", "it": never a name.
        static let pronoun = Flags(rawValue: 1 << 23)
        /// "from", "från"
        static let from = Flags(rawValue: 1 << 24)
        /// "i", "jag", "me", "mig": "Axel and I", "I am X"
        static let firstPerson = Flags(rawValue: 1 << 25)
        /// "is", "är", "am": "my name is X", "Hope is my roommate"
        static let copula = Flags(rawValue: 1 << 26)
        /// "this" in "this is X"
        static let this = Flags(rawValue: 1 << 27)
        /// "my", "min", "our": ", my neighbour"
        static let possessive = Flags(rawValue: 1 << 28)
        /// "riksväg", "motorväg": numbered roads, no addresses
        static let road = Flags(rawValue: 1 << 29)
        /// "street", "road", "st", "rd": a street type that is no ordinary word
        static let unmistakableStreetType = Flags(rawValue: 1 << 30)
        /// A given name of the wide lists (`WideNameLists.swift`), of no language we tell apart.
        static let otherGiven = Flags(rawValue: 1 << 31)

        // Computed, not stored: a stored static is initialised lazily and checked on every read
        // (`swift_once`), and these are read for every word.
        @inline(__always) static var given: Flags { Flags(rawValue: 1 << 0 | 1 << 1 | 1 << 31) }
        /// A given name or a surname.
        @inline(__always) static var name: Flags { Flags(rawValue: 1 << 0 | 1 << 1 | 1 << 4 | 1 << 31) }
        @inline(__always) static var ambiguous: Flags { Flags(rawValue: 1 << 5 | 1 << 6 | 1 << 7) }
    }

    private let table: FlagTable
    /// Names for surrogates: unambiguous given names and surnames, by language.
    let surrogates: Surrogates

    struct Surrogates: Sendable {
        var swedishFemale: [String] = []
        var swedishMale: [String] = []
        var englishFemale: [String] = []
        var englishMale: [String] = []
        var swedishSurnames: [String] = []
        var englishSurnames: [String] = []
    }

    static let shared = NameLexicon()

    @inline(__always) func flags(_ hash: UInt64) -> Flags { table[hash] }

    func flags(of word: String) -> Flags { flags(WordHash.of(word)) }

    private init() {
        var entries: [UInt64: Flags] = [:]
        func add(_ list: String, _ flags: Flags, shortIsWord: Bool = false) {
            for line in list.split(separator: "\n") {
                let word = line.trimmingCharacters(in: " ")
                guard !word.isEmpty else { continue }
                // Four letters or fewer are abbreviations as often as names ("conn", "repo",
                // "dest" are surnames too): such a name of the wide lists needs a cue or a capital.
                let flags = shortIsWord && word.unicodeScalars.count <= 4 ? flags.union(.nameWord) : flags
                entries[WordHash.of(word), default: []].formUnion(flags)
                // The words of a place or company of several words are not names on their own
                // either ("new york" → "york"), unless they are names ("san jose" keeps "jose").
                if flags.contains(.notName), word.contains(" ") {
                    for part in word.split(separator: " ") {
                        entries[WordHash.of(String(part)), default: []].formUnion(.commonWord)
                    }
                }
            }
        }
        add(Self.swedishFemaleGiven, [.swedishGiven, .female])
        add(Self.swedishMaleGiven, [.swedishGiven, .male])
        add(Self.englishFemaleGiven, [.englishGiven, .female])
        add(Self.englishMaleGiven, [.englishGiven, .male])
        add(Self.englishMaleNicknames, [.englishGiven, .male])
        add(Self.englishFemaleNicknames, [.englishGiven, .female])
        add(Self.englishUnisexNicknames, [.englishGiven, .female, .male])
        add(Self.swedishSurnames, .surname)
        add(Self.englishSurnames, .surname)
        add(Self.swedishNameWords, .nameWord)
        add(Self.englishNameWords, .nameWord)
        add(Self.swedishNotNames, .notName)
        add(Self.englishNotNames, .notName)
        add(Self.swedishCommonWords, .commonWord)
        add(Self.englishCommonWords, .commonWord)
        add(Self.cueTitles, .title)
        add(Self.cueRelations, .relation)
        add(Self.cueIntroductions, .introduction)
        add(Self.cueIntroductionLeads, .introductionLead)
        add(Self.cueWeakIntroductions, .weakIntroduction)
        add(Self.cueGreetings, .greeting)
        add(Self.cueSpeech, .speech)
        add(Self.cueCoordinators, .coordinator)
        add(Self.cueParticles, .particle)
        add(Self.streetTypes, .streetType)
        add(Self.streetPrefixes, .streetPrefix)
        add(Self.monthLeads, .beforeMonth)
        add(Self.determiners, .determiner)
        add(Self.cueSocial, .social)
        add(Self.cueActions, .action)
        add(Self.pronouns, .pronoun)
        add(Self.endearments, .pronoun)
        add("from\nfrån", .from)
        add("i\njag\nme\nmig", .firstPerson)
        add("is\när\nam\nwas\nvar", .copula)
        add("this", .this)
        add("my\nour\nhis\nher\nmin\nmitt\nvår\nhans\nhennes", .possessive)
        add("riksväg\nlänsväg\neuropaväg\nmotorväg\nmotorvägen\nriksvägen", .road)
        add("street\nroad\navenue\nlane\nboulevard\nterrace\ncrescent\nst\nrd\nave\nblvd\nln\ntce\ncres", .unmistakableStreetType)
        add(Self.placesThatAreNames, .notName)
        add(Self.englishWordsThatAreNames, .nameWord)
        add(Self.swedishWordsThatAreNames, .nameWord)
        // The wide lists hold no word and no curated name (their generator checks), so they add
        // names unknown to the curated lists and change no word's flags.
        add(Self.wideFemaleGiven, [.otherGiven, .female], shortIsWord: true)
        add(Self.wideMaleGiven, [.otherGiven, .male], shortIsWord: true)
        add(Self.wideUnisexGiven, [.otherGiven, .female, .male], shortIsWord: true)
        add(Self.wideSurnames, .surname, shortIsWord: true)
        self.table = FlagTable(entries)

        // Surrogates are names that can never be mistaken for words, of one part ("Anna-Maria"
        // would show a real "Anna"), in the lists' order.
        func pick(_ list: String, _ required: Flags) -> [String] {
            list.split(separator: "\n").map { $0.trimmingCharacters(in: " ") }.filter { word in
                let f = entries[WordHash.of(word)] ?? []
                return !word.isEmpty && !word.contains(" ") && !word.contains("-") && !word.contains("'") && f.isSuperset(of: required)
                    && f.isDisjoint(with: Flags.ambiguous) && !(f.contains(.female) && f.contains(.male))
            }.map(WordHash.capitalized)
        }
        var surrogates = Surrogates()
        surrogates.swedishFemale = pick(Self.swedishFemaleGiven, [.swedishGiven, .female])
        surrogates.swedishMale = pick(Self.swedishMaleGiven, [.swedishGiven, .male])
        surrogates.englishFemale = pick(Self.englishFemaleGiven, [.englishGiven, .female])
        surrogates.englishMale = pick(Self.englishMaleGiven, [.englishGiven, .male])
        surrogates.swedishSurnames = pick(Self.swedishSurnames, .surname)
        surrogates.englishSurnames = pick(Self.englishSurnames, .surname)
        self.surrogates = surrogates
    }
}

/// A read-only open-addressing table from word hashes to flags: one multiply and, mostly, one
/// probe per word, where a `Dictionary` spends a SipHash per lookup (the words of a text are
/// looked up once each, so this is most of the name detector's time).
struct FlagTable: @unchecked Sendable {
    // One 8-byte slot per entry — a 32-bit fingerprint of the hash above its flags — in a table
    // at most half full: 2 MiB with the wide lists (512 KiB for the curated ones alone; keeping
    // the wide lists behind a filter in a table of their own measured no faster on the bench
    // corpus, where most words are in the curated lists). Allocated once for the process's
    // one lexicon (`NameLexicon.shared`) and never freed: a raw pointer spares every lookup a
    // retain, a release and a bounds check. Read-only after `init`, hence safe to share. The
    // fingerprint and the slot together compare about 47 bits of the hash.
    private let slots: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let shift: UInt64

    @inline(__always) private static func fingerprint(_ key: UInt64) -> UInt64 { (key >> 32) | 1 }

    init(_ entries: [UInt64: NameLexicon.Flags]) {
        var bits = 4
        while (1 << bits) < entries.count * 2 { bits += 1 }
        let size = 1 << bits
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - bits)
        for (key, value) in entries {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            let mark = Self.fingerprint(key) << 32
            while slots[slot] != 0 && slots[slot] >> 32 != mark >> 32 { slot = (slot + 1) & mask }
            slots[slot] = mark | UInt64(slots[slot] & 0xFFFF_FFFF) | UInt64(value.rawValue)
        }
    }

    @inline(__always) subscript(_ key: UInt64) -> NameLexicon.Flags {
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let mark = Self.fingerprint(key)
        while true {
            let entry = slots[slot]
            if entry >> 32 == mark { return NameLexicon.Flags(rawValue: UInt32(truncatingIfNeeded: entry)) }
            if entry == 0 { return [] }
            slot = (slot + 1) & mask
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}

/// FNV-1a over the lowercased UTF-8 bytes of a word: ASCII letters, the Latin-1 capitals
/// (`Å`, `Ä`, `Ö`, `É`, `Ü`: `C3 80`–`C3 9E` but `×`) and the Latin Extended-A pairs (`Č`/`č`,
/// `Ł`/`ł`), and `’` read as `'`. Enough for the names of Swedish and English chat; other
/// scripts hash as written.
enum WordHash {
    static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    @inline(__always) static func mix(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* prime }

    /// The hash of `bytes[range]`, lowercased.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash = seed
        var i = range.lowerBound
        while i < range.upperBound { i += step(&hash, bytes, i, end: range.upperBound) }
        return hash
    }

    /// Mixes the character at `i` into `hash`, lowercased (and `’` as `'`); returns its length
    /// in bytes. The tokenizer hashes words with it as it reads them.
    @inline(__always) static func step(_ hash: inout UInt64, _ bytes: UnsafeBufferPointer<UInt8>, _ i: Int, end: Int) -> Int {
        let b = bytes[i]
        if b < 0x80 {
            hash = mix(hash, b &- 0x41 < 26 ? b | 0x20 : b)
            return 1
        }
        if b == 0xC3, i + 1 < end {
            let lower = bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9E && bytes[i + 1] != 0x97 ? bytes[i + 1] + 0x20 : bytes[i + 1]
            // Acute and grave accents read as their letter ("Siobhán" = "siobhan", "Zoë" no);
            // é, å, ä, ö, ü, ø, æ stay letters of their own.
            if let plain = accentFree(lower) {
                hash = mix(hash, plain)
            } else {
                hash = mix(mix(hash, b), lower)
            }
            return 2
        }
        if b == 0xC4 || b == 0xC5, i + 1 < end {
            let c = bytes[i + 1]
            let lower = lowercaseLatinExtendedA(UInt32(b & 0x1F) << 6 | UInt32(c & 0x3F))
            hash = mix(mix(hash, 0xC0 | UInt8(lower >> 6)), 0x80 | UInt8(lower & 0x3F))
            return 2
        }
        if b == 0xE2, i + 2 < end, bytes[i + 1] == 0x80, bytes[i + 2] == 0x99 {
            hash = mix(hash, UInt8(ascii: "'"))
            return 3
        }
        hash = mix(hash, b)
        return 1
    }

    /// The ASCII letter of a small Latin-1 letter with an acute or grave accent (its second
    /// UTF-8 byte after `C3`), else nil.
    @inline(__always) static func accentFree(_ c: UInt8) -> UInt8? {
        switch c {
        case 0xA0, 0xA1: UInt8(ascii: "a")
        case 0xA8: UInt8(ascii: "e")  // not é: Swedish writes "idé", "allé", "Linnéa" (listed as written)
        case 0xAC, 0xAD: UInt8(ascii: "i")
        case 0xB2, 0xB3: UInt8(ascii: "o")
        case 0xB9, 0xBA: UInt8(ascii: "u")
        case 0xBD: UInt8(ascii: "y")
        default: nil
        }
    }

    /// Latin Extended-A (U+0100–U+017F: `Č`, `Ł`, `Ś`, `Ž`): capitals and small letters alternate,
    /// the capital first except in U+0139–U+0148 and U+0179–U+017E.
    @inline(__always) static func lowercaseLatinExtendedA(_ codePoint: UInt32) -> UInt32 {
        switch codePoint {
        case 0x100...0x137, 0x14A...0x177: codePoint | 1
        case 0x139...0x148, 0x179...0x17E: codePoint & 1 == 1 ? codePoint + 1 : codePoint
        default: codePoint
        }
    }

    static func of(_ word: String) -> UInt64 {
        var word = word
        return word.withUTF8 { of($0, 0..<$0.count) }
    }

    /// "anna-karin" → "Anna-Karin", "o'brien" → "O'Brien".
    static func capitalized(_ word: String) -> String {
        var result = ""
        var startOfPart = true
        for character in word {
            result += startOfPart ? character.uppercased() : String(character)
            startOfPart = character == "-" || character == "'" || character == " "
        }
        return result
    }
}
