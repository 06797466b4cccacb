/// Finds people's names in chat, Swedish and English, upper or lower case: gazetteers of given
/// names and surnames, and the context a reader uses when a name is also a word.
///
/// The rules, in order (each is one function below):
/// 1. A known name that is no ordinary word ("linnea", "Chloe", "Lindqvist") is a name in any
///    case and position.
/// 2. A known name that is also a word ("klara", "Will", "Max", "Paris") is a name only with
///    evidence, and never after an article ("a ray"): written with a capital inside a sentence
///    (unless it is a place, a month, or a word of a title in title case, "The Power of Now");
///    after a title, a relation, a greeting, a verb such as "told"/"träffade" or an
///    introduction ("min kompis Max", "heter Saga", "hi Will"); capitalised before a verb of
///    speech ("Will said") or "from" ("Hope from my cohort"); before an apposition ("Frank, my
///    neighbour"); with a possessive ("Bill's"); before a surname; or joined by "och"/"and" to
///    a name found already. A frequent word ("will", "my", "said") needs a capital for every
///    cue but an introduction; a rarer one ("dawn", "amber") does not.
/// 3. A word in no list is a name only with a strong cue: any case after an introduction ("jag
///    heter ylvali", "a guy called Calloway"), after a title ("prof. ivanova"), capitalised
///    after a relation, a greeting or a verb such as "met", or capitalised before a verb of
///    speech or an apposition, or opening a text to address someone ("Xanthe, …"). Unknown
///    capitalised words are otherwise left alone: they are places, companies and products far
///    more often than people.
/// 4. A name grows over the surname after it ("Jonas Berg", "jonas andersson"), a capitalised
///    given name before a surname ("Olumide Adeyemi") and particles ("Ludwig van Beethoven");
///    a Swedish surname form (-sson, -qvist, -ström…) is a surname by itself.
/// Titles and relations are never part of the name.
struct PersonDetector {
    let lexicon: NameLexicon

    /// The byte ranges of the names among `tokens`.
    func find(_ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !tokens.isEmpty else { return [] }
        var person: [Bool] = []  // allocated at the first name: most texts have none
        for i in tokens.indices where tokens[i].isWord && !isPlainWord(i, tokens, bytes) && isName(i, tokens, bytes) {
            if person.isEmpty { person = [Bool](repeating: false, count: tokens.count) }
            person[i] = true
        }
        guard !person.isEmpty else { return [] }
        // Names joined to names ("Jonas och Axel", "Chloe, Will and me"), twice for chains.
        for _ in 0..<2 {
            for i in tokens.indices where !person[i] && tokens[i].isWord && isNameLike(tokens[i]) {
                if joinedToPerson(i, tokens, person) { person[i] = true }
            }
        }
        // The same word written as a found name elsewhere in the text is that name again
        // ("Min kompis Max … Max har"), when it is capitalised there too or is no word. A few
        // names per window: a linear search of their hashes is cheaper than hashing every word's
        // hash again for a `Set` (which cost 5 % of the redactor's time).
        var found: [UInt64] = []
        for i in tokens.indices where person[i] && !found.contains(tokens[i].hash) { found.append(tokens[i].hash) }
        let many = found.count > 16 ? Set(found) : nil
        for i in tokens.indices where !person[i] && tokens[i].isWord {
            let hash = tokens[i].hash
            guard many?.contains(hash) ?? found.contains(hash) else { continue }
            if tokens[i].capitalized || !tokens[i].isAmbiguous { person[i] = true }
        }
        return spans(person, tokens)
    }

    // MARK: - One word

    /// Most words: in small letters, in no name list, no surname ending, no introduction or
    /// title before them — no name, decided from the flags alone (inlined: most of the words
    /// of a text end here, and a call per word to `isName` cost more than this test).
    @inline(__always) private func isPlainWord(_ i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = tokens[i]
        guard !t.capitalized && t.flags.isDisjoint(with: NameLexicon.Flags.name) && !mayHaveSurnameForm(t, bytes) else { return false }
        return !(i > 0 && !tokens[i - 1].flags.isDisjoint(with: [.introduction, .introductionLead, .title, .weakIntroduction])
                 || i > 1 && tokens[i - 2].flags.contains(.introductionLead))
    }

