import Foundation

/// BERT's uncased tokenizer as all-MiniLM-L6-v2 uses it (Hugging Face `BertTokenizerFast`, equal
/// to Google's original BasicTokenizer + WordPiece): ids identical to sentence-transformers'.
///
/// Normalisation, in Hugging Face's order: control and format characters (Unicode category C*,
/// except tab, newline and carriage return), NUL and U+FFFD are deleted; tab, newline, carriage
/// return and space separators (Zs) become spaces; CJK ideographs get spaces around them; accents
/// are stripped (NFD, then nonspacing marks dropped); letters are lowercased scalar by scalar.
/// Words are split on whitespace and around every punctuation character, then into the longest
/// matching word pieces; a word that cannot be covered, or is longer than 100 scalars, is `[UNK]`.
public struct BertTokenizer: Sendable {
    public struct Encoding: Sendable, Equatable {
        /// `[CLS]` … `[SEP]`, at most `maxLength` ids (the first `maxLength - 2` pieces).
        public var ids: [Int32]
        /// The id count without truncation, `[CLS]` and `[SEP]` included.
        public var untruncatedCount: Int
    }

    public static let maxInputScalarsPerWord = 100

    public let vocabulary: WordPieceVocabulary
    /// sentence-transformers' `max_seq_length` (256 for all-MiniLM-L6-v2; not the 128 of
    /// `tokenizer.json`).
    public let maxLength: Int

    public init(vocabulary: WordPieceVocabulary, maxLength: Int = 256) {
        precondition(maxLength >= 2, "room for [CLS] and [SEP] is needed")
        self.vocabulary = vocabulary
        self.maxLength = maxLength
    }

    public func encode(_ text: String) -> Encoding {
        var ids: [Int32] = [vocabulary.cls]
        var pieces = 0
        let limit = maxLength - 2
        forEachWord(in: Self.normalized(text)) { word in
            let before = ids.count
            appendPieces(of: word, to: &ids)
            pieces += ids.count - before
            if ids.count - 1 > limit { ids.removeSubrange((limit + 1)...) }
        }
        ids.append(vocabulary.sep)
        return Encoding(ids: ids, untruncatedCount: pieces + 2)
    }

    // MARK: Normalisation

    /// The text after cleaning, CJK spacing, accent stripping and lowercasing, as scalars.
    static func normalized(_ text: String) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        var isASCII = true
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                switch value {
                case 0x09, 0x0A, 0x0D, 0x20: cleaned.append(" ")
                case 0..<0x20, 0x7F: continue  // control characters are deleted
                default: cleaned.append(scalar)
                }
                continue
            }
            isASCII = false
            if value == 0xFFFD || isControl(scalar) { continue }
            if scalar.properties.generalCategory == .spaceSeparator {
                cleaned.append(" ")
            } else if isCJKIdeograph(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        if isASCII {
            return cleaned.map { scalar in
                (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value) + 0x20) : scalar
            }
        }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(cleaned.count)
        // NFD may turn a compatibility ideograph (U+F900…) into a unified one: both are in the
        // CJK ranges, so spacing before decomposition gives the same words.
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            if scalar.isASCII {
                result.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value) + 0x20) : scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    /// Unicode categories Cc, Cf, Cn, Co, Cs (tab, newline and carriage return are whitespace).
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: true
        default: false
        }
    }

    /// The CJK Unified Ideographs blocks BERT splits per character (not Hiragana, Katakana,
    /// Hangul: those are words like any other).
    static func isCJKIdeograph(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }

    /// ASCII punctuation (which includes `$ + < = > ^ \` | ~`) or a Unicode P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        if value < 0x80 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    // MARK: Words and pieces

    /// Splits on whitespace (the Unicode White_Space property) and isolates punctuation.
    private func forEachWord(in scalars: [Unicode.Scalar], _ body: (ArraySlice<Unicode.Scalar>) -> Void) {
        var start = 0
        for index in scalars.indices {
            let scalar = scalars[index]
            let isSpace = scalar == " " || (!scalar.isASCII && scalar.properties.isWhitespace)
            if isSpace || Self.isPunctuation(scalar) {
                if start < index { body(scalars[start..<index]) }
                if !isSpace { body(scalars[index...index]) }
                start = index + 1
            }
        }
        if start < scalars.count { body(scalars[start...]) }
    }

    /// Greedy longest-match-first WordPiece; the whole word is `[UNK]` when a part cannot match.
    private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        if word.count > Self.maxInputScalarsPerWord {
            ids.append(vocabulary.unknown)
            return
        }
        // UTF-8 bytes of the word, and the byte offset of each scalar boundary.
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]
        for scalar in word {
            bytes.append(contentsOf: UTF8.encode(scalar)!)
            boundaries.append(bytes.count)
        }
        let start = ids.count
        var first = 0
        while first < word.count {
            var last = word.count
            var match: Int32?
            while last > first {
                if let id = vocabulary.id(of: bytes[boundaries[first]..<boundaries[last]], continuation: first > 0) {
                    match = id
                    break
                }
                last -= 1
            }
            guard let id = match else {
                ids.removeSubrange(start...)
                ids.append(vocabulary.unknown)
                return
            }
            ids.append(id)
            first = last
        }
    }
}
