/// The pseudonyms of one conversation: who is `<PERSON_1>` and which address is `<ADDRESS_1>`,
/// kept in memory while its texts are redacted, in order, and then dropped. Never stored: a
/// conversation redacted again gets the same numbers from the same texts.
///
/// People are matched by their name's words: "Jonas Berg" and a later "Jonas" or "Berg" are one
/// person; "Anna Berg" is another person than "Jonas Berg". With `Style.surrogate` the numbers
/// are rendered as invented names of the same language and guessed gender ("Jonas Berg" →
/// "Erik Lund", "Jonas" → "Erik") and addresses as invented ones, chosen by `seed` and the
/// number only, never by the real name, so that a surrogate tells nothing of who it hides.
public struct Pseudonyms: Sendable {
    public enum Style: String, Sendable, CaseIterable, Codable {
        /// `<PERSON_1>`, `<ADDRESS_1>`
        case placeholder
        /// Invented names and addresses, the same for the same number.
        case surrogate

        /// What `redact` and `work` use unless told otherwise.
        public static let standard = Style.placeholder
    }

    struct Person: Sendable {
        /// The name's words, lowercased ("jonas", "berg").
        var parts: [String]
        var flags: NameLexicon.Flags
    }

    /// How a mention names its person: the rendering of a surrogate follows it.
    enum Form: Sendable, Equatable { case given, surname, full }

    private(set) var people: [Person] = []
    // Indexes into `people` (number - 1), so that a text naming thousands of people stays linear.
    private var byName: [[String]: Int] = [:]
    private var byGiven: [String: Int] = [:]
    private var bySurname: [String: Int] = [:]
    private var addresses: [String: Int] = [:]
    private var addressLanguages: [Int: Language] = [:]  // label → how the real one is written
    /// Picks surrogates; a conversation id, or 0.
    public var seed: UInt64
    /// For names in both or neither language's lists.
    public var language: Language?

    public init(seed: UInt64 = 0, language: Language? = nil) {
        self.seed = seed
        self.language = language
    }

    /// The pseudonyms of the conversation called `conversationKey` (surrogates seeded by it).
    public init(conversationKey: String, language: Language? = nil) {
        self.init(seed: WordHash.of(conversationKey), language: language)
    }

    /// The number of the person named `words` (lowercased, in order), and how it is named.
    mutating func person(_ words: [String], flags: NameLexicon.Flags) -> (label: Int, form: Form) {
        let first = words[0]
        if words.count > 1 {
            // A full name: the same full name, or a person known by this given name alone.
            if let k = byName[words] { return (k + 1, .full) }
            if let k = byName[[first]], people[k].parts.count == 1 {
                people[k].parts = words
                byName[words] = k
                if let last = words.last, bySurname[last] == nil { bySurname[last] = k }
                return (k + 1, .full)
            }
        } else {
            if let k = byGiven[first] { return (k + 1, .given) }
            if let k = bySurname[first] { return (k + 1, .surname) }
        }
        let k = people.count
        people.append(Person(parts: words, flags: flags))
        byName[words] = k
        if byGiven[first] == nil { byGiven[first] = k }
        if words.count > 1, let last = words.last, bySurname[last] == nil { bySurname[last] = k }
        return (k + 1, words.count > 1 ? .full : (flags.isDisjoint(with: .given) && flags.contains(.surname) ? .surname : .given))
    }

    /// The number of `address` (its text, lowercased, spaces collapsed), written in `language`.
    mutating func address(_ key: String, language: Language) -> Int {
        if let label = addresses[key] { return label }
        let label = addresses.count + 1
        addresses[key] = label
        addressLanguages[label] = language
        return label
    }

    // MARK: - Surrogates

    /// The invented names and addresses of a conversation, by number: made once, after its
    /// last text, because every person's surrogate must differ from every real name in it.
    struct Surrogates: Sendable {
        var people: [(given: String, surname: String)]
        var addresses: [String]

        func text(_ type: PIIType, _ label: Int, _ form: Form) -> String {
            guard type == .person else { return addresses[label - 1] }
            let name = people[label - 1]
            switch form {
            case .given: return name.given
            case .surname: return name.surname
            case .full: return name.given + " " + name.surname
            }
        }
    }

    /// Every person's invented given name and surname and every address's invented text:
    /// never a real name of this conversation, different for different people (within the
    /// lists' sizes), chosen by `seed` and the number only.
    func surrogates() -> Surrogates {
        let lexicon = NameLexicon.shared.surrogates
        let real = Set(people.flatMap(\.parts))
        var taken = Set<String>()
        var table: [(given: String, surname: String)] = []
        table.reserveCapacity(people.count)
        for (index, person) in people.enumerated() {
            let label = index + 1
            let swedish: Bool
            if person.flags.contains(.swedishGiven) != person.flags.contains(.englishGiven) {
                swedish = person.flags.contains(.swedishGiven)
            } else {
                swedish = (language ?? .sv) == .sv
            }
            let female: Bool
            if person.flags.contains(.female) != person.flags.contains(.male) {
                female = person.flags.contains(.female)
            } else {
                female = label % 2 == 1
            }
            let given = swedish ? (female ? lexicon.swedishFemale : lexicon.swedishMale) : (female ? lexicon.englishFemale : lexicon.englishMale)
            let surnames = swedish ? lexicon.swedishSurnames : lexicon.englishSurnames
            func pick(_ names: [String], salt: UInt64) -> String {
                guard !names.isEmpty else { return "X" }
                var generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(label) &* 31 &+ salt)
                var chosen = names[Int(generator.next() % UInt64(names.count))]
                for _ in 0..<64 {
                    let lower = chosen.lowercased()
                    if !real.contains(lower), !taken.contains(lower) { break }
                    chosen = names[Int(generator.next() % UInt64(names.count))]
                }
                taken.insert(chosen.lowercased())
                return chosen
            }
            table.append((pick(given, salt: 1), pick(surnames, salt: 2)))
        }
        return Surrogates(people: table, addresses: (0..<addresses.count).map { surrogate(address: $0 + 1) })
    }

    private static let swedishStreets = [
        "Lönnvägen", "Syrénvägen", "Ekbacken", "Björkgatan", "Hasselstigen", "Rönnvägen", "Tallgatan", "Granbacken",
        "Liljegatan", "Klövervägen", "Vallmostigen", "Aspgränd",
    ]
    private static let swedishTowns = ["Ekby", "Lillstad", "Norrvik", "Sjöhamra", "Åsmark", "Bergsjö"]
    private static let englishStreets = ["Maple", "Willow", "Chestnut", "Hawthorn", "Juniper", "Linden", "Alder", "Rowan"]
    private static let englishTypes = ["Street", "Road", "Lane", "Avenue", "Close", "Way"]

    /// An invented address for `label`, Swedish or English as the real one was.
    private func surrogate(address label: Int) -> String {
        var generator = SplitMix64(seed: seed &+ UInt64(label) &* 0x2545_F491_4F6C_DD1D)
        func any<T>(_ list: [T]) -> T { list[Int(generator.next() % UInt64(list.count))] }
        let number = 1 + Int(generator.next() % 60)
        if addressLanguages[label, default: .sv] == .sv {
            let postcode = 100 + Int(generator.next() % 880)
            return "\(any(Self.swedishStreets)) \(number), \(postcode) \(10 + Int(generator.next() % 90)) \(any(Self.swedishTowns))"
        }
        return "\(number) \(any(Self.englishStreets)) \(any(Self.englishTypes))"
    }
}