    private func isName(_ i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = tokens[i]
        guard !isPlaceholder(t, bytes), !isInsideIdentifier(t, bytes), decide(i, tokens, bytes) else { return false }
        // A word of a place or a brand of two words ("Fort Worth", "Ray Ban", "Svea Ekonomi").
        return !inProperNounPhrase(i, tokens, bytes)
    }

    private func decide(_ i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = tokens[i]
        let cue = cueBefore(i, tokens)
        // "Nan", "Miss", "Boss": a title or a relation is context, never the name; "my", "han",
        // "hans" are pronouns.
        if !t.flags.isDisjoint(with: [.determiner, .pronoun]) || !t.flags.isDisjoint(with: [.title, .relation]) && cue != .introduction {
            return false
        }
        // "said", "och", "told" in small letters are the words, whatever names they also are.
        if !t.capitalized && !t.flags.isDisjoint(with: [.speech, .coordinator, .social, .greeting]) { return false }
        if t.isGiven || t.isSurname || hasSurnameForm(t, bytes) {
            // A Swedish genitive in small letters only before a word of its own ("eriks
            // föräldrar", "linneas mamma"): verbs end in -s too ("för att minnas", "minnas det").
            if !t.capitalized, t.nameEnd < t.end, !isPossessive(t, bytes) {
                guard i + 1 < tokens.count, tokens[i + 1].isWord, tokens[i + 1].gap.isEmpty,
                      tokens[i + 1].flags.isDisjoint(with: [.determiner, .coordinator]),
                      !t.isAmbiguous || tokens[i + 1].flags.contains(.relation) else { return false }
            }
            if !t.isAmbiguous { return true }
            if i > 0, t.gap.isEmpty, tokens[i - 1].flags.contains(.determiner) { return false }
            // "me and robin", "hope and i", "jag och Saga": a given name beside the writer is
            // someone, whatever else the word means.
            if t.isGiven && withFirstPerson(i, tokens) { return true }
            // A month ("in June") or a place ("to Austin") is one unless a person is announced.
            if isMonth(i, tokens) || t.flags.contains(.notName) {
                return cue == .relation || cue == .title || cue == .introduction || cue == .greeting
                    || cue == .weakIntroduction && ageFollows(i, tokens)
            }
            let common = t.flags.contains(.commonWord)
            // A capital inside a sentence, but not a verb before its subject where a sentence's
            // end went unmarked ("Mål för veckan Can you help", "… May I ask").
            if t.capitalized && !t.sentenceInitial && !inTitleCase(i, tokens) && !(common && subjectFollows(i, tokens)) {
                return true
            }
            switch cue {
            case .introduction: return true
            // "I'm Drew", "im jordan, 22": not "I'm frank" or "im rusty at this".
            case .weakIntroduction: return t.capitalized || ageFollows(i, tokens)
            case .title, .relation, .greeting, .social: return (t.capitalized || !common) && !(common && subjectFollows(i, tokens))
            case nil: break
            }
            if t.capitalized && !inTitleCase(i, tokens)
                && (speechFollows(i, tokens) || actionFollows(i, tokens) || fromFollows(i, tokens) || groupFollows(i, tokens)) {
                return true
            }
            // "nisse ringde", "tom from legal": in small letters, at the start or after "and".
            if !t.capitalized && !common && (t.sentenceInitial || afterCoordinator(i, tokens))
                && (speechFollows(i, tokens) || fromFollows(i, tokens)) {
                return true
            }
            if (t.capitalized || !common) && appositionFollows(i, tokens) { return true }
            if isPossessive(t, bytes) && (t.capitalized ? !inTitleCase(i, tokens) : !common) { return true }
            // "Linneas mamma", "axels chef": a genitive before a relation.
            if t.nameEnd < t.end, i + 1 < tokens.count, tokens[i + 1].gap.isEmpty, tokens[i + 1].flags.contains(.relation) { return true }
            return (t.capitalized || !common) && surnameFollows(i, tokens, bytes)
        }
        // A word in no list.
        guard !t.flags.contains(.commonWord), !t.flags.contains(.notName), t.nameEnd - t.start >= 2,
              t.flags.isDisjoint(with: [.greeting, .introduction, .speech, .streetType, .social, .coordinator])
        else { return false }
        switch cue {
        case .introduction: return !t.allCapitals || t.end - t.start > 3
        case .title:
            // "prof. ivanova", "professor lindqvist"; not "4 laurel dr finally".
            return t.capitalized || t.nameEnd - t.start >= 3 && (t.gap.contains(.period) || tokens[i - 1].end - tokens[i - 1].start >= 5)
        case .weakIntroduction:
            // "i'm zephyr, 19": a name and an age.
            return t.capitalized || ageFollows(i, tokens)
        case .relation, .greeting, .social: return t.capitalized
        case nil:
            guard t.capitalized else { return false }
            // Not at the start of a sentence: "Optikern sa", "Brevet från…" are nouns; and not
            // "… and I" ("längs Drottninggatan och jag").
            if !t.sentenceInitial && (speechFollows(i, tokens, andMe: false) || fromFollows(i, tokens)) || appositionFollows(i, tokens) {
                return true
            }
            // Addressed at the start of a text: "Xanthe, time management often starts…" (not
            // "Lektorn, Ulrika Sand, sa…"); or at the end of a sentence: "That's a big step, Ioana."
            if i == 0 && i + 1 < tokens.count && tokens[i + 1].gap == .comma && !tokens[i + 1].capitalized { return true }
            return t.gap == .comma && !t.sentenceInitial && (i + 1 == tokens.count || tokens[i + 1].gap.contains(.sentence))
                && tokens[i - 1].isWord && !tokens[i - 1].capitalized
        }
    }

