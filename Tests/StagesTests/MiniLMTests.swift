import Embeddings
import Foundation
import Testing

/// all-MiniLM-L6-v2 against sentence-transformers' own output (`minilm_dev.json`: ids, untruncated
/// counts, float32 vectors written with 7 significant digits).
@Suite struct MiniLMTests {
    struct Reference: Decodable {
        struct Item: Decodable {
            var text: String
            var input_ids: [Int32]
            var n_tokens_untruncated: Int
            var embedding: [Float]
        }
        var max_seq_length: Int
        var items: [Item]
    }

    let reference: Reference
    let model: MiniLMEmbedder

    init() throws {
        reference = try JSONDecoder().decode(Reference.self, from: Fixtures.reference("minilm_dev.json"))
        model = try Fixtures.miniLM.get()
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return dot / (aa.squareRoot() * bb.squareRoot())
    }

    @Test func inputIDsAndUntruncatedCountsEqualTheReference() {
        #expect(reference.items.count == 60)
        #expect(reference.max_seq_length == model.tokenizer.maxLength)
        for (index, item) in reference.items.enumerated() {
            let encoding = model.tokenizer.encode(item.text)
            #expect(encoding.ids == item.input_ids, "item \(index): \(item.text.prefix(40))")
            #expect(encoding.untruncatedCount == item.n_tokens_untruncated, "item \(index)")
        }
    }

    /// All 60 at once (sorted, packed into batches of 32) and one by one: both must match.
    @Test func embeddingsEqualSentenceTransformers() {
        let together = model.embed(reference.items.map(\.text))
        for (index, item) in reference.items.enumerated() {
            let alone = model.embed([item.text])[0]
            for candidate in [together[index], alone] {
                #expect(candidate.vector.count == 384)
                #expect(candidate.tokens == item.input_ids.count)
                let cosine = Self.cosine(candidate.vector, item.embedding)
                #expect(cosine >= 0.99999, "item \(index): cosine \(cosine)")
                let maxDifference = zip(candidate.vector, item.embedding).map { abs($0 - $1) }.max() ?? 0
                #expect(maxDifference < 1e-5, "item \(index): max |difference| \(maxDifference)")
            }
        }
    }

    /// Accents are stripped, case folded, control and format characters deleted (not spaced).
    @Test(arguments: [
        ("svårt", "svart"), ("Mål FÖR", "mal for"), ("Zürich", "zurich"), ("hålla", "halla"),
        ("three\u{0C}\u{0B}end", "threeend"), ("co\u{00AD}ach\u{200D}", "coach"), ("İstanbul", "istanbul"),
    ])
    func normalisationMatchesPlainText(text: String, plain: String) {
        #expect(model.tokenizer.encode(text).ids == model.tokenizer.encode(plain).ids)
    }

    @Test func emptyAndWhitespaceOnlyTextsAreClsSep() {
        for text in ["", "   ", "\u{200B}", "\t\r\n"] {
            #expect(model.tokenizer.encode(text).ids == [101, 102])
        }
        let vectors = model.embed(["", "   "])
        #expect(vectors[0] == vectors[1])
        #expect(abs(vectors[0].vector[0] - -0.1188384) < 1e-5)
    }

    @Test func aMissingModelNamesTheScriptToRun() {
        #expect {
            _ = try MiniLMEmbedder(directory: "/nonexistent/all-MiniLM-L6-v2")
        } throws: { error in
            "\(error)".contains("scripts/fetch-model.sh")
        }
    }

    @Test func aCorruptWeightsFileIsReportedWithItsPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = URL(fileURLWithPath: Fixtures.modelsDirectory).appendingPathComponent(MiniLMEmbedder.folderName)
        for name in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data([16, 0, 0, 0, 0, 0, 0, 0] + Array("{\"not\": \"tensor\"}".utf8)).write(to: folder.appendingPathComponent("model.safetensors"))
        #expect {
            _ = try MiniLMEmbedder(directory: folder.path)
        } throws: { error in
            "\(error)".contains("model.safetensors")
        }
    }
}
