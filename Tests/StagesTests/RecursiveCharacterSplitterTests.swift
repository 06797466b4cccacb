import Foundation
import Stages
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
                for (index, (ours, theirs)) in zip(chunks, split.chunks).enumerated() where ours != theirs {
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
        #expect(throws: ChunkingError.self) { try RecursiveCharacterSplitter(chunkSize: 10, chunkOverlap: 11) }
        #expect(throws: ChunkingError.self) { try RecursiveCharacterSplitter(chunkSize: 0, chunkOverlap: 0) }
        #expect(throws: ChunkingError.self) { try RecursiveCharacterSplitter(chunkSize: 10, chunkOverlap: -1) }
    }
}