    /// The last letter of a surname ending (`hasSurnameForm`): a cheap first test.
    @inline(__always) private func mayHaveSurnameForm(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard t.nameEnd - t.start >= 6 else { return false }
        switch bytes[t.nameEnd - 1] {
        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"), UInt8(ascii: "l"), UInt8(ascii: "g"),
             UInt8(ascii: "k"):
            return true
        default: return false
        }
    }

    /// A name by its shape alone: a capitalised or lower-case word that is no ordinary word,
    /// ending as Swedish surnames do ("Karlsson", "lindqvist", "Bergström", "Sjögren").
    private func hasSurnameForm(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard t.isWord, mayHaveSurnameForm(t, bytes), t.flags.isDisjoint(with: [.commonWord, .notName]) else { return false }
        let word = UnsafeBufferPointer(rebasing: bytes[t.start..<t.nameEnd])
        @inline(__always) func ends(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard word.count > n + 2 else { return false }
            let tail = word.count - n
            for k in 0..<n where word[tail + k] != suffix.utf8Start[k] { return false }
            return true
        }
        if ends("sson") || ends("qvist") || ends("kvist") || ends("quist") || ends("ström") { return true }
        // Shorter endings are also place names and words: only written as names are.
        return t.capitalized && (ends("gren") || ends("blad") || ends("dahl") || ends("stedt") || ends("feldt") || ends("lund")
            || ends("berg") || ends("holm") || ends("bäck"))
    }

    private func isNameLike(_ t: WordToken) -> Bool {
        // "hans" (his), "Nan", "min chef": never joined in as a name; nor a frequent word in small letters.
        guard t.flags.isDisjoint(with: [.title, .relation, .determiner, .pronoun]), t.capitalized || !t.flags.contains(.commonWord) else {
            return false
        }
        if t.isGiven || t.isSurname { return true }
        return t.capitalized && t.flags.isDisjoint(with: [.commonWord, .notName])
    }

    /// "May" after "in", "since", "i", or right before a day ("May 31", not "Drew, 31"), is a month.
    private func isMonth(_ i: Int, _ tokens: [WordToken]) -> Bool {
        if i > 0, tokens[i].gap.isEmpty, tokens[i - 1].flags.contains(.beforeMonth) { return true }
        if i + 1 < tokens.count, tokens[i + 1].gap.isEmpty, tokens[i + 1].kind == .number, tokens[i + 1].digits <= 2 { return true }
        return false
    }

