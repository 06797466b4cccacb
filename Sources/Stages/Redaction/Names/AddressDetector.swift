/// Finds street addresses: a Swedish street name and number ("Storgatan 12B", "sankt eriksgatan
/// 5", "Drottning Kristinas väg 3") with the postcode and town that may follow ("…, 113 45
/// Stockholm"); a Swedish postcode next to a town on its own ("41296 Göteborg"); an English
/// house number, street name and street type ("221B Baker St", "14 maple ave", "1600
/// Pennsylvania Avenue NW"); and a UK postcode ("SW1A 2AA"). A town or a street without a
/// number is no address: "Storgatan" and "Baker Street" stay.
struct AddressDetector {
    let lexicon: NameLexicon

    /// The addresses' byte ranges, each with the way it is written (Swedish or English), which
    /// an invented replacement follows.
    func find(_ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> [(range: Range<Int>, language: Language)] {
        var spans: [(range: Range<Int>, language: Language)] = []
        var i = 0
        while i < tokens.count {
            // Every address has a number at or right after its first token: most words are skipped here.
            guard tokens[i].kind == .number || tokens[i].mixed || i + 1 < tokens.count && tokens[i + 1].kind == .number else {
                i += 1
                continue
            }
            let swedish = swedishStreet(at: i, tokens, bytes) ?? postcodeAndTown(at: i, tokens)
            if let span = swedish ?? englishStreet(at: i, tokens, bytes) ?? ukPostcode(at: i, tokens, bytes) {
                spans.append((tokens[span.first].start..<tokens[span.last].end, swedish == nil ? .en : .sv))
                i = span.last + 1
            } else {
                i += 1
            }
        }
        return spans
    }

    typealias TokenSpan = (first: Int, last: Int)

    // MARK: - Swedish

    /// Street names end in one of these ("Storgatan", "Kungsvägen", "Järntorget"), or are one
    /// of them after a name ("Drottning Kristinas väg").
    private static let swedishStreetEndings: [[UInt8]] = [
        "gatan", "gata", "vägen", "väg", "gränd", "gränden", "stigen", "backe", "backen", "torget", "torg", "allén", "allé",
        "leden", "platsen", "plan", "esplanaden", "kajen", "promenaden", "stråket", "slingan", "ringen", "liden", "gången",
        "kroken", "svängen", "bågen", "parken", "kvarnen", "höjden", "branten", "avenyn", "aveny",
    ].map { Array($0.utf8) }

    private func swedishStreet(at i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> TokenSpan? {
        let t = tokens[i]
        // A house number must follow: checked first, it spares most words the endings.
        guard t.isWord, i + 1 < tokens.count, tokens[i + 1].kind == .number, let ending = streetEnding(t, bytes),
              !t.flags.contains(.road) else { return nil }
        guard let last = houseNumber(at: i + 1, tokens, bytes) else { return nil }
        var first = i
        if t.end - t.start == ending {
            // "väg" alone: the street's name is the one or two words before it.
            var taken = 0
            while first > 0, taken < 2, tokens[first].gap.isEmpty, tokens[first - 1].isWord,
                  tokens[first - 1].capitalized || !tokens[first - 1].flags.contains(.commonWord) {
                first -= 1
                taken += 1
            }
            guard taken > 0 else { return nil }
        } else if first > 0, tokens[first].gap.isEmpty, tokens[first - 1].isWord,
                  tokens[first - 1].flags.contains(.streetPrefix)
                  || tokens[first - 1].capitalized && !(tokens[first - 1].sentenceInitial && tokens[first - 1].flags.contains(.commonWord)) {
            first -= 1  // "Stora Nygatan", "Sankt Eriksgatan", "Birger Jarlsgatan", "Andra Långgatan"
        }
        return (first, postcodeAfter(last, tokens)?.last ?? last)
    }

    /// The length in bytes of the street ending the word has, if any.
    private func streetEnding(_ t: WordToken, _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = t.end - t.start
        for ending in Self.swedishStreetEndings where length >= ending.count {
            var matches = true
            for k in 0..<ending.count {
                let b = bytes[t.end - ending.count + k]
                let lower = ByteScanner.isUpper(b) ? b | 0x20 : b
                if lower != ending[k] { matches = false; break }
            }
            if matches { return ending.count }
        }
        return nil
    }

    /// A house number at `i` ("12", "12B", "12 B", "3 c", "12-14"): the index of its last token.
    private func houseNumber(at i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = tokens[i]
        guard n.kind == .number, n.gap.isEmpty, n.digits >= 1, n.digits <= 4,
              n.end - n.start - n.digits <= 1 else { return nil }
        var last = i
        if i + 1 < tokens.count {
            let next = tokens[i + 1]
            if next.gap.isEmpty, next.isWord, next.end - next.start == 1,
               case let letter = bytes[next.start] | 0x20, letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "h") {
                last = i + 1  // "71 A", "3 c" (never "12 i Stockholm")
            } else if next.gap == .hyphen, next.kind == .number, next.digits <= 4 {
                last = i + 1  // "12-14"
            }
        }
        return last
    }

    /// A postcode ("113 45", "11345") and the town after it, starting at `i`.
    private func postcode(at i: Int, _ tokens: [WordToken]) -> TokenSpan? {
        let p = tokens[i]
        guard p.kind == .number, p.end - p.start == p.digits else { return nil }
        var last: Int
        if p.digits == 5 {
            last = i
        } else if p.digits == 3, i + 1 < tokens.count, tokens[i + 1].kind == .number, tokens[i + 1].gap.isEmpty,
                  tokens[i + 1].digits == 2, tokens[i + 1].end - tokens[i + 1].start == 2 {
            last = i + 1
        } else {
            return nil
        }
        // The town: a place we know, or a capitalised word ("Upplands Väsby": two).
        guard last + 1 < tokens.count else { return nil }
        let town = tokens[last + 1]
        guard town.isWord, town.gap.isEmpty, town.flags.contains(.notName) || town.capitalized && !town.flags.contains(.commonWord)
        else { return nil }
        last += 1
        if last + 1 < tokens.count, tokens[last + 1].gap.isEmpty, tokens[last + 1].capitalized,
           tokens[last + 1].isWord, !tokens[last + 1].flags.contains(.commonWord) {
            last += 1
        }
        return (i, last)
    }

    /// After a house number: ", 113 45 Stockholm" or " 113 45 Stockholm".
    private func postcodeAfter(_ last: Int, _ tokens: [WordToken]) -> TokenSpan? {
        guard last + 1 < tokens.count, tokens[last + 1].gap.isSubset(of: .comma) else { return nil }
        return postcode(at: last + 1, tokens)
    }

    private func postcodeAndTown(at i: Int, _ tokens: [WordToken]) -> TokenSpan? {
        // Not a group of a longer number ("070 113 45").
        if i > 0, tokens[i - 1].kind == .number, tokens[i].gap.isEmpty { return nil }
        return postcode(at: i, tokens)
    }

    // MARK: - English

    /// A house number, one to four words of street name, and a street type: "42 Elm Street".
    private func englishStreet(at i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> TokenSpan? {
        let n = tokens[i]
        guard n.kind == .number, n.digits <= 5, n.end - n.start - n.digits <= 1, i + 2 < tokens.count else { return nil }
        if i > 0, tokens[i - 1].kind == .number, n.gap.isEmpty { return nil }  // "1 000 Main"? a number's group
        var j = i + 1
        if tokens[j].gap == .hyphen, tokens[j].kind == .number { j += 1 }  // "12-14 High St"
        var names = 0
        var lowerCommon = 0
        while j < tokens.count, j <= i + 5, tokens[j].gap.isEmpty {
            let t = tokens[j]
            if t.isWord, t.flags.contains(.streetType), names > 0 {
                // A lower-case common word as the whole name only before "street", "road",
                // "avenue", "lane" or their abbreviations ("14 high street", "31 church st"), never in a chain of them ("3 miles down
                // the road") nor before types that are words too ("40 minute drive").
                guard lowerCommon == 0 || (names == 1 && t.flags.contains(.unmistakableStreetType)) else { return nil }
                var last = j
                if j + 1 < tokens.count, tokens[j + 1].gap.isSubset(of: .period), tokens[j + 1].isWord,
                   tokens[j + 1].allCapitals, tokens[j + 1].end - tokens[j + 1].start == 2,
                   "NSEW".utf8.contains(bytes[tokens[j + 1].start]) {
                    last = j + 1  // "NW"
                }
                // "3/45 Bondi Road": a flat's number before the house's.
                if i > 0, tokens[i - 1].kind == .number, n.gap == .other, tokens[i - 1].end + 1 == n.start,
                   bytes[n.start - 1] == UInt8(ascii: "/") {
                    return (i - 1, last)
                }
                return (i, last)
            }
            if t.kind == .number {
                // "5th Avenue", "42nd St"
                guard t.end - t.start - t.digits == 2 else { return nil }
            } else if t.isWord {
                if t.flags.contains(.streetType) && names == 0 { return nil }
                if !t.capitalized && !t.allCapitals && t.flags.contains(.commonWord) && !t.flags.contains(.streetPrefix) {
                    lowerCommon += 1
                }
            } else {
                return nil
            }
            names += 1
            j += 1
        }
        return nil
    }

    /// "SW1A 2AA", "M1 1AE", "EC1A 1BB": an outward code of letters and digits, then a digit
    /// and two letters, in capitals (or all in small letters: "ls1 6ad").
    private func ukPostcode(at i: Int, _ tokens: [WordToken], _ bytes: UnsafeBufferPointer<UInt8>) -> TokenSpan? {
        let outward = tokens[i]
        guard outward.kind == .word, outward.mixed, i + 1 < tokens.count else { return nil }
        let inward = tokens[i + 1]
        guard inward.kind == .number, inward.gap.isEmpty, inward.digits == 1, inward.end - inward.start == 3 else { return nil }
        let code = UnsafeBufferPointer(rebasing: bytes[outward.start..<outward.end])
        guard (2...4).contains(code.count) else { return nil }
        // One case throughout: capitals, or small letters.
        let upper = ByteScanner.isUpper(code[0])
        func isLetter(_ b: UInt8) -> Bool { upper ? ByteScanner.isUpper(b) : ByteScanner.isLower(b) }
        guard isLetter(code[0]), isLetter(bytes[inward.start + 1]), isLetter(bytes[inward.start + 2]) else { return nil }
        var k = 1
        if isLetter(code[k]) { k += 1 }
        guard k < code.count, ByteScanner.isDigit(code[k]) else { return nil }
        k += 1
        if k < code.count, ByteScanner.isDigit(code[k]) || isLetter(code[k]) { k += 1 }
        return k == code.count ? (i, i + 1) : nil
    }
}
