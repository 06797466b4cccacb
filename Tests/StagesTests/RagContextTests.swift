@testable import Stages
import Testing

@Suite struct RagContextTests {
    static let body = """
        Sleep is the basis of recovery. Go to bed at the same time every night. Avoid screens in the \
        last hour before bed. Keep the bedroom cool and dark. Get up at the same time, weekends too.
        """

    /// The chunks a worker stores for `body` (cut with overlap, redacted), as search hits of document `id`.
    static func chunks(
        _ body: String = body, id: Int64 = 1, size: Int = 60, overlap: Int = 25
    ) throws -> [RetrievedText] {
        let chunker = DocumentChunker(splitter: try RecursiveCharacterSplitter(chunkSize: size, chunkOverlap: overlap))
        return chunker.chunks(of: body).enumerated().map { ordinal, chunk in
            RetrievedText(
                origin: .chunk(document: id, title: "Sleep", source: "sleep.md", ordinal: ordinal, start: Int(chunk.start)),
                text: chunk.text)
        }
    }

    @Test func neighbouringChunksAreOnePassageWithoutTheRepeatedOverlap() throws {
        let chunks = try Self.chunks()
        try #require(chunks.count >= 4)
        // The splitter did repeat text at the seams.
        #expect(chunks.map(\.text).joined().count > Self.body.count)
        // Found in any order, they are the body again, each word once.
        let order = Array(chunks.indices.reversed())
        let passages = RagContext.passages(order.map { chunks[$0] })
        #expect(passages.count == 1)
        #expect(passages[0].text == Self.body)
        #expect(passages[0].members == chunks.indices.map { order.firstIndex(of: $0)! }, "in document order")
        #expect(passages[0].source == .document(id: 1, title: "Sleep", source: "sleep.md"))
    }

    @Test func chunksThatAreNotNeighboursAndOtherDocumentsStayApart() throws {
        let chunks = try Self.chunks()
        let other = try Self.chunks("Write goals down. Review them every week. Celebrate what you reached.", id: 2, size: 40, overlap: 15)
        // Ranked: doc 1 #3, doc 2 #0, doc 1 #0, doc 2 #1, doc 1 #1.
        let passages = RagContext.passages([chunks[3], other[0], chunks[0], other[1], chunks[1]])
        #expect(passages.map(\.members) == [[0], [1, 3], [2, 4]], "by best rank; 0 and 1 of doc 1 merged, 3 apart")
        #expect(passages[0].text == chunks[3].text)
        #expect(passages[1].source == .document(id: 2, title: "Sleep", source: "sleep.md"))
        #expect(!passages[2].text.contains(chunks[3].text))
    }

    @Test func neighboursWithoutOverlapAreJoinedByALineBreak() throws {
        let chunks = try Self.chunks(overlap: 0)
        let passages = RagContext.passages([chunks[0], chunks[1]])
        #expect(passages.map(\.text) == [chunks[0].text + "\n" + chunks[1].text])
    }

    @Test func aRedactedValueDoesNotHideTheOverlap() throws {
        // The e-mail address is replaced by a shorter placeholder in the first chunk only: the
        // offsets no longer say where the chunk ends, the texts still show the overlap.
        let body = "Mail anna.svensson@example.se about the plan. We meet every Monday to review the goals of the week."
        let chunks = try Self.chunks(body, size: 60, overlap: 30)
        try #require(chunks.count >= 2)
        #expect(!chunks[0].text.contains("anna.svensson"))
        guard case .chunk(_, _, _, _, let next) = chunks[1].origin else { return }
        let seam = "about the plan. We meet every"
        #expect(chunks[0].text.hasSuffix(seam) && chunks[1].text.hasPrefix(seam))
        #expect(chunks[0].text.unicodeScalars.count - next != seam.unicodeScalars.count, "the offsets alone get the overlap wrong")
        let merged = RagContext.passages(chunks)
        #expect(merged.count == 1)
        #expect(merged[0].text == Redactor().redact(body).text)
    }

    @Test func theOverlapIsCheckedAgainstTheTexts() {
        func chunk(_ ordinal: Int, _ start: Int, _ text: String) -> RagContext.Chunk {
            RagContext.Chunk(index: ordinal, title: "T", source: nil, ordinal: ordinal, start: start, text: text)
        }
        // Offsets say 3 scalars overlap, and they are the same: dropped.
        #expect(RagContext.overlap(chunk(0, 0, "one two"), chunk(1, 4, "two three")) == 3)
        // Offsets say they meet or leave a gap: nothing dropped, even if the words repeat.
        #expect(RagContext.overlap(chunk(0, 0, "had had"), chunk(1, 8, "had a")) == 0)
        // Offsets that disagree with the texts, and no end of one starts the other: nothing dropped.
        #expect(RagContext.overlap(chunk(0, 0, "alpha beta"), chunk(1, 5, "gamma delta")) == 0)
        // A chance match shorter than the minimum is not taken for overlap.
        #expect(RagContext.overlap(chunk(0, 0, "abc xyz"), chunk(1, 2, "xyz!")) == 0)
        #expect(RagContext.longestSuffixPrefix(Array("abcabc".unicodeScalars), Array("abcabcd".unicodeScalars)) == 6)
        #expect(RagContext.longestSuffixPrefix(Array("".unicodeScalars), Array("abc".unicodeScalars)) == 0)
    }

    @Test func memoriesArePassagesOfTheirOwnMarkedAsConversations() throws {
        let chunks = try Self.chunks()
        let memory = RetrievedText(origin: .memory(interaction: 42), text: "User: I sleep badly.\nCoach: Keep a fixed bedtime.")
        let retrieved = [chunks[0], chunks[1], memory]
        let passages = RagContext.passages(retrieved)
        #expect(passages.map(\.source) == [.document(id: 1, title: "Sleep", source: "sleep.md"), .memory(interaction: 42)])
        let english = RagPrompt.make(question: "How do I sleep better?", language: .en, retrieved: retrieved)
        #expect(english == """
            Based on the following information:
            [1] Sleep (sleep.md)
            \(passages[0].text)

            [2] Earlier conversation
            User: I sleep badly.
            Coach: Keep a fixed bedtime.

            User question: How do I sleep better?

            Give a helpful coaching answer:
            """)
        let swedish = RagPrompt.make(question: "Hur sover jag bättre?", language: .sv, retrieved: retrieved)
        #expect(swedish.hasPrefix("Baserat på följande information:\n[1] Sleep (sleep.md)\n"))
        #expect(swedish.contains("\n\n[2] Tidigare samtal\nUser: I sleep badly."))
        #expect(swedish.hasSuffix("\n\nAnvändarfråga: Hur sover jag bättre?\n\nGe ett hjälpsamt coaching-svar:"))
        // A document without a source is headed by its title alone.
        let untitled = RetrievedText(origin: .chunk(document: 9, title: "Goals", source: nil, ordinal: 0, start: 0), text: "Write goals down.")
        #expect(RagPrompt.make(question: "q", language: .en, retrieved: [untitled]).contains("[1] Goals\nWrite goals down."))
    }
}