    /// A pronoun right after the word ("Can you", "May I", "Ring mig").
    private func subjectFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        i + 1 < tokens.count && tokens[i + 1].gap.isEmpty && tokens[i + 1].flags.contains(.pronoun)
    }

    /// ", 22" after the word: a name and an age ("im jordan, 22").
    private func ageFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        i + 1 < tokens.count && tokens[i + 1].gap == .comma && tokens[i + 1].kind == .number && tokens[i + 1].digits <= 3
    }

    /// The writer joined to the word: "me and X", "jag och X"; "X and i", "X och jag" when X
    /// opens the sentence (not "my exams are in june and I haven't").
    private func withFirstPerson(_ i: Int, _ tokens: [WordToken]) -> Bool {
        if i >= 2, tokens[i].gap.isEmpty, tokens[i - 1].gap.isEmpty, tokens[i - 1].flags.contains(.coordinator),
           tokens[i - 2].flags.contains(.firstPerson) {
            return true
        }
        return tokens[i].sentenceInitial && i + 2 < tokens.count && tokens[i + 1].gap.isEmpty && tokens[i + 2].gap.isEmpty
            && tokens[i + 1].flags.contains(.coordinator) && tokens[i + 2].flags.contains(.firstPerson)
    }

    /// "in my cohort", "at work", "på jobbet": where a person is ("Dean in my cohort", "Lance at
    /// work"), after a capitalised name that opens a sentence.
    private func groupFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        guard i + 2 < tokens.count, tokens[i + 1].gap.isEmpty, tokens[i + 2].gap.isEmpty,
              Self.placePrepositions.contains(tokens[i + 1].hash) else { return false }
        return tokens[i + 2].flags.contains(.possessive) || Self.workplaces.contains(tokens[i + 2].hash)
    }

    private static let placePrepositions: Set<UInt64> = Set(["in", "at", "on", "i", "på"].map { WordHash.of($0) })
    private static let workplaces: Set<UInt64> = Set(["work", "school", "uni", "jobbet", "skolan", "plugget"].map { WordHash.of($0) })

    private enum Cue { case title, relation, introduction, weakIntroduction, greeting, social }

    /// The context before token `i`, if it announces a name.
    private func cueBefore(_ i: Int, _ tokens: [WordToken]) -> Cue? {
        guard i > 0 else { return nil }
        let gap = tokens[i].gap
        let p = tokens[i - 1]
        guard gap.isDisjoint(with: [.other, .hyphen, .ampersand]) else { return nil }
        // Only the period of an abbreviation ("Dr. Patel"); no other end of a sentence.
        if gap.contains(.period) { return p.flags.contains(.title) ? .title : nil }
        guard !gap.contains(.sentence) else { return nil }
        // A comma only after a relation or a greeting ("my friend, Chloe", "Hej, Nils").
        if p.flags.contains(.title), !gap.contains(.comma) { return .title }
        if p.flags.contains(.relation) { return .relation }
        if p.flags.contains(.greeting), p.sentenceInitial { return .greeting }
        guard !gap.contains(.comma) else { return nil }
        if p.flags.contains(.introduction) { return .introduction }
        if p.flags.contains(.weakIntroduction) { return .weakIntroduction }
        if p.flags.contains(.social) { return .social }
        guard i > 1, p.gap.isEmpty else { return nil }
        let pp = tokens[i - 2]
        // "my name is X", "mitt namn är X", "call me X", "kalla mig X"
        if pp.flags.contains(.introductionLead), !p.flags.isDisjoint(with: [.copula, .firstPerson]) { return .introduction }
        // "I am X", "jag är X", "this is X"
        if p.flags.contains(.copula), pp.flags.contains(.firstPerson) || pp.flags.contains(.this) { return .weakIntroduction }
        return nil
    }

    /// A verb of speech right after the name ("Will said", "axel sa"), or "och jag"/"and I".
    private func speechFollows(_ i: Int, _ tokens: [WordToken], andMe: Bool = true) -> Bool {
        guard i + 1 < tokens.count else { return false }
        let next = tokens[i + 1]
        guard next.gap.isEmpty else { return false }
        if next.flags.contains(.speech) { return true }
        if andMe, next.flags.contains(.coordinator), i + 2 < tokens.count, tokens[i + 2].gap.isEmpty,
           tokens[i + 2].flags.contains(.firstPerson) {
            return true
        }
        return false
    }

    /// A verb that follows a subject ("took", "flyttade") right after the word.
    private func actionFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        i + 1 < tokens.count && tokens[i + 1].gap.isEmpty && tokens[i + 1].flags.contains(.action)
    }

    /// "and" or "och" right before the word.
    private func afterCoordinator(_ i: Int, _ tokens: [WordToken]) -> Bool {
        i > 0 && tokens[i].gap.isEmpty && tokens[i - 1].flags.contains(.coordinator)
    }

    /// The word and a neighbour form a place or brand of two words ("Fort Worth", "Svea Ekonomi").
    private func inProperNounPhrase(_ i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if i > 0, tokens[i].gap.isEmpty, tokens[i - 1].isWord, tokens[i].start - tokens[i - 1].end == 1,
           lexicon.flags(WordHash.of(bytes, tokens[i - 1].start..<tokens[i].nameEnd)).contains(.notName) {
            return true
        }
        if i + 1 < tokens.count, tokens[i + 1].gap.isEmpty, tokens[i + 1].isWord, tokens[i + 1].start - tokens[i].end == 1,
           lexicon.flags(WordHash.of(bytes, tokens[i].start..<tokens[i + 1].nameEnd)).contains(.notName) {
            return true
        }
        return false
    }

    /// "from" or "från" right after the word ("Hope from my cohort", "ray from it").
    private func fromFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        i + 1 < tokens.count && tokens[i + 1].gap.isEmpty && tokens[i + 1].flags.contains(.from)
    }

    /// ", my neighbour", ", min chef", ", our line manager", " is my roommate", " är min
    /// kollega": the word is who that is.
    private func appositionFollows(_ i: Int, _ tokens: [WordToken]) -> Bool {
        var k = i + 1
        if k < tokens.count, tokens[k].gap.isEmpty, tokens[k].flags.contains(.copula) { k += 1 }
        guard k + 1 < tokens.count, k > i + 1 ? tokens[k].gap.isEmpty : tokens[k].gap == .comma,
              tokens[k].flags.contains(.possessive) else { return false }
        for j in (k + 1)..<min(k + 3, tokens.count) {
            guard tokens[j].gap.isEmpty else { return false }
            if tokens[j].flags.contains(.relation) { return true }
        }
        return false
    }

    /// "Bill's", "Chloe’s": an apostrophe possessive (a Swedish genitive s is also a plural).
    private func isPossessive(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        t.nameEnd < t.end && (bytes[t.nameEnd] == UInt8(ascii: "'") || bytes[t.nameEnd] == 0xE2)
    }

    /// A capitalised word next to the word that is no name: a title or a holiday in title case
    /// ("The Power of Now", "Boxing Day", "Fort Worth").
    private func inTitleCase(_ i: Int, _ tokens: [WordToken]) -> Bool {
        func titleWord(_ t: WordToken) -> Bool {
            t.isWord && t.capitalized && t.end - t.start > 1 && !t.isGiven && !t.isSurname
                && !t.flags.isDisjoint(with: [.commonWord, .notName])
                && t.flags.isDisjoint(with: [.title, .relation, .greeting, .social, .introduction])
        }
        if i > 0, tokens[i].gap.isEmpty, titleWord(tokens[i - 1]) { return true }
        if i + 1 < tokens.count, tokens[i + 1].gap.isEmpty, titleWord(tokens[i + 1]) { return true }
        return false
    }

    /// A surname after the word: a known one, a Swedish surname form, or a capitalised unknown
    /// word after a capitalised name ("Emma Thompson").
    private func surnameFollows(_ i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard i + 1 < tokens.count else { return false }
        let name = tokens[i]
        let next = tokens[i + 1]
        guard next.isWord, next.gap.isEmpty, next.flags.isDisjoint(with: [.title, .relation, .speech, .coordinator]) else {
            return false
        }
        if hasSurnameForm(next, bytes) { return true }
        if next.isSurname, !next.isAmbiguous { return true }
        if name.capitalized, next.capitalized, !next.flags.contains(.notName),
           !next.flags.contains(.commonWord) || next.isSurname {
            return true
        }
        return false
    }

    /// Token `i` is joined by "och", "and", "&" or a comma to a name found already.
    private func joinedToPerson(_ i: Int, _ tokens: [WordToken], _ person: [Bool]) -> Bool {
        let t = tokens[i]
        if t.isAmbiguous && !t.capitalized && !t.isGiven { return false }
        // before: "Jonas och Axel", "Jonas & Axel", "Jonas, Axel"
        if i >= 2, person[i - 2], tokens[i - 1].flags.contains(.coordinator), t.gap.isEmpty, tokens[i - 1].gap.isEmpty {
            return true
        }
        if i >= 1, person[i - 1], t.gap == .ampersand || (t.gap == .comma && tokens[i].capitalized) { return true }
        // after: "Axel och Jonas"
        if i + 2 < tokens.count, person[i + 2], tokens[i + 1].flags.contains(.coordinator), tokens[i + 1].gap.isEmpty,
           tokens[i + 2].gap.isEmpty {
            return true
        }
        if i + 1 < tokens.count, person[i + 1], tokens[i + 1].gap == .ampersand { return true }
        return false
    }

    // MARK: - Spans

    /// One span per name: a found word grows over the surnames, middle names and particles
    /// after it; a possessive ending stays outside.
    private func spans(_ person: [Bool], _ tokens: [WordToken]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var i = 0
        while i < tokens.count {
            guard person[i] else { i += 1; continue }
            var first = i
            // "Olumide Adeyemi", "Hiroko Sato": a capitalised unknown word before a surname.
            if tokens[i].isSurname, !tokens[i].isGiven, i > 0, tokens[i].gap.isEmpty, !person[i - 1],
               spans.last.map({ $0.upperBound <= tokens[i - 1].start }) ?? true {
                let p = tokens[i - 1]
                if p.isWord, p.capitalized, !p.sentenceInitial, p.flags.isDisjoint(with: [.commonWord, .notName, .title, .relation, .greeting, .social]) {
                    first = i - 1
                }
            }
            var last = i
            var j = i + 1
            while j < tokens.count, tokens[j].gap.isEmpty, tokens[last].nameEnd == tokens[last].end {
                let next = tokens[j]
                if person[j] || (next.isSurname && !next.isAmbiguous)
                    || (next.isSurname && tokens[last].isGiven && !next.flags.contains(.commonWord) && !next.flags.contains(.notName)) {
                    last = j
                    j += 1
                } else if next.flags.contains(.particle), j + 1 < tokens.count, tokens[j + 1].gap.isEmpty,
                          tokens[j + 1].capitalized, tokens[last].capitalized {
                    last = j + 1
                    j += 2
                } else if tokens[last].capitalized, next.capitalized, !next.sentenceInitial,
                          next.flags.isDisjoint(with: [.notName, .commonWord, .title, .relation, .speech]) || next.isSurname {
                    last = j
                    j += 1
                } else {
                    break
                }
            }
            spans.append(tokens[first].start..<tokens[last].nameEnd)
            i = last + 1
        }
        return spans
    }

    /// A word glued to a URL's, a path's or an address's punctuation ("?lang=sv", "/anna/",
    /// "anna.se") is part of an identifier, not a name.
    private func isInsideIdentifier(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if t.start > 0 {
            switch bytes[t.start - 1] {
            case UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "&"), UInt8(ascii: "#"), UInt8(ascii: "@"),
                 UInt8(ascii: "_"):
                return true
            case UInt8(ascii: "."): if t.start > 1, ByteScanner.isAlnum(bytes[t.start - 2]) { return true }
            default: break
            }
        }
        if t.end < bytes.count {
            switch bytes[t.end] {
            case UInt8(ascii: "="), UInt8(ascii: "/"), UInt8(ascii: "@"), UInt8(ascii: "_"): return true
            case UInt8(ascii: "."): if t.end + 1 < bytes.count, ByteScanner.isAlpha(bytes[t.end + 1]) { return true }
            default: break
            }
        }
        return false
    }

    /// `<PERSON_1>`, `<EMAIL>`: the redactor's own placeholders are never names.
    private func isPlaceholder(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        t.allCapitals && t.start > 0 && bytes[t.start - 1] == UInt8(ascii: "<")
    }

}
