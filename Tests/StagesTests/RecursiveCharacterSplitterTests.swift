import CoachSpoolCore
import Foundation
@testable import Stages
import Testing

@Suite struct RecursiveCharacterSplitterTests {
    struct Reference: Decodable {
        struct Document: Decodable { var name: String; var text: String; var splits: [Split] }
        struct Split: Decodable { var chunk_size: Int; var chunk_overlap: Int; var chunks: [String] }
        var documents: [Document]
    }

    @Test func everyReferenceDocumentSplitsLikeLangChain() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Fixtures.reference("chunks_dev.json"))
        #expect(reference.documents.count == 4)
        for document in reference.documents {
            for split in document.splits {
                let splitter = try RecursiveCharacterSplitter(chunkSize: split.chunk_size, chunkOverlap: split.chunk_overlap)
                let chunks = splitter.split(document.text)
                #expect(chunks.count == split.chunks.count, "\(document.name) \(split.chunk_size)/\(split.chunk_overlap)")
                // Bytes, not String ==, which would equate NFC and NFD forms.
                for (index, (ours, theirs)) in zip(chunks, split.chunks).enumerated() where Array(ours.utf8) != Array(theirs.utf8) {
                    Issue.record("\(document.name) \(split.chunk_size)/\(split.chunk_overlap) chunk \(index) differs")
                }
            }
        }
    }

    /// Small cases, each output taken from langchain-text-splitters 1.1.3.
    @Test(arguments: [
        ("", 10, 0, [String]()),
        ("   \n\n  ", 10, 0, []),
        ("a\n\nb\n\nc", 10, 0, ["a\n\nb\n\nc"]),
        ("aaaa bbbb cccc", 9, 0, ["aaaa bbbb", "cccc"]),
        ("aaaa bbbb cccc", 9, 5, ["aaaa bbbb", "cccc"]),  // the overlap would not leave room
        ("abcdefgh", 3, 1, ["abc", "cde", "efg", "gh"]),
        ("one\r\ntwo\r\nthree", 8, 0, ["one", "two", "three"]),  // "\r" stays with the line, then stripped
    ])
    func smallCases(text: String, size: Int, overlap: Int, expected: [String]) throws {
        #expect(try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap).split(text) == expected)
    }

    @Test func lengthsArePythonLenNotCharacters() throws {
        // 👨‍👩‍👧‍👦 is 1 Character but 7 scalars: it cannot fit in a chunk of 5.
        let family = "👨‍👩‍👧‍👦"
        let chunks = try RecursiveCharacterSplitter(chunkSize: 5, chunkOverlap: 0).split(family)
        #expect(chunks.joined() == family)
        #expect(chunks.map { $0.unicodeScalars.count } == [5, 2])
    }

    @Test func invalidConfigurationIsRejected() {
        #expect(throws: CoachSpoolError.self) { try RecursiveCharacterSplitter(chunkSize: 10, chunkOverlap: 11) }
        #expect(throws: CoachSpoolError.self) { try RecursiveCharacterSplitter(chunkSize: 0, chunkOverlap: 0) }
        #expect(throws: CoachSpoolError.self) { try RecursiveCharacterSplitter(chunkSize: 10, chunkOverlap: -1) }
    }

    /// The skipping merge (`FastMerge`) against the piece-by-piece port, on random texts made of
    /// short and over-long words, multi-byte scalars, single and double newlines.
    @Test func fastMergeEqualsThePieceByPiecePort() throws {
        var generator = SystemRandomNumberGenerator()
        let atoms = ["a", "bb", "ccc", "å", "😀", "中文", "\r", " ", " ", " ", "  ", "\n", "\n\n", "\u{00A0}", "é\u{0301}"]
        var checked = 0
        for _ in 0..<400 {
            let size = Int.random(in: 1...60, using: &generator)
            let overlap = Int.random(in: 0...size, using: &generator)
            var text = ""
            for _ in 0..<Int.random(in: 0...400, using: &generator) {
                let atom = atoms.randomElement(using: &generator)!
                text += Int.random(in: 0..<40, using: &generator) == 0 ? String(repeating: atom, count: size + 3) : atom
            }
            var fast = try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap)
            var slow = fast
            fast.fastMerge = true
            slow.fastMerge = false
            let expected = slow.split(text)
            #expect(fast.split(text).map { Array($0.utf8) } == expected.map { Array($0.utf8) }, "size \(size) overlap \(overlap) text \(text.debugDescription)")
            checked += expected.count
        }
        #expect(checked > 1000)
    }
}

/// `--unit tokens` against LangChain's `from_tiktoken_encoder` (fixture made by the command in
/// its `made_with` field).
@Suite struct TokenUnitSplitterTests {
    struct Reference: Decodable {
        struct Case: Decodable { var document: String; var chunk_size: Int; var chunk_overlap: Int; var chunks: [String] }
        var cases: [Case]
    }

    @Test func tokenLengthsSplitLikeFromTiktokenEncoder() throws {
        let documents = try JSONDecoder().decode(
            RecursiveCharacterSplitterTests.Reference.self, from: Fixtures.reference("chunks_dev.json")).documents
        let reference = try JSONDecoder().decode(Reference.self, from: Fixtures.reference("chunks_tokens_dev.json"))
        let encoding = try Fixtures.cl100k.get()
        #expect(reference.cases.count == 8)
        for example in reference.cases {
            let text = try #require(documents.first { $0.name == example.document }).text
            let splitter = try RecursiveCharacterSplitter(
                chunkSize: example.chunk_size, chunkOverlap: example.chunk_overlap, unit: .tokens(encoding))
            #expect(splitter.split(text).map { Array($0.utf8) } == example.chunks.map { Array($0.utf8) },
                    "\(example.document) \(example.chunk_size)/\(example.chunk_overlap)")
        }
    }
}
