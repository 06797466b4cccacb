import Foundation
import Testing

@testable import Stages

/// The byte-level normalisation (text of scalars below U+0300) must equal the general one
/// (Foundation's NFC, `lowercased()`, grapheme-level white space): stored fingerprints and the
/// deduplication of examples depend on it.
@Suite struct ContentFingerprintTests {
    static let below = (0..<0x300).compactMap(Unicode.Scalar.init).map { String($0) }

    @Test func everyScalarBelowU0300AloneAndBetweenSpaces() {
        for s in Self.below {
            for text in [s, " \(s) ", "A\(s)b", "\r\n\(s)\t"] {
                #expect(ContentFingerprint.normalisedUTF8(text) == ContentFingerprint.generalNormalised(text), "\(Array(text.unicodeScalars))")
            }
        }
    }

    /// Pairs are where NFC could compose and graphemes could join.
    @Test func everyPairOfScalarsBelowU0300() {
        var mismatches = 0
        for a in Self.below {
            for b in Self.below {
                let text = a + b
                if ContentFingerprint.normalisedUTF8(text) != ContentFingerprint.generalNormalised(text) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func randomTextsAgreeWithTheGeneralPath() {
        let pieces = [
            "a", "Z", "å", "Ä", "ö", "É", "ß", "İ", "Ǆ", "Ⱥ", "ȿ", " ", "  ", "\t", "\n", "\r\n", "\u{85}", "\u{A0}", "\u{2003}",
            "e\u{301}", " \u{301}", "😀", "👩‍💻", "Ω", "Σ", "ς", "\u{FB01}", "ǅ", "0", ".", "Hej", "KTH", "\u{AD}",
        ]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            let text = (0..<Int(generator.next() % 12)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            #expect(ContentFingerprint.normalisedUTF8(text) == ContentFingerprint.generalNormalised(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func normalisationExamples() {
        #expect(ContentFingerprint.normalised("  Hej\t\tDÄR\r\nÅsa  ") == "hej där åsa")
        #expect(ContentFingerprint.normalised("Cafe\u{301}  OK") == "café ok")
    }
}
